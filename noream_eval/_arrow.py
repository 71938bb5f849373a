"""Arrow string arrays without a Python object per value: hashing, buffers, building.

Ingest handles columns of millions of strings (a national finance ledger has
eleven million transaction IDs). These helpers work on Arrow's buffers with
NumPy, so their cost does not grow with the number of Python objects.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

__all__ = [
    "arrow_strings",
    "fixed_width_strings",
    "hash_strings",
    "hex_keys",
    "is_arrow_text",
    "large_strings",
    "utf8_buffers",
]


def is_arrow_text(col: Any) -> bool:
    """Whether a pandas Series holds Arrow-backed text (``str``/``string``, not ``object``)."""
    import pandas as pd

    return pd.api.types.is_string_dtype(col.dtype) and col.dtype != object


def large_strings(arr: Any) -> Any:
    """One contiguous ``large_string`` Arrow array from an Arrow (chunked) string array."""
    import pyarrow as pa

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks else pa.array([], pa.large_string())
    if arr.type != pa.large_string():
        arr = arr.cast(pa.large_string())
    return arr


def arrow_strings(values: Any) -> Any:
    """The values of a pandas Series, Index or array of text as a ``large_string`` Arrow array.

    Arrow-backed string data is taken without copying each value; anything else
    goes through Arrow's conversion. Missing values are Arrow nulls.
    """
    import pyarrow as pa

    data = getattr(values, "array", values)
    native = getattr(data, "_pa_array", None)
    if native is not None:
        return large_strings(native)
    return large_strings(pa.array(np.asarray(data, dtype=object), from_pandas=True))


def utf8_buffers(arr: Any) -> tuple[memoryview, np.ndarray]:
    """The UTF-8 bytes of every string back to back, and ``n + 1`` int64 offsets.

    The bytes are a view of Arrow's data buffer (not a copy); the view keeps the
    buffer alive. Nulls count as empty strings.
    """
    import pyarrow.compute as pc

    arr = large_strings(arr)
    if arr.null_count:
        arr = pc.fill_null(arr, "")
    n = len(arr)
    if n == 0:
        return memoryview(b""), np.zeros(1, dtype=np.int64)
    _, off_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(off_buf, dtype=np.int64, count=n + 1, offset=arr.offset * 8)
    start, end = int(offsets[0]), int(offsets[-1])
    blob = memoryview(b"") if data_buf is None else memoryview(data_buf)[start:end]
    return blob, offsets - start


def fixed_width_strings(chars: np.ndarray) -> Any:
    """An Arrow ``large_string`` array from an ``(n, width)`` uint8 matrix of ASCII characters.

    The matrix's memory becomes the array's data buffer (no copy).
    """
    import pyarrow as pa

    n, width = chars.shape
    offsets = np.arange(n + 1, dtype=np.int64) * width
    data = np.ascontiguousarray(chars, dtype=np.uint8)
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


_HASH_P = 0xD6E8FEB86659FD93  # odd, so invertible mod 2**64
_HASH_Q = pow(_HASH_P, -1, 1 << 64)  # its inverse mod 2**64
_CHUNK = 1 << 18  # bytes hashed per numpy pass


@functools.cache
def _powers(base: int, n: int) -> np.ndarray:
    out = np.full(n, base, dtype=np.uint64)
    out[0] = 1
    return np.multiply.accumulate(out)


def _mix(h: np.ndarray) -> np.ndarray:
    # SplitMix64 finaliser (Steele, Lea and Flood 2014).
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def hash_strings(arr: Any) -> np.ndarray:
    """64-bit hashes of the UTF-8 bytes of every string of an Arrow string array.

    A polynomial hash mod 2**64 computed for all strings at once from prefix sums
    of the data buffer (no Python objects), then mixed with the length.
    """
    arr = large_strings(arr)
    n = len(arr)
    if n == 0:
        return np.empty(0, dtype=np.uint64)
    if arr.null_count:
        import pyarrow.compute as pc

        arr = pc.fill_null(arr, "")
    _, off_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(off_buf, dtype=np.int64, count=n + 1, offset=arr.offset * 8)
    data = (
        np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.empty(0, np.uint8)
    )
    starts, ends = offsets[:-1], offsets[1:]
    out = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        i = 0
        while i < n:
            j = int(np.searchsorted(ends, starts[i] + _CHUNK, side="right"))
            j = max(j, i + 1)
            base, top = int(starts[i]), int(ends[j - 1])
            m = top - base
            if m:
                size = max(_CHUNK, 1 << (m - 1).bit_length())
                seg = data[base:top].astype(np.uint64) + np.uint64(1)
                prefix = np.zeros(m + 1, dtype=np.uint64)
                np.cumsum(seg * _powers(_HASH_Q, size)[:m], out=prefix[1:])
                a, b = starts[i:j] - base, ends[i:j] - base
                h = (prefix[b] - prefix[a]) * _powers(_HASH_P, size)[np.maximum(b - 1, 0)]
                out[i:j] = np.where(b > a, h, np.uint64(0))
            i = j
        lengths = (ends - starts).astype(np.uint64)
        return _mix(out ^ (lengths * np.uint64(0x9E3779B97F4A7C15)))


_NIBBLES = 0x0F0F0F0F0F0F0F0F
_LOW_BITS = 0x0101010101010101
_HEX_ROWS = 1 << 15  # rows of hex digits converted per NumPy pass


def hex_keys(arr: Any, *, width: int = 16) -> np.ndarray | None:
    """The numbers of keys made of one letter and ``width`` lower-case hexadecimal digits.

    Canonical pseudonyms (``f`` and 16 hexadecimal digits for a family) read
    as the 64-bit number of their digits, for all strings at once from Arrow's
    data buffers (chunk by chunk: nothing is copied first). Two keys give the
    same number exactly when they are the same string, and the numbers sort
    as the strings do, so they can stand for the keys when grouping, joining
    or ordering.

    Parameters
    ----------
    arr
        An Arrow ``string`` or ``large_string`` array, or a chunked array of them.
    width
        The number of hexadecimal digits after the letter, 1 to 16.

    Returns
    -------
    numpy.ndarray of uint64, or None
        None unless every value is such a key and they share their letter
        (no value missing): the caller then works with the strings themselves.

    Examples
    --------
    >>> import pyarrow as pa
    >>> hex_keys(pa.array(["f000000000000001f", "f00000000000000ff"])).tolist()
    [31, 255]
    >>> hex_keys(pa.array(["f000000000000001f", "F00000000000000FF"])) is None
    True
    """
    import pyarrow as pa

    if not 1 <= width <= 16:
        raise ValueError(f"width must be 1 to 16, not {width}")
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    out = np.empty(sum(len(c) for c in chunks), dtype=np.uint64)
    letter: int | None = None
    done = 0
    for chunk in chunks:
        n = len(chunk)
        if n == 0:
            continue
        if chunk.null_count or chunk.type not in (pa.string(), pa.large_string()):
            return None
        wide = chunk.type == pa.large_string()
        _, off_buf, data_buf = chunk.buffers()
        offsets = np.frombuffer(
            off_buf,
            dtype=np.int64 if wide else np.int32,
            count=n + 1,
            offset=chunk.offset * (8 if wide else 4),
        )
        size = width + 1
        first = int(offsets[0])
        if int(offsets[-1]) - first != n * size:
            return None
        chars = np.frombuffer(data_buf, dtype=np.uint8, count=n * size, offset=first)
        chars = chars.reshape(n, size)
        letter = int(chars[0, 0]) if letter is None else letter
        if not chr(letter).isalpha() or not _hex_block(
            chars, offsets, letter, width, out[done : done + n]
        ):
            return None
        done += n
    return out


def _hex_block(
    chars: np.ndarray, offsets: np.ndarray, letter: int, width: int, out: np.ndarray
) -> bool:
    """Write the numbers of rows of a letter and ``width`` hex digits; False if one is not.

    ``chars`` holds the rows' bytes as if every string had ``width + 1`` of them;
    ``offsets`` (the Arrow offsets) say whether they do.
    """
    n = len(chars)
    step = _HEX_ROWS
    size = width + 1
    digits = np.full((min(n, step), 16), ord("0"), dtype=np.uint8)
    for i in range(0, n, step):
        # In blocks of rows, so that the temporaries stay small (in cache).
        j = min(n, i + step)
        if np.any(np.diff(offsets[i : j + 1]) != size) or np.any(chars[i:j, 0] != letter):
            return False
        block = digits[: j - i]
        block[:, 16 - width :] = chars[i:j, 1:]
        value = _hex_words(block.view(np.uint64))  # (rows, 2): the two halves
        if value is None:
            return False
        out[i:j] = value
    return True


def _hex_words(words: np.ndarray) -> np.ndarray | None:
    """The 64-bit numbers of rows of 16 ASCII hex digits held as two 8-byte words."""
    u = np.uint64
    with np.errstate(over="ignore"):
        # Nibble of each byte: "0"-"9" -> 0-9, "a"-"f" -> 10-15 (other bytes: anything).
        nib = (words >> u(6)) & u(_LOW_BITS)
        nib *= u(9)
        nib += words & u(_NIBBLES)
        # A byte is a lower-case hex digit exactly when its nibble is 0-15 and writing
        # that nibble back as a hex digit gives the byte again.
        if np.any(nib & u(0xF0F0F0F0F0F0F0F0)):
            return None
        again = nib + u(0x0606060606060606)
        again >>= u(4)
        again &= u(_LOW_BITS)
        again *= u(0x27)
        again += nib
        again += u(0x3030303030303030)
        if np.any(again != words):
            return None
        # Eight nibbles (one per byte) into 32 bits: first digit in the highest byte,
        # then neighbouring nibbles merged pairwise.
        x = nib.byteswap() if np.little_endian else nib
        for shift, mask in ((4, 0x00FF00FF00FF00FF), (8, 0x0000FFFF0000FFFF), (16, 0xFFFFFFFF)):
            x |= x >> u(shift)
            x &= u(mask)
        return (x[:, 0] << u(32)) | x[:, 1]
