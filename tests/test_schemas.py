"""Every kind of bad input is reported with its table, file, column and rows."""

from __future__ import annotations

import pandas as pd
import pytest

from cslib.exceptions import SchemaError
from cslib.schemas import SCHEMAS, validate, validate_table


def _files(tables):
    return {name: f"{name}.csv" for name in tables}


def _problems(tables):
    with pytest.raises(SchemaError) as info:
        validate(tables, files=_files(tables))
    return info.value


def test_valid_tables_pass_and_get_types(tiny_tables):
    clean = validate(tiny_tables)
    assert clean["mrr"]["month"].dtype == "datetime64[ns]"
    assert clean["nps_responses"]["score"].tolist() == [9, 6, 10]
    assert clean["accounts"]["signup_date"].iloc[0] == pd.Timestamp("2025-01-15")
    assert pd.isna(clean["tickets"]["resolved_at"].iloc[1])


def test_validation_does_not_mutate_input(tiny_tables):
    before = {k: v.copy() for k, v in tiny_tables.items()}
    validate(tiny_tables)
    for name, frame in tiny_tables.items():
        pd.testing.assert_frame_equal(frame, before[name])


def test_missing_table(tiny_tables):
    del tiny_tables["users"]
    with pytest.raises(SchemaError) as info:  # cslib.io.load names the file it looked for
        validate(tiny_tables, files={**_files(tiny_tables), "users": "users.csv"})
    err = info.value
    assert "users.csv (table `users`) is missing. Export the table as `users`" in str(err)
    row = err.problems.iloc[0]
    assert (row["table"], row["file"], row["check"]) == ("users", "users.csv", "missing_table")


def test_missing_column(tiny_tables):
    tiny_tables["mrr"] = tiny_tables["mrr"].drop(columns="product")
    err = _problems(tiny_tables)
    assert "mrr.csv (table `mrr`): column `product` is missing" in str(err)
    row = err.problems.iloc[0]
    assert (row["table"], row["file"], row["column"]) == ("mrr", "mrr.csv", "product")


def test_wrong_type_names_rows_and_values(tiny_tables):
    tiny_tables["mrr"]["mrr"] = tiny_tables["mrr"]["mrr"].astype(object)
    tiny_tables["mrr"].loc[3, "mrr"] = "abc"
    err = _problems(tiny_tables)
    assert ("mrr.csv (table `mrr`): column `mrr` has 1 value(s) that cannot be read "
            "(rows 4; e.g. 'abc')") in str(err)
    row = err.problems.iloc[0]
    assert (row["table"], row["column"], row["check"], row["rows"]) == ("mrr", "mrr", "type", [4])


def test_score_out_of_range(tiny_tables):
    tiny_tables["nps_responses"]["score"] = [9, 11, -1]
    err = _problems(tiny_tables)
    msg = str(err)
    assert ("nps_responses.csv (table `nps_responses`): column `score` has 1 value(s) above "
            "the maximum (rows 2; e.g. 11)") in msg
    assert ("nps_responses.csv (table `nps_responses`): column `score` has 1 value(s) below "
            "the minimum (rows 3; e.g. -1)") in msg


def test_non_integer_score_is_a_type_problem(tiny_tables):
    tiny_tables["nps_responses"]["score"] = [9, 6.5, 10]
    assert "column `score` has 1 value(s) that cannot be read (rows 2" in str(
        _problems(tiny_tables))


def test_negative_mrr(tiny_tables):
    tiny_tables["mrr"].loc[0, "mrr"] = -10.0
    err = _problems(tiny_tables)
    assert ("mrr.csv (table `mrr`): column `mrr` has 1 value(s) below the minimum "
            "(rows 1; e.g. -10.0). Values must be >= 0") in str(err)
    row = err.problems.iloc[0]
    assert (row["table"], row["file"], row["column"], row["check"], row["rows"]) == (
        "mrr", "mrr.csv", "mrr", "min", [1])


def test_duplicate_key(tiny_tables):
    extra = tiny_tables["mrr"].iloc[[1]].assign(mrr=999.0)
    tiny_tables["mrr"] = pd.concat([tiny_tables["mrr"], extra], ignore_index=True)
    err = _problems(tiny_tables)
    # the 6th data row repeats row 2's contract C1 and month 2026-10
    assert ("mrr.csv (table `mrr`): column `contract_id, month` has 1 duplicate key(s) "
            "(rows 6; e.g. 'C1/2026-10-01") in str(err)
    row = err.problems.iloc[0]
    assert (row["table"], row["file"], row["check"], row["rows"]) == (
        "mrr", "mrr.csv", "duplicate_key", [6])


