"""The project's own files describe one environment."""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~ ;]", requirement.strip(), maxsplit=1)[0].lower()


def test_environment_yml_names_the_same_packages_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    wanted |= {_name(r) for r in project["optional-dependencies"]["test"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    assert conda == wanted, (
        f"only in environment.yml: {sorted(conda - wanted)}; "
        f"only in pyproject.toml: {sorted(wanted - conda)}"
    )
    pip_section = [d for d in env["dependencies"] if isinstance(d, dict)][0]["pip"]
    assert "-e ." in pip_section


def _readme_test_command(readme: str) -> list[str]:
    """The quick start's test line, as its `&&`-separated commands (comment dropped)."""
    block = readme.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    lines = [line.split("#", 1)[0].strip() for line in block.splitlines()]
    tests = [line for line in lines if line.endswith("nox -s tests")]
    assert len(tests) == 1, block
    return [" ".join(part.split()) for part in tests[0].split("&&")]


def _without_pip_flags(command: str) -> str:
    """``python -m pip install --quiet nox`` -> ``python -m pip install nox``."""
    words = command.split()
    if words[:4] == ["python", "-m", "pip", "install"]:
        words = words[:4] + [w for w in words[4:] if not w.startswith("-")]
    return " ".join(words)


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert _readme_test_command(readme) == ["python -m pip install nox", "nox -s tests"]
    assert "nox -s demo" in readme
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert ci[0].startswith("#!")
    setup = ("set ", "cd ")  # shell options and going to the project root, nothing else
    commands = [" ".join(line.split()) for line in ci[1:]
                if line.strip() and not line.lstrip().startswith("#")
                and not line.lstrip().startswith(setup)]
    assert [_without_pip_flags(c) for c in commands] == _readme_test_command(readme)


def test_reports_folder_holds_no_committed_output():
    import shutil
    import subprocess

    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert "reports/*" in ignored
    if shutil.which("git") is None:
        pytest.skip("git is not installed: cannot list the committed files")
    listed = subprocess.run(["git", "ls-files", "reports"], cwd=ROOT, capture_output=True,
                            text=True)
    if listed.returncode != 0:
        pytest.skip(f"not a git checkout: {listed.stderr.strip()}")
    committed = set(listed.stdout.split())
    assert committed <= {"reports/README.md", "reports/.gitkeep"}, sorted(committed)


def test_readme_contracts_table_is_the_schemas_table():
    from cslib.schemas import contract_markdown

    readme = (ROOT / "README.md").read_text()
    section = readme.split("### The data contracts", 1)[1]
    lines = section.strip().splitlines()
    table = []
    for line in lines:
        if not line.startswith("|"):
            break
        table.append(line)
    assert table == contract_markdown().splitlines(), (
        "README's contracts table is out of date: paste cslib.schemas.contract_markdown()")


NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))  # jupytext percent scripts
STANDARD_PARAMETERS = {"segment", "month", "source", "locale"}


def test_the_four_notebooks_are_there():
    assert {p.stem for p in NOTEBOOKS} >= {"cohort_nps", "churn_decomposition",
                                           "adoption_retention", "account_review"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_are_committed_clean_with_a_parameters_cell(path):
    import ast

    import jupytext
    import nbformat

    nb = jupytext.read(path)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    first = code[0]
    assert "parameters" in first.metadata.get("tags", [])
    body = ast.parse(first.source).body
    names = {t.id for node in body if isinstance(node, ast.Assign)
             for t in node.targets if isinstance(t, ast.Name)}
    names |= {node.target.id for node in body if isinstance(node, ast.AnnAssign)}
    # every parameter is annotated with its type and a one-line description
    # (`cslib notebooks` lists them; the batch checks values against the types)
    assert all(isinstance(node, ast.AnnAssign) for node in body), first.source
    assert all("  # " in line for line in first.source.splitlines() if line.strip())
    assert STANDARD_PARAMETERS <= names
    # the prose lives in the catalogue, one report.section call per section
    import re

    from cslib.i18n import SECTIONS

    keys = [k for c in code for k in re.findall(r'report\.section\("([^"]+)"', c.source)]
    assert keys and all(k in SECTIONS for k in keys), keys
    assert keys[0] == f"{path.stem}.title"
    headings = [line for k in keys for line in SECTIONS[k][0].splitlines()
                if line.startswith("## ")]
    assert headings[0] == "## Summary"
    # thin notebooks: the first code cell after the parameters opens the report via cslib
    if "account_id" in names:  # a one-page brief: cslib.brief opens it (open_report, cached)
        assert "brief.open_account(" in code[1].source
    else:
        assert headings[0] == "## Summary"
        assert "open_report(" in code[1].source
    assert nb.metadata["kernelspec"]["name"] == "python3"


# --------------------------------------------------------------------------- the wheel
def _build_wheel(tmp_path) -> Path:
    """The wheel of a copy of this checkout (the checkout itself gets no build/ folder)."""
    import shutil
    import subprocess
    import sys

    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", ".nox", "reports", "data", "build", "dist", "*.egg-info", "__pycache__",
        ".pytest_cache", ".hypothesis", ".bench", "tests"))
    dist = tmp_path / "dist"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    errors = []
    for extra in ([], ["--no-build-isolation"]):  # the backend from the index, or installed
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", *extra, "-q",
                               str(src), "-w", str(dist)], capture_output=True, text=True,
                              env=env, timeout=600)
        wheels = sorted(dist.glob("cslib-*.whl"))
        if done.returncode == 0 and wheels:
            return wheels[0]
        errors.append(done.stderr[-1500:])
    pytest.skip("cannot build the wheel here (no build backend available):\n"
                + "\n".join(errors))


