"""Sources: read the kit's tables from DuckDB, CSV/Parquet folders or a warehouse.

:func:`load` is the one door data comes in through. It accepts

* a DuckDB database file (``data/demo.duckdb``, the embedded default),
* a folder of ``<table>.csv`` or ``<table>.parquet`` files,
* a SQLAlchemy URL (``postgresql://user@host/db``) to a warehouse,

drops exact duplicate records (saying how many), and validates every table
against :mod:`cslib.schemas` before returning it.

CSV files are read the way real CRM exports come: UTF-8 with or without a BOM,
or Latin-1; ``,`` ``;`` tab or ``|`` separators; decimal commas
(``1.234,56``); ``dd/mm/yyyy`` dates. The dialect is detected per file, or
declared with ``csv={"sep": ";", "decimal": ",", "dayfirst": True,
"encoding": "latin-1"}`` (the ``csv:`` key of a params file). A file whose
numbers cannot tell their decimal mark (only ``1.500``-shaped values) is read
the Brazilian way when ``;``-separated, else with a decimal point, and the
load report says which reading was assumed and how to declare the other
(:class:`AmbiguousDialectWarning`).
"""

from __future__ import annotations

import csv as _csv
import hashlib
import os
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .exceptions import SourceError
from .schemas import REQUIRED_TABLES, SCHEMAS, is_in, validate

__all__ = [
    "Warehouse",
    "CsvDialect",
    "DuplicateRowsWarning",
    "AmbiguousDialectWarning",
    "DayLevelUsageWarning",
    "load",
    "read_csv",
    "detect_dialect",
    "default_source",
    "fingerprint",
    "write_csv_folder",
    "prepare_segments",
    "prepare_segments_one_by_one",
    "prepared_segments",
    "segment_gaps",
    "PREPARED_ENV",
]

#: Environment variable naming a folder written by :func:`prepare_segments`: while it
#: is set, :func:`load` reads a segment's validated slice from there (the batch sets
#: it for its notebooks, so each reads only its slice and validates nothing again).
PREPARED_ENV = "CSLIB_PREPARED"
_PREPARED_MARKER = "prepared.json"

#: Where the demo warehouse lives, relative to the project root.
DEMO_PATH = Path("data") / "demo.duckdb"

_SQL_SCHEMES = ("postgresql", "postgres", "mysql", "mssql", "oracle", "sqlite", "snowflake",
                "redshift", "bigquery")


class DuplicateRowsWarning(UserWarning):
    """Exact duplicate records were found and dropped."""


class AmbiguousDialectWarning(UserWarning):
    """A CSV file's numbers could be read two ways; the message says which was assumed."""


class DayLevelUsageWarning(UserWarning):
    """Day-level ``usage`` rows were reduced to months (:func:`cslib.usage.usage_to_months`)."""


class Warehouse(dict):
    """The validated tables, by name, with where they came from.

    A plain ``dict`` of DataFrames, plus:

    Attributes
    ----------
    source : str
        What was loaded.
    files : dict
        Where each table was read from.
    notes : list of str
        What was done to the data on the way in (duplicates dropped...).
    """

    def __init__(self, tables, *, source="", files=None, notes=None):
        super().__init__(tables)
        self.source = source
        self.files = dict(files or {})
        self.notes = list(notes or [])

    @property
    def data_date(self) -> pd.Timestamp | None:
        """The latest month with MRR (the data's "as of" month)."""
        mrr = self.get("mrr")
        if mrr is None or mrr.empty:
            return None
        return pd.Timestamp(mrr["month"].max())


@dataclass
class CsvDialect:
    """How a CSV file is written. ``None`` fields are detected per file.

    ``thousands=""`` declares that numbers have no thousands mark.
    """

    sep: str | None = None
    decimal: str | None = None
    encoding: str | None = None
    dayfirst: bool | None = None
    thousands: str | None = None

    @classmethod
    def from_params(cls, params: Mapping | None) -> CsvDialect:
        params = dict(params or {})
        unknown = set(params) - set(cls.__dataclass_fields__)
        if unknown:
            raise SourceError(
                f"Unknown CSV option(s) {sorted(unknown)}; valid options are "
                f"{sorted(cls.__dataclass_fields__)}."
            )
        return cls(**params)


@dataclass
class _Detected:
    sep: str
    decimal: str
    encoding: str
    dayfirst: bool
    thousands: str | None = field(default=None)


