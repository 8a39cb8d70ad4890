"""The executors: batch order, and the per-run limit on dask workers."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import pytest

from cslib.demo import write_demo_data
from cslib.executors import DaskExecutor
from cslib.params import load_params

FIXTURES = Path(__file__).resolve().parent / "notebooks"
MONTH = "2026-10"


# --------------------------------------------------------------------------- dask: run_timeout
@pytest.mark.slow
def test_dask_workers_enforce_run_timeout_and_the_batch_goes_on(tmp_path):
    """`steps` sleeps six cells of 15 s (90 s), over `run_timeout` (25 s: room for the
    worker's first kernel to start) though every cell is under `timeout`; `ok`, after
    it on the same single worker, is quick. Dask workers run their tasks off the main
    thread (no SIGALRM), and the run must still stop, say why, and leave the worker
    able to run the next one."""
    distributed = pytest.importorskip("distributed")
    proj = tmp_path / "proj"
    (proj / "notebooks").mkdir(parents=True)
    for name in ("steps", "ok"):
        shutil.copy(FIXTURES / f"{name}.ipynb", proj / "notebooks" / f"{name}.ipynb")
    db = write_demo_data(tmp_path / "d.duckdb", n_accounts=40)
    (proj / "p.yaml").write_text(
        f"month: '{MONTH}'\nsource: {db}\nsegments: [SMB]\nnotebooks: [steps, ok]\n"
        "timeout: 60\nrun_timeout: 25\nparameters: {pause: 15}\n", encoding="utf-8")
    from cslib import runner

    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cl, \
            distributed.Client(cl) as client, contextlib.chdir(proj):
        res = runner.render(load_params(proj / "p.yaml"), output="reports",
                            notebooks_dir="notebooks", executor=DaskExecutor(client=client),
                            out=io.StringIO(), err=io.StringIO())
    assert res.exit_code == 1
    month_dir = proj / "reports" / MONTH
    runs = {r["notebook"]: r for r in json.loads((month_dir / "manifest.json").read_text())["runs"]}
    assert runs["steps"]["status"] == "timed out"
    assert runs["steps"]["error"] == ("the whole run took longer than the per-run limit "
                                      "`run_timeout` (25 s)")
    assert runs["ok"]["status"] == "ok"  # the batch went on after the timed-out run
    page = (month_dir / "steps" / "smb.html").read_text(encoding="utf-8")
    assert "This run timed out." in page and "step 6 done" not in page


# --------------------------------------------------------------------------- warm kernels
def test_a_warm_kernel_over_its_memory_limit_is_replaced(monkeypatch):
    import os

    from jupyter_core.utils import run_sync

    from cslib import kernels

    assert kernels._resident_bytes(None) == 0
    assert kernels._resident_bytes(os.getpid()) > 10 * 2**20  # this Python, pandas loaded
    try:
        first = kernels._WarmKernel.get()
        assert kernels._WarmKernel.get() is first  # kept between reports
        held = kernels._resident_bytes(kernels._kernel_pid(first.km))
        assert held > 0
        monkeypatch.setattr(kernels, "KERNEL_RSS_LIMIT", held - 1)
        second = kernels._WarmKernel.get()
        assert second is not first
        assert not run_sync(first.km.is_alive)()  # the old one was shut down
        monkeypatch.setattr(kernels, "KERNEL_RSS_LIMIT", 2**40)
        assert kernels._WarmKernel.get() is second
    finally:
        kernels._WarmKernel.discard()
