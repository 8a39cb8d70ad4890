"""Tests for cslib.demo: contract, determinism, the NPS programme and the planted effects.

Every check recomputes what it needs from the generated tables with plain pandas
(and statsmodels for the churn regression), never with the generator's internals.
"""

from __future__ import annotations

import re

import duckdb
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from cslib.demo import (
    KEY_FEATURES,
    OTHER_FEATURES,
    PLANTED_ADOPTION_ODDS_RATIO,
    PLANTED_LOOP_LIFT,
    PLANTED_SEGMENT_NPS,
    assign_waves,
    generate_warehouse,
    write_demo_data,
    write_duckdb,
)
from cslib.exceptions import ParamsError
from cslib.schemas import validate

TABLES = ["accounts", "users", "mrr", "nps_responses", "usage", "tickets", "loop_actions",
          "nps_invitations", "opportunities", "opportunity_stages", "onboarding_milestones"]


@pytest.fixture(scope="module")
def small():
    return generate_warehouse(400, seed=11)


@pytest.fixture(scope="module")
def big():
    """2,000 accounts x 24 months: enough power for the planted effects."""
    return generate_warehouse(2000, seed=1)


def account_mrr(mrr: pd.DataFrame) -> pd.DataFrame:
    """Accounts x months MRR, missing rows (and explicit zero rows) as 0."""
    return mrr.groupby(["account_id", "month"])["mrr"].sum().unstack(fill_value=0.0)


# --- contract and determinism ----------------------------------------------------------------


def test_tables_validate(small, big):
    for wh in (small, big):
        assert sorted(wh) == sorted(TABLES)
        clean = validate(wh)
        for name in TABLES:
            assert len(clean[name]) == len(wh[name]) > 0


def test_ids_months_and_dtypes(small):
    acc, mrr = small["accounts"], small["mrr"]
    assert acc["account_id"].str.fullmatch(r"A\d{6}").all()
    assert mrr["contract_id"].str.fullmatch(r"C\d{6}-[123]").all()
    # the contract belongs to its account: C000123-2 -> A000123
    assert (mrr["contract_id"].str[1:7] == mrr["account_id"].str[1:]).all()
    assert small["users"]["user_id"].str.fullmatch(r"U\d{7}").all()
    assert small["nps_responses"]["response_id"].str.fullmatch(r"R\d{8}").all()
    assert small["tickets"]["ticket_id"].str.fullmatch(r"T\d{7}").all()
    months = pd.DatetimeIndex(sorted(mrr["month"].unique()))
    # 24 months ending at the fixed end month 2026-10: 2024-11 .. 2026-10
    assert list(months) == list(pd.date_range("2024-11-01", "2026-10-01", freq="MS"))
    for name, col in [("usage", "month"), ("mrr", "month")]:
        assert small[name][col].dtype == "datetime64[ns]"
        assert (small[name][col].dt.day == 1).all()
    assert small["nps_responses"]["score"].dtype == "Int64"
    assert acc["signup_date"].dtype == "datetime64[ns]"
    assert (acc["signup_date"] == acc["signup_date"].dt.normalize()).all()
    assert acc["signup_date"].max() <= pd.Timestamp("2026-10-31")
    assert acc["signup_date"].min() >= pd.Timestamp("2022-11-01")  # ~4 years back


def test_same_seed_same_tables_other_seed_other_tables():
    a = generate_warehouse(150, n_months=12, seed=5)
    b = generate_warehouse(150, n_months=12, seed=5)
    c = generate_warehouse(150, n_months=12, seed=6)
    for name in TABLES:
        pd.testing.assert_frame_equal(a[name], b[name])
    assert not a["mrr"].equals(c["mrr"])
    assert not a["accounts"].equals(c["accounts"])


