"""The overview's trend and previous month: each month's figure as that month knew it.

The reference for every month is the report's own figure function applied to
the warehouse cut at that month's end by :func:`reference_cut.cut_by_hand`
(written from DOMAIN's rules, not with the kit's cut), so the trend's fast
paths (no cut per month, one bridge for all months) are checked against an
independent computation, month by month.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from reference_cut import cut_by_hand

from cslib import trend

MONTH = "2026-10"
MONTHS = trend.trend_months(MONTH)


def _segment(tables: dict[str, pd.DataFrame], segment: str) -> dict[str, pd.DataFrame]:
    """The segment's accounts and every row of theirs (all of it for "all")."""
    if segment == "all":
        return dict(tables)
    ids = set(tables["accounts"].loc[tables["accounts"]["segment"] == segment, "account_id"])
    out = {k: (v[v["account_id"].isin(ids)] if "account_id" in v else v)
           for k, v in tables.items()}
    out["loop_actions"] = tables["loop_actions"][
        tables["loop_actions"]["response_id"].isin(set(out["nps_responses"]["response_id"]))]
    return out


def _by_id(heads):
    return {h["id"]: h for h in heads}


CASES = [(trend.nps_figures, "all"), (trend.nps_figures, "SMB"),
         (trend.bridge_figures, "all"), (trend.bridge_figures, "SMB"),
         (trend.fcr_figures, "all"), (trend.fcr_figures, "Enterprise"),
         (trend.churn_risk_figures, "all"), (trend.journey_figures, "all")]


@pytest.mark.parametrize(("figures", "segment"), CASES,
                         ids=[f"{f.__name__}-{s}" for f, s in CASES])
def test_each_month_of_the_trend_is_what_that_month_knew(demo_tables, figures, segment):
    tables = _segment(demo_tables, segment)
    heads = trend.with_history(figures, cut_by_hand(tables, MONTH), MONTH, locale="en")
    assert heads, "the report month has headlines"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = {m: _by_id(figures(cut_by_hand(tables, m), m, locale="en")) for m in MONTHS}
    known = 0
    for h in heads:
        assert len(h["trend"]) == 12
        for label, value in zip(MONTHS, h["trend"], strict=True):
            want = expected[label].get(h["id"], {}).get("value")
            if want is None or want != want:
                assert value is None, (h["id"], label)
            else:
                assert value == pytest.approx(want, rel=1e-12), (h["id"], label)
                known += 1
        before = expected[MONTHS[-2]].get(h["id"])
        if before is not None and before.get("value") is not None:
            for field in ("value", "n", "se", "ci_low", "ci_high"):
                if before.get(field) is not None:
                    assert h["previous"][field] == pytest.approx(before[field]), (h["id"], field)
    assert known >= len(heads) * 6, "most of the 12 months have a figure on the demo data"


def test_a_later_fact_changes_no_earlier_month(demo_tables):
    """Tickets resolved after September are open in September's figure, so the trend's
    September FCR counts only the tickets resolved in September: resolving more tickets
    in October changes October alone."""
    tickets = demo_tables["tickets"].copy()
    base = trend.with_history(trend.fcr_figures, {"tickets": tickets}, MONTH, locale="en")[0]
    resolved = pd.to_datetime(tickets["resolved_at"])
    opened_sep = pd.to_datetime(tickets["opened_at"]).dt.to_period("M") == pd.Period("2026-09")
    open_at_sep_end = opened_sep & (resolved.isna() | (resolved >= pd.Timestamp("2026-10-01")))
    assert open_at_sep_end.sum() >= 1
    later = tickets.copy()
    later.loc[open_at_sep_end, "resolved_at"] = pd.Timestamp("2026-10-20")
    later.loc[open_at_sep_end, "first_contact_resolved"] = True
    later.loc[open_at_sep_end, "contacts"] = 1
    moved = trend.with_history(trend.fcr_figures, {"tickets": later}, MONTH, locale="en")[0]
    assert moved["trend"][:-1] == base["trend"][:-1]
    assert moved["previous"] == base["previous"]
    assert moved["value"] > base["value"]


def test_a_hand_worked_bridge_trend():
    # Two accounts of 100 in Aug; in Sep A1 grows to 120 and A2 leaves; in Oct A1 stays.
    # Sep: NRR (120 + 0) / 200 = 0.6, GRR (100 + 0) / 200 = 0.5, logo churn 1 of 2.
    # Oct: NRR 120 / 120 = 1, logo churn 0 of 1. Aug has no start (no July): no figure.
    accounts = pd.DataFrame({"account_id": ["A1", "A2"], "name": ["a", "b"],
                             "segment": ["SMB", "SMB"], "plan": ["Pro", "Pro"],
                             "region": ["Sul", "Sul"],
                             "signup_date": pd.to_datetime(["2026-01-05", "2026-01-05"])})
    mrr = pd.DataFrame({"account_id": ["A1", "A2", "A1", "A1"],
                        "contract_id": ["C1", "C2", "C1", "C1"],
                        "month": pd.to_datetime(["2026-08-01", "2026-08-01", "2026-09-01",
                                                 "2026-10-01"]),
                        "mrr": [100.0, 100.0, 120.0, 120.0]})
    heads = _by_id(trend.with_history(trend.bridge_figures, {"accounts": accounts, "mrr": mrr},
                                      MONTH, months=3, locale="en"))
    assert heads["nrr"]["trend"] == [None, pytest.approx(0.6), pytest.approx(1.0)]
    assert heads["grr"]["trend"][1] == pytest.approx(0.5)
    assert heads["logo_churn"]["trend"][1:] == [pytest.approx(0.5), pytest.approx(0.0)]
    assert heads["logo_churn"]["previous"]["n"] == 2  # two accounts paying at Sep's start
    assert heads["nrr"]["previous"]["value"] == pytest.approx(0.6)


def test_trend_months_and_their_errors():
    assert trend.trend_months("2026-01", 3) == ["2025-11", "2025-12", "2026-01"]
    assert len(trend.trend_months(MONTH)) == 12 and trend.trend_months(MONTH)[-1] == MONTH
    with pytest.raises(ValueError, match="at least one month"):
        trend.trend_months(MONTH, 0)
