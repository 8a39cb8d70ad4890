"""CSV dialects: how an export is written, detected per file or declared.

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
import os
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .exceptions import SourceError
from .schemas import SCHEMAS

__all__ = ["CsvDialect", "AmbiguousDialectWarning", "NulBytesWarning", "detect_dialect",
           "read_csv", "write_csv_folder"]


class AmbiguousDialectWarning(UserWarning):
    """A CSV file's numbers could be read two ways; the message says which was assumed."""


class NulBytesWarning(UserWarning):
    """NUL bytes were removed from a CSV file."""


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
        warnings.warn(f"{path}: NUL bytes removed.", NulBytesWarning, stacklevel=2)
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

