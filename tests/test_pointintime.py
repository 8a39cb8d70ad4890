"""Tests for cslib.pointintime and the period rules of issue "the month means the month".

Every expected value here is worked by hand from the rules in DOMAIN's "Periods".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cslib.io import Warehouse
from cslib.nps import loop_closure
from cslib.pointintime import known_at
from cslib.support import first_contact_resolution
from cslib.survey import survey_health


@pytest.fixture
def history() -> dict[str, pd.DataFrame]:
    """Two accounts known in October; A3 signs up on 1 November, the cut's first instant."""
    def ts(values):
        return pd.to_datetime(values, format="ISO8601")

    return {
        "accounts": pd.DataFrame({
            "account_id": ["A1", "A2", "A3"],
            "signup_date": ts(["2025-01-10", "2026-10-31", "2026-11-01"]),
        }),
        "users": pd.DataFrame({"user_id": ["U1", "U2", "U3"],
                               "account_id": ["A1", "A2", "A3"]}),
        "mrr": pd.DataFrame({
            "account_id": ["A1", "A1", "A2", "A1", "A3"],
            "month": ts(["2026-09-01", "2026-10-01", "2026-10-01", "2026-11-01",
                         "2026-11-01"]),
            "mrr": [100.0, 100.0, 50.0, 120.0, 10.0],
        }),
        "nps_responses": pd.DataFrame({
            "response_id": ["R1", "R2", "R3", "R4"],
            "user_id": ["U1", "U2", "U1", "U3"],
            "account_id": ["A1", "A2", "A1", "A3"],
            "responded_at": ts(["2026-10-31 23:59:59", "2026-10-31 08:00",
                                "2026-11-01 00:00", "2026-11-02"]),
        }),
        "loop_actions": pd.DataFrame({
            "response_id": ["R1", "R2", "R3"],
            "done_at": ts(["2026-11-01 09:00", "2026-10-31 10:00", "2026-11-01 10:00"]),
        }),
        "tickets": pd.DataFrame({
            "ticket_id": ["T1", "T2", "T3", "T4"],
            "account_id": ["A1", "A1", "A2", "A3"],
            "opened_at": ts(["2026-10-02", "2026-10-30", "2026-11-01", "2026-11-02"]),
            "resolved_at": ts(["2026-10-03", "2026-11-02", None, None]),
        }),
        "usage": pd.DataFrame({
            "account_id": ["A1", "A1", "A3"],
            "month": ts(["2026-10-01", "2026-11-01", "2026-11-01"]),
            "feature": ["api"] * 3,
        }),
        "nps_invitations": pd.DataFrame({
            "user_id": ["U1", "U2"],
            "sent_at": ts(["2026-10-25", "2026-11-01"]),
        }),
    }


def test_known_at_cuts_every_dated_table_by_hand(history):
    before = {k: v.copy() for k, v in history.items()}
    cut = known_at(history, "2026-10")
    for name, frame in history.items():  # inputs untouched
        pd.testing.assert_frame_equal(frame, before[name])
    # A3 signed up on 1 Nov: gone, with its user, MRR, answers, ticket and usage.
    assert cut["accounts"]["account_id"].tolist() == ["A1", "A2"]
    assert cut["users"]["user_id"].tolist() == ["U1", "U2"]
    # November MRR is not known at October's end; October's is.
    assert cut["mrr"][["account_id", "mrr"]].values.tolist() == [
        ["A1", 100.0], ["A1", 100.0], ["A2", 50.0]]
    # 23:59:59 on the 31st is in, midnight of the 1st is out.
    assert cut["nps_responses"]["response_id"].tolist() == ["R1", "R2"]
    # R1's call came on 1 Nov (not known yet); R3's answer is gone, so its action goes too.
    assert cut["loop_actions"]["response_id"].tolist() == ["R2"]
    # T2 was resolved on 2 Nov: open at the cut. T3 was opened on 1 Nov: unknown.
    tickets = cut["tickets"]
    assert tickets["ticket_id"].tolist() == ["T1", "T2"]
    assert tickets["resolved_at"].isna().tolist() == [False, True]
    assert cut["usage"]["month"].tolist() == [pd.Timestamp("2026-10-01")]
    assert cut["nps_invitations"]["user_id"].tolist() == ["U1"]
    # Fresh indexes, as if the cut data had been read from files.
    assert all(isinstance(f.index, pd.RangeIndex) and f.index.start == 0
               for f in cut.values())


