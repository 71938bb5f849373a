"""The canonical tables: their columns, types and category levels.

This module is the single description of the canonical schema (``docs/data_model.md``
explains it in words).
Ingest builds its pandera validators from it, :class:`~noream_eval.EvaluationData`
uses it to give every table its canonical dtypes, and metrics rely on it.

Keys are pseudonymous strings, dates are ``datetime64[ns]`` at day precision,
categories are pandas ``category`` with the listed levels plus ``unknown``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

__all__ = [
    "LEVELS",
    "TABLES",
    "Field",
    "TableSpec",
    "conform",
    "empty_table",
]

Kind = Literal["key", "date", "category", "int", "float", "str", "text", "list"]

UNKNOWN = "unknown"

#: Category levels of the canonical schema (``unknown`` is added to each).
LEVELS: dict[str, tuple[str, ...]] = {
    "cohort": ("noream", "comparison", "not_enrolled"),
    "eligibility": ("eligible", "not_eligible"),
    "not_enrolled_reason": ("declined", "not_eligible", "no_capacity", "moved_away", "other"),
    "exit_reason": ("status_resolved", "moved_away", "disengaged", "escalated_s17", "other"),
    "age_band": ("0-4", "5-10", "11-15", "16-17"),
    "immigration_status": (
        "no_leave",
        "leave_nrpf_condition",
        "asylum_pending",
        "eea",
        "leave_with_recourse",
        "other",
    ),
    "referral_source": (
        "health",
        "education",
        "voluntary_sector",
        "self",
        "housing",
        "legal",
        "police",
        "other_la_service",
    ),
    "referral_outcome": ("nfa", "signposted", "early_action", "s17_assessment", "other"),
    "scheme": ("s17", "noream_grant"),
    "payment_type": ("accommodation", "subsistence", "grant", "other"),
    "timepoint": ("baseline", "review", "exit"),
    "domain": (
        "immigration",
        "health_wellbeing",
        "housing",
        "food_security",
        "income_employment",
        "education_training_leisure",
        "support_network",
    ),
    "respondent": ("parent_carer", "child"),
    "meeting_kind": ("snac", "case_consultation"),
    "deliverable_kind": ("manual", "training_session", "working_paper", "map_strategy"),
    "deliverable_status": ("planned", "in_progress", "complete", "published"),
    "agency": (
        "childrens_social_care",
        "adult_social_care",
        "housing",
        "health",
        "education",
        "immigration_advice",
        "legal",
        "police",
        "voluntary_sector",
        "public_health",
        "welfare_benefits",
    ),
    "directorate": (
        "childrens_services",
        "adult_services",
        "housing",
        "public_health",
        "education",
        "finance",
        "community_safety",
    ),
    "staff_role": (
        "social_worker",
        "manager",
        "immigration_advisor",
        "housing_support",
        "other",
    ),
    "worker_role": ("social_worker", "immigration_advisor", "housing_support_worker", "other"),
    "contact_mode": ("face_to_face", "phone", "video", "other"),
}


@dataclass(frozen=True)
class Field:
    """One column of a canonical table.

    Parameters
    ----------
    name
        Canonical column name.
    kind
        ``key`` (pseudonymous string), ``date``, ``category``, ``int`` (nullable
        ``Int64``), ``float``, ``str`` (a short code), ``text`` (free text, kept only
        after identifier scrubbing) or ``list`` (a list of category levels).
    levels
        Name of the entry in :data:`LEVELS` for ``category`` and ``list`` fields.
    required
        A row without a valid value in a required field cannot be kept.
    min_value, max_value
        Inclusive bounds for numeric fields, checked at validation.
    """

    name: str
    kind: Kind
    levels: str | None = None
    required: bool = False
    min_value: float | None = None
    max_value: float | None = None

    @property
    def categories(self) -> tuple[str, ...]:
        """Category levels including ``unknown`` (empty for other kinds)."""
        if self.levels is None:
            return ()
        return (*LEVELS[self.levels], UNKNOWN)


@dataclass(frozen=True)
class TableSpec:
    """A canonical table: its fields and its unique key."""

    name: str
    fields: tuple[Field, ...]
    unique: tuple[str, ...] = ()
    description: str = ""

    @property
    def columns(self) -> list[str]:
        """Column names in canonical order."""
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        """Return the field called ``name``."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"table {self.name!r} has no field {name!r}")


