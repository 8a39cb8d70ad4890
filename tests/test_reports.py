"""End to end: the four real notebooks rendered by `cslib render` on a small demo warehouse.

The warehouse carries hostile data (a ``<script>`` NPS comment, an e-mail and a
phone number in a comment, a 100,000-character comment, account names with
HTML), SMB renders in English and Enterprise in pt-BR. One module-scoped batch,
its unchanged re-run and a ``--force`` re-run feed the tests; a second, small
batch renders SMB's cohort_nps with ``mask_pii: false`` and adoption_retention
with a model that cannot be fitted; the browser test opens one of the reports
in headless Chromium, on a laptop, on a phone and as a PDF.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pandas as pd
import pytest
from cli_run import run_cli

from cslib.demo import generate_warehouse, write_duckdb

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ("cohort_nps", "churn_decomposition", "adoption_retention", "account_review")
ARTIFACTS = ROOT / "tests" / "artifacts"
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)
LONG_COMMENT = "Muito lento. " * 7693  # 100,009 characters

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("reports")]



def _hostile_warehouse() -> dict[str, pd.DataFrame]:
    tables = generate_warehouse(300, seed=3)
    acc = tables["accounts"].copy()
    smb = acc["segment"] == "SMB"
    acc.loc[smb, "name"] = [f"<b>Acme {i}</b> & Co" for i in range(smb.sum())]
    tables["accounts"] = acc

    nps = tables["nps_responses"].copy()
    smb_ids = set(acc.loc[smb, "account_id"])
    rows = nps.index[nps["account_id"].isin(smb_ids)][:3]
    hostile = ["<script>alert(1)</script>",
               "Liguem: ana.souza@example.com ou +55 11 91234-5678",
               LONG_COMMENT]
    for i, (row, text) in enumerate(zip(rows, hostile, strict=True)):
        nps.loc[row, "comment"] = text
        nps.loc[row, "score"] = 0
        nps.loc[row, "responded_at"] = pd.Timestamp("2026-10-31 12:00") - pd.Timedelta(hours=i)
    tables["nps_responses"] = nps
    # the moved answers are new: no loop action can precede them (a contract rule)
    loops = tables["loop_actions"]
    tables["loop_actions"] = loops[~loops["response_id"].isin(nps.loc[rows, "response_id"])]
    return tables


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    proj = tmp_path_factory.mktemp("reports") / "proj"
    shutil.copytree(ROOT / "notebooks", proj / "notebooks")
    db = write_duckdb(_hostile_warehouse(), proj / "demo.duckdb")
    (proj / "p.yaml").write_text(f"""
month: "2026-10"
source: {db}
segments: [SMB, Enterprise]
notebooks: [{", ".join(NOTEBOOKS)}]
overrides: {{Enterprise: {{locale: pt-BR}}}}
jobs: 2
timeout: 300
""", encoding="utf-8")
    args = ["render", "--params", "p.yaml", "--output", "reports"]
    month_dir = proj / "reports" / "2026-10"
    first = run_cli(proj, *args)
    html = {p.relative_to(month_dir).as_posix(): p.read_bytes()
            for p in sorted(month_dir.glob("*/*.html"))}
    index = (month_dir / "index.html").read_bytes()
    again = run_cli(proj, *args)
    forced = run_cli(proj, *args, "--force")
    html_forced = {p.relative_to(month_dir).as_posix(): p.read_bytes()
                   for p in sorted(month_dir.glob("*/*.html"))}
    return SimpleNamespace(proj=proj, db=db, month_dir=month_dir, first=first, again=again,
                           forced=forced, html=html, html_forced=html_forced, index=index,
                           manifest=json.loads((month_dir / "manifest.json").read_text()))


@pytest.fixture(scope="module")
def unmasked(batch):
    """SMB's cohort_nps with ``mask_pii: false``, and adoption_retention asked for more key
    features than there are (``min_features: 4`` of 3), so no account is a key adopter and
    the churn model cannot be fitted: the small-segment case, on purpose."""
    (batch.proj / "unmasked.yaml").write_text(f"""
month: "2026-10"
source: {batch.db}
segments: [SMB]
notebooks: [cohort_nps, adoption_retention]
mask_pii: false
parameters: {{min_features: 4}}
jobs: 2
timeout: 300
""", encoding="utf-8")
    res = run_cli(batch.proj, "render", "--params", "unmasked.yaml", "--output", "unmasked")
    assert res.code == 0, res.out + res.err
    month_dir = batch.proj / "unmasked" / "2026-10"
    return {p.relative_to(month_dir).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(month_dir.glob("*/*.html"))}


def _text(page: bytes) -> str:
    return page.decode("utf-8")


def _summary(page: str) -> str:
    """The Summary section's text, tags removed, spaces collapsed."""
    anchor = 'id="Summary"' if 'id="Summary"' in page else 'id="Resumo"'  # en / pt-BR
    section = page.split(anchor, 1)[1].split("</h2>", 1)[1].split("<h2", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section)).replace("¶", "").strip()


