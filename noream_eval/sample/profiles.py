"""The source profiles of the sample's exports, and ``evaluation.toml`` written from them.

Each :class:`Export` says what one raw export looks like: its file name, format,
sheet and title lines, encoding, and its columns in file order (raw header, the
canonical field it maps to, whether it is a direct identifier, the raw codes written
for each canonical level). The file writers in :mod:`noream_eval.sample.files` write
exactly these headers, names and layouts, and :func:`evaluation_toml` renders the
same objects as the ``[sources.*]`` tables of ``evaluation.toml``, so the two cannot
drift apart. The package copy ``noream_eval/sample/evaluation.toml`` is this
rendering (a test checks it byte for byte).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from noream_eval.ingest.normalise import key_one
from noream_eval.sample.formats import DAYFIRST
from noream_eval.sample.vocab import (
    AGENCY,
    COHORT,
    CONTACT_MODE,
    DELIVERABLE_KIND,
    DELIVERABLE_STATUS,
    DIRECTORATE,
    DOMAIN_HEADERS,
    ELIGIBILITY,
    EXIT,
    IMMIGRATION,
    MEETING_KIND,
    NOT_ENROLLED,
    OUTCOME,
    PAYMENT_TYPE,
    RESPONDENT,
    SCHEME_CODES,
    SOURCE,
    SOURCE_NOT_WRITTEN,
    STAFF_ITEMS,
    STAFF_ROLES,
    SWEMWBS_ITEMS,
    TIMEPOINT_DA,
    TIMEPOINT_WB,
    TIMEPOINT_WB_NOT_WRITTEN,
    WAVE,
    WORKER_ROLE,
    Variants,
)
from noream_eval.sample.world import (
    DEFAULT_FAMILIES,
    DOMAIN_SCORES,
    PARAMETERS,
    STAFF_INSTRUMENT,
    WELLBEING_INSTRUMENT,
    recruitment_target,
)
from noream_eval.schema import LEVELS, UNKNOWN
from noream_eval.sources import SOURCES

__all__ = [
    "CONFIG_FILE",
    "EXPORTS",
    "KEY_FILE",
    "Column",
    "Export",
    "evaluation_toml",
    "value_map",
]

#: File names of the evaluation configuration and of the pseudonymisation key.
CONFIG_FILE = "evaluation.toml"
KEY_FILE = "demo.key"


@dataclass(frozen=True)
class Column:
    """One column of a raw export.

    Attributes
    ----------
    header
        Raw header, as written in the file.
    field
        Canonical field it maps to (``[sources.NAME.columns]``), if any.
    identifier
        A direct identifier: read for linkage or age bands only, never output.
    free_text
        Free text, kept only after identifier scrubbing (``free_text``).
    codes
        Canonical level -> the raw codes written for it (the value map).
    not_written
        Raw code -> canonical level, mapped although the sample never writes it.
    domain, item
        Support domain (domain assessments) or item number (surveys) of a wide column.
    """

    header: str
    field: str | None = None
    identifier: bool = False
    free_text: bool = False
    codes: Mapping[str, Sequence[str]] = dataclasses.field(default_factory=dict)
    not_written: Mapping[str, str] = dataclasses.field(default_factory=dict)
    domain: str | None = None
    item: int | None = None


@dataclass(frozen=True)
class Export:
    """One raw export of the sample and its source profile.

    Attributes
    ----------
    source
        Source name (``[sources.NAME]``).
    file
        File name; for a per-site export, the name when there is one site.
    columns
        The columns in file order.
    encoding, bom
        Encoding the file is written in (profiles say ``auto``) and a UTF-8 BOM.
    sheet, titles
        Worksheet name and the title lines above the header (xlsx).
    per_site
        One file per local authority when there are several sites.
    instrument, list_separator
        Instrument registry name (surveys) and separator of list cells.
    comments
        Setting -> explanatory comment after it in ``evaluation.toml``.
    note
        Comment line above the profile in ``evaluation.toml``.
    """

    source: str
    file: str
    columns: tuple[Column, ...]
    encoding: str = "utf-8"
    bom: bool = False
    sheet: str | None = None
    titles: tuple[str, ...] = ()
    per_site: bool = False
    instrument: str | None = None
    list_separator: str | None = None
    comments: Mapping[str, str] = dataclasses.field(default_factory=dict)
    note: str = ""

    @property
    def header(self) -> tuple[str, ...]:
        """Raw headers in file order."""
        return tuple(c.header for c in self.columns)

    @property
    def header_row(self) -> int:
        """1-based row of the header, below the title lines."""
        return len(self.titles) + 1

    @property
    def format(self) -> str:
        """``csv`` or ``xlsx``."""
        return self.file.rsplit(".", 1)[1]

    @property
    def path(self) -> str:
        """File name, or glob pattern of a per-site export's files."""
        if not self.per_site:
            return self.file
        stem, suffix = self.file.rsplit(".", 1)
        return f"{stem}*.{suffix}"

    def file_name(self, site: str, n_sites: int) -> str:
        """Name of the file of ``site`` (an LA code) among ``n_sites`` sites."""
        if not self.per_site or n_sites == 1:
            return self.file
        stem, suffix = self.file.rsplit(".", 1)
        return f"{stem}_{site}.{suffix}"

    def is_file(self, name: str) -> bool:
        """Whether ``name`` is a file of this export."""
        if not self.per_site:
            return name == self.file
        stem, suffix = self.file.rsplit(".", 1)
        return name.startswith(stem) and name.endswith(f".{suffix}")


