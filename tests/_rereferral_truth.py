"""The sample's simulated world as canonical tables, and Outcome 1 through the metrics.

The generator (``noream_eval.sample.world``) draws each family's referrals as a
chain: the index referral at first contact, then each referral is followed within
365 days with probability ``within_365_COHORT`` (a forward-looking probability),
after 400+ days with probability ``after_365_COHORT``, or not at all; referrals
after the data cut are not observed. The true values of the indicators in this
design are in ``noream_eval.sample.effects`` (computed there with an implementation
of their own); :func:`true_values` simulates the world with the sample's dates and
applies the evaluation's own functions (``flag_rereferrals`` and the Kaplan-Meier of
``rereferral_within_12m``) to it, which checks both against each other.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from noream_eval.metrics.rereferrals import _km_families, _km_results, flag_rereferrals
from noream_eval.sample import generate
from noream_eval.sample.world import (
    COHORTS,
    DEFAULT_FAMILIES,
    PARAMETERS,
    cohort_codes,
)

DATES = PARAMETERS["dates"]


def world(
    seed: int = generate.DEFAULT_SEED, n_families: int = DEFAULT_FAMILIES
) -> tuple[dict, dict]:
    """The clean families and referrals the generator draws for a seed and size."""
    w = generate.simulate_world(seed, n_families)
    return w["fam"], w["refs"]


def _dates(days: np.ndarray) -> np.ndarray:
    return np.asarray(days, dtype="int64").astype("datetime64[D]").astype("datetime64[ns]")


def world_tables(
    fam: dict, refs: dict, *, exported_only: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Canonical-like referrals and families of a simulated world.

    ``referrals`` also has ``within`` (the generator's own mark: the referral
    followed the previous one within 365 days). With ``exported_only`` the
    referrals lost in the cyberattack are left out, as in the exports.
    """
    ref = refs["referrals"]
    keep = ref["exported"] if exported_only else np.ones(len(ref["fam"]), dtype=bool)
    lost = refs["history_lost"]
    attack = np.datetime64(PARAMETERS["history"]["cyberattack"], "ns")
    start = np.datetime64(DATES["data_start"], "ns")
    n = int(fam["n"])
    fid = np.array([f"f{i:016x}" for i in range(n)])
    families = pd.DataFrame(
        {
            "family_id": pd.array(fid, dtype="string"),
            "site": pd.array(["E09000012"] * n, dtype="string"),
            "cohort": pd.Categorical(
                np.array(COHORTS)[cohort_codes(fam)],
                categories=["noream", "comparison", "not_enrolled"],
            ),
            "first_contact_date": _dates(fam["first_contact"]),
            "history_known_from": np.where(lost, attack, start),
        }
    )
    referrals = pd.DataFrame(
        {
            "referral_id": pd.array([f"r{int(i):016x}" for i in ref["id"][keep]], dtype="string"),
            "family_id": pd.array(fid[ref["fam"][keep]], dtype="string"),
            "site": pd.array(["E09000012"] * int(keep.sum()), dtype="string"),
            "referral_date": _dates(ref["date"][keep]),
            "within": ref["within"][keep],
        }
    )
    return referrals, families


def true_values(n_families: int = DEFAULT_FAMILIES * 250, seed: int = 1) -> dict[str, Any]:
    """What each Outcome 1 indicator estimates in the sample's design (large-n simulation).

    Returns per cohort: ``rereferral_rate`` over every true referral, the
    ``primary`` and ``sensitivity`` rates after the history loss of the sample
    (the values the two estimators tend to; ``primary`` is the estimand of
    ``rereferral_rate``, ``noream_eval.sample.effects``), ``within_12m`` (the
    Kaplan-Meier estimate on every true referral: it tends to the generator's
    ``within_365_COHORT``) and the ratios noream / comparison.
    """
    fam, refs = world(seed, n_families)
    referrals, families = world_tables(fam, refs)
    cohort = families.set_index("family_id")["cohort"].astype(object)
    coh = referrals["family_id"].map(cohort).to_numpy(dtype=object)
    every = flag_rereferrals(referrals)
    exported, _ = world_tables(fam, refs, exported_only=True)
    seen = flag_rereferrals(exported, history_known_from=families, data_start=DATES["data_start"])
    coh_seen = exported["family_id"].map(cohort).to_numpy(dtype=object)
    cut = pd.Timestamp(DATES["data_cut"])
    km, _ = _km_families(
        every, families.assign(history_known_from=pd.NaT), data_cut=cut, data_start=None
    )
    km_rows, _ = _km_results(km, {}, COHORTS, 365)
    within_12m = {r["group"]: r["estimate"] for r in km_rows}
    out: dict[str, Any] = {}
    for c in COHORTS:
        m = coh == c
        s = coh_seen == c
        once = ~seen["same_day_repeat"].to_numpy()
        inc = seen["history_incomplete"].to_numpy()
        re_seen = seen["is_rereferral"].to_numpy()
        n_fam = int((families["cohort"] == c).sum())
        out[c] = {
            "rereferral_rate": float(every["is_rereferral"].to_numpy()[m].mean()),
            "primary": float(re_seen[s & once & ~inc].sum() / (s & once & ~inc).sum()),
            "sensitivity": float(re_seen[s & once].sum() / (s & once).sum()),
            "within_12m": float(within_12m[c]),
            "referrals_per_family": float(m.sum() / n_fam),
        }
    for key in ("rereferral_rate", "primary", "sensitivity", "within_12m"):
        out[f"ratio_{key}"] = out["noream"][key] / out["comparison"][key]
    return out
