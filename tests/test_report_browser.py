"""The sample's report.html as a reader meets it: opened in headless Chromium through Selenium.

The browser is Debian's ``chromium`` driven by its ``chromium-driver``, both named
explicitly, so Selenium Manager never looks for (or downloads) anything. Where they are
missing the tests skip and say how to install them; ``.ci/run`` installs them in CI.

References
----------
- W3C WebDriver, https://www.w3.org/TR/webdriver2/ (what Selenium speaks to chromedriver).
- W3C Resource Timing Level 2, https://www.w3.org/TR/resource-timing/ : every fetch a
  page makes (image, style sheet, font, script...) is a ``PerformanceResourceTiming``
  entry named by its URL; the document itself is the ``navigation`` entry.
- HTML Living Standard, ``img.complete`` and ``img.naturalWidth``
  (https://html.spec.whatwg.org/multipage/embedded-content.html#dom-img-complete):
  an image that failed to load or decode has a natural width of 0.
- Chrome DevTools Protocol, ``Page.printToPDF`` and ``Page.captureScreenshot``
  (https://chromedevtools.github.io/devtools-protocol/tot/Page/).
- ISO 216: A4 is 210 x 297 mm, 595.28 x 841.89 pt; ISO 32000-1 (PDF) 7.7.3.3: a page's
  ``/MediaBox`` is inherited from its ``/Pages`` ancestors when not given.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from noream_eval.reports.document import MARKERS
from tests._report_reading import missing_sections

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
INSTALL = (
    "needs Debian's Chromium and ChromeDriver at /usr/bin/chromium and /usr/bin/chromedriver: "
    "`sudo apt-get install chromium chromium-driver` (.ci/run installs them in CI, CI=true)"
)
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--window-size=1280,900",  # a laptop screen
)
A4_PT = (595.28, 841.89)


def artefacts_dir() -> Path:
    """Where the tests keep files for a person to look at (git-ignored by default)."""
    folder = Path(os.environ.get("NOREAM_TEST_ARTEFACTS") or ROOT / "tests" / "artefacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def opened(request):
    """Headless Chromium with the sample's report.html loaded (fresh profile, no network),
    and what the page logged to the console while loading."""
    if not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()):
        pytest.skip(INSTALL)
    webdriver = pytest.importorskip(
        "selenium.webdriver", reason="needs selenium: pip install -e '.[test]'"
    )
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="noream_chromium_")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    except (WebDriverException, OSError) as exc:
        shutil.rmtree(profile, ignore_errors=True)
        lines = str(getattr(exc, "msg", None) or exc).strip().splitlines() or [type(exc).__name__]
        pytest.skip(f"Chromium did not start ({lines[0]}); {INSTALL}")
    try:
        sample_report = request.getfixturevalue("sample_report")  # built only if a browser runs
        driver.set_page_load_timeout(120)
        driver.get((sample_report / "report.html").as_uri())  # returns after the load event
        yield driver, driver.get_log("browser")
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def browser(opened):
    """The WebDriver with the report loaded."""
    return opened[0]


@pytest.fixture(scope="module")
def page_log(opened):
    """The browser console's entries from loading the page."""
    return opened[1]


def test_the_page_is_the_report(browser, sample_report):
    assert browser.current_url == (sample_report / "report.html").as_uri()
    assert browser.title == "NOREAM pilot evaluation"
    assert browser.execute_script("return document.readyState") == "complete"
    assert browser.execute_script("return document.documentElement.lang") == "en-GB"


def test_no_console_errors_or_warnings(browser, page_log):
    bad = [e for e in page_log if e["level"] in ("SEVERE", "WARNING")]
    assert not bad, bad
    # The log is really being read: a message the test writes itself comes back.
    browser.execute_script("console.error('noream-probe')")
    assert any("noream-probe" in e["message"] for e in browser.get_log("browser"))