def _t(name: str, unique: Sequence[str], description: str, *fields: Field) -> TableSpec:
    return TableSpec(name=name, fields=tuple(fields), unique=tuple(unique), description=description)


F = Field

#: Every canonical table of :class:`~noream_eval.EvaluationData`, by name.
TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        _t(
            "families",
            ["family_id"],
            "one row per family (household)",
            F("family_id", "key", required=True),
            F("site", "str", required=True),
            F("cohort", "category", "cohort", required=True),
            F("first_contact_date", "date", required=True),
            F("eligibility_assessed_date", "date"),
            F("eligibility", "category", "eligibility"),
            F("offered_date", "date"),
            F("enrolled_date", "date"),
            F("not_enrolled_reason", "category", "not_enrolled_reason"),
            F("exit_date", "date"),
            F("exit_reason", "category", "exit_reason"),
            F("n_children", "int", min_value=0, max_value=20),
            F("youngest_child_age_band", "category", "age_band"),
            F("immigration_status", "category", "immigration_status"),
            F("history_known_from", "date", required=True),
            F("complex_flag_date", "date"),
            F("notes", "text"),
        ),
        _t(
            "referrals",
            ["referral_id"],
            "one row per referral to the NRPF team",
            F("referral_id", "key", required=True),
            F("family_id", "key", required=True),
            F("site", "str", required=True),
            F("referral_date", "date", required=True),
            F("source", "category", "referral_source"),
            F("outcome", "category", "referral_outcome"),
            F("notes", "text"),
        ),
        _t(
            "payments",
            ["payment_id"],
            "one row per s17 payment or NOREAM grant; refunds are negative",
            F("payment_id", "key", required=True),
            F("family_id", "key", required=True),
            F("payment_date", "date", required=True),
            F("scheme", "category", "scheme", required=True),
            F("type", "category", "payment_type"),
            F("amount_gbp", "float", required=True, min_value=-100_000, max_value=100_000),
        ),
        _t(
            "s17_episodes",
            ["family_id", "start_date"],
            "one row per continuous period of s17 support (derived from payments)",
            F("family_id", "key", required=True),
            F("start_date", "date", required=True),
            F("end_date", "date"),
            F("n_payments", "int", required=True, min_value=1),
            F("cost_gbp", "float", required=True),
        ),
        _t(
            "domain_scores",
            ["family_id", "assessment_date", "domain"],
            "one row per family x assessment x support domain",
            F("family_id", "key", required=True),
            F("assessment_date", "date", required=True),
            F("timepoint", "category", "timepoint", required=True),
            F("domain", "category", "domain", required=True),
            F("score", "int", required=True),
        ),
        _t(
            "wellbeing_items",
            ["response_id", "item"],
            "one row per questionnaire completion x item",
            F("response_id", "key", required=True),
            F("family_id", "key", required=True),
            F("respondent", "category", "respondent", required=True),
            F("timepoint", "category", "timepoint", required=True),
            F("response_date", "date", required=True),
            F("instrument", "str", required=True),
            F("item", "int", required=True, min_value=1),
            F("value", "int", required=True),
        ),
        _t(
            "staff_responses",
            ["respondent_id", "timepoint", "item"],
            "one row per staff questionnaire completion x item",
            F("respondent_id", "key", required=True),
            F("site", "str"),
            F("role", "category", "staff_role"),
            F("directorate", "category", "directorate"),
            F("timepoint", "category", "timepoint", required=True),
            F("instrument", "str", required=True),
            F("item", "int", required=True, min_value=1),
            F("value", "int", required=True),
        ),
        _t(
            "meetings",
            ["meeting_id"],
            "one row per multi-agency meeting (SNAC or case consultation)",
            F("meeting_id", "key", required=True),
            F("site", "str"),
            F("meeting_date", "date", required=True),
            F("kind", "category", "meeting_kind", required=True),
            F("agencies", "list", "agency"),
            F("directorates", "list", "directorate"),
            F("notes", "text"),
        ),
        _t(
            "meeting_cases",
            ["meeting_id", "family_id"],
            "one row per family discussed at a meeting",
            F("meeting_id", "key", required=True),
            F("family_id", "key", required=True),
        ),
        _t(
            "contacts",
            ["contact_id"],
            "one row per contact of a worker with an enrolled family",
            F("contact_id", "key", required=True),
            F("family_id", "key", required=True),
            F("contact_date", "date", required=True),
            F("worker_role", "category", "worker_role"),
            F("mode", "category", "contact_mode"),
        ),
        _t(
            "deliverables",
            ["deliverable_id"],
            "one row per model-of-practice output",
            F("deliverable_id", "key", required=True),
            F("kind", "category", "deliverable_kind", required=True),
            F("title", "text"),
            F("date", "date"),
            F("site", "str"),
            F("attendees", "int", min_value=0),
            F("las_reached", "int", min_value=0),
            F("status", "category", "deliverable_status"),
            F("notes", "text"),
        ),
    )
}