def _raw(variants: Variants) -> dict[str, tuple[str, ...]]:
    return {level: raw for level, (raw, _) in variants.items()}


def _items(wording: Sequence[str]) -> tuple[Column, ...]:
    return tuple(Column(text, item=i) for i, text in enumerate(wording, start=1))


_C = Column

REFERRALS = Export(
    "referrals",
    "referrals.xlsx",
    (
        _C("Referral No", "referral_id"),
        _C("Family Ref", "family_ref"),
        _C("LA Code", "site"),
        _C("Date of Referral", "referral_date"),
        _C("Parent/Carer Name", identifier=True),
        _C("Parent DOB", identifier=True),
        _C("Contact Number", identifier=True),
        _C("NI Number", identifier=True),
        _C("Home Office Ref", identifier=True),
        _C("Postcode", identifier=True),
        _C("Referral Source", "source", codes=_raw(SOURCE), not_written=SOURCE_NOT_WRITTEN),
        _C("Referral Outcome", "outcome", codes=_raw(OUTCOME)),
    ),
    sheet="Referrals",
    titles=("{council} - NRPF Team referrals export", "Exported {exported}"),
    per_site=True,
    comments={
        "path": "one workbook per LA at multi-site scale",
        "sheet": "needed when the workbook has several sheets",
        "header_row": "two title lines above the header",
    },
)
FAMILIES = Export(
    "families",
    "families.csv",
    (
        _C("Family Ref", "family_ref"),
        _C("LA Code", "site"),
        _C("Cohort", "cohort", codes=_raw(COHORT)),
        _C("First Contact", "first_contact_date"),
        _C("Date Enrolled", "enrolled_date"),
        _C("Date Closed", "exit_date"),
        _C("Closure Reason", "exit_reason", codes=_raw(EXIT)),
        _C("Parent/Carer Name", identifier=True),
        _C("Parent DOB", identifier=True),
        _C("Phone", identifier=True),
        _C("NI Number", identifier=True),
        _C("HO Reference", identifier=True),
        _C("Postcode", identifier=True),
        _C("No. of Children", "n_children"),
        _C("Youngest Child DOB", "youngest_child_dob", identifier=True),
        _C("Immigration Status", "immigration_status", codes=_raw(IMMIGRATION)),
        _C("History Complete From", "history_known_from"),
        _C("Eligibility Assessed", "eligibility_assessed_date"),
        _C("Eligibility", "eligibility", codes=_raw(ELIGIBILITY)),
        _C("Date Offered", "offered_date"),
        _C("Reason Not Enrolled", "not_enrolled_reason", codes=_raw(NOT_ENROLLED)),
        _C("Complex Case Flagged", "complex_flag_date"),
    ),
    bom=True,
    comments={
        "format": "set from the extension when left out",
        "encoding": "detects UTF-8 (with or without BOM) or Windows-1252",
    },
)
PAYMENTS = Export(
    "payments",
    "payments.csv",
    (
        _C("Transaction ID", "payment_id"),
        _C("Date Paid", "payment_date"),
        _C("Client Ref", "family_ref"),
        _C("Payee Name", identifier=True),
        _C("Payee Postcode", identifier=True),
        _C("Budget Code", "scheme", codes=SCHEME_CODES),
        _C("Payment Type", "type", codes=_raw(PAYMENT_TYPE)),
        _C("Amount", "amount_gbp"),
    ),
    encoding="cp1252",
    comments={"encoding": 'the finance ledger is Windows-1252 ("£" is byte A3)'},
)
DOMAIN_ASSESSMENTS = Export(
    "domain_assessments",
    "domain_assessments.csv",
    (
        _C("Family Ref", "family_ref"),
        _C("Family Name", identifier=True),
        _C("Assessment Date", "assessment_date"),
        _C("Review Point", "timepoint", codes=_raw(TIMEPOINT_DA)),
        *(_C(DOMAIN_HEADERS[d], domain=d) for d in LEVELS["domain"]),
    ),
    note="Wide: one row per family x assessment, one column per support domain.",
)
WELLBEING_SURVEY = Export(
    "wellbeing_survey",
    "wellbeing_survey.csv",
    (
        _C("Response ID", "response_id"),
        _C("Submitted At", "response_date"),
        _C(
            "Survey",
            "timepoint",
            codes=_raw(TIMEPOINT_WB),
            not_written=TIMEPOINT_WB_NOT_WRITTEN,
        ),
        _C("Family Ref", "family_ref"),
        _C("Respondent", "respondent", codes=_raw(RESPONDENT)),
        _C("Your name (optional)", identifier=True),
        _C("Email", identifier=True),
        *_items(SWEMWBS_ITEMS),
    ),
    instrument=WELLBEING_INSTRUMENT,
    comments={"instrument": "registry name: noream_eval/instruments.toml"},
    note="Wide: one row per completion, one column per item, answers as text labels.",
)
STAFF_SURVEY = Export(
    "staff_survey",
    "staff_survey.csv",
    (
        _C("Name", identifier=True),
        _C("Email", "respondent_ref", identifier=True),
        _C("LA Code", "site"),
        _C(
            "Job Role",
            "role",
            codes={c: [r for r, cc in STAFF_ROLES if cc == c] for _, c in STAFF_ROLES},
        ),
        _C("Directorate", "directorate", codes=_raw(DIRECTORATE)),
        _C("Wave", "timepoint", codes=_raw(WAVE)),
        *_items(STAFF_ITEMS),
    ),
    encoding="cp1252",
    instrument=STAFF_INSTRUMENT,
    comments={"instrument": "or your own, in an [instruments.NAME] table"},
)
MEETINGS = Export(
    "meetings",
    "meetings.csv",
    (
        _C("Meeting Ref", "meeting_id"),
        _C("LA Code", "site"),
        _C("Date", "meeting_date"),
        _C("Meeting Type", "kind", codes=_raw(MEETING_KIND)),
        _C("Chair", identifier=True),
        _C("Minute Taker", identifier=True),
        _C("Agencies Present", "agencies", codes=_raw(AGENCY)),
        _C("Directorates Present", "directorates", codes=_raw(DIRECTORATE)),
        _C("Cases Discussed", "family_refs"),
    ),
    list_separator=";",
    comments={"list_separator": 'splits "CSC; Housing" and the cases discussed'},
)
CONTACTS = Export(
    "contacts",
    "contacts.csv",
    (
        _C("Contact ID", "contact_id"),
        _C("Client Ref", "family_ref"),
        _C("Contact Date", "contact_date"),
        _C("Worker", identifier=True),
        _C("Worker Role", "worker_role", codes=_raw(WORKER_ROLE)),
        _C("Contact Type", "mode", codes=_raw(CONTACT_MODE)),
        _C("Client Phone", identifier=True),
    ),
    comments={"identifiers": "the worker's name, the family's phone"},
    note="Case notes: one row per contact of a worker with an enrolled family.",
)
DELIVERABLES = Export(
    "deliverables",
    "deliverables.csv",
    (
        _C("ID", "deliverable_id"),
        _C("Type", "kind", codes=DELIVERABLE_KIND),
        _C("Title", "title", free_text=True),
        _C("Date", "date"),
        _C("LA Code", "site"),
        _C("Attendees", "attendees"),
        _C("LAs Reached", "las_reached"),
        _C("Status", "status", codes=DELIVERABLE_STATUS),
        _C("Lead Officer", identifier=True),
    ),
    comments={"identifiers": "never output; redacted wherever they appear"},
)

