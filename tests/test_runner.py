"""The monthly batch (`cslib render`): params checks, file names, HTML, cache, lock, failures.

Kernel-free tests check the pieces (params, slugs, HTML export of a hand-made
notebook, the overview page). The `slow` tests run real papermill batches on
the fixture notebooks in tests/notebooks/ against a 60-account DuckDB, with
few kernels: batch A (3 notebooks x 2 segments), its unchanged re-run, one
--force run, and a hang + a dying kernel.
"""

from __future__ import annotations

import errno
import hashlib
import html
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import duckdb
import nbformat
import numpy as np
import pandas as pd
import pytest
import yaml
from cli_run import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

import cslib
from cslib import runner
from cslib.demo import generate_warehouse, write_demo_data, write_duckdb
from cslib.exceptions import ParamsError, RenderError
from cslib.headlines import ENV_VAR, read_headlines, record_headline
from cslib.io import fingerprint
from cslib.pages import render_html, render_index, slugify
from cslib.params import (
    BatchParams,
    check_parameter_keys,
    load_params,
    notebook_parameters,
    parse_params,
)
from cslib.runner import (
    _atomic_write,
    _inside,
    _MonthLock,
    kit_code_hash,
    latest_complete_month,
    render,
    segment_slugs,
)

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "notebooks"
ROOT = HERE.parent
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)

pytestmark = pytest.mark.xdist_group("runner")


# --------------------------------------------------------------------------- helpers
def _project(root: Path, notebooks=("ok", "broken", "with_params", "hang", "die")) -> Path:
    (root / "notebooks").mkdir(parents=True)
    for name in notebooks:
        shutil.copy(FIXTURES / f"{name}.ipynb", root / "notebooks" / f"{name}.ipynb")
    return root


def _params(root: Path, text: str, name: str = "p.yaml") -> Path:
    path = root / name
    path.write_text(text, encoding="utf-8")
    return path



def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    return write_demo_data(tmp_path_factory.mktemp("data") / "d.duckdb", n_accounts=60)


@pytest.fixture
def project(tmp_path, warehouse) -> Path:
    return _project(tmp_path / "proj")


# --------------------------------------------------------------------------- headlines
def test_record_headline_is_a_no_op_outside_the_batch(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    record_headline("NPS", 32.5)
    assert list(tmp_path.iterdir()) == []


def test_record_headline_writes_json_and_replaces_in_place(tmp_path, monkeypatch):
    target = tmp_path / "h.json"
    monkeypatch.setenv(ENV_VAR, str(target))
    record_headline("NPS", np.float64(32.5), text="+32.5")
    record_headline("Accounts", np.int64(41))
    record_headline("Churn", float("nan"))
    record_headline("NPS", 30.0)
    assert json.loads(target.read_text()) == [
        {"name": "NPS", "value": 30.0, "text": None},
        {"name": "Accounts", "value": 41, "text": None},
        {"name": "Churn", "value": None, "text": None},
    ]
    assert read_headlines(tmp_path / "missing.json") == []


# --------------------------------------------------------------------------- params
def test_params_file_object_tag_is_rejected(tmp_path):
    path = _params(tmp_path, 'month: !!python/object/apply:os.system ["echo pwned"]\n')
    with pytest.raises(ParamsError, match=r"`!!python/object` are not allowed"):
        load_params(path)


def test_params_problems_are_reported_together():
    with pytest.raises(ParamsError) as info:
        parse_params({"month": "2026-13", "jobs": 0, "segmnts": "all",
                      "parameters": {"month": "2026-01"}})
    msg = str(info.value)
    assert "unknown key(s) ['segmnts']" in msg
    assert "valid keys are" in msg and "'segments'" in msg
    assert "`month` must be 'YYYY-MM'" in msg
    assert "`jobs` must be a whole number >= 1" in msg
    assert "`parameters` sets ['month']" in msg


def test_monthly_params_file_is_valid_and_names_the_four_notebooks():
    params = load_params(ROOT / "params" / "monthly.yaml")
    assert params.month == "latest"  # the data's latest complete month
    assert params.segments == "all"
    assert params.source == "data/demo.duckdb"
    assert params.locale == "en"
    assert params.notebooks == ("cohort_nps", "churn_decomposition", "adoption_retention",
                                "account_review", "journey", "health_review")


def test_read_notebook_gives_what_nbformat_gives(tmp_path):
    from cslib.params import read_notebook

    paths = sorted(FIXTURES.glob("*.ipynb"))
    assert len(paths) >= 8
    for path in paths:
        light, full = read_notebook(path), nbformat.read(path, as_version=4)
        assert light == full, path
        assert light.cells[-1].source == full.cells[-1].source
        assert light.metadata.get("kernelspec") == full.metadata.get("kernelspec")
    # an older format is left to nbformat, which converts it
    old = nbformat.v3.new_notebook(worksheets=[nbformat.v3.new_worksheet(cells=[
        nbformat.v3.new_code_cell(input="x = 1")])])
    (tmp_path / "v3.ipynb").write_text(nbformat.v3.writes_json(old), encoding="utf-8")
    assert read_notebook(tmp_path / "v3.ipynb").cells[0].source == "x = 1"
    with pytest.raises(AttributeError):
        read_notebook(paths[0]).no_such_field  # noqa: B018


def test_read_notebook_reads_text_notebooks_as_jupytext_does():
    import jupytext

    from cslib.params import read_notebook

    paths = sorted(Path("notebooks").glob("*.py"))
    assert len(paths) == 7
    for path in paths:
        nb, ref = read_notebook(path), jupytext.read(path)
        assert [(c.cell_type, c.source, c.metadata) for c in nb.cells] == [
            (c.cell_type, c.source, c.metadata) for c in ref.cells], path  # ids are random
        assert nb.metadata["kernelspec"]["name"] == "python3"
        assert nb.cells[0].metadata["tags"] == ["parameters"]


def test_notebook_parameters_reads_the_tagged_cell():
    found = notebook_parameters(FIXTURES / "with_params.ipynb")
    assert {k: v.default for k, v in found.items()} == {
        "segment": "'all'", "month": "'2026-10'", "threshold": "10", "label": "'default'",
        "mask_pii": "False"}
    assert found["threshold"].type is None and found["mask_pii"].type == "bool"
    with pytest.raises(ParamsError, match="no code cell is tagged `parameters`"):
        notebook_parameters(FIXTURES / "no_parameters.ipynb")


def test_notebook_parameters_reads_types_and_descriptions(tmp_path):
    path = tmp_path / "new.py"
    path.write_text(
        '# %% [markdown]\n# # New\n\n'
        '# %% tags=["parameters"]\n'
        'segment: str = "all"  # segment to report on\n'
        'source: str | None = None\n'
        'weights: dict = {\n    "a": 1,  # inside the value\n}\n'
        'n = 3  # plain assignment, still a parameter\n'
        '# a comment line alone describes nothing\n'
        'label: str = "x#y"  # a # inside a string is not a comment\n\n'
        '# %%\nprint(segment)\n', encoding="utf-8")
    found = notebook_parameters(path)
    assert found == {
        "segment": ("str", "'all'", "segment to report on"),
        "source": ("str | None", "None", None),
        "weights": ("dict", "{'a': 1}", "inside the value"),
        "n": (None, "3", "plain assignment, still a parameter"),
        "label": ("str", "'x#y'", "a # inside a string is not a comment"),
    }
    # a notebook already read gives the same
    from cslib.params import read_notebook

    assert notebook_parameters(read_notebook(path)) == found
    path.write_text('# %% tags=["parameters"]\nx: int = \n', encoding="utf-8")
    with pytest.raises(ParamsError, match=r"new.py: the `parameters` cell is not valid Python"):
        notebook_parameters(path)


def test_the_project_notebooks_are_text_and_render_from_text(tmp_path):
    from cslib.runner import _notebook_paths

    found = _notebook_paths(Path("notebooks"), None)
    assert sorted(found) == ["account_brief", "account_review", "adoption_retention",
                             "churn_decomposition", "cohort_nps", "health_review", "journey"]
    assert {p.suffix for p in found.values()} == {".py"}
    # a plain module is not a notebook; a .py notebook wins over an .ipynb of the same name
    (tmp_path / "helpers.py").write_text("x = 1\n", encoding="utf-8")
    shutil.copy(FIXTURES / "ok.ipynb", tmp_path / "ok.ipynb")
    shutil.copy(Path("notebooks") / "cohort_nps.py", tmp_path / "ok.py")
    assert _notebook_paths(tmp_path, None) == {"ok": tmp_path / "ok.py"}


def test_unknown_parameter_key_lists_the_valid_ones():
    declared = {"ok": {"segment": "'all'", "counter": "None"},
                "with_params": {"threshold": "10", "label": "'x'"}}
    check_parameter_keys(BatchParams(parameters={"threshold": 5}), declared)  # known: fine
    with pytest.raises(ParamsError, match=r"`overrides.SMB` has unknown key\(s\) \['treshold'\]"
                       r".*Valid parameter keys are \['counter', 'label', 'threshold'\]"):
        check_parameter_keys(BatchParams(overrides={"SMB": {"treshold": 5}}), declared)


# --------------------------------------------------------------------------- file names
@pytest.mark.parametrize("name, expected", [
    ("São Paulo", "sao-paulo"),
    ("../../x", "x"),
    ("a/b", "a-b"),
    ("🚀", "segment"),
    (" ", "segment"),
    ("..", "segment"),
    (".hidden", "hidden"),
    ("Mid-Market", "mid-market"),
    ("con", "con_"),  # Windows reserves CON, NUL, COM1... whatever the extension
    ("NUL", "nul_"),
    ("COM¹", "com1_"),  # NFKD turns ¹ into 1
])
def test_slugify(name, expected):
    assert slugify(name) == expected


def test_colliding_slugs_get_a_hash_suffix_and_exact_names_keep_theirs():
    slugs = segment_slugs(["a/b", "A/B", "a-b", "🚀", "🛸"])
    assert slugs["a-b"] == "a-b"
    assert slugs["a/b"] == "a-b-" + hashlib.sha256(b"a/b").hexdigest()[:8]
    assert slugs["A/B"] == "a-b-" + hashlib.sha256(b"A/B").hexdigest()[:8]
    assert slugs["🚀"] != slugs["🛸"]
    assert segment_slugs(["🛸", "A/B", "a-b", "a/b", "🚀"]) == slugs  # order does not matter


@settings(max_examples=80, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=12), min_size=1, max_size=12, unique=True))
def test_slugs_are_safe_unique_and_stay_in_the_folder(tmp_path_factory, names):
    root = tmp_path_factory.getbasetemp() / "slugs"
    root.mkdir(exist_ok=True)
    slugs = segment_slugs(names)
    assert set(slugs) == set(names)
    assert len(set(slugs.values())) == len(names)
    for slug in slugs.values():
        assert SLUG.match(slug) and slug not in (".", "..")
        assert (root / f"{slug}.html").resolve().parent == root.resolve()


