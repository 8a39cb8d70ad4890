"""The monthly batch: execute every notebook for every segment and render HTML.

``cslib render`` (see :func:`main`) reads a params file, checks it and the data
before any kernel starts, then runs the matrix notebooks x segments with
papermill in a process pool, renders each executed notebook to a
self-contained HTML page (outputs only, no code, no scripts, no external URLs)
and writes, under ``reports/<month>/``::

    <notebook>/<segment-slug>.html    the report
    <notebook>/<segment-slug>.ipynb   the executed notebook (kept when a run fails)
    index.html                        the overview: headline numbers, links
    manifest.json                     params, status, provenance, cache keys

Unchanged runs (same notebook, params, data and package versions) are skipped
unless ``--force``; failed runs are always re-run. Notebooks report headline
numbers with :func:`record_headline` (from :mod:`cslib.headlines`).
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import html
import json
import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

import nbformat

from .exceptions import ParamsError, RenderError
from .headlines import ENV_VAR, read_headlines, record_headline
from .params import (
    BatchParams,
    check_parameter_keys,
    notebook_parameters,
    parse_params,
    read_params_file,
)

__all__ = [
    "main",
    "render",
    "BatchResult",
    "record_headline",
    "slugify",
    "segment_slugs",
    "render_html",
    "render_index",
    "cache_key",
    "package_versions",
    "git_commit",
]

OK, FAILED, TIMED_OUT, KERNEL_DIED = "ok", "failed", "timed out", "kernel died"
#: A notebook that found nothing to report (cslib.context.NoDataError): a short report, not a
#: failure.
NO_DATA = "no data"
SUCCESS = (OK, NO_DATA)
#: Packages whose versions key the cache and go into the manifest.
PACKAGES = ("cslib", "pandas", "numpy", "statsmodels", "seaborn", "papermill", "nbconvert",
            "duckdb")
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "cslib"
MANIFEST = "manifest.json"
LOCK = ".lock"

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")
_ERROR_TAG = "papermill-error-cell-tag"
_STATUS_TEXT = {NO_DATA: "Nothing to report.", FAILED: "This run failed.", TIMED_OUT: "This run timed out.",
                KERNEL_DIED: "The kernel died during this run."}
#: The page's own text around the notebook's outputs, per report locale.
PAGE_TEXT = {
    "en": {"overview": "overview", "segment": "Segment", "month": "Month",
           "data_as_of": "Data as of", "contents": "Contents", "provenance": "Provenance",
           "status": "Status", "notebook": "Notebook", "fingerprint": "Data fingerprint",
           "kit": "Kit version", "commit": "Git commit", "parameters": "Parameters",
           "failing_cell": "Go to the failing cell"},
    "pt-BR": {"overview": "visão geral", "segment": "Segmento", "month": "Mês",
              "data_as_of": "Dados até", "contents": "Conteúdo", "provenance": "Proveniência",
              "status": "Status", "notebook": "Notebook", "fingerprint": "Impressão dos dados",
              "kit": "Versão do kit", "commit": "Commit Git", "parameters": "Parâmetros",
              "failing_cell": "Ir para a célula que falhou"},
}
_DROP_MIMETYPES = ("application/javascript", "application/vnd.jupyter.widget-view+json",
                   "application/vnd.jupyter.widget-state+json")


# --------------------------------------------------------------------------- names, paths
def slugify(name: str, *, max_length: int = 60) -> str:
    """A safe file name for a segment: ASCII, lowercase, ``[a-z0-9_-]`` only.

    Never empty, never ``.`` or ``..``, never starts with a dot. Different
    names can share a slug; :func:`segment_slugs` makes them unique.

    Examples
    --------
    >>> slugify("São Paulo"), slugify("../../x"), slugify("🚀")
    ('sao-paulo', 'x', 'segment')
    """
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-_")
    text = text[:max_length].strip("-_")
    return text or "segment"


def _short_hash(name: str, n: int) -> str:
    return hashlib.sha256(str(name).encode("utf-8")).hexdigest()[:n]


def segment_slugs(names: Iterable[str]) -> dict[str, str]:
    """Unique, safe file names for segment names.

    Where names share a slug, a name equal to the slug keeps it and the others
    get a short hash of their name appended (so the result does not depend on
    order).

    Examples
    --------
    >>> segment_slugs(["SMB", "smb", "a/b"])
    {'SMB': 'smb-f54ab2de', 'smb': 'smb', 'a/b': 'a-b'}
    """
    names = list(dict.fromkeys(str(n) for n in names))
    base = {n: slugify(n) for n in names}
    groups: dict[str, list[str]] = {}
    for n, s in base.items():
        groups.setdefault(s, []).append(n)
    out = {}
    for slug, members in groups.items():
        for n in members:
            out[n] = slug if (len(members) == 1 or n == slug) else f"{slug}-{_short_hash(n, 8)}"
    # A suffixed slug could still equal another name's slug: lengthen the hash until unique.
    width = 8
    while len(set(out.values())) < len(out):
        width += 4
        seen: dict[str, str] = {}
        for n in names:
            if out[n] in seen:
                out[n] = f"{base[n]}-{_short_hash(n, width)}"
            seen[out[n]] = n
    return out


def _inside(root: Path, path: Path) -> Path:
    """``path`` resolved, after checking it cannot escape ``root``."""
    root_r, path_r = root.resolve(), path.resolve()
    if path_r != root_r and root_r not in path_r.parents:
        raise RenderError(f"Refusing to write {path}: it resolves outside the output folder "
                          f"{root_r}.")
    return path_r


# --------------------------------------------------------------------------- provenance
def package_versions() -> dict[str, str]:
    """Installed versions of the packages that shape a report."""
    out = {}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_commit(cwd: str | os.PathLike | None = None) -> str:
    """``git rev-parse --short HEAD`` of the project, or ``"unknown"``."""
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=cwd,
                              capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else "unknown"


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _json(obj: Any, **kw) -> str:
    return json.dumps(obj, sort_keys=True, default=str, ensure_ascii=False, **kw)


def cache_key(notebook_hash: str, params: Mapping, fingerprint: str,
              versions: Mapping[str, str]) -> str:
    """sha256 of what a report depends on: notebook, params, data and package versions."""
    payload = _json({"notebook": notebook_hash, "params": params, "data": fingerprint,
                     "versions": versions})
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _mask_url(source: str | None) -> str | None:
    return re.sub(r"//[^@/]*@", "//***@", source) if source else source


def _atomic_write(path: Path, data: str | bytes) -> None:
    """Write to a temporary file beside ``path``, then rename: never a partial file."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


