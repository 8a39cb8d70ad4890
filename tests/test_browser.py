"""The rendered demo month in headless Chromium: tables that fit a laptop, a phone and
A4 paper, charts legible on a phone (text >= 9 CSS px) with alt text, pages under 2 MB
(issue 15)."""

from __future__ import annotations

import io
import json
import re
import shutil
import unicodedata
from pathlib import Path
from types import SimpleNamespace

import pytest
from cli_run import run_cli

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ("cohort_nps", "churn_decomposition", "adoption_retention", "account_review",
             "journey", "health_review")
ARTIFACTS = ROOT / "tests" / "artifacts" / "browser"
#: A4 less the page margins of cslib.css (12 mm each side), in CSS pixels (96 per inch).
A4_CONTENT_PX = (210 - 24) / 25.4 * 96

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def month(demo_db, tmp_path_factory):
    """The four notebooks for SMB in English and Enterprise in pt-BR, rendered once."""
    proj = tmp_path_factory.mktemp("browser") / "proj"
    shutil.copytree(ROOT / "notebooks", proj / "notebooks")
    (proj / "p.yaml").write_text(f"""
month: "2026-10"
source: {demo_db}
segments: [SMB, Enterprise]
notebooks: [{", ".join(NOTEBOOKS)}]
overrides: {{Enterprise: {{locale: pt-BR}}}}
jobs: 2
timeout: 300
""", encoding="utf-8")
    res = run_cli(proj, "render", "--params", "p.yaml", "--output", "reports")
    month_dir = proj / "reports" / "2026-10"
    pages = sorted(month_dir.glob("*/*.html"))
    assert len(pages) == 2 * len(NOTEBOOKS), res.out + res.err
    return SimpleNamespace(dir=month_dir, pages=pages, index=month_dir / "index.html")


def _chromium() -> str:
    from test_reports import _chromium as install

    return install()


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    executable = _chromium()
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def _name(path: Path) -> str:
    return f"{path.parent.name}_{path.stem}"


# Tables wider than their box, and cells whose content overflows them (clipped).
_TABLE_FIT = """() => Array.from(document.querySelectorAll('table')).flatMap((t, i) => {
  const box = t.parentElement.getBoundingClientRect();
  const r = t.getBoundingClientRect();
  const out = [];
  if (r.right > box.right + 1 || t.parentElement.scrollWidth > t.parentElement.clientWidth + 1)
    out.push({table: i, width: r.width, box: box.width});
  for (const c of t.querySelectorAll('th, td')) {
    if (c.scrollWidth > c.clientWidth + 1) out.push({table: i, clipped: c.textContent});
  }
  return out;
})"""


