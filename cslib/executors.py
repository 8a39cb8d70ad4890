"""Where the batch's runs execute: a local process pool, or a dask.distributed cluster.

Both follow :class:`cslib.runner.Executor`: ``run(specs, on_result)``. Runs go to
workers in batches (:func:`make_batches`), not one task per report: a
segment's per-account briefs travel together, so the worker's warm kernel
loads the segment's data once for all of them (see :mod:`cslib.brief`).

- :class:`LocalPoolExecutor`: ``jobs`` spawned processes on this machine, one
  warm kernel each; the workers write the pages.
- :class:`DaskExecutor`: the workers of a ``dask.distributed`` scheduler
  (``executor: dask``, ``scheduler: tcp://host:8786``). The data slices are
  prepared once, in ``shared_folder`` (a folder every worker reads) or the
  output's cache folder on one machine; the workers hand the pages back and
  this process writes them, so the workers need no access to the reports
  folder. A batch whose worker is lost is resubmitted (dask reschedules it,
  and :class:`DaskExecutor` resubmits a batch dask gave up on); the manifest
  records which worker ran each report (``worker``).

Examples
--------
>>> from types import SimpleNamespace as S
>>> runs = [S(account_id=None, segment="all")] + [S(account_id=f"A{i}", segment="SMB")
...                                               for i in range(5)]
>>> [len(b) for b in make_batches(runs, workers=1, per_batch=2)]
[1, 2, 2, 1]
"""

from __future__ import annotations

import math
import multiprocessing
import os
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed

from .exceptions import RenderError

__all__ = ["LocalPoolExecutor", "DaskExecutor", "make_batches", "executor_for",
           "MAX_BATCH", "BATCHES_PER_WORKER"]

#: At most this many briefs in one batch task ...
MAX_BATCH = 32
#: ... and about this many batches per worker, so a lost worker or an uneven segment
#: leaves little work on one worker at the end.
BATCHES_PER_WORKER = 4


def make_batches(specs: Sequence, *, workers: int, per_batch: int | None = None
                 ) -> list[list]:
    """Group runs into batch tasks.

    A run without an account (a segment's report) is a batch of its own; the
    per-account runs of one segment are cut into chunks of ``per_batch`` (by
    default ``ceil(n / (workers * BATCHES_PER_WORKER))``, at most
    :data:`MAX_BATCH`). Segment reports first (the plan puts the largest
    first), then the chunks in plan order.
    """
    singles = [[s] for s in specs if s.account_id is None]
    by_segment: dict[str, list] = {}
    for s in specs:
        if s.account_id is not None:
            by_segment.setdefault(s.segment, []).append(s)
    n = sum(len(v) for v in by_segment.values())
    size = per_batch or max(1, min(MAX_BATCH,
                                   math.ceil(n / (max(1, workers) * BATCHES_PER_WORKER))))
    chunks = [runs[i:i + size] for runs in by_segment.values()
              for i in range(0, len(runs), size)]
    return singles + chunks


class LocalPoolExecutor:
    """The runs in a pool of ``jobs`` local processes (spawned), one warm kernel each."""

    def __init__(self, jobs: int, *, per_batch: int | None = None):
        self.jobs = max(1, int(jobs))
        self.per_batch = per_batch

    def run(self, specs, on_result: Callable) -> None:
        from .io import _cores_each
        from .kernels import _worker_init
        from .runner import RunResult, _execute_batch, _stop_pool

        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=self.jobs, mp_context=ctx,
                                 initializer=_worker_init,
                                 initargs=(_cores_each(self.jobs),)) as pool:
            futures = {pool.submit(_execute_batch, b): b
                       for b in make_batches(specs, workers=self.jobs,
                                             per_batch=self.per_batch)}
            try:
                for fut in as_completed(futures):
                    batch = futures[fut]
                    try:
                        results = fut.result()
                    except Exception as exc:  # a worker process itself died
                        results = [RunResult.crashed(exc)] * len(batch)
                    for spec, res in zip(batch, results, strict=True):
                        if not on_result(spec, res):
                            _stop_pool(pool)
                            return
            except KeyboardInterrupt:
                pool.shutdown(wait=False, cancel_futures=True)
                raise


# --------------------------------------------------------------------------- dask
_WORKER_LOCK = threading.Lock()
_WORKER_READY: list[bool] = []