#: Every export of the sample, in the order of ``evaluation.toml``.
EXPORTS: tuple[Export, ...] = (
    REFERRALS,
    FAMILIES,
    PAYMENTS,
    DOMAIN_ASSESSMENTS,
    WELLBEING_SURVEY,
    STAFF_SURVEY,
    MEETINGS,
    CONTACTS,
    DELIVERABLES,
)


# ------------------------------------------------------------------ rendering

_HEADER = """\
# Evaluation configuration for the synthetic NOREAM sample.
#
# It describes the raw exports an NRPF team hands over (one [sources.*] profile
# per export) and the pre-specified analysis parameters. Paths are relative to
# this file. Column maps read `"raw header" = "canonical field"`; value maps read
# `"raw code" = "canonical category"` and match ignoring case, spaces and
# punctuation ("S.17 " matches "s17"). Canonical level names always match
# themselves, so they need no entry.
#
# Every key is documented in docs/config.md of the noream_eval repository; the
# sources, their fields and the canonical tables in docs/data_model.md. Unknown
# keys are errors. Put a profile's settings under [sources.NAME], before its
# sub-tables: a key belongs to the last [table] header above it.
#
# A [sources.NAME] profile may set:
#   path            file name or glob ("payments*.csv" reads several files as one)
#   format          "csv" or "xlsx" (default: from the file name's extension)
#   sheet           worksheet name (xlsx; may be left out for a one-sheet workbook)
#   header_row      1-based row of the header (default 1); rows above are titles. A
#                   list of consecutive rows, e.g. [3, 4], reads group titles above
#                   the column names ("Family" over "Ref" gives "Family Ref")
#   encoding        CSV only: a Python encoding name, or "auto" (UTF-16 or UTF-8 by
#                   byte order mark, else UTF-8, else Windows-1252, else latin-1)
#   delimiter       CSV only: "auto" (default), ",", ";", "tab" or "|"
#   dayfirst        true: 03/04/2021 is 3 April (default: [evaluation] dayfirst)
#   identifiers     columns holding names, dates of birth, phones, NI numbers, Home
#                   Office refs, postcodes, e-mails: never output, and redacted
#                   wherever their values appear in other columns or messages
#   free_text       columns of free text to keep, mapped to "notes" (or "title");
#                   their text is scrubbed of identifiers first
#   instrument      a survey's questionnaire, by its name in the registry
#                   (noream_eval/instruments.toml); a config may add its own in an
#                   [instruments.NAME] table (n_items, item_min, item_max, anchors)
#   list_separator  separator of cells holding several codes or refs (default ";")
# and the tables [sources.NAME.columns] ("raw header" = "field"; headers match
# ignoring case and spacing; required fields must be mapped),
# [sources.NAME.values.FIELD] ("raw code" = "category"; a code in no entry
# becomes "unknown", or is left out of a list, and is listed in the rejects; in a
# required field it rejects the row), [sources.NAME.domains] ("raw header" =
# "domain") and [sources.NAME.items] ("raw header" = item number).
"""
_NAME = "NOREAM pilot evaluation - synthetic sample"
_FREE_TEXT_COMMENT = "kept only after names, phones, postcodes ... are scrubbed"
_COMMENT_COLUMN = 35
_BANNER_WIDTH = 76


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} to evaluation.toml")


