"""Tests of noream_eval.privacy: pattern identifiers, registered identifiers, safe text.

Formats of the planted identifiers follow the sources cited in ``noream_eval/privacy.py``:

* NI numbers: HMRC National Insurance Manual NIM39110 (two prefix letters, six digits,
  suffix A-D; D, F, I, Q, U, V not used in the prefix, O not second; example QQ 12 34 56 A).
* Postcodes: BS 7666 PostCodeType (outward A9, A99, AA9, AA99, A9A, AA9A; inward a
  digit and two letters other than C, I, K, M, O, V; GIR 0AA).
* Home Office references: letter + 7 digits (optionally /n), GWF + 9 digits, UAN
  1234-5678-9012-3456 (EU Settlement Scheme certificates of application).
* Phone numbers: Ofcom drama ranges 07700 900xxx and 020 7946 0xxx; E.164 (at most 15
  digits) for international numbers such as +234 803 123 4567.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tracemalloc
import unicodedata

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from noream_eval.privacy import IDENTIFIER_RE, REDACTED, Scrubber, scrub_patterns
from noream_eval.sample._names import FIRST_NAMES, SURNAMES

# Raise locally to hunt for bugs, e.g. NOREAM_HYPOTHESIS_EXAMPLES=2000 pytest tests/test_privacy.py
FAST = settings(max_examples=int(os.environ.get("NOREAM_HYPOTHESIS_EXAMPLES", "60")), deadline=None)

# ----------------------------------------------------------------- independent helpers

_TRANSLIT = str.maketrans(
    {"ł": "l", "đ": "d", "ð": "d", "ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ı": "i"}
)


def fold(text: str) -> str:
    """Case- and accent-free text, computed here with the standard library only."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.category(c).startswith("M"))
    return bare.lower().translate(_TRANSLIT)


def name_parts(name: str) -> set[str]:
    return set(re.findall(r"[^\W\d_]{2,}", fold(name)))


def surviving_words(out: str) -> set[str]:
    return set(re.findall(r"[^\W\d_]+", fold(out))) - {"redacted"}


def compact(text: str) -> str:
    return re.sub(r"[\W_]+", "", fold(text))


def pieces(text: str, width: int = 6) -> set[str]:
    """The whole compact form and every run of ``width`` of its characters."""
    c = compact(text)
    return {c} | {c[i : i + width] for i in range(len(c) - width + 1)}


def assert_gone(values: list[str], text: str, out: str, planted: list[str]) -> None:
    """No planted value, nor six consecutive characters of one, survives in ``out``
    (unless the surrounding text itself holds them)."""
    background = compact(surrounding_only(text, planted))
    shown = compact(out)
    for value in values:
        for piece in pieces(value):
            assume(piece not in background)
            assert piece not in shown, (text, out, piece)


# ------------------------------------------------------------------------ strategies

LETTERS = "abcdefghijklmnopqrstuvwxyzáéíóúàèñçãõâêôäëïöüłøåæœßşğčřžýđ"
VOCAB = (
    "Supermarket vouchers Walk-in referral support payment nappies rent deposit "
    "Assessment completed closed reopened Food bank school uniform travel Oyster "
    "Emergency accommodation subsistence weekly fortnightly hotel approved declined "
    "advice appointment Section"
).split()
SEPARATORS = [" ", ", ", "; ", " - ", " / ", ": ", " (", ") ", " | "]

name_word = st.text(alphabet=LETTERS, min_size=2, max_size=10).map(str.capitalize)
name_part = st.one_of(st.sampled_from(FIRST_NAMES), st.sampled_from(SURNAMES), name_word)


@st.composite
def names(draw: st.DrawFn) -> str:
    """A realistic full name: accents, hyphenated and particle surnames, O'/D' prefixes."""
    first = draw(name_part)
    last = draw(name_part)
    if draw(st.booleans()):
        last = last + "-" + draw(name_part)
    prefix = draw(st.sampled_from(["", "", "O'", "D'", "N'", "Mc"]))
    return f"{first} {prefix}{last}"


def name_in_text(draw: st.DrawFn, name: str) -> str:
    first, _, last = name.partition(" ")
    variants = [
        name,
        name.upper(),
        name.lower(),
        fold(name),
        name.replace("-", " "),
        f"{last}, {first}",
        last,
        first,
        fold(last).upper(),
    ]
    return draw(st.sampled_from(variants))


digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


def ndigits(k: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=k, max_size=k)


@st.composite
def phones(draw: st.DrawFn) -> tuple[str, str]:
    """(number as registered, number as typed elsewhere)."""
    kind = draw(st.sampled_from(["mobile", "london", "area", "intl"]))
    if kind == "intl":
        cc = draw(st.sampled_from(["234", "233", "92", "880", "1", "355", "63"]))
        rest = draw(ndigits(10))
        typed = draw(
            st.sampled_from(
                [
                    f"+{cc} {rest[:3]} {rest[3:6]} {rest[6:]}",
                    f"+{cc}{rest}",
                    f"00{cc} {rest[:3]} {rest[3:]}",
                    f"+{cc} ({rest[:3]}) {rest[3:6]}-{rest[6:]}",
                ]
            )
        )
        return typed, typed
    if kind == "mobile":
        n = "07" + draw(ndigits(9))
        groups = [(5, 11), (5, 8, 11), (4, 7, 11)]
    elif kind == "london":
        n = "020" + draw(ndigits(8))
        groups = [(3, 7, 11), (3, 11)]
    else:
        n = "01" + draw(ndigits(9))
        groups = [(4, 7, 11), (5, 11)]
    cut = draw(st.sampled_from(groups))
    parts = [n[a:b] for a, b in zip((0, *cut[:-1]), cut, strict=True)]
    sep = draw(st.sampled_from([" ", "-", ".", ""]))
    plain = sep.join(parts)
    national = n[1:]
    typed = draw(
        st.sampled_from(
            [
                plain,
                f"({parts[0]}) {' '.join(parts[1:])}",
                f"+44 {national[:4]} {national[4:]}",
                f"+44 (0){national[:4]} {national[4:]}",
                f"+44 (0) {national[:4]} {national[4:]}",
                f"+44{national}",
                f"0044 {national}",
                n,
            ]
        )
    )
    return draw(st.sampled_from([plain, n])), typed


NI_FIRST = "ABCEGHJKLMNOPRSTWXYZ"  # NIM39110: not D, F, I, Q, U, V
NI_SECOND = "ABCEGHJKLMNPRSTWXYZ"  # ... and not O second


@st.composite
def ni_numbers(draw: st.DrawFn) -> tuple[str, str]:
    prefix = draw(
        st.one_of(
            st.just("QQ"),  # HMRC's own example prefix (not a valid prefix, still a reference)
            st.tuples(st.sampled_from(NI_FIRST), st.sampled_from(NI_SECOND)).map("".join),
        )
    )
    d = draw(ndigits(6))
    suffix = draw(st.sampled_from("ABCD"))
    registered = draw(
        st.sampled_from([f"{prefix} {d[:2]} {d[2:4]} {d[4:]} {suffix}", prefix + d + suffix])
    )
    typed = draw(
        st.sampled_from(
            [
                f"{prefix} {d[:2]} {d[2:4]} {d[4:]} {suffix}",
                f"{prefix}{d}{suffix}",
                f"{prefix}{d}",
                f"{prefix} {d} {suffix}",
                f"{prefix}-{d[:2]}-{d[2:4]}-{d[4:]}-{suffix}",
                f"{prefix.lower()} {d[:2]} {d[2:4]} {d[4:]}",
            ]
        )
    )
    return registered, typed


IN = "ABDEFGHJLNPQRSTUWXYZ"  # BS 7666: inward letters, not C, I, K, M, O, V
AREA1 = "ABCDEFGHIJKLMNOPRSTUWYZ"  # not Q, V, X first
AREA2 = "ABCDEFGHKLMNOPQRSTUVWXY"  # not I, J, Z second


