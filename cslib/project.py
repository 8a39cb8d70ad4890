"""``cslib init``: a working project folder from the installed kit.

A project is what the batch and JupyterLab need, and nothing else::

    params/monthly.yaml    the month, the data source, segments, notebooks
    notebooks/*.py         the report notebooks (jupytext percent scripts)
    data/                  where ``cslib demo-data`` writes the demo warehouse
    jupytext.toml          text notebooks stay text (no outputs in git)
    .jupyter/              JupyterLab opens the .py notebooks as notebooks
    .gitignore             reports/ and data/ are not committed

The notebooks and the params template are the kit's package data
(``cslib/notebooks/``, ``cslib/params_template/``: in the wheel they are the
project's own ``notebooks/`` and ``params/`` folders), so ``pip install cslib``
is enough; from a source checkout they are read from the checkout.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from .exceptions import ParamsError

__all__ = ["init_project", "kit_folder", "JUPYTEXT_TOML", "LAB_OVERRIDES"]

#: The project's ``jupytext.toml`` (the source checkout has the same file at its root).
JUPYTEXT_TOML = """\
# Jupytext settings for this project (https://jupytext.readthedocs.io/en/latest/config.html).
# The notebooks in notebooks/ are text-only percent scripts: JupyterLab opens them as
# notebooks and saves back only their inputs, the kernelspec and the cell tags, so running
# a notebook never dirties git. Outputs live in the rendered reports, never in git.
formats = "py:percent"
notebook_metadata_filter = "kernelspec,-all"
cell_metadata_filter = "tags,-all"
"""
#: ``.jupyter/labconfig/default_setting_overrides.json``: double-clicking a ``.py``
#: notebook opens it as a notebook (with ``JUPYTER_CONFIG_PATH=.jupyter jupyter lab``).
LAB_OVERRIDES = """\
{
  "@jupyterlab/docmanager-extension:plugin": {
    "defaultViewers": {
      "python": "Jupytext Notebook"
    }
  }
}
"""
GITIGNORE = "reports/\n/data/\n.ipynb_checkpoints/\n"
_SOURCE_ROOT = Path(__file__).resolve().parent.parent


def kit_folder(name: str):
    """The kit's ``notebooks`` or ``params`` folder: package data, or the source checkout's.

    Examples
    --------
    >>> sorted(p.name for p in kit_folder("notebooks").iterdir() if p.name.endswith(".py"))
    ['account_brief.py', 'account_review.py', 'adoption_retention.py', 'churn_decomposition.py', 'cohort_nps.py', 'health_review.py', 'journey.py']
    """
    package = {"notebooks": "cslib.notebooks", "params": "cslib.params_template"}[name]
    try:
        folder = resources.files(package)
        if any(p.name.endswith((".py", ".yaml")) and p.name != "__init__.py"
               for p in folder.iterdir()):
            return folder
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):
        pass
    folder = _SOURCE_ROOT / name
    if folder.is_dir():
        return folder
    raise ParamsError(f"The kit's {name} folder is missing from this installation of cslib "
                      f"({Path(__file__).parent}). Reinstall it: pip install --force-reinstall "
                      "cslib.")


def init_project(folder: str | os.PathLike, *, force: bool = False) -> Path:
    """Create a working project in ``folder`` (see the module docstring).

    Parameters
    ----------
    folder : path
        A new or empty folder.
    force : bool
        Also write into a folder that is not empty; files already there are kept.

    Returns
    -------
    Path
        The project folder.

    Raises
    ------
    ParamsError
        ``folder`` is a file, or is not empty (without ``force``).

    Examples
    --------
    >>> import tempfile
    >>> root = init_project(Path(tempfile.mkdtemp()) / "cs")
    >>> sorted(p.name for p in root.iterdir())
    ['.gitignore', '.jupyter', 'data', 'jupytext.toml', 'notebooks', 'params']
    """
    root = Path(folder)
    if root.exists() and not root.is_dir():
        raise ParamsError(f"{root} is a file; give a new or empty folder to `cslib init`.")
    if root.is_dir() and any(root.iterdir()) and not force:
        raise ParamsError(f"{root} is not empty. Give a new folder, or add --force to add the "
                          "project files (files already there are kept).")
    files: dict[Path, str | bytes] = {
        Path("jupytext.toml"): JUPYTEXT_TOML,
        Path(".jupyter", "labconfig", "default_setting_overrides.json"): LAB_OVERRIDES,
        Path(".gitignore"): GITIGNORE,
    }
    for name, suffix in (("notebooks", ".py"), ("params", ".yaml")):
        for item in kit_folder(name).iterdir():
            if item.name.endswith(suffix) and item.name != "__init__.py":
                files[Path(name, item.name)] = item.read_bytes()
    (root / "data").mkdir(parents=True, exist_ok=True)
    for rel, data in files.items():
        target = root / rel
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            target.write_text(data, encoding="utf-8")
        else:
            target.write_bytes(data)
    return root.resolve()


