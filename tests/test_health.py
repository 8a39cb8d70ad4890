"""Tests for issue 16: the review's backtest, the health score, tuned thresholds, the loop
and FCR drivers.

Hand-made histories are worked by hand in the comments; AUC, Brier and calibration are
checked against scikit-learn and statsmodels (independent code); the planted effects of
the demo (cslib.demo's docstring) are recovered from one module-scoped warehouse.
Time budget: the whole module runs in about a minute on one core.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from sklearn.metrics import brier_score_loss, roc_auc_score
from statsmodels.stats.proportion import proportion_confint

from cslib import health, review
from cslib.demo import generate_warehouse
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
            for m, v in zip(MONTHS, values, strict=True) if v > 0]
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
    assert backtest_sentence(m, "2026-01", locale="en") == (
        "Of the accounts classed as churn risk in January 2026, 67% churned by April 2026, "
        "against 33% of the others: 2.0 times the rate.")
    with pytest.raises(ParamsError, match="no backtest row for 2026-04"):
        backtest_sentence(m, "2026-04", locale="en")


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


# --- the score's metrics against independent code --------------------------------------------



def test_auc_by_hand():
    # positives 0.35 and 0.8 against negatives 0.1 and 0.4: 3 of the 4 pairs ordered
    assert health.auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    # a tie counts one half
    assert health.auc([0, 1], [0.5, 0.5]) == 0.5


def test_auc_brier_calibration_against_sklearn_and_statsmodels():
    rng = np.random.default_rng(3)
    p = np.round(rng.uniform(0.01, 0.6, 400), 2)  # rounded: ties
    y = (rng.random(400) < np.clip(1.3 * p - 0.05, 0, 1)).astype(float)
    assert health.auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    table, slope, intercept = health.calibration(y, p)
    lp = np.log(p / (1 - p))
    ref = sm.Logit(y, sm.add_constant(lp)).fit(disp=0)
    assert slope == pytest.approx(ref.params[1], rel=1e-6)
    ref_int = sm.GLM(y, np.ones((len(y), 1)), family=sm.families.Binomial(), offset=lp).fit()
    assert intercept == pytest.approx(ref_int.params[0], rel=1e-6)
    # deciles: 10 groups of 40 ordered by p, observed = plain mean of y in each
    order = np.argsort(p, kind="stable")
    assert table["rows"].tolist() == [40] * 10
    assert table["observed"].tolist() == pytest.approx(
        [y[order[i * 40:(i + 1) * 40]].mean() for i in range(10)])


@pytest.fixture(scope="module")
def oot(demo_tables):
    return health.out_of_time(demo_tables, n_boot=100)


def test_out_of_time_windows_and_metrics(oot):
    # last MRR month 2026-10, horizon 3: test months May-July 2026, cutoff April,
    # training months end in January (labels Feb-April)
    assert [str(m) for m in oot.test_months] == ["2026-05", "2026-06", "2026-07"]
    assert str(oot.cutoff) == "2026-04"
    assert max(oot.train_months) == pd.Period("2026-01", "M")
    assert not set(oot.train_months) & set(oot.test_months)
    pr = oot.predictions
    m = oot.metrics.iloc[0]
    assert m["auc"] == pytest.approx(roc_auc_score(pr["churn"], pr["p"]))
    assert m["brier"] == pytest.approx(brier_score_loss(pr["churn"], pr["p"]))
    assert m["auc_low"] <= m["auc"] <= m["auc_high"]
    top = pr["p"] >= pr["p"].quantile(0.9)
    assert m["top_decile_lift"] == pytest.approx(pr.loc[top, "churn"].mean() / pr["churn"].mean())
    assert pr["health"].between(0, 100).all()


def test_health_review_shares_each_months_components_without_changing_a_number(demo_tables, oot):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hr = health.health_review(demo_tables, n_boot=100)
        alone = review.backtest(demo_tables)
    # each part as computed alone, every month cut and scored from the whole tables
    pd.testing.assert_frame_equal(hr.out_of_time.metrics, oot.metrics)
    pd.testing.assert_frame_equal(hr.out_of_time.predictions, oot.predictions)
    pd.testing.assert_series_equal(hr.out_of_time.model.coef_, oot.model.coef_)
    pd.testing.assert_frame_equal(hr.backtest.outcomes, alone.outcomes)
    pd.testing.assert_frame_equal(hr.backtest.rates, alone.rates)


def _shift_after(tables, cutoff):
    """Every event dated after ``cutoff``'s end changed: MRR gone (all churn), scores
    flipped, tickets and loop actions moved, later resolutions undone."""
    cut = pd.Period(cutoff, "M").end_time
    t = {k: v.copy() for k, v in tables.items()}
    t["mrr"] = t["mrr"][t["mrr"]["month"] <= cut]
    late = t["nps_responses"]["responded_at"] > cut
    t["nps_responses"].loc[late, "score"] = 10 - t["nps_responses"].loc[late, "score"]
    tl = t["tickets"]["opened_at"] > cut
    t["tickets"].loc[tl, "contacts"] = 5
    t["tickets"].loc[t["tickets"]["resolved_at"] > cut, "resolved_at"] = pd.NaT
    t["loop_actions"] = t["loop_actions"][t["loop_actions"]["done_at"] <= cut]
    t["usage"] = t["usage"][t["usage"]["month"] <= cut]
    return t


def test_fit_sees_nothing_after_the_cutoff(demo_tables):
    a = health.HealthScore().fit(demo_tables, train_end="2026-04")
    b = health.HealthScore().fit(_shift_after(demo_tables, "2026-04"), train_end="2026-04")
    assert max(a.train_months_) == pd.Period("2026-01", "M")  # labels end by April
    pd.testing.assert_series_equal(a.coef_, b.coef_)
    assert a.intercept_ == b.intercept_
    # the check can fail: changing April itself (inside the labels) moves the weights
    c = health.HealthScore().fit(_shift_after(demo_tables, "2026-03"), train_end="2026-04")
    assert not np.allclose(a.coef_, c.coef_)


def test_few_events_warn(demo_tables):
    with pytest.warns(health.HealthWarning, match="fewer than 10 per component"):
        health.HealthScore().fit(demo_tables, train_end="2026-04", train_months=1)


def test_health_score_errors():
    with pytest.raises(ParamsError, match="unknown component"):
        health.HealthScore(components=["nps", "mood"])
    with pytest.raises(ParamsError, match="weights must give every component"):
        health.HealthScore(components=["nps"], weights={"nps": -1.0})
    with pytest.raises(ParamsError, match="not fitted"):
        health.HealthScore().predict_proba(pd.DataFrame({"nps": [0.0]}))


# --- planted effects on a bigger demo ----------------------------------------------------------

@pytest.fixture(scope="module")
def big():
    """2,000 accounts, NPS over all 24 months: about 10 s to build."""
    return generate_warehouse(2000, seed=1, nps_start_months=24)


@pytest.fixture(scope="module")
def big_frame(big):
    return health.health_frame(big, pd.period_range("2024-12", "2026-09", freq="M"), horizon=1)


def test_planted_churn_terms_recovered(big_frame):
    """The kit's own components (each known at the month's end) recover the demo's churn
    model; sizes written from cslib.demo's docstring; Bonferroni over the four terms."""
    planted = {"key_adopter": np.log(0.5), "nps": -1.0, "fcr": -1.5, "loop_missed": 0.5}
    fit = health.churn_drivers(big_frame, drivers=list(planted), controls=["segment"],
                               confidence=1 - 0.05 / 4).set_index("term")
    for name, value in planted.items():
        assert fit.loc[name, "low"] < value < fit.loc[name, "high"], (name, fit.loc[name])
        assert fit.loc[name, "high"] < 0 or fit.loc[name, "low"] > 0


