"""Outcome 1, repeat referrals: flags, rates, Kaplan-Meier shares, the monthly series and ITS.

Hand-computed cases, a property test of the vectorised flags against a per-family loop,
the edge cases of the analysis plan, the sample's realised values (``truth.json``) and
the time series against R's output for the Lopez Bernal et al. (2017) Sicily data.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from _rereferral_truth import true_values, world, world_tables
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from noream_eval.data import EvaluationData
from noream_eval.errors import NoreamEvalError, StatsInputError, ValidationError
from noream_eval.metrics import compute_all
from noream_eval.metrics import rereferrals as rr
from noream_eval.metrics.core import INDICATOR_COLUMNS, Settings, indicator_table
from noream_eval.plan import AnalysisPlan
from noream_eval.stats import kaplan_meier, proportion_ci, rate_ratio, risk_difference

ROOT = Path(__file__).resolve().parents[1]
D = pd.Timestamp


def _refs(rows, *, index=None) -> pd.DataFrame:
    """Referrals from (referral_id, family_id, date) tuples (site from the family's letter)."""
    ids, fams, dates = zip(*rows, strict=True) if rows else ((), (), ())
    return pd.DataFrame(
        {
            "referral_id": pd.array(ids, dtype="string"),
            "family_id": pd.array(fams, dtype="string"),
            "referral_date": pd.to_datetime(list(dates)),
        },
        index=index,
    )


def _flags(frame: pd.DataFrame) -> list[list[bool]]:
    return frame[list(rr.FLAG_COLUMNS)].to_numpy().tolist()


# ----------------------------------------------------------------------------- the flags


def test_window_boundary_and_same_day_repeats_by_referral_id():
    refs = _refs(
        [
            ("r5", "fa", "2021-01-01"),
            ("r4", "fa", "2022-01-01"),  # 365 days later: a re-referral
            ("r9", "fa", "2023-01-02"),  # 366 days later: not
            ("r2", "fa", "2023-01-02"),  # same day, smaller id: this one stands for the day
            ("r3", "fb", "2021-05-05"),
        ],
        index=[10, 3, 7, 1, 0],
    )
    out = rr.flag_rereferrals(refs)
    assert out.index.tolist() == [10, 3, 7, 1, 0]
    assert out["referral_id"].tolist() == refs["referral_id"].tolist()
    assert _flags(out) == [
        [False, False, False],
        [True, False, False],
        [False, False, True],
        [False, False, False],
        [False, False, False],
    ]
    assert list(refs.columns) == ["referral_id", "family_id", "referral_date"]  # untouched
    assert _flags(rr.flag_rereferrals(refs, window_days=366))[3] == [True, False, False]


def test_history_boundary_and_what_a_recorded_referral_proves():
    known = pd.Series(pd.to_datetime(["2020-01-02", "2020-01-02"]), index=["fa", "fb"])
    refs = _refs(
        [
            ("r1", "fa", "2021-01-01"),  # window starts 2020-01-02 = known: complete
            ("r2", "fb", "2021-01-01"),  # a re-referral (r3 the day before)
            ("r3", "fb", "2020-12-31"),  # window starts 2020-01-01 < known: incomplete
            ("r4", "fc", "2021-01-01"),  # not in the Series: only data_start limits it
            ("r5", "fd", "2019-06-01"),  # recorded before its family's known date...
            ("r6", "fd", "2020-02-01"),  # ...and still proves this re-referral
        ]
    )
    known["fd"] = D("2020-01-15")
    out = rr.flag_rereferrals(refs, history_known_from=known)
    assert _flags(out) == [
        [False, False, False],
        [True, False, False],  # r3 is the day before
        [False, True, False],
        [False, False, False],
        [False, True, False],
        [True, False, False],
    ]
    # data_start applies to everyone (the later of the two dates counts)
    later = rr.flag_rereferrals(refs, history_known_from=known, data_start="2020-06-01")
    assert later["history_incomplete"].tolist() == [True, False, True, True, True, False]
    # a DataFrame of families and a single date give the same kind of answer
    fams = pd.DataFrame({"family_id": known.index, "history_known_from": known.to_numpy()})
    pd.testing.assert_frame_equal(rr.flag_rereferrals(refs, history_known_from=fams), out)
    one = rr.flag_rereferrals(refs, history_known_from=dt.date(2020, 1, 2))
    assert one["history_incomplete"].tolist() == [False, False, True, False, True, False]
    # None: no limit at all
    assert not rr.flag_rereferrals(refs)["history_incomplete"].any()


def test_history_of_other_families_does_not_apply():
    # Canonical keys of another namespace share the digits, not the family.
    refs = _refs([("r1", "f00000000000000a1", "2021-01-01")])
    for letter, expect in (("f", True), ("g", False)):
        known = pd.Series([D("2020-06-01")], index=[f"{letter}00000000000000a1"])
        got = rr.flag_rereferrals(refs, history_known_from=known)
        assert got["history_incomplete"].tolist() == [expect]
    empty = rr.flag_rereferrals(refs.iloc[:0], history_known_from=known)
    assert empty.empty


def test_missing_history_date_means_no_limit_but_data_start():
    refs = _refs([("r1", "fa", "2021-01-01")])
    fams = pd.DataFrame({"family_id": ["fa"], "history_known_from": [pd.NaT]})
    assert not rr.flag_rereferrals(refs, history_known_from=fams)["history_incomplete"].any()
    got = rr.flag_rereferrals(refs, history_known_from=fams, data_start="2020-06-01")
    assert got["history_incomplete"].tolist() == [True]


def test_empty_referrals_get_empty_flags():
    out = rr.flag_rereferrals(_refs([]), history_known_from="2020-01-01")
    assert len(out) == 0 and all(out[c].dtype == bool for c in rr.FLAG_COLUMNS)


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (lambda r: r.drop(columns="family_id"), ValidationError, "lacks the column"),
        (
            lambda r: r.assign(family_id=pd.array(["fa", None], dtype="string")),
            ValidationError,
            "family_id is missing in 1",
        ),
        (
            lambda r: r.assign(referral_date=[D("2021-01-01"), pd.NaT]),
            ValidationError,
            "referral_date is missing in 1",
        ),
    ],
)
def test_bad_referrals_are_refused(change, error, match):
    refs = _refs([("r1", "fa", "2021-01-01"), ("r2", "fb", "2021-02-01")])
    with pytest.raises(error, match=match):
        rr.flag_rereferrals(change(refs))


