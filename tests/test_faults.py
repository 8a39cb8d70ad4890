"""Faults in an unattended batch: a killed batch is resumed, nothing finished is lost.

The kill test starts a real `cslib render` process, SIGKILLs it once the first
report is written, checks what is left on disk (and that no worker or kernel
outlives it), and runs the same command again. Other tests kill one kernel
from outside, and fill a real (tmpfs) disk in the middle of a month.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from cli_run import run_cli

from cslib import runner
from cslib.demo import write_demo_data

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "notebooks"

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("faults")]


# --------------------------------------------------------------------------- processes
def _stat_fields(pid: int) -> list[bytes] | None:
    """Fields of /proc/<pid>/stat after the command name (state, ppid, ...), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    return stat[stat.rfind(b")") + 2:].split()


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields:
                kids.setdefault(int(fields[1]), []).append(int(entry.name))
    return kids


def _running(pid: int) -> bool:
    fields = _stat_fields(pid)
    return fields is not None and fields[0] != b"Z"  # a zombie is dead, just not reaped


def _kernels(batch_pid: int) -> dict[int, int]:
    """The batch's Jupyter kernels (children of its workers): kernel PID -> worker PID."""
    kids, found = _children(), {}
    for worker in kids.get(batch_pid, []):
        for pid in kids.get(worker, []):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"ipykernel_launcher" in cmdline:
                found[pid] = worker
    return found


def _wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True



def _project(root: Path, *notebooks: str) -> Path:
    (root / "notebooks").mkdir(parents=True)
    for name in notebooks:
        shutil.copy(FIXTURES / f"{name}.ipynb", root / "notebooks" / f"{name}.ipynb")
    return root


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    return write_demo_data(tmp_path_factory.mktemp("data") / "d.duckdb", n_accounts=60)


# `cslib render` (python -m cslib render), with the kit's code hash pinned: the cache key
# includes it, and a test must not see its reports go stale because someone saved a file
# of the kit between two batches.
_CSLIB = """
import sys
from cslib import cli, runner
code = sys.argv.pop(1)
runner.kit_code_hash = lambda: code
sys.exit(cli.main(sys.argv[1:]))
"""
KIT_CODE = runner.kit_code_hash()


def _render(proj: Path, params: Path, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", _CSLIB, KIT_CODE, "render", "--params", str(params),
         "--output", "reports"],
        cwd=proj, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _reports_on_disk(month_dir: Path) -> set[str]:
    return {p.relative_to(month_dir).as_posix() for p in month_dir.glob("*/*.html")}


