"""Tests for noream_eval.ingest.readers: raw CSV / Excel exports, cell for cell."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from unittest import mock

import pandas as pd
import pytest
import xlsxwriter
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from noream_eval.errors import ConfigError, InputFileError
from noream_eval.ingest import readers
from noream_eval.ingest.normalise import parse_dates
from noream_eval.ingest.readers import (
    RawTable,
    detect_encoding,
    find_header_row,
    header_key,
    header_problem,
    read_table,
)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _rows(table: RawTable) -> dict[int, list[object]]:
    return {int(r): list(v) for r, v in zip(table.frame.index, table.frame.to_numpy(), strict=True)}


# --------------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("Amount\n£5\n".encode("utf-8-sig"), "utf-8-sig"),
        ("Amount\n£5\n".encode(), "utf-8"),
        (b"Amount\n5\n", "utf-8"),  # plain ASCII
        ("Amount\n£5\n".encode("cp1252"), "cp1252"),
        ("Name\nRené, Zoë – “quoted”\n".encode("cp1252"), "cp1252"),
        (b"Amount\n\x81\x8d5\n", "latin-1"),  # bytes undefined in Windows-1252
        (b"", "utf-8"),
    ],
)
def test_detect_encoding(tmp_path: Path, data: bytes, expected: str) -> None:
    assert detect_encoding(_write(tmp_path / "x.csv", data)) == expected


def test_detect_encoding_reads_whole_file_across_chunks(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(readers, "_CHUNK", 7)
    # "£" in UTF-8 is two bytes; with 7-byte chunks one falls across a chunk boundary.
    utf8 = _write(tmp_path / "u.csv", ("A\n" + "x,£1\n" * 50).encode())
    assert detect_encoding(utf8) == "utf-8"
    # A single Windows-1252 byte in the very last row still counts.
    cp = _write(tmp_path / "c.csv", b"A\n" + b"x,1\n" * 50 + b"x,\xa31\n")
    assert detect_encoding(cp) == "cp1252"


def test_csv_with_bom_has_clean_headers(tmp_path: Path) -> None:
    p = _write(tmp_path / "f.csv", "Family Ref,Amount\nF1,£5\n".encode("utf-8-sig"))
    t = read_table(p, fmt="csv")
    assert t.encoding == "utf-8-sig"
    assert list(t.frame.columns) == ["Family Ref", "Amount"]
    assert t.frame.loc[2, "Amount"] == "£5"


def test_csv_explicit_bom_free_encoding_still_strips_bom(tmp_path: Path) -> None:
    p = _write(tmp_path / "f.csv", "Family Ref\nF1\n".encode("utf-8-sig"))
    t = read_table(p, fmt="csv", encoding="utf-8")
    assert list(t.frame.columns) == ["Family Ref"]


def test_csv_cp1252_decoded(tmp_path: Path) -> None:
    p = _write(tmp_path / "pay.csv", "Amount,Note\n£1,234.50,café\n".encode("cp1252"))
    with pytest.raises(InputFileError):  # unquoted comma: see ragged rows below
        read_table(p, fmt="csv")
    p = _write(tmp_path / "pay.csv", 'Amount,Note\n"£1,234.50",café\n'.encode("cp1252"))
    t = read_table(p, fmt="csv")
    assert t.encoding == "cp1252"
    assert t.frame.loc[2].tolist() == ["£1,234.50", "café"]


def test_csv_wrong_explicit_encoding_is_input_error(tmp_path: Path) -> None:
    p = _write(tmp_path / "pay.csv", "Amount\n£5\n".encode("cp1252"))
    with pytest.raises(InputFileError, match=r"pay\.csv: cannot be read as utf-8") as err:
        read_table(p, fmt="csv", encoding="utf-8", display_name="pay.csv")
    assert "£" not in str(err.value)


def test_unknown_encoding_is_config_error(tmp_path: Path) -> None:
    p = _write(tmp_path / "a.csv", b"A\n1\n")
    with pytest.raises(ConfigError, match="unknown encoding"):
        read_table(p, fmt="csv", encoding="klingon")


# ---------------------------------------------------------------- rows and headers


def test_blank_rows_kept_with_spreadsheet_row_numbers(tmp_path: Path) -> None:
    p = _write(
        tmp_path / "f.csv",
        b"Family Ref,Cohort\nF1,Pilot\n\nF2,Comparison\n,\nF3,Pilot\n\n\n,\n",
    )
    t = read_table(p, fmt="csv")
    assert t.frame.index.name == "row"
    # every CSV record is a row, trailing blank ones too, so each can be accounted for
    assert t.frame.index.tolist() == [2, 3, 4, 5, 6, 7, 8, 9]
    assert _rows(t) == {
        2: ["F1", "Pilot"],
        3: ["", ""],
        4: ["F2", "Comparison"],
        5: ["", ""],
        6: ["F3", "Pilot"],
        7: ["", ""],
        8: ["", ""],
        9: ["", ""],
    }
    assert all(t.frame[c].map(type).eq(str).all() for c in t.frame.columns)


def test_header_row_below_title_rows(tmp_path: Path) -> None:
    # Title rows have a different number of fields from the table; they are not data.
    p = _write(
        tmp_path / "f.csv",
        b"Finance ledger 2021/22\nExported by: someone,on,a,date,with,many,fields\n"
        b"ID,Amount\nT1,5\n\nT2,6\n",
    )
    t = read_table(p, fmt="csv", header_row=3)
    assert t.header_row == 3
    assert t.frame.index.tolist() == [4, 5, 6]
    assert _rows(t)[6] == ["T2", "6"]
    # the index of data row k (0-based) is header_row + 1 + k
    assert t.frame.index.tolist() == [3 + 1 + k for k in range(len(t.frame))]


def test_quoted_cell_over_two_lines_is_one_row(tmp_path: Path) -> None:
    p = _write(tmp_path / "f.csv", b'ID,Note\nT1,"line one\nline two"\nT2,x\n')
    t = read_table(p, fmt="csv")
    assert t.frame.index.tolist() == [2, 3]
    assert t.frame.loc[2, "Note"] == "line one\nline two"


def test_cells_are_kept_exactly_as_read(tmp_path: Path) -> None:
    p = _write(tmp_path / "f.csv", b"ID,Code,Amount\n007, S17 ,NA\nNULL,N/A,\n")
    t = read_table(p, fmt="csv")
    assert _rows(t) == {2: ["007", " S17 ", "NA"], 3: ["NULL", "N/A", ""]}


def test_headers_stripped_and_unnamed_columns(tmp_path: Path) -> None:
    p = _write(tmp_path / "f.csv", b" ID ,,Amount,,\nT1,x,5,,\nT2,,6,,\n")
    t = read_table(p, fmt="csv")
    # the empty header over data becomes "Unnamed: 1"; empty header over empty columns dropped
    assert list(t.frame.columns) == ["ID", "Unnamed: 1", "Amount"]
    assert t.frame["Unnamed: 1"].tolist() == ["x", ""]


def test_duplicate_headers_rejected(tmp_path: Path) -> None:
    p = _write(tmp_path / "f.csv", b"Title\nID,Amount, Amount\n1,2,3\n")
    with pytest.raises(InputFileError) as err:
        read_table(p, fmt="csv", header_row=2, display_name="ledger/pay.csv")
    msg = str(err.value)
    assert msg.startswith("ledger/pay.csv:")
    assert "header row 2" in msg
    assert "'Amount'" in msg


def test_empty_header_row_rejected(tmp_path: Path) -> None:
    p = _write(tmp_path / "f.csv", b"Title\n,,\nID,Amount\n")
    with pytest.raises(InputFileError, match="header row 2 is empty"):
        read_table(p, fmt="csv", header_row=2)


def test_header_only_gives_empty_frame(tmp_path: Path) -> None:
    p = _write(tmp_path / "f.csv", b"ID,Amount\n")
    t = read_table(p, fmt="csv")
    assert t.frame.empty
    assert list(t.frame.columns) == ["ID", "Amount"]


def test_blank_lines_after_header_are_rows(tmp_path: Path) -> None:
    p = _write(tmp_path / "f.csv", b"ID,Amount\n\n\n")
    t = read_table(p, fmt="csv")
    assert t.frame.index.tolist() == [2, 3]
    assert (t.frame == "").all().all()


# -------------------------------------------------------------------- ragged rows


def test_ragged_row_with_extra_data_is_an_error_naming_the_row(tmp_path: Path) -> None:
    p = _write(
        tmp_path / "pay.csv",
        b"Ledger\nID,Client,Amount\nT1,NRPF-1,5.00\n\nT2,NRPF-2,\xa39,876.50\nT3,NRPF-3,1\n",
    )
    with pytest.raises(InputFileError) as err:
        read_table(p, fmt="csv", header_row=2, display_name="pay.csv")
    msg = str(err.value)
    assert msg.startswith("pay.csv:")
    assert "(row 5)" in msg
    assert "NRPF" not in msg and "876" not in msg  # no cell values


def test_ragged_rows_many_listed_briefly(tmp_path: Path) -> None:
    body = b"".join(b"T%d,1,2\n" % i for i in range(20))
    p = _write(tmp_path / "f.csv", b"ID,A\n" + body)
    with pytest.raises(InputFileError, match=r"20 row\(s\).*rows 2, 3, 4, 5, 6 and 15 more"):
        read_table(p, fmt="csv")


def test_trailing_empty_cells_and_short_rows_are_fine(tmp_path: Path) -> None:
    p = _write(tmp_path / "f.csv", b"ID,A,B\nT1,1,2,,\nT2\nT3,3,4,,,,,\n")
    t = read_table(p, fmt="csv")
    assert list(t.frame.columns) == ["ID", "A", "B"]
    assert _rows(t) == {2: ["T1", "1", "2"], 3: ["T2", "", ""], 4: ["T3", "3", "4"]}


# ---------------------------------------------------------------- file problems


def test_missing_file_message(tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as err:
        read_table(tmp_path / "exports" / "payments.csv", fmt="csv", display_name="payments.csv")
    msg = str(err.value)
    assert msg.startswith("payments.csv: file not found")
    assert str((tmp_path / "exports").absolute()) in msg
    assert "`path`" in msg and "config" in msg


def test_folder_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="folder"):
        read_table(tmp_path, fmt="csv")


@pytest.mark.parametrize("content", [b"ID,Amount\n", b"Title\nID,Amount"])
def test_header_row_beyond_data(tmp_path: Path, content: bytes) -> None:
    p = _write(tmp_path / "f.csv", content)
    with pytest.raises(InputFileError, match="has no header row 3"):
        read_table(p, fmt="csv", header_row=3)


def test_bad_arguments_are_config_errors(tmp_path: Path) -> None:
    p = _write(tmp_path / "f.csv", b"A\n1\n")
    with pytest.raises(ConfigError, match="format"):
        read_table(p, fmt="json")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="header_row"):
        read_table(p, fmt="csv", header_row=0)


def test_display_name_defaults_to_path(tmp_path: Path) -> None:
    p = _write(tmp_path / "f.csv", b"A\n1\n")
    t = read_table(str(p), fmt="csv")
    assert t.file == str(p)
    assert t.sheet is None


# -------------------------------------------------------------------------- Excel


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    path = tmp_path / "referrals_la1.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    stamp_fmt = wb.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    bold = wb.add_format({"bold": True})
    cover = wb.add_worksheet("Notes")
    cover.write(0, 0, "Read me first")
    ws = wb.add_worksheet("Referrals")
    ws.write(0, 0, "NRPF referrals export", bold)  # title rows 1-2
    ws.write(1, 0, "Run date: 30/06/2022")
    ws.write_row(2, 0, ["Referral No", " Date of Referral ", "Serial Date", "Source", "Count"])
    ws.write_string(3, 0, "R1")
    ws.write_datetime(3, 1, dt.datetime(2021, 4, 3), date_fmt)
    ws.write_number(3, 2, 44289)
    ws.write_string(3, 3, "GP")
    ws.write_number(3, 4, 2)
    # row 5 left blank on purpose
    ws.write_string(5, 0, "R2")
    ws.write_datetime(5, 1, dt.datetime(2021, 4, 5, 14, 22), stamp_fmt)
    ws.write_string(5, 2, "03/04/2021")
    ws.write_boolean(5, 3, True)
    ws.write_number(5, 4, 2.5)
    ws.write_string(6, 0, "Total")
    ws.write_formula(6, 4, "=SUM(E4:E6)", None, 4.5)
    ws.write_blank(9, 0, None, bold)  # formatted but empty trailing rows
    ws.write_blank(10, 3, None, bold)
    wb.close()
    return path


def test_xlsx_rows_and_values(workbook: Path) -> None:
    t = read_table(
        workbook, fmt="xlsx", sheet="Referrals", header_row=3, display_name="referrals_la1.xlsx"
    )
    assert t.file == "referrals_la1.xlsx"
    assert (t.sheet, t.header_row, t.encoding) == ("Referrals", 3, None)
    assert list(t.frame.columns) == [
        "Referral No",
        "Date of Referral",
        "Serial Date",
        "Source",
        "Count",
    ]
    assert t.frame.index.name == "row"
    assert t.frame.index.tolist() == [4, 5, 6, 7]
    rows = _rows(t)
    assert rows[4] == ["R1", dt.date(2021, 4, 3), 44289.0, "GP", 2.0]
    assert rows[5] == ["", "", "", "", ""]
    assert rows[6] == ["R2", dt.datetime(2021, 4, 5, 14, 22), "03/04/2021", True, 2.5]
    assert rows[7] == ["Total", "", "", "", 4.5]


def test_xlsx_dates_and_serials_normalise_to_same_day(workbook: Path) -> None:
    t = read_table(workbook, fmt="xlsx", sheet="Referrals", header_row=3)
    dates = parse_dates(t.frame["Date of Referral"]).values
    serials = parse_dates(t.frame["Serial Date"]).values
    assert dates[4] == serials[4] == serials[6] == pd.Timestamp("2021-04-03")
    assert dates[6] == pd.Timestamp("2021-04-05")


def test_xlsx_several_sheets_need_a_sheet_name(workbook: Path) -> None:
    # Reading the first sheet silently would ingest a cover sheet instead of the data.
    with pytest.raises(InputFileError) as err:
        read_table(workbook, fmt="xlsx", display_name="referrals_la1.xlsx")
    msg = str(err.value)
    assert msg.startswith("referrals_la1.xlsx: the workbook has 2 sheets ('Notes', 'Referrals')")
    assert "set `sheet`" in msg


def test_xlsx_single_sheet_needs_no_sheet_name(tmp_path: Path) -> None:
    path = tmp_path / "one.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Only")
    ws.write_row(0, 0, ["Read me first"])
    wb.close()
    t = read_table(path, fmt="xlsx")
    assert t.sheet == "Only"
    assert list(t.frame.columns) == ["Read me first"]
    assert t.frame.empty


def test_xlsx_missing_sheet_lists_sheets(workbook: Path) -> None:
    with pytest.raises(InputFileError) as err:
        read_table(workbook, fmt="xlsx", sheet="referrals ", display_name="referrals_la1.xlsx")
    msg = str(err.value)
    assert msg.startswith("referrals_la1.xlsx: has no sheet 'referrals '")
    assert "'Notes', 'Referrals'" in msg
    assert "Did you mean 'Referrals'?" in msg


def test_xlsx_header_row_beyond_data(workbook: Path) -> None:
    with pytest.raises(InputFileError, match="has no header row 50"):
        read_table(workbook, fmt="xlsx", sheet="Referrals", header_row=50)


def test_xlsx_duplicate_headers(tmp_path: Path) -> None:
    path = tmp_path / "d.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    ws.write_row(0, 0, ["ID", "Date", "Date "])
    ws.write_row(1, 0, ["a", "b", "c"])
    wb.close()
    with pytest.raises(InputFileError, match=r"d\.xlsx, sheet 'S': header row 1 repeats.*'Date'"):
        read_table(path, fmt="xlsx", display_name="d.xlsx")


def test_xlsx_numeric_header_and_unnamed_column(tmp_path: Path) -> None:
    path = tmp_path / "n.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("S")
    ws.write_row(0, 0, ["ID", 2021])
    ws.write_row(1, 0, ["a", 1, "stray"])
    wb.close()
    t = read_table(path, fmt="xlsx")
    assert list(t.frame.columns) == ["ID", "2021", "Unnamed: 2"]


def test_not_a_workbook(tmp_path: Path) -> None:
    p = _write(tmp_path / "fake.xlsx", b"ID,Amount\n1,2\n")
    with pytest.raises(InputFileError, match=r"fake\.xlsx: cannot be opened as an Excel workbook"):
        read_table(p, fmt="xlsx")


# ===================================================================== delimiters


def _csv_text(rows: list[list[str]], delimiter: str, lineterminator: str = "\r\n") -> str:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=delimiter, lineterminator=lineterminator)
    writer.writerows(rows)
    return buf.getvalue()


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_auto_detected(tmp_path: Path, delimiter: str) -> None:
    rows = [["Family Ref", "Amount", "Note"], ["F1", "£1,234.50", "a;b|c\td"], ["F2", "3", ""]]
    p = _write(tmp_path / "f.csv", _csv_text(rows, delimiter).encode("cp1252"))
    t = read_table(p, fmt="csv")
    assert t.delimiter == delimiter
    assert list(t.frame.columns) == rows[0]
    assert _rows(t) == {2: rows[1], 3: rows[2]}


def test_delimiter_counted_outside_quotes_on_the_header_row(tmp_path: Path) -> None:
    # two quoted semicolons, one comma outside quotes: comma wins
    p = _write(tmp_path / "f.csv", b'"Ref;code";"x";y\n"Date;seen",Amount\n1,2\n')
    t = read_table(p, fmt="csv", header_row=2)
    assert t.delimiter == ","
    assert list(t.frame.columns) == ["Date;seen", "Amount"]
    # the title row (row 1) has more semicolons; only the header row counts
    p = _write(tmp_path / "g.csv", b"Report; all; LAs; 2021\nRef|Amount\nF1|5\n")
    t = read_table(p, fmt="csv", header_row=2)
    assert t.delimiter == "|"
    assert _rows(t) == {3: ["F1", "5"]}


@pytest.mark.parametrize(
    "data", [b"Ref;Code,Amount\n1;2,3\n", b"Ref\n1\n", b"Ref\tCode;Amount\n1\t2;3\n"]
)
def test_delimiter_tie_or_none_is_comma(tmp_path: Path, data: bytes) -> None:
    assert read_table(_write(tmp_path / "f.csv", data), fmt="csv").delimiter == ","


def test_delimiter_explicit(tmp_path: Path) -> None:
    # the header line alone would suggest ";", the user knows better
    p = _write(tmp_path / "f.csv", b"Ref;x|Amount\nF1;y|5\n")
    t = read_table(p, fmt="csv", delimiter="|")
    assert t.delimiter == "|"
    assert _rows(t) == {2: ["F1;y", "5"]}


@pytest.mark.parametrize("bad", [":", ";;", "", "semicolon", None, "\\t"])
def test_bad_delimiter_is_config_error(tmp_path: Path, bad: object) -> None:
    p = _write(tmp_path / "f.csv", b"A\n1\n")
    with pytest.raises(ConfigError) as err:
        read_table(p, fmt="csv", delimiter=bad)  # type: ignore[arg-type]
    msg = str(err.value)
    assert "delimiter" in msg
    for allowed in ("','", "';'", "'\\t'", "'|'", "'auto'"):
        assert allowed in msg


def test_semicolon_file_read_without_misleading_comma_error(tmp_path: Path) -> None:
    # A European-style export: semicolons between cells, decimal commas inside them.
    p = _write(tmp_path / "pay.csv", "Ref;Amount;Payee\nT1;1234,50;René\n".encode("cp1252"))
    t = read_table(p, fmt="csv")
    assert (t.delimiter, t.encoding) == (";", "cp1252")
    assert _rows(t) == {2: ["T1", "1234,50", "René"]}


@pytest.mark.parametrize(("delimiter", "shown"), [(",", "comma (,)"), ("\t", "tab")])
def test_width_mismatch_error_names_the_delimiter(
    tmp_path: Path, delimiter: str, shown: str
) -> None:
    data = "Ref{d}Amount\nT1{d}5\nT2{d}NRPF-77{d}6\n".replace("{d}", delimiter)
    p = _write(tmp_path / "pay.csv", data.encode())
    with pytest.raises(InputFileError) as err:
        read_table(p, fmt="csv", delimiter=delimiter, display_name="pay.csv")
    msg = str(err.value)
    assert f"read with {shown} as the delimiter" in msg
    assert "set `delimiter` in the source profile" in msg
    assert "comma inside a value that is not in quotes" in msg  # the other likely cause
    assert "(row 3)" in msg
    assert "NRPF" not in msg


def test_wrong_explicit_delimiter_names_it(tmp_path: Path) -> None:
    p = _write(tmp_path / "pay.csv", b"Ref,Amount\nT1;x,5\nT2,6,7\n")
    with pytest.raises(InputFileError, match="read with comma"):
        read_table(p, fmt="csv", delimiter=",")


def test_excel_raw_table_has_no_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "one.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("S").write_row(0, 0, ["Ref"])
    wb.close()
    assert read_table(path, fmt="xlsx").delimiter is None


# ==================================================================== encodings


# Byte order marks: The Unicode Standard, section 23.8 "Specials" (U+FEFF), and
# RFC 2781 section 3.2 (UTF-16 BOM FE FF big endian, FF FE little endian).
_UTF16_VARIANTS = {
    "le": lambda s: codecs.BOM_UTF16_LE + s.encode("utf-16-le"),
    "be": lambda s: codecs.BOM_UTF16_BE + s.encode("utf-16-be"),
}


@pytest.mark.parametrize("variant", ["le", "be"])
def test_detect_encoding_utf16(tmp_path: Path, variant: str) -> None:
    p = _write(tmp_path / "x.csv", _UTF16_VARIANTS[variant]("Amount\n£5\n"))
    assert detect_encoding(p) == "utf-16"


@pytest.mark.parametrize("variant", ["le", "be"])
@pytest.mark.parametrize("fast", [True, False])
def test_utf16_read(tmp_path: Path, variant: str, fast: bool, monkeypatch) -> None:
    if not fast:
        monkeypatch.setattr(readers, "_arrow_cells", lambda *a, **k: None)
    text = 'Report\r\n"Title over\r\ntwo lines"\r\nRef\tNote\r\nF1\t"Zoë 😀\r\n€"\r\n\r\nF2\t\r\n'
    p = _write(tmp_path / "u.csv", _UTF16_VARIANTS[variant](text))
    t = read_table(p, fmt="csv", header_row=3)
    assert (t.encoding, t.delimiter) == ("utf-16", "\t")
    assert _rows(t) == {4: ["F1", "Zoë 😀\r\n€"], 5: ["", ""], 6: ["F2", ""]}


def test_utf16_explicit_endianness(tmp_path: Path) -> None:
    p = _write(tmp_path / "u.csv", "Ref,Note\nF1,é\n".encode("utf-16-be"))
    t = read_table(p, fmt="csv", encoding="utf-16-be")
    assert _rows(t) == {2: ["F1", "é"]}


def test_utf16_without_bom_gets_a_hint(tmp_path: Path) -> None:
    p = _write(tmp_path / "u.csv", "Ref,Note\nF1,x\n".encode("utf-16-le"))
    with pytest.raises(InputFileError, match=r'UTF-16 text without a byte order mark.*"utf-16-le"'):
        read_table(p, fmt="csv")


def test_other_explicit_encodings(tmp_path: Path) -> None:
    # A multi-byte encoding in which a quote or delimiter byte could be half a character.
    p = _write(tmp_path / "s.csv", "表題\nRef,Note\nF1,表\n".encode("shift_jis"))
    t = read_table(p, fmt="csv", header_row=2, encoding="shift_jis")
    assert _rows(t) == {3: ["F1", "表"]}
    p = _write(tmp_path / "d.csv", "Ref,Note\nF1,Ç\n".encode("cp850"))
    assert _rows(read_table(p, fmt="csv", encoding="cp850")) == {2: ["F1", "Ç"]}


def test_undecodable_byte_with_explicit_encoding_not_quoted(tmp_path: Path) -> None:
    # 0x81 is undefined in Windows-1252; the codec's own message would quote the bytes.
    p = _write(tmp_path / "pay.csv", b"Ref,Name\nF1,NRPF-55\x81\n")
    with pytest.raises(InputFileError, match=r"pay\.csv: cannot be read as cp1252") as err:
        read_table(p, fmt="csv", encoding="cp1252", display_name="pay.csv")
    assert "NRPF" not in str(err.value)
    assert read_table(p, fmt="csv").encoding == "latin-1"


def _xlsx_bytes(tmp_path: Path) -> bytes:
    path = tmp_path / "book.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("S").write_row(0, 0, ["Ref", "Amount"])
    wb.close()
    return path.read_bytes()


def test_workbook_given_as_csv(tmp_path: Path) -> None:
    # ZIP local file header signature 0x04034b50 ("PK\x03\x04"): PKWARE APPNOTE.TXT 4.3.7.
    p = _write(tmp_path / "referrals.csv", _xlsx_bytes(tmp_path))
    with pytest.raises(InputFileError) as err:
        read_table(p, fmt="csv", display_name="referrals.csv")
    msg = str(err.value)
    assert msg.startswith("referrals.csv: this looks like an Excel workbook, not a CSV")
    assert 'format = "xlsx"' in msg
    # Compound File Binary header signature D0 CF 11 E0 A1 B1 1A E1: [MS-CFB] 2.2.
    p = _write(tmp_path / "old.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(
        InputFileError, match=r'Excel workbook \(\.xls\), not a CSV; set format = "xlsx"'
    ):
        read_table(p, fmt="csv")


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF document"),  # ISO 32000-1, 7.5.2
        (b"\x1f\x8b\x08\x00" + b"\x00" * 20, "a compressed (gzip) file"),  # RFC 1952, 2.3.1
        (b"Ref,Amount\nF1,\x00\x00\x07\n", "binary data"),
    ],
)
def test_binary_file_given_as_csv(tmp_path: Path, data: bytes, kind: str) -> None:
    p = _write(tmp_path / "x.csv", data)
    with pytest.raises(InputFileError, match=re.escape(f"this looks like a binary file ({kind})")):
        read_table(p, fmt="csv")


def test_zip_archive_given_as_csv(tmp_path: Path) -> None:
    archive = tmp_path / "exports.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("payments.csv", "Ref,Amount\nF1,5\n")
    p = _write(tmp_path / "payments.csv", archive.read_bytes())
    with pytest.raises(InputFileError, match=r"binary file \(a zip archive\), not a CSV"):
        read_table(p, fmt="csv")


def test_web_page_given_as_csv_or_workbook(tmp_path: Path) -> None:
    page = b"<html><body><table><tr><td>Ref</td></tr></table></body></html>"
    with pytest.raises(InputFileError, match="web page or XML"):
        read_table(_write(tmp_path / "r.csv", page), fmt="csv")
    with pytest.raises(InputFileError, match="web page or XML"):
        read_table(_write(tmp_path / "r.xls", page), fmt="xlsx")


@pytest.mark.parametrize(
    "data",
    [b"Ref,Amount\r\nF1,5\r\n", "Ref,Amount\nF1,5\n".encode("utf-16"), b"\xa3 only text"],
)
def test_text_given_as_workbook(tmp_path: Path, data: bytes) -> None:
    p = _write(tmp_path / "referrals.xlsx", data)
    with pytest.raises(InputFileError) as err:
        read_table(p, fmt="xlsx", display_name="referrals.xlsx")
    msg = str(err.value)
    assert "this looks like a CSV/text file" in msg
    assert 'format = "csv"' in msg


def test_binary_given_as_workbook(tmp_path: Path) -> None:
    p = _write(tmp_path / "r.xlsx", b"%PDF-1.4\n\x00\x01")
    with pytest.raises(InputFileError, match=r"binary file \(a PDF document\), not a workbook"):
        read_table(p, fmt="xlsx")


@pytest.mark.parametrize(
    "data",
    [
        b"",
        codecs.BOM_UTF8,
        b" \r\n\t\n",
        codecs.BOM_UTF8 + b"\n\n",
        codecs.BOM_UTF16_LE,
        codecs.BOM_UTF16_BE + " \n".encode("utf-16-be"),
    ],
)
@pytest.mark.parametrize("header_row", [1, 3])
def test_empty_file(tmp_path: Path, data: bytes, header_row: int) -> None:
    p = _write(tmp_path / "e.csv", data)
    with pytest.raises(InputFileError, match=r"^e\.csv: the file is empty"):
        read_table(p, fmt="csv", header_row=header_row, display_name="e.csv")


def test_empty_file_given_as_workbook(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="the file is empty"):
        read_table(_write(tmp_path / "e.xlsx", b""), fmt="xlsx")


# ====================================================================== headers


def test_header_cells_normalised(tmp_path: Path) -> None:
    data = '\ufeff Family\u00a0 Ref ,"Date of\r\nReferral","  Amount\t(£) "\nF1,2021,5\n'
    t = read_table(_write(tmp_path / "f.csv", data.encode()), fmt="csv")
    assert list(t.frame.columns) == ["Family Ref", "Date of Referral", "Amount (£)"]


def test_xlsx_header_cells_normalised(tmp_path: Path) -> None:
    path = tmp_path / "h.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("S").write_row(0, 0, ["Date of\nReferral", "  Family   Ref"])
    wb.close()
    assert list(read_table(path, fmt="xlsx").frame.columns) == ["Date of Referral", "Family Ref"]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Family Ref", "family ref"),
        ("Family Ref", " FAMILY\n  REF "),
        ("\ufeffStraße", "STRASSE"),  # casefold, not lower
        ("Date\tof\u00a0Birth", "date of birth"),
    ],
)
def test_header_key_equal(a: str, b: str) -> None:
    assert header_key(a) == header_key(b)


def test_header_key_keeps_words_apart() -> None:
    assert header_key("Family Ref") != header_key("FamilyRef")
    assert header_key("  A  b ") == "a b"


def test_headers_equal_ignoring_case_and_spacing_are_repeated(tmp_path: Path) -> None:
    p = _write(tmp_path / "f.csv", b"Ref,Amount,Date,amount \n1,2,3,4\n")
    with pytest.raises(InputFileError) as err:
        read_table(p, fmt="csv", display_name="f.csv")
    msg = str(err.value)
    assert msg.startswith("f.csv: header row 1 repeats column names")
    assert "'Amount' in columns B and D" in msg


def test_repeated_header_uses_column_letters_and_truncates(tmp_path: Path) -> None:
    long = "Number of children in the household at the date of referral"
    header = [f"Col {k}" for k in range(27)] + [long, long]
    p = _write(tmp_path / "f.csv", (",".join(header) + "\n").encode())
    with pytest.raises(InputFileError) as err:
        read_table(p, fmt="csv")
    msg = str(err.value)
    assert "columns AB and AC" in msg
    assert "'Number of children in the household at …'" in msg
    assert long not in msg


def test_repeated_header_that_looks_like_data_is_not_quoted(tmp_path: Path) -> None:
    # A header row that passes (mostly text) but repeats a number: name columns only.
    p = _write(tmp_path / "f.csv", b"Ref,Name,Cohort,1750,1750\n")
    with pytest.raises(InputFileError) as err:
        read_table(p, fmt="csv")
    msg = str(err.value)
    assert "columns D and E" in msg
    assert "1750" not in msg


@pytest.mark.parametrize("fast", [True, False])
def test_two_header_rows_csv(tmp_path: Path, fast: bool, monkeypatch) -> None:
    if not fast:
        monkeypatch.setattr(readers, "_arrow_cells", lambda *a, **k: None)
    data = (
        b"NRPF export\n"
        b"\n"
        b",Family,,Assessment,,,\n"
        b"ID,Ref,Cohort,Start,End,,Notes\n"
        b"1,F1,Pilot,x,y,,z\n"
        b",,,,,,\n"
    )
    t = read_table(_write(tmp_path / "f.csv", data), fmt="csv", header_row=[3, 4])
    assert t.header_row == (3, 4)
    # the title reaches "Notes" (no non-blank cell in between) but not the empty column F
    assert list(t.frame.columns) == [
        "ID",
        "Family Ref",
        "Family Cohort",
        "Assessment Start",
        "Assessment End",
        "Assessment Notes",
    ]
    assert t.frame.index.tolist() == [5, 6]
    assert _rows(t)[5] == ["1", "F1", "Pilot", "x", "y", "z"]


def test_three_header_rows_csv_titles_stop_at_a_higher_group(tmp_path: Path) -> None:
    data = b"2021/22,,,2022/23,\nQ1,,Q2,Q1,\nReferrals,Closures,Referrals,Referrals,Closures\n"
    t = read_table(_write(tmp_path / "f.csv", data), fmt="csv", header_row=[1, 2, 3])
    assert list(t.frame.columns) == [
        "2021/22 Q1 Referrals",
        "2021/22 Q1 Closures",
        "2021/22 Q2 Referrals",
        "2022/23 Q1 Referrals",
        "2022/23 Q1 Closures",
    ]


def test_two_header_rows_upper_row_shorter(tmp_path: Path) -> None:
    # Writers that trim trailing empty cells leave the group row shorter than the table.
    data = b"Family,,Assessment\nRef,Cohort,Start,End\nF1,Pilot,a,b\n"
    t = read_table(_write(tmp_path / "f.csv", data), fmt="csv", header_row=[1, 2])
    assert list(t.frame.columns) == [
        "Family Ref",
        "Family Cohort",
        "Assessment Start",
        "Assessment End",
    ]
    assert _rows(t) == {3: ["F1", "Pilot", "a", "b"]}


@pytest.fixture
def merged_workbook(tmp_path: Path) -> Path:
    # Merged cells: ECMA-376 Part 1, 18.3.1.55 mergeCell (the value sits in the top-left cell).
    path = tmp_path / "merged.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Referrals")
    ws.write(0, 0, "NRPF referrals")
    ws.merge_range(2, 0, 3, 0, "ID")  # merged down over both header rows
    ws.merge_range(2, 1, 2, 2, "Family")
    ws.merge_range(2, 3, 2, 4, "Assessment")
    ws.write(2, 6, "Support")  # not merged: heads column G only
    ws.write_row(3, 1, ["Ref", "Cohort", "Start", "End", "Notes", "Type", "Hours"])
    ws.write_row(4, 0, ["1", "F1", "Pilot", "a", "b", "c", "d", "e"])
    wb.close()
    return path


def test_two_header_rows_xlsx_merged_titles_span_their_columns(merged_workbook: Path) -> None:
    t = read_table(merged_workbook, fmt="xlsx", sheet="Referrals", header_row=[3, 4])
    assert list(t.frame.columns) == [
        "ID",
        "Family Ref",
        "Family Cohort",
        "Assessment Start",
        "Assessment End",
        "Notes",
        "Support Type",
        "Hours",
    ]
    assert t.frame.index.tolist() == [5]
    assert t.header_row == (3, 4)


def test_xlsx_without_merges_header_row_unchanged(merged_workbook: Path) -> None:
    t = read_table(merged_workbook, fmt="xlsx", sheet="Referrals", header_row=4)
    # the merged cell A3:A4 keeps its value in A3 only; row 4 has no header in column A
    assert list(t.frame.columns)[:3] == ["Unnamed: 0", "Ref", "Cohort"]
    assert t.header_row == 4


@pytest.mark.parametrize(
    "bad", [0, -1, True, 1.0, "3", [], [0, 1], [3, 5], [4, 3], [3, 3], [True, 2], (2.0,)]
)
def test_bad_header_row_is_config_error(tmp_path: Path, bad: object) -> None:
    p = _write(tmp_path / "f.csv", b"A\n1\n")
    with pytest.raises(ConfigError, match="header_row"):
        read_table(p, fmt="csv", header_row=bad)  # type: ignore[arg-type]


def test_header_row_sequence_kept_as_tuple(tmp_path: Path) -> None:
    p = _write(tmp_path / "f.csv", b"T\nA\n1\n")
    assert read_table(p, fmt="csv", header_row=[2]).header_row == (2,)
    assert read_table(p, fmt="csv", header_row=(2,)).frame.index.tolist() == [3]
    assert read_table(p, fmt="csv", header_row=2).header_row == 2


def test_header_rows_beyond_data(tmp_path: Path) -> None:
    p = _write(tmp_path / "f.csv", b"Title\nGroup\n")
    with pytest.raises(InputFileError, match="has no header row 3"):
        read_table(p, fmt="csv", header_row=[2, 3])


# ============================================================= never quote data


@pytest.mark.parametrize(
    "cells",
    [
        ["Family Ref", "Date of Referral", "Amount (£)"],
        ["ID", 2021],  # a year beside a label
        ["Ref", "2021/22", "2022/23", "Q1"],
        ["Q1 Agencies share information", "Q2", "Total"],
        ["", None, "Ref", float("nan")],
        ["Ref", "Date (dd/mm/yyyy)", "Referrals since April 2021"],
        [],
    ],
)
def test_header_problem_accepts_headers(cells: list[object]) -> None:
    assert header_problem(cells) is None


@pytest.mark.parametrize(
    ("cells", "kinds"),
    [
        (["NRPF-00404", "Renée Liu", "17/02/2021", "3", "4", "3"], "dates and numbers"),
        (["R1", dt.date(2021, 4, 3), 44289.0, "GP", 2.0], "dates and numbers"),
        (["F1", "Jane", "2015-04-03"], "dates"),
        (["F1", "Jane", "3 April 2015"], "dates"),
        (["F1", "Jane", "Apr 3, 2015"], "dates"),
        (["F1", "Jane", "03-Apr-15 14:22"], "dates"),
        (["F1", "Jane", dt.datetime(2015, 4, 3, 9, 0)], "dates"),
        (["F1", "call 07700 900123"], "identifiers"),
        (["F1", "QQ 12 34 56 A"], "identifiers"),
        (["F1", "E9 1QT"], "identifiers"),
        (["F1", "B5043390"], "identifiers"),
        (["F1", "someone@example.com"], "identifiers"),
        (["1", "2,500.00", "(3.50)", "x"], "numbers"),
        (["F1", "£1,234", "-5%", 7], "numbers"),
        (["F1", True, False], "true/false values"),
        (["F1", "17/02/2021", "07700 900123", "5"], "dates, numbers and identifiers"),
    ],
)
def test_header_problem_flags_data(cells: list[object], kinds: str) -> None:
    assert header_problem(cells) == kinds


def test_data_row_as_header_is_refused_without_quoting(tmp_path: Path) -> None:
    data = b"Family Ref,Name,DOB,Children\nNRPF-00102,Aisha Yilmaz,07/11/1990,2\n"
    p = _write(tmp_path / "families.csv", data)
    with pytest.raises(InputFileError) as err:
        read_table(p, fmt="csv", header_row=2, display_name="families.csv")
    msg = str(err.value)
    assert msg == (
        "families.csv: row 2 does not look like a header row: it holds dates and numbers — "
        "check `header_row` in the config."
    )


def test_data_row_with_repeats_refused_before_repeated_header_error(tmp_path: Path) -> None:
    # Both cells repeat: the repeated-header error would quote them; the data check comes first.
    p = _write(tmp_path / "f.csv", b"Ref,Seen,Again\nNRPF-1,03/04/2015,03/04/2015\n")
    with pytest.raises(InputFileError) as err:
        read_table(p, fmt="csv", header_row=2)
    msg = str(err.value)
    assert "does not look like a header row" in msg
    assert "NRPF" not in msg and "2015" not in msg


def test_xlsx_data_row_as_header_is_refused(workbook: Path) -> None:
    with pytest.raises(InputFileError) as err:
        read_table(workbook, fmt="xlsx", sheet="Referrals", header_row=4, display_name="r.xlsx")
    msg = str(err.value)
    assert msg.startswith("r.xlsx, sheet 'Referrals': row 4 does not look like a header row")
    assert "dates and numbers" in msg
    assert "R1" not in msg and "GP" not in msg and "2021" not in msg


def test_group_title_row_that_looks_like_data_is_refused(tmp_path: Path) -> None:
    p = _write(tmp_path / "f.csv", b"F1,07700 900123\nRef,Phone\n")
    with pytest.raises(InputFileError, match="row 1 does not look like a header row"):
        read_table(p, fmt="csv", header_row=[1, 2])


def test_find_header_row_csv(tmp_path: Path) -> None:
    data = b"Finance ledger\nRun by: x;y;z\n\nTRANSACTION  ID;Amount;Note\nT1;5;a\n"
    p = _write(tmp_path / "f.csv", data)
    assert find_header_row(p, ["Transaction ID", "Amount", "Payee"], fmt="csv") == 4
    assert find_header_row(p, ["Nothing like it"], fmt="csv") is None
    assert find_header_row(p, ["Amount"], fmt="csv", delimiter=",") is None


def test_find_header_row_prefers_most_matches_then_earliest(tmp_path: Path) -> None:
    data = b"Amount\nRef,Amount\nRef,Amount\n"
    assert find_header_row(_write(tmp_path / "f.csv", data), ["Ref", "Amount"], fmt="csv") == 2


def test_find_header_row_looks_at_30_rows(tmp_path: Path) -> None:
    data = b"t\n" * 29 + b"Ref,Amount\n"
    p = _write(tmp_path / "f.csv", data)
    assert find_header_row(p, ["Ref"], fmt="csv") == 30
    p = _write(tmp_path / "g.csv", b"t\n" + data)
    assert find_header_row(p, ["Ref"], fmt="csv") is None


def test_find_header_row_xlsx(workbook: Path) -> None:
    expected = ["Referral No", "Date of Referral", "Source"]
    assert find_header_row(workbook, expected, fmt="xlsx", sheet="Referrals") == 3
    with pytest.raises(InputFileError, match="set `sheet`"):
        find_header_row(workbook, expected, fmt="xlsx")


# ============================================================== parsers and speed


def _spy_fallback(monkeypatch) -> list[int]:
    calls: list[int] = []
    original = readers._pandas_cells

    def spy(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(readers, "_pandas_cells", spy)
    return calls


def test_regular_csv_read_by_pyarrow_into_arrow_strings(tmp_path: Path, monkeypatch) -> None:
    calls = _spy_fallback(monkeypatch)
    data = 'Report\r\nRef,Note\r\nF1,"a\r\nb"\r\n\r\n,\r\nF2,£\r\n'.encode("cp1252")
    t = read_table(_write(tmp_path / "f.csv", data), fmt="csv", header_row=2)
    assert calls == []
    assert _rows(t) == {3: ["F1", "a\r\nb"], 4: ["", ""], 5: ["", ""], 6: ["F2", "£"]}
    for col in t.frame.columns:
        assert isinstance(t.frame[col].array, pd.arrays.ArrowStringArray)
        assert t.frame[col].dtype == "str"


def test_ragged_csv_falls_back_to_pandas(tmp_path: Path, monkeypatch) -> None:
    calls = _spy_fallback(monkeypatch)
    t = read_table(_write(tmp_path / "f.csv", b"ID,A,B\nT1,1,2,,\nT2\n"), fmt="csv")
    assert calls == [1]
    assert _rows(t) == {2: ["T1", "1", "2"], 3: ["T2", "", ""]}
    assert all(isinstance(t.frame[c].array, pd.arrays.ArrowStringArray) for c in t.frame)


@pytest.mark.parametrize(
    ("data", "row"),
    [
        (b'ID,Note\nT1,"never closed\nT2,x\n', 2),  # odd number of quotes
        (b'ID,Note\nT1,5"\nT2,"never closed\n', 3),  # even, but the last cell runs to the end
        (b'ID,Note\nT1,5"\nT2,"never closed', 3),  # the same without a final line break
        (b'ID,Note\nT1,5"\nT2,"never ""closed""', 3),
        (b'ID\nT1"\n"never closed', 3),  # the open cell starts its row
    ],
)
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_quote_never_closed_is_an_error(
    tmp_path: Path, data: bytes, row: int, encoding: str
) -> None:
    p = _write(tmp_path / "f.csv", data.decode().encode(encoding))
    with pytest.raises(InputFileError, match=f"quoted cell starting in row {row} is never closed"):
        read_table(p, fmt="csv")


@pytest.mark.parametrize(
    ("data", "last"),
    [
        (b'ID,Note\nT1,"closed ""x"""', 'closed "x"'),
        (b'ID,Note\nT1,x""', 'x""'),
        (b'ID,Note\nT1,""', ""),
        (b'ID,Note\nT1,"a\nb"\n', "a\nb"),
    ],
)
def test_closed_last_cell_stays_on_the_fast_path(
    tmp_path: Path, data: bytes, last: str, monkeypatch
) -> None:
    calls = _spy_fallback(monkeypatch)
    t = read_table(_write(tmp_path / "f.csv", data), fmt="csv")
    assert calls == []
    assert t.frame.loc[2, "Note"] == last