def test_inside_refuses_paths_that_escape(tmp_path):
    with pytest.raises(RenderError, match="outside the output folder"):
        _inside(tmp_path / "reports", tmp_path / "reports" / "2026-10" / ".." / ".." / "x")


# --------------------------------------------------------------------------- HTML pieces
def _handmade_notebook():
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3",
                                                           "display_name": "Python 3"}})
    md = nbformat.v4.new_markdown_cell("# Hand-made report\n\n## First part\n\ntext")
    code = nbformat.v4.new_code_cell("x = 1", execution_count=3)
    code.metadata["papermill"] = {"duration": 0.123, "start_time": "2026-11-01T10:00:00"}
    code.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="visible output\n"),
        nbformat.v4.new_output("stream", name="stderr", text="STDERR-SECRET\n"),
        nbformat.v4.new_output("display_data", data={
            "application/javascript": "alert('js')",
            "text/html": "<table><tr><td>&lt;script&gt;alert(1)&lt;/script&gt;</td></tr>"
                         "</table>"}),
        nbformat.v4.new_output("error", ename="ValueError", evalue="\x1b[31mboom\x1b[0m",
                               traceback=["\x1b[0;31mValueError\x1b[0m: boom"]),
    ]
    md2 = nbformat.v4.new_markdown_cell("## Second part")
    nb.cells = [md, code, md2]
    return nb


CONTEXT = {"segment": "SMB", "month": "2026-10", "data_date": "2026-10", "notebook": "x.ipynb",
           "notebook_hash": "abc", "fingerprint": "f00d", "kit_version": "0.1.0",
           "git_commit": "1234567", "params": {"segment": "SMB"}, "locale": "en"}


def test_html_of_a_successful_run_shows_outputs_only():
    nb = _handmade_notebook()
    before = nbformat.writes(nb)
    page = render_html(nb, context={**CONTEXT, "status": "ok"})
    assert nbformat.writes(nb) == before  # the notebook is not modified
    assert "<h1>Hand-made report</h1>" in page and page.count("Hand-made report") == 2
    assert "visible output" in page
    assert "STDERR-SECRET" not in page and "x = 1" not in page
    assert "alert('js')" not in page and "<script" not in page.lower()
    assert "boom" not in page  # an ok run has no error outputs to show
    assert not EXTERNAL.search(page) and "mathjax" not in page.lower()
    assert "2026-11-01" not in page and "0.123" not in page  # papermill's timings
    toc = re.search(r'<nav class="cs-toc".*?</nav>', page, re.S).group(0)
    assert re.findall(r'href="#([^"]+)"', toc) == ["First-part", "Second-part"]
    for text in ("SMB", "2026-10", "f00d", "0.1.0", "1234567", "@media print"):
        assert text in page


def test_html_of_a_failed_run_shows_the_error_without_ansi_codes():
    page = render_html(_handmade_notebook(),
                       context={**CONTEXT, "status": "failed", "error": "ValueError: boom"})
    assert "ValueError</span>" not in page and "\x1b" not in page and "[0;31m" not in page
    assert "ValueError: boom" in page
    assert 'id="papermill-error-cell"' in page and "This run failed." in page
    assert page.index('id="papermill-error-cell"') < page.index("ValueError: boom</pre>")


def test_overview_escapes_data_and_marks_failed_runs():
    runs = [
        {"notebook": "nps", "title": "NPS <i>by</i> cohort", "segment": "<script>alert(1)</script>",
         "status": "ok", "error": None, "html": "nps/x.html", "ipynb": "nps/x.ipynb",
         "headlines": [{"name": "NPS", "value": 32.456, "text": None},
                       {"name": "<b>n</b>", "value": 1200, "text": None}]},
        {"notebook": "nps", "title": "NPS <i>by</i> cohort", "segment": "SMB", "status": "failed",
         "error": "ValueError: <oops>", "html": "nps/smb.html", "ipynb": "nps/smb.ipynb",
         "headlines": []},
    ]
    page = render_index("2026-10", runs, context={"fingerprint": "f00d"})
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;n&lt;/b&gt;" in page and "NPS &lt;i&gt;by&lt;/i&gt; cohort" in page
    assert "<td>32.46</td>" in page and "<td>1,200</td>" in page
    assert "FAILED" in page and "ValueError: &lt;oops&gt;" in page
    assert 'href="nps/smb.html"' in page and 'href="nps/smb.ipynb"' in page
    assert not EXTERNAL.search(page)


def _log_rows(page: str) -> list[list[str]]:
    """The cells of the overview's run log (the manifest viewer), row by row."""
    section = re.search(r'<section class="cs-runs">.*?</section>', page, re.S).group(0)
    return [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)
            for row in re.findall(r'<tr class="cs-log-(?:ok|bad)">(.*?)</tr>', section, re.S)]