def test_a_killed_batch_leaves_finished_reports_and_resumes(tmp_path, warehouse):
    proj = tmp_path / "proj"
    (proj / "notebooks").mkdir(parents=True)
    shutil.copy(FIXTURES / "slow.ipynb", proj / "notebooks" / "slow.ipynb")
    params = proj / "p.yaml"
    # 4 runs (3 segments + "all"), 2 at a time: "all" sleeps 1 s, the others 4 s, so
    # the first report is recorded about 3 s before the next one is written.
    params.write_text(f"""
month: "2026-10"
source: {warehouse}
segments: all
notebooks: [slow]
parameters: {{pause: 4.0}}
overrides: {{all: {{pause: 1.0}}}}
jobs: 2
timeout: 60
""", encoding="utf-8")
    month_dir = proj / "reports" / "2026-10"

    def recorded() -> bool:  # a report is on disk, and the overview lists it
        try:
            index = (month_dir / "index.html").read_text(encoding="utf-8")
        except OSError:
            return False
        on_disk = _reports_on_disk(month_dir)
        return bool(on_disk) and all(f'href="{rel}"' in index for rel in on_disk)

    # A temporary folder of its own: batches of other tests (run in parallel) clean up
    # what dead batches leave in theirs, and would remove this one's evidence too.
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    batch = _render(proj, params, env=env)
    deadline = time.monotonic() + 120
    while not recorded() and time.monotonic() < deadline:
        assert batch.poll() is None, batch.communicate()
        time.sleep(0.05)
    assert recorded(), "no report was written within 2 minutes"
    workers = _children().get(batch.pid, [])
    kernels = _kernels(batch.pid)
    assert kernels and set(kernels.values()) <= set(workers)
    batch.send_signal(signal.SIGKILL)
    batch.communicate()
    finished = _reports_on_disk(month_dir)
    assert 1 <= len(finished) < 4

    # The workers and their kernels die with the batch: no report appears after the kill.
    assert _wait_until(lambda: not any(map(_running, [*workers, *kernels])), 30), [
        pid for pid in [*workers, *kernels] if _running(pid)]
    time.sleep(3)
    assert _reports_on_disk(month_dir) == finished
    # What they left in the temporary folder: each worker's kernel log (and the run
    # folders of the runs cut short).
    left = [p for w in workers for pattern in (f"cslib-kernel-{w}-*.log", f"cslib-run-{w}-*")
            for p in tmp.glob(pattern)]
    assert {w for w in kernels.values()} <= {int(p.name.split("-")[2]) for p in left}

    # What is on disk is whole and agrees with the manifest and the overview.
    leftovers = [p.name for p in month_dir.rglob("*") if p.is_file()
                 and p.suffix not in {".html", ".ipynb", ".json"}
                 and p.name not in {".lock", "digest.txt"}]
    assert not leftovers
    for rel in finished:
        text = (month_dir / rel).read_text(encoding="utf-8")
        assert text.rstrip().endswith("</html>")
        assert "finished" in text
        assert (month_dir / rel).with_suffix(".ipynb").is_file()
    manifest = json.loads((month_dir / "manifest.json").read_text(encoding="utf-8"))
    assert {r["html"] for r in manifest["runs"]} == finished
    assert all(r["status"] == "ok" for r in manifest["runs"])
    index = (month_dir / "index.html").read_text(encoding="utf-8")
    for rel in finished:
        assert f'href="{rel}"' in index

    # The lock of the dead batch does not block the same command, which runs the rest.
    before = {rel: (month_dir / rel).stat().st_mtime_ns for rel in finished}
    again = _render(proj, params, env=env)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, out + err
    assert f"{4 - len(finished)} run(s) executed" in out
    assert f"unchanged, skipped {len(finished)}" in out
    assert {rel: (month_dir / rel).stat().st_mtime_ns for rel in finished} == before
    manifest = json.loads((month_dir / "manifest.json").read_text(encoding="utf-8"))
    assert len(_reports_on_disk(month_dir)) == 4
    assert sorted(r["status"] for r in manifest["runs"]) == ["ok"] * 4
    assert not (month_dir / ".lock").exists()
    assert [p for p in left if p.exists()] == []  # the next run removed the dead batch's files


def test_a_second_batch_for_the_same_month_is_refused(tmp_path, warehouse):
    proj = tmp_path / "proj"
    (proj / "notebooks").mkdir(parents=True)
    shutil.copy(FIXTURES / "slow.ipynb", proj / "notebooks" / "slow.ipynb")
    params = proj / "p.yaml"
    params.write_text(f"""
month: "2026-10"
source: {warehouse}
segments: [SMB]
notebooks: [slow]
parameters: {{pause: 6.0}}
jobs: 1
""", encoding="utf-8")
    lock = proj / "reports" / "2026-10" / ".lock"
    first = _render(proj, params)
    deadline = time.monotonic() + 60
    while not lock.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert lock.exists()
    second = _render(proj, params)
    out, err = second.communicate(timeout=60)
    assert second.returncode == 2
    assert "another batch" in err.lower() or "another batch" in out.lower()
    assert str(first.pid) in err + out
    out1, err1 = first.communicate(timeout=120)
    assert first.returncode == 0, out1 + err1
    assert (proj / "reports" / "2026-10" / "slow" / "smb.html").is_file()