def test_end_month_and_window_are_parameters():
    wh = generate_warehouse(100, n_months=6, end_month="2025-03", seed=1, nps_start_months=3)
    assert wh["mrr"]["month"].min() == pd.Timestamp("2024-10-01")
    assert wh["mrr"]["month"].max() == pd.Timestamp("2025-03-01")
    assert wh["nps_invitations"]["sent_at"].min() >= pd.Timestamp("2025-01-01")
    assert wh["nps_responses"]["responded_at"].max() < pd.Timestamp("2025-04-01")
    # nps_start_months longer than the window is clipped to it
    wh = generate_warehouse(50, n_months=3, seed=1, nps_start_months=12)
    assert wh["nps_invitations"]["sent_at"].min() >= pd.Timestamp("2026-08-01")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_accounts": 0}, "`n_accounts` must be a positive integer"),
        ({"n_accounts": 2.5}, "`n_accounts` must be a positive integer"),
        ({"n_months": 1}, r"`n_months` must be an integer >= 2"),
        ({"end_month": "October"}, "`end_month` must be a month like '2026-10'"),
        ({"nps_start_months": 0}, "`nps_start_months` must be a positive integer"),
    ],
)
def test_bad_parameters_raise(kwargs, match):
    args = {"n_accounts": 10} | kwargs
    with pytest.raises(ParamsError, match=match):
        generate_warehouse(**args)


def test_accounts_content(big):
    acc = big["accounts"]
    share = acc["segment"].value_counts(normalize=True)
    assert share["SMB"] == pytest.approx(0.60, abs=0.04)
    assert share["Mid-Market"] == pytest.approx(0.28, abs=0.04)
    assert share["Enterprise"] == pytest.approx(0.12, abs=0.03)
    assert set(acc["plan"]) == {"Starter", "Growth", "Pro", "Enterprise"}
    # the plan mix depends on the segment
    ent_plan = acc.loc[acc["segment"] == "Enterprise", "plan"].value_counts(normalize=True)
    smb_plan = acc.loc[acc["segment"] == "SMB", "plan"].value_counts(normalize=True)
    assert ent_plan.get("Enterprise", 0) > 0.3 > smb_plan.get("Enterprise", 0)
    assert set(acc["region"]) == {"Sudeste", "Sul", "Nordeste", "Centro-Oeste", "Norte"}
    assert acc["name"].str.contains("[ãçéêíóôú]", regex=True).any()
    assert acc["name"].nunique() > 0.5 * len(acc)
    med = acc.groupby("segment")[["cac", "employees"]].median()
    assert med.loc["SMB", "cac"] < med.loc["Mid-Market", "cac"] < med.loc["Enterprise", "cac"]
    assert (med.loc["SMB", "employees"] < med.loc["Mid-Market", "employees"]
            < med.loc["Enterprise", "employees"])


def test_users_content(big):
    users = big["users"].merge(big["accounts"][["account_id", "segment"]])
    per_account = users.groupby("account_id").size()
    assert per_account.between(2, 8).all()
    assert per_account.index.size == len(big["accounts"])
    by_seg = users.groupby("segment")["account_id"].value_counts().groupby("segment").mean()
    assert by_seg["Enterprise"] > by_seg["SMB"]
    share = users["user_type"].value_counts(normalize=True)
    assert share["admin"] == pytest.approx(0.20, abs=0.03)
    assert share["end user"] == pytest.approx(0.65, abs=0.03)
    assert share["executive"] == pytest.approx(0.15, abs=0.03)
    assert users["email"].str.fullmatch(r"[a-z]+\.[a-z]+@[a-z0-9-]+\.com\.br").all()


# --- MRR movements ---------------------------------------------------------------------------


def test_every_movement_type_at_account_level(big):
    am = account_mrr(big["mrr"])
    prev, cur = am.shift(1, axis=1).iloc[:, 1:], am.iloc[:, 1:]
    paid_before = (am > 0).cumsum(axis=1).shift(1, axis=1).iloc[:, 1:] > 0
    signup_month = big["accounts"].set_index("account_id")["signup_date"].dt.to_period("M")
    month = pd.DataFrame([cur.columns.to_period("M")] * len(cur), index=cur.index,
                         columns=cur.columns)
    signed_up_now = month.eq(signup_month.reindex(cur.index), axis=0)
    counts = {
        "new": ((prev == 0) & (cur > 0) & signed_up_now).to_numpy().sum(),
        "reactivation": ((prev == 0) & (cur > 0) & paid_before).to_numpy().sum(),
        "expansion": ((prev > 0) & (cur > prev)).to_numpy().sum(),
        "contraction": ((cur > 0) & (cur < prev)).to_numpy().sum(),
        "churn": ((prev > 0) & (cur == 0)).to_numpy().sum(),
    }
    assert all(v >= 20 for v in counts.values()), counts
    # reactivated accounts came back after 1-6 months of zero MRR
    for acc_id in am.index[((prev == 0) & (cur > 0) & paid_before).any(axis=1)][:50]:
        row = am.loc[acc_id].to_numpy()
        for t in range(1, len(row)):
            if row[t] > 0 and row[t - 1] == 0 and (row[:t] > 0).any():
                gap = t - 1 - np.flatnonzero(row[:t] > 0).max()
                assert 1 <= gap <= 6, (acc_id, gap)


