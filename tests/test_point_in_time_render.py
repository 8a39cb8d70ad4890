"""End to end: a month's reports know nothing after the month's end.

Month M is rendered from the whole demo warehouse and from a copy cut at M's
end by :func:`cut_by_hand`, written here from the rules of DOMAIN's "Periods"
section, not with the kit's own cut. Every notebook, for "all" and one
segment, at two months: the pages must be identical apart from their
provenance footer, and the manifests' headline values equal.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from cli_run import run_cli
from reference_cut import cut_by_hand

from cslib.demo import generate_warehouse, write_duckdb

ROOT = Path(__file__).resolve().parent.parent
MONTHS = ("2026-06", "2026-08")
SEGMENTS = ("all", "SMB")
FOOTER = re.compile(r'<footer class="cs-provenance">.*?</footer>', re.S)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("point_in_time")]


def _project(root: Path, name: str, tables: dict[str, pd.DataFrame]) -> Path:
    proj = root / name
    shutil.copytree(ROOT / "notebooks", proj / "notebooks")
    db = write_duckdb({k: v.reset_index(drop=True) for k, v in tables.items()},
                      proj / "wh.duckdb")
    (proj / "p.yaml").write_text(
        f"source: {db.name}\nsegments: [{', '.join(SEGMENTS)}]\njobs: 2\ntimeout: 300\n",
        encoding="utf-8")
    return proj


def _segment_notebooks() -> list[str]:
    """The notebooks a month renders per segment (per-account briefs are a run of their own)."""
    from cslib.params import notebook_parameters

    return [p.stem for p in sorted((ROOT / "notebooks").glob("*.py"))
            if "account_id" not in notebook_parameters(p)]


def _pages(month_dir: Path) -> dict[str, str]:
    return {p.relative_to(month_dir).as_posix(): FOOTER.sub("", p.read_text(encoding="utf-8"))
            for p in sorted(month_dir.glob("*/*.html"))}


def _headlines(month_dir: Path) -> dict[tuple[str, str], dict]:
    manifest = json.loads((month_dir / "manifest.json").read_text(encoding="utf-8"))
    return {(r["notebook"], r["segment"]): {h["name"]: h["value"] for h in r["headlines"]}
            for r in manifest["runs"]}


@pytest.fixture(scope="module")
def renders(tmp_path_factory):
    whole = generate_warehouse(250, n_months=18, seed=11)
    root = tmp_path_factory.mktemp("pit")
    out = {}
    for month in MONTHS:
        cut = cut_by_hand(whole, month)
        projects = {"whole": _project(root, f"whole-{month}", whole),
                    "cut": _project(root, f"cut-{month}", cut)}
        for kind, proj in projects.items():
            res = run_cli(proj, "render", "--params", "p.yaml", "--month", month,
                          "--output", "reports")
            assert res.code == 0, res.err[-3000:]
            out[(kind, month)] = proj / "reports" / month
        out[("tables", month)] = cut
    out["whole"] = whole
    return out


@pytest.mark.parametrize("month", MONTHS)
def test_the_cut_copy_really_lost_later_data(renders, month):
    whole, cut = renders["whole"], renders[("tables", month)]
    for name in ("accounts", "users", "mrr", "nps_responses", "usage", "tickets",
                 "loop_actions", "nps_invitations", "opportunities", "opportunity_stages",
                 "onboarding_milestones"):
        assert len(cut[name]) < len(whole[name]), name
    resolved_whole = whole["tickets"].set_index("ticket_id")["resolved_at"].notna()
    resolved_cut = cut["tickets"].set_index("ticket_id")["resolved_at"].notna()
    undone = resolved_whole.reindex(resolved_cut.index) & ~resolved_cut
    assert undone.sum() >= 1  # at least one resolution undone
    assert len(set(whole["accounts"]["account_id"]) - set(cut["accounts"]["account_id"])) >= 1


@pytest.mark.parametrize("month", MONTHS)
def test_pages_from_the_whole_warehouse_equal_pages_from_the_cut_copy(renders, month):
    whole, cut = _pages(renders[("whole", month)]), _pages(renders[("cut", month)])
    assert len(whole) == len(_segment_notebooks()) * len(SEGMENTS)
    assert whole.keys() == cut.keys()
    for name in whole:
        assert whole[name] == cut[name], f"{month} {name} differs"
    # the pages say which day their data is as of: the month's last day
    last_day = (pd.Period(month, freq="M").end_time).strftime("%Y-%m-%d")
    assert all(last_day in page for page in whole.values())


@pytest.mark.parametrize("month", MONTHS)
def test_headline_values_equal(renders, month):
    whole = _headlines(renders[("whole", month)])
    cut = _headlines(renders[("cut", month)])
    assert whole.keys() == cut.keys()
    assert len(whole) == len(_segment_notebooks()) * len(SEGMENTS)
    assert whole == cut
    assert any(v for heads in whole.values() for v in heads.values())
