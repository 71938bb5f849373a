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
    columns = ["family_id", "start_date", "end_date", "n_payments", "cost_gbp"]
    s17 = (payments["scheme"] == "s17").to_numpy(dtype=bool, na_value=False)
    amount = payments["amount_gbp"].to_numpy(dtype=np.float64)[s17]
    positive = amount > 0
    if not positive.any():
        return conform("s17_episodes", pd.DataFrame(columns=columns))
    # Families numbered in the order of their IDs, so that episodes come out sorted by
    # family and start date (as a stable sort of the rows would give). Columns are
    # taken one at a time, without copying the ledger.
    codes, uniques = pd.factorize(payments["family_id"])
    codes = codes[s17]
    rank = np.empty(len(uniques), dtype=np.int64)
    rank[np.argsort(np.asarray(uniques, dtype=object), kind="stable")] = np.arange(len(uniques))
    family = rank[codes]
    day = payments["payment_date"].to_numpy(dtype="datetime64[ns]").astype(np.int64)[s17]

    idx = np.flatnonzero(positive)
    idx = idx[np.lexsort((day[idx], family[idx]))]
    fam, when, paid = family[idx], day[idx], amount[idx]
    new_family = np.r_[True, fam[1:] != fam[:-1]]
    gap_ns = np.int64(gap_days) * 86_400 * 10**9
    gap = np.r_[False, np.diff(when) > gap_ns]
    episode = np.cumsum(new_family | gap) - 1
    first = np.r_[True, episode[1:] != episode[:-1]]
    last = np.r_[episode[1:] != episode[:-1], True]
    ep_family, ep_start, ep_last = fam[first], when[first], when[last]
    n_payments = np.bincount(episode)
    cost = np.bincount(episode, weights=paid)

    refund = np.flatnonzero(amount < 0)
    if len(refund):
        # Each refund goes to the family's latest episode starting on or before it, or
        # to the family's first episode if it predates them all; refunds of a family
        # without positive payments are ignored.
        r_fam, r_day = family[refund], day[refund]
        lo = np.searchsorted(ep_family, r_fam, side="left")
        hi = np.searchsorted(ep_family, r_fam, side="right")
        has = hi > lo
        target = np.empty(len(refund), dtype=np.int64)
        for i in np.flatnonzero(has):  # refunds are few; each searches its family's episodes
            starts = ep_start[lo[i] : hi[i]]
            k = int(np.searchsorted(starts, r_day[i], side="right")) - 1
            target[i] = lo[i] + max(k, 0)
        cost = cost + np.bincount(target[has], weights=amount[refund][has], minlength=len(cost))

    end = ep_last.astype("datetime64[ns]")
    if data_cut is not None:
        cut = pd.Timestamp(data_cut).to_datetime64().astype("datetime64[ns]").astype(np.int64)
        end = np.where(cut - ep_last <= gap_ns, np.datetime64("NaT", "ns"), end)
    by_rank = np.empty(len(uniques), dtype=np.int64)
    by_rank[rank] = np.arange(len(uniques))
    ids = pd.Series(uniques).take(by_rank[ep_family]).reset_index(drop=True)
    out = pd.DataFrame(
        {
            "family_id": ids,
            "start_date": ep_start.astype("datetime64[ns]"),
            "end_date": end,
            "n_payments": n_payments,
            "cost_gbp": cost,
        }
    )
    return conform("s17_episodes", out)