def test_unknown_account_reference(tiny_tables):
    tiny_tables["nps_responses"].loc[1, "account_id"] = "A404"
    err = _problems(tiny_tables)
    assert ("nps_responses.csv (table `nps_responses`): column `account_id` has 1 reference(s) "
            "to unknown rows (rows 2; e.g. 'A404')") in str(err)
    assert "exist in `accounts`" in str(err)
    row = err.problems.iloc[0]
    assert (row["table"], row["column"], row["check"], row["rows"]) == (
        "nps_responses", "account_id", "unknown_reference", [2])


def test_unparseable_date(tiny_tables):
    tiny_tables["tickets"].loc[0, "opened_at"] = "31/31/2026"
    err = _problems(tiny_tables)
    assert ("tickets.csv (table `tickets`): column `opened_at` has 1 value(s) that cannot be "
            "read (rows 1; e.g. '31/31/2026'). Fix those values in the export (expected "
            "datetime)") in str(err)
    row = err.problems.iloc[0]
    assert (row["table"], row["file"], row["column"], row["check"], row["rows"]) == (
        "tickets", "tickets.csv", "opened_at", "type", [1])


def test_empty_table(tiny_tables):
    tiny_tables["tickets"] = tiny_tables["tickets"].iloc[0:0]
    err = _problems(tiny_tables)
    assert "tickets.csv (table `tickets`) has no rows" in str(err)
    row = err.problems.iloc[0]
    assert (row["table"], row["file"], row["column"], row["check"]) == (
        "tickets", "tickets.csv", None, "empty_table")


def test_all_problems_reported_at_once(tiny_tables):
    tiny_tables["mrr"].loc[0, "mrr"] = -1.0
    tiny_tables["nps_responses"]["score"] = [1, 2, 12]
    tiny_tables["usage"] = tiny_tables["usage"].drop(columns="feature")
    err = _problems(tiny_tables)
    assert set(err.problems["table"]) == {"mrr", "nps_responses", "usage"}
    assert str(err).startswith("3 problem(s) in the data:")


def test_missing_required_value(tiny_tables):
    tiny_tables["accounts"].loc[1, "segment"] = None
    err = _problems(tiny_tables)
    assert "column `segment` has 1 missing value(s) (rows 2)" in str(err)


def test_allowed_values(tiny_tables):
    tiny_tables["loop_actions"].loc[0, "action"] = "sms"
    assert "column `action` has 1 value(s) that are not allowed (rows 1; e.g. 'sms')" in str(
        _problems(tiny_tables))


def test_an_all_null_optional_column_is_fine(tiny_tables):
    tiny_tables["nps_responses"]["comment"] = None
    clean = validate(tiny_tables)
    assert clean["nps_responses"]["comment"].isna().all()


def test_validate_table_returns_problems_without_raising():
    _, problems = validate_table("users", pd.DataFrame({"user_id": ["U1"], "account_id": ["A"],
                                                        "user_type": [None]}))
    assert [(p.column, p.check, p.rows) for p in problems] == [("user_type", "null", [1])]


def test_every_table_has_a_key_and_described_columns():
    for table in SCHEMAS.values():
        assert table.key, table.name
        assert all(c.description for c in table.columns), table.name


# --- alternative columns: usage counts, day-level usage, first-contact flag ------------------

def test_usage_with_only_events_or_only_active_users(tiny_tables):
    for drop, keep in (("active_users", "events"), ("events", "active_users")):
        tables = dict(tiny_tables, usage=tiny_tables["usage"].drop(columns=drop))
        usage = validate(tables)["usage"]
        assert drop not in usage.columns
        assert usage[keep].tolist() == tiny_tables["usage"][keep].tolist()
        assert usage[keep].dtype == "Int64"


def test_usage_without_any_count_names_both_columns(tiny_tables):
    tiny_tables["usage"] = tiny_tables["usage"].drop(columns=["active_users", "events"])
    err = _problems(tiny_tables)
    assert ("usage.csv (table `usage`): columns `active_users` and `events` are missing (at "
            "least one of them is needed). The table needs at least one of these columns"
            ) in str(err)
    row = err.problems.iloc[0]
    assert (row["table"], row["column"], row["check"]) == (
        "usage", "active_users, events", "missing_one_of")