def test_bad_options_are_refused():
    refs = _refs([("r1", "fa", "2021-01-01")])
    for bad in (0, 3661, 36.5, True):
        with pytest.raises(StatsInputError, match="window_days"):
            rr.flag_rereferrals(refs, window_days=bad)
    twice = pd.DataFrame({"family_id": ["fa", "fa"], "history_known_from": [D("2020-01-01")] * 2})
    with pytest.raises(ValidationError, match="more than once"):
        rr.flag_rereferrals(refs, history_known_from=twice)
    with pytest.raises(StatsInputError, match="history_known_from must be"):
        rr.flag_rereferrals(refs, history_known_from=[1, 2])
    with pytest.raises(StatsInputError, match="not a date"):
        rr.flag_rereferrals(refs, history_known_from="someday")
    assert issubclass(ValidationError, NoreamEvalError)


def _reference(refs, window, history, data_start):
    """The obviously correct classification: a loop over families, then over their days."""

    def known_of(fam):
        dates = []
        if isinstance(history, pd.Series):
            value = history.get(fam)
            dates.append(None if value is None or pd.isna(value) else D(value))
        elif history is not None:
            dates.append(D(history))
        if data_start is not None:
            dates.append(D(data_start))
        dates = [d for d in dates if d is not None]
        return max(dates) if dates else None

    out = {i: [False, False, False] for i in refs.index}
    for fam in pd.unique(refs["family_id"].astype(object)):
        rows = refs.loc[refs["family_id"].astype(object) == fam]
        rows = rows.assign(rid=rows["referral_id"].astype(str))
        previous = None
        limit = known_of(fam)
        for i, row in rows.sort_values(["referral_date", "rid"]).iterrows():
            day = row["referral_date"]
            if previous is not None and day == previous:
                out[i] = [False, False, True]
                continue
            is_re = previous is not None and (day - previous).days <= window
            start = day - pd.Timedelta(days=window)
            out[i] = [is_re, (not is_re) and limit is not None and start < limit, False]
            previous = day
    return [out[i] for i in refs.index]