def test_no_request_besides_the_file_itself(browser, sample_report):
    entries = browser.execute_script(
        "return performance.getEntriesByType('navigation')"
        ".concat(performance.getEntriesByType('resource'))"
        ".map(e => [e.entryType, e.name]);"
    )
    url = (sample_report / "report.html").as_uri()
    assert ["navigation", url] in entries
    outside = [name for _, name in entries if name != url and not name.startswith("data:")]
    assert not outside


def test_every_figure_is_loaded_and_visible(browser):
    from selenium.webdriver.common.by import By

    from noream_eval.reports.figures import FIGURES

    images = browser.find_elements(By.CSS_SELECTOR, "figure img")
    assert len(images) == len(FIGURES) >= 8
    assert len(browser.find_elements(By.TAG_NAME, "img")) == len(images)
    for img in images:
        state = browser.execute_script(
            "const i = arguments[0], r = i.getBoundingClientRect();"
            "return [i.complete, i.naturalWidth, i.naturalHeight, r.width, r.height,"
            " i.currentSrc.slice(0, 26), i.alt];",
            img,
        )
        complete, natural_w, natural_h, width, height, src, alt = state
        assert complete and natural_w > 0 and natural_h > 0, state
        assert img.is_displayed() and width > 100 and height > 100, state
        assert src.startswith("data:image/"), state
        assert len(alt) > 20, state  # alternative text, not a file name


def test_every_internal_link_resolves(browser):
    links = browser.execute_script(
        "return Array.from(document.querySelectorAll('a[href]'), a => a.getAttribute('href'));"
    )
    internal = [h for h in links if h.startswith("#")]
    assert len(internal) > 50  # the contents list alone links every section, table and figure
    unresolved = browser.execute_script(
        "return arguments[0].filter("
        "h => !document.getElementById(decodeURIComponent(h.slice(1))));",
        internal,
    )
    assert not unresolved
    ids = browser.execute_script("return Array.from(document.querySelectorAll('[id]'), e => e.id);")
    assert len(ids) == len(set(ids))


def test_every_required_section_has_a_heading(browser):
    from selenium.webdriver.common.by import By

    headings = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "main section > h2")]
    assert len(headings) >= 16
    assert not missing_sections(headings), headings
    contents = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "nav.toc > ol > li > a")]
    assert contents == headings  # the contents list names every section, in order


def test_tables_have_captions_and_header_cells(browser):
    tables = browser.execute_script(
        """return Array.from(document.querySelectorAll('main table'), t => ({
            kv: t.classList.contains('kv'),
            caption: t.caption ? t.caption.innerText.trim() : '',
            col: t.querySelectorAll('thead th[scope=col]').length,
            row: t.querySelectorAll('tbody th[scope=row]').length,
            widths: Array.from(t.tBodies[0].rows, r => r.cells.length),
        }));"""
    )
    data = [t for t in tables if not t["kv"]]
    assert len(data) > 20
    for table in data:
        assert re.match(r"Table \d+: \S", table["caption"]), table
        assert table["col"] >= 2 and table["widths"], table
        assert set(table["widths"]) == {table["col"]}, table  # every row as wide as its header
    for table in (t for t in tables if t["kv"]):  # key-value tables: a header for each row
        assert table["caption"] and table["row"] == len(table["widths"]) > 0, table
    numbers = [int(re.match(r"Table (\d+)", t["caption"])[1]) for t in data]
    assert numbers == list(range(1, len(data) + 1))


def test_no_count_cell_shows_one_to_five(browser):
    columns = browser.execute_script(
        """const out = [];
        for (const t of document.querySelectorAll('main table')) {
          const head = Array.from(t.querySelectorAll('thead th'));
          head.forEach((th, j) => {
            if (th.dataset.kind !== 'count') return;
            out.push([t.caption ? t.caption.innerText : '', th.innerText,
                      Array.from(t.tBodies[0].rows, r => r.cells[j].innerText.trim())]);
          });
        }
        return out;"""
    )
    assert len(columns) > 30 and len({caption for caption, _, _ in columns}) > 20
    shown = [(caption, label, text) for caption, label, cells in columns for text in cells]
    odd = [
        s for s in shown if s[2] not in MARKERS and not re.fullmatch(r"|-?\d{1,3}(,\d{3})*", s[2])
    ]
    assert not odd  # every count cell is a whole number, a marker or empty
    small = [
        s for s in shown if s[2] not in MARKERS and s[2] and 1 <= int(s[2].replace(",", "")) <= 5
    ]
    assert not small
    assert sum(text == "c" for *_, text in shown) > 50  # suppression is there to see