def _line(key: str, value: object, comment: str | None = None) -> str:
    text = f"{key} = {_value(value)}"
    if comment:
        text = f"{text.ljust(_COMMENT_COLUMN - 1)} # {comment}"
    return text


def _table(name: str, entries: Mapping[str, object]) -> list[str]:
    return ["", f"[{name}]", *(f"{_value(k)} = {_value(v)}" for k, v in entries.items())]


def value_map(export: Export, column: Column) -> dict[str, str]:
    """Raw code -> canonical level of a categorical column: the raw codes of each level
    in the order of :data:`~noream_eval.schema.LEVELS` (``unknown`` last), blanks left
    out.

    Raises
    ------
    ValueError
        If one raw code is given to two levels (after case, spaces and punctuation are
        ignored, as the ingest matches them).
    """
    assert column.field is not None
    spec = SOURCES[export.source]
    field_levels = LEVELS["cohort"] if column.field == "cohort" else spec.levels(column.field)
    levels = (*field_levels, UNKNOWN)
    raw_by_level: dict[str, list[str]] = {level: [] for level in levels}
    for level, raws in column.codes.items():
        raw_by_level[level].extend(raws)
    for raw, level in column.not_written.items():
        raw_by_level[level].append(raw)
    out: dict[str, str] = {}
    seen: dict[str, str] = {}
    for level in levels:
        for raw in raw_by_level[level]:
            if not raw:
                continue
            key = key_one(raw)
            if seen.setdefault(key, level) != level:
                raise ValueError(
                    f"[sources.{export.source}] {column.header!r}: raw code {raw!r} is given "
                    f"to both {seen[key]!r} and {level!r}."
                )
            out[raw] = level
    return out


