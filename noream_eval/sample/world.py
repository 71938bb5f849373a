"""The simulated world of the sample: sites, people, families and what happens to them.

Every function here draws from the random stream it is given and returns clean
records (integer days, level indices, raw codes where an export records one):
families with their cohort, dates, escalation and closure; the NOREAM cohort's
path from referral to enrolment (eligibility assessment, offer, reasons for not
enrolling); s17 payments and NOREAM grants; referrals and re-referrals; SWEMWBS
completions; support-domain assessments; staff and their survey answers; SNACs
and case consultations, with complex cases taken to them; workers' contacts with
enrolled families; programme deliverables. :data:`PARAMETERS` holds the true
parameters.
Nothing here injects mess or writes a file.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections.abc import Callable
from typing import Any

import numpy as np

from noream_eval.sample import _names
from noream_eval.sample._common import (
    EPOCH,
    NO_DAY,
    STR,
    choose,
    day_of,
    instrument,
    level_codes,
    raw_codes,
    sarr,
    strs,
)
from noream_eval.sample.vocab import DIRECTORATE, IMMIGRATION, OUTCOME, SOURCE, STAFF_ROLES
from noream_eval.schema import LEVELS, UNKNOWN

__all__ = [
    "COHORTS",
    "DEFAULT_FAMILIES",
    "DOMAIN_SCORES",
    "FUNNEL_STAGES",
    "IMMIGRATION_LEVELS",
    "IMMIGRATION_PROBS",
    "PARAMETERS",
    "STAFF_INSTRUMENT",
    "WELLBEING_INSTRUMENT",
    "People",
    "Sites",
    "cohort_codes",
    "combine_payments",
    "combine_referrals",
    "discuss_complex_cases",
    "family_part",
    "funnel_sizes",
    "recruitment_target",
    "simulate_complex",
    "simulate_contacts",
    "simulate_deliverables",
    "simulate_domains",
    "simulate_families",
    "simulate_funnel",
    "simulate_meetings",
    "simulate_payments",
    "simulate_referrals",
    "simulate_staff",
    "simulate_wellbeing",
]

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
    "funnel": {
        "definition": "families first contacted during the programme form the NOREAM cohort; "
        "each is assessed for eligibility, found eligible, offered NOREAM and enrols with "
        "these conditional probabilities. The number enrolled is the cohort's expected "
        "share (noream_share of the comparison and enrolled families), so the families not "
        "enrolled are drawn on top, each leaving at a stage with probability proportional "
        "to that stage's loss. The comparison cohort (before the programme) is never "
        "assessed or offered. Families not enrolled get usual care (no NOREAM effect)",
        "assessed": 0.85,
        "eligible_given_assessed": 0.75,
        "offered_given_eligible": 0.9,
        "enrolled_given_offered": 0.8,
        "enrolled_given_referred": 0.85 * 0.75 * 0.9 * 0.8,
        "dates": "assessed within the first half of the days from first contact to "
        "enrolment (or to when enrolment would have been), offered between assessment and "
        "enrolment",
        "not_assessed_leave_days": [7, 42],
        "not_offered_leave_days": [7, 28],
        "declined_leave_days": [0, 14],
        "moved_away_exit_days": [0, 14],
        "not_enrolled_reasons": {
            "not_assessed": {"declined": 0.35, "moved_away": 0.25, "other": 0.15, "unknown": 0.25},
            "not_eligible": {"not_eligible": 1.0},
            "not_offered": {"no_capacity": 0.7, "moved_away": 0.15, "other": 0.15},
            "declined_offer": {"declined": 0.8, "moved_away": 0.1, "other": 0.1},
        },
        "moved_away": "families not enrolled because they moved away close their case when "
        "they leave and are never escalated to s17 in the borough",
        "recruitment_target_per_month": 10,
        "recruitment_target_scaling": "the target of the default 411 families; other sizes "
        "scale it by n_families / 411 (rounded, at least 1): realised.funnel."
        "recruitment_target_per_month is this sample's target",
    },
    "complex": {
        "definition": "enrolled families flagged as complex cases, and complex cases taken "
        "to the next SNAC or case consultation of their site after the flag",
        "flag_prob": 0.35,
        "flag_within_days": 180,
        "flag_timing": "uniform over the first flag_within_days days on the programme, "
        "before exit and the data cut",
        "discussed_prob": 0.8,
        "discussed_within_days": 60,
        "discussed_rule": "a flagged case taken to a meeting is added to the next meeting of "
        "its site after the flag date when that is within discussed_within_days and the "
        "case is still open; a flagged case not taken is discussed at no meeting after "
        "its flag",
    },
    "contacts": {
        "definition": "contacts of workers with enrolled families from enrolment to exit or "
        "the data cut (family-months on the programme = days / 30.4375)",
        "per_family_month": 3.0,
        "family_rate_gamma_shape": 4.0,
        "days_per_month": 30.4375,
        "advisor_seen_prob": 0.8,
        "advisor_seen_definition": "probability that an enrolled family with at least one "
        "contact sees the immigration advisor at least once",
        "advisor_share_of_contacts_if_seen": 0.15,
        "other_roles": {"social_worker": 0.75, "housing_support_worker": 0.15, "other": 0.1},
        "modes_advisor": {"face_to_face": 0.6, "phone": 0.25, "video": 0.15},
        "modes_other": {"face_to_face": 0.5, "phone": 0.35, "video": 0.1, "other": 0.05},
        "client_phone_recorded": 0.7,
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

#: Registry names (``noream_eval/instruments.toml``) of the wellbeing and staff surveys.
WELLBEING_INSTRUMENT: str = PARAMETERS["wellbeing"]["instrument"]
STAFF_INSTRUMENT = "noream_staff"
#: Scale of the support-domain scores (lowest, highest).
DOMAIN_SCORES = (1, 5)
#: Cohorts by code (:func:`cohort_codes`): the comparison cohort (first contact before
#: the programme), families enrolled in NOREAM, and families first contacted during the
#: programme who did not enrol (usual care); the levels of ``LEVELS["cohort"]``.
COHORTS = ("comparison", "noream", "not_enrolled")


def cohort_codes(fam: dict[str, np.ndarray]) -> np.ndarray:
    """Each family's index in :data:`COHORTS` (0 comparison, 1 enrolled, 2 not enrolled)."""
    return np.where(fam["noream"], np.where(fam["treated"], 1, 2), 0).astype(np.int64)


#: Immigration status levels of the families, ``unknown`` (recorded blank) last.
IMMIGRATION_LEVELS = (*LEVELS["immigration_status"], UNKNOWN)

