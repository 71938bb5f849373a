"""Tests for noream_eval.ingest.readers: raw CSV / Excel exports, cell for cell."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter

from noream_eval.errors import ConfigError, InputFileError
from noream_eval.ingest import readers
from noream_eval.ingest.normalise import parse_dates
from noream_eval.ingest.readers import RawTable, detect_encoding, read_table


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


@pytest.mark.parametrize("content", [b"", b"ID,Amount\n"])
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


def test_xlsx_first_sheet_by_default(workbook: Path) -> None:
    t = read_table(workbook, fmt="xlsx")
    assert t.sheet == "Notes"
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