def _profile(export: Export) -> list[str]:
    name = f"sources.{export.source}"
    label = export.source.replace("_", " ")
    banner = f"# {'-' * (_BANNER_WIDTH - 3 - len(label))} {label}"
    settings: dict[str, object] = {"path": export.path, "format": export.format}
    if export.format == "xlsx":
        settings["sheet"] = export.sheet
        settings["header_row"] = export.header_row
    else:
        settings["encoding"] = "auto"
    if export.instrument:
        settings["instrument"] = export.instrument
    if export.list_separator:
        settings["list_separator"] = export.list_separator
    settings["identifiers"] = [c.header for c in export.columns if c.identifier]
    free_text = [c.header for c in export.columns if c.free_text]
    if free_text:
        settings["free_text"] = free_text
    lines = ["", banner]
    if export.note:
        lines.append(f"# {export.note}")
    lines.append(f"[{name}]")
    comments = {"free_text": _FREE_TEXT_COMMENT, **export.comments}
    lines += [_line(k, v, comments.get(k)) for k, v in settings.items()]
    lines += _table(f"{name}.columns", {c.header: c.field for c in export.columns if c.field})
    domains = {c.header: c.domain for c in export.columns if c.domain}
    if domains:
        lines += _table(f"{name}.domains", domains)
    items = {c.header: c.item for c in export.columns if c.item}
    if items:
        lines += _table(f"{name}.items", items)
    for column in export.columns:
        if column.codes:
            assert column.field is not None
            lines += _table(f"{name}.values.{column.field}", value_map(export, column))
    return lines


