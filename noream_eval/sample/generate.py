"""Generate a seeded synthetic NRPF local authority with known true effects.

:func:`generate_sample` writes the raw exports an NRPF team would hand to an
evaluator, in exactly the layout described by the shipped ``evaluation.toml``
(source profiles: file names, sheets, header rows, raw headers and raw codes),
plus ``truth.json`` (true parameters, realised values and every injected data
problem, counted per file) and a ``README.md`` built from the same numbers.

The story
---------
A London borough's NRPF team (Hackney, ONS code E09000012) exports its records on
30 June 2022. Families first referred in 2018-2020 under usual practice form the
comparison cohort; families enrolled in NOREAM from February 2021 to March 2022
form the pilot cohort. NOREAM makes re-referrals rarer and later (true rate ratio
0.7) and escalation to section 17 support less likely (true hazard ratio 0.6), and
parent/carer wellbeing (SWEMWBS) rises by about 2 metric points in six months.
The council lost its case system in a cyberattack on 13 October 2020, so part of
the older referral history is missing.

Everything is drawn from ``numpy.random.default_rng(seed)`` and the output is
byte-for-byte reproducible for a given seed, number of families and sites.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import importlib.resources
import io
import json
import math
import pathlib
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import xlsxwriter

from noream_eval.sample import _names

__all__ = ["DEFAULT_SEED", "DEMO_KEY", "MESS_RATES", "PARAMETERS", "generate_sample"]

#: Seed of the shipped sample (the NOREAM programme start, 1 February 2021).
DEFAULT_SEED = 20210201

#: Pseudonymisation key of the synthetic sample. Documented and not secret.
DEMO_KEY = "noream-eval-demo-key-not-secret"

_S = np.dtypes.StringDType()
_EPOCH = dt.date(1970, 1, 1)
_NA = -(10**6)  # "no date" in the integer day arrays
_SERIAL_OFFSET = 25569  # Excel serial number of 1970-01-01
_CREATED = dt.datetime(2022, 6, 30, 17, 45, 0)


def _day(text: str) -> int:
    return (dt.date.fromisoformat(text) - _EPOCH).days


#: True parameters of the data-generating process (copied into ``truth.json``).
PARAMETERS: dict[str, Any] = {
    "dates": {
        "data_start": "2017-04-01",
        "data_cut": "2022-06-30",
        "programme_start": "2021-02-01",
        "cyberattack": "2020-10-13",
        "comparison_first_contact": ["2018-01-01", "2020-12-31"],
        "noream_enrolment": ["2021-02-01", "2022-03-31"],
    },
    "cohorts": {
        "noream_share": 4 / 9,
        "first_contact_before_enrolment_days": [3, 28],
        "month_weights": [1.0, 1.0, 1.05, 1.0, 1.0, 1.0, 0.95, 0.7, 1.1, 1.1, 1.05, 0.75],
        "covid_factor": {
            "2020-03": 0.85,
            "2020-04": 0.55,
            "2020-05": 0.55,
            "2020-06": 0.6,
            "2020-07": 0.8,
        },
        "enrolment_ramp": {"2021-02": 0.6, "2021-03": 0.8},
    },
    "rereferral": {
        "definition": "probability that a referral is followed by another referral of the "
        "same family within 365 days",
        "within_365_comparison": 0.28,
        "rate_ratio": 0.7,
        "within_365_noream": 0.28 * 0.7,
        "after_365_comparison": 0.12,
        "after_365_noream": 0.10,
        "gap_within_days": [14, 364],
        "gap_beta_comparison": [1.3, 2.0],
        "gap_beta_noream": [2.0, 1.5],
        "gap_after_days_min": 400,
        "gap_after_mean_extra_days": 300,
    },
    "escalation": {
        "definition": "time from first contact to the first section 17 payment; Weibull "
        "proportional hazards, censored at the data cut only",
        "weibull_shape": 0.6,
        "risk_12m_comparison": 0.30,
        "hazard_ratio": 0.6,
        "risk_12m_noream": 1 - (1 - 0.30) ** 0.6,
        "site_log_hazard_sd": 0.2,
    },
    "closure": {
        "mean_days_comparison": 110,
        "mean_days_noream": 300,
        "min_days": 14,
        "reasons_comparison": {
            "status_resolved": 0.2,
            "moved_away": 0.2,
            "disengaged": 0.3,
            "other": 0.3,
        },
        "reasons_noream": {
            "status_resolved": 0.45,
            "moved_away": 0.15,
            "disengaged": 0.2,
            "other": 0.2,
        },
        "reasons_after_s17": {"status_resolved": 0.7, "moved_away": 0.2, "other": 0.1},
    },
    "s17": {
        "subsistence_per_person_week_gbp": [40, 45, 50, 55, 60],
        "accommodation_share": 0.7,
        "accommodation_4_weekly_gbp": [800, 1600],
        "episode_median_days": 420,
        "episode_log_sd": 0.75,
        "episode_min_days": 28,
        "second_episode_prob": 0.25,
        "second_episode_gap_days": [49, 300],
        "second_episode_median_days": 200,
        "refund_prob_per_episode": 0.06,
        "other_payment_prob_per_episode": 0.15,
        "other_payment_gbp": [20, 150],
        "noream_grants_mean": 1.6,
        "noream_grants_max": 5,
        "noream_grant_gbp": [50, 75, 100, 150, 200, 250, 300, 400, 500],
        "noream_grant_probs": [0.12, 0.12, 0.2, 0.15, 0.13, 0.1, 0.08, 0.06, 0.04],
    },
    "history": {
        "cyberattack": "2020-10-13",
        "lost_share": 0.4,
        "definition": "families first contacted before the cyberattack lose, with this "
        "probability, every referral dated before it; their 'History Complete From' is "
        "13/10/2020",
    },
    "wellbeing": {
        "instrument": "swemwbs",
        "baseline_mean_metric": 19.5,
        "baseline_sd_metric": 3.8,
        "true_mean_gain_metric": 2.0,
        "gain_sd_metric": 2.5,
        "item_noise_sd": 0.45,
        "baseline_completion": 0.93,
        "followup_days": 182,
        "followup_window_days": [-14, 28],
        "attrition_target": 0.30,
        "attrition_logit_intercept": -0.9,
        "attrition_logit_slope_per_sd": -0.6,
        "site_sd_metric": 0.8,
        "child_share": 0.12,
        "child_baseline_mean_metric": 21.0,
        "child_true_mean_gain_metric": 1.0,
        "incomplete_share": 0.03,
    },
    "domains": {
        "baseline_mean": {
            "immigration": 1.8,
            "health_wellbeing": 2.8,
            "housing": 2.2,
            "food_security": 2.4,
            "income_employment": 1.9,
            "education_training_leisure": 2.9,
            "support_network": 2.6,
        },
        "review_change_values": [-1, 0, 1, 2],
        "review_change_probs": [0.07, 0.43, 0.38, 0.12],
        "exit_change_values": [-1, 0, 1],
        "exit_change_probs": [0.1, 0.5, 0.4],
        "baseline_share": 0.95,
        "review_share": 0.85,
        "review_days": [150, 200],
        "exit_share": 0.8,
    },
    "staff": {
        "per_site": [25, 40],
        "present_wave1": 0.85,
        "stay_to_wave2": 0.85,
        "respond_wave1": 0.8,
        "respond_wave2": 0.75,
        "item_base": 3.0,
        "item_effects": [0.1, 0.3, 0.0, -0.4, -0.3, 0.0, -0.5, -0.6],
        "wave2_shift_multi_agency": 0.35,
        "wave2_shift_coordination": 0.45,
        "person_sd": 0.5,
        "noise_sd": 0.75,
    },
    "meetings": {
        "snac_months": ["2021-03", "2022-06"],
        "snac_missed_months": [1, 2],
        "consultations_per_month": 1.0,
        "directorate_prob_start": {
            "adult_services": 0.3,
            "housing": 0.5,
            "public_health": 0.15,
            "education": 0.15,
            "finance": 0.05,
            "community_safety": 0.05,
        },
        "directorate_prob_end": {
            "adult_services": 0.7,
            "housing": 0.85,
            "public_health": 0.45,
            "education": 0.35,
            "finance": 0.25,
            "community_safety": 0.2,
        },
    },
}

#: Injected data problems: the share of rows (or cells) affected, by file kind.
MESS_RATES: dict[str, dict[str, float]] = {
    "referrals": {
        "exact_duplicates": 0.015,
        "near_duplicates": 0.015,
        "blank_rows": 0.01,
        "unparseable_dates": 0.007,
        "unknown_codes": 0.01,
    },
    "families": {
        "exact_duplicates": 0.015,
        "near_duplicates": 0.015,
        "blank_rows": 0.01,
        "unparseable_dates": 0.01,
        "unknown_codes": 0.01,
    },
    "payments": {
        "exact_duplicates": 0.01,
        "near_duplicates": 0.01,
        "blank_rows": 0.005,
        "unparseable_dates": 0.003,
        "unparseable_amounts": 0.003,
        "unmatched_refs": 0.003,
        "unknown_codes": 0.005,
    },
    "domain_assessments": {
        "exact_duplicates": 0.015,
        "near_duplicates": 0.015,
        "blank_rows": 0.01,
        "unparseable_dates": 0.01,
        "out_of_range_scores": 0.005,
    },
    "wellbeing_survey": {
        "exact_duplicates": 0.015,
        "near_duplicates": 0.01,
        "blank_rows": 0.01,
        "likert_noise": 0.06,
    },
    "staff_survey": {
        "exact_duplicates": 0.01,
        "near_duplicates": 0.01,
        "blank_rows": 0.01,
        "likert_noise": 0.06,
    },
    "meetings": {"exact_duplicates": 0.01, "near_duplicates": 0.01, "blank_rows": 0.01},
    "deliverables": {"exact_duplicates": 0.01, "blank_rows": 0.01},
}

# Share of rows whose family reference is written in a non-canonical variant.
_REF_VARIANT_SHARE = 0.08
# Date formats in CSV exports: day-first, ISO, Excel serial as text.
_CSV_DATE_PROBS = (0.85, 0.12, 0.03)
# Referral date cells: Excel date, day-first text, d/m/yy text, ISO text, serial number.
_XLSX_DATE_PROBS = (0.55, 0.22, 0.03, 0.12, 0.08)
_BAD_DATES = ("31/02/2021", "TBC", "30/02/2022")

_DOMAINS = (
    ("Immigration", "immigration"),
    ("Health & Wellbeing", "health_wellbeing"),
    ("Housing", "housing"),
    ("Food Security", "food_security"),
    ("Income & Employment", "income_employment"),
    ("Education, Training & Leisure", "education_training_leisure"),
    ("Support Network", "support_network"),
)
_SWEMWBS_ITEMS = (
    "I've been feeling optimistic about the future",
    "I've been feeling useful",
    "I've been feeling relaxed",
    "I've been dealing with problems well",
    "I've been thinking clearly",
    "I've been feeling close to other people",
    "I've been able to make up my own mind about things",
)
_SWEMWBS_LABELS = ("None of the time", "Rarely", "Some of the time", "Often", "All of the time")
_SWEMWBS_METRIC = (
    7.00,
    9.51,
    11.25,
    12.40,
    13.33,
    14.08,
    14.75,
    15.32,
    15.84,
    16.36,
    16.88,
    17.43,
    17.98,
    18.59,
    19.25,
    19.98,
    20.73,
    21.54,
    22.35,
    23.21,
    24.11,
    25.03,
    26.02,
    27.03,
    28.13,
    29.31,
    30.70,
    32.55,
    35.00,
)
_STAFF_ITEMS = (
    "Q1 Agencies share information about NRPF families",
    "Q2 I know who to contact in other agencies",
    "Q3 Joint working with partners resolves cases faster",
    "Q4 Partner agencies understand NRPF",
    "Q5 Council directorates work together on NRPF cases",
    "Q6 I can get advice from other directorates when needed",
    "Q7 Decisions on NRPF cases are coordinated across the council",
    "Q8 Responsibilities between directorates are clear",
)
_AGREE_LABELS = (
    "Strongly disagree",
    "Disagree",
    "Neither agree nor disagree",
    "Agree",
    "Strongly agree",
)

# Raw code variants: canonical level -> (raw variants, probabilities).
_Variants = dict[str, tuple[tuple[str, ...], tuple[float, ...]]]
_SOURCE: _Variants = {
    "health": (("GP", "Health Visitor", "Hospital", "NHS", "Midwife"), (0.3, 0.25, 0.2, 0.15, 0.1)),
    "education": (("School", "Nursery", "Education"), (0.6, 0.25, 0.15)),
    "voluntary_sector": (
        ("Charity", "Voluntary Sector", "VCS", "Food bank"),
        (0.35, 0.3, 0.15, 0.2),
    ),
    "self": (("Self referral", "Self-referral"), (0.6, 0.4)),
    "housing": (("Housing", "Housing Needs"), (0.5, 0.5)),
    "legal": (("Solicitor", "Legal"), (0.7, 0.3)),
    "police": (("Police",), (1.0,)),
    "other_la_service": (("Adult Social Care", "Other LA service"), (0.5, 0.5)),
}
_SOURCE_PROBS = {
    "health": 0.22,
    "education": 0.15,
    "voluntary_sector": 0.25,
    "self": 0.12,
    "housing": 0.10,
    "legal": 0.08,
    "police": 0.03,
    "other_la_service": 0.05,
}
_OUTCOME: _Variants = {
    "nfa": (("NFA", "No further action"), (0.7, 0.3)),
    "signposted": (("Signposted", "Signposting"), (0.7, 0.3)),
    "early_action": (("Early action", "NOREAM", "Early Help"), (0.5, 0.35, 0.15)),
    "s17_assessment": (("S17", "Section 17", "s.17 assessment"), (0.5, 0.3, 0.2)),
    "other": (("Other",), (1.0,)),
}
_COHORT: _Variants = {
    "comparison": (("Comparison", "Pre-pilot"), (0.85, 0.15)),
    "noream": (("NOREAM", "Pilot"), (0.85, 0.15)),
}
_EXIT: _Variants = {
    "status_resolved": (
        ("Status resolved", "Leave granted", "Recourse to public funds"),
        (0.5, 0.3, 0.2),
    ),
    "moved_away": (("Moved out of borough", "Moved away"), (0.6, 0.4)),
    "disengaged": (("Disengaged", "No contact"), (0.7, 0.3)),
    "escalated_s17": (("Escalated to s17", "Stepped up to s.17"), (0.7, 0.3)),
    "other": (("Other",), (1.0,)),
}
_IMMIGRATION: _Variants = {
    "no_leave": (("No leave", "Visa overstayer", "Undocumented"), (0.5, 0.3, 0.2)),
    "leave_nrpf_condition": (
        ("Leave with NRPF", "LTR NRPF", "Limited leave (NRPF condition)"),
        (0.4, 0.35, 0.25),
    ),
    "asylum_pending": (("Asylum seeker", "Asylum claim pending"), (0.5, 0.5)),
    "eea": (("EEA national", "EU pre-settled status"), (0.5, 0.5)),
    "leave_with_recourse": (("Leave with recourse",), (1.0,)),
    "other": (("Other",), (1.0,)),
    "unknown": (("",), (1.0,)),
}
_IMMIGRATION_PROBS = {
    "no_leave": 0.34,
    "leave_nrpf_condition": 0.36,
    "asylum_pending": 0.04,
    "eea": 0.10,
    "leave_with_recourse": 0.04,
    "other": 0.06,
    "unknown": 0.06,
}
_TIMEPOINT_DA: _Variants = {
    "baseline": (("Baseline", "Initial"), (0.75, 0.25)),
    "review": (("Review", "6 month review"), (0.5, 0.5)),
    "exit": (("Exit", "Closing"), (0.7, 0.3)),
}
_TIMEPOINT_WB: _Variants = {
    "baseline": (("Baseline", "Start"), (0.7, 0.3)),
    "review": (("Follow-up", "Follow up (6 months)"), (0.6, 0.4)),
}
_RESPONDENT: _Variants = {
    "parent_carer": (("Parent", "Parent/carer", "Carer"), (0.5, 0.35, 0.15)),
    "child": (("Young person", "Child"), (0.7, 0.3)),
}
_WAVE: _Variants = {
    "baseline": (("Wave 1", "Baseline"), (0.85, 0.15)),
    "review": (("Wave 2", "Follow-up"), (0.85, 0.15)),
}
_DIRECTORATE: _Variants = {
    "childrens_services": (("Children and Families", "Children's Services"), (0.6, 0.4)),
    "adult_services": (("Adult Social Care", "Adults, Health and Integration"), (0.6, 0.4)),
    "housing": (("Housing",), (1.0,)),
    "public_health": (("Public Health",), (1.0,)),
    "education": (("Education",), (1.0,)),
    "finance": (("Finance",), (1.0,)),
    "community_safety": (("Community Safety",), (1.0,)),
}
_AGENCY: _Variants = {
    "childrens_social_care": (("CSC", "Children's Social Care"), (0.6, 0.4)),
    "adult_social_care": (("ASC", "Adult Social Care"), (0.5, 0.5)),
    "housing": (("Housing", "Housing Needs"), (0.6, 0.4)),
    "health": (("Health", "NHS", "GP"), (0.5, 0.3, 0.2)),
    "education": (("School", "Education"), (0.5, 0.5)),
    "immigration_advice": (("Immigration advisor", "Immigration adviser"), (0.6, 0.4)),
    "legal": (("Law centre", "Legal"), (0.6, 0.4)),
    "police": (("Police",), (1.0,)),
    "voluntary_sector": (("Voluntary sector", "Charity"), (0.6, 0.4)),
    "public_health": (("Public Health",), (1.0,)),
    "welfare_benefits": (("Welfare rights",), (1.0,)),
}
_AGENCY_PROBS = {
    "childrens_social_care": 1.0,
    "adult_social_care": 0.5,
    "housing": 0.8,
    "health": 0.6,
    "education": 0.4,
    "immigration_advice": 0.9,
    "legal": 0.4,
    "police": 0.1,
    "voluntary_sector": 0.5,
    "public_health": 0.2,
    "welfare_benefits": 0.3,
}
_UNKNOWN_SOURCES = ("Walk-in", "MP enquiry", "Councillor")
_UNKNOWN_PAYMENT_TYPES = ("Voucher", "Supermarket vouchers")
_UNKNOWN_IMMIGRATION = ("Dependant visa", "Awaiting HO decision (unclear)")


# --------------------------------------------------------------------------- helpers


def _streams(seed: int, names: Sequence[str]) -> dict[str, np.random.Generator]:
    """Independent child generators of ``default_rng(seed)``, one per name, in order."""
    children = np.random.default_rng(seed).spawn(len(names))
    return dict(zip(names, children, strict=True))


def _count(rate: float, n: int) -> int:
    """Number of rows to affect: ``round(rate * n)``, at least one when ``n > 0``."""
    if rate <= 0 or n <= 0:
        return 0
    return max(1, round(rate * n))


def _sarr(values: Iterable[str]) -> np.ndarray:
    return np.array(list(values), dtype=_S)


def _strs(values: np.ndarray) -> np.ndarray:
    """Integers as decimal strings (vectorised)."""
    return np.asarray(values, dtype=np.int64).astype(_S)


def _choose(rng: np.random.Generator, n: int, probs: Sequence[float]) -> np.ndarray:
    p = np.asarray(probs, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum()).astype(np.int64)


def _raw_codes(
    rng: np.random.Generator, canonical: np.ndarray, levels: Sequence[str], variants: _Variants
) -> np.ndarray:
    """Raw code strings for canonical level indices, each drawn among its variants."""
    out = np.full(len(canonical), "", dtype=_S)
    for i, level in enumerate(levels):
        mask = canonical == i
        k = int(mask.sum())
        if k == 0:
            continue
        raw, probs = variants[level]
        out[mask] = _sarr(raw)[_choose(rng, k, probs)]
    return out


def _cosmetic(rng: np.random.Generator, values: np.ndarray) -> np.ndarray:
    """Change case or spacing of every value (never leaves a value unchanged)."""
    n = len(values)
    if n == 0:
        return values.copy()
    kind = rng.integers(0, 4, n)
    upper = np.strings.upper(values)
    lower = np.strings.lower(values)
    out = np.where(kind == 0, upper, lower)
    out = np.where(kind == 2, " " + values + " ", out)
    out = np.where(kind == 3, values + "  ", out)
    unchanged = out == values
    return np.where(unchanged, " " + values, out)


@functools.lru_cache(maxsize=1)
def _date_table() -> tuple[int, np.ndarray]:
    """Text forms of every day 1930-2024: day-first, ISO, serial and d/m/yy."""
    lo = _day("1930-01-01")
    hi = _day("2024-12-31")
    days = [_EPOCH + dt.timedelta(days=d) for d in range(lo, hi + 1)]
    dmy = [f"{d.day:02d}/{d.month:02d}/{d.year}" for d in days]
    iso = [d.isoformat() for d in days]
    serial = [str(k + _SERIAL_OFFSET) for k in range(lo, hi + 1)]
    short = [f"{d.day}/{d.month}/{d.year % 100:02d}" for d in days]
    return lo, np.stack([_sarr(dmy), _sarr(iso), _sarr(serial), _sarr(short)])


_DMY, _ISO, _SERIAL, _SHORT = 0, 1, 2, 3


def _fmt_dates(days: np.ndarray, kind: np.ndarray | int = _DMY) -> np.ndarray:
    """Format integer days (``_NA`` gives an empty string) in the given text kinds."""
    lo, table = _date_table()
    days = np.asarray(days, dtype=np.int64)
    missing = days == _NA
    idx = np.where(missing, 0, days - lo)
    kinds = np.broadcast_to(np.asarray(kind, dtype=np.int64), days.shape)
    out = table[kinds, idx]
    out[missing] = ""
    return out


def _csv_date_kinds(rng: np.random.Generator, n: int) -> np.ndarray:
    return _choose(rng, n, _CSV_DATE_PROBS)


def _other_date_kind(rng: np.random.Generator, kind: np.ndarray) -> np.ndarray:
    """A different CSV date kind (day-first, ISO or serial) for each element."""
    return (kind + rng.integers(1, 3, len(kind))) % 3


# Family reference variants: canonical "NRPF-00123" and four cosmetic variants.
_REF_CANON, _REF_LOWER_SPACE, _REF_NODASH, _REF_UNPADDED, _REF_SPACES = range(5)
# For each kind, three kinds that always render differently from it.
_REF_OTHER = np.array([[1, 2, 4], [0, 2, 4], [0, 1, 4], [1, 2, 4], [0, 1, 2]])


def _fmt_refs(nums: np.ndarray, kinds: np.ndarray, width: int) -> np.ndarray:
    """Family references for family numbers in the given variant kinds."""
    plain = _strs(nums)
    padded = np.strings.zfill(plain, width)
    out = "NRPF-" + padded
    out = np.where(kinds == _REF_LOWER_SPACE, "nrpf " + plain, out)
    out = np.where(kinds == _REF_NODASH, "NRPF" + padded, out)
    out = np.where(kinds == _REF_UNPADDED, "NRPF-" + plain, out)
    return np.where(kinds == _REF_SPACES, " NRPF-" + padded + " ", out)


def _ref_kinds(rng: np.random.Generator, n: int, share: float = _REF_VARIANT_SHARE) -> np.ndarray:
    kinds = np.zeros(n, dtype=np.int64)
    variant = rng.random(n) < share
    kinds[variant] = rng.integers(1, 5, int(variant.sum()))
    return kinds


def _fmt_money(pence: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """Money text. Kinds 0-2 for payments ("£1,234.50", "1234.50", "1,234.50"),
    3-5 for refunds ("(120.00)", "-£120.00", "-120.00")."""
    values, inverse = np.unique(np.asarray(pence, dtype=np.int64), return_inverse=True)
    pounds = [abs(int(v)) / 100 for v in values]
    forms = (
        [f"£{v:,.2f}" for v in pounds],
        [f"{v:.2f}" for v in pounds],
        [f"{v:,.2f}" for v in pounds],
        [f"({v:,.2f})" for v in pounds],
        [f"-£{v:,.2f}" for v in pounds],
        [f"-{v:.2f}" for v in pounds],
    )
    table = np.stack([_sarr(f) for f in forms])
    return table[np.asarray(kind, dtype=np.int64), inverse.reshape(-1)]


def _money_kinds(rng: np.random.Generator, pence: np.ndarray) -> np.ndarray:
    positive = _choose(rng, len(pence), (0.45, 0.4, 0.15))
    negative = 3 + _choose(rng, len(pence), (0.5, 0.5, 0.0))
    return np.where(pence < 0, negative, positive)


def _other_money_kind(rng: np.random.Generator, kind: np.ndarray) -> np.ndarray:
    base = np.where(kind >= 3, 3, 0)
    return base + (kind - base + rng.integers(1, 3, len(kind))) % 3


def _month_grid(first: str, last: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start day, length and (year, month) of each month from ``first`` to ``last`` (YYYY-MM)."""
    y, m = int(first[:4]), int(first[5:7])
    y1, m1 = int(last[:4]), int(last[5:7])
    starts, lengths, ym = [], [], []
    while (y, m) <= (y1, m1):
        start = dt.date(y, m, 1)
        nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
        starts.append((start - _EPOCH).days)
        lengths.append((nxt - start).days)
        ym.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return np.array(starts), np.array(lengths), np.array(ym)


