"""Per-account briefs: the account_brief notebook, ``--per account`` and the executors.

The slow tests share one small demo warehouse (60 accounts, seed 7; SMB's
paying accounts in October 2026 are briefed) and one local-pool batch, which
the dask runs (a ``LocalCluster`` of 2 worker processes started here) are
compared against byte for byte.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
import re
import signal
import socket
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from cli_run import run_cli

from cslib import brief
from cslib.exceptions import ParamsError, RenderError
from cslib.executors import DaskExecutor, make_batches
from cslib.params import load_params, parse_params

ROOT = Path(__file__).resolve().parent.parent
MONTH = "2026-10"


# --------------------------------------------------------------------------- fast
def test_agenda_for_an_account_at_risk_lists_each_signal_in_order():
    items = brief.suggested_agenda({"class": 4, "rule": "NPS -60 (≤ -20)", "detractors": 1,
                                    "adoption": 0.0, "mrr_change_pct": -0.5, "tickets": 4,
                                    "fcr_rate": 0.25})
    assert items == [
        "Open with the risk: NPS -60 (≤ -20). Agree a recovery plan with owners and dates.",
        "Go through the detractor answer and what was done about it.",
        "Plan the adoption of the key features not yet in use (0% in use).",
        "Discuss the MRR change of -50% over 3 months.",
        "Review the 4 support tickets of the last 3 months (FCR 25%).",
        "Agree the next steps and the date of the next review.",
    ]


def test_agenda_for_a_healthy_account_in_portuguese_has_no_signal_items():
    items = brief.suggested_agenda({"class": 1, "detractors": 0, "adoption": 1.0,
                                    "mrr_change_pct": 0.1, "tickets": 5, "fcr_rate": 0.9},
                                   locale="pt-BR")
    assert items == ["Confirmar o valor entregue e pedir uma referência ou um caso de sucesso.",
                     "Combinar os próximos passos e a data da próxima revisão."]


def test_agenda_refuses_an_unknown_locale():
    with pytest.raises(ParamsError, match=r"locale='fr'.*'en', 'pt-BR'"):
        brief.suggested_agenda({"class": 1}, locale="fr")


def test_batches_keep_a_segments_accounts_together_and_reports_apart():
    runs = ([SimpleNamespace(account_id=None, segment="all")]
            + [SimpleNamespace(account_id=f"S{i}", segment="SMB") for i in range(7)]
            + [SimpleNamespace(account_id=f"E{i}", segment="Ent") for i in range(2)])
    got = make_batches(runs, workers=2)  # 9 briefs over 2 workers x 4 batches: 2 a batch
    assert [[r.account_id for r in b] for b in got] == [
        [None], ["S0", "S1"], ["S2", "S3"], ["S4", "S5"], ["S6"], ["E0", "E1"]]


@pytest.mark.parametrize("raw, match", [
    ({"per": "segment"}, r"`per` must be 'account'"),
    ({"executor": "ray"}, r"`executor` must be one of \['local', 'dask'\]"),
    ({"scheduler": "host:8786"}, r"`scheduler` must be a dask scheduler address"),
    ({"parameters": {"account_id": "A1"}}, r"sets \['account_id'\], which the batch sets"),
])
def test_params_refuse_bad_per_account_and_executor_keys(raw, match):
    with pytest.raises(ParamsError, match=match):
        parse_params(raw)


def test_dask_without_a_scheduler_says_where_to_set_it():
    with pytest.raises(RenderError, match=r"scheduler: tcp://host:8786.*--scheduler"):
        DaskExecutor()


def test_brief_index_groups_by_csm_and_escapes_names():
    runs = [{"notebook": "account_brief", "title": "Account brief", "segment": "SMB",
             "account_id": aid, "account_name": name, "csm": csm, "status": "ok",
             "html": f"account_brief/smb/{aid.lower()}.html"}
            for aid, name, csm in [("A2", "Zeta", "Ana"), ("A1", "<b>Alfa</b>", "Ana"),
                                   ("A3", "Beta", None), ("A4", "Gama", "Bruno")]]
    page = brief.render_brief_index(MONTH, runs)
    assert re.findall(r"<h2>(.*?)</h2>", page) == ["Ana (2)", "Bruno (1)", "No CSM (1)"]
    assert "&lt;b&gt;Alfa&lt;/b&gt;" in page and "<b>Alfa" not in page
    # within a CSM by name: "<b>Alfa</b>" sorts before "Zeta"
    assert page.index("a1.html") < page.index("a2.html")
    assert 'href="smb/a1.html"' in page  # relative to the notebook's folder


def test_overview_folds_briefs_into_one_row_and_keeps_failures():
    runs = [{"notebook": "cohort_nps", "segment": "SMB", "status": "ok", "html": "x"},
            *({"notebook": "account_brief", "segment": "SMB", "account_id": f"A{i}",
               "account_name": f"N{i}", "status": "failed" if i == 2 else "ok",
               "duration_s": 0.5, "html": f"b/{i}"} for i in range(3))]
    rows = brief.brief_index_rows(runs)
    assert [(r["notebook"], r["segment"], r["status"]) for r in rows] == [
        ("cohort_nps", "SMB", "ok"), ("account_brief", "3 briefs, by CSM", "ok"),
        ("account_brief", "SMB · N2", "failed")]
    assert rows[1]["html"] == "account_brief/index.html" and rows[1]["duration_s"] == 1.5


# --------------------------------------------------------------------------- slow
@pytest.fixture(scope="module")
def project(tmp_path_factory):
    from cslib.demo import generate_warehouse, write_duckdb

    proj = tmp_path_factory.mktemp("briefs") / "proj"
    (proj / "notebooks").mkdir(parents=True)
    (proj / "notebooks" / "account_brief.py").write_text(
        (ROOT / "notebooks" / "account_brief.py").read_text(encoding="utf-8"),
        encoding="utf-8")
    tables = generate_warehouse(n_accounts=60, seed=7)
    db = write_duckdb(tables, proj / "demo.duckdb")
    for locale in ("en", "pt-BR"):
        (proj / f"{locale}.yaml").write_text(f"""