def test_row_larger_than_a_parse_block(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(readers, "_ARROW_BLOCK", 64)
    calls = _spy_fallback(monkeypatch)  # pyarrow refuses a row straddling two blocks
    long = "x" * 500
    p = _write(tmp_path / "f.csv", f'ID,Note\nT1,"{long}\n{long}"\nT2,y\n'.encode())
    t = read_table(p, fmt="csv")
    assert calls == [1]
    assert _rows(t) == {2: ["T1", f"{long}\n{long}"], 3: ["T2", "y"]}


_FRAGMENT = st.lists(st.sampled_from(["a", " ", ",", '"', '""', "\n", "\r\n", "\r", "é"]))


@st.composite
def _raw_cell(draw: st.DrawFn, kinds: Sequence[str]) -> str:
    """A raw CSV field: quoted, plain, plain with a quote, left open, or anything."""
    kind = draw(st.sampled_from(kinds))
    if kind == "plain":
        return "".join(draw(st.lists(st.sampled_from(["a", " ", "é"]))))
    if kind == "plain-quote":  # a quote is literal unless it comes first
        return "".join(draw(st.lists(st.sampled_from(["a", " ", '"', "é"]))))
    inner = "".join(draw(_FRAGMENT))
    if kind == "quoted":
        return '"' + inner.replace('"', '""') + '"'
    if kind == "open":
        return '"' + inner.replace('"', '""')
    return inner


_WELL_FORMED = ["quoted", "plain"]
_ODD = ["plain-quote", "open", "raw"]


@st.composite
def _raw_csv(draw: st.DrawFn) -> str:
    """Well-formed three-field rows, some with one odd cell, some anything at all."""
    mode = draw(st.sampled_from(["clean", "one odd cell", "anything"]))
    n_rows = draw(st.integers(0, 5))
    if mode == "anything":
        widths = [draw(st.integers(2, 4)) for _ in range(n_rows)]
        rows = [[draw(_raw_cell(_WELL_FORMED + _ODD)) for _ in range(w)] for w in widths]
    else:
        rows = [[draw(_raw_cell(_WELL_FORMED)) for _ in range(3)] for _ in range(n_rows)]
        if mode == "one odd cell" and rows:
            r, c = draw(st.integers(0, n_rows - 1)), draw(st.integers(0, 2))
            rows[r][c] = draw(_raw_cell(_ODD))
    ends = [draw(st.sampled_from(["\n", "\r\n", "\r"])) for _ in rows]
    text = "".join(",".join(r) + e for r, e in zip(rows, ends, strict=True))
    return text if draw(st.booleans()) or not text else text[: -len(ends[-1])]


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=_raw_csv())
def test_pyarrow_and_pandas_parse_alike(tmp_path: Path, body: str) -> None:
    """Whenever the fast path accepts a file, the pandas C parser gives the same cells."""
    data = ("Ref,Note,Extra\n" + body).encode()
    p = _write(tmp_path / "d.csv", data)
    text = readers._prepare_text(p, "d.csv", "utf-8", data[:100])
    fast = readers._arrow_cells(text, "d.csv", 0, ",", 3, 1)
    event("fast path" if fast is not None else "fallback")
    if fast is None:
        return
    try:
        slow = readers._pandas_cells(text, "d.csv", 0, ",", 1, 1)
    except InputFileError:  # pragma: no cover - a difference is a bug
        pytest.fail("pandas refused a file the fast path accepted")
    assert fast[0] == slow[0]
    assert fast[1].shape[1] == 3
    assert fast[1].to_numpy().tolist() == slow[1].fillna("").to_numpy().tolist()