@st.composite
def postcodes(draw: st.DrawFn) -> tuple[str, str]:
    shape = draw(st.sampled_from(["A9", "A99", "AA9", "AA99", "A9A", "AA9A", "GIR"]))
    if shape == "GIR":
        outward, inward = "GIR", "0AA"
    else:
        out = []
        for i, c in enumerate(shape):
            if c == "9":
                out.append(draw(digits))
            else:
                out.append(
                    draw(st.sampled_from(AREA1 if i == 0 else AREA2 if i == 1 else "ABEHJKSTUW"))
                )
        outward = "".join(out)
        inward = draw(digits) + draw(st.sampled_from(IN)) + draw(st.sampled_from(IN))
    registered = f"{outward} {inward}"
    typed = draw(
        st.sampled_from([registered, outward + inward, f"{outward}  {inward}", registered.lower()])
    )
    return registered, typed


@st.composite
def home_office_refs(draw: st.DrawFn) -> tuple[str, str]:
    kind = draw(st.sampled_from(["letter", "gwf", "uan"]))
    if kind == "letter":
        ref = draw(st.sampled_from("ABCDEFGHJKLMNPRSTUWXYZ")) + draw(ndigits(7))
        registered = draw(st.sampled_from([ref, ref + "/" + draw(st.sampled_from("123"))]))
        return registered, draw(st.sampled_from([registered, ref, ref.lower()]))
    if kind == "gwf":
        ref = "GWF" + draw(ndigits(9))
        return ref, draw(st.sampled_from([ref, ref.lower(), f"GWF {ref[3:7]} {ref[7:]}"]))
    d = draw(ndigits(16))
    registered = "-".join(d[i : i + 4] for i in range(0, 16, 4))
    return registered, draw(st.sampled_from([registered, d, registered.replace("-", " ")]))


@st.composite
def emails(draw: st.DrawFn) -> tuple[str, str]:
    local = re.sub(r"[^a-z]", "", fold(draw(name_part))) or "x"
    local += draw(st.sampled_from(["", ".", "_"])) + draw(st.sampled_from(["", "jones", "12", "k"]))
    domain = draw(st.sampled_from(["example.org", "mail.co.uk", "hackney.gov.uk", "x.com"]))
    e = f"{local}@{domain}"
    return e, draw(st.sampled_from([e, e.upper()]))


MONTHS = "January February March April May June July August September October November December"
MONTH = MONTHS.split()


def date_texts(d: dt.date) -> list[str]:
    return [
        f"{d:%d/%m/%Y}",
        f"{d.day}/{d.month}/{d:%y}",
        f"{d:%Y-%m-%d}",
        f"{d:%d.%m.%Y}",
        f"{d.day} {MONTH[d.month - 1]} {d.year}",
        f"{d.day} {MONTH[d.month - 1][:3]} {d.year}",
        f"{d:%d}-{MONTH[d.month - 1][:3]}-{d:%y}",
        f"{MONTH[d.month - 1]} {d.day}, {d.year}",
        f"{d:%m/%d/%Y}",  # month-first, as some systems write it
    ]


birth_dates = st.dates(dt.date(1940, 1, 1), dt.date(2024, 12, 31))
CUES = [
    "DOB",
    "DOB:",
    "D.O.B.",
    "d.o.b",
    "date of birth",
    "Date of Birth:",
    "born",
    "born on",
    "b.",
]


@st.composite
def dobs(draw: st.DrawFn) -> tuple[dt.date, str]:
    d = draw(birth_dates)
    return d, draw(st.sampled_from(date_texts(d)[:-1]))


amounts = st.integers(0, 999_999).map(lambda p: f"£{p // 100:,}.{p % 100:02d}")
surrounding_token = st.one_of(
    st.sampled_from(VOCAB),
    amounts,
    st.integers(1, 999).map(str),
    st.sampled_from(["Section 17", "s17", "Walk-in", "N/A", "(", ")", "#", "—", "ref", "x2"]),
)
surrounding = st.lists(surrounding_token, max_size=6)


def plant(draw: st.DrawFn, planted: list[str]) -> str:
    """Planted strings at random places among ordinary text, with random separators."""
    items = draw(surrounding) + [None] * len(planted)
    order = draw(st.permutations(range(len(items))))
    items = [items[i] for i in order]
    it = iter(planted)
    words = [next(it) if x is None else x for x in items]
    seps = draw(st.lists(st.sampled_from(SEPARATORS), min_size=len(words), max_size=len(words)))
    return "".join(w + s for w, s in zip(words, seps, strict=True)).strip()