def test_overview_lists_every_run_of_the_manifest_escaped():
    hostile = "<script>alert(1)</script>"
    base = {"notebook": "ok", "title": "OK", "headlines": [], "data_fingerprint": "f00d"}
    runs = [
        {**base, "segment": hostile, "status": "failed", "error": f"ValueError: {hostile}",
         "duration_s": 2.34, "html": "ok/script.html", "ipynb": "ok/script.ipynb"},
        {**base, "segment": "SMB", "status": "ok", "error": None, "duration_s": 12,
         "html": "ok/smb.html", "ipynb": "ok/smb.ipynb"},
        {**base, "notebook": "nps", "segment": "SMB", "status": "no data", "duration_s": None,
         "error": "No account in SMB paid in October 2026", "data_fingerprint": "beef",
         "html": "nps/smb.html", "ipynb": "nps/smb.ipynb"},
    ]
    page = render_index("2026-10", runs)
    assert "<script" not in page
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert _log_rows(page) == [
        ["ok", escaped, "failed", "<code>f00d</code>", f"ValueError: {escaped}"],
        ["ok", "SMB", "ok", "<code>f00d</code>", ""],
        ["nps", "SMB", "no data", "<code>beef</code>",
         "No account in SMB paid in October 2026"],
    ]


def _locale_runs():
    return [
        {"notebook": "nps", "title": "NPS", "segment": "SMB", "status": "ok", "error": None,
         "duration_s": 1234.56, "data_fingerprint": "f00d", "html": "nps/smb.html",
         "ipynb": "nps/smb.ipynb",
         "headlines": [{"name": "Accounts", "value": 1200, "text": None},
                       {"name": "NPS", "value": 32.456, "text": None},
                       {"name": "Share", "value": 0.01234, "text": None},
                       {"name": "Active", "value": True, "text": None},
                       {"name": "Churn", "value": None, "text": None}]},
        {"notebook": "nps", "title": "NPS", "segment": "Enterprise", "status": "timed out",
         "error": "too slow", "duration_s": 3.0, "data_fingerprint": "f00d",
         "html": "nps/enterprise.html", "ipynb": "nps/enterprise.ipynb", "headlines": []},
    ]


def test_overview_follows_the_pt_br_locale():
    page = render_index("2026-10", _locale_runs(), context={"data_date": "2026-10"},
                        locale="pt-BR")
    assert '<html lang="pt-BR">' in page
    # pt-BR groups thousands with "." and writes decimals with ",":
    # 1200 -> 1.200; 32.456 -> 32,46; 0.01234 (3 significant digits) -> 0,0123;
    # run durations stay in the manifest, out of the page (the same inputs, the same bytes)
    row = re.search(r'scope="row">SMB</th>(.*?)</tr>', page).group(1)
    assert re.findall(r"<td>([^<]*)</td>", row)[:5] == ["1.200", "32,46", "0,0123", "sim", "n/d"]
    assert "1.234,6" not in page and "1234.56" not in page
    for text in ("Relatórios de Customer Success", "Mês: <strong>out/2026</strong>",
                 "Dados até: <strong>2026-10</strong>", "2 relatórios, 1 com problemas",
                 "1 execução(ões) não terminaram.", ">Segmento</th>", ">Relatório</th>",
                 ">relatório</a>", ">notebook executado</a>", ">Execuções</h2>",
                 ">Erro</th>", ">Proveniência</h2>", ">TEMPO ESGOTADO<",
                 ">tempo esgotado</td>"):
        assert text in page, text
    for text in ("Customer Success reports", "Month:", "Data as of", ">Segment<", "Provenance",
                 "Duration", "TIMED OUT", "not rendered", ">report</a>"):
        assert text not in page, text


def test_overview_in_english_by_default_and_for_unknown_locales():
    for page in (render_index("2026-10", _locale_runs()),
                 render_index("2026-10", _locale_runs(), locale="fr")):
        assert '<html lang="en">' in page
        row = re.search(r'scope="row">SMB</th>(.*?)</tr>', page).group(1)
        assert re.findall(r"<td>([^<]*)</td>", row)[:5] == ["1,200", "32.46", "0.0123", "yes",
                                                           "n/a"]
        assert "1,234.6" not in page and ">TIMED OUT<" in page
        assert "2 reports, 1 not rendered cleanly" in page


def test_kit_code_hash_follows_the_code_and_templates_only(tmp_path):
    pkg = tmp_path / "cslib"
    (pkg / "templates" / "cslib").mkdir(parents=True)
    (pkg / "runner.py").write_text("x = 1\n")
    template = pkg / "templates" / "cslib" / "index.html.j2"
    template.write_text("<html>")
    first = kit_code_hash(pkg)
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    (pkg / "__pycache__").mkdir()
    (pkg / "__pycache__" / "runner.cpython-311.pyc").write_bytes(b"\0")
    (pkg / "notes.txt").write_text("not code")
    assert kit_code_hash(pkg) == first  # byte code and other files do not count
    template.write_text("<html lang>")
    assert kit_code_hash(pkg) != first
    template.write_text("<html>")
    assert kit_code_hash(pkg) == first
    (pkg / "runner.py").write_text("x = 2\n")
    assert kit_code_hash(pkg) != first
    assert re.fullmatch(r"[0-9a-f]{64}", kit_code_hash())  # the installed kit's own


@pytest.mark.parametrize("mrr_month, as_of, expected", [
    ("2026-10", "2026-10-31 10:18", "2026-10"),  # the data reaches October's last day
    ("2026-10", "2026-10-30 23:59", "2026-09"),  # October has 31 days: the 31st is missing
    ("2026-02", "2026-02-28 00:00", "2026-02"),  # 2026 is not a leap year: 28 days
    ("2024-02", "2024-02-28 12:00", "2024-01"),  # 2024 is: the 29th is missing
    ("2026-09", "2026-10-31 10:00", "2026-09"),  # events go further than the MRR: MRR caps
    ("2026-10", "2026-06-30 08:00", "2026-06"),  # events stopped long before the MRR
    ("2026-10", None, "2026-10"),  # nothing dated: the MRR's last month as it is
    (None, "2026-10-31 10:00", None),  # no MRR: no month
])
def test_latest_complete_month(mrr_month, as_of, expected):
    assert latest_complete_month(mrr_month, as_of)[0] == expected


def test_atomic_write_removes_its_temporary_file_when_the_disk_is_full(tmp_path, monkeypatch):
    target = tmp_path / "manifest.json"
    target.write_text("old and complete")

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError) as info:
        _atomic_write(target, "new")
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(target)
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]  # no temporary file
    assert target.read_text() == "old and complete"


def test_free_space_check_uses_the_documented_estimate(tmp_path, monkeypatch):
    # 3 runs x 4 MiB + 32 MiB margin = 44 MiB
    needed = 3 * 4 * 2**20 + 32 * 2**20
    for free, refused in ((needed, False), (needed - 1, True)):
        monkeypatch.setattr(runner.shutil, "disk_usage",
                            lambda path, free=free: SimpleNamespace(total=2**40, free=free))
        if refused:
            with pytest.raises(RenderError, match=r"about 44\.0 MiB needed"):
                runner._check_free_space(tmp_path, 3)
        else:
            runner._check_free_space(tmp_path, 3)


# --------------------------------------------------------------------------- checks before any kernel
def test_unknown_parameter_key_is_rejected_before_any_kernel(project, warehouse):
    params = _params(project, f"source: {warehouse}\nnotebooks: [ok, with_params]\n"
                              "parameters: {thresold: 3}\n")
    res = run_cli(project, "render", "--params", str(params), "--output", "out")
    assert res.code == 2
    assert "`parameters` has unknown key(s) ['thresold']" in res.err
    assert "Valid parameter keys are ['counter', 'label', 'locale', 'mask_pii', 'threshold']" \
        in res.err
    assert not (project / "out").exists()  # nothing was set up, so no kernel ran


