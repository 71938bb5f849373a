"""Truth recovery: the true values of the headline indicators and how well they are found.

``noream_eval.sample.effects`` defines each headline indicator's estimand and true value
under the generating model; ``truth.json`` states them under ``effects``. These tests
check the closed forms, the stored simulation constants, that the shipped sample's 95%
intervals hold the true values, and (slow) the interval coverage over 100 seeds.
"""

from __future__ import annotations

import json
import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
from _rereferral_truth import world, world_tables
from _truth_recovery import (
    CLEAN,
    EXACT,
    clean_replicate,
    coverage_rows,
    coverage_table,
    exact_checks,
    replicate,
)
from conftest import ROOT

from noream_eval.metrics import compute_all
from noream_eval.metrics.rereferrals import flag_rereferrals
from noream_eval.sample import effects as ef
from noream_eval.sample.world import COHORTS, PARAMETERS, cohort_codes

TRUTH = ROOT / "data" / "sample" / "truth.json"
SEEDS = range(1, 101)
CLEAN_SEEDS = range(1001, 2501)
KEYS = ["estimate", "ci_low", "ci_high"]
COVERAGE_RANGE = (0.92, 0.98)


@pytest.fixture(scope="module")
def truth():
    return json.loads(TRUTH.read_text(encoding="utf-8"))


def test_closed_forms_follow_from_the_parameters():
    v = ef.closed_form_effects()
    p = PARAMETERS
    assert v["rereferral_within_12m"] == {
        "comparison": 0.28,
        "noream": pytest.approx(0.28 * 0.7),
        "not_enrolled": 0.28,
    }
    # Stage losses 0.15, 0.2125, 0.06375, 0.11475; moved away 25%, 15% and 10% of
    # those not assessed, not offered and declining.
    moved = (0.15 * 0.25 + 0.06375 * 0.15 + 0.11475 * 0.10) / (0.15 + 0.2125 + 0.06375 + 0.11475)
    assert ef.moved_away_share() == pytest.approx(moved)
    esc = v["s17_escalation_12m"]
    assert esc["comparison"] == pytest.approx(p["escalation"]["risk_12m_comparison"])
    assert esc["noream"] == pytest.approx(1 - 0.7**0.6) == pytest.approx(0.192656, abs=1e-6)
    assert esc["not_enrolled"] == pytest.approx(0.30 * (1 - moved))
    assert v["s17_escalation_hazard_ratio"] == {"all": 0.6}


def test_closed_forms_average_over_the_sites_of_the_families():
    u = np.array([0.0, 0.5])
    sites = {"comparison": np.array([0, 1, 1]), "noream": np.array([1]), "not_enrolled": []}
    v = ef.closed_form_effects(site_effect=u, family_site=sites)["s17_escalation_12m"]
    at = [1 - 0.7 ** math.exp(x) for x in u]
    assert v["comparison"] == pytest.approx((at[0] + 2 * at[1]) / 3)
    assert v["noream"] == pytest.approx(1 - 0.7 ** (0.6 * math.exp(0.5)))
    assert v["not_enrolled"] == pytest.approx(0.30 * (1 - ef.moved_away_share()))


def test_several_sites_average_the_escalation_shares_over_their_effects():
    from noream_eval.sample.generate import simulate_world

    fam = simulate_world(5, 3_000, 3, only_referrals=True)["fam"]
    assert fam["site_effect"][1:].any()
    eff = ef.true_effects(fam=fam, realised_s17={}, n_sites=3)
    sites = {c: fam["site"][cohort_codes(fam) == i] for i, c in enumerate(COHORTS)}
    want = ef.closed_form_effects(site_effect=fam["site_effect"], family_site=sites)
    esc = eff["s17_escalation_12m"]
    assert esc["values"] == pytest.approx(want["s17_escalation_12m"])
    assert esc["values"] != pytest.approx(ef.closed_form_effects()["s17_escalation_12m"])
    assert esc["source"] == "closed form at the sample's site effects"
    assert (
        "values" not in eff["s17_cost_per_family"] and eff["s17_cost_per_family"]["value"] is None
    )


def test_classify_referrals_agrees_with_the_metric_flags():
    # The primary rule implemented twice: in effects (on the clean world) and by the
    # metric's flag_rereferrals (on the exported referrals of the same world).
    fam, refs = world(seed=3, n_families=20_000)
    mine = ef.classify_referrals(fam, refs)
    exported, families = world_tables(fam, refs, exported_only=True)
    flags = flag_rereferrals(
        exported, history_known_from=families, data_start=PARAMETERS["dates"]["data_start"]
    )
    keep = mine["exported"]
    assert not flags["same_day_repeat"].any()
    assert (flags["is_rereferral"].to_numpy() == mine["found"][keep]).all()
    classified = flags["is_rereferral"] | ~flags["history_incomplete"]
    assert (classified.to_numpy() == mine["classified"][keep]).all()
    # a true re-referral is never classified as not re-referred
    assert not (mine["classified"] & mine["rereferral"] & ~mine["found"]).any()
    assert (~mine["classified"] & keep).sum() > 100