# --------------------------------------------------------------------------- lock
def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


class _MonthLock:
    """``reports/<month>/.lock`` holding our PID; a stale lock (dead PID) is taken over."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                try:
                    pid = int(self.path.read_text().strip() or 0)
                except (OSError, ValueError):
                    pid = 0
                if pid > 0 and _pid_alive(pid):
                    raise RenderError(
                        f"{self.path.parent} is being rendered by another batch (PID {pid}, "
                        f"lock file {self.path}). Wait for it to finish; if that process is "
                        "not a cslib batch, delete the lock file.") from None
                self.path.unlink(missing_ok=True)  # stale: its process is gone
                continue
            with os.fdopen(fd, "w") as fh:
                fh.write(str(os.getpid()))
            return self
        raise RenderError(f"Could not take the lock {self.path}; another batch keeps "
                          "taking it. Try again.")

    def __exit__(self, *exc):
        try:
            if self.path.read_text().strip() == str(os.getpid()):
                self.path.unlink()
        except OSError:
            pass


# --------------------------------------------------------------------------- HTML
def _first_h1(nb) -> tuple[str | None, int | None]:
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                m = re.match(r"^#\s+(.+?)\s*#*\s*$", line)
                if m:
                    return m.group(1), i
    return None, None


def notebook_title(nb, default: str) -> str:
    """The notebook's ``title`` metadata, else its first H1, else ``default``."""
    title = nb.metadata.get("title")
    if title:
        return str(title)
    h1, _ = _first_h1(nb)
    return re.sub(r"[*_`]", "", h1) if h1 else default