def test_families_sharing_a_sort_bucket_are_sorted_apart():
    # Canonical numbers that differ only in their low bits share the top bits that fit
    # in the sort key; their rows interleave until re-sorted by the full number.
    a, b = "f8000000000000001", "f8000000000000002"
    refs = _refs(
        [
            ("r1", a, "2021-01-01"),
            ("r2", b, "2021-02-01"),
            ("r3", a, "2021-03-01"),
            ("r4", b, "2022-06-01"),
            ("r5", a, "2021-03-01"),
        ]
    )
    with mock.patch.object(rr.np, "lexsort", wraps=np.lexsort) as spy:
        out = rr.flag_rereferrals(refs)
    assert spy.called
    assert _flags(out) == [
        [False, False, False],
        [False, False, False],
        [True, False, False],
        [False, False, False],
        [False, False, True],
    ]


@st.composite
def referral_sets(draw):
    n_fam = draw(st.integers(1, 6))
    n = draw(st.integers(0, 40))
    fam = draw(st.lists(st.integers(0, n_fam - 1), min_size=n, max_size=n))
    base = D("2019-01-01")
    pool = draw(st.lists(st.integers(0, 1200), min_size=1, max_size=8))  # repeats likely
    days = draw(st.lists(st.sampled_from(pool) | st.integers(0, 1500), min_size=n, max_size=n))
    order = draw(st.permutations(range(n)))
    style = draw(st.sampled_from(["canonical", "plain", "categorical"]))
    if style == "canonical":
        numbers = draw(
            st.lists(st.integers(0, 2**64 - 1), min_size=n_fam, max_size=n_fam, unique=True)
        )
        names = [f"f{x:016x}" for x in numbers]
    else:
        names = [f"family-{k}" for k in range(n_fam)]
    ids = [names[f] for f in fam]
    family_id = (
        pd.Categorical(ids, categories=sorted(set(names)))
        if style == "categorical"
        else pd.array(ids, dtype="string" if style == "canonical" else object)
    )
    refs = pd.DataFrame(
        {
            "referral_id": pd.array([f"r{k:03d}" for k in order], dtype="string"),
            "family_id": family_id,
            "referral_date": [base + pd.Timedelta(days=d) for d in days],
        },
        index=draw(st.permutations(range(100, 100 + n))),
    )
    kind = draw(st.sampled_from(["none", "date", "series"]))
    history = None
    if kind == "date":
        history = base + pd.Timedelta(days=draw(st.integers(-400, 1600)))
    elif kind == "series":
        known = draw(st.lists(st.none() | st.integers(-400, 1600), min_size=n_fam, max_size=n_fam))
        keep = draw(st.lists(st.booleans(), min_size=n_fam, max_size=n_fam))
        history = pd.Series(
            [pd.NaT if k is None else base + pd.Timedelta(days=k) for k in known],
            index=names,
            dtype="datetime64[ns]",
        )[keep]
    start = draw(st.none() | st.integers(-400, 1600))
    data_start = None if start is None else base + pd.Timedelta(days=start)
    window = draw(st.sampled_from([1, 30, 365]))
    return refs, window, history, data_start


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(referral_sets(), st.sampled_from([63, 20, 0]))
def test_flags_equal_a_per_family_loop(case, key_bits):
    # 63: the single-key sort; 20: only the top bits of a canonical family number fit in
    # the key, so families share buckets and are re-sorted; 0: np.lexsort.
    refs, window, history, data_start = case
    with mock.patch.object(rr, "_KEY_BITS", key_bits):
        out = rr.flag_rereferrals(
            refs, window_days=window, history_known_from=history, data_start=data_start
        )
    assert out.index.tolist() == refs.index.tolist()
    assert _flags(out) == _reference(refs, window, history, data_start)


# ----------------------------------------------------------------------------- rates