#: The sample's pre-specified analysis plan (every key is documented in docs/config.md).
_PLAN = """
# ---------------------------------------------------------------- analysis plan
# Fixed before the data are seen; the results record every value used.
[analysis]
seed = 20210201                    # bootstraps and multiple imputation
wellbeing_instrument = "swemwbs"   # the primary wellbeing measure
followup_timepoint = "review"      # compared with baseline (about six months)
baseline_window_days = 28          # fidelity: baseline assessment within 4 weeks
review_interval_days = 182         # fidelity: review due six months after baseline
review_tolerance_days = 42
benchmark_rereferral_rate = 0.22   # England, for context
escalation_months = [6, 12]

[its]                              # monthly referrals around the programme start
family = "quasipoisson"
harmonics = 1
slope_change = true
newey_west = true

[its.shocks]                       # known shocks, each a period term of its own
covid_lockdown = ["2020-03-01", "2020-07-31"]

[costs]                            # the cost-consequence scenario
s17_annual_cost_gbp = 16000        # national average (NRPF Connect 2020-21)
s17_years = 1.5
cost_source = "data"               # average s17 case cost from the payments
staff_cost_gbp = 0                 # programme staff cost over the pilot, if known

[trial]                            # the future trial's assumptions
effect_size = 0.3
icc = 0.05
las = [10, 20, 40]
families_per_la = 30

[progression]
recruitment_target_per_month = {target}
primary_indicator = "swemwbs_mean_change"
primary_outcome_at_least = "Indicative"

[indicators.rereferral_rate_ratio]
outcome = "1"
direction = "decrease"
primary = true
min_n = 30

[indicators.s17_escalation_hazard_ratio]
outcome = "2"
direction = "decrease"
primary = true
min_n = 30

[indicators.swemwbs_mean_change]
outcome = "3"
direction = "increase"
primary = true
min_n = 20
"""


def evaluation_toml(n_families: int = DEFAULT_FAMILIES) -> str:
    """The text of the sample's ``evaluation.toml``: its settings and source profiles.

    Parameters
    ----------
    n_families
        The sample's size (the monthly recruitment target scales with it).

    Returns
    -------
    str
        TOML text: ``[evaluation]`` (dates from the true parameters), ``[parameters]``,
        the pre-specified analysis plan (``[analysis]``, ``[its]``, ``[costs]``,
        ``[trial]``, ``[progression]``, ``[indicators.NAME]``) and one
        ``[sources.NAME]`` profile per export of :data:`EXPORTS`.

    Examples
    --------
    >>> import tomllib
    >>> config = tomllib.loads(evaluation_toml())
    >>> config["sources"]["referrals"]["header_row"]
    3
    """
    dates = PARAMETERS["dates"]
    lo, hi = DOMAIN_SCORES
    lines = [
        _HEADER.rstrip("\n"),
        "",
        "[evaluation]",
        _line("name", _NAME),
        _line("data_cut", dates["data_cut"], "the date the exports were taken"),
        _line(
            "data_start",
            dates["data_start"],
            "referral history before this date is unknown for everyone",
        ),
        _line("programme_start", dates["programme_start"], "NOREAM enrolment began"),
        _line("dayfirst", DAYFIRST, "UK day-first dates (03/04/2021 is 3 April)"),
        _line("key_file", KEY_FILE, "pseudonymisation key; NOREAM_EVAL_KEY overrides it"),
        _line("cohorts", list(LEVELS["cohort"]), "levels of the families' cohort"),
        "",
        "[parameters]",
        _line("window_days", 365, "DfE re-referral window"),
        _line("episode_gap_days", 35, "payments further apart start a new s17 episode"),
        _line("min_cell", 6, "disclosure control: counts 1..5 are suppressed"),
        _line("score_min", lo, "domain assessment scale"),
        _line("score_max", hi, "(all parameters are optional)"),
        *_PLAN.format(target=recruitment_target(n_families)).splitlines(),
    ]
    for export in EXPORTS:
        lines += _profile(export)
    return "\n".join(lines) + "\n"