def test_every_notebook_renders_for_every_segment(batch):
    assert batch.first.code == 0, batch.first.out + batch.first.err
    assert "8 run(s) executed (8 ok)" in batch.first.out
    assert sorted(batch.html) == sorted(f"{nb}/{seg}.html" for nb in NOTEBOOKS
                                        for seg in ("smb", "enterprise"))
    for name, page in batch.html.items():
        text = _text(page)
        summary = 'id="Resumo"' if name.endswith("enterprise.html") else 'id="Summary"'
        assert "<h2" in text and summary in text, name  # Enterprise renders in pt-BR
        assert len(page) < 2_000_000, (name, len(page))
        assert not EXTERNAL.search(text), name
        assert "jp-InputArea" not in text and "In&nbsp;[" not in text, name
        assert "Traceback" not in text and "Warning:" not in text, name


def test_the_summary_comes_first_with_numbers_and_intervals(batch):
    text = _text(batch.html["cohort_nps/smb.html"])
    headings = re.findall(r"<h2[^>]*>(.*?)<", text)
    assert headings[0].strip() == "Summary"
    summary = text.split('id="Summary"')[1].split("<h2")[0]
    assert re.search(r"NPS <strong>-?\d+</strong> \(95% CI -?\d+ to -?\d+", summary) or \
        re.search(r"NPS -?\d+ \(95% CI -?\d+ to -?\d+", re.sub(r"<[^>]+>", "", summary))


def test_every_summary_states_numbers_intervals_and_what_they_cover(batch):
    def summary(name):
        return _summary(_text(batch.html[name]))

    assert "in the 90 days to 31 Oct 2026" in summary("cohort_nps/smb.html")
    assert re.search(r"points (above|below)|the same as", summary("cohort_nps/smb.html"))
    assert "nos 90 dias até 31 de out. de 2026" in summary("cohort_nps/enterprise.html")
    churn = summary("churn_decomposition/smb.html")
    assert re.search(r"logo churn \d+\.\d% \(\d+ of \d+ paying accounts lost; "
                     r"95% CI \d+\.\d% to \d+\.\d%\)", churn), churn
    assert "all accounts, not a sample" in churn and "previous month" in churn
    churn_pt = summary("churn_decomposition/enterprise.html")
    assert re.search(r"contas pagantes perdidas; IC 95% \d+,\d% a \d+,\d%\)", churn_pt)
    assert "não uma amostra" in churn_pt
    assert "times the odds" in summary("adoption_retention/smb.html")
    assert "95% CI" in summary("adoption_retention/smb.html")
    assert "IC 95%" in summary("adoption_retention/enterprise.html")
    assert "95% CI" in summary("account_review/smb.html")


def test_cohort_nps_shows_each_waves_stratum_mix(batch):
    page = _text(batch.html["cohort_nps/smb.html"])
    section = page.split('id="The-stratum-mix-of-each-wave"', 1)[1].split("<h2", 1)[0]
    wide = [tag for tag in re.findall(r"<svg\b[^>]*>", section) if 'class="cs-wide"' in tag]
    assert wide and all('role="img"' in tag and 'aria-label="' in tag for tag in wide)
    assert "largest gap between a wave" in _text(batch.html["cohort_nps/smb.html"])


def test_adoption_summary_says_why_when_the_model_cannot_be_fitted(unmasked):
    page = unmasked["adoption_retention/smb.html"]
    text = _summary(page)
    assert text.startswith("The churn model could not be fitted for this segment and month:")
    assert "key_adopter" in text and "survival curves by adoption band" in text
    assert "Traceback" not in page
    regression = page.split('id="Logistic-regression:-churn-next-month"', 1)[1]
    assert "Not estimated for this segment and month" in regression.split("<h2", 1)[0]


def test_overview_links_every_report_with_headlines(batch):
    index = _text(batch.index)
    for name in batch.html:
        assert f'href="{name}"' in index
    assert "NPS" in index and "NRR" in index


def test_unchanged_rerun_executes_nothing(batch):
    assert batch.again.code == 0
    assert "0 run(s) executed" in batch.again.out
    assert "unchanged, skipped 8" in batch.again.out