def test_planted_loop_effect_recovered(big):
    """Detractors called within the SLA: 0.20 less likely to answer as a detractor again."""
    res = health.loop_effect(big).set_index("outcome")
    row = res.loc["next_detractor"]
    assert row["low"] < -0.20 < row["high"]
    assert row["wording"] == "association"
    # missed loops raise churn in the demo: called accounts churn less
    assert res.loc["churn", "high"] < 0


def test_loop_effect_with_a_holdout_by_hand():
    """Eight detractors; four assigned to the call (one called late), four held out at
    random. Next answers: assigned 8, 8, 8, 5 (one detractor), held out all detractors.
    Intention to treat: 1/4 - 4/4 = -0.75, worded as an effect."""
    ids = [f"A{i}" for i in range(1, 9)]
    accounts = pd.DataFrame({"account_id": ids, "name": ids, "segment": "SMB",
                             "plan": "Growth", "employees": 10,
                             "signup_date": pd.Timestamp("2025-06-01")})
    mrr = pd.DataFrame([(f"C{a}", a, m, 100.0) for a in ids
                        for m in pd.date_range("2026-01-01", "2026-06-01", freq="MS")],
                       columns=["contract_id", "account_id", "month", "mrr"])
    first = pd.DataFrame({"response_id": [f"R{i}" for i in range(1, 9)],
                          "user_id": [f"U{i}" for i in range(1, 9)], "account_id": ids,
                          "responded_at": pd.Timestamp("2026-01-10 09:00"), "score": 3})
    second = pd.DataFrame({"response_id": [f"S{i}" for i in range(1, 9)],
                           "user_id": [f"U{i}" for i in range(1, 9)], "account_id": ids,
                           "responded_at": pd.Timestamp("2026-04-10 09:00"),
                           "score": [8, 8, 8, 5, 4, 4, 4, 4]})
    done = (["2026-01-11"] * 3 + ["2026-01-20"] + ["2026-02-10"] * 4)
    loops = pd.DataFrame({"response_id": first["response_id"], "action": "call",
                          "done_at": pd.to_datetime(done),
                          "holdout": [False] * 4 + [True] * 4})
    tables = {"accounts": accounts, "mrr": mrr,
              "nps_responses": pd.concat([first, second], ignore_index=True),
              "loop_actions": loops}
    res = health.loop_effect(tables, controls=()).set_index("outcome")
    assert res.loc["next_detractor", "estimate"] == pytest.approx(-0.75)
    assert res.loc["next_detractor", "wording"] == "effect"
    assert res.loc["next_detractor", "rows"] == 8
    assert "churn" not in res.index  # nobody churned: nothing to estimate
    # without the holdout column the same data is an association, in-SLA (3) vs not (5)
    tables["loop_actions"] = loops.drop(columns="holdout")
    res = health.loop_effect(tables, controls=()).set_index("outcome")
    assert res.loc["next_detractor", "wording"] == "association"
    assert res.loc["next_detractor", "estimate"] == pytest.approx(0 - 5 / 5)


