"""Tests for cslib.support: first contact resolution and resolution times."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.stats import norm
from statsmodels.stats.proportion import proportion_confint

from cslib.exceptions import ParamsError, SchemaError, SmallSampleWarning
from cslib.support import first_contact_flags, first_contact_resolution, resolution_times


@pytest.fixture
def hand_tickets() -> pd.DataFrame:
    # Group A: 5 resolved (contacts 1, 1, 1, 2, 3) -> fcr 3 of 5; 2 open with contacts 1.
    # Group B: 2 resolved (contacts 1, 2) -> fcr 1 of 2; 1 open.
    # Group C: only an open ticket -> n = 0.
    return pd.DataFrame({
        "ticket_id": [f"T{i}" for i in range(1, 11)],
        "account_id": ["a1", "a1", "a2", "a2", "a3", "a3", "a3", "b1", "b1", "b1"],
        "team": ["A"] * 7 + ["B"] * 2 + ["C"],
        "opened_at": pd.to_datetime([
            "2026-10-01 08:00", "2026-10-01 09:00", "2026-10-02 10:00", "2026-10-03 08:00",
            "2026-10-04 08:00", "2026-10-05 08:00", "2026-10-06 08:00", "2026-10-07 08:00",
            "2026-10-08 08:00", "2026-10-09 08:00",
        ]),
        "resolved_at": pd.to_datetime([
            "2026-10-01 10:00", "2026-10-01 13:00", "2026-10-02 20:00", "2026-10-05 08:00",
            "2026-10-04 09:00", None, None, "2026-10-07 14:00", "2026-10-08 09:00", None,
        ]),
        "contacts": pd.array([1, 1, 1, 2, 3, 1, 1, 1, 2, 1], dtype="Int64"),
    })


def wilson_by_hand(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval written out from the formula."""
    z = norm.ppf(1 - (1 - confidence) / 2)
    p = k / n
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return centre - half, centre + half


# --- first_contact_resolution --------------------------------------------------------------

def test_fcr_overall_by_hand(hand_tickets):
    # Resolved: A 5 + B 2 = 7, first contact: A 3 + B 1 = 4 -> 4/7. The 3 open tickets (two
    # with contacts == 1) are left out; counting them would give 6/10.
    out = first_contact_resolution(hand_tickets, min_n=1)
    assert list(out.columns) == ["n", "fcr", "rate", "ci_low", "ci_high", "small_sample"]
    assert len(out) == 1
    assert out.loc[0, "n"] == 7
    assert out.loc[0, "fcr"] == 4
    assert out.loc[0, "rate"] == pytest.approx(4 / 7)
    low, high = wilson_by_hand(4, 7)
    assert_allclose([out.loc[0, "ci_low"], out.loc[0, "ci_high"]], [low, high], rtol=1e-9)
    assert not out.loc[0, "small_sample"]


def test_fcr_wilson_interval_by_hand_arithmetic(hand_tickets):
    # Group A: k=3, n=5, p=0.6, z=1.959964, z^2=3.841459.
    # denom = 1 + 3.841459/5 = 1.768292
    # centre = (0.6 + 3.841459/10) / 1.768292 = 0.984146 / 1.768292 = 0.556552
    # half = 1.959964 * sqrt(0.6*0.4/5 + 3.841459/100) / 1.768292
    #      = 1.959964 * sqrt(0.048 + 0.038415) / 1.768292 = 1.959964 * 0.293965 / 1.768292
    #      = 0.325827
    # -> (0.230725, 0.882379)
    with pytest.warns(SmallSampleWarning):
        out = first_contact_resolution(hand_tickets, by="team")
    a = out.set_index("team").loc["A"]
    assert (a["n"], a["fcr"]) == (5, 3)
    assert a["rate"] == pytest.approx(0.6)
    assert_allclose([a["ci_low"], a["ci_high"]], [0.230725, 0.882379], atol=1e-6)
    assert_allclose([a["ci_low"], a["ci_high"]], wilson_by_hand(3, 5), rtol=1e-9)


def test_fcr_confidence_level(hand_tickets):
    out = first_contact_resolution(hand_tickets, by="team", confidence=0.9, min_n=0)
    b = out.set_index("team").loc["B"]
    assert_allclose([b["ci_low"], b["ci_high"]], wilson_by_hand(1, 2, 0.9), rtol=1e-9)
    assert_allclose([b["ci_low"], b["ci_high"]],
                    proportion_confint(1, 2, alpha=0.1, method="wilson"), rtol=1e-9)


def test_fcr_open_only_group_has_n_zero(hand_tickets):
    out = first_contact_resolution(hand_tickets, by="team", min_n=0).set_index("team")
    assert list(out.index) == ["A", "B", "C"]
    assert out.loc["C", "n"] == 0 and out.loc["C", "fcr"] == 0
    assert np.isnan(out.loc["C", ["rate", "ci_low", "ci_high"]].astype(float)).all()


