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
           "read_csv", "write_csv_folder",
           "check_csv_options"]


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
    def from_params(cls, params: Mapping | None, table: str | None = None) -> CsvDialect:
        """The options of a ``csv:`` mapping, for ``table`` when given.

        Options can be set per table when a folder mixes dialects: a key named
        after a table holds that table's options, on top of the others
        (``{sep: ";", nps_responses: {encoding: utf-16}}``).
        """
        params = dict(params or {})
        problems = check_csv_options(params)
        if problems:
            raise SourceError("; ".join(problems) + ".")
        options = {k: v for k, v in params.items() if k in cls.__dataclass_fields__}
        if table is not None and isinstance(params.get(table), Mapping):
            options.update(params[table])
        return cls(**options)


_SEPARATORS = (",", ";", "\t", "|")


def check_csv_options(options: Mapping) -> list[str]:
    """What is wrong with a ``csv:`` mapping (empty when nothing): unknown options,
    unknown encodings, separators and marks, per-table options of unknown tables.

    Examples
    --------
    >>> check_csv_options({"encoding": "latin-9000", "sep": ";"})
    ["unknown encoding 'latin-9000' (e.g. 'utf-8', 'latin-1', 'cp1252', 'utf-16')"]
    """
    import codecs

    fields_ = CsvDialect.__dataclass_fields__
    problems: list[str] = []
    if not isinstance(options, Mapping):
        return [f"expected a mapping of options, got {type(options).__name__}"]
    unknown = [str(k)[:60] for k in options if k not in fields_ and k not in SCHEMAS]
    if unknown:
        problems.append(f"Unknown CSV option(s) {sorted(unknown)}; valid options are "
                        f"{sorted(fields_)}, or a table name holding that table's options")
    for key, value in options.items():
        if key in SCHEMAS:
            if not isinstance(value, Mapping):
                problems.append(f"`{key}` (per-table options) must be a mapping, got "
                                f"{str(value)[:60]!r}")
            else:
                inner = {k: v for k, v in value.items() if k not in SCHEMAS}
                if len(inner) < len(value):
                    problems.append(f"`{key}` cannot hold options of another table")
                problems += [f"`{key}`: {p}" for p in check_csv_options(inner)]
            continue
        if key not in fields_:
            continue
        if value is None:
            continue
        if key == "encoding":
            try:
                codecs.lookup(str(value))
            except LookupError:
                problems.append(f"unknown encoding {str(value)[:60]!r} (e.g. 'utf-8', "
                                "'latin-1', 'cp1252', 'utf-16')")
        elif key == "sep" and value not in _SEPARATORS:
            problems.append(f"`sep` must be one of {list(_SEPARATORS)}, got {str(value)[:60]!r}")
        elif key == "decimal" and value not in (",", "."):
            problems.append(f"`decimal` must be ',' or '.', got {str(value)[:60]!r}")
        elif key == "thousands" and value not in ("", ".", ",", " "):
            problems.append(f"`thousands` must be '.', ',', ' ' or '' (none), got "
                            f"{str(value)[:60]!r}")
        elif key == "dayfirst" and not isinstance(value, bool):
            problems.append(f"`dayfirst` must be true or false, got {str(value)[:60]!r}")
    return problems


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


def _line_of(raw: bytes, offset: int) -> int:
    """The 1-based line of the file that byte ``offset`` is on."""
    return raw.count(b"\n", 0, offset) + 1