def surrounding_only(text: str, planted: list[str]) -> str:
    for p in planted:
        text = text.replace(p, " ")
    return text


# ------------------------------------------------------------ property: nothing survives


@FAST
@given(data=st.data())
def test_planted_registered_identifiers_do_not_survive(data: st.DataObject) -> None:
    people = data.draw(st.lists(names(), min_size=1, max_size=3))
    phone = data.draw(phones())
    ni = data.draw(ni_numbers())
    postcode = data.draw(postcodes())
    ho = data.draw(home_office_refs())
    email = data.draw(emails())
    dob = data.draw(birth_dates)
    s = Scrubber()
    s.add(pd.Series(people, dtype="str"))
    s.add(pd.Series([phone[0], ni[0], postcode[0], ho[0], email[0]], dtype=object))
    s.add(pd.Series([pd.Timestamp(dob)]))

    planted_names = [name_in_text(data.draw, p) for p in people]
    numbers = [phone[1], ni[1], postcode[1], ho[1], email[1]]
    chosen = data.draw(st.lists(st.sampled_from(numbers), max_size=3, unique=True))
    dob_text = data.draw(st.sampled_from(date_texts(dob)))
    planted = [*planted_names, *chosen, dob_text]
    text = plant(data.draw, planted)
    out = s.scrub(text, max_len=10_000)

    assert REDACTED in out
    registered_parts = set().union(*(name_parts(p) for p in people))
    assume(not registered_parts & surviving_words(surrounding_only(text, planted)))
    assert not registered_parts & surviving_words(out), (text, out)
    assert_gone([*chosen, dob_text], text, out, planted)


@FAST
@given(data=st.data())
def test_planted_pattern_identifiers_do_not_survive_unregistered(data: st.DataObject) -> None:
    """With nothing registered, every pattern identifier still goes."""
    phone, ni, postcode, ho, email = (
        data.draw(phones())[1],
        data.draw(ni_numbers())[1],
        data.draw(postcodes())[1],
        data.draw(home_office_refs())[1],
        data.draw(emails())[1],
    )
    _, dtext = data.draw(dobs())
    dob = f"{data.draw(st.sampled_from(CUES))} {dtext}"
    chosen = data.draw(
        st.lists(
            st.sampled_from([phone, ni, postcode, ho, email, dob]),
            min_size=1,
            max_size=4,
            unique=True,
        )
    )
    text = plant(data.draw, chosen)
    values = [dtext if value == dob else value for value in chosen]
    for out in (Scrubber().scrub(text, max_len=10_000), scrub_patterns(text)):
        assert_gone(values, text, out, chosen)


@FAST
@given(data=st.data())
def test_names_in_code_columns_and_titles(data: st.DataObject) -> None:
    """A name typed into a code cell, alone or glued to digits, is redacted."""
    name = data.draw(names())
    s = Scrubber()
    s.add(pd.Series([name]))
    last = name.partition(" ")[2]
    code = data.draw(
        st.sampled_from(
            [last, last.upper(), f"{last}123", f"{fold(last)}_2", f"{last}.", f"({last})"]
        )
    )
    out = s.scrub(code)
    assert not name_parts(last) & surviving_words(out), (code, out)


# ------------------------------------------------------------- ordinary values survive

REGISTERED_NAMES = ["Kofi Mensah", "Ngozi Okonkwo", "José María García-López", "Łukasz Wiśniewska"]


@pytest.fixture(scope="module")
def scrubber() -> Scrubber:
    s = Scrubber()
    s.add(pd.Series(REGISTERED_NAMES, dtype="str"))
    s.add(pd.Series(["07700 900123", "QQ 12 34 56 A", "B1234567", "E8 3DL"]))
    s.add(pd.Series(["NRPF-00123"]), words=False)
    s.add(pd.Series([dt.datetime(1985, 4, 3), "12/11/2015"], dtype=object))
    return s


@pytest.mark.parametrize(
    "value",
    [
        "Section 17",
        "Walk-in",
        "£1,234.50",
        "2021-03-04",
        "Supermarket vouchers",
        "-5",
        "Food bank referral (2 adults, 3 children)",
        "s17 assessment completed 04/03/2021",
        "Emergency accommodation: 14 nights at £45.00",
        "Oyster top-up",
        "N/A",
        "Year 7 uniform",
    ],
)
def test_ordinary_values_survive_unchanged(scrubber: Scrubber, value: str) -> None:
    assert scrubber.scrub(value) == value
    assert scrub_patterns(value) == value
    assert not scrubber.contains_identifier(value)