def test_fcr_small_sample_warning_names_groups(hand_tickets):
    with pytest.warns(SmallSampleWarning, match=r"fewer than 3 resolved.*'B' \(n=2\)") as rec:
        out = first_contact_resolution(hand_tickets, by="team", min_n=3)
    message = str(rec[0].message)
    assert "'C' (n=0)" in message and "'A'" not in message
    assert out.set_index("team")["small_sample"].to_dict() == {"A": False, "B": True, "C": True}


def test_fcr_no_warning_when_groups_are_large(hand_tickets):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        first_contact_resolution(hand_tickets[hand_tickets["team"] == "A"], min_n=5)


def test_fcr_groups_match_plain_pandas(demo_tables):
    t = demo_tables["tickets"].merge(
        demo_tables["accounts"][["account_id", "segment", "plan"]], on="account_id")
    out = first_contact_resolution(t, by=["segment", "plan"], min_n=0)

    res = t[t["resolved_at"].notna()]
    ref = (res.assign(first=(res["contacts"] == 1).astype(int))
              .groupby(["segment", "plan"])["first"].agg(["size", "sum", "mean"])
              .reset_index())
    merged = out.merge(ref, on=["segment", "plan"], how="outer", validate="one_to_one")
    assert len(merged) == len(ref) == len(out)
    assert (merged["n"] == merged["size"]).all()
    assert (merged["fcr"] == merged["sum"]).all()
    assert_allclose(merged["rate"], merged["mean"], rtol=1e-12)
    low, high = proportion_confint(merged["sum"], merged["size"], method="wilson")
    assert_allclose(merged["ci_low"], low, rtol=1e-12)
    assert_allclose(merged["ci_high"], high, rtol=1e-12)


def test_fcr_does_not_mutate(hand_tickets):
    before = hand_tickets.copy()
    with pytest.warns(SmallSampleWarning):
        first_contact_resolution(hand_tickets, by="team")
    resolution_times(hand_tickets, by="team")
    pd.testing.assert_frame_equal(hand_tickets, before)


def test_fcr_missing_column_says_to_add_accounts(hand_tickets):
    with pytest.raises(SchemaError, match=r"no column\(s\) `segment`.*with_accounts"):
        first_contact_resolution(hand_tickets, by="segment")


def test_fcr_bad_params(hand_tickets):
    with pytest.raises(ParamsError, match=r"confidence=1.5 must be in \(0, 1\)"):
        first_contact_resolution(hand_tickets, confidence=1.5)
    with pytest.raises(ParamsError, match="min_n=-1 must be >= 0"):
        first_contact_resolution(hand_tickets, min_n=-1)


def test_fcr_resolved_ticket_without_contacts(hand_tickets):
    t = hand_tickets.copy()
    t.loc[3, "contacts"] = pd.NA
    with pytest.raises(SchemaError, match=r"1 resolved ticket\(s\) have no number in "
                                          r"`contacts` \(rows \[4\]\)"):
        first_contact_resolution(t)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("xyz"), st.booleans(), st.integers(1, 4)),
                min_size=1, max_size=40))
def test_fcr_property_counts_and_interval(rows):
    t = pd.DataFrame({
        "g": [g for g, _, _ in rows],
        "resolved_at": pd.to_datetime(["2026-01-01" if r else None for _, r, _ in rows]),
        "contacts": pd.array([c for _, _, c in rows], dtype="Int64"),
    })
    out = first_contact_resolution(t, by="g", min_n=0)
    assert out["n"].sum() == sum(r for _, r, _ in rows)
    assert out["fcr"].sum() == sum(r and c == 1 for _, r, c in rows)
    has = out[out["n"] > 0]
    assert ((has["ci_low"] <= has["rate"] + 1e-12) & (has["rate"] <= has["ci_high"] + 1e-12)).all()
    assert ((has["ci_low"] >= 0) & (has["ci_high"] <= 1)).all()


# --- resolution_times ----------------------------------------------------------------------

def test_resolution_times_by_hand(hand_tickets):
    out = resolution_times(hand_tickets, by="team").set_index("team")
    # A: resolved hours 2, 4, 10, 48, 1 -> sorted 1, 2, 4, 10, 48 -> median 4; 2 open of 7.
    assert out.loc["A", ["tickets", "resolved", "open"]].tolist() == [7, 5, 2]
    assert out.loc["A", "median_hours"] == pytest.approx(4.0)
    assert out.loc["A", "share_open"] == pytest.approx(2 / 7)
    # p90 (linear): position 0.9 * 4 = 3.6 -> 10 + 0.6 * (48 - 10) = 32.8
    assert out.loc["A", "p90_hours"] == pytest.approx(32.8)
    # B: 6 h and 1 h -> median 3.5; nothing open.
    assert out.loc["B", "median_hours"] == pytest.approx(3.5)
    assert out.loc["B", "share_open"] == 0
    # C: only open.
    assert out.loc["C", "share_open"] == 1 and np.isnan(out.loc["C", "median_hours"])

    overall = resolution_times(hand_tickets)
    # All resolved: 1, 1, 2, 4, 6, 10, 48 -> median 4; 3 open of 10.
    assert overall.loc[0, "median_hours"] == pytest.approx(4.0)
    assert overall.loc[0, "share_open"] == pytest.approx(0.3)


