"""The bench's arithmetic and its parallel naive loop (no timings asserted)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace as S

from cslib import bench
from cslib.runner import order_runs


def test_projection_worked_by_hand():
    # 10 s fixed + 4 s to start a worker + ceil(5000 / 8) = 625 briefs x 0.5 s = 326.5 s
    costs = {"fixed_s": 10.0, "start_per_worker_s": 4.0, "per_brief_s": 0.5}
    assert bench.project_briefs(costs, 5000, 8) == 326.5
    # 50,000 on 32 workers: ceil(1562.5) = 1563 briefs x 0.5 s + 14 s = 795.5 s
    assert bench.project_briefs(costs, 50_000, 32) == 795.5
    assert bench.project_briefs({"per_brief_s": None}, 10, 2) is None


def test_brief_costs_from_a_manifest():
    runs = [{"worker": "a", "duration_s": d} for d in (6.0, 1.0, 1.0)]
    runs += [{"worker": "b", "duration_s": d} for d in (3.0, 1.0, 1.0, 1.0)]
    c = bench.brief_costs(runs, wall=12.0)
    assert c["per_brief_s"] == 1.0  # median of 1,1,1,1,1,3,6
    assert c["start_per_worker_s"] == 3.5  # ((6 - 1) + (3 - 1)) / 2
    assert c["fixed_s"] == 4.0  # 12 s wall - the busiest worker's 8 s


def test_batch_steps_counts_the_idle_core_seconds():
    err = ("data validated and prepared in 28.3 s\n"
           "steps: plan_s 31.19, prepare_s 0.00, publish_s 5.51, execute_s 90.00\n")
    b = bench.batch_steps(err, [{"worker": "x", "duration_s": 80.0},
                                {"worker": "y", "duration_s": 70.0}], wall=125.0, jobs=2)
    assert b["validate_prepare_s"] == 28.3 and b["plan_s"] == 31.19
    assert b["idle_core_s"] == 100.0  # 2 x 125 - 150
    assert b["busy_by_worker_s"] == {"x": 80.0, "y": 70.0}


def test_a_parallel_sample_is_whole_rounds_of_the_workers():
    matrix = list(range(72))
    assert len(bench.naive_sample(matrix, 7, jobs=2)) == 8
    assert len(bench.naive_sample(matrix, 8, jobs=3)) == 9
    assert bench.naive_sample(matrix, 0, jobs=2) == matrix
    assert bench.naive_sample(matrix, 7, jobs=2) == bench.naive_sample(matrix, 7, jobs=2)


def _fake_tools(tmp_path, monkeypatch, body: str):
    tool = tmp_path / "tool"
    tool.write_text(f"#!/bin/sh\n{body}\n")
    tool.chmod(0o755)
    monkeypatch.setattr(bench, "_tool", lambda name: [str(tool)])


def test_the_parallel_loop_runs_every_report_through_xargs(tmp_path, monkeypatch):
    # each fake report records its process: xargs -P 2 must run them all, side by side
    _fake_tools(tmp_path, monkeypatch, f"echo $$ >> {tmp_path}/pids; sleep 0.2")
    nbs = [tmp_path / "a.ipynb", tmp_path / "b.ipynb"]
    for nb in nbs:
        nb.write_text("{}")
    failures: list = []
    res = bench.measure_naive_parallel(tmp_path, nbs, ["S1", "S2", "S3"], Path("db"),
                                       jobs=2, sample=3, runs=1, failures=failures)
    assert failures == [] and res["failed_reports"] == 0
    assert res["runner"] == "xargs -P" and res["jobs"] == 2
    assert res["timed_reports"] == 4 and res["reports"] == 6 and res["sampled"]
    # papermill and nbconvert for each of the 4 sampled reports
    assert len((tmp_path / "pids").read_text().split()) == 8


def test_a_failing_report_of_the_parallel_loop_is_recorded(tmp_path, monkeypatch):
    _fake_tools(tmp_path, monkeypatch, "echo broken >&2; exit 3")
    nb = tmp_path / "a.ipynb"
    nb.write_text("{}")
    failures: list = []
    res = bench.measure_naive_parallel(tmp_path, [nb], ["S1", "S2"], Path("db"), jobs=2,
                                       sample=None, runs=1, failures=failures)
    assert res["failed_reports"] == 2
    assert {f["exit_code"] for f in failures} == {"3"} and "broken" in failures[0]["stderr"]


def _spec(nb, seg, acc=None):
    return S(notebook=nb, segment=seg, account_id=acc)


def test_runs_are_ordered_longest_expected_first():
    sizes = {"big": 1000, "mid": 500, "small": 100}
    runs = [_spec(nb, g) for nb in ("quick", "slow", "new") for g in sizes]
    runs.append(_spec("brief", "small", "A1"))
    runs.append(_spec("brief", "big", "A2"))
    known = [[{"notebook": "slow", "segment": "small", "duration_s": 20.0},   # 0.2 s/acct
              {"notebook": "quick", "segment": "big", "duration_s": 5.0},     # 0.005 s/acct
              {"notebook": "quick", "segment": "mid", "duration_s": 99.0,
               "status": "failed"}],                                          # ignored
             [{"notebook": "slow", "segment": "small", "duration_s": 1.0}]]   # older: loses
    got = [(r.notebook, r.segment) for r in order_runs(runs, sizes, known)]
    # slow: big 200, mid 100, small 20 (its own); new: overall (25 s / 1100 accounts)
    # big 22.7, mid 11.4, small 2.3; quick: big 5 (its own), mid 2.5, small 0.5
    assert got == [("slow", "big"), ("slow", "mid"), ("new", "big"), ("slow", "small"),
                   ("new", "mid"), ("quick", "big"), ("quick", "mid"), ("new", "small"),
                   ("quick", "small"), ("brief", "big"), ("brief", "small")]


def test_without_history_the_largest_segments_go_first():
    runs = [_spec("x", "small"), _spec("x", "big")]
    assert [r.segment for r in order_runs(runs, {"big": 9, "small": 1})] == ["big", "small"]


def test_failed_history_is_not_an_estimate():
    runs = [_spec("x", "a"), _spec("x", "b")]
    known = [[{"notebook": "x", "segment": "b", "duration_s": 50.0, "status": "failed"}]]
    assert [r.segment for r in order_runs(runs, {"a": 10, "b": 5}, known)] == ["a", "b"]
