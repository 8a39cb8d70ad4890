"""Raw product-usage events and their reduction to the monthly ``usage`` table.

Product analytics exports one row per event: ``(account_id, user_id, feature,
occurred_at)``. The kit's ``usage`` contract table has one row per account,
feature and month with the distinct active users and/or the event count.
:func:`usage_from_events` does the reduction in pandas; :func:`reduce_usage_events`
does it inside a DuckDB file (for tables too large for memory), and
:func:`events_from_usage` / :func:`write_usage_events` go the other way, to build
synthetic raw events consistent with a ``usage`` table (tests and ``cslib.bench``).

Exports that are already counted per day go through :func:`usage_to_months`
(:func:`cslib.io.load` does it for a day-level ``usage`` table): events are
summed, but distinct users cannot be added up across days, so the month's
``active_users`` is the highest daily count, a lower bound of the month's
distinct users. For exact counts, export the raw events and reduce them here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from .exceptions import SchemaError, SourceError

__all__ = [
    "EVENT_COLUMNS",
    "USAGE_COLUMNS",
    "usage_from_events",
    "usage_to_months",
    "feature_used",
    "reduce_usage_events",
    "events_from_usage",
    "write_usage_events",
]

#: Columns of a raw usage event table (one row per event).
EVENT_COLUMNS = ("account_id", "user_id", "feature", "occurred_at")
#: Columns of the ``usage`` contract table.
USAGE_COLUMNS = ("account_id", "feature", "month", "active_users", "events")

_DAY_S = 86_400


def feature_used(usage: pd.DataFrame) -> pd.Series:
    """Was the feature used in each row? ``active_users > 0``, else ``events > 0``.

    The ``usage`` contract allows ``active_users``, ``events`` or both; a row
    counts as use when the active users are above zero, or, where the table has
    no ``active_users`` column, when the events are.

    Parameters
    ----------
    usage : pandas.DataFrame
        The ``usage`` table. Not modified.

    Returns
    -------
    pandas.Series
        Booleans aligned with ``usage`` (missing counts read as no use).

    Raises
    ------
    SchemaError
        The table has neither ``active_users`` nor ``events``.

    Examples
    --------
    >>> feature_used(pd.DataFrame({"active_users": [0, 3, None]})).tolist()
    [False, True, False]
    >>> feature_used(pd.DataFrame({"events": [5, 0]})).tolist()
    [True, False]
    """
    column = next((c for c in ("active_users", "events") if c in usage.columns), None)
    if column is None:
        have = ", ".join(f"`{c}`" for c in usage.columns)
        raise SchemaError(f"usage has neither `active_users` nor `events` (columns are: "
                          f"{have}); add one of them to the usage export.")
    counts = pd.to_numeric(usage[column], errors="coerce").fillna(0)
    return pd.Series(counts.to_numpy() > 0, index=usage.index, name="used")


def _require(frame: pd.DataFrame, columns: dict[str, str], where: str) -> None:
    missing = [f"`{col}` ({role})" for role, col in columns.items() if col not in frame.columns]
    if missing:
        raise SchemaError(f"{where}: missing column(s) {', '.join(missing)}; columns present: "
                          f"{list(map(str, frame.columns))}. Rename them or pass the names as "
                          "keyword arguments.")


def usage_from_events(
    events: pd.DataFrame,
    *,
    account: str = "account_id",
    user: str = "user_id",
    feature: str = "feature",
    at: str = "occurred_at",
) -> pd.DataFrame:
    """Reduce raw usage events to the monthly ``usage`` table.

    Parameters
    ----------
    events : pandas.DataFrame
        One row per event. Not modified.
    account, user, feature, at : str
        Columns holding the account, the user, the feature and the event's
        timestamp (naive, or timezone-aware: the month is taken in that zone).

    Returns
    -------
    pandas.DataFrame
        ``account_id``, ``feature``, ``month`` (first day, ``datetime64[ns]``),
        ``active_users`` (distinct users, ``Int64``) and ``events`` (``Int64``),
        one row per account, feature and month that has events, sorted by them.

    Raises
    ------
    SchemaError
        A column is missing, or account, feature or timestamp has missing values.

    Examples
    --------
    >>> ev = pd.DataFrame({"account_id": ["A1", "A1", "A1"], "user_id": ["U1", "U2", "U1"],
    ...                    "feature": ["api"] * 3,
    ...                    "occurred_at": pd.to_datetime(["2026-09-03 10:00", "2026-09-20 09:30",
    ...                                                   "2026-10-01 08:00"])})
    >>> usage_from_events(ev)
      account_id feature      month  active_users  events
    0         A1     api 2026-09-01             2       2
    1         A1     api 2026-10-01             1       1
    """
    _require(events, {"account": account, "user": user, "feature": feature, "at": at},
             "usage_from_events")
    stamps = pd.to_datetime(events[at])
    missing = {col: int(s.isna().sum()) for col, s in
               ((account, events[account]), (feature, events[feature]), (at, stamps))}
    missing = {c: n for c, n in missing.items() if n}
    if missing:
        detail = ", ".join(f"`{c}` ({n} rows)" for c, n in missing.items())
        raise SchemaError(f"usage_from_events: missing values in {detail}; every event needs "
                          "an account, a feature and a timestamp. Drop or fix those rows.")
    if stamps.dt.tz is not None:
        stamps = stamps.dt.tz_localize(None)
    month = stamps.to_numpy().astype("datetime64[M]").astype("datetime64[ns]")
    frame = pd.DataFrame({"account_id": events[account].to_numpy(),
                          "feature": events[feature].to_numpy(),
                          "month": month,
                          "_user": events[user].to_numpy()})
    for col, src in (("account_id", account), ("feature", feature)):
        frame[col] = frame[col].astype(events[src].dtype)
    out = (frame.groupby(["account_id", "feature", "month"], sort=True, observed=True)["_user"]
           .agg(active_users="nunique", events="size")
           .reset_index())
    return out.astype({"active_users": "Int64", "events": "Int64"})


def usage_to_months(
    usage: pd.DataFrame,
    *,
    day: str = "date",
    account: str = "account_id",
    feature: str = "feature",
    active_users: str = "active_users",
    events: str = "events",
) -> pd.DataFrame:
    """Reduce day-level usage counts to the monthly ``usage`` table.

    Parameters
    ----------
    usage : pandas.DataFrame
        One row per account, feature and day, with ``active_users`` and/or
        ``events`` counts. Not modified.
    day : str, default "date"
        The day of each row (a date or timestamp; the month is its first day).
    account, feature, active_users, events : str
        Column names. At least one of ``active_users`` and ``events`` must be
        present; the other may be absent.

    Returns
    -------
    pandas.DataFrame
        ``account_id``, ``feature``, ``month`` (first day, ``datetime64[ns]``)
        and whichever of ``active_users`` and ``events`` the input has
        (``Int64``), one row per account, feature and month, sorted by them:

        - ``events``: the sum of the days' events (missing if every day is);
        - ``active_users``: the **highest daily** count. Users active on
          several days cannot be told apart in daily counts, so this is a
          lower bound of the month's distinct users (the true count lies
          between it and the sum of the daily counts). Reduce raw events
          with :func:`usage_from_events` or :func:`reduce_usage_events` for
          exact counts.

    Raises
    ------
    SchemaError
        A column is missing, or a day cannot be read as a date.

    Examples
    --------
    >>> daily = pd.DataFrame({"account_id": ["A1", "A1", "A1"], "feature": ["api"] * 3,
    ...                       "date": pd.to_datetime(["2026-09-01", "2026-09-02",
    ...                                               "2026-10-05"]),
    ...                       "active_users": [2, 3, 1], "events": [5, 4, 7]})
    >>> usage_to_months(daily)
      account_id feature      month  active_users  events
    0         A1     api 2026-09-01             3       9
    1         A1     api 2026-10-01             1       7
    """
    _require(usage, {"account": account, "feature": feature, "day": day}, "usage_to_months")
    counts = [c for c in (active_users, events) if c in usage.columns]
    if not counts:
        raise SchemaError(f"usage_to_months: none of `{active_users}`, `{events}` is present "
                          f"(columns present: {list(map(str, usage.columns))}); usage needs "
                          "active users and/or events.")
    try:
        days = pd.to_datetime(usage[day])
    except (ValueError, TypeError) as err:
        raise SchemaError(f"usage_to_months: column `{day}` cannot be read as dates ({err}). "
                          "Load the table with cslib.io.load or convert it with "
                          "pd.to_datetime.") from None
    if days.dt.tz is not None:
        days = days.dt.tz_localize(None)
    frame = pd.DataFrame({
        "account_id": usage[account].to_numpy(),
        "feature": usage[feature].to_numpy(),
        "month": days.to_numpy().astype("datetime64[M]").astype("datetime64[ns]"),
    })
    for col in ("account_id", "feature"):
        frame[col] = frame[col].astype(usage[account if col == "account_id" else feature].dtype)
    aggs = []
    if active_users in usage.columns:
        frame["active_users"] = pd.to_numeric(usage[active_users]).to_numpy()
        aggs.append("active_users")
    if events in usage.columns:
        frame["events"] = pd.to_numeric(usage[events]).to_numpy()
        aggs.append("events")
    g = frame.groupby(["account_id", "feature", "month"], sort=True, dropna=False,
                      observed=True)
    parts = []
    if "active_users" in aggs:
        parts.append(g["active_users"].max())
    if "events" in aggs:
        parts.append(g["events"].sum(min_count=1))
    out = pd.concat(parts, axis=1).reset_index()
    return out.astype({c: "Int64" for c in aggs})


def _connect(database):
    import duckdb

    if isinstance(database, duckdb.DuckDBPyConnection):
        return database, False
    path = Path(os.fspath(database))
    if not path.exists():
        raise SourceError(f"DuckDB file {path} not found. Check the path, or write the raw "
                          "events into it first.")
    return duckdb.connect(str(path)), True


def _quote(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def reduce_usage_events(
    database,
    *,
    events_table: str = "usage_events",
    usage_table: str = "usage",
    replace: bool = True,
    account: str = "account_id",
    user: str = "user_id",
    feature: str = "feature",
    at: str = "occurred_at",
) -> int:
    """Reduce a raw event table to the ``usage`` table inside the database that holds it.

    The same reduction as :func:`usage_from_events`, in SQL (``GROUP BY``), so
    the events never pass through pandas: inside a DuckDB file, or inside a
    PostgreSQL warehouse (given as a URL), so no batch worker ever pulls raw
    events over the network.

    Parameters
    ----------
    database : path, duckdb.DuckDBPyConnection or str URL
        A DuckDB file (opened read-write), an open connection, or a
        SQLAlchemy URL of a PostgreSQL database (``postgresql://user@host/db``).
    events_table : str
        The raw event table.
    usage_table : str
        The table to write (``CREATE OR REPLACE`` when ``replace``).
    replace : bool
        Replace ``usage_table`` if it exists; if false an existing table is an error.
    account, user, feature, at : str
        Columns of ``events_table``.

    Returns
    -------
    int
        Rows written to ``usage_table``.

    Raises
    ------
    SourceError
        The DuckDB file does not exist.
    SchemaError
        The event table or one of its columns is missing, key columns have
        missing values, or ``usage_table`` exists and ``replace`` is false.

    Examples
    --------
    >>> reduce_usage_events("data/warehouse.duckdb")  # doctest: +SKIP
    4210706
    """
    if isinstance(database, str) and "://" in database:
        return _reduce_usage_events_sql(database, events_table=events_table,
                                        usage_table=usage_table, replace=replace,
                                        columns=(account, user, feature, at))
    con, own = _connect(database)
    try:
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema()").fetchall()}
        columns = (account, user, feature, at)
        present = [r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "AND table_schema = current_schema()", [events_table]).fetchall()]
        _check_event_table(tables, present, events_table, usage_table, replace, columns)
        a, u, f, t = (_quote(c) for c in columns)
        ev, us = _quote(events_table), _quote(usage_table)
        _check_event_nulls(con.execute(_nulls_sql(a, f, t, ev)).fetchone(), events_table,
                           columns)
        # Events per user first, then users per month: the same counts as
        # count(DISTINCT user) (a NULL user adds events but no user) and a quarter
        # faster on 25 million events.
        con.execute(
            f"CREATE OR REPLACE TABLE {us} AS "
            "SELECT account_id, feature, month, CAST(count(user_id) AS BIGINT) AS active_users, "
            "CAST(sum(n) AS BIGINT) AS events FROM ("
            f"SELECT CAST({a} AS VARCHAR) AS account_id, CAST({f} AS VARCHAR) AS feature, "
            f"CAST(date_trunc('month', CAST({t} AS TIMESTAMP)) AS TIMESTAMP) AS month, "
            f"{u} AS user_id, count(*) AS n FROM {ev} GROUP BY 1, 2, 3, 4) "
            "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")
        if own:
            con.execute("CHECKPOINT")
        return int(con.execute(f"SELECT count(*) FROM {us}").fetchone()[0])
    finally:
        if own:
            con.close()


def _check_event_table(tables, present, events_table: str, usage_table: str, replace: bool,
                       columns: tuple[str, str, str, str]) -> None:
    """The event table exists with its columns, and the usage table may be written."""
    if events_table not in tables:
        raise SchemaError(f"reduce_usage_events: table `{events_table}` not found in the "
                          f"database (tables: {sorted(tables)}). Load the raw events into "
                          "it or pass `events_table=`.")
    if usage_table in tables and not replace:
        raise SchemaError(f"reduce_usage_events: table `{usage_table}` already exists; "
                          "pass `replace=True` to overwrite it.")
    wanted = dict(zip(("account", "user", "feature", "at"), columns, strict=True))
    missing = [f"`{c}` ({role})" for role, c in wanted.items() if c not in present]
    if missing:
        raise SchemaError(f"reduce_usage_events: table `{events_table}` has no column(s) "
                          f"{', '.join(missing)}; columns present: {present}. Pass the "
                          "names as keyword arguments.")


def _nulls_sql(account: str, feature: str, at: str, events: str) -> str:
    return (f"SELECT count(*) FILTER (WHERE {account} IS NULL), "
            f"count(*) FILTER (WHERE {feature} IS NULL), "
            f"count(*) FILTER (WHERE {at} IS NULL) FROM {events}")


def _check_event_nulls(nulls, events_table: str, columns: tuple[str, str, str, str]) -> None:
    account, _, feature, at = columns
    bad = {c: n for c, n in zip((account, feature, at), nulls, strict=True) if n}
    if bad:
        detail = ", ".join(f"`{c}` ({n} rows)" for c, n in bad.items())
        raise SchemaError(f"reduce_usage_events: `{events_table}` has missing values in "
                          f"{detail}; every event needs an account, a feature and a "
                          "timestamp. Delete or fix those rows.")


def _reduce_usage_events_sql(url: str, *, events_table: str, usage_table: str, replace: bool,
                             columns: tuple[str, str, str, str]) -> int:
    """:func:`reduce_usage_events` inside a PostgreSQL database, through SQLAlchemy."""
    import sqlalchemy as sa

    from .readers import _engine_url

    engine = sa.create_engine(_engine_url(url))
    try:
        with engine.begin() as con:
            inspector = sa.inspect(con)
            tables = set(inspector.get_table_names())
            present = ([c["name"] for c in inspector.get_columns(events_table)]
                       if events_table in tables else [])
            _check_event_table(tables, present, events_table, usage_table, replace, columns)
            a, u, f, t = (_quote(c) for c in columns)
            ev, us = _quote(events_table), _quote(usage_table)
            _check_event_nulls(con.execute(sa.text(_nulls_sql(a, f, t, ev))).one(),
                               events_table, columns)
            con.execute(sa.text(f"DROP TABLE IF EXISTS {us}"))
            con.execute(sa.text(
                f"CREATE TABLE {us} AS "
                "SELECT account_id, feature, month, CAST(count(user_id) AS BIGINT) AS "
                "active_users, CAST(sum(n) AS BIGINT) AS events FROM ("
                f"SELECT CAST({a} AS TEXT) AS account_id, CAST({f} AS TEXT) AS feature, "
                f"CAST(date_trunc('month', CAST({t} AS TIMESTAMP)) AS TIMESTAMP) AS month, "
                f"{u} AS user_id, count(*) AS n FROM {ev} GROUP BY 1, 2, 3, 4) AS per_user "
                "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"))
            return int(con.execute(sa.text(f"SELECT count(*) FROM {us}")).scalar_one())
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- synthetic events
def _check_usage(usage: pd.DataFrame, users: pd.DataFrame):
    """Codes and arrays the event expansion needs, after checking the inputs."""
    _require(usage, {c: c for c in USAGE_COLUMNS}, "events_from_usage: `usage`")
    _require(users, {"user_id": "user_id", "account_id": "account_id"},
             "events_from_usage: `users`")
    problems = []
    for col in USAGE_COLUMNS:
        n = int(usage[col].isna().sum())
        if n:
            problems.append(f"`{col}` has {n} missing values")
    if problems:
        raise SchemaError("events_from_usage: " + "; ".join(problems) + ". Every usage row "
                          "needs all of account_id, feature, month, active_users and events.")
    if users["user_id"].duplicated().any():
        raise SchemaError("events_from_usage: `users.user_id` has duplicates; user ids must be "
                          "unique.")
    active = usage["active_users"].to_numpy(dtype=np.int64)
    n_events = usage["events"].to_numpy(dtype=np.int64)
    bad = (active < 1) | (n_events < active)
    if bad.any():
        raise SchemaError(f"events_from_usage: {int(bad.sum())} usage rows (e.g. row "
                          f"{int(np.flatnonzero(bad)[0])}) have `active_users` < 1 or `events` "
                          "< `active_users`; raw events cannot produce them (every active user "
                          "has at least one event).")
    order = np.argsort(users["account_id"].to_numpy(dtype=object), kind="stable")
    u_acc = users["account_id"].to_numpy(dtype=object)[order]
    acc_ids, n_users = np.unique(u_acc, return_counts=True)
    user_ids = users["user_id"].to_numpy(dtype=object)[order]
    acc_code = pd.Index(acc_ids).get_indexer(usage["account_id"].to_numpy(dtype=object))
    if (acc_code < 0).any():
        raise SchemaError(f"events_from_usage: {int((acc_code < 0).sum())} usage rows belong to "
                          "accounts with no row in `users` (e.g. "
                          f"{usage['account_id'].iloc[int(np.flatnonzero(acc_code < 0)[0])]!r}).")
    too_many = active > n_users[acc_code]
    if too_many.any():
        raise SchemaError(f"events_from_usage: {int(too_many.sum())} usage rows have more "
                          "`active_users` than the account has users in `users`.")
    feat_ids, feat_code = np.unique(usage["feature"].to_numpy(dtype=object), return_inverse=True)
    month = usage["month"].to_numpy(dtype="datetime64[s]").astype(np.int64)
    u_start = np.cumsum(n_users) - n_users
    return {"acc_ids": acc_ids, "user_ids": user_ids, "feat_ids": feat_ids,
            "acc_code": acc_code, "feat_code": feat_code, "month": month, "active": active,
            "events": n_events, "n_users": n_users, "u_start": u_start}


def _event_chunks(usage, users, *, seed, days_per_month, chunk_rows) -> Iterator[tuple]:
    """Yield ``(arrays, dictionaries)`` of at most about ``chunk_rows`` events at a time."""
    c = _check_usage(usage, users)
    rng = np.random.default_rng(seed)
    ends = np.cumsum(c["events"])
    # Chunk boundaries on usage rows, so no row's events straddle two chunks.
    cuts = np.searchsorted(ends, np.arange(chunk_rows, ends[-1] if len(ends) else 0,
                                           chunk_rows), side="right") if len(ends) else []
    bounds = np.unique(np.concatenate([[0], cuts, [len(ends)]]).astype(np.int64))
    dicts = {"account_id": c["acc_ids"], "user_id": c["user_ids"], "feature": c["feat_ids"]}
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        e = c["events"][lo:hi]
        a = c["active"][lo:hi]
        acc = c["acc_code"][lo:hi]
        total = int(e.sum())
        row = np.repeat(np.arange(hi - lo), e)
        within = np.arange(total) - np.repeat(np.cumsum(e) - e, e)
        a_ev = a[row]
        # The first `active` events of a row go one to each of its active users, so all of
        # them show up; the rest go to a random one of those users.
        slot = np.where(within < a_ev, within, rng.integers(0, a_ev))
        nu = c["n_users"][acc]
        offset = rng.integers(0, nu)  # which of the account's users are the active ones
        user = c["u_start"][acc][row] + (offset[row] + slot) % nu[row]
        secs = (c["month"][lo:hi][row] + rng.integers(0, days_per_month, total) * _DAY_S
                + rng.integers(0, _DAY_S, total))
        yield ({"account_id": acc[row].astype(np.int32), "user_id": user.astype(np.int32),
                "feature": c["feat_code"][lo:hi][row].astype(np.int32),
                "occurred_at": secs.astype("datetime64[s]")}, dicts)


def events_from_usage(
    usage: pd.DataFrame,
    users: pd.DataFrame,
    *,
    seed: int = 0,
    days_per_month: int = 28,
    chunk_rows: int = 2_000_000,
) -> pd.DataFrame:
    """Expand a ``usage`` table into synthetic raw events consistent with it.

    Each usage row (account, feature, month) becomes ``events`` rows spread over
    ``active_users`` distinct users of the account (every one of them has at least
    one event) on random days and times of the month's first ``days_per_month``
    days, so :func:`usage_from_events` gives the usage table back exactly.

    Parameters
    ----------
    usage : pandas.DataFrame
        The ``usage`` contract table, with ``events`` filled and
        ``1 <= active_users <= events``. Not modified.
    users : pandas.DataFrame
        The ``users`` table (``user_id``, ``account_id``); each account needs at
        least ``active_users`` users. Not modified.
    seed : int
        Random seed; the same seed and ``chunk_rows`` give identical events.
    days_per_month : int
        Events fall on the first ``days_per_month`` days of the month (1-28).
    chunk_rows : int
        Events generated at a time (memory bound of :func:`write_usage_events`).

    Returns
    -------
    pandas.DataFrame
        ``account_id``, ``user_id``, ``feature``, ``occurred_at``
        (``datetime64[s]``), one row per event.

    Raises
    ------
    SchemaError
        A column is missing, a value is missing, or a row cannot be produced by
        events (``active_users < 1``, ``events < active_users``, more active users
        than the account has).

    Examples
    --------
    >>> usage = pd.DataFrame({"account_id": ["A1"], "feature": ["api"],
    ...                       "month": pd.to_datetime(["2026-10-01"]),
    ...                       "active_users": [2], "events": [3]})
    >>> users = pd.DataFrame({"user_id": ["U1", "U2", "U3"], "account_id": ["A1"] * 3})
    >>> events_from_usage(usage, users, seed=1)  # doctest: +SKIP
      account_id user_id feature         occurred_at
    0         A1      U3     api 2026-10-19 05:12:44
    1         A1      U1     api 2026-10-02 21:40:09
    2         A1      U3     api 2026-10-11 13:03:55
    """
    if not 1 <= days_per_month <= 28:
        raise ValueError(f"`days_per_month` must be 1-28, got {days_per_month}")
    parts = list(_event_chunks(usage, users, seed=seed, days_per_month=days_per_month,
                               chunk_rows=chunk_rows))
    if not parts:
        return pd.DataFrame({"account_id": pd.Series([], dtype="str"),
                             "user_id": pd.Series([], dtype="str"),
                             "feature": pd.Series([], dtype="str"),
                             "occurred_at": pd.Series([], dtype="datetime64[s]")})
    dicts = parts[0][1]
    cols = {}
    for name in EVENT_COLUMNS:
        codes = np.concatenate([p[0][name] for p in parts])
        if name == "occurred_at":
            cols[name] = pd.Series(codes)
        else:
            cols[name] = pd.Series(pd.array(dicts[name], dtype="str").take(codes))
    return pd.DataFrame(cols)


def write_usage_events(
    database,
    usage: pd.DataFrame,
    users: pd.DataFrame,
    *,
    table: str = "usage_events",
    seed: int = 0,
    days_per_month: int = 28,
    chunk_rows: int = 2_000_000,
) -> int:
    """Write :func:`events_from_usage`'s events into a DuckDB table, chunk by chunk.

    Each chunk goes to DuckDB as an Arrow table with dictionary-encoded ids, so
    memory stays around ``chunk_rows`` events whatever the total.

    Parameters
    ----------
    database : path or duckdb.DuckDBPyConnection
        A DuckDB file (created if missing) or an open connection.
    usage, users : pandas.DataFrame
        As in :func:`events_from_usage`.
    table : str
        The table to (re)create.
    seed, days_per_month, chunk_rows
        As in :func:`events_from_usage` (same arguments, same events).

    Returns
    -------
    int
        Rows written.
    """
    import duckdb
    import pyarrow as pa

    if isinstance(database, duckdb.DuckDBPyConnection):
        con, own = database, False
    else:
        con, own = duckdb.connect(os.fspath(database)), True
    try:
        t = _quote(table)
        con.execute(f"CREATE OR REPLACE TABLE {t} (account_id VARCHAR, user_id VARCHAR, "
                    "feature VARCHAR, occurred_at TIMESTAMP)")
        written = 0
        arrow_dicts = None
        for arrays, dicts in _event_chunks(usage, users, seed=seed,
                                           days_per_month=days_per_month,
                                           chunk_rows=chunk_rows):
            if arrow_dicts is None:
                arrow_dicts = {k: pa.array(v, type=pa.string()) for k, v in dicts.items()}
            chunk = pa.table({
                **{k: pa.DictionaryArray.from_arrays(pa.array(arrays[k]), arrow_dicts[k])
                   for k in ("account_id", "user_id", "feature")},
                "occurred_at": pa.array(arrays["occurred_at"], type=pa.timestamp("s")),
            })
            con.register("_events_chunk", chunk)
            con.execute(f"INSERT INTO {t} SELECT CAST(account_id AS VARCHAR), "
                        "CAST(user_id AS VARCHAR), CAST(feature AS VARCHAR), "
                        "CAST(occurred_at AS TIMESTAMP) FROM _events_chunk")
            con.unregister("_events_chunk")
            written += chunk.num_rows
        if own:
            con.execute("CHECKPOINT")
        return written
    finally:
        if own:
            con.close()