def _families(rows) -> pd.DataFrame:
    fid, cohort, site, first, known = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "family_id": pd.array(fid, dtype="string"),
            "site": pd.array(site, dtype="string"),
            "cohort": pd.Categorical(cohort, categories=["noream", "comparison", "unknown"]),
            "first_contact_date": pd.to_datetime(list(first)),
            "history_known_from": pd.to_datetime(list(known)),
        }
    )


FAMILIES = _families(
    [
        ("fa", "noream", "S1", "2021-03-01", "2017-04-01"),
        ("fb", "noream", "S1", "2021-04-01", "2017-04-01"),  # one referral
        ("fc", "comparison", "S2", "2019-01-10", "2017-04-01"),
        ("fd", "comparison", "S2", "2019-05-01", "2020-10-13"),  # earlier history unknown
        ("fe", "comparison", "S3", "2019-05-01", "2017-04-01"),  # no referral: site S3 empty
    ]
)
REFERRALS = _refs(
    [
        ("r01", "fa", "2021-03-01"),
        ("r02", "fa", "2021-08-01"),  # 153 days after: re-referral
        ("r03", "fa", "2021-08-01"),  # same day: left out
        ("r04", "fb", "2021-04-01"),
        ("r05", "fc", "2019-01-10"),
        ("r06", "fc", "2020-03-01"),  # 416 days: not
        ("r07", "fc", "2020-06-01"),  # 92 days: re-referral
        ("r08", "fd", "2020-11-01"),  # window from 2019-11-02 < 2020-10-13: incomplete
        ("r09", "fd", "2021-01-15"),  # 75 days: re-referral
    ]
).assign(site=lambda r: r["family_id"].map({"fa": "S1", "fb": "S1", "fc": "S2", "fd": "S2"}))
KW = {"data_start": "2017-04-01", "programme_start": "2021-02-01"}


def _row(table, name, group="all"):
    hit = table.loc[(table["indicator"] == name) & (table["group"] == group)]
    assert len(hit) == 1, (name, group)
    return hit.iloc[0]


def test_rates_by_group_hand_computed():
    t = rr.rereferral_rates(REFERRALS, FAMILIES, **KW)
    assert tuple(t.columns) == INDICATOR_COLUMNS
    expect = {  # group: (k, n primary, n sensitivity)
        "all": (3, 7, 8),
        "noream": (1, 3, 3),
        "comparison": (2, 4, 5),
        "period:before": (2, 4, 5),
        "period:after": (1, 3, 3),
        "site:S1": (1, 3, 3),
        "site:S2": (2, 4, 5),
    }
    for group, (k, n, n_sens) in expect.items():
        for name, size in (("rereferral_rate", n), ("rereferral_rate_sensitivity", n_sens)):
            row = _row(t, name, group)
            ci = proportion_ci(k, size).to_frame().iloc[0]
            assert (row["n"], row["estimate"]) == (size, k / size)
            assert (row["ci_low"], row["ci_high"]) == (ci["ci_low"], ci["ci_high"])
            assert json.loads(row["params"])["rereferrals"] == k
    assert "1 referral(s) with incomplete history left out" in _row(t, "rereferral_rate")["method"]
    empty = _row(t, "rereferral_rate", "site:S3")  # a site with no data
    assert empty["n"] == 0 and math.isnan(empty["estimate"]) and "n = 0" in empty["method"]
    diff, ratio = _row(t, "rereferral_rate_difference"), _row(t, "rereferral_rate_ratio")
    ref_d = risk_difference(1, 3, 2, 4).to_frame().iloc[0]
    ref_r = rate_ratio(1, 3, 2, 4).to_frame().iloc[0]
    for row, ref in ((diff, ref_d), (ratio, ref_r)):
        assert row["n"] == 7
        for col in ("estimate", "ci_low", "ci_high", "p_value"):
            assert row[col] == pytest.approx(ref[col], rel=1e-12)
    assert ratio["estimate"] == pytest.approx((1 / 3) / (2 / 4))
    assert "(noream vs comparison)" in ratio["method"]