_DATE_DMY = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})")
_NUMBER = re.compile(r"^[-+]?[\d.,]*\d[\d.,]*$")
_DOT_GROUPS = re.compile(r"^[-+]?\d{1,3}(\.\d{3})+$")
_COMMA_GROUPS = re.compile(r"^[-+]?\d{1,3}(,\d{3})+$")


@dataclass
class _DecimalEvidence:
    """What the numbers of a file say about their decimal mark."""

    comma: int = 0  # cells only a decimal comma can explain: 1,5  1.234,56
    dot: int = 0  # cells only a decimal point can explain: 1.5  1,234.56  1.2345
    dot_groups: list = field(default_factory=list)  # 1.500: 1500 or 1.5
    comma_groups: list = field(default_factory=list)  # 1,500: 1500 or 1.5


def _decimal_evidence(cells: Iterable[str]) -> _DecimalEvidence:
    ev = _DecimalEvidence()
    for cell in cells:
        cell = cell.strip().strip('"').strip()
        if not _NUMBER.match(cell):
            continue
        has_dot, has_comma = "." in cell, "," in cell
        if has_dot and has_comma:
            if cell.rfind(",") > cell.rfind("."):
                ev.comma += 1
            else:
                ev.dot += 1
        elif has_dot:
            if _DOT_GROUPS.match(cell):
                ev.dot_groups.append(cell)
            else:
                ev.dot += 1
        elif has_comma:
            if _COMMA_GROUPS.match(cell):
                ev.comma_groups.append(cell)
            else:
                ev.comma += 1
    return ev


def _choose_decimal(ev: _DecimalEvidence, sep: str) -> tuple[str, bool]:
    """The decimal mark the evidence points to, and whether it was a guess.

    A decimal comma is proven by ``1,5`` or ``1.234,56``; a decimal point by
    ``1.5``, ``1.2345`` or ``1,234.56``. Numbers shaped like ``1.500`` or
    ``1,500`` prove nothing: with ``;`` separators they are read the Brazilian
    way (decimal comma, ``.`` thousands: the reason such files use ``;``),
    otherwise with a decimal point.
    """
    if ev.comma and ev.comma >= ev.dot:
        return ",", bool(ev.dot)
    if ev.dot:
        return ".", bool(ev.comma)
    if ev.dot_groups or ev.comma_groups:
        return ("," if sep == ";" else "."), True
    return ("," if sep == ";" else "."), False


