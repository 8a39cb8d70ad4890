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

Unchanged runs (same notebook, params, data, package versions and kit code) are
skipped unless ``--force``; failed runs are always re-run. Notebooks report
headline numbers with :func:`record_headline` (from :mod:`cslib.headlines`).

An unattended batch must fail cleanly: it checks the free space on the output
disk before any kernel starts (:data:`SPACE_PER_RUN`, :data:`SPACE_MARGIN`),
stops with exit 2 and a plain message when a write fails (disk full, read-only
folder), holds ``reports/<month>/.lock`` with ``flock`` (released by the kernel
if the batch dies), and takes its workers and their Jupyter kernels down with
it when it is killed.

This module holds the month: names and paths, provenance and cache keys, atomic
writes, the month lock, one run (:func:`_execute_run`, in a worker) and the
batch, in named steps (as papermill's ``execute.py``): :func:`plan_month` (month,
segments, notebooks, run matrix and cache keys, as :class:`RunSpec` in a
:class:`MonthPlan`), :func:`check_before_start` (output folder, free space; then
the month lock), :func:`prepare_data` (the segment slices), :func:`execute_runs`
through an :class:`Executor` (today :class:`LocalPoolExecutor`, a local process
pool; each run gives a :class:`RunResult`) and :func:`publish_month` (manifest and
overview). :func:`render` strings them together. The pages come from :mod:`cslib.pages`; the warm kernels and the process
plumbing (workers and kernels that die with the batch, temporary files) from
:mod:`cslib.kernels`.
"""

from __future__ import annotations

import calendar
import contextlib
import dataclasses
import datetime
import errno
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Protocol, TextIO

try:  # POSIX: the month lock is an flock, which the kernel drops when its holder dies
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

from .exceptions import ParamsError, RenderError, SchemaError
from .headlines import ENV_VAR, read_headlines, record_headline
from .io import PREPARED_ENV
from .kernels import (
    FRESH_KERNELS_ENV,
    RUN_DIR_PREFIX,
    _clean_stale_tmp,
    _die_with_batch,
    _kernel_manager_class,
    _kill_kernel,
    _pid_alive,
    _tmp_tag,
    _warm_engine,
    _WarmKernel,
)
from .pages import (
    _ANSI,
    FAILED,
    KERNEL_DIED,
    NO_DATA,
    OK,
    SUCCESS,
    TIMED_OUT,
    _mark_stopped,
    notebook_title,
    render_digest,
    render_html,
    render_index,
    slugify,
)
from .params import (
    DEFAULT_TIMEZONE,
    NOTEBOOK_SUFFIXES,
    BatchParams,
    _notebook_name,
    check_parameter_keys,
    check_parameter_types,
    is_text_notebook,
    notebook_parameters,
    parse_params,
    read_notebook,
    read_params_file,
)

__all__ = [
    "main",
    "render",
    "BatchResult",
    "MonthPlan",
    "RunSpec",
    "RunResult",
    "Executor",
    "LocalPoolExecutor",
    "DaskExecutor",
    "plan_month",
    "resolve_month",
    "check_before_start",
    "prepare_data",
    "execute_runs",
    "publish_month",
    "record_headline",
    "segment_slugs",
    "cache_key",
    "kit_code_hash",
    "latest_complete_month",
    "package_versions",
    "git_commit",
]

#: Packages whose versions key the cache and go into the manifest.
PACKAGES = ("cslib", "pandas", "numpy", "statsmodels", "seaborn", "papermill", "nbconvert",
            "duckdb")
PACKAGE_DIR = Path(__file__).resolve().parent
MANIFEST = "manifest.json"
LOCK = ".lock"
#: Free space the batch asks of the output disk before any kernel starts: per report to
#: render (its HTML page and its executed notebook, both with the plots inlined; the
#: kit's reports take 0.2 to 2 MB each) ...
SPACE_PER_RUN = 4 * 2**20
#: ... plus this margin for the manifest, the overview and the data cache.
SPACE_MARGIN = 32 * 2**20
#: Batches of up to this many runs publish the manifest and overview after every run;
#: larger ones (thousands of briefs) every :data:`PUBLISH_INTERVAL` seconds and at the end.
#: A batch killed in between leaves pages the manifest does not list yet: the next run
#: renders them again.
PUBLISH_EVERY_RUN = 100
PUBLISH_INTERVAL = 5.0
#: Dated event columns that say how far the data goes (its "as of" time), which
#: decides whether the last month is complete (see :func:`latest_complete_month`).
EVENT_COLUMNS = (("nps_responses", "responded_at"), ("nps_invitations", "sent_at"),
                 ("tickets", "opened_at"), ("tickets", "resolved_at"),
                 ("loop_actions", "done_at"))


# --------------------------------------------------------------------------- names, paths
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


def _manifest_text(manifest: Mapping[str, Any]) -> str:
    """The manifest as JSON: a key a line, and each run on a line of its own.

    Indented JSON goes through the json module's pure-Python encoder, which made
    writing the manifest after every run of a month most of what publishing cost.

    Examples
    --------
    >>> print(_manifest_text({"month": "2026-10", "runs": [{"b": 1, "a": 2}, {"c": 3}]}))
    {
     "month": "2026-10",
     "runs": [
      {"a": 2, "b": 1},
      {"c": 3}
     ]
    }
    <BLANKLINE>
    """
    lines = []
    for key in sorted(manifest):
        if key == "runs":
            runs = manifest[key]
            body = ",\n".join(f"  {_json(r)}" for r in runs)
            lines.append(f' "runs": [\n{body}\n ]' if runs else ' "runs": []')
        else:
            lines.append(f" {_json(key)}: {_json(manifest[key])}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def kit_code_hash(root: str | os.PathLike = PACKAGE_DIR) -> str:
    """sha256 of the kit's own code: every ``*.py`` file and every template file.

    Part of every cache key, so editing the kit without bumping its version still
    re-renders the reports. Computed once per batch (about a millisecond).

    Examples
    --------
    >>> len(kit_code_hash())
    64
    """
    root = Path(root)
    files = sorted(
        p for p in [*root.rglob("*.py"), *(root / "templates").rglob("*")]
        if p.is_file() and "__pycache__" not in p.parts and not p.name.startswith("."))
    digest = hashlib.sha256()
    for path in dict.fromkeys(files):
        digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def cache_key(notebook_hash: str, params: Mapping, fingerprint: str,
              versions: Mapping[str, str], kit_code: str = "") -> str:
    """sha256 of what a report depends on: notebook, params, data, package versions, kit code."""
    payload = _json({"notebook": notebook_hash, "params": params, "data": fingerprint,
                     "versions": versions, "kit_code": kit_code})
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _mask_url(source: str | None) -> str | None:
    return re.sub(r"//[^@/]*@", "//***@", source) if source else source


def _atomic_write_all(items: Iterable[tuple[Path, str | bytes]]) -> None:
    """Write each ``(path, data)`` to a temporary file beside it, then rename them all.

    Never a partial file: if any write fails (disk full...), every temporary file
    is removed, no target is touched, and the ``OSError`` (naming the target
    path) propagates.
    """
    done: list[tuple[Path, Path]] = []
    try:
        for path, data in items:
            tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
            done.append((tmp, path))
            try:
                with open(tmp, "wb") as fh:
                    fh.write(data.encode("utf-8") if isinstance(data, str) else data)
                    fh.flush()
                    os.fsync(fh.fileno())
            except OSError as exc:  # name the file the user knows, not the temporary one
                raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
        for tmp, path in done:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in done:
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass
        raise


def _atomic_write(path: Path, data: str | bytes) -> None:
    """Write to a temporary file beside ``path``, then rename: never a partial file.

    On failure the temporary file is removed and the ``OSError`` propagates.
    """
    _atomic_write_all([(path, data)])


# --------------------------------------------------------------------------- lock
class _MonthLock:
    """``reports/<month>/.lock``: held by one batch at a time, holding its PID.

    On POSIX the lock is an ``flock`` on that file, which the operating system
    releases when its holder dies however it dies: a lock file nobody holds is
    stale and is taken over, atomically (two batches that find it stale cannot
    both take it), and a reused PID cannot keep a lock alive. Without ``fcntl``
    (Windows) the file is created with ``O_EXCL`` and a dead PID marks it stale.
    """

    def __init__(self, path: Path):
        self.path = path
        self.fd: int | None = None

    def _holder(self) -> str:
        try:
            pid = self.path.read_text(encoding="utf-8").split()[0]
        except (OSError, IndexError, UnicodeDecodeError):
            return "unknown"
        return pid if pid.isdigit() else "unknown"

    def _refuse(self, pid: str) -> RenderError:
        return RenderError(
            f"{self.path.parent} is being rendered by another batch (PID {pid}, lock file "
            f"{self.path}). Wait for it to finish; if that process is not a cslib batch, "
            "stop it or delete the lock file.")

    def __enter__(self):
        try:
            return self._enter()
        except OSError as exc:
            raise RenderError(f"Cannot write the lock file {self.path} "
                              f"({exc.strerror or exc}). Free some space or fix the folder's "
                              "permissions, then run the same command again.") from None

    def _enter(self):
        if fcntl is None:  # pragma: no cover - Windows
            return self._enter_exclusive()
        for _ in range(10):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise self._refuse(self._holder()) from None
            except OSError:
                os.close(fd)
                raise
            # The holder before us unlinks the file before it lets go of the lock: make
            # sure the file we locked is still the one at the path, else start again.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            try:
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
            except OSError:
                self._release(fd)
                raise
            self.fd = fd
            return self
        raise RenderError(f"Could not take the lock {self.path}; other batches keep taking "
                          "it. Try again.")

    def _enter_exclusive(self):  # pragma: no cover - Windows
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                pid = self._holder()
                if pid != "unknown" and _pid_alive(int(pid)):
                    raise self._refuse(pid) from None
                self.path.unlink(missing_ok=True)
                continue
            with os.fdopen(fd, "w") as fh:
                fh.write(str(os.getpid()))
            return self
        raise RenderError(f"Could not take the lock {self.path}; other batches keep taking "
                          "it. Try again.")

    def _release(self, fd: int) -> None:
        try:
            self.path.unlink(missing_ok=True)  # while still holding it: see __enter__
        except OSError:
            pass
        os.close(fd)

    def __exit__(self, *exc):
        if self.fd is not None:
            fd, self.fd = self.fd, None
            self._release(fd)
            return
        try:  # pragma: no cover - Windows
            if self.path.read_text().strip() == str(os.getpid()):
                self.path.unlink()
        except OSError:
            pass


# --------------------------------------------------------------------------- specs, results
@dataclasses.dataclass
class RunSpec:
    """One run of the matrix: a notebook for a segment, all a worker needs to execute it.

    Picklable (it crosses to the worker processes) and free of open resources.
    """

    #: The run's manifest entry (notebook, segment, paths, provenance, cache key).
    entry: dict
    #: The notebook file to execute (``.ipynb`` or a jupytext text notebook).
    input: str
    #: The parameters injected into the notebook.
    params: dict
    #: Where the report and the executed notebook go.
    html_path: str
    ipynb_path: str
    #: What the page shows about the run (title, segment, month, provenance).
    context: dict
    source: str | None = None
    timeout: float | None = None
    run_timeout: float | None = None
    #: The data's "as of" date shown on the page.
    data_date: str | None = None
    #: The folder of prepared segment slices (set by :func:`prepare_data`).
    prepared: str | None = None

    @property
    def notebook(self) -> str:
        return self.entry["notebook"]

    @property
    def segment(self) -> str:
        return self.entry["segment"]

    @property
    def account_id(self) -> str | None:
        """The account of a per-account run (``per: account``), else None."""
        return self.entry.get("account_id")


@dataclasses.dataclass
class RunResult:
    """What one run gave: its status (see :mod:`cslib.pages`), error, headlines, duration.

    ``write_error`` (path, errno, text) says the report could not be written (disk
    full, read-only folder): nothing was written and the batch stops on it.
    """

    status: str
    error: str | None = None
    headlines: list = dataclasses.field(default_factory=list)
    duration_s: float | None = None
    write_error: dict | None = None
    #: Where the run executed (``host:pid`` of the local worker, or a dask worker's address).
    worker: str | None = None
    #: The report's files ``[(path, bytes or text)]``, when the worker hands them back for
    #: this process to write (remote workers) instead of writing them itself.
    files: list | None = None

    @classmethod
    def crashed(cls, exc: BaseException) -> RunResult:
        """The result of a run whose worker process itself died."""
        return cls(status=FAILED, error=f"worker crashed: {type(exc).__name__}: {exc}")

    def manifest_fields(self) -> dict:
        """The fields this result adds to the run's manifest entry."""
        out = {"status": self.status, "error": self.error, "headlines": self.headlines,
               "duration_s": self.duration_s}
        if self.worker is not None:
            out["worker"] = self.worker
        return out