ordinary = st.lists(
    st.one_of(
        st.sampled_from(VOCAB),
        amounts,
        st.integers(1, 999).map(str),
        st.just("Section 17"),
        st.dates(dt.date(2017, 1, 1), dt.date(2024, 12, 31)).map(lambda d: d.isoformat()),
    ),
    min_size=1,
    max_size=8,
)


@FAST
@given(
    words=ordinary,
    seps=st.lists(st.sampled_from([" ", ", ", "; ", " - ", ": "]), min_size=8, max_size=8),
)
def test_ordinary_text_survives_unchanged(
    scrubber: Scrubber, words: list[str], seps: list[str]
) -> None:
    text = "".join(w + s for w, s in zip(words, seps, strict=False)).strip()
    assert scrubber.scrub(text, max_len=10_000) == text


def test_vocabulary_shares_no_word_with_the_registered_names() -> None:
    # the ordinary-text test above would be vacuous if it did
    assert not {fold(w) for w in VOCAB} & set().union(*(name_parts(n) for n in REGISTERED_NAMES))


# ------------------------------------------------------------------- scrub behaviour


def test_names_are_found_in_any_case_and_accents(scrubber: Scrubber) -> None:
    for text in [
        "jose",
        "JOSÉ",
        "Garcia",
        "garcía-lopez",
        "LOPEZ",
        "lukasz",
        "WISNIEWSKA",
        "Mensah",
    ]:
        assert (
            scrubber.scrub(f"Paid to {text} for rent and food")
            == "Paid to [redacted] for rent and food"
        )


def test_adjacent_redactions_merge(scrubber: Scrubber) -> None:
    text = "José García López, 07700 900123, QQ123456A: support with food, rent and school travel"
    assert scrubber.scrub(text) == "[redacted]: support with food, rent and school travel"


def test_compact_forms_match_other_spacing(scrubber: Scrubber) -> None:
    # "NRPF 00123" is no pattern identifier: it is found through the registered compact form
    assert scrub_patterns("Family NRPF 00123 closed") == "Family NRPF 00123 closed"
    assert scrubber.scrub("Family NRPF 00123 closed") == "Family [redacted] closed"
    assert scrubber.scrub("Family nrpf00123 closed") == "Family [redacted] closed"
    assert scrubber.scrub("Family NRPF 00124 closed") == "Family NRPF 00124 closed"


def test_registered_dates_in_every_format(scrubber: Scrubber) -> None:
    for d in (dt.date(1985, 4, 3), dt.date(2015, 11, 12)):
        for text in date_texts(d):
            out = scrubber.scrub(f"Assessment due {text} at the office")
            assert out == "Assessment due [redacted] at the office", text
    assert (
        scrubber.scrub("Assessment due 03041985 at the office")
        == "Assessment due [redacted] at the office"
    )
    assert (
        scrubber.scrub("Assessment due 2015-11-13 at the office")
        == "Assessment due 2015-11-13 at the office"
    )


def test_date_values(scrubber: Scrubber) -> None:
    assert scrubber.scrub(dt.date(1985, 4, 3)) == REDACTED
    assert scrubber.scrub(pd.Timestamp("1985-04-03 14:00")) == REDACTED
    assert scrubber.scrub(np.datetime64("2015-11-12")) == REDACTED
    assert scrubber.scrub(dt.datetime(2021, 3, 4, 10, 30)) == "2021-03-04"
    assert scrubber.scrub(np.datetime64("NaT")) == ""
    assert scrubber.contains_identifier(dt.date(1985, 4, 3))
    assert not scrubber.contains_identifier(dt.date(2021, 3, 4))