# ===================================================== property: cells round-trip

# CSV quoting as written by Python's csv module (RFC 4180 style: fields holding the
# delimiter, a quote or a line break are quoted, quotes doubled).
_CELL = st.text(alphabet=st.sampled_from(list("ab Z09\"',;\t|\n\r-éà£€“”ñ😀")), max_size=8)
_NAME = st.from_regex(r"[A-Za-zéñ][A-Za-zéñ ]{0,6}[A-Za-zéñ]", fullmatch=True)
_ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "utf-16-le", "utf-16-be"]


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-16-le":
        return codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    if encoding == "utf-16-be":
        return codecs.BOM_UTF16_BE + text.encode("utf-16-be")
    return text.encode(encoding)


@st.composite
def _tables(draw: st.DrawFn) -> tuple[list[list[str]], list[list[str]], list[list[str]]]:
    names = draw(st.lists(_NAME, min_size=2, max_size=5, unique_by=header_key))
    names = [" ".join(n.split()) for n in names]
    width = len(names)
    row = st.one_of(
        st.lists(_CELL, min_size=width, max_size=width),
        st.just([]),  # a blank line
        st.just([""] * width),  # a row of empty cells
    )
    titles = draw(st.lists(st.lists(_CELL, min_size=1, max_size=3), max_size=2))
    body = draw(st.lists(row, max_size=6))
    return titles, [names], body


@settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    table=_tables(),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(_ENCODINGS),
    lineterminator=st.sampled_from(["\r\n", "\n"]),
    fast=st.booleans(),
)
def test_cells_round_trip(
    tmp_path: Path,
    table: tuple[list[list[str]], list[list[str]], list[list[str]]],
    delimiter: str,
    encoding: str,
    lineterminator: str,
    fast: bool,
) -> None:
    titles, header, body = table
    if lineterminator == "\n":
        # Python's csv writer quotes only the characters of its line terminator, so a
        # lone "\r" would be written unquoted, which no reader can tell from a line end.
        assume(not any("\r" in c for r in titles + body for c in r))
    text = _csv_text(titles + header + body, delimiter, lineterminator)
    try:
        data = _encode(text, encoding)
    except UnicodeEncodeError:
        assume(False)
        return
    if encoding == "cp1252" and not text.isascii():
        # Detection tries strict UTF-8 first; Windows-1252 bytes that happen to form
        # valid UTF-8 are read as UTF-8 by design.
        try:
            data.decode("utf-8")
            assume(False)
        except UnicodeDecodeError:
            pass
    p = _write(tmp_path / "t.csv", data)
    header_row = len(titles) + 1
    with mock.patch.object(readers, "_arrow_cells", readers._arrow_cells if fast else _none):
        t = read_table(p, fmt="csv", header_row=header_row)
    width = len(header[0])
    assert t.delimiter == delimiter
    assert list(t.frame.columns) == header[0]
    expected = {header_row + 1 + k: (r or [""] * width) for k, r in enumerate(body)}
    assert _rows(t) == expected


