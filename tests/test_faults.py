"""Faults in an unattended batch: a killed batch is resumed, nothing finished is lost.

The kill test starts a real `cslib render` process, SIGKILLs it once the first
report is written, checks what is left on disk, and runs the same command
again.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cslib.demo import write_demo_data

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "notebooks"

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("faults")]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    return write_demo_data(tmp_path_factory.mktemp("data") / "d.duckdb", n_accounts=60)


def _render(proj: Path, params: Path, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cslib", "render", "--params", str(params),
         "--output", "reports"],
        cwd=proj, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _reports_on_disk(month_dir: Path) -> set[str]:
    return {p.relative_to(month_dir).as_posix() for p in month_dir.glob("*/*.html")}


def test_a_killed_batch_leaves_finished_reports_and_resumes(tmp_path, warehouse):
    proj = tmp_path / "proj"
    (proj / "notebooks").mkdir(parents=True)
    shutil.copy(FIXTURES / "slow.ipynb", proj / "notebooks" / "slow.ipynb")
    params = proj / "p.yaml"
    # 4 runs (3 segments + "all"), 2 at a time, each sleeping 2 s.
    params.write_text(f"""
month: "2026-10"
source: {warehouse}
segments: all
notebooks: [slow]
parameters: {{pause: 2.0}}
jobs: 2
timeout: 60
""", encoding="utf-8")
    month_dir = proj / "reports" / "2026-10"

    batch = _render(proj, params)
    deadline = time.monotonic() + 120
    while not _reports_on_disk(month_dir) and time.monotonic() < deadline:
        assert batch.poll() is None, batch.communicate()
        time.sleep(0.05)
    assert _reports_on_disk(month_dir), "no report was written within 2 minutes"
    batch.send_signal(signal.SIGKILL)
    batch.communicate()
    finished = _reports_on_disk(month_dir)
    assert 1 <= len(finished) < 4

    # The workers die with the batch: no report appears after the kill.
    time.sleep(4)
    assert _reports_on_disk(month_dir) == finished

    # What is on disk is whole and agrees with the manifest and the overview.
    leftovers = [p.name for p in month_dir.rglob("*") if p.is_file()
                 and p.suffix not in {".html", ".ipynb", ".json"} and p.name != ".lock"]
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
    again = _render(proj, params)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, out + err
    assert f"{4 - len(finished)} run(s) executed" in out
    assert f"unchanged, skipped {len(finished)}" in out
    assert {rel: (month_dir / rel).stat().st_mtime_ns for rel in finished} == before
    manifest = json.loads((month_dir / "manifest.json").read_text(encoding="utf-8"))
    assert len(_reports_on_disk(month_dir)) == 4
    assert sorted(r["status"] for r in manifest["runs"]) == ["ok"] * 4
    assert not (month_dir / ".lock").exists()


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
