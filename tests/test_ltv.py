"""Tests for cslib.ltv: the two LTV forms and the per-segment LTV/CAC table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from statsmodels.stats.proportion import proportion_confint

from cslib.exceptions import ParamsError, SchemaError, SmallSampleWarning
from cslib.ltv import ltv_cac_table, ltv_simple, ltv_subscription

# Same MRR as tests/test_revenue.py. None = no row.
#                 Jan  Feb  Mar  Apr  May
HAND = {
    ("A", "A-core"): [100, 100, 100, 120, 120],
    ("A", "A-addon"): [50, 50, 0, None, None],
    ("B", "B1"): [200, 200, None, None, 150],
    ("C", "C1"): [None, 80, 80, 60, 60],
    ("D", "D1"): [0, None, 40, 40, 0],
    ("E", "E1"): [300, 330, 330, 330, 330],
}


@pytest.fixture
def hand_mrr() -> pd.DataFrame:
    months = pd.date_range("2026-01-01", periods=5, freq="MS")
    return pd.DataFrame([
        {"contract_id": c, "account_id": a, "product": "x", "month": m, "mrr": float(v)}
        for (a, c), vals in HAND.items()
        for m, v in zip(months, vals, strict=True)
        if v is not None
    ])


@pytest.fixture
def hand_accounts() -> pd.DataFrame:
    return pd.DataFrame({
        "account_id": ["A", "B", "C", "D", "E"],
        "segment": ["SMB", "SMB", "Ent", "Ent", "Ent"],
        "signup_date": pd.to_datetime(
            ["2025-01-10", "2026-02-05", "2026-02-10", "2026-03-01", "2024-05-01"]),
        "cac": [1000.0, 500.0, 300.0, 100.0, 9000.0],
    })


def test_ltv_simple_by_hand():
    # R$ 50 a purchase, 4 purchases a year, 3 years: 50 * 4 * 3 = 600
    assert ltv_simple(50.0, 4, 3) == 600.0
    assert ltv_simple(0, 4, 3) == 0.0
    with pytest.raises(ParamsError, match=r"\{'lifetime': -1\} must be >= 0"):
        ltv_simple(50.0, 4, -1)


def test_ltv_subscription_by_hand():
    # ARPA 100, margin 80%, 2% monthly churn: 100 * 0.8 / 0.02 = 4000 (50-month lifetime)
    assert ltv_subscription(100.0, 0.8, 0.02) == pytest.approx(4000.0)
    with pytest.raises(ParamsError, match=r"churn_rate=0 must be > 0"):
        ltv_subscription(100.0, 0.8, 0)
    with pytest.raises(ParamsError, match=r"gross_margin=75 must be a fraction"):
        ltv_subscription(100.0, 75, 0.02)
    with pytest.raises(ParamsError, match=r"arpa=-1.0 must be >= 0"):
        ltv_subscription(-1.0, 0.8, 0.02)


def test_ltv_cac_table_by_hand(hand_mrr, hand_accounts):
    mrr_before, acc_before = hand_mrr.copy(), hand_accounts.copy()
    out = ltv_cac_table(hand_mrr, hand_accounts, by="segment", months=4).set_index("segment")
    pd.testing.assert_frame_equal(hand_mrr, mrr_before)
    pd.testing.assert_frame_equal(hand_accounts, acc_before)
    # Window Feb-May (4 months ending at the last month, May).
    # SMB = A, B. Paying account-months: A 150, 100, 120, 120; B 200 (Feb), 150 (May)
    #   arpa = 840 / 6 = 140. Bridge: Feb start A,B (2) lost 0; Mar A,B (2) lost B;
    #   Apr A (1); May A (1) (B's return is a reactivation) -> 1 / 6.
    #   ltv = 140 * .75 * 6 = 630. Signed up in the window: B (cac 500) -> 630/500 = 1.26
    # Ent = C, D, E. C 80, 80, 60, 60; D 40, 40; E 330 x 4 -> 1680 / 10 = 168.
    #   Bridge: Feb E (1); Mar C, E (2); Apr C, D, E (3); May C, D, E (3) lost D -> 1 / 9
    #   ltv = 168 * .75 * 9 = 1134. Signed up in window: C 300, D 100 -> 200; 1134/200 = 5.67
    # Paying in May: SMB A, B; Ent C, E.
    # The bridge sums are account-months: SMB's A counts once in each of Feb-May.
    assert out.loc["SMB", ["accounts", "account_months", "start_account_months",
                           "churned_account_months"]].tolist() == [2, 6, 6, 1]
    assert out.loc["Ent", ["accounts", "account_months", "start_account_months",
                           "churned_account_months"]].tolist() == [2, 10, 9, 1]
    assert "accounts_start" not in out and "accounts_churned" not in out
    assert_allclose(out.loc[["SMB", "Ent"], "arpa"], [140, 168])
    assert_allclose(out.loc[["SMB", "Ent"], "churn_rate"], [1 / 6, 1 / 9])
    assert_allclose(out.loc[["SMB", "Ent"], "ltv"], [630, 1134])
    assert_allclose(out.loc[["SMB", "Ent"], "avg_cac"], [500, 200])
    assert_allclose(out.loc[["SMB", "Ent"], "ltv_cac"], [1.26, 5.67])
    # interval: Wilson from statsmodels directly, propagated through the formula
    for seg, arpa, k, n in (("SMB", 140, 1, 6), ("Ent", 168, 1, 9)):
        lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
        assert_allclose(out.loc[seg, ["churn_low", "churn_high"]].astype(float), [lo, hi])
        assert_allclose(out.loc[seg, ["ltv_low", "ltv_high"]].astype(float),
                        [arpa * 0.75 / hi, arpa * 0.75 / lo])
        assert out.loc[seg, "ltv_low"] < out.loc[seg, "ltv"] < out.loc[seg, "ltv_high"]


def test_ltv_cac_table_end_no_cac_and_no_churn(hand_mrr, hand_accounts):
    # Window Mar-Apr, margin 50%. SMB: A 100, 120 -> arpa 110; Mar start A,B lost B;
    #   Apr start A -> 1/3; ltv = 110 * .5 * 3 = 165.
    # Ent: C 80, 60; D 40, 40; E 330, 330 -> 880/6; Mar start C,E; Apr C,D,E; no churn.
    with pytest.warns(SmallSampleWarning, match=r"no churn observed in \['Ent'\]"):
        out = ltv_cac_table(hand_mrr, hand_accounts.drop(columns="cac"), by="segment", months=2,
                            month="2026-04", gross_margin=0.5).set_index("segment")
    assert_allclose(out.loc["SMB", ["arpa", "churn_rate", "ltv"]].astype(float),
                    [110, 1 / 3, 165])
    assert out.loc["SMB", "accounts"] == 1  # only A pays in Apr
    assert_allclose(out.loc["Ent", "arpa"], 880 / 6)
    assert np.isnan(out.loc["Ent", "ltv"]) and np.isinf(out.loc["Ent", "ltv_high"])
    assert out["avg_cac"].isna().all() and out["ltv_cac"].isna().all()


def test_ltv_cac_table_errors(hand_mrr, hand_accounts):
    with pytest.raises(ParamsError, match=r"months=0 must be an integer >= 1"):
        ltv_cac_table(hand_mrr, hand_accounts, months=0)
    with pytest.raises(ParamsError, match=r"gross_margin=1.5 must be a fraction"):
        ltv_cac_table(hand_mrr, hand_accounts, gross_margin=1.5)
    with pytest.raises(ParamsError, match=r"month='2027-01' is outside the MRR data"):
        ltv_cac_table(hand_mrr, hand_accounts, month="2027-01")
    with pytest.raises(SchemaError, match=r"accounts has no column\(s\) `region`"):
        ltv_cac_table(hand_mrr, hand_accounts, by="region")
    with pytest.raises(SchemaError, match=r"1 `account_id` value\(s\) not in the accounts.*'E'"):
        ltv_cac_table(hand_mrr, hand_accounts[hand_accounts["account_id"] != "E"])


def test_ltv_cac_table_on_demo(demo_tables):
    mrr, accounts = demo_tables["mrr"], demo_tables["accounts"]
    before = (mrr.copy(deep=True), accounts.copy(deep=True))
    out = ltv_cac_table(mrr, accounts, by="segment", gross_margin=0.62).set_index("segment")
    pd.testing.assert_frame_equal(mrr, before[0], check_exact=True)
    pd.testing.assert_frame_equal(accounts, before[1], check_exact=True)

    # Independently, with plain pandas: account MRR per month (contracts summed, a month
    # with no row is 0), the 12 months ending with the last month of the data.
    wide = (mrr.assign(_p=mrr["month"].dt.to_period("M"))
            .groupby(["account_id", "_p"])["mrr"].sum().unstack(fill_value=0.0))
    periods = pd.period_range(wide.columns.min(), wide.columns.max(), freq="M")
    wide = wide.reindex(columns=periods, fill_value=0.0)
    last = periods.max()
    window = [p for p in periods if p > last - 12]
    segment = accounts.set_index("account_id")["segment"]
    # ARPA: mean MRR over the paying account-months of the window
    cells = wide[window].stack()
    cells = cells[cells > 0]
    arpa = cells.groupby(segment.reindex(cells.index.get_level_values(0)).to_numpy()).mean()
    # monthly logo churn: accounts paying in the month before, and of them those paying
    # nothing in the month, summed over the window (the data's first month has no month
    # before it)
    starts, lost = pd.Series(0, index=arpa.index), pd.Series(0, index=arpa.index)
    for p in window:
        if p - 1 < periods.min():
            continue
        paying = wide[p - 1] > 0
        seg = segment.reindex(wide.index)
        starts = starts.add(paying.groupby(seg).sum(), fill_value=0)
        lost = lost.add((paying & (wide[p] == 0)).groupby(seg).sum(), fill_value=0)
    churn = lost / starts
    signed = accounts["signup_date"].dt.to_period("M")
    recent = accounts[(signed >= window[0]) & (signed <= last)]
    avg_cac = recent.groupby("segment")["cac"].mean()

    assert sorted(out.index) == sorted(arpa.index)
    assert_allclose(out["arpa"], arpa.reindex(out.index), rtol=1e-12)
    assert (out["start_account_months"] == starts.reindex(out.index)).all()
    assert (out["churned_account_months"] == lost.reindex(out.index)).all()
    assert_allclose(out["churn_rate"], churn.reindex(out.index), rtol=1e-12)
    ok = out["churn_rate"] > 0
    assert ok.any()
    expected_ltv = arpa * 0.62 / churn
    assert_allclose(out.loc[ok, "ltv"], expected_ltv.reindex(out.index[ok]), rtol=1e-12)
    assert_allclose(out["avg_cac"], avg_cac.reindex(out.index), rtol=1e-12)
    assert_allclose(out.loc[ok, "ltv_cac"],
                    (expected_ltv / avg_cac).reindex(out.index[ok]), rtol=1e-12)
    assert (out.loc[ok, "ltv_low"] <= out.loc[ok, "ltv"]).all()
    assert (out.loc[ok, "ltv"] <= out.loc[ok, "ltv_high"]).all()
    paying_now = (wide[last] > 0).groupby(segment.reindex(wide.index)).sum()
    assert (out["accounts"] == paying_now.reindex(out.index)).all()


def test_ltv_labels_say_account_months():
    from cslib import report

    # 2 accounts paying for 3 months: 6 account-months at start, not 2 accounts
    months = pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"])
    mrr = pd.DataFrame({"account_id": ["A"] * 4 + ["B"] * 4, "month": list(months) * 2,
                        "mrr": [100.0] * 8})
    accounts = pd.DataFrame({"account_id": ["A", "B"], "segment": ["SMB", "SMB"],
                             "signup_date": pd.to_datetime(["2025-01-01"] * 2)})
    with pytest.warns(SmallSampleWarning):
        table = ltv_cac_table(mrr, accounts, months=3)
    assert table[["start_account_months", "churned_account_months"]].iloc[0].tolist() == [6, 0]
    html = report.table_html(table, locale="en")
    assert "Account-months paying at start" in html and "Account-months lost" in html
    assert "Paying accounts at start" not in html
    assert "Contas-mês pagantes no início" in report.table_html(table, locale="pt-BR")


# --- one vocabulary (issue 14) ----------------------------------------------------------------

def _doc_example():
    months = ["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"]
    mrr = pd.DataFrame({"account_id": ["A"] * 4 + ["B"] * 2 + ["C"] * 4 + ["D"] * 3,
                        "month": pd.to_datetime(months + months[:2] + months + months[:3]),
                        "mrr": [100.0] * 6 + [500.0] * 4 + [300.0] * 3})
    accounts = pd.DataFrame({"account_id": ["A", "B", "C", "D"],
                             "segment": ["SMB", "SMB", "Ent", "Ent"],
                             "region": ["Sul", "Sul", "Sul", "Norte"],
                             "signup_date": pd.to_datetime(["2026-02-10", "2025-05-01",
                                                            "2024-01-01", "2026-03-01"]),
                             "cac": [300.0, 200.0, 5000.0, 1000.0]})
    return mrr, accounts


def test_ltv_cac_table_by_none_is_one_row_over_all_accounts():
    mrr, accounts = _doc_example()
    out = ltv_cac_table(mrr, accounts, months=3)  # the default: by=None
    assert len(out) == 1 and "segment" not in out.columns
    row = out.iloc[0]
    # Feb-Apr: paying account-months A 3, B 1, C 3, D 2 = 9; MRR 400 + 1500 + 600 = 2500
    assert row["account_months"] == 9 and row["arpa"] == pytest.approx(2500 / 9)
    # at the start of Feb, Mar, Apr: 4 + 4 + 3 = 11 (B lost in Mar, D in Apr): churn 2/11
    assert (row["start_account_months"], row["churned_account_months"]) == (11, 2)
    assert row["ltv"] == pytest.approx(2500 / 9 * 0.75 / (2 / 11))
    assert row["avg_cac"] == pytest.approx((300 + 1000) / 2)  # A and D signed up in the window


def test_ltv_cac_table_by_a_list_and_end_renamed_month():
    mrr, accounts = _doc_example()
    with pytest.warns(SmallSampleWarning, match=r"no churn observed in \[\('Ent', 'Sul'\)\]"):
        two = ltv_cac_table(mrr, accounts, by=["segment", "region"], months=3)
    assert two[["segment", "region"]].values.tolist() == [["Ent", "Norte"], ["Ent", "Sul"],
                                                          ["SMB", "Sul"]]
    # Ent/Sul is C alone: 3 paying months of 500, never lost
    c = two.set_index(["segment", "region"]).loc[("Ent", "Sul")]
    assert (c["account_months"], c["arpa"], c["churned_account_months"]) == (3, 500.0, 0)
    pd.testing.assert_frame_equal(ltv_cac_table(mrr, accounts, by=["segment"], months=3),
                                  ltv_cac_table(mrr, accounts, by="segment", months=3))
    new = ltv_cac_table(mrr, accounts, by="segment", months=2, month="2026-04")
    with pytest.warns(FutureWarning, match=r"`ltv_cac_table\(end=\.\.\.\)` is deprecated"):
        old = ltv_cac_table(mrr, accounts, by="segment", months=2, end="2026-04")
    # Mar-Apr: SMB starts with A, B in Mar (B lost) and A in Apr -> churn 1/3
    assert new.set_index("segment").loc["SMB", "churn_rate"] == pytest.approx(1 / 3)
    pd.testing.assert_frame_equal(old, new)
