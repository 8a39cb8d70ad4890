"""The report pages as a reader sees them: pt-BR throughout, and the same bytes wherever
they are rendered.

Rendered through the ``cslib render`` command on the session's demo warehouse
(``demo_db``), one segment, once per module (slow).
"""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from cli_run import run_cli

from cslib.i18n import TEXT
from cslib.params import notebook_parameters

ROOT = Path(__file__).resolve().parent.parent
ALL_NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))
#: per-account notebooks (an ``account_id`` parameter) are rendered apart, ``--per account``
PER_ACCOUNT = sorted(p.stem for p in ALL_NOTEBOOKS if "account_id" in notebook_parameters(p))
NOTEBOOKS = sorted(p.stem for p in ALL_NOTEBOOKS if p.stem not in PER_ACCOUNT)
BRIEFS_CHECKED = 3  # briefs of each per-account notebook read (every SMB account is rendered)
SEGMENT, SLUG = "SMB", "smb"
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
ISO_MONTH = re.compile(r"\b\d{4}-(0[1-9]|1[0-2])\b")

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("pages")]


class _Visible(HTMLParser):
    """The text a reader sees: no style or script, no technical record (``<pre>`` and
    ``<code>``: the provenance's parameters, fingerprints, commit, a failure's traceback)."""

    SKIP = {"style", "script", "pre", "code", "title"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth, self.parts = 0, []
        self.blocks: list[tuple[str, str]] = []  # (tag, text) of headings and paragraphs
        self._block: list | None = None
        self._tag = None

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.depth += 1
        if tag in ("h1", "h2", "h3", "h4", "p", "li"):
            self._block, self._tag = [], tag

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.depth -= 1
        if tag == self._tag and self._block is not None:
            text = " ".join("".join(self._block).split()).replace("¶", "").strip()
            self.blocks.append((tag, text))
            self._block = self._tag = None

    def handle_data(self, data):
        if self.depth == 0:
            self.parts.append(data)
            if self._block is not None:
                self._block.append(data)


def visible(page: str) -> tuple[str, list[tuple[str, str]]]:
    parser = _Visible()
    parser.feed(page)
    return " ".join(" ".join(parser.parts).split()), parser.blocks


def _project(root: Path, db: Path, locale: str, notebooks=NOTEBOOKS, per=None) -> Path:
    proj = root
    shutil.copytree(ROOT / "notebooks", proj / "notebooks")
    shutil.copy(db, proj / "wh.duckdb")
    (proj / "p.yaml").write_text(
        f'month: "2026-10"\nsource: wh.duckdb\nsegments: [{SEGMENT}]\nlocale: {locale}\n'
        f"notebooks: [{', '.join(notebooks)}]\njobs: 2\ntimeout: 300\n"
        + (f"per: {per}\n" if per else ""), encoding="utf-8")
    return proj


def _render(proj: Path) -> Path:
    res = run_cli(proj, "render", "--params", "p.yaml", "--output", "reports")
    assert res.code == 0, res.out[-2000:] + res.err[-3000:]
    return proj / "reports" / "2026-10"


@pytest.fixture(scope="module")
def rendered(demo_db, tmp_path_factory):
    """Every notebook for SMB, in English and in pt-BR (spelt as people type it)."""
    out = {}
    for locale, spelling in (("en", "en"), ("pt-BR", "pt_BR")):
        proj = _project(tmp_path_factory.mktemp(f"pages-{locale}"), demo_db, spelling)
        month_dir = _render(proj)
        out[locale] = {nb: (month_dir / nb / f"{SLUG}.html").read_text(encoding="utf-8")
                       for nb in NOTEBOOKS}
        out[locale]["index"] = (month_dir / "index.html").read_text(encoding="utf-8")
        out[f"{locale}/dir"] = month_dir
    return out


@pytest.fixture(scope="module")
def briefs(demo_db, tmp_path_factory):
    """The per-account notebooks for SMB (``per: account``), in English and in pt-BR: the
    first few accounts' pages, by notebook and account page name."""
    out = {}
    if not PER_ACCOUNT:
        return out
    for locale, spelling in (("en", "en"), ("pt-BR", "pt_BR")):
        proj = _project(tmp_path_factory.mktemp(f"briefs-{locale}"), demo_db, spelling,
                        notebooks=PER_ACCOUNT, per="account")
        month_dir = _render(proj)
        for nb in PER_ACCOUNT:
            pages = sorted((month_dir / nb / SLUG).glob("*.html"))[:BRIEFS_CHECKED]
            assert pages, f"{nb}: no page rendered per account"
            for page in pages:
                out.setdefault(locale, {})[f"{nb}/{page.stem}"] = page.read_text(
                    encoding="utf-8")
    return out


def _english_phrases() -> list[str]:
    """The English catalogue's phrases: each entry cut at its fields and Markdown, the
    pieces of 3 words or more whose Portuguese text differs."""
    phrases = set()
    for en, pt in TEXT.values():
        if en == pt:
            continue
        for piece in re.split(r"\{[^}]*\}|\*\*|[#`*]|\n|\(|\)|;|:", en):
            piece = " ".join(piece.split()).strip(" ,.")
            if len(piece.split()) >= 3 and piece not in pt:
                phrases.add(piece)
    return sorted(phrases)


@pytest.mark.parametrize("name", [*NOTEBOOKS, "index"])
def test_pt_br_pages_say_nothing_in_english(rendered, name):
    _check_pt_br_page(rendered["pt-BR"][name], rendered["en"][name], name)


@pytest.mark.parametrize("notebook", PER_ACCOUNT)
def test_pt_br_per_account_pages_say_nothing_in_english(briefs, notebook):
    names = sorted(k for k in briefs["pt-BR"] if k.startswith(f"{notebook}/"))
    assert len(names) == BRIEFS_CHECKED, names
    for name in names:
        _check_pt_br_page(briefs["pt-BR"][name], briefs["en"][name], name)


def _check_pt_br_page(pt_page: str, en_page: str, name: str) -> None:
    pt_text, _ = visible(pt_page)
    assert '<html lang="pt-BR">' in pt_page
    found = [p for p in _english_phrases() if p in pt_text]
    assert not found, f"{name}: English catalogue text on the pt-BR page: {found[:10]}"
    _, en_blocks = visible(en_page)
    same = [text for tag, text in en_blocks
            if len(text.split()) >= 3 and not re.fullmatch(r"[\d\W]+", text) and text in pt_text]
    assert not same, f"{name}: headings/paragraphs of the English page in pt-BR: {same[:5]}"
    assert not ISO_DATE.findall(pt_text), f"{name}: ISO dates {ISO_DATE.findall(pt_text)[:5]}"
    months = [m.group(0) for m in ISO_MONTH.finditer(pt_text)]
    assert not months, f"{name}: ISO months {months[:5]}"


def test_pt_br_pages_have_portuguese_headings_and_money(rendered):
    page = rendered["pt-BR"]["churn_decomposition"]
    text, blocks = visible(page)
    assert ("h1", "Decomposição do churn") in blocks
    assert re.search(r"R\$\xa0\d", page)  # the symbol never wraps away from its amount
    assert 'href="#Resumo"' in page or "Resumo" in text
    toc = re.search(r'<nav class="cs-toc" aria-label="([^"]+)"', page)
    assert toc and toc.group(1) == "Conteúdo"
    assert "out/2026" in text and "31/10/2026" in text


def test_the_en_pages_keep_their_contents_and_titles(rendered):
    page = rendered["en"]["cohort_nps"]
    _, blocks = visible(page)
    assert ("h1", "Cohort NPS") in blocks
    assert [tag for tag, text in blocks if text == "Summary"] == ["li", "h2"]  # contents, heading
    assert re.search(r'<nav class="cs-toc".*href="#Summary"', page, re.S)
    # the intro paragraph is shown once, under the header's title, and the H1 only there
    assert page.count("<h1") == 1


def test_digest_files_are_written_in_the_locale(rendered):
    month_dir = rendered["pt-BR/dir"]
    text = (month_dir / "digest.txt").read_text(encoding="utf-8")
    fragment = (month_dir / "digest.html").read_text(encoding="utf-8")
    assert text.startswith("Customer Success, out/2026") and "Segmento SMB" in text
    assert "NRR, out/2026" in text and "class=" not in fragment and "<style" not in fragment


def test_same_inputs_give_the_same_bytes_at_two_paths(demo_db, tmp_path_factory):
    """One notebook rendered from two copies of the project at different absolute paths."""
    pages = []
    for where in ("first/deeper/copy", "second"):
        root = tmp_path_factory.mktemp("paths") / where
        root.mkdir(parents=True)
        month_dir = _render(_project(root, demo_db, "pt-BR", notebooks=["churn_decomposition"]))
        page = (month_dir / "churn_decomposition" / f"{SLUG}.html").read_bytes()
        index = (month_dir / "index.html").read_bytes()
        assert str(root).encode() not in page and str(root).encode() not in index
        assert b"wh.duckdb" in page  # the source as the params file gives it
        pages.append((page, index, (month_dir / "digest.html").read_bytes()))
    assert pages[0][0] == pages[1][0]
    assert pages[0][1] == pages[1][1]
    assert pages[0][2] == pages[1][2]


#: Headlines every monthly report computes for 12 months (cslib.trend), by id.
MONTHLY = {"nps", "loops_in_sla", "nrr", "grr", "net_revenue_churn", "logo_churn", "fcr",
           "churn_risk", "ttv_median", "ttv_share90"}


def test_a_first_render_has_the_change_and_the_trend_from_the_data(rendered):
    """No earlier month was rendered into this output folder, yet every monthly headline
    carries its previous month and its 12-month trend, and the overview shows both."""
    month_dir = rendered["en/dir"]
    assert not [p for p in month_dir.parent.iterdir() if p.is_dir() and not p.name.startswith(".")
                and p.name != "2026-10"]
    manifest = json.loads((month_dir / "manifest.json").read_text(encoding="utf-8"))
    seen = set()
    for run in manifest["runs"]:
        for h in run.get("headlines") or []:
            if h.get("id") not in MONTHLY:
                continue
            seen.add(h["id"])
            # churn risk classifies every account again per month: its previous month only
            months = 2 if h["id"] == "churn_risk" else 12
            assert len(h["trend"]) == months and h["trend"][-1] == pytest.approx(h["value"])
            assert sum(v is not None for v in h["trend"]) >= min(6, months), h["id"]
            assert h["previous"]["value"] == pytest.approx(h["trend"][-2]), h["id"]
    assert seen == MONTHLY
    page = rendered["en"]["index"]
    rows = re.findall(r'<tr[^>]*>\s*<th scope="row">(.*?)</th>(.*?)</tr>', page, re.S)
    monthly_rows = [(name, cells) for name, cells in rows if "<svg" in cells]
    assert len(monthly_rows) == len(MONTHLY)
    for name, cells in monthly_rows:
        assert "no previous month" not in cells, name
        assert re.search(r"[\u25b2\u25bc=]", cells), name
        points = re.findall(r'points="([^"]+)"', cells)
        assert sum(len(p.split()) for p in points) >= (2 if "risk" in name else 6), name
    # the model estimates (odds ratio, health backtest) say why they are not compared
    assert "not compared (all months to date)" in page
    pt = rendered["pt-BR"]["index"]
    assert "sem mês anterior" not in pt and "Variação desde set/2026" in pt