def test_unknown_top_level_key_and_object_tag_exit_2(project, warehouse):
    params = _params(project, f"source: {warehouse}\nsegmens: all\n")
    res = run_cli(project, "render", "--params", str(params))
    assert res.code == 2 and "unknown key(s) ['segmens']; valid keys are" in res.err
    params = _params(project, "source: !!python/object:os.system {}\n")
    res = run_cli(project, "render", "--params", str(params))
    assert res.code == 2 and "not allowed" in res.err


@pytest.mark.parametrize("segments", ["all", "[SMB]"])
def test_bad_data_exits_2_with_the_schema_message(project, tmp_path, segments):
    # With "all" the whole file is validated at once; without it, a segment at a time,
    # and a slice that breaks its contract sends the batch to the whole file's check, so
    # the message names the row of the whole table either way.
    tables = generate_warehouse(60)
    nps = tables["nps_responses"].copy()
    nps.loc[nps.index[4], "score"] = 11
    tables["nps_responses"] = nps
    bad = write_duckdb(tables, tmp_path / "bad.duckdb")
    params = _params(project, f"source: {bad}\nnotebooks: [ok]\nsegments: {segments}\n")
    res = run_cli(project, "render", "--params", str(params), "--output", "out")
    assert res.code == 2
    assert "column `score` has 1 value(s) above the maximum (rows 5; e.g. 11" in res.err
    assert not (project / "out").exists()


def test_unknown_segment_and_month_after_the_data_exit_2(project, warehouse):
    params = _params(project, f"source: {warehouse}\nnotebooks: [ok]\nsegments: [SMBB]\n")
    res = run_cli(project, "render", "--params", str(params))
    assert res.code == 2 and "Segment(s) ['SMBB'] not found" in res.err and "'SMB'" in res.err
    params = _params(project, f"source: {warehouse}\nnotebooks: [ok]\nmonth: '2027-01'\n")
    res = run_cli(project, "render", "--params", str(params))
    assert res.code == 2 and "after the data's last month 2026-10" in res.err


class _FakeExecutor:
    """An executor that runs nothing: each run "gives" the result the test chose, and
    writes its page, as a worker would."""

    def __init__(self, results):
        self.results, self.seen = results, []

    def run(self, specs, on_result):
        for spec in specs:
            self.seen.append((spec.notebook, spec.segment, spec.params["segment"]))
            res = self.results[spec.segment]
            if not res.write_error:
                Path(spec.html_path).parent.mkdir(parents=True, exist_ok=True)
                Path(spec.html_path).write_text("<p>page</p>")
                Path(spec.ipynb_path).write_text("{}")
            if not on_result(spec, res):
                return


def test_the_executor_is_a_seam_between_plan_and_publish(project, warehouse):
    from cslib.params import load_params
    from cslib.runner import RunResult, plan_month

    params = load_params(_params(project, f"source: {warehouse}\nnotebooks: [ok]\n"
                                          "segments: [SMB, Enterprise]\nmonth: '2026-10'\n"))
    plan = plan_month(params, output=project / "out", notebooks_dir=project / "notebooks")
    # the plan: one RunSpec per notebook x segment, the largest segment first
    assert plan.month == "2026-10" and plan.why == "as asked"
    assert {(r.notebook, r.segment) for r in plan.runs} == {("ok", "SMB"), ("ok", "Enterprise")}
    assert all(r.params["month"] == "2026-10" and r.input.endswith("ok.ipynb")
               for r in plan.runs)
    fake = _FakeExecutor({
        "SMB": RunResult("ok", headlines=[{"name": "NPS", "value": 40}], duration_s=1.0),
        "Enterprise": RunResult("failed", error="ValueError: boom", duration_s=2.0)})
    err = io.StringIO()
    result = render(params, output=project / "out", notebooks_dir=project / "notebooks",
                    executor=fake, out=io.StringIO(), err=err)
    assert sorted(fake.seen) == [("ok", "Enterprise", "Enterprise"), ("ok", "SMB", "SMB")]
    assert result.exit_code == 1 and result.executed == 2
    manifest = json.loads((project / "out" / "2026-10" / "manifest.json").read_text())
    by_seg = {r["segment"]: r for r in manifest["runs"]}
    assert by_seg["SMB"]["status"] == "ok" and by_seg["SMB"]["headlines"][0]["value"] == 40
    assert by_seg["Enterprise"]["error"] == "ValueError: boom"
    assert (project / "out" / "2026-10" / "index.html").is_file()
    assert not (project / "out" / "2026-10" / ".lock").exists()  # the lock was let go
    # a run that cannot write its report stops the batch with the documented message
    fake = _FakeExecutor({s: RunResult("ok", write_error={
        "path": "/x/y.html", "errno": errno.ENOSPC, "code": "ENOSPC",
        "text": "No space left on device"}) for s in ("SMB", "Enterprise")})
    with pytest.raises(RenderError, match=r"Stopped: cannot write /x/y.html \(No space left"):
        render(params, output=project / "out", notebooks_dir=project / "notebooks",
               executor=fake, force=True, out=io.StringIO(), err=io.StringIO())
    assert len(fake.seen) == 1  # the executor was told to stop after the first
    assert not (project / "out" / "2026-10" / ".lock").exists()


def test_unwritable_output_folder_is_a_clear_error(project, warehouse):
    (project / "blocker").write_text("a file where the reports folder should be")
    params = _params(project, f"source: {warehouse}\nnotebooks: [ok]\nsegments: [SMB]\n")
    res = run_cli(project, "render", "--params", str(params), "--output", "blocker")
    assert res.code == 2 and "Cannot write to the output folder" in res.err


_HOLD_LOCK = """
import sys
from pathlib import Path
from cslib.runner import _MonthLock
lock = _MonthLock(Path(sys.argv[1]))
lock.__enter__()
print("locked", flush=True)
sys.stdin.read()  # hold it until the test closes stdin (or kills us)
lock.__exit__(None, None, None)
"""