month: "{MONTH}"
source: {db}
segments: [SMB]
notebooks: [account_brief]
per: account
locale: {locale}
jobs: 2
timeout: 300
""", encoding="utf-8")
    mrr, acc = tables["mrr"], tables["accounts"]
    paying = mrr.loc[(pd.to_datetime(mrr["month"]) == pd.Timestamp(f"{MONTH}-01"))
                     & (mrr["mrr"] > 0), "account_id"].unique()
    smb = acc.loc[acc["account_id"].isin(paying) & (acc["segment"] == "SMB")]
    return SimpleNamespace(proj=proj, db=db, smb=smb)


def _pages(month_dir: Path) -> dict[str, bytes]:
    return {p.relative_to(month_dir).as_posix(): p.read_bytes()
            for p in sorted(month_dir.glob("account_brief/**/*.html"))}


@pytest.fixture(scope="module")
def local(project):
    res = run_cli(project.proj, "render", "--params", "en.yaml", "--output", "local")
    month_dir = project.proj / "local" / MONTH
    again = run_cli(project.proj, "render", "--params", "en.yaml", "--output", "local")
    return SimpleNamespace(res=res, again=again, month_dir=month_dir, pages=_pages(month_dir),
                           manifest=json.loads((month_dir / "manifest.json").read_text()))


@pytest.mark.slow
def test_local_pool_renders_one_brief_per_paying_account_with_an_index_per_csm(project, local):
    assert local.res.code == 0, local.res.out + local.res.err
    runs = local.manifest["runs"]
    assert sorted(r["account_id"] for r in runs) == sorted(project.smb["account_id"])
    n = len(project.smb)  # SMB's paying accounts in October, counted in the fixture
    assert n >= 15 and len(runs) == n
    assert {r["status"] for r in runs} == {"ok"}
    assert all(re.fullmatch(r"account_brief/smb/a\d{6}\.html", r["html"]) for r in runs)
    assert all(re.fullmatch(r"[\w.-]+:\d+", r["worker"]) for r in runs)
    index = local.pages["account_brief/index.html"].decode()
    want = project.smb["csm"].value_counts()
    got = dict(re.findall(r"<h2>(.*?) \((\d+)\)</h2>", index))
    assert {k: int(v) for k, v in got.items()} == want.to_dict()
    # the month's overview links the briefs' index, not one row per brief
    overview = (local.month_dir / "index.html").read_text(encoding="utf-8")
    assert 'href="account_brief/index.html"' in overview
    assert f"{n} briefs, by CSM" in overview
    # resume: an unchanged re-run renders nothing
    assert local.again.code == 0 and f"unchanged, skipped {n}" in local.again.out


@pytest.mark.slow
def test_a_failing_brief_fails_alone(project):
    victim = sorted(project.smb["account_id"])[3]
    text = (ROOT / "notebooks" / "account_brief.py").read_text(encoding="utf-8")
    boom = text.replace("from cslib import brief, report\n",
                        f"from cslib import brief, report\nassert account_id != {victim!r}, "
                        "'boom'\n")
    path = project.proj / "boom_brief.py"
    path.write_text(boom, encoding="utf-8")
    res = run_cli(project.proj, "render", "--params", "en.yaml", "--output", "boom",
                  "--notebooks", str(path))
    assert res.code == 1, res.out + res.err
    runs = json.loads((project.proj / "boom" / MONTH / "manifest.json").read_text())["runs"]
    assert [r["account_id"] for r in runs if r["status"] != "ok"] == [victim]
    assert sum(r["status"] == "ok" for r in runs) == len(project.smb) - 1


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cl, \
            distributed.Client(cl) as client:
        yield client


def _dask_render(project, client, output: str, executor=None):
    from cslib import runner

    params = load_params(project.proj / "en.yaml")
    with contextlib.chdir(project.proj):  # as the CLI runs: the same provenance on the pages
        return runner.render(params, output=output, notebooks_dir="notebooks",
                             executor=executor or DaskExecutor(client=client),
                             out=io.StringIO(), err=io.StringIO())


@pytest.mark.slow
def test_dask_local_cluster_gives_the_local_pools_pages_byte_for_byte(project, local, cluster):
    res = _dask_render(project, cluster, "dask")
    assert res.exit_code == 0
    month_dir = project.proj / "dask" / MONTH
    pages = _pages(month_dir)
    assert len(pages) == len(project.smb) + 1  # the briefs and the index by CSM
    assert pages == local.pages
    workers = {r["worker"] for r in json.loads((month_dir / "manifest.json").read_text())["runs"]}
    assert workers == set(cluster.scheduler_info()["workers"])  # both workers took batches


class _KillOneWorker(DaskExecutor):
    """Kills the worker busy with a batch when the first batch's results arrive."""

    killed: int | None = None

    def run(self, specs, on_result):
        def hook(spec, res):
            if self.killed is None:
                busy = [w for w, keys in self.client.processing().items() if keys]
                pids = self.client.run(os.getpid, workers=busy[:1])
                self.killed = next(iter(pids.values()))
                os.kill(self.killed, signal.SIGKILL)
            return on_result(spec, res)

        return super().run(specs, hook)


