"""Tests of s17 episode derivation."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from noream_eval.ingest.episodes import s17_episodes

CUT = pd.Timestamp("2022-06-30")


def _payments(rows):
    df = pd.DataFrame(rows, columns=["family_id", "payment_date", "scheme", "amount_gbp"])
    df["payment_date"] = pd.to_datetime(df["payment_date"])
    return df


def test_gap_splits_episodes_at_exactly_gap_plus_one():
    p = _payments(
        [
            ("a", "2021-01-01", "s17", 100.0),
            ("a", "2021-02-05", "s17", 100.0),  # 35 days later: same episode
            ("a", "2021-03-13", "s17", 100.0),  # 36 days later: new episode
        ]
    )
    ep = s17_episodes(p, gap_days=35, data_cut=CUT)
    assert ep["start_date"].tolist() == [pd.Timestamp("2021-01-01"), pd.Timestamp("2021-03-13")]
    assert ep["n_payments"].tolist() == [2, 1]
    assert ep["end_date"].tolist() == [pd.Timestamp("2021-02-05"), pd.Timestamp("2021-03-13")]


def test_ongoing_at_data_cut_and_grants_ignored():
    p = _payments(
        [
            ("b", "2022-05-01", "s17", 50.0),
            ("b", "2022-06-20", "noream_grant", 300.0),
            ("c", "2022-06-01", "s17", 80.0),
            ("c", "2022-05-25", "s17", 80.0),  # unsorted input
        ]
    )
    ep = s17_episodes(p, gap_days=35, data_cut=CUT).set_index("family_id")
    assert ep.loc["b", "end_date"] == pd.Timestamp("2022-05-01")  # 60 days before the cut: ended
    assert pd.isna(ep.loc["c", "end_date"])  # 29 days before the cut: ongoing
    assert ep.loc["b", "cost_gbp"] == 50.0  # the grant is not s17
    assert ep.loc["c", "n_payments"] == 2


def test_refunds_netted_into_latest_started_episode():
    p = _payments(
        [
            ("d", "2021-01-01", "s17", 100.0),
            ("d", "2021-06-01", "s17", 100.0),
            ("d", "2021-06-10", "s17", -30.0),
            ("d", "2020-12-01", "s17", -5.0),  # before any episode: first episode
            ("e", "2021-01-01", "s17", -10.0),  # no positive payment: ignored
        ]
    )
    ep = s17_episodes(p, gap_days=35, data_cut=CUT)
    assert ep["family_id"].tolist() == ["d", "d"]
    assert ep["cost_gbp"].tolist() == [95.0, 70.0]
    assert ep["n_payments"].tolist() == [1, 1]


def test_cost_sums_match_payments_total():
    p = _payments(
        [
            (f"f{i % 7}", f"2021-{1 + i % 12:02d}-{1 + i % 27:02d}", "s17", 10.0 + i)
            for i in range(200)
        ]
    )
    ep = s17_episodes(p, gap_days=35, data_cut=CUT)
    assert abs(ep["cost_gbp"].sum() - p["amount_gbp"].sum()) < 1e-6
    assert ep["n_payments"].sum() == 200


def test_no_payments_gives_empty_canonical_table():
    ep = s17_episodes(_payments([]), gap_days=35, data_cut=CUT)
    assert ep.empty
    assert list(ep.columns) == ["family_id", "start_date", "end_date", "n_payments", "cost_gbp"]


def _reference_episodes(payments, *, gap_days, data_cut):
    """The same rule written with pandas sort, groupby and merge_asof (an independent
    formulation: row by row in pandas, not in NumPy arrays)."""
    from noream_eval.schema import conform

    s17 = payments.loc[payments["scheme"].astype(str) == "s17"]
    pos = s17.loc[s17["amount_gbp"] > 0, ["family_id", "payment_date", "amount_gbp"]]
    pos = pos.sort_values(["family_id", "payment_date"], kind="stable").reset_index(drop=True)
    if pos.empty:
        return conform(
            "s17_episodes",
            pd.DataFrame(columns=["family_id", "start_date", "end_date", "n_payments", "cost_gbp"]),
        )
    fam = pos["family_id"].to_numpy()
    dates = pos["payment_date"].to_numpy()
    new_family = np.r_[True, fam[1:] != fam[:-1]]
    gap = np.r_[np.timedelta64(0, "D"), np.diff(dates)] > np.timedelta64(gap_days, "D")
    episode = np.cumsum(new_family | gap) - 1
    pos["episode"] = episode
    ep = pos.groupby("episode", sort=True).agg(
        family_id=("family_id", "first"),
        start_date=("payment_date", "min"),
        last_date=("payment_date", "max"),
        n_payments=("amount_gbp", "size"),
        cost_gbp=("amount_gbp", "sum"),
    )
    refunds = s17.loc[s17["amount_gbp"] < 0, ["family_id", "payment_date", "amount_gbp"]]
    if not refunds.empty:
        starts = ep.reset_index()[["episode", "family_id", "start_date"]]
        starts = starts.sort_values("start_date", kind="stable")
        refunds = refunds.loc[refunds["family_id"].isin(starts["family_id"])]
        refunds = refunds.sort_values("payment_date", kind="stable")
        matched = pd.merge_asof(
            refunds,
            starts,
            left_on="payment_date",
            right_on="start_date",
            by="family_id",
            direction="backward",
        )
        first = starts.groupby("family_id")["episode"].min()
        matched["episode"] = matched["episode"].astype("float64")
        missing = matched["episode"].isna()
        if missing.any():
            matched.loc[missing, "episode"] = matched.loc[missing, "family_id"].map(first)
        netted = matched.groupby(matched["episode"].astype(int))["amount_gbp"].sum()
        ep["cost_gbp"] = ep["cost_gbp"].add(netted, fill_value=0.0)
    end = ep["last_date"].copy()
    if data_cut is not None:
        cut = pd.Timestamp(data_cut)
        end[(cut - ep["last_date"]) <= pd.Timedelta(days=gap_days)] = pd.NaT
    ep["end_date"] = end
    return conform("s17_episodes", ep.reset_index(drop=True))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["f1", "f2", "f3", "a9"]),
            st.integers(0, 400),
            st.sampled_from(["s17", "s17", "noream_grant"]),
            st.one_of(st.floats(1, 500), st.floats(-200, -1)),
        ),
        max_size=40,
    ),
    st.integers(1, 60),
)
def test_episodes_equal_an_independent_formulation(rows, gap):
    p = _payments(
        [(f, pd.Timestamp("2021-01-01") + pd.Timedelta(days=d), s, a) for f, d, s, a in rows]
    )
    got = s17_episodes(p, gap_days=gap, data_cut=CUT)
    expected = _reference_episodes(p, gap_days=gap, data_cut=CUT)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