# Role codes (indices of STAFF_ROLES) of managers, who chair SNACs and lead deliverables.
_MANAGER_ROLES = [i for i, (_, role) in enumerate(STAFF_ROLES) if role == "manager"]

# Share of each referral source among referrals.
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
# Share of each immigration status among families (of IMMIGRATION_LEVELS).
IMMIGRATION_PROBS = {
    "no_leave": 0.34,
    "leave_nrpf_condition": 0.36,
    "asylum_pending": 0.04,
    "eea": 0.10,
    "leave_with_recourse": 0.04,
    "other": 0.06,
    "unknown": 0.06,
}
# Probability that an agency attends a SNAC (halved for case consultations).
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


# --------------------------------------------------------------------------- helpers


def _month_grid(first: str, last: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start day, length and (year, month) of each month from ``first`` to ``last`` (YYYY-MM)."""
    y, m = int(first[:4]), int(first[5:7])
    y1, m1 = int(last[:4]), int(last[5:7])
    starts, lengths, ym = [], [], []
    while (y, m) <= (y1, m1):
        start = dt.date(y, m, 1)
        nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
        starts.append((start - EPOCH).days)
        lengths.append((nxt - start).days)
        ym.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return np.array(starts), np.array(lengths), np.array(ym)


def _draw_days_in_months(
    rng: np.random.Generator, n: int, first: str, last: str, weights: Callable[[int, int], float]
) -> np.ndarray:
    starts, lengths, ym = _month_grid(first, last)
    w = np.array([weights(int(y), int(m)) for y, m in ym]) * lengths
    idx = choose(rng, n, w)
    return starts[idx] + np.floor(rng.random(n) * lengths[idx]).astype(np.int64)


def _probs(levels: tuple[str, ...], probs: dict[str, float]) -> list[float]:
    """Probabilities of canonical levels in their order (0 for levels not named)."""
    return [probs.get(level, 0.0) for level in levels]


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


class Sites:
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


class People:
    """Pools of names with their Windows-1252 and ASCII forms."""

    def __init__(self) -> None:
        self.first = sarr(_names.FIRST_NAMES)
        self.last = sarr(_names.SURNAMES)
        self.first_1252 = sarr(_cp1252_safe(s) for s in _names.FIRST_NAMES)
        self.last_1252 = sarr(_cp1252_safe(s) for s in _names.SURNAMES)
        self.first_slug = sarr(_slug(s) for s in _names.FIRST_NAMES)
        self.last_slug = sarr(_slug(s) for s in _names.SURNAMES)
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

    def surname(self, li: np.ndarray, pool: np.ndarray, sep: str) -> np.ndarray:
        base = pool[li % 1000]
        second = li // 1000 - 1
        barrel = pool[np.where(second >= 0, second, 0)]
        return np.where(second >= 0, base + sep + barrel, base)

    def full(self, fi: np.ndarray, li: np.ndarray, *, cp1252: bool = False) -> np.ndarray:
        first = self.first_1252 if cp1252 else self.first
        last = self.last_1252 if cp1252 else self.last
        return first[fi] + " " + self.surname(li, last, "-")

    def email(self, fi: np.ndarray, li: np.ndarray, tail: np.ndarray, domain: str) -> np.ndarray:
        return self.first_slug[fi] + "." + self.surname(li, self.last_slug, "") + tail + domain


def _postcodes(rng: np.random.Generator, site: np.ndarray, sites: Sites) -> np.ndarray:
    letters = sarr("ABDEFGHJLNPQRSTUWXYZ")
    n = len(site)
    outward = np.full(n, "", dtype=STR)
    for s in range(sites.n):
        mask = site == s
        k = int(mask.sum())
        if k:
            pool = sarr(sites.outward[s])
            outward[mask] = pool[rng.integers(0, len(pool), k)]
    inward = (
        strs(rng.integers(1, 10, n))
        + letters[rng.integers(0, len(letters), n)]
        + letters[rng.integers(0, len(letters), n)]
    )
    return outward + " " + inward


def _comparison_weight(y: int, m: int) -> float:
    """Relative number of first contacts in a month before the programme."""
    c = PARAMETERS["cohorts"]
    return c["month_weights"][m - 1] * c["covid_factor"].get(f"{y}-{m:02d}", 1.0)


def _enrolment_weight(y: int, m: int) -> float:
    """Relative number of enrolments (and of referrals) in a month of the programme."""
    c = PARAMETERS["cohorts"]
    return c["month_weights"][m - 1] * c["enrolment_ramp"].get(f"{y}-{m:02d}", 1.0)


def _weibull_scale() -> float:
    esc = PARAMETERS["escalation"]
    return 365.0 / (-math.log(1 - esc["risk_12m_comparison"])) ** (1 / esc["weibull_shape"])


def _escalation(
    rng: np.random.Generator, first_contact: np.ndarray, hazard: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Days to the first s17 payment (Weibull proportional hazards) and the day itself."""
    shape = PARAMETERS["escalation"]["weibull_shape"]
    t_esc = _weibull_scale() * (-np.log(rng.random(len(hazard))) / hazard) ** (1 / shape)
    return t_esc, first_contact + np.ceil(np.minimum(t_esc, 20_000)).astype(np.int64)


def simulate_families(
    rng: np.random.Generator, n: int, sites: Sites, people: People
) -> dict[str, np.ndarray]:
    """The comparison and enrolled families: cohort, site, dates, escalation, closure
    and identifiers (the families not enrolled come from :func:`simulate_funnel`)."""
    p = PARAMETERS
    cut = day_of(p["dates"]["data_cut"])
    n_noream = round(n * p["cohorts"]["noream_share"])
    noream = np.zeros(n, dtype=bool)
    noream[rng.permutation(n)[:n_noream]] = True
    w = np.ones(1)
    if sites.n == 1:
        site = np.zeros(n, dtype=np.int64)
    else:
        w = rng.gamma(2.0, 1.0, sites.n) * np.where(sites.london, 2.0, 1.0)
        w[0] = w.max() * 1.5
        site = choose(rng, n, w)

    first_contact = np.full(n, NO_DAY, dtype=np.int64)
    enrolled = np.full(n, NO_DAY, dtype=np.int64)
    c0, c1 = p["dates"]["comparison_first_contact"]
    first_contact[~noream] = _draw_days_in_months(
        rng, int((~noream).sum()), c0[:7], c1[:7], _comparison_weight
    )
    e0, e1 = p["dates"]["noream_enrolment"]
    enrol = _draw_days_in_months(rng, n_noream, e0[:7], e1[:7], _enrolment_weight)
    lead0, lead1 = p["cohorts"]["first_contact_before_enrolment_days"]
    enrolled[noream] = enrol
    first_contact[noream] = enrol - rng.integers(lead0, lead1 + 1, n_noream)

    order = np.lexsort((rng.random(n), first_contact))
    noream, site = noream[order], site[order]
    first_contact, enrolled = first_contact[order], enrolled[order]
    number = 100 + np.cumsum(rng.integers(1, 4, n))

    # Escalation to s17: Weibull proportional hazards, censored at the data cut only.
    esc = p["escalation"]
    site_effect = rng.normal(0.0, esc["site_log_hazard_sd"], sites.n)
    site_effect[0] = 0.0
    hazard = np.where(noream, esc["hazard_ratio"], 1.0) * np.exp(site_effect[site])
    t_esc, escalation = _escalation(rng, first_contact, hazard)
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
        "treated": noream.copy(),
        "site": site,
        "number": number,
        "first_contact": first_contact,
        "enrolled": enrolled,
        "escalation": escalation,
        "escalated": escalated,
        "t_escalation": t_esc,
        "closure": closure,
        "site_weights": w,
        "site_effect": site_effect,
        **_family_attributes(rng, n, site, first_contact, sites, people),
    }