def test_fcr_driver(big):
    frame = health.health_frame(big, pd.period_range("2025-01", "2026-07", freq="M"),
                                horizon=3)
    res = health.fcr_driver(frame, big).set_index("outcome")
    # the demo plants FCR on churn only: next NPS is not moved by FCR
    assert res.loc["next_nps", "low"] < 0 < res.loc["next_nps", "high"]
    assert res.loc["churn", "high"] < 0


# --- thresholds tuned on history ---------------------------------------------------------------

GRID = {"churn_nps": (-40, 0), "churn_fcr": (0.0, 0.5)}


def test_tune_review_windows_objective_and_file(demo_tables, tmp_path):
    tuned = health.tune_review(demo_tables, train_months=3, test_months=2, max_share=0.15,
                               grid=GRID)
    # last MRR month 2026-10, horizon 3: test months June-July; training labels must end
    # before June, so the training review months end in February
    assert (tuned["test"]["start"], tuned["test"]["end"]) == ("2026-06", "2026-07")
    assert (tuned["train"]["start"], tuned["train"]["end"]) == ("2025-12", "2026-02")
    assert tuned["train"]["labels_until"] == "2026-05"
    g = tuned["grid"]
    assert len(g) == 4
    eligible = g[g["share_called"] <= 0.15]
    best = eligible["recall"].max()
    assert tuned["train"]["recall"] == pytest.approx(best)
    assert tuned["train"]["share_called"] <= 0.15
    # the chosen thresholds, replayed by hand with the review on the test months
    from cslib.pointintime import known_at

    flagged = hits = churned = 0
    for month, months_after in (("2026-06", ["2026-07", "2026-08", "2026-09"]),
                                ("2026-07", ["2026-08", "2026-09", "2026-10"])):
        cut = known_at(demo_tables, month)
        ev = review.account_evidence(cut["accounts"], cut["mrr"], cut["nps_responses"],
                                     cut["usage"], cut["tickets"], month=month)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", review.ThinEvidenceWarning)
            cls = review.success_review(ev, thresholds=tuned["thresholds"])
        mrr = demo_tables["mrr"]
        paid = mrr[mrr["month"].isin(pd.to_datetime(months_after))].groupby(
            ["account_id", "month"])["mrr"].sum()
        full = paid.unstack().reindex(index=cls["account_id"],
                                      columns=pd.to_datetime(months_after)).fillna(0)
        y = (full <= 0.005).any(axis=1).to_numpy()
        f = (cls["class"] == 4).to_numpy()
        flagged += f.sum()
        hits += (f & y).sum()
        churned += y.sum()
    assert tuned["test"]["flagged"] == flagged and tuned["test"]["hits"] == hits
    assert tuned["test"]["recall"] == pytest.approx(hits / churned)
    path = health.write_thresholds(tuned, tmp_path / "th.yaml")
    back = health.read_thresholds(path)
    assert back["thresholds"] == tuned["thresholds"]
    assert back["train"]["start"] == "2025-12" and "recall" in back["objective"]
    assert "chosen on" in health.tuned_sentence(back)


