"""Warm Jupyter kernels and the process plumbing of the batch's workers.

Each worker of ``cslib render`` keeps one kernel (:class:`_WarmKernel`): it
imports the kit's libraries once (:data:`PRELOAD`), is reset before every
report (through a client that stays connected) and is replaced after
:data:`RUNS_PER_KERNEL` reports or once it holds :data:`KERNEL_RSS_LIMIT`. Set
``CSLIB_FRESH_KERNELS=1`` (:data:`FRESH_KERNELS_ENV`) to start a fresh kernel
for every report instead. :func:`_warm_engine` is the papermill engine that
runs a report on the warm kernel.

Workers and their kernels die with the batch, however it dies
(``PR_SET_PDEATHSIG`` on Linux: :func:`_worker_init`,
:func:`_kernel_manager_class`). Their temporary files carry the PID and start
time of their process (:func:`_tmp_tag`), so the next batch removes what a
killed one left behind (:func:`_clean_stale_tmp`).

Examples
--------
>>> import os
>>> _tmp_tag().startswith(f"{os.getpid()}-")
True
"""

from __future__ import annotations

import multiprocessing
import os
import re
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = ["PRELOAD", "RUNS_PER_KERNEL", "FRESH_KERNELS_ENV", "RUN_DIR_PREFIX",
           "KERNEL_LOG_PREFIX"]

#: Prefixes of the batch's files in the system temporary folder; a killed batch's
#: leftovers are removed by the next batch (see :func:`_clean_stale_tmp`).
RUN_DIR_PREFIX, KERNEL_LOG_PREFIX = "cslib-run-", "cslib-kernel-"


# --------------------------------------------------------------------------- processes
def _proc_start(pid: int) -> str | None:
    """The start time of process ``pid`` (clock ticks since boot, from ``/proc``), or None.

    With the PID it names a process for good: a PID can be reused, not both.
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return None
    fields = stat[stat.rfind(b")") + 2:].split()
    if fields and fields[0] == b"Z":  # a zombie is as good as dead
        return None
    return fields[19].decode() if len(fields) > 19 else None


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


_SELF_TAG: dict[int, str] = {}


def _tmp_tag() -> str:
    """``<pid>-<start time>`` of this process, for the names of its temporary files."""
    pid = os.getpid()
    if pid not in _SELF_TAG:
        _SELF_TAG[pid] = f"{pid}-{_proc_start(pid) or 0}"
    return _SELF_TAG[pid]


_TMP_NAME = re.compile(rf"^(?:{RUN_DIR_PREFIX}(\d+)-(\d+)-.*|{KERNEL_LOG_PREFIX}(\d+)(?:-(\d+))?"
                       r"\.log)$")


def _clean_stale_tmp(tmpdir: str | os.PathLike | None = None) -> int:
    """Remove the temporary run folders and kernel logs of batch workers that are gone.

    Their names carry the worker's PID and start time; a folder whose process no
    longer runs (a batch killed with SIGKILL leaves them) is removed. Returns how
    many were removed.
    """
    tmpdir = Path(tmpdir or tempfile.gettempdir())
    removed = 0
    try:
        entries = list(os.scandir(tmpdir))
    except OSError:
        return 0
    for entry in entries:
        m = _TMP_NAME.match(entry.name)
        if not m:
            continue
        pid = int(m.group(1) or m.group(3))
        start = m.group(2) or m.group(4)
        now = _proc_start(pid)
        if now is None and not os.path.exists("/proc/self/stat"):
            alive = _pid_alive(pid)  # no /proc: the PID is all there is
        else:
            alive = now is not None and (start in (None, "0") or now == start)
        if alive:
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
            removed += 1
        except OSError:
            pass
    return removed


def _prctl():
    """libc's ``prctl`` (Linux), or None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PR_SET_PDEATHSIG = 1


def _die_with_parent_preexec():
    """A ``preexec_fn`` that has the child killed when this process dies (Linux), or None."""
    prctl = _prctl()  # looked up before the fork: the child only calls it
    if prctl is None:
        return None
    parent = os.getpid()

    def preexec():
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


_KM_CLASS: list = []
#: The kernel manager of the kernel this process launched last (one run at a time).
_LAUNCHED: list = []


def _kernel_pid(km) -> int | None:
    """The process id of ``km``'s kernel, or None (not started, or already gone)."""
    process = getattr(getattr(km, "provisioner", None), "process", None)
    return getattr(process, "pid", None)


