"""Readers: the kit's tables as raw frames from DuckDB, a folder or a SQL database.

Each reader returns ``(tables, files)``: the frames it found, by table name,
and where each was read from. Nothing here validates; :func:`cslib.io.load`
does that. A segment's rows are filtered in the query where the source allows
(DuckDB, SQL) and in pandas otherwise (:func:`filter_segment`).
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from .dialect import AmbiguousDialectWarning, CsvDialect, read_csv
from .exceptions import ParamsError, SourceError
from .schemas import SCHEMAS, is_in

__all__ = ["DEMO_PATH", "default_source", "demo_source"]

#: Where the demo warehouse lives, relative to the project root.
DEMO_PATH = Path("data") / "demo.duckdb"

_SQL_SCHEMES = ("postgresql", "postgres", "mysql", "mssql", "oracle", "sqlite", "snowflake",
                "redshift", "bigquery")


def default_source() -> str:
    """The source used when none is given, for the CLI and the report context.

    ``$CSLIB_SOURCE`` if set, else :func:`demo_source`. (:func:`cslib.io.load`
    reads no environment variable: given no source it uses :func:`demo_source`.)
    """
    env = os.environ.get("CSLIB_SOURCE")
    if env:
        return env
    return demo_source()


def demo_source() -> str:
    """``data/demo.duckdb`` in the current folder or the nearest parent folder that has
    one (so notebooks opened from ``notebooks/`` find the project's demo warehouse)."""
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        candidate = folder / DEMO_PATH
        if candidate.exists():
            return str(candidate)
    return str(DEMO_PATH)


def _kind(source: str) -> str:
    scheme = source.split(":", 1)[0].split("+", 1)[0].lower() if "://" in source else ""
    if scheme == "duckdb":
        return "duckdb"
    if scheme in _SQL_SCHEMES:
        return "sql"
    path = Path(source)
    if path.is_dir():
        return "folder"
    if path.suffix.lower() in (".csv", ".parquet", ".txt", ".gz", ".xlsx", ".tsv"):
        raise SourceError(
            f"{source!r} is one file, but a source is a whole warehouse: a folder of "
            "CSV/Parquet files named after the tables (accounts.csv, mrr.csv, "
            "nps_responses.csv, ...), a DuckDB file or a database URL. Put the file in a "
            f"folder with the other tables and give the folder ({path.parent or '.'}).")
    if path.suffix.lower() in (".duckdb", ".db", ".ddb"):
        return "duckdb"
    if path.exists():
        return "duckdb"
    raise SourceError(
        f"Data source {source!r} not found. Give a DuckDB file, a folder of CSV/Parquet "
        "files named after the tables, or a database URL such as "
        "postgresql://user@host/db. To build the demo warehouse run `cslib demo-data`."
    )


def _account_filter(table: str, accounts: str = "segment = $segment") -> str | None:
    """SQL that keeps only the rows of ``table`` that belong to the accounts where
    ``accounts`` holds (by default: of the segment ``$segment``)."""
    if table == "accounts":
        return accounts
    if "account_id" in SCHEMAS[table].column_names:
        return f"account_id IN (SELECT account_id FROM accounts WHERE {accounts})"
    if table == "loop_actions":
        return ("response_id IN (SELECT response_id FROM nps_responses WHERE account_id IN "
                f"(SELECT account_id FROM accounts WHERE {accounts}))")
    if table == "opportunity_stages":
        return ("opportunity_id IN (SELECT opportunity_id FROM opportunities WHERE account_id "
                f"IN (SELECT account_id FROM accounts WHERE {accounts}))")
    return None


#: Threads of each DuckDB connection that reads a source (None: DuckDB's default, one
#: per core); set in the processes that prepare segments side by side.
_DUCKDB_THREADS: int | None = None


def _read_duckdb(path: str, names: Iterable[str], segment: str | None):
    import duckdb

    if path.startswith("duckdb:///"):
        path = path[len("duckdb:///"):]
    if not Path(path).exists():
        raise SourceError(f"DuckDB file {path} not found. Run `cslib demo-data` to build "
                          "the demo warehouse, or point `source` at your own file.")
    try:
        con = duckdb.connect(path, read_only=True,
                             config={"threads": _DUCKDB_THREADS} if _DUCKDB_THREADS else {})
    except duckdb.Error as err:
        raise SourceError(f"{path}: cannot be opened as a DuckDB database ({err}).") from err
    try:
        present = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()}
        tables, files = {}, {}
        for name in names:
            if name not in present:
                continue
            query = f'SELECT * FROM "{name}"'
            params = {}
            where = _account_filter(name) if segment is not None else None
            if name == "opportunity_stages" and "opportunities" not in present:
                where = None  # validation says the stages name unknown opportunities
            if where:
                # in the table's own order, as a whole-table read gives it (a filtered
                # parallel scan would not keep it, and a report must not depend on luck)
                query += " WHERE " + where + " ORDER BY rowid"
                params = {"segment": segment}
            tables[name] = _duckdb_frame(con, query, params)
            files[name] = f"{path}:{name}"
        return tables, files
    finally:
        con.close()