def test_a_cohort_with_no_referrals():
    refs = REFERRALS.loc[REFERRALS["family_id"].isin(["fc", "fd"])]
    t = rr.rereferral_rates(refs, FAMILIES, **KW)
    row = _row(t, "rereferral_rate", "noream")
    assert row["n"] == 0 and math.isnan(row["estimate"]) and math.isnan(row["ci_low"])
    for name in ("rereferral_rate_difference", "rereferral_rate_ratio"):
        row = _row(t, name)
        assert math.isnan(row["estimate"]) and row["n"] == 4
        assert "not estimable: no referral classified in the noream cohort" in row["method"]


def test_no_rereferral_in_either_cohort_gives_a_reasoned_empty_ratio():
    refs = REFERRALS.loc[REFERRALS["referral_id"].isin(["r01", "r04", "r05"])]
    t = rr.rereferral_rates(refs, FAMILIES, **KW)
    ratio = _row(t, "rereferral_rate_ratio")
    assert math.isnan(ratio["estimate"]) and "No events in either group" in ratio["method"]
    assert _row(t, "rereferral_rate_difference")["estimate"] == 0.0


def test_single_cohort_and_no_programme_start():
    t = rr.rereferral_rates(REFERRALS, FAMILIES, data_start="2017-04-01", cohorts=["noream"])
    assert set(t["indicator"]) == {"rereferral_rate", "rereferral_rate_sensitivity"}
    assert not t["group"].str.startswith("period:").any()
    # families of a cohort not named still get their own group
    assert _row(t, "rereferral_rate", "comparison")["n"] == 4


# ----------------------------------------------------------------------------- Kaplan-Meier


def test_within_12m_hand_computed():
    t = rr.rereferral_within_12m(
        REFERRALS, FAMILIES, data_cut="2022-06-30", data_start="2017-04-01"
    )
    # fa: event at 153 days; fb: censored at 455 (one referral, followed to the cut);
    # fc: event at 416; fd left out (first contact before its history is known); fe has
    # no referral. noream: S(365) = 1 - 1/2; comparison: S(365) = 1; all: S = 2/3.
    est = {g: _row(t, "rereferral_within_12m", g) for g in ("all", "noream", "comparison")}
    assert est["noream"]["estimate"] == pytest.approx(0.5)
    assert est["comparison"]["estimate"] == 0.0 and est["comparison"]["n"] == 1
    assert est["all"]["estimate"] == pytest.approx(1 / 3) and est["all"]["n"] == 3
    params = json.loads(est["all"]["params"])
    assert params["families_without_index_referral"] == 1
    assert params["families_history_incomplete"] == 1
    km = kaplan_meier([153, 455], [1, 0]).survival_at([365]).iloc[0]
    assert est["noream"]["ci_low"] == pytest.approx(1 - km["ci_high"])
    assert est["noream"]["ci_high"] == pytest.approx(1 - km["ci_low"])
    curve = rr.rereferral_km(REFERRALS, FAMILIES, data_cut="2022-06-30", data_start="2017-04-01")
    assert curve["group"].tolist() == ["noream", "noream", "comparison"]
    assert curve["time"].tolist() == [153.0, 455.0, 416.0]
    assert curve["n_at_risk"].tolist() == [2, 1, 1]


def test_within_12m_without_a_year_of_follow_up_or_families():
    t = rr.rereferral_within_12m(REFERRALS, FAMILIES, data_cut="2021-09-01")
    row = _row(t, "rereferral_within_12m", "noream")  # followed at most 184 days
    assert math.isnan(row["estimate"]) and "followed for 365 days" in row["method"]
    none = rr.rereferral_within_12m(_refs([]), FAMILIES, data_cut="2022-06-30")
    assert (none["n"] == 0).all() and none["estimate"].isna().all()
    assert none["method"].str.contains("no family").all()


def test_index_referral_is_the_first_on_or_after_first_contact():
    fams = _families([("fa", "noream", "S1", "2021-03-01", "2017-04-01")])
    refs = _refs(
        [("r1", "fa", "2021-01-01"), ("r2", "fa", "2021-03-05"), ("r3", "fa", "2021-05-04")]
    )
    t = rr.rereferral_within_12m(refs, fams, data_cut="2022-06-30", cohorts=["noream"])
    curve = rr.rereferral_km(refs, fams, data_cut="2022-06-30", cohorts=["noream"])
    assert curve["time"].tolist() == [60.0]  # from r2 to r3
    assert _row(t, "rereferral_within_12m", "noream")["estimate"] == 1.0