def test_contract_churn_while_account_keeps_paying(big):
    mrr = big["mrr"]
    cm = mrr.pivot_table(index="contract_id", columns="month", values="mrr", fill_value=0.0)
    acct = cm.index.str.replace("C", "A").str[:7]
    am = account_mrr(mrr).reindex(acct)
    am.index = cm.index
    stopped = (cm.shift(1, axis=1) > 0) & (cm == 0)
    account_pays = am > 0
    assert (stopped & account_pays).to_numpy().sum() >= 10
    # a few explicit zero rows, each where the contract stopped that month
    zeros = mrr[mrr["mrr"] == 0]
    assert 0 < len(zeros) < 0.01 * len(mrr)
    for _, z in zeros.iterrows():
        prev_month = z["month"] - pd.DateOffset(months=1)
        if prev_month in cm.columns:
            assert cm.loc[z["contract_id"], prev_month] > 0
    assert set(mrr["product"]) == {"CRM", "Analytics", "Automation"}
    products = mrr[mrr["mrr"] > 0].groupby(["account_id", "month"])["product"].nunique()
    assert products.between(1, 3).all() and (products > 1).any()


def test_monthly_churn_rates_by_segment(big):
    am = account_mrr(big["mrr"])
    churn = ((am.iloc[:, :-1].to_numpy() > 0) & (am.iloc[:, 1:].to_numpy() == 0))
    at_risk = am.iloc[:, :-1].to_numpy() > 0
    seg = big["accounts"].set_index("account_id")["segment"].reindex(am.index).to_numpy()
    rate = {s: churn[seg == s].sum() / at_risk[seg == s].sum() for s in np.unique(seg)}
    # a plausible SaaS range; the journey's planted terms (hurried sales, slow time to
    # value) add to the segment base rates, SMB most
    assert all(0.008 < r < 0.05 for r in rate.values()), rate
    assert rate["SMB"] > rate["Mid-Market"] and rate["SMB"] > rate["Enterprise"]


# --- usage -----------------------------------------------------------------------------------


def test_usage_rows_only_when_used_and_paying(small):
    usage = small["usage"]
    assert set(usage["feature"]) == set(KEY_FEATURES + OTHER_FEATURES)
    assert (usage["active_users"] > 0).all()
    assert (usage["events"] >= usage["active_users"]).all()
    am = account_mrr(small["mrr"]).stack()
    paying = am[am > 0].index
    assert usage.set_index(["account_id", "month"]).index.isin(paying).all()
    # never more active users than the account has users
    n_users = small["users"].groupby("account_id").size()
    assert (usage["active_users"].to_numpy() <= n_users[usage["account_id"]].to_numpy()).all()


def test_adoption_is_persistent_and_differs_by_segment(big):
    usage = big["usage"][big["usage"]["feature"].isin(KEY_FEATURES)]
    ka = usage.groupby(["account_id", "month"]).size().ge(2).unstack()  # NaN: not using/paying
    am = account_mrr(big["mrr"]).reindex(ka.index)
    ka = ka.fillna(False).where(am > 0)
    now, nxt = ka.iloc[:, :-1].to_numpy(), ka.iloc[:, 1:].to_numpy()
    both = ~np.isnan(now.astype(float)) & ~np.isnan(nxt.astype(float))
    same = (now[both] == nxt[both]).mean()
    assert same > 0.85
    seg = big["accounts"].set_index("account_id")["segment"]
    stacked = ka.stack().dropna().astype(float)
    share = stacked.groupby(seg.reindex(stacked.index.get_level_values(0)).to_numpy()).mean()
    assert share["Enterprise"] > share["SMB"]