def test_stored_simulation_agrees_with_the_closed_forms():
    closed = ef.closed_form_effects()
    for name, groups in closed.items():
        for group, value in groups.items():
            sim, se = ef.SIMULATED[name][group]
            assert 0 < se < 0.01
            assert abs(sim - value) <= 4 * se, (name, group, sim, value, se)
    # the DfE rate over every true referral and under the primary rule, as found before
    every = ef.SIMULATED["rereferral_rate_every_referral"]
    primary = ef.SIMULATED["rereferral_rate"]
    assert every["comparison"][0] == pytest.approx(0.2746, abs=0.002)
    assert primary["comparison"][0] == pytest.approx(0.2995, abs=0.002)
    # enrolled and not-enrolled families lose no history: every referral is classified
    for c in ("noream", "not_enrolled"):
        assert primary[c][0] == every[c][0]
    ratio = ef.SIMULATED["rereferral_rate_ratio"]["all"][0]
    assert ratio == pytest.approx(primary["noream"][0] / primary["comparison"][0], abs=1e-5)
    # the metric scale loses a little of the latent gain of 2.0 points
    change = ef.SIMULATED["swemwbs_mean_change"]["all"]
    assert 1.9 < change[0] < 2.0
    shares = ef.SIMULATED["domain_followup_share"]
    assert sum(v for v, _ in shares.values()) == pytest.approx(1.0, abs=1e-5)


def test_truth_json_states_every_headline_effect(truth):
    effects = truth["effects"]
    assert tuple(effects) == tuple(sorted(ef.HEADLINE_INDICATORS))
    for name, eff in effects.items():
        assert eff["estimand"] == ef.ESTIMANDS[name]
        assert eff["group"] == ef.HEADLINE_GROUP[name]
        values = eff.get("values", {eff["group"]: eff["value"]})
        assert values[eff["group"]] == eff["value"]
    assert set(effects["rereferral_rate"]["values"]) == set(COHORTS)
    closed = ef.closed_form_effects()
    esc = effects["s17_escalation_12m"]["values"]
    assert esc == pytest.approx(closed["s17_escalation_12m"], abs=1e-6)
    assert effects["s17_escalation_hazard_ratio"]["value"] == 0.6
    for name in ("rereferral_rate", "swemwbs_d_z"):
        stored = {g: round(v, 6) for g, (v, _) in ef.SIMULATED[name].items()}
        assert effects[name].get("values", {"all": effects[name]["value"]}) == stored
    domains = effects["domain_distance_travelled"]["values"]
    assert domains["all"] == ef.SIMULATED["domain_distance_travelled"]["all"][0]
    for d, (v, _) in ef.SIMULATED["domain_distance_by_domain"].items():
        assert domains[f"domain:{d}"] == v
    s17 = truth["realised"]["s17"]
    cost = effects["s17_cost_per_family"]["values"]
    assert cost["noream"] == s17["noream"]["spend_per_family_paid_gbp"]
    paid = sum(s17[c]["families_paid"] for c in COHORTS)
    assert cost["all"] == pytest.approx(sum(s17[c]["spend_gbp"] for c in COHORTS) / paid)
    readme = (TRUTH.parent / "README.md").read_text(encoding="utf-8")
    assert "## True values of the headline indicators" in readme


def test_the_shipped_sample_recovers_every_true_value(sample, truth):
    indicators = compute_all(sample).indicators
    rows = coverage_rows(indicators, truth["effects"])
    assert {r["indicator"] for r in rows} == set(ef.HEADLINE_INDICATORS) - set(EXACT)
    missed = [r for r in rows if not (r["has_ci"] and r["covered"])]
    # Every headline group and every cohort; of the seven domains one may miss (the
    # shipped sample's education_training_leisure interval ends at 0.432, below 0.434).
    assert not [r for r in missed if not r["group"].startswith("domain:")], missed
    assert len(missed) <= 1, missed
    assert exact_checks(indicators, truth) == []


def test_simulate_effects_refuses_a_tiny_simulation():
    from noream_eval.errors import StatsInputError

    with pytest.raises(StatsInputError, match="at least 10,000"):
        ef.simulate_effects(500, 1)