# ----------------------------------------------------------------------------- monthly series


def test_monthly_counts_and_days():
    m = rr.monthly_referrals(REFERRALS, FAMILIES, data_start="2019-01-05", data_cut="2022-06-15")
    assert m["cohort"].unique().tolist() == ["all", "noream", "comparison"]
    months = m.loc[m["cohort"] == "all"].set_index("month")
    assert months.index[0] == D("2019-01-01") and months.index[-1] == D("2022-06-01")
    assert months.loc[D("2019-01-01"), "days"] == 27  # from the 5th
    assert months.loc[D("2022-06-01"), "days"] == 15  # to the 15th
    assert months.loc[D("2020-02-01"), "days"] == 29
    aug = months.loc[D("2021-08-01")]
    assert (aug["referrals"], aug["rereferrals"], aug["history_incomplete"]) == (1, 1, 0)
    nov = months.loc[D("2020-11-01")]
    assert (nov["referrals"], nov["history_incomplete"]) == (1, 1) and math.isnan(nov["rate"])
    assert months["referrals"].sum() == 8  # the same-day repeat counts once
    comp = m.loc[m["cohort"] == "comparison", "referrals"].sum()
    assert comp == 5 and m.loc[m["cohort"] == "noream", "referrals"].sum() == 3


def _shocked_frame():
    monthly = pd.DataFrame(
        {
            "month": pd.date_range("2020-01-01", periods=6, freq="MS"),
            "referrals": [5, 6, 7, 8, 9, 10],
            "days": [31, 29, 31, 30, 31, 30],
        }
    )
    shocks = {
        "lockdown": (dt.date(2020, 3, 23), dt.date(2020, 4, 2)),
        "before": (dt.date(2019, 1, 1), dt.date(2019, 2, 1)),
        "always": (dt.date(2019, 1, 1), dt.date(2021, 1, 1)),
    }
    return rr._its_frame(monthly, D("2020-04-10"), shocks)


def test_shock_columns_mark_months_with_a_day_in_the_shock():
    frame, columns, unused = _shocked_frame()
    assert columns == ["shock_lockdown"] and unused == ["before", "always"]
    assert frame["shock_lockdown"].tolist() == [0, 0, 1, 1, 0, 0]
    assert frame["post"].tolist() == [0, 0, 0, 1, 1, 1]  # April holds the start
    assert frame["time"].tolist() == [1, 2, 3, 4, 5, 6]
    assert frame["calendar_month"].tolist() == [1, 2, 3, 4, 5, 6]


def test_its_on_the_sicily_series_reproduces_r():
    # Lopez Bernal, Cummins & Gasparrini (2017), model3: quasi-Poisson, offset log(stdpop),
    # harmonic(month, 2, 12); R's summary(model3) seasonal terms as quoted in
    # tests/test_stats_its.py (sin1, sin2, cos1, cos2). Fed through referrals_its as a
    # monthly table, with the population as the "days" of exposure.
    d = pd.read_csv(ROOT / "tests" / "data" / "its_sicily.csv")
    monthly = pd.DataFrame(
        {
            "month": pd.to_datetime({"year": d["year"], "month": d["month"], "day": 1}),
            "referrals": d["aces"],
            "days": d["stdpop"],
        }
    )
    fit = rr.referrals_its(
        monthly,
        programme_start="2005-01-01",
        harmonics=2,
        slope_change=False,
        newey_west=False,
    )
    r_est = [0.0370967, -0.0182122, 0.0381608, 0.0147634]
    got = [fit.params[t] for t in ("sin1", "sin2", "cos1", "cos2")]
    np.testing.assert_allclose(got, r_est, atol=1e-7)
    assert fit.n == 59 and fit.intervention_time == 37.0


