"""Tests of the Arrow string helpers: hashing, buffers, fixed-width building."""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from noream_eval import _arrow

FAST = settings(max_examples=200, deadline=None)


def _reference_hash(text: str) -> int:
    """Horner's rule over the UTF-8 bytes (+1), then SplitMix64 with the length."""
    mask = (1 << 64) - 1
    data = text.encode()
    h = 0
    for b in data:
        h = (h * _arrow._HASH_P + b + 1) & mask
    h ^= (len(data) * 0x9E3779B97F4A7C15) & mask
    h ^= h >> 30
    h = (h * 0xBF58476D1CE4E5B9) & mask
    h ^= h >> 27
    h = (h * 0x94D049BB133111EB) & mask
    return h ^ (h >> 31)


@FAST
@given(st.lists(st.text(max_size=30), max_size=40))
def test_vectorised_hash_is_the_reference_hash(texts: list[str]) -> None:
    # (hypothesis text() has no lone surrogates, so every string is valid UTF-8)
    arr = pa.array(texts, pa.large_string())
    assert _arrow.hash_strings(arr).tolist() == [_reference_hash(t) for t in texts]


def test_hash_across_chunk_boundaries_and_long_strings() -> None:
    long = "é" * (_arrow._CHUNK // 2 + 3)
    texts = ["a" * 1000] * 300 + [long, "", "x", long + "y"] + ["b" * 5000] * 60
    arr = pa.array(texts, pa.large_string()).slice(1)  # a non-zero offset too
    got = _arrow.hash_strings(arr).tolist()
    assert got == [_reference_hash(t) for t in texts[1:]]


def test_utf8_buffers_and_fixed_width_strings() -> None:
    arr = pa.array(["ab", None, "ç", ""], pa.string()).slice(0)
    blob, offsets = _arrow.utf8_buffers(arr)
    data = bytes(blob)
    assert [data[a:b].decode() for a, b in itertools.pairwise(offsets)] == ["ab", "", "ç", ""]
    sliced = pa.array(["xx", "yz", "w"], pa.large_string()).slice(1)  # a non-zero offset
    blob, offsets = _arrow.utf8_buffers(sliced)
    assert bytes(blob) == b"yzw" and offsets.tolist() == [0, 2, 3]
    chars = np.frombuffer(b"p0123p4567", dtype=np.uint8).reshape(2, 5)
    assert _arrow.fixed_width_strings(chars).to_pylist() == ["p0123", "p4567"]


def test_arrow_strings_of_pandas_values() -> None:
    import pandas as pd

    s = pd.Series(["x", None, "y"], dtype="str")
    assert _arrow.arrow_strings(s).to_pylist() == ["x", None, "y"]
    assert _arrow.arrow_strings(pd.Series(["x", None], dtype=object)).to_pylist() == ["x", None]


@FAST
@given(
    st.lists(st.integers(0, 2**64 - 1), max_size=30),
    st.sampled_from(["f", "r", "Q"]),
    st.booleans(),
)
def test_hex_keys_are_the_numbers_of_the_digits(values, letter, chunked) -> None:
    texts = [f"{letter}{v:016x}" for v in values]
    arr = pa.array(texts, pa.string())
    if chunked and len(texts) > 2:
        arr = pa.chunked_array([arr.slice(0, 2), arr.slice(2)])
    got = _arrow.hex_keys(arr)
    assert got is not None and got.dtype == np.uint64
    assert got.tolist() == values
    # the numbers sort as the strings do
    assert np.argsort(got, kind="stable").tolist() == sorted(
        range(len(texts)), key=lambda i: texts[i]
    )


def test_hex_keys_refuse_anything_else_byte_by_byte() -> None:
    # Every byte value at one digit position of a 17-byte key: only 0-9 and a-f pass.
    base = np.frombuffer(b"f0123456789abcdef", dtype=np.uint8)
    chars = np.tile(base, (256, 1))
    chars[:, 9] = np.arange(256)
    ok = [
        b
        for b in range(256)
        if _arrow.hex_keys(_arrow.fixed_width_strings(chars[b : b + 1])) is not None
    ]
    assert bytes(ok) == b"0123456789abcdef"
    for texts in (
        ["f0000000000000001", "g0000000000000002"],  # two letters
        ["f0000000000000001", "f000000000000002"],  # a short one
        ["f0000000000000001", None],  # a missing one
        ["10000000000000001"],  # no letter
        ["fABCDEF0000000001"],  # upper-case digits
    ):
        assert _arrow.hex_keys(pa.array(texts)) is None, texts
    assert _arrow.hex_keys(pa.array(["p12", "pff"]), width=2).tolist() == [0x12, 0xFF]
    assert len(_arrow.hex_keys(pa.array([], pa.string()))) == 0