#: Families of the default sample: 150 comparison, 261 referred during the programme
#: (120 of them enrolled).
DEFAULT_FAMILIES = 411
#: Stages at which a family of the NOREAM cohort leaves the funnel (``_ENROLLED``: it
#: does not), in funnel order.
FUNNEL_STAGES = ("not_assessed", "not_eligible", "not_offered", "declined_offer")
_ENROLLED = len(FUNNEL_STAGES)
_NOT_IN_FUNNEL = -1  # comparison families
# Family keys of simulate_families that are not per-family arrays.
_SCALARS = ("n", "site_weights", "site_effect")


def recruitment_target(n_families: int) -> int:
    """The monthly recruitment target of a sample of ``n_families`` families."""
    f = PARAMETERS["funnel"]
    return max(1, round(f["recruitment_target_per_month"] * n_families / DEFAULT_FAMILIES))


def funnel_sizes(n_families: int) -> tuple[int, int]:
    """Families of the comparison cohort or enrolled, and families not enrolled, among
    ``n_families`` (the second on top of the first, as the funnel's losses imply)."""
    p = PARAMETERS
    share = p["cohorts"]["noream_share"]
    factor = (1 - share) + share / p["funnel"]["enrolled_given_referred"]
    core = max(1, min(n_families, round(n_families / factor)))
    return core, n_families - core


def _stage_probs() -> list[float]:
    """Probability of leaving the funnel at each stage (unconditional)."""
    f = PARAMETERS["funnel"]
    a, e, o = f["assessed"], f["eligible_given_assessed"], f["offered_given_eligible"]
    en = f["enrolled_given_offered"]
    return [1 - a, a * (1 - e), a * e * (1 - o), a * e * o * (1 - en)]


