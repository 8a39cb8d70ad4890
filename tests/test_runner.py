"""The monthly batch (`cslib render`): params checks, file names, HTML, cache, lock, failures.

Kernel-free tests check the pieces (params, slugs, HTML export of a hand-made
notebook, the overview page). The `slow` tests run real papermill batches on
the fixture notebooks in tests/notebooks/ against a 60-account DuckDB, with
few kernels: batch A (3 notebooks x 2 segments), its unchanged re-run, one
--force run, and a hang + a dying kernel.
"""

from __future__ import annotations

import contextlib
import hashlib
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
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cslib
from cslib import cli
from cslib.demo import generate_warehouse, write_demo_data, write_duckdb
from cslib.exceptions import ParamsError, RenderError
from cslib.headlines import ENV_VAR, read_headlines, record_headline
from cslib.io import fingerprint
from cslib.params import (
    BatchParams,
    check_parameter_keys,
    load_params,
    notebook_parameters,
    parse_params,
)
from cslib.runner import _inside, render, render_html, render_index, segment_slugs, slugify

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


def _cli(project: Path, *argv: str) -> SimpleNamespace:
    """Run `cslib ...` in ``project``; returns exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(project), contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(err):
        code = cli.main(list(argv))
    return SimpleNamespace(code=code, out=out.getvalue(), err=err.getvalue())


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
    assert params.month == "2026-10"
    assert params.segments == "all"
    assert params.source == "data/demo.duckdb"
    assert params.locale == "en"
    assert params.notebooks == ("cohort_nps", "churn_decomposition", "adoption_retention",
                                "account_review")


def test_notebook_parameters_reads_the_tagged_cell():
    found = notebook_parameters(FIXTURES / "with_params.ipynb")
    assert found == {"segment": "'all'", "month": "'2026-10'", "threshold": "10",
                     "label": "'default'", "mask_pii": "False"}
    with pytest.raises(ParamsError, match="no code cell is tagged `parameters`"):
        notebook_parameters(FIXTURES / "no_parameters.ipynb")


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


# --------------------------------------------------------------------------- checks before any kernel
def test_unknown_parameter_key_is_rejected_before_any_kernel(project, warehouse):
    params = _params(project, f"source: {warehouse}\nnotebooks: [ok, with_params]\n"
                              "parameters: {thresold: 3}\n")
    res = _cli(project, "render", "--params", str(params), "--output", "out")
    assert res.code == 2
    assert "`parameters` has unknown key(s) ['thresold']" in res.err
    assert "Valid parameter keys are ['counter', 'label', 'locale', 'mask_pii', 'threshold']" \
        in res.err
    assert not (project / "out").exists()  # nothing was set up, so no kernel ran


def test_unknown_top_level_key_and_object_tag_exit_2(project, warehouse):
    params = _params(project, f"source: {warehouse}\nsegmens: all\n")
    res = _cli(project, "render", "--params", str(params))
    assert res.code == 2 and "unknown key(s) ['segmens']; valid keys are" in res.err
    params = _params(project, "source: !!python/object:os.system {}\n")
    res = _cli(project, "render", "--params", str(params))
    assert res.code == 2 and "not allowed" in res.err


def test_bad_data_exits_2_with_the_schema_message(project, tmp_path):
    tables = generate_warehouse(60)
    nps = tables["nps_responses"].copy()
    nps.loc[nps.index[0], "score"] = 11
    tables["nps_responses"] = nps
    bad = write_duckdb(tables, tmp_path / "bad.duckdb")
    params = _params(project, f"source: {bad}\nnotebooks: [ok]\n")
    res = _cli(project, "render", "--params", str(params), "--output", "out")
    assert res.code == 2
    assert "column `score` has 1 value(s) above the maximum" in res.err
    assert not (project / "out").exists()


def test_unknown_segment_and_month_after_the_data_exit_2(project, warehouse):
    params = _params(project, f"source: {warehouse}\nnotebooks: [ok]\nsegments: [SMBB]\n")
    res = _cli(project, "render", "--params", str(params))
    assert res.code == 2 and "Segment(s) ['SMBB'] not found" in res.err and "'SMB'" in res.err
    params = _params(project, f"source: {warehouse}\nnotebooks: [ok]\nmonth: '2027-01'\n")
    res = _cli(project, "render", "--params", str(params))
    assert res.code == 2 and "after the data's last month 2026-10" in res.err


def test_unwritable_output_folder_is_a_clear_error(project, warehouse):
    (project / "blocker").write_text("a file where the reports folder should be")
    params = _params(project, f"source: {warehouse}\nnotebooks: [ok]\nsegments: [SMB]\n")
    res = _cli(project, "render", "--params", str(params), "--output", "blocker")
    assert res.code == 2 and "Cannot write to the output folder" in res.err


def test_a_locked_month_is_refused(project, warehouse):
    lock = project / "out" / "2026-10" / ".lock"
    lock.parent.mkdir(parents=True)
    lock.write_text(str(os.getpid()))  # a live process holds it
    params = _params(project, f"source: {warehouse}\nnotebooks: [ok]\nsegments: [SMB]\n")
    res = _cli(project, "render", "--params", str(params), "--output", "out")
    assert res.code == 2
    assert f"being rendered by another batch (PID {os.getpid()}" in res.err
    assert lock.read_text() == str(os.getpid())
    assert not (project / "out" / "2026-10" / "ok").exists()


def test_dry_run_prints_the_matrix_with_hostile_segment_names(project, tmp_path):
    names = ["../../x", "a/b", "São Paulo", "Sao Paulo", "🚀", "..", "x", "A/B", "<b>all</b>"]
    tables = generate_warehouse(60)
    acc = tables["accounts"].copy()
    acc["segment"] = [names[i % len(names)] for i in range(len(acc))]
    tables["accounts"] = acc
    db = write_duckdb(tables, tmp_path / "hostile.duckdb")
    params = _params(project, f"source: {db}\nnotebooks: [ok]\n")
    res = _cli(project, "render", "--params", str(params), "--output", "out", "--dry-run")
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
    a = _cli(proj, *args)
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
    snap.b = _cli(proj, *args)
    snap.manifest_b = json.loads((month_dir / "manifest.json").read_text())
    snap.counter_b = counter.read_text().splitlines()
    snap.mtimes_b = {p: p.stat().st_mtime_ns for p in month_dir.glob("*/*.html")}
    snap.lock_after_b = (month_dir / ".lock").exists()
    snap.c = _cli(proj, *args, "--force", "--notebooks", "ok", "--segments", "SMB")
    snap.counter_c = counter.read_text().splitlines()
    snap.html_c = (month_dir / "ok" / "smb.html").read_text(encoding="utf-8")
    return snap


def _run(manifest, notebook, segment):
    return next(r for r in manifest["runs"] if (r["notebook"], r["segment"]) == (notebook,
                                                                                  segment))


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
    row = re.search(r'<section><h2 id="nb-ok">.*?</section>', page, re.S).group(0)
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
    assert "Data as of: <strong>2026-10</strong>" in page
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
    res = _cli(proj, "render", "--params", str(params), "--output", "reports")
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


def test_render_api_dry_run_returns_without_writing(tmp_path, warehouse):
    proj = _project(tmp_path / "proj", notebooks=("ok",))
    out = io.StringIO()
    result = render(BatchParams(source=str(warehouse), segments=("SMB",)),
                    output=proj / "reports", notebooks_dir=proj / "notebooks",
                    dry_run=True, out=out, err=io.StringIO())
    assert result.exit_code == 0 and result.runs == []
    assert re.search(r"ok\s+SMB\s+\S+/reports/2026-10/ok/smb\.html\s+would run", out.getvalue())
    assert not (proj / "reports").exists()
