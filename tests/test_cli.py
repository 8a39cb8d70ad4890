"""The ``cslib`` command: --version, init, notebooks, render previews; by-hand notebook runs."""

from __future__ import annotations

import filecmp
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from cli_run import run_cli

import cslib
from cslib.context import NoDataError, open_report
from cslib.demo import write_demo_data
from cslib.exceptions import ParamsError
from cslib.project import JUPYTEXT_TOML, LAB_OVERRIDES, init_project

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FIXTURES = HERE / "notebooks"


def test_version_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as info:
        cslib.cli.main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"cslib {cslib.__version__}"


# --------------------------------------------------------------------------- init
def test_init_creates_a_project_from_the_kit(tmp_path):
    res = run_cli(tmp_path, "init", "cs")
    assert res.code == 0, res.err
    root = tmp_path / "cs"
    assert (root / "data").is_dir()
    nbs = sorted(p.name for p in (root / "notebooks").iterdir())
    assert nbs == ["account_brief.py", "account_review.py", "adoption_retention.py",
                   "churn_decomposition.py", "cohort_nps.py", "health_review.py", "journey.py"]
    for name in nbs:  # the kit's notebooks, byte for byte
        assert filecmp.cmp(root / "notebooks" / name, ROOT / "notebooks" / name, shallow=False)
    assert filecmp.cmp(root / "params" / "monthly.yaml", ROOT / "params" / "monthly.yaml",
                       shallow=False)
    assert (root / "jupytext.toml").read_text() == JUPYTEXT_TOML
    assert "cslib render" in res.out


def test_the_project_config_files_are_the_ones_init_writes():
    # one source for each: init writes these strings; the checkout holds the same files
    assert (ROOT / "jupytext.toml").read_text(encoding="utf-8") == JUPYTEXT_TOML
    lab = ROOT / ".jupyter" / "labconfig" / "default_setting_overrides.json"
    assert json.loads(lab.read_text(encoding="utf-8")) == json.loads(LAB_OVERRIDES)


def test_init_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "cs").mkdir()
    (tmp_path / "cs" / "mine.yaml").write_text("keep: me\n")
    with pytest.raises(ParamsError, match=r"cs is not empty\. Give a new folder, or add --force"):
        init_project(tmp_path / "cs")
    res = run_cli(tmp_path, "init", "cs")
    assert res.code == 2 and "not empty" in res.err
    init_project(tmp_path / "cs", force=True)  # adds the project, keeps what was there
    assert (tmp_path / "cs" / "mine.yaml").read_text() == "keep: me\n"
    assert (tmp_path / "cs" / "notebooks" / "cohort_nps.py").is_file()
    (tmp_path / "file").write_text("x")
    with pytest.raises(ParamsError, match="is a file; give a new or empty folder"):
        init_project(tmp_path / "file")


# --------------------------------------------------------------------------- notebooks
def test_notebooks_lists_parameters_with_type_default_and_description(tmp_path):
    res = run_cli(ROOT, "notebooks")
    assert res.code == 0, res.err
    lines = res.out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("churn_decomposition"))
    assert lines[start + 1].strip() == "Churn decomposition"
    row = next(line for line in lines[start:] if line.strip().startswith("trailing_months"))
    assert row.split() == ["trailing_months", "int", "12", "months", "in", "the", "trailing",
                           "bridge"]
    row = next(line for line in lines[start:] if line.strip().startswith("source"))
    assert row.split()[:5] == ["source", "str", "|", "None", "None"]
    # every notebook and every parameter of its cell is listed
    for name in ("account_review", "adoption_retention", "churn_decomposition", "cohort_nps"):
        assert any(line.startswith(name) for line in lines)
    (tmp_path / "notebooks").mkdir()
    res = run_cli(tmp_path, "notebooks")
    assert res.code == 2 and "No notebooks" in res.err


@pytest.fixture(scope="module")
def small_db(tmp_path_factory) -> Path:
    return write_demo_data(tmp_path_factory.mktemp("cli") / "d.duckdb", n_accounts=40,
                           n_months=6)