def test_forced_rerender_is_byte_identical(batch):
    assert batch.forced.code == 0
    assert "8 run(s) executed (8 ok)" in batch.forced.out
    different = [name for name in batch.html if batch.html[name] != batch.html_forced[name]]
    assert different == []


def test_warm_kernels_give_the_same_report_as_fresh_ones(batch, monkeypatch):
    monkeypatch.setenv("CSLIB_FRESH_KERNELS", "1")
    res = run_cli(batch.proj, "render", "--params", "p.yaml", "--output", "fresh",
               "--notebooks", "cohort_nps", "churn_decomposition", "--segments", "SMB")
    assert res.code == 0, res.out + res.err
    for nb in ("cohort_nps", "churn_decomposition"):
        fresh = (batch.proj / "fresh" / "2026-10" / nb / "smb.html").read_bytes()
        assert fresh == batch.html[f"{nb}/smb.html"], nb


def test_data_derived_html_is_shown_as_text(batch):
    nps_page = _text(batch.html["cohort_nps/smb.html"])
    assert "<script>alert(1)</script>" not in nps_page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in nps_page
    for name, page in batch.html.items():
        text = _text(page)
        assert "<b>Acme" not in text, name
        assert "<script>alert" not in text, name
    movers = _text(batch.html["churn_decomposition/smb.html"])
    assert "&lt;b&gt;Acme" in movers


def test_verbatims_mask_contacts_and_keep_a_huge_comment(batch):
    page = _text(batch.html["cohort_nps/smb.html"])
    assert "ana.souza@example.com" not in page
    assert "91234-5678" not in page
    assert "Liguem: [e-mail] ou [phone]" in page  # mask_pii is on by default
    assert "E-mail addresses and phone numbers are masked." in page
    assert page.count("Muito lento.") >= 7693  # the whole comment, not cut or lost


def test_mask_pii_false_shows_contacts_as_written(unmasked):
    page = unmasked["cohort_nps/smb.html"]
    assert "Liguem: ana.souza@example.com ou +55 11 91234-5678" in page
    assert "[e-mail]" not in page and "[phone]" not in page
    assert "shown as written (mask_pii is off)" in page
    assert "<script>alert(1)</script>" not in page  # still escaped


def _brl(x: float) -> str:
    """R$ formatting worked out by hand: 1234.5 -> 'R$ 1.234,50'."""
    whole, cents = f"{x:.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"R$\xa0{'.'.join(groups)},{cents}"  # a no-break space: the symbol never wraps


def test_pt_br_report_formats_money_from_the_data(batch):
    assert _brl(1234.56) == "R$\xa01.234,56"
    con = duckdb.connect(str(batch.db), read_only=True)
    # October's starting MRR of Enterprise = its MRR in September, summed by SQL.
    start = con.execute("""
        select sum(m.mrr) from mrr m join accounts a using (account_id)
        where a.segment = 'Enterprise' and m.month = date '2026-09-01'""").fetchone()[0]
    con.close()
    page = _text(batch.html["churn_decomposition/enterprise.html"])
    assert _brl(float(start)) in page
    assert '<html lang="pt-BR">' in page and "Segmento" in page
    english = _text(batch.html["churn_decomposition/smb.html"])
    assert "R$" not in english and "$" in english


def test_a_month_before_the_data_renders_a_short_no_data_report(batch):
    res = run_cli(batch.proj, "render", "--params", "p.yaml", "--output", "early",
               "--month", "2023-01", "--notebooks", "cohort_nps", "--segments", "SMB")
    assert res.code == 0, res.out + res.err
    assert "1 no data" in res.out
    page = (batch.proj / "early" / "2023-01" / "cohort_nps" / "smb.html").read_text()
    assert "nothing to report" in page
    assert "Traceback" not in page


# --------------------------------------------------------------------------- the browser
def _chromium() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        try:
            subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True,
                           timeout=600)
            subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True,
                           capture_output=True, timeout=1200)
        except (OSError, subprocess.SubprocessError) as exc:
            pytest.skip(f"Debian's chromium could not be installed with apt-get: {exc}")
    return path


def _pdf_pages_with_outline_entry(pdf: bytes, title: str) -> list[int]:
    """Object numbers of the PDF pages that the outline entry ``title`` points to.

    Chromium's ``outline=True`` writes one outline entry per heading, with the
    heading's text as its ``/Title`` and the page it is on as ``/Dest [n 0 R ...]``.
    """
    pages = []
    entry = rb"/Title \(" + re.escape(title.encode()) + rb"\)\s*/Dest \[(\d+) 0 R"
    for number in re.findall(entry, pdf):
        obj = re.search(rb"(?:^|\n)" + number + rb" 0 obj\s*<<(.*?)>>\s*endobj", pdf, re.S)
        if obj and re.search(rb"/Type\s*/Page\b", obj.group(1)):
            pages.append(int(number))
    return pages


