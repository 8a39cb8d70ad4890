"""Survey programme health and report periods, checked by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from cslib.exceptions import ParamsError
from cslib.periods import as_month, in_window, month_end, month_label, trailing_window
from cslib.survey import survey_health


@pytest.fixture
def programme():
    inv = pd.DataFrame({
        "user_id": ["U1", "U2", "U3", "U4", "U5", "U6", "U1"],
        "wave": [1, 1, 1, 2, 2, 2, 1],
        "sent_at": pd.to_datetime(["2026-09-01"] * 3 + ["2026-09-08"] * 3 + ["2026-12-01"]),
    })
    resp = pd.DataFrame({
        "user_id": ["U1", "U2", "U4", "U5"],
        "wave": [1, 1, 2, 1],  # U5 answers with another wave's number: not a match
        "responded_at": pd.to_datetime(["2026-09-02", "2026-11-20", "2026-09-09",
                                        "2026-09-09"]),
    })
    users = pd.DataFrame({"user_id": ["U1", "U2", "U3", "U4", "U5", "U6"],
                          "user_type": ["admin", "end user", "end user",
                                        "admin", "end user", "end user"]})
    return inv, resp, users


def test_survey_health_by_hand(programme):
    inv, resp, users = programme
    before = inv.copy()
    health = survey_health(inv, resp, users,
                           window=(pd.Timestamp("2026-09-01"), pd.Timestamp("2026-10-01")))
    pd.testing.assert_frame_equal(inv, before)
    waves = health.waves.set_index("wave")
    # wave 1: U1 answered the next day; U2 answered 80 days later (> 30 days): not counted
    assert waves.loc[1, ["sent", "responded"]].tolist() == [3, 1]
    # wave 2: only U4 (U5's answer carries wave 1)
    assert waves.loc[2, ["sent", "responded"]].tolist() == [3, 1]
    assert health.overall["sent"] == 6 and health.overall["responded"] == 2
    assert health.overall["response_rate"] == pytest.approx(2 / 6)
    # both waves are 1 admin + 2 end users = the overall mix: no gap
    assert health.overall["max_mix_gap"] == pytest.approx(0.0)
    # .table one row per wave, .summary the overall figures in one row
    assert health.table["sent"].tolist() == [3, 3]
    assert health.summary.shape[0] == 1
    assert health.summary.loc[0, "response_rate"] == pytest.approx(2 / 6)
    # Wilson interval for 1/3 at 95%: centre (1 + z^2/2)/(3 + z^2)
    z = 1.959963984540054
    centre = (1 + z**2 / 2) / (3 + z**2)
    half = z * (1 / 3 * 2 / 3 / 3 + z**2 / 36) ** 0.5 / (1 + z**2 / 3)
    assert waves.loc[1, "ci_low"] == pytest.approx(centre - half)
    assert waves.loc[1, "ci_high"] == pytest.approx(centre + half)


def test_mix_gap_detects_an_unbalanced_wave(programme):
    inv, resp, users = programme
    users = users.assign(user_type=["admin", "admin", "admin", "end user", "end user",
                                    "end user"])
    health = survey_health(inv.iloc[:6], resp, users)
    # wave 1 is all admins (share 1.0) while admins are half of all sends: gap 0.5
    assert health.overall["max_mix_gap"] == pytest.approx(0.5)



def test_mix_gap_counts_a_stratum_missing_from_a_wave():
    # Strata a, b, d. Wave 1 sends a, b (no d); wave 2 sends a, b, d, d.
    # All sends: a 2/6, b 2/6, d 2/6.
    # Wave 1 shares: a 1/2, b 1/2, d 0 -> gaps 1/6, 1/6, 1/3.
    # Wave 2 shares: a 1/4, b 1/4, d 1/2 -> gaps 1/12, 1/12, 1/6.
    # Largest gap: wave 1's missing d, 1/3 (leaving it out would give 1/6).
    inv = pd.DataFrame({
        "user_id": ["U1", "U2", "U3", "U4", "U5", "U6"],
        "wave": [1, 1, 2, 2, 2, 2],
        "sent_at": pd.to_datetime(["2026-09-01"] * 2 + ["2026-09-08"] * 4),
    })
    users = pd.DataFrame({"user_id": ["U1", "U2", "U3", "U4", "U5", "U6"],
                          "user_type": ["a", "b", "a", "b", "d", "d"]})
    resp = pd.DataFrame({"user_id": pd.Series([], dtype=object), "wave": [],
                         "responded_at": pd.to_datetime(pd.Series([], dtype=object))})
    health = survey_health(inv, resp, users)
    assert health.overall["max_mix_gap"] == pytest.approx(1 / 3)
    mix = health.mix.set_index(["wave", "user_type"])
    assert len(mix) == 6  # every stratum in every wave
    assert mix.loc[(1, "d"), "sent"] == 0 and mix.loc[(1, "d"), "share"] == 0
    assert mix.loc[(2, "d"), ["sent", "share"]].tolist() == [2, 0.5]
    assert mix.groupby("wave")["share"].sum().tolist() == pytest.approx([1.0, 1.0])
    assert health.overall["responded"] == 0

def test_periods():
    assert as_month("2026-10-17") == pd.Timestamp("2026-10-01")
    assert month_end("2026-12") == pd.Timestamp("2027-01-01")
    start, end = trailing_window("2026-10", 30)
    # 30 days before 1 November is 2 October
    assert (start, end) == (pd.Timestamp("2026-10-02"), pd.Timestamp("2026-11-01"))
    dates = pd.Series(pd.to_datetime(["2026-10-01 23:59", "2026-10-02 00:00",
                                      "2026-10-31 23:00", "2026-11-01 00:00"]))
    assert in_window(dates, (start, end)).tolist() == [False, True, True, False]
    assert month_label("2026-10") == "October 2026"
    assert month_label("2026-10", "pt-BR") == "outubro de 2026"


def test_bad_month_is_a_params_error():
    with pytest.raises(ParamsError, match="`month` must look like 'YYYY-MM', got 'octubre'"):
        as_month("octubre")
