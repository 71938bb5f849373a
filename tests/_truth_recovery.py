"""Truth recovery on synthetic data: one replicate, and the coverage over many.

A replicate generates a sample with its own seed, ingests it as an analyst would
(``noream_eval.ingest.load``), computes every indicator and compares each headline
indicator with the ``effects`` of that sample's ``truth.json``: whether the 95% interval
holds the true value, and whether the counts and costs that have no sampling error
equal the values computed from the truth directly.
"""

from __future__ import annotations

import json
import math
import shutil
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: Indicators whose true value is the sample's own (finite population): the estimate
#: must equal it, and an interval has nothing to cover.
EXACT = ("s17_cost_per_family",)


def _rows(indicators: pd.DataFrame) -> dict[tuple[str, str], Mapping[str, Any]]:
    return {
        (str(r["indicator"]), str(r["group"])): r
        for r in indicators.to_dict("records")  # one row per indicator and group
    }


def _params(row: Mapping[str, Any]) -> dict[str, Any]:
    return json.loads(row["params"]) if isinstance(row["params"], str) else {}


def coverage_rows(
    indicators: pd.DataFrame, effects: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """One row per headline indicator and group with a true value: estimate, CI, covered."""
    rows = _rows(indicators)
    out = []
    for name, eff in effects.items():
        if name in EXACT:
            continue
        values = eff.get("values") or {eff["group"]: eff["value"]}
        for group, true in values.items():
            row = rows.get((name, group))
            est = lo = hi = math.nan
            if row is not None:
                est, lo, hi = (float(row[k]) for k in ("estimate", "ci_low", "ci_high"))
            out.append(
                {
                    "indicator": name,
                    "group": group,
                    "headline": group == eff["group"],
                    "true": true,
                    "estimate": est,
                    "ci_low": lo,
                    "ci_high": hi,
                    "has_ci": bool(math.isfinite(lo) and math.isfinite(hi)),
                    "covered": bool(lo <= true <= hi),
                }
            )
    return out


def _close(a: float, b: float, *, tol: float = 1e-6) -> bool:
    return a is not None and b is not None and abs(float(a) - float(b)) <= tol * max(1, abs(b))


def exact_checks(indicators: pd.DataFrame, truth: Mapping[str, Any]) -> list[str]:
    """Counts and costs without sampling error that differ from the truth (empty: none)."""
    rows = _rows(indicators)
    r, eff = truth["realised"], truth["effects"]
    bad: list[str] = []

    def check(what: str, got: Any, want: Any) -> None:
        ok = _close(got, want) if isinstance(want, float) else got == want
        if not ok:
            bad.append(f"{what}: {got!r} != {want!r}")

    def row(name: str, group: str = "all") -> Mapping[str, Any]:
        return rows.get((name, group)) or {"estimate": math.nan, "n": None, "params": "{}"}

    for group, value in eff["s17_cost_per_family"]["values"].items():
        check(f"s17_cost_per_family[{group}]", row("s17_cost_per_family", group)["estimate"], value)
        if group != "all":
            want = r["s17"][group]["families_paid"]
            check(f"s17_cost_per_family[{group}].n", row("s17_cost_per_family", group)["n"], want)
    hr = _params(row("s17_escalation_hazard_ratio"))
    for c in ("noream", "comparison"):
        want = r["escalation"][c]["escalated_by_cut"]
        check(f"escalations[{c}]", hr.get("events_by_cohort", {}).get(c), want)
    for c in ("noream", "not_enrolled"):  # every referral is classified in these cohorts
        got = row("rereferral_rate", c)
        rr = r["rereferral"][c]
        check(f"rereferral_rate[{c}].n", got["n"], rr["referrals"])
        check(f"rereferrals[{c}]", _params(got).get("rereferrals"), rr["rereferrals_within_365"])
    prog = row("noream_programme_cost", "noream")
    p = _params(prog)
    check("flexible_grants_gbp", p.get("flexible_grants_gbp"), float(r["s17"]["noream_grants_gbp"]))
    check("grants_paid", p.get("grants_paid"), r["s17"]["noream_grants"])
    total = r["s17"]["noream_grants_gbp"] + p.get("staff_cost_gbp", 0) + p.get("other_cost_gbp", 0)
    check("noream_programme_cost", prog["estimate"], float(total))
    check("noream_programme_cost.n", prog["n"], r["families"]["enrolled"])
    per = row("noream_cost_per_family", "noream")["estimate"]
    check("noream_cost_per_family", per, total / r["families"]["enrolled"])
    d = r["deliverables"]
    check("manual_published", row("manual_published")["estimate"], 1.0)
    check(
        "training_sessions",
        row("training_sessions")["estimate"],
        float(d["training_sessions_delivered"]),
    )
    check(
        "training_attendees", row("training_attendees")["estimate"], float(d["training_attendees"])
    )
    check(
        "training_las_reached",
        row("training_las_reached")["estimate"],
        float(d["training_las_reached"]),
    )
    check("working_papers", row("working_papers")["estimate"], float(d["working_papers_published"]))
    m = r["meetings"]
    snacs = _params(row("snacs_held_share"))
    check("snacs held", snacs.get("months_held"), m["snac_held"])
    check("snacs planned", snacs.get("months_planned"), m["snac_planned"])
    maps = _params(row("map_strategy_published"))
    check("map strategies published", maps.get("published"), d["map_strategies_published"])
    check("map strategy boroughs", maps.get("boroughs"), d["by_kind"]["map_strategy"])
    disc = _params(row("families_discussed_share"))
    check("families discussed", disc.get("discussed"), m["families_discussed"])
    check("families enrolled", disc.get("enrolled"), r["families"]["enrolled"])
    adv = _params(row("fidelity_immigration_advisor"))
    check(
        "seen by advisor",
        adv.get("numerator"),
        r["contacts"]["families_seen_by_immigration_advisor"],
    )
    wb = row("swemwbs_mean_change")
    check("swemwbs pairs", wb["n"], r["wellbeing"]["complete_pairs"])
    check("swemwbs mean change (pairs)", wb["estimate"], r["wellbeing"]["mean_change_metric_pairs"])
    return bad


def replicate(seed: int, workdir: str) -> dict[str, Any]:
    """Generate, ingest and analyse the sample of ``seed``; compare with its truth."""
    from noream_eval.ingest import load
    from noream_eval.metrics import compute_all
    from noream_eval.sample.generate import generate_sample

    out = Path(workdir) / f"seed_{seed}"
    with warnings.catch_warnings(record=True) as caught:
        # A worker process has no pytest to capture warnings: they are counted instead.
        warnings.simplefilter("always")
        generate_sample(out, seed=seed, force=True)
        data = load(out / "evaluation.toml")
        indicators = compute_all(data).indicators
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    shutil.rmtree(out)
    kinds: dict[str, int] = {}
    for w in caught:
        key = f"{w.category.__name__}: {str(w.message)[:80]}"
        kinds[key] = kinds.get(key, 0) + 1
    return {
        "seed": seed,
        "coverage": coverage_rows(indicators, truth["effects"]),
        "mismatches": exact_checks(indicators, truth),
        "warnings": kinds,
    }


#: Indicators whose intervals :func:`clean_replicate` computes from the clean world.
CLEAN = (
    "rereferral_rate",
    "rereferral_rate_ratio",
    "rereferral_within_12m",
    "s17_escalation_12m",
    "s17_escalation_hazard_ratio",
    "swemwbs_reliable_improvement",
)


def _payments(world: Mapping[str, Any], fid: Any) -> pd.DataFrame:
    """The clean payments of a simulated world as a canonical-like table."""
    from noream_eval.schema import LEVELS

    pay = world["pay"]["payments"]
    return pd.DataFrame(
        {
            "family_id": pd.array(fid[pay["fam"]], dtype="string"),
            "payment_date": pay["date"].astype("datetime64[D]").astype("datetime64[ns]"),
            "scheme": pd.array(np.array(LEVELS["scheme"])[pay["scheme"]], dtype="string"),
            "amount_gbp": pay["pence"] / 100.0,
        }
    )


def clean_replicate(seed: int) -> dict[str, Any]:
    """Interval coverage of the :data:`CLEAN` indicators on the clean world of ``seed``.

    The sample of ``seed`` without files, mess or ingest: the metrics' own functions on
    the simulated records. Its intervals equal the full replicate's (:func:`replicate`),
    so many more samples can be afforded.
    """
    from _rereferral_truth import world_tables

    from noream_eval.metrics import rereferrals, s17, wellbeing
    from noream_eval.plan import AnalysisPlan
    from noream_eval.sample import effects as ef
    from noream_eval.sample.generate import simulate_world
    from noream_eval.sample.world import DEFAULT_FAMILIES, PARAMETERS
    from noream_eval.stats import reliable_change

    dates = PARAMETERS["dates"]
    cohorts = ("noream", "comparison", "not_enrolled")  # the programme first, as configured
    world = simulate_world(seed, DEFAULT_FAMILIES)
    fam, refs = world["fam"], world["refs"]
    referrals, families = world_tables(fam, refs, exported_only=True)
    families["exit_date"] = pd.NaT
    fid = families["family_id"].to_numpy()
    parts = [
        rereferrals.rereferral_rates(
            referrals, families, data_start=dates["data_start"], cohorts=cohorts
        ),
        rereferrals.rereferral_within_12m(
            referrals,
            families,
            data_cut=dates["data_cut"],
            data_start=dates["data_start"],
            cohorts=cohorts,
        ),
        s17.escalation_indicators(
            families, _payments(world, fid), data_cut=dates["data_cut"], cohorts=cohorts
        ),
    ]
    wb = world["wb"]
    pair = np.isfinite(wb["fam_base"]) & np.isfinite(wb["fam_fu"])
    rc = reliable_change(wb["fam_base"][pair], wb["fam_fu"][pair], reliability=0.89)
    lo, hi, _ = wellbeing._category_ci(
        rc, "improved", seed=AnalysisPlan.seed, n_resamples=AnalysisPlan.bootstrap_resamples
    )
    est = float(rc.to_frame().set_index("term").loc["improved", "estimate"])
    ri = {"indicator": "swemwbs_reliable_improvement", "group": "all"}
    parts.append(pd.DataFrame([{**ri, "estimate": est, "ci_low": lo, "ci_high": hi}]))
    indicators = pd.concat(parts, ignore_index=True)
    closed = ef.closed_form_effects()
    effects = {}
    for name in CLEAN:
        values = {g: v for g, (v, _) in ef.SIMULATED.get(name, {}).items()}
        effects[name] = {"group": ef.HEADLINE_GROUP[name], "values": closed.get(name, values)}
        effects[name]["value"] = effects[name]["values"][effects[name]["group"]]
    return {"seed": seed, "coverage": coverage_rows(indicators, effects)}


def coverage_table(replicates: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Coverage per indicator and group over replicates (rows with a CI)."""
    frame = pd.DataFrame([row for rep in replicates for row in rep["coverage"]])
    out = []
    for (name, group), sub in frame.groupby(["indicator", "group"], sort=False):
        ok = sub[sub["has_ci"]]
        out.append(
            {
                "indicator": name,
                "group": group,
                "headline": bool(sub["headline"].iloc[0]),
                "replicates": len(sub),
                "with_ci": len(ok),
                "coverage": float(ok["covered"].mean()) if len(ok) else math.nan,
                "mean_true": float(sub["true"].mean()),
                "mean_estimate": float(ok["estimate"].mean()) if len(ok) else math.nan,
                "mean_ci_width": float((ok["ci_high"] - ok["ci_low"]).mean())
                if len(ok)
                else math.nan,
                "below": int((ok["ci_high"] < ok["true"]).sum()),
                "above": int((ok["ci_low"] > ok["true"]).sum()),
            }
        )
    return out
