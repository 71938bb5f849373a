"""Sample size and minimum detectable effect for a two-arm trial.

For the "readiness for trial" criteria: how many people (and clusters) a future
trial needs, individually or cluster randomised, and the smallest effect a
given size can detect. Continuous outcomes use the two-sample t-test (statsmodels
``TTestIndPower``); binary outcomes the normal approximation with pooled
variance under the null hypothesis, written here (statsmodels has only the
arcsine form). Clustering enters through the design effect 1 + (m - 1) ICC.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

from noream_eval.errors import StatsInputError
from noream_eval.stats._base import Estimates, tidy

__all__ = ["minimum_detectable_effect", "trial_sample_size"]

Outcome = Literal["continuous", "binary"]
Sides = Literal[1, 2]

#: Values within this distance of a whole number are that number before rounding up,
#: so that e.g. 100 x 1.1 = 110.00000000000001 needs 110 people, not 111.
_INTEGER_TOLERANCE = 1e-9


def _ceil(x: float) -> int:
    return math.ceil(x - _INTEGER_TOLERANCE * max(1.0, abs(x)))


# --------------------------------------------------------------------------- checks


def _number(x: Any, name: str) -> float:
    if isinstance(x, bool | np.bool_):
        raise StatsInputError(f"{name} must be a number, got the boolean {x!r}.")
    try:
        value = float(x)
    except (TypeError, ValueError):
        raise StatsInputError(f"{name} must be a single number, got {x!r}.") from None
    if not math.isfinite(value):
        raise StatsInputError(f"{name} must be a finite number, got {x!r}.")
    return value


def _open_unit(x: Any, name: str, example: str) -> float:
    value = _number(x, name)
    if not 0.0 < value < 1.0:
        raise StatsInputError(f"{name} must be strictly between 0 and 1 ({example}), got {x!r}.")
    return value


def _half_open_unit(x: Any, name: str, example: str) -> float:
    value = _number(x, name)
    if not 0.0 <= value < 1.0:
        raise StatsInputError(f"{name} must be at least 0 and below 1 ({example}), got {x!r}.")
    return value


def _common(
    outcome: Any, alpha: Any, power: Any, icc: Any, cluster_size: Any, attrition: Any, sides: Any
) -> tuple[float, float, float, float, float, int]:
    if outcome not in ("continuous", "binary"):
        raise StatsInputError(f"outcome={outcome!r} is not one of 'continuous', 'binary'.")
    if sides not in (1, 2) or isinstance(sides, bool):
        raise StatsInputError(f"sides must be 1 or 2, got {sides!r}.")
    a = _open_unit(alpha, "alpha", "e.g. 0.05")
    pw = _open_unit(power, "power", "e.g. 0.8")
    rho = _half_open_unit(icc, "icc", "e.g. 0.05; 0 for no clustering")
    m = _number(cluster_size, "cluster_size")
    if m < 1:
        raise StatsInputError(
            f"cluster_size must be at least 1 (1 = individually randomised), got {cluster_size!r}."
        )
    drop = _half_open_unit(attrition, "attrition", "a share such as 0.2 for 20% lost")
    return a, pw, rho, m, drop, int(sides)


def _z(alpha: float, power: float, sides: int) -> tuple[float, float]:
    from scipy.stats import norm

    return float(norm.ppf(1.0 - alpha / sides)), float(norm.ppf(power))


def _alternative(sides: int) -> str:
    return "two-sided" if sides == 2 else "larger"


def _t_power(d: float, n: float, alpha: float, sides: int) -> float:
    """Power of the two-sample t-test with n per arm (statsmodels TTestIndPower)."""
    from statsmodels.stats.power import TTestIndPower

    value = float(
        TTestIndPower().power(
            effect_size=d, nobs1=n, alpha=alpha, ratio=1.0, alternative=_alternative(sides)
        )
    )
    if math.isnan(value) and sides == 2:
        # The far (wrong-sign) tail can be NaN when power is near 1; it is negligible
        # there, so the upper tail at alpha/2 is the power.
        value = float(
            TTestIndPower().power(
                effect_size=d, nobs1=n, alpha=alpha / 2, ratio=1.0, alternative="larger"
            )
        )
    return value


def _bracket_root(func: Any, low: float, high: float) -> float:
    """Root of an increasing ``func`` above ``low``, doubling ``high`` until bracketed."""
    from scipy.optimize import brentq

    if func(low) >= 0:
        return low
    while func(high) < 0:
        low, high = high, high * 2.0
        if high > 1e15:
            raise StatsInputError("no solution: the requested effect is too small to detect.")
    return float(brentq(func, low, high, xtol=1e-12, rtol=1e-14, maxiter=500))


def _t_n(d: float, alpha: float, power: float, sides: int) -> float:
    """Unrounded n per arm at which the t-test reaches ``power``; 2 if 2 already do."""
    z_a, z_b = _z(alpha, power, sides)
    normal = 2.0 * (z_a + z_b) ** 2 / d**2  # starting bracket: the normal approximation
    return _bracket_root(
        lambda n: _t_power(d, n, alpha, sides) - power, 2.0, max(4.0, 1.5 * normal + 4.0)
    )


def _t_effect(n: float, alpha: float, power: float, sides: int) -> float:
    """Standardised difference the t-test with n per arm detects with ``power``."""
    z_a, z_b = _z(alpha, power, sides)
    normal = (z_a + z_b) * math.sqrt(2.0 / n)
    return _bracket_root(lambda d: _t_power(d, n, alpha, sides) - power, 1e-12, 1.5 * normal)


def _binary_n(p0: float, p1: float, z_a: float, z_b: float) -> float:
    """Unrounded n per arm, normal approximation with pooled variance under H0."""
    pbar = (p0 + p1) / 2.0
    root = z_a * math.sqrt(2.0 * pbar * (1.0 - pbar)) + z_b * math.sqrt(
        p0 * (1.0 - p0) + p1 * (1.0 - p1)
    )
    return root**2 / (p1 - p0) ** 2


def _sides_text(sides: int) -> str:
    return "two-sided" if sides == 2 else "one-sided"


# --------------------------------------------------------------------------- sample size


def trial_sample_size(
    *,
    outcome: Outcome = "continuous",
    effect_size: float | None = None,
    sd: float | None = None,
    p0: float | None = None,
    p1: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    icc: float = 0.0,
    cluster_size: float = 1,
    attrition: float = 0.0,
    sides: Sides = 2,
) -> Estimates:
    """Number of people (and clusters) a two-arm trial with 1:1 allocation needs.

    Parameters
    ----------
    outcome : {"continuous", "binary"}
        Type of primary outcome.
    effect_size : float
        Continuous outcome: the difference in means to detect, in the outcome's
        units when ``sd`` is given, otherwise a standardised difference
        (Cohen's d). Its sign does not matter.
    sd : float, optional
        Continuous outcome: the common standard deviation (e.g. from the
        pilot). Without it ``effect_size`` is taken as standardised.
    p0, p1 : float
        Binary outcome: the proportions expected in the control and the
        intervention arm, each strictly between 0 and 1, and different.
    alpha : float
        Type I error rate (default 0.05), split over both tails when
        ``sides=2``.
    power : float
        Power, 1 - type II error rate (default 0.8).
    icc : float
        Intracluster correlation coefficient, 0 <= ICC < 1 (default 0).
    cluster_size : float
        Average number of people recruited per cluster (local authority,
        team); 1 (default) means individual randomisation.
    attrition : float
        Share of recruited people expected to be lost before the outcome is
        measured, 0 <= attrition < 1 (default 0).
    sides : {1, 2}
        Two-sided (default) or one-sided test.

    Returns
    -------
    Estimates
        ``.to_frame()`` has one row per quantity, its value in ``estimate``:

        - ``n_per_arm_individual``: people per arm if individually randomised
          with no attrition (rounded up, at least 2: a t-test needs two per arm);
        - ``design_effect``: 1 + (m - 1) ICC;
        - ``n_per_arm_analysed``: people per arm with outcome data needed
          after the design effect (rounded up);
        - ``n_per_arm``: people to recruit per arm after attrition (rounded up);
        - ``n_total``: 2 x ``n_per_arm``;
        - ``clusters_per_arm``: ``n_per_arm`` / m rounded up; NaN when
          individually randomised (``cluster_size=1``);
        - ``clusters_total``: 2 x ``clusters_per_arm`` (NaN likewise).

        Columns: ``term``, ``estimate``, ``ci_low``/``ci_high``/``p_value``
        (NaN: a design has no interval), ``n`` (<NA>: a design, not data),
        ``method``, and ``unrounded`` (the value before that row's rounding up),
        followed by the inputs: ``outcome``, ``effect_size`` (the raw
        difference; p1 - p0 for a binary outcome), ``sd``,
        ``standardised_effect`` (Cohen's d; Cohen's h = 2 asin sqrt(p1) -
        2 asin sqrt(p0) for a binary outcome, for reference only), ``p0``,
        ``p1``, ``alpha``, ``power``, ``sides``, ``icc``, ``cluster_size``,
        ``attrition``.

    Raises
    ------
    StatsInputError
        For an impossible or missing input: alpha or power outside (0, 1),
        ICC or attrition outside [0, 1), cluster size below 1, a zero effect,
        a non-positive SD, p0 or p1 outside (0, 1), p0 == p1, or inputs of
        the other outcome type.

    Notes
    -----
    Continuous outcome: with :math:`d = \\Delta/\\sigma`, the n per arm at
    which the two-sample t-test (equal variances, df = 2n - 2, both tails
    counted when two-sided) has the requested power: statsmodels
    ``TTestIndPower.power`` solved by Brent's method to 1e-12; close to the
    normal approximation :math:`2(z_{1-\\alpha/2} + z_{1-\\beta})^2/d^2` plus
    about one.

    Binary outcome (the formula of Fleiss 1981, Machin et al. 2018 and R's
    ``power.prop.test``, without continuity correction):

    .. math::

        n = \\frac{\\big[z_{1-\\alpha/2}\\sqrt{2\\bar p(1-\\bar p)} +
        z_{1-\\beta}\\sqrt{p_0(1-p_0) + p_1(1-p_1)}\\big]^2}{(p_1 - p_0)^2},
        \\quad \\bar p = (p_0 + p_1)/2,

    with :math:`z_{1-\\alpha}` for a one-sided test.

    Rounding up happens at each stage, as trial statisticians report it:
    :math:`n_I = \\lceil n \\rceil`; analysed
    :math:`\\lceil n_I \\cdot (1 + (m-1)\\rho) \\rceil`; recruited
    :math:`\\lceil \\text{analysed}/(1 - \\text{attrition}) \\rceil`; clusters
    :math:`\\lceil \\text{recruited}/m \\rceil` (recruiting that many clusters of
    m gives at least ``n_per_arm``). The design effect assumes equal cluster
    sizes; with few clusters the t-test degrees of freedom here (from people,
    not clusters) are optimistic, and a common remedy is to add a cluster per
    arm (Hayes & Bennett 1999).

    Missing data: there are no data; every input is a single number and a
    missing one raises :class:`StatsInputError`.

    References
    ----------
    Cohen J (1988). Statistical Power Analysis for the Behavioral Sciences,
    2nd ed. Erlbaum. (Table 2.4.1: d = 0.5, two-sided alpha 0.05, power 0.8
    needs 64 per group.)
    Fleiss JL (1981). Statistical Methods for Rates and Proportions, 2nd ed.
    Wiley.
    Machin D, Campbell MJ, Tan SB, Tan SH (2018). Sample Sizes for Clinical,
    Laboratory and Epidemiology Studies, 4th ed. Wiley.
    Donner A, Birkett N, Buck C (1981). Randomization by cluster: sample size
    requirements and analysis. Am J Epidemiol 114:906-914.
    Kerry SM, Bland JM (1998). The intracluster correlation coefficient in
    cluster randomisation. BMJ 316:1455.
    Hayes RJ, Bennett S (1999). Simple sample size calculation for
    cluster-randomized trials. Int J Epidemiol 28:319-326.

    Examples
    --------
    >>> from noream_eval.stats.power import trial_sample_size
    >>> res = trial_sample_size(effect_size=0.5)
    >>> res.to_frame().set_index("term").loc[["n_per_arm", "n_total"], "estimate"].tolist()
    [64.0, 128.0]
    >>> res = trial_sample_size(outcome="binary", p0=0.5, p1=0.75, power=0.9,
    ...                         icc=0.05, cluster_size=20, attrition=0.1)
    >>> res.to_frame()[["term", "estimate"]]  # doctest: +NORMALIZE_WHITESPACE
                       term  estimate
    0  n_per_arm_individual     77.00
    1         design_effect      1.95
    2    n_per_arm_analysed    151.00
    3             n_per_arm    168.00
    4               n_total    336.00
    5      clusters_per_arm      9.00
    6        clusters_total     18.00
    """
    a, pw, rho, m, drop, s = _common(outcome, alpha, power, icc, cluster_size, attrition, sides)
    z_a, z_b = _z(a, pw, s)
    notes: list[str] = []
    if outcome == "continuous":
        if p0 is not None or p1 is not None:
            raise StatsInputError(
                "p0 and p1 are for outcome='binary'; for a continuous outcome give "
                "effect_size (and sd)."
            )
        if effect_size is None:
            raise StatsInputError(
                "effect_size is required for a continuous outcome: the difference in means "
                "to detect (with sd), or a standardised difference such as 0.5."
            )
        delta = _number(effect_size, "effect_size")
        sigma = math.nan
        if sd is not None:
            sigma = _number(sd, "sd")
            if sigma <= 0:
                raise StatsInputError(f"sd must be positive, got {sd!r}.")
        if delta == 0:
            raise StatsInputError(
                "effect_size is 0: no sample size can detect a zero difference; give the "
                "smallest difference that would matter."
            )
        d = abs(delta / sigma) if sd is not None else abs(delta)
        raw = _t_n(d, a, pw, s)
        method = (
            f"two-sample t-test (statsmodels TTestIndPower), {_sides_text(s)} "
            f"alpha = {a:g}, power = {pw:g}"
        )
        standardised = d
        inputs: dict[str, Any] = {
            "effect_size": abs(delta),
            "sd": sigma,
            "standardised_effect": standardised,
            "p0": math.nan,
            "p1": math.nan,
        }
    else:
        if effect_size is not None or sd is not None:
            raise StatsInputError(
                "effect_size and sd are for outcome='continuous'; for a binary outcome give "
                "p0 (control) and p1 (intervention)."
            )
        if p0 is None or p1 is None:
            raise StatsInputError(
                "p0 and p1 are required for a binary outcome: the proportions expected in "
                "the control and intervention arms, e.g. p0=0.22, p1=0.15."
            )
        q0 = _open_unit(p0, "p0", "a proportion such as 0.22")
        q1 = _open_unit(p1, "p1", "a proportion such as 0.15")
        if q0 == q1:
            raise StatsInputError(
                f"p0 and p1 are both {q0:g}: no sample size can detect no difference."
            )
        raw = _binary_n(q0, q1, z_a, z_b)
        method = (
            "normal approximation, pooled variance under H0 (Fleiss; R power.prop.test), "
            f"{_sides_text(s)} alpha = {a:g}, power = {pw:g}"
        )
        standardised = abs(2 * math.asin(math.sqrt(q1)) - 2 * math.asin(math.sqrt(q0)))
        inputs = {
            "effect_size": q1 - q0,
            "sd": math.nan,
            "standardised_effect": standardised,
            "p0": q0,
            "p1": q1,
        }

    n_ind = max(2, _ceil(raw))
    if raw <= 2:
        notes.append("2 per arm already reach the power: 2 is the minimum used.")
    deff = 1.0 + (m - 1.0) * rho
    analysed_raw = n_ind * deff
    analysed = _ceil(analysed_raw)
    recruit_raw = analysed / (1.0 - drop)
    recruit = _ceil(recruit_raw)
    clustered = m > 1
    clusters_raw = recruit / m if clustered else math.nan
    clusters = float(_ceil(clusters_raw)) if clustered else math.nan

    notes.append(
        f"{n_ind} per arm if individually randomised (unrounded {raw:.4g}); "
        f"x design effect {deff:.4g} = {analysed} analysed per arm; "
        f"/ (1 - {drop:g}) attrition = {recruit} to recruit per arm, {2 * recruit} in total."
    )
    if clustered:
        notes.append(
            f"{clusters:.0f} clusters of {m:g} per arm ({2 * clusters:.0f} in total). The "
            "design effect assumes equal cluster sizes; with few clusters consider adding "
            "one per arm (Hayes & Bennett 1999)."
        )
    else:
        notes.append("Individually randomised (cluster_size = 1): no clusters.")
        if rho > 0:
            notes.append("icc has no effect when cluster_size = 1.")

    common = {
        "n": None,
        "method": method,
        "outcome": outcome,
        **inputs,
        "alpha": a,
        "power": pw,
        "sides": s,
        "icc": rho,
        "cluster_size": m,
        "attrition": drop,
    }
    values = [
        ("n_per_arm_individual", float(n_ind), raw),
        ("design_effect", deff, deff),
        ("n_per_arm_analysed", float(analysed), analysed_raw),
        ("n_per_arm", float(recruit), recruit_raw),
        ("n_total", float(2 * recruit), 2 * recruit_raw),
        ("clusters_per_arm", clusters, clusters_raw),
        ("clusters_total", 2 * clusters, 2 * clusters_raw),
    ]
    rows = [
        {"term": term, "estimate": value, "unrounded": exact, **common}
        for term, value, exact in values
    ]
    return Estimates(
        table=tidy(rows, extra=("unrounded",)),
        title=f"Sample size for a two-arm trial ({outcome} outcome)",
        details=tuple(notes),
    )


# --------------------------------------------------------------------------- detectable effect


def _solve_p1(p0: float, n_eff: float, z_a: float, z_b: float, above: bool) -> float:
    """p1 on one side of p0 at which the binary formula needs exactly n_eff per arm."""
    from scipy.optimize import brentq

    eps = 1e-9
    lo, hi = (p0 + eps, 1.0 - eps) if above else (eps, p0 - eps)
    if hi <= lo:
        return math.nan

    def excess(p1: float) -> float:
        return _binary_n(p0, p1, z_a, z_b) - n_eff

    near, far = (lo, hi) if above else (hi, lo)
    if excess(far) > 0:  # even the most extreme p1 needs more than n_eff
        return math.nan
    return float(brentq(excess, min(near, far), max(near, far), xtol=1e-12))


def minimum_detectable_effect(
    *,
    outcome: Outcome = "continuous",
    n_per_arm: float | None = None,
    n_clusters_per_arm: float | None = None,
    cluster_size: float = 1,
    icc: float = 0.0,
    sd: float | None = None,
    p0: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    attrition: float = 0.0,
    sides: Sides = 2,
) -> Estimates:
    """Smallest effect a two-arm trial of a given size can detect.

    The inverse of :func:`trial_sample_size`: the same formulas, solved for the
    effect instead of n.

    Parameters
    ----------
    outcome : {"continuous", "binary"}
        Type of primary outcome.
    n_per_arm : int, optional
        People recruited per arm. Give this or ``n_clusters_per_arm``.
    n_clusters_per_arm : int, optional
        Clusters (e.g. local authorities) per arm; people per arm is then
        ``n_clusters_per_arm * cluster_size``.
    cluster_size : float
        Average number of people recruited per cluster; 1 (default) means
        individual randomisation.
    icc : float
        Intracluster correlation coefficient, 0 <= ICC < 1 (default 0).
    sd : float, optional
        Continuous outcome: standard deviation, to express the effect in the
        outcome's units as well.
    p0 : float
        Binary outcome: proportion expected in the control arm, in (0, 1).
    alpha, power : float
        Type I error rate (default 0.05) and power (default 0.8).
    attrition : float
        Share of recruited people expected to be lost, 0 <= attrition < 1.
    sides : {1, 2}
        Two-sided (default) or one-sided test.

    Returns
    -------
    Estimates
        ``.to_frame()`` rows (value in ``estimate``):

        - continuous: ``mde_standardised`` (Cohen's d), ``mde_raw`` (d x sd,
          only when ``sd`` is given);
        - binary: ``p1_above`` and ``p1_below`` (the intervention proportions
          above and below p0 that are just detectable; NaN when none exists on
          that side), ``difference_above`` and ``difference_below``
          (p1 - p0, positive and negative);
        - both: ``design_effect`` (1 + (m - 1) ICC) and
          ``n_per_arm_effective`` (people per arm with outcome data divided by
          the design effect).

        Columns: ``term``, ``estimate``, ``ci_low``/``ci_high``/``p_value``
        (NaN), ``n`` (<NA>), ``method``, then the inputs ``outcome``,
        ``n_per_arm`` (people recruited per arm), ``n_clusters_per_arm``,
        ``cluster_size``, ``icc``, ``sd``, ``p0``, ``alpha``, ``power``,
        ``sides``, ``attrition``.

    Raises
    ------
    StatsInputError
        If neither or both of ``n_per_arm`` and ``n_clusters_per_arm`` are
        given, a size is not a positive whole number, the effective size per
        arm is below 2, or an input is out of range (as for
        :func:`trial_sample_size`).

    Notes
    -----
    Effective n per arm: :math:`n_e = n(1 - \\text{attrition})/(1 + (m-1)\\rho)`,
    not rounded. Continuous: the d at which the two-sample t-test with
    :math:`n_e` per arm has the requested power (statsmodels
    ``TTestIndPower.power`` solved by Brent's method). Binary: the
    :math:`p_1` at which the pooled-variance normal formula of
    :func:`trial_sample_size` gives exactly :math:`n_e`,
    solved by Brent's method on each side of :math:`p_0` (as R's
    ``power.prop.test`` does for ``p2``). So ``trial_sample_size`` at the
    detectable effect returns about the same n (up to its rounding up).

    Missing data: there are no data; a missing input raises
    :class:`StatsInputError`.

    References
    ----------
    Bloom HS (1995). Minimum detectable effects: a simple way to report the
    statistical power of experimental designs. Eval Rev 19:547-556.
    Hemming K, Girling AJ, Sitch AJ, Marsh J, Lilford RJ (2011). Sample size
    calculations for cluster randomised controlled trials with a fixed number
    of clusters. BMC Med Res Methodol 11:102.
    Fleiss JL (1981). Statistical Methods for Rates and Proportions, 2nd ed.
    Wiley.

    Examples
    --------
    >>> from noream_eval.stats.power import minimum_detectable_effect
    >>> res = minimum_detectable_effect(outcome="binary", n_per_arm=50, p0=0.5, power=0.9)
    >>> round(float(res.to_frame().set_index("term").loc["p1_above", "estimate"]), 4)
    0.8026
    >>> res = minimum_detectable_effect(n_clusters_per_arm=10, cluster_size=20, icc=0.05, sd=8)
    >>> res.to_frame()[["term", "estimate"]].round(3)
                      term  estimate
    0     mde_standardised     0.393
    1              mde_raw     3.145
    2        design_effect     1.950
    3  n_per_arm_effective   102.564
    """
    a, pw, rho, m, drop, s = _common(outcome, alpha, power, icc, cluster_size, attrition, sides)
    if (n_per_arm is None) == (n_clusters_per_arm is None):
        raise StatsInputError(
            "give exactly one of n_per_arm (people per arm) or n_clusters_per_arm "
            "(clusters per arm, with cluster_size)."
        )
    if n_per_arm is not None:
        people = _number(n_per_arm, "n_per_arm")
        if people <= 0 or people != math.floor(people):
            raise StatsInputError(f"n_per_arm must be a positive whole number, got {n_per_arm!r}.")
        k = math.nan
    else:
        k = _number(n_clusters_per_arm, "n_clusters_per_arm")
        if k <= 0 or k != math.floor(k):
            raise StatsInputError(
                f"n_clusters_per_arm must be a positive whole number, got {n_clusters_per_arm!r}."
            )
        people = k * m
    deff = 1.0 + (m - 1.0) * rho
    n_eff = people * (1.0 - drop) / deff
    if n_eff < 2:
        raise StatsInputError(
            f"only {n_eff:.3g} effective people per arm after attrition and the design "
            "effect; at least 2 are needed to estimate a detectable effect."
        )
    z_a, z_b = _z(a, pw, s)
    notes = [
        f"{people:g} recruited per arm x (1 - {drop:g}) / design effect {deff:.4g} = "
        f"{n_eff:.4g} effective per arm."
    ]
    values: list[tuple[str, float]] = []
    sigma = math.nan
    q0 = math.nan
    if outcome == "continuous":
        if p0 is not None:
            raise StatsInputError("p0 is for outcome='binary'; for a continuous outcome give sd.")
        if sd is not None:
            sigma = _number(sd, "sd")
            if sigma <= 0:
                raise StatsInputError(f"sd must be positive, got {sd!r}.")
        d = _t_effect(n_eff, a, pw, s)
        values.append(("mde_standardised", d))
        if sd is not None:
            values.append(("mde_raw", d * sigma))
        method = (
            f"two-sample t-test (statsmodels TTestIndPower), {_sides_text(s)} "
            f"alpha = {a:g}, power = {pw:g}"
        )
    else:
        if sd is not None:
            raise StatsInputError("sd is for outcome='continuous'; for a binary outcome give p0.")
        if p0 is None:
            raise StatsInputError(
                "p0 is required for a binary outcome: the proportion expected in the control arm."
            )
        q0 = _open_unit(p0, "p0", "a proportion such as 0.22")
        above = _solve_p1(q0, n_eff, z_a, z_b, above=True)
        below = _solve_p1(q0, n_eff, z_a, z_b, above=False)
        values += [
            ("p1_above", above),
            ("p1_below", below),
            ("difference_above", above - q0),
            ("difference_below", below - q0),
        ]
        for side, value in (("above", above), ("below", below)):
            if math.isnan(value):
                notes.append(
                    f"No proportion {side} p0 = {q0:g} is detectable with this size "
                    "(even the most extreme one needs more people): NaN."
                )
        method = (
            "normal approximation, pooled variance under H0 (Fleiss; R power.prop.test), "
            f"{_sides_text(s)} alpha = {a:g}, power = {pw:g}"
        )
    values += [("design_effect", deff), ("n_per_arm_effective", n_eff)]
    common = {
        "n": None,
        "method": method,
        "outcome": outcome,
        "n_per_arm": people,
        "n_clusters_per_arm": k,
        "cluster_size": m,
        "icc": rho,
        "sd": sigma,
        "p0": q0,
        "alpha": a,
        "power": pw,
        "sides": s,
        "attrition": drop,
    }
    rows = [{"term": term, "estimate": value, **common} for term, value in values]
    return Estimates(
        table=tidy(rows),
        title=f"Minimum detectable effect ({outcome} outcome)",
        details=tuple(notes),
    )