def _stopped_cell(nb) -> int | None:
    """Index of the code cell a run stopped in (error output, else last cell started)."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and any(o.get("output_type") == "error"
                                            for o in cell.get("outputs", [])):
            return i
    last = None
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.metadata.get("papermill", {}).get(
                "status", "pending") != "pending":
            last = i
    return last


def _mark_stopped(nb, status: str, error: str) -> None:
    """Put a timeout / dead kernel on the cell it happened in, like papermill does for errors."""
    index = _stopped_cell(nb)
    if index is None:
        return
    cell = nb.cells[index]
    if not any(o.get("output_type") == "error" for o in cell.outputs):
        ename = "CellTimeoutError" if status == TIMED_OUT else "DeadKernelError"
        cell.outputs.append(nbformat.v4.new_output("error", ename=ename, evalue=error,
                                                   traceback=[f"{ename}: {error}"]))


def _cut_at_stop(nb):
    """A copy that ends at the cell that stopped the run, without its error output."""
    nb = copy.deepcopy(nb)
    index = _stopped_cell(nb)
    if index is not None:
        cell = nb.cells[index]
        cell.outputs = [o for o in cell.outputs if o.get("output_type") != "error"]
        nb.cells = nb.cells[: index + 1]
    return nb


_CELL_IN = re.compile(r"Cell In\[\d+\]")


def _clean_for_html(nb, *, failed: bool):
    """A copy fit for the HTML page: no stderr, no scripts, no varying metadata."""
    nb = copy.deepcopy(nb)
    title = notebook_title(nb, "")
    if not nb.metadata.get("title"):
        _, i = _first_h1(nb)
        if i is not None:  # the title goes in the page header; don't show it twice
            lines = nb.cells[i].source.splitlines()
            j = next(k for k, line in enumerate(lines) if re.match(r"^#\s+", line))
            nb.cells[i].source = "\n".join(lines[:j] + lines[j + 1:])
            if not nb.cells[i].source.strip():
                del nb.cells[i]
    nb.metadata = nbformat.from_dict({
        k: nb.metadata[k] for k in ("kernelspec", "language_info") if k in nb.metadata})
    nb.cells = [c for c in nb.cells if _ERROR_TAG not in c.metadata.get("tags", [])]
    stopped = _stopped_cell(nb) if failed else None
    cells = []
    for i, cell in enumerate(nb.cells):
        tags = [t for t in cell.metadata.get("tags", []) if re.fullmatch(r"[\w-]+", t)]
        cell.metadata = nbformat.from_dict({"tags": tags} if tags else {})
        cell.pop("attachments", None) if cell.cell_type != "markdown" else None
        if cell.cell_type == "code":
            cell.execution_count = None
            outputs = []
            for out in cell.outputs:
                kind = out.get("output_type")
                if kind == "stream" and out.get("name") == "stderr":
                    continue
                if kind == "error":
                    if not failed:
                        continue
                    out["evalue"] = _ANSI.sub("", out.get("evalue", ""))
                    # "Cell In[7]" depends on what the kernel ran before (warm kernels)
                    out["traceback"] = [_CELL_IN.sub("Cell", _ANSI.sub("", line))
                                        for line in out.get("traceback", [])]
                if kind == "stream":
                    out["text"] = _ANSI.sub("", out.get("text", ""))
                if kind in ("display_data", "execute_result"):
                    data = {k: v for k, v in out.get("data", {}).items()
                            if k not in _DROP_MIMETYPES}
                    if not data:
                        continue
                    out["data"] = data
                    if kind == "execute_result":
                        out["execution_count"] = None
                outputs.append(out)
            cell.outputs = outputs
        if i == stopped:
            cells.append(nbformat.v4.new_markdown_cell(
                '<p id="papermill-error-cell" class="cs-error-anchor"><strong>'
                "The run stopped at the next cell.</strong></p>"))
        cells.append(cell)
    for i, cell in enumerate(cells):
        cell.id = f"c{i}"
    nb.cells = cells
    return nb, title


_H2 = re.compile(r'<h2 id="([^"]+)">(.*?)(?:<a class="anchor-link"[^>]*>.*?</a>)?</h2>', re.S)


def _toc(body: str, label: str = "Contents") -> str:
    items = [(anchor, re.sub(r"<[^>]+>", "", text).strip()) for anchor, text in _H2.findall(body)]
    items = [(a, t) for a, t in items if a != "provenance" and t]
    if not items:
        return ""
    lis = "\n".join(f'<li><a href="#{a}">{t}</a></li>' for a, t in items)
    return (f'<nav class="cs-toc" aria-label="{label}"><p>{label}</p>\n<ol>\n{lis}\n'
            '</ol></nav>')


def _css() -> str:
    return (TEMPLATE_DIR / TEMPLATE_NAME / "static" / "cslib.css").read_text(encoding="utf-8")


def render_html(nb, *, context: Mapping[str, Any]) -> str:
    """Render an executed notebook to the kit's self-contained HTML page.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook (not modified).
    context : mapping
        ``title`` (optional: else from the notebook), ``segment``, ``month``,
        ``data_date``, ``status``, ``error``, ``notebook``, ``notebook_hash``,
        ``fingerprint``, ``kit_version``, ``git_commit``, ``params``, ``locale``.

    Returns
    -------
    str
        The page. Same notebook and context give the same bytes.
    """
    from nbconvert import HTMLExporter

    status = context.get("status", OK)
    if status == NO_DATA:
        nb = _cut_at_stop(nb)
    clean, title = _clean_for_html(nb, failed=status not in SUCCESS)
    params = context.get("params", {})
    locale = str(params.get("locale") or context.get("locale") or "en")
    locale = locale if locale in PAGE_TEXT else "en"
    ctx = {
        "title": context.get("title") or title or context.get("notebook", "Report"),
        "segment": str(context.get("segment", "")),
        "month": str(context.get("month", "")),
        "data_date": str(context.get("data_date") or "unknown"),
        "status": status,
        "status_class": re.sub(r"[^a-z]+", "-", status),
        "status_text": _STATUS_TEXT.get(status, f"This run ended: {status}."),
        "error": context.get("error") or "",
        "has_error_cell": status not in SUCCESS and _stopped_cell(nb) is not None,
        "notebook": context.get("notebook", ""),
        "notebook_hash": context.get("notebook_hash", ""),
        "fingerprint": context.get("fingerprint", ""),
        "kit_version": context.get("kit_version", ""),
        "git_commit": context.get("git_commit", "unknown"),
        "params_text": _json(params, indent=2),
        "locale": locale,
        "text": PAGE_TEXT[locale],
        "css": _css(),
    }
    exporter = HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        mathjax_url="",
        require_js_url="",
        embed_images=True,
    )
    body, _ = exporter.from_notebook_node(clean, resources={"cslib": ctx})
    body = body.replace("<!-- cslib:toc -->", _toc(body, PAGE_TEXT[locale]["contents"]), 1)
    return "\n".join(line.rstrip() for line in body.splitlines()) + "\n"


def _fmt_value(h: Mapping[str, Any]) -> str:
    if h.get("text") not in (None, ""):
        return str(h["text"])
    v = h.get("value")
    if v is None:
        return "n/a"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) >= 1 else f"{v:.3g}"
    return str(v)


def render_index(month: str, runs: list[Mapping[str, Any]], *,
                 context: Mapping[str, Any] | None = None) -> str:
    """The month's overview page: every run's headline numbers and links to its report.

    Parameters
    ----------
    month : str
    runs : list of mapping
        Manifest entries (``notebook``, ``title``, ``segment``, ``status``,
        ``error``, ``html``, ``ipynb``, ``headlines``).
    context : mapping, optional
        ``data_date``, ``fingerprint``, ``kit_version``, ``git_commit``.
    """
    context = dict(context or {})
    e = html.escape
    bad = [r for r in runs if r.get("status") not in SUCCESS]
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Customer Success reports &middot; {e(month)}</title>",
        f"<style>\n{_css()}\n</style>", "</head>", "<body>", '<main class="cs-report">',
        '<header class="cs-header">',
        f"<h1>Customer Success reports &middot; {e(month)}</h1>",
        f'<p class="cs-meta"><span>Month: <strong>{e(month)}</strong></span>'
        f'<span>Data as of: <strong>{e(str(context.get("data_date") or "unknown"))}'
        f"</strong></span><span>{len(runs)} reports, {len(bad)} not rendered cleanly"
        "</span></p>",
    ]
    if bad:
        items = "".join(
            f'<li><a href="{e(quote(r["html"]))}">{e(r.get("title") or r["notebook"])} '
            f'&middot; {e(r["segment"])}</a>: {e(r["status"])}'
            + (f" ({e(r['error'])})" if r.get("error") else "")
            + f' &middot; <a href="{e(quote(r["ipynb"]))}">executed notebook</a></li>'
            for r in bad)
        parts.append(f'<div class="cs-banner cs-failed" role="alert"><strong>{len(bad)} '
                     f"run(s) did not finish.</strong><ul>{items}</ul></div>")
    parts.append("</header>")
    by_nb: dict[str, list[Mapping[str, Any]]] = {}
    for r in runs:
        by_nb.setdefault(r["notebook"], []).append(r)
    for nb_name, nb_runs in by_nb.items():
        title = next((r.get("title") for r in nb_runs if r.get("title")), nb_name)
        names = list(dict.fromkeys(h["name"] for r in nb_runs for h in r.get("headlines") or []))
        head = "".join(f'<th scope="col">{e(n)}</th>' for n in names)
        parts.append(f'<section><h2 id="nb-{e(slugify(nb_name))}">{e(title)}</h2>')
        parts.append('<div class="cs-table-wrap"><table><thead><tr><th scope="col">Segment'
                     f'</th>{head}<th scope="col">Status</th><th scope="col">Report</th>'
                     "</tr></thead><tbody>")
        for r in nb_runs:
            values = {h["name"]: h for h in r.get("headlines") or []}
            ok = r.get("status") in SUCCESS
            cells = "".join(f"<td>{e(_fmt_value(values[n]))}</td>" if n in values
                            else '<td class="cs-muted">&ndash;</td>' for n in names)
            status = e(r.get("status", "")).upper() if not ok else e(r.get("status", OK))
            status_cell = (f'<td class="cs-status cs-status-{"ok" if ok else "bad"}"'
                           + (f' title="{e(r.get("error") or "")}"' if not ok else "")
                           + f">{status}</td>")
            links = (f'<a href="{e(quote(r["html"]))}">report</a> &middot; '
                     f'<a href="{e(quote(r["ipynb"]))}">notebook</a>')
            parts.append(f'<tr class="cs-run-{"ok" if ok else "bad"}"><th scope="row">'
                         f'{e(r["segment"])}</th>{cells}{status_cell}<td>{links}</td></tr>')
        parts.append("</tbody></table></div></section>")
    parts += [
        '<footer class="cs-provenance"><h2 id="provenance">Provenance</h2><dl>',
        f'<dt>Data fingerprint</dt><dd><code>{e(str(context.get("fingerprint", "")))}'
        "</code></dd>",
        f'<dt>Kit version</dt><dd>cslib {e(str(context.get("kit_version", "")))}</dd>',
        f'<dt>Git commit</dt><dd><code>{e(str(context.get("git_commit", "unknown")))}'
        "</code></dd>",
        "<dt>Details</dt><dd>manifest.json beside this page lists every run's params, "
        "status and package versions.</dd>",
        "</dl></footer>", "</main>", "</body>", "</html>", "",
    ]
    return "\n".join(parts)


# --------------------------------------------------------------------------- one run
class _RunTimeout(Exception):
    pass


# --------------------------------------------------------------------------- warm kernels
#: Imports a report kernel needs; a worker's kernel loads them once, not once per report.
PRELOAD = (
    "numpy", "pandas", "scipy.stats", "matplotlib.pyplot", "seaborn", "statsmodels.api",
    "statsmodels.duration.api", "duckdb", "pyarrow", "babel.numbers", "cslib.context",
    "cslib.report", "cslib.plots", "cslib.nps", "cslib.revenue", "cslib.retention",
    "cslib.adoption", "cslib.review", "cslib.support", "cslib.ltv", "cslib.survey",
    "cslib.tables", "cslib.periods", "cslib.headlines", "cslib.io",
)
#: A warm kernel is replaced after this many reports, so memory cannot creep up.
RUNS_PER_KERNEL = 25
#: Set this environment variable to 1 to start a fresh kernel for every report.
FRESH_KERNELS_ENV = "CSLIB_FRESH_KERNELS"

_PRELOAD_CODE = """
import importlib as _il, warnings as _w, matplotlib as _mpl
for _m in {modules!r}:
    try:
        _il.import_module(_m)
    except Exception:
        pass