def _venv_seeing_the_suite(tmp_path) -> Path:
    """A virtualenv (--system-site-packages) that also sees the suite's installed packages,
    but neither this checkout nor the suite's own (editable) cslib."""
    import site
    import subprocess
    import venv

    target = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(target)
    python = target / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig."
                              "get_paths()['purelib'])"], capture_output=True, text=True,
                             check=True).stdout.strip()
    # a plain path line: the suite's packages, without running its .pth files (which hold
    # the editable install of the checkout)
    suite = [p for p in site.getsitepackages() if Path(p).resolve() != Path(purelib).resolve()]
    Path(purelib, "suite-packages.pth").write_text("\n".join(suite) + "\n", encoding="utf-8")
    return python


@pytest.mark.slow
def test_the_wheel_alone_makes_a_working_project(tmp_path):
    import subprocess
    import sys
    import zipfile

    wheel = _build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    for nb in NOTEBOOKS:
        assert f"cslib/notebooks/{nb.name}" in names
    assert "cslib/params_template/monthly.yaml" in names
    assert "cslib/templates/cslib/index.html.j2" in names
    # the page template is the batch's own: `jupyter nbconvert --template cslib` is not
    # registered (no data files under share/jupyter)
    assert not [n for n in names if ".data/data/share/jupyter" in n]

    python = _venv_seeing_the_suite(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CSLIB_SOURCE")}
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                           "--no-deps", "--no-index", "-q", str(wheel)],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    empty = tmp_path / "empty"
    empty.mkdir()
    where = subprocess.run([str(python), "-c", "import cslib; print(cslib.__file__)"],
                           cwd=empty, capture_output=True, text=True, env=env, check=True)
    assert Path(where.stdout.strip()).is_relative_to(tmp_path / "venv")  # not the checkout
    cslib_cmd = str(python.parent / "cslib")
    env["PATH"] = f"{python.parent}{os.pathsep}{env.get('PATH', '')}"  # its jupyter kernel
    # Jupyter's data files (nbconvert's base templates) sit in the suite's prefix, which a
    # real install would share: point Jupyter at them
    env["JUPYTER_PATH"] = os.pathsep.join(
        [str(Path(sys.prefix, "share", "jupyter")), *filter(None, [env.get("JUPYTER_PATH")])])

    def run(*args, cwd):
        res = subprocess.run([cslib_cmd, *args], cwd=cwd, capture_output=True, text=True,
                             env=env, timeout=1200)
        assert res.returncode == 0, f"cslib {' '.join(args)}:\n{res.stdout[-3000:]}\n" \
                                    f"{res.stderr[-3000:]}"
        return res

    run("init", "proj", cwd=empty)
    proj = empty / "proj"
    run("demo-data", "--accounts", "50", "--months", "3", cwd=proj)
    assert (proj / "data" / "demo.duckdb").is_file()
    listed = run("notebooks", cwd=proj)
    assert "trailing_months" in listed.stdout
    res = run("render", "--segments", "all", "--jobs", "2", cwd=proj)
    month_dir = next((proj / "reports").glob("*/manifest.json")).parent
    manifest = json.loads((month_dir / "manifest.json").read_text(encoding="utf-8"))
    from cslib.params import notebook_parameters

    per_segment = [p.stem for p in NOTEBOOKS if "account_id" not in notebook_parameters(p)]
    assert sorted(r["notebook"] for r in manifest["runs"]) == sorted(per_segment)
    assert all(r["status"] in ("ok", "no_data") for r in manifest["runs"]), res.stdout
    assert all((month_dir / r["html"]).is_file() for r in manifest["runs"])
    # the kernels ran the installed kit, not a checkout
    assert manifest["runs"][0]["versions"]["cslib"] == "0.1.0"