def simulate_funnel(
    rng: np.random.Generator,
    core: dict[str, np.ndarray],
    n_not_enrolled: int,
    sites: Sites,
    people: People,
) -> dict[str, np.ndarray]:
    """Every family: the comparison and enrolled families of :func:`simulate_families`
    (first, in their order) and the NOREAM cohort's families not enrolled, with the
    eligibility assessment, eligibility, offer and reason for not enrolling.

    ``noream`` is the cohort (first contact during the programme), ``treated`` whether
    the family enrolled. Families not enrolled get usual care: escalation with the
    comparison hazard, closure as comparison families; those who moved away close their
    case on leaving and are not escalated. Families are numbered afresh in order of first
    contact.
    """
    p = PARAMETERS
    f = p["funnel"]
    cut = day_of(p["dates"]["data_cut"])
    n_core, d = int(core["n"]), n_not_enrolled
    lead0, lead1 = p["cohorts"]["first_contact_before_enrolment_days"]

    # Assessment and offer of the enrolled families, before their enrolment.
    treated = core["treated"]
    fc, en = core["first_contact"], core["enrolled"]
    gap = np.where(treated, en - fc, 0)
    assessed = fc + np.floor(rng.random(n_core) * (gap // 2 + 1)).astype(np.int64)
    offered = assessed + np.floor(rng.random(n_core) * (en - assessed + 1)).astype(np.int64)
    core_assessed = np.where(treated, assessed, NO_DAY)
    core_offered = np.where(treated, offered, NO_DAY)

    # Families referred during the programme and not enrolled.
    site = np.zeros(d, dtype=np.int64) if sites.n == 1 else choose(rng, d, core["site_weights"])
    e0, e1 = p["dates"]["noream_enrolment"]
    lead = rng.integers(lead0, lead1 + 1, d)
    would_enrol = _draw_days_in_months(rng, d, e0[:7], e1[:7], _enrolment_weight)
    first_contact = would_enrol - lead
    stage = choose(rng, d, _stage_probs())
    d_assessed = first_contact + np.floor(rng.random(d) * (lead // 2 + 1)).astype(np.int64)
    to_enrol = would_enrol - d_assessed + 1
    d_offered = d_assessed + np.floor(rng.random(d) * to_enrol).astype(np.int64)
    was_assessed = stage >= 1
    was_offered = stage >= 3
    d_assessed = np.where(was_assessed, d_assessed, NO_DAY)
    d_offered = np.where(was_offered, d_offered, NO_DAY)
    # The day the family left the funnel.
    n0, n1 = f["not_assessed_leave_days"]
    o0, o1 = f["not_offered_leave_days"]
    k0, k1 = f["declined_leave_days"]
    left = np.select(
        [stage == 0, stage == 1, stage == 2],
        [
            first_contact + rng.integers(n0, n1 + 1, d),
            d_assessed,
            d_assessed + rng.integers(o0, o1 + 1, d),
        ],
        d_offered + rng.integers(k0, k1 + 1, d),
    )
    reason_levels = (*LEVELS["not_enrolled_reason"], UNKNOWN)
    reason = np.full(d, len(reason_levels) - 1, dtype=np.int64)
    for i, name in enumerate(FUNNEL_STAGES):
        mask = stage == i
        probs = [f["not_enrolled_reasons"][name].get(level, 0.0) for level in reason_levels]
        reason[mask] = choose(rng, int(mask.sum()), probs)
    eligibility_levels = (*LEVELS["eligibility"], UNKNOWN)
    ecode = {level: i for i, level in enumerate(eligibility_levels)}
    eligibility = np.select(
        [stage == 0, stage == 1], [ecode[UNKNOWN], ecode["not_eligible"]], ecode["eligible"]
    )

    # Usual care: the comparison hazard of escalation and the comparison closure.
    hazard = np.exp(core["site_effect"][site])
    t_esc, escalation = _escalation(rng, first_contact, hazard)
    cl = p["closure"]
    closure = (
        first_contact
        + cl["min_days"]
        + np.floor(rng.exponential(1.0, d) * cl["mean_days_comparison"]).astype(np.int64)
    )
    moved = reason == reason_levels.index("moved_away")
    m0, m1 = f["moved_away_exit_days"]
    closure = np.where(moved, left + rng.integers(m0, m1 + 1, d), closure)
    escalation = np.where(moved, first_contact + 20_000, escalation)
    t_esc = np.where(moved, 20_000.0, t_esc)

    extra = {
        "noream": np.ones(d, dtype=bool),
        "treated": np.zeros(d, dtype=bool),
        "site": site,
        "number": np.zeros(d, dtype=np.int64),
        "first_contact": first_contact,
        "enrolled": np.full(d, NO_DAY, dtype=np.int64),
        "escalation": escalation,
        "escalated": escalation <= cut,
        "t_escalation": t_esc,
        "closure": closure,
        **_family_attributes(rng, d, site, first_contact, sites, people),
    }
    fam = {k: np.concatenate([v, extra[k]]) for k, v in core.items() if k not in _SCALARS}
    n = n_core + d
    fam["n"] = np.array(n)
    core_stage = np.where(treated, _ENROLLED, _NOT_IN_FUNNEL)
    fam["stage"] = np.concatenate([core_stage, stage])
    fam["assessed"] = np.concatenate([core_assessed, d_assessed])
    fam["offered"] = np.concatenate([core_offered, d_offered])
    core_elig = np.where(treated, ecode["eligible"], ecode[UNKNOWN])
    fam["eligibility"] = np.concatenate([core_elig, eligibility])
    fam["not_enrolled_reason"] = np.concatenate(
        [np.full(n_core, len(reason_levels) - 1, dtype=np.int64), reason]
    )
    fam["moved_away"] = np.concatenate([np.zeros(n_core, dtype=bool), moved])
    # Family references are numbered in order of first contact.
    order = np.lexsort((rng.random(n), fam["first_contact"]))
    number = np.empty(n, dtype=np.int64)
    number[order] = 100 + np.cumsum(rng.integers(1, 4, n))
    fam["number"] = number
    fam["site_effect"] = core["site_effect"]
    return fam


def _family_attributes(
    rng: np.random.Generator,
    n: int,
    site: np.ndarray,
    first_contact: np.ndarray,
    sites: Sites,
    people: People,
) -> dict[str, np.ndarray]:
    n_children = 1 + np.minimum(rng.poisson(0.8, n), 5)
    band = choose(rng, n, (0.5, 0.3, 0.15, 0.05))
    band_lo = np.array([0, 5, 11, 16])[band]
    band_hi = np.array([5, 11, 16, 18])[band]
    age_days = np.floor((band_lo + rng.random(n) * (band_hi - band_lo)) * 365.25).astype(np.int64)
    age_days = np.maximum(age_days, 10)
    adults = np.where(rng.random(n) < 0.35, 2, 1)
    levels = IMMIGRATION_LEVELS
    immigration = choose(rng, n, [IMMIGRATION_PROBS[level] for level in levels])
    fi, li = people.draw(rng, n)
    parent_age = np.floor((20 + rng.random(n) * 28) * 365.25).astype(np.int64)
    phone = np.where(
        rng.random(n) < 0.9,
        "07700 900" + np.strings.zfill(strs(rng.integers(0, 1000, n)), 3),
        "020 7946 0" + np.strings.zfill(strs(rng.integers(0, 1000, n)), 3),
    )
    suffix = sarr("ABCD")[rng.integers(0, 4, n)]
    ni_digits = [np.strings.zfill(strs(rng.integers(0, 100, n)), 2) for _ in range(3)]
    ni = np.where(
        rng.random(n) < 0.8,
        "QQ " + ni_digits[0] + " " + ni_digits[1] + " " + ni_digits[2] + " " + suffix,
        "QQ" + ni_digits[0] + ni_digits[1] + ni_digits[2] + suffix,
    )
    ni = np.where(rng.random(n) < 0.55, ni, "")
    ho = sarr("BHKU")[rng.integers(0, 4, n)] + strs(rng.integers(1_000_000, 10_000_000, n))
    ho = np.where(rng.random(n) < 0.2, ho + "/" + strs(rng.integers(1, 4, n)), ho)
    ho = np.where(rng.random(n) < 0.85, ho, "")
    return {
        "n_children": n_children,
        "youngest_dob": first_contact - age_days,
        "adults": adults,
        "immigration": immigration,
        "immigration_raw": raw_codes(rng, immigration, levels, IMMIGRATION),
        "first_name": fi,
        "surname": li,
        "parent_dob": first_contact - parent_age,
        "phone": phone,
        "ni": ni,
        "ho_ref": ho,
        "postcode": _postcodes(rng, site, sites),
        "email_tail": np.where(rng.random(n) < 0.5, strs(rng.integers(1, 100, n)), ""),
    }


def simulate_payments(rng: np.random.Generator, fam: dict[str, np.ndarray]) -> dict[str, Any]:
    """s17 episodes with weekly subsistence and 4-weekly accommodation, refunds,
    one-off payments and NOREAM flexible grants; also sets each family's exit."""
    p = PARAMETERS["s17"]
    cut = day_of(PARAMETERS["dates"]["data_cut"])
    n = int(fam["n"])
    noream, escalated = fam["treated"], fam["escalated"]  # noream: enrolled in NOREAM
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
    last_ep_end = np.full(n, NO_DAY, dtype=np.int64)
    last_ep_last = np.full(n, NO_DAY, dtype=np.int64)
    last_ep_end[ep_fam] = ep_end  # episode 2 rows come last and overwrite episode 1
    last_ep_last[ep_fam] = ep_last
    closure = fam["closure"]
    exit_date = np.where(closure <= cut, closure, NO_DAY)
    reason_levels = LEVELS["exit_reason"]
    code = level_codes("exit_reason")
    reason = np.where(
        noream,
        choose(rng, n, _probs(reason_levels, cl["reasons_noream"])),
        choose(rng, n, _probs(reason_levels, cl["reasons_comparison"])),
    )
    # Families closing before a later escalation did not have their status resolved.
    later_s17 = escalated & (closure < fam["escalation"])
    redraw = _probs(reason_levels, {"status_resolved": 0.4, "moved_away": 0.4, "other": 0.2})
    reason = np.where(
        later_s17 & (reason == code["status_resolved"]), choose(rng, n, redraw), reason
    )
    noream_step_up = noream & escalated & (fam["escalation"] <= closure)
    exit_date = np.where(noream_step_up, fam["escalation"], exit_date)
    reason = np.where(noream_step_up, code["escalated_s17"], reason)
    comp_s17 = ~noream & escalated
    ended = comp_s17 & (last_ep_end < cut)
    after = choose(rng, n, _probs(reason_levels, cl["reasons_after_s17"]))
    exit_date = np.where(comp_s17, NO_DAY, exit_date)
    exit_date = np.where(ended, np.minimum(last_ep_last + 7, cut), exit_date)
    reason = np.where(comp_s17, after, reason)
    reason = np.where(exit_date == NO_DAY, -1, reason)

    # NOREAM flexible grants while engaged (enrolment to exit, escalation or data cut).
    g_end = np.minimum(np.where(exit_date == NO_DAY, cut, exit_date), cut)
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
        np.array(p["noream_grant_gbp"])[choose(rng, len(gr_fam), p["noream_grant_probs"])] * 100
    )

    # type and scheme: codes of LEVELS["payment_type"] and LEVELS["scheme"]
    ptype, scheme = level_codes("payment_type"), level_codes("scheme")
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
                np.full(len(e_acc), ptype["accommodation"], np.int64),
                np.full(len(e_sub), ptype["subsistence"], np.int64),
                np.full(len(e_ref), ptype["subsistence"], np.int64),
                np.full(len(e_oth), ptype["other"], np.int64),
                np.full(len(gr_fam), ptype["grant"], np.int64),
            ]
        ),
        "episode": np.concatenate([e_acc, e_sub, e_ref, e_oth, np.full(len(gr_fam), -1)]),
    }
    pays["scheme"] = np.where(
        pays["type"] == ptype["grant"], scheme["noream_grant"], scheme["s17"]
    ).astype(np.int64)
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


