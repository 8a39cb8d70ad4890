"""Tests for cslib.review: account evidence and the quarterly success review."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from cslib.exceptions import ParamsError, SchemaError, SmallSampleWarning
from cslib.review import (
    CLASS_KEYS,
    LABELS_PT,
    ReviewThresholds,
    ThinEvidenceWarning,
    account_evidence,
    accounts_to_call,
    review_summary,
    success_review,
)

KEY = ("dashboards", "automations", "integrations")


@pytest.fixture
def warehouse() -> dict[str, pd.DataFrame]:
    """Review month 2026-10, look-back 3 months (MRR vs 2026-07; tickets Aug-Oct;
    NPS from 2026-11-01 minus 90 days = 2026-08-03 00:00, to 2026-10-31; the long NPS
    window from 2026-11-01 minus 180 days = 2026-05-05 00:00). Products paid in Oct by
    someone: CRM and Analytics (Automation's only Oct row is 0)."""
    accounts = pd.DataFrame({
        "account_id": ["A1", "A2", "A3", "A4"],
        "name": ["Padaria", "Oficina", "Banco", "Gone"],
        "segment": ["SMB", "Mid-Market", "Enterprise", "SMB"],
        "plan": ["Starter", "Growth", "Enterprise", "Starter"],
    })
    mrr = pd.DataFrame([
        # A1: 1000 in Jul -> 650 in Oct: -35%; one product.
        ("C1", "A1", "CRM", "2026-07-01", 1000.0), ("C1", "A1", "CRM", "2026-10-01", 650.0),
        # A2: 500 in Jul; Oct 500 + 200 (+ a 0 row) = 700: +40%; two paying contracts.
        ("C2", "A2", "CRM", "2026-07-01", 500.0), ("C2", "A2", "CRM", "2026-10-01", 500.0),
        ("C3", "A2", "Analytics", "2026-10-01", 200.0),
        ("C4", "A2", "Automation", "2026-10-01", 0.0),
        # A3: new in Sep, not paying in Jul -> change NaN.
        ("C5", "A3", "CRM", "2026-09-01", 3000.0), ("C5", "A3", "CRM", "2026-10-01", 3000.0),
        # A4: paid in Jul only -> not in the review.
        ("C6", "A4", "CRM", "2026-07-01", 300.0),
    ], columns=["contract_id", "account_id", "product", "month", "mrr"])
    mrr["month"] = pd.to_datetime(mrr["month"])
    nps = pd.DataFrame([
        # A1 in window: 3, 5, 9 -> 1 promoter, 2 detractors of 3 -> NPS -33.3.
        ("R1", "A1", "2026-09-10 10:00", 3), ("R2", "A1", "2026-10-01 10:00", 5),
        ("R3", "A1", "2026-10-31 23:59", 9),
        ("R4", "A1", "2026-08-02 23:00", 10),  # before the window
        ("R5", "A2", "2026-11-01 00:00", 0),   # after the month: A2 has no answers
        # A3: 9, 10, 7, 8 (the first on the window's first instant) -> 2 of 4 promoters -> 50.
        ("R6", "A3", "2026-08-03 00:00", 9), ("R7", "A3", "2026-09-01 12:00", 10),
        ("R8", "A3", "2026-10-02 12:00", 7), ("R9", "A3", "2026-10-03 12:00", 8),
    ], columns=["response_id", "account_id", "responded_at", "score"])
    nps["responded_at"] = pd.to_datetime(nps["responded_at"])
    nps["score"] = nps["score"].astype("Int64")
    nps["user_id"] = "U" + nps["response_id"]
    usage = pd.DataFrame([
        # A1 in Oct: dashboards only (automations at 0 users; reports is not key) -> 1/3.
        ("A1", "dashboards", "2026-10-01", 2), ("A1", "automations", "2026-10-01", 0),
        ("A1", "reports", "2026-10-01", 5), ("A1", "integrations", "2026-09-01", 4),
        # A2 in Oct: dashboards, automations -> 2/3 (integrations only in Sep).
        ("A2", "dashboards", "2026-10-01", 1), ("A2", "automations", "2026-10-01", 3),
        ("A2", "integrations", "2026-09-01", 1),
        # A3: all three -> 1.
        ("A3", "dashboards", "2026-10-01", 9), ("A3", "automations", "2026-10-01", 4),
        ("A3", "integrations", "2026-10-01", 2),
    ], columns=["account_id", "feature", "month", "active_users"])
    usage["month"] = pd.to_datetime(usage["month"])
    usage["active_users"] = usage["active_users"].astype("Int64")
    tickets = pd.DataFrame([
        ("T1", "A1", "2026-07-31 10:00", "2026-07-31 12:00", 1),  # before the window
        ("T2", "A1", "2026-08-05 10:00", "2026-08-05 12:00", 1),  # resolved, first contact
        ("T3", "A1", "2026-09-10 10:00", "2026-09-12 12:00", 3),  # resolved, 3 contacts
        ("T4", "A1", "2026-10-20 10:00", None, 1),                # open
        ("T5", "A1", "2026-10-30 10:00", "2026-11-02 10:00", 1),  # resolved after the month
        ("T6", "A3", "2026-10-01 10:00", "2026-10-01 11:00", 1),
    ], columns=["ticket_id", "account_id", "opened_at", "resolved_at", "contacts"])
    tickets["opened_at"] = pd.to_datetime(tickets["opened_at"])
    tickets["resolved_at"] = pd.to_datetime(tickets["resolved_at"])
    tickets["contacts"] = tickets["contacts"].astype("Int64")
    return {"accounts": accounts, "mrr": mrr, "nps_responses": nps, "usage": usage,
            "tickets": tickets}


def evidence_of(w, **kw):
    return account_evidence(w["accounts"], w["mrr"], w["nps_responses"], w["usage"],
                            w["tickets"], **kw)


# --- account_evidence ----------------------------------------------------------------------

def test_account_evidence_by_hand(warehouse):
    ev = evidence_of(warehouse, month="2026-10")
    expected = pd.DataFrame({
        "account_id": ["A1", "A2", "A3"],
        "name": ["Padaria", "Oficina", "Banco"],
        "segment": ["SMB", "Mid-Market", "Enterprise"],
        "plan": ["Starter", "Growth", "Enterprise"],
        "mrr": [650.0, 700.0, 3000.0],
        "mrr_change": [650 / 1000 - 1, 700 / 500 - 1, np.nan],  # -0.35, +0.40, new
        "products": [1, 2, 1],
        "missing_products": ["Analytics", "", "Analytics"],
        "nps_answers": [3, 0, 4],
        "nps": [100 * (1 - 2) / 3, np.nan, 100 * (2 - 0) / 4],
        "detractors": [2, 0, 0],  # A1: 3 and 5
        # 180 days add A1's R4 (10, Aug 2): 3, 5, 9, 10 -> 2 promoters, 2 detractors
        "nps_answers_180": [4, 0, 4],
        "nps_180": [0.0, np.nan, 50.0],
        "detractors_180": [2, 0, 0],
        "adoption": [1 / 3, 2 / 3, 1.0],
        # A1: T2, T3, T4, T5 opened Aug-Oct; resolved by Oct 31: T2 (1 contact), T3 -> 1/2.
        "tickets": [4, 0, 1],
        "fcr_tickets": [2, 0, 1],
        "fcr_rate": [0.5, np.nan, 1.0],
        "seats": [np.nan] * 3,  # accounts has no seat columns
        "seats_used": [np.nan] * 3,
    })
    pd.testing.assert_frame_equal(ev, expected, check_dtype=False)
    assert ev["products"].dtype == "int64" and ev["tickets"].dtype == "int64"
    assert ev["fcr_tickets"].dtype == "int64"


def test_account_evidence_from_events_only_usage_and_a_first_contact_flag(warehouse):
    # The contract allows usage with `events` only and tickets with a yes/no flag: the
    # same facts written that way give the same evidence as the hand table above.
    w = dict(warehouse)
    users = w["usage"]["active_users"]
    w["usage"] = w["usage"].drop(columns="active_users").assign(events=users * 7)
    contacts = w["tickets"]["contacts"]
    w["tickets"] = w["tickets"].drop(columns="contacts").assign(
        first_contact_resolved=contacts.map({1: "sim", 3: "não"}))
    pd.testing.assert_frame_equal(evidence_of(w, month="2026-10"),
                                  evidence_of(warehouse, month="2026-10"))


def test_account_evidence_month_as_timestamp_and_shorter_lookback(warehouse):
    a = evidence_of(warehouse, month=pd.Timestamp("2026-10-15"))
    pd.testing.assert_frame_equal(a, evidence_of(warehouse, month="2026-10"))
    # months=1: MRR vs Sep (A3 3000 -> 3000 = 0; A1, A2 not paying in Sep -> NaN);
    # tickets opened in Oct only: A1 T4, T5 (none resolved by Oct 31) -> FCR NaN.
    b = evidence_of(warehouse, month="2026-10", months=1).set_index("account_id")
    assert b.loc["A3", "mrr_change"] == 0
    assert b.loc[["A1", "A2"], "mrr_change"].isna().all()
    assert b.loc["A1", "tickets"] == 2 and np.isnan(b.loc["A1", "fcr_rate"])
    assert b.loc["A1", "fcr_tickets"] == 0
    # the NPS window does not depend on `months`
    assert b.loc["A1", "nps_answers"] == 3


def test_account_evidence_key_features(warehouse):
    ev = evidence_of(warehouse, month="2026-10", key_features=("dashboards", "reports"))
    # A1 uses both in Oct -> 1; A2 dashboards only -> 1/2; A3 dashboards only -> 1/2.
    assert_allclose(ev["adoption"], [1.0, 0.5, 0.5])


def test_account_evidence_long_nps_window_edges_and_detractors(warehouse):
    # A2: 2026-05-05 00:00 is the 180-day window's first instant (in), 2026-05-04 23:59
    # is before it (out), 2026-08-02 is in the 180 days only; 2026-11-01 (R5) is after
    # the month and in neither. 180 days: scores 4, 8 -> 1 detractor, 0 promoters.
    extra = pd.DataFrame({
        "response_id": ["R10", "R11", "R12"], "account_id": ["A2"] * 3,
        "responded_at": pd.to_datetime(["2026-05-05 00:00", "2026-05-04 23:59",
                                        "2026-08-02 12:00"]),
        "score": pd.array([4, 0, 8], dtype="Int64"), "user_id": ["U10", "U11", "U12"]})
    w = dict(warehouse, nps_responses=pd.concat([warehouse["nps_responses"], extra],
                                                ignore_index=True))
    ev = evidence_of(w, month="2026-10").set_index("account_id")
    assert ev.loc["A2", ["nps_answers", "detractors"]].tolist() == [0, 0]
    assert np.isnan(ev.loc["A2", "nps"])
    assert ev.loc["A2", ["nps_answers_180", "detractors_180"]].tolist() == [2, 1]
    assert ev.loc["A2", "nps_180"] == pytest.approx(100 * (0 - 1) / 2)


def test_account_evidence_seats_and_products_without_product_column(warehouse):
    accounts = warehouse["accounts"].assign(seats=[10, 20, 50, 5], seats_used=[9, 4, None, 5])
    w = dict(warehouse, accounts=accounts)
    ev = evidence_of(w, month="2026-10").set_index("account_id")
    assert ev["seats"].tolist() == [10.0, 20.0, 50.0]
    assert_allclose(ev["seats_used"], [9.0, 4.0, np.nan])
    # `seats` alone (no `seats_used`): seats are not evidence
    w = dict(warehouse, accounts=warehouse["accounts"].assign(seats=10))
    assert evidence_of(w, month="2026-10")["seats"].isna().all()
    # without `product`, which products an account lacks is unknown
    w = dict(warehouse, mrr=warehouse["mrr"].drop(columns="product"))
    assert evidence_of(w, month="2026-10")["missing_products"].isna().all()


def test_account_evidence_does_not_mutate(warehouse):
    before = {k: v.copy(deep=True) for k, v in warehouse.items()}
    columns = {k: list(v.columns) for k, v in warehouse.items()}
    evidence_of(warehouse, month="2026-10", months=2, key_features=("dashboards",))
    for k, v in warehouse.items():
        assert list(v.columns) == columns[k], k  # no helper column left behind
        pd.testing.assert_frame_equal(v, before[k], check_exact=True)


def test_account_evidence_errors(warehouse):
    with pytest.raises(ParamsError, match=r"month='Octember' is not a month; pass 'YYYY-MM'"):
        evidence_of(warehouse, month="Octember")
    with pytest.raises(ParamsError, match="months=0 must be an integer >= 1"):
        evidence_of(warehouse, month="2026-10", months=0)
    with pytest.raises(ParamsError, match="key_features is empty"):
        evidence_of(warehouse, month="2026-10", key_features=())
    w = dict(warehouse, usage=warehouse["usage"].drop(columns="active_users"))
    with pytest.raises(SchemaError, match=r"usage has neither `active_users` nor `events`"):
        evidence_of(w, month="2026-10")
    w = dict(warehouse, tickets=warehouse["tickets"].drop(columns="contacts"))
    with pytest.raises(SchemaError, match=r"neither `contacts`.*nor\s+`first_contact_resolved`"):
        evidence_of(w, month="2026-10")


def test_account_evidence_on_demo_matches_plain_pandas(demo_tables):
    t = demo_tables
    month = t["mrr"]["month"].max()
    names = ("accounts", "mrr", "nps_responses", "usage", "tickets")
    before = {k: t[k].copy(deep=True) for k in names}
    ev = account_evidence(*(t[k] for k in names), month=month).set_index("account_id")
    for k in names:
        pd.testing.assert_frame_equal(t[k], before[k], check_exact=True)
    now = t["mrr"][t["mrr"]["month"] == month].groupby("account_id")["mrr"].sum()
    now = now[now > 0]
    assert sorted(ev.index) == sorted(now.index)
    assert_allclose(ev["mrr"], now.reindex(ev.index))
    end = month + pd.offsets.MonthBegin(1)
    r = t["nps_responses"]
    r = r[(r["responded_at"] >= end - pd.Timedelta(days=90)) & (r["responded_at"] < end)]
    answers = r.groupby("account_id").size().reindex(ev.index).fillna(0)
    assert_allclose(ev["nps_answers"], answers)
    assert ((ev["adoption"] >= 0) & (ev["adoption"] <= 1)).all()


# --- success_review ------------------------------------------------------------------------

REQUIRED = ["account_id", "name", "segment", "plan", "mrr", "mrr_change", "products",
            "nps_answers", "nps", "adoption", "tickets", "fcr_tickets", "fcr_rate"]


def make_evidence(rows: list[dict], *, extra: tuple[str, ...] = ("missing_products",)
                  ) -> pd.DataFrame:
    """Evidence rows; the 180-day NPS columns default to the 90-day ones."""
    base = {"name": "x", "segment": "SMB", "plan": "Enterprise", "mrr": 1000.0,
            "mrr_change": 0.0, "products": 3, "missing_products": "", "nps_answers": 4,
            "nps": 50.0, "detractors": 0, "adoption": 1.0, "tickets": 0, "fcr_rate": np.nan}
    full = []
    for r in rows:
        row = {**base, "fcr_tickets": r.get("tickets", 0), **r}
        for column in ("nps_answers", "nps", "detractors"):
            row.setdefault(f"{column}_180", row[column])
        full.append(row)
    return pd.DataFrame(full)[REQUIRED + list(extra)]


@pytest.fixture
def one_per_class() -> pd.DataFrame:
    return make_evidence([
        {"account_id": "risk", "nps": -60.0, "mrr_change": -0.35},
        {"account_id": "meet", "nps": 10.0},
        # Growth accounts are smaller, so by median MRR Growth ranks below Enterprise
        {"account_id": "grow", "products": 2, "plan": "Growth", "mrr": 400.0,
         "missing_products": "Analytics"},
        {"account_id": "done"},
    ])


def test_one_account_per_class(one_per_class):
    out = success_review(one_per_class).set_index("account_id")
    assert out["class"].to_dict() == {"risk": 4, "meet": 3, "grow": 2, "done": 1}
    assert out["class_key"].to_dict() == {"risk": "churn_risk", "meet": "needs_attention",
                                          "grow": "mature_expand", "done": "mature_no_room"}
    assert out.loc["risk", "rule"] == "NPS -60 (≤ -20)"
    assert out.loc["meet", "rule"] == "NPS 10 (< 30)"
    # 3 of the 4 SMB accounts (75%) are on Enterprise, above Growth
    assert out.loc["grow", "rule"].endswith(
        "room to expand: products not held: Analytics and plan Growth (higher plan "
        "Enterprise, held by 75% of SMB)")
    assert out.loc["done", "rule"].endswith(
        "no room: every product, no plan above Enterprise held by ≥ 5% of SMB")
    assert out.loc["done", "label"] == "Mature, no room to grow"


def test_other_churn_and_attention_rules():
    ev = make_evidence([
        # adoption 0 (< 34%) with MRR down 25% (<= -20%), NPS fine -> churn risk
        {"account_id": "a", "adoption": 0.0, "mrr_change": -0.25},
        # FCR 40% on 5 tickets -> churn risk; on 4 tickets FCR does not count -> mature
        {"account_id": "b", "fcr_rate": 0.4, "tickets": 5},
        {"account_id": "c", "fcr_rate": 0.4, "tickets": 4},
        # FCR 60% on 6 tickets (< 70%) -> attention
        {"account_id": "d", "fcr_rate": 0.6, "tickets": 6},
        # adoption 1/3 (< 60%), MRR flat -> attention, not churn
        {"account_id": "e", "adoption": 1 / 3},
        # MRR down 15% (<= -10%) alone -> attention
        {"account_id": "f", "mrr_change": -0.15},
    ])
    out = success_review(ev).set_index("account_id")
    assert out["class"].to_dict() == {"a": 4, "b": 4, "c": 1, "d": 3, "e": 3, "f": 3}
    assert out.loc["a", "rule"] == "adoption 0% (< 34%) and MRR down 25% (≤ -20%)"
    assert out.loc["b", "rule"] == "FCR 40% (< 50%) on 5 resolved tickets (≥ 5)"
    assert out.loc["d", "rule"] == "FCR 60% (< 70%) on 6 resolved tickets (≥ 5)"
    assert out.loc["e", "rule"] == "adoption 33.3% (< 60%)"
    assert out.loc["f", "rule"] == "MRR down 15% (≤ -10%)"


def test_missing_nps_is_not_bad():
    ev = make_evidence([
        {"account_id": "quiet", "nps_answers": 0, "nps": np.nan},
        {"account_id": "quiet_low", "nps_answers": 0, "nps": np.nan, "adoption": 0.0},
        {"account_id": "quiet_risk", "nps_answers": 0, "nps": np.nan, "adoption": 0.0,
         "mrr_change": -0.5},
    ])
    out = success_review(ev).set_index("account_id")
    assert out["class"].to_dict() == {"quiet": 1, "quiet_low": 3, "quiet_risk": 4}
    assert out["rule"].str.contains("no NPS answers").all()
    assert out.loc["quiet_low", "rule"] == "adoption 0% (< 60%); no NPS answers"


def test_threshold_overrides_change_the_class(one_per_class):
    out = success_review(one_per_class, thresholds={"attention_nps": 0})
    # NPS 10 is no longer < 0 -> "meet" is mature; 3 products on the top plan -> class 1
    assert out.set_index("account_id").loc["meet", "class"] == 1
    out = success_review(one_per_class, thresholds=ReviewThresholds(churn_nps=-70))
    # NPS -60 > -70: no longer churn; NPS < 30 and MRR down 35% -> attention
    row = out.set_index("account_id").loc["risk"]
    assert row["class"] == 3
    assert row["rule"] == "NPS -60 (< 30); MRR down 35% (≤ -10%)"
    # the contract count instead of the missing products, and Growth as a top plan
    out = success_review(one_per_class, thresholds={"top_plans": ["Enterprise", "Growth"],
                                                    "max_products": 2})
    assert out.set_index("account_id").loc["grow", "class"] == 1
    assert out.set_index("account_id").loc["grow", "rule"].endswith(
        "no room: 2 of 2 products on top plan Growth")


def test_unknown_threshold_key(one_per_class):
    with pytest.raises(ParamsError, match=r"unknown threshold\(s\) \['churn_npss'\]\. "
                                          r"Valid keys are: churn_nps, churn_adoption"):
        success_review(one_per_class, thresholds={"churn_npss": -30})
    with pytest.raises(ParamsError, match="must be a dict or ReviewThresholds"):
        success_review(one_per_class, thresholds=[("churn_nps", -30)])


def test_labels_and_columns(one_per_class):
    out = success_review(one_per_class, locale="pt-BR")
    assert list(out.columns[:7]) == ["account_id", "name", "segment", "class", "class_key",
                                     "label", "rule"]
    assert set(one_per_class.columns) <= set(out.columns)
    assert out.set_index("account_id")["label"].to_dict() == {
        "risk": "Risco de churn", "meet": "Insatisfeito: mais reuniões",
        "grow": "Maduro, com espaço para expandir", "done": "Maduro, sem espaço para crescer"}
    assert LABELS_PT[4] == "Risco de churn"
    with pytest.raises(ParamsError, match=r"locale='fr' is not one of \['en', 'pt-BR'\]"):
        success_review(one_per_class, locale="fr")


def test_review_missing_evidence_column(one_per_class):
    with pytest.raises(SchemaError, match=r"evidence has no column\(s\) `fcr_rate`"):
        success_review(one_per_class.drop(columns="fcr_rate"))
    with pytest.raises(SchemaError, match=r"evidence has no column\(s\) `fcr_tickets`"):
        success_review(one_per_class.drop(columns="fcr_tickets"))


def test_fcr_minimum_counts_the_resolved_tickets():
    # The rate is over resolved tickets, so the minimum counts resolved tickets too.
    ev = make_evidence([
        # 5 opened, 1 resolved (at 2 contacts): FCR 0 / 1 = 0% on 1 ticket < 5 -> no signal
        {"account_id": "one", "tickets": 5, "fcr_tickets": 1, "fcr_rate": 0.0},
        # 9 opened, 5 resolved, 2 at the first contact: 40% on 5 >= 5 -> churn risk
        {"account_id": "five", "tickets": 9, "fcr_tickets": 5, "fcr_rate": 0.4},
    ])
    out = success_review(ev).set_index("account_id")
    assert out.loc["one", "class"] == 1
    assert "FCR" not in out.loc["one", "rule"]
    assert out.loc["five", "class"] == 4
    assert out.loc["five", "rule"] == "FCR 40% (< 50%) on 5 resolved tickets (≥ 5)"


def test_fcr_minimum_from_the_tickets_table(warehouse):
    # A3 gets 5 tickets in Oct: 4 still open, 1 resolved at the second contact.
    # tickets = 1 (T6) + 5 = 6 opened; resolved T6 (1 contact) and one at 2 contacts ->
    # fcr_tickets = 2, fcr_rate = 1/2. Opened tickets (6) would pass min_tickets=5 and
    # make 50% < 70% an attention signal; the 2 resolved do not.
    extra = pd.DataFrame({
        "ticket_id": ["T7", "T8", "T9", "T10", "T11"], "account_id": ["A3"] * 5,
        "opened_at": pd.to_datetime(["2026-10-05 09:00"] * 5),
        "resolved_at": pd.to_datetime(["2026-10-06 09:00", None, None, None, None]),
        "contacts": pd.array([2, 1, 1, 1, 1], dtype="Int64"),
    })
    w = dict(warehouse, tickets=pd.concat([warehouse["tickets"], extra], ignore_index=True))
    ev = evidence_of(w, month="2026-10").set_index("account_id")
    assert ev.loc["A3", ["tickets", "fcr_tickets"]].tolist() == [6, 2]
    assert ev.loc["A3", "fcr_rate"] == 0.5
    out = success_review(ev.reset_index()).set_index("account_id")
    # A3: NPS 50, adoption 1, new (no trend), FCR on 2 resolved tickets ignored; 1 product
    assert out.loc["A3", "class"] == 2 and "FCR" not in out.loc["A3", "rule"]
    assert success_review(ev.reset_index(), thresholds={"min_tickets": 2}).set_index(
        "account_id").loc["A3", "rule"] == "FCR 50% (< 70%) on 2 resolved tickets (≥ 2)"


def test_review_does_not_mutate(one_per_class, warehouse):
    before = one_per_class.copy()
    review = success_review(one_per_class)
    pd.testing.assert_frame_equal(one_per_class, before)
    kept = review.copy()
    review_summary(review)
    pd.testing.assert_frame_equal(review, kept)


def test_review_on_hand_warehouse(warehouse):
    out = success_review(evidence_of(warehouse, month="2026-10")).set_index("account_id")
    # A1: NPS -33.3 <= -20 -> churn; also adoption 1/3 < 34% with MRR -35%.
    assert out.loc["A1", "class"] == 4
    assert out.loc["A1", "rule"] == ("NPS -33.3 (≤ -20); adoption 33.3% (< 34%) and MRR down "
                                     "35% (≤ -20%)")
    # A2: no NPS, adoption 2/3, MRR +40%, no tickets -> mature; it pays for both products
    # paid in Oct (CRM, Analytics) and is on the only plan of Mid-Market -> class 1
    # (the old rule wanted the Enterprise plan and 3 products).
    assert out.loc["A2", "class"] == 1 and "no NPS answers" in out.loc["A2", "rule"]
    assert out.loc["A2", "rule"].endswith(
        "no room: every product, no plan above Growth held by ≥ 5% of Mid-Market")
    # A3: NPS 50, adoption 1, new, FCR on 1 ticket ignored; lacks Analytics -> 2.
    assert out.loc["A3", "class"] == 2
    assert out.loc["A3", "rule"].endswith("room to expand: products not held: Analytics")


evidence_rows = st.fixed_dictionaries({
    "plan": st.sampled_from(["Starter", "Growth", "Enterprise", None]),
    "mrr_change": st.one_of(st.none(), st.floats(-1, 3)),
    "products": st.integers(0, 4),
    "nps": st.one_of(st.none(), st.floats(-100, 100)),
    "adoption": st.floats(0, 1),
    "tickets": st.integers(0, 12),
    "fcr_tickets": st.integers(0, 12),
    "fcr_rate": st.one_of(st.none(), st.floats(0, 1)),
})


@settings(max_examples=80, deadline=None)
@given(st.lists(evidence_rows, min_size=1, max_size=15))
def test_property_one_class_per_account(rows):
    for i, r in enumerate(rows):
        r["account_id"] = f"A{i}"
        r["nps_answers"] = 0 if r["nps"] is None else 3
    ev = make_evidence(rows).astype({"mrr_change": float, "nps": float, "fcr_rate": float})
    out = success_review(ev)
    assert len(out) == len(ev)
    assert out["account_id"].tolist() == ev["account_id"].tolist()
    assert out["class"].isin([1, 2, 3, 4]).all()
    assert (out["class_key"] == out["class"].map(CLASS_KEYS)).all()
    assert (out["rule"].str.len() > 0).all()
    assert (out["class"].isin([1, 2]) | ~out["rule"].str.startswith("no risk")).all()
    summary = review_summary(out, by=None)
    assert summary["accounts"].sum() == len(ev)


# --- review_summary ------------------------------------------------------------------------

def test_review_summary_matches_crosstab():
    review = pd.DataFrame({
        "account_id": list("abcdef"),
        "segment": ["SMB", "SMB", "SMB", "Ent", "Ent", "Ent"],
        "class": [4, 4, 2, 1, 3, 1],
    })
    out = review_summary(review, by="segment")
    assert list(out.columns) == ["segment", "class", "label", "accounts", "share"]
    assert len(out) == 8  # 2 segments x 4 classes, zeros included
    ref = pd.crosstab(review["segment"], review["class"]).reindex(columns=[1, 2, 3, 4],
                                                                  fill_value=0)
    got = out.pivot(index="segment", columns="class", values="accounts")
    pd.testing.assert_frame_equal(got, ref, check_names=False, check_dtype=False)
    smb = out[out["segment"] == "SMB"].set_index("class")
    # SMB: 2 of 3 churn risk, 1 of 3 room to expand
    assert_allclose(smb["share"], [0, 1 / 3, 0, 2 / 3])
    assert smb.loc[4, "label"] == "Churn risk"
    whole = review_summary(review, by=None).set_index("class")
    assert whole["accounts"].tolist() == [2, 1, 1, 2]
    assert_allclose(whole["share"], [2 / 6, 1 / 6, 1 / 6, 2 / 6])


def test_review_summary_uses_review_labels(one_per_class):
    out = review_summary(success_review(one_per_class, locale="pt-BR"))
    assert out.set_index("class").loc[2, "label"] == "Maduro, com espaço para expandir"


# --- minimum NPS answers -------------------------------------------------------------------

@pytest.fixture
def nps_cases() -> pd.DataFrame:
    return make_evidence([
        # one answer, a detractor: NPS -100 is not a churn signal; the detractor is attention
        {"account_id": "one", "nps_answers": 1, "nps": -100.0, "detractors": 1},
        # two passives (7, 8): NPS 0 would be < 30, but it is not used; no detractor
        {"account_id": "two_passive", "nps_answers": 2, "nps": 0.0},
        # 90 days: one detractor; 180 days: 0, 9, 10 -> (2 - 1) / 3 = 33.3, not < 30
        {"account_id": "fallback", "nps_answers": 1, "nps": -100.0, "detractors": 1,
         "nps_answers_180": 3, "nps_180": 100 / 3, "detractors_180": 1},
        # 180 days: 0, 0, 3, 9 -> (1 - 3) / 4 = -50 <= -20
        {"account_id": "fallback_risk", "nps_answers": 2, "nps": -100.0, "detractors": 2,
         "nps_answers_180": 4, "nps_180": -50.0, "detractors_180": 3},
        # three answers in 90 days (0, 0, 10): -33.3 counts
        {"account_id": "enough", "nps_answers": 3, "nps": -100 / 3, "detractors": 2},
        # one detractor and low adoption: class 3 anyway, not "on thin evidence"
        {"account_id": "thin_low_adoption", "nps_answers": 1, "nps": -100.0, "detractors": 1,
         "adoption": 0.0},
        # one detractor, adoption 0 and MRR -50%: churn risk on adoption and MRR
        {"account_id": "thin_risk", "nps_answers": 1, "nps": -100.0, "detractors": 1,
         "adoption": 0.0, "mrr_change": -0.5},
    ], extra=("missing_products", "detractors", "nps_answers_180", "nps_180",
              "detractors_180"))


def test_nps_needs_the_minimum_answers(nps_cases):
    with pytest.warns(ThinEvidenceWarning) as caught:
        out = success_review(nps_cases).set_index("account_id")
    assert out["class"].to_dict() == {"one": 3, "two_passive": 1, "fallback": 1,
                                      "fallback_risk": 4, "enough": 4,
                                      "thin_low_adoption": 3, "thin_risk": 4}
    assert out.loc["one", "rule"] == "NPS not used for risk: 1 answer in 180 days (< 3); " \
                                     "1 detractor"
    assert out.loc["two_passive", "rule"].startswith(
        "no risk or attention signal (NPS not used for risk: 2 answers in 180 days (< 3), "
        "adoption 100%")
    assert out.loc["fallback", "rule"].startswith(
        "no risk or attention signal (NPS 33.3 over 180 days, adoption 100%")
    assert out.loc["fallback_risk", "rule"] == "NPS -50 over 180 days (≤ -20)"
    assert out.loc["enough", "rule"] == "NPS -33.3 (≤ -20)"
    assert out.loc["thin_low_adoption", "rule"] == (
        "adoption 0% (< 60%); NPS not used for risk: 1 answer in 180 days (< 3); 1 detractor")
    assert out.loc["thin_risk", "rule"] == (
        "adoption 0% (< 34%) and MRR down 50% (≤ -20%); NPS not used for risk: 1 answer in "
        "180 days (< 3); 1 detractor")
    # Only "one" is in class 3 on the detractor alone; fallback and fallback_risk used the
    # 180 days.
    messages = [str(w.message) for w in caught]
    assert messages == [
        "1 account placed in class 3 on fewer than 3 NPS answers in 180 days: their "
        "detractor answers are an attention signal, but their NPS is not used for churn "
        "risk.",
        "2 accounts classified on NPS over 180 days (fewer than 3 answers in the 90 days to "
        "the month's end)."]
    assert all(issubclass(w.category, SmallSampleWarning) for w in caught)
    assert issubclass(ThinEvidenceWarning, RuntimeWarning)
    # the thin detractors reach the call list
    calls = accounts_to_call(success_review(nps_cases), n=10)
    assert "one" in set(calls["account_id"])


def test_min_nps_answers_is_a_threshold(nps_cases):
    out = success_review(nps_cases, thresholds={"min_nps_answers": 1}).set_index("account_id")
    # every 90-day NPS now counts: one -100 -> churn; two_passive 0 < 30 -> attention
    assert out.loc["one", "rule"] == "NPS -100 (≤ -20)"
    assert out.loc["two_passive", "rule"] == "NPS 0 (< 30)"
    assert out.loc["fallback", "class"] == 4
    with pytest.raises(ParamsError, match=r"min_nps_answers=0 must be an integer >= 1"):
        success_review(nps_cases, thresholds={"min_nps_answers": 0})


def test_thin_evidence_warning_reaches_the_report_caveats(nps_cases):
    from cslib.report import capture_warnings

    notes = capture_warnings()
    with notes:
        success_review(nps_cases)
    assert notes.messages[0].startswith("1 account placed in class 3 on fewer than 3 NPS")


def test_thin_detractor_from_the_tickets_table(warehouse):
    # A2 gets one answer in October, a 2: one answer (< 3), one detractor -> class 3.
    extra = pd.DataFrame({"response_id": ["R10"], "account_id": ["A2"],
                          "responded_at": pd.to_datetime(["2026-10-15 09:00"]),
                          "score": pd.array([2], dtype="Int64"), "user_id": ["U10"]})
    w = dict(warehouse, nps_responses=pd.concat([warehouse["nps_responses"], extra],
                                                ignore_index=True))
    with pytest.warns(ThinEvidenceWarning, match="1 account placed in class 3"):
        out = success_review(evidence_of(w, month="2026-10")).set_index("account_id")
    assert out.loc["A2", "class"] == 3
    assert out.loc["A2", "rule"] == "NPS not used for risk: 1 answer in 180 days (< 3); " \
                                    "1 detractor"


def test_no_churn_risk_on_fewer_than_three_answers_on_the_demo(demo_tables):
    t = demo_tables
    month = t["mrr"]["month"].max()
    ev = account_evidence(*(t[k] for k in ("accounts", "mrr", "nps_responses", "usage",
                                           "tickets")), month=month)
    with pytest.warns(ThinEvidenceWarning):
        out = success_review(ev)
    end = month + pd.offsets.MonthBegin(1)
    r = t["nps_responses"]
    counts = {days: r[(r["responded_at"] >= end - pd.Timedelta(days=days))
                      & (r["responded_at"] < end)].groupby("account_id").size()
              for days in (90, 180)}
    by_nps = out[(out["class"] == 4) & out["rule"].str.match(r"NPS -?\d")]
    assert len(by_nps) > 0
    for _, row in by_nps.iterrows():
        days = 180 if row["rule"].split(" (")[0].endswith("over 180 days") else 90
        assert counts[days].get(row["account_id"], 0) >= 3, row["rule"]
    # an account with 1-2 answers in 180 days whose rule cites a detractor is class 3 or 4
    thin = out[out["rule"].str.contains("NPS not used for risk")]
    assert len(thin) > 0
    assert (counts[180].reindex(thin["account_id"]).fillna(0) < 3).all()
    assert (counts[180].reindex(thin["account_id"]).fillna(0) > 0).all()


# --- headroom ------------------------------------------------------------------------------

@pytest.fixture
def headroom_cases() -> pd.DataFrame:
    """20 SMB accounts: 17 Starter, 1 Growth, 2 Pro (10%); no SMB account on Enterprise,
    which only the Enterprise segment holds. Median MRR: Starter 100 < Growth 300 <
    Pro 600 < Enterprise 2000."""
    rows = [{"account_id": f"S{i}", "plan": "Starter", "mrr": 100.0} for i in range(17)]
    rows += [
        {"account_id": "smb_growth", "plan": "Growth", "mrr": 300.0},
        # on SMB's top plan with every product -> class 1, although not on Enterprise
        {"account_id": "smb_top", "plan": "Pro", "mrr": 600.0},
        # on SMB's top plan, lacking a product -> class 2
        {"account_id": "smb_top_lacking", "plan": "Pro", "mrr": 600.0,
         "missing_products": "Analytics, Automation"},
        {"account_id": "ent", "segment": "Enterprise", "mrr": 2000.0},
    ]
    return make_evidence(rows)


def test_every_class_can_occur_in_smb(headroom_cases):
    out = success_review(headroom_cases).set_index("account_id")
    assert out.loc["smb_top", "class"] == 1
    assert out.loc["smb_top", "rule"].endswith(
        "no room: every product, no plan above Pro held by ≥ 5% of SMB")
    assert out.loc["smb_top_lacking", "class"] == 2
    assert out.loc["smb_top_lacking", "rule"].endswith(
        "room to expand: products not held: Analytics, Automation")
    # Growth: Pro is above it and held by 2 of 20 = 10% of SMB
    assert out.loc["smb_growth", "class"] == 2
    assert out.loc["smb_growth", "rule"].endswith(
        "room to expand: plan Growth (higher plan Pro, held by 10% of SMB)")
    # Starter: the lowest plan above it held by >= 5% of SMB is Growth (1 of 20 = 5%)
    assert out.loc["S0", "rule"].endswith(
        "room to expand: plan Starter (higher plan Growth, held by 5% of SMB)")
    assert out.loc["ent", "class"] == 1


def test_plan_share_order_and_top_plans(headroom_cases):
    # 6%: Growth (5%) no longer counts, Pro (10%) does
    out = success_review(headroom_cases, thresholds={"min_plan_share": 0.06})
    out = out.set_index("account_id")
    assert out.loc["S0", "rule"].endswith("(higher plan Pro, held by 10% of SMB)")
    # 11%: no higher plan counts for Growth -> class 1
    out = success_review(headroom_cases, thresholds={"min_plan_share": 0.11})
    assert out.set_index("account_id").loc["smb_growth", "class"] == 1
    # an explicit order where Growth is the top plan: Pro accounts gain headroom
    order = ("Starter", "Pro", "Growth", "Enterprise")
    out = success_review(headroom_cases, thresholds={"plan_order": order})
    out = out.set_index("account_id")
    assert out.loc["smb_top", "class"] == 2
    assert out.loc["smb_top", "rule"].endswith("plan Pro (higher plan Growth, held by 5% of SMB)")
    assert out.loc["smb_growth", "class"] == 1
    # top_plans: Growth has no plan headroom
    out = success_review(headroom_cases, thresholds={"top_plans": "Growth"})
    assert out.set_index("account_id").loc["smb_growth", "class"] == 1
    with pytest.raises(ParamsError, match=r"plan\(s\) \['Growth'\] of the evidence are not "
                                          r"in plan_order \['Starter', 'Pro', 'Enterprise'\]"):
        success_review(headroom_cases, thresholds={"plan_order": ["Starter", "Pro",
                                                                  "Enterprise"]})
    with pytest.raises(ParamsError, match=r"min_plan_share=5 must be a share in \[0, 1\]"):
        success_review(headroom_cases, thresholds={"min_plan_share": 5})


def test_seats_headroom(headroom_cases):
    ev = headroom_cases.assign(seats=np.nan, seats_used=np.nan).set_index("account_id")
    ev.loc["smb_top", ["seats", "seats_used"]] = [10, 9]     # 90% in use -> room
    ev.loc["ent", ["seats", "seats_used"]] = [100, 50]       # 50% -> no room
    out = success_review(ev.reset_index()).set_index("account_id")
    assert out.loc["smb_top", "class"] == 2
    assert out.loc["smb_top", "rule"].endswith("room to expand: seats 9 of 10 in use (≥ 90%)")
    assert out.loc["ent", "class"] == 1
    out = success_review(ev.reset_index(), thresholds={"seat_use_limit": 0.95})
    assert out.set_index("account_id").loc["smb_top", "class"] == 1


def test_accounts_to_call_carries_the_account_id():
    review = pd.DataFrame({"account_id": ["A1", "A2", "A3"],
                           "name": ["Mercado Vale Verde Ltda"] * 2 + ["Outro"],
                           "plan": ["Pro"] * 3, "mrr": [500.0, 900.0, 10.0],
                           "class": [3, 3, 1], "label": ["x"] * 3, "rule": ["r"] * 3})
    calls = accounts_to_call(review)
    assert calls.columns.tolist() == ["account_id", "name", "plan", "mrr", "label", "rule"]
    assert calls["account_id"].tolist() == ["A2", "A1"]


# --- one vocabulary (issue 14) -------------------------------------------------------------

def test_account_evidence_keeps_to_the_accounts_given(warehouse):
    one = dict(warehouse, accounts=warehouse["accounts"].loc[lambda a: a["account_id"] == "A2"])
    ev = evidence_of(one, month="2026-10")
    assert ev["account_id"].tolist() == ["A2"] and ev["name"].tolist() == ["Oficina"]
    # its evidence is the same as in the whole run (A2: 700 vs 500 in July, 2 products,
    # nothing missing of the products paid for in October by anyone)
    assert ev.loc[0, "mrr"] == 700 and ev.loc[0, "mrr_change"] == pytest.approx(0.4)
    assert ev.loc[0, "products"] == 2 and ev.loc[0, "missing_products"] == ""


def test_success_review_reads_the_old_mrr_change_pct_column(one_per_class):
    old = one_per_class.rename(columns={"mrr_change": "mrr_change_pct"})
    with pytest.warns(FutureWarning, match=r"`mrr_change_pct` is deprecated.*`mrr_change`"):
        out = success_review(old)
    assert out["class"].tolist() == success_review(one_per_class)["class"].tolist()
    assert not any(c.endswith("_pct") for c in out.columns)


def test_review_errors_say_what_to_call_first(warehouse, one_per_class):
    with pytest.raises(SchemaError, match=r"success_review: evidence has no column.*"
                                          r"Call `account_evidence` first"):
        success_review(warehouse["accounts"])
    with pytest.raises(SchemaError, match=r"review_summary: review has no column.*`class`.*"
                                          r"Call `success_review` first"):
        review_summary(one_per_class)
    with pytest.raises(SchemaError, match=r"accounts_to_call: .*Call `success_review` first"):
        accounts_to_call(one_per_class)


def test_review_summary_default_is_the_whole_base():
    review = pd.DataFrame({"segment": ["SMB", "SMB", "Ent"], "class": [4, 4, 1]})
    out = review_summary(review)
    assert "segment" not in out.columns
    assert out["accounts"].tolist() == [1, 0, 0, 2]  # classes 1..4, both segments pooled


def test_missing_products_spelt_per_account_by_hand():
    from cslib.review import _missing_products

    ids = pd.Index(["A1", "A2", "A3"])
    # A1 holds B and C, A2 holds nothing, A3 holds A; X is not an account of ids
    words = _missing_products(np.array(["A1", "A1", "A3", "X"]),
                              np.array(["C", "B", "A", "D"]), ids)
    assert words == ["A, D", "A, B, C, D", "B, C, D"]