def _duckdb_frame(con, query: str, params: dict):
    """``con.sql(query).df()``, with its text columns converted through Arrow.

    The same frame (a test checks it for every column type), several times
    faster: ``.df()`` builds a Python string per text value, which pandas then
    converts to Arrow strings again. Columns that are all missing, and every
    other type, still go through DuckDB's own conversion.
    """
    import duckdb
    import pyarrow as pa

    table = con.sql(query, params=params or None).to_arrow_table()
    names = table.column_names
    if len(set(names)) < len(names):
        return duckdb.from_arrow(table).df()
    text = [f.name for f in table.schema
            if (pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
                or pa.types.is_string_view(f.type))
            and table.column(f.name).null_count < table.num_rows]
    if not text:
        return duckdb.from_arrow(table).df()
    frame = table.select(text).to_pandas()
    rest = [n for n in names if n not in text]
    if rest:
        others = duckdb.from_arrow(table.select(rest)).df()
        for name in rest:
            frame[name] = others[name]
    return frame[names]


#: The file names a table is read from in a folder, in this order.
FOLDER_SUFFIXES = (".parquet", ".csv", ".csv.gz", ".txt")


def _read_folder(folder: Path, names: Iterable[str], csv, timezone: str | None = None):
    """Each table's file of a folder, read; ``csv`` is a ``csv:`` mapping (options per
    table allowed) or a :class:`CsvDialect` for every file."""
    tables, files, notes = {}, {}, []
    for name in names:
        found = [folder / f"{name}{suffix}" for suffix in FOLDER_SUFFIXES
                 if (folder / f"{name}{suffix}").exists()]
        if len(found) > 1:
            raise SourceError(
                f"{folder}: table `{name}` is there twice, as "
                + " and ".join(p.name for p in found) + ". Keep one file per table (remove "
                "or rename the others), so that which one is read is never a guess.")
        if not found:
            continue
        path = found[0]
        if path.suffix == ".parquet":
            try:
                tables[name] = pd.read_parquet(path)
            except Exception as err:  # pyarrow raises many types
                raise SourceError(f"{path}: not a readable Parquet file ({err}).") from err
        else:
            dialect = csv if isinstance(csv, CsvDialect) else CsvDialect.from_params(csv, name)
            with warnings.catch_warnings():
                # the ambiguity is reported once, by load(), as a note and a warning
                warnings.simplefilter("ignore", AmbiguousDialectWarning)
                tables[name] = read_csv(path, name, dialect, timezone=timezone)
            if "dialect_note" in tables[name].attrs:
                notes.append(tables[name].attrs["dialect_note"])
        files[name] = str(path)
    return tables, files, notes


