"""Office Open XML packages (``.docx``, ``.xlsx``) that are the same bytes every time.

A package is a zip file. Its entries carry the time they were written, and its core
properties (``docProps/core.xml``) the time the document was created and last
modified; :func:`stable_package` fixes the first and, if asked, removes the second, so
that the same document gives the same file and a file does not tell when, or on
whose machine clock, it was made.
"""

from __future__ import annotations

import io
import zipfile

__all__ = ["ZIP_DATE", "stable_package"]

#: The timestamp of every entry: the earliest a zip file can hold (as Excel writes).
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def _without_times(blob: bytes) -> bytes:
    """core.xml without its created, modified and last-printed times."""
    from lxml import etree

    root = etree.fromstring(blob)
    for tag in ("created", "modified"):
        for el in root.findall(f"{{http://purl.org/dc/terms/}}{tag}"):
            root.remove(el)
    for el in root.findall(
        "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}lastPrinted"
    ):
        root.remove(el)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def stable_package(data: bytes, *, drop_times: bool) -> bytes:
    """The same package with fixed entry timestamps (and, if asked, no document times)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            blob = src.read(info.filename)
            if drop_times and info.filename == "docProps/core.xml":
                blob = _without_times(blob)
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, blob)
    return out.getvalue()
