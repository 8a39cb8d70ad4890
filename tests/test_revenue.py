"""Tests for cslib.revenue: movements, bridge, ratios, roll-ups, NRR decomposition."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from cslib import revenue as rev
from cslib.exceptions import ParamsError, SchemaError
from cslib.revenue import (
    bridge_row,
    compare_views,
    last_periods,
    logo_churn_interval,
    mrr_movements,
    net_revenue_churn,
    nrr_change_decomposition,
    revenue_bridge,
    top_movers,
    trailing_bridge,
)

MOVES = ["new", "expansion", "contraction", "churn", "reactivation"]
MOVEMENTS_ALL = [*MOVES, "flat"]

# Hand-made MRR, Jan-May 2026 (Jan is the opening balance). None = no row.
#                 Jan  Feb  Mar  Apr  May
HAND = {
    ("A", "A-core"): [100, 100, 100, 120, 120],
    ("A", "A-addon"): [50, 50, 0, None, None],  # A drops one of its two products in Mar
    ("B", "B1"): [200, 200, None, None, 150],  # churns in Mar (missing row), back in May
    ("C", "C1"): [None, 80, 80, 60, 60],  # new in Feb, downsell in Apr
    ("D", "D1"): [0, None, 40, 40, 0],  # explicit 0 in Jan: new in Mar; churns in May
    ("E", "E1"): [300, 330, 330, 330, 330],  # upsell in Feb
}
# Account level:  Jan  Feb  Mar  Apr  May
#   A             150  150  100  120  120
#   B             200  200    0    0  150
#   C               -   80   80   60   60
#   D               0    0   40   40    0
#   E             300  330  330  330  330
#   total         650  760  550  550  660


@pytest.fixture
def hand_mrr() -> pd.DataFrame:
    months = pd.date_range("2026-01-01", periods=5, freq="MS")
    recs = [
        {"contract_id": c, "account_id": a, "product": c.split("-")[-1], "month": m,
         "mrr": float(v)}
        for (a, c), vals in HAND.items()
        for m, v in zip(months, vals, strict=True)
        if v is not None
    ]
    return pd.DataFrame(recs)


def _row(frame: pd.DataFrame, **where) -> pd.Series:
    mask = np.ones(len(frame), dtype=bool)
    for k, v in where.items():
        mask &= (frame[k] == v).to_numpy()
    assert mask.sum() == 1, where
    return frame[mask].iloc[0]


# ---------------------------------------------------------------- net_revenue_churn


def test_net_revenue_churn_domain_worked_case():
    # (80,000 + 5,000 - 40,000) / 700,000 = 45,000 / 700,000 = 0.0642857...
    value = net_revenue_churn(80_000, 5_000, 40_000, 700_000)
    assert value == pytest.approx(45_000 / 700_000)
    assert round(value * 100, 2) == 6.43
    # the slip in one source: dividing by 500,000 gives 9%
    assert value != pytest.approx(45_000 / 500_000)


def test_net_revenue_churn_errors():
    with pytest.raises(ParamsError, match=r"start=0 must be > 0"):
        net_revenue_churn(1, 1, 1, 0)
    with pytest.raises(ParamsError, match=r"start=-5 must be > 0"):
        net_revenue_churn(1, 1, 1, -5)
    with pytest.raises(ValueError, match=r"positive amount.*-bridge\['churn'\]"):
        net_revenue_churn(-80_000, 5_000, 40_000, 700_000)


# ---------------------------------------------------------------- movements


def test_movements_account_level_by_hand(hand_mrr):
    before = hand_mrr.copy()
    mv = mrr_movements(hand_mrr)
    pd.testing.assert_frame_equal(hand_mrr, before)
    # Jan is the opening balance: no rows; A, B, E are not "new".
    assert mv["month"].min() == pd.Timestamp("2026-02-01")
    expected = {
        ("A", "2026-02"): ("flat", 150, 150), ("A", "2026-03"): ("contraction", 150, 100),
        ("A", "2026-04"): ("expansion", 100, 120), ("A", "2026-05"): ("flat", 120, 120),
        ("B", "2026-02"): ("flat", 200, 200), ("B", "2026-03"): ("churn", 200, 0),
        # B in Apr: 0 -> 0, dropped
        ("B", "2026-05"): ("reactivation", 0, 150),
        ("C", "2026-02"): ("new", 0, 80), ("C", "2026-03"): ("flat", 80, 80),
        ("C", "2026-04"): ("contraction", 80, 60), ("C", "2026-05"): ("flat", 60, 60),
        # D in Feb: 0 -> missing, dropped; paid nothing in Jan so Mar is "new"
        ("D", "2026-03"): ("new", 0, 40), ("D", "2026-04"): ("flat", 40, 40),
        ("D", "2026-05"): ("churn", 40, 0),
        ("E", "2026-02"): ("expansion", 300, 330), ("E", "2026-03"): ("flat", 330, 330),
        ("E", "2026-04"): ("flat", 330, 330), ("E", "2026-05"): ("flat", 330, 330),
    }
    got = {
        (r.account_id, r.month.strftime("%Y-%m")): (r.movement, r.previous_mrr, r.mrr)
        for r in mv.itertuples()
    }
    assert got == expected
    assert_allclose(mv["change"], mv["mrr"] - mv["previous_mrr"])
    assert set(mv["movement"]) == {"new", "expansion", "contraction", "churn",
                                   "reactivation", "flat"}


def test_drop_one_of_two_products(hand_mrr):
    # A: core 100 + addon 50 in Feb; addon gone in Mar.
    acc = mrr_movements(hand_mrr)
    con = mrr_movements(hand_mrr, entity="contract_id", keep="account_id")
    a = _row(acc, account_id="A", month=pd.Timestamp("2026-03-01"))
    assert (a.movement, a.change) == ("contraction", -50.0)
    addon = _row(con, contract_id="A-addon", month=pd.Timestamp("2026-03-01"))
    assert (addon.movement, addon.change, addon.account_id) == ("churn", -50.0, "A")
    core = _row(con, contract_id="A-core", month=pd.Timestamp("2026-03-01"))
    assert core.movement == "flat"
    # contract A-addon stays churned after Mar: no rows
    assert con.loc[con["contract_id"] == "A-addon", "month"].max() == pd.Timestamp("2026-03-01")


def test_keep_carries_first_value_per_entity(hand_mrr):
    data = hand_mrr.assign(segment=hand_mrr["account_id"].map({"A": "SMB"}).fillna("Ent"))
    mv = mrr_movements(data, keep=["segment"])
    assert mv.groupby("account_id")["segment"].first().to_dict() == {
        "A": "SMB", "B": "Ent", "C": "Ent", "D": "Ent", "E": "Ent"}
    assert mv.attrs["entity"] == "account_id"


def test_movements_errors(hand_mrr):
    with pytest.raises(SchemaError, match=r"has no column\(s\) `arr`"):
        mrr_movements(hand_mrr, amount="arr")
    with pytest.raises(SchemaError, match=r"has no column\(s\) `segment`"):
        mrr_movements(hand_mrr, keep="segment")
    bad = hand_mrr.copy()
    bad.loc[3, "mrr"] = -5.0
    with pytest.raises(SchemaError,
                       match=r"`mrr` has 1 missing, non-numeric or negative.*rows \[4\]"):
        mrr_movements(bad)
    bad = hand_mrr.copy()
    bad.loc[0, "account_id"] = None
    with pytest.raises(SchemaError, match=r"`account_id` has 1 missing id"):
        mrr_movements(bad)
    bad = hand_mrr.astype({"month": object})
    bad.loc[1, "month"] = "not a date"
    with pytest.raises(SchemaError, match=r"`month` cannot be read as dates"):
        mrr_movements(bad)
    with pytest.raises(ParamsError, match=r"clash"):
        mrr_movements(hand_mrr.assign(change=1.0), keep="change")


# ---------------------------------------------------------------- bridge by hand

BRIDGE_COLS = ["start_mrr", "new", "expansion", "contraction", "churn", "reactivation",
               "end_mrr", "accounts_start", "accounts_churned"]


def _check(bridge: pd.DataFrame, expected: dict[str, list]) -> None:
    assert bridge["period"].tolist() == list(expected)
    got = bridge[BRIDGE_COLS].to_numpy(dtype=float)
    assert_allclose(got, np.array(list(expected.values()), dtype=float))


def test_bridge_account_level_by_hand(hand_mrr):
    mv = mrr_movements(hand_mrr)
    before = mv.copy()
    bridge = revenue_bridge(mv)
    pd.testing.assert_frame_equal(mv, before)
    # Feb: 650 + new C 80 + exp E 30 = 760; paying at start A,B,E (D is 0) -> 3, none lost
    # Mar: 760 + new D 40 - contr A 50 - churn B 200 = 550; start A,B,C,E = 4, B lost
    # Apr: 550 + exp A 20 - contr C 20 = 550; start A,C,D,E = 4
    # May: 550 + react B 150 - churn D 40 = 660; start A,C,D,E = 4, D lost
    #             start  new  exp contr churn react end  n  lost
    _check(bridge, {
        "2026-02": [650, 80, 30, 0, 0, 0, 760, 3, 0],
        "2026-03": [760, 40, 0, -50, -200, 0, 550, 4, 1],
        "2026-04": [550, 0, 20, -20, 0, 0, 550, 4, 0],
        "2026-05": [550, 0, 0, 0, -40, 150, 660, 4, 1],
    })
    # grr = (start + churn + contr)/start; nrr adds expansion; reactivation left out
    assert_allclose(bridge["grr"], [1, 510 / 760, 530 / 550, 510 / 550])
    assert_allclose(bridge["nrr"], [680 / 650, 510 / 760, 1, 510 / 550])
    assert_allclose(bridge["net_revenue_churn"], [-30 / 650, 250 / 760, 0, 40 / 550])
    assert_allclose(bridge["logo_churn"], [0, 1 / 4, 0, 1 / 4])


def test_bridge_contract_level_by_hand(hand_mrr):
    bridge = revenue_bridge(mrr_movements(hand_mrr, entity="contract_id", keep="account_id"))
    # Same as the account view except Mar: A-addon's -50 is churn, not contraction,
    # and contracts are counted: Feb start A-core, A-addon, B1, E1 = 4;
    # Mar start A-core, A-addon, B1, C1, E1 = 5, lost A-addon and B1 = 2.
    _check(bridge, {
        "2026-02": [650, 80, 30, 0, 0, 0, 760, 4, 0],
        "2026-03": [760, 40, 0, 0, -250, 0, 550, 5, 2],
        "2026-04": [550, 0, 20, -20, 0, 0, 550, 4, 0],
        "2026-05": [550, 0, 0, 0, -40, 150, 660, 4, 1],
    })
    # GRR and NRR don't depend on the view: 510/760 in Mar either way
    assert_allclose(bridge["grr"].iloc[1], 510 / 760)
    assert_allclose(bridge["logo_churn"].iloc[1], 2 / 5)


def test_bridge_quarter_and_year_by_hand(hand_mrr):
    mv = mrr_movements(hand_mrr)
    q = revenue_bridge(mv, freq="Q")
    # Q1 (Feb-Mar, Jan is the opening balance): start = end of Jan 650, end = end of Mar 550
    #   new 80+40, exp 30, contr -50, churn -200. 650+120+30-50-200 = 550.
    #   paying at start: A, B, E; at end of Mar: A, C, D, E -> B lost: 1/3.
    # Q2 (Apr-May): start = end of Mar 550, end = end of May 660
    #   exp 20, contr -20, churn -40, react 150. 550+20-20-40+150 = 660.
    #   paying at start A, C, D, E; at end A, B, C, E -> D lost: 1/4.
    _check(q, {
        "2026Q1": [650, 120, 30, -50, -200, 0, 550, 3, 1],
        "2026Q2": [550, 0, 20, -20, -40, 150, 660, 4, 1],
    })
    # Ratios over the whole quarter, from the start cohort (never averaged over months):
    # Q1 cohort (end of Jan): A 150, B 200, E 300 = 650 -> end of Mar: A 100, B 0, E 330.
    #   GRR = (min(100,150) + 0 + min(330,300)) / 650 = 400 / 650; NRR = 430 / 650.
    #   (C and D are new in Q1: their later moves stay out.)
    # Q2 cohort (end of Mar): A 100, C 80, D 40, E 330 = 550 -> end of May: A 120, C 60,
    #   D 0, E 330. GRR = (100 + 60 + 0 + 330) / 550 = 490 / 550; NRR = 510 / 550.
    #   (B's reactivation is not in the cohort.)
    assert_allclose(q["grr"], [400 / 650, 490 / 550])
    assert_allclose(q["nrr"], [430 / 650, 510 / 550])
    assert_allclose(q["net_revenue_churn"], [220 / 650, 40 / 550])
    assert_allclose(q["logo_churn"], [1 / 3, 1 / 4])
    y = revenue_bridge(mv, freq="Y")
    # 2026: 650 + 120 + 50 - 70 - 240 + 150 = 660. Paying at start A, B, E. B churned in
    # March and came back in May: lost for the year's ratios (DOMAIN, "Periods"), its 150
    # stays in the reactivation column, on its own line.
    _check(y, {"2026": [650, 120, 50, -70, -240, 150, 660, 3, 1]})
    # Cohort A 150, B 200, E 300 -> end of May A 120, B lost (0), E 330.
    # GRR = (120 + 0 + 300) / 650 = 420 / 650; NRR = (120 + 0 + 330) / 650 = 450 / 650.
    assert_allclose(y["grr"], 420 / 650)
    assert_allclose(y["nrr"], 450 / 650)
    assert_allclose(y["net_revenue_churn"], 200 / 650)
    assert_allclose(y["logo_churn"], 1 / 3)


def test_trailing_bridge_cohort_with_a_reactivation(hand_mrr):
    # Feb-May (4 months). Cohort = paying at the end of Jan: A 150, B 200, E 300 = 650.
    # A ends at 120 (contraction -30), E at 330 (expansion +30), B churned in Mar and is back
    # at 150 in May: lost (churn -200), its 150 is reactivation. C (new in Feb, 60 at the
    # end) and D (new in Mar, churned in May: 0 at the end) are outside: new = 60.
    row = trailing_bridge(mrr_movements(hand_mrr), month="2026-05", months=4)
    assert row[["start_mrr", "churn", "contraction", "expansion", "reactivation", "new",
                "end_mrr"]].astype(float).tolist() == [650, -200, -30, 30, 150, 60, 660]
    # The bars add up, and the page's formula applied to the bars gives the ratios.
    assert 650 - 200 - 30 + 30 + 150 + 60 == row["end_mrr"]
    assert_allclose(row["grr"], (650 - 200 - 30) / 650)
    assert_allclose(row["nrr"], (650 - 200 - 30 + 30) / 650)
    assert_allclose(row["net_revenue_churn"], 200 / 650)
    assert (row["accounts_start"], row["accounts_churned"], row["accounts_reactivated"],
            row["accounts_new"]) == (3, 1, 1, 1)


def test_bridge_by_segment(hand_mrr):
    data = hand_mrr.assign(segment=hand_mrr["account_id"].map(
        {"A": "SMB", "B": "SMB", "C": "Ent", "D": "Ent", "E": "Ent"}))
    bridge = revenue_bridge(mrr_movements(data, keep="segment"), by="segment", freq="Q")
    smb = _row(bridge, period="2026Q1", segment="SMB")
    # SMB Q1: A 150 + B 200 = 350 -> A 100 (contr -50), B churn -200 -> 100
    assert smb[BRIDGE_COLS].astype(float).tolist() == [350, 0, 0, -50, -200, 0, 100, 2, 1]
    total = revenue_bridge(mrr_movements(data), freq="Q")
    summed = bridge.groupby("period")[BRIDGE_COLS].sum()
    assert_allclose(summed.to_numpy(float), total.set_index("period")[BRIDGE_COLS].to_numpy(float))


# ---------------------------------------------------------------- roll-ups: the start cohort


def test_rollup_leaves_out_an_account_new_inside_the_quarter():
    # A pays 100 from Dec (the opening balance) to Mar; B is new in Jan at 1000 and churns
    # in Mar. Q1: start 100 (A), new +1000, churn -1000, end 100.
    # Start cohort = {A}: 100 -> 100, so GRR = NRR = 100 / 100 = 1 and nothing is lost.
    # (Summing the movements would give (100 - 1000) / 100 = -9.)
    mrr = pd.DataFrame({
        "account_id": ["A"] * 4 + ["B"] * 2,
        "month": pd.to_datetime(["2025-12-01", "2026-01-01", "2026-02-01", "2026-03-01",
                                 "2026-01-01", "2026-02-01"]),
        "mrr": [100.0, 100.0, 100.0, 100.0, 1000.0, 1000.0],
    })
    mv = mrr_movements(mrr)
    q = revenue_bridge(mv, freq="Q")
    _check(q, {"2026Q1": [100, 1000, 0, 0, -1000, 0, 100, 1, 0]})
    assert q[["grr", "nrr", "net_revenue_churn", "logo_churn"]].iloc[0].tolist() == [
        1.0, 1.0, 0.0, 0.0]
    t = trailing_bridge(mv, month="2026-03", months=3)
    assert t["period"] == "2026-01 to 2026-03"
    # The trailing bridge is the start cohort's, bars and ratios alike: B, new and gone
    # inside the window, adds nothing (its new and churn net to 0 at the window's end).
    assert t[["start_mrr", "new", "churn", "end_mrr", "grr", "nrr", "accounts_start",
              "accounts_churned"]].tolist() == [100, 0, 0, 100, 1, 1, 1, 0]
    # In March alone B is paying at the start: GRR = NRR = (1100 - 1000) / 1100.
    march = bridge_row(revenue_bridge(mv), month="2026-03")
    assert march["grr"] == pytest.approx(100 / 1100)
    assert march["nrr"] == pytest.approx(100 / 1100)
    assert march["logo_churn"] == pytest.approx(1 / 2)


# Every movement type inside one quarter (Nov 2025 is the opening balance; Q1 = Jan-Mar).
#                Nov  Dec  Jan  Feb  Mar
QUARTER = {
    ("X", "X1"): [100, 100, 100, 100, 130],     # expands in Mar
    ("X", "X2"): [50, 50, 50, 0, None],         # X drops its second product in Feb
    ("Y", "Y1"): [200, 200, 0, None, 120],      # churns in Jan, back in Mar lower
    ("Z", "Z1"): [300, 300, 250, 250, 0],       # downsell in Jan, churns in Mar
    ("W", "W1"): [80, 80, 80, 100, 90],         # up in Feb, down in Mar
    ("N", "N1"): [None, None, 60, 90, 0],       # new in Jan, expands, churns in Mar
    ("R", "R1"): [70, 0, None, 70, 70],         # churned in Dec, reactivated in Feb
    ("V", "V1"): [40, 40, 40, 40, 40],
    ("V", "V2"): [None, None, None, 25, 25],    # cross-sell in Feb
}
# Account level:  Nov  Dec  Jan  Feb  Mar
#   X             150  150  150  100  130
#   Y             200  200    0    0  120
#   Z             300  300  250  250    0
#   W              80   80   80  100   90
#   N               -    -   60   90    0
#   R              70    0    0   70   70
#   V              40   40   40   65   65
#   total         840  770  580  675  475


@pytest.fixture
def quarter_mrr() -> pd.DataFrame:
    months = pd.date_range("2025-11-01", periods=5, freq="MS")
    return pd.DataFrame([
        {"contract_id": c, "account_id": a, "month": m, "mrr": float(v)}
        for (a, c), vals in QUARTER.items()
        for m, v in zip(months, vals, strict=True)
        if v is not None
    ])


def test_quarter_every_movement_account_level_by_hand(quarter_mrr):
    mv = mrr_movements(quarter_mrr)
    assert set(mv["movement"]) == set(MOVEMENTS_ALL)
    q = revenue_bridge(mv, freq="Q").set_index("period")
    # Monthly account movements:
    #   Jan: Y churn -200, Z contraction -50, N new +60                       -> 580
    #   Feb: X contraction -50, W exp +20, N exp +30, R react +70, V exp +25  -> 675
    #   Mar: X exp +30, Y react +120, Z churn -250, W contr -10, N churn -90  -> 475
    # Q1: new 60; exp 20+30+25+30 = 105; contr -50-50-10 = -110; churn -200-250-90 = -540;
    #   react 70+120 = 190. 770 + 60 + 105 - 110 - 540 + 190 = 475.
    # Start cohort (paying end of Dec): X 150, Y 200, Z 300, W 80, V 40 = 770 (5 accounts).
    # End of Mar: X 130, Y lost (churned in Jan: back in Mar at 120, a reactivation, but
    # lost for the quarter's ratios), Z 0, W 90, V 65.
    #   GRR = (130 + 0 + 0 + 80 + 40) / 770 = 250 / 770   (W and V capped at their start)
    #   NRR = (130 + 0 + 0 + 90 + 65) / 770 = 285 / 770; NRC = 485 / 770
    #   logo churn: Y and Z -> 2 / 5.
    # (Summing the movements would give GRR (770 - 540 - 110) / 770 = 120 / 770.)
    row = q.loc["2026Q1"]
    assert_allclose(row[BRIDGE_COLS].to_numpy(float),
                    [770, 60, 105, -110, -540, 190, 475, 5, 2])
    assert_allclose(row[["grr", "nrr", "net_revenue_churn", "logo_churn"]].to_numpy(float),
                    [250 / 770, 285 / 770, 485 / 770, 2 / 5])
    # Q4 2025 is Dec alone (Nov is the opening balance): R churns, 840 -> 770.
    assert_allclose(q.loc["2025Q4", ["start_mrr", "churn", "end_mrr", "grr", "nrr"]]
                    .to_numpy(float), [840, -70, 770, 770 / 840, 770 / 840])
    # The trailing bridge draws the cohort: churn Y 200 + Z 300; contraction X -20;
    # expansion W +10, V +25; reactivation Y's 120 and R's 70 (R was not paying at the
    # start); new N ends at 0. 770 - 500 - 20 + 35 + 190 + 0 = 475.
    t = trailing_bridge(mv, month="2026-03", months=3)
    assert_allclose(t[BRIDGE_COLS].to_numpy(float), [770, 0, 35, -20, -500, 190, 475, 5, 2])
    assert_allclose(t[["grr", "nrr", "net_revenue_churn", "logo_churn"]].to_numpy(float),
                    [250 / 770, 285 / 770, 485 / 770, 2 / 5])


def test_quarter_every_movement_contract_level_by_hand(quarter_mrr):
    mv = mrr_movements(quarter_mrr, entity="contract_id", keep="account_id")
    q = revenue_bridge(mv, freq="Q").set_index("period")
    # Monthly contract movements:
    #   Jan: Y1 churn -200, Z1 contraction -50, N1 new +60
    #   Feb: X2 churn -50, W1 exp +20, N1 exp +30, R1 react +70, V2 new +25
    #   Mar: X1 exp +30, Y1 react +120, Z1 churn -250, W1 contr -10, N1 churn -90
    # Q1: new 85; exp 80; contr -60; churn -590; react 190. 770+85+80-60-590+190 = 475.
    # Start cohort: X1 100, X2 50, Y1 200, Z1 300, W1 80, V1 40 = 770 (6 contracts).
    # End of Mar: X1 130, X2 0, Y1 lost (churned in Jan, back in Mar), Z1 0, W1 90, V1 40
    # (V2 is new: not in the cohort).
    #   GRR = (100 + 0 + 0 + 0 + 80 + 40) / 770 = 220 / 770
    #   NRR = (130 + 0 + 0 + 0 + 90 + 40) / 770 = 260 / 770
    #   logo churn: X2, Y1 and Z1 -> 3 / 6.
    # Lower than the account view: X's lost product is churn here, offset at account level
    # by X1's expansion; V2's cross-sell is new business here, expansion there.
    row = q.loc["2026Q1"]
    assert_allclose(row[BRIDGE_COLS].to_numpy(float),
                    [770, 85, 80, -60, -590, 190, 475, 6, 3])
    assert_allclose(row[["grr", "nrr", "net_revenue_churn", "logo_churn"]].to_numpy(float),
                    [220 / 770, 260 / 770, 510 / 770, 3 / 6])
    t = trailing_bridge(mv, month="2026-03", months=3)
    assert_allclose(t[["grr", "nrr", "accounts_start", "accounts_churned"]].to_numpy(float),
                    [220 / 770, 260 / 770, 6, 3])


def test_quarter_by_segment_uses_each_segments_cohort(quarter_mrr):
    seg = {"X": "SMB", "Y": "SMB", "N": "SMB", "Z": "Ent", "W": "Ent", "R": "Ent", "V": "Ent"}
    data = quarter_mrr.assign(segment=quarter_mrr["account_id"].map(seg))
    b = revenue_bridge(mrr_movements(data, keep="segment"), by="segment", freq="Q")
    # SMB cohort X 150, Y 200 = 350 -> X 130, Y lost (churned in Jan, back in Mar):
    #   GRR = NRR = 130 / 350 (N is new).
    # Ent cohort Z 300, W 80, V 40 = 420 -> Z 0, W 90, V 65: GRR = (0 + 80 + 40) / 420,
    #   NRR = (0 + 90 + 65) / 420 (R's reactivation is not in it).
    smb, ent = _row(b, period="2026Q1", segment="SMB"), _row(b, period="2026Q1", segment="Ent")
    assert_allclose([smb["grr"], smb["nrr"], smb["logo_churn"]], [130 / 350, 130 / 350, 1 / 2])
    assert_allclose([ent["grr"], ent["nrr"], ent["logo_churn"]], [120 / 420, 155 / 420, 1 / 3])


def test_bridge_row_last_periods_and_compare_views(quarter_mrr):
    accounts = mrr_movements(quarter_mrr)
    contracts = mrr_movements(quarter_mrr, entity="contract_id")
    bridge = revenue_bridge(accounts)
    assert bridge_row(bridge, month="2026-02")["end_mrr"] == 675
    assert bridge_row(bridge, month=pd.Timestamp("2026-02-17"), lag=1)["end_mrr"] == 580
    assert bridge_row(bridge, month="2025-11") is None  # the opening balance has no row
    assert last_periods(bridge, month="2026-02", n=2)["period"].tolist() == ["2026-01", "2026-02"]
    assert last_periods(bridge, month="2026-03", n=12)["period"].tolist() == [
        "2025-12", "2026-01", "2026-02", "2026-03"]
    views = compare_views(contracts, accounts, month="2026-02").set_index("view")
    # Feb: X's second product is churn (-50) by contract, contraction by account;
    # V2 is new (+25) by contract, expansion by account. GRR = (580 - 50) / 580 in both.
    assert views.index.tolist() == ["contracts", "accounts"]
    assert views.loc["contracts", ["new", "expansion", "contraction", "churn"]].tolist() == [
        25, 50, 0, -50]
    assert views.loc["accounts", ["new", "expansion", "contraction", "churn"]].tolist() == [
        0, 75, -50, 0]
    assert_allclose(views["grr"], [530 / 580, 530 / 580])
    assert views["accounts_start"].dtype == "int64"


def test_bridge_errors(hand_mrr):
    mv = mrr_movements(hand_mrr)
    with pytest.raises(ParamsError, match=r"freq='W' is not supported"):
        revenue_bridge(mv, freq="W")
    bare = mv.copy()
    bare.attrs = {}
    with pytest.raises(ParamsError, match=r"entity column is unknown.*entity='account_id'"):
        revenue_bridge(bare)
    assert revenue_bridge(bare, entity="account_id")["end_mrr"].iloc[-1] == 660
    with pytest.raises(SchemaError, match=r"has no column\(s\) `segment`"):
        revenue_bridge(mv, by="segment")
    with pytest.raises(SchemaError, match=r"unknown label\(s\) \['upsell'\]"):
        revenue_bridge(mv.assign(movement="upsell"))


# ---------------------------------------------------------------- independent + property


def test_end_mrr_matches_plain_groupby_on_demo(demo_tables):
    mrr = demo_tables["mrr"]
    bridge = revenue_bridge(mrr_movements(mrr))
    plain = mrr.groupby(mrr["month"].dt.strftime("%Y-%m"))["mrr"].sum()
    got = bridge.set_index("period")["end_mrr"]
    assert_allclose(got.to_numpy(), plain.reindex(got.index).to_numpy(), rtol=1e-12)
    assert len(got) == len(plain) - 1  # every month but the opening balance
    # each month starts where the previous one ended
    assert_allclose(bridge["start_mrr"].iloc[1:].to_numpy(),
                    bridge["end_mrr"].iloc[:-1].to_numpy())
    # quarter end = plain sum at the quarter's last month in the data
    q = revenue_bridge(mrr_movements(mrr), freq="Q").set_index("period")
    last_month = mrr.groupby(mrr["month"].dt.to_period("Q").astype(str))["month"].max()
    plain_q = plain.loc[last_month.dt.strftime("%Y-%m")].to_numpy()
    assert_allclose(q["end_mrr"].to_numpy(), plain_q[-len(q):], rtol=1e-12)


@st.composite
def mrr_tables(draw):
    n_ent = draw(st.integers(1, 5))
    n_mon = draw(st.integers(2, 9))
    cells = draw(st.lists(
        st.one_of(st.none(), st.just(0), st.integers(0, 1000)),
        min_size=n_ent * n_mon, max_size=n_ent * n_mon))
    start = draw(st.sampled_from(["2025-11-01", "2026-01-01", "2026-02-01"]))
    months = pd.date_range(start, periods=n_mon, freq="MS")
    recs = []
    for i in range(n_ent):
        for j, m in enumerate(months):
            v = cells[i * n_mon + j]
            if v is not None:
                # account i has two contracts; split the amount between them
                recs.append({"contract_id": f"C{i}a", "account_id": f"A{i}", "month": m,
                             "mrr": float(v // 2)})
                recs.append({"contract_id": f"C{i}b", "account_id": f"A{i}", "month": m,
                             "mrr": float(v - v // 2)})
    if not recs:
        recs.append({"contract_id": "C0a", "account_id": "A0", "month": months[0], "mrr": 0.0})
    return pd.DataFrame(recs)


@settings(max_examples=60, deadline=None)
@given(mrr_tables())
def test_bridge_identity_property(mrr):
    by_month = mrr.groupby(mrr["month"].dt.to_period("M"))["mrr"].sum()
    # a month with no row at all sums to 0
    by_month = by_month.reindex(pd.period_range(by_month.index.min(), by_month.index.max()),
                                fill_value=0.0)
    for entity in ("account_id", "contract_id"):
        mv = mrr_movements(mrr, entity=entity)
        assert ((mv["mrr"] > 0) | (mv["previous_mrr"] > 0)).all()
        for freq in ("M", "Q"):
            b = revenue_bridge(mv, freq=freq)
            total = b["start_mrr"] + b[MOVES].sum(axis=1)
            assert (total == b["end_mrr"]).all()  # integer-valued: exact
            assert (b[["contraction", "churn"]] <= 0).all().all()
            assert (b[["new", "expansion", "reactivation"]] >= 0).all().all()
            ok = b["start_mrr"] > 0
            assert_allclose(b.loc[ok, "nrr"], 1 - b.loc[ok, "net_revenue_churn"], atol=1e-12)
            assert b.loc[~ok, "nrr"].isna().all()
            assert (b["accounts_churned"] <= b["accounts_start"]).all()
            # end of each period = plain sum of the MRR in the period's last data month
            last = by_month.groupby(by_month.index.asfreq(freq)).last()
            got = b.set_index("period")["end_mrr"]
            assert (got == last.rename(index=str).reindex(got.index)).all()
        # One month: the ratios are exactly the movement formulas.
        m = revenue_bridge(mv)
        start = m["start_mrr"].where(m["start_mrr"] > 0)
        assert m["grr"].equals((m["start_mrr"] + m["churn"] + m["contraction"]) / start)
        assert m["nrr"].equals(
            (m["start_mrr"] + m["churn"] + m["contraction"] + m["expansion"]) / start)
        # Rolled up: the start cohort, against a plain computation on the wide table.
        wide = (mrr.assign(_p=mrr["month"].dt.to_period("M"))
                .pivot_table(index=entity, columns="_p", values="mrr", aggfunc="sum")
                .reindex(columns=by_month.index).fillna(0.0))
        first_month = by_month.index.min()
        for freq in ("Q", "Y"):
            b = revenue_bridge(mv, freq=freq)
            ok = b["start_mrr"] > 0
            assert ((b.loc[ok, "grr"] >= 0) & (b.loc[ok, "grr"] <= 1 + 1e-12)).all()
            assert (b.loc[ok, "grr"] <= b.loc[ok, "nrr"] + 1e-12).all()
            for _, row in b.loc[ok].iterrows():
                period = pd.Period(row["period"], freq=freq)
                s_col = max(period.asfreq("M", "start") - 1, first_month)
                e_col = min(period.asfreq("M", "end"), by_month.index.max())
                s = wide[s_col]
                inside = [c for c in wide.columns if s_col < c <= e_col]
                cohort = s > 0
                # DOMAIN: a cohort member that churned inside the period is lost, even if
                # it paid again by its end.
                lost = cohort & (wide[inside] == 0).any(axis=1)
                e = wide[e_col].where(~lost, 0.0)
                assert row["accounts_start"] == cohort.sum()
                assert row["accounts_churned"] == (cohort & (e == 0)).sum()
                assert row["grr"] == pytest.approx(
                    np.minimum(s, e)[cohort].sum() / s[cohort].sum(), rel=1e-12)
                assert row["nrr"] == pytest.approx(e[cohort].sum() / s[cohort].sum(), rel=1e-12)
        end = by_month.index.max()
        t = trailing_bridge(mv, month=end, months=3)
        assert t["start_mrr"] + t[MOVES].sum() == pytest.approx(t["end_mrr"], abs=1e-9)
        if t["start_mrr"] > 0:
            assert 0 <= t["grr"] <= t["nrr"] + 1e-12 and t["grr"] <= 1 + 1e-12


# ---------------------------------------------------------------- NRR decomposition


def _two_segment_bridge() -> pd.DataFrame:
    # Jan: SMB start 100, retained 100-10-5+5 = 90 (NRR .9); Ent 300, 300-15+45 = 330 (1.1)
    #      overall 420/400 = 1.05, shares .25/.75
    # Feb: SMB start 200, 200-30-10+10 = 170 (.85); Ent 200, 200-20+40 = 220 (1.1)
    #      overall 390/400 = .975, shares .5/.5
    return pd.DataFrame({
        "period": ["2026-01", "2026-01", "2026-02", "2026-02"],
        "segment": ["SMB", "Ent", "SMB", "Ent"],
        "start_mrr": [100.0, 300.0, 200.0, 200.0],
        "churn": [-10.0, 0.0, -30.0, -20.0],
        "contraction": [-5.0, -15.0, -10.0, 0.0],
        "expansion": [5.0, 45.0, 10.0, 40.0],
        "new": [50.0, 0.0, 0.0, 0.0],  # never part of NRR
    })


def test_nrr_change_decomposition_by_hand():
    bridge = _two_segment_bridge()
    before = bridge.copy()
    out = nrr_change_decomposition(bridge)
    pd.testing.assert_frame_equal(bridge, before)
    effects = dict(zip(out["component"], out["effect"], strict=True))
    # mix = (.5-.25)*(.9+.85)/2 + (.5-.75)*(1.1+1.1)/2 = .21875 - .275 = -.05625
    # rate SMB = (.85-.9)*(.25+.5)/2 = -.01875; rate Ent = 0
    assert effects == pytest.approx({"mix": -0.05625, "rate: SMB": -0.01875, "rate: Ent": 0.0},
                                    abs=1e-15)
    assert abs(out["effect"].sum() - (0.975 - 1.05)) < 1e-12
    assert out.attrs["nrr_base"] == pytest.approx(1.05)
    assert out.attrs["nrr_current"] == pytest.approx(0.975)
    assert set(out["base"]) == {"2026-01"} and set(out["current"]) == {"2026-02"}
    assert out.loc[out["component"] == "mix", "segment"].isna().all()


def test_nrr_change_decomposition_new_segment_is_mix():
    bridge = pd.concat([_two_segment_bridge(), pd.DataFrame({
        "period": ["2026-02"], "segment": ["Mid"], "start_mrr": [400.0], "churn": [0.0],
        "contraction": [0.0], "expansion": [40.0], "new": [0.0]})])
    out = nrr_change_decomposition(bridge)
    # Feb overall = (170 + 220 + 440) / 800; Jan 1.05
    assert abs(out["effect"].sum() - (830 / 800 - 1.05)) < 1e-12
    assert _row(out, component="rate: Mid")["effect"] == 0.0


def test_nrr_change_decomposition_on_real_bridge_sums(hand_mrr):
    data = hand_mrr.assign(segment=hand_mrr["account_id"].map(
        {"A": "SMB", "B": "SMB", "C": "Ent", "D": "Ent", "E": "Ent"}))
    bridge = revenue_bridge(mrr_movements(data, keep="segment"), by="segment")
    total = revenue_bridge(mrr_movements(data)).set_index("period")["nrr"]
    out = nrr_change_decomposition(bridge, base="2026-02", current="2026-03")
    assert abs(out["effect"].sum() - (total["2026-03"] - total["2026-02"])) < 1e-12


def test_nrr_change_decomposition_errors():
    bridge = _two_segment_bridge()
    with pytest.raises(ParamsError, match=r"has 1 period\(s\).*two are needed"):
        nrr_change_decomposition(bridge[bridge["period"] == "2026-01"])
    with pytest.raises(ParamsError, match=r"base='2025-12' is not in `period`"):
        nrr_change_decomposition(bridge, base="2025-12", current="2026-02")
    with pytest.raises(ParamsError, match=r"several rows per `period` and `segment`"):
        nrr_change_decomposition(pd.concat([bridge, bridge]))
    with pytest.raises(ParamsError, match=r"period '2026-01' has no starting MRR"):
        nrr_change_decomposition(bridge.assign(start_mrr=[0.0, 0.0, 1.0, 1.0]))
    with pytest.raises(SchemaError, match=r"has no column\(s\) `region`"):
        nrr_change_decomposition(bridge, by="region")


# ---------------------------------------------------------------- top movers


def test_top_movers(hand_mrr):
    mv = mrr_movements(hand_mrr)
    before = mv.copy()
    # Mar losses: B churn -200, A contraction -50
    march = top_movers(mv, month="2026-03")
    assert march["account_id"].tolist() == ["B", "A"]
    assert march["change"].tolist() == [-200.0, -50.0]
    assert top_movers(mv, n=1, month=pd.Timestamp("2026-03-15"))["account_id"].tolist() == ["B"]
    # default: last month (May) -> D churn -40 only
    assert top_movers(mv)["account_id"].tolist() == ["D"]
    assert top_movers(mv, kinds=("expansion",), month="2026-04")["account_id"].tolist() == ["A"]
    pd.testing.assert_frame_equal(mv, before)


def test_top_movers_errors(hand_mrr):
    mv = mrr_movements(hand_mrr)
    with pytest.raises(ParamsError, match=r"unknown kind\(s\) \['downsell'\]"):
        top_movers(mv, kinds=("downsell",))
    with pytest.raises(ParamsError, match=r"n=0 must be an integer >= 1"):
        top_movers(mv, n=0)
    with pytest.raises(ParamsError, match=r"month '2027-01' is outside"):
        top_movers(mv, month="2027-01")


def test_logo_churn_interval_is_wilson_by_hand():
    # Wilson, 3 of 150, z = 1.96: centre (p + z^2/2n) / (1 + z^2/n),
    # half-width z sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n)
    n, k, z = 150, 3, 1.959963984540054
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    low, high = logo_churn_interval(k, n)
    assert (low, high) == pytest.approx((centre - half, centre + half))
    assert low < p < high
    assert logo_churn_interval(0, 10)[0] == 0.0
    assert np.isnan(logo_churn_interval(0, 0)[0])


def test_grouped_bridge_flags_small_groups():
    # October 2026: plan Pro has 3 accounts paying at the start (September), Basic 1.
    # With min_n=2 only Basic is flagged; with the default (30) both are.
    mrr = pd.DataFrame({
        "account_id": ["A", "A", "B", "B", "C", "C", "D", "D"],
        "month": pd.to_datetime(["2026-09-01", "2026-10-01"] * 4),
        "mrr": [100.0, 100.0, 50.0, 0.0, 80.0, 90.0, 40.0, 40.0],
        "plan": ["Pro", "Pro", "Pro", "Pro", "Pro", "Pro", "Basic", "Basic"],
    })
    moves = rev.mrr_movements(mrr, keep=["plan"])
    bridge = rev.revenue_bridge(moves, by="plan", min_n=2)
    oct_ = rev.bridge_row(bridge, month="2026-10").set_index("plan")
    assert oct_["accounts_start"].to_dict() == {"Basic": 1, "Pro": 3}
    assert oct_["small_sample"].to_dict() == {"Basic": True, "Pro": False}
    assert rev.bridge_row(rev.revenue_bridge(moves, by="plan"), month="2026-10")[
        "small_sample"].tolist() == [True, True]
    assert "small_sample" not in rev.revenue_bridge(moves).columns  # ungrouped: no flag
    assert rev.revenue_bridge(moves.iloc[:0], by="plan")["small_sample"].dtype == bool
    with pytest.raises(ParamsError, match="min_n=-1 must be a whole number >= 0"):
        rev.revenue_bridge(moves, by="plan", min_n=-1)


# ---------------------------------------------------------------- one vocabulary (issue 14)


def test_report_month_by_position_still_works_and_warns(quarter_mrr):
    accounts = mrr_movements(quarter_mrr)
    contracts = mrr_movements(quarter_mrr, entity="contract_id")
    bridge = revenue_bridge(accounts)
    cases = [
        (bridge_row, (bridge, "2026-02"), {"month": "2026-02"}),
        (last_periods, (bridge, "2026-03", 2), {"month": "2026-03", "n": 2}),
        (trailing_bridge, (accounts, "2026-03"), {"month": "2026-03"}),
        (compare_views, (contracts, accounts, "2026-02"), {"month": "2026-02"}),
    ]
    for func, args, kwargs in cases:
        new = func(*args[: len(args) - len(kwargs)], **kwargs)
        with pytest.warns(FutureWarning, match=rf"`{func.__name__}\(.*by position is "
                                               r"deprecated; pass `month=\.\.\."):
            old = func(*args)
        if isinstance(new, pd.DataFrame):
            pd.testing.assert_frame_equal(old, new)
        else:
            pd.testing.assert_series_equal(old, new)
    assert bridge_row(bridge, month="2026-02")["end_mrr"] == 675  # worked by hand above
    with pytest.raises(TypeError, match=r"takes 1 positional arguments but 4 were given"):
        bridge_row(bridge, "2026-02", 1, 2)


def test_month_column_keyword_and_its_old_name(hand_mrr):
    renamed = hand_mrr.rename(columns={"month": "mes"})
    new = mrr_movements(renamed, month_column="mes")
    with pytest.warns(FutureWarning, match=r"`mrr_movements\(month=\.\.\.\)` is deprecated; "
                                           r"use `month_column=\.\.\.`"):
        old = mrr_movements(renamed, month="mes")
    pd.testing.assert_frame_equal(old, new)
    assert "mes" in new.columns and "month" not in new.columns
    bridge = revenue_bridge(new, month_column="mes")
    with pytest.warns(FutureWarning, match=r"`revenue_bridge\(month=\.\.\.\)` is deprecated"):
        pd.testing.assert_frame_equal(revenue_bridge(new, month="mes"), bridge)
    # same bridge as with the default name (end MRR by hand in test_bridge_errors: 660)
    assert bridge["end_mrr"].iloc[-1] == 660
    with pytest.raises(TypeError, match=r"both `month=` \(deprecated\) and `month_column=`"):
        revenue_bridge(new, month="mes", month_column="mes")


def test_functions_on_raw_mrr_say_call_mrr_movements_first(hand_mrr):
    for call in (lambda: revenue_bridge(hand_mrr),
                 lambda: revenue_bridge(hand_mrr, entity="account_id"),
                 lambda: trailing_bridge(hand_mrr, month="2026-05"),
                 lambda: rev.top_movers(hand_mrr)):
        with pytest.raises(SchemaError, match=r"has no column\(s\) `previous_mrr`, `change`, "
                                              r"`movement`: it looks like the raw MRR table\. "
                                              r"Call `mrr_movements` first"):
            call()
    movements = mrr_movements(hand_mrr)
    for call in (lambda: bridge_row(movements, month="2026-05"),
                 lambda: last_periods(movements, month="2026-05"),
                 lambda: nrr_change_decomposition(movements)):
        with pytest.raises(SchemaError, match=r"has no column `period`: it is not a revenue "
                                              r"bridge\. Call `revenue_bridge` first"):
            call()