import cslib as _c
_rc = dict(_mpl.rcParams)
for _k in ("backend", "backend_fallback", "interactive"):  # setting them resets pyplot
    _rc.pop(_k, None)
_c._warm_state = (list(_w.filters), _rc)
del _il, _w, _mpl, _m, _c, _rc, _k
"""

# Run before every report on a warm kernel: an empty namespace, the run's folder and
# environment, matplotlib and warnings as they were after the imports.
_RESET_CODE = """
import os as _os
_os.chdir({cwd!r})  # first: the previous report's folder is gone
get_ipython().run_line_magic("reset", "-f")
import os as _os, warnings as _w, matplotlib as _mpl, matplotlib.pyplot as _plt, cslib as _c
_plt.close("all")
_w.filters[:] = _c._warm_state[0]
_w._filters_mutated() if hasattr(_w, "_filters_mutated") else None
with _w.catch_warnings():
    _w.simplefilter("ignore")
    _mpl.rcParams.update(_c._warm_state[1])
_os.environ.update({env!r})
for _k in {unset!r}:
    _os.environ.pop(_k, None)
del _os, _w, _mpl, _plt, _c
get_ipython().run_line_magic("reset", "-f")
"""


class _WarmKernel:
    """This worker's long-lived kernel: preloaded once, reset before each report.

    The set-up code goes through the report's own kernel client (see
    :func:`_warm_engine`), so nothing else talks to the kernel.
    """

    kernel = None

    def __init__(self):
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        # The kernel inherits fd 2; keep its chatter off the terminal.
        log = Path(tempfile.gettempdir()) / f"cslib-kernel-{os.getpid()}.log"
        sys.stderr.flush()
        saved_fd2 = os.dup(2)
        log_fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(log_fd, 2)
        os.close(log_fd)
        try:
            # Async, as nbclient's own: a blocking client would wait on a dead kernel forever.
            self.km = AsyncKernelManager(kernel_name="python3")
            run_sync(self.km.start_kernel)(cwd=tempfile.gettempdir())
        finally:
            sys.stderr.flush()
            os.dup2(saved_fd2, 2)
            os.close(saved_fd2)
        self.runs = 0

    def setup_code(self, cwd: str, env: Mapping[str, str], unset: Iterable[str]) -> str:
        """The code to run before the next report: imports on first use, then a reset."""
        self.runs += 1
        reset = _RESET_CODE.format(cwd=cwd, env=dict(env), unset=list(unset))
        return (_PRELOAD_CODE.format(modules=PRELOAD) + reset) if self.runs == 1 else reset

    @classmethod
    def get(cls) -> _WarmKernel:
        from jupyter_core.utils import run_sync

        if cls.kernel is not None and (cls.kernel.runs >= RUNS_PER_KERNEL
                                       or not run_sync(cls.kernel.km.is_alive)()):
            cls.discard()
        if cls.kernel is None:
            cls.kernel = cls()
        return cls.kernel

    @classmethod
    def discard(cls) -> None:
        if cls.kernel is not None:
            from jupyter_core.utils import run_sync

            try:
                run_sync(cls.kernel.km.shutdown_kernel)(now=True)
            except Exception:
                pass
            cls.kernel = None


def _warm_engine():
    """A papermill engine that executes on this worker's warm kernel.

    ``execute_notebook(..., engine_name="cslib-warm", km=<started kernel>,
    setup_code=<code>)`` runs ``setup_code`` silently (no cell, no output) on the
    report's kernel client, then the notebook's cells as papermill does.
    """
    from nbclient.util import run_sync
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine
    from papermill.utils import merge_kwargs, remove_args

    class WarmClient(PapermillNotebookClient):
        setup_code = ""

        def papermill_execute_cells(self):
            if self.setup_code:
                run_sync(self._async_setup)()
            super().papermill_execute_cells()

        async def _async_setup(self):
            msg_id = self.kc.execute(self.setup_code, silent=True, store_history=False)
            reply = await self.async_wait_for_reply(msg_id)
            if reply is None or reply["content"]["status"] != "ok":
                detail = reply["content"].get("evalue") if reply else "no reply"
                raise RuntimeError(f"warm kernel set-up failed: {detail}")

    class WarmEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False,
                                     stdout_file=None, stderr_file=None, start_timeout=60,
                                     execution_timeout=None, setup_code="", **kwargs):
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            client = WarmClient(nb_man, **merge_kwargs(
                kwargs, timeout=execution_timeout, startup_timeout=start_timeout,
                kernel_name=kernel_name, log_output=log_output, stdout_file=stdout_file,
                stderr_file=stderr_file))
            client.setup_code = setup_code
            try:
                return client.execute()
            finally:
                if client.kc is not None:
                    client.kc.stop_channels()

    return WarmEngine


def _worker_init() -> None:
    """Pool initializer: kernels draw plots inline; the worker dies with the batch.

    An ``MPLBACKEND`` set in the user's shell (``Agg`` is common) would otherwise
    reach the kernels and silently drop every plot from the reports. On Linux,
    without ``PR_SET_PDEATHSIG`` a SIGKILLed batch would leave workers (and
    their kernels) running and writing into a month it no longer holds the lock for.
    """
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except OSError:
            pass


def _on_alarm(signum, frame):
    raise _RunTimeout


def _execute_run(spec: dict) -> dict:
    """Execute one notebook for one segment and write its .ipynb and .html (worker side)."""
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    start = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="cslib-run-"))
    executed = work / "executed.ipynb"
    headlines_path = work / "headlines.json"
    old_env = {k: os.environ.get(k) for k in (ENV_VAR, "CSLIB_SOURCE")}
    os.environ[ENV_VAR] = str(headlines_path)
    if spec.get("source"):
        os.environ["CSLIB_SOURCE"] = spec["source"]
    status, error = OK, None
    # The kernel inherits fd 2: keep its chatter off the terminal, in a log we can quote.
    kernel_log = work / "kernel.log"
    sys.stderr.flush()
    saved_fd2 = os.dup(2)
    log_fd = os.open(kernel_log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    use_alarm = bool(spec.get("run_timeout")) and hasattr(signal, "setitimer")
    if use_alarm:
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, float(spec["run_timeout"]))
    warm, cell_error = None, False
    try:
        extra = {}
        if os.environ.get(FRESH_KERNELS_ENV) != "1":
            from papermill.engines import papermill_engines

            papermill_engines.register("cslib-warm", _warm_engine())
            warm = _WarmKernel.get()
            code = warm.setup_code(str(work),
                                   {k: os.environ[k] for k in old_env if k in os.environ},
                                   [k for k in old_env if k not in os.environ])
            extra = {"engine_name": "cslib-warm", "km": warm.km, "setup_code": code}
        pm.execute_notebook(
            spec["input"], str(executed), parameters=spec["params"], kernel_name="python3",
            cwd=str(work), execution_timeout=spec.get("timeout"), progress_bar=False,
            log_output=False, start_timeout=120, **extra,
        )
    except PapermillExecutionError as err:
        cell_error = True
        if err.ename == "NoDataError":
            status, error = NO_DATA, _ANSI.sub("", str(err.evalue))
        else:
            status, error = FAILED, f"{err.ename}: {_ANSI.sub('', str(err.evalue))}"
    except CellTimeoutError:
        status, error = TIMED_OUT, f"a cell ran longer than the {spec.get('timeout')} s limit"
    except _RunTimeout:
        status, error = TIMED_OUT, f"the run took longer than the {spec['run_timeout']} s limit"
    except DeadKernelError:
        status, error = KERNEL_DIED, ("the kernel died (out of memory, os._exit or a crash in "
                                      "native code)")
    except Exception as err:  # anything else still leaves a report of the failure
        status, error = FAILED, f"{type(err).__name__}: {_ANSI.sub('', str(err))}"
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        if warm is not None and status != OK and not cell_error:
            _WarmKernel.discard()  # hung, dead or in doubt: the next run starts afresh
        sys.stderr.flush()
        os.dup2(saved_fd2, 2)
        os.close(saved_fd2)
        for k, v in old_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    duration = round(time.monotonic() - start, 2)
    error = error.splitlines()[0][:300] if error else None
    result = {"status": status, "error": error, "duration_s": duration,
              "headlines": read_headlines(headlines_path)}
    try:
        source_nb = executed if executed.exists() else Path(spec["input"])
        nb = nbformat.read(source_nb, as_version=4)
        if status in (TIMED_OUT, KERNEL_DIED):
            _mark_stopped(nb, status, error or status)
        data_date = next((h.get("text") or h.get("value") for h in result["headlines"]
                          if h.get("name") == "data_date"), None) or spec.get("data_date")
        page = render_html(nb, context={**spec["context"], "status": status, "error": error,
                                        "data_date": data_date})
        html_path, ipynb_path = Path(spec["html_path"]), Path(spec["ipynb_path"])
        html_path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(ipynb_path, nbformat.writes(nb))
        _atomic_write(html_path, page)
    except Exception as err:
        result.update(status=FAILED if status == OK else status,
                      error=error or f"rendering failed: {type(err).__name__}: {err}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["headlines"] = [h for h in result["headlines"] if h.get("name") != "data_date"]
    return result


# --------------------------------------------------------------------------- the batch
@dataclasses.dataclass
class BatchResult:
    """What a batch did. ``exit_code``: 0 all fine, 1 some runs failed."""

    month: str
    month_dir: Path
    runs: list[dict]
    executed: int = 0
    skipped: int = 0
    exit_code: int = 0


class _Progress:
    def __init__(self, total: int, stream: TextIO):
        self.total, self.stream = total, stream
        self.done = self.failed = 0
        self.start = time.monotonic()
        self.tty = bool(getattr(stream, "isatty", lambda: False)())

    def update(self, ok: bool) -> None:
        self.done += 1
        self.failed += 0 if ok else 1
        elapsed = time.monotonic() - self.start
        left = self.total - self.done
        secs = round(elapsed / self.done * left)
        h, rest = divmod(secs, 3600)
        eta = f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"
        line = f"[{self.done}/{self.total}] done, {self.failed} failed, ETA {eta}"
        if self.tty:
            end = "\n" if self.done == self.total else ""
            self.stream.write(f"\r\x1b[K{line}{end}")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def _resolve_source(source: str | None) -> str:
    from .io import default_source

    source = source or default_source()
    if "://" in source:
        return source
    return str(Path(source).expanduser().resolve())


def _notebook_paths(notebooks_dir: Path, wanted: Iterable[str] | None) -> dict[str, Path]:
    available = {p.stem: p for p in sorted(notebooks_dir.glob("*.ipynb"))
                 if not p.name.startswith(".")}
    if not available:
        raise ParamsError(f"No notebooks (*.ipynb) found in {notebooks_dir}. Run from the "
                          "project folder, or check the `notebooks` folder.")
    if wanted is None:
        return available
    missing = [n for n in wanted if n not in available]
    if missing:
        raise ParamsError(f"Notebook(s) {missing} not found in {notebooks_dir}; available: "
                          f"{sorted(available)}.")
    return {n: available[n] for n in wanted}


def _segment_order(segments: Iterable[str]) -> list[str]:
    segs = list(dict.fromkeys(segments))
    return (["all"] if "all" in segs else []) + [s for s in segs if s != "all"]


def _read_manifest(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _clean_leftovers(month_dir: Path) -> None:
    for tmp in month_dir.rglob(".*.tmp-*"):
        tmp.unlink(missing_ok=True)


def render(
    params: BatchParams,
    *,
    output: str | os.PathLike = "reports",
    notebooks_dir: str | os.PathLike = "notebooks",
    only: Iterable[str] | None = None,
    force: bool = False,
    dry_run: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> BatchResult:
    """Run the batch described by ``params`` (what ``cslib render`` does).

    Everything that can be checked is checked before any kernel starts
    (params, notebook parameters, data, output folder, lock).

    Parameters
    ----------
    params : BatchParams
        The checked params file (see :func:`cslib.params.load_params`).
    output : path
        The reports folder; the month goes into ``<output>/<month>/``.
    notebooks_dir : path
        Where the notebooks named in ``params.notebooks`` live.
    only : iterable of str, optional
        Run only these notebooks (``--notebooks``). Parameter keys are still
        checked against every notebook of the params file.
    force : bool
        Re-render runs whose cache key is unchanged.
    dry_run : bool
        Print the run matrix and stop (nothing is written).
    out, err : text streams
        Where the summary (stdout) and the progress (stderr) go.

    Raises
    ------
    ParamsError, SchemaError, SourceError
        Bad params or data (nothing was executed).
    RenderError
        The month is locked by another batch, or the output folder is unwritable.
    """
    from . import __version__
    from .io import fingerprint, load

    out = out or sys.stdout
    err = err or sys.stderr
    notebooks_dir = Path(notebooks_dir)
    configured = _notebook_paths(notebooks_dir, params.notebooks)
    declared = {name: notebook_parameters(path) for name, path in configured.items()}
    check_parameter_keys(params, declared)
    if only is not None:
        only = [n.removesuffix(".ipynb") for n in only]
        missing = [n for n in only if n not in configured]
        if missing:
            raise ParamsError(f"--notebooks {missing} not in the params file's notebooks "
                              f"{sorted(configured)}.")
        nb_paths = {n: configured[n] for n in dict.fromkeys(only)}
    else:
        nb_paths = configured

    source = _resolve_source(params.source)
    fp = fingerprint(source)
    facts_path = Path(output) / ".cache" / f"data-{fp}-{__version__}.json"
    try:
        facts = json.loads(facts_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        facts = None
    if facts is None or facts.get("csv") != params.csv:
        wh = load(source, csv=params.csv)  # validates every table once: bad data -> SchemaError
        for note in wh.notes:
            print(f"note: {note}", file=err)
        last = wh.data_date
        facts = {"csv": params.csv,
                 "data_date": last.strftime("%Y-%m") if last is not None else None,
                 "segments": sorted({str(s) for s in wh["accounts"]["segment"].dropna()})}
        del wh
        if not dry_run:  # the same data need not be validated again (fast re-runs)
            try:
                facts_path.parent.mkdir(parents=True, exist_ok=True)
                _atomic_write(facts_path, _json(facts))
            except OSError:
                pass
    data_date = facts["data_date"]
    month = params.month
    if month == "latest":
        if data_date is None:
            raise ParamsError("`month: latest` needs MRR data to find the latest month; the "
                              "`mrr` table is empty. Set `month` to 'YYYY-MM'.")
        month = data_date
    elif data_date is not None and month > data_date:
        raise ParamsError(f"`month` {month} is after the data's last month {data_date} "
                          f"({_mask_url(source)}). Pick a month up to {data_date} or 'latest'.")

    known = ["all", *facts["segments"]]
    if params.segments == "all":
        segments = known
    else:
        unknown = [s for s in params.segments if s not in known]
        if unknown:
            raise ParamsError(f"Segment(s) {unknown} not found in the data's `accounts."
                              f"segment`; known segments: {known}.")
        segments = _segment_order(params.segments)
    bad_over = [s for s in params.overrides if s not in known]
    if bad_over:
        raise ParamsError(f"`overrides` names segment(s) {bad_over} that are not in the data; "
                          f"known segments: {known}.")
    slugs = segment_slugs(known)

    output = Path(output)
    month_dir = output / month
    versions = package_versions()
    commit = git_commit(Path.cwd())
    manifest_path = month_dir / MANIFEST
    previous = {(r.get("notebook"), r.get("segment")): r
                for r in _read_manifest(manifest_path).get("runs", [])}

    specs, cached = [], []
    for nb_name, nb_path in nb_paths.items():
        nb_hash = _sha256_file(nb_path)
        names = declared[nb_name]
        title = notebook_title(nbformat.read(nb_path, as_version=4), nb_name)
        for seg in segments:
            standard = {"segment": seg, "month": month, "source": source,
                        "locale": params.locale, "csv": params.csv,
                        "mask_pii": params.mask_pii, "data_date": data_date}
            run_params = {k: v for k, v in standard.items() if k in names}
            run_params.update({k: v for k, v in params.parameters.items() if k in names})
            run_params.update({k: v for k, v in params.overrides.get(seg, {}).items()
                               if k in names})
            key = cache_key(nb_hash, run_params, fp, versions)
            html_rel = f"{nb_name}/{slugs[seg]}.html"
            ipynb_rel = f"{nb_name}/{slugs[seg]}.ipynb"
            html_path = _inside(output, month_dir / html_rel)
            ipynb_path = _inside(output, month_dir / ipynb_rel)
            shown = {k: (_mask_url(v) if k == "source" else v) for k, v in run_params.items()}
            entry = {
                "notebook": nb_name, "title": title, "segment": seg, "slug": slugs[seg],
                "params": shown, "html": html_rel, "ipynb": ipynb_rel,
                "data_fingerprint": fp, "notebook_sha256": nb_hash, "versions": versions,
                "git_commit": commit, "cache_key": key,
            }
            old = previous.get((nb_name, seg))
            if (not force and old and old.get("status") in SUCCESS
                    and old.get("cache_key") == key
                    and html_path.exists() and ipynb_path.exists()):
                cached.append(old)
                continue
            specs.append({
                "entry": entry, "input": str(nb_path.resolve()), "params": run_params,
                "source": source, "timeout": params.timeout, "run_timeout": params.run_timeout,
                "data_date": data_date, "html_path": str(html_path),
                "ipynb_path": str(ipynb_path),
                "context": {"title": title, "segment": seg, "month": month,
                            "notebook": f"{nb_name}.ipynb", "notebook_hash": nb_hash,
                            "fingerprint": fp, "kit_version": __version__,
                            "git_commit": commit, "params": shown, "locale": params.locale},
            })

    if dry_run:
        rows = [(r["notebook"], r["segment"], str(month_dir / r["html"]), "cached")
                for r in cached]
        rows += [(s["entry"]["notebook"], s["entry"]["segment"],
                  str(month_dir / s["entry"]["html"]), "would run") for s in specs]
        widths = [max([len(h)] + [len(r[i]) for r in rows])
                  for i, h in enumerate(("notebook", "segment", "output"))]
        print(f"{'notebook':<{widths[0]}}  {'segment':<{widths[1]}}  "
              f"{'output':<{widths[2]}}  status", file=out)
        for r in rows:
            print(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}",
                  file=out)
        print(f"{len(rows)} runs: {len(specs)} would run, {len(cached)} cached "
              f"(month {month}, data {fp}).", file=out)
        return BatchResult(month, month_dir, [], 0, len(cached), 0)

    try:
        month_dir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".probe-", dir=month_dir)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise RenderError(f"Cannot write to the output folder {month_dir} ({reason}). "
                          "Choose another folder with --output or fix its permissions."
                          ) from exc

    nb_rank = {n: i for i, n in enumerate(configured)}
    seg_rank = {s: i for i, s in enumerate(known)}
    month_context = {"data_date": data_date, "fingerprint": fp, "kit_version": __version__,
                     "git_commit": commit}

    def write_month(done: list[dict]) -> list[dict]:
        # Called after every finished run, so a batch killed at any point leaves a
        # manifest and an overview that list exactly the reports on disk.
        current = {(r["notebook"], r["segment"]): r for r in cached + done}
        others = [r for k, r in previous.items() if k not in current
                  and (month_dir / r.get("html", "")).is_file()]
        runs = sorted([*current.values(), *others], key=lambda r: (
            nb_rank.get(r["notebook"], len(nb_rank)), r["notebook"],
            seg_rank.get(r["segment"], len(seg_rank)), r["segment"]))
        manifest = {"month": month, "source": _mask_url(source), "data_fingerprint": fp,
                    "data_date": data_date, "kit_version": __version__, "git_commit": commit,
                    "versions": versions, "runs": runs}
        _atomic_write(manifest_path, _json(manifest, indent=1) + "\n")
        _atomic_write(month_dir / "index.html", render_index(month, runs,
                                                             context=month_context))
        return runs

    with _MonthLock(month_dir / LOCK):
        _clean_leftovers(month_dir)
        results: list[dict] = []
        if specs:
            jobs = min(params.jobs or os.cpu_count() or 1, len(specs))
            print(f"rendering {len(specs)} run(s) for {month} with {jobs} job(s)"
                  + (f"; {len(cached)} unchanged" if cached else ""), file=err)
            progress = _Progress(len(specs), err)
            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx,
                                     initializer=_worker_init) as pool:
                futures = {pool.submit(_execute_run, s): s for s in specs}
                try:
                    for fut in as_completed(futures):
                        spec = futures[fut]
                        try:
                            res = fut.result()
                        except Exception as exc:  # a worker process itself died
                            res = {"status": FAILED, "duration_s": None, "headlines": [],
                                   "error": f"worker crashed: {type(exc).__name__}: {exc}"}
                        results.append({**spec["entry"], **res})
                        write_month(results)
                        progress.update(res["status"] in SUCCESS)
                except KeyboardInterrupt:
                    pool.shutdown(wait=False, cancel_futures=True)
                    raise
        runs = write_month(results)

    bad = [r for r in results if r["status"] not in SUCCESS]
    counts = {s: sum(r["status"] == s for r in results) for s in (OK, NO_DATA, FAILED,
                                                                   TIMED_OUT, KERNEL_DIED)}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    print(f"{month}: {len(results)} run(s) executed" + (f" ({summary})" if summary else ""),
          file=out)
    if cached:
        print(f"unchanged, skipped {len(cached)} (use --force to re-render)", file=out)
    for r in bad:
        print(f"  {r['status'].upper()}: {r['notebook']} / {r['segment']}: {r['error']} -> "
              f"{month_dir / r['html']}", file=out)
    print(f"overview: {month_dir / 'index.html'}", file=out)
    return BatchResult(month, month_dir, runs, len(results), len(cached), 1 if bad else 0)


def main(args) -> int:
    """``cslib render``: run the batch from parsed command-line arguments; returns the exit code.

    Exit codes: 0 every run succeeded, 1 some runs failed, 2 bad input found before
    any kernel started (raised as a :class:`~cslib.exceptions.CslibError`).
    """
    where = getattr(args, "params", None) or "params/monthly.yaml"
    raw = read_params_file(where)
    for key in ("month", "segments", "jobs"):
        value = getattr(args, key, None)
        if value is not None:
            raw[key] = list(value) if isinstance(value, tuple) else value
    params = parse_params(raw, where=str(where))
    result = render(
        params,
        output=getattr(args, "output", None) or "reports",
        notebooks_dir=getattr(args, "notebooks_dir", None) or "notebooks",
        only=getattr(args, "notebooks", None),
        force=bool(getattr(args, "force", False)),
        dry_run=bool(getattr(args, "dry_run", False)),
    )
    return result.exit_code