# --- the NPS programme -----------------------------------------------------------------------


def test_no_user_asked_twice_within_90_days(big):
    inv = big["nps_invitations"].sort_values(["user_id", "sent_at"])
    gap = inv.groupby("user_id")["sent_at"].diff().dropna()
    assert len(gap) > 1000
    assert gap.min() > pd.Timedelta(days=90)


def test_waves_follow_the_stratified_assignment(big):
    inv = big["nps_invitations"]
    assert inv.groupby("user_id")["wave"].nunique().max() == 1
    waves = assign_waves(big["users"], by="user_type", seed=1)
    expected = pd.Series(waves.to_numpy(), index=big["users"]["user_id"])
    assert (inv["wave"].to_numpy() == expected[inv["user_id"]].to_numpy()).all()
    counts = pd.crosstab(big["users"]["user_type"], waves)
    assert (counts.max(axis=1) - counts.min(axis=1)).max() <= 1
    # one wave a week, a pause week after wave 12
    sends = inv.groupby("sent_at")["wave"].agg(["nunique", "first"]).sort_index()
    assert (sends["nunique"] == 1).all()
    step = sends.index.to_series().diff().dt.days.iloc[1:].to_numpy()
    after = sends["first"].to_numpy()[:-1]
    assert set(step[after != 12]) == {7}
    assert set(step[after == 12]) == {14}


def test_only_users_of_paying_accounts_are_asked(small):
    inv = small["nps_invitations"]
    am = account_mrr(small["mrr"]).stack()
    key = pd.MultiIndex.from_arrays([inv["account_id"], inv["sent_at"].dt.to_period("M")
                                     .dt.to_timestamp()])
    assert key.isin(am[am > 0].index).all()
    # every user of an account that paid through the whole programme (12 months) was asked
    wide = account_mrr(small["mrr"]).iloc[:, -12:]
    always = wide.index[(wide > 0).all(axis=1)]
    users = small["users"][small["users"]["account_id"].isin(always)]
    assert len(users) > 100
    assert users["user_id"].isin(inv["user_id"]).all()


def test_responses_follow_invitations(big):
    inv, resp = big["nps_invitations"], big["nps_responses"]
    assert len(resp) / len(inv) == pytest.approx(0.30, abs=0.03)
    merged = pd.merge_asof(resp.sort_values("responded_at"),
                           inv.sort_values("sent_at").rename(columns={"wave": "sent_wave"}),
                           left_on="responded_at", right_on="sent_at", by="user_id")
    delay = merged["responded_at"] - merged["sent_at"]
    assert delay.notna().all()
    assert delay.min() >= pd.Timedelta(0) and delay.max() < pd.Timedelta(days=7)
    assert (merged["wave"] == merged["sent_wave"]).all()
    assert resp["score"].between(0, 10).all() and resp["score"].nunique() == 11


def test_comments(big):
    comment = big["nps_responses"]["comment"]
    assert comment.notna().mean() == pytest.approx(0.40, abs=0.03)
    text = comment.dropna()
    pii = text.str.contains(r"[\w.]+@[\w.]+|\(\d{2}\) 9\d{4}-\d{4}", regex=True)
    assert 0.01 < pii.mean() < 0.06
    assert text.str.contains(r"\(\d{2}\) 9\d{4}-\d{4}", regex=True).any()
    assert text.str.contains(r"@", regex=False).any()
    # verbatims vary with the score
    resp = big["nps_responses"].dropna(subset=["comment"])
    low = set(resp.loc[resp["score"] <= 6, "comment"])
    high = set(resp.loc[resp["score"] >= 9, "comment"])
    assert len(low & high) < 0.1 * min(len(low), len(high))


