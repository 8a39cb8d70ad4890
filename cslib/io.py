"""Sources: read the kit's tables from DuckDB, CSV/Parquet folders or a warehouse.

:func:`load` is the one door data comes in through. It accepts

* a DuckDB database file (``data/demo.duckdb``, the embedded default),
* a folder of ``<table>.csv`` or ``<table>.parquet`` files,
* a SQLAlchemy URL (``postgresql://user@host/db``) to a warehouse,

drops exact duplicate records (saying how many), and validates every table
against :mod:`cslib.schemas` before returning it.

The work is split by job, and this module re-exports the public names:
:mod:`cslib.dialect` (CSV dialect detection and parsing), :mod:`cslib.readers`
(DuckDB, folder and SQL readers), :mod:`cslib.slices` (the batch's prepared
slice cache). :func:`load` reads no environment variable: the report context
(:func:`cslib.context.open_report`) passes the source and the prepared slices.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from .dialect import (
    AmbiguousDialectWarning,
    CsvDialect,
    NulBytesWarning,
    detect_dialect,
    read_csv,
    write_csv_folder,
)
from .exceptions import SchemaError, SourceError
from .readers import (
    DEMO_PATH,
    _filter_segment,
    _kind,
    _read_duckdb,
    _read_folder,
    _read_sql,
    default_source,
    demo_source,
    near_misses,
)
from .schemas import REQUIRED_TABLES, SCHEMAS, SOURCE_ROWS, validate
from .slices import (
    PREPARED_ENV,
    SLICE_SUFFIX,
    _cores_each,  # noqa: F401 - used by the batch
    _prepare_worker_init,  # noqa: F401
    _read_prepared,
    prepare_segments,
    prepare_segments_one_by_one,
    prepared_segments,
    segment_gaps,
)

__all__ = [
    "Warehouse",
    "CsvDialect",
    "DuplicateRowsWarning",
    "AmbiguousDialectWarning",
    "DayLevelUsageWarning",
    "DataDateWarning",
    "NulBytesWarning",
    "load",
    "read_csv",
    "detect_dialect",
    "default_source",
    "demo_source",
    "fingerprint",
    "write_csv_folder",
    "prepare_segments",
    "prepare_segments_one_by_one",
    "prepared_segments",
    "segment_gaps",
    "PREPARED_ENV",
    "SLICE_SUFFIX",
    "DEMO_PATH",
]

class DuplicateRowsWarning(UserWarning):
    """Exact duplicate records were found and dropped."""


class DataDateWarning(UserWarning):
    """Events are dated after the end of the latest MRR month (kept; the note says how many)."""


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
            kept = frame.loc[~dup]
            if isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0 \
                    and frame.index.step == 1:
                # messages quote the file's own data rows, not those left after the drop
                kept.attrs[SOURCE_ROWS] = True
            else:
                kept = kept.reset_index(drop=True)
            tables[name] = kept
            note = (f"{files.get(name, name)}: dropped {n} exact duplicate record(s) of table "
                    f"`{name}` (kept the first of each).")
            notes.append(note)
            warnings.warn(note, DuplicateRowsWarning, stacklevel=3)
    return notes



def load(
    source: str | os.PathLike | None = None,
    *,
    tables: Iterable[str] | None = None,
    segment: str | None = None,
    csv: Mapping | CsvDialect | None = None,
    schema: str | None = None,
    prepared: str | os.PathLike | None = None,
    timezone: str | None = None,
) -> Warehouse:
    """Read and validate the kit's tables from a source.

    Parameters
    ----------
    source : str or path, optional
        A DuckDB file, a folder of CSV/Parquet files, or a SQLAlchemy URL.
        Defaults to :func:`demo_source` (the project's demo warehouse); the
        CLI and :func:`cslib.context.open_report` resolve ``$CSLIB_SOURCE``
        first (:func:`default_source`), load itself reads no environment.
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
    prepared : path, optional
        A folder of prepared slices (:func:`prepare_segments`). When it holds
        the slices of this ``source`` read with these ``csv`` options and has
        ``segment``, the segment's validated slice is read from there and
        nothing is validated again (the batch's reports do this).
    timezone : str, optional
        The report timezone (the ``timezone`` key of a params file, default
        ``America/Sao_Paulo`` there): date-times with a UTC offset (``Z``,
        ``-03:00``, mixed offsets too) become local times of this timezone,
        without a timezone, so month boundaries are its local months. Times
        without an offset are taken as local already. ``None``: UTC.

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
    source = str(source) if source is not None else demo_source()
    names = list(tables) if tables is not None else list(SCHEMAS)
    unknown = [n for n in names if n not in SCHEMAS]
    if unknown:
        raise SourceError(f"Unknown table(s) {unknown}; the kit reads {list(SCHEMAS)}.")
    if segment == "all":
        segment = None
    if prepared is not None:
        sliced = _read_prepared(prepared, source, segment, names, csv)
        if sliced is not None:
            return sliced
    # Filtering by segment needs the accounts (and responses for loop actions).
    read_names = list(dict.fromkeys(
        names + (["accounts"] if segment else [])
        + (["nps_responses"] if segment and "loop_actions" in names else [])
        + (["opportunities"] if segment and "opportunity_stages" in names else [])
    ))
    kind = _kind(source)
    notes: list[str] = []
    if kind == "duckdb":
        raw, files = _read_duckdb(source, read_names, segment)
    elif kind == "folder":
        if not isinstance(csv, CsvDialect):
            CsvDialect.from_params(csv)  # every option checked before any file is read
        raw, files, notes = _read_folder(Path(source), read_names, csv, timezone)
        _refuse_near_misses(Path(source), read_names, raw)
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
    try:
        clean = validate(raw, files=files, require=require, allow_empty=segment is not None,
                         timezone=timezone)
    except SchemaError as err:
        if not notes:
            raise
        # what was done on the way in explains some problems (and the row numbers)
        text = str(err) + "\nNotes on reading:\n" + "\n".join(f"- {n}" for n in notes)
        raise SchemaError(text, err.problems) from None
    clean = {n: clean[n] for n in names if n in clean}
    for frame in clean.values():
        if not isinstance(frame, pd.DataFrame):
            continue
        for key, category in (("cslib_note", DayLevelUsageWarning),
                              ("cslib_date_note", DataDateWarning)):
            note = frame.attrs.get(key)
            if note:
                notes.append(note)
                warnings.warn(note, category, stacklevel=2)
    return Warehouse(clean, source=source, files=files, notes=notes)


def _refuse_near_misses(folder: Path, names: list[str], found: Mapping) -> None:
    """A required table missing beside a file that is nearly its name: say which."""
    hints = {n: near_misses(folder, n) for n in names if n not in found}
    hints = {n: h for n, h in hints.items() if h}
    if hints:
        lines = "; ".join(f"`{n}` is missing, but {', '.join(h)} "
                          f"{'is' if len(h) == 1 else 'are'} there: rename it to {n}.csv "
                          f"(or {n}.parquet)" for n, h in hints.items())
        raise SourceError(f"{folder}: {lines}. Table files are named exactly after the "
                          "tables, in lower case with underscores.")


def fingerprint(source: str | os.PathLike | None = None) -> str:
    """A short content hash of a source, to key cached reports on.

    Files are hashed by content; a folder by its table files; a database URL
    by its tables' contents.
    """
    source = str(source) if source is not None else demo_source()
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