def test_known_at_keeps_a_warehouse_and_its_provenance(history):
    wh = Warehouse(history, source="demo.duckdb", files={"mrr": "demo.duckdb"},
                   notes=["2 duplicates dropped"])
    cut = known_at(wh, "2026-10")
    assert isinstance(cut, Warehouse)
    assert (cut.source, cut.files, cut.notes) == (wh.source, wh.files, wh.notes)
    assert cut.data_date == pd.Timestamp("2026-10-01")  # not November's MRR month


def test_known_at_before_anything_happened_is_empty(history):
    cut = known_at(history, "2024-12")
    assert all(len(f) == 0 for f in cut.values())


def test_known_at_needs_one_cut(history):
    with pytest.raises(TypeError, match="either `month` or `at`"):
        known_at(history)


# --------------------------------------------------------------------- FCR for the month


def test_fcr_counts_the_tickets_resolved_in_the_month():
    tickets = pd.DataFrame({
        # opened      resolved       contacts
        # T1 Sep 28 -> Oct 2  (1)   resolved in Oct: counts, although opened in Sep
        # T2 Oct 5  -> Oct 6  (2)   counts
        # T3 Oct 20 -> Nov 3  (1)   resolved in Nov: not October's
        # T4 Oct 30 -> open         not resolved
        # T5 Sep 1  -> Sep 2  (1)   September's
        "opened_at": pd.to_datetime(["2026-09-28", "2026-10-05", "2026-10-20", "2026-10-30",
                                     "2026-09-01"]),
        "resolved_at": pd.to_datetime(["2026-10-02", "2026-10-06", "2026-11-03", None,
                                       "2026-09-02"]),
        "contacts": pd.array([1, 2, 1, 1, 1], dtype="Int64"),
    })
    october = first_contact_resolution(tickets, month="2026-10", min_n=0)
    assert (october["n"].item(), october["fcr"].item()) == (2, 1)
    assert october["rate"].item() == 0.5
    window = first_contact_resolution(
        tickets, window=(pd.Timestamp("2026-09-01"), pd.Timestamp("2026-11-01")), min_n=0)
    assert (window["n"].item(), window["fcr"].item()) == (3, 2)
    with pytest.raises(Exception, match="`month` or `window`, not both"):
        first_contact_resolution(tickets, month="2026-10", window=(None, None))


# ------------------------------------------------------------------ survey response rate


def test_response_rate_is_over_sends_whose_window_closed_in_the_month():
    # 30-day windows. Sent 15 Sep: closes 15 Oct (October's). Sent 1 Oct: closes 31 Oct
    # (October's). Sent 10 Oct: closes 9 Nov (provisional at October's end). Sent 25 Aug:
    # closed 24 Sep (September's, not October's).
    inv = pd.DataFrame({
        "user_id": ["U1", "U2", "U3", "U4", "U5"],
        "wave": [1, 1, 2, 3, 4],
        "sent_at": pd.to_datetime(["2026-09-15", "2026-09-15", "2026-10-01", "2026-10-10",
                                   "2026-08-25"]),
    })
    resp = pd.DataFrame({
        "user_id": ["U1", "U3", "U4", "U2"],
        "wave": [1, 2, 3, 1],
        # U2's answer arrives on 2 Nov: too late for its send (window closed 15 Oct)
        "responded_at": pd.to_datetime(["2026-09-20", "2026-10-29", "2026-10-12",
                                        "2026-11-02"]),
    })
    users = pd.DataFrame({"user_id": [f"U{i}" for i in range(1, 6)],
                          "user_type": ["admin"] * 5})
    h = survey_health(inv, resp, users, month="2026-10")
    # October: U1 (answered), U2 (not), U3 (answered) -> 2 of 3
    assert (h.overall["sent"], h.overall["responded"]) == (3, 2)
    assert h.overall["response_rate"] == pytest.approx(2 / 3)
    assert h.overall["sent_from"] == pd.Timestamp("2026-09-15")
    assert h.overall["sent_to"] == pd.Timestamp("2026-10-01")
    # Still collecting at October's end: U4's send, answered so far.
    assert (h.provisional["sent"], h.provisional["responded"]) == (1, 1)
    waves = h.waves.set_index("wave")
    assert waves["complete"].to_dict() == {1: True, 2: True, 3: False, 4: True}