def test_every_page_fits_a_laptop_a_phone_and_a4(month, browser):
    """1280x900: no table wider than its container, no clipped cell. 390x844: the page
    never scrolls sideways. Print media at A4 width: every table's right edge inside the
    page, and every table header in the PDF's text."""
    pypdf = pytest.importorskip("pypdf")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems = {}
    for path in [*month.pages, month.index]:
        name = _name(path)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(path.as_uri(), wait_until="load")
        wide = page.evaluate(_TABLE_FIT)
        page.screenshot(path=str(ARTIFACTS / f"{name}_1280.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        sideways = page.evaluate(
            "document.documentElement.scrollWidth - window.innerWidth")
        page.screenshot(path=str(ARTIFACTS / f"{name}_390.png"), full_page=True)
        page.emulate_media(media="print")
        page.set_viewport_size({"width": int(A4_CONTENT_PX), "height": 1100})
        off_page = page.evaluate("""(w) => Array.from(document.querySelectorAll('table'))
            .map(t => t.getBoundingClientRect().right).filter(r => r > w + 1)""",
                                 A4_CONTENT_PX)
        headers = page.evaluate(
            "Array.from(document.querySelectorAll('table th')).map(h => h.innerText)")
        pdf = page.pdf(format="A4", print_background=True)
        (ARTIFACTS / f"{name}.pdf").write_bytes(pdf)
        page.close()
        text = "".join(p.extract_text() or "" for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
        # NFKC: Chromium sets "ffi" and "fi" as ligatures, which pypdf extracts as one glyph
        squeezed = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
        missing = sorted({h for h in headers if re.sub(r"\s+", "", h) not in squeezed})
        if wide or sideways > 1 or off_page or missing:
            problems[name] = {"wide": wide[:5], "sideways": sideways, "off_page": off_page,
                              "missing_headers": missing[:10]}
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)


_CHART = re.compile(r'<svg id="cs[^"]*" class="cs-(wide|phone)"[^>]*>\s*(?:<title>([^<]*)</title>)?')


def test_every_chart_says_what_it_shows_and_pages_stay_small(month):
    import html

    for path in month.pages:
        page = path.read_text(encoding="utf-8")
        assert len(page.encode("utf-8")) < 2_000_000, (path, len(page))
        assert not re.search(r"<img\b[^>]*data:image/png", page)  # charts are inline SVG
        for match in _CHART.finditer(page):
            tag = page[match.start():page.index(">", match.start()) + 1]
            label = re.search(r'\baria-label="([^"]*)"', tag)
            assert 'role="img"' in tag and label, (path.name, tag[:160])
            alt = html.unescape(label.group(1))
            assert len(alt) > 20 and "No description" not in alt, (path.name, alt)
            assert html.unescape(match.group(2) or "") == alt  # the <title> says the same
    smb = (month.dir / "cohort_nps" / "smb.html").read_text(encoding="utf-8")
    assert 'aria-label="Rolling NPS with its 95% CI. Latest ' in smb
    ent = (month.dir / "cohort_nps" / "enterprise.html").read_text(encoding="utf-8")
    assert 'aria-label="NPS móvel com IC 95%. Último ' in ent
    assert smb.count('class="cs-wide"') == smb.count('class="cs-phone"') >= 5


#: Each shown chart's text in CSS px: its font size times the scale the SVG is drawn at
#: (rotation included), and the text boxes that overlap another's in the same chart.
_CHART_TEXT = """() => Array.from(document.querySelectorAll('.cs-chart svg')).flatMap(svg => {
  const box = svg.getBoundingClientRect();
  if (box.width === 0) return [];
  const texts = Array.from(svg.querySelectorAll('text')).filter(t => t.textContent.trim());
  // slanted text (the waterfall's names at 20 degrees): its box is no measure of its ink
  const square = t => { const m = t.getScreenCTM(); return Math.abs(m.b) < 1e-6 || Math.abs(m.a) < 1e-6; };
  const items = texts.map(t => {
    const m = t.getScreenCTM();
    const r = t.getBoundingClientRect();
    return {text: t.textContent, px: parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b),
            r: {l: r.left, r: r.right, t: r.top, b: r.bottom}, size: r.height, square: square(t)};
  });
  const overlaps = [];
  for (let i = 0; i < items.length; i++) for (let j = i + 1; j < items.length; j++) {
    if (!items[i].square || !items[j].square) continue;
    const a = items[i].r, b = items[j].r;
    // a text box is its line box (about 1.15 em); lines of one label are 1.2 em apart
    const pad = 0.12 * Math.min(items[i].size, items[j].size);
    if (a.l < b.r - 1 && b.l < a.r - 1 && a.t + pad < b.b - pad && b.t + pad < a.b - pad)
      overlaps.push([items[i].text, items[j].text]);
  }
  return [{chart: svg.getAttribute('aria-label'), kind: svg.getAttribute('class'),
           width: box.width, right: box.right, smallest: Math.min(...items.map(x => x.px)),
           text: items.reduce((a, x) => x.px < a.px ? x : a, {px: 1e9}).text,
           overlaps: overlaps.slice(0, 3)}];
})"""
#: The legibility floor, CSS px of font size (the em, not the glyphs' ink): 9 px is the
#: smallest text the WCAG-based guidance and the platforms' own type ramps use for
#: captions (Apple's smallest Dynamic Type style is 11 pt, Material's overline 10 sp);
#: below it, on a phone at arm's length, digits like 3/8 and 6/9 are confused.
LEGIBLE_PX = 9.0


def test_every_chart_is_legible_on_a_phone_and_a_laptop(month, browser):
    """390x844: every chart shows its phone drawing, whose smallest text is >= 9 CSS px,
    no text box runs into another and no chart is wider than the screen. 1280x900: the
    screen drawing, its smallest text >= 9 px too. Every page < 2 MB."""
    problems = {}
    for path in month.pages:
        assert path.stat().st_size < 2_000_000, path
        for width, height, kind in ((390, 844, "cs-phone"), (1280, 900, "cs-wide")):
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(path.as_uri(), wait_until="load")
            charts = page.evaluate(_CHART_TEXT)
            page.close()
            bad = [c for c in charts if c["smallest"] < LEGIBLE_PX or c["kind"] != kind
                   or c["overlaps"] or c["right"] > width]
            assert charts, path
            if bad:
                problems[f"{_name(path)}_{width}"] = bad
    assert problems == {}, json.dumps(problems, indent=1, ensure_ascii=False)


def test_every_table_offers_its_data_as_csv(month):
    import base64
    import html

    ent = (month.dir / "churn_decomposition" / "enterprise.html").read_text(encoding="utf-8")
    links = re.findall(r'<a download="tabela.csv" href="data:text/csv;charset=utf-8;base64,'
                       r'([^"]+)"', ent)
    assert links and len(links) == ent.count('<p class="cs-csv">')
    csv = base64.b64decode(html.unescape(links[0])).decode("utf-8")
    assert csv.startswith("\ufeff")
    header = csv[1:].splitlines()[0]
    assert ";" in header and "," not in header