@pytest.mark.browser
def test_report_in_headless_chromium_offline(batch):
    playwright = pytest.importorskip("playwright.sync_api")
    executable = _chromium()
    report = batch.month_dir / "cohort_nps" / "smb.html"
    outside, console_errors, page_errors = [], [], []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})

        def route(r):
            if r.request.url.startswith("file://"):
                r.continue_()
            else:
                outside.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error"
                else None)
        page.on("pageerror", lambda e: page_errors.append(str(e)))
        page.goto(report.as_uri(), wait_until="load")
        summary = page.get_by_role("heading", name="Summary", level=2)
        assert summary.is_visible()
        assert page.locator(".jp-InputArea, .jp-InputPrompt, .jp-OutputPrompt").count() == 0
        charts = page.locator("svg.cs-wide")  # the charts, inline SVG (a phone copy beside)
        assert charts.count() >= 4
        assert page.evaluate("Array.from(document.querySelectorAll('svg.cs-wide')).every("
                             "s => s.getBoundingClientRect().width > 200 && "
                             "s.querySelectorAll('text').length > 3)")
        page.screenshot(path=str(ARTIFACTS / "cohort_nps_smb.png"), full_page=True)

        page.set_viewport_size({"width": 390, "height": 844})  # a phone
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        # every chart shown fits the screen (the phone drawing; the wide one is hidden)
        widths = page.evaluate("""Array.from(document.querySelectorAll('svg.cs-wide, svg.cs-phone'))
            .filter(s => s.getBoundingClientRect().width > 0)
            .map(s => ({cls: s.getAttribute('class'), right: s.getBoundingClientRect().right}))""")
        assert widths and all(w["right"] <= 390 + 1 for w in widths), widths
        assert all(w["cls"] == "cs-phone" for w in widths), widths
        assert summary.is_visible()
        page.screenshot(path=str(ARTIFACTS / "cohort_nps_smb_phone.png"))

        page.set_viewport_size({"width": 1280, "height": 900})
        page.emulate_media(media="print")
        assert summary.is_visible()
        assert page.locator(".jp-InputArea, .jp-InputPrompt, .jp-OutputPrompt").count() == 0
        page.screenshot(path=str(ARTIFACTS / "cohort_nps_smb_print.png"))
        pdf = page.pdf(format="A4", print_background=True, outline=True, tagged=True)
        (ARTIFACTS / "cohort_nps_smb.pdf").write_bytes(pdf)
        browser.close()
    assert outside == []
    assert console_errors == [] and page_errors == []
    assert pdf.startswith(b"%PDF-")
    n_pages = len(re.findall(rb"/Type\s*/Page\b", pdf))  # \b: not /Pages
    assert n_pages >= 2, n_pages  # a report with 7 plots does not fit on one A4 page
    assert _pdf_pages_with_outline_entry(pdf, "Summary"), "no page holds the Summary heading"


def test_one_notebook_by_hand_with_the_papermill_command_line(batch, tmp_path):
    params = tmp_path / "smb.yaml"
    params.write_text(f"segment: SMB\nmonth: '2026-10'\nsource: {batch.db}\nlocale: pt-BR\n",
                      encoding="utf-8")
    out = tmp_path / "out.ipynb"
    papermill = Path(sys.executable).parent / "papermill"
    cmd = [str(papermill)] if papermill.exists() else [sys.executable, "-m", "papermill"]
    # papermill reads .ipynb only: the text notebook is converted first, as README says
    source = tmp_path / "churn_decomposition.ipynb"
    jupytext = Path(sys.executable).parent / "jupytext"
    convert = [str(jupytext)] if jupytext.exists() else [sys.executable, "-m", "jupytext"]
    done = subprocess.run([*convert, "--to", "ipynb", "--output", str(source),
                           str(ROOT / "notebooks" / "churn_decomposition.py")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    res = subprocess.run([*cmd, str(source),
                          str(out), "-f", str(params), "--cwd", str(tmp_path)],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    import nbformat

    nb = nbformat.read(out, as_version=4)
    shown = "".join(o.get("data", {}).get("text/markdown", "") for c in nb.cells
                    if c.cell_type == "code" for o in c.outputs)
    assert "outubro de 2026" in shown  # the params file's locale reached the notebook
