"""open_report: one segment's slice, and a clear stop when there is nothing to report."""

from __future__ import annotations

import pytest

from cslib.context import NoDataError, open_report
from cslib.exceptions import CslibError, ParamsError


def test_segment_slice_holds_only_that_segment(demo_db, demo_tables):
    ctx = open_report(segment="SMB", month="2026-10", source=str(demo_db), style=False)
    accounts = demo_tables["accounts"]
    smb = set(accounts.loc[accounts["segment"] == "SMB", "account_id"])
    assert set(ctx["accounts"]["account_id"]) == smb
    assert set(ctx["nps_responses"]["account_id"]) <= smb
    assert set(ctx["mrr"]["account_id"]) <= smb
    assert ctx.data_date.strftime("%Y-%m") == "2026-10"


def test_a_segment_with_no_accounts_stops_with_a_message(demo_db):
    with pytest.raises(NoDataError, match="Segment Nowhere has no accounts") as info:
        open_report(segment="Nowhere", month="2026-10", source=str(demo_db), style=False)
    assert isinstance(info.value, CslibError)
    assert "nothing to report" in str(info.value)


def test_a_month_before_the_data_stops_with_a_message(demo_db):
    with pytest.raises(NoDataError, match="No account in SMB paid in"):
        open_report(segment="SMB", month="2020-01", source=str(demo_db), style=False)


def test_pt_br_no_data_message(demo_db):
    with pytest.raises(NoDataError) as info:
        open_report(segment="SMB", month="2020-01", source=str(demo_db), locale="pt-BR",
                    style=False)
    assert "SMB" in str(info.value) and "paid" not in str(info.value)


def test_unknown_locale_fails_before_loading(tmp_path):
    with pytest.raises(ParamsError, match="pt-BR"):
        open_report(segment="SMB", source=str(tmp_path / "missing.duckdb"), locale="fr")