def test_shocks_enter_the_its_as_covariates(sample):
    from noream_eval.stats import its_fit

    covid = (dt.date(2020, 3, 23), dt.date(2020, 7, 31))
    plan = AnalysisPlan(shocks={"covid": covid})
    settings = Settings.from_data(sample, plan=plan)
    part = rr.compute(sample, settings)
    effects = part.tables["its_referrals"]
    assert effects["term"].tolist() == ["level_change", "trend", "slope_change", "shock_covid"]
    # the same model built here by hand: months 2018-01 to 2022-06, March-July 2020 flagged
    monthly = part.tables["monthly_referrals"]
    series = monthly.loc[monthly["cohort"] == "all"].reset_index(drop=True)
    month = series["month"]
    series = series.assign(
        time=np.arange(1, len(series) + 1),
        post=(month >= D("2021-02-01")).astype(int),
        season=month.dt.month,
        covid=((month >= D("2020-03-01")) & (month <= D("2020-07-01"))).astype(int),
    )
    assert series["covid"].sum() == 5
    fit = its_fit(
        series,
        outcome="referrals",
        time="time",
        post="post",
        offset="days",
        covariates=["covid"],
        family="quasipoisson",
        harmonics=1,
        season="season",
        slope_change=True,
        newey_west=True,
    )
    t = indicator_table(part.indicators)
    level = _row(t, "referrals_its_level_change")
    ref = fit.to_frame().set_index("term").loc["level_change"]
    assert level["estimate"] == pytest.approx(ref["estimate"], rel=1e-10)
    assert level["ci_high"] == pytest.approx(ref["ci_high"], rel=1e-10)
    assert "shock terms: covid" in level["method"]
    assert json.loads(level["params"])["shocks"] == {"covid": ["2020-03-23", "2020-07-31"]}
    cf = part.tables["its_referrals_counterfactual"]
    assert cf["month"].iloc[0] == D("2018-01-01") and len(cf) == 54


# ----------------------------------------------------------------------------- compute


def _data(families=FAMILIES, referrals=REFERRALS) -> EvaluationData:
    return EvaluationData(families=families, referrals=referrals)


def _settings(**kw) -> Settings:
    values = {
        "data_cut": D("2022-06-30"),
        "data_start": D("2017-04-01"),
        "programme_start": D("2021-02-01"),
    }
    values.update(kw)
    return Settings(**values)


def test_compute_gives_every_indicator_and_table():
    part = rr.compute(_data(), _settings())
    t = indicator_table(part.indicators)
    assert set(t["indicator"]) == {
        "rereferral_rate",
        "rereferral_rate_sensitivity",
        "rereferral_rate_difference",
        "rereferral_rate_ratio",
        "rereferral_within_12m",
        "referrals_its_level_change",
        "referrals_its_slope_change",
    }
    assert list(part.tables) == [
        "monthly_referrals",
        "its_referrals",
        "its_referrals_counterfactual",
        "its_referrals_autocorrelation",
        "rereferral_km",
        "rereferral_benchmark",
    ]
    for name, table in part.tables.items():
        assert all(
            table[c].map(lambda v: not isinstance(v, list | dict)).all() for c in table.columns
        ), name
    assert part.tables["rereferral_benchmark"]["rate"].tolist() == [0.22]
    none = rr.compute(_data(), _settings(plan=AnalysisPlan(benchmark_rereferral_rate=None)))
    assert none.tables["rereferral_benchmark"].empty


def test_compute_without_programme_start_or_comparison():
    part = rr.compute(_data(), _settings(programme_start=None, cohorts=("noream",)))
    t = indicator_table(part.indicators)
    assert not t["indicator"].str.startswith("referrals_its").any()
    assert not t["indicator"].isin(["rereferral_rate_ratio", "rereferral_rate_difference"]).any()
    assert not t["group"].str.startswith("period:").any()
    for name in ("its_referrals", "its_referrals_counterfactual", "its_referrals_autocorrelation"):
        assert part.tables[name].empty and len(part.tables[name].columns) > 0


def test_an_its_that_cannot_be_fitted_is_a_reasoned_row():
    # programme start after the last month: no post period
    part = rr.compute(_data(), _settings(programme_start=D("2023-01-01")))
    t = indicator_table(part.indicators)
    rows = t.loc[t["indicator"].str.startswith("referrals_its")]
    assert len(rows) == 2 and rows["estimate"].isna().all()
    assert rows["method"].str.startswith("not estimable: post").all()
    assert part.tables["its_referrals"].empty


