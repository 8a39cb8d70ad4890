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


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "nox -s tests" in readme
    assert "nox -s tests" in ci
    assert "nox -s demo" in readme


def test_reports_folder_holds_no_committed_output():
    ignored = (ROOT / ".gitignore").read_text()
    assert "reports/*" in ignored


NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
STANDARD_PARAMETERS = {"segment", "month", "source", "locale"}


def test_the_four_notebooks_are_there():
    assert {p.stem for p in NOTEBOOKS} >= {"cohort_nps", "churn_decomposition",
                                           "adoption_retention", "account_review"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_are_committed_clean_with_a_parameters_cell(path):
    import ast

    import nbformat

    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    first = code[0]
    assert "parameters" in first.metadata.get("tags", [])
    names = {t.id for node in ast.parse(first.source).body if isinstance(node, ast.Assign)
             for t in node.targets if isinstance(t, ast.Name)}
    assert STANDARD_PARAMETERS <= names
    headings = [line for c in nb.cells if c.cell_type == "markdown"
                for line in c.source.splitlines() if line.startswith("## ")]
    assert headings[0] == "## Summary"
    # thin notebooks: the first code cell after the parameters opens the report via cslib
    assert "open_report(" in code[1].source
    assert nb.metadata["kernelspec"]["name"] == "python3"
