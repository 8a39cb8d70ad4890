"""The notebooks stay thin: they call cslib and show its results, they do not compute.

Every code cell of every notebook in ``notebooks/`` is parsed with :mod:`ast`
and searched for pandas-level computation: ``.loc``/``.iloc`` indexing, a
subscript with a computed key (a boolean mask), arithmetic or comparisons
between values, aggregations (``.groupby``, ``.sum(``, ``.mean(``...), loops
and comprehensions, imports of anything but cslib. What a thin notebook does
is allowed: assign the results of cslib calls, read attributes and constant
keys (``ctx["mrr"]``, ``loops.sla_summary``), pass keyword arguments, plot,
``with notes:`` and ``if model is not None:``.

The results the notebooks read instead of computing get their own tests at
the end of the file.
"""

from __future__ import annotations

import ast
from pathlib import Path

import jupytext
import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))  # jupytext percent scripts

#: Methods that aggregate, reshape or transform a frame: that work belongs in cslib.
COMPUTING_METHODS = {
    "groupby", "agg", "aggregate", "apply", "transform", "pivot", "pivot_table", "melt",
    "merge", "join", "concat", "crosstab", "query", "eval", "assign", "value_counts",
    "sum", "mean", "median", "count", "nunique", "std", "var", "min", "max", "quantile",
    "cumsum", "cumprod", "diff", "pct_change", "rolling", "resample", "idxmax", "idxmin",
}
#: Built-ins that compute on values.
COMPUTING_BUILTINS = {"sum", "min", "max", "round", "abs", "len"}
INDEXERS = {"loc", "iloc", "at", "iat"}
ORDERING = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)
LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp,
         ast.GeneratorExp)


def _constant(node: ast.AST) -> bool:
    """A literal (``3``, ``"nps"``, ``-1``, ``(1, 2)``), not a value from the data."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp):
        return _constant(node.operand)
    if isinstance(node, ast.Tuple | ast.List):
        return all(_constant(e) for e in node.elts)
    return False


def _finding(node: ast.AST) -> str | None:
    """Why ``node`` is computation a notebook should leave to cslib (None if it is not)."""
    if isinstance(node, ast.Import | ast.ImportFrom):
        modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
        if any(m is None or m.split(".")[0] != "cslib" for m in modules):
            return "imports something other than cslib"
    elif isinstance(node, ast.Attribute) and node.attr in INDEXERS:
        return f"indexes with .{node.attr}"
    elif isinstance(node, ast.Subscript) and not _constant(node.slice):
        return "indexes with a computed key (a mask or a variable)"
    elif isinstance(node, ast.BinOp) and not _constant(node.left) \
            and not _constant(node.right):
        return "does arithmetic between values"
    elif isinstance(node, ast.Compare) and any(isinstance(op, ORDERING) for op in node.ops):
        return "compares values"
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
            and node.func.attr in COMPUTING_METHODS:
        return f"calls .{node.func.attr}()"
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id in COMPUTING_BUILTINS:
        return f"calls {node.func.id}()"
    elif isinstance(node, LOOPS):
        return "loops"
    return None


def computation_in(source: str) -> list[str]:
    """Every place in ``source`` that computes instead of calling cslib, as readable lines."""
    code = "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())  # IPython magics are not Python
    tree = ast.parse(code)
    lines = code.splitlines()
    found = []
    for node in ast.walk(tree):
        why = _finding(node)
        if why:
            found.append(f"line {node.lineno}: {why}: {lines[node.lineno - 1].strip()}")
    return sorted(set(found))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_leave_computation_to_cslib(path):
    nb = jupytext.read(path)
    findings = [f"{path.name}, code cell {i}, {finding}"
                for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code")
                for finding in computation_in(cell.source)]
    assert findings == [], ("Move this computation into cslib (a metric function, a result "
                            "property or a report helper) and call it:\n" + "\n".join(findings))


# The check itself: it must catch what the notebooks used to do, and allow what they do now.
@pytest.mark.parametrize("source", [
    'int(summary.loc[summary["class"] == 4, "accounts"].sum())',
    'record_headline("FCR", fcr["rate"].iloc[0])',
    'odds = model.summary.loc["key_adopter"]',
    'share = loops.sla_summary["within_sla"].sum() / max(loops.sla_summary["n"].sum(), 1)',
    'current = responses[in_window(responses["responded_at"], window)]',
    'rate = done / total',
    'late = frame["days"] > sla_days',
    'by_plan = frame.groupby("plan")',
    'avg = scores.mean()',
    'mix = invitations.merge(users, on="user_id")',
    'n = len(responses)',
    'for name in ("nrr", "grr"):\n    record_headline(name, row[name])',
    'names = [c.upper() for c in columns]',
    'import pandas as pd',
    'from numpy import mean',
])
def test_the_check_catches_computation(source):
    assert computation_in(source), source


@pytest.mark.parametrize("source", [
    'segment = "all"\nthresholds = {}\ncontrols = ["segment", "plan"]\nmin_n = 30\nx = -1',
    'from cslib import nps, plots, report\nfrom cslib.headlines import record_headlines',
    'ctx = open_report(segment=segment, month=month, locale=locale)',
    'loops = nps.loop_closure(responses, ctx["loop_actions"], sla_days=sla_days)',
    'record_headline("Loops", loops.within_sla_rate, text=report.fmt_pct(loops.within_sla_rate))',
    'with notes:\n    fcr = support.first_contact_resolution(ctx["tickets"])',
    'if model is not None:\n    plots.forest_plot(model.summary)\nelse:\n    report.show_not_estimated(why)',
    'plots.nps_trend(rolling);',
    'rolling = nps.rolling_nps(responses, window=f"{window_days}D", freq="W")',
    'report.show_table(model.summary.reset_index(), locale=locale)',
    'base = previous_row["period"]',
    '%matplotlib inline\nplots.rate_trend(recent, rates=("grr", "nrr"));',
])
def test_the_check_allows_calling_cslib(source):
    assert computation_in(source) == []


# --------------------------------------------------------------------------- results read
# What the notebooks now read from cslib instead of computing inline.
def test_loop_closure_within_sla_rate_pools_every_category():
    from cslib import nps

    day = pd.Timedelta(days=1)
    t0 = pd.Timestamp("2026-10-05 10:00")
    responses = pd.DataFrame({
        "response_id": ["R1", "R2", "R3", "R4", "R5"],
        "responded_at": [t0] * 5,
        "score": [3, 6, 8, 10, 9],  # 2 detractors, 1 passive, 2 promoters
    })
    actions = pd.DataFrame({
        "response_id": ["R1", "R2", "R3", "R4"],
        "action": ["call", "call", "call", "email"],
        "done_at": [t0 + 1 * day, t0 + 5 * day, t0 + 2 * day, t0 + 1 * day],
    })
    loops = nps.loop_closure(responses, actions, sla_days=3)
    # in SLA: R1 (call, 1 day), R3 (call, 2 days), R4 (e-mail, 1 day); R2 is late (5 days);
    # R5 has no action. 3 of 5 answers.
    assert loops.within_sla_rate == pytest.approx(3 / 5)
    empty = nps.loop_closure(responses.iloc[:0], actions, sla_days=3)
    assert np.isnan(empty.within_sla_rate)  # no answers: not 0% on time


# --------------------------------------------------------------------------- text notebooks
def _git(cwd, *args):
    import subprocess

    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          check=True).stdout


def _project_copy(tmp_path):
    """notebooks/ and the project's jupytext config in a fresh git repository."""
    import shutil

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "notebooks", repo / "notebooks")
    shutil.copy(ROOT / "jupytext.toml", repo / "jupytext.toml")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "notebooks")
    assert not (repo / ".gitignore").exists()  # clean by the config, not by ignoring files
    return repo


