"""The evaluation report's content: sections built from disclosure-controlled results.

:func:`build_document` reads only a
:class:`~noream_eval.reports.disclosure.PublishedResults` (never the
unsuppressed results), the published tables and the rendered figures, and
returns a :class:`~noream_eval.reports.document.Document` that the HTML and
Word renderers draw in the same way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from noream_eval.reports import document as d
from noream_eval.reports.tables import SECTIONS, TableDef, humanise

__all__ = ["FigureFiles", "build_document", "table_block"]

#: The report figures in each section (figure names of :data:`noream_eval.reports.figures.FIGURES`).
SECTION_FIGURES: dict[str, tuple[str, ...]] = {
    "flow": ("participant_flow",),
    "o1": ("referrals_its",),
    "o2": ("s17_time_to_escalation", "s17_caseload_spend"),
    "o3": ("wellbeing", "domain_distance"),
    "o5": ("snac_agencies",),
    "promise": ("indicator_forest",),
}

_INTRO: dict[str, str] = {
    "flow": (
        "Families referred to the NRPF team after the programme started, followed from referral "
        "to eligibility assessment, offer, enrolment, baseline measures and follow-up. Each share "
        "is of the stage above it, with a Wilson 95% confidence interval."
    ),
    "o1": (
        "A re-referral is a referral within 365 days of an earlier referral of the same family "
        "(the Department for Education's definition); referrals whose earlier history is unknown "
        "are left out of the primary rate and counted as not re-referred in the sensitivity "
        "analysis. Monthly referrals are modelled by a segmented (interrupted time series) "
        "regression with the COVID-19 period as a separate term."
    ),
    "o2": (
        "Escalation is the first section 17 payment after first contact. Time to escalation is "
        "estimated by Kaplan-Meier by cohort and compared by a Cox model (hazard ratio); spend is "
        "net of refunds."
    ),
    "o3": (
        "Parent and carer wellbeing is measured with the Short Warwick-Edinburgh Mental "
        "Wellbeing Scale (SWEMWBS, metric scores 7 to 35) at baseline and follow-up, and family "
        "circumstances on eight domains scored 1 to 5. Change is paired (the same person or "
        "family at both time points); the missing follow-ups are examined in the attrition "
        "table and by multiple imputation and best/worst-case bounds, not ignored."
    ),
    "o4": (
        "Delivery of the model of practice: the manual, training, working papers, MAP "
        "strategies, fidelity to the model and the dosage of contacts."
    ),
    "o5": (
        "Multi-agency working: SNACs (multi-agency panels) and case consultations held, the "
        "families discussed and the agencies present; staff views on multi-agency working at "
        "baseline and follow-up."
    ),
    "o6": (
        "Coordination across council directorates: the directorates taking part in each "
        "meeting over time and staff views on coordination."
    ),
    "promise": (
        "Each indicator is rated mechanically by the pre-specified rules printed beside it. "
        "Pre-specified indicators were named in the analysis plan before the data were seen; "
        "every other indicator is exploratory and labelled so."
    ),
    "trial": (
        "Progression criteria for a future trial, rated red, amber or green against the "
        "thresholds of the analysis plan, and the sample size such a trial would need."
    ),
    "costs": (
        "The cost of the programme and a cost-consequence scenario. The scenario multiplies the "
        "difference in escalation risk by the cost of a section 17 case: it is an illustration "
        "under stated assumptions, not an estimate of the programme's impact."
    ),
    "quality": (
        "Every raw row read was kept, rejected with a reason, or set aside as a duplicate of the "
        "row it repeats. Completeness is given per field and time point."
    ),
    "appendix": (
        "Every indicator computed, pre-specified or exploratory, with its 95% confidence "
        "interval. The supporting monthly series drawn in the figures are in the tables folder "
        "and the workbook."
    ),
}


@dataclass(frozen=True)
class FigureFiles:
    """A rendered figure: its name, caption, alt text and image bytes."""

    name: str
    title: str
    caption: str
    png: bytes
    svg: bytes
    alt: str = ""


def _display(protected: Any, definition: TableDef) -> pd.DataFrame:
    frame = protected.display()
    cols = [c for c in definition.columns if c in frame.columns]
    frame = frame[cols].copy()
    for col, (_, kind) in definition.columns.items():
        if kind == "code" and col in frame.columns:
            values = frame[col]
            is_text = values.map(lambda v: isinstance(v, str) and v not in ("c", "x", "z"))
            words = humanise(pd.Series(values[is_text].astype(str)))
            frame.loc[is_text, col] = words.astype(object).to_numpy()
    return frame


def table_block(protected: Any, definition: TableDef) -> d.Table:
    """One published table as a document block (codes in words, its disclosure note)."""
    kinds = {c: ("text" if k == "code" else k) for c, k in definition.kinds().items()}
    return d.Table(
        frame=_display(protected, definition),
        kinds=kinds,
        labels=definition.labels(),
        caption=definition.title,
        note=protected.note,
        source=f"{definition.source}." if definition.source else "",
        anchor=f"table-{definition.name.replace('_', '-')}",
        name=definition.name,
    )


def _figure_block(fig: FigureFiles) -> d.Figure:
    # the image carries the full caption, its source and the disclosure note
    return d.Figure(
        png=fig.png,
        svg=fig.svg,
        caption=fig.title,
        alt=f"{fig.alt} {fig.caption}".strip(),
        anchor=f"figure-{fig.name.replace('_', '-')}",
        name=fig.name,
    )


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "not recorded"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _summary(published: Any) -> list[Any]:
    promise = published["evidence_of_promise"]
    flags = published.flags("evidence_of_promise")
    blocks: list[Any] = [
        d.Paragraph(
            "This report sets out the pilot evaluation's findings on the six outcomes, the "
            "feasibility of the programme and its readiness for a trial. All figures and tables "
            "have passed disclosure control: counts from 1 to "
            f"{published.policy.min_cell - 1} are shown as c."
        )
    ]
    items = []
    pre = promise[promise["prespecified"].astype(bool)] if "prespecified" in promise else promise
    for i, row in pre.iterrows():
        shown = flags.loc[i, "estimate"] == "" if "estimate" in flags else True
        est = (
            f"{row['estimate']:.3g} (95% CI {_fmt(row['ci_low'], 3)} to {_fmt(row['ci_high'], 3)})"
            if shown and pd.notna(row["estimate"])
            else "estimate suppressed or not estimable"
        )
        items.append(f"{row['indicator']} ({row.get('label', '')}): {row['rating']}; {est}.")
    if items:
        blocks.append(d.Paragraph("**Evidence of promise of the pre-specified indicators**"))
        blocks.append(d.BulletList(tuple(items)))
    if "progression" in published:
        prog = published["progression"]
        blocks.append(d.Paragraph("**Progression criteria for a future trial**"))
        blocks.append(
            d.BulletList(
                tuple(
                    f"{humanise(pd.Series([r['criterion']])).iloc[0]}: {r['rag']} "
                    f"({r['description']})"
                    for _, r in prog.iterrows()
                )
            )
        )
    return blocks


def _design(published: Any) -> list[Any]:
    prov = published.provenance
    plan = published.plan
    shocks = plan.get("shocks") or {}
    shock_text = "; ".join(
        f"{name.replace('_', ' ')} {a} to {b}" for name, (a, b) in shocks.items()
    )
    return [
        d.Paragraph(
            "NOREAM began enrolling families on "
            f"{prov.get('programme_start', 'an unrecorded date')}."
            f" The data were cut on {prov.get('data_cut', '')}; referral history is known from "
            f"{prov.get('data_start', '')}."
        ),
        d.BulletList(
            (
                "Before/after comparisons: monthly referrals before and after the programme "
                "started, modelled as an interrupted time series.",
                "Historical-cohort comparisons: families enrolled in NOREAM are compared with "
                "families referred before the programme (the comparison cohort), who were "
                "supported under earlier practice and at a different time.",
                "There is no randomised counterfactual: differences between cohorts may reflect "
                "changes over time, in referral patterns or in recording, as well as the "
                "programme. Results are evidence of promise, not of impact.",
                "The COVID-19 period"
                + (f" ({shock_text})" if shock_text else "")
                + " changed referrals and support; it is a separate term of the time series "
                "model and falls within the comparison cohort's follow-up.",
                "Families referred during the programme who did not enrol form their own "
                "cohort (not enrolled) and are not counted as NOREAM families.",
            )
        ),
    ]


def _flatten(prefix: str, value: Any) -> list[tuple[str, str]]:
    if isinstance(value, Mapping):
        out = []
        for k, v in value.items():
            out += _flatten(f"{prefix}.{k}" if prefix else str(k), v)
        return out
    if isinstance(value, list | tuple):
        if all(not isinstance(v, Mapping | list | tuple) for v in value):
            return [(prefix, ", ".join(str(v) for v in value))]
        return [(prefix, json.dumps(value, default=str))]
    return [(prefix, str(value))]


def _methods(published: Any) -> list[Any]:
    plan = dict(published.plan)
    rules = plan.pop("rules", [])
    indicators = plan.pop("indicators", {})
    prov = published.provenance
    params = [("parameters." + k, str(v)) for k, v in (prov.get("parameters") or {}).items()]
    rows = params + _flatten("", plan)
    pre = pd.DataFrame(
        [
            {
                "indicator": name,
                "outcome": spec.get("outcome", ""),
                "group": spec.get("group", ""),
                "direction": spec.get("direction", ""),
                "primary": "primary" if spec.get("primary") else "secondary",
                "min_n": spec.get("min_n"),
            }
            for name, spec in indicators.items()
        ]
    )
    blocks: list[Any] = [
        d.Paragraph(
            "Every parameter below was fixed in the analysis plan (the evaluation's config) "
            "before the results were computed; the pre-specified indicators and the rules that "
            "rate them follow. Definitions of every indicator are in the package's outcome "
            "documentation."
        ),
        d.KeyValue(tuple(rows), caption="Pre-specified analysis parameters", anchor="parameters"),
    ]
    if len(pre):
        blocks.append(
            d.Table(
                frame=pre.astype(object),
                kinds={c: "text" for c in pre.columns} | {"min_n": "integer"},
                labels={
                    "indicator": "Indicator",
                    "outcome": "Outcome",
                    "group": "Group",
                    "direction": "Expected direction",
                    "primary": "Primary or secondary",
                    "min_n": "Minimum n",
                },
                caption="Pre-specified indicators",
                note="",
                source="Source: analysis plan [indicators].",
                anchor="table-prespecified-indicators",
                name="prespecified_indicators",
            )
        )
    if rules:
        blocks.append(d.Paragraph("**Rules for rating evidence of promise, applied in order**"))
        blocks.append(d.BulletList(tuple(str(r) for r in rules)))
    blocks.append(d.Callout(kind="note", text=f"Disclosure control: {published.policy.describe()}"))
    return blocks


def _trial_assumptions(published: Any) -> list[Any]:
    if "trial_design" not in published:
        return []
    t = published["trial_design"]
    if "assumptions" in t and len(t):
        try:
            a = json.loads(str(t["assumptions"].iloc[0]))
        except (ValueError, TypeError):
            a = {}
    else:
        a = {k: published.plan.get(k) for k in ("effect_size", "alpha", "power", "icc")}
    if not a:
        return []
    text = (
        "Assumptions: standardised effect size "
        f"{_fmt(a.get('effect_size'))}, two-sided alpha {_fmt(a.get('alpha'))}, power "
        f"{_fmt(a.get('power'))}, intra-cluster correlation {_fmt(a.get('icc'))}, "
        f"{_fmt(a.get('families_per_la'), 0)} families per LA, attrition "
        f"{_fmt(a.get('attrition'))} (from the pilot's retention), outcome SD "
        f"{_fmt(a.get('sd'))} and pre-post correlation {_fmt(a.get('correlation'))} from the "
        "pilot (ANCOVA adjustment for baseline)."
    )
    return [d.Paragraph(text)]


def _provenance(published: Any) -> list[Any]:
    prov = published.provenance
    rows = [
        ("Package", f"{prov.get('package', 'noream_eval')} {prov.get('package_version', '')}"),
        ("Evaluation", str(prov.get("config_name", ""))),
        ("Config file", str(prov.get("config_file", ""))),
        ("Config SHA-256", str(prov.get("config_sha256", ""))),
        ("Pseudonymisation key fingerprint", str(prov.get("key_fingerprint", ""))),
        ("Data start", str(prov.get("data_start", ""))),
        ("Programme start", str(prov.get("programme_start", ""))),
        ("Data cut", str(prov.get("data_cut", ""))),
        ("Python / pandas", f"{prov.get('python', '')} / {prov.get('pandas', '')}"),
        ("Disclosure policy", published.policy.describe()),
    ]
    inputs = pd.DataFrame(prov.get("inputs") or [])
    blocks: list[Any] = [d.KeyValue(tuple(rows), caption="Run provenance", anchor="run")]
    if len(inputs):
        cols = [c for c in ("source", "file", "bytes", "sha256") if c in inputs.columns]
        blocks.append(
            d.Table(
                frame=inputs[cols].astype(object),
                kinds={"source": "text", "file": "text", "bytes": "integer", "sha256": "text"},
                labels={"source": "Source", "file": "File", "bytes": "Bytes", "sha256": "SHA-256"},
                caption="Input files and their hashes",
                note="",
                source="",
                anchor="table-input-files",
                name="input_files",
            )
        )
    return blocks


def build_document(
    published: Any,
    tables: Mapping[str, tuple[TableDef, Any]],
    figures: Mapping[str, FigureFiles],
    *,
    title: str = "NOREAM pilot evaluation",
    table_blocks: Mapping[str, d.Table] | None = None,
) -> d.Document:
    """The whole report as a document, from published results only.

    Parameters
    ----------
    published
        Disclosure-controlled results
        (:class:`~noream_eval.reports.disclosure.PublishedResults`).
    tables
        name -> (definition, protected table), in report order.
    figures
        name -> rendered figure.
    title
        The report's title.
    table_blocks
        Table blocks already built with :func:`table_block`, by name (a run
        writes the tables before the figures are drawn and reuses them here).

    Returns
    -------
    Document
        Sections: summary; the evaluation and its design limits; data and
        methods; one per :data:`~noream_eval.reports.tables.SECTIONS` entry;
        provenance.
    """
    prov = published.provenance
    sections = [
        d.Section("Summary", "summary", tuple(_summary(published))),
        d.Section("The evaluation and its design limits", "design", tuple(_design(published))),
        d.Section("Data and methods", "methods", tuple(_methods(published))),
    ]
    for key, heading in SECTIONS.items():
        blocks: list[Any] = []
        if key in _INTRO:
            blocks.append(d.Paragraph(_INTRO[key]))
        if key == "costs":
            blocks.append(
                d.Callout(
                    kind="scenario",
                    text="The cost-consequence figures are a SCENARIO under stated assumptions, "
                    "not an estimate of the programme's impact.",
                )
            )
        for name in SECTION_FIGURES.get(key, ()):
            if name in figures:
                blocks.append(_figure_block(figures[name]))
        if key == "trial":
            blocks += _trial_assumptions(published)
        for definition, protected in tables.values():
            if definition.section == key and definition.in_report:
                built = (table_blocks or {}).get(definition.name)
                if built is None:
                    built = table_block(protected, definition)
                blocks.append(built)
        if key == "appendix":
            supporting = [
                f"tables/{t.name}.csv: {t.title}" for t, _ in tables.values() if not t.in_report
            ]
            if supporting:
                blocks.append(d.Paragraph("**Supporting series (tables folder and workbook)**"))
                blocks.append(d.BulletList(tuple(supporting)))
        anchor = {"flow": "flow", "appendix": "appendix"}.get(key, key)
        sections.append(d.Section(heading, anchor, tuple(blocks)))
    sections.append(d.Section("Provenance", "provenance", tuple(_provenance(published))))
    subtitle = f"{prov.get('config_name', '')} - data cut {prov.get('data_cut', '')}".strip(" -")
    return d.Document(
        title=title,
        subtitle=subtitle,
        sections=tuple(sections),
        metadata={
            "Data cut": str(prov.get("data_cut", "")),
            "Programme start": str(prov.get("programme_start", "")),
            "Produced by": f"noream_eval {prov.get('package_version', '')}",
        },
    )