def test_tune_review_errors(demo_tables, tmp_path):
    with pytest.raises(ParamsError, match="no thresholds of the grid call at most 0%"):
        health.tune_review(demo_tables, train_months=1, test_months=1, max_share=0.0,
                           grid={"churn_nps": (100,)})
    with pytest.raises(ParamsError, match="unknown threshold"):
        health.tune_review(demo_tables, grid={"churn_mood": (1,)})
    with pytest.raises(ParamsError, match="does not exist"):
        health.read_thresholds(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("objective: x\n")
    with pytest.raises(ParamsError, match="has no `thresholds` mapping"):
        health.read_thresholds(tmp_path / "bad.yaml")


def test_cli_tune_review(demo_db, tmp_path, capsys):
    from cslib.cli import main

    out = tmp_path / "th.yaml"
    code = main(["tune-review", str(demo_db), "--output", str(out), "--train-months", "2",
                 "--test-months", "1", "--max-share", "0.2", "--params", str(tmp_path / "x")])
    assert code == 0
    text = capsys.readouterr().out
    assert "chosen on" in text and str(out) in text
    assert set(health.read_thresholds(out)["thresholds"]) == set(health.TUNE_GRID)


def test_short_history_is_said_not_failed():
    """Three months of data: no backtest and no validation, each with the reason."""
    short = generate_warehouse(40, n_months=3, seed=2, nps_start_months=3)
    with pytest.raises(ParamsError, match="hold 3 month.*at least 4"):
        review.backtest(short)
    with pytest.warns(health.HealthWarning, match="no backtest"):
        hr = health.health_review(short, n_boot=10)
    assert hr.backtest is None and hr.out_of_time is None
    assert set(hr.missing) >= {"backtest", "score validation"}
    assert hr.backtest_table().empty and hr.deciles.empty
    from cslib.report import health_headlines, health_summary

    assert health_headlines(hr) == []
    assert "Not enough history for the backtest" in health_summary(hr, locale="en")


def test_health_frame_shared_cuts_give_the_same_frame(demo_tables):
    # health_review shares each month's cut between its parts: a frame built from the
    # shared cuts (second call: cuts reused) equals one cut afresh
    months = ["2026-06", "2026-07"]
    alone = health.health_frame(demo_tables, months)
    cuts: dict = {}
    health.health_frame(demo_tables, months, _cuts=cuts)
    assert sorted(cuts) == months
    pd.testing.assert_frame_equal(health.health_frame(demo_tables, months, _cuts=cuts), alone)