def _none(*args: object, **kwargs: object) -> None:
    return None


@pytest.mark.parametrize("byte", range(256))
def test_fast_cp1252_check_agrees_with_the_codec(tmp_path: Path, byte: int) -> None:
    p = _write(tmp_path / "b.csv", b"Ref\n" + bytes([byte]) + b"\n")
    assert readers._cp1252_decodes(p) == readers._decodes(p, "cp1252")


@pytest.mark.parametrize(
    ("late", "encoding", "value"), [(b"\xa3", "cp1252", "£5"), (b"\x81", "latin-1", "\x815")]
)
@pytest.mark.parametrize("fast", [True, False])
def test_auto_encoding_decided_by_a_byte_late_in_the_file(
    tmp_path: Path, late: bytes, encoding: str, value: str, fast: bool, monkeypatch
) -> None:
    # The start of the file (far beyond the first reads) is plain ASCII.
    if not fast:
        monkeypatch.setattr(readers, "_arrow_cells", lambda *a, **k: None)
    body = b"".join(b"T%06d,1\r\n" % i for i in range(20_000))
    p = _write(tmp_path / "f.csv", b"Ref,Amount\r\n" + body + b"T9," + late + b"5\r\n")
    t = read_table(p, fmt="csv")
    assert t.encoding == encoding == detect_encoding(p)
    assert t.frame.loc[20_002, "Amount"] == value
    assert len(t.frame) == 20_001


def test_utf16_with_a_stray_last_byte(tmp_path: Path) -> None:
    data = codecs.BOM_UTF16_LE + ("Ref,Note\n" + "F1,x\n" * 5000).encode("utf-16-le") + b"\x00"
    with pytest.raises(InputFileError, match="cannot be read as utf-16"):
        read_table(_write(tmp_path / "u.csv", data), fmt="csv")


@pytest.mark.parametrize("data", [codecs.BOM_UTF8, codecs.BOM_UTF16_LE + b" \x00", b"\r\n"])
def test_empty_text_given_as_workbook(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(InputFileError, match="the file is empty"):
        read_table(_write(tmp_path / "e.xlsx", data), fmt="xlsx")