def simulate_referrals(rng: np.random.Generator, fam: dict[str, np.ndarray]) -> dict[str, Any]:
    """Index referral at first contact, then a chain of re-referrals."""
    p = PARAMETERS["rereferral"]
    cut = day_of(PARAMETERS["dates"]["data_cut"])
    n = int(fam["n"])
    noream = fam["treated"]  # enrolled in NOREAM
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
    src_levels = LEVELS["referral_source"]
    src = choose(rng, m, _probs(src_levels, _SOURCE_PROBS))
    ref["source"] = src
    ref["source_raw"] = raw_codes(rng, src, src_levels, SOURCE)
    out_levels = LEVELS["referral_outcome"]
    code = level_codes("referral_outcome")
    f = ref["fam"]
    esc = fam["escalation"][f]
    before_s17 = (ref["date"] <= esc) & (ref["date"] >= esc - 60)
    usual = choose(rng, m, _probs(out_levels, {"nfa": 0.45, "signposted": 0.45, "other": 0.10}))
    noream_first = (ref["gen"] == 0) & noream[f]
    noream_later = choose(
        rng,
        m,
        _probs(out_levels, {"nfa": 0.2, "signposted": 0.4, "early_action": 0.35, "other": 0.05}),
    )
    outcome = np.where(noream[f] & (ref["gen"] > 0), noream_later, usual)
    outcome = np.where(noream_first, code["early_action"], outcome)
    outcome = np.where(before_s17 & ~noream_first, code["s17_assessment"], outcome)
    ref["outcome"] = outcome
    ref["outcome_raw"] = raw_codes(rng, outcome, out_levels, OUTCOME)

    # History lost in the cyberattack.
    attack = day_of(PARAMETERS["history"]["cyberattack"])
    lost = (fam["first_contact"] < attack) & (rng.random(n) < PARAMETERS["history"]["lost_share"])
    ref["exported"] = ~(lost[f] & (ref["date"] < attack))
    return {"referrals": ref, "history_lost": lost}


def family_part(fam: dict[str, np.ndarray], start: int, stop: int) -> dict[str, np.ndarray]:
    """The families ``start`` to ``stop`` (positions) of :func:`simulate_funnel`'s families."""
    n = int(fam["n"])
    out = {k: v[start:stop] for k, v in fam.items() if k not in _SCALARS and len(v) == n}
    out["n"] = np.array(stop - start)
    return out


def combine_payments(
    first: dict[str, Any], second: dict[str, Any], offset: int, fam: dict[str, np.ndarray]
) -> dict[str, Any]:
    """Payments and exits of two consecutive parts of the families in one (the second
    part's families start at position ``offset``); families that moved away without being
    escalated closed their case for that reason."""
    pays = {}
    n_ep = len(first["episodes"]["fam"])
    for k, v in first["payments"].items():
        w = second["payments"][k]
        if k == "fam":
            w = w + offset
        elif k == "episode":
            w = np.where(w >= 0, w + n_ep, w)
        pays[k] = np.concatenate([v, w])
    order = np.lexsort((pays["type"], pays["fam"], pays["date"]))
    pays = {k: v[order] for k, v in pays.items()}
    episodes = {}
    for k, v in first["episodes"].items():
        w = second["episodes"][k]
        if np.ndim(v) == 0:
            episodes[k] = v + w
        else:
            episodes[k] = np.concatenate([v, w + offset if k == "fam" else w])
    exit_date = np.concatenate([first["exit_date"], second["exit_date"]])
    reason = np.concatenate([first["exit_reason"], second["exit_reason"]])
    moved = fam["moved_away"] & ~fam["escalated"] & (exit_date != NO_DAY)
    reason = np.where(moved, level_codes("exit_reason")["moved_away"], reason)
    return {
        "payments": pays,
        "episodes": episodes,
        "exit_date": exit_date,
        "exit_reason": reason,
        "reason_levels": first["reason_levels"],
    }


def combine_referrals(
    rng: np.random.Generator, first: dict[str, Any], second: dict[str, Any], offset: int
) -> dict[str, Any]:
    """Referrals of two consecutive parts of the families in one, in date order, with
    referral numbers given afresh in that order."""
    a, b = first["referrals"], second["referrals"]
    ref = {k: np.concatenate([v, b[k] + offset if k == "fam" else b[k]]) for k, v in a.items()}
    order = np.lexsort((ref["fam"], ref["date"]))
    ref = {k: v[order] for k, v in ref.items()}
    m = len(ref["fam"])
    ref["id"] = 1200 + np.arange(m) + np.cumsum(rng.integers(0, 2, m))
    lost = np.concatenate([first["history_lost"], second["history_lost"]])
    return {"referrals": ref, "history_lost": lost}