def _read_text(path: Path, encoding: str | None) -> tuple[str, str]:
    raw = path.read_bytes()
    if encoding:
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError as err:
            raise SourceError(
                f"{path}: cannot be read as {encoding} (byte {err.start}). Save the file as "
                "UTF-8, or declare its encoding with `csv: {{encoding: ...}}` in the params file."
            ) from err
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw.decode("utf-8-sig"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        # Latin-1 decodes every byte; Windows exports use cp1252, its superset.
        try:
            return raw.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            return raw.decode("latin-1"), "latin-1"


def detect_dialect(text: str, declared: CsvDialect | None = None) -> _Detected:
    """Guess the separator, decimal mark and date order of a CSV text.

    The decimal mark: ``1,5`` or ``1.234,56`` mean a decimal comma; ``1.5``,
    ``1.2345`` or ``1,234.56`` a decimal point. When the only numbers with a
    mark look like thousands groups (``1.500``, ``2.000``), the file is
    ambiguous: with ``;`` separators it is read the Brazilian way (``1.500`` =
    1500), otherwise ``1.500`` = 1.5. :func:`read_csv` looks only at the
    columns its table's contract says are numbers, and says when it guessed.

    Examples
    --------
    >>> d = detect_dialect("id;mrr;month\\nC1;1.234,56;01/10/2026\\n")
    >>> (d.sep, d.decimal, d.thousands, d.dayfirst)
    (';', ',', '.', True)
    >>> detect_dialect("id;mrr\\nC1;1.500\\n").decimal  # ambiguous: the Brazilian reading
    ','
    >>> detect_dialect("id,mrr\\nC1,1.500\\n").decimal
    '.'
    """
    declared = declared or CsvDialect()
    sample = "\n".join(text.splitlines()[:200])
    sep = declared.sep
    if sep is None:
        header = sample.splitlines()[0] if sample else ""
        counts = {s: header.count(s) for s in (";", ",", "\t", "|")}
        sep = max(counts, key=counts.get) if any(counts.values()) else ","
        try:
            sniffed = _csv.Sniffer().sniff(sample, delimiters=";,\t|").delimiter
            if counts.get(sniffed, 0) >= counts[sep]:
                sep = sniffed
        except _csv.Error:
            pass
    cells = [c.strip().strip('"') for line in sample.splitlines()[1:] for c in line.split(sep)]
    decimal = declared.decimal
    if decimal is None:
        decimal, _ = _choose_decimal(_decimal_evidence(cells), sep)
    thousands = _thousands(declared, decimal)
    dayfirst = declared.dayfirst
    if dayfirst is None:
        dates = [m for m in (_DATE_DMY.match(c) for c in cells) if m]
        # dd/mm is proven by a first number above 12; mm/dd by a second one above 12.
        if any(int(m.group(2)) > 12 for m in dates):
            dayfirst = False
        else:
            dayfirst = bool(dates) and (
                any(int(m.group(1)) > 12 for m in dates) or sep == ";" or decimal == ","
            )
    return _Detected(sep=sep, decimal=decimal, encoding="", dayfirst=dayfirst,
                     thousands=thousands)


def _thousands(declared: CsvDialect, decimal: str) -> str | None:
    """The declared thousands mark ("" = none), else the one that goes with ``decimal``."""
    if declared.thousands is not None:
        return declared.thousands or None
    return "." if decimal == "," else ","


def _to_number(text: pd.Series, decimal: str, thousands: str | None) -> pd.Series:
    """Rewrite numbers written in the dialect with a ``.`` decimal and no thousands marks.

    Values not written in the dialect (``1.5`` in a decimal-comma file) are
    left as they are, never stripped into another number.
    """
    s = text.astype("string").str.strip()
    d = re.escape(decimal)
    groups = rf"\d{{1,3}}(?:{re.escape(thousands)}\d{{3}})+|" if thousands else ""
    pattern = rf"^[-+]?(?:{groups}\d+)(?:{d}\d+)?$|^[-+]?{d}\d+$"
    fits = s.str.fullmatch(pattern).fillna(False).astype(bool)
    out = s
    if thousands:
        out = out.str.replace(thousands, "", regex=False)
    if decimal != ".":
        out = out.str.replace(decimal, ".", regex=False)
    return out.where(fits, s)


def _to_dates(text: pd.Series, dayfirst: bool) -> pd.Series:
    """Parse dates, leaving unparseable text in place for validation to report."""
    s = text.astype("string").str.strip()
    parsed = pd.to_datetime(s, errors="coerce", dayfirst=dayfirst, format="mixed")
    out = s.astype(object)
    ok = parsed.notna()
    out[ok] = parsed[ok]
    return out


def read_csv(path: str | os.PathLike, table: str | None = None,
             dialect: CsvDialect | None = None) -> pd.DataFrame:
    """Read one CSV export as text, then undo its regional number and date formats.

    Parameters
    ----------
    path : path-like
        The file.
    table : str, optional
        The table it holds; its contract says which columns are numbers and
        dates. Defaults to the file's stem.
    dialect : CsvDialect, optional
        Declared options; the rest is detected.

    Returns
    -------
    pandas.DataFrame
        Text columns as strings, numbers with ``.`` decimals, dates parsed;
        values that could not be parsed are left as text for
        :func:`cslib.schemas.validate` to report.
    """
    path = Path(path)
    table = table or path.stem
    declared = dialect or CsvDialect()
    text, encoding = _read_text(path, declared.encoding)
    if "\x00" in text:
        text = text.replace("\x00", "")
        warnings.warn(f"{path}: NUL bytes removed.", DuplicateRowsWarning, stacklevel=2)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    detected = detect_dialect(text, declared)
    import io as _io

    try:
        frame = pd.read_csv(
            _io.StringIO(text), sep=detected.sep, dtype=str, keep_default_na=False,
            na_values=[""], skipinitialspace=True, engine="python" if len(detected.sep) > 1
            else "c",
        )
    except (pd.errors.ParserError, ValueError) as err:
        raise SourceError(
            f"{path}: not a readable CSV file ({err}). Check the separator "
            f"(detected {detected.sep!r}) or declare it with `csv: {{sep: ...}}`."
        ) from err
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    schema = SCHEMAS.get(table)
    if schema is None:
        return frame
    numeric = [c.name for c in schema.columns
               if c.kind in ("int", "float") and c.name in frame.columns]
    decimal, thousands, note = detected.decimal, detected.thousands, None
    if declared.decimal is None and numeric:
        cells = (v for col in numeric for v in frame[col].dropna())
        evidence = _decimal_evidence(cells)
        decimal, guessed = _choose_decimal(evidence, detected.sep)
        thousands = _thousands(declared, decimal)
        if guessed:
            note = _ambiguity_note(path, table, frame, numeric, evidence, detected.sep,
                                   decimal, thousands)
    for column in schema.columns:
        if column.name not in frame.columns:
            continue
        if column.kind in ("int", "float"):
            frame[column.name] = _to_number(frame[column.name], decimal, thousands)
        elif column.kind in ("date", "month", "datetime"):
            frame[column.name] = _to_dates(frame[column.name], detected.dayfirst)
    frame.attrs["dialect"] = {"sep": detected.sep, "decimal": decimal, "thousands": thousands,
                              "encoding": encoding, "dayfirst": detected.dayfirst}
    if note:
        frame.attrs["dialect_note"] = note
        warnings.warn(note, AmbiguousDialectWarning, stacklevel=2)
    return frame


def _ambiguity_note(path, table, frame, numeric, evidence, sep, decimal, thousands) -> str:
    """Say which reading of ambiguous numbers was assumed and how to declare the other."""
    ambiguous = evidence.dot_groups + evidence.comma_groups
    columns = [c for c in numeric
               if frame[c].dropna().astype(str).str.strip().isin(ambiguous).any()]
    example = ambiguous[0] if ambiguous else ""
    as_read = _to_number(pd.Series([example]), decimal, thousands).iloc[0] if example else ""
    other = "." if decimal == "," else ","
    if evidence.comma and evidence.dot:
        why = (f"numbers are written both with a decimal comma ({evidence.comma} value(s)) "
               f"and with a decimal point ({evidence.dot} value(s))")
    else:
        why = (f"the only numbers with a mark look like thousands groups (e.g. {example!r})"
               + ("; a `;`-separated file is read the Brazilian way" if sep == ";" else ""))
    cols = ", ".join(f"`{c}`" for c in columns) or ", ".join(f"`{c}`" for c in numeric)
    read = f"; {example!r} was read as {as_read}" if example else ""
    marks = f"decimal {decimal!r}, thousands " + (repr(thousands) if thousands else "none")
    declare = {"decimal": other, "thousands": "" if other == "." else "."}
    yaml = "{" + ", ".join(f"{k}: {v!r}" for k, v in declare.items()) + "}"
    return (f"{path} (table `{table}`): the decimal mark of {cols} cannot be told from the "
            f"data: {why}. Assumed {marks}{read}. If that is wrong, declare the dialect: "
            f"`csv: {yaml}` in the params file, or load(..., csv={declare!r}).")


def default_source() -> str:
    """The source used when none is given.

    ``$CSLIB_SOURCE`` if set, else ``data/demo.duckdb`` in the current folder
    or the nearest parent folder that has one (so notebooks opened from
    ``notebooks/`` find the project's demo warehouse).
    """
    env = os.environ.get("CSLIB_SOURCE")
    if env:
        return env
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


def _read_folder(folder: Path, names: Iterable[str], dialect: CsvDialect | None):
    tables, files, notes = {}, {}, []
    for name in names:
        for suffix in (".parquet", ".csv", ".csv.gz", ".txt"):
            path = folder / f"{name}{suffix}"
            if path.exists():
                if suffix == ".parquet":
                    try:
                        tables[name] = pd.read_parquet(path)
                    except Exception as err:  # pyarrow raises many types
                        raise SourceError(f"{path}: not a readable Parquet file ({err}).") from err
                else:
                    with warnings.catch_warnings():
                        # the ambiguity is reported once, by load(), as a note and a warning
                        warnings.simplefilter("ignore", AmbiguousDialectWarning)
                        tables[name] = read_csv(path, name, dialect)
                    if "dialect_note" in tables[name].attrs:
                        notes.append(tables[name].attrs["dialect_note"])
                files[name] = str(path)
                break
    return tables, files, notes


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
    return None


def _read_sql(url: str, names: Iterable[str], schema: str | None, segment: str | None):
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(_engine_url(url))
        with engine.connect() as con:
            inspector = sa.inspect(con)
            present = set(inspector.get_table_names(schema=schema))
            columns = {n: {c["name"] for c in inspector.get_columns(n, schema=schema)}
                       for n in ("accounts", "nps_responses", *names) if n in present}
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


def _drop_exact_duplicates(tables: dict, files: dict) -> list[str]:
    notes = []
    for name, frame in tables.items():
        if frame.empty:
            continue
        key = [c for c in SCHEMAS[name].key if c in frame.columns] if name in SCHEMAS else []
        if key and not frame.duplicated(key).any():
            continue  # rows with distinct keys cannot repeat (and the key is far cheaper)
        dup = frame.duplicated(keep="first")
        n = int(dup.sum())
        if n:
            tables[name] = frame.loc[~dup].reset_index(drop=True)
            note = (f"{files.get(name, name)}: dropped {n} exact duplicate record(s) of table "
                    f"`{name}` (kept the first of each).")
            notes.append(note)
            warnings.warn(note, DuplicateRowsWarning, stacklevel=3)
    return notes


def _filter_segment(tables: dict, segment: str) -> dict:
    accounts = tables.get("accounts")
    if accounts is None or "segment" not in accounts:
        return tables
    keep = accounts.loc[accounts["segment"] == segment, "account_id"]
    out = {"accounts": accounts.loc[accounts["segment"] == segment]}
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
    return {k: v.reset_index(drop=True) for k, v in out.items()}


def _csv_key(csv) -> dict:
    if isinstance(csv, CsvDialect):
        csv = {k: v for k, v in vars(csv).items() if v is not None}
    return dict(csv or {})


def prepare_segments(warehouse: Warehouse, folder: str | os.PathLike,
                     segments: Mapping[str, str], *, csv=None) -> Path:
    """Write a validated warehouse as one slice per segment (Arrow files), for the batch.

    The batch validates the whole source once, then writes each segment's rows
    (the same rows ``load(source, segment=...)`` returns: accounts of the
    segment, the other tables by ``account_id``, loop actions through their
    responses; ``"all"`` is every row). While ``$CSLIB_PREPARED`` names the
    folder, :func:`load` of the same source and segment reads the slice instead
    of reading and validating the source again.

    Parameters
    ----------
    warehouse : Warehouse
        :func:`load` of the whole source. Not modified.
    folder : path
        Where to write; replaced as a whole (written beside it, then renamed),
        so a killed batch never leaves half a folder under this name.
    segments : mapping of str to str
        Segment name (``"all"`` for the whole base) -> a safe folder name.
    csv : mapping, optional
        The CSV options the source was read with (slices are only used with
        the same).

    Returns
    -------
    pathlib.Path
        ``folder``.
    """
    folder = Path(folder)
    tmp = _fresh_folder(folder)
    tables = dict(warehouse)
    for name, slug in segments.items():
        _write_slice(tables if name == "all" else _filter_segment(tables, name), tmp / slug)
    _publish_slices(tmp, folder, {"source": str(warehouse.source), "csv": _csv_key(csv),
                                  "segments": dict(segments), "tables": sorted(tables),
                                  "files": warehouse.files})
    return folder


def _fresh_folder(folder: Path) -> Path:
    """An empty folder beside ``folder``, to write into and then rename."""
    import shutil

    tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    return tmp


#: Prepared slices are Arrow (Feather v2) files with LZ4: a local, short-lived cache,
#: written about three times and read about twice as fast as Parquet.
SLICE_SUFFIX = ".arrow"


def _write_slice(tables: Mapping[str, pd.DataFrame], folder: Path) -> None:
    folder.mkdir(parents=True)
    for table, frame in tables.items():
        frame.reset_index(drop=True).to_feather(folder / f"{table}{SLICE_SUFFIX}",
                                                compression="lz4")


def _publish_slices(tmp: Path, folder: Path, marker: dict) -> None:
    """Mark ``tmp`` as prepared slices and put it in place of ``folder`` as a whole."""
    import json
    import shutil

    (tmp / _PREPARED_MARKER).write_text(json.dumps(marker, sort_keys=True), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)


def segment_gaps(source: str, segments: Iterable[str]) -> list[str]:
    """What validating a DuckDB file one segment at a time would not see.

    :func:`prepare_segments_one_by_one` validates each segment's slice on its
    own. Together the slices are the whole file, validated, only when every
    row of every table is in the slice of one of ``segments`` (the segments of
    the validated ``accounts``), no table repeats a key across two segments
    (tables whose key holds ``account_id`` cannot, so only the others are
    grouped) and no required table is empty. This checks exactly that, in
    DuckDB, without reading the tables into pandas.

    Parameters
    ----------
    source : str
        A DuckDB file.
    segments : iterable of str
        Every segment of the validated ``accounts`` table.

    Returns
    -------
    list of str
        One line per gap; empty when there is none.
    """
    import duckdb

    path = source.removeprefix("duckdb:///")
    gaps: list[str] = []
    try:
        con = duckdb.connect(path, read_only=True)
    except duckdb.Error as err:
        return [f"cannot open {path}: {err}"]
    try:
        columns: dict[str, set[str]] = {}
        for table, column in con.execute(
                "SELECT table_name, column_name FROM information_schema.columns").fetchall():
            columns.setdefault(table, set()).add(column)
        if not {"account_id", "segment"} <= columns.get("accounts", set()):
            return ["`accounts` lacks `account_id` or `segment`"]
        in_segments = "list_contains($segments, CAST(segment AS VARCHAR))"
        for name, schema in SCHEMAS.items():
            if name not in columns:
                if name in REQUIRED_TABLES:
                    gaps.append(f"table `{name}` is missing")
                continue
            where = _account_filter(name, in_segments)
            links = {"account_id"} if where and "account_id" in schema.column_names else set()
            missing = (set(schema.key) | links) - columns[name]
            if missing:
                gaps.append(f"`{name}` lacks {sorted(missing)}")
                continue
            total, covered = con.execute(
                f'SELECT count(*), count(*) FILTER (WHERE {where or "true"}) FROM "{name}"',
                {"segments": list(segments)} if where else {}).fetchone()
            if total == 0 and name in REQUIRED_TABLES:
                gaps.append(f"`{name}` is empty")
            if covered < total:
                gaps.append(f"{total - covered} row(s) of `{name}` are in no segment")
            if "account_id" in schema.key and name != "accounts":
                continue  # a repeat would be within one segment, where validation sees it
            key = ", ".join(f'"{k}"' for k in schema.key)
            if con.execute(f'SELECT 1 FROM "{name}" GROUP BY {key} HAVING count(*) > 1 '
                           "LIMIT 1").fetchone():
                gaps.append(f"`{name}` repeats a key ({key})")
    except duckdb.Error as err:
        gaps.append(f"cannot check: {err}")
    finally:
        con.close()
    return gaps


def _prepare_one(source: str, segment: str, folder: str, csv, summarise) -> dict:
    """Read, validate and write one segment's slice (runs in a worker process)."""
    from .exceptions import SchemaError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the notes come back with the result
            wh = load(source, segment=segment, csv=csv)
    except SchemaError:
        return {"segment": segment, "valid": False}
    _write_slice(wh, Path(folder))
    return {"segment": segment, "valid": True, "notes": wh.notes, "tables": sorted(wh),
            "files": wh.files, "summary": summarise(wh) if summarise else None}


def _cores_each(processes: int) -> int:
    """Each of ``processes`` processes' share of this machine's cores (at least 1)."""
    return max(1, (os.cpu_count() or 1) // max(1, processes))


def _prepare_worker_init(threads: int, initializer=None) -> None:
    """Initializer of the processes that prepare segments side by side.

    Each gets ``threads`` threads for DuckDB and Arrow (its share of the cores):
    with a thread per core in every process, the workers slowed each other down.
    """
    global _DUCKDB_THREADS
    import pyarrow as pa

    _DUCKDB_THREADS = threads
    pa.set_cpu_count(threads)
    if initializer is not None:
        initializer()


def prepare_segments_one_by_one(
    source: str, folder: str | os.PathLike, segments: Mapping[str, str], *, csv=None,
    jobs: int = 1, summarise=None, initializer=None,
) -> dict | None:
    """Validate a DuckDB file one segment at a time and write each segment's slice.

    The same slices as :func:`prepare_segments` of the whole validated file,
    but no process ever holds more than one segment in pandas, and ``jobs``
    segments are prepared at once. Each segment is read with
    ``load(source, segment=...)``, so the filter runs in DuckDB.

    Parameters
    ----------
    source : str
        A DuckDB file.
    folder : path
        Where to write (replaced as a whole, see :func:`prepare_segments`).
    segments : mapping of str to str
        Every segment of the data (name -> folder name), in the order to
        prepare them (largest first keeps the workers evenly busy).
    csv : mapping, optional
        Recorded in the marker, as :func:`prepare_segments` does.
    jobs : int
        Segments prepared at once, each in its own process with its share of
        the cores for DuckDB and Arrow.
    summarise : callable, optional
        ``summarise(warehouse)`` for each segment's validated tables; must be
        picklable (a module-level function). Its results are returned.
    initializer : callable, optional
        Run first in each worker process (e.g. to die with the caller).

    Returns
    -------
    dict or None
        ``{"summaries": {segment: summarise(...)}, "notes": [...]}``; None when
        this way cannot prepare the source: not a DuckDB file,
        :func:`segment_gaps` found a gap, or a segment's slice broke its
        contract. Then validate the whole source with :func:`load` to learn
        what and where (with row numbers of the whole tables), and use
        :func:`prepare_segments`.
    """
    import multiprocessing
    import shutil
    from concurrent.futures import ProcessPoolExecutor

    source = str(source)
    if _kind(source) != "duckdb" or not segments:
        return None
    parallel = jobs > 1 and len(segments) > 1
    if not parallel and segment_gaps(source, segments):
        return None
    folder = Path(folder)
    tmp = _fresh_folder(folder)
    args = [(source, name, str(tmp / slug), csv, summarise) for name, slug in segments.items()]
    results: list[dict] = []
    try:
        if not parallel:
            for a in args:
                results.append(_prepare_one(*a))
                if not results[-1]["valid"]:
                    return None
        else:
            ctx = multiprocessing.get_context("spawn")
            workers = min(jobs, len(args))
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx,
                                     initializer=_prepare_worker_init,
                                     initargs=(_cores_each(workers), initializer)) as pool:
                futures = [pool.submit(_prepare_one, *a) for a in args]
                # The whole-file checks run while the workers start on the slices, whose
                # work is thrown away if a check finds a gap.
                if segment_gaps(source, segments):
                    pool.shutdown(wait=True, cancel_futures=True)
                    return None
                for fut in futures:
                    results.append(fut.result())
                    if not results[-1]["valid"]:
                        pool.shutdown(wait=True, cancel_futures=True)
                        return None
    finally:
        if len(results) < len(args) or not all(r["valid"] for r in results):
            shutil.rmtree(tmp, ignore_errors=True)
    notes = [f"{r['segment']}: {n}" for r in results for n in r["notes"]]
    _publish_slices(tmp, folder, {"source": source, "csv": _csv_key(csv),
                                  "segments": dict(segments), "tables": results[0]["tables"],
                                  "files": results[0]["files"]})
    return {"summaries": {r["segment"]: r["summary"] for r in results}, "notes": notes}


def _prepared_marker(folder, source: str, csv) -> dict:
    """The marker :func:`prepare_segments` left in ``folder`` for ``source`` and ``csv``."""
    import json

    try:
        marker = json.loads((Path(folder) / _PREPARED_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if marker.get("source") != str(source) or marker.get("csv") != _csv_key(csv):
        return {}
    return marker


def prepared_segments(folder: str | os.PathLike, source: str, csv=None) -> dict[str, str]:
    """The segments (name -> folder name) that :func:`prepare_segments` wrote in
    ``folder`` for ``source`` read with ``csv``; empty when there are none."""
    return dict(_prepared_marker(folder, source, csv).get("segments", {}))


def _read_prepared(source: str, segment: str | None, names: list[str], csv):
    """The prepared slice of ``segment`` (see :func:`prepare_segments`), or None."""
    folder = os.environ.get(PREPARED_ENV)
    marker = _prepared_marker(folder, source, csv) if folder else {}
    slug = marker.get("segments", {}).get(segment or "all")
    if slug is None:
        return None
    tables = {n: pd.read_feather(Path(folder) / slug / f"{n}{SLICE_SUFFIX}")
              for n in names if n in marker.get("tables", [])}
    return Warehouse(tables, source=source, files=marker.get("files"))


def load(
    source: str | os.PathLike | None = None,
    *,
    tables: Iterable[str] | None = None,
    segment: str | None = None,
    csv: Mapping | CsvDialect | None = None,
    schema: str | None = None,
) -> Warehouse:
    """Read and validate the kit's tables from a source.

    Parameters
    ----------
    source : str or path, optional
        A DuckDB file, a folder of CSV/Parquet files, or a SQLAlchemy URL.
        Defaults to :func:`default_source`.
    tables : iterable of str, optional
        The tables to read (all known tables by default; required ones must
        exist).
    segment : str, optional
        Read only this segment's accounts and their rows (``None`` or
        ``"all"``: every account). For DuckDB files and SQL databases the
        filter is part of the query (accounts by ``segment``, the other
        tables by ``account_id IN (...)``, loop actions through their
        responses), so only the segment's rows are read; CSV/Parquet files
        are read whole and filtered in pandas.
    csv : mapping or CsvDialect, optional
        Declared CSV options (``sep``, ``decimal``, ``encoding``,
        ``dayfirst``, ``thousands``); anything not declared is detected.
    schema : str, optional
        Database schema for a SQL source.

    Returns
    -------
    Warehouse
        A dict of validated DataFrames with ``.notes`` about what was done
        (exact duplicates dropped, day-level usage reduced to months, CSV
        numbers whose decimal mark had to be assumed, with how to declare it).

    Raises
    ------
    SourceError
        The source cannot be found or read.
    SchemaError
        Any table breaks its contract (every problem listed).

    Examples
    --------
    >>> from cslib.io import load
    >>> wh = load("data/demo.duckdb", segment="SMB")  # doctest: +SKIP
    >>> wh["accounts"].segment.unique()  # doctest: +SKIP
    <StringArray>
    ['SMB']
    """
    source = str(source) if source is not None else default_source()
    names = list(tables) if tables is not None else list(SCHEMAS)
    unknown = [n for n in names if n not in SCHEMAS]
    if unknown:
        raise SourceError(f"Unknown table(s) {unknown}; the kit reads {list(SCHEMAS)}.")
    if segment == "all":
        segment = None
    prepared = _read_prepared(source, segment, names, csv)
    if prepared is not None:
        return prepared
    # Filtering by segment needs the accounts (and responses for loop actions).
    read_names = list(dict.fromkeys(
        names + (["accounts"] if segment else [])
        + (["nps_responses"] if segment and "loop_actions" in names else [])
    ))
    kind = _kind(source)
    notes: list[str] = []
    if kind == "duckdb":
        raw, files = _read_duckdb(source, read_names, segment)
    elif kind == "folder":
        dialect = csv if isinstance(csv, CsvDialect) else CsvDialect.from_params(csv)
        raw, files, notes = _read_folder(Path(source), read_names, dialect)
        if segment is not None:
            raw = _filter_segment(raw, segment)
    else:
        raw, files = _read_sql(source, read_names, schema, segment)
    for note in notes:
        warnings.warn(note, AmbiguousDialectWarning, stacklevel=2)
    notes += _drop_exact_duplicates(raw, files)
    require = tuple(n for n in read_names if n in REQUIRED_TABLES)
    if kind == "folder":
        for name in require:
            files.setdefault(name, str(Path(source) / f"{name}.csv"))
    clean = validate(raw, files=files, require=require, allow_empty=segment is not None)
    clean = {n: clean[n] for n in names if n in clean}
    for frame in clean.values():
        note = frame.attrs.get("cslib_note") if isinstance(frame, pd.DataFrame) else None
        if note:
            notes.append(note)
            warnings.warn(note, DayLevelUsageWarning, stacklevel=2)
    return Warehouse(clean, source=source, files=files, notes=notes)


def fingerprint(source: str | os.PathLike | None = None) -> str:
    """A short content hash of a source, to key cached reports on.

    Files are hashed by content; a folder by its table files; a database URL
    by its tables' contents.
    """
    source = str(source) if source is not None else default_source()
    digest = hashlib.sha256()
    kind = _kind(source)
    if kind in ("duckdb", "folder"):
        path = Path(source.removeprefix("duckdb:///"))
        paths = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
        for p in paths:
            digest.update(p.name.encode())
            with open(p, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
    else:
        wh = load(source)
        for name in sorted(wh):
            digest.update(name.encode())
            digest.update(pd.util.hash_pandas_object(wh[name], index=False).values.tobytes())
    return digest.hexdigest()[:16]


def write_csv_folder(
    tables: Mapping[str, pd.DataFrame], folder: str | os.PathLike, *, brazilian: bool = False
) -> Path:
    """Write tables as a folder of CSV files.

    With ``brazilian=True`` the files look like a Brazilian CRM export:
    ``;`` separators, decimal commas, ``dd/mm/yyyy`` dates, Latin-1.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        out = frame.copy()
        if brazilian:
            for col in out.columns:
                s = out[col]
                if pd.api.types.is_datetime64_any_dtype(s):
                    has_time = bool((s.dropna() != s.dropna().dt.normalize()).any())
                    fmt = "%d/%m/%Y %H:%M:%S" if has_time else "%d/%m/%Y"
                    out[col] = s.dt.strftime(fmt)
                elif pd.api.types.is_float_dtype(s):
                    out[col] = s.map(lambda v: "" if pd.isna(v) else
                                     f"{v:,.10g}".replace(",", "_").replace(".", ",")
                                     .replace("_", "."))
            out.to_csv(folder / f"{name}.csv", sep=";", index=False, encoding="latin-1",
                       errors="replace")
        else:
            out.to_csv(folder / f"{name}.csv", index=False)
    return folder
