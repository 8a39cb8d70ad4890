"""Tests of cslib.usage: raw events <-> the monthly usage table."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cslib.exceptions import SchemaError, SourceError
from cslib.usage import (
    events_from_usage,
    reduce_usage_events,
    usage_from_events,
    usage_to_months,
    write_usage_events,
)


@pytest.fixture
def events() -> pd.DataFrame:
    """Eight events of two accounts over two months."""
    return pd.DataFrame({
        "account_id": ["A1", "A1", "A1", "A1", "A1", "A2", "A2", "A2"],
        "user_id": ["U1", "U2", "U1", "U1", "U1", "U9", "U9", "U8"],
        "feature": ["api", "api", "api", "dashboards", "api", "api", "api", "api"],
        "occurred_at": pd.to_datetime([
            "2026-09-01 00:00:00", "2026-09-15 12:00:00", "2026-09-30 23:59:59",
            "2026-09-10 00:00:00", "2026-10-01 00:00:00", "2026-10-05 00:00:00",
            "2026-10-31 23:00:00", "2026-10-20 00:00:00",
        ]),
    })


def _expected_by_hand() -> pd.DataFrame:
    # A1 api 2026-09: U1, U2, U1 -> 2 distinct users, 3 events
    # A1 api 2026-10: U1 (Oct 1st 00:00 belongs to October) -> 1 user, 1 event
    # A1 dashboards 2026-09: U1 -> 1 user, 1 event
    # A2 api 2026-10: U9, U9, U8 -> 2 users, 3 events
    return pd.DataFrame({
        "account_id": pd.Series(["A1", "A1", "A1", "A2"], dtype="str"),
        "feature": pd.Series(["api", "api", "dashboards", "api"], dtype="str"),
        "month": pd.to_datetime(["2026-09-01", "2026-10-01", "2026-09-01",
                                 "2026-10-01"]).astype("datetime64[ns]"),
        "active_users": pd.array([2, 1, 1, 2], dtype="Int64"),
        "events": pd.array([3, 1, 1, 3], dtype="Int64"),
    })


def _db_usage(path, table="usage") -> pd.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        df = con.execute(f"SELECT * FROM {table} ORDER BY account_id, feature, month").df()
    return df.astype({"account_id": "str", "feature": "str", "month": "datetime64[ns]",
                      "active_users": "Int64", "events": "Int64"})


def _write_events(path, frame: pd.DataFrame, table="usage_events") -> None:
    with duckdb.connect(str(path)) as con:
        con.register("_f", frame)
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM _f")


def test_usage_from_events_by_hand(events):
    before = events.copy()
    got = usage_from_events(events)
    pd.testing.assert_frame_equal(got, _expected_by_hand())
    pd.testing.assert_frame_equal(events, before)


def test_usage_from_events_custom_column_names(events):
    renamed = events.rename(columns={"account_id": "acct", "user_id": "who",
                                     "feature": "feat", "occurred_at": "ts"})
    got = usage_from_events(renamed, account="acct", user="who", feature="feat", at="ts")
    pd.testing.assert_frame_equal(got, _expected_by_hand())


def test_usage_from_events_missing_column(events):
    with pytest.raises(SchemaError, match=r"`occurred_at` \(at\)"):
        usage_from_events(events.drop(columns="occurred_at"))


def test_usage_from_events_missing_values(events):
    bad = events.copy()
    bad.loc[2, "feature"] = None
    with pytest.raises(SchemaError, match=r"`feature` \(1 rows\)"):
        usage_from_events(bad)


def test_reduce_in_duckdb_equals_pandas(events, tmp_path):
    path = tmp_path / "w.duckdb"
    _write_events(path, events)
    n = reduce_usage_events(path)
    assert n == 4
    pd.testing.assert_frame_equal(_db_usage(path), usage_from_events(events))
    pd.testing.assert_frame_equal(_db_usage(path), _expected_by_hand())


def test_reduce_counts_events_without_a_user_but_not_as_a_user(events, tmp_path):
    # An event whose user is unknown is still an event of its account's feature.
    anonymous = pd.concat([events, pd.DataFrame({
        "account_id": ["A1", "A2"], "user_id": [None, None], "feature": ["api", "exports"],
        "occurred_at": pd.to_datetime(["2026-09-02", "2026-10-03"])})], ignore_index=True)
    path = tmp_path / "w.duckdb"
    _write_events(path, anonymous)
    assert reduce_usage_events(path) == 5
    # A1 api 2026-09: U1, U2, U1 and one anonymous event -> 2 users, 4 events;
    # A2 exports 2026-10: only an anonymous event -> 0 users, 1 event
    expected = pd.DataFrame({
        "account_id": pd.Series(["A1", "A1", "A1", "A2", "A2"], dtype="str"),
        "feature": pd.Series(["api", "api", "dashboards", "api", "exports"], dtype="str"),
        "month": pd.to_datetime(["2026-09-01", "2026-10-01", "2026-09-01", "2026-10-01",
                                 "2026-10-01"]).astype("datetime64[ns]"),
        "active_users": pd.array([2, 1, 1, 2, 0], dtype="Int64"),
        "events": pd.array([4, 1, 1, 3, 1], dtype="Int64"),
    })
    pd.testing.assert_frame_equal(_db_usage(path), expected)


def test_reduce_replaces_existing_usage_table(events, tmp_path):
    path = tmp_path / "w.duckdb"
    _write_events(path, events)
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE usage AS SELECT 1 AS stale")
    reduce_usage_events(path)
    pd.testing.assert_frame_equal(_db_usage(path), _expected_by_hand())
    with pytest.raises(SchemaError, match="`usage` already exists"):
        reduce_usage_events(path, replace=False)


def test_reduce_errors_name_table_and_column(events, tmp_path):
    path = tmp_path / "w.duckdb"
    _write_events(path, events.drop(columns="user_id"), table="raw")
    with pytest.raises(SchemaError, match="table `usage_events` not found"):
        reduce_usage_events(path)
    with pytest.raises(SchemaError, match=r"`raw` has no column\(s\) `user_id` \(user\)"):
        reduce_usage_events(path, events_table="raw")
    with pytest.raises(SourceError, match="not found"):
        reduce_usage_events(tmp_path / "missing.duckdb")


def test_reduce_error_on_missing_values(events, tmp_path):
    path = tmp_path / "w.duckdb"
    bad = events.copy()
    bad["occurred_at"] = bad["occurred_at"].where(bad.index != 0)
    _write_events(path, bad)
    with pytest.raises(SchemaError, match=r"`occurred_at` \(1 rows\)"):
        reduce_usage_events(path)


@pytest.fixture
def small_usage():
    users = pd.DataFrame({"user_id": ["U1", "U2", "U3", "U4", "U5"],
                          "account_id": ["A1", "A1", "A1", "A2", "A2"]})
    usage = pd.DataFrame({
        "account_id": pd.Series(["A1", "A1", "A2", "A2"], dtype="str"),
        "feature": pd.Series(["api", "dashboards", "api", "api"], dtype="str"),
        "month": pd.to_datetime(["2026-09-01", "2026-09-01", "2026-09-01",
                                 "2026-10-01"]).astype("datetime64[ns]"),
        "active_users": pd.array([3, 1, 2, 1], dtype="Int64"),
        "events": pd.array([7, 1, 2, 40], dtype="Int64"),
    })
    return usage, users


def test_events_from_usage_shape_and_round_trip(small_usage):
    usage, users = small_usage
    before = usage.copy(), users.copy()
    ev = events_from_usage(usage, users, seed=4)
    assert len(ev) == 7 + 1 + 2 + 40
    # every event falls in its row's month, on one of the first 28 days
    assert (ev["occurred_at"].dt.day <= 28).all()
    assert set(ev.loc[ev.account_id == "A2", "user_id"]) <= {"U4", "U5"}
    pd.testing.assert_frame_equal(usage_from_events(ev), usage)
    pd.testing.assert_frame_equal(usage, before[0])
    pd.testing.assert_frame_equal(users, before[1])


def test_events_from_usage_same_seed_same_events(small_usage):
    usage, users = small_usage
    pd.testing.assert_frame_equal(events_from_usage(usage, users, seed=1),
                                  events_from_usage(usage, users, seed=1))


def test_events_from_usage_rejects_impossible_rows(small_usage):
    usage, users = small_usage
    more_users = usage.assign(active_users=pd.array([4, 1, 2, 1], dtype="Int64"),
                              events=pd.array([9, 1, 2, 40], dtype="Int64"))
    with pytest.raises(SchemaError, match="more `active_users` than the account has users"):
        events_from_usage(more_users, users)
    few_events = usage.assign(events=pd.array([2, 1, 2, 40], dtype="Int64"))
    with pytest.raises(SchemaError, match="`events` < `active_users`"):
        events_from_usage(few_events, users)
    with pytest.raises(SchemaError, match=r"`events` \(events\)"):
        events_from_usage(usage.drop(columns="events"), users)
    with pytest.raises(SchemaError, match="no row in `users`"):
        events_from_usage(usage, users[users.account_id == "A1"])


def test_write_usage_events_then_reduce_gives_usage_back(small_usage, tmp_path):
    usage, users = small_usage
    path = tmp_path / "w.duckdb"
    # a tiny chunk size forces several chunks (rows are never split across chunks)
    n = write_usage_events(path, usage, users, seed=2, chunk_rows=5)
    assert n == 50
    assert reduce_usage_events(path) == 4
    pd.testing.assert_frame_equal(_db_usage(path), usage)
    with duckdb.connect(str(path), read_only=True) as con:
        raw = con.execute("SELECT * FROM usage_events").df()
    assert len(raw) == 50


def test_round_trip_on_demo_warehouse():
    from cslib.demo import generate_warehouse

    wh = generate_warehouse(60, n_months=6, seed=5)
    usage = (wh["usage"].astype({"account_id": "str", "feature": "str"})
             .sort_values(["account_id", "feature", "month"]).reset_index(drop=True))
    ev = events_from_usage(wh["usage"], wh["users"], seed=0, chunk_rows=1000)
    assert len(ev) == int(usage["events"].sum())
    pd.testing.assert_frame_equal(usage_from_events(ev), usage)
    # independent check of one group with plain pandas
    first = usage.iloc[0]
    mine = ev[(ev.account_id == first.account_id) & (ev.feature == first.feature)
              & (ev.occurred_at.dt.to_period("M").dt.to_timestamp() == first.month)]
    assert mine.user_id.nunique() == first.active_users
    assert len(mine) == first.events


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), st.integers(0, 6), st.integers(0, 2),
                          st.integers(0, 2)), min_size=1, max_size=12, unique_by=lambda t: t[2:]),
       st.integers(0, 2**16))
def test_round_trip_property(rows, seed):
    # rows: (active_users, extra events, feature index, month index), unique per group
    users = pd.DataFrame({"user_id": [f"U{i}" for i in range(4)], "account_id": ["A1"] * 4})
    feats = ["api", "dashboards", "reports"]
    usage = pd.DataFrame({
        "account_id": pd.Series(["A1"] * len(rows), dtype="str"),
        "feature": pd.Series([feats[f] for _, _, f, _ in rows], dtype="str"),
        "month": pd.to_datetime([f"2026-{m + 1:02d}-01" for *_, m in rows])
        .astype("datetime64[ns]"),
        "active_users": pd.array([a for a, *_ in rows], dtype="Int64"),
        "events": pd.array([a + x for a, x, *_ in rows], dtype="Int64"),
    }).sort_values(["account_id", "feature", "month"]).reset_index(drop=True)
    ev = events_from_usage(usage, users, seed=seed, chunk_rows=7)
    pd.testing.assert_frame_equal(usage_from_events(ev), usage)
    assert np.all(ev.occurred_at.dt.day <= 28)


# --- day-level counts -> months --------------------------------------------------------------

def test_usage_to_months_from_daily_counts_of_the_events(events):
    # Daily counts of the fixture's events, by hand:
    # A1 api: Sep 1 (U1), Sep 15 (U2), Sep 30 (U1), Oct 1 (U1) -> 1 user and 1 event each day
    # A1 dashboards: Sep 10 (U1); A2 api: Oct 5 (U9), Oct 31 (U9), Oct 20 (U8)
    daily = pd.DataFrame({
        "account_id": ["A1", "A1", "A1", "A1", "A1", "A2", "A2", "A2"],
        "feature": ["api", "api", "api", "api", "dashboards", "api", "api", "api"],
        "date": pd.to_datetime(["2026-09-01", "2026-09-15", "2026-09-30", "2026-10-01",
                                "2026-09-10", "2026-10-05", "2026-10-31", "2026-10-20"]),
        "active_users": [1] * 8,
        "events": [1] * 8,
    })
    before = daily.copy()
    got = usage_to_months(daily)
    pd.testing.assert_frame_equal(daily, before)
    exact = _expected_by_hand()
    # events add up exactly; active users are the highest daily count: A1 api September had
    # 2 distinct users (U1, U2) but never more than 1 a day, so the lower bound reads 1
    assert got["events"].tolist() == exact["events"].tolist() == [3, 1, 1, 3]
    assert got["active_users"].tolist() == [1, 1, 1, 1]
    assert (got["active_users"] <= exact["active_users"]).all()
    pd.testing.assert_frame_equal(got.drop(columns=["active_users", "events"]),
                                  exact.drop(columns=["active_users", "events"]))


def test_usage_to_months_with_one_count_only():
    daily = pd.DataFrame({"account_id": ["A1", "A1"], "feature": ["api", "api"],
                          "day": ["2026-10-01", "2026-10-02"], "events": [3, 4]})
    got = usage_to_months(daily, day="day")
    assert list(got.columns) == ["account_id", "feature", "month", "events"]
    assert got["events"].tolist() == [7]
    got = usage_to_months(daily.rename(columns={"events": "active_users"}), day="day")
    assert list(got.columns) == ["account_id", "feature", "month", "active_users"]
    assert got["active_users"].tolist() == [4]  # max(3, 4)


def test_usage_to_months_errors():
    daily = pd.DataFrame({"account_id": ["A1"], "feature": ["api"], "date": ["2026-10-01"]})
    with pytest.raises(SchemaError, match=r"none of `active_users`, `events` is present"):
        usage_to_months(daily)
    with pytest.raises(SchemaError, match=r"`day` \(day\)"):
        usage_to_months(daily.assign(events=1), day="day")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 1), st.integers(0, 60)),
                min_size=1, max_size=60))
def test_usage_to_months_bounds_property(rows):
    # raw events (user, feature, day offset) -> daily counts (plain pandas) -> months
    ev = pd.DataFrame({
        "account_id": "A1",
        "user_id": [f"U{u}" for u, _, _ in rows],
        "feature": [("api", "mobile")[f] for _, f, _ in rows],
        "occurred_at": pd.Timestamp("2026-08-20") + pd.to_timedelta([d for _, _, d in rows],
                                                                    unit="D"),
    })
    daily = (ev.assign(date=ev["occurred_at"].dt.normalize())
             .groupby(["account_id", "feature", "date"])["user_id"]
             .agg(active_users="nunique", events="size").reset_index())
    got = usage_to_months(daily).set_index(["account_id", "feature", "month"])
    exact = usage_from_events(ev).set_index(["account_id", "feature", "month"])
    assert got.index.equals(exact.index)
    assert (got["events"] == exact["events"]).all()
    # the highest daily count <= distinct users of the month <= the sum of daily counts
    assert (got["active_users"] <= exact["active_users"]).all()
    summed = daily.assign(month=daily["date"].dt.to_period("M").dt.to_timestamp()) \
        .groupby(["account_id", "feature", "month"])["active_users"].sum()
    assert (exact["active_users"] <= summed.reindex(exact.index)).all()