#: Columns of the rejects table.
REJECT_COLUMNS: tuple[str, ...] = ("source", "file", "row", "field", "value", "reason", "action")


def _dtype(field: Field) -> object:
    if field.kind in ("key", "str", "text"):
        return "string"
    if field.kind == "date":
        return "datetime64[ns]"
    if field.kind == "category":
        return pd.CategoricalDtype(list(field.categories))
    if field.kind == "int":
        return "Int64"
    if field.kind == "float":
        return "float64"
    return object


def conform(
    table: str, df: pd.DataFrame, *, levels: Mapping[str, Sequence[str]] | None = None
) -> pd.DataFrame:
    """Return ``df`` with the canonical columns, in order, with canonical dtypes.

    Parameters
    ----------
    table
        Name of a table in :data:`TABLES`.
    df
        A DataFrame holding at least the table's columns.
    levels
        Optional replacement category levels by field name (e.g. the cohorts
        named in an evaluation config); ``unknown`` is added when missing.

    Returns
    -------
    pandas.DataFrame
        A new frame with a fresh ``RangeIndex``. List columns hold Python lists.

    Raises
    ------
    KeyError
        If a canonical column is missing.
    """
    spec = TABLES[table]
    missing = [c for c in spec.columns if c not in df.columns]
    if missing:
        raise KeyError(f"{table}: missing canonical columns {missing}")
    out: dict[str, object] = {}
    for f in spec.fields:
        col = df[f.name]
        if f.kind == "list":
            out[f.name] = pd.Series([_as_list(v) for v in col], dtype=object)
        elif f.kind == "category":
            cats = list(f.categories)
            if levels and f.name in levels:
                cats = list(dict.fromkeys([*levels[f.name], UNKNOWN]))
            out[f.name] = _categorical(table, f.name, col, cats)
        elif f.kind in ("key", "str", "text"):
            out[f.name] = _strings(col)
        else:
            if f.kind == "date":
                col = pd.to_datetime(col).dt.normalize()
            out[f.name] = pd.Series(col.astype(_dtype(f)).array)
    return pd.DataFrame(out, index=pd.RangeIndex(len(df)))


def _categorical(table: str, name: str, col: pd.Series, cats: list[str]) -> pd.Categorical:
    """``col`` as a categorical with exactly ``cats``; a value outside them is an error."""
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    position = pd.Index(cats).get_indexer(pd.Index(uniques, dtype=object))
    if (position < 0).any():
        bad = sorted({str(u) for u, p in zip(uniques, position, strict=True) if p < 0})[:5]
        raise ValueError(f"{table}.{name}: values {bad} are not categories {cats}")
    mapped = np.append(position, -1)[codes]  # code -1 (missing) stays missing
    return pd.Categorical.from_codes(mapped, dtype=pd.CategoricalDtype(cats))


def _strings(col: pd.Series) -> pd.Series:
    """``col`` as the canonical ``string`` dtype, without a Python object per cell."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = pd.array(np.asarray(col.cat.categories, dtype=object), dtype="string")
        return pd.Series(cats.take(col.cat.codes.to_numpy(), allow_fill=True))
    return pd.Series(col.astype("string").array)


def _as_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, float) and pd.isna(value):
        return []
    return [str(v) for v in value]  # type: ignore[union-attr]


def empty_table(table: str) -> pd.DataFrame:
    """Return an empty DataFrame with the canonical columns and dtypes of ``table``."""
    spec = TABLES[table]
    return conform(table, pd.DataFrame({c: [] for c in spec.columns}))
