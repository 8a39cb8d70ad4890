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
    err = _problems(tiny_tables)
    assert "table `users`" in str(err)
    assert "is missing" in str(err)
    assert "users.csv" in str(err)


def test_missing_column(tiny_tables):
    tiny_tables["mrr"] = tiny_tables["mrr"].drop(columns="product")
    err = _problems(tiny_tables)
    assert "mrr.csv (table `mrr`): column `product` is missing" in str(err)


def test_wrong_type_names_rows_and_values(tiny_tables):
    tiny_tables["mrr"]["mrr"] = tiny_tables["mrr"]["mrr"].astype(object)
    tiny_tables["mrr"].loc[3, "mrr"] = "abc"
    err = _problems(tiny_tables)
    assert "column `mrr` has 1 value(s) that cannot be read (rows 4; e.g. 'abc')" in str(err)
    row = err.problems.iloc[0]
    assert (row["table"], row["column"], row["check"], row["rows"]) == ("mrr", "mrr", "type", [4])


def test_score_out_of_range(tiny_tables):
    tiny_tables["nps_responses"]["score"] = [9, 11, -1]
    err = _problems(tiny_tables)
    msg = str(err)
    assert "nps_responses.csv (table `nps_responses`): column `score` has 1 value(s) above" in msg
    assert "(rows 2; e.g. 11)" in msg
    assert "(rows 3; e.g. -1)" in msg


def test_non_integer_score_is_a_type_problem(tiny_tables):
    tiny_tables["nps_responses"]["score"] = [9, 6.5, 10]
    assert "column `score` has 1 value(s) that cannot be read (rows 2" in str(
        _problems(tiny_tables))


def test_negative_mrr(tiny_tables):
    tiny_tables["mrr"].loc[0, "mrr"] = -10.0
    err = _problems(tiny_tables)
    assert "column `mrr` has 1 value(s) below the minimum (rows 1; e.g. -10.0)" in str(err)


def test_duplicate_key(tiny_tables):
    extra = tiny_tables["mrr"].iloc[[1]].assign(mrr=999.0)
    tiny_tables["mrr"] = pd.concat([tiny_tables["mrr"], extra], ignore_index=True)
    err = _problems(tiny_tables)
    assert "column `contract_id, month` has 1 duplicate key(s) (rows 6; e.g. 'C1/2026-10-01" \
        in str(err)


def test_unknown_account_reference(tiny_tables):
    tiny_tables["nps_responses"].loc[1, "account_id"] = "A404"
    err = _problems(tiny_tables)
    assert ("nps_responses.csv (table `nps_responses`): column `account_id` has 1 reference(s) "
            "to unknown rows (rows 2; e.g. 'A404')") in str(err)
    assert "exist in `accounts`" in str(err)


def test_unparseable_date(tiny_tables):
    tiny_tables["tickets"].loc[0, "opened_at"] = "31/31/2026"
    err = _problems(tiny_tables)
    assert "column `opened_at` has 1 value(s) that cannot be read (rows 1; e.g. '31/31/2026')" \
        in str(err)


def test_empty_table(tiny_tables):
    tiny_tables["tickets"] = tiny_tables["tickets"].iloc[0:0]
    err = _problems(tiny_tables)
    assert "tickets.csv (table `tickets`) has no rows" in str(err)


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
