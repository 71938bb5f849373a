"""Tests of keyed pseudonymisation, key handling, pattern scrubbing and age bands."""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from noream_eval.errors import KeyMissingError
from noream_eval.ingest.pseudonymise import ENV_KEY, Pseudonymiser, age_band, load_key
from noream_eval.privacy import scrub_patterns as scrub

KEY = b"a test key that is long enough"


def test_hash_is_hmac_sha256_truncated():
    # Independent computation with the standard library's hmac module.
    expected = hmac.new(KEY, b"family\x00NRPF123", hashlib.sha256).hexdigest()[:16]
    assert Pseudonymiser(KEY).hash_one("NRPF123", domain="family") == "f" + expected


def test_same_reference_same_pseudonym_other_key_other_pseudonym():
    s = pd.Series(["NRPF123", "NRPF124", "NRPF123", None])
    a = Pseudonymiser(KEY).hash_values(s, domain="family")
    b = Pseudonymiser(KEY + b"x").hash_values(s, domain="family")
    assert a[0] == a[2] != a[1]
    assert pd.isna(a[3])
    assert a[0] != b[0]
    # namespaces differ: a payment and a family with the same text get different pseudonyms
    assert Pseudonymiser(KEY).hash_one("X1", domain="payment") != Pseudonymiser(KEY).hash_one(
        "X1", domain="family"
    )


def test_repr_never_shows_the_key():
    p = Pseudonymiser(KEY)
    assert KEY.decode() not in repr(p)
    assert p.fingerprint in repr(p)


def test_load_key_env_overrides_file(tmp_path, monkeypatch):
    f = tmp_path / "k.key"
    f.write_text("file key long enough to use\n", "utf-8")
    monkeypatch.delenv(ENV_KEY, raising=False)
    assert load_key(f) == b"file key long enough to use"
    monkeypatch.setenv(ENV_KEY, "environment key long enough")
    assert load_key(f) == b"environment key long enough"


def test_load_key_errors(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_KEY, raising=False)
    with pytest.raises(KeyMissingError, match="No pseudonymisation key: set NOREAM_EVAL_KEY"):
        load_key(None)
    with pytest.raises(KeyMissingError, match="cannot be read"):
        load_key(tmp_path / "missing.key")
    short = tmp_path / "short.key"
    short.write_text("abc", "utf-8")
    with pytest.raises(KeyMissingError, match="at least 16"):
        load_key(short)


@pytest.mark.parametrize(
    "text",
    [
        "07700 900123",
        "+44 7700 900123",
        "QQ 12 34 56 C",
        "QQ123456C",
        "E8 1EA",
        "SW1A 2AA",
        "B1234567",
        "H1234567/2",
        "someone@example.org",
    ],
)
def test_scrub_removes_identifier_patterns(text):
    out = scrub(f"see {text} here")
    assert text not in out
    assert "[redacted]" in out


@pytest.mark.parametrize("text", ["Walk-in", "Health & Wellbeing", "31/02/2021", "N/A", "TBC", "9"])
def test_scrub_keeps_ordinary_values(text):
    assert scrub(text) == text


def test_age_bands_at_boundaries():
    dob = pd.to_datetime(
        pd.Series(
            [
                "2016-06-01",
                "2016-06-01",
                "2010-01-01",
                "2004-01-02",
                "2003-01-01",
                "2022-01-01",
                None,
            ]
        )
    )
    at = pd.to_datetime(
        pd.Series(
            [
                "2021-05-31",
                "2021-06-01",
                "2021-01-01",
                "2021-01-01",
                "2021-01-01",
                "2021-01-01",
                "2021-01-01",
            ]
        )
    )
    bands, bad = age_band(dob, at)
    assert bands.tolist()[:4] == ["0-4", "5-10", "11-15", "16-17"]
    assert pd.isna(bands[4]) and pd.isna(bands[5]) and pd.isna(bands[6])
    assert bad.tolist() == [False, False, False, False, True, True, False]


@settings(max_examples=200, deadline=None)
@given(
    st.dates(
        min_value=pd.Timestamp("1990-01-01").date(), max_value=pd.Timestamp("2030-12-31").date()
    ),
    st.integers(min_value=0, max_value=365 * 17),
)
def test_age_band_matches_whole_years(birth, days):
    at = pd.Timestamp(birth) + pd.Timedelta(days=days)
    bands, bad = age_band(pd.Series([pd.Timestamp(birth)]), pd.Series([at]))
    years = at.year - birth.year - ((at.month, at.day) < (birth.month, birth.day))
    expected = (
        "0-4" if years <= 4 else "5-10" if years <= 10 else "11-15" if years <= 15 else "16-17"
    )
    assert bands[0] == expected and not bad[0]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=20),
    st.binary(min_size=16, max_size=100),
)
def test_fast_path_equals_standard_hmac(values, key):
    # hash_values uses precomputed HMAC pads; it must equal the stdlib's hmac value by value,
    # including keys longer than the SHA-256 block (64 bytes).
    p = Pseudonymiser(key)
    fast = p.hash_values(pd.Series(values), domain="family").tolist()
    assert fast == [p.hash_one(v, domain="family") for v in values]


def test_worker_processes_give_the_same_pseudonyms(monkeypatch):
    # Large columns (a national ledger's transaction IDs) are hashed in child processes;
    # the result must be identical to the in-process path and to the standard library.
    import noream_eval.ingest.pseudonymise as ps

    values = pd.Series([f"T{i:07d}" for i in range(3_000)] + [None, "Zoë-ĳ", ""], dtype="str")
    p = Pseudonymiser(b"a key that is long enough for tests")
    serial = p.hash_values(values, domain="payment")
    monkeypatch.setattr(ps, "PARALLEL_MIN", 10)
    monkeypatch.setattr(ps.os, "cpu_count", lambda: 3)
    seen = []
    real = ps._digests_in_workers

    def spy(*args):
        seen.append(real(*args))
        return seen[-1]

    monkeypatch.setattr(ps, "_digests_in_workers", spy)
    parallel = p.hash_values(values, domain="payment")
    assert len(seen) == 1 and seen[0] is not None  # the workers ran and answered
    pd.testing.assert_series_equal(parallel, serial)
    assert parallel.iloc[1234] == hmac_reference(p.key, "payment", "T0001234")
    assert parallel.iloc[-2] == hmac_reference(p.key, "payment", "Zoë-ĳ")
    assert pd.isna(parallel.iloc[-3])


def hmac_reference(key: bytes, domain: str, value: str) -> str:
    """The pseudonym computed with nothing but the standard library's hmac module."""
    import hmac

    return domain[0] + hmac.new(key, f"{domain}\x00{value}".encode(), "sha256").hexdigest()[:16]