def test_response_rate_in_june_ignores_answers_from_july():
    inv = pd.DataFrame({"user_id": ["U1"], "wave": [1],
                        "sent_at": pd.to_datetime(["2026-06-10"])})
    resp = pd.DataFrame({"user_id": ["U1"], "wave": [1],
                         "responded_at": pd.to_datetime(["2026-07-05 10:00"])})
    users = pd.DataFrame({"user_id": ["U1"], "user_type": ["admin"]})
    june = survey_health(inv, resp, users, month="2026-06")
    # The send's window closes on 10 Jul: still collecting at June's end, and the answer
    # of 5 Jul was not known then.
    assert june.overall["sent"] == 0
    assert (june.provisional["sent"], june.provisional["responded"]) == (1, 0)
    july = survey_health(inv, resp, users, month="2026-07")
    assert (july.overall["sent"], july.overall["responded"]) == (1, 1)
    assert july.provisional["sent"] == 0


# --------------------------------------------------------- pending SLA and partial week


def _answers(times, scores):
    return pd.DataFrame({"response_id": [f"R{i}" for i in range(len(times))],
                         "responded_at": pd.to_datetime(times, format="ISO8601"),
                         "score": scores})


def test_sla_not_yet_elapsed_is_pending_not_missed():
    # Cut: 1 Nov 00:00. SLA 3 days.
    #   R0 detractor 20 Oct, called 21 Oct                -> met
    #   R1 detractor 22 Oct, never called                  -> missed (due 25 Oct)
    #   R2 passive   30 Oct, not called yet                -> pending (due 2 Nov)
    #   R3 promoter  30 Oct, e-mailed 31 Oct               -> met (closed before it was due)
    #   R4 passive   29 Oct 12:00, called 2 Nov (after cut) -> pending at the cut
    answers = _answers(["2026-10-20", "2026-10-22", "2026-10-30", "2026-10-30",
                        "2026-10-29 12:00"], [3, 5, 8, 10, 7])
    actions = pd.DataFrame({"response_id": ["R0", "R3", "R4"],
                            "action": ["call", "email", "call"],
                            "done_at": pd.to_datetime(["2026-10-21", "2026-10-31",
                                                       "2026-11-02"])})
    loops = loop_closure(answers, actions, month="2026-10")
    assert loops.responses["sla_status"].tolist() == ["met", "missed", "pending", "met",
                                                      "pending"]
    assert loops.pending == 2
    assert loops.within_sla_rate == pytest.approx(2 / 3)  # 2 met of 3 due
    summary = loops.sla_summary.set_index("category")
    assert summary.loc["passive", ["n", "due", "pending", "missed"]].tolist() == [2, 0, 2, 0]
    assert np.isnan(summary.loc["passive", "share_within_sla"])
    assert summary.loc["detractor", ["due", "within_sla", "missed"]].tolist() == [2, 1, 1]
    # Without a cut every answer is due and the late call of R4 counts as missed.
    everything = loop_closure(answers, actions)
    assert everything.responses["sla_status"].tolist() == ["met", "missed", "missed", "met",
                                                           "missed"]


def test_partial_last_week_stays_out_of_the_correlation():
    # Weeks end on Sunday. 31 Oct 2026 is a Saturday, so the week ending Sunday 1 Nov is
    # partial at October's cut. One answer a week (Thursday 1 Oct, then Tuesdays), every
    # loop closed within an hour except week 2's.
    days = ["2026-10-01", "2026-10-06", "2026-10-13", "2026-10-20", "2026-10-27"]
    answers = _answers(days, [0, 10, 0, 10, 0])
    done = answers["responded_at"] + pd.Timedelta(hours=1)
    done[1] += pd.Timedelta(days=10)
    actions = pd.DataFrame({"response_id": answers["response_id"],
                            "action": np.where(answers["score"] >= 9, "email", "call"),
                            "done_at": done})
    loops = loop_closure(answers, actions, month="2026-10")
    weekly = loops.weekly
    assert pd.Timestamp("2026-10-31").day_name() == "Saturday"
    assert weekly["period_end"].dt.strftime("%m-%d").tolist() == [
        "10-04", "10-11", "10-18", "10-25", "11-01"]
    assert weekly["complete"].tolist() == [True, True, True, True, False]
    # The correlation reads the four whole weeks only: NPS -100, 100, -100, 100 against
    # shares in SLA 1, 0, 1, 1 -> Pearson r of those four pairs.
    assert loops.correlation["n_weeks"] == 4
    expected = np.corrcoef([-100, 100, -100, 100], [1, 0, 1, 1])[0, 1]
    assert loops.correlation["r"] == pytest.approx(expected)
