"""Tests of s17 episode derivation."""

from __future__ import annotations

import pandas as pd

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