def _swemwbs_items(rng: np.random.Generator, metric: np.ndarray, noise_sd: float) -> np.ndarray:
    """Item scores (one column per item) consistent with latent SWEMWBS metric scores."""
    inst = instrument(WELLBEING_INSTRUMENT)
    k = inst.n_items
    raw = np.interp(metric, inst.metric, np.arange(k * inst.item_min, k * inst.item_max + 1))
    bias = np.array([-0.15, 0.1, -0.25, 0.05, 0.15, 0.0, 0.1])  # of each item
    level = raw[:, None] / k + bias[None, :] + rng.normal(0, noise_sd, (len(metric), k))
    return np.clip(np.rint(level), inst.item_min, inst.item_max).astype(np.int64)


def _metric(items: np.ndarray) -> np.ndarray:
    """SWEMWBS metric score of complete item rows (NaN when an item is blank)."""
    inst = instrument(WELLBEING_INSTRUMENT)
    lowest = inst.n_items * inst.item_min
    table = np.array(inst.metric)
    complete = (items > 0).all(axis=1)
    raw = np.where(complete, items.sum(axis=1), lowest)
    return np.where(complete, table[raw - lowest], np.nan)


def simulate_wellbeing(
    rng: np.random.Generator, fam: dict[str, np.ndarray], n_sites: int
) -> dict[str, Any]:
    """SWEMWBS completions of NOREAM parent/carers (and some young people): baseline at
    enrolment, follow-up about six months later with attrition related to baseline."""
    p = PARAMETERS["wellbeing"]
    cut = day_of(PARAMETERS["dates"]["data_cut"])
    site_effect = rng.normal(0.0, p["site_sd_metric"], n_sites)
    site_effect[0] = 0.0
    idx = np.flatnonzero(fam["treated"])
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
    n_items = instrument(WELLBEING_INSTRUMENT).n_items
    blank_item = rng.integers(0, n_items, r)
    wb["items"][np.flatnonzero(incomplete), blank_item[incomplete]] = 0
    second_blank = incomplete & (rng.random(r) < 0.3)
    wb["items"][np.flatnonzero(second_blank), (blank_item[second_blank] + 3) % n_items] = 0
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


def simulate_domains(
    rng: np.random.Generator, fam: dict[str, np.ndarray], exit_date: np.ndarray
) -> dict[str, Any]:
    p = PARAMETERS["domains"]
    cut = day_of(PARAMETERS["dates"]["data_cut"])
    idx = np.flatnonzero(fam["treated"])
    m = len(idx)
    enrolled = fam["enrolled"][idx]
    ex = exit_date[idx]
    base_date = enrolled + rng.integers(0, 22, m)
    has_base = (rng.random(m) < p["baseline_share"]) & (base_date <= cut)
    has_base &= (ex == NO_DAY) | (ex > base_date)
    r0, r1 = p["review_days"]
    rev_date = enrolled + rng.integers(r0, r1 + 1, m)
    has_rev = has_base & (rev_date <= cut) & ((ex == NO_DAY) | (ex > rev_date))
    has_rev &= rng.random(m) < p["review_share"]
    exit_adate = ex - rng.integers(0, 8, m)
    prior = np.where(has_rev, rev_date, base_date)
    has_exit = has_base & (ex != NO_DAY) & (exit_adate > prior + 14) & (exit_adate <= cut)
    has_exit &= rng.random(m) < p["exit_share"]

    domains = LEVELS["domain"]
    k = len(domains)
    lo, hi = DOMAIN_SCORES
    means = np.array([p["baseline_mean"][d] for d in domains])
    need = rng.normal(0.0, 0.6, m)
    base = np.clip(np.rint(means[None, :] + need[:, None] + rng.normal(0, 0.7, (m, k))), lo, hi)
    dv, dp = np.array(p["review_change_values"]), p["review_change_probs"]
    review = np.clip(base + dv[choose(rng, m * k, dp).reshape(m, k)], lo, hi)
    ev, ep = np.array(p["exit_change_values"]), p["exit_change_probs"]
    before_exit = np.where(has_rev[:, None], review, base)
    final = np.clip(before_exit + ev[choose(rng, m * k, ep).reshape(m, k)], lo, hi)

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


def simulate_staff(rng: np.random.Generator, sites: Sites, people: People) -> dict[str, Any]:
    p = PARAMETERS["staff"]
    lo, hi = p["per_site"]
    per_site = rng.integers(lo, hi + 1, sites.n)
    site = np.repeat(np.arange(sites.n), per_site)
    n = len(site)
    fi = people.staff_first[rng.integers(0, len(people.staff_first), n)]
    li = people.staff_last[rng.integers(0, len(people.staff_last), n)]
    name = people.first[fi] + " " + people.last[li]
    domain = np.array(["@" + s + ".council.example" for s in sites.slugs], dtype=STR)[site]
    base = people.first_slug[fi] + "." + people.last_slug[li] + domain
    # Make e-mail addresses unique by numbering repeats of the same address.
    _, inverse = np.unique(base, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    counts = np.bincount(inverse)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = _group_offsets(counts)
    local = people.first_slug[fi] + "." + people.last_slug[li]
    email = np.where(rank > 0, local + strs(rank + 1) + domain, local + domain)

    directorate_levels = LEVELS["directorate"]
    dcode = level_codes("directorate")
    directorate = choose(
        rng,
        n,
        _probs(
            directorate_levels,
            {
                "childrens_services": 0.45,
                "adult_services": 0.15,
                "housing": 0.2,
                "public_health": 0.07,
                "education": 0.06,
                "finance": 0.03,
                "community_safety": 0.04,
            },
        ),
    )
    # role codes index STAFF_ROLES: 0 social worker, 1 senior practitioner, 2 team manager,
    # 3 service manager, 4 immigration advisor, 5 immigration adviser, 6 housing support,
    # 7 other
    role_csc = choose(rng, n, (0.35, 0.12, 0.08, 0.04, 0.05, 0.04, 0.14, 0.18))
    role_other = choose(rng, n, (0.3, 0.0, 0.15, 0.05, 0.0, 0.0, 0.0, 0.5))
    role_housing = choose(rng, n, (0.0, 0.0, 0.15, 0.05, 0.0, 0.0, 0.4, 0.4))
    role = np.where(
        directorate == dcode["childrens_services"],
        role_csc,
        np.where(directorate == dcode["housing"], role_housing, role_other),
    )
    role_raw = sarr(raw for raw, _ in STAFF_ROLES)[role]
    present1 = rng.random(n) < p["present_wave1"]
    present2 = np.where(present1, rng.random(n) < p["stay_to_wave2"], True)
    resp1 = present1 & (rng.random(n) < p["respond_wave1"])
    resp2 = present2 & (rng.random(n) < p["respond_wave2"])
    person = rng.normal(0.0, p["person_sd"], n)
    effects = np.array(p["item_effects"])
    # Items 1-4 are on multi-agency working, items 5-8 on cross-directorate coordination.
    shift = np.array([p["wave2_shift_multi_agency"]] * 4 + [p["wave2_shift_coordination"]] * 4)
    inst = instrument(STAFF_INSTRUMENT)

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
        + rng.normal(0, p["noise_sd"], (r, inst.n_items))
    )
    st["items"] = np.clip(np.rint(latent), inst.item_min, inst.item_max).astype(np.int64)
    order = np.lexsort((st["staff"], st["wave"], site[st["staff"]]))
    st = {k: v[order] for k, v in st.items()}
    return {
        "rows": st,
        "site": site,
        "name": name,
        "name_index": (fi, li),
        "email": email,
        "directorate": directorate,
        "directorate_raw": raw_codes(rng, directorate, directorate_levels, DIRECTORATE),
        "role": role,
        "role_raw": role_raw,
        "n": n,
        "linked": int((resp1 & resp2).sum()),
    }