@pytest.mark.slow
def test_a_worker_killed_mid_batch_loses_no_brief(project, local, cluster):
    executor = _KillOneWorker(client=cluster, per_batch=3)
    res = _dask_render(project, cluster, "killed", executor=executor)
    assert executor.killed is not None
    assert res.exit_code == 0
    month_dir = project.proj / "killed" / MONTH
    runs = json.loads((month_dir / "manifest.json").read_text())["runs"]
    assert len(runs) == len(project.smb) and {r["status"] for r in runs} == {"ok"}
    assert _pages(month_dir) == local.pages


@pytest.mark.slow
def test_an_unreachable_scheduler_stops_with_exit_2_before_anything_runs(project):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    res = run_cli(project.proj, "render", "--params", "en.yaml", "--output", "unreachable",
                  "--scheduler", f"tcp://127.0.0.1:{port}")
    assert res.code == 2, res.out + res.err
    assert f"Cannot reach the dask scheduler at tcp://127.0.0.1:{port}" in res.err
    assert "Nothing was run" in res.err
    assert not (project.proj / "unreachable").exists()


@pytest.mark.slow
@pytest.mark.parametrize("locale", ["en", "pt-BR"])
def test_every_brief_prints_on_one_a4_page(project, local, locale):
    playwright = pytest.importorskip("playwright.sync_api")
    from test_reports import _chromium

    executable = _chromium()
    if locale == "en":
        month_dir = local.month_dir
    else:
        res = run_cli(project.proj, "render", "--params", "pt-BR.yaml", "--output", "pt")
        assert res.code == 0, res.out + res.err
        month_dir = project.proj / "pt" / MONTH
    pages = sorted(p for p in month_dir.glob("account_brief/*/*.html"))
    assert len(pages) == len(project.smb)
    counts = {}
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        page = browser.new_page()
        for path in pages:
            page.goto(path.as_uri())
            pdf = page.pdf(format="A4", print_background=True)
            counts[path.name] = len(re.findall(rb"/Type\s*/Page\b", pdf))
        text = page.inner_text("body")
        assert ("Agenda sugerida" in text) == (locale == "pt-BR")
        browser.close()
    assert counts == {name: 1 for name in counts}, counts


def test_params_dataclass_has_the_new_keys_with_defaults():
    p = parse_params({})
    assert (p.per, p.executor, p.scheduler, p.shared_folder) == (None, "local", None, None)
    assert dataclasses.replace(p, per="account").per == "account"


@pytest.mark.slow
def test_the_brief_without_per_account_is_refused_when_asked_and_left_out_otherwise(project):
    res = run_cli(project.proj, "render", "--params", "en.yaml", "--output", "noper",
                  "--month", MONTH, "--dry-run")
    n = len(project.smb)
    assert res.code == 0 and f"{n} runs: {n} would run" in res.out, res.out + res.err
    raw = (project.proj / "en.yaml").read_text(encoding="utf-8").replace("per: account\n", "")
    (project.proj / "noper.yaml").write_text(raw, encoding="utf-8")
    res = run_cli(project.proj, "render", "--params", "noper.yaml", "--output", "noper",
                  "--dry-run")
    assert res.code == 2
    assert "renders one page per account" in res.err and "--per account" in res.err
    # a params file without `notebooks` runs every notebook but the per-account ones
    (project.proj / "all.yaml").write_text(raw.replace("notebooks: [account_brief]\n", ""),
                                           encoding="utf-8")
    res = run_cli(project.proj, "render", "--params", "all.yaml", "--output", "noper",
                  "--dry-run")
    assert res.code == 0 and "0 runs" in res.out, res.out + res.err