def _normal_name(stem: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", stem.lower()).strip("_")


def near_misses(folder: Path, name: str) -> list[str]:
    """Files of ``folder`` that look like table ``name`` but are not named exactly so
    (``Accounts.csv``, ``nps-responses.csv``, ``accounts (1).csv``)."""
    out = []
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return out
    wanted = _normal_name(name)
    for p in entries:
        stem = p.name
        for suffix in FOLDER_SUFFIXES:
            if stem.lower().endswith(suffix):
                stem = stem[: -len(suffix)]
                break
        else:
            continue
        normal = _normal_name(stem)
        if stem != name and (normal == wanted or normal.rstrip("_0123456789") == wanted
                               or normal == wanted + "s" or normal + "s" == wanted):
            out.append(p.name)
    return out


def _engine_url(url: str) -> str:
    scheme, rest = url.split("://", 1)
    if scheme in ("postgresql", "postgres"):
        return "postgresql+psycopg://" + rest
    return url


def _segment_clause(sa, name: str, columns: dict, segment: str, schema: str | None):
    """The WHERE clause keeping ``name``'s rows of one segment's accounts (None: cannot).

    The same rule as :func:`_account_filter`, in SQLAlchemy Core, so the
    database returns only the segment's rows.
    """
    accounts = columns.get("accounts", set())
    if not {"account_id", "segment"} <= accounts:
        return None  # validation will say what is missing
    segment_ids = (sa.select(sa.column("account_id"))
                   .select_from(sa.table("accounts", schema=schema))
                   .where(sa.column("segment") == sa.bindparam("segment", segment)))
    if name == "accounts":
        return sa.column("segment") == sa.bindparam("segment", segment)
    if "account_id" in columns.get(name, set()):
        return sa.column("account_id").in_(segment_ids.scalar_subquery())
    if name == "loop_actions" and "response_id" in columns.get(name, set()) and \
            {"response_id", "account_id"} <= columns.get("nps_responses", set()):
        responses = (sa.select(sa.column("response_id"))
                     .select_from(sa.table("nps_responses", schema=schema))
                     .where(sa.column("account_id").in_(segment_ids.scalar_subquery())))
        return sa.column("response_id").in_(responses.scalar_subquery())
    if name == "opportunity_stages" and "opportunity_id" in columns.get(name, set()) and \
            {"opportunity_id", "account_id"} <= columns.get("opportunities", set()):
        opps = (sa.select(sa.column("opportunity_id"))
                .select_from(sa.table("opportunities", schema=schema))
                .where(sa.column("account_id").in_(segment_ids.scalar_subquery())))
        return sa.column("opportunity_id").in_(opps.scalar_subquery())
    return None


def _read_sql(url: str, names: Iterable[str], schema: str | None, segment: str | None):
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(_engine_url(url))
        with engine.connect() as con:
            inspector = sa.inspect(con)
            present = set(inspector.get_table_names(schema=schema))
            columns = {n: {c["name"] for c in inspector.get_columns(n, schema=schema)}
                       for n in ("accounts", "nps_responses", "opportunities", *names)
                       if n in present}
            tables, files = {}, {}
            for name in names:
                if name not in present:
                    continue
                query = sa.select(sa.text("*")).select_from(sa.table(name, schema=schema))
                if segment is not None:
                    where = _segment_clause(sa, name, columns, segment, schema)
                    if where is not None:
                        query = query.where(where)
                tables[name] = pd.read_sql_query(query, con)
                files[name] = f"{url.split('@')[-1]}:{name}"
        engine.dispose()
    except sa.exc.SQLAlchemyError as err:
        safe = re.sub(r"//[^@/]*@", "//***@", url)
        raise SourceError(f"Cannot read from {safe}: {err.__class__.__name__}: "
                          f"{str(err).splitlines()[0]}. Check the URL, the server and the "
                          "credentials.") from err
    return tables, files



def cut_labels(tables: Mapping[str, pd.DataFrame], cut: str = "segment") -> pd.Series:
    """Which report each account belongs to under a ``cut`` (one label per account row).

    ``"segment"`` and ``"csm"`` are columns of ``accounts``; ``"owner"`` is the
    owner of the account's won opportunity (the latest won, when it has
    several; missing when it has none).

    Examples
    --------
    >>> acc = pd.DataFrame({"account_id": ["A1", "A2"], "csm": ["Ana", "Bruno"]})
    >>> opp = pd.DataFrame({"account_id": ["A1", "A1", None], "owner": ["Rui", "Lia", "Rui"],
    ...     "outcome": ["won", "won", "open"],
    ...     "closed_at": pd.to_datetime(["2025-01-02", "2025-03-01", None])})
    >>> cut_labels({"accounts": acc, "opportunities": opp}, "owner").tolist()
    ['Lia', nan]
    """
    accounts = tables["accounts"]
    if cut in ("segment", "csm"):
        return accounts[cut]
    if cut != "owner":
        raise ParamsError(f"`cut` must be segment, csm or owner, got {cut!r}.")
    opp = tables.get("opportunities")
    if opp is None or opp.empty:
        raise ParamsError("`cut: owner` needs the `opportunities` table (the owner of each "
                          "account's won opportunity); the source has none. Export it, or "
                          "use `cut: segment` or `cut: csm`.")
    won = opp.loc[opp["outcome"].astype(str).str.lower().eq("won") & opp["account_id"].notna()]
    won = won.sort_values("closed_at", kind="stable")
    owner = won.groupby("account_id", sort=False)["owner"].last()
    return accounts["account_id"].map(owner)


def _filter_segment(tables: dict, segment: str, labels: pd.Series | None = None) -> dict:
    """The rows of one report: accounts whose label (by default their segment) is
    ``segment``, and the other tables' rows of those accounts."""
    accounts = tables.get("accounts")
    if accounts is None or (labels is None and "segment" not in accounts):
        return tables
    labels = accounts["segment"] if labels is None else labels
    mine = (labels == segment).fillna(False).to_numpy(dtype=bool)
    keep = accounts.loc[mine, "account_id"]
    out = {"accounts": accounts.loc[mine]}
    for name, frame in tables.items():
        if name == "accounts":
            continue
        if "account_id" in frame:
            out[name] = frame.loc[is_in(frame["account_id"], keep)]
        else:
            out[name] = frame
    if "loop_actions" in out and "nps_responses" in out:
        la = out["loop_actions"]
        answered = out["nps_responses"]["response_id"]
        out["loop_actions"] = la.loc[is_in(la["response_id"], answered)]
    if "opportunity_stages" in out and "opportunities" in out:
        st = out["opportunity_stages"]
        out["opportunity_stages"] = st.loc[is_in(st["opportunity_id"],
                                                 out["opportunities"]["opportunity_id"])]
    return {k: v.reset_index(drop=True) for k, v in out.items()}


