"""HMAC-SHA256 of many short values, as a plain function a worker process can run.

Kept free of third-party imports so that a worker process started with the
``spawn`` method starts in milliseconds.
"""

from __future__ import annotations

import hashlib
import itertools
from array import array
from typing import Any

__all__ = ["digests"]


def _pads(key: bytes) -> tuple[object, object]:
    # HMAC (RFC 2104) with its two padded-key states computed once.
    key = key if len(key) <= 64 else hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    return inner, outer


def digests(key: bytes, label: bytes, blob: Any, offsets: Any) -> bytes:
    """First 8 bytes of HMAC-SHA256(key, label + value) for each value.

    Parameters
    ----------
    key
        The secret key.
    label
        Bytes fed before every value (the pseudonym namespace).
    blob
        The values' UTF-8 bytes, concatenated (any bytes-like object).
    offsets
        ``n + 1`` native int64 offsets into ``blob`` (value ``i`` is
        ``blob[offsets[i]:offsets[i + 1]]``), as any bytes-like object.

    Returns
    -------
    bytes
        ``8 * n`` bytes: the truncated digests, in order.

    Examples
    --------
    >>> import hmac
    >>> from array import array
    >>> out = digests(b"k" * 16, b"x\\x00", b"ab" + b"c", array("q", [0, 2, 3]).tobytes())
    >>> out[:8] == hmac.digest(b"k" * 16, b"x\\x00ab", "sha256")[:8]
    True
    """
    inner, outer = _pads(key)
    inner.update(label)  # type: ignore[attr-defined]
    ic, oc = inner.copy, outer.copy  # type: ignore[attr-defined]
    off = memoryview(offsets).cast("B").cast("q")
    view = memoryview(blob)
    out = bytearray()
    for a, b in itertools.pairwise(off):
        i = ic()
        i.update(view[a:b])
        o = oc()
        o.update(i.digest())
        out += o.digest()[:8]
    return bytes(out)


def _main() -> None:
    """Worker: read key, label, blob and offsets from stdin; write the digests to stdout."""
    import sys

    data = sys.stdin.buffer.read()
    sizes = array("q")
    sizes.frombytes(data[:32])
    parts, at = [], 32
    for size in sizes:
        parts.append(data[at : at + size])
        at += size
    sys.stdout.buffer.write(digests(*parts))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    _main()