def test_loop_actions(big):
    resp, loops = big["nps_responses"], big["loop_actions"]
    m = loops.merge(resp[["response_id", "score", "responded_at"]], on="response_id")
    assert len(m) == len(loops)
    assert set(loops["action"]) == {"call", "email", "meeting"}
    # the playbook action: one per answer acted on; a call below 9, an e-mail from 9
    playbook = m[m["action"] != "meeting"]
    assert not playbook["response_id"].duplicated().any()
    assert (playbook.loc[playbook["score"] <= 8, "action"] == "call").all()
    assert (playbook.loc[playbook["score"] >= 9, "action"] == "email").all()
    delay = playbook["done_at"] - playbook["responded_at"]
    assert (delay > pd.Timedelta(0)).all()
    in_sla = (delay <= pd.Timedelta(days=3)).sum() / len(resp)
    late = (delay > pd.Timedelta(days=3)).sum() / len(resp)
    never = 1 - len(playbook) / len(resp)
    assert in_sla == pytest.approx(0.80, abs=0.03)
    assert late == pytest.approx(0.12, abs=0.03)
    assert never == pytest.approx(0.08, abs=0.03)
    assert delay.max() <= pd.Timedelta(days=15)


def test_some_detractor_calls_escalate_to_a_meeting(big):
    resp, loops = big["nps_responses"], big["loop_actions"]
    m = loops.merge(resp[["response_id", "score"]], on="response_id")
    meetings = m[m["action"] == "meeting"]
    calls = m[m["action"] == "call"]
    assert len(meetings) > 100
    # only detractors (0-6) escalate, and only after a call on the same answer
    assert (meetings["score"] <= 6).all()
    pair = meetings.merge(calls[["response_id", "done_at"]], on="response_id",
                          suffixes=("", "_call"), validate="one_to_one")
    assert len(pair) == len(meetings)
    gap = pair["done_at"] - pair["done_at_call"]
    assert gap.min() >= pd.Timedelta(days=2) and gap.max() <= pd.Timedelta(days=10)
    # about a quarter of detractor calls (those whose meeting would fall after the data's
    # end, 2026-10-31, cannot have one: count only calls made before 2026-10-21)
    early = calls[(calls["score"] <= 6) & (calls["done_at"] < pd.Timestamp("2026-10-21"))]
    share = early["response_id"].isin(meetings["response_id"]).mean()
    assert share == pytest.approx(0.25, abs=0.04)
    assert (meetings["done_at"] <= pd.Timestamp("2026-10-31 23:59:59")).all()


# --- tickets ---------------------------------------------------------------------------------


def test_tickets(big):
    t = big["tickets"].merge(big["accounts"][["account_id", "segment"]])
    done = t.dropna(subset=["resolved_at"])
    assert (done["resolved_at"] > done["opened_at"]).all()
    still_open = t[t["resolved_at"].isna()]
    assert 0 < len(still_open) < 0.05 * len(t)
    assert (still_open["opened_at"] >= pd.Timestamp("2026-09-01")).all()
    assert (t["contacts"] == 1).mean() == pytest.approx(0.70, abs=0.03)
    assert t["contacts"].between(1, 5).all()
    am = account_mrr(big["mrr"]).stack()
    paying = am[am > 0]
    seg = big["accounts"].set_index("account_id")["segment"]
    paying_seg = seg.reindex(paying.index.get_level_values(0)).to_numpy()
    per_month = t.groupby("segment").size() / paying.groupby(paying_seg).size()
    assert per_month["SMB"] < per_month["Mid-Market"] < per_month["Enterprise"]


# --- planted effects -------------------------------------------------------------------------


