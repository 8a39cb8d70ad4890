"""Raw product-usage events and their reduction to the monthly ``usage`` table.

Product analytics exports one row per event: ``(account_id, user_id, feature,
occurred_at)``. The kit's ``usage`` contract table has one row per account,
feature and month with the distinct active users and the event count.
:func:`usage_from_events` does the reduction in pandas; :func:`reduce_usage_events`
does it inside a DuckDB file (for tables too large for memory), and
:func:`events_from_usage` / :func:`write_usage_events` go the other way, to build
synthetic raw events consistent with a ``usage`` table (tests and ``cslib.bench``).
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
    "reduce_usage_events",
    "events_from_usage",
    "write_usage_events",
]

#: Columns of a raw usage event table (one row per event).
EVENT_COLUMNS = ("account_id", "user_id", "feature", "occurred_at")
#: Columns of the ``usage`` contract table.
USAGE_COLUMNS = ("account_id", "feature", "month", "active_users", "events")

_DAY_S = 86_400


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
    """Reduce a raw event table to the ``usage`` table inside a DuckDB database.

    The same reduction as :func:`usage_from_events`, in SQL (``GROUP BY`` with
    ``count(DISTINCT user)``), so the events never pass through pandas.

    Parameters
    ----------
    database : path or duckdb.DuckDBPyConnection
        A DuckDB file (opened read-write) or an open connection.
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
    con, own = _connect(database)
    try:
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema()").fetchall()}
        if events_table not in tables:
            raise SchemaError(f"reduce_usage_events: table `{events_table}` not found in the "
                              f"database (tables: {sorted(tables)}). Load the raw events into "
                              "it or pass `events_table=`.")
        if usage_table in tables and not replace:
            raise SchemaError(f"reduce_usage_events: table `{usage_table}` already exists; "
                              "pass `replace=True` to overwrite it.")
        present = [r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "AND table_schema = current_schema()", [events_table]).fetchall()]
        wanted = {"account": account, "user": user, "feature": feature, "at": at}
        missing = [f"`{c}` ({role})" for role, c in wanted.items() if c not in present]
        if missing:
            raise SchemaError(f"reduce_usage_events: table `{events_table}` has no column(s) "
                              f"{', '.join(missing)}; columns present: {present}. Pass the "
                              "names as keyword arguments.")
        a, u, f, t = (_quote(c) for c in (account, user, feature, at))
        ev, us = _quote(events_table), _quote(usage_table)
        nulls = con.execute(f"SELECT count(*) FILTER (WHERE {a} IS NULL), "
                            f"count(*) FILTER (WHERE {f} IS NULL), "
                            f"count(*) FILTER (WHERE {t} IS NULL) FROM {ev}").fetchone()
        bad = {c: n for c, n in zip((account, feature, at), nulls, strict=True) if n}
        if bad:
            detail = ", ".join(f"`{c}` ({n} rows)" for c, n in bad.items())
            raise SchemaError(f"reduce_usage_events: `{events_table}` has missing values in "
                              f"{detail}; every event needs an account, a feature and a "
                              "timestamp. Delete or fix those rows.")
        con.execute(
            f"CREATE OR REPLACE TABLE {us} AS "
            f"SELECT CAST({a} AS VARCHAR) AS account_id, CAST({f} AS VARCHAR) AS feature, "
            f"CAST(date_trunc('month', CAST({t} AS TIMESTAMP)) AS TIMESTAMP) AS month, "
            f"CAST(count(DISTINCT {u}) AS BIGINT) AS active_users, "
            f"CAST(count(*) AS BIGINT) AS events "
            f"FROM {ev} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")
        if own:
            con.execute("CHECKPOINT")
        return int(con.execute(f"SELECT count(*) FROM {us}").fetchone()[0])
    finally:
        if own:
            con.close()


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