def _dask_batch(specs) -> list:
    """Worker side of :class:`DaskExecutor`: one batch on this worker's warm kernel."""
    from .runner import _execute_batch

    try:
        from distributed import get_worker

        where = get_worker().address
    except (ImportError, ValueError):
        where = None
    with _WORKER_LOCK:  # one warm kernel per process: one batch at a time
        if not _WORKER_READY:
            os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
            from .kernels import THREAD_ENV, skip_iri_grammar

            skip_iri_grammar()

            for name in THREAD_ENV:
                os.environ.setdefault(name, "1")
            _WORKER_READY.append(True)
        results = _execute_batch(specs, deliver=True)
    for res in results:
        if where:
            res.worker = where
    return results


class DaskExecutor:
    """The runs on the workers of a ``dask.distributed`` cluster, in batches.

    Parameters
    ----------
    scheduler : str, optional
        The scheduler's address (``tcp://host:8786``).
    client : distributed.Client, optional
        A client already connected (a test's ``LocalCluster``); not closed here.
    per_batch : int, optional
        Runs per batch task (default: see :func:`make_batches`).
    resubmit : int
        How many times a batch that dask gave up on (its workers kept dying) is
        submitted again before its runs are reported as crashed.
    connect_timeout : float
        Seconds to wait for the scheduler (and for a first worker).
    """

    def __init__(self, scheduler: str | None = None, *, client=None,
                 per_batch: int | None = None, resubmit: int = 2,
                 connect_timeout: float = 10):
        if scheduler is None and client is None:
            raise RenderError("`executor: dask` needs the scheduler's address: set "
                              "`scheduler: tcp://host:8786` in the params file or pass "
                              "--scheduler tcp://host:8786.")
        self.scheduler, self.client = scheduler, client
        self.per_batch, self.resubmit = per_batch, resubmit
        self.connect_timeout = connect_timeout
        self._own = client is None

    def connect(self):
        """Connect to the scheduler and wait for a worker; a clear error if it cannot."""
        if self.client is None:
            try:
                from distributed import Client
            except ImportError:
                raise RenderError("`executor: dask` needs dask.distributed: pip install "
                                  "'dask[distributed]' (or use `executor: local`).") from None
            try:
                self.client = Client(self.scheduler, timeout=f"{self.connect_timeout}s",
                                     set_as_default=False)
            except (OSError, TimeoutError) as exc:
                raise RenderError(
                    f"Cannot reach the dask scheduler at {self.scheduler} "
                    f"({type(exc).__name__}: {str(exc).splitlines()[0][:200]}). Start it "
                    f"(`dask scheduler`) and its workers (`dask worker {self.scheduler}`), "
                    "check `scheduler:` in the params file or --scheduler, or use `executor: "
                    "local`. Nothing was run.") from None
        try:
            self.client.wait_for_workers(1, timeout=self.connect_timeout)
        except (OSError, TimeoutError):
            self.close()
            raise RenderError(f"The dask scheduler at {self.scheduler or self.client} has no "
                              f"worker after {self.connect_timeout:g} s. Start workers with "
                              f"`dask worker {self.scheduler or '<address>'}`. Nothing was "
                              "run.") from None
        return self.client

    @property
    def jobs(self) -> int | None:
        if self.client is None:
            return None
        return len(self.client.scheduler_info().get("workers", {})) or None

    def close(self) -> None:
        if self._own and self.client is not None:
            try:
                self.client.close()
            except Exception:
                pass
            self.client = None

    def _submit(self, batch):
        return self.client.submit(_dask_batch, batch, pure=False,
                                  key=f"cslib-batch-{uuid.uuid4().hex}")

    def run(self, specs, on_result: Callable) -> None:
        from distributed import as_completed as dask_completed

        from .runner import RunResult, write_delivered

        self.connect()
        try:
            pending = {}
            for batch in make_batches(specs, workers=self.jobs or 1, per_batch=self.per_batch):
                pending[self._submit(batch)] = (batch, 0)
            done = dask_completed(list(pending))
            for fut in done:
                batch, tries = pending.pop(fut)
                try:
                    results = fut.result()
                except Exception as exc:  # KilledWorker: its workers kept dying
                    if tries < self.resubmit:
                        new = self._submit(batch)
                        pending[new] = (batch, tries + 1)
                        done.add(new)
                        continue
                    results = [RunResult.crashed(exc) for _ in batch]
                for spec, res in zip(batch, results, strict=True):
                    if not on_result(spec, write_delivered(res)):
                        for f in pending:
                            f.cancel()
                        return
        finally:
            self.close()


def executor_for(params, *, jobs: int, scheduler: str | None = None):
    """The executor the params name (``executor:``, ``scheduler:``), connected.

    Raises
    ------
    RenderError
        The dask scheduler cannot be reached (checked here, before anything runs).
    """
    if getattr(params, "executor", "local") != "dask":
        return LocalPoolExecutor(jobs)
    ex = DaskExecutor(scheduler or params.scheduler)
    ex.connect()
    return ex