def planted_terms(wh) -> pd.DataFrame:
    """Paying account-months with next-month churn and the four churn-model terms,
    recomputed from the tables as the generator's docstring defines them."""
    am = account_mrr(wh["mrr"])
    paying = am > 0
    churn_next = paying & ~paying.shift(-1, axis=1, fill_value=True)
    d = pd.DataFrame({"paying": paying.stack(), "churn": churn_next.stack()}).reset_index()
    d = d[d["paying"] & (d["month"] < am.columns.max())]
    usage = wh["usage"]
    key = (usage[usage["feature"].isin(KEY_FEATURES) & (usage["active_users"] > 0)]
           .groupby(["account_id", "month"]).size().ge(2).rename("key_adopter").reset_index())
    d = d.merge(key, how="left", on=["account_id", "month"])
    d["key_adopter"] = d["key_adopter"].fillna(False).astype(float)

    def quarter(frame, value_cols):
        """Sums of ``value_cols`` over months t-2..t, per account and month t."""
        g = frame.groupby(["account_id", "month"])[value_cols].sum()
        parts = []
        for lag in range(3):
            shifted = g.reset_index()
            shifted["month"] = shifted["month"] + pd.DateOffset(months=lag)
            parts.append(shifted)
        return pd.concat(parts).groupby(["account_id", "month"])[value_cols].sum()

    r = wh["nps_responses"].copy()
    r["month"] = r["responded_at"].dt.to_period("M").dt.to_timestamp()
    r["points"] = np.select([r["score"] >= 9, r["score"] >= 7], [1.0, 0.0], -1.0)
    calls = wh["loop_actions"][wh["loop_actions"]["action"] == "call"]
    first_call = calls.groupby("response_id")["done_at"].min()
    late = (first_call.reindex(r["response_id"]).to_numpy() - r["responded_at"].to_numpy()
            > np.timedelta64(3, "D"))
    never = first_call.reindex(r["response_id"]).isna().to_numpy()
    r["missed"] = ((r["score"] <= 8).to_numpy() & (late | never)).astype(float)
    r["answers"] = 1.0
    q = quarter(r, ["answers", "points", "missed"])
    t = wh["tickets"].copy()
    t["month"] = t["opened_at"].dt.to_period("M").dt.to_timestamp()
    t["first"] = (t["contacts"] == 1).astype(float)
    t["tickets"] = 1.0
    qt = quarter(t, ["tickets", "first"])
    d = d.join(q, on=["account_id", "month"]).join(qt, on=["account_id", "month"])
    d = d.fillna({"answers": 0.0, "points": 0.0, "missed": 0.0, "tickets": 0.0, "first": 0.0})
    d["account_nps"] = np.where(d["answers"] > 0, d["points"] / d["answers"].clip(lower=1), 0.0)
    d["fcr_centred"] = np.where(d["tickets"] > 0,
                                d["first"] / d["tickets"].clip(lower=1) - 0.70, 0.0)
    d["loop_missed"] = (d["missed"] > 0).astype(float)
    return d.merge(wh["accounts"][["account_id", "segment"]], on="account_id")


def test_planted_churn_model_is_recovered(big):
    """Every term of the one churn model, fitted from the tables: each interval holds its
    planted size (the sizes are written here from the generator's docstring).

    Six intervals at once: Bonferroni, 1 - 0.05 / 6 each, so the family covers 95%
    (on seeds 2-4 every estimate is within 1.2 SE of its size; seed 1's NPS term is 2.2
    SE away, as one in 30 draws is).
    """
    from cslib.demo_journey import HURRY_DAYS, LANDMARK_MONTHS, VALUE_DAYS
    from cslib.onboarding import time_to_value

    # the generator's docstrings: cslib.demo (four terms) and cslib.demo_journey (two)
    planted = {"key_adopter": np.log(0.5), "account_nps": -1.0, "fcr_centred": -1.5,
               "loop_missed": 0.5, "hurried": np.log(1.8), "slow_after": np.log(2.0)}
    assert PLANTED_ADOPTION_ODDS_RATIO == 0.5
    d = planted_terms(big)
    # the journey's terms, from the opportunities and milestones: a sale closed in under
    # 30 days; no value by day 90, from the 4th month of life (of the churn month) on
    ttv = time_to_value(big["accounts"], big["onboarding_milestones"],
                        opportunities=big["opportunities"]).set_index("account_id")
    signup = big["accounts"].set_index("account_id")["signup_date"].reindex(d["account_id"])
    life = ((d["month"].dt.year.to_numpy() - signup.dt.year.to_numpy()) * 12
            + d["month"].dt.month.to_numpy() - signup.dt.month.to_numpy() + 1)
    days = ttv["days"].reindex(d["account_id"]).to_numpy()
    reached = ttv["reached"].reindex(d["account_id"]).to_numpy() == 1
    slow = ~(reached & (days <= VALUE_DAYS))
    d["hurried"] = (ttv["sales_cycle_days"].reindex(d["account_id"]).to_numpy()
                    < HURRY_DAYS).astype(float)
    d["slow_after"] = (slow & (life >= LANDMARK_MONTHS)).astype(float)
    X = pd.get_dummies(d["segment"], dtype=float).drop(columns="SMB")
    for name in planted:
        X[name] = d[name]
    fit = sm.Logit(d["churn"].astype(float), sm.add_constant(X)).fit(disp=0)
    ci = fit.conf_int(alpha=0.05 / len(planted))
    single = fit.conf_int(alpha=0.05)
    for name, value in planted.items():
        low, high = ci.loc[name]
        assert low < value < high, (name, fit.params[name], low, high)
        # each term is detected (its own 95% interval excludes 0), not only not refuted
        low, high = single.loc[name]
        assert high < 0 or low > 0, (name, fit.params[name], low, high)
    assert d["churn"].sum() > 300