def simulate_meetings(
    rng: np.random.Generator,
    fam: dict[str, np.ndarray],
    exit_date: np.ndarray,
    sites: Sites,
    staff: dict[str, Any],
) -> dict[str, Any]:
    """Monthly SNACs per site (one or two months missed) and ad-hoc consultations."""
    p = PARAMETERS["meetings"]
    cut = day_of(PARAMETERS["dates"]["data_cut"])
    starts, lengths, ym = _month_grid(*p["snac_months"])
    n_months = len(starts)
    dir_levels = LEVELS["directorate"]
    p_start = np.array([1.0] + [p["directorate_prob_start"][d] for d in dir_levels[1:]])
    p_end = np.array([1.0] + [p["directorate_prob_end"][d] for d in dir_levels[1:]])
    agency_levels = LEVELS["agency"]
    agency_p = np.array(_probs(agency_levels, _AGENCY_PROBS))
    managers = np.isin(staff["role"], _MANAGER_ROLES)
    meetings: list[dict[str, Any]] = []
    snac_held = 0
    missed_by_site: dict[str, list[str]] = {}
    for s in range(sites.n):
        fam_s = np.flatnonzero(fam["treated"] & (fam["site"] == s))
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
                events.append(((day - EPOCH).days, 0, i / (n_months - 1)))
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
                & ((exit_date[fam_s] == NO_DAY) | (exit_date[fam_s] > day))
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