def _utf16_without_bom(raw: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` when the NUL bytes say so, else None."""
    sample = raw[:4096]
    if len(sample) < 4 or sample.count(0) < len(sample) // 4:
        return None
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    if odd > 3 * even:
        return "utf-16-le"
    if even > 3 * odd:
        return "utf-16-be"
    return None


def _read_text(path: Path, encoding: str | None) -> tuple[str, str]:
    """The text of a CSV file, decoded one way as a whole, and the encoding used.

    A UTF-8 file with a BOM, a UTF-16 file with or without one, and files in one
    8-bit encoding (cp1252, a superset of Latin-1) are read. A file that mixes
    encodings (UTF-8 with one row saved as Latin-1) is refused, naming the row.
    """
    import codecs

    raw = path.read_bytes()

    def refuse(err: UnicodeDecodeError, enc: str, why: str) -> SourceError:
        line = _line_of(raw, err.start)
        return SourceError(
            f"{path}: {why} line {line} of the file (data row {max(line - 1, 1)}) is not "
            f"valid {enc} (byte {err.start}: {raw[err.start:err.start + 1]!r}). Save the "
            "whole file in one encoding (UTF-8 is best), or declare its encoding with "
            "`csv: {encoding: ...}` in the params file.")

    if encoding:
        enc = codecs.lookup(encoding).name
        if enc == "utf-8" and raw.startswith(codecs.BOM_UTF8):
            enc = "utf-8-sig"
        try:
            return raw.decode(enc), enc
        except UnicodeDecodeError as err:
            raise refuse(err, enc, "declared as " + enc + ", but") from err
    if raw.startswith(codecs.BOM_UTF8):
        try:
            return raw.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError as err:
            raise refuse(err, "UTF-8", "starts as UTF-8 (a BOM), but") from err
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as err:
            raise refuse(err, "UTF-16", "starts as UTF-16 (a BOM), but") from err
    utf16 = _utf16_without_bom(raw)
    if utf16:
        try:
            return raw.decode(utf16), utf16
        except UnicodeDecodeError as err:
            raise refuse(err, utf16, "looks like UTF-16 (NUL bytes), but") from err
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as err:
        # Real UTF-8 text elsewhere (multi-byte characters) means two encodings in one
        # file: reading it all as Latin-1 would turn every one of them into mojibake.
        if _UTF8_MULTIBYTE.search(raw):
            raise refuse(err, "UTF-8", "is UTF-8 (it holds UTF-8 characters), but") from err
        # Latin-1 decodes every byte; Windows exports use cp1252, its superset.
        try:
            return raw.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            return raw.decode("latin-1"), "latin-1"


_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}"
                             rb"|[\xf0-\xf4][\x80-\xbf]{3}")


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


_DAY_MONTH = r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})\b"


def _date_order(text: pd.Series, kind: str = "date") -> bool | None:
    """What a column's own values say about its day/month order: True (dd/mm: a first
    number above 12), False (mm/dd: a second one above 12), None (nothing, or both).

    A ``month`` column holds first days: 01/10, 01/11, 01/12 are day first when
    only the first number is always 1 (and the second varies).
    """
    parts = text.astype("string").str.extract(_DAY_MONTH)
    if parts.empty:
        return None
    first = pd.to_numeric(parts[0], errors="coerce").dropna()
    second = pd.to_numeric(parts[1], errors="coerce").dropna()
    day_first, month_first = bool((first > 12).any()), bool((second > 12).any())
    if day_first != month_first:
        return day_first
    if kind == "month" and not (day_first or month_first) and len(first):
        ones_first, ones_second = bool((first == 1).all()), bool((second == 1).all())
        if ones_first != ones_second:
            return ones_first
    return None


def _to_dates(text: pd.Series, dayfirst: bool, timezone: str | None = None) -> pd.Series:
    """Parse dates, leaving unparseable text in place for validation to report.

    Values with a UTC offset (``Z``, ``-03:00``) become local times of
    ``timezone`` (see :func:`cslib.schemas.parse_datetimes`).
    """
    from .schemas import parse_datetimes

    s = text.astype("string").str.strip()
    parsed = parse_datetimes(s, dayfirst=dayfirst, timezone=timezone)
    out = s.astype(object)
    ok = parsed.notna()
    out[ok] = parsed[ok]
    return out


def read_csv(path: str | os.PathLike, table: str | None = None,
             dialect: CsvDialect | None = None, *, timezone: str | None = None
             ) -> pd.DataFrame:
    """Read one CSV export as text, then undo its regional number and date formats.

    Parameters
    ----------
    path : path-like
        The file.
    table : str, optional
        The table it holds; its contract says which columns are numbers and
        dates. Defaults to the file's stem.
    dialect : CsvDialect, optional
        Declared options; the rest is detected. The day/month order of each
        date column is told from that column's own values (a day above 12),
        else the declared ``dayfirst``, else the file's dialect (``;`` or
        decimal commas: day first); a column whose order was assumed is listed
        in ``attrs["cslib_date_order_guessed"]``.
    timezone : str, optional
        Date-times with a UTC offset are converted to this timezone's local
        times.

    Raises
    ------
    SourceError
        The file mixes encodings, is not valid in the declared one, repeats a
        column name (also after trimming spaces) or cannot be parsed as CSV.

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
    _check_header(path, text, detected.sep)
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
    guessed: list[str] = []
    orders: dict[str, bool] = {}
    for column in schema.columns:
        if column.name not in frame.columns:
            continue
        if column.kind in ("int", "float"):
            frame[column.name] = _to_number(frame[column.name], decimal, thousands)
        elif column.kind in ("date", "month", "datetime"):
            order = _date_order(frame[column.name], column.kind)
            if order is None:
                order = declared.dayfirst
            if order is None:
                order = detected.sep == ";" or decimal == ","
                if frame[column.name].astype("string").str.contains(
                        _DAY_MONTH.replace("(", "(?:")).any():
                    guessed.append(column.name)
            frame[column.name] = _to_dates(frame[column.name], order, timezone)
            orders[column.name] = order
    frame.attrs["dialect"] = {"sep": detected.sep, "decimal": decimal, "thousands": thousands,
                              "encoding": encoding, "dayfirst": detected.dayfirst,
                              "date_order": {c: ("day first" if o else "month first")
                                             for c, o in orders.items()}}
    if guessed:
        from .schemas import GUESSED_DATE_ORDER

        frame.attrs[GUESSED_DATE_ORDER] = guessed
        how = "day first (dd/mm/yyyy)" if orders[guessed[0]] else "month first (mm/dd/yyyy)"
        cols = ", ".join(f"`{c}`" for c in guessed)
        other = "false" if orders[guessed[0]] else "true"
        date_note = (f"{path} (table `{table}`): no value of {cols} tells whether the day "
                     f"or the month comes first (none is above 12); read {how}. If that is "
                     f"wrong, declare it: `csv: {{dayfirst: {other}}}` in the params file.")
        note = f"{note} {date_note}" if note else date_note
    if note:
        frame.attrs["dialect_note"] = note
        warnings.warn(note, AmbiguousDialectWarning, stacklevel=2)
    return frame


def _check_header(path: Path, text: str, sep: str) -> None:
    """Refuse a header that repeats a column name, also after trimming spaces."""
    first = text.split("\n", 1)[0]
    try:
        names = next(_csv.reader([first], delimiter=sep))
    except (StopIteration, _csv.Error):
        return
    seen: dict[str, list[str]] = {}
    for name in names:
        seen.setdefault(name.strip().lstrip("\ufeff").strip(), []).append(name)
    repeated = {k: v for k, v in seen.items() if len(v) > 1 and k}
    if repeated:
        shown = "; ".join(" and ".join(repr(n) for n in v) for v in repeated.values())
        raise SourceError(
            f"{path}: the header repeats column name(s) {shown} (names are compared with "
            "spaces trimmed), so which column holds the data cannot be told. Rename or "
            "drop the repeated column(s) in the export.")


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

