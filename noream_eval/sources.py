"""The raw sources ingest understands: one declarative description per source.

A *source* is one kind of raw export (a referrals workbook, a finance ledger,
...). Its :class:`SourceSpec` says which canonical table it feeds, which fields a
source profile may map (``[sources.NAME.columns]``) and how each raw column is
read, which fields a profile must map, which columns make a row's natural key,
and how the rows become table rows. Kinds, category levels and numeric bounds
of fields that land in a canonical column come from :mod:`noream_eval.schema`,
so adding a column to a table and to a source is one line in each.

Raw field kinds
---------------
``ref``
    A family reference, pseudonymised into ``family_id`` and used for linkage.
``id``
    A record reference (referral number, transaction ID, ...), pseudonymised
    into the field's own namespace.
``person``
    A person's name or e-mail identifying a staff respondent, pseudonymised.
``date``, ``dob``
    A date; a ``dob`` becomes an age band and is never kept.
``category``, ``list``
    A code, or several codes in one cell, mapped through a value map.
``int``, ``money``
    A whole number, or an amount of money (refunds negative).
``str``
    A short code such as an LA code, kept as written (upper-cased for sites).
``text``
    Free text (a title, notes), kept only after identifier scrubbing.
``reflist``
    Several family references in one cell (the cases discussed at a meeting).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from noream_eval.schema import LEVELS, TABLES, Field

__all__ = ["SOURCES", "RawField", "SourceSpec"]

RawKind = Literal[
    "ref", "id", "person", "date", "dob", "category", "list", "int", "money", "str", "text",
    "reflist",
]  # fmt: skip

_CANONICAL_KIND: dict[str, RawKind] = {
    "date": "date",
    "category": "category",
    "list": "list",
    "int": "int",
    "float": "money",
    "str": "str",
    "text": "text",
}


@dataclass(frozen=True)
class RawField:
    """A field a source profile may map a raw column to.

    Parameters
    ----------
    name
        The name used in ``[sources.NAME.columns]`` (``"Raw header" = "name"``).
    kind
        How the raw cells are read (see the module docstring). ``None`` takes it
        from the canonical column of the same name.
    required
        A row without a valid value here is rejected, and the profile must map it.
    target
        Canonical column the value lands in (``family_ref`` -> ``family_id``);
        defaults to ``name``; ``""`` when the value serves ingest only.
    domain
        Pseudonym namespace of a reference (``family``, ``referral``, ...).
    future_ok
        Dates may lie after the data cut (planned events).
    identifier
        Raw values are personal data or references: never shown in rejects.
    """

    name: str
    kind: RawKind | None = None
    required: bool = False
    target: str | None = None
    domain: str | None = None
    future_ok: bool = False
    identifier: bool = False


@dataclass(frozen=True)
class SourceSpec:
    """One kind of raw export and how it becomes canonical rows.

    Parameters
    ----------
    name
        Source name, as in ``[sources.NAME]``.
    table
        Canonical table the rows feed.
    fields
        Fields a profile may map; see :class:`RawField`.
    row_key
        Canonical columns identifying a record: a repeat of the key with other
        values is a conflict (the later row is rejected).
    wide
        ``"domains"``: one column per support domain (``[sources.NAME.domains]``);
        ``"items"``: one column per questionnaire item (``[sources.NAME.items]``).
        Wide rows are melted into one table row per domain or item.
    links
        Canonical table built from a ``reflist`` field (meeting -> family).
    description
        One line for documentation.
    """

    name: str
    table: str
    fields: tuple[RawField, ...]
    row_key: tuple[str, ...]
    wide: Literal["domains", "items"] | None = None
    links: str | None = None
    description: str = ""

    def field(self, name: str) -> RawField:
        """The field called ``name`` (``KeyError`` if the source has none)."""
        for f in self.fields:
            if f.name == name:
                return self._resolved(f)
        raise KeyError(f"source {self.name!r} has no field {name!r}")

    @property
    def field_names(self) -> list[str]:
        """Names a profile may map, in declaration order."""
        return [f.name for f in self.fields]

    @property
    def required(self) -> tuple[str, ...]:
        """Fields every profile of this source must map."""
        return tuple(f.name for f in self.fields if f.required)

    def target(self, name: str) -> str:
        """Canonical column of field ``name`` (``""`` for fields used by ingest only)."""
        f = self.field(name)
        return f.name if f.target is None else f.target

    def canonical(self, name: str) -> Field | None:
        """The canonical :class:`~noream_eval.schema.Field` a raw field lands in, if any."""
        target = self.target(name)
        spec = TABLES[self.table]
        return spec.field(target) if target in spec.columns else None

    def kind(self, name: str) -> RawKind:
        """How raw cells of field ``name`` are read."""
        kind = self.field(name).kind
        assert kind is not None
        return kind

    def levels(self, name: str) -> tuple[str, ...]:
        """Canonical levels of a ``category`` or ``list`` field (without ``unknown``)."""
        canon = self.canonical(name)
        if canon is None or canon.levels is None:
            raise KeyError(f"{self.name}.{name} is not a categorical field")
        return LEVELS[canon.levels]

    @property
    def categorical(self) -> list[str]:
        """Fields that take a value map (``[sources.NAME.values.FIELD]``)."""
        return [f.name for f in self.fields if self.kind(f.name) in ("category", "list")]

    def _resolved(self, f: RawField) -> RawField:
        if f.kind is not None:
            return f
        spec = TABLES[self.table]
        target = f.name if f.target is None else f.target
        kind = _CANONICAL_KIND[spec.field(target).kind]
        return RawField(f.name, kind, f.required, f.target, f.domain, f.future_ok, f.identifier)


R = RawField


def _family_ref(required: bool = True) -> RawField:
    return R("family_ref", "ref", required, "family_id", "family", identifier=True)


def _record_id(name: str, domain: str, *, case_reference: bool = False) -> RawField:
    # Every record ID is pseudonymised and never shown in rejects; a case reference (a
    # referral number) is also registered with the scrubber, to be redacted wherever
    # it is typed. Transaction, response, meeting and deliverable IDs are not personal.
    return R(name, "id", True, domain=domain, identifier=case_reference)


#: Every raw source ingest understands, keyed by the name used in ``[sources.NAME]``.
SOURCES: dict[str, SourceSpec] = {
    s.name: s
    for s in (
        SourceSpec(
            "families",
            "families",
            (
                _family_ref(),
                R("site"),
                R("cohort", required=True),
                R("first_contact_date", required=True),
                R("eligibility_assessed_date"),
                R("eligibility"),
                R("offered_date"),
                R("enrolled_date"),
                R("not_enrolled_reason"),
                R("exit_date"),
                R("exit_reason"),
                R("n_children"),
                R("youngest_child_dob", "dob", target="youngest_child_age_band", identifier=True),
                R("youngest_child_age_band"),
                R("immigration_status"),
                R("history_known_from"),
                R("complex_flag_date"),
                R("notes"),
            ),
            row_key=("family_id",),
            description="one row per family (household): case system or NOREAM tracker",
        ),
        SourceSpec(
            "referrals",
            "referrals",
            (
                _record_id("referral_id", "referral", case_reference=True),
                _family_ref(),
                R("site"),
                R("referral_date", required=True),
                R("source"),
                R("outcome"),
                R("notes"),
            ),
            row_key=("referral_id",),
            description="one row per referral accepted by the NRPF team: case system export",
        ),
        SourceSpec(
            "payments",
            "payments",
            (
                _record_id("payment_id", "payment"),
                _family_ref(),
                R("payment_date", required=True),
                R("scheme", required=True),
                R("type"),
                R("amount_gbp", required=True),
            ),
            row_key=("payment_id",),
            description="one row per s17 payment, NOREAM grant or refund: finance ledger",
        ),
        SourceSpec(
            "domain_assessments",
            "domain_scores",
            (
                _family_ref(),
                R("assessment_date", required=True),
                R("timepoint", required=True),
            ),
            row_key=("family_id", "assessment_date"),
            wide="domains",
            description="one row per assessment, one column per support domain: NOREAM tracker",
        ),
        SourceSpec(
            "wellbeing_survey",
            "wellbeing_items",
            (
                _record_id("response_id", "response"),
                _family_ref(),
                R("respondent"),
                R("timepoint", required=True),
                R("response_date", required=True),
            ),
            row_key=("response_id",),
            wide="items",
            description="one row per questionnaire completion, one column per item",
        ),
        SourceSpec(
            "staff_survey",
            "staff_responses",
            (
                R("respondent_ref", "person", True, "respondent_id", "staff", identifier=True),
                R("site"),
                R("role"),
                R("directorate"),
                R("timepoint", required=True),
            ),
            row_key=("respondent_id", "timepoint"),
            wide="items",
            description="one row per staff questionnaire completion, one column per item",
        ),
        SourceSpec(
            "meetings",
            "meetings",
            (
                _record_id("meeting_id", "meeting"),
                R("site"),
                R("meeting_date", required=True),
                R("kind", required=True),
                R("agencies"),
                R("directorates"),
                R("family_refs", "reflist", target="", domain="family", identifier=True),
                R("notes"),
            ),
            row_key=("meeting_id",),
            links="meeting_cases",
            description="one row per SNAC or case consultation, with its cases and attendees",
        ),
        SourceSpec(
            "contacts",
            "contacts",
            (
                _record_id("contact_id", "contact"),
                _family_ref(),
                R("contact_date", required=True),
                R("worker_role"),
                R("mode"),
            ),
            row_key=("contact_id",),
            description="one row per contact of a worker with a family: case notes or "
            "contacts export",
        ),
        SourceSpec(
            "deliverables",
            "deliverables",
            (
                _record_id("deliverable_id", "deliverable"),
                R("kind", required=True),
                R("title"),
                R("date", future_ok=True),
                R("site"),
                R("attendees"),
                R("las_reached"),
                R("status"),
                R("notes"),
            ),
            row_key=("deliverable_id",),
            description="one row per model-of-practice output (manual, training, paper, MAP)",
        ),
    )
}
