"""Tests for cslib.adoption: rates, scores, the churn panel and the logistic regression."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from cslib import adoption as ad
from cslib.exceptions import ModelError, ParamsError, SchemaError, SmallSampleWarning

# --- a tiny hand-made warehouse (3 accounts, Jan-Apr 2026) ---------------------------------
#
# Account MRR (contracts summed; a missing row is 0):
#   A1: Jan 100+50=150, Feb 100 (+ explicit 0 row for C2), Mar 100, Apr 100
#   A2: Jan 200, Feb 200, Mar -- (churn), Apr 200 (reactivation)
#   A3: Feb 80 (new), Mar 80, Apr 80
# Key features used (active_users > 0):
#   A1: Jan dashboards+automations = 2 (reports is not key); Feb dashboards = 1
#       (integrations has 0 active users: not used); Mar all three = 3
#   A2: Jan automations+integrations = 2; Feb reports only = 0
#   A3: Feb dashboards = 1 (two duplicate rows count once); Mar integrations = 1 (+ api)


def _tiny():
    months = pd.to_datetime
    mrr = pd.DataFrame({
        "contract_id": ["C1"] * 4 + ["C2", "C2"] + ["C3", "C3", "C3"] + ["C4"] * 3,
        "account_id": ["A1"] * 6 + ["A2"] * 3 + ["A3"] * 3,
        "product": ["CRM"] * 12,
        "month": months(["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01",
                         "2026-01-01", "2026-02-01",
                         "2026-01-01", "2026-02-01", "2026-04-01",
                         "2026-02-01", "2026-03-01", "2026-04-01"]),
        "mrr": [100.0, 100, 100, 100, 50, 0, 200, 200, 200, 80, 80, 80],
    })
    usage = pd.DataFrame({
        "account_id": ["A1", "A1", "A1", "A1", "A1", "A1", "A1", "A1",
                       "A2", "A2", "A2", "A3", "A3", "A3", "A3"],
        "feature": ["dashboards", "automations", "reports", "dashboards", "integrations",
                    "dashboards", "automations", "integrations",
                    "automations", "integrations", "reports",
                    "dashboards", "dashboards", "integrations", "api"],
        "month": months(["2026-01-01"] * 3 + ["2026-02-01"] * 2 + ["2026-03-01"] * 3
                        + ["2026-01-01"] * 2 + ["2026-02-01"]
                        + ["2026-02-01"] * 2 + ["2026-03-01"] * 2),
        "active_users": pd.array([3, 2, 5, 1, 0, 2, 1, 4, 1, 2, 3, 1, 1, 2, 1], dtype="Int64"),
    })
    accounts = pd.DataFrame({
        "account_id": ["A1", "A2", "A3"],
        "segment": ["SMB", "Enterprise", "SMB"],
        "plan": ["Starter", "Pro", "Growth"],
        "region": ["Sul", "Sudeste", "Norte"],
        "signup_date": pd.to_datetime(["2025-11-20", "2026-01-01", "2026-02-10"]),
    })
    return usage, mrr, accounts


def _wilson(k, n, conf=0.95):
    z = norm.ppf(0.5 + conf / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def test_key_features_match_the_generator():
    from cslib import demo

    assert ad.KEY_FEATURES == ("dashboards", "automations", "integrations")
    assert ad.KEY_FEATURES == demo.KEY_FEATURES


# --- adoption_panel -----------------------------------------------------------------------


def test_adoption_panel_by_hand():
    usage, mrr, accounts = _tiny()
    copies = [x.copy() for x in (usage, mrr, accounts)]
    panel = ad.adoption_panel(usage, mrr, accounts)
    for original, copy in zip((usage, mrr, accounts), copies, strict=True):
        pd.testing.assert_frame_equal(original, copy)

    # rows: paying in t and t+1 <= Apr; A2 in Mar pays nothing -> no row
    # tenure: A1 signed up Nov 2025 -> Jan 2, Feb 3, Mar 4; A2 Jan 2026 -> 0, 1;
    # A3 Feb 2026 -> 0, 1
    expected = pd.DataFrame({
        "account_id": ["A1", "A1", "A1", "A2", "A2", "A3", "A3"],
        "month": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01",
                                 "2026-01-01", "2026-02-01", "2026-02-01", "2026-03-01"]),
        "key_features": [2, 1, 3, 2, 0, 1, 1],
        "key_adopter": [1, 0, 1, 1, 0, 0, 0],
        "churned_next": [0, 0, 0, 0, 1, 0, 0],  # A2: pays Feb, 0 in Mar
        "segment": ["SMB", "SMB", "SMB", "Enterprise", "Enterprise", "SMB", "SMB"],
        "plan": ["Starter"] * 3 + ["Pro"] * 2 + ["Growth"] * 2,
        "region": ["Sul"] * 3 + ["Sudeste"] * 2 + ["Norte"] * 2,
        "tenure_months": [2, 3, 4, 0, 1, 0, 1],
        "mrr": [150.0, 100, 100, 200, 200, 80, 80],
    })
    expected["log_mrr"] = np.log1p(expected["mrr"])
    got = panel.reset_index(drop=True)
    assert list(got.columns) == list(expected.columns)
    for col in expected.columns:
        if col in ("mrr", "log_mrr"):
            assert got[col].tolist() == pytest.approx(expected[col].tolist())
        else:
            assert got[col].tolist() == expected[col].tolist(), col


def test_adoption_panel_end_and_threshold():
    usage, mrr, accounts = _tiny()
    # end = Feb: only t = Jan has t+1 observed; A3 not paying in Jan
    short = ad.adoption_panel(usage, mrr, accounts, month="2026-02")
    assert short["account_id"].tolist() == ["A1", "A2"]
    assert short["churned_next"].tolist() == [0, 0]
    # min_features=3: only A1 in Mar uses all three
    strict = ad.adoption_panel(usage, mrr, accounts, min_features=3)
    assert strict["key_adopter"].sum() == 1
    assert strict.loc[strict["key_adopter"] == 1, "month"].iloc[0] == pd.Timestamp("2026-03-01")


def test_adoption_panel_missing_column():
    usage, mrr, accounts = _tiny()
    with pytest.raises(SchemaError, match="`active_users`"):
        ad.adoption_panel(usage.drop(columns="active_users"), mrr, accounts)


# --- adoption_rates / score / band --------------------------------------------------------


def test_adoption_rates_by_hand():
    usage, _, accounts = _tiny()
    before = usage.copy()
    # Feb: active (any feature used) = A1, A2, A3 -> 3.
    # dashboards: A1, A3 (A3's duplicate row once) -> 2/3; reports: A2 -> 1/3;
    # integrations: A1 has 0 active users -> 0/3
    rates = ad.adoption_rates(usage, accounts, by=None, month="2026-02",
                              features=["dashboards", "reports", "integrations"])
    pd.testing.assert_frame_equal(usage, before)
    assert list(rates.columns) == ["feature", "accounts", "active_accounts", "rate", "ci_low",
                                   "ci_high"]
    assert rates["feature"].tolist() == ["dashboards", "reports", "integrations"]
    assert rates["accounts"].tolist() == [2, 1, 0]
    assert rates["active_accounts"].tolist() == [3, 3, 3]
    assert rates["rate"].tolist() == pytest.approx([2 / 3, 1 / 3, 0.0])
    low, high = _wilson(np.array([2, 1, 0]), 3)
    assert rates["ci_low"].to_numpy() == pytest.approx(low)
    assert rates["ci_high"].to_numpy() == pytest.approx(high)


def test_adoption_rates_by_segment_default_features():
    usage, _, accounts = _tiny()
    before = usage.copy(deep=True), accounts.copy(deep=True)
    # Feb, by segment. SMB active: A1, A3 -> dashboards 2/2, reports 0/2.
    # Enterprise active: A2 -> dashboards 0/1, reports 1/1. Features used in Feb:
    # dashboards (key, first) then reports.
    rates = ad.adoption_rates(usage, accounts, by="segment", month="2026-02")
    # neither table is modified (the segment join works on a copy of `accounts`)
    pd.testing.assert_frame_equal(usage, before[0], check_exact=True)
    pd.testing.assert_frame_equal(accounts, before[1], check_exact=True)
    ad.adoption_rates(usage, accounts, by=["segment", "plan"], month="2026-02")
    pd.testing.assert_frame_equal(accounts, before[1], check_exact=True)
    assert rates[["segment", "feature", "accounts", "active_accounts"]].values.tolist() == [
        ["Enterprise", "dashboards", 0, 1], ["Enterprise", "reports", 1, 1],
        ["SMB", "dashboards", 2, 2], ["SMB", "reports", 0, 2],
    ]


def test_adoption_rates_default_month_is_latest_and_unknown_month_errors():
    usage, _, accounts = _tiny()
    # latest month with usage is Mar: active A1, A3; integrations used by both
    rates = ad.adoption_rates(usage, accounts, by=None)
    row = rates.set_index("feature").loc["integrations"]
    assert (row["accounts"], row["active_accounts"]) == (2, 2)
    with pytest.raises(ParamsError, match="2026-01 to 2026-03"):
        ad.adoption_rates(usage, accounts, month="2025-05")


def test_adoption_rates_over_paying_accounts_count_those_without_usage():
    usage, mrr, accounts = _tiny()
    # March pays: A1 (100), A3 (80), and two more: A4 (60, no usage row at all) and A5
    # (30, one usage row with 0 active users). A2 is not paying in March (churned) but
    # has a March usage row: it is not in the paying population.
    mrr = pd.concat([mrr, pd.DataFrame({
        "contract_id": ["C5", "C6"], "account_id": ["A4", "A5"], "product": ["CRM"] * 2,
        "month": pd.to_datetime(["2026-03-01"] * 2), "mrr": [60.0, 30.0]})],
        ignore_index=True)
    usage = pd.concat([usage, pd.DataFrame({
        "account_id": ["A2", "A5"], "feature": ["dashboards", "dashboards"],
        "month": pd.to_datetime(["2026-03-01"] * 2),
        "active_users": pd.array([2, 0], dtype="Int64")})], ignore_index=True)
    accounts = pd.concat([accounts, pd.DataFrame({
        "account_id": ["A4", "A5"], "segment": ["SMB", "Enterprise"],
        "plan": ["Starter", "Pro"], "region": ["Sul", "Sul"],
        "signup_date": pd.to_datetime(["2026-03-01"] * 2)})], ignore_index=True)
    before = mrr.copy(deep=True)
    rates = ad.adoption_rates(usage, accounts, by=None, month="2026-03", mrr=mrr)
    pd.testing.assert_frame_equal(mrr, before, check_exact=True)
    assert list(rates.columns) == ["feature", "accounts", "paying_accounts", "active_accounts",
                                   "rate", "ci_low", "ci_high"]
    # paying: A1, A3, A4, A5 = 4; using any feature: A1, A3 = 2.
    # dashboards A1 (A2 does not pay) 1/4; automations A1 1/4; integrations A1, A3 2/4;
    # api A3 1/4.
    assert rates["feature"].tolist() == ["dashboards", "automations", "integrations", "api"]
    assert rates["accounts"].tolist() == [1, 1, 2, 1]
    assert rates["paying_accounts"].tolist() == [4] * 4
    assert rates["active_accounts"].tolist() == [2] * 4
    assert rates["rate"].tolist() == pytest.approx([0.25, 0.25, 0.5, 0.25])
    low, high = _wilson(np.array([1, 1, 2, 1]), 4)
    assert rates["ci_low"].to_numpy() == pytest.approx(low)
    assert rates["ci_high"].to_numpy() == pytest.approx(high)
    # without mrr the denominator is the accounts with usage: A1, A2, A3 -> 3
    old = ad.adoption_rates(usage, accounts, by=None, month="2026-03")
    assert old["active_accounts"].tolist() == [3] * 4 and "paying_accounts" not in old
    # by segment: SMB pays A1, A3, A4 (2 active); Enterprise pays A5 only (0 active)
    seg = ad.adoption_rates(usage, accounts, by="segment", month="2026-03", mrr=mrr,
                            features=["dashboards"]).set_index("segment")
    assert seg.loc["SMB", ["accounts", "paying_accounts", "active_accounts"]].tolist() == \
        [1, 3, 2]
    assert seg.loc["Enterprise", ["accounts", "paying_accounts", "active_accounts"]].tolist() \
        == [0, 1, 0]
    assert seg.loc["SMB", "rate"] == pytest.approx(1 / 3)
    # key features are a parameter: they are listed first
    order = ad.adoption_rates(usage, accounts, by=None, month="2026-03", mrr=mrr,
                              key_features=("api",))
    assert order["feature"].tolist() == ["api", "automations", "dashboards", "integrations"]


def test_metric_code_never_imports_the_demo_generator():
    import ast
    from pathlib import Path

    import cslib

    root = Path(cslib.__file__).parent
    offenders = []
    for path in root.glob("*.py"):
        if path.name in ("demo.py", "bench.py", "cli.py"):
            continue  # the generator itself, and the tools that generate demo data
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module in ("demo", "cslib.demo") \
                    and node.level in (0, 1) and not (node.level == 0 and node.module == "demo"):
                offenders.append(path.name)
    assert offenders == []


def test_adoption_panel_key_features_parameter():
    usage, mrr, accounts = _tiny()
    # A1 in Jan uses dashboards + automations; with only dashboards as key: 1 feature
    panel = ad.adoption_panel(usage, mrr, accounts, features=["dashboards"])
    row = panel[(panel["account_id"] == "A1") & (panel["month"] == "2026-01-01")]
    assert row["key_features"].tolist() == [1]


def test_adoption_score_by_hand():
    usage, _, _ = _tiny()
    before = usage.copy(deep=True)
    score = ad.adoption_score(usage)  # latest month: Mar
    pd.testing.assert_frame_equal(usage, before, check_exact=True)
    # A1: dashboards 2, automations 1, integrations 4 -> 3 used, breadth 1, depth 7/3
    # A3: integrations 2 (api is not key) -> 1 used, breadth 1/3, depth 2
    assert score["account_id"].tolist() == ["A1", "A3"]
    assert score["features_used"].tolist() == [3, 1]
    assert score["breadth"].tolist() == pytest.approx([1.0, 1 / 3])
    assert score["depth"].tolist() == pytest.approx([7 / 3, 2.0])
    # Feb: A2 uses only reports -> 0 key features, depth NaN
    feb = ad.adoption_score(usage, month="2026-02").set_index("account_id")
    assert feb.loc["A2", "features_used"] == 0
    assert np.isnan(feb.loc["A2", "depth"])


def test_events_only_usage_gives_the_same_adoption():
    # The usage contract allows `events` without `active_users`: a row is use when its
    # events are above 0. Events = 5 x active users keeps the same rows "used", so the
    # rates match the hand-checked ones above and depth is 5 x the user depth.
    usage, mrr, accounts = _tiny()
    events_only = usage.drop(columns="active_users").assign(events=usage["active_users"] * 5)
    pd.testing.assert_frame_equal(
        ad.adoption_rates(events_only, accounts, by=None, month="2026-02"),
        ad.adoption_rates(usage, accounts, by=None, month="2026-02"))
    score = ad.adoption_score(events_only)
    assert score["breadth"].tolist() == pytest.approx([1.0, 1 / 3])
    assert score["depth"].tolist() == pytest.approx([5 * 7 / 3, 5 * 2.0])
    pd.testing.assert_frame_equal(ad.adoption_panel(events_only, mrr, accounts),
                                  ad.adoption_panel(usage, mrr, accounts))


def test_adoption_band_labels():
    assert ad.adoption_band(0) == "0-1 key features"
    assert ad.adoption_band(2) == "2 key features"
    bands = ad.adoption_band(pd.Series([3, 1, 2, 0], index=[10, 11, 12, 13]))
    assert bands.tolist() == ["3 key features", "0-1 key features", "2 key features",
                              "0-1 key features"]
    assert list(bands.index) == [10, 11, 12, 13]
    assert bands.cat.ordered
    assert list(bands.cat.categories) == ["0-1 key features", "2 key features",
                                          "3 key features"]
    assert list(ad.adoption_band([0, 1], min_features=1)) == ["0 key features",
                                                             "1 key features"]


def test_usable_controls():
    df = pd.DataFrame({"segment": ["SMB"] * 3, "plan": ["A", "B", "A"],
                       "tenure_months": [1, 2, 3], "log_mrr": [np.nan, 1.0, np.nan]})
    assert ad.usable_controls(df, ["tenure_months", "segment", "missing", "plan", "log_mrr"]
                              ) == ["tenure_months", "plan"]


# --- the regression -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def logit_data():
    rng = np.random.default_rng(3)
    n = 600
    seg = rng.choice(["SMB", "Mid-Market", "Enterprise"], size=n)
    adopt = rng.integers(0, 2, n)
    tenure = rng.integers(0, 40, n).astype(float)
    lin = -1.0 - 0.7 * adopt + 0.4 * (seg == "SMB") + 0.02 * tenure
    y = (rng.random(n) < 1 / (1 + np.exp(-lin))).astype(int)
    return pd.DataFrame({"churned_next": y, "key_adopter": adopt, "segment": seg,
                         "tenure_months": tenure})


def test_logistic_matches_statsmodels_logit(logit_data):
    before = logit_data.copy()
    model = ad.retention_regression(logit_data, cluster=None, outcome="churned_next",
                                    adoption="key_adopter",
                                    controls=["segment", "tenure_months"])
    pd.testing.assert_frame_equal(logit_data, before)
    ref = smf.logit("churned_next ~ key_adopter + C(segment) + tenure_months",
                    logit_data).fit(disp=0)
    names = {"key_adopter": "key_adopter", "segment[T.Mid-Market]": "C(segment)[T.Mid-Market]",
             "segment[T.SMB]": "C(segment)[T.SMB]", "tenure_months": "tenure_months"}
    s = model.summary
    assert sorted(s.index) == sorted(names)
    for term, ref_term in names.items():
        assert s.loc[term, "coef"] == pytest.approx(ref.params[ref_term], rel=1e-6)
        assert s.loc[term, "se"] == pytest.approx(ref.bse[ref_term], rel=1e-6)
        assert s.loc[term, "p_value"] == pytest.approx(ref.pvalues[ref_term], rel=1e-5)
        ci = np.exp(ref.conf_int().loc[ref_term])
        assert s.loc[term, "ci_low"] == pytest.approx(ci[0], rel=1e-6)
        assert s.loc[term, "ci_high"] == pytest.approx(ci[1], rel=1e-6)
    assert s.loc["key_adopter", "odds_ratio"] == pytest.approx(np.exp(ref.params["key_adopter"]))
    d = model.diagnostics
    assert d["n"] == 600 and d["events"] == int(logit_data["churned_next"].sum())
    assert d["pseudo_r2"] == pytest.approx(1 - ref.llf / ref.llnull)
    # AUC: the share of (churner, non-churner) pairs ranked right, ties half
    p = ref.predict(logit_data).to_numpy()
    y = logit_data["churned_next"].to_numpy() == 1
    diff = p[y][:, None] - p[~y][None, :]
    assert d["auc"] == pytest.approx(((diff > 0).sum() + 0.5 * (diff == 0).sum()) / diff.size)



def test_logistic_matches_published_spector_mazzeo_estimates():
    # Spector & Mazzeo (1980): did a teaching method (PSI) improve 32 students' grades
    # (GRADE), controlling for GPA and an economics pre-test (TUCE)? The data ship with
    # statsmodels (offline). Logit estimates (standard errors) published in W. H. Greene,
    # Econometric Analysis, 5th ed. (2003), Table 21.1:
    #   constant -13.021 (4.931), GPA 2.826 (1.263), TUCE 0.095 (0.142), PSI 2.379 (1.065);
    # the same as Stata 11 to every digit shown (the reference statsmodels tests against).
    data = sm.datasets.spector.load_pandas().data
    before = data.copy()
    model = ad.retention_regression(data, cluster=None, outcome="GRADE", adoption="PSI",
                                    controls=["GPA", "TUCE"])
    pd.testing.assert_frame_equal(data, before)
    published = {"PSI": (2.379, 1.065), "GPA": (2.826, 1.263), "TUCE": (0.095, 0.142)}
    s = model.summary
    assert s.index.tolist() == ["PSI", "GPA", "TUCE"]
    for term, (coef, se) in published.items():
        assert s.loc[term, "coef"] == pytest.approx(coef, abs=5e-4), term
        assert s.loc[term, "se"] == pytest.approx(se, abs=5e-4), term
        assert s.loc[term, "odds_ratio"] == pytest.approx(np.exp(coef), rel=1e-3), term
    assert model.diagnostics["intercept"] == pytest.approx(-13.021, abs=5e-4)
    assert model.results_.bse["Intercept"] == pytest.approx(4.931, abs=5e-4)
    # 11 of the 32 improved their grade
    assert (model.diagnostics["n"], model.diagnostics["events"]) == (32, 11)
    # Wald interval of PSI on the odds-ratio scale: exp(2.379 +/- 1.96 * 1.065)
    z = norm.ppf(0.975)
    assert s.loc["PSI", "ci_low"] == pytest.approx(np.exp(2.379 - z * 1.065), rel=2e-3)
    assert s.loc["PSI", "ci_high"] == pytest.approx(np.exp(2.379 + z * 1.065), rel=2e-3)

def test_logistic_drops_missing_rows(logit_data):
    data = logit_data.copy()
    data.loc[[0, 5, 9], "tenure_months"] = np.nan
    model = ad.retention_regression(data, cluster=None,
                                    outcome="churned_next", adoption="key_adopter",
                                    controls=["tenure_months"])
    assert model.diagnostics["dropped"] == 3
    assert model.diagnostics["n"] == 597
    ref = sm.Logit(data.dropna()["churned_next"],
                   sm.add_constant(data.dropna()[["key_adopter", "tenure_months"]])).fit(disp=0)
    assert model.summary.loc["key_adopter", "coef"] == pytest.approx(ref.params["key_adopter"])


def test_auc_by_hand():
    # pairs (positive, negative): (.35,.1) right, (.35,.4) wrong, (.8,.1) right, (.8,.4) right
    assert ad.mann_whitney_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])) == 0.75
    # a tie between a positive and a negative counts half: (1 + 0.5) / 2
    assert ad.mann_whitney_auc(np.array([0, 1, 0, 1]), np.array([0.2, 0.5, 0.5, 0.9])) == 0.875


def test_logistic_errors(logit_data):
    single = logit_data.assign(churned_next=0)
    with pytest.raises(ModelError, match="single class"):
        ad.retention_regression(single, cluster=None,
                                outcome="churned_next", adoption="key_adopter")
    one_segment = logit_data.assign(segment="SMB")
    with pytest.raises(ModelError, match=r"`segment` has a single value.*usable_controls"):
        ad.retention_regression(one_segment, cluster=None,
                                outcome="churned_next", adoption="key_adopter",
                                controls=["segment"])
    with pytest.raises(ModelError, match="`plan`"):
        ad.retention_regression(logit_data, cluster=None,
                                outcome="churned_next", adoption="key_adopter",
                                controls=["plan"])
    with pytest.raises(ModelError, match="must be 0/1"):
        ad.retention_regression(logit_data.assign(churned_next=2), cluster=None,
                                outcome="churned_next",
                                adoption="key_adopter")


def test_logistic_perfect_separation():
    data = pd.DataFrame({"y": [0, 0, 0, 0, 1, 1, 1, 1], "a": [0, 1, 0, 1, 0, 1, 0, 1],
                         "x": [1.0, 2, 3, 4, 5, 6, 7, 8]})
    with pytest.raises(ModelError, match="perfect separation"):
        ad.retention_regression(data, cluster=None, outcome="y", adoption="a", controls=["x"])


def test_logistic_sparse_level(logit_data):
    # plan "Tiny" (8 rows) never churns -> its odds ratio would be 0 (quasi-separation)
    data = logit_data.assign(plan=np.where(np.arange(600) % 2 == 0, "A", "B"))
    tiny = data.index[data["churned_next"] == 0][:8]
    data.loc[tiny, "plan"] = "Tiny"
    with pytest.warns(SmallSampleWarning, match=r"`plan`.*'Tiny' \(0 events in 8 rows\)"):
        model = ad.retention_regression(data, cluster=None,
                                        outcome="churned_next", adoption="key_adopter",
                                        controls=["plan", "tenure_months"])
    assert model.controls_used_ == ["tenure_months"]
    assert list(model.summary.index) == ["key_adopter", "tenure_months"]
    with pytest.raises(ModelError, match="`plan`.*sparse='drop'"):
        ad.retention_regression(data, cluster=None, outcome="churned_next", adoption="key_adopter",
                                controls=["plan"], sparse="raise")
    # no churn at all among adopters: the question itself has no finite answer
    none = logit_data.assign(churned_next=np.where(logit_data["key_adopter"] == 1, 0,
                                                   logit_data["churned_next"]))
    with pytest.raises(ModelError, match="never varies within level"):
        ad.retention_regression(none, cluster=None, outcome="churned_next", adoption="key_adopter")


# --- the planted effect -------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_2000():
    from cslib.demo import generate_warehouse

    return generate_warehouse(2000, seed=1)


def test_planted_adoption_odds_ratio_recovered(demo_2000):
    from cslib.demo import PLANTED_ADOPTION_ODDS_RATIO

    wh = demo_2000
    panel = ad.adoption_panel(wh["usage"], wh["mrr"], wh["accounts"])
    controls = ad.usable_controls(panel, ["segment", "plan", "tenure_months", "log_mrr"])
    assert controls == ["segment", "plan", "tenure_months", "log_mrr"]
    model = ad.retention_regression(panel, outcome="churned_next", adoption="key_adopter",
                                    controls=controls)
    row = model.summary.loc["key_adopter"]
    assert row["ci_low"] < PLANTED_ADOPTION_ODDS_RATIO < row["ci_high"]
    assert row["ci_high"] < 1


def test_panel_matches_a_plain_pandas_computation(demo_2000):
    wh = demo_2000
    panel = ad.adoption_panel(wh["usage"], wh["mrr"], wh["accounts"])
    # independent: account MRR pivot, next month via shift, key features via a groupby
    acc = wh["mrr"].groupby(["account_id", "month"])["mrr"].sum().unstack(fill_value=0.0)
    nxt = acc.shift(-1, axis=1)
    long = acc.stack().rename("mrr").to_frame().join(nxt.stack().rename("next"))
    long = long.loc[(long["mrr"] > 0) & long["next"].notna()]
    used = wh["usage"].loc[wh["usage"]["feature"].isin(ad.KEY_FEATURES)
                           & (wh["usage"]["active_users"] > 0)]
    keys = used.groupby(["account_id", "month"])["feature"].nunique()
    long["key"] = keys.reindex(long.index, fill_value=0)
    long = long.sort_index()
    assert len(panel) == len(long)
    assert panel["key_features"].tolist() == long["key"].tolist()
    assert panel["churned_next"].tolist() == (long["next"] == 0).astype(int).tolist()


def test_single_segment_slice_drops_segment(demo_2000):
    wh = demo_2000
    smb = wh["accounts"].loc[wh["accounts"]["segment"] == "SMB"]
    ids = set(smb["account_id"])
    panel = ad.adoption_panel(wh["usage"].loc[wh["usage"]["account_id"].isin(ids)],
                              wh["mrr"].loc[wh["mrr"]["account_id"].isin(ids)], smb)
    controls = ad.usable_controls(panel, ["segment", "plan", "tenure_months"])
    assert "segment" not in controls
    model = ad.retention_regression(panel, outcome="churned_next", adoption="key_adopter",
                                    controls=controls)
    assert "key_adopter" in model.summary.index


# --- properties ---------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A1", "A2", "A3"]), st.integers(0, 5),
                          st.floats(0, 500, allow_nan=False)), min_size=1, max_size=25),
       st.lists(st.tuples(st.sampled_from(["A1", "A2", "A3"]), st.integers(0, 5),
                          st.sampled_from(list(ad.KEY_FEATURES) + ["api"]),
                          st.integers(0, 3)), max_size=25))
def test_panel_properties(mrr_rows, usage_rows):
    base = pd.Timestamp("2026-01-01")
    mrr = pd.DataFrame({
        "account_id": [r[0] for r in mrr_rows],
        "month": [base + pd.DateOffset(months=r[1]) for r in mrr_rows],
        "mrr": [r[2] for r in mrr_rows],
    })
    usage = pd.DataFrame({
        "account_id": [r[0] for r in usage_rows],
        "feature": [r[2] for r in usage_rows],
        "month": [base + pd.DateOffset(months=r[1]) for r in usage_rows],
        "active_users": pd.array([r[3] for r in usage_rows], dtype="Int64"),
    }) if usage_rows else pd.DataFrame({"account_id": pd.Series(dtype="str"),
                                        "feature": pd.Series(dtype="str"),
                                        "month": pd.Series(dtype="datetime64[ns]"),
                                        "active_users": pd.Series(dtype="Int64")})
    accounts = pd.DataFrame({"account_id": ["A1", "A2", "A3"], "segment": ["SMB"] * 3})
    copies = [mrr.copy(), usage.copy()]
    panel = ad.adoption_panel(usage, mrr, accounts)
    pd.testing.assert_frame_equal(mrr, copies[0])
    pd.testing.assert_frame_equal(usage, copies[1])
    assert (panel["mrr"] > 0).all()
    assert panel["key_features"].between(0, 3).all()
    assert (panel["key_adopter"] == (panel["key_features"] >= 2)).all()
    assert panel["month"].max() < mrr["month"].max() if len(panel) else True
    assert not panel.duplicated(["account_id", "month"]).any()
    # no (account, month) pair appears unless the account paid that month
    paid = mrr.groupby(["account_id", "month"])["mrr"].sum()
    for a, m in itertools.islice(zip(panel["account_id"], panel["month"], strict=True), 10):
        assert paid[(a, m)] > 0


# --- one vocabulary (issue 14) --------------------------------------------------------------

def test_adoption_panel_end_is_now_month():
    usage, mrr, accounts = _tiny()
    new = ad.adoption_panel(usage, mrr, accounts, month="2026-02")
    with pytest.warns(FutureWarning, match=r"`adoption_panel\(end=\.\.\.\)` is deprecated; "
                                           r"use `month=\.\.\.`"):
        old = ad.adoption_panel(usage, mrr, accounts, end="2026-02")
    pd.testing.assert_frame_equal(old, new)
    assert new["account_id"].tolist() == ["A1", "A2"]  # only t = Jan, as worked above


def test_adoption_rates_default_by_is_the_whole_base():
    usage, _, accounts = _tiny()
    pd.testing.assert_frame_equal(ad.adoption_rates(usage, accounts, month="2026-02"),
                                  ad.adoption_rates(usage, accounts, by=None, month="2026-02"))
    assert "segment" not in ad.adoption_rates(usage, accounts, month="2026-02").columns


def _two_features(n=1500, seed=3):
    rng = np.random.default_rng(seed)
    dashboards = rng.integers(0, 2, n)
    automations = rng.integers(0, 2, n)
    tenure = rng.integers(0, 36, n).astype(float)
    logit = -0.8 - 0.9 * dashboards - 0.5 * automations + 0.02 * tenure
    churned = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"account_id": np.arange(n) // 3, "dashboards": dashboards,
                         "automations": automations, "tenure_months": tenure,
                         "churned_next": churned})


def test_retention_regression_with_two_adoption_columns_matches_statsmodels():
    data = _two_features()
    model = ad.retention_regression(data, outcome="churned_next",
                                    adoption=["dashboards", "automations"],
                                    controls=["tenure_months"], cluster=None)
    x = sm.add_constant(data[["dashboards", "automations", "tenure_months"]].astype(float))
    ref = sm.Logit(data["churned_next"].astype(float), x).fit(disp=0)
    assert model.summary.index.tolist() == ["dashboards", "automations", "tenure_months"]
    np.testing.assert_allclose(model.summary["coef"], ref.params.iloc[1:], rtol=1e-6)
    np.testing.assert_allclose(model.summary["se"], ref.bse.iloc[1:], rtol=1e-6)
    np.testing.assert_allclose(model.summary["p_value"], ref.pvalues.iloc[1:], rtol=1e-5)
    low = np.exp(ref.conf_int(alpha=0.05).iloc[1:, 0])
    np.testing.assert_allclose(model.summary["ci_low"], low, rtol=1e-6)
    pd.testing.assert_frame_equal(model.table, model.summary)
    # a single column as a one-item list is the same model as the plain name
    one = ad.retention_regression(data, outcome="churned_next", adoption=["dashboards"],
                                  cluster=None)
    same = ad.retention_regression(data, outcome="churned_next", adoption="dashboards",
                                   cluster=None)
    pd.testing.assert_frame_equal(one.summary, same.summary)


def test_retention_regression_results_before_fit_say_call_fit_first():
    from cslib.exceptions import CslibError, NotFittedError

    model = ad.RetentionRegression(outcome="churned_next", adoption=["dashboards"])
    for attribute in ("summary", "table", "diagnostics"):
        with pytest.raises(NotFittedError, match=rf"RetentionRegression\.{attribute} is not "
                                                 r"available yet: call .*\.fit\(data\)` first"):
            getattr(model, attribute)
    assert not hasattr(model, "summary")  # an AttributeError, so hasattr says no
    assert issubclass(NotFittedError, CslibError) and issubclass(NotFittedError, AttributeError)
    with pytest.raises(ParamsError, match=r"adoption= names no column"):
        ad.RetentionRegression(outcome="churned_next", adoption=[])