def nps(scores: pd.Series) -> float:
    return 100 * ((scores >= 9).mean() - (scores <= 6).mean())


def test_planted_segment_nps(big):
    resp = big["nps_responses"].merge(big["accounts"][["account_id", "segment"]])
    by_seg = resp.groupby("segment")["score"].apply(nps)
    assert by_seg["SMB"] < by_seg["Mid-Market"] < by_seg["Enterprise"]
    for seg, planted in PLANTED_SEGMENT_NPS.items():
        assert by_seg[seg] == pytest.approx(planted, abs=8)


def test_planted_loop_lift(big):
    resp = big["nps_responses"].sort_values(["user_id", "responded_at"])
    loops = big["loop_actions"].merge(resp[["response_id", "responded_at"]])
    closed = loops.loc[loops["done_at"] - loops["responded_at"] <= pd.Timedelta(days=3),
                       "response_id"]
    resp = resp.assign(detractor=resp["score"] <= 6,
                       closed=resp["response_id"].isin(closed))
    resp["next_detractor"] = resp.groupby("user_id")["detractor"].shift(-1)
    pairs = resp[resp["detractor"] & resp["next_detractor"].notna()]
    rate = pairs.groupby("closed")["next_detractor"].mean()
    n = pairs.groupby("closed").size()
    assert n.min() > 50
    assert rate[True] < rate[False]
    assert rate[False] - rate[True] == pytest.approx(PLANTED_LOOP_LIFT, abs=0.12)


# --- assign_waves ----------------------------------------------------------------------------


def test_assign_waves_by_hand():
    # 5 admins and 3 end users into 3 waves: admins 2/2/1; end users continue round robin
    # where admins stopped (offset 5 % 3 = 2), so the end users go 1/1/1 and the waves 3/3/2
    users = pd.DataFrame({"user_type": ["admin"] * 5 + ["end user"] * 3})
    before = users.copy()
    waves = assign_waves(users, n_waves=3, seed=0)
    pd.testing.assert_frame_equal(users, before)
    counts = pd.crosstab(users["user_type"], waves)
    assert counts.loc["admin"].sort_values().tolist() == [1, 2, 2]
    assert counts.loc["end user"].tolist() == [1, 1, 1]
    assert sorted(waves.value_counts().tolist()) == [2, 3, 3]
    assert waves.index.equals(users.index) and waves.dtype == "Int64"
    pd.testing.assert_series_equal(waves, assign_waves(users, n_waves=3, seed=0))


def test_assign_waves_errors():
    with pytest.raises(ParamsError, match="column `kind` not found"):
        assign_waves(pd.DataFrame({"user_type": ["a"]}), by="kind")
    with pytest.raises(ParamsError, match="`n_waves` must be >= 1"):
        assign_waves(pd.DataFrame({"user_type": ["a"]}), n_waves=0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["admin", "end user", "executive"]), max_size=200),
       st.integers(1, 15), st.integers(0, 2**31))
