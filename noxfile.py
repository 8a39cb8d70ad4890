"""Sessions: ``nox -s demo`` renders the demo month, ``nox -s tests`` runs the suite.

Other sessions: ``lint`` (ruff), ``notebooks`` (execute every notebook with its
defaults), ``bench`` (performance on a large warehouse).
"""

from __future__ import annotations

import os

import nox

PYTHON = None  # the interpreter nox runs on (3.11+)
PACKAGE = "."
TEST_EXTRAS = ".[test]"
DEMO_DB = "data/demo.duckdb"
PARAMS = "params/monthly.yaml"
DEMO_MONTH = "latest"  # the demo data's latest complete month (the run says which)
NOTEBOOKS = "notebooks"

nox.options.default_venv_backend = "venv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["tests"]


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """Build the demo warehouse and render its latest complete month into reports/."""
    session.install("-e", PACKAGE)
    session.run("cslib", "demo-data", "--path", DEMO_DB, "--force")
    if os.path.exists(PARAMS) and os.path.exists(os.path.join("cslib", "runner.py")):
        session.run("cslib", "render", "--params", PARAMS, "--month", DEMO_MONTH,
                    *session.posargs)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the whole test suite (end-to-end tests included, on small data)."""
    session.install("-e", TEST_EXTRAS)
    args = session.posargs or ["-n", "2", "--dist", "loadgroup"]
    session.run("python", "-m", "pytest", *args)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Check style with ruff."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", "cslib", "tests", "noxfile.py")


@nox.session(python=PYTHON)
def notebooks(session: nox.Session) -> None:
    """Execute every notebook top to bottom with its default parameters."""
    session.install("-e", PACKAGE)
    if not os.path.exists(DEMO_DB):
        session.run("cslib", "demo-data", "--path", DEMO_DB, "--force")
    out = session.create_tmp()
    for name in sorted(os.listdir(NOTEBOOKS)):
        stem, ext = os.path.splitext(name)
        if ext not in (".py", ".ipynb"):
            continue
        notebook = os.path.join(NOTEBOOKS, name)
        if ext == ".py":  # a jupytext text notebook: papermill reads .ipynb only
            notebook = os.path.join(out, f"{stem}.input.ipynb")
            session.run("jupytext", "--quiet", "--to", "ipynb", "--output", notebook,
                        os.path.join(NOTEBOOKS, name))
        session.run("papermill", "--cwd", NOTEBOOKS, notebook,
                    os.path.join(out, f"{stem}.ipynb"), "--no-progress-bar")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Measure the batch on a large warehouse; writes reports/bench.json."""
    session.install("-e", TEST_EXTRAS)
    session.run("python", "-m", "cslib.bench", *session.posargs)