def simulate_deliverables(
    rng: np.random.Generator, sites: Sites, staff: dict[str, Any]
) -> list[dict[str, Any]]:
    cut = day_of(PARAMETERS["dates"]["data_cut"])
    lead_pool = np.flatnonzero((staff["site"] == 0) & np.isin(staff["role"], _MANAGER_ROLES))
    if len(lead_pool) == 0:
        lead_pool = np.flatnonzero(staff["site"] == 0)

    def lead() -> str:
        return str(staff["name"][int(rng.choice(lead_pool))])

    rows: list[dict[str, Any]] = [
        {
            "kind": "manual",
            "title": "NOREAM practice manual (open access)",
            "date": day_of("2022-03-01") + int(rng.integers(0, 31)),
            "site": 0,
            "attendees": None,
            "las": None,
            "status": "published",
            "lead": lead(),
        }
    ]
    n_train = int(rng.integers(8, 13))
    train_days = np.sort(rng.integers(day_of("2021-09-01"), cut + 1, n_train))
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
    paper_days = np.sort(rng.integers(day_of("2021-07-01"), cut, n_papers))
    for i in range(n_papers):
        published = i < n_papers - 1
        rows.append(
            {
                "kind": "working_paper",
                "title": _names.WORKING_PAPERS[i],
                "date": int(paper_days[i]) if published else NO_DAY,
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
        status = "published" if s == 0 else statuses[int(choose(rng, 1, (0.4, 0.45, 0.15))[0])]
        rows.append(
            {
                "kind": "map_strategy",
                "title": f"Migrant Aware Practice strategy - {sites.short[s]}",
                "date": int(rng.integers(day_of("2021-10-01"), cut))
                if status == "published"
                else NO_DAY,
                "site": sites.codes[s],
                "attendees": None,
                "las": None,
                "status": status,
                "lead": lead(),
            }
        )
    for code, short in extra:
        status = statuses[int(choose(rng, 1, (0.4, 0.45, 0.15))[0])]
        rows.append(
            {
                "kind": "map_strategy",
                "title": f"Migrant Aware Practice strategy - {short}",
                "date": int(rng.integers(day_of("2021-10-01"), cut))
                if status == "published"
                else NO_DAY,
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


def _on_programme(fam: dict[str, np.ndarray], exit_date: np.ndarray) -> tuple[np.ndarray, ...]:
    """Enrolled families (positions), their enrolment and the end of their time on the
    programme (exit, else the data cut)."""
    cut = day_of(PARAMETERS["dates"]["data_cut"])
    idx = np.flatnonzero(fam["treated"])
    start = fam["enrolled"][idx]
    ex = exit_date[idx]
    end = np.where(ex == NO_DAY, cut, np.minimum(ex, cut))
    return idx, start, end


def simulate_complex(
    rng: np.random.Generator, fam: dict[str, np.ndarray], exit_date: np.ndarray
) -> np.ndarray:
    """The day each enrolled family was flagged as a complex case (``NO_DAY`` if never)."""
    p = PARAMETERS["complex"]
    idx, start, end = _on_programme(fam, exit_date)
    m = len(idx)
    span = np.minimum(end - start, p["flag_within_days"])
    flagged = (rng.random(m) < p["flag_prob"]) & (span >= 2)
    day = start + 1 + np.floor(rng.random(m) * (span - 1)).astype(np.int64)
    flag = np.full(int(fam["n"]), NO_DAY, dtype=np.int64)
    flag[idx[flagged]] = day[flagged]
    return flag


def discuss_complex_cases(
    rng: np.random.Generator,
    meet: dict[str, Any],
    fam: dict[str, np.ndarray],
    exit_date: np.ndarray,
    flag: np.ndarray,
) -> dict[str, Any]:
    """Take most complex cases to the next meeting of their site after the flag.

    A flagged family is taken with probability ``discussed_prob``: it is added to the
    next SNAC or consultation of its site after the flag day, when that is within
    ``discussed_within_days`` and the case is still open. A flagged family not taken is
    left out of every meeting after its flag. Changes ``meet`` in place and returns
    what was done: families taken, added and left out.
    """
    p = PARAMETERS["complex"]
    rows = meet["meetings"]
    flagged = np.flatnonzero(flag != NO_DAY)
    taken = rng.random(len(flagged)) < p["discussed_prob"]
    if not rows:
        return {"taken": int(taken.sum()), "added": 0}
    day = np.array([x["day"] for x in rows], dtype=np.int64)
    site = np.array([x["site"] for x in rows], dtype=np.int64)
    # Meetings are listed site by site, each site's in date order: one sorted key.
    days = np.concatenate([day, flag[flagged]])
    base = int(days.min())
    span = int(days.max()) - base + 2
    key = site * span + (day - base)
    f_taken = flagged[taken]
    f_day = flag[f_taken]
    nxt = np.searchsorted(key, fam["site"][f_taken] * span + (f_day - base), side="right")
    ok = nxt < len(rows)
    nxt_c = np.minimum(nxt, len(rows) - 1)
    ok &= site[nxt_c] == fam["site"][f_taken]
    ok &= day[nxt_c] <= f_day + p["discussed_within_days"]
    ex = exit_date[f_taken]
    ok &= (ex == NO_DAY) | (ex > day[nxt_c])
    added = 0
    by_meeting = np.argsort(nxt_c[ok], kind="stable")
    where, fams = nxt_c[ok][by_meeting], f_taken[ok][by_meeting]
    bounds = np.flatnonzero(np.diff(where)) + 1
    for group in np.split(np.arange(len(where)), bounds):
        if not len(group):
            continue
        i = int(where[group[0]])
        before = len(rows[i]["cases"])
        rows[i]["cases"] = np.union1d(rows[i]["cases"], fams[group])
        added += len(rows[i]["cases"]) - before
    left_out = np.full(int(fam["n"]), NO_DAY, dtype=np.int64)
    not_taken = flagged[~taken]
    left_out[not_taken] = flag[not_taken]
    for i, x in enumerate(rows):
        cases = x["cases"]
        if len(cases):
            since = left_out[cases]
            x["cases"] = cases[(since == NO_DAY) | (since >= day[i])]
    return {"taken": int(taken.sum()), "added": added}


def simulate_contacts(
    rng: np.random.Generator,
    fam: dict[str, np.ndarray],
    exit_date: np.ndarray,
    staff: dict[str, Any],
) -> dict[str, np.ndarray]:
    """Contacts of workers with enrolled families while on the programme.

    Each family's contacts are Poisson with its own rate (gamma distributed around
    ``per_family_month``) times its months on the programme, on days spread evenly from
    enrolment to exit or the data cut. Most families with a contact see the immigration
    advisor at least once. Each family has one worker of each role at its site (a staff
    member of that role when the site has one).
    """
    p = PARAMETERS["contacts"]
    idx, start, end = _on_programme(fam, exit_date)
    m = len(idx)
    span = np.maximum(end - start, 0)
    months = span / p["days_per_month"]
    shape = p["family_rate_gamma_shape"]
    rate = p["per_family_month"] * rng.gamma(shape, 1.0 / shape, m)
    count = rng.poisson(rate * months)
    count = np.where(end >= start, count, 0)
    total = int(count.sum())
    owner = np.repeat(np.arange(m), count)
    day = start[owner] + np.floor(rng.random(total) * (span[owner] + 1)).astype(np.int64)

    roles = LEVELS["worker_role"]
    rcode = {r: i for i, r in enumerate(roles)}
    seen = (rng.random(m) < p["advisor_seen_prob"]) & (count > 0)
    others = [p["other_roles"].get(r, 0.0) for r in roles]
    role = choose(rng, total, others)
    adv = seen[owner] & (rng.random(total) < p["advisor_share_of_contacts_if_seen"])
    role = np.where(adv, rcode["immigration_advisor"], role)
    # A family that sees the advisor and drew no advisor contact: one of its contacts is.
    first = np.cumsum(count) - count
    has_adv = np.bincount(owner[adv], minlength=m) > 0
    need = np.flatnonzero(seen & ~has_adv)
    pick = first[need] + np.floor(rng.random(len(need)) * count[need]).astype(np.int64)
    role[pick] = rcode["immigration_advisor"]
    modes = LEVELS["contact_mode"]
    mode = np.where(
        role == rcode["immigration_advisor"],
        choose(rng, total, [p["modes_advisor"].get(x, 0.0) for x in modes]),
        choose(rng, total, [p["modes_other"].get(x, 0.0) for x in modes]),
    )

    # One worker of each role per family, from its site's staff (any role if none).
    staff_group = _staff_contact_role(staff["role"])
    n_sites = int(staff["site"].max()) + 1 if len(staff["site"]) else 1
    k_roles = len(roles)
    group_key = staff["site"] * k_roles + staff_group
    order = np.argsort(group_key, kind="stable")
    g_start = np.searchsorted(group_key[order], np.arange(n_sites * k_roles))
    g_count = np.searchsorted(group_key[order], np.arange(n_sites * k_roles), "right") - g_start
    s_start = np.searchsorted(staff["site"][order], np.arange(n_sites))
    s_count = np.searchsorted(staff["site"][order], np.arange(n_sites), "right") - s_start
    fam_site = fam["site"][idx]
    key = fam_site[:, None] * k_roles + np.arange(k_roles)[None, :]
    u = rng.random((m, k_roles))
    have = g_count[key] > 0
    pos = np.where(
        have,
        g_start[key] + np.floor(u * g_count[key]).astype(np.int64),
        s_start[fam_site][:, None] + np.floor(u * s_count[fam_site][:, None]).astype(np.int64),
    )
    worker = order[pos][owner, role] if total else np.zeros(0, dtype=np.int64)

    phone = rng.random(total) < p["client_phone_recorded"]
    minute = rng.integers(9 * 60, 18 * 60, total)
    sort = np.lexsort((minute, idx[owner], day))
    return {
        "fam": idx[owner][sort],
        "day": day[sort],
        "minute": minute[sort],
        "role": role[sort],
        "mode": mode[sort],
        "worker": worker[sort],
        "phone": phone[sort],
        "id": 500_000 + np.cumsum(rng.integers(1, 3, total)),
        "count": count,
        "months": months,
        "families": idx,
        "seen_advisor": seen,
    }


def _staff_contact_role(staff_role: np.ndarray) -> np.ndarray:
    """The contacts' worker role (index of ``LEVELS["worker_role"]``) of each staff
    member's role code (index of STAFF_ROLES)."""
    roles = LEVELS["worker_role"]
    to_worker = {
        "social_worker": "social_worker",
        "immigration_advisor": "immigration_advisor",
        "housing_support": "housing_support_worker",
    }
    table = np.array([roles.index(to_worker.get(role, "other")) for _, role in STAFF_ROLES])
    return table[staff_role]