def _pdf_objects(pdf: bytes) -> dict[int, bytes]:
    """Object number -> dictionary text, for a PDF whose objects are not compressed."""
    return {
        int(m[1]): m[2] for m in re.finditer(rb"(?<![0-9])(\d+) 0 obj\s*(.*?)endobj", pdf, re.S)
    }


def first_page_media_box(pdf: bytes) -> tuple[float, ...]:
    """The first page's /MediaBox, following /Kids from the catalog's /Pages root.

    A box given on a /Pages node is inherited by the pages below it (ISO 32000-1, 7.7.3.3).
    """
    objects = _pdf_objects(pdf)
    catalog = next(body for body in objects.values() if re.search(rb"/Type\s*/Catalog\b", body))
    node = objects[int(re.search(rb"/Pages\s+(\d+)\s+0\s+R", catalog)[1])]
    box = None
    for _ in range(64):
        found = re.search(rb"/MediaBox\s*\[([^\]]*)\]", node)
        if found:
            box = tuple(float(v) for v in found[1].split())
        if not re.search(rb"/Type\s*/Pages\b", node):
            break
        node = objects[int(re.search(rb"/Kids\s*\[\s*(\d+)\s+0\s+R", node)[1])]
    assert box is not None, "no /MediaBox on the first page or its parents"
    return box


def test_first_page_media_box_reader():
    pdf = (
        b"%PDF-1.4\n1 0 obj\n<</Type /Catalog /Pages 2 0 R>>\nendobj\n"
        b"2 0 obj\n<</Type /Pages /Kids [3 0 R] /Count 2 /MediaBox [0 0 612 792]>>\nendobj\n"
        b"3 0 obj\n<</Type /Pages /Kids [4 0 R 5 0 R] /Count 2>>\nendobj\n"
        b"4 0 obj\n<</Type /Page /Parent 3 0 R>>\nendobj\n"
        b"5 0 obj\n<</Type /Page /Parent 3 0 R /MediaBox [0 0 595 842]>>\nendobj\n"
    )
    assert first_page_media_box(pdf) == (0, 0, 612, 792)  # inherited from the root
    own = pdf.replace(b"4 0 obj\n<</Type /Page", b"4 0 obj\n<</Type /Page /MediaBox [0 0 1 2]")
    assert first_page_media_box(own) == (0, 0, 1, 2)  # the page's own box wins


def test_prints_to_a4(browser):
    printed = browser.execute_cdp_cmd(
        "Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True}
    )
    pdf = base64.b64decode(printed["data"])
    (artefacts_dir() / "report.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF-")
    x0, y0, x1, y1 = first_page_media_box(pdf)
    assert (x1 - x0, y1 - y0) == (pytest.approx(A4_PT[0], abs=2), pytest.approx(A4_PT[1], abs=2))
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
    assert pages > 10
    boxes = set(re.findall(rb"/MediaBox\s*\[([^\]]*)\]", pdf))
    assert len(boxes) == 1  # every page the same size


def test_full_page_screenshot_is_kept(browser):
    from PIL import Image

    size = browser.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    shot = browser.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "optimizeForSpeed": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
        },
    )
    path = artefacts_dir() / "report_full_page.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    assert path.stat().st_size > 500_000
    Image.MAX_IMAGE_PIXELS = None  # a long page, from a trusted source
    with Image.open(path) as image:
        assert image.format == "PNG"
        width, height = image.size
        assert width >= 1000 and height >= 20 * 900  # the whole page, not the window
        assert height == pytest.approx(size["height"], abs=2)
        thumb = image.convert("L").reduce(4)
    inked = sum(thumb.histogram()[:250]) / (thumb.width * thumb.height)
    assert 0.05 < inked < 0.6  # text, tables and figures on a white page
