"""Tests for cslib._stats (clustered standard errors, Holm) and the interval bounds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from cslib import adoption as ad
from cslib._stats import cluster_sandwich, holm, ols_cluster, z_value
from cslib.exceptions import ModelError

DATA = Path(__file__).parent / "data"


def test_ols_clustered_by_firm_matches_petersen():
    # Petersen's simulated panel (500 firms x 10 years; the file statsmodels' and R
    # sandwich's tests use). Published on Petersen's "test_data" page: OLS of y on x, SEs
    # clustered by firm: intercept 0.0297 (SE 0.0670), slope 1.0348 (SE 0.0506).
    pet = pd.read_csv(DATA / "petersen_test_data.txt", sep=r"\s+", header=None,
                      names=["firmid", "year", "x", "y"])
    assert pet.shape == (5000, 4) and pet["firmid"].nunique() == 500
    x = np.column_stack([np.ones(len(pet)), pet["x"]])
    fit = ols_cluster(pet["y"], x, pet["firmid"])
    assert fit["n_clusters"] == 500
    assert_allclose(fit["params"], [0.0297, 1.0348], rtol=2e-3)
    assert_allclose(fit["se"], [0.0670, 0.0506], rtol=1e-3)
    # clustered by year (10 clusters), also published: slope SE 0.0334
    assert ols_cluster(pet["y"], x, pet["year"])["se"][1] == pytest.approx(0.0334, rel=2e-3)


def test_sandwich_small_cases_by_hand():
    # one parameter, clusters {a: rows 1, 2}, {b: row 3}: score sums 3 and 3 -> meat 18;
    # bread 0.5; "ml": 2/1 * 0.5 * 18 * 0.5 = 9; "ols": 9 * (3 - 1) / (3 - 1) = 9;
    # "none": 4.5
    scores, bread = [[1.0], [2.0], [3.0]], [[0.5]]
    assert cluster_sandwich(scores, bread, ["a", "a", "b"])[0][0, 0] == pytest.approx(9)
    assert cluster_sandwich(scores, bread, ["a", "a", "b"],
                            correction="none")[0][0, 0] == pytest.approx(4.5)
    with pytest.raises(ValueError, match="1 cluster"):
        cluster_sandwich(scores, bread, ["a", "a", "a"])
    with pytest.raises(ValueError, match="missing values"):
        cluster_sandwich(scores, bread, ["a", None, "b"])
    with pytest.raises(ValueError, match="correction='hc9'"):
        cluster_sandwich(scores, bread, ["a", "a", "b"], correction="hc9")
    assert z_value(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert_allclose(holm([0.5]), [0.5])


@pytest.fixture(scope="module")
def panel():
    # 80 accounts x 6 months, churn risk shared within an account (a random account effect),
    # so months of one account are correlated: the case clustering is for.
    rng = np.random.default_rng(11)
    n_acc, n_mon = 80, 6
    acc = np.repeat(np.arange(n_acc), n_mon)
    effect = rng.normal(0, 1.0, n_acc)[acc]
    adopt = np.repeat(rng.integers(0, 2, n_acc), n_mon)
    tenure = np.tile(np.arange(n_mon), n_acc).astype(float)
    lin = -1.5 - 0.8 * adopt + 0.05 * tenure + effect
    y = (rng.random(len(acc)) < 1 / (1 + np.exp(-lin))).astype(int)
    return pd.DataFrame({"account_id": [f"A{i:03d}" for i in acc], "churned_next": y,
                         "key_adopter": adopt, "tenure_months": tenure})


def test_clustered_logit_against_a_sandwich_by_hand(panel):
    import statsmodels.api as sm

    model = ad.retention_regression(panel, outcome="churned_next", adoption="key_adopter",
                                    controls=["tenure_months"])
    # by hand: logit fit, bread = inverse Hessian (X' W X)^-1, meat = sum over accounts of
    # the outer product of each account's summed score x_i (y_i - p_i), times G / (G - 1)
    x = sm.add_constant(panel[["key_adopter", "tenure_months"]].to_numpy(float))
    y = panel["churned_next"].to_numpy()
    beta = sm.Logit(y, x).fit(disp=0).params
    p = 1 / (1 + np.exp(-x @ beta))
    bread = np.linalg.inv((x * (p * (1 - p))[:, None]).T @ x)
    meat = np.zeros((3, 3))
    for _, rows in panel.groupby("account_id").indices.items():
        s = (x[rows] * (y[rows] - p[rows])[:, None]).sum(axis=0)
        meat += np.outer(s, s)
    g = panel["account_id"].nunique()
    se = np.sqrt(np.diag(g / (g - 1) * bread @ meat @ bread))
    assert_allclose(model.summary.loc[["key_adopter", "tenure_months"], "se"], se[1:],
                    rtol=1e-6)
    assert_allclose(np.sqrt(model.cov_.loc["Intercept", "Intercept"]), se[0], rtol=1e-6)
    assert model.summary.loc["key_adopter", "coef"] == pytest.approx(beta[1], rel=1e-6)
    d = model.diagnostics
    assert (d["cov_type"], d["cluster"], d["n_clusters"]) == ("cluster", "account_id", 80)
    z = model.summary.loc["key_adopter", "coef"] / se[1]
    from scipy.stats import norm

    assert model.summary.loc["key_adopter", "p_value"] == pytest.approx(2 * norm.sf(abs(z)))
    assert model.summary.loc["key_adopter", "ci_low"] == pytest.approx(
        np.exp(beta[1] - norm.ppf(0.975) * se[1]), rel=1e-6)
    # plain SEs stay available, equal to statsmodels' model-based ones
    plain = ad.retention_regression(panel, outcome="churned_next", adoption="key_adopter",
                                    controls=["tenure_months"], cluster=None)
    assert plain.diagnostics["cov_type"] == "nonrobust"
    assert plain.diagnostics["n_clusters"] is None
    assert_allclose(plain.summary["se"], sm.Logit(y, x).fit(disp=0).bse[1:], rtol=1e-6)
    # correlated months: clustering widens the adoption SE here
    assert model.summary.loc["key_adopter", "se"] > plain.summary.loc["key_adopter", "se"]


def test_clustered_logit_needs_the_cluster_column(panel):
    with pytest.raises(ModelError, match=r"no cluster column `account_id`.*cluster=None"):
        ad.retention_regression(panel.drop(columns="account_id"), outcome="churned_next",
                                adoption="key_adopter")
    with pytest.raises(ModelError, match="1 cluster"):
        ad.retention_regression(panel.assign(account_id="A1"), outcome="churned_next",
                                adoption="key_adopter")


# --- no interval bound on the wrong side of its estimate ----------------------------------

def test_rate_bounds_never_cross_the_rate():
    from cslib.survey import _rate

    # 0 of 7 and 7 of 7: Wilson's bound at the rate comes out as 0 (1) up to rounding;
    # the lower bound must not exceed the rate, the upper bound must not be below it.
    rate, low, high = _rate(pd.Series([0, 7, 3, 0]), pd.Series([7, 7, 7, 0]), 0.95)
    ok = rate.notna()
    assert (low[ok] <= rate[ok]).all() and (rate[ok] <= high[ok]).all()
    assert low.iloc[0] == 0 and high.iloc[1] == 1
    assert np.isnan(low.iloc[3]) and np.isnan(high.iloc[3])


def test_plots_accept_a_bound_a_hair_on_the_wrong_side():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cslib import plots

    waves = pd.DataFrame({"wave": [1, 2], "response_rate": [0.0, 0.4],
                          "ci_low": [1e-17, 0.2], "ci_high": [0.3, 0.6]})
    ax = plots.bar_rates(waves, x="wave", y="response_rate")  # raised ValueError before
    groups = pd.DataFrame({"plan": ["A", "B"], "nps": [100.0, 0.0],
                           "ci_low": [40.0, -30.0], "ci_high": [100.0 - 1e-12, 30.0],
                           "small_sample": [True, False]})
    plots.nps_by_group(groups, group="plan")
    plt.close("all")
    assert ax is not None
    assert_allclose(plots._error_lengths([0.0, 0.4], [1e-17, 0.2], [0.3, np.nan]),
                    [[0.0, 0.2], [0.3, 0.0]])


def test_holm_note_counts_the_comparisons_of_the_page():
    from cslib import report

    by_type = pd.DataFrame({"p_value": [0.01, 0.2, 0.3]})
    by_plan = pd.DataFrame({"p_value": [0.04, np.nan]})  # a group with no test
    assert report.holm_note(by_type, by_plan, locale="en") == (
        "Significance is corrected for 4 comparisons on this page (Holm); the p-value "
        "column is uncorrected.")
    assert report.holm_note(by_type, by_plan, locale="pt-BR").startswith(
        "A significância é corrigida para 4 comparações nesta página (Holm)")
    by_type.attrs["n_comparisons"] = by_plan.attrs["n_comparisons"] = 6
    assert "for 6 comparisons" in report.holm_note(by_type, by_plan, locale="en")
    assert "no correction" in report.holm_note(pd.DataFrame({"p_value": [0.04]}), locale="en")