def test_missing_numbers_and_booleans(scrubber: Scrubber) -> None:
    for missing in (None, float("nan"), pd.NA, pd.NaT, np.nan):
        assert scrubber.scrub(missing) == ""
        assert not scrubber.contains_identifier(missing)
    assert scrubber.scrub(17.0) == "17"
    assert scrubber.scrub(3.25) == "3.25"
    assert scrubber.scrub(np.int64(42)) == "42"
    assert scrubber.scrub(True) == "True"
    # a phone number that lost its leading zero in Excel
    assert scrubber.scrub(7700900123.0) == REDACTED


class _Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no text")


def test_values_that_cannot_be_made_safe(scrubber: Scrubber) -> None:
    assert scrubber.scrub(_Unprintable()) == REDACTED
    assert scrubber.contains_identifier(_Unprintable())
    assert scrubber.scrub("abc\ud800def") == REDACTED  # not encodable as UTF-8
    # more than half of the characters redacted: nothing of the value is shown
    assert scrubber.scrub("call 07700 900123") == REDACTED
    assert scrubber.scrub("Kofi Mensah x") == REDACTED
    # half or less: the rest is shown
    assert (
        scrubber.scrub("call 07700 900123 about the deposit") == "call [redacted] about the deposit"
    )


def test_control_characters_and_truncation(scrubber: Scrubber) -> None:
    assert scrubber.scrub("  Walk-in\tclinic\r\n") == "Walk-in clinic"
    assert scrubber.scrub("x" * 100) == "x" * 79 + "…"
    assert scrubber.scrub("x" * 100, max_len=10) == "x" * 9 + "…"
    assert len(scrubber.scrub("rent " * 40 + "Mensah")) == 80
    with pytest.raises(ValueError, match="max_len"):
        scrubber.scrub("x", max_len=0)


def test_full_width_and_decomposed_text_is_normalised(scrubber: Scrubber) -> None:
    assert (
        scrubber.scrub("Paid ＭＥＮＳＡＨ for rent and food") == "Paid [redacted] for rent and food"
    )
    decomposed = unicodedata.normalize("NFD", "Paid García for rent and food")
    assert scrubber.scrub(decomposed) == "Paid [redacted] for rent and food"
    assert (
        scrubber.scrub("call ０７７００ ９００１２３ about the deposit")
        == "call [redacted] about the deposit"
    )


def test_names_with_combining_marks_and_other_scripts() -> None:
    s = Scrubber()
    s.add(pd.Series(["Adébáyọ̀ Oyèláràn", "प्रिया शर्मा", "Nguyễn Thị Thảo", "Đặng"]))
    for text in ["Adebayo", "ADÉBÁYỌ̀", "oyelaran", "प्रिया", "Nguyen", "thao", "Dang", "ĐẶNG"]:
        assert (
            s.scrub(f"Grant paid to {text} for school uniform")
            == "Grant paid to [redacted] for school uniform"
        )


def test_over_redaction_of_names_that_are_words() -> None:
    # Documented behaviour: a surname that is also an English word goes everywhere.
    s = Scrubber()
    s.add(pd.Series(["Mary Grant"]))
    assert s.scrub("Supermarket grant for the family") == "Supermarket [redacted] for the family"


def test_words_false_registers_only_compact_forms() -> None:
    s = Scrubber()
    s.add(pd.Series(["NRPF-00123", "NRPF-00124"]), words=False)
    # each reference as written and without the leading zeros of its number
    assert s.counts == {"word": 0, "compact": 4, "date": 0}
    assert s.scrub("the family NRPF-124 was seen again") == "the family [redacted] was seen again"
    assert s.scrub("NRPF team closed NRPF 00123 today") == "NRPF team closed [redacted] today"


def test_email_domains_are_not_registered_as_words() -> None:
    s = Scrubber()
    s.add(pd.Series(["kofi.mensah@example.org"]))
    assert (
        s.scrub("Kofi wrote from example.org to the team")
        == "[redacted] wrote from example.org to the team"
    )


