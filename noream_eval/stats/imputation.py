"""Multiple imputation by chained equations and Rubin's rules.

:func:`multiple_imputation` fills the gaps of a DataFrame ``m`` times with
statsmodels' chained-equations engine (:class:`statsmodels.imputation.mice.MICEData`,
predictive mean matching), runs the caller's analysis on each completed data
set and pools the results with :func:`pool_rubin` (Rubin's rules, with
Barnard-Rubin degrees of freedom when the complete-data degrees of freedom are
known). statsmodels has no stand-alone Rubin's-rules function with
Barnard-Rubin degrees of freedom, so the pooling is written out here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from noream_eval.errors import StatsInputError
from noream_eval.stats._base import Estimates, tidy
from noream_eval.stats._checks import check_conf_level, check_frame, column

__all__ = ["multiple_imputation", "pool_rubin"]

_POOL_COLUMNS = (
    "se",
    "m",
    "within_var",
    "between_var",
    "total_var",
    "df",
    "riv",
    "lambda_",
    "fmi",
    "conf_level",
    "n_dropped",
)


def pool_rubin(
    estimates: Any,
    variances: Any,
    *,
    data: pd.DataFrame | None = None,
    df_complete: float | Sequence[float] | None = None,
    conf_level: float = 0.95,
    term: str | Sequence[str] | None = None,
    n: int | None = None,
) -> Estimates:
    """Pool estimates from ``m`` imputed data sets by Rubin's rules.

    Parameters
    ----------
    estimates : array_like or pandas.DataFrame
        Complete-data estimates :math:`\\hat Q_l`: shape ``(m,)`` for one
        quantity or ``(m, k)`` for ``k`` quantities (one row per imputation).
        A DataFrame's column names become the terms.
    variances : array_like or pandas.DataFrame
        Their squared standard errors :math:`U_l`, same shape.
    data : pandas.DataFrame, optional
        When given, ``estimates`` and ``variances`` are column names of
        ``data`` (one row per imputation): one name each for one quantity, or
        equal-length lists of names for several. The terms are then the
        estimate column names unless ``term`` is given.
    df_complete : float or sequence of float, optional
        Degrees of freedom of the complete-data analysis :math:`\\nu_{com}`
        (e.g. ``n - 1`` for a mean, ``n - p`` for a regression), one for all
        terms or one per term. When given, Barnard & Rubin's (1999)
        small-sample degrees of freedom are used; when omitted (or infinite),
        Rubin's (1987) large-sample degrees of freedom.
    conf_level : float, default 0.95
        Confidence level of the t interval.
    term : str or sequence of str, optional
        Names of the quantities: one per column (default ``"estimate"``). A
        single name for ``k > 1`` columns is numbered ``name_1 ... name_k``.
        Ignored when ``estimates`` is a DataFrame.
    n : int, optional
        Number of units each complete-data analysis rests on (e.g. the rows
        of the imputed data), reported in the ``n`` column.

    Returns
    -------
    Estimates
        ``.to_frame()`` has one row per term with columns:

        - ``term``: name of the quantity.
        - ``estimate``: pooled estimate :math:`\\bar Q`.
        - ``ci_low``, ``ci_high``: :math:`\\bar Q \\pm t_{\\nu, 1-\\alpha/2}\\sqrt T`.
        - ``p_value``: two-sided test of :math:`Q = 0` on :math:`\\nu` df.
        - ``n``: the ``n`` argument, the units of each complete-data analysis
          (missing when not given).
        - ``method``: e.g. ``"Rubin's rules (m = 20), Barnard-Rubin df"``.
        - ``se``: :math:`\\sqrt T`.
        - ``m``: imputations pooled for this term.
        - ``within_var``: :math:`\\bar U`; ``between_var``: :math:`B`;
          ``total_var``: :math:`T`.
        - ``df``: degrees of freedom :math:`\\nu` (``inf`` when large-sample
          and :math:`B = 0`).
        - ``riv``: relative increase in variance due to nonresponse :math:`r`.
        - ``lambda_``: proportion of the total variance due to missingness
          :math:`\\lambda`.
        - ``fmi``: fraction of missing information :math:`\\gamma`.
        - ``conf_level``: the confidence level.
        - ``n_dropped``: imputations left out of this term's pooling because
          its estimate or variance was missing.

    Raises
    ------
    StatsInputError
        Shapes differ; fewer than 2 usable imputations for a term; negative or
        infinite variances; all variances zero; a name that is not a column of
        ``data``; bad ``df_complete``, ``conf_level`` or ``term``.

    Notes
    -----
    With :math:`m` imputations (van Buuren 2018, section 2.3; Rubin 1987,
    eq. 3.1.2-3.1.10):

    .. math::

        \\bar Q = \\tfrac1m \\sum_l \\hat Q_l, \\quad
        \\bar U = \\tfrac1m \\sum_l U_l, \\quad
        B = \\tfrac1{m-1} \\sum_l (\\hat Q_l - \\bar Q)^2, \\quad
        T = \\bar U + (1 + \\tfrac1m) B,

        r = (1 + \\tfrac1m) B / \\bar U, \\quad
        \\lambda = (1 + \\tfrac1m) B / T, \\quad
        \\nu_{old} = (m - 1) / \\lambda^2,

        \\nu_{obs} = \\frac{\\nu_{com} + 1}{\\nu_{com} + 3}\\,\\nu_{com}(1 - \\lambda),
        \\quad
        \\nu = \\frac{\\nu_{old}\\,\\nu_{obs}}{\\nu_{old} + \\nu_{obs}}
        \\text{ (Barnard-Rubin) or } \\nu = \\nu_{old} \\text{ (Rubin)},

        \\gamma = \\frac{r + 2/(\\nu + 3)}{1 + r}.

    These match ``mice::pool`` (columns ``ubar``, ``b``, ``t``, ``df``,
    ``riv``, ``lambda``, ``fmi``).

    No between-imputation variance (:math:`B = 0`, e.g. nothing was missing):
    the complete-data inference is returned unchanged, :math:`T = \\bar U`,
    :math:`\\nu = \\nu_{com}` (or infinite, a normal interval, when
    ``df_complete`` is not given), :math:`r = \\lambda = \\gamma = 0`.

    Missing data: an imputation whose estimate or variance for a term is
    missing (NaN) is left out of that term's pooling; ``m`` then counts the
    imputations used, ``n_dropped`` those left out, and the notes say so.

    References
    ----------
    .. [1] Rubin DB (1987). Multiple Imputation for Nonresponse in Surveys.
       Wiley, section 3.1.
    .. [2] Barnard J, Rubin DB (1999). Small-sample degrees of freedom with
       multiple imputation. Biometrika 86:948-955.
    .. [3] van Buuren S (2018). Flexible Imputation of Missing Data, 2nd ed.
       Chapman & Hall/CRC, sections 2.3.2-2.3.6.

    Examples
    --------
    >>> from noream_eval.stats.imputation import pool_rubin
    >>> res = pool_rubin([1.2, 1.5, 1.1, 1.4, 1.3], [0.04, 0.05, 0.04, 0.06, 0.05],
    ...                  df_complete=48, term="mean change")
    >>> row = res.to_frame().iloc[0]
    >>> [round(float(row[c]), 4) for c in ("estimate", "within_var", "between_var", "total_var")]
    [1.3, 0.048, 0.025, 0.078]
    >>> row["method"]
    "Rubin's rules (m = 5), Barnard-Rubin df"

    From a DataFrame with one row per imputation:

    >>> import pandas as pd
    >>> fits = pd.DataFrame({"change": [1.2, 1.5, 1.1, 1.4, 1.3],
    ...                      "change_var": [0.04, 0.05, 0.04, 0.06, 0.05]})
    >>> pool_rubin("change", "change_var", data=fits).to_frame()["term"].tolist()
    ['change']
    """
    from scipy import stats

    conf_level = check_conf_level(conf_level)
    if data is not None:
        estimates, variances, term = _pool_columns(data, estimates, variances, term)
    if term is None:
        term = "estimate"
    q, names = _as_matrix(estimates, "estimates", term)
    u, _ = _as_matrix(variances, "variances", names)
    if (
        isinstance(estimates, pd.DataFrame)
        and isinstance(variances, pd.DataFrame)
        and list(estimates.columns) != list(variances.columns)
    ):
        raise StatsInputError("estimates and variances have different columns (terms).")
    if q.shape != u.shape:
        raise StatsInputError(
            f"estimates have shape {q.shape} but variances {u.shape}; give one variance "
            "(squared standard error) per estimate."
        )
    k = q.shape[1]
    nu_com = _df_complete(df_complete, k)
    if n is not None and (isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0):
        raise StatsInputError(f"n must be a non-negative whole number, got {n!r}.")
    if np.isinf(q).any():
        raise StatsInputError("estimates contain infinite values.")
    if np.isinf(u).any() or (u < 0).any():
        raise StatsInputError(
            "variances must be finite and non-negative (squared standard errors)."
        )

    rows = []
    details = []
    for j, name in enumerate(names):
        ok = ~(np.isnan(q[:, j]) | np.isnan(u[:, j]))
        m = int(ok.sum())
        if m < 2:
            raise StatsInputError(
                f"term {name!r}: Rubin's rules need at least 2 imputations with an estimate "
                f"and a variance; got {m}. Use m >= 2 (20 or more is usual)."
            )
        if m < len(ok):
            details.append(
                f"{name}: {len(ok) - m} of {len(ok)} imputations had no estimate or variance "
                "and were left out."
            )
        row = _pool_one(q[ok, j], u[ok, j], nu_com[j], conf_level, stats)
        rows.append({"term": name, "n": n, **row, "n_dropped": len(ok) - m})

    br = [np.isfinite(v) for v in nu_com]
    m_used = sorted({r["m"] for r in rows})
    m_text = ", ".join(str(x) for x in m_used)
    if all(br):
        df_text = "Barnard-Rubin df"
    elif not any(br):
        df_text = "Rubin (1987) df"
    else:
        df_text = "Barnard-Rubin df where df_complete given, else Rubin (1987) df"
    for r in rows:
        r["method"] = f"Rubin's rules (m = {m_text}), {df_text}"
    table = tidy(rows, extra=_POOL_COLUMNS)
    table["m"] = table["m"].astype("int64")
    table["n_dropped"] = table["n_dropped"].astype("int64")
    if any(r["between_var"] == 0 for r in rows):
        details.append(
            "Terms with no between-imputation variance (nothing imputed affects them) keep "
            "the complete-data variance and df."
        )
    return Estimates(
        table=table,
        title="Multiple imputation: Rubin's rules",
        details=tuple(details),
    )


def _pool_columns(
    data: pd.DataFrame, estimates: Any, variances: Any, term: Any
) -> tuple[pd.DataFrame, pd.DataFrame, Any]:
    """The estimate and variance columns named in ``data``; the terms default to their names."""
    check_frame(data, "pool_rubin")
    est_names = [estimates] if isinstance(estimates, str) else list(estimates)
    var_names = [variances] if isinstance(variances, str) else list(variances)
    if len(est_names) != len(var_names):
        raise StatsInputError(
            f"pool_rubin: {len(est_names)} estimate column(s) but {len(var_names)} variance "
            "column(s); give one variance column per estimate column."
        )
    est = pd.DataFrame({str(c): column(data, c, "estimates", func="pool_rubin") for c in est_names})
    var = pd.DataFrame({str(c): column(data, c, "variances", func="pool_rubin") for c in var_names})
    if term is None:
        term = list(est.columns)
    elif isinstance(term, str):
        term = [term] if len(est_names) == 1 else [f"{term}_{j + 1}" for j in range(len(est_names))]
    else:
        term = [str(t) for t in term]
        if len(term) != len(est_names):
            raise StatsInputError(
                f"term gives {len(term)} names for {len(est_names)} estimate columns."
            )
    est.columns = term
    var.columns = term
    return est, var, term


def _pool_one(
    q: np.ndarray, u: np.ndarray, nu_com: float, conf_level: float, stats: Any
) -> dict[str, Any]:
    m = len(q)
    qbar = float(q.mean())
    ubar = float(u.mean())
    b = float(q.var(ddof=1))
    t = ubar + (1.0 + 1.0 / m) * b
    if t == 0:
        raise StatsInputError(
            "every variance is zero and the estimates agree, so there is no uncertainty to "
            "pool; check that the analysis returns standard errors."
        )
    if ubar == 0:
        raise StatsInputError(
            "every within-imputation variance is zero while the estimates differ; the "
            "analysis must return a standard error for each imputed data set."
        )
    if b == 0:
        riv = lam = fmi = 0.0
        df = nu_com
    else:
        riv = (1.0 + 1.0 / m) * b / ubar
        lam = (1.0 + 1.0 / m) * b / t
        df_old = (m - 1) / lam**2
        if np.isfinite(nu_com):
            df_obs = (nu_com + 1.0) / (nu_com + 3.0) * nu_com * (1.0 - lam)
            df = df_old * df_obs / (df_old + df_obs)
        else:
            df = df_old
        fmi = (riv + 2.0 / (df + 3.0)) / (1.0 + riv)
    se = float(np.sqrt(t))
    crit = float(stats.t.ppf(0.5 + conf_level / 2.0, df))
    p = float(2.0 * stats.t.sf(abs(qbar) / se, df))
    return {
        "estimate": qbar,
        "ci_low": qbar - crit * se,
        "ci_high": qbar + crit * se,
        "p_value": p,
        "se": se,
        "m": m,
        "within_var": ubar,
        "between_var": b,
        "total_var": t,
        "df": float(df),
        "riv": float(riv),
        "lambda_": float(lam),
        "fmi": float(fmi),
        "conf_level": float(conf_level),
    }


def _as_matrix(x: Any, what: str, term: Any) -> tuple[np.ndarray, list[str]]:
    if isinstance(x, pd.DataFrame):
        names = [str(c) for c in x.columns]
        x = x.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    else:
        if isinstance(x, pd.Series):
            x = x.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
        try:
            x = np.asarray(x, dtype="float64")
        except (TypeError, ValueError):
            raise StatsInputError(f"{what} must be numeric.") from None
        names = []
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise StatsInputError(
            f"{what} must be 1-D (one term) or 2-D (imputations x terms); got shape {x.shape}."
        )
    k = x.shape[1]
    if not names:
        if isinstance(term, str):
            names = [term] if k == 1 else [f"{term}_{j + 1}" for j in range(k)]
        else:
            names = [str(t) for t in term]
            if len(names) != k:
                raise StatsInputError(f"term gives {len(names)} names for {k} columns of {what}.")
    return x, names


def _df_complete(df_complete: Any, k: int) -> list[float]:
    if df_complete is None:
        return [np.inf] * k
    values = np.atleast_1d(np.asarray(df_complete, dtype="float64"))
    if values.size == 1:
        values = np.repeat(values, k)
    if values.size != k or np.isnan(values).any() or (values <= 0).any():
        raise StatsInputError(
            f"df_complete must be a positive number (or one per term, {k} here), "
            f"got {df_complete!r}."
        )
    return [float(v) for v in values]


def multiple_imputation(
    data: pd.DataFrame,
    *,
    analysis: Callable[[pd.DataFrame], Any],
    m: int = 20,
    seed: int | None = None,
    variables: Sequence[str] | None = None,
    n_burnin: int = 10,
    k_pmm: int = 5,
    conf_level: float = 0.95,
) -> Estimates:
    """Multiple imputation by chained equations, analysis on each data set, Rubin's rules.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per unit (e.g. family or person).
    analysis : callable
        ``analysis(completed) -> DataFrame`` run on each completed data set
        (a copy of ``data`` with the gaps in ``variables`` filled). It returns
        one row per estimated quantity with columns ``term``, ``estimate`` and
        ``se`` (standard error), and optionally ``df``, the complete-data
        degrees of freedom (e.g. ``n - 1`` for a mean, the residual df of a
        regression), which selects Barnard-Rubin degrees of freedom. A result
        object with ``.to_frame()`` giving these columns is accepted too.
    m : int, default 20
        Number of imputed data sets (at least 2).
    seed : int, optional
        Seed of the imputation's random generator. When omitted one is drawn
        from fresh entropy and reported in the notes.
    variables : sequence of str, optional
        Numeric columns that take part in the imputation: each incomplete one
        is imputed from all the others. Defaults to every numeric column;
        name them explicitly to keep identifiers out of the imputation model.
        Categories must be given as 0/1 columns. Other columns are passed
        through unchanged.
    n_burnin : int, default 10
        Chained-equation cycles run before the first imputed data set is kept.
    k_pmm : int, default 5
        Donors for predictive mean matching (5, as in ``mice``).
    conf_level : float, default 0.95
        Confidence level of the pooled intervals.

    Returns
    -------
    Estimates
        ``.to_frame()`` is the table of :func:`pool_rubin` (``term``,
        ``estimate``, ``ci_low``, ``ci_high``, ``p_value``, ``n`` = rows of
        ``data``, ``method``, ``se``, ``m``, ``within_var``, ``between_var``,
        ``total_var``, ``df``, ``riv``, ``lambda_``, ``fmi``, ``conf_level``),
        with ``method`` starting ``"multiple imputation (chained equations,
        PMM)"``. The notes give the number of values imputed per variable,
        the seed and the settings.

    Raises
    ------
    StatsInputError
        ``data`` not a DataFrame; unknown, non-numeric or entirely missing
        variables; rows missing every variable; too few observed values to fit
        an imputation model; ``m < 2``; ``analysis`` returning a table without
        ``term``, ``estimate`` and ``se`` or with different terms for different
        imputations.

    Notes
    -----
    Imputation follows fully conditional specification (van Buuren 2018,
    ch. 4): starting from a simple fill, each incomplete variable in turn is
    regressed (OLS, main effects of all other ``variables``) on the rows
    where it is observed; the coefficients are drawn from their approximate
    posterior :math:`N(\\hat\\beta, \\widehat{\\mathrm{Var}}(\\hat\\beta))`, and
    each missing value is replaced by the observed value of a donor drawn at
    random from the ``k_pmm`` observed cases with the closest predicted
    means (predictive mean matching: imputations are always real observed
    values). Matching is type 1 (van Buuren 2018, section 3.4.2): observed
    cases are predicted with the fitted coefficients and missing cases with
    the drawn ones. After ``n_burnin`` cycles, one completed data set is kept
    after each further cycle, as statsmodels' ``MICE.fit`` does; with several
    incomplete variables successive data sets of the chain are correlated, so
    keep ``n_burnin`` at 10 or more.

    The engine is :class:`statsmodels.imputation.mice.MICEData` (conditional
    models, coefficient draws, cycling). Two parts are replaced: the design
    matrices are built with numpy instead of formulas (the same models,
    several times faster, any column name works), and the matching step,
    because MICEData predicts observed and missing cases with the same drawn
    coefficients (type 2 matching), which with one predictor picks the same
    donors in every imputation and understates the between-imputation
    variance.

    The ``m`` analyses are pooled by :func:`pool_rubin`. The imputations are
    valid when data are missing at random given ``variables``: include
    everything that predicts missingness or the incomplete values, including
    the outcome. The completed columns in ``variables`` are float64.

    Missing data: every missing value of ``variables`` is imputed; rows
    missing all of them cannot be imputed and raise an error (drop them
    first). When nothing is missing, the ``m`` analyses coincide and the
    pooled result is the complete-data one (:math:`B = 0`).

    References
    ----------
    .. [1] van Buuren S, Groothuis-Oudshoorn K (2011). mice: Multivariate
       imputation by chained equations in R. Journal of Statistical Software
       45(3).
    .. [2] van Buuren S (2018). Flexible Imputation of Missing Data, 2nd ed.
       Chapman & Hall/CRC, sections 3.4 (predictive mean matching) and 4.5.
    .. [3] Morris TP, White IR, Royston P (2014). Tuning multiple imputation by
       predictive mean matching and local residual draws. BMC Medical Research
       Methodology 14:75.
    .. [4] Rubin DB (1987). Multiple Imputation for Nonresponse in Surveys.
       Wiley.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from noream_eval.stats.imputation import multiple_imputation
    >>> rng = np.random.default_rng(0)
    >>> baseline = rng.normal(20, 4, 60)
    >>> followup = baseline + 2 + rng.normal(0, 3, 60)
    >>> followup[rng.random(60) < 0.3] = np.nan
    >>> df = pd.DataFrame({"baseline": baseline, "followup": followup})
    >>> def mean_change(d):
    ...     change = d["followup"] - d["baseline"]
    ...     return pd.DataFrame({"term": ["mean change"], "estimate": [change.mean()],
    ...                          "se": [change.std(ddof=1) / np.sqrt(len(d))],
    ...                          "df": [len(d) - 1]})
    >>> res = multiple_imputation(df, analysis=mean_change, m=5, seed=1)
    >>> res.to_frame()[["term", "n", "m"]]
              term   n  m
    0  mean change  60  5
    >>> res.notes()[0]
    'Imputed values: followup 16 of 60 (26.7%).'
    """
    check_frame(data, "multiple_imputation")
    if not callable(analysis):
        raise StatsInputError("analysis must be a function taking a DataFrame.")
    for name, value, low in (("m", m, 2), ("n_burnin", n_burnin, 0), ("k_pmm", k_pmm, 1)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise StatsInputError(
                f"{name} must be a whole number of at least {low}, got {value!r}."
            )
    conf_level = check_conf_level(conf_level)
    if len(data) < 2:
        raise StatsInputError(f"data has {len(data)} rows; multiple imputation needs more.")
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    elif isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise StatsInputError(f"seed must be a non-negative whole number or None, got {seed!r}.")
    seed = int(seed)

    names = _imputation_variables(data, variables)
    block = pd.DataFrame({f"v{i}": _numeric_column(data[c], c) for i, c in enumerate(names)})
    n_rows = len(block)
    n_missing = block.isna().sum()
    empty = [names[i] for i, col in enumerate(block.columns) if n_missing[col] == n_rows]
    if empty:
        raise StatsInputError(
            f"column(s) {', '.join(map(repr, empty))} have no observed values and cannot be "
            "imputed; leave them out of variables."
        )
    all_missing = int(block.isna().all(axis=1).sum())
    if all_missing:
        raise StatsInputError(
            f"{all_missing} row(s) have every imputation variable missing and cannot be "
            "imputed; drop them or add a fully observed variable (e.g. cohort as 0/1)."
        )
    n_pred = len(names)  # intercept + other variables
    for i, col in enumerate(block.columns):
        n_obs = n_rows - int(n_missing[col])
        if n_missing[col] and n_obs < max(k_pmm, n_pred + 1):
            raise StatsInputError(
                f"{names[i]!r} has only {n_obs} observed values: too few to fit its "
                f"imputation model ({n_pred} coefficients) and draw from {k_pmm} donors."
            )

    engine = _mice_data(block, k_pmm=int(k_pmm), seed=seed)
    completed_frames = []
    engine.update_all(int(n_burnin))
    # A complete float64 column comes back unchanged: only the others are replaced.
    replace = [
        (i, c) for i, c in enumerate(names) if n_missing[f"v{i}"] or data[c].dtype != np.float64
    ]
    for _ in range(int(m)):
        engine.update_all(1)
        completed = data.copy()
        for i, c in replace:
            completed[c] = engine.data[f"v{i}"].to_numpy(dtype="float64", copy=True)
        completed_frames.append(completed)

    tables = [_analysis_table(analysis(c), i + 1) for i, c in enumerate(completed_frames)]
    terms = list(tables[0]["term"])
    for i, t in enumerate(tables[1:], start=2):
        if list(t["term"]) != terms:
            raise StatsInputError(
                f"analysis returned terms {list(t['term'])} for imputation {i} but {terms} for "
                "imputation 1; it must return the same terms in the same order every time."
            )
    est = np.column_stack([t["estimate"] for t in tables]).T
    var = np.column_stack([t["se"] for t in tables]).T ** 2
    df_com: Any = None
    if "df" in tables[0]:
        df_all = np.column_stack([t["df"] for t in tables])
        with np.errstate(invalid="ignore"):
            df_com = np.nanmin(np.where(np.isnan(df_all), np.inf, df_all), axis=1)
        if np.isinf(df_com).all():
            df_com = None

    pooled = pool_rubin(est, var, df_complete=df_com, conf_level=conf_level, term=terms, n=n_rows)
    table = pooled.to_frame()
    table["method"] = "multiple imputation (chained equations, PMM); " + table["method"]

    imputed = [
        f"{c} {int(n_missing[f'v{i}'])} of {n_rows} ({n_missing[f'v{i}'] / n_rows:.1%})"
        for i, c in enumerate(names)
        if n_missing[f"v{i}"]
    ]
    details = [
        "Imputed values: " + (", ".join(imputed) if imputed else "none (no values missing)") + ".",
        f"{m} imputations by chained equations (statsmodels MICEData: OLS with main effects "
        f"of {', '.join(names)}; predictive mean matching (type 1), {k_pmm} donors; "
        f"Gaussian draw of coefficients), {n_burnin} burn-in cycles, seed {seed}.",
        *pooled.details,
    ]
    return Estimates(
        table=table,
        title="Multiple imputation (chained equations) pooled by Rubin's rules",
        details=tuple(details),
    )


def _imputation_variables(data: pd.DataFrame, variables: Sequence[str] | None) -> list[str]:
    if variables is None:
        names = [
            c
            for c in data.columns
            if pd.api.types.is_numeric_dtype(data[c]) or pd.api.types.is_bool_dtype(data[c])
        ]
        if not names:
            raise StatsInputError("data has no numeric columns to impute; pass variables.")
        return names
    if isinstance(variables, str):
        variables = [variables]
    names = list(variables)
    for c in names:
        column(data, c, "variables", func="multiple_imputation")
    if len(set(names)) != len(names):
        raise StatsInputError("variables lists a column twice.")
    if not names:
        raise StatsInputError("variables is empty.")
    return names


def _numeric_column(col: pd.Series, name: Any) -> np.ndarray:
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        out = col.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
        if np.isinf(out).any():
            raise StatsInputError(f"column {name!r} contains infinite values.")
        return out
    raise StatsInputError(
        f"column {name!r} is not numeric; impute numbers only (code categories as 0/1 columns) "
        "or leave it out of variables."
    )


def _analysis_table(result: Any, i: int) -> dict[str, Any]:
    """The analysis result of imputation ``i``, checked: ``term`` (list), ``estimate``,
    ``se`` and, if given, ``df`` (float arrays, NaN where not a number)."""
    if hasattr(result, "to_frame") and not isinstance(result, pd.Series | pd.DataFrame):
        result = result.to_frame()
    if not isinstance(result, pd.DataFrame):
        raise StatsInputError(
            f"analysis returned {type(result).__name__} for imputation {i}; it must return a "
            "DataFrame with columns term, estimate and se."
        )
    missing = [c for c in ("term", "estimate", "se") if c not in result.columns]
    if missing:
        raise StatsInputError(
            f"analysis result for imputation {i} lacks column(s) {missing}; it must have "
            "term, estimate and se (standard error)."
        )
    if result.empty:
        raise StatsInputError(f"analysis returned no rows for imputation {i}.")
    if result["term"].duplicated().any():
        raise StatsInputError("analysis returned the same term twice; terms must be unique.")
    out: dict[str, Any] = {"term": list(result["term"])}
    for c in ("estimate", "se", "df"):
        if c in result.columns:
            col = result[c]
            if col.dtype == np.float64:  # already numbers, NaN where missing
                out[c] = col.to_numpy(dtype="float64", copy=True)
                continue
            values = pd.to_numeric(col, errors="coerce").astype("Float64")
            out[c] = values.to_numpy(dtype="float64", na_value=np.nan)
    return out


def _mice_data(block: pd.DataFrame, *, k_pmm: int, seed: int) -> Any:
    """A statsmodels MICEData whose design matrices are built with numpy."""
    from statsmodels.imputation.mice import MICEData

    class _NumpyMICEData(MICEData):
        # Same conditional models as MICEData's default formula
        # "v ~ <all other columns>" (intercept + main effects), without formula parsing.
        def _design(self, vname: str) -> tuple[np.ndarray, np.ndarray]:
            values = self.data.to_numpy(dtype="float64")
            j = self.data.columns.get_loc(vname)
            exog = np.column_stack([np.ones(len(values)), np.delete(values, j, axis=1)])
            return values[:, j], exog

        def get_fitting_data(self, vname: str) -> tuple[Any, ...]:
            endog, exog = self._design(vname)
            ix = self.ix_obs[vname]
            return endog[ix], exog[ix], {}, {}

        def get_split_data(self, vname: str) -> tuple[Any, ...]:
            endog, exog = self._design(vname)
            ixo, ixm = self.ix_obs[vname], self.ix_miss[vname]
            return endog[ixo], exog[ixo], exog[ixm], {}, {}

        def impute_pmm(self, vname: str) -> None:
            # Type 1 matching (van Buuren 2018, section 3.4.2): observed cases are
            # predicted with the fitted coefficients, missing cases with the drawn ones.
            # MICEData uses the drawn coefficients for both (type 2), which with a single
            # predictor picks the same donors in every imputation and understates the
            # between-imputation variance.
            endog_obs, exog_obs, exog_miss, _, _ = self.get_split_data(vname)
            if len(exog_miss) == 0:
                return
            pred_obs = exog_obs @ np.asarray(self.results[vname].params, dtype="float64")
            pred_miss = exog_miss @ np.asarray(self.params[vname], dtype="float64")
            order = np.argsort(pred_obs, kind="stable")
            pred_obs, endog_obs = pred_obs[order], endog_obs[order]
            k = min(self.k_pmm, len(pred_obs))
            # The k nearest observed predictions lie within k places of the insertion point.
            pos = np.searchsorted(pred_obs, pred_miss)
            window = pos[:, None] + np.arange(-k, k)[None, :]
            outside = (window < 0) | (window >= len(pred_obs))
            window = np.clip(window, 0, len(pred_obs) - 1)
            dist = np.abs(pred_miss[:, None] - pred_obs[window])
            dist[outside] = np.inf
            nearest = np.argsort(dist, axis=1, kind="stable")[:, :k]
            pick = self.rng.integers(0, k, len(pred_miss))
            donors = window[np.arange(len(pred_miss)), nearest[np.arange(len(pred_miss)), pick]]
            self._store_changes(vname, endog_obs[donors])

    return _NumpyMICEData(block, k_pmm=k_pmm, rng=seed)