@pytest.mark.slow
def test_simulation_reproduces_the_stored_constants():
    # A fresh simulation (other seed, 1/10 of the size) within Monte Carlo error.
    fresh = ef.simulate_effects(1_000_000, 7)
    assert set(fresh) == set(ef.SIMULATED)
    for name, groups in ef.SIMULATED.items():
        assert set(fresh[name]) == set(groups)
        for group, (value, se) in groups.items():
            got, se_got = fresh[name][group]
            assert abs(got - value) <= 4 * math.hypot(se, se_got), (name, group, got, value)


def _binomial_region(n: int, p: float = 0.95, level: float = 0.01) -> tuple[float, float]:
    """Coverages an exact two-sided binomial test of ``p`` does not reject at ``level``."""
    from scipy import stats

    ok = [k for k in range(n + 1) if stats.binomtest(k, n, p).pvalue >= level]
    return min(ok) / n, max(ok) / n


@pytest.mark.slow
def test_coverage_over_100_seeds(tmp_path):
    # Each replicate: generate_sample(seed) -> ingest -> compute_all -> compare with the
    # effects of its truth.json; two processes (about 5 s a replicate each, 8 minutes).
    # A correct 95% interval leaves 0.92-0.98 over 100 replicates about one time in ten,
    # so the test asserts the region an exact binomial test of 95% accepts at the 1% level
    # (0.89-1.00 for 100 replicates); the report says which are outside 0.92-0.98.
    work = tmp_path / "replicates"
    work.mkdir()
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
        reps = list(pool.map(replicate, SEEDS, [str(work)] * len(SEEDS)))
    table = coverage_table(reps)
    lo, hi = _binomial_region(len(reps))
    for row in table:
        row["inside_0.92_0.98"] = COVERAGE_RANGE[0] <= row["coverage"] <= COVERAGE_RANGE[1]
        row["binomial_test_accepts_0.95"] = lo <= row["coverage"] <= hi
    mismatches = {r["seed"]: r["mismatches"] for r in reps if r["mismatches"]}
    warned: dict[str, int] = {}
    for r in reps:
        for k, v in r["warnings"].items():
            warned[k] = warned.get(k, 0) + v
    report = tmp_path / "coverage.json"
    summary = {
        "seeds": [min(SEEDS), max(SEEDS)],
        "replicates": len(reps),
        "binomial_region": [lo, hi],
        "coverage": table,
        "mismatches": mismatches,
        "warnings": warned,
    }
    report.write_text(json.dumps(summary, indent=1), encoding="utf-8")
    assert not mismatches, f"counts or costs differ from the truth; see {report}"
    headline = [r for r in table if r["headline"]]
    assert {r["indicator"] for r in headline} == set(ef.HEADLINE_INDICATORS) - set(EXACT)
    assert all(r["with_ci"] == len(reps) for r in headline), report
    off = [(r["indicator"], r["coverage"]) for r in headline if not lo <= r["coverage"] <= hi]
    assert not off, f"coverage not consistent with 95%: {off}; see {report}"

    # The intervals computed on the clean world (no files, mess or ingest) are the same
    # as the full replicates', so 1,500 more samples measure their coverage to about
    # +-0.006, where 0.92-0.98 is a fair test.
    with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
        same = list(pool.map(clean_replicate, SEEDS, chunksize=10))
        more = list(pool.map(clean_replicate, CLEAN_SEEDS, chunksize=25))
    full = {
        (r["seed"], c["indicator"], c["group"]): c
        for r in reps
        for c in r["coverage"]
        if c["indicator"] in CLEAN
    }
    for r in same:
        for c in r["coverage"]:
            f = full[r["seed"], c["indicator"], c["group"]]
            # a bootstrap interval depends on the order of the pairs it resamples
            keys = ["estimate"] if c["indicator"] == "swemwbs_reliable_improvement" else KEYS
            assert [c[k] for k in keys] == pytest.approx([f[k] for k in keys]), c
    clean = coverage_table(more)
    for row in clean:
        row["inside_0.92_0.98"] = COVERAGE_RANGE[0] <= row["coverage"] <= COVERAGE_RANGE[1]
    summary["clean_world"] = {
        "seeds": [min(CLEAN_SEEDS), max(CLEAN_SEEDS)],
        "replicates": len(more),
        "coverage": clean,
    }
    report.write_text(json.dumps(summary, indent=1), encoding="utf-8")
    off = [(r["indicator"], r["group"], r["coverage"]) for r in clean if not r["inside_0.92_0.98"]]
    assert not off, f"coverage outside {COVERAGE_RANGE} over {len(more)} samples: {off}; {report}"
