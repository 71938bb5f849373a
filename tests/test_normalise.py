"""Tests for noream_eval.ingest.normalise: raw cells -> typed values + reasons."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import string
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from noream_eval.ingest import normalise as nz
from noream_eval.ingest.normalise import (
    Normalised,
    is_blank,
    key,
    map_code_lists,
    map_codes,
    normalise_reference,
    parse_dates,
    parse_int,
    parse_likert,
    parse_money,
)

# Small enough for the whole file to run in seconds; raise it locally to hunt for bugs,
# e.g. NOREAM_HYPOTHESIS_EXAMPLES=2000 pytest tests/test_normalise.py
FAST = settings(max_examples=int(os.environ.get("NOREAM_HYPOTHESIS_EXAMPLES", "40")), deadline=None)

D = pd.Timestamp


def _obj(values: list[object], index: list[object] | None = None) -> pd.Series:
    return pd.Series(values, dtype=object, index=index)


def _check_invariants(raw: pd.Series, out: Normalised) -> None:
    """Same index as the input; problem => missing; blank => missing and no problem."""
    assert out.values.index.equals(raw.index)
    assert out.problems.index.equals(raw.index)
    bad = out.problems.ne("").to_numpy()
    missing = out.values.isna().to_numpy(dtype=bool)
    if out.values.dtype == object:  # lists: an empty list is the missing value
        missing |= out.values.map(lambda v: v == []).to_numpy(dtype=bool)
    assert not (bad & ~missing).any()
    blank = is_blank(raw).to_numpy()
    assert not (blank & bad).any()


# -------------------------------------------------------------------------- blanks


def test_is_blank() -> None:
    raw = _obj(["x", "", "   ", "\u00a0", "\t\n", None, np.nan, pd.NaT, 0, 0.0, False, "-", "0"])
    assert is_blank(raw).tolist() == [False, True, True, True, True, True, True, True] + [False] * 5


def test_is_blank_on_typed_columns() -> None:
    assert is_blank(pd.Series(["a", "", " ", None], dtype="str")).tolist() == [
        False,
        True,
        True,
        True,
    ]
    assert is_blank(pd.Series([1.0, np.nan])).tolist() == [False, True]
    assert is_blank(pd.Series([1, None], dtype="Int64")).tolist() == [False, True]
    assert is_blank(pd.Series(pd.to_datetime(["2021-01-01", None]))).tolist() == [False, True]
    cat = pd.Series(["a", None, " "], dtype="category")
    assert is_blank(cat).tolist() == [False, True, True]


def test_normalised_is_frozen() -> None:
    out = parse_money(pd.Series(["1"]))
    with pytest.raises(dataclasses.FrozenInstanceError):
        out.values = pd.Series([2.0])  # type: ignore[misc]
    assert out.has_problem.tolist() == [False]


# ----------------------------------------------------------------------------- key


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" S.17 ", "s17"),
        ("Health & Wellbeing", "healthandwellbeing"),
        ("Self-referral", "selfreferral"),
        ("SELF REFERRAL", "selfreferral"),
        ("Children's Services", "childrensservices"),
        ("Straße", "strasse"),
        ("e\u0301", "é"),  # decomposed and composed accents agree
        ("-", ""),
        (17.0, "17"),
        (3.5, "3.5".replace(".", "")),
    ],
)
def test_key_examples(raw: object, expected: str) -> None:
    assert key(_obj([raw])).tolist() == [expected]


def test_key_blank_is_missing_and_index_kept() -> None:
    out = key(_obj(["A", "", None], index=["x", "y", "x"]))
    assert out.index.tolist() == ["x", "y", "x"]
    assert out.iloc[0] == "a"
    assert out.iloc[1:].isna().all()


@FAST
@given(st.text(max_size=30))
def test_key_idempotent(text: str) -> None:
    once = key(_obj([text])).iloc[0]
    if pd.isna(once):
        assert is_blank(_obj([text])).iloc[0]
        return
    assert key(_obj([once])).fillna("").iloc[0] == once


@FAST
@given(
    st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=20),
    st.lists(
        st.tuples(st.integers(0, 20), st.sampled_from([*" .-_/'(),:;!?\t", "  "])),
        max_size=6,
    ),
    st.lists(st.booleans(), min_size=20, max_size=20),
)
def test_key_ignores_case_space_and_punctuation(
    word: str, inserts: list[tuple[int, str]], upper: list[bool]
) -> None:
    noisy = "".join(c.upper() if u else c.lower() for c, u in zip(word, upper, strict=False))
    for pos, mark in inserts:
        noisy = noisy[:pos] + mark + noisy[pos:]
    assert key(_obj([noisy, word])).tolist() == [word.lower(), word.lower()]


# --------------------------------------------------------------------------- dates


DATE_EXAMPLES = [
    "2021-04-03",
    "2021-04-03 14:22:10",
    "2021-04-03T14:22:10",
    "2021-04-03T14:22:10.123Z",
    "2021/04/03",
    "03/04/2021",
    "3/4/2021",
    "03/04/21",
    "03-04-2021",
    "03.04.2021",
    "3 Apr 2021",
    "3 April 2021",
    "3 APRIL 2021",
    "03-Apr-21",
    "April 3, 2021",
    "03/04/2021 14:22",
    "03/04/2021 2:22 pm",
    "  03/04/2021  ",
    44289,
    44289.0,
    44289.75,
    "44289",
    dt.date(2021, 4, 3),
    dt.datetime(2021, 4, 3, 23, 59),
    pd.Timestamp("2021-04-03 10:00"),
    pd.Timestamp("2021-04-03 23:30", tz="Europe/London"),
    np.datetime64("2021-04-03T05:00"),
]


def test_parse_dates_accepted_forms() -> None:
    raw = _obj(DATE_EXAMPLES)
    out = parse_dates(raw)
    assert out.values.dtype == "datetime64[ns]"
    assert out.problems.tolist() == [""] * len(raw)
    assert (out.values == D("2021-04-03")).all()


def test_parse_dates_two_digit_year_pivot() -> None:
    out = parse_dates(pd.Series(["3/4/68", "3/4/69", "3/4/00", "03/04/99"]))
    assert out.values.tolist() == [
        D("2068-04-03"),
        D("1969-04-03"),
        D("2000-04-03"),
        D("1999-04-03"),
    ]


def test_parse_dates_month_first() -> None:
    out = parse_dates(
        pd.Series(["04/03/2021", "4/3/21", "2021-04-03", "3 Apr 2021"]), dayfirst=False
    )
    assert (out.values == D("2021-04-03")).all()
    out = parse_dates(pd.Series(["13/04/2021"]), dayfirst=False)
    assert out.problems.iloc[0].startswith("not a recognisable date (expected month-first")


@pytest.mark.parametrize(
    "raw",
    [
        "31/02/2021",
        "29/02/2021",
        "2021-02-30",
        "32/01/2021",
        "03/13/2021",
        "N/A",
        "yesterday",
        "20210403",
        "03/04",
        "2021-04-03 25:00",
        "14:22",
        "0021-04-03",
        True,
        dt.time(3, 4),
    ],
)
def test_parse_dates_problems(raw: object) -> None:
    out = parse_dates(_obj([raw]))
    assert pd.isna(out.values.iloc[0])
    assert out.problems.iloc[0] != ""
    assert str(raw) not in out.problems.iloc[0]


def test_parse_dates_impossible_date_reason() -> None:
    out = parse_dates(pd.Series(["31/02/2021", "01/03/2021"]))
    assert out.problems.tolist() == [nz.REASON_DATE_DAYFIRST, ""]
    assert nz.REASON_DATE_DAYFIRST == (
        "not a recognisable date (expected day-first dd/mm/yyyy, ISO yyyy-mm-dd or an Excel "
        "serial number)"
    )


def test_parse_dates_excel_serials() -> None:
    raw = _obj([1, 59, 60, 61, 73415, 73416, 0, -5, 0.5, 2958465, 3e9, np.inf, "60"])
    out = parse_dates(raw)
    assert out.values.iloc[:5].tolist() == [
        D("1900-01-01"),
        D("1900-02-28"),
        pd.NaT,
        D("1900-03-01"),
        D("2100-12-31"),
    ]
    assert out.problems.iloc[2] == out.problems.iloc[12] == nz.REASON_DATE_1900_02_29
    assert (out.problems.iloc[5:12] == nz.REASON_DATE_SERIAL).all()
    assert out.values.iloc[5:].isna().all()


def test_small_whole_numbers_are_serials_unless_bounded() -> None:
    # documented trade-off: "2021" is a valid Excel serial (13 July 1905)
    assert parse_dates(pd.Series(["2021"])).values.iloc[0] == D("1905-07-13")
    out = parse_dates(pd.Series(["2021"]), min_date="2017-04-01")
    assert out.problems.iloc[0].startswith("date before 2017-04-01")


def test_parse_dates_bounds() -> None:
    raw = pd.Series(["31/03/2017", "01/04/2017", "30/06/2022", "01/07/2022", ""])
    out = parse_dates(raw, min_date="2017-04-01", max_date=dt.date(2022, 6, 30))
    assert out.values.tolist() == [pd.NaT, D("2017-04-01"), D("2022-06-30"), pd.NaT, pd.NaT]
    assert out.problems.tolist() == [
        "date before 2017-04-01 (the earliest date accepted here)",
        "",
        "",
        "date after 2022-06-30 (the latest date accepted here)",
        "",
    ]


def test_parse_dates_bad_bound_raises() -> None:
    with pytest.raises(ValueError, match="min_date"):
        parse_dates(pd.Series(["01/01/2020"]), min_date="not a date")


def test_parse_dates_out_of_supported_range() -> None:
    out = parse_dates(_obj([dt.date(1, 1, 1), dt.date(9999, 12, 31), "01/01/1600"]))
    assert (out.problems == nz.REASON_DATE_SUPPORTED).all()
    assert out.values.isna().all()


def test_parse_dates_edges_of_the_supported_range_and_times_before_1970() -> None:
    raw = _obj(
        [
            dt.datetime(1677, 12, 31, 23, 59),
            dt.datetime(1678, 1, 1, 0, 0, 1),
            dt.datetime(1969, 12, 31, 23, 30),
            dt.datetime(2261, 12, 31, 23, 59),
            dt.datetime(2262, 1, 1),
        ]
    )
    out = parse_dates(raw)  # the time of day is dropped: 1969-12-31 23:30 is 1969-12-31
    assert out.values.isna().tolist() == [True, False, False, True, True]
    assert out.values.iloc[1:3].tolist() == [D("1678-01-01"), D("1969-12-31")]
    supported = (out.problems == nz.REASON_DATE_SUPPORTED).tolist()
    assert supported == [True, False, False, True, True]


def test_parse_dates_typed_inputs_and_index() -> None:
    idx = pd.Index([10, 10, 3], name="row")
    s = pd.Series([D("2021-04-03 12:00"), pd.NaT, D("2020-01-01")], index=idx)
    out = parse_dates(s)
    assert out.values.index.equals(idx)
    assert out.values.tolist() == [D("2021-04-03"), pd.NaT, D("2020-01-01")]
    assert parse_dates(pd.Series([44289.0, np.nan])).values.tolist() == [D("2021-04-03"), pd.NaT]
    assert parse_dates(pd.Series(["03/04/2021"], dtype="str")).values.iloc[0] == D("2021-04-03")
    empty = parse_dates(pd.Series([], dtype=object))
    assert len(empty.values) == 0 and empty.values.dtype == "datetime64[ns]"


def _fmt_date(d: dt.date, fmt: str) -> str:
    return {
        "iso": d.isoformat(),
        "iso_time": f"{d.isoformat()} 14:22:10",
        "iso_t": f"{d.isoformat()}T14:22:10",
        "dmy": d.strftime("%d/%m/%Y"),
        "dmy_short": f"{d.day}/{d.month}/{d.year}",
        "dmy_dash": d.strftime("%d-%m-%Y"),
        "dmy_dot": d.strftime("%d.%m.%Y"),
        "dmy_yy": d.strftime("%d/%m/%y"),
        "d_mon_y": f"{d.day} {d.strftime('%b')} {d.year}",
        "d_month_y": f"{d.day} {d.strftime('%B')} {d.year}",
        "dmy_time": d.strftime("%d/%m/%Y") + " 14:22",
    }[fmt]


DATE_FORMATS = [
    "iso",
    "iso_time",
    "iso_t",
    "dmy",
    "dmy_short",
    "dmy_dash",
    "dmy_dot",
    "dmy_yy",
    "d_mon_y",
    "d_month_y",
    "dmy_time",
]


@FAST
@given(
    st.lists(
        st.tuples(
            st.dates(dt.date(1950, 1, 1), dt.date(2050, 12, 31)), st.sampled_from(DATE_FORMATS)
        ),
        min_size=1,
        max_size=30,
    )
)
def test_dates_round_trip_every_format(cases: list[tuple[dt.date, str]]) -> None:
    # two-digit years only round-trip inside the pivot window 1969..2068
    cases = [(d, f) for d, f in cases if f != "dmy_yy" or d.year >= 1969]
    raw = pd.Series([_fmt_date(d, f) for d, f in cases], dtype=object)
    out = parse_dates(raw)
    assert out.problems.eq("").all(), out.problems.tolist()
    assert out.values.tolist() == [pd.Timestamp(d) for d, _ in cases]


@FAST
@given(st.lists(st.dates(dt.date(1950, 1, 1), dt.date(2050, 12, 31)), min_size=1, max_size=20))
def test_dates_round_trip_month_first(dates: list[dt.date]) -> None:
    raw = pd.Series([d.strftime("%m/%d/%Y") for d in dates])
    out = parse_dates(raw, dayfirst=False)
    assert out.values.tolist() == [pd.Timestamp(d) for d in dates]


@FAST
@given(
    st.lists(st.dates(dt.date(1900, 3, 1), dt.date(2100, 12, 31)), min_size=1, max_size=20),
    st.sampled_from(["int", "float", "str", "frac"]),
)
def test_excel_serial_round_trip(dates: list[dt.date], form: str) -> None:
    serials = [(d - dt.date(1899, 12, 30)).days for d in dates]  # independent of the code
    raw = {
        "int": _obj(list(serials)),
        "float": pd.Series(serials, dtype="float64"),
        "str": pd.Series([str(x) for x in serials]),
        "frac": pd.Series([x + 0.5 for x in serials]),  # a time of day
    }[form]
    out = parse_dates(raw)
    assert out.problems.eq("").all()
    assert out.values.tolist() == [pd.Timestamp(d) for d in dates]


# --------------------------------------------------------------------------- money


def test_parse_money_examples() -> None:
    raw = _obj(
        [
            "£1,234.50",
            "1234.5",
            "£ 95",
            "(120.00)",
            "-£120.00",
            "£-120",
            "1,234",
            "120.00-",
            "GBP 12.5",
            "£\u00a01,000",
            " (£5) ",
            17,
            2.5,
            Decimal("3.10"),
            "",
            None,
            np.nan,
        ]
    )
    out = parse_money(raw)
    assert out.values.dtype == "float64"
    assert out.values.tolist()[:14] == [
        1234.5,
        1234.5,
        95.0,
        -120.0,
        -120.0,
        -120.0,
        1234.0,
        -120.0,
        12.5,
        1000.0,
        -5.0,
        17.0,
        2.5,
        3.1,
    ]
    assert out.values.iloc[14:].isna().all()
    assert out.problems.eq("").all()
    _check_invariants(raw, out)


@pytest.mark.parametrize(
    "raw",
    [
        "N/A",
        "abc",
        "1.2.3",
        "12,50",
        "1,23,456",
        "£",
        "-",
        "--5",
        "-(5)",
        "(5",
        "£5£",
        "5 5",
        True,
        np.inf,
        dt.date(2021, 1, 1),
    ],
)
def test_parse_money_problems(raw: object) -> None:
    out = parse_money(_obj([raw]))
    assert np.isnan(out.values.iloc[0])
    assert out.problems.iloc[0] == nz.REASON_MONEY
    assert str(raw) not in out.problems.iloc[0] or str(raw) in {"£", "-"}


@FAST
@given(
    st.lists(
        st.tuples(
            st.decimals(min_value=-10_000_000, max_value=10_000_000, places=2, allow_nan=False),
            st.sampled_from(["plain", "pound", "commas", "pound_commas", "spaced"]),
            st.sampled_from(["minus", "parens", "pound_minus", "trailing"]),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_money_round_trip(cases: list[tuple[Decimal, str, str]]) -> None:
    texts = []
    for amount, style, negative in cases:
        body = f"{abs(amount):,.2f}" if "commas" in style else f"{abs(amount):.2f}"
        pound = {"plain": "", "commas": "", "pound": "£", "pound_commas": "£", "spaced": "£ "}
        text = pound[style] + body
        if amount < 0:
            text = {
                "minus": "-" + text,
                "parens": "(" + text + ")",
                "pound_minus": text.replace("£", "£-") if "£" in text else "-" + text,
                "trailing": text + "-",
            }[negative]
        texts.append(text)
    out = parse_money(pd.Series(texts))
    assert out.problems.eq("").all(), [t for t, p in zip(texts, out.problems, strict=True) if p]
    assert out.values.tolist() == [float(a) for a, _, _ in cases]


# ------------------------------------------------------------------------ integers


def test_parse_int_examples() -> None:
    raw = _obj(["3", "3.0", 3.0, 4, " 7 ", "+2", "007", "3.5", "three", "", None, "1,234", True])
    out = parse_int(raw)
    assert out.values.dtype == "Int64"
    assert out.values.tolist() == [3, 3, 3, 4, 7, 2, 7, pd.NA, pd.NA, pd.NA, pd.NA, pd.NA, pd.NA]
    assert out.problems.tolist()[7:] == [
        nz.REASON_INT,
        nz.REASON_INT,
        "",
        "",
        nz.REASON_INT,
        nz.REASON_INT,
    ]
    _check_invariants(raw, out)


def test_parse_int_range_messages() -> None:
    raw = pd.Series(["0", "1", "5", "6", "-1"])
    out = parse_int(raw, min_value=1, max_value=5)
    assert out.values.tolist() == [pd.NA, 1, 5, pd.NA, pd.NA]
    assert out.problems.tolist() == [
        "number outside the allowed range 1 to 5",
        "",
        "",
        "number outside the allowed range 1 to 5",
        "number outside the allowed range 1 to 5",
    ]
    assert parse_int(pd.Series(["-1"]), min_value=0).problems.iloc[0] == (
        "number below the minimum allowed (0)"
    )
    assert parse_int(pd.Series([11.0]), max_value=10).problems.iloc[0] == (
        "number above the maximum allowed (10)"
    )


def test_parse_int_huge_numbers() -> None:
    out = parse_int(_obj(["123456789012345678901", 1e30, "-999999999999999"]))
    assert out.problems.tolist()[:2] == [nz.REASON_INT_TOO_LARGE] * 2
    assert out.values.iloc[2] == -999_999_999_999_999


def test_parse_int_numeric_dtype_input() -> None:
    out = parse_int(pd.Series([1, None, 3], dtype="Int64"), max_value=2)
    assert out.values.tolist() == [1, pd.NA, pd.NA]


# --------------------------------------------------------------------------- codes

SOURCE_MAP = {
    "GP": "health",
    "Health Visitor": "health",
    "Self referral": "self",
    "Other": "unknown",
    "S17": "s17_assessment",
    "Section 17": "s17_assessment",
}
SOURCE_LEVELS = ["health", "self", "s17_assessment", "housing", "other"]


def test_map_codes_examples() -> None:
    raw = _obj(
        [
            " gp ",
            "G.P.",
            "health visitor",
            "SELF-REFERRAL",
            "S.17",
            "section 17",
            "s17 assessment",
            "Housing",
            "HOUSING ",
            "Other",
            "unknown",
            "Banana",
            "",
            None,
            17.0,
        ]
    )
    out = map_codes(raw, SOURCE_MAP, SOURCE_LEVELS)
    assert out.values.iloc[:11].tolist() == [
        "health", "health", "health", "self", "s17_assessment", "s17_assessment",
        "s17_assessment", "housing", "housing",
        "unknown",  # the explicit map entry wins over the level name "other"
        "unknown",
    ]  # fmt: skip
    assert out.values.iloc[11:].isna().all()
    assert out.values.dtype == "str"
    assert out.problems.tolist()[11:] == [nz.REASON_CODE, "", "", nz.REASON_CODE]
    _check_invariants(raw, out)


def test_map_codes_bad_target_raises() -> None:
    with pytest.raises(ValueError, match="'helth'"):
        map_codes(pd.Series(["GP"]), {"GP": "helth"}, SOURCE_LEVELS)


def test_map_codes_conflicting_keys_raise() -> None:
    with pytest.raises(ValueError, match=r"'G\.P\.'"):
        map_codes(pd.Series(["GP"]), {"GP": "health", "G.P.": "self"}, SOURCE_LEVELS)


def test_map_codes_custom_unknown_level() -> None:
    out = map_codes(pd.Series(["?", "Not known"]), {"?": "not_known"}, ["a"], unknown="not_known")
    assert out.values.tolist() == ["not_known", "not_known"]


def test_map_codes_many_rows_few_values() -> None:
    raw = pd.Series(np.tile(["S17", "Section 17", "GP", "x"], 250_000))
    out = map_codes(raw, SOURCE_MAP, SOURCE_LEVELS)
    assert out.values.value_counts().to_dict() == {"s17_assessment": 500_000, "health": 250_000}
    assert (out.problems == nz.REASON_CODE).sum() == 250_000


@FAST
@given(
    st.dictionaries(st.text(max_size=8), st.sampled_from([*SOURCE_LEVELS, "unknown"]), max_size=8),
    st.lists(st.one_of(st.text(max_size=8), st.none(), st.integers(), st.floats()), max_size=30),
)
def test_map_codes_values_always_levels(mapping: dict[str, str], cells: list[object]) -> None:
    # drop entries whose keys collide (a config with those would be rejected)
    seen: dict[str, str] = {}
    clean = {}
    for raw, target in mapping.items():
        k = nz.key_one(raw)
        if seen.setdefault(k, target) == target:
            clean[raw] = target
    raw = _obj(cells)
    out = map_codes(raw, clean, SOURCE_LEVELS)
    assert set(out.values.dropna()) <= set(SOURCE_LEVELS) | {"unknown"}
    _check_invariants(raw, out)
    lists = map_code_lists(raw, clean, SOURCE_LEVELS)
    assert all(set(v) <= set(SOURCE_LEVELS) | {"unknown"} for v in lists.values)


def test_map_code_lists() -> None:
    agencies = {"CSC": "childrens_social_care", "GP": "health", "NHS": "health"}
    levels = ["childrens_social_care", "health", "police"]
    raw = _obj(["CSC; GP ;NHS", "", None, "GP; Police; ??; Bank", "police;POLICE", ";;", "GP"])
    out = map_code_lists(raw, agencies, levels)
    assert out.values.tolist() == [
        ["childrens_social_care", "health"],
        [],
        [],
        ["health", "police"],
        ["police"],
        [],
        ["health"],
    ]
    assert out.problems.tolist() == [
        "", "", "", "2 of 4 items not in the value map for this column (left out)", "", "", ""
    ]  # fmt: skip
    assert out.values.iloc[6] is not out.values.iloc[0]
    out.values.iloc[6].append("x")  # each cell owns its list
    assert map_code_lists(raw, agencies, levels, sep="|").values.iloc[0] == []


# -------------------------------------------------------------------------- Likert

ANCHORS = {
    "None of the time": 1,
    "Rarely": 2,
    "Some of the time": 3,
    "Often": 4,
    "All of the time": 5,
}


def test_parse_likert_examples() -> None:
    raw = _obj(
        [
            "often",
            " OFTEN ",
            "Often.",
            "4 - Often",
            "4. Often",
            "4 – often",
            "Often (4)",
            "Often - 4",
            "4",
            4.0,
            4,
            "4 - Often, mostly",
            "",
            None,
        ]
    )
    out = parse_likert(raw, ANCHORS, min_value=1, max_value=5)
    assert out.values.dtype == "Int64"
    assert out.values.tolist() == [4] * 12 + [pd.NA, pd.NA]
    assert out.problems.eq("").all()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("Sometimes", nz.REASON_LIKERT_LABEL),
        ("7", "score outside the scale 1 to 5"),
        (0, "score outside the scale 1 to 5"),
        ("-1", "score outside the scale 1 to 5"),
        ("4.5", nz.REASON_LIKERT_WHOLE),
        (4.5, nz.REASON_LIKERT_WHOLE),
        ("3 - Often", nz.REASON_LIKERT_DISAGREE),
        ("Often (2)", nz.REASON_LIKERT_DISAGREE),
        ("4-5", nz.REASON_LIKERT_LABEL),
        (True, nz.REASON_LIKERT_LABEL),
    ],
)
def test_parse_likert_problems(raw: object, reason: str) -> None:
    out = parse_likert(_obj([raw]), ANCHORS, min_value=1, max_value=5)
    assert out.problems.tolist() == [reason]
    assert out.values.isna().all()


def test_parse_likert_bad_anchors() -> None:
    with pytest.raises(ValueError, match="outside the scale"):
        parse_likert(pd.Series(["x"]), {"Always": 6}, min_value=1, max_value=5)
    with pytest.raises(ValueError, match="score differently"):
        parse_likert(pd.Series(["x"]), {"Often": 4, "often!": 3}, min_value=1, max_value=5)


@FAST
@given(
    st.lists(
        st.tuples(
            st.sampled_from(sorted(ANCHORS)),
            st.lists(st.booleans(), min_size=20, max_size=20),
            st.sampled_from(["", " ", "  ", "\t"]),
            st.sampled_from(["", " ", ".", "!"]),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_likert_labels_round_trip_with_noise(cases: list[tuple[str, list[bool], str, str]]) -> None:
    texts = []
    for label, upper, pad, tail in cases:
        noisy = "".join(c.upper() if u else c.lower() for c, u in zip(label, upper, strict=False))
        noisy = noisy.replace(" ", " " + pad)
        texts.append(pad + noisy + tail)
    out = parse_likert(pd.Series(texts), ANCHORS, min_value=1, max_value=5)
    assert out.values.tolist() == [ANCHORS[label] for label, *_ in cases]


# ----------------------------------------------------------------------- references


def test_normalise_reference_examples() -> None:
    raw = _obj(
        [
            "nrpf 00123",
            "NRPF-00123",
            "00042",
            "0",
            "000",
            "AB-CD",
            "A0B00123",
            "1000",
            "ref_001",
            123.0,
            "---",
            "",
            None,
        ]
    )
    out = normalise_reference(raw)
    assert out.tolist()[:10] == [
        "NRPF123", "NRPF123", "42", "0", "0", "ABCD", "A0B123", "1000", "REF1", "123"
    ]  # fmt: skip
    assert out.iloc[10:].isna().all()


@FAST
@given(
    st.text(alphabet=string.ascii_uppercase, min_size=0, max_size=5),
    st.integers(0, 10**7),
    st.lists(
        st.tuples(
            st.sampled_from(["", " ", "-", "/", "_", ".", " - "]),
            st.integers(0, 3),
            st.booleans(),
            st.sampled_from(["", " ", "\t"]),
        ),
        min_size=1,
        max_size=8,
    ),
)
def test_normalise_reference_invariant_to_formatting(
    prefix: str, number: int, variants: list[tuple[str, int, bool, str]]
) -> None:
    texts = [
        pad + (prefix.lower() if lower else prefix) + sep + "0" * zeros + str(number) + pad
        for sep, zeros, lower, pad in variants
    ]
    out = normalise_reference(pd.Series(texts))
    assert out.tolist() == [prefix + str(number)] * len(texts)


# -------------------------------------------------------------- general guarantees


MIXED = st.one_of(
    st.text(max_size=12),
    st.none(),
    st.floats(allow_nan=True),
    st.integers(-(10**6), 10**6),
    st.booleans(),
    st.dates(dt.date(1600, 1, 1), dt.date(2300, 1, 1)),
)


@FAST
@given(st.lists(MIXED, max_size=25))
def test_invariants_on_arbitrary_cells(cells: list[object]) -> None:
    raw = _obj(cells, index=list(range(len(cells)))[::-1])
    for out in (
        parse_dates(raw, min_date="1990-01-01"),
        parse_money(raw),
        parse_int(raw, min_value=0, max_value=100),
        parse_likert(raw, ANCHORS, min_value=1, max_value=5),
        map_codes(raw, SOURCE_MAP, SOURCE_LEVELS),
    ):
        _check_invariants(raw, out)
        assert out.problems.dtype == "str"


def test_reasons_never_echo_the_cell() -> None:
    secret = "QQ123456C"  # NI-number-like text typed into the wrong column
    raw = pd.Series([secret, f"£{secret}", f"{secret}/x"])
    outs = [
        parse_dates(raw),
        parse_money(raw),
        parse_int(raw),
        parse_likert(raw, ANCHORS, min_value=1, max_value=5),
        map_codes(raw, SOURCE_MAP, SOURCE_LEVELS),
        map_code_lists(raw, SOURCE_MAP, SOURCE_LEVELS),
    ]
    for out in outs:
        assert out.problems.ne("").all()
        assert not out.problems.str.contains("QQ").any()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=12)), min_size=1, max_size=60))
def test_rowwise_arrow_paths_equal_per_value_paths(cells):
    # Long columns of distinct text (IDs) are normalised row by row in Arrow; the result
    # must equal the per-distinct-value path for any input.
    s = pd.Series(cells, dtype="str")
    expected_blank = is_blank(s).tolist()
    expected_refs = normalise_reference(s).tolist()
    old = nz._ROWWISE_MIN
    nz._ROWWISE_MIN = 0
    try:
        assert nz._arrow_text(s)
        assert is_blank(s).tolist() == expected_blank
        got = normalise_reference(s).tolist()
    finally:
        nz._ROWWISE_MIN = old
    assert [None if pd.isna(v) else v for v in got] == [
        None if pd.isna(v) else v for v in expected_refs
    ]


_DATE_PART = st.one_of(
    st.sampled_from(["03", "3", "12", "31", "2021", "21", "00", "1899", "Apr", "April", "sept"]),
    st.sampled_from(["May", "MAY", "Jun", "٣", "０３", "+", "T", ":", "Z", "@", "x", "QQ"]),
    st.sampled_from(["/", "-", ".", " ", ", ", "\t", "–"]),
    st.text(max_size=2),
)


@settings(max_examples=120, deadline=None)
@given(st.lists(_DATE_PART, min_size=1, max_size=6).map("".join))
@example("3 Apr 2021")
@example(" 3 April 21")
@example("Apr 3, 2021")
@example("03-Apr-21")
@example("3 Apr \u0662\u0660\u0662\u0661")  # the year in Arabic-Indic digits
@example("31/12/2021")
@example("2021-4-3")
def test_only_text_no_date_format_can_read_is_left_out(text):
    # _parse_date_strings puts a text through the numeric or the month-name formats only
    # when _could_be_dates allows it: that must never leave out a text a format reads.
    numeric, named = nz._could_be_dates([text])
    # Arrow's checks of ASCII text give the same answers
    by_arrow = nz._could_be_dates(pd.Series([text, "x"], dtype="str"))
    assert (by_arrow[0][0], by_arrow[1][0]) == (numeric[0], named[0])
    for fmt in (*nz._ISO_FORMATS, *nz._DAYFIRST_FORMATS, *nz._MONTHFIRST_FORMATS):
        if pd.notna(pd.to_datetime(pd.Series([text]), format=fmt, errors="coerce")[0]):
            assert numeric[0], (text, fmt)
    for fmt in nz._TEXT_MONTH_FORMATS:
        try:
            read = pd.to_datetime(pd.Series([text]), format=fmt, errors="coerce")[0]
        except KeyError:  # pandas: a case-folded month name it cannot look up
            read = pd.NaT
        if pd.notna(read):
            assert named[0], (text, fmt)