def _draw_days_in_months(
    rng: np.random.Generator, n: int, first: str, last: str, weights: Callable[[int, int], float]
) -> np.ndarray:
    starts, lengths, ym = _month_grid(first, last)
    w = np.array([weights(int(y), int(m)) for y, m in ym]) * lengths
    idx = _choose(rng, n, w)
    return starts[idx] + np.floor(rng.random(n) * lengths[idx]).astype(np.int64)


def _group_offsets(counts: np.ndarray) -> np.ndarray:
    """0..k-1 within each group of a repeated array (counts per group)."""
    total = int(counts.sum())
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total) - starts


def _ascii(text: str) -> str:
    """Drop accents and characters a finance system cannot store."""
    table = str.maketrans({"Ł": "L", "ł": "l", "ı": "i", "đ": "d", "Đ": "D", "ß": "ss"})
    decomposed = unicodedata.normalize("NFKD", text.translate(table))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _cp1252_safe(text: str) -> str:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return _ascii(text)
    return text


def _slug(text: str) -> str:
    return "".join(c for c in _ascii(text).lower() if c.isalnum())


# ------------------------------------------------------------------------ the world


class _Sites:
    """The local authorities of the sample (Hackney first)."""

    def __init__(self, n_sites: int) -> None:
        table = list(_names.LOCAL_AUTHORITIES)
        k = 1
        while len(table) < n_sites:
            code = f"E07000{k:03d}"
            table.append((code, f"District Council {code}", f"District {code}", ("ZZ9",)))
            k += 1
        table = table[:n_sites]
        self.n = n_sites
        self.codes = [t[0] for t in table]
        self.councils = [t[1] for t in table]
        self.short = [t[2] for t in table]
        self.outward = [t[3] for t in table]
        self.slugs = [_slug(s) for s in self.short]
        self.london = np.array([c.startswith("E09") for c in self.codes])