def _resident_bytes(pid: int | None) -> int:
    """The resident memory of process ``pid`` in bytes (0 when unknown)."""
    if pid is None:
        return 0
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _kill_kernel(km=None) -> bool:
    """SIGKILL the kernel of ``km`` (default: the last one this process launched).

    Safe from any thread: it only sends a signal. The run waiting on the kernel
    then sees it dead (nbclient checks every second) and stops. Returns whether
    a kernel was signalled.
    """
    km = km if km is not None else (_LAUNCHED[0] if _LAUNCHED else None)
    pid = _kernel_pid(km) if km is not None else None
    if pid is None:
        return False
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        return False
    return True


def _kernel_manager_class():
    """jupyter_client's AsyncKernelManager, but its kernels die with the worker.

    The kernel is started in its own session (jupyter_client does that so an
    interrupt reaches its whole process group), so it would not get the signal
    that kills the batch's process group; and ipykernel only polls for its parent
    once a second. ``PR_SET_PDEATHSIG`` has the kernel killed the moment its
    worker dies (the worker itself dies with the batch the same way). Workers
    start kernels from their main thread, which lives as long as the worker.
    """
    if not _KM_CLASS:
        from jupyter_client.manager import AsyncKernelManager

        class DyingKernelManager(AsyncKernelManager):
            async def _async_launch_kernel(self, kernel_cmd, **kw):
                preexec = _die_with_parent_preexec()
                if preexec is not None:
                    kw.setdefault("preexec_fn", preexec)
                launched = await super()._async_launch_kernel(kernel_cmd, **kw)
                _LAUNCHED[:] = [self]  # what a run's timer kills (see _kill_kernel)
                return launched

        _KM_CLASS.append(DyingKernelManager)
    return _KM_CLASS[0]


# --------------------------------------------------------------------------- warm kernels
#: Imports a report kernel needs; a worker's kernel loads them once, not once per report.
PRELOAD = (
    "numpy", "pandas", "scipy.stats", "matplotlib.pyplot", "seaborn",
    "statsmodels.discrete.discrete_model", "statsmodels.duration.hazard_regression",
    "pyarrow", "babel.numbers", "cslib.context",
    "cslib.report", "cslib.plots", "cslib.nps", "cslib.revenue", "cslib.retention",
    "cslib.adoption", "cslib.review", "cslib.support", "cslib.ltv", "cslib.survey",
    "cslib.tables", "cslib.periods", "cslib.headlines", "cslib.io", "cslib.brief",
)
#: A warm kernel is replaced after this many reports, so memory cannot creep up...
RUNS_PER_KERNEL = 100
#: ... or as soon as it holds more than this much resident memory after a report
#: (bytes; Linux). Counting reports alone replaced each of two kernels once in a
#: 72-report month: about 3 s of CPU each for a new kernel and its imports.
KERNEL_RSS_LIMIT = 1536 * 2**20
#: ... or after this many per-account briefs: small pages whose segment data the kernel
#: keeps loaded between them (see :mod:`cslib.brief`), so a new kernel would cost them
#: a reload.
RUNS_PER_KERNEL_BRIEFS = 400
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
# Reports need no input history, and the two kernels of a batch would both write every
# cell of every report into the same SQLite file.
get_ipython().history_manager.enabled = False
# The libraries' objects live as long as the kernel: move them out of the collector's
# reach, so the full collections that `%reset` (and the reports) trigger stay cheap.
import gc as _gc
_gc.collect()
_gc.freeze()
del _gc
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
    #: A kernel client kept connected between briefs (see :meth:`client`).
    kc = None

    def __init__(self):
        from jupyter_core.utils import run_sync

        # The kernel inherits fd 2; keep its chatter off the terminal. The next batch
        # removes the log once this worker is gone (see _clean_stale_tmp).
        log = Path(tempfile.gettempdir()) / f"{KERNEL_LOG_PREFIX}{_tmp_tag()}.log"
        sys.stderr.flush()
        saved_fd2 = os.dup(2)
        log_fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(log_fd, 2)
        os.close(log_fd)
        # Async, as nbclient's own: a blocking client would wait on a dead kernel forever.
        self.km = _kernel_manager_class()(kernel_name="python3")
        try:
            run_sync(self.km.start_kernel)(cwd=tempfile.gettempdir())
        except BaseException:  # e.g. the run's time ran out while the kernel started
            try:
                run_sync(self.km.shutdown_kernel)(now=True)
            except Exception:
                pass
            raise
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
    def get(cls, many: bool = False) -> _WarmKernel:
        """This worker's kernel; ``many``: the run is a brief (:data:`RUNS_PER_KERNEL_BRIEFS`)."""
        from jupyter_core.utils import run_sync

        limit = RUNS_PER_KERNEL_BRIEFS if many else RUNS_PER_KERNEL
        if cls.kernel is not None and (cls.kernel.runs >= limit
                                       or _resident_bytes(_kernel_pid(cls.kernel.km))
                                       > KERNEL_RSS_LIMIT
                                       or not run_sync(cls.kernel.km.is_alive)()):
            cls.discard()
        if cls.kernel is None:
            cls.kernel = cls()
        return cls.kernel

    def client(self):
        """A client kept connected to this kernel across runs.

        nbclient connects a new client for every notebook and waits for the
        kernel to be ready, flushing its IOPub channel: about 0.2 s a report,
        most of a brief's overhead. Replies and outputs are matched to their
        request by message id, so the next run ignores whatever the previous
        one left on the channels.
        """
        if self.kc is None:
            from jupyter_core.utils import run_sync

            kc = self.km.client()
            kc.start_channels()
            try:
                run_sync(kc.wait_for_ready)(timeout=120)
            except BaseException:
                kc.stop_channels()
                raise
            self.kc = kc
        return self.kc

    @classmethod
    def discard(cls) -> None:
        if cls.kernel is not None and cls.kernel.kc is not None:
            try:
                cls.kernel.kc.stop_channels()
            except Exception:
                pass
            cls.kernel.kc = None
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
            # The first set-up imports the libraries: kernel start-up, not a cell, so it
            # gets the start-up limit rather than the per-cell `timeout`.
            cell_timeout, self.timeout = self.timeout, self.startup_timeout
            try:
                msg_id = self.kc.execute(self.setup_code, silent=True, store_history=False)
                reply = await self.async_wait_for_reply(msg_id)
            except AssertionError:  # nbclient's timeout without a cell
                raise RuntimeError(f"warm kernel set-up took over {self.timeout} s") from None
            finally:
                self.timeout = cell_timeout
            if reply is None or reply["content"]["status"] != "ok":
                detail = reply["content"].get("evalue") if reply else "no reply"
                raise RuntimeError(f"warm kernel set-up failed: {detail}")

    class WarmEngine(NBClientEngine):
        #: The notebook being executed, outputs so far included: a run that stops on
        #: a timeout or a dead kernel is reported from it (the batch asks papermill
        #: not to save the notebook after every cell).
        notebook = None

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False,
                                     stdout_file=None, stderr_file=None, start_timeout=60,
                                     execution_timeout=None, setup_code="", kc=None,
                                     **kwargs):
            cls.notebook = nb_man.nb
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            client = WarmClient(nb_man, **merge_kwargs(
                kwargs, timeout=execution_timeout, startup_timeout=start_timeout,
                kernel_name=kernel_name, log_output=log_output, stdout_file=stdout_file,
                stderr_file=stderr_file))
            client.setup_code = setup_code
            if kc is not None:  # the warm kernel's own client: left connected
                client.kc = kc
            try:
                return client.execute()
            finally:
                if client.kc is not None and client.kc is not kc:
                    client.kc.stop_channels()

    return WarmEngine


