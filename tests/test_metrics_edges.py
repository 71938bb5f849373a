"""Edge cases of a whole metrics run: each gives documented rows, never a crash.

Each case changes the ingested sample the way a real evaluation could differ and runs
every outcome module through compute_all.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from noream_eval.data import EvaluationData
from noream_eval.metrics import compute_all
from noream_eval.metrics.core import INDICATOR_COLUMNS, Settings


def _only_families(data: EvaluationData, keep: pd.Series) -> EvaluationData:
    """The data restricted to some families, every linked table following."""
    ids = set(data.families.loc[keep, "family_id"])
    changes = {}
    for name, table in data.tables().items():
        if "family_id" in table.columns:
            changes[name] = table[table["family_id"].isin(ids)].reset_index(drop=True)
    return dataclasses.replace(data, **changes)


def _run(data: EvaluationData, **settings) -> pd.DataFrame:
    res = compute_all(data, Settings.from_data(data, **settings))
    ind = res.indicators
    assert tuple(ind.columns) == INDICATOR_COLUMNS
    missing = ind[ind["estimate"].isna()]
    assert missing["method"].str.startswith("not estimable").all()
    return ind


def _row(ind: pd.DataFrame, name: str, group: str = "all") -> pd.Series:
    rows = ind[(ind["indicator"] == name) & (ind["group"] == group)]
    assert len(rows) == 1, (name, group)
    return rows.iloc[0]


def test_a_single_cohort_gives_before_after_results_only(sample):
    data = _only_families(sample, sample.families["cohort"] == "noream")
    ind = _run(data, cohorts=("noream",))
    for name in ("rereferral_rate_ratio", "s17_escalation_hazard_ratio"):
        assert name not in set(ind["indicator"]) or np.isnan(_row(ind, name)["estimate"])
    assert _row(ind, "swemwbs_mean_change")["estimate"] > 0  # within-family change remains
    assert _row(ind, "rereferral_rate", "noream")["n"] > 0


def test_a_cohort_with_no_referrals(sample):
    fam = sample.families
    noream = set(fam.loc[fam["cohort"] == "noream", "family_id"])
    refs = sample.referrals[~sample.referrals["family_id"].isin(noream)].reset_index(drop=True)
    ind = _run(dataclasses.replace(sample, referrals=refs))
    rate = _row(ind, "rereferral_rate", "noream")
    assert rate["n"] == 0 and np.isnan(rate["estimate"])
    assert np.isnan(_row(ind, "rereferral_rate_ratio")["estimate"])
    assert _row(ind, "rereferral_rate", "comparison")["n"] > 0


def test_every_wellbeing_response_missing_one_item(sample):
    items = sample.wellbeing_items
    items = items[items["item"] != 3].reset_index(drop=True)
    ind = _run(dataclasses.replace(sample, wellbeing_items=items))
    change = _row(ind, "swemwbs_mean_change")
    assert change["n"] == 0 and np.isnan(change["estimate"])


def test_nothing_but_families(sample):
    empty = {name: table.iloc[0:0] for name, table in sample.tables().items() if name != "families"}
    ind = _run(dataclasses.replace(sample, **empty))
    assert _row(ind, "rereferral_rate", "noream")["n"] == 0
    assert np.isnan(_row(ind, "swemwbs_mean_change")["estimate"])


def test_an_indicator_below_its_minimum_n_is_computed_but_rated_insufficient(sample):
    fam = sample.families
    few = fam["cohort"].eq("comparison") | (
        fam["cohort"].eq("noream") & (fam.index.to_series() % 12 == 0)
    )
    data = _only_families(sample, few)
    res = compute_all(data, Settings.from_data(data))
    row = res.indicator("swemwbs_mean_change")
    assert 0 < row["n"] < 20
    promise = res["evidence_of_promise"]
    rated = promise[(promise["indicator"] == "swemwbs_mean_change") & promise["prespecified"]]
    assert rated["rating"].item() == "Insufficient data"
    assert "minimum n" in rated["rule"].item()
