"""Run the ``cslib`` command in this process, as the batch tests need it."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from types import SimpleNamespace

from cslib import cli


def run_cli(project: Path, *argv: str) -> SimpleNamespace:
    """Run ``cslib *argv`` in the folder ``project``; returns ``code``, ``out`` and ``err``."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(project), contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(err):
        code = cli.main(list(argv))
    return SimpleNamespace(code=code, out=out.getvalue(), err=err.getvalue())
