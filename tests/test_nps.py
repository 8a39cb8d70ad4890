"""Tests for cslib.nps: the score, its interval, comparisons, trends, programme and loops."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.stats import norm

from cslib import nps
from cslib.exceptions import ModelError, ParamsError, SchemaError, SmallSampleWarning

Z95 = norm.ppf(0.975)  # 1.959964


def answers(scores, **cols) -> pd.DataFrame:
    return pd.DataFrame({"score": pd.array(scores, dtype="Int64"), **cols})


# --- nps_category and nps_table ------------------------------------------------------------

def test_category_boundaries():
    out = nps.nps_category(pd.Series([0, 6, 7, 8, 9, 10, None], index=list("abcdefg")))
    assert out.tolist()[:6] == ["detractor", "detractor", "passive", "passive", "promoter",
                                "promoter"]
    assert pd.isna(out["g"])
    assert list(out.index) == list("abcdefg")


def test_category_rejects_out_of_range():
    with pytest.raises(SchemaError, match=r"`score` has 2 value\(s\).*rows \[2, 3\]"):
        nps.nps_category(pd.Series([5, 11, -1], name="score"))


def test_table_ten_answers_by_hand():
    # Scores [10, 9, 9, 8, 7, 6, 5, 3, 10, 0]: promoters 10, 9, 9, 10 -> 4; passives 8, 7 -> 2;
    # detractors 6, 5, 3, 0 -> 4. p = d = 0.4, NPS = 100 * (0.4 - 0.4) = 0.
    # Adjusted Wald (Rocks 2016): p' = d' = (4 + 0.75) / (10 + 3) = 0.365385, centre 0,
    # var = (p' + d' - 0) / 13 = 0.730769 / 13 = 0.0562130; se = 100 * sqrt(.) = 23.70929;
    # half-width = 1.959964 * 23.70929 = 46.4693 -> CI [-46.4693, 46.4693]
    # (the plain Wald would give +/- 55.4362).
    out = nps.nps_table(answers([10, 9, 9, 8, 7, 6, 5, 3, 10, 0]), min_n=1)
    row = out.iloc[0]
    assert len(out) == 1
    assert (row["n"], row["promoters"], row["passives"], row["detractors"]) == (10, 4, 2, 4)
    assert_allclose([row["share_promoters"], row["share_passives"], row["share_detractors"]],
                    [0.4, 0.2, 0.4])
    assert not any(c.startswith("pct_") for c in out.columns)
    assert row["nps"] == pytest.approx(0.0)
    assert_allclose([row["ci_low"], row["ci_high"]], [-46.4693, 46.4693], atol=1e-4)
    assert not row["small_sample"]


def test_table_interval_is_clipped_at_100():
    # 9 tens and a zero: raw NPS = 80. Adjusted: p' = 9.75 / 13 = 0.75, d' = 1.75 / 13 =
    # 0.134615, centre 0.615385; var = (0.884615 - 0.615385^2) / 13 = 0.0389168,
    # se = 19.72734, half = 1.959964 * 19.72734 = 38.66487 -> [22.8736, 100.2034] clipped
    # to [22.8736, 100].
    row = nps.nps_table(answers([10] * 9 + [0]), min_n=1).iloc[0]
    assert row["nps"] == pytest.approx(80)
    assert row["ci_low"] == pytest.approx(22.8736, abs=1e-3)
    assert row["ci_high"] == 100


def test_interval_keeps_its_width_when_all_answers_are_promoters():
    # 10 promoters of 10: the plain Wald interval is [100, 100]. Adjusted: p' = 10.75 / 13,
    # d' = 0.75 / 13, centre 10 / 13 = 0.769231; var = (11.5 / 13 - (10 / 13)^2) / 13 =
    # 0.0225307, se = 15.01023, half = 29.41951 -> [47.5036, 100].
    row = nps.nps_table(answers([10] * 10), min_n=1).iloc[0]
    assert row["nps"] == 100
    assert row["ci_low"] == pytest.approx(47.5036, abs=1e-3)
    assert row["ci_high"] == 100
    low = nps.nps_table(answers([0] * 10), min_n=1).iloc[0]
    assert (low["nps"], low["ci_low"]) == (-100, -100)
    assert low["ci_high"] == pytest.approx(-47.5036, abs=1e-3)


def test_no_bound_on_the_wrong_side_of_the_estimate():
    # One promoter: the adjusted interval is 25 +/- 73.5 = [-48.5, 98.5], which leaves out
    # the raw NPS of 100; the reported interval is widened to reach it.
    row = nps.nps_table(answers([10]), min_n=0).iloc[0]
    assert row["nps"] == 100 and row["ci_high"] == 100
    assert row["ci_low"] == pytest.approx(100 * (0.25 - Z95 * np.sqrt(0.140625)), abs=1e-6)
    counts = [(n, k_p, k_d) for n in range(0, 8) for k_p in range(n + 1)
              for k_d in range(n + 1 - k_p)]
    n, pro, det = (np.array(c, dtype=float) for c in zip(*counts, strict=True))
    st_ = nps._stats(n, pro, det, 0.95)
    ok = n > 0
    assert (st_["ci_low"][ok] <= st_["nps"][ok]).all()
    assert (st_["nps"][ok] <= st_["ci_high"][ok]).all()
    assert np.isnan(st_["ci_low"][~ok]).all() and np.isnan(st_["ci_high"][~ok]).all()


def _trinomial_coverage(n: int, interval, *, interior: bool = False) -> np.ndarray:
    """Exact coverage of ``interval`` on the grid p, d in steps of 0.05, p + d <= 1.

    ``interior`` keeps the mixes where all three categories occur (p > 0, d > 0,
    p + d < 1): 171 of the 231.
    """
    from scipy.special import gammaln

    k_p, k_d = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
    keep = k_p + k_d <= n
    k_p, k_d = k_p[keep].astype(float), k_d[keep].astype(float)
    k_0 = n - k_p - k_d
    low, high = interval(np.full(k_p.shape, n), k_p, k_d)
    grid = [(i / 20, j / 20) for i in range(21) for j in range(21 - i)]
    if interior:
        grid = [(a, b) for a, b in grid if a > 0 and b > 0 and a + b < 1]
    p, d = (np.array(v) for v in zip(*grid, strict=True))
    truth = 100 * (p - d)
    # log multinomial pmf of every outcome (column) under every true mix (row)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_coef = gammaln(n + 1) - gammaln(k_p + 1) - gammaln(k_d + 1) - gammaln(k_0 + 1)
        logs = (log_coef[None, :] + np.where(k_p > 0, k_p * np.log(p[:, None]), 0)
                + np.where(k_d > 0, k_d * np.log(d[:, None]), 0)
                + np.where(k_0 > 0, k_0 * np.log(1 - p[:, None] - d[:, None]), 0))
    prob = np.exp(np.nan_to_num(logs, nan=-np.inf))
    assert_allclose(prob.sum(axis=1), 1, atol=1e-9)
    tol = 1e-9  # the true NPS on a bound counts as inside
    covered = (low[None, :] <= truth[:, None] + tol) & (truth[:, None] - tol <= high[None, :])
    return (prob * covered).sum(axis=1)


def _kit_interval(n, k_p, k_d):
    out = nps._stats(n, k_p, k_d, 0.95)
    return out["ci_low"], out["ci_high"]


def _plain_wald(n, k_p, k_d):
    p, d = k_p / n, k_d / n
    half = Z95 * 100 * np.sqrt(np.maximum(p + d - (p - d) ** 2, 0) / n)
    return 100 * (p - d) - half, 100 * (p - d) + half


# Issue 12's targets: mean >= 94.5% at n = 10, 30 and 100; minimum >= 92.5% at n = 10 and
# >= 93.5% at n = 30 and 100. Measured on the mixes where every category occurs: minimum
# 93.0% (n = 10), 94.0% (30), 94.6% (100); means 95.5%, 95.0%, 95.0%. On the whole grid,
# boundary mixes included (no detractors at all, or no promoters), the minimum falls to
# 87.9% at n = 10 (p = 0, d = 0.8), 92.1% at n = 30 and 93.7% at n = 100: a population
# with no detractors at all is where every small-sample interval for a difference of
# proportions struggles. Both are asserted; the interval was not tuned.
@pytest.mark.parametrize(("n", "minimum", "minimum_whole_grid"),
                         [(10, 0.925, 0.875), (30, 0.935, 0.92), (100, 0.935, 0.935)])
def test_adjusted_wald_exact_coverage(n, minimum, minimum_whole_grid):
    # Exact coverage by enumerating every outcome (k_p, k_d) of the trinomial at each true
    # mix of the grid. The plain Wald undercovers badly at small n (zero-width intervals
    # when every answer is in one category).
    inside = _trinomial_coverage(n, _kit_interval, interior=True)
    assert inside.mean() >= 0.945, inside.mean()
    assert inside.min() >= minimum, inside.min()
    whole = _trinomial_coverage(n, _kit_interval)
    assert whole.mean() >= 0.945, whole.mean()
    assert whole.min() >= minimum_whole_grid, whole.min()
    if n == 10:
        assert _trinomial_coverage(n, _plain_wald).mean() < 0.90  # measured 86.2%


def test_table_by_group_and_small_sample_warning_names_group():
    data = answers([10] * 30 + [0] * 10 + [9, 9, 3],
                   segment=["Big"] * 40 + ["Tiny"] * 3)
    with pytest.warns(SmallSampleWarning, match=r"'Tiny' \(n=3\)") as record:
        out = nps.nps_table(data, by="segment")
    assert "'Big'" not in str(record[0].message)
    assert out["segment"].tolist() == ["Big", "Tiny"]
    # Big: (30 - 10) / 40 = 50; Tiny: (2 - 1) / 3 = 33.33
    assert_allclose(out["nps"], [50, 100 / 3])
    assert out["small_sample"].tolist() == [False, True]


def test_table_empty_gives_nan_row_without_crash():
    with pytest.warns(SmallSampleWarning, match="all answers"):
        out = nps.nps_table(answers([]))
    assert len(out) == 1 and out.loc[0, "n"] == 0
    assert out[["nps", "ci_low", "ci_high"]].isna().all(axis=None)


def test_table_missing_scores_are_left_out():
    out = nps.nps_table(answers([10, None, 0]), min_n=1)
    assert out.loc[0, "n"] == 2 and out.loc[0, "nps"] == 0


def test_table_errors():
    with pytest.raises(SchemaError, match=r"no column\(s\) `segment`"):
        nps.nps_table(answers([1]), by="segment")
    with pytest.raises(ParamsError, match="confidence"):
        nps.nps_table(answers([1]), confidence=95)
    with pytest.raises(SchemaError, match="not whole numbers 0-10"):
        nps.nps_table(pd.DataFrame({"score": [7.5]}))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 10), min_size=1, max_size=60),
       st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_table_property_against_plain_variance(scores, confidence):
    # Each answer is +1 (promoter), 0 or -1 (detractor): NPS is 100 * its mean. The
    # adjusted Wald is the Wald interval of the sample with 3/4 promoter, 3/4 detractor
    # and 3/2 passive added (n + 3 answers), so a weighted mean and variance of the
    # augmented sample (np.average) give an independent check.
    out = nps.nps_table(answers(scores), min_n=0, confidence=confidence).iloc[0]
    x = np.select([np.array(scores) >= 9, np.array(scores) <= 6], [1, -1], 0)
    values = np.concatenate([x, [1, -1, 0]])
    weights = np.concatenate([np.ones(len(x)), [0.75, 0.75, 1.5]])
    centre = np.average(values, weights=weights)
    var = np.average((values - centre) ** 2, weights=weights)
    half = norm.ppf(1 - (1 - confidence) / 2) * 100 * np.sqrt(var / weights.sum())
    raw = 100 * x.mean()
    assert out["nps"] == pytest.approx(raw)
    assert out["ci_low"] == pytest.approx(min(max(100 * centre - half, -100), raw))
    assert out["ci_high"] == pytest.approx(max(min(100 * centre + half, 100), raw))
    assert -100 <= out["ci_low"] <= out["nps"] <= out["ci_high"] <= 100


# --- compare_nps and compare_groups --------------------------------------------------------

@pytest.fixture
def two_groups() -> pd.DataFrame:
    # A: [10, 10, 9, 7, 3] -> p = 0.6, d = 0.2, NPS 40, unit var = 0.8 - 0.16 = 0.64
    # B: [10, 6, 5, 4, 8, 9] -> p = 2/6, d = 3/6, NPS -16.667,
    #    unit var = 5/6 - (1/6)^2 = 0.805556
    return answers([10, 10, 9, 7, 3, 10, 6, 5, 4, 8, 9], team=list("AAAAABBBBBB"))


def test_compare_nps_by_hand(two_groups):
    # difference = B - A = -16.667 - 40 = -56.667
    # se = 100 * sqrt(0.64 / 5 + 0.805556 / 6) = 100 * sqrt(0.128 + 0.134259) = 51.2113
    # z = -56.667 / 51.2113 = -1.10653; p = 2 * (1 - Phi(1.10653)) = 0.26850
    out = nps.compare_nps(two_groups, by="team")
    row = out.iloc[0]
    assert (row["group_1"], row["group_2"], row["n_1"], row["n_2"]) == ("A", "B", 5, 6)
    assert row["difference"] == pytest.approx(-56.6667, abs=1e-4)
    assert row["se"] == pytest.approx(51.2113, abs=1e-4)
    assert row["z"] == pytest.approx(-1.10653, abs=1e-5)
    assert row["p_value"] == pytest.approx(0.26850, abs=1e-5)
    assert row["ci_low"] == pytest.approx(-56.6667 - Z95 * 51.2113, abs=1e-3)
    assert row["ci_high"] == pytest.approx(-56.6667 + Z95 * 51.2113, abs=1e-3)


def test_compare_nps_follows_categorical_order(two_groups):
    data = two_groups.assign(team=pd.Categorical(two_groups["team"], categories=["B", "A"]))
    row = nps.compare_nps(data, by="team").iloc[0]
    assert (row["group_1"], row["group_2"]) == ("B", "A")
    assert row["difference"] == pytest.approx(56.6667, abs=1e-4)


def test_compare_nps_needs_two_groups(two_groups):
    three = two_groups.assign(team=list("AAAABBBBCCC"))
    with pytest.raises(ModelError, match=r"`team` must hold exactly 2 groups.*found 3"):
        nps.compare_nps(three, by="team")
    with pytest.raises(ModelError, match="found 1"):
        nps.compare_nps(two_groups.assign(team="A"), by="team")


def test_compare_groups_by_hand(two_groups):
    # A against the rest (= B): difference = 40 - (-16.667) = 56.667, same se and p as above.
    with pytest.warns(SmallSampleWarning, match=r"'A' \(n=5\), 'B' \(n=6\)"):
        out = nps.compare_groups(two_groups, by="team", user=None)
    assert list(out.columns) == ["team", "n", "nps", "ci_low", "ci_high", "rest_n", "rest_nps",
                                 "difference", "p_value", "p_value_holm", "significant",
                                 "small_sample"]
    a = out.set_index("team").loc["A"]
    assert (a["n"], a["rest_n"]) == (5, 6)
    assert a["rest_nps"] == pytest.approx(-16.6667, abs=1e-4)
    assert a["difference"] == pytest.approx(56.6667, abs=1e-4)
    assert a["p_value"] == pytest.approx(0.26850, abs=1e-5)
    # two tests, equal p-values: Holm gives 2 * 0.26850 to both
    assert_allclose(out["p_value_holm"], [0.53700, 0.53700], atol=1e-5)
    assert not out["significant"].any()


def test_compare_groups_significance_needs_min_n():
    # X: 30 promoters, 10 detractors (NPS 50, unit var 1 - 0.25 = 0.75); Y the mirror (-50).
    # se = 100 * sqrt(0.75/40 * 2) = 19.365, z = 100 / 19.365 = 5.16 -> p ~ 2.4e-7.
    data = answers([10] * 30 + [0] * 10 + [10] * 10 + [0] * 30, g=["X"] * 40 + ["Y"] * 40)
    out = nps.compare_groups(data, by="g", min_n=30, user=None)
    assert out["significant"].tolist() == [True, True]
    assert out.loc[0, "p_value"] == pytest.approx(2 * norm.sf(100 / 19.3649), rel=1e-3)
    with pytest.warns(SmallSampleWarning):
        assert not nps.compare_groups(data, by="g", min_n=41,
                                      user=None)["significant"].any()


# --- window_comparison ---------------------------------------------------------------------

def test_window_comparison_by_hand():
    from cslib.periods import trailing_window

    cur, prev = trailing_window("2026-10", 90), trailing_window("2026-10", 90, lag=1)
    assert cur == (pd.Timestamp("2026-08-03"), pd.Timestamp("2026-11-01"))
    data = pd.DataFrame({
        "user_id": ["U1", "U2", "U3", "U4",          # previous window
                    "U1", "U1", "U2", "U3", "U4",    # current window (U1 twice)
                    "U9"],                           # 2026-11-01: outside both
        "responded_at": pd.to_datetime([
            "2026-06-01", "2026-06-02", "2026-07-01", "2026-08-02 23:59",
            "2026-08-03 00:00", "2026-10-01", "2026-09-02", "2026-09-03", "2026-10-31 23:00",
            "2026-11-01"], format="ISO8601"),
        "score": pd.array([10, 0, 8, 0, 0, 10, 9, 9, 5, 0], dtype="Int64"),
    })
    # previous: 10, 0, 8, 0 -> p = .25, d = .5, NPS -25, var = (.75 - .0625) / 4 = .171875
    # current, U1's latest (10) only: 10, 9, 9, 5 -> p = .75, d = .25, NPS 50,
    #   var = (1 - .25) / 4 = .1875
    # difference 75; se = 100 * sqrt(.359375) = 59.9479; z = 1.25109; p = 0.21090
    with pytest.warns(SmallSampleWarning, match=r"current window 2026-08-03.*\(n=4\)"):
        w = nps.window_comparison(data, current=cur, previous=prev)
    assert w.current["n"] == 4 and w.current["nps"] == pytest.approx(50)
    assert w.previous["n"] == 4 and w.previous["nps"] == pytest.approx(-25)
    c = w.comparison
    assert c["difference"] == pytest.approx(75)
    assert c["se"] == pytest.approx(59.9479, abs=1e-4)
    assert c["z"] == pytest.approx(1.25109, abs=1e-5)
    assert c["p_value"] == pytest.approx(0.21090, abs=1e-5)
    assert c["significant"] is False
    # the shared result vocabulary: .table one row per window, .summary the comparison
    assert w.table["window"].tolist() == ["previous", "current"]
    assert w.table["nps"].tolist() == pytest.approx([-25, 50])
    assert w.table["n"].tolist() == [4, 4]
    assert w.summary.shape[0] == 1 and w.summary.loc[0, "difference"] == pytest.approx(75)


# --- rolling_nps ---------------------------------------------------------------------------

def test_rolling_counts_a_user_once_by_hand():
    data = pd.DataFrame({
        "user_id": ["U1", "U1", "U2", "U3"],
        "responded_at": pd.to_datetime(["2026-09-01", "2026-09-20", "2026-09-10",
                                        "2026-06-05"]),
        "score": pd.array([0, 10, 9, 0], dtype="Int64"),
    })
    out = nps.rolling_nps(data, freq="M", min_n=0).set_index("period_end")
    # Windows are the 90 days up to and including the month end:
    # 2026-06-30: [04-02, 07-01) -> U3 only: n 1, NPS -100 (same for 07-31 [05-03, 08-01)
    #   and 08-31 [06-02, 09-01)).
    # 2026-09-30: [07-03, 10-01) -> U3 out; U1 twice, latest 10 counts; U2 9 -> n 2, NPS 100
    #   (without the dedupe it would be 3 answers and NPS 33.3).
    assert out.index.tolist() == pd.to_datetime(["2026-06-30", "2026-07-31", "2026-08-31",
                                                  "2026-09-30"]).tolist()
    assert out["n"].tolist() == [1, 1, 1, 2]
    assert out["nps"].tolist() == [-100, -100, -100, 100]


def test_rolling_weeks_end_on_sunday_and_later_answers_wait():
    data = pd.DataFrame({
        "user_id": ["U1", "U1"],
        "responded_at": pd.to_datetime(["2026-10-01", "2026-10-15"]),  # Thursdays
        "score": pd.array([0, 10], dtype="Int64"),
    })
    out = nps.rolling_nps(data, freq="W", window="14D", min_n=0)
    assert (out["period_end"].dt.day_of_week == 6).all()
    # Sunday 10-04: [09-21, 10-05) -> the 0; 10-11: [09-28, 10-12) -> the 0;
    # 10-18: [10-05, 10-19) -> only the 10 (the 0 of 10-01 is out of the window anyway).
    assert out["period_end"].dt.strftime("%m-%d").tolist() == ["10-04", "10-11", "10-18"]
    assert out["nps"].tolist() == [-100, -100, 100]


def test_rolling_by_group_and_one_warning():
    data = pd.DataFrame({
        "user_id": ["U1", "U2", "U3"],
        "responded_at": pd.to_datetime(["2026-09-01", "2026-09-02", "2026-10-02"]),
        "score": pd.array([10, 0, 9], dtype="Int64"),
        "plan": ["Pro", "Starter", "Pro"],
    })
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        out = nps.rolling_nps(data, freq="M", by="plan")
    assert len([w for w in record if issubclass(w.category, SmallSampleWarning)]) == 1
    assert list(out.columns) == ["plan", "period_end", "n", "nps", "ci_low", "ci_high",
                                 "small_sample"]
    assert out["plan"].tolist() == ["Pro", "Pro", "Starter", "Starter"]
    assert out["n"].tolist() == [1, 2, 1, 1]
    assert out["small_sample"].all()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 60), st.integers(0, 10)),
                min_size=1, max_size=25))
def test_rolling_matches_a_plain_loop(rows):
    data = pd.DataFrame({
        "user_id": [f"U{u}" for u, _, _ in rows],
        "responded_at": pd.Timestamp("2026-09-01") + pd.to_timedelta([d for _, d, _ in rows],
                                                                     unit="D"),
        "score": pd.array([s for _, _, s in rows], dtype="Int64"),
    })
    out = nps.rolling_nps(data, freq="W", window="20D", min_n=0)
    for _, row in out.iterrows():
        end = row["period_end"] + pd.Timedelta(days=1)
        inside = data[(data["responded_at"] >= end - pd.Timedelta(days=20))
                      & (data["responded_at"] < end)]
        latest = inside.sort_values("responded_at", kind="stable").drop_duplicates(
            "user_id", keep="last")
        s = latest["score"].astype(int)
        assert row["n"] == len(latest)
        if len(latest):
            assert row["nps"] == pytest.approx(100 * ((s >= 9).mean() - (s <= 6).mean()))
        else:
            assert np.isnan(row["nps"])


# --- cohort_nps ----------------------------------------------------------------------------

@pytest.fixture
def cohort_frames():
    accounts = pd.DataFrame({"account_id": ["A1", "A2"],
                             "signup_date": pd.to_datetime(["2025-02-10", "2025-08-01"])})
    responses = pd.DataFrame({
        "user_id": ["U1", "U1", "U2", "U3", "U3"],
        "account_id": ["A1", "A1", "A1", "A2", "A2"],
        "responded_at": pd.to_datetime(["2025-10-05", "2025-12-01", "2025-11-01",
                                        "2025-11-15", "2026-01-10"]),
        "score": pd.array([10, 3, 9, 0, 10], dtype="Int64"),
    })
    return responses, accounts


def test_cohort_by_hand(cohort_frames):
    responses, accounts = cohort_frames
    # 2025Q1 cohort (A1) in 2025Q4: U1 answered 10 then 3 -> latest 3 (detractor); U2 9 ->
    #   n 2, NPS (1 - 1) / 2 = 0.
    # 2025Q3 cohort (A2): 2025Q4 U3 0 -> -100; 2026Q1 U3 10 -> 100.
    out = nps.cohort_nps(responses, accounts, min_n=0)
    assert list(out.columns) == ["cohort", "period", "n", "nps", "ci_low", "ci_high",
                                 "small_sample"]
    assert out[["cohort", "period"]].values.tolist() == [
        ["2025Q1", "2025Q4"], ["2025Q3", "2025Q4"], ["2025Q3", "2026Q1"]]
    assert out["n"].tolist() == [2, 1, 1]
    assert out["nps"].tolist() == [0, -100, 100]


def test_cohort_monthly_labels(cohort_frames):
    responses, accounts = cohort_frames
    out = nps.cohort_nps(responses, accounts, cohort_freq="M", period_freq="M", min_n=0)
    # By month U1's two answers fall in different months: 2025-10 (10) and 2025-12 (3).
    assert out[["cohort", "period", "n"]].values.tolist() == [
        ["2025-02", "2025-10", 1], ["2025-02", "2025-11", 1], ["2025-02", "2025-12", 1],
        ["2025-08", "2025-11", 1], ["2025-08", "2026-01", 1]]


def test_cohort_warns_about_unknown_accounts(cohort_frames):
    responses, accounts = cohort_frames
    with pytest.warns(RuntimeWarning, match=r"1 answer\(s\) left out"):
        out = nps.cohort_nps(responses.assign(account_id=["A1", "A1", "A1", "A2", "A9"]),
                             accounts, min_n=0)
    assert out["n"].sum() == 3



def test_cohort_by_user_type_by_hand(cohort_frames):
    responses, accounts = cohort_frames
    responses = responses.assign(user_type=["admin", "admin", "end user", "admin", "admin"])
    before = responses.copy()
    out = nps.cohort_nps(responses, accounts, min_n=0, by="user_type")
    pd.testing.assert_frame_equal(responses, before)
    # admin: U1 (A1, cohort 2025Q1) latest in 2025Q4 is 3 -> -100;
    #        U3 (A2, cohort 2025Q3) 0 in 2025Q4 -> -100, 10 in 2026Q1 -> 100.
    # end user: U2 (A1) 9 in 2025Q4 -> 100.
    assert list(out.columns) == ["user_type", "cohort", "period", "n", "nps", "ci_low",
                                 "ci_high", "small_sample"]
    assert out[["user_type", "cohort", "period", "n"]].values.tolist() == [
        ["admin", "2025Q1", "2025Q4", 1], ["admin", "2025Q3", "2025Q4", 1],
        ["admin", "2025Q3", "2026Q1", 1], ["end user", "2025Q1", "2025Q4", 1]]
    assert out["nps"].tolist() == [-100, -100, 100, 100]
    # the groups add up to the ungrouped cells
    whole = nps.cohort_nps(responses, accounts, min_n=0)
    summed = out.groupby(["cohort", "period"])["n"].sum().tolist()
    assert summed == whole["n"].tolist() == [2, 1, 1]


def test_cohort_by_an_account_column_and_errors(cohort_frames):
    responses, accounts = cohort_frames
    accounts = accounts.assign(segment=["SMB", "Enterprise"])
    # segment comes from accounts: A1 (SMB) cohort 2025Q1, A2 (Enterprise) 2025Q3
    out = nps.cohort_nps(responses, accounts, min_n=0, by=["segment"])
    assert out[["segment", "cohort", "period", "n", "nps"]].values.tolist() == [
        ["Enterprise", "2025Q3", "2025Q4", 1, -100.0],
        ["Enterprise", "2025Q3", "2026Q1", 1, 100.0],
        ["SMB", "2025Q1", "2025Q4", 2, 0.0]]
    with pytest.raises(SchemaError, match=r"accounts has no column\(s\) `plan`"):
        nps.cohort_nps(responses, accounts, by="plan")
    with pytest.raises(ParamsError, match=r"by=\['period'\] would clash"):
        nps.cohort_nps(responses.assign(period="x"), accounts, by="period")
    empty = nps.cohort_nps(responses.iloc[:0], accounts, by="segment")
    assert list(empty.columns[:3]) == ["segment", "cohort", "period"] and len(empty) == 0

# --- survey_waves and due_for_survey -------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["admin", "end user", "executive", None]), max_size=120),
       st.integers(1, 12), st.integers(0, 1000))
def test_waves_keep_the_mix(types, n_waves, seed):
    users = pd.DataFrame({"user_id": [f"U{i}" for i in range(len(types))],
                          "user_type": pd.Series(types, dtype=object)})
    before = users.copy()
    out = nps.survey_waves(users, n_waves=n_waves, seed=seed)
    pd.testing.assert_frame_equal(users, before)
    assert out["user_id"].tolist() == users["user_id"].tolist()
    assert out["wave"].between(1, n_waves).all()
    counts = pd.crosstab(out["user_type"].fillna("?"), out["wave"]).reindex(
        columns=range(1, n_waves + 1), fill_value=0)
    if len(counts):
        assert (counts.max(axis=1) - counts.min(axis=1)).max() <= 1
        sizes = counts.sum(axis=0)
        assert sizes.max() - sizes.min() <= 1
    again = nps.survey_waves(users, n_waves=n_waves, seed=seed)
    pd.testing.assert_frame_equal(out, again)


def test_waves_depend_on_seed():
    users = pd.DataFrame({"user_id": [f"U{i}" for i in range(200)],
                          "user_type": ["admin", "end user"] * 100})
    a = nps.survey_waves(users, seed=1)["wave"]
    b = nps.survey_waves(users, seed=2)["wave"]
    assert not a.equals(b)


def test_due_by_hand():
    users = pd.DataFrame({"user_id": ["U1", "U2", "U3", "U4", "U5"]})
    answers_ = pd.DataFrame({
        "user_id": ["U1", "U2", "U3", "U4", "U4"],
        # U1 exactly 90 days before: not due (needs more than 90); U2 91 days: due;
        # U3 answers only after `on`: ignored, so never answered: due;
        # U4 old answer but also 10 days ago: not due; U5 never: due.
        "responded_at": pd.to_datetime(["2026-07-03", "2026-07-02", "2026-10-02",
                                        "2026-01-01", "2026-09-21"]),
    })
    out = nps.due_for_survey(users, answers_, "2026-10-01")
    assert out["user_id"].tolist() == ["U2", "U3", "U5"]
    assert out["days_since"].iloc[0] == 91
    assert out["last_at"].iloc[1:].isna().all()


def test_due_counts_answers_later_on_the_survey_day():
    # The rule: `on` is a day. An answer at any time that day counts as asked (days_since 0),
    # an answer the next day is ignored; a time in `on` is dropped.
    users = pd.DataFrame({"user_id": ["U1", "U2", "U3", "U4"], "team": list("abcd")})
    answers_ = pd.DataFrame({
        "user_id": ["U1", "U1", "U2", "U2", "U3", "U4"],
        "responded_at": pd.to_datetime([
            "2026-01-05 10:00", "2026-10-01 16:30",  # U1: long ago, and later on the day
            "2026-01-05 10:00", "2026-10-02 00:00",  # U2: long ago, and the next day
            "2026-10-01 00:00",                      # U3: the first instant of the day
            "2026-07-03 01:00",                      # U4: 89 days 23 h before the day
        ]),
    })
    before = users.copy()
    for on in ("2026-10-01", pd.Timestamp("2026-10-01 09:00"), "2026-10-01 23:59:59"):
        out = nps.due_for_survey(users, answers_, on).set_index("user_id")
        # U1 and U3 answered on the day -> not due; U2's next-day answer is ignored and
        # its last one, Jan 5 10:00, is 14 h + 268 days (Jan 6 - Sep 30) before the day ->
        # due; U4: 23 h + 89 days (Jul 4 - Sep 30) -> not due (needs more than 90).
        assert out.index.tolist() == ["U2"], on
        assert out.loc["U2", "days_since"] == pytest.approx(268 + 14 / 24)
        assert out.loc["U2", "team"] == "b"
    pd.testing.assert_frame_equal(users, before)
    # With no gap at all, an answer on the day itself still blocks a second ask that day:
    assert nps.due_for_survey(users, answers_, "2026-10-01", min_gap_days=0)[
        "user_id"].tolist() == ["U2", "U4"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 7), st.integers(-200, 30)), max_size=30),
       st.integers(0, 120))
def test_due_property(rows, gap):
    on = pd.Timestamp("2026-10-01")
    users = pd.DataFrame({"user_id": [f"U{i}" for i in range(8)]})
    sends = pd.DataFrame({"user_id": [f"U{u}" for u, _ in rows],
                          "sent_at": on + pd.to_timedelta([d for _, d in rows], unit="D")})
    out = nps.due_for_survey(users, sends, on, min_gap_days=gap, date="sent_at")
    due = set(out["user_id"])
    past = sends[sends["sent_at"] <= on]
    recent = set(past.loc[past["sent_at"] >= on - pd.Timedelta(days=gap), "user_id"])
    never = set(users["user_id"]) - set(past["user_id"])
    assert not due & recent  # nobody asked within the gap
    assert never <= due  # everyone never asked is due
    assert due == set(users["user_id"]) - recent  # and exactly those


# --- loop_closure --------------------------------------------------------------------------

@pytest.fixture
def loop_frames():
    t0 = pd.Timestamp("2026-10-05 10:00")  # a Monday
    day = pd.Timedelta(days=1)
    responses = pd.DataFrame({
        "response_id": [f"R{i}" for i in range(1, 8)],
        "responded_at": [t0, t0, t0 + day, t0 + 2 * day,             # week ending 10-11
                         t0 + 7 * day, t0 + 7 * day, t0 + 8 * day],  # week ending 10-18
        "score": pd.array([9, 3, 7, 0, 10, 8, 6], dtype="Int64"),
    })
    rt = responses.set_index("response_id")["responded_at"]
    actions = pd.DataFrame([
        ("R1", "email", rt["R1"] + 2 * day),        # promoter emailed day 2: in SLA
        ("R2", "call", rt["R2"] + 5 * day),         # detractor called day 5: late
        ("R3", "email", rt["R3"] + 1 * day),        # passive with only an e-mail: not done
        ("R4", "meeting", rt["R4"] + 1 * day),      # a meeting counts as a call: in SLA
        ("R5", "call", rt["R5"] + 1 * day),         # a call does not close a promoter's loop
        ("R5", "email", rt["R5"] + 4 * day),        # ... its e-mail on day 4 does: late
        ("R6", "Call ", rt["R6"] + 0.5 * day),      # first of two calls counts: in SLA
        ("R6", "call", rt["R6"] + 2 * day),
        ("R7", "call", rt["R7"] - 1 * day),         # logged before the answer: ignored
    ], columns=["response_id", "action", "done_at"])
    return responses, actions


def test_loop_closure_by_hand(loop_frames):
    responses, actions = loop_frames
    out = nps.loop_closure(responses, actions, sla_days=3)
    r = out.responses.set_index("response_id")
    assert out.table["response_id"].tolist() == ["R1", "R2", "R3", "R4", "R5", "R6", "R7"]
    assert out.summary["category"].tolist() == out.sla_summary["category"].tolist()
    assert r["category"].tolist() == ["promoter", "detractor", "passive", "detractor",
                                      "promoter", "passive", "detractor"]
    assert r["required_action"].tolist() == ["email", "call", "call", "call", "email", "call",
                                             "call"]
    assert r["done"].tolist() == [True, True, False, True, True, True, False]
    assert r["within_sla"].tolist() == [True, False, False, True, False, True, False]
    assert_allclose(r["days_to_act"], [2, 5, np.nan, 1, 4, 0.5, np.nan])
    assert r.loc["R6", "done_at"] == responses.loc[5, "responded_at"] + pd.Timedelta(hours=12)

    # detractor R2, R4, R7: done 2, in SLA 1; passive R3, R6: 1, 1; promoter R1, R5: 2, 1
    s = out.sla_summary.set_index("category")
    assert s.index.tolist() == ["detractor", "passive", "promoter"]
    assert s["n"].tolist() == [3, 2, 2]
    assert s["done"].tolist() == [2, 1, 2]
    assert s["within_sla"].tolist() == [1, 1, 1]
    assert_allclose(s["share_within_sla"], [1 / 3, 1 / 2, 1 / 2])

    # week to 10-11: R1 pro, R2 det, R3 pas, R4 det -> NPS (1 - 2) / 4 = -25, in SLA R1, R4
    # week to 10-18: R5 pro, R6 pas, R7 det -> NPS 0, in SLA R6 -> 1/3
    w = out.weekly
    assert w["period_end"].dt.strftime("%Y-%m-%d").tolist() == ["2026-10-11", "2026-10-18"]
    assert w["n"].tolist() == [4, 3]
    assert_allclose(w["nps"], [-25, 0])
    assert w["loops_closed_in_sla"].tolist() == [2, 1]
    assert_allclose(w["share_in_sla"], [0.5, 1 / 3])
    assert out.correlation["n_weeks"] == 2 and np.isnan(out.correlation["r"])


def test_loop_correlation_against_numpy():
    # Three weeks, two answers each; weekly (NPS, share in SLA):
    # w1: 10, 0 -> 0, both in SLA -> 1.0; w2: 10, 10 -> 100, one -> 0.5; w3: 0, 0 -> -100, none.
    # A gap week (no answers) in between must not enter the correlation.
    when = pd.to_datetime(["2026-10-05", "2026-10-06", "2026-10-12", "2026-10-13",
                           "2026-10-26", "2026-10-27"])
    responses = pd.DataFrame({"response_id": list("abcdef"), "responded_at": when,
                              "score": pd.array([10, 0, 10, 10, 0, 0], dtype="Int64")})
    actions = pd.DataFrame({"response_id": ["a", "b", "c"], "action": ["email", "call", "email"],
                            "done_at": when[:3] + pd.Timedelta(days=1)})
    out = nps.loop_closure(responses, actions)
    assert out.weekly["n"].tolist() == [2, 2, 0, 2]
    assert np.isnan(out.weekly.loc[2, "nps"])
    expected = np.corrcoef([0, 100, -100], [1.0, 0.5, 0.0])[0, 1]
    assert out.correlation["r"] == pytest.approx(expected)
    assert out.correlation["n_weeks"] == 3


def test_loop_closure_errors(loop_frames):
    responses, actions = loop_frames
    with pytest.raises(SchemaError, match=r"loop_actions has no column\(s\) `done_at`"):
        nps.loop_closure(responses, actions.drop(columns="done_at"))


# --- mask_pii and verbatims ----------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Call me: +55 11 91234-5678", "Call me: [phone]"),
    ("Liga: (11) 91234-5678.", "Liga: [phone]."),
    ("US office 555-123-4567", "US office [phone]"),
    ("whats 11912345678", "whats [phone]"),
    ("mail ana.souza+cs@empresa.com.br now", "mail [e-mail] now"),
    ("NPS 9 in 2026, nota 10", "NPS 9 in 2026, nota 10"),
    ("desde 2026-10-04, R$ 1.234.567,89", "desde 2026-10-04, R$ 1.234.567,89"),
    ("ramal 1234", "ramal 1234"),
])
def test_mask_pii(text, expected):
    assert nps.mask_pii(text) == expected


def test_mask_pii_series_keeps_nan_and_index():
    s = pd.Series(["a@b.com", None, "ok"], index=[5, 6, 7], dtype="str")
    out = nps.mask_pii(s)
    assert out.index.tolist() == [5, 6, 7]
    assert out[5] == "[e-mail]" and pd.isna(out[6]) and out[7] == "ok"
    assert nps.mask_pii(np.nan) is np.nan


def test_verbatims_newest_first_masked_not_escaped():
    data = pd.DataFrame({
        "responded_at": pd.to_datetime(["2026-10-01", "2026-10-03", "2026-10-02", "2026-10-04",
                                        "2026-10-05", "2026-10-06"]),
        "score": pd.array([2, 5, 6, 10, 0, 3], dtype="Int64"),
        "comment": ["old one", "<script>alert('x')</script>", "write to ana@acme.com", "great",
                    "   ", None],
        "user_type": ["admin"] * 6,
        "extra": [1] * 6,
    })
    out = nps.verbatims(data, n=2)
    assert list(out.columns) == ["responded_at", "score", "user_type", "comment"]
    assert out["comment"].tolist() == ["<script>alert('x')</script>", "write to [e-mail]"]
    raw = nps.verbatims(data, mask=False, category=["detractor", "promoter"])
    assert raw["comment"].tolist() == ["great", "<script>alert('x')</script>",
                                       "write to ana@acme.com", "old one"]
    with pytest.raises(ParamsError, match="'angry'"):
        nps.verbatims(data, category="angry")


# --- attributes, immutability, demo --------------------------------------------------------

def test_with_user_attributes(tiny_tables):
    accounts = tiny_tables["accounts"].assign(
        signup_date=pd.to_datetime(tiny_tables["accounts"]["signup_date"]))
    out = nps.with_user_attributes(tiny_tables["nps_responses"], tiny_tables["users"], accounts)
    assert out["user_type"].tolist() == ["admin", "end user", "executive"]
    assert out["segment"].tolist() == ["SMB", "Enterprise", "Enterprise"]
    assert {"plan", "region", "name", "signup_date"} <= set(out.columns)
    assert len(out) == 3


def test_inputs_never_mutated(loop_frames, cohort_frames, two_groups):
    from cslib.periods import trailing_window

    responses, actions = loop_frames
    resp = responses.assign(user_id=["U1", "U1", "U2", "U3", "U4", "U5", "U6"],
                            account_id="A1", comment=["x@y.com"] * 7, plan="Pro")
    accounts = cohort_frames[1]
    users = pd.DataFrame({"user_id": ["U1", "U2"], "user_type": ["admin", "end user"]})
    frames = [resp, actions, accounts, users, two_groups]
    before = [f.copy() for f in frames]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nps.nps_table(resp, by="plan")
        nps.compare_nps(two_groups, by="team")
        nps.compare_groups(two_groups, by="team", user=None)
        nps.compare_groups(resp, by="plan", n_comparisons=5)
        nps.nps_table(resp, by="plan", user="user_id")
        nps.window_comparison(resp, current=trailing_window("2026-10", 90),
                              previous=trailing_window("2026-10", 90, lag=1))
        nps.rolling_nps(resp, by="plan")
        nps.cohort_nps(resp, accounts)
        nps.loop_closure(resp, actions)
        nps.verbatims(resp, category=None)
        nps.survey_waves(users)
        nps.due_for_survey(users, resp, "2026-10-10")
        nps.with_user_attributes(resp, users, accounts)
    for f, b in zip(frames, before, strict=True):
        pd.testing.assert_frame_equal(f, b)


@pytest.fixture(scope="module")
def demo600():
    from cslib.demo import generate_warehouse

    return generate_warehouse(600, seed=1)


def test_demo_segments_recover_planted_order(demo600):
    from cslib.demo import PLANTED_SEGMENT_NPS

    responses = nps.with_user_attributes(demo600["nps_responses"], demo600["users"],
                                         demo600["accounts"])
    out = nps.nps_table(responses, by="segment").set_index("segment")
    planted = sorted(PLANTED_SEGMENT_NPS, key=PLANTED_SEGMENT_NPS.get)
    assert planted == ["SMB", "Mid-Market", "Enterprise"]
    assert out.loc[planted, "nps"].is_monotonic_increasing
    assert out["n"].sum() == demo600["nps_responses"]["score"].notna().sum()


def test_demo_rolling_month_end_equals_trailing_window(demo600):
    from cslib.periods import trailing_window

    responses = demo600["nps_responses"]
    rolling = nps.rolling_nps(responses, freq="M", window="90D", min_n=0)
    last = rolling.loc[rolling["period_end"] == pd.Timestamp("2026-10-31")].iloc[0]
    w = nps.window_comparison(responses, current=trailing_window("2026-10", 90),
                              previous=trailing_window("2026-10", 90, lag=1), min_n=0)
    assert last["n"] == w.current["n"]
    assert last["nps"] == pytest.approx(w.current["nps"])
    # and that is the plain latest-per-user NPS of the window
    start, end = trailing_window("2026-10", 90)
    inside = responses[(responses["responded_at"] >= start) & (responses["responded_at"] < end)]
    latest = inside.sort_values("responded_at").drop_duplicates("user_id", keep="last")
    s = latest["score"].astype(int)
    assert last["nps"] == pytest.approx(100 * ((s >= 9).mean() - (s <= 6).mean()))


# --- one rule for repeated answers ---------------------------------------------------------

@pytest.fixture
def repeated():
    # U1 answers twice inside the window: 3 (admin, Pro) then 10 (admin, Basic: plan moved).
    # The headline keeps U1's latest (10), so it holds 4 answers: 10, 9, 0, 8.
    return pd.DataFrame({
        "user_id": ["U1", "U2", "U3", "U1", "U4"],
        "user_type": ["admin", "end user", "end user", "admin", "admin"],
        "plan": ["Pro", "Pro", "Basic", "Basic", "Pro"],
        "responded_at": pd.to_datetime(["2026-09-01", "2026-09-05", "2026-09-10",
                                        "2026-10-01", "2026-10-03"]),
        "score": pd.array([3, 9, 0, 10, 8], dtype="Int64"),
    })


def test_group_tables_add_up_to_the_headline(repeated):
    from cslib.periods import trailing_window

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallSampleWarning)
        head = nps.window_comparison(repeated, current=trailing_window("2026-10", 90),
                                     previous=trailing_window("2026-10", 90, lag=1))
        by_type = nps.compare_groups(repeated, by="user_type")
        by_plan = nps.compare_groups(repeated, by="plan")
        table = nps.nps_table(repeated, by="plan", user="user_id")
        every = nps.nps_table(repeated, by="plan")
    assert head.current["n"] == 4
    assert by_type["n"].sum() == by_plan["n"].sum() == table["n"].sum() == 4
    assert every["n"].sum() == 5  # without `user`, every answer counts
    # U1's latest answer (10) is on Basic: Basic holds 0 and 10 -> NPS 0; Pro 9 and 8 -> 50
    plan = by_plan.set_index("plan")
    assert (plan.loc["Basic", "n"], plan.loc["Basic", "nps"]) == (2, 0)
    assert (plan.loc["Pro", "n"], plan.loc["Pro", "nps"]) == (2, 50)
    # admin: U1's 10 and U4's 8 -> NPS 50; the earlier 3 is gone
    assert by_type.set_index("user_type").loc["admin", "nps"] == 50


def test_cohort_nps_keeps_the_latest_answer_per_period(repeated):
    accounts = pd.DataFrame({"account_id": ["A1"], "signup_date": pd.to_datetime(["2025-01-01"])})
    data = repeated.assign(account_id="A1")
    out = nps.cohort_nps(data, accounts, min_n=0, period_freq="Q")
    # 2026Q3 holds U1's 3, U2's 9, U3's 0; 2026Q4 holds U1's 10 and U4's 8: one per user
    assert out["period"].tolist() == ["2026Q3", "2026Q4"]
    assert out["n"].tolist() == [3, 2]
    one = nps.cohort_nps(data, accounts, min_n=0, period_freq="Y")
    assert one["n"].tolist() == [4]  # in one yearly period U1 counts once, with the 10


def test_compare_groups_needs_a_user_column_or_none():
    with pytest.raises(SchemaError, match=r"`user_id`.*"):
        nps.compare_groups(answers([10, 0], team=["A", "B"]), by="team")


# --- Holm ----------------------------------------------------------------------------------

def test_holm_by_hand_and_against_statsmodels():
    from statsmodels.stats.multitest import multipletests

    from cslib._stats import holm

    # sorted 0.01, 0.02, 0.03, 0.20 with m = 4: 0.04, 0.06, 0.06 (running max of 0.06),
    # 0.20
    assert_allclose(holm([0.03, 0.20, 0.01, 0.02]), [0.06, 0.20, 0.04, 0.06])
    rng = np.random.default_rng(7)
    for k in (1, 2, 5, 12):
        p = rng.uniform(0, 0.2, k)
        assert_allclose(holm(p), multipletests(p, method="holm")[1])
    # NaN p-values stay NaN and do not count
    assert_allclose(holm([0.01, np.nan, 0.04]), [0.02, np.nan, 0.04])
    # part of a larger family: never less strict than Holm over the whole family
    for _ in range(50):
        both = rng.uniform(0, 0.1, 7)
        joint = multipletests(both, method="holm")[1]
        assert (holm(both[:3], n_comparisons=7) >= joint[:3] - 1e-12).all()
        assert (holm(both[3:], n_comparisons=7) >= joint[3:] - 1e-12).all()
    with pytest.raises(ValueError, match="smaller than the 3 p-values"):
        holm([0.1, 0.2, 0.3], n_comparisons=2)


def test_compare_groups_significance_is_holm_corrected():
    # X: 30 promoters, 10 detractors, 10 passives (n=50); Y and Z: 20 of each category
    # (n=60 each). X: p = .6, d = .2, NPS 40, var .64; the rest (Y + Z): p = d = 1/3,
    # NPS 0, var 2/3; se = 100 * sqrt(.64 / 50 + (2/3) / 120) = 13.5483, z = 2.95241,
    # p = 0.003153. With this table's 3 comparisons Holm gives 3 * 0.003153 = 0.00946
    # (significant); on a page of 20 comparisons 20 * 0.003153 = 0.0631 (not).
    data = answers([10] * 30 + [0] * 10 + [8] * 10 + ([10] * 20 + [0] * 20 + [8] * 20) * 2,
                   g=["X"] * 50 + ["Y"] * 60 + ["Z"] * 60)
    out = nps.compare_groups(data, by="g", user=None)
    x = out.set_index("g").loc["X"]
    assert x["p_value"] == pytest.approx(2 * norm.sf(40 / 13.54829), rel=1e-4)
    assert x["p_value_holm"] == pytest.approx(3 * x["p_value"])
    from statsmodels.stats.multitest import multipletests

    assert_allclose(out["p_value_holm"], multipletests(out["p_value"], method="holm")[1])
    assert out.attrs["n_comparisons"] == 3
    assert out["significant"].tolist() == [True, False, False]
    page = nps.compare_groups(data, by="g", user=None, n_comparisons=20)
    assert page.set_index("g").loc["X", "p_value_holm"] == pytest.approx(20 * x["p_value"])
    assert not page["significant"].any()
    assert_allclose(page["p_value"], out["p_value"])  # the raw column is kept
    with pytest.raises(ParamsError, match="n_comparisons=2 must be a whole number at least"):
        nps.compare_groups(data, by="g", user=None, n_comparisons=2)


# --- one vocabulary (issue 14) -------------------------------------------------------------

def test_compare_by_a_list_of_columns_is_by_their_combination():
    data = answers([10, 9, 0, 3, 8, 10, 9, 9, 7, 2, 10, 6],
                   segment=["SMB"] * 6 + ["Ent"] * 6,
                   plan=["Pro", "Starter"] * 6)
    combined = data.assign(group=data["segment"] + " / " + data["plan"])
    by_list = nps.compare_groups(data, by=["segment", "plan"], min_n=0, user=None)
    by_one = nps.compare_groups(combined, by="group", min_n=0, user=None)
    assert list(by_list.columns[:2]) == ["segment", "plan"]
    assert_allclose(by_list["nps"], by_one["nps"])
    assert_allclose(by_list["p_value_holm"], by_one["p_value_holm"])
    assert (by_list["segment"] + " / " + by_list["plan"]).tolist() == by_one["group"].tolist()
    # SMB/Pro answers 10, 0, 8 -> 1 promoter, 1 detractor of 3: NPS 0
    smb_pro = by_list.set_index(["segment", "plan"]).loc[("SMB", "Pro")]
    assert smb_pro["n"] == 3 and smb_pro["nps"] == pytest.approx(0)
    two = nps.compare_nps(data.loc[data["plan"] == "Pro"], by=["segment", "plan"])
    assert (two.loc[0, "group_1"], two.loc[0, "group_2"]) == ("Ent / Pro", "SMB / Pro")
    ref = nps.compare_nps(combined.loc[combined["plan"] == "Pro"], by="group")
    assert_allclose(two.loc[0, ["difference", "p_value"]].astype(float),
                    ref.loc[0, ["difference", "p_value"]].astype(float))