def test_scrub_series_is_scrub_per_value(
    scrubber: Scrubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    values = pd.Series(
        ["Mensah", None, "Walk-in", "Mensah", 17.0, pd.Timestamp("1985-04-03"), float("nan")] * 3,
        index=range(100, 121),
        name="title",
        dtype=object,
    )
    expected = [scrubber.scrub(v) for v in values]
    seen: list[int] = []
    original = Scrubber._scrub_many

    def counting(self: Scrubber, vals: list[object], max_len: int) -> list[str]:
        seen.append(len(vals))
        return original(self, vals, max_len)

    monkeypatch.setattr(Scrubber, "_scrub_many", counting)
    out = scrubber.scrub_series(values)
    assert out.tolist() == expected
    assert out.index.equals(values.index) and out.name == "title"
    assert seen == [4]  # each distinct non-missing value once


def test_scrub_series_of_arrow_strings_and_datetimes(scrubber: Scrubber) -> None:
    s = pd.Series(["Walk-in", "kofi", None], dtype="str")
    assert scrubber.scrub_series(s).tolist() == ["Walk-in", REDACTED, ""]
    d = pd.Series(pd.to_datetime(["1985-04-03", "2021-03-04", None]))
    assert scrubber.scrub_series(d).tolist() == [REDACTED, "2021-03-04", ""]


# ------------------------------------------------------------------------- add()


def test_add_accepts_every_raw_dtype() -> None:
    s = Scrubber()
    s.add(pd.Series(["Kofi Mensah", None, ""], dtype="str"))  # Arrow-backed str
    s.add(
        pd.Series(
            ["Ama Osei", 7700900124.0, dt.datetime(1990, 1, 2), dt.date(1991, 2, 3), None, True],
            dtype=object,
        )
    )
    s.add(pd.Series(pd.to_datetime(["2001-02-03", None])))
    s.add(pd.Series(["Yaw", "Yaw", "Efua"], dtype="category"))
    s.add(pd.Series([123456789012, None], dtype="Int64"))
    s.add(pd.Series([12345678901234567], dtype="int64"))  # beyond float precision
    s.add(["Abena Boateng"])
    assert s.counts["date"] == 3
    for text in [
        "Mensah",
        "Osei",
        "Yaw",
        "efua",
        "Boateng",
        "07700 900124",
        "123456789012",
        "12345678901234567",
    ]:
        assert s.contains_identifier(f"{text} visited the office today at noon"), text
    for d in ["02/01/1990", "1991-02-03", "3 Feb 2001"]:
        assert s.contains_identifier(f"seen {d} at the office")
    assert not s.contains_identifier("Walk-in clinic at the office")


def test_empty_scrubber_applies_patterns_only() -> None:
    s = Scrubber()
    assert s.counts == {"word": 0, "compact": 0, "date": 0}
    assert (
        s.scrub("Kofi rang from 07700 900123 about rent arrears")
        == "Kofi rang from [redacted] about rent arrears"
    )
    s.add(pd.Series([None, "", "  "], dtype=object))
    assert s.counts == {"word": 0, "compact": 0, "date": 0}


def _letters(i: np.ndarray, prefix: str) -> list[str]:
    """Distinct pure-letter words: ``prefix`` + ``i`` written in base 26."""
    out = []
    for v in i.tolist():
        w = []
        for _ in range(5):
            v, r = divmod(v, 26)
            w.append(chr(97 + r))
        out.append(prefix + "".join(w))
    return out


def test_add_at_scale_memory_and_lookups() -> None:
    n = 150_000
    rng = np.random.default_rng(7)
    ids = rng.permutation(26**5)[: 2 * n]
    surnames = _letters(ids[:n], "zq")
    firsts = _letters(ids[:n][::-1], "zq")
    others = _letters(ids[n:], "zq")  # never registered
    full = pd.Series(
        [f"{f.title()} {s.title()}" for f, s in zip(firsts, surnames, strict=True)], dtype="str"
    )
    refs = pd.Series([f"NRPF-{i:07d}" for i in range(n)], dtype="str")
    s = Scrubber()
    arrow_before = pa.total_allocated_bytes()
    tracemalloc.start()
    try:
        s.add(full)
        s.add(refs, words=False)
        s.counts  # noqa: B018 - consolidates the registered hashes
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The registered forms take 8 bytes each (about 450,000 forms, 3.6 MB); the bound
    # allows for transient NumPy arrays (about 17 MB measured; a Python set of the same
    # strings alone takes about 34 MB). Arrow buffers are not traced by tracemalloc,
    # but none may be kept after add().
    assert peak < 40 * 2**20, peak
    assert pa.total_allocated_bytes() - arrow_before < 2**20
    counts = s.counts
    assert counts["word"] == n  # every name word once, no collisions
    # compact names, references, and the references without their leading zeros
    assert counts["compact"] == 3 * n

    pick = rng.integers(0, n, 300)
    texts = pd.Series(
        [f"Paid {surnames[i].upper()} for rent and food" for i in pick]
        + [f"Paid {others[i]} for rent and food" for i in pick]
        + [f"Family NRPF {i:07d} closed" for i in pick]
        + [f"Family NRPF {n + i:07d} closed" for i in pick]
    )
    out = s.scrub_series(texts, max_len=200).tolist()
    assert out[:300] == ["Paid [redacted] for rent and food"] * 300
    assert out[300:600] == texts[300:600].tolist()
    assert out[600:900] == ["Family [redacted] closed"] * 300
    assert out[900:] == texts[900:].tolist()


# ----------------------------------------------------------------------- patterns


@pytest.mark.parametrize(
    "text",
    [
        # phones: Ofcom drama numbers in the forms people type them; E.164 international
        "07700 900123",
        "07700900123",
        "07700-900-123",
        "(07700) 900 123",
        "020 7946 0123",
        "(020) 7946-0123",
        "0161 496 0123",
        "+44 7700 900123",
        "+447700900123",
        "+44 (0)7700 900123",
        "+44 (0) 20 7946 0123",
        "0044 7700 900123",
        "+234 803 123 4567",
        "+1 (555) 123-4567",
        # NI numbers (NIM39110)
        "QQ 12 34 56 A",
        "QQ123456A",
        "QQ123456",
        "AB-12-34-56-C",
        "qq 123456 a",
        # Home Office references, GWF numbers, UANs
        "B1234567",
        "K1234567/2",
        "GWF012345678",
        "3434-5939-4143-7975",
        "Port ref: LHR/1234567",
        "CID 12345678",
        # postcodes (BS 7666)
        "E8 3DL",
        "E83DL",
        "SW1A 1AA",
        "N16  6RT",
        "ec1a1bb",
        "GIR 0AA",
        # e-mail
        "kofi.mensah+x@example.org",
        # NHS number
        "943 476 5919",
        # dates of birth after a cue
        "DOB 03/04/1985",
        "D.O.B.: 3-4-85",
        "date of birth 1985-04-03",
        "born 3 March 1985",
        "born on 3rd March 1985",
        "b. 03.04.1985",
        "DOB March 3, 1985",
    ],
)
def test_identifier_re_finds(text: str) -> None:
    assert IDENTIFIER_RE.search(f"see {text} here")
    out = scrub_patterns(f"see {text} here")
    assert REDACTED in out
    assert not re.search(r"\d{3}", out), out


@pytest.mark.parametrize(
    "text",
    [
        "Section 17",
        "s17",
        "Walk-in",
        "£1,234.50",
        "-1,234.50",
        "2021-03-04",
        "04/03/2021",
        "Referral received 12/05/2021",
        "on 2021-03-04 at 10:30",
        "Paid £120.00 on 03/04/2021 ref 17",
        "Room 101, Year 7",
        "Covid19 wave 2",
        "Amount 1234567.89",
        "Case closed",
    ],
)
def test_identifier_re_leaves_ordinary_text(text: str) -> None:
    assert scrub_patterns(text) == text


def test_dob_and_reference_cues_are_kept() -> None:
    assert (
        scrub_patterns("DOB: 03/04/1985 and HO ref: K1234567")
        == "DOB: [redacted] and HO ref: [redacted]"
    )
    assert scrub_patterns("born 12 Nov 2010") == "born [redacted]"


def test_token_pattern_holds_every_combining_mark_range():
    # The token pattern's mark ranges are the runs of code points of category M*.
    from noream_eval.privacy import _token_re

    ranges, start, prev = [], None, -2
    for cp in [*range(0x300, 0x20000), *range(0xE0100, 0xE01F0)]:
        if unicodedata.category(chr(cp)).startswith("M"):
            if cp != prev + 1:
                if start is not None:
                    ranges.append((start, prev))
                start = cp
            prev = cp
    ranges.append((start, prev))
    marks = "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)
    assert _token_re().pattern == rf"(?:[^\W_]|[{marks}])+"
