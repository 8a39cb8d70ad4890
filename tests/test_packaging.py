"""The project's own files describe one environment."""

from __future__ import annotations

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
    headings = [line for c in nb.cells if c.cell_type == "markdown"
                for line in c.source.splitlines() if line.startswith("## ")]
    assert headings[0] == "## Summary"
    # thin notebooks: the first code cell after the parameters opens the report via cslib
    assert "open_report(" in code[1].source
    assert nb.metadata["kernelspec"]["name"] == "python3"