def test_the_project_opens_py_notebooks_as_notebooks_in_jupyterlab():
    import json
    import tomllib

    config = tomllib.loads((ROOT / "jupytext.toml").read_text(encoding="utf-8"))
    assert config["formats"] == "py:percent"
    lab = json.loads((ROOT / ".jupyter" / "labconfig" / "default_setting_overrides.json")
                     .read_text(encoding="utf-8"))
    viewers = lab["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]
    assert viewers["python"] == "Jupytext Notebook"
    assert not list((ROOT / "notebooks").glob("*.ipynb"))  # text only: nothing to diverge


def test_saving_a_notebook_with_outputs_as_jupyterlab_does_leaves_git_clean(tmp_path):
    # every notebook: outputs, execution counts and the metadata Jupyter adds on a run
    import nbformat
    from jupytext import TextFileContentsManager

    repo = _project_copy(tmp_path)
    cm = TextFileContentsManager(root_dir=str(repo))
    for path in NOTEBOOKS:
        rel = f"notebooks/{path.name}"
        nb = cm.get(rel)["content"]
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                cell.execution_count = i
                cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="671\n"),
                                nbformat.v4.new_output("display_data",
                                                       data={"image/png": "iVBORw0KGgo="})]
                cell.metadata.update(execution={"iopub.status.idle": "2026-11-02T10:00:00Z"},
                                     scrolled=True, collapsed=False,
                                     papermill={"duration": 1.5}, jupyter={"outputs_hidden": 0})
        nb.metadata["language_info"] = {"name": "python", "version": "3.11.9"}
        nb.metadata["widgets"] = {"state": {}}
        cm.save({"type": "notebook", "content": nb}, rel)
    assert _git(repo, "status", "--porcelain") == ""


@pytest.mark.slow
def test_executing_a_text_notebook_and_saving_it_as_jupyterlab_does_leaves_git_clean(
        tmp_path, demo_db, monkeypatch):
    # a real run in a kernel, then JupyterLab's save: jupytext's contents manager
    from jupytext import TextFileContentsManager
    from nbclient import NotebookClient

    repo = _project_copy(tmp_path)
    monkeypatch.setenv("CSLIB_SOURCE", str(demo_db))  # the kernel inherits it
    cm = TextFileContentsManager(root_dir=str(repo))
    rel = "notebooks/churn_decomposition.py"
    nb = cm.get(rel)["content"]
    NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=True,
                   resources={"metadata": {"path": str(repo / "notebooks")}}).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)
    assert any(o.get("output_type") == "display_data" for c in code for o in c.outputs)
    cm.save({"type": "notebook", "content": nb}, rel)
    assert _git(repo, "status", "--porcelain") == ""
    # and what is saved still reads back as the same notebook, without outputs
    again = cm.get(rel)["content"]
    assert [c.source for c in again.cells] == [c.source for c in nb.cells]
    assert all(c.outputs == [] for c in again.cells if c.cell_type == "code")
