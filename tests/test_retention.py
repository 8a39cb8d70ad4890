"""Tests for cslib.retention: lifetimes, Kaplan-Meier, log-rank and Cox."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2, norm
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.duration.survfunc import SurvfuncRight, survdiff

from cslib import retention as rt
from cslib.exceptions import ModelError, SmallSampleWarning

DATA = Path(__file__).parent / "data"

# --- a tiny hand-made warehouse (3 accounts, Jan-Apr 2026), as in test_adoption.py ---------
#
# Account MRR (contracts summed; a missing row is 0):
#   A1: Jan 150, Feb 100 (+ an explicit 0 row), Mar 100, Apr 100
#   A2: Jan 200, Feb 200, Mar -- (churn), Apr 200 (reactivation)
#   A3: Feb 80 (new), Mar 80, Apr 80
# Key features used (active_users > 0): A1 Jan 2, Feb 1 (integrations has 0 users), Mar 3;
# A2 Jan 2, Feb 0 (reports only); A3 Feb 1, Mar 1 (+ api, not key).


def _tiny():
    months = pd.to_datetime
    mrr = pd.DataFrame({
        "contract_id": ["C1"] * 4 + ["C2", "C2"] + ["C3", "C3", "C3"] + ["C4"] * 3,
        "account_id": ["A1"] * 6 + ["A2"] * 3 + ["A3"] * 3,
        "month": months(["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01",
                         "2026-01-01", "2026-02-01",
                         "2026-01-01", "2026-02-01", "2026-04-01",
                         "2026-02-01", "2026-03-01", "2026-04-01"]),
        "mrr": [100.0, 100, 100, 100, 50, 0, 200, 200, 200, 80, 80, 80],
    })
    usage = pd.DataFrame({
        "account_id": ["A1", "A1", "A1", "A1", "A1", "A1", "A1", "A1",
                       "A2", "A2", "A2", "A3", "A3", "A3"],
        "feature": ["dashboards", "automations", "reports", "dashboards", "integrations",
                    "dashboards", "automations", "integrations",
                    "automations", "integrations", "reports",
                    "dashboards", "integrations", "api"],
        "month": months(["2026-01-01"] * 3 + ["2026-02-01"] * 2 + ["2026-03-01"] * 3
                        + ["2026-01-01"] * 2 + ["2026-02-01"]
                        + ["2026-02-01"] + ["2026-03-01"] * 2),
        "active_users": pd.array([3, 2, 5, 1, 0, 2, 1, 4, 1, 2, 3, 1, 2, 1], dtype="Int64"),
    })
    accounts = pd.DataFrame({
        "account_id": ["A1", "A2", "A3"],
        "segment": ["SMB", "Enterprise", "SMB"],
        "plan": ["Starter", "Pro", "Growth"],
        "region": ["Sul", "Sudeste", "Norte"],
    })
    return usage, mrr, accounts

# --- account_lifetimes --------------------------------------------------------------------


def test_account_lifetimes_by_hand():
    usage, mrr, accounts = _tiny()
    copies = [x.copy() for x in (usage, mrr, accounts)]
    life = rt.account_lifetimes(mrr, accounts, usage=usage)
    for original, copy in zip((usage, mrr, accounts), copies, strict=True):
        pd.testing.assert_frame_equal(original, copy)
    # Data Jan-Apr. A1 pays Jan-Apr: censored, 4 months. A2 pays Jan, Feb, 0 in Mar:
    # churned, 2 months (its Apr reactivation is ignored). A3 pays Feb-Apr: 3, censored.
    # A1 and A2 already pay in the first data month: their start is not observed.
    assert life["account_id"].tolist() == ["A1", "A2", "A3"]
    assert life["start"].tolist() == list(pd.to_datetime(["2026-01-01", "2026-01-01",
                                                          "2026-02-01"]))
    assert life["start_observed"].tolist() == [False, False, True]
    assert life["duration_months"].tolist() == [4, 2, 3]
    assert life["churned"].tolist() == [0, 1, 0]
    assert life["segment"].tolist() == ["SMB", "Enterprise", "SMB"]
    # Early adoption = mean key features over the first (up to) 3 paying months, half up:
    # A1: Jan 2, Feb 1, Mar 3 -> 2; A2: Jan 2, Feb 0 (Mar not paid) -> 1;
    # A3: Feb 1, Mar 1, Apr 0 -> 2/3 -> 1
    assert life["key_features"].tolist() == [2, 1, 1]
    assert life["key_adopter"].tolist() == [1, 0, 0]
    assert life["adoption_band"].tolist() == ["2 key features", "0-1 key features",
                                              "0-1 key features"]


def test_account_lifetimes_end_cuts_the_data():
    _, mrr, accounts = _tiny()
    # up to Feb: A2's March churn is not seen yet -> censored at 2 months
    life = rt.account_lifetimes(mrr, accounts, month="2026-02")
    assert life["duration_months"].tolist() == [2, 2, 1]
    assert life["churned"].tolist() == [0, 0, 0]
    assert "key_features" not in life.columns


# --- Kaplan-Meier -------------------------------------------------------------------------

# Eight subjects (time, event): (1,1) (2,1) (2,0) (3,1) (3,1) (4,0) (5,1) (6,0).
#  time  at risk  events  censored  S(t)
#   1      8        1        0      7/8            = 0.875
#   2      7        1        1      0.875 * 6/7    = 0.75
#   3      5        2        0      0.75 * 3/5     = 0.45
#   4      3        0        1      0.45
#   5      2        1        0      0.45 * 1/2     = 0.225
#   6      1        0        1      0.225
# Greenwood sum at t=3: 1/(8*7) + 1/(7*6) + 2/(5*3) = 1/24 + 2/15 = 0.175.
# Median: first time with S <= 0.5 -> 3.
HAND = pd.DataFrame({"t": [1, 2, 2, 3, 3, 4, 5, 6], "e": [1, 1, 0, 1, 1, 0, 1, 0]})


def test_km_by_hand():
    before = HAND.copy()
    curves = rt.survival_curves(HAND, duration="t", event="e")
    pd.testing.assert_frame_equal(HAND, before)
    table = curves.table
    assert table["group"].unique().tolist() == ["all"]
    assert table["time"].tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert table["at_risk"].tolist() == [8, 8, 7, 5, 3, 2, 1]
    assert table["events"].tolist() == [0, 1, 1, 2, 0, 1, 0]
    assert table["censored"].tolist() == [0, 0, 1, 0, 1, 0, 1]
    assert table["survival"].tolist() == pytest.approx([1, 0.875, 0.75, 0.45, 0.45, 0.225,
                                                        0.225])
    # log(-log) interval at t=3: se = sqrt(0.175) / |log 0.45|
    z = norm.ppf(0.975)
    se = np.sqrt(0.175) / abs(np.log(0.45))
    row = table.loc[table["time"] == 3].iloc[0]
    assert row["ci_low"] == pytest.approx(np.exp(-np.exp(np.log(-np.log(0.45)) + z * se)))
    assert row["ci_high"] == pytest.approx(np.exp(-np.exp(np.log(-np.log(0.45)) - z * se)))
    assert curves.medians["median"].tolist() == [3.0]
    assert curves.logrank is None


def test_km_matches_statsmodels():
    rng = np.random.default_rng(11)
    n = 400
    data = pd.DataFrame({"t": rng.integers(1, 30, n), "e": (rng.random(n) < 0.6).astype(int),
                         "g": rng.choice(["a", "b"], n)})
    curves = rt.survival_curves(data, duration="t", event="e", by="g", confidence=0.9)
    z = norm.ppf(0.95)
    for g in ["a", "b"]:
        sub = data.loc[data["g"] == g]
        sf = SurvfuncRight(sub["t"].to_numpy(float), sub["e"].to_numpy(float))
        mine = curves.table.loc[(curves.table["group"] == g) & (curves.table["events"] > 0)]
        assert mine["time"].to_numpy(float) == pytest.approx(sf.surv_times)
        assert mine["survival"].to_numpy() == pytest.approx(sf.surv_prob)
        assert mine["at_risk"].to_numpy(float) == pytest.approx(sf.n_risk)
        assert mine["events"].to_numpy(float) == pytest.approx(sf.n_events)
        # the log(-log) interval rebuilt from statsmodels' Greenwood standard error
        s = sf.surv_prob
        se_ll = sf.surv_prob_se / (s * np.abs(np.log(s)))
        ok = s < 1
        low = np.exp(-np.exp(np.log(-np.log(s[ok])) + z * se_ll[ok]))
        assert mine["ci_low"].to_numpy()[ok] == pytest.approx(low)
        med = curves.medians.set_index("group").loc[g]
        assert med["median"] == pytest.approx(sf.quantile(0.5))
        assert (med["ci_low"], med["ci_high"]) == pytest.approx(sf.quantile_ci(0.5, alpha=0.1))

        high = np.exp(-np.exp(np.log(-np.log(s[ok])) - z * se_ll[ok]))
        assert mine["ci_high"].to_numpy()[ok] == pytest.approx(high)


def test_logrank_two_groups_by_hand():
    # A: (1,event) (3,event); B: (2,event) (4,event)
    #  t  n  nA  d  dA  E_A    V = nA*nB*d*(n-d) / (n^2 (n-1))
    #  1  4  2   1  1   2/4    2*2*1*3/(16*3) = 1/4
    #  2  3  1   1  0   1/3    1*2*1*2/(9*2)  = 2/9
    #  3  2  1   1  1   1/2    1*1*1*1/(4*1)  = 1/4
    #  4  1  0   1  0   0      0
    # O_A - E_A = 2 - 4/3 = 2/3; V = 13/18; chi2 = (4/9) / (13/18) = 8/13
    data = pd.DataFrame({"t": [1, 3, 2, 4], "e": [1, 1, 1, 1], "g": ["A", "A", "B", "B"]})
    lr = rt.survival_curves(data, duration="t", event="e", by="g").logrank
    assert lr["statistic"] == pytest.approx(8 / 13)
    assert lr["df"] == 1
    assert lr["p_value"] == pytest.approx(chi2.sf(8 / 13, 1))
    assert lr["groups"] == ["A", "B"]


def test_logrank_matches_survdiff_three_groups():
    rng = np.random.default_rng(5)
    n = 300
    g = rng.choice(["x", "y", "z"], n)
    t = rng.exponential(np.where(g == "x", 10, np.where(g == "y", 14, 20))).round() + 1
    e = (rng.random(n) < 0.7).astype(int)
    data = pd.DataFrame({"t": t, "e": e, "g": g})
    lr = rt.survival_curves(data, duration="t", event="e", by="g").logrank
    stat, p = survdiff(t, e, g)
    assert lr["statistic"] == pytest.approx(stat)
    assert lr["p_value"] == pytest.approx(p)
    assert lr["df"] == 2


def test_survival_curves_keeps_band_order_and_errors():
    data = pd.DataFrame({"t": [1, 2, 3, 4],
                         "e": [1, 0, 1, 1],
                         "band": pd.Categorical(["3 key features", "0-1 key features",
                                                 "3 key features", "0-1 key features"],
                                                categories=["0-1 key features", "2 key features",
                                                            "3 key features"], ordered=True)})
    curves = rt.survival_curves(data, duration="t", event="e", by="band")
    assert curves.logrank["groups"] == ["0-1 key features", "3 key features"]
    assert curves.medians["group"].tolist() == ["0-1 key features", "3 key features"]
    with pytest.raises(ModelError, match="`missing`"):
        rt.survival_curves(data, duration="missing", event="e")
    with pytest.raises(ModelError, match="negative"):
        rt.survival_curves(data.assign(t=[-1, 2, 3, 4]), duration="t", event="e")
    with pytest.raises(ModelError, match="0/1"):
        rt.survival_curves(data.assign(e=[2, 0, 1, 1]), duration="t", event="e")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 1), st.sampled_from("ab")),
                min_size=1, max_size=40))
def test_km_properties(rows):
    data = pd.DataFrame(rows, columns=["t", "e", "g"])
    before = data.copy()
    curves = rt.survival_curves(data, duration="t", event="e", by="g")
    pd.testing.assert_frame_equal(data, before)
    for _, table in curves.table.groupby("group", observed=True):
        s = table["survival"].to_numpy()
        assert ((s >= 0) & (s <= 1)).all()
        assert (np.diff(s) <= 1e-12).all()
        ok = table["ci_low"].notna()
        assert (table.loc[ok, "ci_low"] <= table.loc[ok, "survival"] + 1e-12).all()
        assert (table.loc[ok, "ci_high"] >= table.loc[ok, "survival"] - 1e-12).all()
        assert table["events"].sum() + table["censored"].sum() == table["at_risk"].iloc[0]


# --- Cox ----------------------------------------------------------------------------------


def test_cox_matches_phreg_with_dummies():
    rng = np.random.default_rng(2)
    n = 500
    seg = rng.choice(["SMB", "Mid-Market", "Enterprise"], n)
    adopt = rng.integers(0, 2, n)
    t = np.ceil(rng.exponential(12 * np.exp(0.5 * adopt - 0.3 * (seg == "SMB"))))
    e = (rng.random(n) < 0.75).astype(int)
    data = pd.DataFrame({"t": t, "e": e, "key_adopter": adopt, "segment": seg})
    before = data.copy()
    cox = rt.hazard_model(data, duration="t", event="e", covariates=["key_adopter", "segment"])
    pd.testing.assert_frame_equal(data, before)
    # reference level = first in sorted order: Enterprise
    x = np.column_stack([adopt, seg == "Mid-Market", seg == "SMB"]).astype(float)
    ref = PHReg(t, x, status=e, ties="efron").fit()
    s = cox.summary
    assert s.index.tolist() == ["key_adopter", "segment[T.Mid-Market]", "segment[T.SMB]"]
    assert s["coef"].to_numpy() == pytest.approx(ref.params)
    assert s["se"].to_numpy() == pytest.approx(ref.bse)
    assert s["p_value"].to_numpy() == pytest.approx(ref.pvalues)
    assert s["hazard_ratio"].to_numpy() == pytest.approx(np.exp(ref.params))
    ci = np.exp(ref.conf_int())
    assert s["ci_low"].to_numpy() == pytest.approx(ci[:, 0])
    assert s["ci_high"].to_numpy() == pytest.approx(ci[:, 1])
    assert cox.diagnostics["n"] == n and cox.diagnostics["events"] == int(e.sum())


def test_cox_matches_published_rossi_coefficients():
    # Rossi, Berk & Lenihan (1980) recidivism data, 432 released prisoners (as in R's
    # carData::Rossi and lifelines.datasets.load_rossi), kept in tests/data.
    rossi = pd.read_csv(DATA / "rossi.csv")
    cox = rt.hazard_model(rossi, duration="week", event="arrest",
                          covariates=["fin", "age", "race", "wexp", "mar", "paro", "prio"])
    # Efron estimates published for these data (Fox & Weisberg, "Cox Proportional-Hazards
    # Regression for Survival Data in R"; lifelines' documentation)
    published = {"fin": -0.379, "age": -0.057, "race": 0.314, "wexp": -0.150,
                 "mar": -0.434, "paro": -0.085, "prio": 0.091}
    published_se = {"fin": 0.191, "age": 0.022, "race": 0.308, "wexp": 0.212,
                    "mar": 0.382, "paro": 0.196, "prio": 0.029}
    for term, coef in published.items():
        assert cox.summary.loc[term, "coef"] == pytest.approx(coef, abs=0.002)
        assert cox.summary.loc[term, "se"] == pytest.approx(published_se[term], abs=0.002)
    assert cox.diagnostics["events"] == 114



# 20 subjects with tied times, from statsmodels' PHReg test suite
# (statsmodels/duration/tests/results/survival_data_20_1.csv: time, status, x).
TIES_20 = pd.DataFrame({
    "time": [0.7, 0.6, 1.4, 0.8, 0.4, 0.7, 0.4, 1.2, 1.2, 0.3,
             0.5, 0.4, 0.3, 1.1, 0.5, 1.5, 0.1, 0.2, 1.3, 0.7],
    "status": [1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 1, 1, 1, 0, 1, 0, 0, 0, 1, 0],
    "x": [-0.80807, -0.10099, -0.34916, 1.32464, -1.51983, 0.75329, 0.13835, 0.97574,
          1.15109, -0.07403, -1.10065, -0.64876, 0.76335, 0.86522, -0.27593, 0.24884,
          0.33618, 0.39894, 0.19641, 0.70037],
})


def test_cox_breslow_ties_match_r_coxph():
    # R survival::coxph(Surv(time, status) ~ x, ties=...) on TIES_20, as recorded in
    # statsmodels/duration/tests/results/survival_r_results.py:
    #   breslow coef -0.9185611, se 0.4706831; efron coef -0.9975319, se 0.4792421.
    bre = rt.hazard_model(TIES_20, duration="time", event="status", covariates=["x"],
                          ties="breslow")
    efr = rt.hazard_model(TIES_20, duration="time", event="status", covariates=["x"])
    assert bre.summary.loc["x", "coef"] == pytest.approx(-0.9185611, abs=1e-6)
    assert bre.summary.loc["x", "se"] == pytest.approx(0.4706831, abs=1e-6)
    assert efr.summary.loc["x", "coef"] == pytest.approx(-0.9975319, abs=1e-6)
    assert efr.summary.loc["x", "se"] == pytest.approx(0.4792421, abs=1e-6)
    assert bre.ties == "breslow" and efr.ties == "efron"


def test_cox_breslow_matches_phreg_on_rossi():
    # Weekly arrest times: many ties, so Breslow and Efron differ.
    rossi = pd.read_csv(DATA / "rossi.csv")
    covariates = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
    before = rossi.copy()
    cox = rt.hazard_model(rossi, duration="week", event="arrest", covariates=covariates,
                          ties="breslow")
    pd.testing.assert_frame_equal(rossi, before)
    ref = PHReg(rossi["week"].to_numpy(float), rossi[covariates].to_numpy(float),
                status=rossi["arrest"].to_numpy(float), ties="breslow").fit()
    s = cox.summary
    assert s.index.tolist() == covariates
    assert s["coef"].to_numpy() == pytest.approx(ref.params, rel=1e-6)
    assert s["se"].to_numpy() == pytest.approx(ref.bse, rel=1e-6)
    assert s["p_value"].to_numpy() == pytest.approx(ref.pvalues, rel=1e-6)
    assert cox.diagnostics["log_likelihood"] == pytest.approx(ref.llf, rel=1e-9)
    efron = rt.hazard_model(rossi, duration="week", event="arrest", covariates=covariates)
    assert not np.allclose(s["coef"], efron.summary["coef"], rtol=1e-4)
    with pytest.raises(ValueError, match=r"ties='exact' must be 'efron' or 'breslow'"):
        rt.hazard_model(rossi, duration="week", event="arrest", covariates=covariates,
                        ties="exact")

def test_cox_errors():
    data = pd.DataFrame({"t": [1, 2, 3, 4], "e": [0, 0, 0, 0], "x": [1.0, 2, 3, 4],
                         "seg": ["SMB"] * 4})
    with pytest.raises(ModelError, match="no events"):
        rt.hazard_model(data, duration="t", event="e", covariates=["x"])
    with pytest.raises(ModelError, match=r"`seg` has a single value.*usable_controls"):
        rt.hazard_model(data.assign(e=[1, 0, 1, 1]), duration="t", event="e",
                        covariates=["seg"])
    with pytest.raises(ModelError, match="`nope`"):
        rt.hazard_model(data, duration="t", event="e", covariates=["nope"])


def test_cox_sparse_level_is_dropped_with_a_warning():
    rng = np.random.default_rng(4)
    n = 200
    data = pd.DataFrame({"t": rng.integers(1, 20, n), "e": (rng.random(n) < 0.5).astype(int),
                         "x": rng.normal(size=n), "plan": rng.choice(["A", "B"], n)})
    data.loc[:4, "plan"] = "C"
    data.loc[:4, "e"] = 0  # plan C: 5 accounts, no churn -> hazard ratio 0
    with pytest.warns(SmallSampleWarning, match=r"`plan`.*'C' \(0 events in 5 rows\)"):
        cox = rt.hazard_model(data, duration="t", event="e", covariates=["x", "plan"])
    assert cox.covariates_used_ == ["x"]
    with pytest.raises(ModelError, match="`plan`"):
        rt.hazard_model(data, duration="t", event="e", covariates=["plan"], sparse="raise")


def test_notebook_flow_on_demo(demo_tables):
    """The calls the adoption notebook makes, on the small session demo warehouse."""
    from cslib import adoption as ad

    wh = demo_tables
    life = rt.account_lifetimes(wh["mrr"], wh["accounts"], month="2026-10", usage=wh["usage"])
    assert life["account_id"].is_unique
    assert (life["duration_months"] >= 1).all()
    curves = rt.survival_curves(life, duration="duration_months", event="churned",
                                by="adoption_band")
    assert curves.logrank["df"] == len(curves.logrank["groups"]) - 1
    cox = rt.hazard_model(life, duration="duration_months", event="churned",
                          covariates=ad.usable_controls(life, ["key_adopter", "segment",
                                                               "plan"]))
    assert "key_adopter" in cox.summary.index


# --- one vocabulary (issue 14) --------------------------------------------------------------

def test_account_lifetimes_end_is_now_month():
    _, mrr, accounts = _tiny()
    new = rt.account_lifetimes(mrr, accounts, month="2026-02")
    with pytest.warns(FutureWarning, match=r"`account_lifetimes\(end=\.\.\.\)` is deprecated; "
                                           r"use `month=\.\.\.`"):
        old = rt.account_lifetimes(mrr, accounts, end="2026-02")
    pd.testing.assert_frame_equal(old, new)
    assert new["duration_months"].tolist() == [2, 2, 1]  # as worked above


def test_survival_curves_by_a_list_and_summary():
    life = pd.DataFrame({"duration_months": [2, 3, 3, 5, 8, 12, 4, 6],
                         "churned": [1, 1, 0, 1, 1, 0, 1, 0],
                         "segment": ["SMB"] * 4 + ["Ent"] * 4,
                         "key_adopter": [0, 0, 1, 1, 0, 0, 1, 1]})
    curves = rt.survival_curves(life, duration="duration_months", event="churned",
                                by=["segment", "key_adopter"])
    assert sorted(curves.summary["group"]) == ["Ent / 0", "Ent / 1", "SMB / 0", "SMB / 1"]
    pd.testing.assert_frame_equal(curves.summary, curves.medians)
    # SMB / 0: durations 2 and 3, both churned -> survival 0.5 after 2, 0 after 3
    smb0 = curves.table[curves.table["group"] == "SMB / 0"]
    assert smb0["survival"].tolist() == pytest.approx([1.0, 0.5, 0.0])
    one = rt.survival_curves(life, duration="duration_months", event="churned",
                             by=["segment"])
    pd.testing.assert_frame_equal(one.table, rt.survival_curves(
        life, duration="duration_months", event="churned", by="segment").table)


def test_hazard_model_results_before_fit_say_call_fit_first():
    from cslib.exceptions import NotFittedError

    model = rt.HazardModel(duration="t", event="e", covariates=["x"])
    for attribute in ("summary", "table", "diagnostics"):
        with pytest.raises(NotFittedError, match=rf"HazardModel\.{attribute} is not available "
                                                 r"yet: call `HazardModel\(\.\.\.\)\.fit\(data\)` "
                                                 "first"):
            getattr(model, attribute)
    fitted = model.fit(pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 1, 0, 1, 0, 1],
                                     "x": [0, 1, 0, 1, 1, 0]}))
    pd.testing.assert_frame_equal(fitted.table, fitted.summary)
    assert fitted.summary.index.tolist() == ["x"]