def test_a_kernel_killed_from_outside_is_reported_and_the_others_finish(tmp_path, warehouse):
    proj = _project(tmp_path / "proj", "waits")
    markers = tmp_path / "markers"
    markers.mkdir()
    params = proj / "p.yaml"
    params.write_text(f"""
month: "2026-10"
source: {warehouse}
segments: [SMB, Enterprise]
notebooks: [waits]
parameters: {{marker_dir: {markers}, pause: 0.0}}
overrides: {{SMB: {{pause: 300.0}}}}
jobs: 1
timeout: 600
""", encoding="utf-8")
    batch = _render(proj, params)
    marker = markers / "SMB.pid"  # written by SMB's kernel just before it sleeps
    try:
        assert _wait_until(lambda: marker.exists() or batch.poll() is not None, 120)
        assert batch.poll() is None, batch.communicate()
        kernel = int(marker.read_text())
        kernels = _kernels(batch.pid)
        assert kernel in kernels  # a worker's child, running ipykernel_launcher
        os.kill(kernel, signal.SIGKILL)
        out, err = batch.communicate(timeout=300)
    finally:
        if batch.poll() is None:
            batch.kill()
            batch.communicate()
    assert batch.returncode == 1, out + err
    month_dir = proj / "reports" / "2026-10"
    manifest = json.loads((month_dir / "manifest.json").read_text(encoding="utf-8"))
    runs = {r["segment"]: r for r in manifest["runs"]}
    assert {s: r["status"] for s, r in runs.items()} == {"SMB": "kernel died",
                                                         "Enterprise": "ok"}
    assert runs["SMB"]["error"].startswith("the kernel died")
    assert "KERNEL DIED: waits / SMB" in out
    assert "The kernel died during this run." in (month_dir / "waits" / "smb.html").read_text()
    assert "finished Enterprise" in (month_dir / "waits" / "enterprise.html").read_text()


@contextlib.contextmanager
def _tmpfs(path: Path, size: str):
    """A real, small file system at ``path`` (Linux tmpfs; needs root)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    path.mkdir(parents=True)
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                               str(path)], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot run mount: {exc}")
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here: "
                    f"{done.stderr.strip() or done.returncode}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=30)


def test_a_full_disk_mid_month_stops_cleanly_and_the_same_command_resumes(
        tmp_path, warehouse, monkeypatch):
    proj = _project(tmp_path / "proj", "big")
    params = proj / "p.yaml"
    # 4 runs (3 segments + "all"), one at a time. Each writes about 420 KB (200 KB of
    # text in the .html and again in the .ipynb): a 1 MiB disk holds two, not four.
    params.write_text(f"""
month: "2026-10"
source: {warehouse}
segments: all
notebooks: [big]
parameters: {{kilobytes: 200}}
jobs: 1
""", encoding="utf-8")
    # The check before the run estimates 4 MiB per report; lower it so the batch starts
    # and meets the full disk mid-month, as it would with reports bigger than estimated.
    monkeypatch.setattr(runner, "SPACE_PER_RUN", 64 * 1024)
    monkeypatch.setattr(runner, "SPACE_MARGIN", 0)
    monkeypatch.setattr(runner, "kit_code_hash", lambda: "d" * 64)  # others may edit the kit
    with _tmpfs(tmp_path / "disk", "1m") as disk:
        args = ("render", "--params", str(params), "--output", str(disk / "reports"))
        res = run_cli(proj, *args)
        month_dir = disk / "reports" / "2026-10"
        assert res.code == 2, res.out + res.err
        errors = [line for line in res.err.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and res.err.rstrip().endswith(errors[0])  # one paragraph
        assert re.match(r"error: Stopped: cannot write \S+/reports/2026-10/\S+ \(No space "
                        r"left on device, errno ENOSPC\)\. ", errors[0]), errors[0]
        assert "run the same command again" in errors[0]
        assert "Traceback" not in res.out + res.err
        assert [p for p in disk.rglob("*") if ".tmp-" in p.name] == []
        assert not (month_dir / ".lock").exists()
        listed = json.loads((month_dir / "manifest.json").read_text(encoding="utf-8"))["runs"]
        assert 1 <= len(listed) < 4
        for run in listed:  # every report the manifest lists is whole and readable
            page = (month_dir / run["html"]).read_text(encoding="utf-8")
            assert page.rstrip().endswith("</html>") and f"finished {run['segment']}" in page
            nbformat.read(month_dir / run["ipynb"], as_version=4)

        subprocess.run(["mount", "-o", "remount,size=8m", "tmpfs", str(disk)], check=True,
                       capture_output=True, timeout=30)  # space freed
        again = run_cli(proj, *args)
        assert again.code == 0, again.out + again.err
        assert f"unchanged, skipped {len(listed)}" in again.out
        runs = json.loads((month_dir / "manifest.json").read_text(encoding="utf-8"))["runs"]
        assert sorted(r["status"] for r in runs) == ["ok"] * 4