@pytest.mark.slow
def test_render_previews_a_notebook_that_is_not_in_the_params_file(tmp_path, small_db):
    proj = tmp_path / "proj"
    (proj / "notebooks").mkdir(parents=True)
    shutil.copy(FIXTURES / "ok.ipynb", proj / "notebooks" / "ok.ipynb")
    (proj / "drafts").mkdir()
    import jupytext
    import nbformat

    from cslib.params import read_notebook

    jupytext.write(nbformat.from_dict(read_notebook(FIXTURES / "with_params.ipynb")),
                   proj / "drafts" / "new.py",
                   fmt="py:percent")  # a new text notebook
    (proj / "p.yaml").write_text(f"month: latest\nsource: {small_db}\nsegments: [SMB]\n"
                                 "notebooks: [ok]\njobs: 1\n", encoding="utf-8")
    res = run_cli(proj, "render", "--params", "p.yaml", "--notebooks", "drafts/new.py")
    assert res.code == 0, res.out + res.err
    manifest = json.loads(next((proj / "reports").glob("*/manifest.json")).read_text())
    assert [(r["notebook"], r["segment"]) for r in manifest["runs"]] == [("new", "SMB")]
    res = run_cli(proj, "render", "--params", "p.yaml", "--notebooks", "drafts/nope.py")
    assert res.code == 2 and "--notebooks ['drafts/nope'] not in the params file" in res.err
    assert "give its path" in res.err


# --------------------------------------------------------------------------- by hand
def _expected_latest(tables: dict[str, pd.DataFrame]) -> str:
    """The latest complete month, worked out independently: the last month whose last
    day the latest dated event reaches, capped by the MRR table's last month."""
    events = [tables["nps_responses"]["responded_at"], tables["nps_invitations"]["sent_at"],
              tables["tickets"]["opened_at"], tables["tickets"]["resolved_at"],
              tables["loop_actions"]["done_at"]]
    as_of = max(pd.to_datetime(e).max() for e in events)
    month = as_of.to_period("M")
    if as_of.normalize() < month.end_time.normalize():
        month -= 1
    return str(min(month, pd.to_datetime(tables["mrr"]["month"]).max().to_period("M")))


def test_open_report_accepts_month_latest(demo_db, demo_tables):
    ctx = open_report(segment="SMB", month="latest", source=str(demo_db), style=False)
    assert ctx.month.strftime("%Y-%m") == _expected_latest(demo_tables)


def test_open_report_matches_a_segment_whatever_its_case(demo_db, demo_tables):
    ctx = open_report(segment="smb", month="2026-10", source=str(demo_db), style=False)
    assert ctx.segment == "SMB"
    accounts = demo_tables["accounts"]
    assert set(ctx["accounts"]["account_id"]) == set(
        accounts.loc[accounts["segment"] == "SMB", "account_id"])
    with pytest.raises(NoDataError, match=r"Segment Nowhere has no accounts.*Valid segments: "
                       r"all, .*SMB"):
        open_report(segment="Nowhere", month="2026-10", source=str(demo_db), style=False)


def test_a_segment_matching_two_when_case_is_ignored_is_an_error(tmp_path):
    from cslib.io import load

    tables = dict(load(str(write_demo_data(tmp_path / "d.duckdb", n_accounts=30, n_months=3))))
    accounts = tables["accounts"].copy()
    accounts.loc[accounts.index[:3], "segment"] = "smb"  # now both "SMB" and "smb"
    if "SMB" not in set(accounts["segment"]):
        accounts.loc[accounts.index[3:6], "segment"] = "SMB"
    folder = tmp_path / "csv"
    folder.mkdir()
    for name, frame in {**tables, "accounts": accounts}.items():
        frame.to_parquet(folder / f"{name}.parquet")
    with pytest.raises(ParamsError, match=r"Segment 'Smb' matches \['SMB', 'smb'\] when case is "
                       r"ignored; give one of them exactly"):
        open_report(segment="Smb", month="latest", source=str(folder), style=False)
