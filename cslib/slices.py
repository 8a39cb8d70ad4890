"""The batch's slice cache: each segment's validated tables, written once per data version.

The batch validates the source once and writes each segment's rows as Arrow
files (:func:`prepare_segments`, or :func:`prepare_segments_one_by_one` for a
DuckDB file, a segment at a time). A report's ``load(source, segment=...,
prepared=folder)`` then reads its slice and validates nothing again.

The slices hold the raw, unmasked tables: folders are created readable by
their owner only, and ``cslib clean`` removes them.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from . import readers
from .dialect import CsvDialect
from .readers import _account_filter, _filter_segment, _kind, cut_labels
from .schemas import REQUIRED_TABLES, SCHEMAS

__all__ = ["PREPARED_ENV", "SLICE_SUFFIX", "prepare_segments", "prepare_segments_one_by_one",
           "prepared_segments", "segment_gaps"]

#: Environment variable naming a folder written by :func:`prepare_segments`. The batch
#: sets it for its notebooks; :func:`cslib.context.open_report` reads it and passes the
#: folder to :func:`cslib.io.load` as ``prepared=`` (load itself reads no variable).
PREPARED_ENV = "CSLIB_PREPARED"
_PREPARED_MARKER = "prepared.json"


def _csv_key(csv) -> dict:
    if isinstance(csv, CsvDialect):
        csv = {k: v for k, v in vars(csv).items() if v is not None}
    return dict(csv or {})


def prepare_segments(warehouse: Mapping[str, pd.DataFrame], folder: str | os.PathLike,
                     segments: Mapping[str, str], *, csv=None, cut: str = "segment") -> Path:
    """Write a validated warehouse as one slice per segment (Arrow files), for the batch.

    The batch validates the whole source once, then writes each segment's rows
    (the same rows ``load(source, segment=...)`` returns: accounts of the
    segment, the other tables by ``account_id``, loop actions through their
    responses; ``"all"`` is every row). With ``prepared=folder``,
    :func:`cslib.io.load` of the same source and segment reads the slice instead
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
    cut : {"segment", "csm", "owner"}
        What one report covers: the names in ``segments`` are values of this
        cut (:func:`cslib.readers.cut_labels`).

    Returns
    -------
    pathlib.Path
        ``folder``.
    """
    folder = Path(folder)
    tmp = _fresh_folder(folder)
    tables = dict(warehouse)
    labels = None if cut == "segment" else cut_labels(tables, cut)
    for name, slug in segments.items():
        _write_slice(tables if name == "all" else _filter_segment(tables, name, labels),
                     tmp / slug)
    _publish_slices(tmp, folder, {"source": str(warehouse.source), "csv": _csv_key(csv),
                                  "segments": dict(segments), "tables": sorted(tables),
                                  "files": warehouse.files})
    return folder


def _fresh_folder(folder: Path) -> Path:
    """An empty folder beside ``folder``, to write into and then rename."""
    import shutil

    tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    tmp.mkdir(mode=PRIVATE_DIR)
    os.chmod(tmp, PRIVATE_DIR)  # whatever the umask: the slices hold raw, unmasked data
    return tmp


#: Prepared slices are Arrow (Feather v2) files with LZ4: a local, short-lived cache,
#: written about three times and read about twice as fast as Parquet.
SLICE_SUFFIX = ".arrow"


#: Modes of the slice cache: readable by its owner only (it holds names, e-mails and
#: verbatims exactly as in the source; masking happens in the reports).
PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600


def _write_slice(tables: Mapping[str, pd.DataFrame], folder: Path) -> None:
    folder.mkdir(parents=True, mode=PRIVATE_DIR)
    os.chmod(folder, PRIVATE_DIR)
    for table, frame in tables.items():
        path = folder / f"{table}{SLICE_SUFFIX}"
        # created private, never readable by others even for a moment
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
        with os.fdopen(fd, "wb") as fh:
            frame.reset_index(drop=True).to_feather(fh, compression="lz4")


def _publish_slices(tmp: Path, folder: Path, marker: dict) -> None:
    """Mark ``tmp`` as prepared slices and put it in place of ``folder`` as a whole."""
    import json
    import shutil

    fd = os.open(tmp / _PREPARED_MARKER, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(marker, sort_keys=True))
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
            if name == "opportunities" and where:
                # open and lost deals have no account yet: they are in no segment by design
                where = f"account_id IS NULL OR {where}"
            elif name == "opportunity_stages" and where:
                where = where.replace("WHERE account_id IN", "WHERE account_id IS NULL OR "
                                      "account_id IN", 1)
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


def _prepare_one(source: str, segment: str, folder: str, csv, summarise,
                 timezone: str | None = None) -> dict:
    """Read, validate and write one segment's slice (runs in a worker process)."""
    from .exceptions import SchemaError
    from .io import load

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the notes come back with the result
            wh = load(source, segment=segment, csv=csv, timezone=timezone)
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
    import pyarrow as pa

    readers._DUCKDB_THREADS = threads
    pa.set_cpu_count(threads)
    if initializer is not None:
        initializer()


def prepare_segments_one_by_one(
    source: str, folder: str | os.PathLike, segments: Mapping[str, str], *, csv=None,
    jobs: int = 1, summarise=None, initializer=None, timezone: str | None = None,
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
    timezone : str, optional
        Passed to :func:`cslib.io.load` (the report timezone).

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
    args = [(source, name, str(tmp / slug), csv, summarise, timezone)
            for name, slug in segments.items()]
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


def _read_prepared(folder, source: str, segment: str | None, names: list[str], csv):
    """The prepared slice of ``segment`` in ``folder`` (see :func:`prepare_segments`),
    or None (no folder, or slices of another source, CSV options or segments)."""
    from .io import Warehouse

    marker = _prepared_marker(folder, source, csv) if folder else {}
    slug = marker.get("segments", {}).get(segment or "all")
    if slug is None:
        return None
    tables = {n: pd.read_feather(Path(folder) / slug / f"{n}{SLICE_SUFFIX}")
              for n in names if n in marker.get("tables", [])}
    return Warehouse(tables, source=source, files=marker.get("files"))