def test_assign_waves_balances_every_stratum(types, n_waves, seed):
    users = pd.DataFrame({"user_type": types})
    waves = assign_waves(users, n_waves=n_waves, seed=seed)
    assert waves.between(1, n_waves).all()
    counts = pd.crosstab(users["user_type"], waves).reindex(
        columns=range(1, n_waves + 1), fill_value=0)
    if len(types):
        assert (counts.max(axis=1) - counts.min(axis=1)).max() <= 1
        sizes = counts.sum()
        assert sizes.max() - sizes.min() <= 1


# --- DuckDB ----------------------------------------------------------------------------------


def test_write_duckdb_round_trip(small, tmp_path):
    path = tmp_path / "sub" / "wh.duckdb"
    before = {name: frame.copy() for name, frame in small.items()}
    out = write_duckdb(small, path)
    for name, frame in small.items():
        pd.testing.assert_frame_equal(frame, before[name])
    assert out == path and path.exists()
    assert [p.name for p in path.parent.iterdir()] == ["wh.duckdb"]  # no temp files left
    con = duckdb.connect(str(path), read_only=True)
    try:
        for name, frame in small.items():
            back = con.sql(f'SELECT * FROM "{name}"').df()
            # documented: Int64 columns come back as int64 (no missing values here)
            expected = frame.astype({c: "int64" for c in frame.columns
                                     if frame[c].dtype == "Int64"})
            pd.testing.assert_frame_equal(back, expected, check_dtype=False)
            assert list(back.dtypes.astype(str)) == list(expected.dtypes.astype(str))
    finally:
        con.close()


def test_write_duckdb_replaces_the_file(tmp_path):
    path = tmp_path / "wh.duckdb"
    write_duckdb({"old": pd.DataFrame({"a": [1]})}, path)
    write_duckdb({"new": pd.DataFrame({"b": ["x", "y"]})}, path)
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()}
        assert names == {"new"}
        assert con.execute("SELECT count(*) FROM new").fetchone() == (2,)
    finally:
        con.close()


def _as_written(frame: pd.DataFrame) -> pd.DataFrame:
    """What write_duckdb's docstring says comes back: Int64 as int64 (no missing values)."""
    return frame.astype({c: "int64" for c in frame.columns if frame[c].dtype == "Int64"})


def test_write_demo_data(tmp_path):
    path = write_demo_data(tmp_path / "demo.duckdb", n_accounts=60, n_months=6, seed=3)
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = {name: con.sql(f'SELECT * FROM "{name}"').df() for name in TABLES}
    finally:
        con.close()
    validate(tables)
    expected = generate_warehouse(60, n_months=6, seed=3)
    assert sorted(tables) == sorted(expected)
    for name in TABLES:
        # every column and every value, as generate_warehouse made them
        pd.testing.assert_frame_equal(tables[name], _as_written(expected[name]),
                                      check_dtype=False, obj=name)
        assert list(tables[name].columns) == list(expected[name].columns)
    assert len(tables["accounts"]) == 60
    months = pd.DatetimeIndex(sorted(tables["mrr"]["month"].unique()))
    # 6 months ending at the default end month 2026-10: May .. October 2026
    assert list(months) == list(pd.date_range("2026-05-01", "2026-10-01", freq="MS"))


def test_demo_data_console_command_writes_a_valid_warehouse(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    from cslib.io import load

    script = Path(sys.executable).parent / "cslib"
    assert script.exists(), f"the `cslib` console script is not installed next to {sys.executable}"
    path = tmp_path / "out" / "demo.duckdb"
    done = subprocess.run([str(script), "demo-data", "--path", str(path), "--accounts", "60",
                           "--months", "6", "--seed", "4"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"demo warehouse written to {path}" in done.stdout
    # the command validates what it wrote and lists every table as valid
    for name in TABLES:
        assert re.search(rf"^\s+{name}\s+[\d,]+ rows\s+valid\s+from {re.escape(str(path))}:"
                         rf"{name}$", done.stdout, re.M), name
    wh = load(path)
    expected = validate(generate_warehouse(60, n_months=6, seed=4))
    assert len(wh["accounts"]) == 60
    for name in TABLES:
        assert len(wh[name]) == len(expected[name]), name
    assert wh.data_date == pd.Timestamp("2026-10-01")
