"""Derive s17 support episodes from payments."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from noream_eval.schema import conform

__all__ = ["s17_episodes"]


def s17_episodes(
    payments: pd.DataFrame,
    *,
    gap_days: int = 35,
    data_cut: dt.date | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Group a family's section 17 payments into continuous episodes of support.

    Parameters
    ----------
    payments
        Canonical ``payments`` table (``family_id``, ``payment_date``,
        ``scheme``, ``amount_gbp``).
    gap_days
        Two consecutive payments of a family belong to the same episode when
        they are at most this many days apart (config ``episode_gap_days``).
    data_cut
        Date the exports were taken. An episode whose last payment falls within
        ``gap_days`` of the data cut is treated as ongoing (``end_date`` NaT).

    Returns
    -------
    pandas.DataFrame
        Canonical ``s17_episodes``: ``family_id``, ``start_date``, ``end_date``
        (date of the last payment; NaT = ongoing at the data cut),
        ``n_payments`` (positive payments), ``cost_gbp`` (payments net of refunds).

    Notes
    -----
    Only ``scheme == "s17"`` rows count. Episodes are built from positive
    payments; a refund (negative amount) is netted into the family's latest
    episode that started on or before the refund date (or the first episode if
    it predates them all). Refunds of a family with no positive payment are
    ignored.

    Examples
    --------
    >>> dates = ["2021-01-01", "2021-01-08", "2021-06-01", "2021-06-03"]
    >>> p = pd.DataFrame({
    ...     "family_id": ["f1"] * 4,
    ...     "payment_date": pd.to_datetime(dates),
    ...     "scheme": "s17", "amount_gbp": [100.0, 100.0, 50.0, -20.0]})
    >>> s17_episodes(p, gap_days=35, data_cut=pd.Timestamp("2022-06-30"))[
    ...     ["start_date", "n_payments", "cost_gbp"]]
      start_date  n_payments  cost_gbp
    0 2021-01-01           2     200.0
    1 2021-06-01           1      30.0
    """
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