# --------------------------------------------------------------------------- one run
class _RunTimeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise _RunTimeout


def _run_timeout_message(limit) -> str:
    return f"the whole run took longer than the per-run limit `run_timeout` ({limit} s)"


def _expire_run(expired) -> None:
    """The per-run timer of a run off the main thread: mark it, kill its kernel."""
    expired.set()
    _kill_kernel()


def _execute_run(spec: RunSpec, deliver: bool = False) -> RunResult:
    """Execute one notebook for one segment and write its .ipynb and .html (worker side).

    A failure of the notebook (error, timeout, dead kernel) is a report of the
    failure. A failure to *write* the report (disk full, read-only folder) is
    returned as ``write_error`` (path, errno, text) and nothing is written: the
    batch stops on it. With ``deliver`` the files are returned in
    :attr:`RunResult.files` for the caller to write (a remote worker).
    """
    import threading

    import papermill as pm
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    start = time.monotonic()
    # Named after this worker, so the next batch can remove it if this one is killed.
    work = Path(tempfile.mkdtemp(prefix=f"{RUN_DIR_PREFIX}{_tmp_tag()}-"))
    executed = work / "executed.ipynb"
    headlines_path = work / "headlines.json"
    old_env = {k: os.environ.get(k) for k in (ENV_VAR, "CSLIB_SOURCE", PREPARED_ENV)}
    os.environ[ENV_VAR] = str(headlines_path)
    if spec.source:
        os.environ["CSLIB_SOURCE"] = spec.source
    if spec.prepared:
        os.environ[PREPARED_ENV] = spec.prepared
    status, error = OK, None
    # The kernel inherits fd 2: keep its chatter off the terminal, in a log we can quote.
    kernel_log = work / "kernel.log"
    sys.stderr.flush()
    saved_fd2 = os.dup(2)
    log_fd = os.open(kernel_log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    use_alarm = (bool(spec.run_timeout) and hasattr(signal, "setitimer")
                 and threading.current_thread() is threading.main_thread())
    if use_alarm:
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, float(spec.run_timeout))
    # Off the main thread (a dask worker runs its tasks in a thread) there is no alarm:
    # a timer kills the run's kernel instead, and the run is reported as timed out.
    expired = threading.Event()
    timer = None
    if spec.run_timeout and not use_alarm:
        timer = threading.Timer(float(spec.run_timeout), _expire_run, args=(expired,))
        timer.daemon = True
        timer.start()
    warm, cell_error, engine = None, False, None
    try:
        extra = {}
        if os.environ.get(FRESH_KERNELS_ENV) != "1":
            from papermill.engines import papermill_engines

            engine = _warm_engine()
            engine.notebook = None
            papermill_engines.register("cslib-warm", engine)
            warm = _WarmKernel.get(many=spec.account_id is not None)
            code = warm.setup_code(str(work),
                                   {k: os.environ[k] for k in old_env if k in os.environ},
                                   [k for k in old_env if k not in os.environ])
            extra = {"engine_name": "cslib-warm", "km": warm.km, "setup_code": code,
                     "request_save_on_cell_execute": False}
            extra["kc"] = warm.client()  # skips a new client's ~0.2 s wait for the kernel
        else:  # a fresh kernel, which dies with this worker all the same
            extra = {"kernel_manager_class": _kernel_manager_class()}
        source_path = spec.input
        if Path(source_path).suffix != ".ipynb":  # papermill reads .ipynb only
            source_path = str(work / "input.ipynb")
            Path(source_path).write_text(_notebook_json(spec.input), encoding="utf-8")
        # A warm run keeps its notebook in memory (engine.notebook); a fresh one saves it.
        pm.execute_notebook(
            source_path, None if engine is not None else str(executed),
            parameters=spec.params, kernel_name="python3",
            cwd=str(work), execution_timeout=spec.timeout, progress_bar=False,
            log_output=False, start_timeout=120, **extra,
        )
    except PapermillExecutionError as err:
        cell_error = True
        if err.ename == "NoDataError":
            status, error = NO_DATA, _ANSI.sub("", str(err.evalue))
        else:
            status, error = FAILED, f"{err.ename}: {_ANSI.sub('', str(err.evalue))}"
    except CellTimeoutError:
        status, error = TIMED_OUT, (f"a cell ran longer than the per-cell limit `timeout` "
                                    f"({spec.timeout} s)")
    except _RunTimeout:
        status, error = TIMED_OUT, _run_timeout_message(spec.run_timeout)
    except DeadKernelError:
        status, error = KERNEL_DIED, ("the kernel died (out of memory, killed, os._exit or a "
                                      "crash in native code)")
    except Exception as err:  # anything else still leaves a report of the failure
        status, error = FAILED, f"{type(err).__name__}: {_ANSI.sub('', str(err))}"
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        if timer is not None:
            timer.cancel()
        if expired.is_set():  # whatever the kernel's death looked like to nbclient
            status, error = TIMED_OUT, _run_timeout_message(spec.run_timeout)
            cell_error = False
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
    error = error.splitlines()[0][:300] if error else None
    result = {"status": status, "error": error, "headlines": read_headlines(headlines_path)}
    files = None
    try:
        import nbformat

        if engine is not None and engine.notebook is not None:
            nb = engine.notebook  # executed in this process: no need to read it back
        else:
            nb = (nbformat.read(executed, as_version=4) if executed.exists()
                  else nbformat.from_dict(read_notebook(spec.input)))
        if status in (TIMED_OUT, KERNEL_DIED):
            _mark_stopped(nb, status, error or status)
        data_date = spec.data_date or next(
            (h.get("text") or h.get("value") for h in result["headlines"]
             if h.get("name") == "data_date"), None)
        page = render_html(nb, context={**spec.context, "status": status, "error": error,
                                        "data_date": data_date})
        # the input was valid and papermill only adds outputs: skip re-validating it
        files = [(Path(spec.ipynb_path), nbformat.v4.nbjson.writes(nb)),
                 (Path(spec.html_path), page)]
    except Exception as err:
        result.update(status=FAILED if status == OK else status,
                      error=error or f"rendering failed: {type(err).__name__}: {err}")
    try:
        if files and deliver:
            result["files"] = [(str(path), data) for path, data in files]
        elif files:
            files[0][0].parent.mkdir(parents=True, exist_ok=True)
            _atomic_write_all(files)
    except OSError as err:
        result["write_error"] = _os_error_info(err, spec.html_path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    # Everything a report costs in this worker: set-up, execution, HTML export, writing.
    return RunResult(
        status=result["status"], error=result["error"],
        headlines=[h for h in result["headlines"] if h.get("name") != "data_date"],
        duration_s=round(time.monotonic() - start, 2), write_error=result.get("write_error"),
        worker=f"{socket.gethostname()}:{os.getpid()}", files=result.get("files"))


def _execute_batch(specs: Sequence[RunSpec], deliver: bool = False) -> list[RunResult]:
    """Execute runs one after the other in this worker, on its warm kernel (worker side).

    The runs of one segment go together: the kernel keeps the segment's data
    loaded between them (see :mod:`cslib.brief`).
    """
    return [_execute_run(spec, deliver=deliver) for spec in specs]


def write_delivered(result: RunResult) -> RunResult:
    """Write the files a remote worker handed back (:attr:`RunResult.files`), atomically."""
    if result.files:
        files = [(Path(p), data) for p, data in result.files]
        try:
            files[0][0].parent.mkdir(parents=True, exist_ok=True)
            _atomic_write_all(files)
        except OSError as err:
            result.write_error = _os_error_info(err, files[-1][0])
        result.files = None
    return result


_NOTEBOOK_JSON: dict = {}


def _notebook_json(path: str) -> str:
    """A text notebook as .ipynb JSON, read once per file version in this worker."""
    import nbformat

    st = os.stat(path)
    key = (path, st.st_mtime_ns, st.st_size)
    if key not in _NOTEBOOK_JSON:
        _NOTEBOOK_JSON.clear()  # one notebook at a time is what the batch runs
        _NOTEBOOK_JSON[key] = nbformat.writes(read_notebook(path))
    return _NOTEBOOK_JSON[key]


def _os_error_info(err: OSError, default_path: str | os.PathLike) -> dict:
    return {"path": str(err.filename or default_path), "errno": err.errno,
            "code": errno.errorcode.get(err.errno or 0, "unknown"),
            "text": err.strerror or str(err)}


# --------------------------------------------------------------------------- batch helpers
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
    """The notebooks of ``notebooks_dir`` by name: ``*.ipynb`` files and jupytext text
    notebooks (``*.py`` percent scripts); where both exist the text form is the source."""
    available = {p.stem: p for p in sorted(notebooks_dir.glob("*.ipynb"))
                 if not p.name.startswith(".")}
    available.update({p.stem: p for p in sorted(notebooks_dir.glob("*.py"))
                      if not p.name.startswith(".") and is_text_notebook(p)})
    available = dict(sorted(available.items()))
    if not available:
        raise ParamsError(f"No notebooks (*.py text notebooks or *.ipynb) found in "
                          f"{notebooks_dir}. Run from the project folder (`cslib init DIR` "
                          "makes one), or check the `notebooks` folder.")
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
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass


def _data_facts(wh, cut: str = "segment") -> dict:
    """What the batch needs to know about the data, cached per data version.

    ``segments`` are the values of the ``cut`` (segments, CSMs or sales owners).
    """
    import pandas as pd

    from .readers import cut_labels

    as_of, where = None, None
    for table, column in EVENT_COLUMNS:
        frame = wh.get(table)
        if frame is None or column not in frame.columns or frame.empty:
            continue
        value = frame[column].max()
        if pd.notna(value) and (as_of is None or value > as_of):
            as_of, where = pd.Timestamp(value), f"{table}.{column}"
    last = wh.data_date
    sizes = cut_labels(wh, cut).dropna().astype(str).value_counts()
    return {"data_date": last.strftime("%Y-%m") if last is not None else None,
            "as_of": as_of.isoformat(sep=" ") if as_of is not None else None,
            "as_of_column": where,
            "segments": sorted(sizes.index),
            "segment_sizes": {k: int(v) for k, v in sorted(sizes.items())}}


def _merge_facts(parts: Iterable[dict]) -> dict:
    """The :func:`_data_facts` of a whole warehouse from those of its segments."""
    parts = list(parts)
    dates = [p["data_date"] for p in parts if p["data_date"]]
    stamps = [(p["as_of"], p["as_of_column"]) for p in parts if p["as_of"]]
    as_of, where = max(stamps, key=lambda x: datetime.datetime.fromisoformat(x[0]),
                       default=(None, None))
    sizes = {k: v for p in parts for k, v in p["segment_sizes"].items()}
    return {"data_date": max(dates, default=None), "as_of": as_of, "as_of_column": where,
            "segments": sorted(sizes), "segment_sizes": dict(sorted(sizes.items()))}


def _prepare_by_segment(cache: Path, key: str, source: str, csv, jobs: int,
                        err: TextIO, timezone: str | None = None) -> dict | None:
    """Validate a DuckDB source a segment at a time in ``jobs`` processes, writing the
    slices :func:`_prepare_data` would write, and return the data's facts (None: this
    source cannot be validated that way; see :func:`cslib.io.prepare_segments_one_by_one`).
    """
    from .io import _kind, load, prepare_segments_one_by_one

    if _kind(source) != "duckdb":
        return None
    start = time.monotonic()
    try:
        accounts = load(source, tables=["accounts"], csv=csv)["accounts"]
    except SchemaError:
        return None  # the whole source's validation lists this with every other problem
    sizes = accounts["segment"].dropna().astype(str).value_counts()
    if sizes.empty:
        return None
    slugs = segment_slugs(["all", *sizes.index])
    print(f"validating and preparing {len(sizes)} segment(s), {jobs} at a time", file=err)
    new_dirs = [p for p in (cache.parent, cache) if not p.exists()]
    try:
        done = prepare_segments_one_by_one(
            source, cache / f"slices-{key}", {s: slugs[s] for s in sizes.index}, csv=csv,
            jobs=jobs, summarise=_data_facts, initializer=_die_with_batch, timezone=timezone)
    except OSError:
        done = None  # the cache cannot be written: the batch's own checks will say why
    if done is None:
        for folder in reversed(new_dirs):  # bad data writes nothing, not even a folder
            with contextlib.suppress(OSError):
                folder.rmdir()
        return None
    for note in done["notes"]:
        print(f"note: {note}", file=err)
    print(f"data validated and prepared in {time.monotonic() - start:.1f} s", file=err)
    return _merge_facts(done["summaries"].values())


def latest_complete_month(mrr_month: str | None, as_of, *,
                          where: str | None = None) -> tuple[str | None, str]:
    """The latest complete month of the data, ``"YYYY-MM"``, and why.

    A month is complete when the data reaches its last day: the data's "as of"
    time, its latest dated event (an NPS answer or invitation, a ticket opened or
    resolved, a close-the-loop action: :data:`EVENT_COLUMNS`), falls on or after
    the month's last calendar day. The MRR table is a monthly snapshot and says
    nothing about days, so it only caps the answer (the month must have MRR).
    Without any dated event, the MRR table's latest month is taken as it is.

    Parameters
    ----------
    mrr_month : str or None
        The MRR table's latest month, ``"YYYY-MM"``.
    as_of : str, Timestamp or None
        The latest dated event.
    where : str, optional
        Where ``as_of`` was found (``"table.column"``), for the explanation.

    Returns
    -------
    (str or None, str)
        The month (None without MRR) and a sentence saying why.

    Examples
    --------
    >>> latest_complete_month("2026-10", "2026-10-31 10:18")[0]
    '2026-10'
    >>> latest_complete_month("2026-10", "2026-10-15 09:00")
    ('2026-09', 'the latest complete month: 2026-10 is partial (the last dated event is 2026-10-15 09:00)')
    """
    import pandas as pd

    if mrr_month is None:
        return None, "the data has no MRR"
    if as_of is None:
        return mrr_month, ("the latest month with MRR; there are no dated events (NPS answers, "
                           "tickets, loop actions) to tell whether it is complete")
    as_of = pd.Timestamp(as_of)
    stamp = as_of.strftime("%Y-%m-%d %H:%M") + (f", {where}" if where else "")
    month = as_of.to_period("M")
    if as_of.day < month.days_in_month:
        month -= 1
    mrr = pd.Period(mrr_month, "M")
    if mrr < month:
        return str(mrr), (f"the latest complete month: the dated events run to {stamp}, "
                          f"but MRR only to {mrr}")
    if month < mrr:
        return str(month), (f"the latest complete month: {month + 1} is partial (the last "
                            f"dated event is {stamp})")
    return str(month), (f"the latest complete month: the last dated event ({stamp}) is on "
                        "or after its last day")


def _prepare_data(cache: Path, key: str, wh, source: str, csv, segments: Mapping[str, str],
                  err: TextIO, timezone: str | None = None, cut: str = "segment") -> Path:
    """Each segment's validated tables as Parquet, once per data version (see
    :func:`cslib.io.prepare_segments`): a report reads its slice and validates nothing.

    Kept in ``<output>/.cache/slices-<key>/`` and reused while the data, the kit's code and
    the segments are unchanged; older versions are removed.
    """
    from .io import load, prepare_segments, prepared_segments

    folder = cache / f"slices-{key}"
    done = prepared_segments(folder, source, csv)
    if not set(segments) <= set(done):
        start = time.monotonic()
        if wh is None:
            wh = load(source, csv=csv, timezone=timezone)
        wanted = {**done, **segments}
        prepare_segments(wh, folder, wanted, csv=csv, cut=cut)
        print(f"data prepared for {len(wanted)} segment(s) in "
              f"{time.monotonic() - start:.1f} s", file=err)
    for old in cache.glob("slices-*"):
        if old.is_dir() and old != folder:
            shutil.rmtree(old, ignore_errors=True)
    return folder.resolve()


def _mib(n: float) -> str:
    return f"{n / 2**20:,.1f} MiB"


def _check_free_space(month_dir: Path, n_runs: int) -> None:
    """Stop before any kernel starts if the output disk cannot hold ``n_runs`` reports."""
    needed = n_runs * SPACE_PER_RUN + SPACE_MARGIN
    try:
        free = shutil.disk_usage(month_dir).free
    except OSError:
        return  # cannot tell: the writes themselves will say
    if free < needed:
        raise RenderError(
            f"Not enough free space to render {n_runs} report(s) into {month_dir}: "
            f"{_mib(free)} free, about {_mib(needed)} needed ({_mib(SPACE_PER_RUN)} per report "
            f"plus {_mib(SPACE_MARGIN)} for the manifest, the overview and the data cache). "
            "Free some space on that disk, write the reports to another disk with --output, "
            "or render fewer reports (--notebooks, --segments). Nothing was run.")


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel the runs not started and end the running ones now (their kernels die too)."""
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            proc.terminate()
        except (OSError, AttributeError, ValueError):
            pass


def _write_failed_message(info: Mapping[str, Any], *, manifest: Path, written: int,
                          left: int) -> str:
    full = info.get("errno") in (errno.ENOSPC, errno.EDQUOT)
    what = ("Free some space on that disk" if full else "Make that folder writable")
    return (
        f"Stopped: cannot write {info['path']} ({info['text']}, errno {info['code']}). "
        f"{written} report(s) were written in this batch before that and {left} run(s) were "
        f"not finished; every report listed in {manifest} is complete and is kept, and no "
        f"temporary file is left. {what} (or write to another disk with --output), then run "
        "the same command again: finished reports are skipped and only the rest runs.")


# --------------------------------------------------------------------------- plan
def _run_key(entry: Mapping) -> tuple:
    """A manifest entry's identity: notebook, segment and, for a brief, account."""
    return (entry.get("notebook"), entry.get("segment"), entry.get("account_id"))


@dataclasses.dataclass
class MonthPlan:
    """The month as planned before anything runs: what to render, where, and why.

    Made by :func:`plan_month`; the later steps (:func:`check_before_start`,
    :func:`prepare_data`, an :class:`Executor`, :func:`publish_month`) read it.
    """

    month: str
    #: Why this month (``"as asked"``, or how ``month: latest`` was resolved).
    why: str
    output: Path
    month_dir: Path
    source: str
    fingerprint: str
    kit_code: str
    #: What the batch knows about the data (dates, segments and their sizes).
    facts: dict
    #: Segments to render, and every segment of the data (``"all"`` first).
    segments: list[str]
    known: list[str]
    slugs: dict[str, str]
    #: The params file's notebooks, in its order (the order of the overview).
    notebooks: list[str]
    versions: dict[str, str]
    commit: str
    locale: str
    csv: dict | None
    jobs: int
    #: The previous manifest's entries, by (notebook, segment).
    previous: dict
    #: The runs to execute (largest segments first) and the unchanged entries kept.
    runs: list[RunSpec]
    cached: list[dict]
    #: The warehouse, when planning had to load it whole (reused to prepare the slices).
    warehouse: Any = None
    #: The report timezone the data's offsets are converted to.
    timezone: str | None = None
    #: What one report covers: segment, csm or owner (``cut`` in the params file).
    cut: str = "segment"
    #: ``"account"``: per-account notebooks render one page per account.
    per: str | None = None
    #: The paying accounts of the planned segments (``per: account``): account_id,
    #: name, segment, csm.
    accounts: list = dataclasses.field(default_factory=list)
    #: Where the data slices go for the workers (default ``<output>/.cache``).
    shared_folder: str | None = None
    #: Earlier months' manifest runs (read once): their durations order the runs.
    history: dict | None = None

    @property
    def manifest_path(self) -> Path:
        return self.month_dir / MANIFEST

    @property
    def data_date(self) -> str | None:
        """The data's last MRR month as the report month sees it: never after the month."""
        last = self.facts["data_date"]
        return min(last, self.month) if last else last

    @property
    def shown_date(self) -> str | None:
        """What the pages say the data is "as of": the day of the latest dated record, or
        the month's last day when the data go on after it (a report knows nothing later)."""
        day = self.facts["as_of"][:10] if self.facts.get("as_of") else self.facts["data_date"]
        year, month = (int(x) for x in self.month.split("-"))
        month_last = f"{self.month}-{calendar.monthrange(year, month)[1]:02d}"
        return min(day, month_last) if day else day


def _select_notebooks(params: BatchParams, notebooks_dir: Path, only: Iterable[str] | None
                      ) -> tuple[dict[str, Path], dict[str, dict], dict[str, Path]]:
    """The params file's notebooks, their declared parameters, and the ones to run."""
    configured = _notebook_paths(notebooks_dir, params.notebooks)
    # ``--notebooks path/to/new.py``: a notebook file outside the params file, to preview
    extra = {}
    for name in only or ():
        path = Path(name)
        if path.suffix in NOTEBOOK_SUFFIXES and path.is_file():
            if path.stem in configured and path.resolve() != configured[path.stem].resolve():
                raise ParamsError(f"--notebooks {name}: the params file already has a "
                                  f"notebook named {path.stem!r} ({configured[path.stem]}). "
                                  "Rename the new notebook.")
            extra[path.stem] = path
    declared = {name: notebook_parameters(path) for name, path in {**configured, **extra}.items()}
    check_parameter_keys(params, declared)
    # the values' types against the annotations of the parameters cells, before any kernel
    check_parameter_types(params, {n: read_notebook(p)
                                   for n, p in {**configured, **extra}.items()})
    if only is None:
        return configured, declared, configured
    only = [Path(n).stem if Path(n).stem in extra else _notebook_name(n) for n in only]
    missing = [n for n in only if n not in configured and n not in extra]
    if missing:
        raise ParamsError(f"--notebooks {missing} not in the params file's notebooks "
                          f"{sorted(configured)}; to preview another notebook, give its "
                          "path (e.g. --notebooks path/to/new.py).")
    return ({**configured, **extra}, declared,
            {n: extra.get(n, configured.get(n)) for n in dict.fromkeys(only)})


def _read_data_facts(params: BatchParams, output: Path, source: str, fp: str, kit_code: str,
                     jobs: int, dry_run: bool, err: TextIO) -> tuple[dict, Any]:
    """The data's facts (cached per data version) and the warehouse if it had to be loaded.

    Validates the data on the way (bad data: :class:`SchemaError`, nothing run).
    """
    from .io import load

    facts_path = output / ".cache" / f"data-{fp}-{kit_code[:16]}.json"
    try:
        facts = json.loads(facts_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        facts = None
    if (isinstance(facts, dict) and facts.get("csv") == params.csv
            and "segment_sizes" in facts):
        return facts, None
    wh = None
    by_segment = None
    if not dry_run and "all" not in params.segments and params.cut == "segment":
        # no report needs the whole warehouse in pandas, so neither does its validation
        by_segment = _prepare_by_segment(output / ".cache", f"{fp}-{kit_code[:16]}",
                                         source, params.csv, jobs, err,
                                         timezone=params.timezone)
    if by_segment is not None:
        facts = {"csv": params.csv, **by_segment}
    else:
        # validates every table: bad data -> SchemaError
        wh = load(source, csv=params.csv, timezone=params.timezone)
        for note in wh.notes:
            print(f"note: {note}", file=err)
        facts = {"csv": params.csv, **_data_facts(wh, cut=params.cut)}
    if not dry_run:  # the same data need not be validated again (fast re-runs)
        try:
            facts_path.parent.mkdir(parents=True, exist_ok=True)
            _atomic_write(facts_path, _json(facts))
        except OSError:
            pass
    return facts, wh


def resolve_month(month: str, facts: Mapping, source: str | None = None) -> tuple[str, str]:
    """The month to render (``"latest"`` resolved against the data) and why.

    Raises
    ------
    ParamsError
        ``latest`` without MRR data, or a month after the data's last month.
    """
    data_date = facts["data_date"]
    complete, why_complete = latest_complete_month(data_date, facts["as_of"],
                                                   where=facts.get("as_of_column"))
    if month == "latest":
        if complete is None:
            raise ParamsError("`month: latest` needs MRR data to find the latest month; the "
                              "`mrr` table is empty. Set `month` to 'YYYY-MM'.")
        return complete, f"`month: latest` is {why_complete}"
    if data_date is not None and month > data_date:
        raise ParamsError(f"`month` {month} is after the data's last month {data_date} "
                          f"({_mask_url(source)}). Pick a month up to {data_date} or 'latest'.")
    why = "as asked"
    if complete is not None and month > complete:
        why += (f"; note: the data's latest complete month is {complete}, so {month} "
                "is partial")
    return month, why


def _resolve_segments(params: BatchParams, facts: Mapping) -> tuple[list[str], list[str]]:
    """The segments to render and every segment of the data (``"all"`` first)."""
    if "all" in facts["segments"]:
        n = facts.get("segment_sizes", {}).get("all")
        who = f"{n} account(s) have" if n is not None else "some accounts have"
        raise SchemaError(
            f"accounts.segment: {who} the segment `all`, which is the kit's name for the "
            "whole-base report: their reports and manifest entries would be confused with "
            "it. Rename that segment in the export (e.g. `All accounts`) and run again.")
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
    return segments, known


def _plan_runs(plan: MonthPlan, params: BatchParams, nb_paths: Mapping[str, Path],
               declared: Mapping[str, dict], force: bool, explicit: bool = True) -> None:
    """Fill ``plan.runs`` and ``plan.cached``: the run matrix, each run's cache key."""
    from . import __version__

    month, fp, output = plan.month, plan.fingerprint, plan.output
    for nb_name, nb_path in nb_paths.items():
        nb_hash = _sha256_file(nb_path)
        names = declared[nb_name]
        title = notebook_title(read_notebook(nb_path), nb_name, locale=params.locale)
        per_account = "account_id" in names
        if per_account and plan.per != "account":
            if not explicit:  # "every notebook in the folder": the briefs need --per account
                continue
            raise ParamsError(f"Notebook {nb_name!r} renders one page per account (it declares "
                              "`account_id`): run it with --per account (or `per: account` in "
                              "the params file).")
        matrix = ([(a["segment"], a) for a in plan.accounts] if per_account
                  else [(seg, None) for seg in plan.segments])
        acc_slugs = (segment_slugs(a["account_id"] for a in plan.accounts)
                     if per_account else {})
        for seg, acc in matrix:
            standard = {"segment": seg, "month": month, "source": plan.source,
                        "locale": params.locale, "csv": params.csv,
                        "mask_pii": params.mask_pii, "data_date": plan.data_date}
            if acc is not None:
                standard["account_id"] = acc["account_id"]
            run_params = {k: v for k, v in standard.items() if k in names}
            run_params.update({k: v for k, v in params.parameters.items() if k in names})
            run_params.update({k: v for k, v in params.overrides.get(seg, {}).items()
                               if k in names})
            key = cache_key(nb_hash, run_params, fp, plan.versions, plan.kit_code)
            slug = plan.slugs[seg]
            if acc is not None:
                slug = f"{slug}/{acc_slugs[acc['account_id']]}"
            html_rel, ipynb_rel = f"{nb_name}/{slug}.html", f"{nb_name}/{slug}.ipynb"
            html_path = _inside(output, plan.month_dir / html_rel)
            ipynb_path = _inside(output, plan.month_dir / ipynb_rel)
            # the source as the params file gives it (relative to the project), never the
            # absolute path of the machine that renders: same inputs, same page bytes
            shown = {k: (_mask_url(params.source) if k == "source" else v)
                     for k, v in run_params.items()}
            entry = {
                "notebook": nb_name, "title": title, "segment": seg, "slug": slug,
                "params": shown, "html": html_rel, "ipynb": ipynb_rel,
                "data_fingerprint": fp, "notebook_sha256": nb_hash, "versions": plan.versions,
                "kit_code_sha256": plan.kit_code, "git_commit": plan.commit, "cache_key": key,
            }
            if acc is not None:
                entry.update(account_id=acc["account_id"], account_name=acc["name"],
                             csm=acc["csm"])
            old = plan.previous.get(_run_key(entry))
            if (not force and old and old.get("status") in SUCCESS
                    and old.get("cache_key") == key
                    and html_path.exists() and ipynb_path.exists()):
                plan.cached.append(old)
                continue
            plan.runs.append(RunSpec(
                entry=entry, input=str(nb_path.resolve()), params=run_params,
                source=plan.source, timeout=params.timeout, run_timeout=params.run_timeout,
                data_date=plan.shown_date, html_path=str(html_path),
                ipynb_path=str(ipynb_path),
                context={"title": title, "segment": seg if acc is None
                         else f"{seg} · {acc['name']}", "month": month,
                         "notebook": nb_path.name, "notebook_hash": nb_hash,
                         "fingerprint": fp, "kit_version": __version__,
                         "git_commit": plan.commit, "params": shown,
                         "locale": params.locale},
            ))
    # longest expected runs first, so that no worker is left with a long report at the end
    if plan.history is None:
        plan.history = _history(plan.output, plan.month)
    known = [plan.previous.values(), *plan.history.values()]  # latest month first
    plan.runs[:] = order_runs(plan.runs, plan.facts["segment_sizes"], known)


def order_runs(runs: Sequence[RunSpec], sizes: Mapping[str, int],
               known: Iterable[Iterable[Mapping]] = ()) -> list[RunSpec]:
    """The runs, longest expected first (segment reports), then the briefs by segment.

    A report's expected time is what the same notebook took for the same segment
    in ``known`` (manifest entries with ``duration_s``; the first list that has
    it wins, e.g. this month's previous batch, then earlier months, latest
    first); else the notebook's known seconds per account times the segment's
    size (``sizes``, accounts per segment); else all known notebooks' seconds
    per account; with nothing known, the segment's size. Briefs keep their
    segment together, largest segment first.

    Examples
    --------
    >>> from types import SimpleNamespace as S
    >>> runs = [S(notebook=n, segment=g, account_id=None) for n in ("a", "b")
    ...         for g in ("big", "small")]
    >>> seen = [[{"notebook": "b", "segment": "big", "duration_s": 10.0},
    ...          {"notebook": "a", "segment": "small", "duration_s": 1.0}]]
    >>> [(r.notebook, r.segment) for r in order_runs(runs, {"big": 100, "small": 50}, seen)]
    [('b', 'big'), ('b', 'small'), ('a', 'big'), ('a', 'small')]
    """
    exact: dict = {}
    rate_time: dict = {}
    rate_size: dict = {}
    for entries in known:
        for r in entries:
            d, seg = r.get("duration_s"), r.get("segment")
            if d is None or r.get("account_id") is not None or r.get("status") not in (
                    None, *SUCCESS):
                continue
            k = (r.get("notebook"), seg)
            if k in exact:
                continue
            exact[k] = float(d)
            if sizes.get(seg):
                for nb in (r.get("notebook"), None):
                    rate_time[nb] = rate_time.get(nb, 0.0) + float(d)
                    rate_size[nb] = rate_size.get(nb, 0) + sizes[seg]
    everyone = sum(sizes.values())

    def expected(run) -> float:
        size = sizes.get(run.segment, everyone)
        if (run.notebook, run.segment) in exact:
            return exact[(run.notebook, run.segment)]
        for nb in (run.notebook, None):
            if rate_size.get(nb):
                return rate_time[nb] / rate_size[nb] * size
        return float(size)

    reports = sorted((r for r in runs if r.account_id is None), key=lambda r: -expected(r))
    briefs = sorted((r for r in runs if r.account_id is not None),
                    key=lambda r: -sizes.get(r.segment, everyone))
    return reports + briefs


def _paying_accounts(plan: MonthPlan, wh) -> list[dict]:
    """The accounts of the planned segments that pay in the month (``per: account``)."""
    import pandas as pd

    from .io import load
    from .readers import cut_labels

    tables = ["accounts", "mrr"] + (["opportunities"] if plan.cut == "owner" else [])
    if wh is None or not all(t in wh for t in tables):
        wh = load(plan.source, tables=tables, csv=plan.csv, timezone=plan.timezone)
    mrr = wh["mrr"]
    # the report each account's brief belongs to: its segment, CSM or sales owner
    accounts = wh["accounts"].assign(segment=cut_labels(wh, plan.cut).to_numpy())
    month = pd.Timestamp(plan.month + "-01")
    paying = mrr.loc[(pd.to_datetime(mrr["month"]).dt.to_period("M")
                      == month.to_period("M")) & (mrr["mrr"] > 0), "account_id"].unique()
    acc = accounts.loc[accounts["account_id"].isin(paying)
                       & (pd.to_datetime(accounts["signup_date"]) < month + pd.offsets.MonthBegin(1)
                          if "signup_date" in accounts else accounts["account_id"].notna())]
    if "all" not in plan.segments:
        acc = acc.loc[acc["segment"].astype(str).isin(plan.segments)]
    acc = acc.loc[acc["segment"].notna()].sort_values(["segment", "account_id"])
    csm = acc["csm"] if "csm" in acc else pd.Series(None, index=acc.index)
    name = acc["name"] if "name" in acc else acc["account_id"]
    return [{"account_id": str(a), "name": str(n), "segment": str(s),
             "csm": None if pd.isna(c) else str(c)}
            for a, n, s, c in zip(acc["account_id"], name, acc["segment"], csm, strict=True)]


def plan_month(
    params: BatchParams,
    *,
    output: str | os.PathLike = "reports",
    notebooks_dir: str | os.PathLike = "notebooks",
    only: Iterable[str] | None = None,
    force: bool = False,
    dry_run: bool = False,
    err: TextIO | None = None,
) -> MonthPlan:
    """Plan the month: notebooks, data (checked), month, segments, run matrix, cache keys.

    Writes nothing but the data cache (and not even that for a dry run). The
    arguments are those of :func:`render`.
    """
    from .io import fingerprint

    err = err or sys.stderr
    output = Path(output)
    configured, declared, nb_paths = _select_notebooks(params, Path(notebooks_dir), only)
    source = _resolve_source(params.source)
    fp = fingerprint(source)
    if params.timezone != DEFAULT_TIMEZONE or params.cut != "segment":
        # the same files read in another timezone, or cut another way, are other data:
        # other slices, facts and cache keys
        fp = hashlib.sha256(f"{fp}|{params.timezone}|{params.cut}".encode()
                            ).hexdigest()[:len(fp)]
    kit_code = kit_code_hash()  # once per batch: part of every cache key
    jobs = params.jobs or os.cpu_count() or 1
    facts, wh = _read_data_facts(params, output, source, fp, kit_code, jobs, dry_run, err)
    month, why = resolve_month(params.month, facts, source)
    segments, known = _resolve_segments(params, facts)
    month_dir = output / month
    plan = MonthPlan(
        month=month, why=why, output=output, month_dir=month_dir, source=source,
        fingerprint=fp, kit_code=kit_code, facts=facts, segments=segments, known=known,
        slugs=segment_slugs(known), notebooks=list(configured), versions=package_versions(),
        commit=git_commit(Path.cwd()), locale=params.locale, csv=params.csv, jobs=jobs,
        timezone=params.timezone, cut=params.cut,
        previous={_run_key(r): r
                  for r in _read_manifest(month_dir / MANIFEST).get("runs", [])},
        runs=[], cached=[], warehouse=wh, per=params.per, shared_folder=params.shared_folder)
    if params.per == "account":
        plan.accounts = _paying_accounts(plan, wh)
    _plan_runs(plan, params, nb_paths, declared, force,
               explicit=params.notebooks is not None or only is not None)
    return plan


def _print_plan(plan: MonthPlan, out: TextIO) -> None:
    """The dry run's table: every run of the matrix, cached or to run."""
    def seg(entry):  # a brief's row names its account too
        aid = entry.get("account_id")
        return entry["segment"] + (f" / {aid}" if aid is not None else "")

    rows = [(r["notebook"], seg(r), str(plan.month_dir / r["html"]), "cached")
            for r in plan.cached]
    rows += [(s.notebook, seg(s.entry), str(plan.month_dir / s.entry["html"]), "would run")
             for s in plan.runs]
    widths = [max([len(h)] + [len(r[i]) for r in rows])
              for i, h in enumerate(("notebook", "segment", "output"))]
    print(f"month {plan.month}: {plan.why}", file=out)
    print(f"{'notebook':<{widths[0]}}  {'segment':<{widths[1]}}  "
          f"{'output':<{widths[2]}}  status", file=out)
    for r in rows:
        print(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}",
              file=out)
    print(f"{len(rows)} runs: {len(plan.runs)} would run, {len(plan.cached)} cached "
          f"(month {plan.month}, data {plan.fingerprint}).", file=out)


# --------------------------------------------------------------------------- check, prepare
def check_before_start(plan: MonthPlan) -> None:
    """Stop before any kernel starts if the month folder cannot be written or lacks space.

    (The month lock, the last check, is taken by :func:`render` around the run.)
    """
    month_dir = plan.month_dir
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
    if plan.runs:
        _check_free_space(month_dir, len(plan.runs))


def prepare_data(plan: MonthPlan, err: TextIO | None = None) -> Path:
    """Each planned segment's validated slice, once per data version; the runs read them.

    Sets ``prepared`` on every run of the plan and lets go of the plan's warehouse.
    """
    cache = Path(plan.shared_folder) if plan.shared_folder else plan.output / ".cache"
    folder = _prepare_data(cache, f"{plan.fingerprint}-{plan.kit_code[:16]}",
                           plan.warehouse, plan.source, plan.csv,
                           {s: plan.slugs[s] for s in plan.segments}, err or sys.stderr,
                           timezone=plan.timezone, cut=plan.cut)
    plan.warehouse = None  # the workers read their slices; this process lets the tables go
    for run in plan.runs:
        run.prepared = str(folder)
    return folder


# --------------------------------------------------------------------------- execute
class Executor(Protocol):
    """Where the runs execute: the seam between planning and publishing.

    :meth:`run` executes every spec and calls ``on_result(spec, result)`` in this
    process as each run finishes, in finishing order; when ``on_result`` returns
    False the runs left are stopped (their kernels too) and :meth:`run` returns.
    A worker that dies gives :meth:`RunResult.crashed`.
    """

    def run(self, specs: Sequence[RunSpec],
            on_result: Callable[[RunSpec, RunResult], bool]) -> None: ...


def execute_runs(plan: MonthPlan, executor: Executor, err: TextIO | None = None, *,
                 steps: dict | None = None) -> tuple[list[dict], list[dict]]:
    """Execute the plan's runs, publishing the month after each; returns (executed, listed).

    ``executed`` are the manifest entries of this batch's runs, ``listed`` every
    entry of the month's manifest. ``steps``, when given, gets where the time
    went: ``first_result_s`` (from the start to the first finished run: workers
    and kernels starting, and that run) and ``publish_s`` (writing manifests and
    overviews).

    Raises
    ------
    RenderError
        A report, the manifest or the overview could not be written: the batch
        stopped there; every report the manifest lists is complete.
    """
    err = err or sys.stderr
    results: list[dict] = []
    stop: dict | None = None  # a write that failed (disk full...): the batch ends there
    last = [time.monotonic()]
    steps = steps if steps is not None else {}
    steps["publish_s"] = 0.0
    begun = time.monotonic()

    def on_result(spec: RunSpec, res: RunResult) -> bool:
        nonlocal stop
        if res.write_error:
            stop = res.write_error
            return False
        results.append({**spec.entry, **res.manifest_fields()})
        now = time.monotonic()
        steps.setdefault("first_result_s", now - begun)
        if len(plan.runs) > PUBLISH_EVERY_RUN and now - last[0] < PUBLISH_INTERVAL:
            progress.update(res.status in SUCCESS)
            return True  # thousands of briefs: publish every few seconds, and at the end
        last[0] = now
        try:
            publish_month(plan, results)
        except OSError as exc:
            stop = _os_error_info(exc, plan.manifest_path)
            return False
        finally:
            steps["publish_s"] += time.monotonic() - now
        progress.update(res.status in SUCCESS)
        return True

    if plan.runs:
        n = len(plan.runs)
        jobs = getattr(executor, "jobs", None)
        print(f"rendering {n} run(s) for {plan.month} ({plan.why})"
              + (f" with {jobs} job(s)" if jobs else "")
              + (f"; {len(plan.cached)} unchanged" if plan.cached else ""), file=err)
        progress = _Progress(n, err)
        executor.run(plan.runs, on_result)
    listed: list[dict] = []
    if stop is None:
        t = time.monotonic()
        try:
            listed = publish_month(plan, results)
        except OSError as exc:
            stop = _os_error_info(exc, plan.manifest_path)
        steps["publish_s"] += time.monotonic() - t
    if stop is not None:
        _clean_leftovers(plan.month_dir)  # temporary files of runs stopped mid-write
        raise RenderError(_write_failed_message(
            stop, manifest=plan.manifest_path, written=len(results),
            left=len(plan.runs) - len(results))) from None
    return results, listed


# --------------------------------------------------------------------------- publish
def publish_month(plan: MonthPlan, done: list[dict]) -> list[dict]:
    """Write the month's manifest and overview; returns the manifest's entries.

    Called after every finished run, so a batch killed at any point leaves a
    manifest and an overview that list exactly the reports on disk: this
    batch's runs (``done``), the unchanged ones, and earlier runs whose page
    is still there.
    """
    from . import __version__

    nb_rank = {n: i for i, n in enumerate(plan.notebooks)}
    seg_rank = {s: i for i, s in enumerate(plan.known)}
    current = {_run_key(r): r for r in plan.cached + done}
    others = [r for k, r in plan.previous.items() if k not in current
              and (plan.month_dir / r.get("html", "")).is_file()]
    runs = sorted([*current.values(), *others], key=lambda r: (
        nb_rank.get(r["notebook"], len(nb_rank)), r["notebook"],
        seg_rank.get(r["segment"], len(seg_rank)), r["segment"], r.get("account_id") or ""))
    facts = plan.facts
    manifest = {"month": plan.month, "source": _mask_url(plan.source),
                "data_fingerprint": plan.fingerprint, "data_date": facts["data_date"],
                "data_as_of": facts["as_of"], "kit_version": __version__,
                "kit_code_sha256": plan.kit_code, "git_commit": plan.commit,
                "locale": plan.locale, "versions": plan.versions, "runs": runs}
    month_context = {"data_date": plan.shown_date, "fingerprint": plan.fingerprint,
                     "kit_version": __version__, "kit_code": plan.kit_code,
                     "git_commit": plan.commit}
    digest_text, digest_html = render_digest(plan.month, [r for r in runs
                                                          if r.get("account_id") is None],
                                             locale=plan.locale)
    _atomic_write(plan.manifest_path, _manifest_text(manifest))
    from .brief import brief_index_rows, render_brief_index

    briefs = [r for r in runs if r.get("account_id") is not None]
    for nb_name in dict.fromkeys(r["notebook"] for r in briefs):
        folder = _inside(plan.output, plan.month_dir / nb_name)
        folder.mkdir(parents=True, exist_ok=True)
        _atomic_write(folder / "index.html", render_brief_index(
            plan.month, [r for r in briefs if r["notebook"] == nb_name],
            context=month_context, locale=plan.locale))
    _atomic_write_all([
        (plan.month_dir / "index.html", render_index(
            plan.month, brief_index_rows(runs, locale=plan.locale), context=month_context,
            locale=plan.locale)),
        (plan.month_dir / "digest.txt", digest_text),
        (plan.month_dir / "digest.html", digest_html)])
    return runs


def _history(output: Path, month: str, months: int = 11) -> dict[str, list]:
    """The runs of the ``months`` months before ``month`` that have a manifest in
    ``output``, latest first: their durations order this batch's runs (longest first).
    The overview's figures do not come from here (each report computes its own
    previous month and trend from the data: :mod:`cslib.trend`)."""
    year, m = (int(x) for x in month.split("-"))
    out = {}
    for k in range(1, months + 1):
        index = year * 12 + m - 1 - k
        earlier = f"{index // 12:04d}-{index % 12 + 1:02d}"
        runs = _read_manifest(output / earlier / MANIFEST).get("runs")
        if runs:
            out[earlier] = runs
    return out


def _summarise(plan: MonthPlan, results: list[dict], runs: list[dict], out: TextIO
               ) -> BatchResult:
    """Print what the batch did and return it."""
    month_dir = plan.month_dir
    bad = [r for r in results if r["status"] not in SUCCESS]
    counts = {s: sum(r["status"] == s for r in results) for s in (OK, NO_DATA, FAILED,
                                                                   TIMED_OUT, KERNEL_DIED)}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    print(f"{plan.month}: {len(results)} run(s) executed"
          + (f" ({summary})" if summary else ""), file=out)
    if plan.cached:
        print(f"unchanged, skipped {len(plan.cached)} (use --force to re-render)", file=out)
    for r in bad:
        print(f"  {r['status'].upper()}: {r['notebook']} / {r['segment']}: {r['error']} -> "
              f"{month_dir / r['html']}", file=out)
    print(f"overview: {month_dir / 'index.html'}", file=out)
    return BatchResult(plan.month, month_dir, runs, len(results), len(plan.cached),
                       1 if bad else 0)


# --------------------------------------------------------------------------- the batch
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
    executor: Executor | None = None,
) -> BatchResult:
    """Run the batch described by ``params`` (what ``cslib render`` does).

    Everything that can be checked is checked before any kernel starts
    (params, notebook parameters, data, output folder, lock). The steps:
    :func:`plan_month`, :func:`check_before_start`, the month lock,
    :func:`prepare_data`, :func:`execute_runs` (with ``executor``) which
    calls :func:`publish_month` after every run.

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
    executor : Executor, optional
        Where the runs execute (default: ``params.executor``: a
        :class:`LocalPoolExecutor` with ``params.jobs`` processes, at most one
        per run, or a :class:`DaskExecutor` on ``params.scheduler``, whose
        scheduler is reached before anything is planned).

    Raises
    ------
    ParamsError, SchemaError, SourceError
        Bad params or data (nothing was executed).
    RenderError
        The month is locked by another batch, the output disk lacks the space for
        the runs (nothing was executed), or a write failed mid-batch (disk full,
        read-only folder): the batch stopped, finished reports are kept.
    """
    out = out or sys.stdout
    err = err or sys.stderr
    if executor is None and params.executor == "dask" and not dry_run:
        # the scheduler is reached (or not) before anything is planned, prepared or run
        executor = executor_for(params, jobs=params.jobs or os.cpu_count() or 1)
    started = time.monotonic()
    plan = plan_month(params, output=output, notebooks_dir=notebooks_dir, only=only,
                      force=force, dry_run=dry_run, err=err)
    if dry_run:
        _print_plan(plan, out)
        return BatchResult(plan.month, plan.month_dir, [], 0, len(plan.cached), 0)
    steps = {"plan_s": time.monotonic() - started}
    check_before_start(plan)
    with _MonthLock(plan.month_dir / LOCK):
        _clean_leftovers(plan.month_dir)
        _clean_stale_tmp()  # what killed batches left in the system's temporary folder
        try:
            t = time.monotonic()
            if plan.runs:
                prepare_data(plan, err)
                executor = executor or LocalPoolExecutor(min(plan.jobs, len(plan.runs)))
            steps["prepare_s"] = time.monotonic() - t
            t = time.monotonic()
            results, runs = execute_runs(plan, executor, err, steps=steps)
            steps["execute_s"] = time.monotonic() - t
            if plan.runs:  # where the batch's time went (the bench reads this line)
                print("steps: " + ", ".join(f"{k} {v:.2f}" for k, v in steps.items()),
                      file=err)
        finally:
            if executor is not None and hasattr(executor, "close"):
                executor.close()  # a dask client this batch opened
            if plan.runs:
                _clean_stale_tmp()  # the workers are gone: their kernel logs can go
    return _summarise(plan, results, runs, out)


def main(args) -> int:
    """``cslib render``: run the batch from parsed command-line arguments; returns the exit code.

    Exit codes: 0 every run succeeded, 1 some runs failed, 2 bad input found before
    any kernel started, or the batch stopped because the output could not be written
    (both raised as a :class:`~cslib.exceptions.CslibError`).
    """
    where = getattr(args, "params", None) or "params/monthly.yaml"
    raw = read_params_file(where)
    for key in ("month", "segments", "jobs", "per", "executor", "scheduler", "shared_folder"):
        value = getattr(args, key, None)
        if value is not None:
            raw[key] = list(value) if isinstance(value, tuple) else value
    if getattr(args, "scheduler", None) and getattr(args, "executor", None) is None:
        raw["executor"] = "dask"  # --scheduler alone means the dask executor
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


from .executors import DaskExecutor, LocalPoolExecutor, executor_for  # noqa: E402 (re-export)