def _daily_usage():
    # A1 dashboards: Oct 1st (2 users, 10 events), Oct 15th (3, 5) -> October: max 3 users,
    #   15 events; A1 api Oct 3rd (1, 4) -> 1, 4
    # A2 api: Sep 30th (1, 7) -> September 1, 7; Oct 2nd (4, 100), Oct 20th (2, 1) -> 4, 101
    return pd.DataFrame({
        "account_id": ["A1", "A1", "A1", "A2", "A2", "A2"],
        "feature": ["dashboards", "dashboards", "api", "api", "api", "api"],
        "date": ["2026-10-01", "2026-10-15", "2026-10-03", "2026-09-30", "2026-10-02",
                 "2026-10-20"],
        "active_users": [2, 3, 1, 1, 4, 2],
        "events": [10, 5, 4, 7, 100, 1],
    })


def _by_hand_monthly():
    return pd.DataFrame({
        "account_id": ["A1", "A1", "A2", "A2"],
        "feature": ["api", "dashboards", "api", "api"],
        "month": pd.to_datetime(["2026-10-01", "2026-10-01", "2026-09-01", "2026-10-01"]),
        "active_users": [1, 3, 1, 4],
        "events": [4, 15, 7, 101],
    })


@pytest.mark.parametrize("day_column", ["date", "day", "month"])
def test_day_level_usage_is_reduced_to_months(tiny_tables, day_column):
    daily = _daily_usage().rename(columns={"date": day_column})
    usage = validate(dict(tiny_tables, usage=daily))["usage"]
    got = usage.sort_values(["account_id", "feature", "month"]).reset_index(drop=True)
    expected = _by_hand_monthly()
    assert list(got.columns) == list(expected.columns)
    assert got[["account_id", "feature"]].values.tolist() == \
        expected[["account_id", "feature"]].values.tolist()
    assert got["month"].tolist() == expected["month"].tolist()
    assert got["active_users"].tolist() == expected["active_users"].tolist()
    assert got["events"].tolist() == expected["events"].tolist()
    assert "6 day-level usage row(s) reduced to 4" in usage.attrs["cslib_note"]
    assert "lower bound" in usage.attrs["cslib_note"]


def test_day_level_usage_problems_name_the_file_rows(tiny_tables):
    daily = _daily_usage()
    daily.loc[4, "events"] = -3  # row 5 of the file
    daily.loc[5, "date"] = "2026-10-02"  # row 6 repeats row 5's account, feature and day
    daily.loc[2, "account_id"] = "A404"  # row 3
    err = _problems(dict(tiny_tables, usage=daily))
    msg = str(err)
    assert ("usage.csv (table `usage`): column `events` has 1 value(s) below the minimum "
            "(rows 5; e.g. -3)") in msg
    assert ("usage.csv (table `usage`): column `account_id, feature, date` has 1 duplicate "
            "key(s) (rows 6; e.g. 'A2/api/2026-10-02") in msg
    assert ("usage.csv (table `usage`): column `account_id` has 1 reference(s) to unknown "
            "rows (rows 3; e.g. 'A404')") in msg


def test_monthly_usage_is_not_reduced(tiny_tables):
    usage = validate(tiny_tables)["usage"]
    assert "cslib_note" not in usage.attrs
    assert usage["month"].tolist() == [pd.Timestamp("2026-10-01")] * 2


@pytest.mark.parametrize(("values", "expected"), [
    (["true", "false"], [True, False]),
    (["1", "0"], [True, False]),
    ([1, 0], [True, False]),
    (["Yes", "no"], [True, False]),
    (["sim", "não"], [True, False]),
    (["SIM", "Nao"], [True, False]),
])
def test_tickets_with_a_first_contact_flag_instead_of_contacts(tiny_tables, values, expected):
    tickets = tiny_tables["tickets"].drop(columns="contacts")
    tickets["first_contact_resolved"] = values
    clean = validate(dict(tiny_tables, tickets=tickets))["tickets"]
    assert clean["first_contact_resolved"].tolist() == expected
    assert "contacts" not in clean.columns


def test_unreadable_first_contact_flag(tiny_tables):
    tickets = tiny_tables["tickets"].drop(columns="contacts")
    tickets["first_contact_resolved"] = ["talvez", "sim"]
    err = _problems(dict(tiny_tables, tickets=tickets))
    assert ("tickets.csv (table `tickets`): column `first_contact_resolved` has 1 value(s) "
            "that cannot be read (rows 1; e.g. 'talvez')") in str(err)


def test_tickets_without_contacts_or_flag(tiny_tables):
    tiny_tables["tickets"] = tiny_tables["tickets"].drop(columns="contacts")
    err = _problems(tiny_tables)
    assert ("tickets.csv (table `tickets`): columns `contacts` and `first_contact_resolved` "
            "are missing") in str(err)