def test_resolution_times_matches_pandas(demo_tables):
    t = demo_tables["tickets"].merge(
        demo_tables["accounts"][["account_id", "segment"]], on="account_id")
    out = resolution_times(t, by="segment").set_index("segment")
    hours = (t["resolved_at"] - t["opened_at"]).dt.total_seconds() / 3600
    ref = hours.groupby(t["segment"]).median()
    assert_allclose(out["median_hours"], ref.reindex(out.index), rtol=1e-12)
    share = t["resolved_at"].isna().groupby(t["segment"]).mean()
    assert_allclose(out["share_open"], share.reindex(out.index), rtol=1e-12)


def test_resolution_times_rejects_resolved_before_opened(hand_tickets):
    t = hand_tickets.copy()
    t.loc[0, "resolved_at"] = pd.Timestamp("2026-09-30")
    with pytest.raises(SchemaError, match=r"`resolved_at` before `opened_at` \(rows \[1\]\)"):
        resolution_times(t)


# --- first contact as a flag -----------------------------------------------------------------

def _as_flag(tickets: pd.DataFrame, yes="sim", no="não") -> pd.DataFrame:
    """The same tickets exported with a yes/no flag instead of a count of contacts."""
    flag = np.where(tickets["contacts"].to_numpy() == 1, yes, no)
    return tickets.drop(columns="contacts").assign(first_contact_resolved=flag)


@pytest.mark.parametrize(("yes", "no"), [("sim", "não"), ("true", "false"), ("1", "0"),
                                         (True, False), (1, 0), ("Yes", "NO")])
def test_fcr_with_a_flag_equals_fcr_with_contacts(hand_tickets, yes, no):
    by_count = first_contact_resolution(hand_tickets, by="team", min_n=0)
    by_flag = first_contact_resolution(_as_flag(hand_tickets, yes, no), by="team", min_n=0)
    pd.testing.assert_frame_equal(by_flag, by_count)
    # by hand: A 3 of 5, B 1 of 2, C none resolved
    assert by_flag.set_index("team")[["n", "fcr"]].to_dict("index") == {
        "A": {"n": 5, "fcr": 3}, "B": {"n": 2, "fcr": 1}, "C": {"n": 0, "fcr": 0}}


def test_first_contact_flags_by_hand():
    t = pd.DataFrame({"contacts": pd.array([1, 3, pd.NA, pd.NA], dtype="Int64"),
                      "first_contact_resolved": ["não", "sim", "sim", None]})
    # the count wins where it is filled (rows 1-2); the flag fills the gaps (row 3)
    assert first_contact_flags(t).tolist() == [True, False, True, pd.NA]
    assert first_contact_flags(t.drop(columns="contacts")).tolist() == [False, True, True, pd.NA]
    assert first_contact_flags(t.drop(columns="first_contact_resolved")).tolist() == [
        True, False, pd.NA, pd.NA]


def test_fcr_resolved_ticket_without_flag(hand_tickets):
    t = _as_flag(hand_tickets).astype({"first_contact_resolved": object})
    t.loc[1, "first_contact_resolved"] = None
    with pytest.raises(SchemaError, match=r"1 resolved ticket\(s\) have no value in "
                                          r"`first_contact_resolved` \(rows \[2\]\)"):
        first_contact_resolution(t)


def test_fcr_flag_that_is_not_yes_or_no(hand_tickets):
    t = _as_flag(hand_tickets).astype({"first_contact_resolved": object})
    t.loc[2, "first_contact_resolved"] = "talvez"
    with pytest.raises(SchemaError, match=r"`first_contact_resolved` has 1 value\(s\) that are "
                                          r"not yes/no \(rows \[3\]; e\.g\. \['talvez'\]\)"):
        first_contact_resolution(t)


def test_fcr_without_contacts_or_flag_names_both(hand_tickets):
    with pytest.raises(SchemaError, match=r"neither `contacts` .* nor `first_contact_resolved`"):
        first_contact_resolution(hand_tickets.drop(columns="contacts"))


def test_fcr_with_a_flag_on_loaded_tickets(tiny_tables, tmp_path):
    from cslib.io import AmbiguousDialectWarning, load, write_csv_folder

    tickets = tiny_tables["tickets"].drop(columns="contacts")
    tickets["first_contact_resolved"] = ["sim", "não"]  # T2 is still open
    write_csv_folder(dict(tiny_tables, tickets=tickets), tmp_path, brazilian=True)
    with pytest.warns(AmbiguousDialectWarning, match="`cac`"):  # 1.200 and 35.000
        wh = load(tmp_path)
    out = first_contact_resolution(wh["tickets"], min_n=0)
    # one resolved ticket (T1), solved at the first contact
    assert (out.loc[0, "n"], out.loc[0, "fcr"], out.loc[0, "rate"]) == (1, 1, 1.0)
