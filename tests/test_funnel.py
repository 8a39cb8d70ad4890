"""Hand-worked checks of cslib.funnel."""

import pandas as pd
import pytest

from cslib import funnel


@pytest.fixture
def opps():
    o = pd.DataFrame({"opportunity_id": list("ABCDE"), "owner": "Ana", "channel": "inbound",
                      "account_id": [None] * 5, "amount": 1.0,
                      "created_at": pd.Timestamp("2026-10-01"),
                      "outcome": ["won", "lost", "lost", "open", "open"],
                      "closed_at": pd.to_datetime(["2026-10-20", "2026-10-05", "2026-10-09",
                                                   None, None])})
    s = pd.DataFrame({"opportunity_id": list("AABCDDE"),
                      "stage": ["lead", "demo", "lead", "lead", "lead", "demo", "lead"],
                      "entered_at": pd.to_datetime(["2026-10-01", "2026-10-10", "2026-10-01",
                                                    "2026-10-01", "2026-10-01", "2026-10-03",
                                                    "2026-10-01"])})
    return o, s


def test_conversion_counts_open_ones_apart(opps):
    out = funnel.stage_conversion(*opps, order=["lead", "demo"], month="2026-10")
    lead = out.iloc[0]
    # reached lead: 5; still open at lead: E; decided 4; went on to demo: A, D -> 2/4
    assert (lead.reached, lead.open, lead.decided, lead.converted) == (5, 1, 4, 2)
    assert lead.conversion == 0.5
    # Wilson 95% for 2 of 4: 0.150 to 0.850 (Wilson 1927 formula by hand)
    assert lead.ci_low == pytest.approx(0.1500, abs=1e-3)
    assert lead.ci_high == pytest.approx(0.8500, abs=1e-3)
    demo = out.iloc[1]
    assert (demo.reached, demo.open, demo.converted) == (2, 1, 1)


def test_time_in_lead_censors_the_open_one(opps):
    out = funnel.time_in_stage(*opps, order=["lead", "demo"], month="2026-10").iloc[0]
    # lead: A 9 d, B 4 d, C 8 d, D 2 d (left), E 31 d still there -> KM median 8, p90 NaN
    assert (out.n, out.left, out.still_there) == (5, 4, 1)
    assert out.median_days == 8.0
    assert pd.isna(out.p90_days)


def test_stall_rule_with_a_threshold(opps):
    out = funnel.stalled_opportunities(*opps, order=["lead", "demo"], month="2026-10",
                                       threshold_days=28)
    # E in lead 31 d (> 28), D in demo 29 d (> 28)
    assert out["opportunity_id"].tolist() == ["E", "D"]
    assert out["days_in_stage"].tolist() == [31.0, 29.0]


def test_time_in_stage_and_stalls_from_durations_computed_once(opps):
    order = ["lead", "demo"]
    durations = funnel.stage_durations(*opps, order=order, month="2026-10")
    out = funnel.time_in_stage(*opps, order=order, month="2026-10", durations=durations)
    assert out.iloc[0].median_days == 8.0 and out.iloc[0].still_there == 1  # as by hand above
    stalled = funnel.stalled_opportunities(*opps, order=order, month="2026-10",
                                           threshold_days=28, durations=durations)
    assert stalled["opportunity_id"].tolist() == ["E", "D"]
    # the durations are what is read: rows left out are left out of both tables
    only_lead = durations[durations["stage"] == "lead"]
    assert funnel.time_in_stage(*opps, order=order, month="2026-10",
                                durations=only_lead).iloc[1].n == 0
    assert funnel.stalled_opportunities(*opps, order=order, month="2026-10", threshold_days=28,
                                        durations=only_lead)["opportunity_id"].tolist() == ["E"]
