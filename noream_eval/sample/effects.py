"""The true values of the headline indicators under the sample's generating model.

Every headline indicator of the evaluation estimates a quantity this module defines in
words (:data:`ESTIMANDS`) and gives a true value for, under the generating model of
:mod:`noream_eval.sample.world` and the sample's design (its dates, data cut and
cyberattack):

- closed forms computed from :data:`~noream_eval.sample.world.PARAMETERS`
  (:func:`closed_form_effects`): the forward-looking share of families re-referred
  within twelve months, the share escalating to s17 within twelve months and the
  hazard ratio of escalation;
- constants from a large simulation of the same generator (:data:`SIMULATED`, made by
  :func:`simulate_effects`, which runs
  :func:`~noream_eval.sample.generate.simulate_world` and applies each indicator's
  definition to the *clean* world, with an implementation of its own): the DfE
  re-referral rates and their ratio (which depend on the design), the SWEMWBS change,
  d_z and reliable improvement on the metric scale, and the support-domain distance
  travelled;
- the sample's own finite-population value for the s17 cost per family, taken from the
  realised values of ``truth.json``.

:func:`true_effects` gathers them into the ``effects`` of ``truth.json``. The simulation
also recomputes the closed forms, which checks them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from noream_eval.errors import StatsInputError
from noream_eval.sample._common import day_of, instrument
from noream_eval.sample.world import (
    COHORTS,
    FUNNEL_STAGES,
    PARAMETERS,
    WELLBEING_INSTRUMENT,
    cohort_codes,
)
from noream_eval.schema import LEVELS

__all__ = [
    "ESTIMANDS",
    "HEADLINE_GROUP",
    "HEADLINE_INDICATORS",
    "SIMULATED",
    "SIMULATION",
    "classify_referrals",
    "closed_form_effects",
    "moved_away_share",
    "simulate_effects",
    "true_effects",
]

#: The headline indicators whose true values ``truth.json`` states under ``effects``.
HEADLINE_INDICATORS: tuple[str, ...] = (
    "rereferral_rate",
    "rereferral_rate_ratio",
    "rereferral_within_12m",
    "s17_escalation_12m",
    "s17_escalation_hazard_ratio",
    "s17_cost_per_family",
    "swemwbs_mean_change",
    "swemwbs_d_z",
    "swemwbs_reliable_improvement",
    "domain_distance_travelled",
)

#: The group each headline indicator's ``value`` is for (``values`` hold the others).
HEADLINE_GROUP: dict[str, str] = {
    "rereferral_rate": "noream",
    "rereferral_rate_ratio": "all",
    "rereferral_within_12m": "noream",
    "s17_escalation_12m": "noream",
    "s17_escalation_hazard_ratio": "all",
    "s17_cost_per_family": "noream",
    "swemwbs_mean_change": "all",
    "swemwbs_d_z": "all",
    "swemwbs_reliable_improvement": "all",
    "domain_distance_travelled": "all",
}

#: The estimand of each headline indicator, in words.
ESTIMANDS: dict[str, str] = {
    "rereferral_rate": (
        "DfE re-referral rate, backward-looking: among the referrals of the cohort's "
        "families up to the data cut that the records classify under the primary rule, the "
        "share dated at most 365 days after the family's previous referral. A referral is "
        "classified when its previous referral is recorded within the 365 days before it, "
        "or when the family's referral history is recorded for the whole 365 days before "
        "it (from data_start 2017-04-01, or from the cyberattack 2020-10-13 for the "
        "families that lost their earlier records); the rest (history_incomplete) are left "
        "out. The value is the ratio of expected counts in the sample's design (its dates, "
        "data cut and history loss), from a large simulation of the generator. It is not "
        "the generator's within_365 probability, which is forward-looking (the chance that "
        "a referral is followed by another within 365 days): here every family's first "
        "referral counts in the denominator and can never be a re-referral, chains are "
        "cut at the data cut, and the primary rule drops the index referrals of families "
        "first contacted before 2018-04-01 (their look-back reaches before data_start) "
        "and referrals whose look-back reaches into lost history. Groups: the cohorts"
    ),
    "rereferral_rate_ratio": (
        "rereferral_rate of the noream (enrolled) cohort over that of the comparison "
        "cohort, each as defined for rereferral_rate (primary rule, the sample's design); "
        "from the same simulation. Below the generator's forward-looking rate_ratio 0.7: "
        "enrolled families are followed for a shorter time and their re-referral gaps are "
        "longer, so fewer of their re-referrals fall before the data cut"
    ),
    "rereferral_within_12m": (
        "Share of families re-referred within 365 days of their index referral (their "
        "first referral, at first contact), forward-looking and family-based: exactly the "
        "generator's within_365_COHORT (families not enrolled get usual care, as the "
        "comparison). The Kaplan-Meier estimate is consistent for it: follow-ups are "
        "independent, censoring by the data cut is independent of re-referral, and the "
        "families left out for lost history are a random share. Closed form"
    ),
    "s17_escalation_12m": (
        "Share of families whose first s17 payment comes within 365 days of first "
        "contact, every family followed to the data cut whether or not its case closed: "
        "1 - (1 - risk_12m_comparison)^(hazard ratio x exp(site effect)) under the "
        "Weibull proportional hazards of the generator; comparison 0.30, noream "
        "1 - 0.7^0.6; families not enrolled get the comparison hazard, except those who "
        "moved away before enrolling, who are never escalated in the borough: "
        "0.30 x (1 - P(moved away | not enrolled)). Closed form; exact for a single-site "
        "sample (site effect 0); with several sites, the mean of the closed form over the "
        "cohort's families at their sites' realised effects"
    ),
    "s17_escalation_hazard_ratio": (
        "Hazard ratio of escalation to s17 (the first s17 payment), noream vs comparison, "
        "time from first contact, followed to the data cut: the generator's hazard_ratio "
        "(proportional hazards, Weibull baseline). Closed form; within a site: with "
        "several sites the unadjusted Cox ratio is marginal over the site frailty (SD 0.2 "
        "on the log hazard) and slightly nearer 1"
    ),
    "s17_cost_per_family": (
        "Mean net s17 spend (payments less refunds, to the data cut) per family with at "
        "least one s17 payment, by cohort: the sample's own finite-population value, "
        "computed from its clean payments (realised.s17.COHORT.spend_per_family_paid_gbp; "
        "all: total spend over all families paid). The estimate must equal it; its "
        "bootstrap interval describes a superpopulation this value is not"
    ),
    "swemwbs_mean_change": (
        "Mean change of the parent/carer's SWEMWBS metric score (the Rasch metric of the "
        "complete 7-item questionnaire) from baseline to the six-month follow-up, among "
        "the enrolled parent/carers who complete both (the population of the "
        "complete-case analysis; attrition depends on baseline wellbeing). The latent "
        "true gain is 2.0 metric points for everyone; on the observed metric scale (item "
        "noise, rounding and the conversion table) it is a little smaller. From a large "
        "simulation; for a single-site sample (with several sites the wellbeing site "
        "effects shift the baselines and so, slightly, the metric-scale change)"
    ),
    "swemwbs_d_z": (
        "Cohen's d_z of the same metric scores: mean change over the SD of change among "
        "parent/carers who complete both questionnaires. From the same simulation; for a "
        "single-site sample"
    ),
    "swemwbs_reliable_improvement": (
        "Share of the same completers whose metric change exceeds 1.96 x S_diff, with "
        "S_diff = SD x sqrt(2) x sqrt(1 - 0.89) and SD the population SD of the "
        "completers' baseline metric scores (the estimator uses the SD of its own pairs' "
        "baselines). From the same simulation; for a single-site sample"
    ),
    "domain_distance_travelled": (
        "Mean, over enrolled families with a baseline and a later support-domain "
        "assessment, of the family's average change across the seven domains (1 to 5) from "
        "baseline to its latest follow-up (the exit assessment if any, else the review); "
        "the domain groups: the mean change on that domain. In the sample's mix of latest "
        "follow-ups (review only, exit after a review, exit without one), which its dates, "
        "exits and data cut make; from a large simulation"
    ),
}

#: The simulation behind :data:`SIMULATED`: ``simulate_effects(**SIMULATION)``.
SIMULATION: dict[str, int] = {"n_families": 10_000_000, "seed": 20210201}

#: Values of :func:`simulate_effects` with :data:`SIMULATION`: indicator -> group ->
#: (value, Monte Carlo standard error). Besides the headline indicators:
#: ``rereferral_rate_every_referral`` (the same share over every true referral, lost
#: history included, no referral left out), ``rereferral_rate_sensitivity`` (referrals
#: with incomplete history counted as not re-referred), ``swemwbs_baseline_sd`` (SD of
#: the completers' baseline metric scores), ``domain_distance_by_domain`` (the
#: ``domain:NAME`` groups of ``domain_distance_travelled``), ``domain_followup_share`` and
#: ``domain_distance_by_followup`` (the mix of latest follow-ups and the distance
#: travelled by each). Regenerate with ``simulate_effects(**SIMULATION)`` (about five
#: minutes; values rounded to 6 decimals, standard errors to 2 significant digits).
SIMULATED: dict[str, dict[str, tuple[float, float]]] = {
    "rereferral_rate": {
        "comparison": (0.298499, 0.00026),
        "noream": (0.131162, 0.00017),
        "not_enrolled": (0.220288, 0.0002),
    },
    "rereferral_rate_every_referral": {
        "comparison": (0.274138, 0.00022),
        "noream": (0.131162, 0.00017),
        "not_enrolled": (0.220288, 0.0002),
    },
    "rereferral_rate_sensitivity": {
        "comparison": (0.271175, 0.00023),
        "noream": (0.131162, 0.00017),
        "not_enrolled": (0.220288, 0.0002),
    },
    "rereferral_within_12m": {
        "comparison": (0.280030, 0.0002),
        "noream": (0.196017, 0.00038),
        "not_enrolled": (0.279869, 0.00045),
    },
    "s17_escalation_12m": {
        "comparison": (0.299855, 0.00024),
        "noream": (0.192695, 0.00025),
        "not_enrolled": (0.267609, 0.00023),
    },
    "rereferral_rate_ratio": {
        "all": (0.439407, 0.00064),
    },
    "s17_escalation_hazard_ratio": {
        "all": (0.600485, 0.0011),
    },
    "swemwbs_mean_change": {
        "all": (1.971073, 0.0031),
    },
    "swemwbs_d_z": {
        "all": (0.661950, 0.00099),
    },
    "swemwbs_reliable_improvement": {
        "all": (0.293485, 0.00052),
    },
    "swemwbs_baseline_sd": {
        "all": (3.832850, 0.0019),
    },
    "domain_distance_travelled": {
        "all": (0.469790, 0.00027),
    },
    "domain_distance_by_domain": {
        "immigration": (0.503555, 0.0006),
        "health_wellbeing": (0.442257, 0.00057),
        "housing": (0.482489, 0.00041),
        "food_security": (0.470582, 0.00065),
        "income_employment": (0.497367, 0.00058),
        "education_training_leisure": (0.434165, 0.00059),
        "support_network": (0.458116, 0.00051),
    },
    "domain_followup_share": {
        "review_only": (0.366741, 0.00043),
        "exit_after_review": (0.149219, 0.0003),
        "exit_without_review": (0.484039, 0.00045),
    },
    "domain_distance_by_followup": {
        "review_only": (0.539662, 0.00045),
        "exit_after_review": (0.808154, 0.00062),
        "exit_without_review": (0.312540, 0.00023),
    },
}

_CUT = day_of(PARAMETERS["dates"]["data_cut"])
_ATTACK = day_of(PARAMETERS["history"]["cyberattack"])
_START = day_of(PARAMETERS["dates"]["data_start"])
_WINDOW = 365
_HORIZON = 365  # days: twelve months
_FOLLOWUP_KINDS = ("review_only", "exit_after_review", "exit_without_review")
_MIN_CHUNKS = 10
_MIN_CHUNK_FAMILIES = 1_000


# --------------------------------------------------------------------- closed forms


def moved_away_share() -> float:
    """P(moved away | not enrolled): the share of families not enrolled who moved away.

    Each family of the NOREAM cohort leaves the funnel at a stage with the probability
    implied by the conditional probabilities of ``PARAMETERS["funnel"]``, and gives a
    reason for not enrolling drawn from that stage's ``not_enrolled_reasons``.

    Examples
    --------
    >>> round(moved_away_share(), 4)
    0.1082
    """
    f = PARAMETERS["funnel"]
    reach = 1.0
    leave = []
    for p_next in (
        f["assessed"],
        f["eligible_given_assessed"],
        f["offered_given_eligible"],
        f["enrolled_given_offered"],
    ):
        leave.append(reach * (1 - p_next))
        reach *= p_next
    moved = sum(
        p * f["not_enrolled_reasons"][stage].get("moved_away", 0.0)
        for stage, p in zip(FUNNEL_STAGES, leave, strict=True)
    )
    return moved / sum(leave)


def _escalation_12m(hazard: np.ndarray | float) -> np.ndarray:
    """12-month escalation risk at a hazard multiplier (Weibull PH: S(t|h) = S0(t)^h)."""
    risk0 = PARAMETERS["escalation"]["risk_12m_comparison"]
    return 1.0 - (1.0 - risk0) ** np.asarray(hazard, dtype=float)


def closed_form_effects(
    *,
    site_effect: np.ndarray | None = None,
    family_site: Mapping[str, np.ndarray] | None = None,
) -> dict[str, dict[str, float]]:
    """True values computed from the parameters: indicator -> group -> value.

    Parameters
    ----------
    site_effect
        Each site's log-hazard effect of escalation (site 0: 0); None for one site.
    family_site
        Per cohort, the site index of each of its families; with ``site_effect``, the
        escalation shares are the mean over the cohort's families of the closed form at
        their site.

    Returns
    -------
    dict
        ``rereferral_within_12m`` and ``s17_escalation_12m`` by cohort,
        ``s17_escalation_hazard_ratio`` for ``all``.

    Examples
    --------
    >>> v = closed_form_effects()
    >>> round(v["s17_escalation_12m"]["noream"], 5), v["rereferral_within_12m"]["noream"]
    (0.19266, 0.196)
    """
    rr = PARAMETERS["rereferral"]
    hr = PARAMETERS["escalation"]["hazard_ratio"]
    within = {
        "comparison": rr["within_365_comparison"],
        "noream": rr["within_365_noream"],
        "not_enrolled": rr["within_365_comparison"],
    }
    hazard = {"comparison": 1.0, "noream": hr, "not_enrolled": 1.0}
    stays = {"comparison": 1.0, "noream": 1.0, "not_enrolled": 1.0 - moved_away_share()}
    esc = {}
    for c in COHORTS:
        if site_effect is None or family_site is None or not len(family_site[c]):
            risk = float(_escalation_12m(hazard[c]))
        else:
            u = np.asarray(site_effect, dtype=float)[np.asarray(family_site[c])]
            risk = float(np.mean(_escalation_12m(hazard[c] * np.exp(u))))
        esc[c] = stays[c] * risk
    return {
        "rereferral_within_12m": within,
        "s17_escalation_12m": esc,
        "s17_escalation_hazard_ratio": {"all": float(hr)},
    }


# ----------------------------------------------------------- the clean world's measures


def classify_referrals(fam: dict[str, np.ndarray], refs: dict[str, Any]) -> dict[str, np.ndarray]:
    """Every true referral of a simulated world as the DfE rate's primary rule sees it.

    Parameters
    ----------
    fam, refs
        The families and referrals of :func:`~noream_eval.sample.generate.simulate_world`.

    Returns
    -------
    dict
        Arrays in the order of ``refs["referrals"]``: ``cohort`` (index of
        :data:`~noream_eval.sample.world.COHORTS`), ``exported`` (not lost in the
        cyberattack), ``rereferral`` (the generator's mark: it follows the family's
        previous referral within 365 days), ``found`` (exported, and its previous
        referral too: the export proves the re-referral) and ``classified`` (exported,
        and found or its 365-day look-back lies within the family's recorded history).

    Notes
    -----
    A family's history is recorded from ``data_start``, or from the cyberattack when it
    lost its earlier records. A re-referral whose previous referral was lost is never
    counted as not re-referred: its look-back reaches before the attack, so it is left
    out. The data's flags (``noream_eval.metrics.rereferrals.flag_rereferrals``) give
    ``is_rereferral`` = ``found`` and ``history_incomplete`` = exported and not
    ``classified``.
    """
    ref = refs["referrals"]
    f, d = ref["fam"], ref["date"]
    order = np.lexsort((d, f))
    fs, ds = f[order], d[order]
    within, exported = ref["within"][order], ref["exported"][order]
    has_prev = np.r_[False, fs[1:] == fs[:-1]]
    prev_exported = has_prev & np.r_[False, exported[:-1]]
    known = np.where(refs["history_lost"][fs], _ATTACK, _START)
    found = exported & within & prev_exported
    classified = exported & (found | (ds - _WINDOW >= known))
    out = {}
    for name, values in (
        ("rereferral", within),
        ("exported", exported),
        ("found", found),
        ("classified", classified),
    ):
        back = np.empty_like(values)
        back[order] = values
        out[name] = back
    out["cohort"] = cohort_codes(fam)[f]
    return out


def _chunk_stats(world: dict[str, Any]) -> dict[str, np.ndarray]:
    """The sufficient statistics of one simulated world (see :func:`_values`)."""
    fam, refs, wb, dom = world["fam"], world["refs"], world["wb"], world["dom"]
    codes = cohort_codes(fam)
    k = len(COHORTS)

    r = classify_referrals(fam, refs)
    referrals = np.zeros((k, 6), dtype=np.int64)
    for c in range(k):
        m = r["cohort"] == c
        referrals[c] = [
            (m & r["classified"] & r["found"]).sum(),
            (m & r["classified"]).sum(),
            (m & r["rereferral"]).sum(),
            m.sum(),
            (m & r["found"]).sum(),
            (m & r["exported"]).sum(),
        ]

    ref = refs["referrals"]
    second_within = np.zeros(int(fam["n"]), dtype=bool)
    second_within[ref["fam"][(ref["gen"] == 1) & ref["within"]]] = True
    followed = fam["first_contact"] <= _CUT - _HORIZON
    escalated = fam["t_escalation"] <= _HORIZON
    families = np.zeros((k, 4), dtype=np.int64)
    for c in range(k):
        m = codes == c
        families[c] = [
            (m & followed & second_within).sum(),
            (m & followed).sum(),
            (m & escalated).sum(),
            m.sum(),
        ]

    base, fu = wb["fam_base"], wb["fam_fu"]
    pair = np.isfinite(base) & np.isfinite(fu)
    wellbeing = np.column_stack([base[pair], fu[pair] - base[pair]])

    rows = dom["rows"]
    n_dom = len(LEVELS["domain"])
    scores = np.full((3, int(fam["n"]), n_dom), np.nan)
    for tp in range(3):
        m = rows["timepoint"] == tp
        scores[tp, rows["fam"][m]] = rows["scores"][m]
    has = ~np.isnan(scores[:, :, 0])
    latest = np.where(has[2][:, None], scores[2], scores[1])
    use = has[0] & (has[1] | has[2])
    change = (latest - scores[0])[use]
    kind = np.select([~has[2], has[1]], [0, 1], 2)[use]
    domains = np.zeros((len(_FOLLOWUP_KINDS), 2 + 2 * n_dom))
    for i in range(len(_FOLLOWUP_KINDS)):
        m = kind == i
        domains[i, 0] = change[m].mean(axis=1).sum()
        domains[i, 1] = m.sum()
        domains[i, 2 : 2 + n_dom] = change[m].sum(axis=0)
        domains[i, 2 + n_dom :] = m.sum()
    return {
        "referrals": referrals,
        "families": families,
        "wellbeing": wellbeing,
        "domains": domains,
    }


def _values(parts: Sequence[dict[str, np.ndarray]]) -> dict[tuple[str, str], float]:
    """Every simulated value of pooled chunks: (indicator, group) -> value."""
    refs = sum(p["referrals"] for p in parts)
    fams = sum(p["families"] for p in parts)
    wb = np.concatenate([p["wellbeing"] for p in parts])
    dom = sum(p["domains"] for p in parts)
    out: dict[tuple[str, str], float] = {}
    for c, name in enumerate(COHORTS):
        k, n, k_all, n_all, k_sens, n_sens = refs[c]
        out["rereferral_rate", name] = k / n
        out["rereferral_rate_every_referral", name] = k_all / n_all
        out["rereferral_rate_sensitivity", name] = k_sens / n_sens
        within, followed, escalated, n_fam = fams[c]
        out["rereferral_within_12m", name] = within / followed
        out["s17_escalation_12m", name] = escalated / n_fam
    i_nr, i_cmp = COHORTS.index("noream"), COHORTS.index("comparison")
    out["rereferral_rate_ratio", "all"] = (refs[i_nr, 0] / refs[i_nr, 1]) / (
        refs[i_cmp, 0] / refs[i_cmp, 1]
    )
    # Weibull PH: the ratio of cumulative hazards at 12 months is the hazard ratio.
    s_nr = 1 - out["s17_escalation_12m", "noream"]
    s_cmp = 1 - out["s17_escalation_12m", "comparison"]
    out["s17_escalation_hazard_ratio", "all"] = math.log(s_nr) / math.log(s_cmp)

    base, change = wb[:, 0], wb[:, 1]
    sd_base = float(base.std(ddof=1))
    reliability = instrument(WELLBEING_INSTRUMENT).reliability
    threshold = 1.96 * sd_base * math.sqrt(2.0) * math.sqrt(1.0 - reliability)
    out["swemwbs_mean_change", "all"] = float(change.mean())
    out["swemwbs_d_z", "all"] = float(change.mean() / change.std(ddof=1))
    out["swemwbs_reliable_improvement", "all"] = float((change > threshold).mean())
    out["swemwbs_baseline_sd", "all"] = sd_base

    n_dom = len(LEVELS["domain"])
    out["domain_distance_travelled", "all"] = dom[:, 0].sum() / dom[:, 1].sum()
    for j, name in enumerate(LEVELS["domain"]):
        out["domain_distance_by_domain", name] = dom[:, 2 + j].sum() / dom[:, 2 + n_dom + j].sum()
    for i, kind in enumerate(_FOLLOWUP_KINDS):
        out["domain_followup_share", kind] = dom[i, 1] / dom[:, 1].sum()
        out["domain_distance_by_followup", kind] = dom[i, 0] / dom[i, 1]
    return out


def simulate_effects(
    n_families: int, seed: int, *, chunk_families: int = 500_000
) -> dict[str, dict[str, tuple[float, float]]]:
    """The true values of the indicators in the sample's design, by large simulation.

    Simulates the clean world of :func:`~noream_eval.sample.generate.simulate_world` (one
    site, the sample's dates) for ``n_families`` families, in independent chunks, and
    applies each indicator's definition to it directly (not through the metrics):

    - ``rereferral_rate`` by cohort: re-referrals over referrals classified by the
      primary rule (:func:`classify_referrals`); ``rereferral_rate_ratio``: noream over
      comparison;
    - ``rereferral_within_12m``: among families first contacted at least 365 days
      before the data cut, the share whose second referral follows the first within 365
      days; ``s17_escalation_12m``: the share whose (uncensored) time to escalation is at
      most 365 days; ``s17_escalation_hazard_ratio``: the ratio of their cumulative
      hazards at 365 days (these check the closed forms);
    - ``swemwbs_*``: the parent/carers' metric scores of complete baseline and
      follow-up questionnaires;
    - ``domain_distance_travelled``: each family's latest follow-up assessment (exit,
      else review) against its baseline.

    Parameters
    ----------
    n_families
        Families simulated in all (at least 10,000).
    seed
        Seed of the chunks' seeds (``numpy.random.SeedSequence``).
    chunk_families
        Largest chunk; there are at least 10 chunks.

    Returns
    -------
    dict
        indicator -> group -> (value, Monte Carlo standard error). The value pools
        every chunk (ratios of summed counts); the standard error is the delete-one
        jackknife over the chunks. The names besides the headline indicators are those
        of :data:`SIMULATED`.

    Raises
    ------
    StatsInputError
        When ``n_families`` is below 10,000 or ``chunk_families`` below 1,000.
    """
    from noream_eval.sample.generate import simulate_world

    if n_families < _MIN_CHUNKS * _MIN_CHUNK_FAMILIES:
        raise StatsInputError(
            f"n_families = {n_families}; simulate at least "
            f"{_MIN_CHUNKS * _MIN_CHUNK_FAMILIES:,} families."
        )
    if chunk_families < _MIN_CHUNK_FAMILIES:
        raise StatsInputError(
            f"chunk_families = {chunk_families}; give at least {_MIN_CHUNK_FAMILIES:,}."
        )
    k = max(_MIN_CHUNKS, -(-n_families // chunk_families))
    sizes = np.full(k, n_families // k)
    sizes[: n_families % k] += 1
    seeds = np.random.SeedSequence(seed).generate_state(k)
    parts = [
        _chunk_stats(simulate_world(int(s), int(n))) for s, n in zip(seeds, sizes, strict=True)
    ]
    full = _values(parts)
    jack = [_values(parts[:i] + parts[i + 1 :]) for i in range(k)]
    out: dict[str, dict[str, tuple[float, float]]] = {}
    for key, value in full.items():
        loo = np.array([j[key] for j in jack])
        se = math.sqrt((k - 1) / k * float(((loo - loo.mean()) ** 2).sum()))
        out.setdefault(key[0], {})[key[1]] = (float(value), se)
    return out


# ------------------------------------------------------------------ truth.json effects


def _simulated(name: str) -> dict[str, float]:
    return {g: v for g, (v, _) in SIMULATED[name].items()}


def true_effects(
    *,
    fam: dict[str, np.ndarray],
    realised_s17: Mapping[str, Any],
    n_sites: int,
) -> dict[str, dict[str, Any]]:
    """The ``effects`` of ``truth.json``: each headline indicator's estimand and true value.

    Parameters
    ----------
    fam
        The sample's families (clean world): cohorts and sites, and the sites' effects.
    realised_s17
        ``realised["s17"]`` of ``truth.json`` (spend and families paid by cohort).
    n_sites
        Sites of the sample.

    Returns
    -------
    dict
        indicator -> ``estimand`` (words), ``group``, ``value`` (the true value for that
        group), ``values`` (group -> true value, where the indicator has several groups
        of interest) and ``source`` (closed form, simulation or realised).
    """
    codes = cohort_codes(fam)
    family_site = {c: fam["site"][codes == i] for i, c in enumerate(COHORTS)}
    closed = closed_form_effects(
        site_effect=fam.get("site_effect") if n_sites > 1 else None,
        family_site=family_site,
    )
    sim = (
        f"simulation: simulate_effects(n_families={SIMULATION['n_families']:,}, "
        f"seed={SIMULATION['seed']}), one site"
    )
    values: dict[str, tuple[dict[str, float], str]] = {
        "rereferral_rate": (
            {c: _simulated("rereferral_rate")[c] for c in COHORTS},
            sim,
        ),
        "rereferral_rate_ratio": (_simulated("rereferral_rate_ratio"), sim),
        "rereferral_within_12m": (closed["rereferral_within_12m"], "closed form"),
        "s17_escalation_12m": (
            closed["s17_escalation_12m"],
            "closed form" + (" at the sample's site effects" if n_sites > 1 else ""),
        ),
        "s17_escalation_hazard_ratio": (closed["s17_escalation_hazard_ratio"], "closed form"),
        "swemwbs_mean_change": (_simulated("swemwbs_mean_change"), sim),
        "swemwbs_d_z": (_simulated("swemwbs_d_z"), sim),
        "swemwbs_reliable_improvement": (_simulated("swemwbs_reliable_improvement"), sim),
        "domain_distance_travelled": (
            _simulated("domain_distance_travelled")
            | {f"domain:{d}": v for d, v in _simulated("domain_distance_by_domain").items()},
            sim,
        ),
    }
    cost: dict[str, float] = {}
    spend = paid = 0.0
    for c in COHORTS:
        part = realised_s17.get(c, {})
        if part.get("families_paid"):
            cost[c] = part["spend_per_family_paid_gbp"]
            spend += part["spend_gbp"]
            paid += part["families_paid"]
    if paid:
        cost["all"] = spend / paid
    values["s17_cost_per_family"] = (cost, "realised: the sample's clean payments")
    out: dict[str, dict[str, Any]] = {}
    for name in HEADLINE_INDICATORS:
        by_group, source = values[name]
        group = HEADLINE_GROUP[name]
        entry: dict[str, Any] = {
            "estimand": ESTIMANDS[name],
            "group": group,
            "value": by_group.get(group),
            "source": source,
        }
        if len(by_group) > 1:
            entry["values"] = dict(by_group)
        if source == sim:
            entry["mc_se"] = SIMULATED[name][group][1]
        out[name] = entry
    return out
