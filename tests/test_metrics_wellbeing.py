"""Outcome 3: wellbeing scores, change, missing follow-ups and support-domain distance."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from noream_eval.config import load_instruments
from noream_eval.errors import ConfigError, ValidationError
from noream_eval.metrics import compute_all
from noream_eval.metrics.core import INDICATOR_COLUMNS, Settings
from noream_eval.metrics.domains import (
    domain_changes,
    domain_distance,
    domain_distance_by_family,
    domain_distance_travelled,
)
from noream_eval.metrics.wellbeing import (
    _mean_change_analysis,
    compute,
    score_instrument,
    wellbeing_attrition,
    wellbeing_completeness,
    wellbeing_indicators,
    wellbeing_paired_summary,
    wellbeing_people,
    wellbeing_reliable_change,
    wellbeing_scores,
)
from noream_eval.stats import pool_rubin

REF = Path(__file__).resolve().parent / "reference"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "outcomes.md"
SWEMWBS = load_instruments()["swemwbs"]


# --------------------------------------------------------------------------- builders


def _items_of(raw: int, n_items: int = 7) -> list[int]:
    """Item scores (1-5) of a questionnaire with raw sum ``raw``."""
    q, r = divmod(raw, n_items)
    return [q + (i < r) for i in range(n_items)]


def _completion(
    pid: str,
    timepoint: str,
    raw: int | None = None,
    *,
    date: str = "2021-03-01",
    values: list[int | None] | None = None,
    respondent: str = "parent_carer",
    instrument: str = "swemwbs",
    rid: str | None = None,
) -> list[dict]:
    vals = values if values is not None else _items_of(int(raw))
    rid = rid or f"r{timepoint[0]}{respondent[0]}{pid}{date}"
    return [
        {
            "response_id": rid,
            "family_id": f"f{pid}",
            "respondent": respondent,
            "timepoint": timepoint,
            "response_date": pd.Timestamp(date),
            "instrument": instrument,
            "item": i + 1,
            "value": v,
        }
        for i, v in enumerate(vals)
        if v is not None
    ]


def _items(rows: list[dict]) -> pd.DataFrame:
    cols = [
        "response_id",
        "family_id",
        "respondent",
        "timepoint",
        "response_date",
        "instrument",
        "item",
        "value",
    ]
    out = pd.DataFrame(rows, columns=cols)
    out["item"] = out["item"].astype("Int64")
    out["value"] = out["value"].astype("Int64")
    out["response_date"] = out["response_date"].astype("datetime64[ns]")
    return out


def _families(ids, *, site="E1", n_children=2, cohort="noream") -> pd.DataFrame:
    ids = list(ids)
    return pd.DataFrame(
        {
            "family_id": [f"f{i}" for i in ids],
            "cohort": cohort,
            "site": site if isinstance(site, list) else [site] * len(ids),
            "n_children": n_children if isinstance(n_children, list) else [n_children] * len(ids),
            "youngest_child_age_band": "0-4",
            "immigration_status": "no_leave",
            "exit_date": pd.NaT,
        }
    )


def _pairs_items(pairs: list[tuple[int, int | None]]) -> pd.DataFrame:
    rows = []
    for i, (b, f) in enumerate(pairs):
        rows += _completion(str(i), "baseline", b)
        if f is not None:
            rows += _completion(str(i), "review", f, date="2021-09-01")
    return _items(rows)


def _row(ind: pd.DataFrame, name: str, group: str = "all") -> pd.Series:
    sel = ind.loc[(ind["indicator"] == name) & (ind["group"] == group)]
    assert len(sel) == 1, (name, group, len(sel))
    return sel.iloc[0]


def _metric(raw):
    return SWEMWBS.metric[raw - 7]


# --------------------------------------------------------------------------- scoring


def test_swemwbs_raw_sums_convert_to_the_metric_table():
    rows = []
    for i, raw in enumerate((7, 21, 28, 35)):
        rows += _completion(str(i), "baseline", raw)
    sc = score_instrument(_items(rows), "swemwbs")
    assert sc["raw_sum"].tolist() == [7, 21, 28, 35]
    # Published conversion (Stewart-Brown et al. 2009; instruments.toml):
    # 7 -> 7.00, 21 -> 19.25, 28 -> 25.03, 35 -> 35.00.
    assert sc["score"].tolist() == [7.0, 19.25, 25.03, 35.0]
    assert sc["complete"].all() and (sc["measure"] == "swemwbs").all()


def test_incomplete_questionnaire_has_no_score():
    rows = _completion("1", "baseline", values=[3, 3, None, 3, 3, 3, 3])
    sc = score_instrument(_items(rows), "swemwbs").iloc[0]
    assert int(sc["n_items_answered"]) == 6 and int(sc["raw_sum"]) == 18
    assert math.isnan(sc["score"]) and not sc["complete"]


def test_wemwbs_is_the_raw_sum_and_ons4_is_scored_per_item():
    rows = _completion("1", "baseline", values=[4] * 14, instrument="wemwbs")
    rows += _completion("1", "baseline", values=[7, 8, None, 3], instrument="ons4")
    items = _items(rows)
    we = score_instrument(items, "wemwbs").iloc[0]
    assert we["score"] == 56.0 and we["complete"]
    ons = score_instrument(items, "ons4").set_index("measure")
    assert list(ons.index) == [
        "ons4_life_satisfaction",
        "ons4_worthwhile",
        "ons4_happiness",
        "ons4_anxiety",
    ]
    assert ons.loc["ons4_anxiety", "score"] == 3.0
    assert math.isnan(ons.loc["ons4_happiness", "score"])
    assert ons["n_items_answered"].tolist() == [3, 3, 3, 3]


def test_ons4_anxiety_improves_when_it_falls():
    rows = []
    for i, (b, f) in enumerate([(8, 4), (6, 5), (7, 2), (9, 9)]):
        rows += _completion(str(i), "baseline", values=[5, 5, 5, b], instrument="ons4")
        rows += _completion(
            str(i), "review", values=[6, 5, 5, f], instrument="ons4", date="2021-09-01"
        )
    ppl = wellbeing_people(_items(rows), instrument="ons4")
    anx = ppl.loc[ppl["measure"] == "ons4_anxiety"]
    assert anx["change"].tolist() == [-4.0, -1.0, -5.0, 0.0]
    # ONS4 has no meaningful change or reliability in the registry: nothing is classified.
    assert anx["category"].isna().all() and anx["meaningful"].isna().all()
    ind = wellbeing_indicators(_items(rows), instrument="ons4")
    assert _row(ind, "ons4_anxiety_mean_change")["estimate"] == pytest.approx(-2.5)
    assert json.loads(_row(ind, "ons4_anxiety_mean_change")["params"])["higher_is_better"] is False
    assert not ind["indicator"].str.contains("reliable").any()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.assign(item=d["item"].where(d["item"] != 3, 9)), "item number outside"),
        (lambda d: d.assign(value=d["value"].where(d["item"] != 3, 6)), "value outside 1 to 5"),
        (lambda d: pd.concat([d, d.iloc[[0]]]), "same item twice"),
        (lambda d: d.drop(columns="value"), "lacks the column"),
    ],
)
def test_bad_items_are_refused(change, message):
    items = change(_items(_completion("1", "baseline", 21)))
    with pytest.raises(ValidationError, match=message):
        score_instrument(items, "swemwbs")


def test_unknown_instrument_is_a_config_error():
    with pytest.raises(ConfigError, match="not in the instrument registry"):
        score_instrument(_items(_completion("1", "baseline", 21)), "gad7")


def test_registry_scoring_keys_are_checked():
    reg = load_instruments()
    assert reg["swemwbs"].scoring == "metric" and reg["swemwbs"].reliability == 0.89
    assert reg["swemwbs"].meaningful_change == 2.87 and reg["swemwbs"].population_mean == 23.5
    assert reg["ons4"].lower_is_better_items == (4,)
    base = {"n_items": 3, "item_min": 1, "item_max": 4}
    assert load_instruments({"x": base})["x"].scoring == "sum"
    bad = [
        ({"scoring": "metric"}, "needs a metric conversion table"),
        ({"scoring": "mean"}, "choose one of"),
        ({"reliability": 1.2}, "reliability = 1.2"),
        ({"meaningful_change": -1}, "meaningful_change = -1"),
        ({"population_mean": 20}, "population_mean = 20; give a number from 3 to 12"),
        ({"item_names": ["a", "b"]}, "needs 3 different names"),
        ({"lower_is_better_items": [4]}, "item numbers from 1 to 3"),
    ]
    for extra, message in bad:
        with pytest.raises(ConfigError, match=re.escape(message)):
            load_instruments({"x": {**base, **extra}})


# --------------------------------------------------------------------------- selection


def test_duplicated_completions_use_the_earliest_complete_one():
    rows = _completion("1", "baseline", 14, date="2021-03-01")
    rows += _completion("1", "baseline", 28, date="2021-03-05")  # a second baseline
    rows += _completion("2", "baseline", values=[3, 3, 3, 3, 3, 3, None], date="2021-03-01")
    rows += _completion("2", "baseline", 21, date="2021-03-04")  # re-done after an incomplete one
    rows += _completion("1", "review", 21, date="2021-09-01")
    rows += _completion("2", "review", 28, date="2021-09-01")
    items = _items(rows)
    sc = wellbeing_scores(items)
    chosen = sc.loc[sc["selected"] & (sc["timepoint"] == "baseline")].set_index("family_id")
    assert chosen.loc["f1", "score"] == _metric(14)
    assert chosen.loc["f2", "score"] == _metric(21)
    ppl = wellbeing_people(items).set_index("family_id")
    assert ppl.loc["f1", "change"] == pytest.approx(_metric(21) - _metric(14))
    comp = wellbeing_completeness(items).set_index("timepoint")
    assert comp.loc["baseline", "completions"] == 4 and comp.loc["baseline", "people"] == 2
    assert comp.loc["baseline", "duplicate_completions"] == 2
    assert comp.loc["baseline", "incomplete"] == 1 and comp.loc["baseline", "missing_items"] == 1


def test_followup_without_baseline_is_counted_not_paired():
    rows = _completion("1", "baseline", 14) + _completion("1", "review", 21, date="2021-09-01")
    rows += _completion("2", "baseline", 20) + _completion("2", "review", 22, date="2021-09-01")
    rows += _completion("3", "review", 25, date="2021-09-01")  # no baseline
    rows += _completion("4", "baseline", values=[3] * 6 + [None])  # incomplete baseline
    rows += _completion("4", "review", 25, date="2021-09-01")
    items = _items(rows)
    ppl = wellbeing_people(items).set_index("family_id")
    assert ppl.loc["f3", "status"] == "no_baseline" and ppl.loc["f4", "status"] == "no_baseline"
    ind = wellbeing_indicators(items, imputations=2)
    row = _row(ind, "swemwbs_mean_change")
    assert row["n"] == 2
    assert "complete cases (2 of 2 with baseline" in row["method"]
    assert "2 follow-up(s) without a baseline not paired" in row["method"]
    assert json.loads(row["params"])["n_followup_without_baseline"] == 2


def test_followups_not_yet_due_are_left_out_of_the_missing():
    rows = []
    for i, (b, f, day) in enumerate(
        [(14, 21, "2021-01-05"), (20, 22, "2021-01-05"), (18, 25, "2021-01-05")]
    ):
        rows += _completion(str(i), "baseline", b, date=day)
        rows += _completion(str(i), "review", f, date="2021-07-01")
    rows += _completion("7", "baseline", 15, date="2021-01-05")  # due, missing
    rows += _completion("8", "baseline", 15, date="2022-06-01")  # not yet due
    ppl = wellbeing_people(_items(rows), data_cut="2022-06-30").set_index("family_id")
    assert ppl.loc["f7", "status"] == "no_followup" and ppl.loc["f7", "due"]
    assert ppl.loc["f8", "status"] == "not_due" and not ppl.loc["f8", "due"]
    ind = wellbeing_indicators(_items(rows), data_cut="2022-06-30", imputations=2)
    assert _row(ind, "swemwbs_mean_change_bound_low")["n"] == 4
    assert _row(ind, "swemwbs_baseline_mean")["n"] == 5
    assert "1 due follow-up(s) missing, 1 not yet due" in _row(ind, "swemwbs_d_z")["method"]


# --------------------------------------------------------------------------- hand-computed change


PAIRS = [(14, 21), (20, 22), (18, 25), (25, 24), (12, 20), (22, 29), (16, None), (27, None)]


def test_small_case_by_hand():
    items = _pairs_items(PAIRS)
    ind = wellbeing_indicators(items, imputations=5)
    pre = np.array([_metric(b) for b, f in PAIRS if f is not None])
    post = np.array([_metric(f) for b, f in PAIRS if f is not None])
    d = post - pre
    row = _row(ind, "swemwbs_mean_change")
    assert row["n"] == 6 and row["estimate"] == pytest.approx(d.mean())
    assert row["method"].endswith(
        "complete cases (6 of 8 with baseline; 2 due follow-up(s) missing, 0 not yet due, "
        "0 follow-up(s) without a baseline not paired)"
    )
    assert _row(ind, "swemwbs_d_z")["estimate"] == pytest.approx(d.mean() / d.std(ddof=1))
    # Jacobson-Truax by hand: S_diff = SD(pre) * sqrt(2) * sqrt(1 - 0.89).
    s_diff = pre.std(ddof=1) * math.sqrt(2) * math.sqrt(1 - 0.89)
    improved = int((d / s_diff > 1.96).sum())
    assert _row(ind, "swemwbs_reliable_improvement")["estimate"] == pytest.approx(improved / 6)
    assert _row(ind, "swemwbs_reliable_deterioration")["estimate"] == pytest.approx(
        int((d / s_diff < -1.96).sum()) / 6
    )
    assert _row(ind, "swemwbs_meaningful_change_share")["estimate"] == pytest.approx(
        (d >= 2.87).sum() / 6
    )
    base_all = np.array([_metric(b) for b, _ in PAIRS])
    bl = _row(ind, "swemwbs_baseline_mean")
    assert bl["n"] == 8 and bl["estimate"] == pytest.approx(base_all.mean())
    assert json.loads(bl["params"])["population_mean"] == 23.5
    # Bounds: each missing follow-up = baseline + mean(d) -/+ 2 SD(d), within 7..35.
    missing = np.array([_metric(16), _metric(27)])
    for side, sign in (("low", -1), ("high", 1)):
        fill = np.clip(missing + d.mean() + sign * 2 * d.std(ddof=1), 7, 35) - missing
        expected = np.concatenate([d, fill]).mean()
        assert _row(ind, f"swemwbs_mean_change_bound_{side}")["estimate"] == pytest.approx(expected)
    ppl = wellbeing_people(items)
    rc = wellbeing_reliable_change(items)
    assert rc["n"].sum() == 6 and rc["share"].sum() == pytest.approx(1.0)
    assert rc.loc[rc["category"] == "improved", "n"].item() == improved
    assert ppl["rci"].dropna().to_numpy() == pytest.approx(d / s_diff)


def test_reliable_change_intervals_bootstrap_the_threshold_too():
    # The share improved is k/n at a threshold estimated from the pairs' baseline SD; its
    # interval resamples the pairs and re-estimates the threshold in each resample (BCa,
    # scipy.stats.bootstrap on the pairs, the plan's seed), so that it covers the share
    # at the population's threshold (a Wilson interval, which holds the threshold fixed,
    # covered 0.88 of 1,500 simulated samples of the shipped design, the bootstrap 0.94).
    from scipy import stats

    items = _pairs_items(PAIRS)
    ind = wellbeing_indicators(items, imputations=2, seed=11, n_resamples=1000)
    pre = np.array([_metric(b) for b, f in PAIRS if f is not None])
    post = np.array([_metric(f) for b, f in PAIRS if f is not None])
    scale = math.sqrt(2) * math.sqrt(1 - 0.89)

    def improved(x, y, axis=-1):
        return np.mean((y - x) / (scale * np.std(x, ddof=1, axis=axis, keepdims=True)) > 1.96, axis)

    res = stats.bootstrap(
        (pre, post),
        improved,
        paired=True,
        n_resamples=1000,
        method="BCa",
        rng=np.random.default_rng(11),
    )
    row = _row(ind, "swemwbs_reliable_improvement")
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(tuple(res.confidence_interval))
    assert "bootstrap BCa, 1000 resamples, seed 11 (pairs resampled" in row["method"]
    table = wellbeing_reliable_change(items, seed=11, n_resamples=1000)
    got = table.loc[table["category"] == "improved", ["ci_low", "ci_high"]].to_numpy()[0]
    assert tuple(got) == pytest.approx((row["ci_low"], row["ci_high"]))
    # No pair deteriorated: every resample gives 0, so the Wilson interval is given.
    det = _row(ind, "swemwbs_reliable_deterioration")
    assert det["estimate"] == 0 and det["ci_low"] == pytest.approx(0) and det["ci_high"] < 0.5
    assert "Wilson score interval (every bootstrap resample gave the same value)" in det["method"]


def test_fewer_pairs_than_the_minimum_are_still_computed():
    ind = wellbeing_indicators(_pairs_items(PAIRS[:5]), imputations=2)
    row = _row(ind, "swemwbs_mean_change")
    assert row["n"] == 5 and np.isfinite(row["estimate"]) and np.isfinite(row["ci_low"])


def test_every_response_missing_an_item_gives_n_zero_rows():
    rows = []
    for i in range(6):
        vals = [3] * 7
        vals[i] = None
        rows += _completion(str(i), "baseline", values=vals)
        rows += _completion(str(i), "review", values=vals, date="2021-09-01")
    items = _items(rows)
    ind = wellbeing_indicators(items, _families(range(6)), imputations=2)
    assert set(ind["n"].astype(int)) == {0}
    assert ind["estimate"].isna().all()
    assert ind["method"].str.startswith("not estimable").all()
    assert "no complete baseline score (6 people" in _row(ind, "swemwbs_baseline_mean")["method"]
    comp = wellbeing_completeness(items)
    assert comp["incomplete"].tolist() == [6, 6] and comp["incomplete_one_item"].tolist() == [6, 6]


def test_a_site_with_no_data_has_n_zero_rows():
    items = _pairs_items(PAIRS)
    fam = _families(range(10), site=["E1"] * 8 + ["E2"] * 2)
    ind = wellbeing_indicators(items, fam, imputations=2)
    e2 = ind.loc[ind["group"] == "site:E2"]
    assert set(e2["indicator"]) == {"swemwbs_baseline_mean", "swemwbs_mean_change"}
    assert (e2["n"] == 0).all() and e2["estimate"].isna().all()
    assert _row(ind, "swemwbs_mean_change", "site:E1")["estimate"] == pytest.approx(
        _row(ind, "swemwbs_mean_change")["estimate"]
    )


def test_other_cohorts_and_children_are_their_own_rows():
    rows = []
    for i, (b, f) in enumerate(PAIRS):
        rows += _completion(str(i), "baseline", b)
        if f is not None:
            rows += _completion(str(i), "review", f, date="2021-09-01")
        rows += _completion(str(i), "baseline", 20, respondent="child")
        rows += _completion(str(i), "review", 20 + i % 3, respondent="child", date="2021-09-02")
    rows += _completion("9", "baseline", 7) + _completion("9", "review", 35, date="2021-09-01")
    fam = _families(range(10))
    fam.loc[fam["family_id"] == "f9", "cohort"] = "comparison"
    ind = wellbeing_indicators(_items(rows), fam, imputations=2)
    assert _row(ind, "swemwbs_mean_change")["n"] == 6  # f9 (comparison) left out
    child = _row(ind, "swemwbs_mean_change", "respondent:child")
    assert child["n"] == 8 and child["estimate"] == pytest.approx(
        np.mean([_metric(20 + i % 3) - _metric(20) for i in range(8)])
    )
    assert "swemwbs_mean_change_mi" not in set(
        ind.loc[ind["group"] == "respondent:child", "indicator"]
    )


def test_paired_summary_describes_the_pairs_by_hand():
    items = _pairs_items(PAIRS)
    table = wellbeing_paired_summary(items).set_index("timepoint")
    pre = np.array([_metric(b) for b, f in PAIRS if f is not None])
    post = np.array([_metric(f) for b, f in PAIRS if f is not None])
    assert list(table.index) == ["baseline", "followup", "change"]
    assert (table["n"] == 6).all() and (table["respondent"] == "parent_carer").all()
    for tp, x in (("baseline", pre), ("followup", post), ("change", post - pre)):
        row = table.loc[tp]
        assert row["mean"] == pytest.approx(x.mean()) and row["sd"] == pytest.approx(x.std(ddof=1))
        # R's default quantile (type 7): 1 + (n - 1) p order statistic, interpolated.
        xs = np.sort(x)
        for col, prob in (("p10", 0.1), ("p25", 0.25), ("median", 0.5), ("p75", 0.75)):
            h = (len(xs) - 1) * prob
            lo = math.floor(h)
            assert row[col] == pytest.approx(xs[lo] + (h - lo) * (xs[lo + 1] - xs[lo])), (tp, col)
    ind = wellbeing_indicators(items, imputations=2)
    change = _row(ind, "swemwbs_mean_change")
    assert table.loc["change", ["mean", "ci_low", "ci_high"]].tolist() == pytest.approx(
        [change["estimate"], change["ci_low"], change["ci_high"]]
    )


def test_paired_summary_matches_r(reference):
    # tests/reference/wellbeing_change.R: t.test(followup, baseline, paired = TRUE).
    r = _r_output()
    d, items, fam = reference
    table = wellbeing_paired_summary(items, fam).set_index("timepoint")
    row = table.loc["change"]
    assert row["n"] == r["n_pairs"]
    assert row["mean"] == pytest.approx(r["mean_change"], abs=1e-9)
    assert row["ci_low"] == pytest.approx(r["mean_change_ci_low"], abs=1e-6)
    assert row["ci_high"] == pytest.approx(r["mean_change_ci_high"], abs=1e-6)
    # Baseline and follow-up: the one-sample t interval over the pairs (scipy, as R's t.test).
    from scipy import stats

    pairs = d.dropna(subset=["followup_raw"])
    for tp, col in (("baseline", "baseline_raw"), ("followup", "followup_raw")):
        x = np.array([_metric(int(v)) for v in pairs[col]])
        ci = stats.ttest_1samp(x, 0).confidence_interval()
        assert table.loc[tp, "mean"] == pytest.approx(x.mean())
        assert table.loc[tp, ["ci_low", "ci_high"]].tolist() == pytest.approx([ci.low, ci.high])


def test_paired_summary_of_one_pair_has_no_interval():
    table = wellbeing_paired_summary(_pairs_items([(14, 21), (18, None)]))
    assert (table["n"] == 1).all() and table["ci_low"].isna().all() and table["sd"].isna().all()
    assert wellbeing_paired_summary(_pairs_items([(14, None)])).empty


# --------------------------------------------------------------------------- R reference


def _r_output() -> dict[str, float]:
    out = {}
    for line in (REF / "wellbeing_change.out").read_text().splitlines()[1:]:
        name, value = line.split()
        out[name] = float(value)
    return out


@pytest.fixture(scope="module")
def reference():
    d = pd.read_csv(REF / "wellbeing_pairs.csv")
    rows = []
    for x in d.itertuples():
        rows += _completion(str(x.person), "baseline", int(x.baseline_raw))
        if not pd.isna(x.followup_raw):
            rows += _completion(str(x.person), "review", int(x.followup_raw), date="2021-09-01")
    fam = _families(d["person"], n_children=d["n_children"].tolist())
    return d, _items(rows), fam


@pytest.fixture(scope="module")
def reference_indicators(reference):
    _, items, fam = reference
    return wellbeing_indicators(items, fam)


def test_paired_change_matches_r(reference_indicators):
    # tests/reference/wellbeing_change.R (t.test, effectsize::cohens_d, wilcox.test).
    r = _r_output()
    ind = reference_indicators
    checks = {
        "swemwbs_baseline_mean": ("baseline_mean", "baseline_ci_low", "baseline_ci_high"),
        "swemwbs_mean_change": ("mean_change", "mean_change_ci_low", "mean_change_ci_high"),
        "swemwbs_d_z": ("d_z", "d_z_ci_low", "d_z_ci_high"),
        "swemwbs_g_av": ("g_av", "g_av_ci_low", "g_av_ci_high"),
    }
    for name, (est, lo, hi) in checks.items():
        row = _row(ind, name)
        assert row["estimate"] == pytest.approx(r[est], abs=1e-9), name
        assert row["ci_low"] == pytest.approx(r[lo], abs=1e-6), name
        assert row["ci_high"] == pytest.approx(r[hi], abs=1e-6), name
    assert _row(ind, "swemwbs_mean_change")["n"] == r["n_pairs"]
    assert _row(ind, "swemwbs_baseline_mean")["p_value"] == pytest.approx(r["baseline_p"], rel=1e-8)
    for name in ("swemwbs_mean_change", "swemwbs_d_z", "swemwbs_g_av"):
        assert _row(ind, name)["p_value"] == pytest.approx(r["t_p"], rel=1e-9)


def test_wilcoxon_matches_r(reference_indicators):
    r = _r_output()
    row = _row(reference_indicators, "swemwbs_wilcoxon")
    assert row["p_value"] == pytest.approx(r["wilcoxon_p"], rel=1e-9)
    assert json.loads(row["params"])["statistic_v"] == r["wilcoxon_v"]
    # The estimate is the median of the Walsh averages (printed by the script);
    # wilcox.test's interval is found by uniroot with tol = 1e-4.
    assert row["estimate"] == pytest.approx(r["walsh_median"], abs=1e-12)
    assert row["ci_low"] == pytest.approx(r["wilcoxon_ci_low"], abs=2e-4)
    assert row["ci_high"] == pytest.approx(r["wilcoxon_ci_high"], abs=2e-4)


def test_reliable_and_meaningful_change_match_r(reference_indicators):
    r = _r_output()
    ind = reference_indicators
    k = r["n_pairs"]
    imp = _row(ind, "swemwbs_reliable_improvement")
    assert imp["estimate"] == pytest.approx(r["reliable_improved"] / k)
    assert json.loads(imp["params"])["s_diff"] == pytest.approx(r["s_diff"], rel=1e-10)
    assert _row(ind, "swemwbs_reliable_deterioration")["estimate"] == pytest.approx(
        r["reliable_deteriorated"] / k
    )
    assert _row(ind, "swemwbs_meaningful_change_share")["estimate"] == pytest.approx(
        r["meaningful"] / k
    )


def test_rubins_rules_on_the_mice_imputations_match_mice_pool(reference):
    # The 20 data sets imputed by mice (wellbeing_mice_completed.csv), analysed by
    # the module's analysis function and pooled by Rubin's rules, reproduce
    # mice::pool exactly (complete-data df = n - 1 = 55, as lm's residual df).
    r = _r_output()
    long = pd.read_csv(REF / "wellbeing_mice_completed.csv")
    tabs = [_mean_change_analysis(g) for _, g in long.groupby(".imp")]
    est = np.array([t["estimate"].item() for t in tabs])
    var = np.array([t["se"].item() ** 2 for t in tabs])
    pooled = pool_rubin(est, var, df_complete=tabs[0]["df"].item()).to_frame().iloc[0]
    assert pooled["estimate"] == pytest.approx(r["mi_estimate"], abs=1e-10)
    assert pooled["within_var"] == pytest.approx(r["mi_ubar"], rel=1e-9)
    assert pooled["between_var"] == pytest.approx(r["mi_b"], rel=1e-9)
    assert pooled["total_var"] == pytest.approx(r["mi_t"], rel=1e-9)
    assert pooled["df"] == pytest.approx(r["mi_df"], rel=1e-8)
    assert pooled["ci_low"] == pytest.approx(r["mi_ci_low"], abs=1e-8)
    assert pooled["ci_high"] == pytest.approx(r["mi_ci_high"], abs=1e-8)
    assert pooled["fmi"] == pytest.approx(r["mi_fmi"], rel=1e-8)


def test_multiple_imputation_agrees_with_mice(reference_indicators):
    # Different random draws (statsmodels vs mice), same model (PMM on baseline and
    # n_children, m = 20): the pooled mean change must agree within half a standard
    # error, and the standard errors within a quarter.
    r = _r_output()
    row = _row(reference_indicators, "swemwbs_mean_change_mi")
    params = json.loads(row["params"])
    assert params["variables"] == ["baseline", "followup", "n_children"]
    assert row["n"] == r["n_with_baseline"]
    assert abs(row["estimate"] - r["mi_estimate"]) < 0.5 * r["mi_se"]
    assert 0.75 < params["se"] / r["mi_se"] < 1.33
    assert row["ci_low"] < r["mi_estimate"] < row["ci_high"]


# --------------------------------------------------------------------------- attrition


def test_attrition_table_compares_completers_and_non_completers():
    pairs = [(14, 21), (20, 22), (18, 25), (25, 24), (12, None), (10, None), (27, 30)]
    items = _pairs_items(pairs)
    fam = _families(range(7), n_children=[1, 2, 3, 2, 4, 5, 1])
    fam["youngest_child_age_band"] = ["0-4", "0-4", "5-10", "5-10", "0-4", "5-10", "0-4"]
    att = wellbeing_attrition(items, fam)
    people = att.loc[att["characteristic"] == "people"].iloc[0]
    assert (people["completers"], people["non_completers"]) == (5, 2)
    base = att.loc[att["characteristic"] == "baseline_score"].iloc[0]
    done = [_metric(b) for b, f in pairs if f is not None]
    assert base["completers_value"] == pytest.approx(np.mean(done))
    assert base["non_completers_value"] == pytest.approx(np.mean([_metric(12), _metric(10)]))
    from scipy import stats

    p = stats.ttest_ind(done, [_metric(12), _metric(10)], equal_var=False).pvalue
    assert base["p_value"] == pytest.approx(p)
    band = att.loc[att["characteristic"] == "youngest_child_age_band"].set_index("level")
    assert band.loc["0-4", "completers"] == 3 and band.loc["0-4", "non_completers"] == 1
    # 2 x 2 table: Fisher's exact test ([[3, 2], [1, 1]]).
    assert band["p_value"].iloc[0] == pytest.approx(stats.fisher_exact([[3, 2], [1, 1]]).pvalue)
    assert band["test"].iloc[0] == "Fisher's exact test"
    assert att.loc[att["characteristic"] == "site", "test"].iloc[0].startswith("no test")


# --------------------------------------------------------------------------- properties


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=7, max_size=7),
        min_size=1,
        max_size=12,
    )
)
def test_scores_follow_the_items(questionnaires):
    rows = []
    for i, vals in enumerate(questionnaires):
        rows += _completion(str(i), "baseline", values=vals, rid=f"r{i}")
    sc = score_instrument(_items(rows), "swemwbs")
    answered = [
        sum(v is not None for v in q) for q in questionnaires if any(v is not None for v in q)
    ]
    assert sorted(sc["n_items_answered"].tolist()) == sorted(answered)
    complete = sc["n_items_answered"] == 7
    assert (sc["complete"] == complete).all()
    assert sc.loc[complete, "score"].tolist() == [
        _metric(int(r)) for r in sc.loc[complete, "raw_sum"]
    ]
    assert sc.loc[~complete, "score"].isna().all()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(7, 35), st.one_of(st.none(), st.integers(7, 35))),
        min_size=3,
        max_size=15,
    )
)
def test_change_rows_are_consistent(pairs):
    items = _pairs_items(pairs)
    ind = wellbeing_indicators(items, imputations=2)
    k = sum(f is not None for _, f in pairs)
    mean = _row(ind, "swemwbs_mean_change")
    assert mean["n"] == k
    if k >= 2:
        d = [_metric(f) - _metric(b) for b, f in pairs if f is not None]
        assert mean["estimate"] == pytest.approx(np.mean(d))
        low = _row(ind, "swemwbs_mean_change_bound_low")["estimate"]
        high = _row(ind, "swemwbs_mean_change_bound_high")["estimate"]
        assert low <= high + 1e-12
        if k == len(pairs):
            assert low == pytest.approx(mean["estimate"]) == pytest.approx(high)
    else:
        assert math.isnan(mean["estimate"]) and mean["method"].startswith("not estimable")
    ppl = wellbeing_people(items)
    assert (ppl["status"] == "pair").sum() == k
    assert ppl["status"].isin(["pair", "no_followup"]).all()


# --------------------------------------------------------------------------- domains


def _domain_rows(rows):
    out = pd.DataFrame(
        rows, columns=["family_id", "assessment_date", "timepoint", "domain", "score"]
    )
    out["assessment_date"] = pd.to_datetime(out["assessment_date"])
    out["score"] = out["score"].astype("Int64")
    return out


def _assess(fid, date, tp, scores):
    return [(fid, date, tp, d, s) for d, s in scores.items() if s is not None]


def test_domain_distance_by_hand():
    rows = []
    # A: baseline, review, exit -> the exit is the latest follow-up; housing blank at exit.
    rows += _assess(
        "fa", "2021-01-01", "baseline", {"housing": 1, "food_security": 2, "immigration": 1}
    )
    rows += _assess(
        "fa", "2021-06-01", "review", {"housing": 3, "food_security": 3, "immigration": 2}
    )
    rows += _assess(
        "fa", "2021-12-01", "exit", {"housing": None, "food_security": 4, "immigration": 2}
    )
    # B: baseline and review.
    rows += _assess(
        "fb", "2021-02-01", "baseline", {"housing": 2, "food_security": 3, "immigration": 2}
    )
    rows += _assess(
        "fb", "2021-07-01", "review", {"housing": 3, "food_security": 3, "immigration": 1}
    )
    # C: baseline only; D: a review with no baseline; E: a review dated before its baseline.
    rows += _assess(
        "fc", "2021-03-01", "baseline", {"housing": 2, "food_security": 2, "immigration": 2}
    )
    rows += _assess(
        "fd", "2021-07-01", "review", {"housing": 4, "food_security": 4, "immigration": 4}
    )
    rows += _assess(
        "fe", "2021-01-01", "review", {"housing": 1, "food_security": 1, "immigration": 1}
    )
    rows += _assess(
        "fe", "2021-02-01", "baseline", {"housing": 2, "food_security": 2, "immigration": 2}
    )
    ds = _domain_rows(rows)
    ch = domain_changes(ds).set_index(["family_id", "domain"])
    assert ch.loc[("fa", "food_security"), "latest_timepoint"] == "exit"
    assert math.isnan(ch.loc[("fa", "housing"), "change"])
    fam = domain_distance_by_family(ds).set_index("family_id")
    assert list(fam.index) == ["fa", "fb"]
    assert fam.loc["fa", "n_domains"] == 2 and fam.loc["fa", "mean_change"] == pytest.approx(1.5)
    assert fam.loc["fb", "mean_change"] == pytest.approx(0.0)
    summary = domain_distance(ds).set_index("domain")
    assert summary.loc["all", "mean_change"] == pytest.approx(0.75)
    assert summary.loc["housing", "n_families"] == 1
    assert summary.loc["food_security", "mean_change"] == pytest.approx(1.0)
    assert summary.loc["immigration", ["improved", "same", "worse"]].tolist() == [1, 0, 1]
    ind = domain_distance_travelled(ds)
    allrow = _row(ind, "domain_distance_travelled")
    assert allrow["n"] == 2 and allrow["estimate"] == pytest.approx(0.75)
    assert (
        "complete cases (2 of 4 with baseline; 2 without a follow-up assessment, "
        in allrow["method"]
    )
    assert "1 follow-up(s) without a baseline not paired" in allrow["method"]
    house = _row(ind, "domain_distance_travelled", "domain:housing")
    assert house["n"] == 1 and house["method"].startswith("not estimable")


def test_domain_distance_matches_scipy():
    from scipy import stats

    rng = np.random.default_rng(5)
    rows = []
    domains = ["housing", "food_security", "immigration"]
    base = rng.integers(1, 5, (30, 3))
    late = np.clip(base + rng.integers(-1, 3, (30, 3)), 1, 5)
    for i in range(30):
        rows += _assess(
            f"f{i}", "2021-01-01", "baseline", dict(zip(domains, base[i].tolist(), strict=True))
        )
        rows += _assess(
            f"f{i}", "2021-06-01", "review", dict(zip(domains, late[i].tolist(), strict=True))
        )
    ind = domain_distance_travelled(_domain_rows(rows)).set_index("group")
    avg = (late - base).mean(axis=1)
    t = stats.ttest_1samp(avg, 0.0)
    ci = t.confidence_interval()
    row = ind.loc["all"]
    assert row["estimate"] == pytest.approx(avg.mean())
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci.low, ci.high))
    w = stats.wilcoxon(avg, zero_method="wilcox", correction=True, method="asymptotic")
    assert row["p_value"] == pytest.approx(w.pvalue)
    assert json.loads(row["params"])["p_value_t"] == pytest.approx(t.pvalue)
    d = late[:, 0] - base[:, 0]
    assert ind.loc["domain:housing", "estimate"] == pytest.approx(d.mean())


def test_domain_scores_outside_the_scale_are_refused():
    ds = _domain_rows(_assess("fa", "2021-01-01", "baseline", {"housing": 7}))
    with pytest.raises(ValidationError, match="outside the scale 1 to 5"):
        domain_changes(ds)


# --------------------------------------------------------------------------- the sample


@pytest.fixture(scope="module")
def sample_part(sample):
    return compute(sample, Settings.from_data(sample))


def test_sample_reproduces_the_generator_pairs(sample_part):
    # data/sample/truth.json "realised": 52 complete parent/carer pairs, mean change
    # 2.015962 metric points, baseline 20.301538 among the pairs.
    truth = json.loads((Path(__file__).resolve().parents[1] / "data/sample/truth.json").read_text())
    real = truth["realised"]["wellbeing"]
    ind = pd.DataFrame(sample_part.indicators)
    row = _row(ind, "swemwbs_mean_change")
    assert row["n"] == real["complete_pairs"]
    assert row["estimate"] == pytest.approx(real["mean_change_metric_pairs"], abs=5e-7)
    assert json.loads(row["params"])["mean_baseline"] == pytest.approx(
        real["mean_baseline_metric_pairs"], abs=5e-7
    )
    # The generator's true mean change among parent/carers with a baseline: 2.0
    # latent metric points, 1.98 on the observed metric scale (items rounded and
    # bounded, then converted; Monte Carlo over PARAMETERS["wellbeing"]).
    for name in ("swemwbs_mean_change", "swemwbs_mean_change_mi"):
        r = _row(ind, name)
        assert r["ci_low"] < 1.98 < r["ci_high"], name
    low = _row(ind, "swemwbs_mean_change_bound_low")["estimate"]
    high = _row(ind, "swemwbs_mean_change_bound_high")["estimate"]
    assert low < row["estimate"] < high
    # Attrition depends on baseline in the generator: non-completers start lower.
    att = sample_part.tables["wellbeing_attrition"]
    base = att.loc[att["characteristic"] == "baseline_score"].iloc[0]
    assert base["non_completers_value"] < base["completers_value"]
    dom = _row(ind, "domain_distance_travelled")
    # True value for the sample's mix of latest follow-ups (31 review only, 11 exit
    # after a review, 35 exit without one): 0.475 (Monte Carlo over PARAMETERS["domains"]).
    assert dom["n"] == 77 and dom["ci_low"] < 0.475 < dom["ci_high"]


def test_sample_tables_are_flat_and_documented(sample_part):
    ind = pd.DataFrame(sample_part.indicators)
    assert list(ind.columns) == list(INDICATOR_COLUMNS)
    assert set(ind["outcome"]) == {"3"}
    text = DOCS.read_text("utf-8")
    start = text.index("## Outcome 3")
    section = text[start : text.index("\n## ", start + 1)]
    for name in set(ind["indicator"]):
        generic = re.sub(r"^swemwbs_", "<measure>_", name)
        assert f"`{name}`" in section or f"`{generic}`" in section, name
    for name, table in sample_part.tables.items():
        assert f"`{name}`" in section, name
        for col in table.columns:
            assert f"`{col}`" in section, (name, col)
            cells = table[col].dropna()
            assert not cells.map(lambda v: isinstance(v, list | dict)).any(), (name, col)


def test_compute_all_marks_the_prespecified_rows(sample):
    res = compute_all(sample)
    ind = res.indicators
    pre = ind.loc[ind["prespecified"], ["indicator", "group"]].values.tolist()
    assert ["swemwbs_mean_change", "all"] in pre and ["domain_distance_travelled", "all"] in pre
    assert "wellbeing_change" in res.table_names


def test_compute_with_no_wellbeing_data(sample):
    from dataclasses import replace

    empty = replace(sample, wellbeing_items=sample.wellbeing_items.iloc[0:0])
    part = compute(empty, Settings.from_data(sample))
    ind = pd.DataFrame(part.indicators)
    sw = ind.loc[ind["indicator"].str.startswith("swemwbs_")]
    assert len(sw) > 0 and (sw["n"] == 0).all() and sw["estimate"].isna().all()
    assert part.tables["wellbeing_scores"].empty


def test_equal_changes_of_converted_scores_tie_in_the_signed_rank_test():
    # Metric 7 -> 11 and 17 -> 26 both change by 6.33, but in floating point the
    # second is 6.330000000000002; the test must rank them as a tie.
    from scipy import stats

    pairs = [(7, 11), (17, 26), (14, 21), (20, 22), (18, 25), (25, 24), (12, 20), (22, 29)]
    row = _row(wellbeing_indicators(_pairs_items(pairs), imputations=2), "swemwbs_wilcoxon")
    d = np.round([_metric(f) - _metric(b) for b, f in pairs], 9)
    expected = stats.wilcoxon(d, zero_method="wilcox", correction=True, method="asymptotic")
    assert "normal approximation" in row["method"]
    assert row["p_value"] == pytest.approx(expected.pvalue, rel=1e-12)


def test_exit_followup_is_due_when_the_family_has_left():
    rows = _completion("1", "baseline", 14) + _completion("1", "exit", 21, date="2021-09-01")
    rows += _completion("2", "baseline", 20) + _completion("2", "exit", 24, date="2021-10-01")
    rows += _completion("3", "baseline", 18) + _completion("4", "baseline", 18)
    rows += _completion("5", "baseline", 18) + _completion("5", "review", 30, date="2021-09-01")
    fam = _families(range(1, 6))
    fam["exit_date"] = pd.to_datetime(["2021-09-01", "2021-10-01", "2021-12-01", None, None])
    ppl = wellbeing_people(_items(rows), fam, followup_timepoint="exit", data_cut="2022-06-30")
    status = ppl.set_index("family_id")["status"].to_dict()
    assert status == {
        "f1": "pair",
        "f2": "pair",
        "f3": "no_followup",
        "f4": "not_due",
        "f5": "not_due",
    }
    with pytest.raises(ConfigError, match="choose 'review' or 'exit'"):
        wellbeing_people(_items(rows), followup_timepoint="baseline")