#: The thread pools of the numerical libraries (OpenBLAS, MKL, OpenMP, numexpr, Arrow).
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
              "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def _worker_init(threads: int | None = None) -> None:
    """Pool initializer: kernels draw plots inline, share the cores, die with the batch.

    An ``MPLBACKEND`` set in the user's shell (``Agg`` is common) would otherwise
    reach the kernels and silently drop every plot from the reports.

    ``threads``: the kernels' numerical thread pools get this many threads (unless
    the user set :data:`THREAD_ENV` variables). With one kernel per core, each
    library would otherwise start a thread per core in every kernel: two kernels
    each running two OpenBLAS threads on two cores fitted the retention
    regression about half as fast.

    On Linux, without ``PR_SET_PDEATHSIG`` a SIGKILLed batch would leave workers
    (and their kernels) running and writing into a month it no longer holds the
    lock for; the kernels get the same signal when their worker dies (see
    :func:`_kernel_manager_class`).
    """
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    skip_iri_grammar()
    if threads is not None:
        for name in THREAD_ENV:
            os.environ.setdefault(name, str(threads))
    _die_with_batch()


def skip_iri_grammar() -> None:
    """Keep this process's first ``import nbformat`` from building an IRI grammar.

    nbformat imports jsonschema, which builds an IRI grammar with Lark when
    ``rfc3987_syntax`` is installed: about 1 s of CPU (2 to 3 s on a busy machine)
    in every process that reads or writes a notebook, for a string format that
    notebook validation never checks. Called by the command line and the batch's
    workers, not on import: a program that imports cslib keeps its jsonschema whole.
    """
    sys.modules.setdefault("rfc3987_syntax", None)


def _die_with_batch() -> None:
    """Pool initializer: this worker gets SIGKILL when the batch process dies (Linux)."""
    prctl = _prctl()
    if prctl is not None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        parent = multiprocessing.parent_process()
        if parent is not None and os.getppid() != parent.pid:  # the batch died before prctl
            os._exit(1)