def _hold_lock(path: Path) -> subprocess.Popen:
    """Another process (a batch, as far as the lock can tell) that holds ``path``."""
    proc = subprocess.Popen([sys.executable, "-c", _HOLD_LOCK, str(path)], text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_locked_month_is_refused_then_taken_over_once_its_holder_dies(project, warehouse):
    lock = project / "out" / "2026-10" / ".lock"
    lock.parent.mkdir(parents=True)
    holder = _hold_lock(lock)
    try:
        params = _params(project, f"source: {warehouse}\nnotebooks: [ok]\nsegments: [SMB]\n")
        res = run_cli(project, "render", "--params", str(params), "--output", "out")
        assert res.code == 2
        assert f"being rendered by another batch (PID {holder.pid}" in res.err
        assert lock.read_text().strip() == str(holder.pid)
        assert not (project / "out" / "2026-10" / "ok").exists()
    finally:
        holder.kill()  # SIGKILL: no clean-up, the lock file stays behind with its PID
        holder.wait()
    assert lock.read_text().strip() == str(holder.pid)
    with _MonthLock(lock):  # the system dropped the dead holder's lock: taken over
        assert lock.read_text().strip() == str(os.getpid())
    assert not lock.exists()


def test_a_stale_lock_from_a_dead_pid_is_taken_over(tmp_path):
    lock = tmp_path / ".lock"
    lock.write_text(str(_dead_pid()))
    with _MonthLock(lock):
        assert lock.read_text().strip() == str(os.getpid())
        with pytest.raises(RenderError, match=rf"another batch \(PID {os.getpid()},"):
            _MonthLock(lock).__enter__()  # held, even by this very process
    assert not lock.exists()


_CONTEND = """
import sys, time
from pathlib import Path
from cslib.exceptions import RenderError
from cslib.runner import _MonthLock
lock, go, done = (Path(a) for a in sys.argv[1:4])
print("ready", flush=True)
while not go.exists():
    time.sleep(0.001)
try:
    _MonthLock(lock).__enter__()
except RenderError:
    print("refused", flush=True)
    sys.exit(0)
print("won", flush=True)
while not done.exists():  # hold the lock until every contender has tried
    time.sleep(0.01)
"""


def test_batches_that_find_the_same_stale_lock_cannot_both_take_it(tmp_path):
    lock, go, done = tmp_path / ".lock", tmp_path / "go", tmp_path / "done"
    lock.write_text(str(_dead_pid()))
    procs = [subprocess.Popen([sys.executable, "-c", _CONTEND, str(lock), str(go), str(done)],
                              stdout=subprocess.PIPE, text=True) for _ in range(4)]
    try:
        for proc in procs:
            assert proc.stdout.readline().strip() == "ready"
        go.touch()  # all four find the stale lock at the same moment
        outcomes = sorted(proc.stdout.readline().strip() for proc in procs)
    finally:
        done.touch()
        for proc in procs:
            proc.wait(timeout=60)
    assert outcomes == ["refused", "refused", "refused", "won"]


def test_too_little_free_space_stops_before_any_kernel(project, warehouse, monkeypatch):
    counter = project / "counter.txt"
    params = _params(project, f"source: {warehouse}\nnotebooks: [ok]\n"
                              f"segments: [SMB, Enterprise]\nparameters: {{counter: {counter}}}\n")
    asked = []

    def disk_usage(path):
        asked.append(Path(path).as_posix())
        return SimpleNamespace(total=100 * 2**20, used=90 * 2**20, free=10 * 2**20)

    monkeypatch.setattr(runner.shutil, "disk_usage", disk_usage)
    res = run_cli(project, "render", "--params", str(params), "--output", "out")
    assert res.code == 2
    # 2 runs x 4 MiB per report + 32 MiB margin = 40 MiB needed, 10 MiB free
    assert ("Not enough free space to render 2 report(s) into out/2026-10: 10.0 MiB free, "
            "about 40.0 MiB needed") in res.err
    assert "--output" in res.err and "Nothing was run." in res.err
    assert asked == ["out/2026-10"]
    assert not counter.exists()  # no kernel ran
    assert not (project / "out" / "2026-10" / "ok").exists()


def test_month_latest_skips_a_partial_last_month_and_says_why(project, tmp_path):
    tables = generate_warehouse(60)
    cut = pd.Timestamp("2026-10-15 12:00")  # the export stops mid-October
    nps = tables["nps_responses"]
    nps = nps[pd.to_datetime(nps["responded_at"]) <= cut]
    loops = tables["loop_actions"]
    loops = loops[loops["response_id"].isin(nps["response_id"])
                  & (pd.to_datetime(loops["done_at"]) <= cut)]
    tickets = tables["tickets"].copy()
    tickets = tickets[pd.to_datetime(tickets["opened_at"]) <= cut]
    tickets.loc[pd.to_datetime(tickets["resolved_at"]) > cut, "resolved_at"] = None
    invitations = tables["nps_invitations"]
    invitations = invitations[pd.to_datetime(invitations["sent_at"]) <= cut]
    tables.update(nps_responses=nps, loop_actions=loops, tickets=tickets,
                  nps_invitations=invitations)
    db = write_duckdb(tables, tmp_path / "partial.duckdb")
    # The latest dated event left, computed here from the tables written:
    as_of = max(pd.to_datetime(frame[col]).max() for frame, col in (
        (nps, "responded_at"), (loops, "done_at"), (tickets, "opened_at"),
        (tickets, "resolved_at"), (invitations, "sent_at")))
    assert as_of.strftime("%Y-%m") == "2026-10" and as_of.day <= 15  # October is partial...
    assert pd.to_datetime(tables["mrr"]["month"]).max() == pd.Timestamp("2026-10-01")  # ...MRR not
    params = _params(project, f"month: latest\nsource: {db}\nnotebooks: [ok]\nsegments: [SMB]\n")
    res = run_cli(project, "render", "--params", str(params), "--output", "out", "--dry-run")
    assert res.code == 0, res.err
    assert ("month 2026-09: `month: latest` is the latest complete month: 2026-10 is partial "
            f"(the last dated event is {as_of:%Y-%m-%d %H:%M}, ") in res.out
    assert re.search(r"ok\s+SMB\s+out/2026-09/ok/smb\.html\s+would run", res.out)
    # October can still be asked for by name; the run says it is partial.
    res = run_cli(project, "render", "--params", str(params), "--output", "out", "--dry-run",
               "--month", "2026-10")
    assert res.code == 0, res.err
    assert ("month 2026-10: as asked; note: the data's latest complete month is 2026-09, so "
            "2026-10 is partial") in res.out


def test_dry_run_prints_the_matrix_with_hostile_segment_names(project, tmp_path):
    names = ["../../x", "a/b", "São Paulo", "Sao Paulo", "🚀", "..", "x", "A/B", "<b>all</b>"]
    tables = generate_warehouse(60)
    acc = tables["accounts"].copy()
    acc["segment"] = [names[i % len(names)] for i in range(len(acc))]
    tables["accounts"] = acc
    db = write_duckdb(tables, tmp_path / "hostile.duckdb")
    params = _params(project, f"source: {db}\nnotebooks: [ok]\n")
    res = run_cli(project, "render", "--params", str(params), "--output", "out", "--dry-run")
    assert res.code == 0, res.err
    paths = re.findall(r"(\S+\.html)\s+would run", res.out)
    assert len(paths) == len(names) + 1  # every segment plus "all"
    assert len(set(paths)) == len(paths)
    folder = (project / "out" / "2026-10" / "ok").resolve()
    for p in paths:
        assert (project / p).resolve().parent == folder
        assert SLUG.match(Path(p).stem)
    assert "10 runs: 10 would run, 0 cached" in res.out
    assert not (project / "out").exists()  # a dry run writes nothing


# --------------------------------------------------------------------------- real batches
@pytest.fixture(scope="module")
def batch(tmp_path_factory, warehouse):
    """Batch A, its unchanged re-run (B, over a stale lock) and a --force run (C)."""
    proj = _project(tmp_path_factory.mktemp("batch") / "proj")
    counter = proj / "counter.txt"
    params = _params(proj, f"""
month: "2026-10"
source: {warehouse}
segments: [SMB, Enterprise]
notebooks: [ok, broken, with_params]
parameters: {{counter: {counter}, label: from-params}}
overrides: {{Enterprise: {{threshold: 99}}}}
timeout: 60
jobs: 2
""")
    args = ["render", "--params", str(params), "--output", "reports"]
    month_dir = proj / "reports" / "2026-10"
    code = kit_code_hash()  # the kit's code as it is now, even if a file is saved meanwhile
    with pytest.MonkeyPatch.context() as pin:
        pin.setattr(runner, "kit_code_hash", lambda: code)
        a = run_cli(proj, *args)
        snap = SimpleNamespace(
            a=a, month_dir=month_dir, proj=proj,
            manifest_a=json.loads((month_dir / "manifest.json").read_text()),
            html={p.relative_to(month_dir).as_posix(): p.read_text(encoding="utf-8")
                  for p in month_dir.glob("*/*.html")},
            ipynb={p.relative_to(month_dir).as_posix(): p.read_text(encoding="utf-8")
                   for p in month_dir.glob("*/*.ipynb")},
            index=(month_dir / "index.html").read_text(encoding="utf-8"),
            counter_a=counter.read_text().splitlines(),
            files_a=sorted(p.relative_to(month_dir).as_posix() for p in month_dir.rglob("*")),
            mtimes_a={p: p.stat().st_mtime_ns for p in month_dir.glob("*/*.html")},
        )
        (month_dir / ".lock").write_text(str(_dead_pid()))
        snap.b = run_cli(proj, *args)
        snap.manifest_b = json.loads((month_dir / "manifest.json").read_text())
        snap.counter_b = counter.read_text().splitlines()
        snap.mtimes_b = {p: p.stat().st_mtime_ns for p in month_dir.glob("*/*.html")}
        snap.lock_after_b = (month_dir / ".lock").exists()
        snap.c = run_cli(proj, *args, "--force", "--notebooks", "ok", "--segments", "SMB")
        snap.counter_c = counter.read_text().splitlines()
        snap.html_c = (month_dir / "ok" / "smb.html").read_text(encoding="utf-8")
    return snap


def _run(manifest, notebook, segment):
    return next(r for r in manifest["runs"] if (r["notebook"], r["segment"]) == (notebook,
                                                                                  segment))


@pytest.mark.slow
def test_a_batch_without_all_validates_a_segment_at_a_time_once(batch):
    assert "validating and preparing 3 segment(s), 2 at a time" in batch.a.err
    assert "validating" not in batch.b.err  # unchanged data: nothing validated again


@pytest.mark.slow
def test_one_failing_run_leaves_the_others_rendered(batch):
    assert batch.a.code == 1, batch.a.err
    statuses = {(r["notebook"], r["segment"]): r["status"] for r in batch.manifest_a["runs"]}
    assert statuses == {(nb, seg): "ok" for nb in ("ok", "broken", "with_params")
                        for seg in ("SMB", "Enterprise")} | {("broken", "Enterprise"): "failed"}
    assert "FAILED: broken / Enterprise: ValueError: no usable rows for segment Enterprise" \
        in batch.a.out
    for nb in ("ok", "broken", "with_params"):
        for slug in ("smb", "enterprise"):
            assert f"{nb}/{slug}.html" in batch.html and f"{nb}/{slug}.ipynb" in batch.ipynb
    assert not [f for f in batch.files_a if ".tmp-" in f or f.endswith(".lock")]
    assert re.search(r"^\[6/6\] done, 1 failed, ETA 0:00$", batch.a.err, re.M)


@pytest.mark.slow
def test_failed_report_shows_the_error_at_its_cell(batch):
    page = batch.html["broken/enterprise.html"]
    assert "This run failed." in page
    assert "ValueError: no usable rows for segment Enterprise" in page
    assert "\x1b" not in page
    anchor = page.index('id="papermill-error-cell"')
    assert anchor < page.index("Traceback") < page.index("</footer>")
    executed = nbformat.reads(batch.ipynb["broken/enterprise.ipynb"], as_version=4)
    assert any(o.get("ename") == "ValueError" for c in executed.cells if c.cell_type == "code"
               for o in c.outputs)
    assert "This run failed." not in batch.html["broken/smb.html"]


@pytest.mark.slow
def test_overview_links_every_report_and_marks_the_failure(batch, warehouse):
    page = batch.index
    for nb in ("ok", "broken", "with_params"):
        for slug in ("smb", "enterprise"):
            assert f'href="{nb}/{slug}.html"' in page
    assert re.search(r'<tr class="cs-run-bad"><th scope="row">Enterprise</th>.*?FAILED'
                     r'.*?href="broken/enterprise.html".*?href="broken/enterprise.ipynb"', page)
    assert page.count('class="cs-run-bad"') == 1
    with duckdb.connect(str(warehouse), read_only=True) as con:
        n_smb, n_ent = (con.execute("SELECT count(*) FROM accounts WHERE segment = ?",
                                    [s]).fetchone()[0] for s in ("SMB", "Enterprise"))
    row = re.search(r'<h3 id="nb-ok">.*?</table>', page, re.S).group(0)
    assert re.search(rf'scope="row">SMB</th><td>{n_smb}</td><td>25%</td>', row)
    assert re.search(rf'scope="row">Enterprise</th><td>{n_ent}</td><td>25%</td>', row)
    assert not EXTERNAL.search(page) and "<script" not in page


@pytest.mark.slow
def test_reports_have_no_code_no_stderr_no_external_urls(batch):
    for name, page in batch.html.items():
        assert "jp-InputArea" not in page and "input_area" not in page, name
        assert not EXTERNAL.search(page), name
        assert "<script" not in page.lower(), name
        assert "STDERR-NOISE-123" not in page and "WARNING-NOISE-456" not in page, name
    ok = batch.html["ok/smb.html"]
    assert "STDOUT-VISIBLE-789" in ok
    assert "STDERR-NOISE-123" in batch.ipynb["ok/smb.ipynb"]  # it was produced, then filtered
    assert "record_headline" not in ok and "import sys" not in ok


@pytest.mark.slow
def test_data_derived_script_tag_is_escaped(batch):
    page = batch.html["ok/smb.html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page


@pytest.mark.slow
def test_report_header_toc_and_provenance(batch, warehouse):
    page = batch.html["ok/enterprise.html"]
    assert "<title>OK fixture report · Enterprise · 2026-10</title>" in page
    assert "<h1>OK fixture report</h1>" in page
    assert "Segment: <strong>Enterprise</strong>" in page
    # "as of" the day of the latest dated record, read here with duckdb directly
    with duckdb.connect(str(warehouse), read_only=True) as con:
        latest = con.execute(
            "SELECT max(t) FROM (SELECT max(responded_at) t FROM nps_responses UNION ALL "
            "SELECT max(sent_at) FROM nps_invitations UNION ALL SELECT max(opened_at) "
            "FROM tickets UNION ALL SELECT max(resolved_at) FROM tickets UNION ALL "
            "SELECT max(done_at) FROM loop_actions)").fetchone()[0]
    assert f"Data as of: <strong>{latest:%Y-%m-%d}</strong>" in page
    toc = re.search(r'<nav class="cs-toc".*?</nav>', page, re.S).group(0)
    assert re.findall(r">([^<]+)</a></li>", toc) == ["Accounts", "Names from the data", "Noise"]
    footer = page[page.index('<footer class="cs-provenance">'):]
    assert fingerprint(warehouse) in footer and f"cslib {cslib.__version__}" in footer
    assert hashlib.sha256((FIXTURES / "ok.ipynb").read_bytes()).hexdigest() in footer
    assert "&#34;segment&#34;: &#34;Enterprise&#34;" in footer or \
        '"segment": "Enterprise"' in footer


@pytest.mark.slow
def test_parameters_and_overrides_reach_the_notebooks(batch):
    assert "threshold=10 label=from-params segment=SMB mask_pii=True" \
        in batch.html["with_params/smb.html"]
    assert "threshold=99 label=from-params segment=Enterprise mask_pii=True" \
        in batch.html["with_params/enterprise.html"]


def test_a_batch_worker_validates_notebooks_without_building_the_iri_grammar():
    # In a fresh process, as a spawned worker: after the pool initializer, papermill's
    # nbformat still validates notebooks, but jsonschema no longer imports
    # rfc3987_syntax (whose Lark grammar took seconds of CPU per worker to build).
    code = (
        "import sys\n"
        "from unittest import mock\n"
        "from cslib import kernels\n"
        "with mock.patch.object(kernels, '_die_with_batch'):\n"
        "    kernels._worker_init(1)\n"
        "import papermill, nbformat\n"
        "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1')])\n"
        "nbformat.validate(nb)\n"
        "nb.cells[0]['outputs'] = 'not a list'\n"
        "try:\n"
        "    nbformat.validate(nb)\n"
        "except nbformat.ValidationError:\n"
        "    print('invalid notebook refused')\n"
        "print('grammar loaded:', sys.modules.get('rfc3987_syntax') is not None)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    assert res.stdout.splitlines() == ["invalid notebook refused", "grammar loaded: False"]


@pytest.mark.slow
def test_warm_kernels_share_the_cores_and_keep_no_input_history(batch):
    # 2 jobs: each kernel's BLAS gets half the cores (at least 1), unless the user chose
    expected = os.environ.get("OPENBLAS_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // 2)))
    assert f"BLAS threads: {expected}" in batch.html["with_params/smb.html"]
    # and a warm kernel does not write every report's cells into IPython's history file
    assert "input history saved: False" in batch.html["with_params/smb.html"]


@pytest.mark.slow
def test_manifest_records_provenance(batch, warehouse):
    run = _run(batch.manifest_a, "ok", "SMB")
    assert run["status"] == "ok" and run["error"] is None and run["duration_s"] > 0
    assert run["slug"] == "smb" and run["html"] == "ok/smb.html"
    assert run["data_fingerprint"] == fingerprint(warehouse)
    assert run["notebook_sha256"] == hashlib.sha256((FIXTURES / "ok.ipynb").read_bytes()
                                                    ).hexdigest()
    assert set(run["versions"]) == {"cslib", "pandas", "numpy", "statsmodels", "seaborn",
                                     "papermill", "nbconvert", "duckdb"}
    assert re.fullmatch(r"[0-9a-f]{64}", run["cache_key"])
    assert re.fullmatch(r"[0-9a-f]{64}", run["kit_code_sha256"])
    assert batch.manifest_a["kit_code_sha256"] == run["kit_code_sha256"]
    assert run["git_commit"] == "unknown"  # the temporary project is not a git checkout
    assert run["params"]["segment"] == "SMB" and run["params"]["source"] == str(warehouse)
    assert [h["name"] for h in run["headlines"]] == ["Accounts", "Share promoters"]
    failed = _run(batch.manifest_a, "broken", "Enterprise")
    assert failed["error"] == "ValueError: no usable rows for segment Enterprise"
    assert failed["headlines"] == [{"name": "Rows", "value": 3, "text": None}]


@pytest.mark.slow
def test_unchanged_rerun_executes_only_the_failed_run(batch):
    assert sorted(batch.counter_a) == ["Enterprise", "SMB"]  # ok.ipynb ran once per segment
    assert batch.counter_b == batch.counter_a  # ok.ipynb did not run again
    assert batch.b.code == 1
    assert "1 run(s) executed (1 failed)" in batch.b.out
    assert "unchanged, skipped 5 (use --force to re-render)" in batch.b.out
    changed = [p.relative_to(batch.month_dir).as_posix() for p in batch.mtimes_a
               if batch.mtimes_b[p] != batch.mtimes_a[p]]
    assert changed == ["broken/enterprise.html"]
    assert _run(batch.manifest_b, "ok", "SMB") == _run(batch.manifest_a, "ok", "SMB")
    assert not batch.lock_after_b  # the stale lock was taken over, then released


@pytest.mark.slow
def test_force_rerenders_byte_identical_html(batch):
    assert batch.c.code == 0, batch.c.err
    assert "1 run(s) executed (1 ok)" in batch.c.out
    assert batch.counter_c == batch.counter_b + ["SMB"]
    assert batch.html_c == batch.html["ok/smb.html"]


@pytest.mark.slow
def test_hang_times_out_and_a_dead_kernel_is_reported(tmp_path, warehouse):
    proj = _project(tmp_path / "proj", notebooks=("hang", "die"))
    params = _params(proj, f"source: {warehouse}\nsegments: [SMB]\ntimeout: 2\njobs: 2\n")
    res = run_cli(proj, "render", "--params", str(params), "--output", "reports")
    assert res.code == 1, res.err
    manifest = json.loads((proj / "reports" / "2026-10" / "manifest.json").read_text())
    status = {r["notebook"]: r["status"] for r in manifest["runs"]}
    assert status == {"hang": "timed out", "die": "kernel died"}
    hang = (proj / "reports" / "2026-10" / "hang" / "smb.html").read_text()
    die = (proj / "reports" / "2026-10" / "die" / "smb.html").read_text()
    assert "This run timed out." in hang and "before the hang" in hang
    assert "The kernel died during this run." in die and "before the crash" in die
    assert "never printed" not in hang + die
    assert die.index("before the crash") < die.index('id="papermill-error-cell"')
    index = (proj / "reports" / "2026-10" / "index.html").read_text()
    assert "TIMED OUT" in index and "KERNEL DIED" in index
    assert math.isfinite(_run(manifest, "hang", "SMB")["duration_s"])


@pytest.mark.slow
def test_run_timeout_stops_a_run_whose_cells_are_each_quick(tmp_path, warehouse):
    proj = _project(tmp_path / "proj", notebooks=("steps",))
    # Six cells of 1 s each: 6 s in all, over run_timeout (3 s); each far under timeout (30 s).
    params = _params(proj, f"source: {warehouse}\nsegments: [SMB]\ntimeout: 30\n"
                           "run_timeout: 3\n")
    res = run_cli(proj, "render", "--params", str(params), "--output", "reports")
    assert res.code == 1, res.err
    month_dir = proj / "reports" / "2026-10"
    run = _run(json.loads((month_dir / "manifest.json").read_text()), "steps", "SMB")
    assert run["status"] == "timed out"
    assert run["error"] == "the whole run took longer than the per-run limit `run_timeout` (3 s)"
    assert "TIMED OUT: steps / SMB: the whole run took longer" in res.out
    page = (month_dir / "steps" / "smb.html").read_text(encoding="utf-8")
    assert "This run timed out." in page and "`run_timeout` (3 s)" in page
    assert "per-cell limit" not in page and "step 6 done" not in page


@pytest.mark.slow
def test_a_full_disk_while_writing_the_manifest_ends_the_batch_cleanly(project, warehouse,
                                                                        monkeypatch):
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to tell which file an fsync is for")
    monkeypatch.setattr(runner, "kit_code_hash", lambda: "c" * 64)  # others may edit the kit
    params = _params(project, f"source: {warehouse}\nnotebooks: [ok]\n"
                              "segments: [SMB, Enterprise]\njobs: 1\n")
    real_fsync = os.fsync

    def fsync(fd):  # the disk fills up when the manifest is written (in this process)
        if ".manifest.json.tmp-" in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    res = run_cli(project, "render", "--params", str(params), "--output", "out")
    month_dir = project / "out" / "2026-10"
    assert res.code == 2, res.out + res.err
    errors = [line for line in res.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and res.err.rstrip().endswith(errors[0])  # one paragraph, last
    assert errors[0].startswith("error: Stopped: cannot write out/2026-10/manifest.json (No "
                                "space left on device, errno ENOSPC).")
    assert "run the same command again" in errors[0]
    assert "Traceback" not in res.out + res.err
    assert not [p for p in project.rglob("*") if ".tmp-" in p.name]
    assert not (month_dir / "manifest.json").exists() and not (month_dir / ".lock").exists()
    pages = sorted(month_dir.glob("ok/*.html"))
    assert pages  # the first run had finished: its report is kept, whole
    for page in pages:
        assert page.read_text(encoding="utf-8").rstrip().endswith("</html>")
        nbformat.read(page.with_suffix(".ipynb"), as_version=4)

    monkeypatch.setattr(os, "fsync", real_fsync)  # space freed: the same command resumes
    again = run_cli(project, "render", "--params", str(params), "--output", "out")
    assert again.code == 0, again.err
    manifest = json.loads((month_dir / "manifest.json").read_text())
    assert sorted((r["segment"], r["status"]) for r in manifest["runs"]) == [
        ("Enterprise", "ok"), ("SMB", "ok")]


@pytest.mark.slow
def test_a_change_in_the_kit_code_re_renders_an_unchanged_month(project, warehouse,
                                                                 monkeypatch):
    counter = project / "counter.txt"
    params = _params(project, f"month: latest\nsource: {warehouse}\nnotebooks: [ok]\n"
                              f"segments: [SMB]\nlocale: pt-BR\n"
                              f"parameters: {{counter: {counter}}}\n")
    args = ("render", "--params", str(params), "--output", "out")
    monkeypatch.setattr(runner, "kit_code_hash", lambda: "a" * 64)
    first = run_cli(project, *args)
    again = run_cli(project, *args)
    monkeypatch.setattr(runner, "kit_code_hash", lambda: "b" * 64)  # the kit was edited
    edited = run_cli(project, *args)
    assert (first.code, again.code, edited.code) == (0, 0, 0), first.err + edited.err
    assert "0 run(s) executed" in again.out and "unchanged, skipped 1" in again.out
    assert "1 run(s) executed (1 ok)" in edited.out
    assert counter.read_text().splitlines() == ["SMB", "SMB"]  # first and edited ran it
    month_dir = project / "out" / "2026-10"
    manifest = json.loads((month_dir / "manifest.json").read_text())
    assert manifest["kit_code_sha256"] == "b" * 64
    assert _run(manifest, "ok", "SMB")["kit_code_sha256"] == "b" * 64
    # `month: latest` picked the demo data's last month (it reaches 31 October) and said why.
    assert ("rendering 1 run(s) for 2026-10 (`month: latest` is the latest complete month: "
            "the last dated event (2026-10-31") in first.err
    # The overview follows the params' locale.
    index = (month_dir / "index.html").read_text(encoding="utf-8")
    assert '<html lang="pt-BR">' in index and "Relatórios de Customer Success" in index
    assert _log_rows(index)[0][:3] == ["ok", "SMB", "ok"]


HOSTILE = ["../../x", "a/b", "São Paulo", "sao paulo", "Ünïcode 🚀", "con", "<b>x</b>"]


@pytest.mark.slow
def test_hostile_segment_names_render_inside_the_month_folder(project, tmp_path):
    tables = generate_warehouse(60)
    acc = tables["accounts"].copy()
    acc["segment"] = [HOSTILE[i % len(HOSTILE)] for i in range(len(acc))]
    tables["accounts"] = acc
    db = write_duckdb(tables, tmp_path / "hostile.duckdb")
    params = project / "p.yaml"
    params.write_text(yaml.safe_dump({"month": "2026-10", "source": str(db), "notebooks": ["ok"],
                                      "segments": HOSTILE, "jobs": 1}, allow_unicode=True),
                      encoding="utf-8")
    before = set(tmp_path.rglob("*"))
    res = run_cli(project, "render", "--params", str(params), "--output", "out")
    assert res.code == 0, res.out + res.err
    month_dir = (project / "out" / "2026-10").resolve()
    cache = (project / "out" / ".cache").resolve()
    new = [p.resolve() for p in set(tmp_path.rglob("*")) - before if p.is_file()]
    assert new and [p for p in new if month_dir not in p.parents and cache not in p.parents] == []

    def h(name):
        return hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]

    expected = {"../../x": "x", "a/b": "a-b", "São Paulo": f"sao-paulo-{h('São Paulo')}",
                "sao paulo": f"sao-paulo-{h('sao paulo')}", "Ünïcode 🚀": "unicode",
                "con": "con_", "<b>x</b>": "b-x-b"}
    assert sorted(p.name for p in (month_dir / "ok").iterdir()) == sorted(
        f"{slug}{ext}" for slug in expected.values() for ext in (".html", ".ipynb"))
    manifest = json.loads((month_dir / "manifest.json").read_text(encoding="utf-8"))
    assert {r["segment"]: r["slug"] for r in manifest["runs"]} == expected
    assert {r["status"] for r in manifest["runs"]} == {"ok"}
    index = (month_dir / "index.html").read_text(encoding="utf-8")
    assert "<b>x</b>" not in index
    for name, slug in expected.items():
        assert f'href="ok/{slug}.html"' in index
        assert f'<th scope="row">{html.escape(name)}</th>' in index
        page = (month_dir / "ok" / f"{slug}.html").read_text(encoding="utf-8")
        assert f"Segment: <strong>{html.escape(name)}</strong>" in page


def test_render_api_dry_run_returns_without_writing(tmp_path, warehouse):
    proj = _project(tmp_path / "proj", notebooks=("ok",))
    out = io.StringIO()
    result = render(BatchParams(source=str(warehouse), segments=("SMB",)),
                    output=proj / "reports", notebooks_dir=proj / "notebooks",
                    dry_run=True, out=out, err=io.StringIO())
    assert result.exit_code == 0 and result.runs == []
    assert re.search(r"ok\s+SMB\s+\S+/reports/2026-10/ok/smb\.html\s+would run", out.getvalue())
    assert not (proj / "reports").exists()


def test_a_data_segment_named_all_is_refused_before_anything_runs(demo_tables, tmp_path):
    # "all" is the whole-base report: a data segment of that name would share its file
    # and its manifest entry, so the batch stops with exit 2 and says what to rename.
    from cli_run import run_cli

    from cslib.demo import write_duckdb

    tables = dict(demo_tables)
    accounts = tables["accounts"].copy()
    smb = accounts["segment"] == "SMB"
    accounts.loc[smb, "segment"] = "all"
    tables["accounts"] = accounts
    db = write_duckdb(tables, tmp_path / "wh.duckdb")
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    (tmp_path / "p.yaml").write_text(f"month: '2026-10'\nsource: {db}\nsegments: all\n",
                                     encoding="utf-8")
    res = run_cli(tmp_path, "render", "--params", "p.yaml", "--output", "reports")
    assert res.code == 2
    assert f"accounts.segment: {int(smb.sum())} account(s) have the segment `all`" in res.err
    assert "Rename that segment" in res.err
    assert not (tmp_path / "reports" / "2026-10" / "manifest.json").exists()


@pytest.mark.slow
@pytest.mark.parametrize("cut", ["csm", "owner"])
def test_cut_renders_one_report_per_csm_or_sales_owner(demo_tables, demo_db, tmp_path, cut):
    # `cut: csm` (or owner) renders per CSM (or per the owner of the account's won
    # opportunity) instead of per segment; the report's NRR is that of those accounts
    # alone, recomputed here from the raw tables filtered by hand.
    from cli_run import run_cli

    from cslib.revenue import bridge_row, mrr_movements, revenue_bridge

    accounts = demo_tables["accounts"]
    if cut == "csm":
        labels = accounts.set_index("account_id")["csm"]
    else:
        opp = demo_tables["opportunities"]
        won = opp[(opp["outcome"] == "won") & opp["account_id"].notna()].sort_values(
            "closed_at", kind="stable")
        labels = won.groupby("account_id")["owner"].last()
    name = labels.value_counts().index[0]
    mine = set(labels[labels == name].index)
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    (tmp_path / "p.yaml").write_text(
        f"month: '2026-10'\nsource: {demo_db}\ncut: {cut}\nsegments: ['{name}']\n"
        "notebooks: [churn_decomposition]\njobs: 1\n", encoding="utf-8")
    res = run_cli(tmp_path, "render", "--params", "p.yaml", "--output", "reports")
    assert res.code == 0, res.err[-2000:]
    manifest = json.loads((tmp_path / "reports" / "2026-10" / "manifest.json").read_text())
    (run,) = manifest["runs"]
    assert run["segment"] == name and run["status"] == "ok"
    assert (tmp_path / "reports" / "2026-10" / run["html"]).is_file()
    mrr = demo_tables["mrr"][demo_tables["mrr"]["account_id"].isin(mine)]
    expected = bridge_row(revenue_bridge(mrr_movements(mrr)), month="2026-10")["nrr"]
    nrr = next(h["value"] for h in run["headlines"] if h["name"].startswith("NRR"))
    assert nrr == pytest.approx(expected)
