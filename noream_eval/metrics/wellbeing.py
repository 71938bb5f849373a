"""Outcome 3: wellbeing of parent/carers and children, and distance travelled on support domains.

Questionnaire completions (``wellbeing_items``) are scored with the instrument
registry (:func:`score_instrument`): SWEMWBS on its Rasch metric scale, WEMWBS
as the raw sum, ONS4 item by item. Change from baseline to the follow-up time
point of the analysis plan is analysed in complete pairs
(:func:`wellbeing_indicators`: mean change, d_z, Hedges' g_av, Wilcoxon
signed-rank test, Jacobson-Truax reliable change, meaningful change), with the
missing follow-ups described (:func:`wellbeing_attrition`) and handled in two
sensitivity analyses (multiple imputation and best/worst-case bounds). The
support-domain part lives in :mod:`noream_eval.metrics.domains`.
``docs/outcomes.md`` (Outcome 3) defines every indicator and table.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from noream_eval.config import Instrument, load_instruments
from noream_eval.errors import ConfigError, StatsInputError, ValidationError
from noream_eval.metrics._reuse import reused
from noream_eval.metrics.core import Part, Settings, indicator, indicator_table
from noream_eval.plan import AnalysisPlan
from noream_eval.stats.change import RCI_CRITERION

__all__ = [
    "CHANGE_COLUMNS",
    "SCORE_COLUMNS",
    "STATUSES",
    "compute",
    "followup_due",
    "score_instrument",
    "wellbeing_attrition",
    "wellbeing_completeness",
    "wellbeing_indicators",
    "wellbeing_paired_summary",
    "wellbeing_people",
    "wellbeing_reliable_change",
    "wellbeing_scores",
]

OUTCOME = "3"
#: The respondent analysed as primary; its rows have group ``all``.
PRIMARY_RESPONDENT = "parent_carer"

#: Columns of :func:`score_instrument`.
SCORE_COLUMNS: tuple[str, ...] = (
    "response_id",
    "family_id",
    "respondent",
    "timepoint",
    "response_date",
    "instrument",
    "measure",
    "n_items_answered",
    "raw_sum",
    "score",
    "complete",
)

#: Columns of :func:`wellbeing_people` (the ``wellbeing_change`` table).
CHANGE_COLUMNS: tuple[str, ...] = (
    "instrument",
    "measure",
    "family_id",
    "respondent",
    "site",
    "cohort",
    "baseline_date",
    "baseline",
    "followup_date",
    "followup",
    "change",
    "due",
    "status",
    "rci",
    "category",
    "meaningful",
)

#: Values of the ``status`` column of :func:`wellbeing_people`.
STATUSES: dict[str, str] = {
    "pair": "complete baseline and complete follow-up",
    "no_followup": "complete baseline; follow-up due by the data cut but no complete one",
    "not_due": "complete baseline; follow-up not yet due at the data cut and none recorded",
    "no_baseline": "complete follow-up without a complete baseline (not paired)",
    "no_score": "completions, but none complete at baseline or follow-up",
}
_WITH_BASELINE = ("pair", "no_followup", "not_due")
_DUE = ("pair", "no_followup")

_ITEM_COLUMNS = (
    "response_id",
    "family_id",
    "respondent",
    "timepoint",
    "response_date",
    "instrument",
    "item",
    "value",
)
_FAMILY_COLUMNS = ("cohort", "site", "n_children", "youngest_child_age_band", "immigration_status")
_CATEGORICAL = ("cohort", "site", "youngest_child_age_band", "immigration_status")
#: Random tables drawn for the Monte Carlo Fisher test of a table larger than 2 x 2.
_FISHER_TABLES = 20_000
#: Standard deviations of the observed change that the bounds put on a missing follow-up.
_BOUND_SD = 2.0


# --------------------------------------------------------------------------- scoring


def _resolve(instrument: str | Instrument, registry: Mapping[str, Instrument] | None) -> Instrument:
    if isinstance(instrument, Instrument):
        return instrument
    reg = load_instruments() if registry is None else registry
    if instrument not in reg:
        raise ConfigError(
            f"instrument {instrument!r} is not in the instrument registry; known: "
            f"{sorted(reg)}. Add it in an [instruments.{instrument}] table of the config."
        )
    return reg[instrument]


def _check_columns(frame: pd.DataFrame, columns: Sequence[str], table: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValidationError(
            f"{table} lacks the column(s) {missing}; pass the canonical table "
            f"(data.{table} of an ingested evaluation)."
        )


def _empty_scores() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "response_id": pd.Series(dtype="string"),
            "family_id": pd.Series(dtype="string"),
            "respondent": pd.Series(dtype="string"),
            "timepoint": pd.Series(dtype="string"),
            "response_date": pd.Series(dtype="datetime64[ns]"),
            "instrument": pd.Series(dtype="string"),
            "measure": pd.Series(dtype="string"),
            "n_items_answered": pd.Series(dtype="Int64"),
            "raw_sum": pd.Series(dtype="Int64"),
            "score": pd.Series(dtype="float64"),
            "complete": pd.Series(dtype="bool"),
        }
    )


@reused
def score_instrument(
    items: pd.DataFrame,
    instrument: str | Instrument,
    *,
    registry: Mapping[str, Instrument] | None = None,
) -> pd.DataFrame:
    """Score every completion of one questionnaire instrument.

    Parameters
    ----------
    items : pandas.DataFrame
        The canonical ``wellbeing_items`` table (one row per answered item);
        rows of other instruments are ignored.
    instrument : str or Instrument
        Registry name (``"swemwbs"``) or an :class:`~noream_eval.config.Instrument`.
    registry : mapping, optional
        Instrument registry (``Settings.instruments``); default: the shipped
        ``instruments.toml``.

    Returns
    -------
    pandas.DataFrame
        One row per completion (per completion and item for ``per_item``
        scoring), ordered by date, with columns:

        - ``response_id``, ``family_id``: pseudonyms of the completion and family.
        - ``respondent``, ``timepoint``, ``response_date``: as in ``wellbeing_items``.
        - ``instrument``: the registry name.
        - ``measure``: the score's name: the instrument's name, or
          ``NAME_ITEMNAME`` for per-item scoring (``ons4_anxiety``).
        - ``n_items_answered``: items of the completion answered.
        - ``raw_sum``: sum of the answered items (per item: the item's value,
          missing when unanswered).
        - ``score``: the score; NaN unless ``complete``.
        - ``complete``: every item answered (per item: that item answered).

    Raises
    ------
    ConfigError
        If the instrument is not in the registry.
    ValidationError
        If a column is missing, an item number is outside 1 to ``n_items``, a
        value is outside the item range or an item is given twice in a completion.

    Notes
    -----
    ``sum``: score = sum of the ``n_items`` item scores. ``metric``: score =
    the ``metric`` conversion table at that sum (SWEMWBS: raw 7-35 to the
    Rasch metric score, Stewart-Brown et al. 2009). ``per_item``: each item is
    a score. Missing data: a score needs every item answered (no pro-rating);
    an incomplete completion keeps its row with ``score`` NaN and is counted
    in :func:`wellbeing_completeness`. A completion with no item answered has
    no rows in ``wellbeing_items`` and so none here.

    References
    ----------
    Stewart-Brown S, Tennant A, Tennant R, Platt S, Parkinson J, Weich S (2009).
    Internal construct validity of the Warwick-Edinburgh Mental Well-being Scale
    (WEMWBS): a Rasch analysis using data from the Scottish Health Education
    Population Survey. Health Qual Life Outcomes 7:15.

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"response_id": "r1", "family_id": "f1",
    ...     "respondent": "parent_carer", "timepoint": "baseline",
    ...     "response_date": pd.Timestamp("2021-03-01"), "instrument": "swemwbs",
    ...     "item": range(1, 8), "value": [3, 3, 3, 3, 3, 3, 3]})
    >>> row = score_instrument(items, "swemwbs").iloc[0]
    >>> int(row["raw_sum"]), float(row["score"]), bool(row["complete"])
    (21, 19.25, True)
    """
    inst = _resolve(instrument, registry)
    _check_columns(items, _ITEM_COLUMNS, "wellbeing_items")
    rows = items.loc[items["instrument"].astype("string").eq(inst.name).fillna(False)]
    if rows.empty:
        return _empty_scores()
    item = rows["item"].astype("Int64")
    value = rows["value"].astype("Int64")
    bad_item = item.isna() | (item < 1) | (item > inst.n_items)
    if bad_item.any():
        raise ValidationError(
            f"{int(bad_item.sum())} wellbeing_items row(s) of {inst.name} have an item number "
            f"outside 1 to {inst.n_items}."
        )
    bad_value = value.isna() | (value < inst.item_min) | (value > inst.item_max)
    if bad_value.any():
        raise ValidationError(
            f"{int(bad_value.sum())} wellbeing_items row(s) of {inst.name} have a value "
            f"outside {inst.item_min} to {inst.item_max}."
        )
    rid = rows["response_id"].astype("string")
    if pd.DataFrame({"r": rid, "i": item}).duplicated().any():
        raise ValidationError(
            f"wellbeing_items of {inst.name} give the same item twice in a completion; "
            "each completion answers each item at most once."
        )
    wide = (
        pd.DataFrame({"response_id": rid.to_numpy(), "item": item.to_numpy(), "value": value})
        .pivot(index="response_id", columns="item", values="value")
        .reindex(columns=range(1, inst.n_items + 1))
    )
    meta = (
        pd.DataFrame(
            {
                "response_id": rid.to_numpy(),
                "family_id": rows["family_id"].astype("string").to_numpy(),
                "respondent": rows["respondent"].astype("string").to_numpy(),
                "timepoint": rows["timepoint"].astype("string").to_numpy(),
                "response_date": pd.to_datetime(rows["response_date"]).to_numpy(),
            }
        )
        .drop_duplicates("response_id")
        .set_index("response_id")
        .loc[wide.index]
    )
    values = wide.to_numpy(dtype="float64", na_value=np.nan)
    answered = (~np.isnan(values)).sum(axis=1)
    meta["instrument"] = inst.name
    meta["n_items_answered"] = pd.array(answered, dtype="Int64")
    if inst.scoring == "per_item":
        parts = []
        for j, measure in enumerate(inst.measures()):
            part = meta.copy()
            part["measure"] = measure
            v = values[:, j]
            part["raw_sum"] = pd.array(np.where(np.isnan(v), None, v), dtype="Int64")
            part["score"] = v
            part["complete"] = ~np.isnan(v)
            parts.append(part)
        out = pd.concat(parts)
    else:
        out = meta.copy()
        out["measure"] = inst.name
        raw = np.nansum(values, axis=1)
        complete = answered == inst.n_items
        out["raw_sum"] = pd.array(raw.astype("int64"), dtype="Int64")
        if inst.scoring == "metric":
            table = np.asarray(inst.metric, dtype="float64")
            lowest = inst.n_items * inst.item_min
            pos = np.clip(raw.astype("int64") - lowest, 0, len(table) - 1)
            score = table[pos]
        else:
            score = raw.astype("float64")
        out["score"] = np.where(complete, score, np.nan)
        out["complete"] = complete
    out = out.reset_index()
    for col in ("response_id", "family_id", "respondent", "timepoint", "instrument", "measure"):
        out[col] = out[col].astype("string")
    out["response_date"] = out["response_date"].astype("datetime64[ns]")
    out["score"] = out["score"].astype("float64")
    out["complete"] = out["complete"].astype(bool)
    out = out.sort_values(["response_date", "response_id"], kind="stable")
    return out[list(SCORE_COLUMNS)].reset_index(drop=True)


def _instruments_in(items: pd.DataFrame) -> list[str]:
    if "instrument" not in items.columns or items.empty:
        return []
    return sorted(items["instrument"].dropna().astype(str).unique())


def _selected(scores: pd.DataFrame) -> pd.Series:
    """True for the completion analysed at each measure x family x respondent x time point.

    The earliest complete completion (ties broken by response id).
    """
    ok = scores.loc[scores["complete"]].sort_values(["response_date", "response_id"], kind="stable")
    first = ok.drop_duplicates(["measure", "family_id", "respondent", "timepoint"]).index
    return pd.Series(scores.index.isin(first), index=scores.index)


def wellbeing_scores(
    items: pd.DataFrame, *, registry: Mapping[str, Instrument] | None = None
) -> pd.DataFrame:
    """Scores of every completion of every instrument in ``wellbeing_items``.

    Parameters
    ----------
    items : pandas.DataFrame
        The canonical ``wellbeing_items`` table.
    registry : mapping, optional
        Instrument registry; default: the shipped ``instruments.toml``.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`score_instrument` plus ``selected``: True for
        the completion analysed for its measure, family, respondent and time
        point (the earliest complete one by date, then by response id).

    Notes
    -----
    One completion per family x respondent x time point enters the analysis:
    when there are several (a questionnaire entered twice, or repeated), the
    earliest complete one by date is used and the others are counted as
    ``duplicate_completions`` in :func:`wellbeing_completeness`.
    """
    parts = [score_instrument(items, name, registry=registry) for name in _instruments_in(items)]
    parts = [p for p in parts if not p.empty]
    out = pd.concat(parts, ignore_index=True) if parts else _empty_scores()
    out["selected"] = _selected(out).to_numpy(dtype=bool)
    return out


def wellbeing_completeness(
    items: pd.DataFrame, *, registry: Mapping[str, Instrument] | None = None
) -> pd.DataFrame:
    """Completions, complete questionnaires and unanswered items per instrument and time point.

    Parameters
    ----------
    items : pandas.DataFrame
        The canonical ``wellbeing_items`` table.
    registry : mapping, optional
        Instrument registry; default: the shipped ``instruments.toml``.

    Returns
    -------
    pandas.DataFrame
        One row per instrument x respondent x time point with completions:

        - ``instrument``, ``respondent``, ``timepoint``.
        - ``completions``: questionnaires with at least one item answered.
        - ``people``: different families (x respondent) completing.
        - ``duplicate_completions``: completions beyond one per family,
          respondent and time point (only one is analysed).
        - ``complete``: completions with every item answered.
        - ``incomplete``: completions with an item unanswered (no score).
        - ``share_complete``: complete / completions.
        - ``missing_items``: unanswered items summed over the incomplete completions.
        - ``incomplete_one_item``: incomplete completions missing exactly one item.

    Notes
    -----
    Counts every completion in ``wellbeing_items`` (every cohort). A
    questionnaire returned with no item answered leaves no row in
    ``wellbeing_items`` and is not counted.
    """
    cols = [
        "instrument",
        "respondent",
        "timepoint",
        "completions",
        "people",
        "duplicate_completions",
        "complete",
        "incomplete",
        "share_complete",
        "missing_items",
        "incomplete_one_item",
    ]
    rows = []
    for name in _instruments_in(items):
        inst = _resolve(name, registry)
        sc = score_instrument(items, inst).drop_duplicates("response_id")
        missing = inst.n_items - sc["n_items_answered"].astype("int64")
        sc = sc.assign(missing=missing, full=missing.eq(0))
        for (resp, tp), g in sc.groupby(["respondent", "timepoint"], sort=True):
            n = len(g)
            people = int(g["family_id"].nunique())
            full = int(g["full"].sum())
            rows.append(
                {
                    "instrument": name,
                    "respondent": resp,
                    "timepoint": tp,
                    "completions": n,
                    "people": people,
                    "duplicate_completions": n - people,
                    "complete": full,
                    "incomplete": n - full,
                    "share_complete": full / n,
                    "missing_items": int(g["missing"].sum()),
                    "incomplete_one_item": int(g["missing"].eq(1).sum()),
                }
            )
    out = pd.DataFrame(rows, columns=cols)
    for c in cols[3:]:
        out[c] = out[c].astype("float64" if c == "share_complete" else "int64")
    for c in cols[:3]:
        out[c] = out[c].astype("string")
    return out


# --------------------------------------------------------------------------- people


@dataclass(frozen=True)
class _Options:
    followup_timepoint: str = "review"
    data_cut: pd.Timestamp | None = None
    review_interval_days: int = AnalysisPlan.review_interval_days
    review_tolerance_days: int = AnalysisPlan.review_tolerance_days
    cohort: str | None = "noream"


def _direction(inst: Instrument, measure: str) -> bool:
    """True when a higher score of ``measure`` is better."""
    if inst.scoring == "per_item":
        item = inst.measures().index(measure) + 1
        return item not in inst.lower_is_better_items
    return inst.higher_is_better


def _score_range(inst: Instrument) -> tuple[float, float]:
    if inst.scoring == "metric":
        return float(inst.metric[0]), float(inst.metric[-1])
    if inst.scoring == "per_item":
        return float(inst.item_min), float(inst.item_max)
    return float(inst.n_items * inst.item_min), float(inst.n_items * inst.item_max)


def _reliability(inst: Instrument) -> float | None:
    # A scale's published alpha does not apply to its single items.
    return None if inst.scoring == "per_item" else inst.reliability


def _family_frame(families: pd.DataFrame | None) -> pd.DataFrame:
    cols = ["family_id", *_FAMILY_COLUMNS, "exit_date"]
    if families is None:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    _check_columns(families, ["family_id"], "families")
    out = pd.DataFrame({"family_id": families["family_id"].astype("string")})
    for c in cols[1:]:
        if c in families.columns:
            out[c] = families[c].to_numpy()
        else:
            out[c] = None
    out["cohort"] = out["cohort"].astype("string")
    out["site"] = out["site"].astype("string")
    return out.drop_duplicates("family_id")


def followup_due(
    baseline_date: Any,
    exit_date: Any = None,
    followup_recorded: Any = None,
    *,
    followup_timepoint: str = "review",
    data_cut: Any = None,
    review_interval_days: int = AnalysisPlan.review_interval_days,
    review_tolerance_days: int = AnalysisPlan.review_tolerance_days,
) -> np.ndarray:
    """Whether each person's follow-up was due by the data cut.

    The one rule of "due" used by :func:`wellbeing_people` (and the
    participant flow of :mod:`noream_eval.metrics.feasibility`).

    Parameters
    ----------
    baseline_date : array-like of dates
        Date of each person's baseline completion (missing: no baseline).
    exit_date : array-like of dates, optional
        The family's ``exit_date`` (read for ``followup_timepoint="exit"``).
    followup_recorded : array-like of bool, optional
        True where a completion at the follow-up time point is recorded.
    followup_timepoint : {"review", "exit"}, default "review"
        The time point compared with baseline (``[analysis] followup_timepoint``).
    data_cut : date-like, optional
        The data cut; None: every follow-up is due.
    review_interval_days, review_tolerance_days : int, default 182 and 42
        A review is due ``review_interval_days + review_tolerance_days`` days
        after the baseline completion.

    Returns
    -------
    numpy.ndarray of bool
        One value per person.

    Notes
    -----
    ``review``: baseline date + interval + tolerance is on or before the data
    cut (a missing baseline date is never due by time); ``exit``: the family's
    ``exit_date`` is on or before the data cut. A person with a follow-up
    completion recorded counts as due either way.

    Examples
    --------
    >>> import pandas as pd
    >>> followup_due(pd.to_datetime(["2021-01-01", "2022-01-01"]), data_cut="2022-06-30")
    array([ True, False])
    """
    base = pd.to_datetime(pd.Series(np.asarray(baseline_date, dtype="datetime64[ns]")))
    n = len(base)
    if followup_timepoint not in ("review", "exit"):
        raise ConfigError(
            f"followup_timepoint = {followup_timepoint!r}; choose 'review' or 'exit'."
        )
    cut = None if data_cut is None else pd.Timestamp(data_cut)
    if followup_timepoint == "review":
        if cut is None:
            due = np.ones(n, dtype=bool)
        else:
            window = pd.Timedelta(days=int(review_interval_days) + int(review_tolerance_days))
            due = (base + window <= cut).fillna(False).to_numpy(dtype=bool)
    else:
        ex = (
            pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
            if exit_date is None
            else pd.to_datetime(pd.Series(np.asarray(exit_date, dtype="datetime64[ns]")))
        )
        due = ex.notna().to_numpy(dtype=bool)
        if cut is not None:
            due = due & (ex <= cut).fillna(False).to_numpy(dtype=bool)
    if followup_recorded is not None:
        due = due | np.asarray(followup_recorded, dtype=bool)
    return due


def _people(
    scores: pd.DataFrame,
    fam: pd.DataFrame,
    inst: Instrument,
    measure: str,
    opts: _Options,
) -> pd.DataFrame:
    """The per-person table of one measure (see :func:`wellbeing_people`)."""
    sc = scores.loc[scores["measure"].eq(measure).fillna(False)]
    fu_tp = opts.followup_timepoint
    sc = sc.loc[sc["timepoint"].isin(["baseline", fu_tp])]
    keys = ["family_id", "respondent"]
    people = sc[keys].drop_duplicates().reset_index(drop=True)
    sel = sc.loc[sc["selected"]]
    base = sel.loc[sel["timepoint"].eq("baseline"), [*keys, "response_date", "score"]].rename(
        columns={"response_date": "baseline_date", "score": "baseline"}
    )
    fu = sel.loc[sel["timepoint"].eq(fu_tp), [*keys, "response_date", "score"]].rename(
        columns={"response_date": "followup_date", "score": "followup"}
    )
    tried = sc.loc[sc["timepoint"].eq(fu_tp), keys].drop_duplicates().assign(_tried=True)
    out = (
        people.merge(base, on=keys, how="left")
        .merge(fu, on=keys, how="left")
        .merge(tried, on=keys, how="left")
        .merge(fam[["family_id", "site", "cohort", "exit_date"]], on="family_id", how="left")
    )
    if opts.cohort is not None and not fam.empty:
        out = out.loc[out["cohort"].eq(opts.cohort).fillna(False)]
    out = out.reset_index(drop=True)
    due = followup_due(
        out["baseline_date"],
        out["exit_date"],
        out["_tried"].eq(True).fillna(False),
        followup_timepoint=fu_tp,
        data_cut=opts.data_cut,
        review_interval_days=opts.review_interval_days,
        review_tolerance_days=opts.review_tolerance_days,
    )
    has_b = out["baseline"].notna().to_numpy(dtype=bool)
    has_f = out["followup"].notna().to_numpy(dtype=bool)
    status = np.select(
        [has_b & has_f, has_b & due, has_b, has_f],
        ["pair", "no_followup", "not_due", "no_baseline"],
        default="no_score",
    )
    out["due"] = due & has_b
    out["status"] = pd.array(status, dtype="string")
    pair = status == "pair"
    out["change"] = np.where(pair, out["followup"] - out["baseline"], np.nan)
    out["instrument"] = inst.name
    out["measure"] = measure
    out["rci"] = np.nan
    out["category"] = pd.array([None] * len(out), dtype="string")
    out["meaningful"] = pd.array([None] * len(out), dtype="boolean")
    higher = _direction(inst, measure)
    rel = _reliability(inst)
    for resp in out["respondent"].dropna().unique():
        mask = (out["respondent"].eq(resp).fillna(False) & pd.Series(pair)).to_numpy(dtype=bool)
        if inst.meaningful_change is not None:
            gain = out.loc[mask, "change"] * (1.0 if higher else -1.0)
            out.loc[mask, "meaningful"] = (gain >= inst.meaningful_change - 1e-9).to_numpy()
        rc = _reliable(out.loc[mask, "baseline"], out.loc[mask, "followup"], rel, higher)
        if rc is not None:
            each = rc.per_person()
            out.loc[mask, "rci"] = each["rci"].to_numpy(dtype="float64")
            out.loc[mask, "category"] = each["category"].astype("string").to_numpy()
    for c in ("instrument", "measure", "family_id", "respondent", "site", "cohort"):
        out[c] = out[c].astype("string")
    out = out.sort_values(["respondent", "baseline_date", "family_id"], kind="stable")
    return out[list(CHANGE_COLUMNS)].reset_index(drop=True)


def _reliable(pre: pd.Series, post: pd.Series, reliability: float | None, higher: bool) -> Any:
    """:func:`noream_eval.stats.reliable_change` of the pairs, or None when it cannot be had.

    None without a reliability, with fewer than 2 pairs or when the baseline
    scores do not vary (their SD is the index's scale).
    """
    from noream_eval.stats import reliable_change

    if reliability is None or len(pre) < 2 or float(np.ptp(pre.to_numpy())) == 0.0:
        return None
    return reliable_change(
        pre.to_numpy(dtype="float64"),
        post.to_numpy(dtype="float64"),
        reliability=reliability,
        higher_is_better=higher,
    )


def _category_share(category: str, higher: bool, reliability: float) -> Any:
    """The share of pairs in a reliable change category as a function of the pairs
    (``pre``, ``post``; vectorised along ``axis``), S_diff estimated from the baseline
    SD of the pairs given, as :func:`noream_eval.stats.reliable_change` does."""
    scale = math.sqrt(2.0) * math.sqrt(1.0 - reliability)

    def share(pre: np.ndarray, post: np.ndarray, axis: int = -1) -> Any:
        with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
            # a jackknife sample of one pair has no SD: its share is then NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            rci = (post - pre) / (scale * np.std(pre, ddof=1, axis=axis, keepdims=True))
        up, down = rci > RCI_CRITERION, rci < -RCI_CRITERION
        better, worse = (up, down) if higher else (down, up)
        hit = {"improved": better, "deteriorated": worse, "no_reliable_change": ~(up | down)}
        return np.mean(hit[category], axis=axis)

    return share


def _category_ci(
    rc: Any, category: str, *, seed: int, n_resamples: int
) -> tuple[float, float, str]:
    """Interval of the share of pairs in a reliable change category, and its method.

    BCa bootstrap over the pairs, S_diff re-estimated from each resample's baseline SD,
    so that the interval carries the uncertainty of the threshold as well as that of
    the share. When the bootstrap cannot measure the uncertainty (every resample gives
    the same share, or the BCa interval is undefined), the Wilson interval of
    :func:`noream_eval.stats.reliable_change`, and the reason.
    """
    from noream_eval.stats import bootstrap_ci

    table = rc.table.loc[rc.table["category"].notna()]
    pre = table["pre"].to_numpy(dtype="float64")
    post = table["post"].to_numpy(dtype="float64")
    share = _category_share(category, rc.higher_is_better, rc.reliability)
    try:
        res = bootstrap_ci(share, (pre, post), seed=seed, n_resamples=n_resamples, method="bca")
    except StatsInputError as err:
        t = rc.to_frame().set_index("term").loc[category]
        reason = str(err).split(";")[0].split(" (")[0].rstrip(".")
        return float(t["ci_low"]), float(t["ci_high"]), f"Wilson score interval ({reason})"
    return (
        res.ci_low,
        res.ci_high,
        f"{res.method_label} (pairs resampled, S_diff re-estimated in each)",
    )


def _all_people(
    items: pd.DataFrame,
    families: pd.DataFrame | None,
    instrument: str | Instrument,
    registry: Mapping[str, Instrument] | None,
    opts: _Options,
) -> tuple[Instrument, pd.DataFrame]:
    inst = _resolve(instrument, registry)
    if opts.followup_timepoint not in ("review", "exit"):
        raise ConfigError(
            f"followup_timepoint = {opts.followup_timepoint!r}; choose 'review' or 'exit'."
        )
    scores = score_instrument(items, inst)
    scores["selected"] = _selected(scores).to_numpy(dtype=bool)
    fam = _family_frame(families)
    parts = [_people(scores, fam, inst, m, opts) for m in inst.measures()]
    return inst, pd.concat(parts, ignore_index=True)


def wellbeing_people(
    items: pd.DataFrame,
    families: pd.DataFrame | None = None,
    *,
    instrument: str | Instrument = "swemwbs",
    followup_timepoint: str = "review",
    data_cut: Any = None,
    review_interval_days: int = AnalysisPlan.review_interval_days,
    review_tolerance_days: int = AnalysisPlan.review_tolerance_days,
    cohort: str | None = "noream",
    registry: Mapping[str, Instrument] | None = None,
) -> pd.DataFrame:
    """Each person's baseline and follow-up score, change and reliable change.

    Parameters
    ----------
    items : pandas.DataFrame
        The canonical ``wellbeing_items`` table.
    families : pandas.DataFrame, optional
        The canonical ``families`` table (site, cohort, exit date); None
        analyses every completion with ``site`` and ``cohort`` missing.
    instrument : str or Instrument, default "swemwbs"
        The instrument (``[analysis] wellbeing_instrument``).
    followup_timepoint : {"review", "exit"}, default "review"
        The time point compared with baseline (``[analysis] followup_timepoint``).
    data_cut : date-like, optional
        The data cut; a follow-up is due when it falls before it (see Notes).
        None: every follow-up counts as due.
    review_interval_days, review_tolerance_days : int, default 182 and 42
        A review follow-up is due ``review_interval_days +
        review_tolerance_days`` days after the baseline completion.
    cohort : str or None, default "noream"
        Only families of this cohort (None: every family).
    registry : mapping, optional
        Instrument registry; default: the shipped ``instruments.toml``.

    Returns
    -------
    pandas.DataFrame
        One row per measure x family x respondent with a completion at
        baseline or the follow-up time point (the ``wellbeing_change`` table):

        - ``instrument``, ``measure``, ``family_id``, ``respondent``.
        - ``site``, ``cohort``: from ``families``.
        - ``baseline_date``, ``baseline``: date and score of the baseline completion used.
        - ``followup_date``, ``followup``: the same at the follow-up time point.
        - ``change``: follow-up minus baseline (pairs only).
        - ``due``: a complete baseline and a follow-up due by the data cut
          (or recorded).
        - ``status``: one of :data:`STATUSES` (``pair``, ``no_followup``,
          ``not_due``, ``no_baseline``, ``no_score``).
        - ``rci``: Jacobson-Truax reliable change index, change / S_diff.
        - ``category``: ``improved``, ``no_reliable_change`` or ``deteriorated``
          (|RCI| > 1.96 in the better or worse direction).
        - ``meaningful``: the change reaches the instrument's
          ``meaningful_change`` in the better direction.

    Notes
    -----
    One completion per measure, family, respondent and time point: the
    earliest complete one by date (then response id); see
    :func:`wellbeing_scores`. Follow-up due: for ``review``, the baseline
    completion date plus ``review_interval_days + review_tolerance_days`` is
    on or before ``data_cut``; for ``exit``, the family's ``exit_date`` is on
    or before ``data_cut``; a person with any follow-up completion counts as
    due. ``S_diff = SD_baseline * sqrt(2) * sqrt(1 - reliability)``, with
    SD_baseline the SD of the baseline scores of the pairs of the same
    respondent group and the instrument's registry ``reliability``
    (Jacobson & Truax 1991, via :func:`noream_eval.stats.reliable_change`);
    ``rci`` and ``category`` are missing when the registry gives no
    reliability (per-item scores never use the scale's), for fewer than 2
    pairs, or when the baseline scores do not vary. Missing data: only pairs
    have ``change``, ``rci``, ``category`` and ``meaningful``.

    References
    ----------
    Jacobson NS, Truax P (1991). Clinical significance: a statistical approach
    to defining meaningful change in psychotherapy research. J Consult Clin
    Psychol 59:12-19.
    """
    opts = _Options(
        followup_timepoint,
        None if data_cut is None else pd.Timestamp(data_cut),
        int(review_interval_days),
        int(review_tolerance_days),
        cohort,
    )
    return _all_people(items, families, instrument, registry, opts)[1]


# --------------------------------------------------------------------------- indicators


def _counts(sub: pd.DataFrame) -> dict[str, int]:
    st = sub["status"]
    return {
        "n_with_baseline": int(st.isin(_WITH_BASELINE).sum()),
        "n_due": int(st.isin(_DUE).sum()),
        "n_pairs": int(st.eq("pair").sum()),
        "n_missing_followup": int(st.eq("no_followup").sum()),
        "n_not_due": int(st.eq("not_due").sum()),
        "n_followup_without_baseline": int(st.eq("no_baseline").sum()),
        "n_no_score": int(st.eq("no_score").sum()),
    }


def _cc_text(c: Mapping[str, int]) -> str:
    return (
        f"complete cases ({c['n_pairs']} of {c['n_with_baseline']} with baseline; "
        f"{c['n_missing_followup']} due follow-up(s) missing, {c['n_not_due']} not yet due, "
        f"{c['n_followup_without_baseline']} follow-up(s) without a baseline not paired)"
    )


def _label(inst: Instrument, measure: str) -> str:
    if inst.scoring == "metric":
        return f"{inst.name.upper()} metric score points"
    if inst.scoring == "per_item":
        return f"{measure} item score points"
    return f"{inst.name.upper()} score points"


@dataclass(frozen=True)
class _Ctx:
    inst: Instrument
    measure: str
    group: str
    params: Mapping[str, Any]

    def row(self, suffix: str, **kw: Any) -> dict[str, Any]:
        params = {**self.params, **kw.pop("params", {})}
        return indicator(OUTCOME, f"{self.measure}_{suffix}", group=self.group, params=params, **kw)


def _paired_rows(ctx: _Ctx, sub: pd.DataFrame, c: Mapping[str, int]) -> list[dict[str, Any]]:
    from noream_eval.stats import paired_change

    pairs = sub.loc[sub["status"].eq("pair")]
    cc = _cc_text(c)
    k = c["n_pairs"]
    points = _label(ctx.inst, ctx.measure)
    units = {
        "mean_change": f"{points} (follow-up minus baseline)",
        "d_z": "standardised mean change (d_z)",
        "g_av": "standardised mean change (Hedges' g_av)",
        "wilcoxon": f"{points} (Hodges-Lehmann pseudo-median of the change)",
    }
    if k < 2:
        why = f"not estimable: {k} complete pair(s), at least 2 needed; {cc}"
        return [ctx.row(s, n=k, estimate=None, method=why, unit=u) for s, u in units.items()]
    pre = pairs["baseline"].to_numpy(dtype="float64")
    post = pairs["followup"].to_numpy(dtype="float64")
    res = paired_change(pre, post)
    tab = res.to_frame().set_index("term")
    # The signed-rank test ranks the changes rounded to 1e-9, so that equal changes
    # between converted scores (20.73 - 18.59 and 19.98 - 17.84) tie exactly.
    wil = paired_change(np.zeros(k), np.round(post - pre, 9))
    tab.loc["wilcoxon"] = wil.to_frame().set_index("term").loc["wilcoxon"]
    notes = [d for d in res.details if not d.startswith(("g_av = J", "wilcoxon:"))]
    notes += [d for d in wil.details if d.startswith("wilcoxon:")]
    extra = {
        "mean_baseline": res.mean_pre,
        "mean_followup": res.mean_post,
        "sd_baseline": res.sd_pre,
        "sd_followup": res.sd_post,
        "r_baseline_followup": res.r,
    }
    rows = []
    for suffix, term in (
        ("mean_change", "mean_diff"),
        ("d_z", "d_z"),
        ("g_av", "g_av"),
        ("wilcoxon", "wilcoxon"),
    ):
        t = tab.loc[term]
        params: dict[str, Any] = dict(extra)
        if term == "wilcoxon":
            params["statistic_v"] = float(t["statistic"])
        else:
            params["t"] = float(t["statistic"])
            params["df"] = float(t["df"])
        if notes:
            params["notes"] = notes
        rows.append(
            ctx.row(
                suffix,
                n=k,
                estimate=t["estimate"],
                ci_low=t["ci_low"],
                ci_high=t["ci_high"],
                p_value=t["p_value"],
                method=f"{t['method']}; {cc}",
                unit=units[suffix],
                params=params,
            )
        )
    return rows


def _share_row(
    ctx: _Ctx, suffix: str, count: int | None, k: int, method: str, unit: str, **params: Any
) -> dict[str, Any]:
    from noream_eval.stats import proportion_ci

    if count is None or k == 0:
        return ctx.row(suffix, n=k, estimate=None, method=method, unit=unit, params=params)
    t = proportion_ci(count, k).to_frame().iloc[0]
    return ctx.row(
        suffix,
        n=k,
        estimate=t["estimate"],
        ci_low=t["ci_low"],
        ci_high=t["ci_high"],
        method=method,
        unit=unit,
        params={**params, "count": count},
    )


def _reliable_rows(
    ctx: _Ctx, sub: pd.DataFrame, c: Mapping[str, int], *, seed: int, n_resamples: int
) -> list[dict[str, Any]]:
    rel = _reliability(ctx.inst)
    if rel is None:
        return []
    pairs = sub.loc[sub["status"].eq("pair")]
    k = c["n_pairs"]
    cc = _cc_text(c)
    unit = "share of people with paired scores"
    higher = _direction(ctx.inst, ctx.measure)
    rc = _reliable(pairs["baseline"], pairs["followup"], rel, higher)
    shares = None if rc is None else rc.to_frame().set_index("term")
    rows = []
    for suffix, cat in (
        ("reliable_improvement", "improved"),
        ("reliable_deterioration", "deteriorated"),
    ):
        if rc is None or shares is None:
            why = (
                f"not estimable: the reliable change index needs at least 2 pairs whose "
                f"baseline scores vary; {cc}"
            )
            rows.append(
                ctx.row(
                    suffix, n=k, estimate=None, method=why, unit=unit, params={"reliability": rel}
                )
            )
            continue
        t = shares.loc[cat]
        lo, hi, ci_method = _category_ci(rc, cat, seed=seed, n_resamples=n_resamples)
        method = (
            f"share {cat} by the Jacobson-Truax reliable change index (|RCI| > "
            f"{RCI_CRITERION}; S_diff = SD_baseline x sqrt(2) x sqrt(1 - {rel:g}) = "
            f"{rc.s_diff:.4g}); {ci_method}; {cc}"
        )
        params = {
            "reliability": rel,
            "count": int(t["k"]),
            "s_diff": rc.s_diff,
            "threshold": rc.threshold,
            "sd_baseline": rc.sd,
        }
        rows.append(
            ctx.row(
                suffix,
                n=k,
                estimate=t["estimate"],
                ci_low=lo,
                ci_high=hi,
                method=method,
                unit=unit,
                params=params,
            )
        )
    return rows


def _meaningful_row(ctx: _Ctx, sub: pd.DataFrame, c: Mapping[str, int]) -> list[dict[str, Any]]:
    mc = ctx.inst.meaningful_change
    if mc is None:
        return []
    pairs = sub.loc[sub["status"].eq("pair")]
    k = c["n_pairs"]
    cc = _cc_text(c)
    unit = "share of people with paired scores"
    if k == 0:
        why = f"not estimable: no complete pairs; {cc}"
        return [_share_row(ctx, "meaningful_change_share", None, 0, why, unit)]
    count = int(pairs["meaningful"].eq(True).sum())
    direction = "increase" if _direction(ctx.inst, ctx.measure) else "decrease"
    method = (
        f"share whose score changed by at least the meaningful change ({mc:g} points, "
        f"{direction}); Wilson score interval; {cc}"
    )
    return [
        _share_row(ctx, "meaningful_change_share", count, k, method, unit, meaningful_change=mc)
    ]


def _mean_ci(values: np.ndarray, mu0: float | None) -> tuple[float, float, float, float]:
    from scipy import stats

    n = len(values)
    mean = float(values.mean())
    if n < 2:
        return mean, math.nan, math.nan, math.nan
    se = float(values.std(ddof=1)) / math.sqrt(n)
    q = float(stats.t.ppf(0.975, n - 1))
    p = math.nan
    if mu0 is not None and se > 0:
        p = float(2 * stats.t.sf(abs((mean - mu0) / se), n - 1))
    return mean, mean - q * se, mean + q * se, p


def _baseline_row(ctx: _Ctx, sub: pd.DataFrame, c: Mapping[str, int]) -> dict[str, Any]:
    inst = ctx.inst
    pop = inst.population_mean if inst.scoring != "per_item" else None
    values = sub.loc[sub["status"].isin(_WITH_BASELINE), "baseline"].to_numpy(dtype="float64")
    n = len(values)
    unit = _label(inst, ctx.measure)
    params = {"population_mean": pop}
    if n == 0:
        why = (
            "not estimable: no complete baseline score "
            f"({c['n_no_score']} people with only incomplete questionnaires)"
        )
        return ctx.row("baseline_mean", n=0, estimate=None, method=why, unit=unit, params=params)
    mean, lo, hi, p = _mean_ci(values, pop)
    test = (
        f"; one-sample t-test against the published population mean {pop:g}"
        if pop is not None
        else ""
    )
    method = (
        f"mean of the complete baseline scores of everyone with one ({n}); t interval{test}"
        + ("; no interval with one score" if n < 2 else "")
    )
    params["sd"] = float(values.std(ddof=1)) if n > 1 else None
    return ctx.row(
        "baseline_mean",
        n=n,
        estimate=mean,
        ci_low=lo,
        ci_high=hi,
        p_value=p,
        method=method,
        unit=unit,
        params=params,
    )


def _groups(people: pd.DataFrame, fam: pd.DataFrame, cohort: str | None) -> list[tuple[str, Any]]:
    """(group label, row mask) pairs: parent/carers, other respondents, sites."""
    resp = people["respondent"]
    groups: list[tuple[str, Any]] = [("all", resp.eq(PRIMARY_RESPONDENT).fillna(False))]
    for r in sorted(set(resp.dropna()) - {PRIMARY_RESPONDENT}):
        groups.append((f"respondent:{r}", resp.eq(r).fillna(False)))
    sites = fam.loc[fam["cohort"].eq(cohort).fillna(False)] if cohort is not None else fam
    names = sorted(sites["site"].dropna().unique())
    if len(names) > 1:
        for s in names:
            mask = resp.eq(PRIMARY_RESPONDENT).fillna(False) & people["site"].eq(s).fillna(False)
            groups.append((f"site:{s}", mask))
    return groups


def _base_params(inst: Instrument, measure: str, opts: _Options, respondent: str) -> dict:
    return {
        "instrument": inst.name,
        "measure": measure,
        "scoring": inst.scoring,
        "respondent": respondent,
        "followup_timepoint": opts.followup_timepoint,
        "data_cut": opts.data_cut,
        "review_interval_days": opts.review_interval_days,
        "review_tolerance_days": opts.review_tolerance_days,
        "cohort": opts.cohort,
        "higher_is_better": _direction(inst, measure),
        "sem": inst.sem,
        "selection": "earliest complete completion per family, respondent and time point",
    }


def _measure_rows(
    people: pd.DataFrame,
    fam: pd.DataFrame,
    inst: Instrument,
    measure: str,
    opts: _Options,
    *,
    imputations: int,
    seed: int,
    n_resamples: int = AnalysisPlan.bootstrap_resamples,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    mine = people.loc[people["measure"].eq(measure).fillna(False)]
    for group, mask in _groups(mine, fam, opts.cohort):
        sub = mine.loc[mask]
        c = _counts(sub)
        respondent = group.split(":", 1)[1] if group.startswith("respondent:") else "parent_carer"
        ctx = _Ctx(inst, measure, group, {**_base_params(inst, measure, opts, respondent), **c})
        rows.append(_baseline_row(ctx, sub, c))
        paired = _paired_rows(ctx, sub, c)
        if group.startswith("site:"):
            rows.append(paired[0])
            continue
        rows.extend(paired)
        rows.extend(_reliable_rows(ctx, sub, c, seed=seed, n_resamples=n_resamples))
        rows.extend(_meaningful_row(ctx, sub, c))
        if group == "all":
            rows.extend(_sensitivity_rows(ctx, sub, fam, c, imputations=imputations, seed=seed))
    return rows


# --------------------------------------------------------------------------- sensitivity


def _covariates(due: pd.DataFrame, fam: pd.DataFrame) -> pd.DataFrame:
    """Baseline characteristics as numbers: n_children and 0/1 columns of the categories."""
    f = due[["family_id"]].merge(fam, on="family_id", how="left")
    out = pd.DataFrame(index=due.index)
    if "n_children" in f.columns:
        out["n_children"] = pd.to_numeric(f["n_children"], errors="coerce").to_numpy(
            dtype="float64"
        )
    for col in _CATEGORICAL:
        if col not in f.columns:
            continue
        values = f[col].astype("string").fillna("unknown")
        counts = values.value_counts()
        for level in counts.index[1:]:  # the most common level is the reference
            out[f"{col}={level}"] = values.eq(level).to_numpy(dtype="float64")
    keep = [c for c in out.columns if out[c].nunique(dropna=True) > 1]
    return out[keep]


def _mean_change_analysis(completed: pd.DataFrame) -> pd.DataFrame:
    """Mean of follow-up minus baseline with its standard error (one completed data set)."""
    d = (completed["followup"] - completed["baseline"]).to_numpy(dtype="float64")
    n = len(d)
    return pd.DataFrame(
        {
            "term": ["mean_change"],
            "estimate": [float(d.mean())],
            "se": [float(d.std(ddof=1)) / math.sqrt(n)],
            "df": [float(n - 1)],
        }
    )


def _sensitivity_rows(
    ctx: _Ctx,
    sub: pd.DataFrame,
    fam: pd.DataFrame,
    c: Mapping[str, int],
    *,
    imputations: int,
    seed: int,
) -> list[dict[str, Any]]:
    due = sub.loc[sub["status"].isin(_DUE)].reset_index(drop=True)
    unit = f"{_label(ctx.inst, ctx.measure)} (follow-up minus baseline)"
    return [
        _mi_row(ctx, due, fam, c, unit, imputations=imputations, seed=seed),
        *_bound_rows(ctx, due, c, unit),
    ]


def _mi_row(
    ctx: _Ctx,
    due: pd.DataFrame,
    fam: pd.DataFrame,
    c: Mapping[str, int],
    unit: str,
    *,
    imputations: int,
    seed: int,
) -> dict[str, Any]:
    from noream_eval.stats import multiple_imputation

    n_due, n_miss = c["n_due"], c["n_missing_followup"]
    scope = (
        f"{n_due} people with a baseline whose follow-up was due ({n_miss} missing, imputed); "
        f"{c['n_not_due']} not yet due left out"
    )
    suffix = "mean_change_mi"
    cov = _covariates(due, fam)
    data = pd.concat(
        [due[["baseline", "followup"]].astype("float64").reset_index(drop=True), cov], axis=1
    )
    variables = list(data.columns)
    params = {"imputations": imputations, "seed": seed, "variables": variables}
    if c["n_pairs"] < 2:
        why = f"not estimable: {c['n_pairs']} complete pair(s), at least 2 needed; {scope}"
        return ctx.row(suffix, n=n_due, estimate=None, method=why, unit=unit, params=params)
    try:
        res = multiple_imputation(
            data, analysis=_mean_change_analysis, m=imputations, seed=seed, variables=variables
        )
    except StatsInputError as exc:
        why = f"not estimable: {exc} ({scope})"
        return ctx.row(suffix, n=n_due, estimate=None, method=why, unit=unit, params=params)
    t = res.to_frame().iloc[0]
    params.update({k: float(t[k]) for k in ("se", "df", "within_var", "between_var", "riv", "fmi")})
    method = (
        f"{t['method']}; follow-up imputed from the baseline score and baseline "
        f"characteristics (cohort, site, n_children, youngest child's age band, immigration "
        f"status; constant ones dropped); mean of follow-up minus baseline over {scope}"
    )
    return ctx.row(
        suffix,
        n=n_due,
        estimate=t["estimate"],
        ci_low=t["ci_low"],
        ci_high=t["ci_high"],
        p_value=t["p_value"],
        method=method,
        unit=unit,
        params=params,
    )


def _bound_rows(
    ctx: _Ctx, due: pd.DataFrame, c: Mapping[str, int], unit: str
) -> list[dict[str, Any]]:
    from scipy import stats

    n_due, n_miss, k = c["n_due"], c["n_missing_followup"], c["n_pairs"]
    scope = (
        f"{n_due} people with a baseline whose follow-up was due ({n_miss} missing); "
        f"{c['n_not_due']} not yet due left out"
    )
    if k < 2:
        why = f"not estimable: {k} complete pair(s), at least 2 needed; {scope}"
        return [
            ctx.row(f"mean_change_bound_{side}", n=n_due, estimate=None, method=why, unit=unit)
            for side in ("low", "high")
        ]
    pairs = due.loc[due["status"].eq("pair")]
    mean, sd = float(pairs["change"].mean()), float(pairs["change"].std(ddof=1))
    lo_score, hi_score = _score_range(ctx.inst)
    missing = due["status"].eq("no_followup").to_numpy()
    rows = []
    for side, sign in (("low", -1.0), ("high", 1.0)):
        fill = mean + sign * _BOUND_SD * sd
        follow = due["followup"].to_numpy(dtype="float64").copy()
        base = due["baseline"].to_numpy(dtype="float64")
        follow[missing] = np.clip(base[missing] + fill, lo_score, hi_score)
        change = follow - base
        est = float(change.mean())
        se = float(change.std(ddof=1)) / math.sqrt(n_due)
        q = float(stats.t.ppf(0.975, n_due - 1))
        p = float(2 * stats.t.sf(abs(est / se), n_due - 1)) if se > 0 else math.nan
        word = "minus" if sign < 0 else "plus"
        method = (
            f"{'lower' if sign < 0 else 'upper'} bound (best/worst case, Jakobsen et al. "
            f"2017): each missing follow-up set to the baseline plus the observed mean change "
            f"{word} {_BOUND_SD:g} SD ({fill:.3g} points), kept within the scale "
            f"({lo_score:g} to {hi_score:g}); mean of follow-up minus baseline over {scope}; "
            "t interval treating the filled values as observed"
        )
        rows.append(
            ctx.row(
                f"mean_change_bound_{side}",
                n=n_due,
                estimate=est,
                ci_low=est - q * se,
                ci_high=est + q * se,
                p_value=p,
                method=method,
                unit=unit,
                params={"fill_change": fill, "observed_mean": mean, "observed_sd": sd},
            )
        )
    return rows


# --------------------------------------------------------------------------- tables


def _reliable_table(
    people: pd.DataFrame,
    registry_inst: Mapping[str, Instrument],
    *,
    seed: int,
    n_resamples: int,
) -> pd.DataFrame:
    cols = [
        "instrument",
        "measure",
        "respondent",
        "category",
        "n",
        "share",
        "ci_low",
        "ci_high",
        "n_pairs",
        "reliability",
        "sd_baseline",
        "s_diff",
        "threshold",
    ]
    rows = []
    for (name, measure, resp), g in people.groupby(
        ["instrument", "measure", "respondent"], sort=True
    ):
        inst = registry_inst[str(name)]
        pairs = g.loc[g["status"].eq("pair")]
        higher = _direction(inst, str(measure))
        rc = _reliable(pairs["baseline"], pairs["followup"], _reliability(inst), higher)
        if rc is None:
            continue
        for t in rc.to_frame().itertuples(index=False):
            lo, hi, _ = _category_ci(rc, str(t.term), seed=seed, n_resamples=n_resamples)
            rows.append(
                {
                    "instrument": name,
                    "measure": measure,
                    "respondent": resp,
                    "category": t.term,
                    "n": int(t.k),
                    "share": float(t.estimate),
                    "ci_low": float(lo),
                    "ci_high": float(hi),
                    "n_pairs": int(t.n),
                    "reliability": rc.reliability,
                    "sd_baseline": rc.sd,
                    "s_diff": rc.s_diff,
                    "threshold": rc.threshold,
                }
            )
    out = pd.DataFrame(rows, columns=cols)
    for c in ("instrument", "measure", "respondent", "category"):
        out[c] = out[c].astype("string")
    for c in ("n", "n_pairs"):
        out[c] = out[c].astype("int64")
    return out


#: Columns of :func:`wellbeing_paired_summary`.
PAIRED_SUMMARY_COLUMNS: tuple[str, ...] = (
    "instrument",
    "measure",
    "respondent",
    "timepoint",
    "n",
    "mean",
    "sd",
    "ci_low",
    "ci_high",
    "p10",
    "p25",
    "median",
    "p75",
    "p90",
)


def _paired_summary_table(people: pd.DataFrame) -> pd.DataFrame:
    cols = list(PAIRED_SUMMARY_COLUMNS)
    rows = []
    pairs = people.loc[people["status"].eq("pair").fillna(False)]
    for (name, measure, resp), g in pairs.groupby(
        ["instrument", "measure", "respondent"], sort=True
    ):
        for timepoint in ("baseline", "followup", "change"):
            x = pd.to_numeric(g[timepoint], errors="coerce").dropna().to_numpy(dtype="float64")
            if not len(x):
                continue
            mean, lo, hi, _ = _mean_ci(x, None)
            q = np.quantile(x, [0.1, 0.25, 0.5, 0.75, 0.9])
            rows.append(
                {
                    "instrument": name,
                    "measure": measure,
                    "respondent": resp,
                    "timepoint": timepoint,
                    "n": len(x),
                    "mean": mean,
                    "sd": float(x.std(ddof=1)) if len(x) > 1 else math.nan,
                    "ci_low": lo,
                    "ci_high": hi,
                    **dict(zip(cols[9:], q.tolist(), strict=True)),
                }
            )
    out = pd.DataFrame(rows, columns=cols)
    for c in cols[:4]:
        out[c] = out[c].astype("string")
    out["n"] = out["n"].astype("int64")
    for c in cols[5:]:
        out[c] = out[c].astype("float64")
    return out


def _fisher(table: np.ndarray, seed: int) -> tuple[float, str]:
    from scipy import stats

    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return math.nan, "no test: one level, or a group with nobody"
    if table.shape == (2, 2):
        return float(stats.fisher_exact(table).pvalue), "Fisher's exact test"
    method = stats.MonteCarloMethod(n_resamples=_FISHER_TABLES, rng=np.random.default_rng(seed))
    # scipy returns the p-value as a one-element array for some tables
    pvalue = np.asarray(stats.fisher_exact(table, method=method).pvalue, dtype=float).ravel()
    p = float(pvalue[0]) if pvalue.size == 1 else math.nan
    return p, f"Fisher-Freeman-Halton exact test, Monte Carlo p ({_FISHER_TABLES} tables)"


def _attrition_table(people: pd.DataFrame, fam: pd.DataFrame, seed: int) -> pd.DataFrame:
    from scipy import stats

    cols = [
        "instrument",
        "measure",
        "characteristic",
        "level",
        "completers",
        "non_completers",
        "completers_value",
        "non_completers_value",
        "completers_sd",
        "non_completers_sd",
        "test",
        "p_value",
    ]
    rows: list[dict[str, Any]] = []
    parents = people.loc[
        people["respondent"].eq(PRIMARY_RESPONDENT).fillna(False) & people["status"].isin(_DUE)
    ]
    for (name, measure), g in parents.groupby(["instrument", "measure"], sort=False):
        g = g.merge(fam.drop(columns=["site", "cohort"]), on="family_id", how="left").reset_index(
            drop=True
        )
        done = g["status"].eq("pair").to_numpy()
        base = {"instrument": name, "measure": measure}
        rows.append(
            {
                **base,
                "characteristic": "people",
                "level": "n",
                "completers": int(done.sum()),
                "non_completers": int((~done).sum()),
                "test": "",
            }
        )
        for col in _CATEGORICAL:
            values = g[col].astype("string").fillna("unknown")
            levels = sorted(values.unique())
            table = np.array(
                [
                    [int((values[done] == lv).sum()) for lv in levels],
                    [int((values[~done] == lv).sum()) for lv in levels],
                ]
            )
            p, test = _fisher(table, seed)
            for j, lv in enumerate(levels):
                rows.append(
                    {
                        **base,
                        "characteristic": col,
                        "level": lv,
                        "completers": int(table[0, j]),
                        "non_completers": int(table[1, j]),
                        "completers_value": table[0, j] / max(int(done.sum()), 1),
                        "non_completers_value": table[1, j] / max(int((~done).sum()), 1),
                        "test": test,
                        "p_value": p,
                    }
                )
        for col, label in (("n_children", "n_children"), ("baseline", "baseline_score")):
            x = pd.to_numeric(g[col], errors="coerce").to_numpy(dtype="float64")
            a, b = x[done & ~np.isnan(x)], x[~done & ~np.isnan(x)]
            if len(a) >= 2 and len(b) >= 2:
                res = stats.ttest_ind(a, b, equal_var=False)
                p, test = float(res.pvalue), "Welch two-sample t-test"
            else:
                p, test = math.nan, "no test: fewer than 2 people in a group"
            rows.append(
                {
                    **base,
                    "characteristic": label,
                    "level": "mean",
                    "completers": len(a),
                    "non_completers": len(b),
                    "completers_value": float(a.mean()) if len(a) else math.nan,
                    "non_completers_value": float(b.mean()) if len(b) else math.nan,
                    "completers_sd": float(a.std(ddof=1)) if len(a) > 1 else math.nan,
                    "non_completers_sd": float(b.std(ddof=1)) if len(b) > 1 else math.nan,
                    "test": test,
                    "p_value": p,
                }
            )
    out = pd.DataFrame(rows, columns=cols)
    for c in ("instrument", "measure", "characteristic", "level", "test"):
        out[c] = out[c].astype("string")
    for c in ("completers", "non_completers"):
        out[c] = out[c].astype("int64")
    for c in [*cols[6:10], "p_value"]:
        out[c] = out[c].astype("float64")
    return out


# --------------------------------------------------------------------------- public tables


def _opts(
    followup_timepoint: str,
    data_cut: Any,
    review_interval_days: int,
    review_tolerance_days: int,
    cohort: str | None,
) -> _Options:
    return _Options(
        followup_timepoint,
        None if data_cut is None else pd.Timestamp(data_cut),
        int(review_interval_days),
        int(review_tolerance_days),
        cohort,
    )


def wellbeing_indicators(
    items: pd.DataFrame,
    families: pd.DataFrame | None = None,
    *,
    instrument: str | Instrument = "swemwbs",
    followup_timepoint: str = "review",
    data_cut: Any = None,
    review_interval_days: int = AnalysisPlan.review_interval_days,
    review_tolerance_days: int = AnalysisPlan.review_tolerance_days,
    cohort: str | None = "noream",
    imputations: int = AnalysisPlan.imputations,
    seed: int = AnalysisPlan.seed,
    n_resamples: int = AnalysisPlan.bootstrap_resamples,
    registry: Mapping[str, Instrument] | None = None,
) -> pd.DataFrame:
    """The Outcome 3 wellbeing indicators of one instrument.

    Parameters
    ----------
    items, families : pandas.DataFrame
        The canonical ``wellbeing_items`` and ``families`` tables.
    instrument, followup_timepoint, data_cut, cohort : optional
        As in :func:`wellbeing_people`.
    review_interval_days, review_tolerance_days : int, optional
        As in :func:`wellbeing_people`.
    imputations, seed : int, default 20 and 20210201
        Imputed data sets and random seed of the multiple imputation and of the
        bootstrap (``[analysis] imputations`` and ``seed``).
    n_resamples : int, default 2000
        Bootstrap resamples of the reliable change shares' intervals
        (``[analysis] bootstrap_resamples``).
    registry : mapping, optional
        Instrument registry; default: the shipped ``instruments.toml``.

    Returns
    -------
    pandas.DataFrame
        Indicator rows (columns of
        :data:`~noream_eval.metrics.core.INDICATOR_COLUMNS`), per measure
        ``M`` (``swemwbs``; ``ons4_anxiety``, ...):

        - ``M_baseline_mean``: mean baseline score, t interval, p of a
          one-sample t-test against the registry's ``population_mean``
          (given in ``params``).
        - ``M_mean_change``: mean change (follow-up minus baseline), t interval,
          paired t-test p.
        - ``M_d_z``, ``M_g_av``: Cohen's d_z and Hedges' g_av with
          noncentral-t intervals, paired t-test p.
        - ``M_wilcoxon``: Hodges-Lehmann pseudo-median of the change with its
          interval; p of the Wilcoxon signed-rank test (V in ``params``).
        - ``M_reliable_improvement``, ``M_reliable_deterioration``: shares of
          pairs with reliable change (when the registry gives a reliability),
          BCa bootstrap intervals over the pairs that re-estimate S_diff in
          each resample (the Wilson interval, and why, when the bootstrap
          cannot measure the uncertainty, e.g. a share of 0).
        - ``M_meaningful_change_share``: share whose change reaches the
          registry's ``meaningful_change`` in the better direction (when given).
        - ``M_mean_change_mi`` (group ``all`` only): mean change over everyone
          with a baseline whose follow-up was due, missing follow-ups multiply
          imputed, Rubin's rules.
        - ``M_mean_change_bound_low``, ``M_mean_change_bound_high`` (group
          ``all`` only): the same with each missing follow-up set by the
          best/worst-case rule.

        Groups: ``all`` (parent/carers), ``respondent:R`` for each other
        respondent with completions, and ``site:S`` per site of the cohort's
        families (rows ``M_baseline_mean`` and ``M_mean_change``; only when
        there is more than one site). ``n`` counts people: pairs for the
        complete-case rows, people with a baseline for ``M_baseline_mean``,
        people with a baseline whose follow-up was due for the sensitivity rows.

    Notes
    -----
    Change is follow-up minus baseline, from :func:`wellbeing_people`;
    :func:`noream_eval.stats.paired_change` gives the mean change, d_z, g_av
    (Lakens 2013) and the Wilcoxon test, :func:`noream_eval.stats.reliable_change`
    the reliable change index (Jacobson & Truax 1991). Every complete-case row
    says so in ``method``: "complete cases (k of n with baseline; ...)".
    An indicator with fewer than 2 pairs has ``estimate`` NaN and a method
    text starting "not estimable:" that says why; with no complete score at
    all, ``n`` is 0.

    Missing follow-ups: multiple imputation by chained equations
    (:func:`noream_eval.stats.multiple_imputation`, predictive mean matching)
    imputes the follow-up score from the baseline score, ``n_children`` and
    0/1 columns of cohort, site, youngest child's age band and immigration
    status (the most common level as reference; constant columns dropped),
    ``imputations`` data sets with ``seed``, pooled by Rubin's rules with
    Barnard-Rubin degrees of freedom. The bounds follow the best/worst-case
    rule of Jakobsen et al. (2017): every missing follow-up is set to its
    baseline plus the observed mean change minus (lower bound) or plus
    (upper bound) 2 SD of the observed change, kept within the scale; the
    interval treats the filled values as observed. Follow-ups not yet due at
    the data cut are left out of both.

    References
    ----------
    Jakobsen JC, Gluud C, Wetterslev J, Winkel P (2017). When and how should
    multiple imputation be used for handling missing data in randomised
    clinical trials - a practical guide with flowcharts. BMC Med Res Methodol
    17:162.

    Lakens D (2013). Calculating and reporting effect sizes to facilitate
    cumulative science: a practical primer for t-tests and ANOVAs. Front
    Psychol 4:863.

    van Buuren S (2018). Flexible Imputation of Missing Data, 2nd ed. CRC Press.
    """
    opts = _opts(followup_timepoint, data_cut, review_interval_days, review_tolerance_days, cohort)
    inst, people = _all_people(items, families, instrument, registry, opts)
    fam = _family_frame(families)
    rows = []
    for measure in inst.measures():
        rows += _measure_rows(
            people,
            fam,
            inst,
            measure,
            opts,
            imputations=int(imputations),
            seed=int(seed),
            n_resamples=int(n_resamples),
        )
    return indicator_table(rows)


def wellbeing_reliable_change(
    items: pd.DataFrame,
    families: pd.DataFrame | None = None,
    *,
    instrument: str | Instrument = "swemwbs",
    followup_timepoint: str = "review",
    data_cut: Any = None,
    review_interval_days: int = AnalysisPlan.review_interval_days,
    review_tolerance_days: int = AnalysisPlan.review_tolerance_days,
    cohort: str | None = "noream",
    seed: int = AnalysisPlan.seed,
    n_resamples: int = AnalysisPlan.bootstrap_resamples,
    registry: Mapping[str, Instrument] | None = None,
) -> pd.DataFrame:
    """People improved, unchanged and deteriorated by the reliable change index.

    Parameters
    ----------
    items, families : pandas.DataFrame
        The canonical ``wellbeing_items`` and ``families`` tables.
    instrument, followup_timepoint, data_cut, cohort, registry : optional
        As in :func:`wellbeing_people`.
    review_interval_days, review_tolerance_days : int, optional
        As in :func:`wellbeing_people`.
    seed, n_resamples : int, default 20210201 and 2000
        Seed and resamples of the bootstrap intervals (``[analysis] seed`` and
        ``bootstrap_resamples``).

    Returns
    -------
    pandas.DataFrame
        One row per measure x respondent x category (``improved``,
        ``no_reliable_change``, ``deteriorated``) with columns ``instrument``,
        ``measure``, ``respondent``, ``category``, ``n`` (people in the
        category), ``share`` (of ``n_pairs``), ``ci_low``, ``ci_high`` (BCa
        bootstrap interval over the pairs, S_diff re-estimated in each
        resample; the Wilson score interval when the bootstrap cannot measure
        the uncertainty), ``n_pairs``, ``reliability``,
        ``sd_baseline`` (SD of the pairs' baseline scores), ``s_diff``
        and ``threshold`` (1.96 x S_diff, in score points).

    Notes
    -----
    Categories from :func:`wellbeing_people`; measures without a registry
    reliability, and groups whose index cannot be computed, have no rows.
    """
    opts = _opts(followup_timepoint, data_cut, review_interval_days, review_tolerance_days, cohort)
    inst, people = _all_people(items, families, instrument, registry, opts)
    return _reliable_table(people, {inst.name: inst}, seed=int(seed), n_resamples=int(n_resamples))


def wellbeing_paired_summary(
    items: pd.DataFrame,
    families: pd.DataFrame | None = None,
    *,
    instrument: str | Instrument = "swemwbs",
    followup_timepoint: str = "review",
    data_cut: Any = None,
    review_interval_days: int = AnalysisPlan.review_interval_days,
    review_tolerance_days: int = AnalysisPlan.review_tolerance_days,
    cohort: str | None = "noream",
    registry: Mapping[str, Instrument] | None = None,
) -> pd.DataFrame:
    """Baseline, follow-up and change scores of the complete pairs, summarised.

    The aggregate a figure of paired change needs, so that no per-person
    score has to be published.

    Parameters
    ----------
    items, families : pandas.DataFrame
        The canonical ``wellbeing_items`` and ``families`` tables.
    instrument, followup_timepoint, data_cut, cohort, registry : optional
        As in :func:`wellbeing_people`.
    review_interval_days, review_tolerance_days : int, optional
        As in :func:`wellbeing_people`.

    Returns
    -------
    pandas.DataFrame
        One row per measure x respondent x time point (``baseline``,
        ``followup``, ``change``: follow-up minus baseline) over the people
        with a complete pair (respondents without one have no rows). Columns:
        ``instrument``, ``measure``, ``respondent``, ``timepoint``, ``n``
        (pairs), ``mean``, ``sd``, ``ci_low``, ``ci_high`` (t interval, 95%;
        NaN with one pair), ``p10``, ``p25``, ``median``, ``p75``, ``p90``
        (quantiles by linear interpolation, R's ``quantile`` type 7).

    Notes
    -----
    The ``change`` row's mean and interval are those of the indicator
    ``<measure>_mean_change``. A quantile of a few pairs is one person's
    score: publish the quantiles only where ``n`` is published.

    Examples
    --------
    >>> from noream_eval import load_sample
    >>> data = load_sample()
    >>> summary = wellbeing_paired_summary(data.wellbeing_items, data.families,
    ...                                    data_cut="2022-06-30")
    >>> summary.loc[summary["respondent"] == "parent_carer", ["timepoint", "n"]].to_numpy().tolist()
    [['baseline', 52], ['followup', 52], ['change', 52]]
    """
    opts = _opts(followup_timepoint, data_cut, review_interval_days, review_tolerance_days, cohort)
    _, people = _all_people(items, families, instrument, registry, opts)
    return _paired_summary_table(people)


def wellbeing_attrition(
    items: pd.DataFrame,
    families: pd.DataFrame | None = None,
    *,
    instrument: str | Instrument = "swemwbs",
    followup_timepoint: str = "review",
    data_cut: Any = None,
    review_interval_days: int = AnalysisPlan.review_interval_days,
    review_tolerance_days: int = AnalysisPlan.review_tolerance_days,
    cohort: str | None = "noream",
    seed: int = AnalysisPlan.seed,
    registry: Mapping[str, Instrument] | None = None,
) -> pd.DataFrame:
    """Baseline characteristics of parent/carers with and without their due follow-up.

    Parameters
    ----------
    items, families : pandas.DataFrame
        The canonical ``wellbeing_items`` and ``families`` tables.
    instrument, followup_timepoint, data_cut, cohort, registry : optional
        As in :func:`wellbeing_people`.
    review_interval_days, review_tolerance_days : int, optional
        As in :func:`wellbeing_people`.
    seed : int, default 20210201
        Seed of the Monte Carlo Fisher test of tables larger than 2 x 2.

    Returns
    -------
    pandas.DataFrame
        Per measure, for parent/carers with a complete baseline whose
        follow-up was due: completers (a complete follow-up) against
        non-completers. Columns:

        - ``instrument``, ``measure``.
        - ``characteristic``: ``people``, ``cohort``, ``site``,
          ``youngest_child_age_band``, ``immigration_status``, ``n_children``
          or ``baseline_score``.
        - ``level``: the category level, ``n`` (row ``people``) or ``mean``.
        - ``completers``, ``non_completers``: people in the level (categories)
          or with a value (numbers).
        - ``completers_value``, ``non_completers_value``: the share of the
          group in the level, or the mean.
        - ``completers_sd``, ``non_completers_sd``: SD of a number.
        - ``test``, ``p_value``: Fisher's exact test of the 2 x k table
          (exact for 2 x 2, otherwise the Fisher-Freeman-Halton test with a
          Monte Carlo p-value from 20,000 tables) for categories; Welch's
          two-sample t-test for numbers.

    Notes
    -----
    Missing follow-ups are not missing at random when completers differ from
    non-completers at baseline; a difference here says the complete-case
    change describes the completers only. A blank category is ``unknown``;
    a missing ``n_children`` is left out of its test.
    """
    opts = _opts(followup_timepoint, data_cut, review_interval_days, review_tolerance_days, cohort)
    _, people = _all_people(items, families, instrument, registry, opts)
    return _attrition_table(people, _family_frame(families), int(seed))


# --------------------------------------------------------------------------- compute


def compute(data: Any, settings: Settings) -> Part:
    """Every Outcome 3 indicator and supporting table (wellbeing and support domains).

    Parameters
    ----------
    data : EvaluationData
        Canonical tables.
    settings : Settings
        Dates, parameters, instrument registry and analysis plan.

    Returns
    -------
    Part
        Indicators of the plan's ``wellbeing_instrument`` (always, with
        ``n`` = 0 rows when it has no data) and of every other instrument in
        ``wellbeing_items``, plus ``domain_distance_travelled``; tables
        ``wellbeing_scores``, ``wellbeing_change``, ``wellbeing_reliable_change``,
        ``wellbeing_paired_summary``, ``wellbeing_completeness``,
        ``wellbeing_attrition``, ``domain_distance`` and
        ``domain_distance_by_family`` (see ``docs/outcomes.md``).
    """
    from noream_eval.metrics import domains

    plan = settings.plan
    registry = settings.instruments
    items = data.wellbeing_items
    opts = _Options(
        plan.followup_timepoint,
        settings.data_cut,
        plan.review_interval_days,
        plan.review_tolerance_days,
        settings.programme,
    )
    names = [plan.wellbeing_instrument] + [
        n for n in _instruments_in(items) if n != plan.wellbeing_instrument
    ]
    fam = _family_frame(data.families)
    rows: list[dict[str, Any]] = []
    people_parts = []
    used: dict[str, Instrument] = {}
    for name in names:
        inst, people = _all_people(items, data.families, name, registry, opts)
        used[name] = inst
        people_parts.append(people)
        for measure in inst.measures():
            rows += _measure_rows(
                people,
                fam,
                inst,
                measure,
                opts,
                imputations=plan.imputations,
                seed=plan.seed,
                n_resamples=plan.bootstrap_resamples,
            )
    people = pd.concat(people_parts, ignore_index=True)
    lo, hi = settings.parameters["score_min"], settings.parameters["score_max"]
    changes = domains.domain_changes(data.domain_scores, score_min=lo, score_max=hi)
    summaries = domains._summaries(changes)  # one Wilcoxon interval search per domain
    rows += domains._indicator_rows(changes, score_min=lo, score_max=hi, summaries=summaries)
    tables = {
        "wellbeing_scores": wellbeing_scores(items, registry=registry),
        "wellbeing_change": people,
        "wellbeing_reliable_change": _reliable_table(
            people, used, seed=plan.seed, n_resamples=plan.bootstrap_resamples
        ),
        "wellbeing_paired_summary": _paired_summary_table(people),
        "wellbeing_completeness": wellbeing_completeness(items, registry=registry),
        "wellbeing_attrition": _attrition_table(people, fam, plan.seed),
        "domain_distance": domains._summary_frame(changes, summaries=summaries),
        "domain_distance_by_family": domains._family_means(changes),
    }
    return Part(indicators=rows, tables=tables)