def test_compute_all_runs_the_module(sample):
    res = compute_all(sample)
    ratio = res.indicator("rereferral_rate_ratio")
    assert ratio["prespecified"] and 0 < ratio["estimate"] < 1
    assert "monthly_referrals" in res.table_names


# ----------------------------------------------------------------------------- the sample


@pytest.fixture(scope="module")
def sample_world():
    return world_tables(*world())


def test_flags_reproduce_the_realised_rates_of_truth_json(sample_world):
    truth = json.loads((ROOT / "data" / "sample" / "truth.json").read_text())
    realised = truth["realised"]["rereferral"]
    referrals, families = sample_world
    flags = rr.flag_rereferrals(referrals)  # every true referral, no history limit
    assert (flags["is_rereferral"] == referrals["within"]).all()
    cohort = rr._cohort_of(flags, families)
    for c in ("noream", "comparison"):
        m = (cohort == c).to_numpy()
        assert m.sum() == realised[c]["referrals"]
        assert flags["is_rereferral"].to_numpy()[m].sum() == realised[c]["rereferrals_within_365"]


def test_ingested_sample_flags_match_the_simulated_exports(sample, sample_world):
    exported, families = world_tables(*world(), exported_only=True)
    expect = rr.flag_rereferrals(exported, history_known_from=families, data_start="2017-04-01")
    # a referral classified as not re-referred really was not; every re-referral found is one
    known = ~expect["history_incomplete"]
    assert (expect.loc[known, "is_rereferral"] == expect.loc[known, "within"]).all()
    assert expect.loc[expect["is_rereferral"], "within"].all()
    settings = Settings.from_data(sample)
    got = rr.flag_rereferrals(
        sample.referrals, history_known_from=sample.families, data_start=settings.data_start
    )

    def profile(flags, fams):
        cohort = rr._cohort_of(flags, fams)
        cols = ["referral_date", *rr.FLAG_COLUMNS]
        return sorted(map(tuple, flags[cols].assign(cohort=cohort.to_numpy()).to_numpy().tolist()))

    assert profile(got, sample.families) == profile(expect, families)


def test_sample_indicators_are_sane(sample):
    part = rr.compute(sample, Settings.from_data(sample))
    t = indicator_table(part.indicators)
    nr, comp = _row(t, "rereferral_rate", "noream"), _row(t, "rereferral_rate", "comparison")
    assert (nr["n"], round(nr["estimate"] * nr["n"])) == (135, 15)  # realised: 15 of 135
    assert comp["n"] == 134 and 0.15 < comp["estimate"] < 0.35
    assert _row(t, "rereferral_rate_sensitivity", "comparison")["n"] == 146
    km = {g: _row(t, "rereferral_within_12m", g) for g in ("noream", "comparison")}
    assert km["noream"]["n"] == 120 and km["comparison"]["n"] == 94  # 56 lost histories
    for row in km.values():
        assert row["ci_low"] < row["estimate"] < row["ci_high"]
    level = _row(t, "referrals_its_level_change")
    assert level["n"] == 54 and level["ci_low"] < level["estimate"] < level["ci_high"]
    monthly = part.tables["monthly_referrals"]
    truth = json.loads((ROOT / "data" / "sample" / "truth.json").read_text("utf-8"))
    total = monthly.loc[monthly["cohort"] == "all", "referrals"].sum()
    assert total == truth["expected"]["referrals"]


def test_true_values_of_the_generator():
    from noream_eval.sample.world import PARAMETERS

    p = PARAMETERS["rereferral"]
    truth = true_values(270 * 100, seed=11)
    # the Kaplan-Meier share estimates the forward-looking parameter itself
    for c in ("noream", "comparison"):
        assert truth[c]["within_12m"] == pytest.approx(p[f"within_365_{c}"], abs=0.02)
    # the DfE (backward-looking) rate falls short of it where chains are cut short
    assert truth["noream"]["rereferral_rate"] < p["within_365_noream"] - 0.03
    assert truth["ratio_rereferral_rate"] < p["rate_ratio"] - 0.1