class _People:
    """Pools of names with their Windows-1252 and ASCII forms."""

    def __init__(self) -> None:
        self.first = _sarr(_names.FIRST_NAMES)
        self.last = _sarr(_names.SURNAMES)
        self.first_1252 = _sarr(_cp1252_safe(s) for s in _names.FIRST_NAMES)
        self.last_1252 = _sarr(_cp1252_safe(s) for s in _names.SURNAMES)
        self.first_slug = _sarr(_slug(s) for s in _names.FIRST_NAMES)
        self.last_slug = _sarr(_slug(s) for s in _names.SURNAMES)
        ok_first = [i for i, s in enumerate(_names.FIRST_NAMES) if _cp1252_safe(s) == s]
        ok_last = [i for i, s in enumerate(_names.SURNAMES) if _cp1252_safe(s) == s]
        self.staff_first = np.array(ok_first)
        self.staff_last = np.array(ok_last)

    def draw(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """First-name and surname indices; about one in six surnames is double-barrelled
        (encoded as ``last + 1000 * (second + 1)``)."""
        fi = rng.integers(0, len(self.first), n)
        li = rng.integers(0, len(self.last), n)
        second = rng.integers(0, len(self.last), n)
        double = (rng.random(n) < 0.16) & (second != li)
        return fi, np.where(double, li + 1000 * (second + 1), li)

    def _surname(self, li: np.ndarray, pool: np.ndarray, sep: str) -> np.ndarray:
        base = pool[li % 1000]
        second = li // 1000 - 1
        barrel = pool[np.where(second >= 0, second, 0)]
        return np.where(second >= 0, base + sep + barrel, base)

    def full(self, fi: np.ndarray, li: np.ndarray, *, cp1252: bool = False) -> np.ndarray:
        first = self.first_1252 if cp1252 else self.first
        last = self.last_1252 if cp1252 else self.last
        return first[fi] + " " + self._surname(li, last, "-")

    def email(self, fi: np.ndarray, li: np.ndarray, tail: np.ndarray, domain: str) -> np.ndarray:
        return self.first_slug[fi] + "." + self._surname(li, self.last_slug, "") + tail + domain


def _postcodes(rng: np.random.Generator, site: np.ndarray, sites: _Sites) -> np.ndarray:
    letters = _sarr("ABDEFGHJLNPQRSTUWXYZ")
    n = len(site)
    outward = np.full(n, "", dtype=_S)
    for s in range(sites.n):
        mask = site == s
        k = int(mask.sum())
        if k:
            pool = _sarr(sites.outward[s])
            outward[mask] = pool[rng.integers(0, len(pool), k)]
    inward = (
        _strs(rng.integers(1, 10, n))
        + letters[rng.integers(0, len(letters), n)]
        + letters[rng.integers(0, len(letters), n)]
    )
    return outward + " " + inward


def _simulate_families(
    rng: np.random.Generator, n: int, sites: _Sites, people: _People
) -> dict[str, np.ndarray]:
    """One row per family: cohort, site, dates, escalation, closure and identifiers."""
    p = PARAMETERS
    cut = _day(p["dates"]["data_cut"])
    n_noream = round(n * p["cohorts"]["noream_share"])
    noream = np.zeros(n, dtype=bool)
    noream[rng.permutation(n)[:n_noream]] = True
    if sites.n == 1:
        site = np.zeros(n, dtype=np.int64)
    else:
        w = rng.gamma(2.0, 1.0, sites.n) * np.where(sites.london, 2.0, 1.0)
        w[0] = w.max() * 1.5
        site = _choose(rng, n, w)

    month_w = p["cohorts"]["month_weights"]
    covid = p["cohorts"]["covid_factor"]
    ramp = p["cohorts"]["enrolment_ramp"]

    def comparison_weight(y: int, m: int) -> float:
        return month_w[m - 1] * covid.get(f"{y}-{m:02d}", 1.0)

    def enrolment_weight(y: int, m: int) -> float:
        return month_w[m - 1] * ramp.get(f"{y}-{m:02d}", 1.0)

    first_contact = np.full(n, _NA, dtype=np.int64)
    enrolled = np.full(n, _NA, dtype=np.int64)
    c0, c1 = p["dates"]["comparison_first_contact"]
    first_contact[~noream] = _draw_days_in_months(
        rng, int((~noream).sum()), c0[:7], c1[:7], comparison_weight
    )
    e0, e1 = p["dates"]["noream_enrolment"]
    enrol = _draw_days_in_months(rng, n_noream, e0[:7], e1[:7], enrolment_weight)
    lead0, lead1 = p["cohorts"]["first_contact_before_enrolment_days"]
    enrolled[noream] = enrol
    first_contact[noream] = enrol - rng.integers(lead0, lead1 + 1, n_noream)

    order = np.lexsort((rng.random(n), first_contact))
    noream, site = noream[order], site[order]
    first_contact, enrolled = first_contact[order], enrolled[order]
    number = 100 + np.cumsum(rng.integers(1, 4, n))

    # Escalation to s17: Weibull proportional hazards, censored at the data cut only.
    esc = p["escalation"]
    shape = esc["weibull_shape"]
    scale = 365.0 / (-math.log(1 - esc["risk_12m_comparison"])) ** (1 / shape)
    site_effect = rng.normal(0.0, esc["site_log_hazard_sd"], sites.n)
    site_effect[0] = 0.0
    hazard = np.where(noream, esc["hazard_ratio"], 1.0) * np.exp(site_effect[site])
    t_esc = scale * (-np.log(rng.random(n)) / hazard) ** (1 / shape)
    escalation = first_contact + np.ceil(np.minimum(t_esc, 20_000)).astype(np.int64)
    escalated = escalation <= cut

    # Case closure (without s17): exponential after first contact / enrolment.
    cl = p["closure"]
    mean_close = np.where(noream, cl["mean_days_noream"], cl["mean_days_comparison"])
    closure = (
        np.where(noream, enrolled, first_contact)
        + cl["min_days"]
        + np.floor(rng.exponential(1.0, n) * mean_close).astype(np.int64)
    )

    return {
        "n": np.array(n),
        "noream": noream,
        "site": site,
        "number": number,
        "first_contact": first_contact,
        "enrolled": enrolled,
        "escalation": escalation,
        "escalated": escalated,
        "t_escalation": t_esc,
        "closure": closure,
        **_family_attributes(rng, n, site, first_contact, sites, people),
    }


def _family_attributes(
    rng: np.random.Generator,
    n: int,
    site: np.ndarray,
    first_contact: np.ndarray,
    sites: _Sites,
    people: _People,
) -> dict[str, np.ndarray]:
    n_children = 1 + np.minimum(rng.poisson(0.8, n), 5)
    band = _choose(rng, n, (0.5, 0.3, 0.15, 0.05))
    band_lo = np.array([0, 5, 11, 16])[band]
    band_hi = np.array([5, 11, 16, 18])[band]
    age_days = np.floor((band_lo + rng.random(n) * (band_hi - band_lo)) * 365.25).astype(np.int64)
    age_days = np.maximum(age_days, 10)
    adults = np.where(rng.random(n) < 0.35, 2, 1)
    levels = list(_IMMIGRATION_PROBS)
    immigration = _choose(rng, n, list(_IMMIGRATION_PROBS.values()))
    fi, li = people.draw(rng, n)
    parent_age = np.floor((20 + rng.random(n) * 28) * 365.25).astype(np.int64)
    phone = np.where(
        rng.random(n) < 0.9,
        "07700 900" + np.strings.zfill(_strs(rng.integers(0, 1000, n)), 3),
        "020 7946 0" + np.strings.zfill(_strs(rng.integers(0, 1000, n)), 3),
    )
    suffix = _sarr("ABCD")[rng.integers(0, 4, n)]
    ni_digits = [np.strings.zfill(_strs(rng.integers(0, 100, n)), 2) for _ in range(3)]
    ni = np.where(
        rng.random(n) < 0.8,
        "QQ " + ni_digits[0] + " " + ni_digits[1] + " " + ni_digits[2] + " " + suffix,
        "QQ" + ni_digits[0] + ni_digits[1] + ni_digits[2] + suffix,
    )
    ni = np.where(rng.random(n) < 0.55, ni, "")
    ho = _sarr("BHKU")[rng.integers(0, 4, n)] + _strs(rng.integers(1_000_000, 10_000_000, n))
    ho = np.where(rng.random(n) < 0.2, ho + "/" + _strs(rng.integers(1, 4, n)), ho)
    ho = np.where(rng.random(n) < 0.85, ho, "")
    return {
        "n_children": n_children,
        "youngest_dob": first_contact - age_days,
        "adults": adults,
        "immigration": immigration,
        "immigration_raw": _raw_codes(rng, immigration, levels, _IMMIGRATION),
        "first_name": fi,
        "surname": li,
        "parent_dob": first_contact - parent_age,
        "phone": phone,
        "ni": ni,
        "ho_ref": ho,
        "postcode": _postcodes(rng, site, sites),
        "email_tail": np.where(rng.random(n) < 0.5, _strs(rng.integers(1, 100, n)), ""),
    }


def _simulate_payments(rng: np.random.Generator, fam: dict[str, np.ndarray]) -> dict[str, Any]:
    """s17 episodes with weekly subsistence and 4-weekly accommodation, refunds,
    one-off payments and NOREAM flexible grants; also sets each family's exit."""
    p = PARAMETERS["s17"]
    cut = _day(PARAMETERS["dates"]["data_cut"])
    n = int(fam["n"])
    noream, escalated = fam["noream"], fam["escalated"]
    fam_idx = np.flatnonzero(escalated)
    k = len(fam_idx)
    rate = np.array(p["subsistence_per_person_week_gbp"])[rng.integers(0, 5, n)] * 100
    weekly = rate * (fam["adults"] + fam["n_children"])
    has_accom = rng.random(n) < p["accommodation_share"]
    a0, a1 = p["accommodation_4_weekly_gbp"]
    accom = rng.integers(a0 // 10, a1 // 10 + 1, n) * 1000

    def durations(m: int, median: float) -> np.ndarray:
        d = np.exp(math.log(median) + p["episode_log_sd"] * rng.standard_normal(m))
        return np.maximum(np.floor(d).astype(np.int64), p["episode_min_days"])

    # Episode 1 from the escalation date, episode 2 for some after a gap > 35 days.
    start1 = fam["escalation"][fam_idx]
    end1 = start1 + durations(k, p["episode_median_days"])
    last1 = _last_payment(start1, end1, has_accom[fam_idx], cut)
    g0, g1 = p["second_episode_gap_days"]
    second = (end1 < cut) & (rng.random(k) < p["second_episode_prob"])
    start2 = last1 + rng.integers(g0, g1 + 1, k)
    second &= start2 <= cut
    end2 = start2 + durations(k, p["second_episode_median_days"])
    ep_fam = np.concatenate([fam_idx, fam_idx[second]])
    ep_start = np.concatenate([start1, start2[second]])
    ep_end = np.concatenate([end1, end2[second]])
    ep_no = np.concatenate([np.ones(k, np.int64), np.full(int(second.sum()), 2)])
    ep_accom = has_accom[ep_fam]
    ep_last = _last_payment(ep_start, ep_end, ep_accom, cut)
    pay_end = np.minimum(ep_end, cut)

    n_sub = (pay_end - ep_start) // 7 + 1
    n_acc = np.where(ep_accom, (pay_end - ep_start) // 28 + 1, 0)
    e_sub = np.repeat(np.arange(len(ep_fam)), n_sub)
    e_acc = np.repeat(np.arange(len(ep_fam)), n_acc)
    sub_date = ep_start[e_sub] + 7 * _group_offsets(n_sub)
    acc_date = ep_start[e_acc] + 28 * _group_offsets(n_acc)

    refund = rng.random(len(ep_fam)) < p["refund_prob_per_episode"]
    e_ref = np.flatnonzero(refund)
    ref_date = np.minimum(
        ep_start[e_ref]
        + 7 * np.floor(rng.random(len(e_ref)) * n_sub[e_ref]).astype(np.int64)
        + rng.integers(1, 4, len(e_ref)),
        ep_last[e_ref],
    )
    other = rng.random(len(ep_fam)) < p["other_payment_prob_per_episode"]
    e_oth = np.flatnonzero(other)
    oth_date = np.minimum(
        ep_start[e_oth]
        + 7 * np.floor(rng.random(len(e_oth)) * n_sub[e_oth]).astype(np.int64)
        + rng.integers(0, 4, len(e_oth)),
        ep_last[e_oth],
    )
    o0, o1 = p["other_payment_gbp"]
    oth_amount = rng.integers(o0 // 5, o1 // 5 + 1, len(e_oth)) * 500

    # Exit: NOREAM families escalating before closing step up at escalation; comparison
    # families on s17 close when their last episode ends.
    cl = PARAMETERS["closure"]
    last_ep_end = np.full(n, _NA, dtype=np.int64)
    last_ep_last = np.full(n, _NA, dtype=np.int64)
    last_ep_end[ep_fam] = ep_end  # episode 2 rows come last and overwrite episode 1
    last_ep_last[ep_fam] = ep_last
    closure = fam["closure"]
    exit_date = np.where(closure <= cut, closure, _NA)
    reason_levels = ["status_resolved", "moved_away", "disengaged", "escalated_s17", "other"]
    reason = np.where(
        noream,
        _choose(rng, n, [cl["reasons_noream"].get(r, 0.0) for r in reason_levels]),
        _choose(rng, n, [cl["reasons_comparison"].get(r, 0.0) for r in reason_levels]),
    )
    # Families closing before a later escalation did not have their status resolved.
    later_s17 = escalated & (closure < fam["escalation"])
    reason = np.where(later_s17 & (reason == 0), _choose(rng, n, (0.4, 0.4, 0, 0, 0.2)), reason)
    noream_step_up = noream & escalated & (fam["escalation"] <= closure)
    exit_date = np.where(noream_step_up, fam["escalation"], exit_date)
    reason = np.where(noream_step_up, 3, reason)
    comp_s17 = ~noream & escalated
    ended = comp_s17 & (last_ep_end < cut)
    after = _choose(rng, n, [cl["reasons_after_s17"].get(r, 0.0) for r in reason_levels])
    exit_date = np.where(comp_s17, _NA, exit_date)
    exit_date = np.where(ended, np.minimum(last_ep_last + 7, cut), exit_date)
    reason = np.where(comp_s17, after, reason)
    reason = np.where(exit_date == _NA, -1, reason)

    # NOREAM flexible grants while engaged (enrolment to exit, escalation or data cut).
    g_end = np.minimum(np.where(exit_date == _NA, cut, exit_date), cut)
    g_end = np.where(escalated, np.minimum(g_end, fam["escalation"] - 1), g_end)
    window = g_end - fam["enrolled"]
    n_grants = np.where(
        noream & (window > 0),
        np.minimum(rng.poisson(p["noream_grants_mean"], n), p["noream_grants_max"]),
        0,
    )
    gr_fam = np.repeat(np.arange(n), n_grants)
    gr_date = fam["enrolled"][gr_fam] + np.floor(
        rng.random(len(gr_fam)) * (window[gr_fam] + 1)
    ).astype(np.int64)
    gr_amount = (
        np.array(p["noream_grant_gbp"])[_choose(rng, len(gr_fam), p["noream_grant_probs"])] * 100
    )

    # type: 0 accommodation, 1 subsistence, 2 grant, 3 other; scheme: 0 s17, 1 grant
    pays = {
        "fam": np.concatenate([ep_fam[e_acc], ep_fam[e_sub], ep_fam[e_ref], ep_fam[e_oth], gr_fam]),
        "date": np.concatenate([acc_date, sub_date, ref_date, oth_date, gr_date]),
        "pence": np.concatenate(
            [
                accom[ep_fam[e_acc]],
                weekly[ep_fam[e_sub]],
                -weekly[ep_fam[e_ref]],
                oth_amount,
                gr_amount,
            ]
        ),
        "type": np.concatenate(
            [
                np.zeros(len(e_acc), np.int64),
                np.ones(len(e_sub), np.int64),
                np.ones(len(e_ref), np.int64),
                np.full(len(e_oth), 3),
                np.full(len(gr_fam), 2),
            ]
        ),
        "episode": np.concatenate([e_acc, e_sub, e_ref, e_oth, np.full(len(gr_fam), -1)]),
    }
    pays["scheme"] = (pays["type"] == 2).astype(np.int64)
    order = np.lexsort((pays["type"], pays["fam"], pays["date"]))
    pays = {key: v[order] for key, v in pays.items()}
    ep_provider = rng.integers(0, len(_names.PROVIDERS), max(len(ep_fam), 1))
    pays["provider"] = ep_provider[np.maximum(pays["episode"], 0)]
    episodes = {
        "fam": ep_fam,
        "start": ep_start,
        "end": ep_end,
        "last": ep_last,
        "number": ep_no,
        "ongoing": ep_end >= cut,
        "n_refunds": refund.sum(),
        "n_other": other.sum(),
    }
    return {
        "payments": pays,
        "episodes": episodes,
        "exit_date": exit_date,
        "exit_reason": reason,
        "reason_levels": reason_levels,
    }


def _last_payment(start: np.ndarray, end: np.ndarray, accom: np.ndarray, cut: int) -> np.ndarray:
    stop = np.minimum(end, cut)
    last_sub = start + 7 * ((stop - start) // 7)
    last_acc = start + 28 * ((stop - start) // 28)
    return np.where(accom, np.maximum(last_sub, last_acc), last_sub)


def _simulate_referrals(rng: np.random.Generator, fam: dict[str, np.ndarray]) -> dict[str, Any]:
    """Index referral at first contact, then a chain of re-referrals."""
    p = PARAMETERS["rereferral"]
    cut = _day(PARAMETERS["dates"]["data_cut"])
    n = int(fam["n"])
    noream = fam["noream"]
    fams = [np.arange(n)]
    dates = [fam["first_contact"]]
    within = [np.zeros(n, dtype=bool)]
    gen = [np.zeros(n, dtype=np.int64)]
    cur, cur_date = np.arange(n), fam["first_contact"]
    g0, g1 = p["gap_within_days"]
    for g in range(1, 9):
        m = len(cur)
        if m == 0:
            break
        nr = noream[cur]
        pi = np.where(nr, p["within_365_noream"], p["within_365_comparison"])
        late = np.where(nr, p["after_365_noream"], p["after_365_comparison"])
        u = rng.random(m)
        a = np.where(nr, p["gap_beta_noream"][0], p["gap_beta_comparison"][0])
        b = np.where(nr, p["gap_beta_noream"][1], p["gap_beta_comparison"][1])
        near_gap = g0 + np.floor(rng.beta(a, b) * (g1 - g0 + 1)).astype(np.int64)
        far_gap = p["gap_after_days_min"] + np.floor(
            rng.exponential(p["gap_after_mean_extra_days"], m)
        ).astype(np.int64)
        is_near = u < pi
        is_far = (u >= pi) & (u < pi + late)
        new_date = cur_date + np.where(is_near, near_gap, far_gap)
        keep = (is_near | is_far) & (new_date <= cut)
        fams.append(cur[keep])
        dates.append(new_date[keep])
        within.append(is_near[keep])
        gen.append(np.full(int(keep.sum()), g))
        cur, cur_date = cur[keep], new_date[keep]
    ref = {
        "fam": np.concatenate(fams),
        "date": np.concatenate(dates),
        "within": np.concatenate(within),
        "gen": np.concatenate(gen),
    }
    order = np.lexsort((ref["fam"], ref["date"]))
    ref = {k: v[order] for k, v in ref.items()}
    m = len(ref["fam"])
    ref["id"] = 1200 + np.arange(m) + np.cumsum(rng.integers(0, 2, m))

    # Source and outcome; referrals in the 60 days before escalation lead to s17.
    src_levels = list(_SOURCE_PROBS)
    src = _choose(rng, m, list(_SOURCE_PROBS.values()))
    ref["source"] = src
    ref["source_raw"] = _raw_codes(rng, src, src_levels, _SOURCE)
    out_levels = list(_OUTCOME)
    f = ref["fam"]
    esc = fam["escalation"][f]
    before_s17 = (ref["date"] <= esc) & (ref["date"] >= esc - 60)
    usual = _choose(rng, m, (0.45, 0.45, 0.0, 0.0, 0.10))
    noream_first = (ref["gen"] == 0) & noream[f]
    noream_later = _choose(rng, m, (0.2, 0.4, 0.35, 0.0, 0.05))
    outcome = np.where(noream[f] & (ref["gen"] > 0), noream_later, usual)
    outcome = np.where(noream_first, 2, outcome)
    outcome = np.where(before_s17 & ~noream_first, 3, outcome)
    ref["outcome"] = outcome
    ref["outcome_raw"] = _raw_codes(rng, outcome, out_levels, _OUTCOME)

    # History lost in the cyberattack.
    attack = _day(PARAMETERS["history"]["cyberattack"])
    lost = (fam["first_contact"] < attack) & (rng.random(n) < PARAMETERS["history"]["lost_share"])
    ref["exported"] = ~(lost[f] & (ref["date"] < attack))
    return {"referrals": ref, "history_lost": lost}


def _swemwbs_items(rng: np.random.Generator, metric: np.ndarray, noise_sd: float) -> np.ndarray:
    """Seven item scores (1..5) consistent with latent SWEMWBS metric scores."""
    raw = np.interp(metric, _SWEMWBS_METRIC, np.arange(7, 36))
    bias = np.array([-0.15, 0.1, -0.25, 0.05, 0.15, 0.0, 0.1])
    level = raw[:, None] / 7 + bias[None, :] + rng.normal(0, noise_sd, (len(metric), 7))
    return np.clip(np.rint(level), 1, 5).astype(np.int64)


def _metric(items: np.ndarray) -> np.ndarray:
    """SWEMWBS metric score of complete item rows (NaN when an item is blank)."""
    table = np.array(_SWEMWBS_METRIC)
    complete = (items > 0).all(axis=1)
    raw = np.where(complete, items.sum(axis=1), 7)
    return np.where(complete, table[raw - 7], np.nan)


def _simulate_wellbeing(
    rng: np.random.Generator, fam: dict[str, np.ndarray], n_sites: int
) -> dict[str, Any]:
    """SWEMWBS completions of NOREAM parent/carers (and some young people): baseline at
    enrolment, follow-up about six months later with attrition related to baseline."""
    p = PARAMETERS["wellbeing"]
    cut = _day(PARAMETERS["dates"]["data_cut"])
    site_effect = rng.normal(0.0, p["site_sd_metric"], n_sites)
    site_effect[0] = 0.0
    idx = np.flatnonzero(fam["noream"])
    m = len(idx)
    base_date = fam["enrolled"][idx] + rng.integers(0, 15, m)
    has_base = (rng.random(m) < p["baseline_completion"]) & (base_date <= cut)
    theta0 = (
        p["baseline_mean_metric"]
        + site_effect[fam["site"][idx]]
        + p["baseline_sd_metric"] * rng.standard_normal(m)
    )
    theta1 = theta0 + p["true_mean_gain_metric"] + p["gain_sd_metric"] * rng.standard_normal(m)
    w0, w1 = p["followup_window_days"]
    due = fam["enrolled"][idx] + p["followup_days"]
    eligible = has_base & (due + w1 <= cut)
    z = (theta0 - p["baseline_mean_metric"]) / p["baseline_sd_metric"]
    p_miss = 1 / (
        1 + np.exp(-(p["attrition_logit_intercept"] + p["attrition_logit_slope_per_sd"] * z))
    )
    follow = eligible & (rng.random(m) >= p_miss)
    fu_date = due + rng.integers(w0, w1 + 1, m)

    child = has_base & (fam["n_children"][idx] >= 2) & (rng.random(m) < p["child_share"])
    c_theta0 = p["child_baseline_mean_metric"] + p["baseline_sd_metric"] * rng.standard_normal(m)
    c_theta1 = (
        c_theta0 + p["child_true_mean_gain_metric"] + p["gain_sd_metric"] * (rng.standard_normal(m))
    )
    c_follow = child & follow & (rng.random(m) < 0.8)
    c_base_date = base_date + rng.integers(0, 4, m)
    c_fu_date = np.minimum(fu_date + rng.integers(0, 4, m), cut)

    parts = [
        (has_base, theta0, base_date, 0, 0),
        (follow, theta1, fu_date, 0, 1),
        (child, c_theta0, c_base_date, 1, 0),
        (c_follow, c_theta1, c_fu_date, 1, 1),
    ]
    rows: dict[str, list[np.ndarray]] = {
        k: [] for k in ("fam", "date", "respondent", "timepoint", "latent")
    }
    for mask, theta, date, respondent, timepoint in parts:
        rows["fam"].append(idx[mask])
        rows["date"].append(date[mask])
        rows["respondent"].append(np.full(int(mask.sum()), respondent))
        rows["timepoint"].append(np.full(int(mask.sum()), timepoint))
        rows["latent"].append(theta[mask])
    wb = {k: np.concatenate(v) for k, v in rows.items()}
    r = len(wb["fam"])
    wb["items"] = _swemwbs_items(rng, wb["latent"], p["item_noise_sd"])
    incomplete = rng.random(r) < p["incomplete_share"]
    blank_item = rng.integers(0, 7, r)
    wb["items"][np.flatnonzero(incomplete), blank_item[incomplete]] = 0
    second_blank = incomplete & (rng.random(r) < 0.3)
    wb["items"][np.flatnonzero(second_blank), (blank_item[second_blank] + 3) % 7] = 0
    wb["seconds"] = rng.integers(8 * 3600, 22 * 3600, r)
    order = np.lexsort((wb["seconds"], wb["date"]))
    wb = {k: v[order] for k, v in wb.items()}
    wb["id"] = 11_480_000 + np.cumsum(rng.integers(1, 40, r))

    parent = wb["respondent"] == 0
    metric = _metric(wb["items"])
    fam_base = np.full(int(fam["n"]), np.nan)
    fam_fu = np.full(int(fam["n"]), np.nan)
    lat_base = np.full(int(fam["n"]), np.nan)
    lat_fu = np.full(int(fam["n"]), np.nan)
    b = parent & (wb["timepoint"] == 0)
    f = parent & (wb["timepoint"] == 1)
    fam_base[wb["fam"][b]] = metric[b]
    fam_fu[wb["fam"][f]] = metric[f]
    lat_base[wb["fam"][b]] = wb["latent"][b]
    lat_fu[wb["fam"][f]] = wb["latent"][f]
    return {
        "rows": wb,
        "n_baseline": int(has_base.sum()),
        "n_eligible": int(eligible.sum()),
        "n_followup": int(follow.sum()),
        "fam_base": fam_base,
        "fam_fu": fam_fu,
        "lat_base": lat_base,
        "lat_fu": lat_fu,
        "eligible_fams": idx[eligible],
        "n_child": int(child.sum()),
    }


def _simulate_domains(
    rng: np.random.Generator, fam: dict[str, np.ndarray], exit_date: np.ndarray
) -> dict[str, Any]:
    p = PARAMETERS["domains"]
    cut = _day(PARAMETERS["dates"]["data_cut"])
    idx = np.flatnonzero(fam["noream"])
    m = len(idx)
    enrolled = fam["enrolled"][idx]
    ex = exit_date[idx]
    base_date = enrolled + rng.integers(0, 22, m)
    has_base = (rng.random(m) < p["baseline_share"]) & (base_date <= cut)
    has_base &= (ex == _NA) | (ex > base_date)
    r0, r1 = p["review_days"]
    rev_date = enrolled + rng.integers(r0, r1 + 1, m)
    has_rev = has_base & (rev_date <= cut) & ((ex == _NA) | (ex > rev_date))
    has_rev &= rng.random(m) < p["review_share"]
    exit_adate = ex - rng.integers(0, 8, m)
    prior = np.where(has_rev, rev_date, base_date)
    has_exit = has_base & (ex != _NA) & (exit_adate > prior + 14) & (exit_adate <= cut)
    has_exit &= rng.random(m) < p["exit_share"]

    means = np.array(list(p["baseline_mean"].values()))
    need = rng.normal(0.0, 0.6, m)
    base = np.clip(np.rint(means[None, :] + need[:, None] + rng.normal(0, 0.7, (m, 7))), 1, 5)
    dv, dp = np.array(p["review_change_values"]), p["review_change_probs"]
    review = np.clip(base + dv[_choose(rng, m * 7, dp).reshape(m, 7)], 1, 5)
    ev, ep = np.array(p["exit_change_values"]), p["exit_change_probs"]
    before_exit = np.where(has_rev[:, None], review, base)
    final = np.clip(before_exit + ev[_choose(rng, m * 7, ep).reshape(m, 7)], 1, 5)

    parts = [
        (has_base, base_date, base, 0),
        (has_rev, rev_date, review, 1),
        (has_exit, exit_adate, final, 2),
    ]
    da = {
        "fam": np.concatenate([idx[msk] for msk, *_ in parts]),
        "date": np.concatenate([d[msk] for msk, d, *_ in parts]),
        "scores": np.concatenate([s[msk] for msk, _, s, _ in parts]).astype(np.int64),
        "timepoint": np.concatenate([np.full(int(msk.sum()), t) for msk, *_, t in parts]),
    }
    order = np.lexsort((da["timepoint"], da["fam"], da["date"]))
    da = {k: v[order] for k, v in da.items()}
    return {
        "rows": da,
        "base": base[has_rev],
        "review": review[has_rev],
        "n_base": int(has_base.sum()),
        "n_review": int(has_rev.sum()),
        "n_exit": int(has_exit.sum()),
        "exit_final": final[has_exit],
        "exit_base": base[has_exit],
    }


def _simulate_staff(rng: np.random.Generator, sites: _Sites, people: _People) -> dict[str, Any]:
    p = PARAMETERS["staff"]
    lo, hi = p["per_site"]
    per_site = rng.integers(lo, hi + 1, sites.n)
    site = np.repeat(np.arange(sites.n), per_site)
    n = len(site)
    fi = people.staff_first[rng.integers(0, len(people.staff_first), n)]
    li = people.staff_last[rng.integers(0, len(people.staff_last), n)]
    name = people.first[fi] + " " + people.last[li]
    domain = np.array(["@" + s + ".council.example" for s in sites.slugs], dtype=_S)[site]
    base = people.first_slug[fi] + "." + people.last_slug[li] + domain
    # Make e-mail addresses unique by numbering repeats of the same address.
    _, inverse = np.unique(base, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    counts = np.bincount(inverse)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = _group_offsets(counts)
    local = people.first_slug[fi] + "." + people.last_slug[li]
    email = np.where(rank > 0, local + _strs(rank + 1) + domain, local + domain)

    directorate_levels = list(_DIRECTORATE)
    directorate = _choose(rng, n, (0.45, 0.15, 0.2, 0.07, 0.06, 0.03, 0.04))
    # roles: 0 SW, 1 senior practitioner, 2 team manager, 3 service manager,
    # 4 immigration advisor, 5 immigration adviser, 6 housing support, 7 other
    role_csc = _choose(rng, n, (0.35, 0.12, 0.08, 0.04, 0.05, 0.04, 0.14, 0.18))
    role_other = _choose(rng, n, (0.3, 0.0, 0.15, 0.05, 0.0, 0.0, 0.0, 0.5))
    role_housing = _choose(rng, n, (0.0, 0.0, 0.15, 0.05, 0.0, 0.0, 0.4, 0.4))
    role = np.where(
        directorate == 0, role_csc, np.where(directorate == 2, role_housing, role_other)
    )
    role_raw = _sarr(
        (
            "Social Worker",
            "Senior Practitioner",
            "Team Manager",
            "Service Manager",
            "Immigration Advisor",
            "Immigration Adviser",
            "Housing Support Worker",
            "Other",
        )
    )[role]
    present1 = rng.random(n) < p["present_wave1"]
    present2 = np.where(present1, rng.random(n) < p["stay_to_wave2"], True)
    resp1 = present1 & (rng.random(n) < p["respond_wave1"])
    resp2 = present2 & (rng.random(n) < p["respond_wave2"])
    person = rng.normal(0.0, p["person_sd"], n)
    effects = np.array(p["item_effects"])
    shift = np.array([p["wave2_shift_multi_agency"]] * 4 + [p["wave2_shift_coordination"]] * 4)

    rows: dict[str, list[np.ndarray]] = {"staff": [], "wave": []}
    for wave, resp in ((0, resp1), (1, resp2)):
        who = np.flatnonzero(resp)
        rows["staff"].append(who)
        rows["wave"].append(np.full(len(who), wave))
    st = {k: np.concatenate(v) for k, v in rows.items()}
    r = len(st["staff"])
    latent = (
        p["item_base"]
        + person[st["staff"]][:, None]
        + effects[None, :]
        + shift[None, :] * st["wave"][:, None]
        + rng.normal(0, p["noise_sd"], (r, 8))
    )
    st["items"] = np.clip(np.rint(latent), 1, 5).astype(np.int64)
    order = np.lexsort((st["staff"], st["wave"], site[st["staff"]]))
    st = {k: v[order] for k, v in st.items()}
    return {
        "rows": st,
        "site": site,
        "name": name,
        "name_index": (fi, li),
        "email": email,
        "directorate": directorate,
        "directorate_raw": _raw_codes(rng, directorate, directorate_levels, _DIRECTORATE),
        "role": role,
        "role_raw": role_raw,
        "n": n,
        "linked": int((resp1 & resp2).sum()),
    }


def _simulate_meetings(
    rng: np.random.Generator,
    fam: dict[str, np.ndarray],
    exit_date: np.ndarray,
    sites: _Sites,
    staff: dict[str, Any],
) -> dict[str, Any]:
    """Monthly SNACs per site (one or two months missed) and ad-hoc consultations."""
    p = PARAMETERS["meetings"]
    cut = _day(PARAMETERS["dates"]["data_cut"])
    starts, lengths, ym = _month_grid(*p["snac_months"])
    n_months = len(starts)
    dir_levels = list(_DIRECTORATE)
    p_start = np.array([1.0] + [p["directorate_prob_start"][d] for d in dir_levels[1:]])
    p_end = np.array([1.0] + [p["directorate_prob_end"][d] for d in dir_levels[1:]])
    agency_levels = list(_AGENCY_PROBS)
    agency_p = np.array(list(_AGENCY_PROBS.values()))
    managers = np.isin(staff["role"], (2, 3))
    meetings: list[dict[str, Any]] = []
    snac_held = 0
    missed_by_site: dict[str, list[str]] = {}
    for s in range(sites.n):
        fam_s = np.flatnonzero(fam["noream"] & (fam["site"] == s))
        staff_s = np.flatnonzero(staff["site"] == s)
        chairs = staff_s[managers[staff_s]]
        if len(chairs) == 0:
            chairs = staff_s
        k_missed = int(rng.integers(p["snac_missed_months"][0], p["snac_missed_months"][1] + 1))
        missed = set((1 + rng.choice(n_months - 1, k_missed, replace=False)).tolist())
        missed_by_site[sites.codes[s]] = sorted(f"{ym[i][0]}-{ym[i][1]:02d}" for i in missed)
        events: list[tuple[int, int, float]] = []  # (day, kind, time fraction)
        for i in range(n_months):
            y, mth = int(ym[i][0]), int(ym[i][1])
            if i not in missed:
                first = dt.date(y, mth, 1)
                day = first + dt.timedelta(days=(2 - first.weekday()) % 7 + 7)
                events.append(((day - _EPOCH).days, 0, i / (n_months - 1)))
                snac_held += 1
            if i == 0:
                continue
            k_cc = min(int(rng.poisson(p["consultations_per_month"])), int(lengths[i]))
            for d in np.sort(rng.choice(int(lengths[i]), k_cc, replace=False)):
                day_cc = int(starts[i] + d)
                if day_cc <= cut:
                    events.append((day_cc, 1, i / (n_months - 1)))
        events.sort()
        for day, kind, frac in events:
            open_ = fam_s[
                (fam["enrolled"][fam_s] <= day - 7)
                & ((exit_date[fam_s] == _NA) | (exit_date[fam_s] > day))
            ]
            n_cases = int(rng.integers(2, 7)) if kind == 0 else int(rng.integers(1, 3))
            cases = rng.choice(open_, min(n_cases, len(open_)), replace=False)
            probs = p_start + (p_end - p_start) * frac
            if kind == 1:
                probs = probs * 0.6
                probs[0] = 1.0
            dirs = np.flatnonzero(rng.random(len(probs)) < probs)
            ag_p = agency_p if kind == 0 else agency_p * 0.5
            ag_p = ag_p.copy()
            ag_p[0] = 1.0
            ags = np.flatnonzero(rng.random(len(ag_p)) < ag_p)
            chair = rng.choice(chairs)
            others = staff_s[staff_s != chair]
            minute = rng.choice(others) if len(others) else chair
            meetings.append(
                {
                    "site": s,
                    "day": day,
                    "kind": kind,
                    "cases": np.sort(cases),
                    "dirs": dirs,
                    "agencies": ags,
                    "chair": int(chair),
                    "minute": int(minute),
                    "frac": frac,
                }
            )
    return {
        "meetings": meetings,
        "snac_planned": n_months * sites.n,
        "snac_held": snac_held,
        "missed": missed_by_site,
        "agency_levels": agency_levels,
        "dir_levels": dir_levels,
    }


def _simulate_deliverables(
    rng: np.random.Generator, sites: _Sites, staff: dict[str, Any]
) -> list[dict[str, Any]]:
    cut = _day(PARAMETERS["dates"]["data_cut"])
    lead_pool = np.flatnonzero((staff["site"] == 0) & np.isin(staff["role"], (2, 3)))
    if len(lead_pool) == 0:
        lead_pool = np.flatnonzero(staff["site"] == 0)

    def lead() -> str:
        return str(staff["name"][int(rng.choice(lead_pool))])

    rows: list[dict[str, Any]] = [
        {
            "kind": "manual",
            "title": "NOREAM practice manual (open access)",
            "date": _day("2022-03-01") + int(rng.integers(0, 31)),
            "site": 0,
            "attendees": None,
            "las": None,
            "status": "published",
            "lead": lead(),
        }
    ]
    n_train = int(rng.integers(8, 13))
    train_days = np.sort(rng.integers(_day("2021-09-01"), cut + 1, n_train))
    for i, day in enumerate(train_days):
        planned = i == n_train - 1 and rng.random() < 0.5
        rows.append(
            {
                "kind": "training_session",
                "title": f"{_names.TRAINING_TITLES[i % len(_names.TRAINING_TITLES)]} "
                f"(session {i + 1})",
                "date": int(day) + (30 if planned else 0),
                "site": 0 if sites.n == 1 else int(rng.integers(0, sites.n)),
                "attendees": None if planned else int(rng.integers(12, 46)),
                "las": None if planned else int(rng.integers(1, 10)),
                "status": "planned" if planned else "complete",
                "lead": lead(),
            }
        )
    n_papers = int(rng.integers(2, 4))
    paper_days = np.sort(rng.integers(_day("2021-07-01"), cut, n_papers))
    for i in range(n_papers):
        published = i < n_papers - 1
        rows.append(
            {
                "kind": "working_paper",
                "title": _names.WORKING_PAPERS[i],
                "date": int(paper_days[i]) if published else _NA,
                "site": 0,
                "attendees": None,
                "las": None,
                "status": "published" if published else "in_progress",
                "lead": lead(),
            }
        )
    map_sites = list(range(sites.n))
    extra: list[tuple[str, str]] = []
    if sites.n == 1:
        extra = [
            (c, short)
            for c, _, short, _ in _names.LOCAL_AUTHORITIES
            if c in ("E09000014", "E09000019", "E09000025", "E09000030", "E09000031")
        ]
    statuses = ("published", "in_progress", "planned")
    for s in map_sites:
        status = "published" if s == 0 else statuses[int(_choose(rng, 1, (0.4, 0.45, 0.15))[0])]
        rows.append(
            {
                "kind": "map_strategy",
                "title": f"Migrant Aware Practice strategy - {sites.short[s]}",
                "date": int(rng.integers(_day("2021-10-01"), cut))
                if status == "published"
                else _NA,
                "site": sites.codes[s],
                "attendees": None,
                "las": None,
                "status": status,
                "lead": lead(),
            }
        )
    for code, short in extra:
        status = statuses[int(_choose(rng, 1, (0.4, 0.45, 0.15))[0])]
        rows.append(
            {
                "kind": "map_strategy",
                "title": f"Migrant Aware Practice strategy - {short}",
                "date": int(rng.integers(_day("2021-10-01"), cut))
                if status == "published"
                else _NA,
                "site": code,
                "attendees": None,
                "las": None,
                "status": status,
                "lead": lead(),
            }
        )
    for r in rows:
        if isinstance(r["site"], int):
            r["site"] = sites.codes[r["site"]]
    return rows


# --------------------------------------------------------------------------- tables


Table = dict[str, np.ndarray]


def _take(t: Table, idx: np.ndarray) -> Table:
    return {k: v[idx] for k, v in t.items()}


def _cat(parts: Sequence[Table]) -> Table:
    keys = parts[0].keys()
    return {k: np.concatenate([p[k] for p in parts]) for k in keys}


def _blank_rows(t: Table, n: int) -> Table:
    out: Table = {}
    for k, v in t.items():
        if v.dtype == _S:
            out[k] = np.full(n, "", dtype=_S)
        else:
            out[k] = np.zeros(n, dtype=v.dtype)
    out["_blank"] = np.ones(n, dtype=bool)
    return out


def _assemble(
    rng: np.random.Generator,
    clean: Table,
    rates: dict[str, float],
    render: Callable[[Table], Table],
    near: Callable[[np.random.Generator, Table], Table] | None,
    extras: Sequence[tuple[str, Table]] = (),
) -> tuple[Table, dict[str, int]]:
    """Add exact and near duplicates, blank rows and extra (invalid) rows to a clean table.

    Exact duplicates follow their original row; near duplicates, extra rows and blank
    rows are placed at random positions (blank rows never first or last).
    """
    n = len(clean["_blank"])
    rendered = render(clean)
    parts, keys = [rendered], [np.arange(n, dtype=float)]
    counts = {"clean_rows": n}
    n_exact = _count(rates.get("exact_duplicates", 0.0), n)
    idx = np.sort(rng.choice(n, n_exact, replace=False)) if n_exact else np.zeros(0, np.int64)
    parts.append(_take(rendered, idx))
    keys.append(idx + 0.5)
    counts["exact_duplicates"] = n_exact
    n_near = _count(rates.get("near_duplicates", 0.0), n) if near is not None else 0
    if n_near:
        idx = rng.choice(n, n_near, replace=False)
        parts.append(render(near(rng, _take(clean, idx))))
        keys.append(rng.uniform(0, n, n_near))
    counts["near_duplicates"] = n_near
    for name, extra in extras:
        k = len(extra["_blank"])
        counts[name] = counts.get(name, 0) + k
        parts.append(extra)
        keys.append(rng.uniform(0, n, k))
    n_blank = _count(rates.get("blank_rows", 0.0), n) if n >= 2 else 0
    if n_blank:
        parts.append(_blank_rows(rendered, n_blank))
        keys.append(rng.uniform(1, n - 1, n_blank))
    counts["blank_rows"] = n_blank
    out = _cat(parts)
    order = np.argsort(np.concatenate(keys), kind="stable")
    return _take(out, order), counts


def _extra_rows(rng: np.random.Generator, rendered: Table, k: int) -> Table:
    n = len(rendered["_blank"])
    if n == 0 or k == 0:
        return _take(rendered, np.zeros(0, dtype=np.int64))
    return _take(rendered, rng.integers(0, n, k))


# ---------------------------------------------------------------------------- files


def _write_csv(
    path: pathlib.Path,
    header: Sequence[str],
    chunks: Iterable[Table],
    *,
    encoding: str,
    bom: bool = False,
    trailer: Callable[[], Sequence[str]] | None = None,
) -> None:
    """Write a CSV as Excel would: CRLF line ends, minimal quoting.

    ``trailer`` is called after the last chunk and gives a final row (e.g. a Total row).
    """
    with open(path, "wb") as fh:
        if bom:
            fh.write(codecs.BOM_UTF8)
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(header)
        for chunk in chunks:
            columns = [chunk[h].tolist() for h in header]
            writer.writerows(zip(*columns, strict=True))
            fh.write(buf.getvalue().encode(encoding))
            buf.seek(0)
            buf.truncate()
        if trailer is not None:
            writer.writerow(trailer())
        fh.write(buf.getvalue().encode(encoding))


_REFERRAL_HEADER = (
    "Referral No",
    "Family Ref",
    "LA Code",
    "Date of Referral",
    "Parent/Carer Name",
    "Parent DOB",
    "Contact Number",
    "NI Number",
    "Home Office Ref",
    "Postcode",
    "Referral Source",
    "Referral Outcome",
)
# Cell kinds in the referrals workbook.
_CELL_DATE, _CELL_NUMBER, _CELL_TEXT = 0, 1, 2


def _write_referrals_xlsx(path: pathlib.Path, council: str, table: Table) -> None:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    wb.set_properties(
        {
            "title": f"{council} - NRPF Team referrals export",
            "author": "NRPF Team",
            "created": _CREATED,
        }
    )
    ws = wb.add_worksheet("Referrals")
    bold = wb.add_format({"bold": True})
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    widths = (12, 14, 11, 15, 28, 12, 15, 15, 15, 10, 18, 18)
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    ws.write_string(0, 0, f"{council} - NRPF Team referrals export", bold)
    ws.write_string(1, 0, "Exported 30/06/2022")
    for c, h in enumerate(_REFERRAL_HEADER):
        ws.write_string(2, c, h, bold)
    cols = [table[h].tolist() for h in _REFERRAL_HEADER]
    kinds = {3: table["_cell:Date of Referral"].tolist(), 5: table["_cell:Parent DOB"].tolist()}
    nums = {3: table["_num:Date of Referral"].tolist(), 5: table["_num:Parent DOB"].tolist()}
    blank = table["_blank"].tolist()
    n = len(blank)
    for i in range(n):
        if blank[i]:
            continue
        r = i + 3
        for c in range(len(cols)):
            if c in kinds and kinds[c][i] != _CELL_TEXT:
                value = float(nums[c][i])
                if kinds[c][i] == _CELL_DATE:
                    ws.write_number(r, c, value, date_fmt)
                else:
                    ws.write_number(r, c, value)
                continue
            text = cols[c][i]
            if text:
                ws.write_string(r, c, text)
    ws.write_string(n + 3, 0, "Total", bold)
    ws.write_number(n + 3, 1, float(n - sum(blank)), bold)
    wb.close()


def _families_file(
    rng: np.random.Generator,
    fam: dict[str, np.ndarray],
    pay: dict[str, Any],
    history_lost: np.ndarray,
    sites: _Sites,
    people: _People,
    width: int,
) -> tuple[Table, dict[str, int]]:
    n = int(fam["n"])
    order = np.lexsort((fam["number"], fam["site"]))
    exit_date = pay["exit_date"]
    reason = pay["exit_reason"]
    reason_raw = np.full(n, "", dtype=_S)
    ok = reason >= 0
    reason_raw[ok] = _raw_codes(rng, reason[ok], pay["reason_levels"], _EXIT)
    attack = _day(PARAMETERS["history"]["cyberattack"])
    t: Table = {
        "_num": fam["number"],
        "_ref": np.zeros(n, dtype=np.int64),
        "_fc": fam["first_contact"],
        "_fckind": _csv_date_kinds(rng, n),
        "_enkind": _csv_date_kinds(rng, n),
        "_exkind": _csv_date_kinds(rng, n),
        "_blank": np.zeros(n, dtype=bool),
        "LA Code": np.array(sites.codes, dtype=_S)[fam["site"]],
        "Cohort": _raw_codes(
            rng, fam["noream"].astype(np.int64), ["comparison", "noream"], _COHORT
        ),
        "Closure Reason": reason_raw,
        "No. of Children": _strs(fam["n_children"]),
        "Youngest Child DOB": _fmt_dates(fam["youngest_dob"]),
        "Immigration Status": fam["immigration_raw"].copy(),
        "History Complete From": np.where(history_lost, _fmt_dates(np.full(n, attack)), ""),
        "Parent/Carer Name": people.full(fam["first_name"], fam["surname"]),
        "Parent DOB": _fmt_dates(fam["parent_dob"]),
        "Phone": fam["phone"],
        "NI Number": fam["ni"],
        "HO Reference": fam["ho_ref"],
        "Postcode": fam["postcode"],
        "_en": fam["enrolled"],
        "_ex": exit_date,
    }
    t = _take(t, order)
    rates = MESS_RATES["families"]
    # Unknown immigration codes and "TBC" closure dates are written into clean rows.
    k_unknown = _count(rates["unknown_codes"], n)
    u_idx = rng.choice(n, k_unknown, replace=False)
    t["Immigration Status"][u_idx] = _sarr(_UNKNOWN_IMMIGRATION)[rng.integers(0, 2, k_unknown)]
    open_rows = np.flatnonzero(t["_ex"] == _NA)
    k_tbc = min(_count(rates["unparseable_dates"], n), len(open_rows))
    tbc = rng.choice(open_rows, k_tbc, replace=False)
    t["_tbc"] = np.zeros(n, dtype=bool)
    t["_tbc"][tbc] = True

    def render(x: Table) -> Table:
        x = dict(x)
        x["Family Ref"] = _fmt_refs(x["_num"], x["_ref"], width)
        x["First Contact"] = _fmt_dates(x["_fc"], x["_fckind"])
        x["Date Enrolled"] = _fmt_dates(x["_en"], x["_enkind"])
        x["Date Closed"] = np.where(x["_tbc"], "TBC", _fmt_dates(x["_ex"], x["_exkind"]))
        return x

    def near(r: np.random.Generator, x: Table) -> Table:
        x = dict(x)
        x["_ref"] = _REF_OTHER[x["_ref"], r.integers(0, 3, len(x["_ref"]))]
        x["_fckind"] = _other_date_kind(r, x["_fckind"])
        x["Cohort"] = _cosmetic(r, x["Cohort"])
        return x

    table, counts = _assemble(rng, t, rates, render, near)
    counts["unknown_codes"] = k_unknown
    counts["unparseable_dates"] = k_tbc
    counts["invalid_rows"] = 0
    counts["total_rows"] = 0
    return table, counts


def _referral_tables(
    rng: np.random.Generator,
    fam: dict[str, np.ndarray],
    ref: dict[str, np.ndarray],
    sites: _Sites,
    people: _People,
) -> Table:
    """The clean exported referrals (all sites), with hidden columns for rendering."""
    keep = np.flatnonzero(ref["exported"])
    f = ref["fam"][keep]
    m = len(keep)
    order = np.lexsort((ref["id"][keep], fam["site"][f]))
    keep, f = keep[order], f[order]
    date_kind = _choose(rng, m, _XLSX_DATE_PROBS)
    dob_cell = np.where(rng.random(m) < 0.3, _CELL_DATE, _CELL_TEXT)
    t: Table = {
        "_site": fam["site"][f],
        "_id": ref["id"][keep],
        "_num": fam["number"][f],
        "_ref": _ref_kinds(rng, m),
        "_date": ref["date"][keep],
        "_datekind": date_kind,
        "_dob": fam["parent_dob"][f],
        "_cell:Parent DOB": dob_cell,
        "_num:Parent DOB": (fam["parent_dob"][f] + _SERIAL_OFFSET).astype(np.int64),
        "_blank": np.zeros(m, dtype=bool),
        "LA Code": np.array(sites.codes, dtype=_S)[fam["site"][f]],
        "Parent/Carer Name": people.full(fam["first_name"][f], fam["surname"][f]),
        "Contact Number": np.where(rng.random(m) < 0.92, fam["phone"][f], ""),
        "NI Number": fam["ni"][f],
        "Home Office Ref": fam["ho_ref"][f],
        "Postcode": fam["postcode"][f],
        "Referral Source": ref["source_raw"][keep].copy(),
        "Referral Outcome": ref["outcome_raw"][keep],
    }
    t["Parent DOB"] = np.where(dob_cell == _CELL_TEXT, _fmt_dates(t["_dob"]), "")
    return t


def _render_referrals(width: int) -> Callable[[Table], Table]:
    def render(x: Table) -> Table:
        x = dict(x)
        x["Referral No"] = "R" + np.strings.zfill(_strs(x["_id"]), 7)
        x["Family Ref"] = _fmt_refs(x["_num"], x["_ref"], width)
        k = x["_datekind"]
        text_kind = np.select([k == 1, k == 2, k == 3], [_DMY, _SHORT, _ISO], _DMY)
        x["Date of Referral"] = np.where((k >= 1) & (k <= 3), _fmt_dates(x["_date"], text_kind), "")
        x["_cell:Date of Referral"] = np.select(
            [k == 0, k == 4], [_CELL_DATE, _CELL_NUMBER], _CELL_TEXT
        )
        x["_num:Date of Referral"] = x["_date"] + _SERIAL_OFFSET
        return x

    return render


def _near_referrals(r: np.random.Generator, x: Table) -> Table:
    x = dict(x)
    x["_ref"] = _REF_OTHER[x["_ref"], r.integers(0, 3, len(x["_ref"]))]
    x["_datekind"] = (x["_datekind"] + r.integers(1, 5, len(x["_ref"]))) % 5
    which = r.random(len(x["_ref"])) < 0.5
    x["Referral Source"] = np.where(which, _cosmetic(r, x["Referral Source"]), x["Referral Source"])
    x["Referral Outcome"] = np.where(
        ~which, _cosmetic(r, x["Referral Outcome"]), x["Referral Outcome"]
    )
    return x


def _mess_referrals(
    rng: np.random.Generator, t: Table, width: int, next_id: list[int]
) -> tuple[Table, dict[str, int]]:
    """Mess for one site's referrals workbook."""
    rates = MESS_RATES["referrals"]
    n = len(t["_blank"])
    render = _render_referrals(width)
    k_bad = _count(rates["unparseable_dates"], n)
    bad = _extra_rows(rng, t, k_bad)
    bad["_id"] = next_id[0] + np.arange(len(bad["_id"]))
    next_id[0] += len(bad["_id"])
    bad = render(bad)
    bad["Date of Referral"] = _sarr(_BAD_DATES)[rng.integers(0, 3, len(bad["_id"]))]
    bad["_cell:Date of Referral"] = np.full(len(bad["_id"]), _CELL_TEXT)
    # Unknown codes go into clean rows only (after the extra rows were copied).
    k_unknown = _count(rates["unknown_codes"], n)
    t = dict(t)
    t["Referral Source"] = t["Referral Source"].copy()
    u_idx = rng.choice(n, k_unknown, replace=False) if k_unknown else np.zeros(0, np.int64)
    t["Referral Source"][u_idx] = _sarr(_UNKNOWN_SOURCES)[rng.integers(0, 3, k_unknown)]
    table, counts = _assemble(rng, t, rates, render, _near_referrals, [("unparseable_dates", bad)])
    counts["unknown_codes"] = k_unknown
    counts["invalid_rows"] = counts.get("unparseable_dates", 0)
    counts.setdefault("unparseable_dates", 0)
    counts["total_rows"] = 1
    return table, counts


_PAYMENT_HEADER = (
    "Transaction ID",
    "Date Paid",
    "Client Ref",
    "Payee Name",
    "Payee Postcode",
    "Budget Code",
    "Payment Type",
    "Amount",
)


def _payment_ledger(fam: dict[str, np.ndarray], pays: dict[str, np.ndarray]) -> Table:
    """Clean payments ordered by site, then transaction ID (numeric columns only)."""
    m = len(pays["fam"])
    # Payments come in ledger order (date, family, type): transaction IDs follow it.
    ids = 10_000 + np.arange(m)
    order = np.lexsort((ids, fam["site"][pays["fam"]]))
    return {
        "site": fam["site"][pays["fam"]][order],
        "fam": pays["fam"][order],
        "id": ids[order],
        "type": pays["type"][order],
        "scheme": pays["scheme"][order],
        "date": pays["date"][order],
        "pence": pays["pence"][order],
        "provider": pays["provider"][order],
    }


def _payment_table(
    rng: np.random.Generator,
    fam: dict[str, np.ndarray],
    ledger: Table,
    people: _People,
) -> Table:
    """Raw payment rows (with hidden columns for rendering) for a part of the ledger."""
    m = len(ledger["fam"])
    f = ledger["fam"]
    ptype, scheme, date = ledger["type"], ledger["scheme"], ledger["date"]
    pence = ledger["pence"]
    providers = ledger["provider"]
    attack = _day(PARAMETERS["history"]["cyberattack"])
    s17_old = _sarr(("S17", "Section 17"))[_choose(rng, m, (0.7, 0.3))]
    s17_new = _sarr(("CSC S17 NRPF", "s.17 support", "Section 17"))[
        _choose(rng, m, (0.75, 0.15, 0.1))
    ]
    grant_code = _sarr(("NOREAM Flexi Grant", "NOREAM grant", "Flexible grant"))[
        _choose(rng, m, (0.7, 0.2, 0.1))
    ]
    budget = np.where(scheme == 1, grant_code, np.where(date < attack, s17_old, s17_new))
    type_raw = np.select(
        [ptype == 0, ptype == 1, ptype == 2],
        [
            _sarr(("Accommodation", "B&B", "Rent"))[_choose(rng, m, (0.6, 0.2, 0.2))],
            _sarr(("Subsistence", "Weekly subsistence"))[_choose(rng, m, (0.7, 0.3))],
            _sarr(("Flexi grant", "Grant"))[_choose(rng, m, (0.6, 0.4))],
        ],
        _sarr(("Other",))[np.zeros(m, dtype=np.int64)],
    )
    prov_name = _sarr(p[0] for p in _names.PROVIDERS)[providers]
    prov_pc = _sarr(p[1] for p in _names.PROVIDERS)[providers]
    parent = people.full(fam["first_name"][f], fam["surname"][f], cp1252=True)
    return {
        "_fam": f,
        "_id": ledger["id"],
        "_num": fam["number"][f],
        "_ref": _ref_kinds(rng, m),
        "_date": date,
        "_datekind": _csv_date_kinds(rng, m),
        "_pence": pence,
        "_amtkind": _money_kinds(rng, pence),
        "_blank": np.zeros(m, dtype=bool),
        "_bad_amount": np.zeros(m, dtype=bool),
        "Payee Name": np.where(ptype == 0, prov_name, parent),
        "Payee Postcode": np.where(ptype == 0, prov_pc, fam["postcode"][f]),
        "Budget Code": budget,
        "Payment Type": type_raw,
    }


def _render_payments(width: int) -> Callable[[Table], Table]:
    def render(x: Table) -> Table:
        x = dict(x)
        x["Transaction ID"] = "T" + np.strings.zfill(_strs(x["_id"]), 8)
        x["Client Ref"] = _fmt_refs(x["_num"], x["_ref"], width)
        x["Date Paid"] = _fmt_dates(x["_date"], x["_datekind"])
        x["Amount"] = np.where(x["_bad_amount"], "N/A", _fmt_money(x["_pence"], x["_amtkind"]))
        return x

    return render


def _near_payments(r: np.random.Generator, x: Table) -> Table:
    x = dict(x)
    k = len(x["_ref"])
    x["_ref"] = _REF_OTHER[x["_ref"], r.integers(0, 3, k)]
    x["_amtkind"] = _other_money_kind(r, x["_amtkind"])
    x["_datekind"] = np.where(
        r.random(k) < 0.5, _other_date_kind(r, x["_datekind"]), x["_datekind"]
    )
    x["Budget Code"] = np.where(r.random(k) < 0.5, _cosmetic(r, x["Budget Code"]), x["Budget Code"])
    return x


def _mess_payments(
    rng: np.random.Generator,
    t: Table,
    width: int,
    next_id: list[int],
    all_numbers: np.ndarray,
) -> tuple[Table, dict[str, int]]:
    rates = MESS_RATES["payments"]
    n = len(t["_blank"])
    render = _render_payments(width)

    def extra(k: int) -> Table:
        x = _extra_rows(rng, t, k)
        x["_id"] = next_id[0] + np.arange(len(x["_id"]))
        next_id[0] += len(x["_id"])
        return x

    bad_date = render(extra(_count(rates["unparseable_dates"], n)))
    bad_date["Date Paid"] = _sarr(_BAD_DATES)[rng.integers(0, 3, len(bad_date["_id"]))]
    bad_amount = extra(_count(rates["unparseable_amounts"], n))
    bad_amount["_bad_amount"] = np.ones(len(bad_amount["_id"]), dtype=bool)
    bad_amount = render(bad_amount)
    typo = extra(_count(rates["unmatched_refs"], n))
    typo["_num"] = _typo_numbers(rng, typo["_num"], all_numbers)
    typo = render(typo)
    # Unknown codes go into clean rows only (after the extra rows were copied).
    t = dict(t)
    k_unknown = _count(rates["unknown_codes"], n)
    u_idx = rng.choice(n, k_unknown, replace=False) if k_unknown else np.zeros(0, np.int64)
    t["Payment Type"] = t["Payment Type"].copy()
    t["Payment Type"][u_idx] = _sarr(_UNKNOWN_PAYMENT_TYPES)[rng.integers(0, 2, k_unknown)]
    table, counts = _assemble(
        rng,
        t,
        rates,
        render,
        _near_payments,
        [
            ("unparseable_dates", bad_date),
            ("unparseable_amounts", bad_amount),
            ("unmatched_refs", typo),
        ],
    )
    counts["unknown_codes"] = k_unknown
    return table, counts


def _typo_numbers(
    rng: np.random.Generator, nums: np.ndarray, all_numbers: np.ndarray
) -> np.ndarray:
    """Mistyped family numbers that match no family."""
    out = nums.copy()
    todo = np.ones(len(out), dtype=bool)
    for _ in range(50):
        if not todo.any():
            break
        k = int(todo.sum())
        cand = nums[todo] + rng.choice([-1, 1], k) * rng.integers(1, 10, k) * 10 ** rng.integers(
            0, 3, k
        )
        cand = np.where(rng.random(k) < 0.3, nums[todo] * 10 + rng.integers(0, 10, k), cand)
        good = (cand > 0) & ~np.isin(cand, all_numbers)
        pos = np.flatnonzero(todo)
        out[pos[good]] = cand[good]
        todo[pos[good]] = False
    out[todo] = all_numbers.max() + 1000 + np.arange(int(todo.sum()))
    return out


def _domain_file(
    rng: np.random.Generator,
    fam: dict[str, np.ndarray],
    dom: dict[str, Any],
    people: _People,
    width: int,
) -> tuple[Table, dict[str, int]]:
    rows = dom["rows"]
    f = rows["fam"]
    m = len(f)
    order = np.lexsort((rows["timepoint"], rows["date"], fam["number"][f], fam["site"][f]))
    rows = {k: v[order] for k, v in rows.items()}
    f = rows["fam"]
    scores = rows["scores"].copy()
    rates = MESS_RATES["domain_assessments"]
    k_oor = _count(rates["out_of_range_scores"], m * 7)
    cells = rng.choice(m * 7, k_oor, replace=False) if m else np.zeros(0, np.int64)
    scores.reshape(-1)[cells] = np.array([0, 6, 9])[rng.integers(0, 3, k_oor)]
    t: Table = {
        "_num": fam["number"][f],
        "_ref": _ref_kinds(rng, m),
        "_date": rows["date"],
        "_datekind": _csv_date_kinds(rng, m),
        "_blank": np.zeros(m, dtype=bool),
        "Family Name": people.full(fam["first_name"][f], fam["surname"][f]),
        "Review Point": _raw_codes(rng, rows["timepoint"], list(_TIMEPOINT_DA), _TIMEPOINT_DA),
    }
    for j, (header, _) in enumerate(_DOMAINS):
        t[header] = _strs(scores[:, j])

    def render(x: Table) -> Table:
        x = dict(x)
        x["Family Ref"] = _fmt_refs(x["_num"], x["_ref"], width)
        x["Assessment Date"] = _fmt_dates(x["_date"], x["_datekind"])
        return x

    def near(r: np.random.Generator, x: Table) -> Table:
        x = dict(x)
        k = len(x["_ref"])
        x["_ref"] = _REF_OTHER[x["_ref"], r.integers(0, 3, k)]
        x["_datekind"] = np.where(
            r.random(k) < 0.5, _other_date_kind(r, x["_datekind"]), x["_datekind"]
        )
        x["Review Point"] = _cosmetic(r, x["Review Point"])
        return x

    # Planned reviews with no date yet ("TBC") and no scores.
    k_bad = _count(rates["unparseable_dates"], m)
    bad = render(_extra_rows(rng, t, k_bad))
    kb = len(bad["_num"])
    bad["Assessment Date"] = np.full(kb, "TBC", dtype=_S)
    bad["Review Point"] = _sarr(("Review", "6 month review"))[rng.integers(0, 2, kb)]
    for header, _ in _DOMAINS:
        bad[header] = np.full(kb, "", dtype=_S)
    table, counts = _assemble(rng, t, rates, render, near, [("unparseable_dates", bad)])
    counts["out_of_range_scores"] = k_oor
    counts["invalid_rows"] = counts["unparseable_dates"]
    counts["total_rows"] = 0
    return table, counts


def _likert_cells(
    rng: np.random.Generator, values: np.ndarray, labels: Sequence[str], rate: float
) -> tuple[list[np.ndarray], int]:
    """Item columns as text labels (0 = blank), with case/space noise in a share of cells."""
    _, k = values.shape
    lab = _sarr(("", *labels))
    cols = [lab[values[:, j]] for j in range(k)]
    filled = np.flatnonzero((values > 0).reshape(-1))
    n_noise = _count(rate, len(filled))
    cells = rng.choice(filled, n_noise, replace=False) if n_noise else np.zeros(0, np.int64)
    rows, colidx = np.divmod(cells, k)
    for j in range(k):
        sel = rows[colidx == j]
        cols[j][sel] = _cosmetic(rng, cols[j][sel])
    return cols, n_noise


def _wellbeing_file(
    rng: np.random.Generator,
    fam: dict[str, np.ndarray],
    wb: dict[str, Any],
    people: _People,
    width: int,
) -> tuple[Table, dict[str, int]]:
    rows = wb["rows"]
    f = rows["fam"]
    r = len(f)
    rates = MESS_RATES["wellbeing_survey"]
    items, n_noise = _likert_cells(rng, rows["items"], _SWEMWBS_LABELS, rates["likert_noise"])
    child = rows["respondent"] == 1
    cfi, _ = people.draw(rng, r)
    parent_name = people.full(fam["first_name"][f], fam["surname"][f])
    child_name = people.first[cfi] + " " + people._surname(fam["surname"][f], people.last, "-")
    name = np.where(child, child_name, parent_name)
    name = np.where(rng.random(r) < 0.65, name, "")
    email = people.email(
        fam["first_name"][f], fam["surname"][f], fam["email_tail"][f], "@example.com"
    )
    email = np.where((rng.random(r) < 0.55) & ~child, email, "")
    secs = rows["seconds"]
    clock = (
        np.strings.zfill(_strs(secs // 3600), 2)
        + ":"
        + np.strings.zfill(_strs(secs // 60 % 60), 2)
        + ":"
        + np.strings.zfill(_strs(secs % 60), 2)
    )
    t: Table = {
        "_num": fam["number"][f],
        "_ref": _ref_kinds(rng, r),
        "_blank": np.zeros(r, dtype=bool),
        "Response ID": _strs(rows["id"]),
        "Submitted At": _fmt_dates(rows["date"], _ISO) + " " + clock,
        "Survey": _raw_codes(rng, rows["timepoint"], list(_TIMEPOINT_WB), _TIMEPOINT_WB),
        "Respondent": _raw_codes(rng, rows["respondent"], list(_RESPONDENT), _RESPONDENT),
        "Your name (optional)": name,
        "Email": email,
    }
    for header, col in zip(_SWEMWBS_ITEMS, items, strict=True):
        t[header] = col

    def render(x: Table) -> Table:
        x = dict(x)
        x["Family Ref"] = _fmt_refs(x["_num"], x["_ref"], width)
        return x

    def near(rr: np.random.Generator, x: Table) -> Table:
        x = dict(x)
        k = len(x["_ref"])
        x["_ref"] = _REF_OTHER[x["_ref"], rr.integers(0, 3, k)]
        j = rr.integers(0, 7, k)
        for jj, header in enumerate(_SWEMWBS_ITEMS):
            sel = (j == jj) & (x[header] != "")
            x[header] = x[header].copy()
            x[header][sel] = _cosmetic(rr, x[header][sel])
        return x

    table, counts = _assemble(rng, t, rates, render, near)
    counts["likert_noisy_cells"] = n_noise
    counts["blank_items"] = int((rows["items"] == 0).sum())
    counts["incomplete_completions"] = int((rows["items"] == 0).any(axis=1).sum())
    counts["invalid_rows"] = 0
    counts["total_rows"] = 0
    return table, counts


def _staff_file(rng: np.random.Generator, staff: dict[str, Any]) -> tuple[Table, dict[str, int]]:
    rows = staff["rows"]
    who = rows["staff"]
    r = len(who)
    rates = MESS_RATES["staff_survey"]
    items, n_noise = _likert_cells(rng, rows["items"], _AGREE_LABELS, rates["likert_noise"])
    t: Table = {
        "_blank": np.zeros(r, dtype=bool),
        "Name": staff["name"][who],
        "Email": staff["email"][who],
        "Job Role": staff["role_raw"][who],
        "Directorate": staff["directorate_raw"][who],
        "Wave": _raw_codes(rng, rows["wave"], list(_WAVE), _WAVE),
    }
    for header, col in zip(_STAFF_ITEMS, items, strict=True):
        t[header] = col

    def near(rr: np.random.Generator, x: Table) -> Table:
        x = dict(x)
        x["Job Role"] = _cosmetic(rr, x["Job Role"])
        return x

    table, counts = _assemble(rng, t, rates, dict, near)
    counts["likert_noisy_cells"] = n_noise
    counts["invalid_rows"] = 0
    counts["total_rows"] = 0
    return table, counts


def _list_text(rng: np.random.Generator, items: list[str]) -> str:
    """A ';'-separated list with inconsistent spacing and case."""
    out = []
    for item in items:
        u = rng.random()
        if u < 0.12:
            item = item.lower()
        elif u < 0.18:
            item = item.upper()
        if rng.random() < 0.3:
            item = " " + item
        if rng.random() < 0.3:
            item = item + " "
        out.append(item)
    return ";".join(out)


def _meetings_file(
    rng: np.random.Generator,
    fam: dict[str, np.ndarray],
    meet: dict[str, Any],
    sites: _Sites,
    staff: dict[str, Any],
    width: int,
    n_sites: int,
) -> tuple[Table, dict[str, int]]:
    rows = meet["meetings"]
    m = len(rows)
    agency_raw = {lvl: _AGENCY[lvl] for lvl in meet["agency_levels"]}
    dir_raw = {lvl: _DIRECTORATE[lvl] for lvl in meet["dir_levels"]}
    refs, types, ags, dirs, chairs, minutes = [], [], [], [], [], []
    days = np.array([x["day"] for x in rows], dtype=np.int64)
    for x in rows:
        d = _EPOCH + dt.timedelta(days=int(x["day"]))
        prefix = "" if n_sites == 1 else f"{sites.codes[x['site']]}-"
        if x["kind"] == 0:
            refs.append(f"SNAC-{prefix}{d.year}-{d.month:02d}")
            types.append(
                "SNAC" if rng.random() < 0.8 else "Statutory Neglect Assessment Conference"
            )
        else:
            refs.append(f"CC-{prefix}{d.year}-{d.month:02d}{d.day:02d}")
            types.append("Case consultation" if rng.random() < 0.7 else "Consultation")
        ag_names = []
        for a in x["agencies"]:
            raw, probs = agency_raw[meet["agency_levels"][a]]
            ag_names.append(raw[int(_choose(rng, 1, probs)[0])])
        dr_names = []
        for a in x["dirs"]:
            raw, probs = dir_raw[meet["dir_levels"][a]]
            dr_names.append(raw[int(_choose(rng, 1, probs)[0])])
        ags.append(_list_text(rng, ag_names))
        dirs.append(_list_text(rng, dr_names))
        chairs.append(str(staff["name"][x["chair"]]))
        minutes.append(str(staff["name"][x["minute"]]))
    case_lists = []
    for x in rows:
        nums = fam["number"][x["cases"]]
        kinds = _ref_kinds(rng, len(nums), 0.35)
        texts = _fmt_refs(nums, kinds, width).tolist()
        sep = "; " if rng.random() < 0.5 else ";"
        case_lists.append(sep.join(texts))
    t: Table = {
        "_blank": np.zeros(m, dtype=bool),
        "_date": days,
        "_datekind": _csv_date_kinds(rng, m),
        "Meeting Ref": _sarr(refs),
        "Meeting Type": _sarr(types),
        "Chair": _sarr(chairs),
        "Minute Taker": _sarr(minutes),
        "Agencies Present": _sarr(ags),
        "Directorates Present": _sarr(dirs),
        "Cases Discussed": _sarr(case_lists),
    }

    def render(x: Table) -> Table:
        x = dict(x)
        x["Date"] = _fmt_dates(x["_date"], x["_datekind"])
        return x

    def near(rr: np.random.Generator, x: Table) -> Table:
        x = dict(x)
        x["_datekind"] = _other_date_kind(rr, x["_datekind"])
        x["Meeting Type"] = _cosmetic(rr, x["Meeting Type"])
        return x

    table, counts = _assemble(rng, t, MESS_RATES["meetings"], render, near)
    counts["invalid_rows"] = 0
    counts["total_rows"] = 0
    return table, counts


def _deliverables_file(
    rng: np.random.Generator, rows: list[dict[str, Any]]
) -> tuple[Table, dict[str, int]]:
    m = len(rows)
    width = max(2, len(str(m)))
    kind_raw = {
        "manual": ("Manual", "Practice manual"),
        "training_session": ("Training", "Training session"),
        "working_paper": ("Working paper", "Article"),
        "map_strategy": ("MAP strategy", "Migrant Aware Practice strategy"),
    }
    status_raw = {
        "published": ("Published",),
        "complete": ("Delivered", "Complete"),
        "in_progress": ("In progress", "Drafting"),
        "planned": ("Planned",),
    }
    kinds, statuses = [], []
    for x in rows:
        opts = kind_raw[x["kind"]]
        kinds.append(opts[int(rng.integers(0, len(opts)))])
        opts = status_raw[x["status"]]
        statuses.append(opts[int(rng.integers(0, len(opts)))])
    t: Table = {
        "_blank": np.zeros(m, dtype=bool),
        "ID": _sarr(f"D{i + 1:0{width}d}" for i in range(m)),
        "Type": _sarr(kinds),
        "Title": _sarr(x["title"] for x in rows),
        "Date": _fmt_dates(
            np.array([x["date"] for x in rows], dtype=np.int64), _csv_date_kinds(rng, m)
        ),
        "LA Code": _sarr(x["site"] for x in rows),
        "Attendees": _sarr("" if x["attendees"] is None else str(x["attendees"]) for x in rows),
        "LAs Reached": _sarr("" if x["las"] is None else str(x["las"]) for x in rows),
        "Status": _sarr(statuses),
        "Lead Officer": _sarr(x["lead"] for x in rows),
    }
    table, counts = _assemble(rng, t, MESS_RATES["deliverables"], dict, None)
    counts["invalid_rows"] = 0
    counts["total_rows"] = 0
    return table, counts


_FAMILY_HEADER = (
    "Family Ref",
    "LA Code",
    "Cohort",
    "First Contact",
    "Date Enrolled",
    "Date Closed",
    "Closure Reason",
    "Parent/Carer Name",
    "Parent DOB",
    "Phone",
    "NI Number",
    "HO Reference",
    "Postcode",
    "No. of Children",
    "Youngest Child DOB",
    "Immigration Status",
    "History Complete From",
)
_DOMAIN_HEADER = (
    "Family Ref",
    "Family Name",
    "Assessment Date",
    "Review Point",
    *(h for h, _ in _DOMAINS),
)
_WELLBEING_HEADER = (
    "Response ID",
    "Submitted At",
    "Survey",
    "Family Ref",
    "Respondent",
    "Your name (optional)",
    "Email",
    *_SWEMWBS_ITEMS,
)
_STAFF_HEADER = ("Name", "Email", "Job Role", "Directorate", "Wave", *_STAFF_ITEMS)
_MEETING_HEADER = (
    "Meeting Ref",
    "Date",
    "Meeting Type",
    "Chair",
    "Minute Taker",
    "Agencies Present",
    "Directorates Present",
    "Cases Discussed",
)
_DELIVERABLE_HEADER = (
    "ID",
    "Type",
    "Title",
    "Date",
    "LA Code",
    "Attendees",
    "LAs Reached",
    "Status",
    "Lead Officer",
)


# ---------------------------------------------------------------------------- truth


def _r(x: float) -> float | None:
    if x is None or not np.isfinite(x):
        return None
    return round(float(x), 6)


def _ratio(a: float, b: float) -> float | None:
    if not b or not np.isfinite(a) or not np.isfinite(b):
        return None
    return _r(a / b)


def _realised(
    fam: dict[str, np.ndarray],
    refs: dict[str, Any],
    pay: dict[str, Any],
    wb: dict[str, Any],
    dom: dict[str, Any],
    staff: dict[str, Any],
    meet: dict[str, Any],
    deliverables: list[dict[str, Any]],
    sites: _Sites,
) -> dict[str, Any]:
    """Realised values of the clean generated data (before any mess is injected)."""
    cut = _day(PARAMETERS["dates"]["data_cut"])
    attack = _day(PARAMETERS["history"]["cyberattack"])
    noream = fam["noream"]
    cohorts = {"comparison": ~noream, "noream": noream}
    out: dict[str, Any] = {}

    out["families"] = {
        "n": int(fam["n"]),
        "by_cohort": {c: int(m.sum()) for c, m in cohorts.items()},
        "by_site": {code: int((fam["site"] == s).sum()) for s, code in enumerate(sites.codes)},
        "exit_reasons": {
            lvl: int((pay["exit_reason"] == i).sum()) for i, lvl in enumerate(pay["reason_levels"])
        }
        | {"open_at_cut": int((pay["exit_reason"] < 0).sum())},
        "immigration_status": {
            lvl: int((fam["immigration"] == i).sum()) for i, lvl in enumerate(_IMMIGRATION_PROBS)
        },
        "first_contact_range": [
            _iso(int(fam["first_contact"].min())),
            _iso(int(fam["first_contact"].max())),
        ],
    }

    ref = refs["referrals"]
    rr: dict[str, Any] = {}
    one_year = fam["first_contact"] <= cut - 365
    first_within = np.zeros(int(fam["n"]), dtype=bool)
    g1 = ref["gen"] == 1
    first_within[ref["fam"][g1 & ref["within"]]] = True
    for c, mask in cohorts.items():
        rmask = mask[ref["fam"]]
        n_ref = int(rmask.sum())
        n_re = int((rmask & ref["within"]).sum())
        fam_mask = mask & one_year
        rr[c] = {
            "referrals": n_ref,
            "rereferrals_within_365": n_re,
            "rereferral_rate": _ratio(n_re, n_ref),
            "families_with_365_days_follow_up": int(fam_mask.sum()),
            "family_rereferred_within_365_of_first": _ratio(
                int((first_within & fam_mask).sum()), int(fam_mask.sum())
            ),
        }
    rr["rate_ratio_referral_based"] = _ratio(
        rr["noream"]["rereferral_rate"] or 0.0, rr["comparison"]["rereferral_rate"] or 0.0
    )
    rr["rate_ratio_family_based"] = _ratio(
        rr["noream"]["family_rereferred_within_365_of_first"] or 0.0,
        rr["comparison"]["family_rereferred_within_365_of_first"] or 0.0,
    )
    rr["note"] = (
        "computed on every true referral, including those lost in the cyberattack; "
        "a referral counts as a re-referral when it follows the family's previous "
        "referral within 365 days"
    )
    out["rereferral"] = rr

    shape = PARAMETERS["escalation"]["weibull_shape"]
    t_obs = np.minimum(fam["escalation"], cut) - fam["first_contact"]
    esc: dict[str, Any] = {}
    hz = {}
    for c, mask in cohorts.items():
        events = int((fam["escalated"] & mask).sum())
        exposure = float((t_obs[mask].astype(float) ** shape).sum())
        hz[c] = events / exposure if exposure else float("nan")
        fm = mask & one_year
        within = fm & fam["escalated"] & (fam["escalation"] - fam["first_contact"] <= 365)
        esc[c] = {
            "families": int(mask.sum()),
            "escalated_by_cut": events,
            "person_years": _r(float(t_obs[mask].sum()) / 365.25),
            "escalated_within_365_of_first_contact": _ratio(int(within.sum()), int(fm.sum())),
            "families_with_365_days_follow_up": int(fm.sum()),
        }
    esc["hazard_ratio_weibull_known_shape"] = _ratio(hz["noream"], hz["comparison"])
    esc["note"] = (
        "hazard ratio estimated by maximum likelihood with the Weibull shape fixed "
        "at its true value; time from first contact, censored at the data cut"
    )
    out["escalation"] = esc

    pays, eps = pay["payments"], pay["episodes"]
    s17 = pays["scheme"] == 0
    pay_cohort = noream[pays["fam"]]
    s17_out: dict[str, Any] = {
        "episodes": len(eps["fam"]),
        "families_with_two_episodes": int((eps["number"] == 2).sum()),
        "episodes_ongoing_at_cut": int(eps["ongoing"].sum()),
        "refunds": int(((pays["pence"] < 0) & s17).sum()),
        "payments": int(s17.sum()),
        "noream_grants": int((~s17).sum()),
        "noream_grants_gbp": _r(pays["pence"][~s17].sum() / 100),
    }
    for c, flag in (("comparison", False), ("noream", True)):
        sel = s17 & (pay_cohort == flag)
        n_fam = len(np.unique(pays["fam"][sel]))
        spend = pays["pence"][sel].sum() / 100
        s17_out[c] = {
            "families_paid": n_fam,
            "spend_gbp": _r(spend),
            "spend_per_family_paid_gbp": _ratio(spend, n_fam),
        }
    closed = ~eps["ongoing"]
    s17_out["median_days_closed_episodes"] = _r(
        float(np.median(eps["last"][closed] - eps["start"][closed])) if closed.any() else np.nan
    )
    out["s17"] = s17_out

    base, fu = wb["fam_base"], wb["fam_fu"]
    pair = np.isfinite(base) & np.isfinite(fu)
    elig = np.zeros(int(fam["n"]), dtype=bool)
    elig[wb["eligible_fams"]] = True
    completers = elig & ~np.isnan(wb["lat_fu"])
    change = fu[pair] - base[pair]
    out["wellbeing"] = {
        "parent_baseline_completions": wb["n_baseline"],
        "parent_followups_due": wb["n_eligible"],
        "parent_followups_completed": wb["n_followup"],
        "attrition": _r(1 - wb["n_followup"] / wb["n_eligible"]) if wb["n_eligible"] else None,
        "complete_pairs": int(pair.sum()),
        "mean_baseline_metric_pairs": _r(float(base[pair].mean())) if pair.any() else None,
        "mean_followup_metric_pairs": _r(float(fu[pair].mean())) if pair.any() else None,
        "mean_change_metric_pairs": _r(float(change.mean())) if pair.any() else None,
        "sd_change_metric_pairs": _r(float(change.std(ddof=1))) if pair.sum() > 1 else None,
        "mean_latent_change_completers": _r(
            float((wb["lat_fu"] - wb["lat_base"])[completers].mean())
        )
        if completers.any()
        else None,
        "mean_baseline_metric_completers": _r(float(np.nanmean(base[completers])))
        if completers.any()
        else None,
        "mean_baseline_metric_dropouts": _r(float(np.nanmean(base[elig & ~completers])))
        if (elig & ~completers).any()
        else None,
        "child_respondents": wb["n_child"],
        "note": "metric = SWEMWBS Rasch metric score of complete questionnaires; pairs are "
        "parent/carers with complete baseline and follow-up",
    }

    dmean = (dom["review"] - dom["base"]).mean(axis=0) if dom["n_review"] else np.full(7, np.nan)
    out["domains"] = {
        "baseline_assessments": dom["n_base"],
        "review_assessments": dom["n_review"],
        "exit_assessments": dom["n_exit"],
        "mean_change_baseline_to_review": {
            d: _r(float(v)) for (_, d), v in zip(_DOMAINS, dmean, strict=True)
        },
        "mean_change_all_domains": _r(float(np.mean(dmean))) if dom["n_review"] else None,
    }

    st = staff["rows"]
    staff_out: dict[str, Any] = {"staff": staff["n"], "linked_both_waves": staff["linked"]}
    for wave, name in ((0, "wave_1"), (1, "wave_2")):
        sel = st["wave"] == wave
        staff_out[name] = {
            "responses": int(sel.sum()),
            "mean_multi_agency_items_1_4": _r(float(st["items"][sel, :4].mean()))
            if sel.any()
            else None,
            "mean_coordination_items_5_8": _r(float(st["items"][sel, 4:].mean()))
            if sel.any()
            else None,
        }
    out["staff"] = staff_out

    rows = meet["meetings"]
    snacs = [x for x in rows if x["kind"] == 0]
    discussed = set()
    for x in rows:
        discussed.update(x["cases"].tolist())
    enrolled_by_cut = int((noream & (fam["enrolled"] <= cut)).sum())
    early = [len(x["dirs"]) for x in snacs if x["frac"] <= 0.34]
    late = [len(x["dirs"]) for x in snacs if x["frac"] >= 0.66]
    out["meetings"] = {
        "snac_planned": meet["snac_planned"],
        "snac_held": meet["snac_held"],
        "snac_missed_months": meet["missed"] if sites.n <= 5 else {},
        "case_consultations": len(rows) - len(snacs),
        "meeting_cases": int(sum(len(x["cases"]) for x in rows)),
        "families_discussed": len(discussed),
        "share_enrolled_families_discussed": _ratio(len(discussed), enrolled_by_cut),
        "mean_agencies_per_snac": _r(float(np.mean([len(x["agencies"]) for x in snacs])))
        if snacs
        else None,
        "mean_directorates_per_snac_first_third": _r(float(np.mean(early))) if early else None,
        "mean_directorates_per_snac_last_third": _r(float(np.mean(late))) if late else None,
    }

    kinds = [x["kind"] for x in deliverables]
    out["deliverables"] = {
        "by_kind": {
            k: kinds.count(k)
            for k in ("manual", "training_session", "working_paper", "map_strategy")
        },
        "manual_published": next(_iso(x["date"]) for x in deliverables if x["kind"] == "manual"),
        "training_attendees": int(sum(x["attendees"] or 0 for x in deliverables)),
        "map_strategies_published": sum(
            1 for x in deliverables if x["kind"] == "map_strategy" and x["status"] == "published"
        ),
    }

    before = fam["first_contact"] < attack
    lost = refs["history_lost"]
    out["history"] = {
        "families_first_contact_before_cyberattack": int(before.sum()),
        "families_history_lost": int(lost.sum()),
        "share_lost": _ratio(int(lost.sum()), int(before.sum())),
        "referrals_lost": int((~ref["exported"]).sum()),
        "referrals_exported": int(ref["exported"].sum()),
    }
    return out


def _iso(day: int) -> str | None:
    if day == _NA:
        return None
    return (_EPOCH + dt.timedelta(days=int(day))).isoformat()


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, bool | np.bool_):
        return bool(x)
    if isinstance(x, int | np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        return _r(float(x))
    return x


# --------------------------------------------------------------------------- readme


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None, digits: int = 2) -> str:
    return "n/a" if x is None else f"{x:,.{digits}f}"


def _readme(truth: dict[str, Any], files: list[str]) -> str:
    p, r, mess = truth["parameters"], truth["realised"], truth["mess"]
    rr, es, wbr, s17 = r["rereferral"], r["escalation"], r["wellbeing"], r["s17"]
    fams, meet, deliv, hist = r["families"], r["meetings"], r["deliverables"], r["history"]
    pr, pe, ps, pw = p["rereferral"], p["escalation"], p["s17"], p["wellbeing"]
    rate = ps["subsistence_per_person_week_gbp"]
    accom = ps["accommodation_4_weekly_gbp"]
    lines = [
        "# Synthetic NOREAM sample data",
        "",
        "Synthetic raw exports of a local authority NRPF team, generated by "
        "`noream_eval.sample.generate.generate_sample` "
        f"(seed {truth['seed']}, {truth['n_families']} families, {truth['n_sites']} site(s)).",
        "No real person is described: every name, date of birth, phone number (Ofcom drama "
        "ranges), NI number (QQ prefix), Home Office reference and postcode is invented.",
        f"The pseudonymisation key in `demo.key` is `{truth['key']}`; it is documented and "
        "not secret. Do not edit these files by hand: regenerate them (`make sample`).",
        "",
        "## The story",
        "",
        "The NRPF team of the London Borough of Hackney (E09000012) exported its records on "
        f"{p['dates']['data_cut']}; referral history before {p['dates']['data_start']} is "
        "unknown for everyone. True parameters are in `truth.json` under `parameters`; the "
        "realised values below (`realised`) are computed on the clean data before any mess "
        "was injected, so at this size they differ from the true values by sampling noise.",
        "",
        f"- **Comparison cohort**: {fams['by_cohort']['comparison']} families first referred "
        f"between {p['dates']['comparison_first_contact'][0]} and "
        f"{p['dates']['comparison_first_contact'][1]} under usual practice. Referrals dip in "
        "August and December and fell in spring 2020 (COVID-19).",
        f"- **NOREAM cohort**: {fams['by_cohort']['noream']} families enrolled between "
        f"{p['dates']['noream_enrolment'][0]} and {p['dates']['noream_enrolment'][1]}, first "
        "contacted a few days to four weeks before enrolment.",
        "- **Re-referrals** (O1): after any referral, a comparison family is referred again "
        f"within 365 days with probability {_pct(pr['within_365_comparison'])}, a NOREAM "
        f"family with probability {_pct(pr['within_365_noream'])} (true rate ratio "
        f"{pr['rate_ratio']}), and NOREAM gaps are longer. Realised, among families with a "
        f"year of follow-up: {_pct(rr['comparison']['family_rereferred_within_365_of_first'])}"
        f" of comparison and {_pct(rr['noream']['family_rereferred_within_365_of_first'])} of "
        "NOREAM families were re-referred within a year of first contact (ratio "
        f"{_num(rr['rate_ratio_family_based'])}). Referral-based (DfE) rates: "
        f"{rr['comparison']['rereferrals_within_365']} of {rr['comparison']['referrals']} "
        f"comparison referrals ({_pct(rr['comparison']['rereferral_rate'])}) and "
        f"{rr['noream']['rereferrals_within_365']} of {rr['noream']['referrals']} NOREAM "
        f"referrals ({_pct(rr['noream']['rereferral_rate'])}); the NOREAM rate is further "
        "lowered by its short follow-up before the data cut.",
        "- **Escalation to section 17** (O2): time from first contact to the first s17 "
        f"payment is Weibull (shape {pe['weibull_shape']}) with a 12-month risk of "
        f"{_pct(pe['risk_12m_comparison'])} for comparison families and a true hazard ratio "
        f"of {pe['hazard_ratio']} for NOREAM families, censored at the data cut. Realised: "
        f"{es['comparison']['escalated_by_cut']} comparison and "
        f"{es['noream']['escalated_by_cut']} NOREAM families escalated; within a year of first "
        f"contact {_pct(es['comparison']['escalated_within_365_of_first_contact'])} vs "
        f"{_pct(es['noream']['escalated_within_365_of_first_contact'])}; hazard ratio "
        f"(Weibull, known shape) {_num(es['hazard_ratio_weibull_known_shape'])}.",
        f"- **s17 support**: weekly subsistence (£{rate[0]}-£{rate[-1]} per person) and, for "
        f"{ps['accommodation_share']:.0%} of families, 4-weekly accommodation "
        f"(£{accom[0]:,}-£{accom[1]:,}). Episodes last a median of "
        f"{ps['episode_median_days']} days; {s17['families_with_two_episodes']} families have "
        f"a second episode after a gap of more than 35 days, {s17['episodes_ongoing_at_cut']} "
        f"episodes are ongoing at the cut and {s17['refunds']} refunds are netted. Spend: "
        f"£{_num(s17['comparison']['spend_gbp'])} on {s17['comparison']['families_paid']} "
        f"comparison families, £{_num(s17['noream']['spend_gbp'])} on "
        f"{s17['noream']['families_paid']} NOREAM families; NOREAM families also received "
        f"{s17['noream_grants']} flexible grants (£{_num(s17['noream_grants_gbp'])}).",
        f"- **Wellbeing** (O3): parent/carer SWEMWBS at enrolment and about "
        f"{pw['followup_days']} days later; true mean gain {pw['true_mean_gain_metric']} "
        f"metric points; attrition about {pw['attrition_target']:.0%}, higher for lower "
        f"baseline wellbeing. Realised: {wbr['parent_followups_completed']} of "
        f"{wbr['parent_followups_due']} follow-ups due were completed (attrition "
        f"{_pct(wbr['attrition'])}); mean change among {wbr['complete_pairs']} complete pairs "
        f"{_num(wbr['mean_change_metric_pairs'])} (SD {_num(wbr['sd_change_metric_pairs'])}); "
        f"mean baseline {_num(wbr['mean_baseline_metric_completers'])} for completers vs "
        f"{_num(wbr['mean_baseline_metric_dropouts'])} for drop-outs.",
        "- **Support domains**: seven domain scores (1-5) at baseline, review and exit; mean "
        f"change baseline to review {_num(r['domains']['mean_change_all_domains'])}.",
        f"- **Multi-agency working** (O5, O6): monthly SNACs from {p['meetings']['snac_months'][0]}"
        f" ({meet['snac_held']} held of {meet['snac_planned']} planned) and "
        f"{meet['case_consultations']} case consultations; directorates per SNAC rise from "
        f"{_num(meet['mean_directorates_per_snac_first_third'], 1)} to "
        f"{_num(meet['mean_directorates_per_snac_last_third'], 1)}. Staff survey: "
        f"{r['staff']['wave_1']['responses']} and {r['staff']['wave_2']['responses']} "
        f"responses in waves 1 and 2, {r['staff']['linked_both_waves']} staff in both.",
        f"- **Model of practice** (O4): {deliv['by_kind']['training_session']} training "
        f"sessions ({deliv['training_attendees']} attendees), "
        f"{deliv['by_kind']['working_paper']} working papers, manual published "
        f"{deliv['manual_published']}, {deliv['map_strategies_published']} of "
        f"{deliv['by_kind']['map_strategy']} MAP strategies published.",
        f"- **Cyberattack** ({p['history']['cyberattack']}): of "
        f"{hist['families_first_contact_before_cyberattack']} families first contacted before "
        f"it, {hist['families_history_lost']} (true share {p['history']['lost_share']:.0%}) "
        f"lost their earlier referral records ({hist['referrals_lost']} referrals are absent "
        "from the export); their `History Complete From` is 13/10/2020, blank for everyone "
        "else.",
        "",
        "## Injected mess",
        "",
        "Near duplicates repeat a record with cosmetic differences only (reference format, "
        "date format, amount format, case and spacing of codes); they normalise to the same "
        "canonical values. Unparseable dates, unparseable amounts and unmatched references "
        "are extra rows (the clean records are all still present); unknown codes, out-of-range "
        "scores and Likert noise change cells of clean rows.",
        "",
        "| file | rows written | clean | exact dup. | near dup. | blank | total | invalid |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in files:
        if name not in mess:
            continue
        c = mess[name]
        lines.append(
            f"| {name} | {c['rows_written']} | {c['clean_rows']} | {c['exact_duplicates']} | "
            f"{c['near_duplicates']} | {c['blank_rows']} | {c['total_rows']} | "
            f"{c['invalid_rows']} |"
        )
    lines += ["", "Rates used (share of rows, or of cells for scores and Likert items):", ""]
    for kind, rates in MESS_RATES.items():
        text = ", ".join(f"{k.replace('_', ' ')} {v:.1%}" for k, v in rates.items())
        lines.append(f"- {kind}: {text}")
    lines += [
        f"- family references written in a non-canonical variant: {_REF_VARIANT_SHARE:.0%} of "
        'rows ("nrpf 123", "NRPF00123", "NRPF-123", " NRPF-00123 ")',
        "",
        "## Canonical records an ingest should recover",
        "",
        "Every clean record survives the mess: an ingest that drops the blank and Total "
        "rows, removes exact and near duplicates and rejects the invalid rows recovers "
        "exactly these counts (`expected` in `truth.json`; out-of-range domain scores are "
        "dropped as values, and blank questionnaire items are not counted).",
        "",
        "| table | records |",
        "|---|---:|",
        *(f"| {k} | {v} |" for k, v in sorted(truth["expected"].items())),
        "",
        "## Files",
        "",
        "| file | format |",
        "|---|---|",
    ]
    formats = {
        "families.csv": "CSV, UTF-8 with BOM",
        "payments.csv": "CSV, Windows-1252, trailing Total row",
        "staff_survey.csv": "CSV, Windows-1252",
        "evaluation.toml": "evaluation configuration (source profiles)",
        "truth.json": "true parameters, realised values, mess counts",
        "demo.key": "demo pseudonymisation key",
        "README.md": "this file",
    }
    for name in files:
        if name.startswith("referrals"):
            fmt = (
                "Excel workbook, sheet Referrals, two title rows, header on row 3, "
                "trailing Total row"
            )
        else:
            fmt = formats.get(name, "CSV, UTF-8")
        lines.append(f"| {name} | {fmt} |")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------ main

_STREAMS = (
    "families",
    "payments",
    "referrals",
    "wellbeing",
    "domains",
    "staff",
    "meetings",
    "deliverables",
    "mess_families",
    "mess_referrals",
    "mess_payments",
    "mess_domains",
    "mess_wellbeing",
    "mess_staff",
    "mess_meetings",
    "mess_deliverables",
)
_OUTPUT_CSVS = (
    "families.csv",
    "payments.csv",
    "domain_assessments.csv",
    "wellbeing_survey.csv",
    "staff_survey.csv",
    "meetings.csv",
    "deliverables.csv",
)
_OUTPUT_OTHER = ("evaluation.toml", "demo.key", "truth.json", "README.md")


def _prepare_dir(out_dir: pathlib.Path, force: bool) -> None:
    if out_dir.exists():
        if not out_dir.is_dir():
            raise FileExistsError(f"{out_dir} exists and is not a directory.")
        if any(out_dir.iterdir()):
            if not force:
                raise FileExistsError(
                    f"{out_dir} is not empty. Choose an empty or new directory, or pass "
                    "force=True to overwrite the sample files in it."
                )
            for path in out_dir.iterdir():
                if path.is_file() and (
                    path.name in _OUTPUT_CSVS + _OUTPUT_OTHER
                    or (path.name.startswith("referrals") and path.suffix == ".xlsx")
                ):
                    path.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)


def generate_sample(
    out_dir: str | pathlib.Path,
    *,
    seed: int = DEFAULT_SEED,
    n_families: int | None = None,
    n_sites: int = 1,
    force: bool = False,
) -> pathlib.Path:
    """Write a synthetic, messy NRPF local-authority export with known true effects.

    Parameters
    ----------
    out_dir
        Directory to write into; created if missing.
    seed
        Seed of ``numpy.random.default_rng``; the same seed, size and number of sites
        give byte-for-byte identical files.
    n_families
        Number of families (default 270: 150 comparison, 120 NOREAM).
    n_sites
        Number of local authorities. The first is Hackney (E09000012); with more than
        one site each gets its own ``referrals_<LA code>.xlsx`` workbook.
    force
        Overwrite the sample files in a non-empty ``out_dir`` (other files are kept).

    Returns
    -------
    pathlib.Path
        The output directory, holding the raw exports named in ``evaluation.toml``
        (``referrals*.xlsx``, ``families.csv``, ``payments.csv``,
        ``domain_assessments.csv``, ``wellbeing_survey.csv``, ``staff_survey.csv``,
        ``meetings.csv``, ``deliverables.csv``), a copy of ``evaluation.toml``,
        ``demo.key``, ``truth.json`` and ``README.md``.

    Raises
    ------
    FileExistsError
        If ``out_dir`` is not empty and ``force`` is false.
    ValueError
        If ``n_families`` or ``n_sites`` is not positive.

    Notes
    -----
    ``truth.json`` has the keys ``seed``, ``n_families``, ``n_sites``, ``parameters``
    (the true data-generating parameters, :data:`PARAMETERS`), ``realised`` (values
    computed on the clean data before mess), ``expected`` (canonical record counts an
    ingest should recover), ``mess`` (per file: ``rows_written`` = data rows below the
    header including blank and Total rows, ``clean_rows``, ``exact_duplicates``,
    ``near_duplicates``, ``blank_rows``, ``total_rows``, ``invalid_rows`` and counts of
    each injected problem) and ``key``. For every file
    ``rows_written = clean_rows + exact_duplicates + near_duplicates + blank_rows +
    total_rows + invalid_rows``.

    Examples
    --------
    >>> from noream_eval.sample.generate import generate_sample
    >>> path = generate_sample("out/sample", force=True)  # doctest: +SKIP
    """
    if n_families is not None and n_families < 1:
        raise ValueError(f"n_families must be positive, got {n_families}.")
    if n_sites < 1:
        raise ValueError(f"n_sites must be positive, got {n_sites}.")
    n = 270 if n_families is None else int(n_families)
    out = pathlib.Path(out_dir)
    _prepare_dir(out, force)

    rng = _streams(seed, _STREAMS)
    sites = _Sites(n_sites)
    people = _People()
    fam = _simulate_families(rng["families"], n, sites, people)
    pay = _simulate_payments(rng["payments"], fam)
    refs = _simulate_referrals(rng["referrals"], fam)
    wb = _simulate_wellbeing(rng["wellbeing"], fam, n_sites)
    dom = _simulate_domains(rng["domains"], fam, pay["exit_date"])
    staff = _simulate_staff(rng["staff"], sites, people)
    meet = _simulate_meetings(rng["meetings"], fam, pay["exit_date"], sites, staff)
    deliverables = _simulate_deliverables(rng["deliverables"], sites, staff)
    width = max(5, len(str(int(fam["number"].max()) if n else 0)))
    mess: dict[str, dict[str, Any]] = {}

    # families.csv (UTF-8 with BOM)
    table, counts = _families_file(
        rng["mess_families"], fam, pay, refs["history_lost"], sites, people, width
    )
    _write_csv(out / "families.csv", _FAMILY_HEADER, [table], encoding="utf-8", bom=True)
    mess["families.csv"] = counts

    # referrals workbook(s), one per site
    ref_all = _referral_tables(rng["mess_referrals"], fam, refs["referrals"], sites, people)
    ref_rngs = rng["mess_referrals"].spawn(n_sites)
    next_ref = [int(refs["referrals"]["id"].max()) + 1 if len(refs["referrals"]["id"]) else 1]
    bounds = np.searchsorted(ref_all["_site"], np.arange(n_sites + 1))
    ref_files = []
    for s in range(n_sites):
        name = "referrals.xlsx" if n_sites == 1 else f"referrals_{sites.codes[s]}.xlsx"
        part = _take(ref_all, np.arange(bounds[s], bounds[s + 1]))
        table, counts = _mess_referrals(ref_rngs[s], part, width, next_ref)
        _write_referrals_xlsx(out / name, sites.councils[s], table)
        mess[name] = counts
        ref_files.append(name)

    # payments.csv (Windows-1252), written site by site, trailing Total row
    ledger = _payment_ledger(fam, pay["payments"])
    pay_rngs = rng["mess_payments"].spawn(n_sites)
    next_pay = [int(ledger["id"].max()) + 1 if len(ledger["id"]) else 10_000]
    pbounds = np.searchsorted(ledger["site"], np.arange(n_sites + 1))
    pay_counts: dict[str, int] = {}
    total_pence = [0]

    def payment_chunks() -> Iterable[Table]:
        for s in range(n_sites):
            part = _take(ledger, np.arange(pbounds[s], pbounds[s + 1]))
            clean = _payment_table(pay_rngs[s], fam, part, people)
            table, counts = _mess_payments(pay_rngs[s], clean, width, next_pay, fam["number"])
            ok = ~table["_blank"] & ~table["_bad_amount"]
            total_pence[0] += int(table["_pence"][ok].sum())
            for k, v in counts.items():
                pay_counts[k] = pay_counts.get(k, 0) + v
            yield table

    # The Total row sums every parseable amount above it, as a spreadsheet SUM would.
    _write_csv(
        out / "payments.csv",
        _PAYMENT_HEADER,
        payment_chunks(),
        encoding="cp1252",
        trailer=lambda: ["Total", "", "", "", "", "", "", f"£{total_pence[0] / 100:,.2f}"],
    )
    pay_counts["total_rows"] = 1
    pay_counts["invalid_rows"] = (
        pay_counts.get("unparseable_dates", 0)
        + pay_counts.get("unparseable_amounts", 0)
        + pay_counts.get("unmatched_refs", 0)
    )
    mess["payments.csv"] = pay_counts

    table, counts = _domain_file(rng["mess_domains"], fam, dom, people, width)
    _write_csv(out / "domain_assessments.csv", _DOMAIN_HEADER, [table], encoding="utf-8")
    mess["domain_assessments.csv"] = counts

    table, counts = _wellbeing_file(rng["mess_wellbeing"], fam, wb, people, width)
    _write_csv(out / "wellbeing_survey.csv", _WELLBEING_HEADER, [table], encoding="utf-8")
    mess["wellbeing_survey.csv"] = counts

    table, counts = _staff_file(rng["mess_staff"], staff)
    _write_csv(out / "staff_survey.csv", _STAFF_HEADER, [table], encoding="cp1252")
    mess["staff_survey.csv"] = counts

    table, counts = _meetings_file(rng["mess_meetings"], fam, meet, sites, staff, width, n_sites)
    _write_csv(out / "meetings.csv", _MEETING_HEADER, [table], encoding="utf-8")
    mess["meetings.csv"] = counts

    table, counts = _deliverables_file(rng["mess_deliverables"], deliverables)
    _write_csv(out / "deliverables.csv", _DELIVERABLE_HEADER, [table], encoding="utf-8")
    mess["deliverables.csv"] = counts

    for name, c in mess.items():
        c.setdefault("invalid_rows", 0)
        c.setdefault("total_rows", 0)
        c["rows_written"] = (
            c["clean_rows"]
            + c["exact_duplicates"]
            + c["near_duplicates"]
            + c["blank_rows"]
            + c["total_rows"]
            + c["invalid_rows"]
        )
        mess[name] = dict(sorted(c.items()))

    realised = _realised(fam, refs, pay, wb, dom, staff, meet, deliverables, sites)
    expected = {
        "families": n,
        "referrals": int(refs["referrals"]["exported"].sum()),
        "payments": len(pay["payments"]["fam"]),
        "domain_assessments": len(dom["rows"]["fam"]),
        "domain_scores": 7 * len(dom["rows"]["fam"])
        - mess["domain_assessments.csv"]["out_of_range_scores"],
        "wellbeing_completions": len(wb["rows"]["fam"]),
        "wellbeing_items": int((wb["rows"]["items"] > 0).sum()),
        "staff_completions": len(staff["rows"]["staff"]),
        "staff_items": int((staff["rows"]["items"] > 0).sum()),
        "meetings": len(meet["meetings"]),
        "meeting_cases": realised["meetings"]["meeting_cases"],
        "deliverables": len(deliverables),
    }
    truth = {
        "seed": seed,
        "n_families": n,
        "n_sites": n_sites,
        "sites": sites.codes,
        "parameters": PARAMETERS,
        "mess_rates": MESS_RATES,
        "realised": realised,
        "expected": expected,
        "mess": mess,
        "key": DEMO_KEY,
    }
    truth = _jsonable(truth)
    (out / "truth.json").write_text(
        json.dumps(truth, sort_keys=True, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    toml_bytes = (
        importlib.resources.files("noream_eval.sample").joinpath("evaluation.toml").read_bytes()
    )
    (out / "evaluation.toml").write_bytes(toml_bytes)
    (out / "demo.key").write_text(DEMO_KEY + "\n", encoding="ascii")
    files = sorted([*ref_files, *_OUTPUT_CSVS, *_OUTPUT_OTHER])
    (out / "README.md").write_text(_readme(truth, files), encoding="utf-8")
    return out
