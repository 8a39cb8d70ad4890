"""Data contracts: the tables the kit reads, their columns, types and rules.

Each table is a :class:`Table` of :class:`Column` objects. :func:`validate`
checks a whole warehouse lazily: it collects every problem of every table
(missing tables and columns, values of the wrong type, values out of range,
duplicate keys, references to unknown rows, empty tables) and raises one
:class:`~cslib.exceptions.SchemaError` that names, for each problem, the table,
the file, the column, a few offending rows and values, and what to do.

Types are coerced on the way in, so a CSV read as text comes out with real
dates and numbers; a value that cannot be coerced is a problem, never a
silent ``NaN``.

Examples
--------
>>> import pandas as pd
>>> from cslib.schemas import validate_table
>>> users = pd.DataFrame({"user_id": ["U1", "U2"], "account_id": ["A1", "A1"],
...                       "user_type": ["admin", "end user"]})
>>> clean, problems = validate_table("users", users)
>>> problems
[]
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .exceptions import SchemaError

__all__ = [
    "Column",
    "Table",
    "SCHEMAS",
    "REQUIRED_TABLES",
    "Problem",
    "validate",
    "validate_table",
    "format_problems",
    "parse_datetimes",
    "empty_table",
    "UnknownOrderWarning",
]


class UnknownOrderWarning(RuntimeWarning):
    """A stage or milestone is not in the order the params file names (it is left out)."""


#: How many offending rows and values a message quotes.
MAX_EXAMPLES = 5


@dataclass(frozen=True)
class Column:
    """One column of a table contract.

    Parameters
    ----------
    name : str
        Column name, as in the export.
    kind : {"str", "int", "float", "date", "month", "datetime", "bool"}
        The type values are coerced to. ``month`` is a date on the first day
        of its month (any day in the month is accepted and floored).
    required : bool
        The column must be present.
    nullable : bool
        Missing values are allowed.
    min, max : float, optional
        Inclusive bounds for numbers.
    allowed : tuple of str, optional
        The only values a text column may take.
    description : str
        What the column holds (shown in the README table).
    """

    name: str
    kind: str
    required: bool = True
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] | None = None
    description: str = ""


@dataclass(frozen=True)
class Table:
    """A table contract: its columns, key and references to other tables.

    ``one_of`` lists groups of alternative columns: at least one column of
    each group must be present (``usage`` needs ``active_users`` and/or
    ``events``). ``aliases`` maps other names a column is read under
    (``day`` -> ``date``).
    """

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    references: Mapping[str, str] = field(default_factory=dict)
    required: bool = True
    description: str = ""
    one_of: tuple[tuple[str, ...], ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


SCHEMAS: dict[str, Table] = {
    t.name: t
    for t in [
        Table(
            "accounts",
            (
                Column("account_id", "str", description="Unique account id"),
                Column("name", "str", description="Account (customer) name"),
                Column("segment", "str", description="Customer segment, e.g. SMB"),
                Column("plan", "str", description="Commercial plan"),
                Column("region", "str", description="Sales region"),
                Column("signup_date", "date", description="Date the account signed up"),
                Column("csm", "str", nullable=True, description="Customer success manager"),
                Column("cac", "float", required=False, nullable=True, min=0,
                       description="Acquisition cost (optional)"),
                Column("employees", "int", required=False, nullable=True, min=0,
                       description="Company size (optional)"),
            ),
            key=("account_id",),
            description="One row per customer account.",
        ),
        Table(
            "users",
            (
                Column("user_id", "str", description="Unique user id"),
                Column("account_id", "str", description="Account the user belongs to"),
                Column("user_type", "str", description="e.g. admin, end user, executive"),
                Column("email", "str", required=False, nullable=True,
                       description="E-mail (optional)"),
            ),
            key=("user_id",),
            references={"account_id": "accounts"},
            description="Every person who touches the product.",
        ),
        Table(
            "mrr",
            (
                Column("contract_id", "str", description="Contract (one per product)"),
                Column("account_id", "str", description="Account holding the contract"),
                Column("product", "str", description="Product of the contract"),
                Column("month", "month", description="Month (first day)"),
                Column("mrr", "float", min=0,
                       description="Monthly recurring revenue; a missing row means 0"),
            ),
            key=("contract_id", "month"),
            references={"account_id": "accounts"},
            description="One row per contract and month.",
        ),
        Table(
            "nps_responses",
            (
                Column("response_id", "str", description="Unique response id"),
                Column("user_id", "str", description="Respondent"),
                Column("account_id", "str", description="Respondent's account"),
                Column("responded_at", "datetime", description="When the answer was given"),
                Column("score", "int", min=0, max=10, description="0-10 answer"),
                Column("comment", "str", required=False, nullable=True,
                       description="Free-text verbatim (optional)"),
                Column("wave", "int", required=False, nullable=True, min=1,
                       description="Survey wave (optional)"),
            ),
            key=("response_id",),
            references={"account_id": "accounts", "user_id": "users"},
            description="One row per NPS answer.",
        ),
        Table(
            "usage",
            (
                Column("account_id", "str", description="Account"),
                Column("feature", "str", description="Product feature"),
                Column("month", "month", required=False,
                       description="Month (first day); other days are read as day-level rows"),
                Column("date", "date", required=False,
                       description="Day of a day-level row; such rows are reduced to months"),
                Column("active_users", "int", required=False, nullable=True, min=0,
                       description="Distinct users of the feature that month (or day)"),
                Column("events", "int", required=False, nullable=True, min=0,
                       description="Events that month (or day)"),
            ),
            key=("account_id", "feature", "month"),
            references={"account_id": "accounts"},
            one_of=(("month", "date"), ("active_users", "events")),
            aliases={"day": "date"},
            description="Per account, feature and month (or day): active users and/or events. "
            "Day-level rows are reduced to months: events summed, active_users the highest "
            "daily count (a lower bound of the month's distinct users; reduce raw events "
            "with cslib.usage for exact counts).",
        ),
        Table(
            "tickets",
            (
                Column("ticket_id", "str", description="Unique ticket id"),
                Column("account_id", "str", description="Account"),
                Column("opened_at", "datetime", description="When the ticket was opened"),
                Column("resolved_at", "datetime", nullable=True,
                       description="When it was resolved (empty if open)"),
                Column("contacts", "int", required=False, min=1,
                       description="Contacts until resolution (1 = first-contact resolution)"),
                Column("first_contact_resolved", "bool", required=False, nullable=True,
                       description="Solved at the first contact (true/false, 1/0, yes/no, "
                       "sim/não)"),
            ),
            key=("ticket_id",),
            references={"account_id": "accounts"},
            one_of=(("contacts", "first_contact_resolved"),),
            description="Support tickets; first-contact resolution as a count of contacts "
            "or a flag.",
        ),
        Table(
            "loop_actions",
            (
                Column("response_id", "str", description="NPS response acted on"),
                Column("action", "str", allowed=("call", "email", "meeting"),
                       description="call, email or meeting"),
                Column("done_at", "datetime", description="When it was done"),
                Column("holdout", "bool", required=False, nullable=True,
                       description="The answer was randomised out of the playbook: no "
                                   "action within the SLA on purpose (a holdout group); "
                                   "the row's action came after it"),
            ),
            key=("response_id", "action"),
            references={"response_id": "nps_responses"},
            description="Close-the-loop actions on NPS answers.",
        ),
        Table(
            "nps_invitations",
            (
                Column("user_id", "str", description="User asked"),
                Column("account_id", "str", description="User's account"),
                Column("wave", "int", min=1, description="Wave number"),
                Column("sent_at", "datetime", description="When the survey was sent"),
            ),
            key=("user_id", "sent_at"),
            references={"account_id": "accounts", "user_id": "users"},
            required=False,
            description="Survey sends (optional; gives response rates).",
        ),
        Table(
            "opportunities",
            (
                Column("opportunity_id", "str", description="Unique sales opportunity id"),
                Column("account_id", "str", nullable=True,
                       description="Account it became once won (empty while open or lost)"),
                Column("owner", "str", description="Seller who owns the opportunity"),
                Column("channel", "str", description="Channel or source, e.g. inbound"),
                Column("created_at", "datetime", description="When it was created"),
                Column("amount", "float", nullable=True, min=0,
                       description="Expected or won amount"),
                Column("outcome", "str", allowed=("won", "lost", "open"),
                       description="won, lost or open"),
                Column("closed_at", "datetime", nullable=True,
                       description="When it was won or lost (empty while open)"),
            ),
            key=("opportunity_id",),
            references={"account_id": "accounts"},
            required=False,
            description="Sales opportunities (optional; the sales funnel).",
        ),
        Table(
            "opportunity_stages",
            (
                Column("opportunity_id", "str", description="Opportunity"),
                Column("stage", "str",
                       description="Stage entered (one of the params file's `stages`)"),
                Column("entered_at", "datetime", description="When the stage was entered"),
            ),
            key=("opportunity_id", "stage"),
            references={"opportunity_id": "opportunities"},
            required=False,
            description="Stage history of each opportunity (optional).",
        ),
        Table(
            "onboarding_milestones",
            (
                Column("account_id", "str", description="Account"),
                Column("milestone", "str",
                       description="Milestone reached (one of the params file's `milestones`)"),
                Column("reached_at", "datetime", description="When it was reached"),
            ),
            key=("account_id", "milestone"),
            references={"account_id": "accounts"},
            required=False,
            description="Onboarding milestones per account (optional; time to value).",
        ),
    ]
}

#: Tables every source must provide.
REQUIRED_TABLES = tuple(name for name, t in SCHEMAS.items() if t.required)

_FIX = {
    "missing_table": "Export the table as `{table}` (a file {table}.csv or {table}.parquet, "
    "or a table of that name in the database).",
    "missing_column": "Add the column to the export, or rename the column that holds it.",
    "missing_one_of": "The table needs at least one of these columns: add one to the export, "
    "or rename the column that holds it.",
    "empty_table": "Check the export's filters: the table has a header but no rows.",
    "null": "Fill the missing values or drop those rows.",
    "type": "Fix those values in the export (expected {kind}).",
    "min": "Values must be >= {min}: fix the export or drop those rows.",
    "max": "Values must be <= {max}: fix the export or drop those rows.",
    "allowed": "Allowed values are {allowed}: fix the export or drop those rows.",
    "duplicate_key": "Each {key} must appear once: remove or merge the duplicates.",
    "unknown_reference": "Every value must exist in `{ref}`: add the missing rows there "
    "or drop these.",
    "not_finite": "Amounts must be finite numbers below 1e15 in size (inf, nan and 1e308 "
    "are not amounts): fix the export or drop those rows.",
    "before": "`{col}` cannot be before `{other}`: fix the dates in the export or drop "
    "those rows.",
    "unknown_order": "The params file's `{key}` lists {order}: add the value there (in its "
    "place in the order), or rename it in the export.",
    "future": "Dates after today ({today}) cannot be real events: fix the export (a wrong "
    "year, or day and month swapped) or drop those rows.",
}


@dataclass
class Problem:
    """One broken rule, with where it is and what to do."""

    table: str
    column: str | None
    check: str
    rows: list[int]
    values: list
    n: int
    fix: str
    file: str | None = None

    def message(self) -> str:
        where = f"{self.file}" if self.file else f"table `{self.table}`"
        if self.file:
            where += f" (table `{self.table}`)"
        col = f": column `{self.column}`" if self.column else ""
        if self.check == "missing_one_of":
            col = ": columns " + " and ".join(f"`{c}`" for c in self.column.split(", "))
        what = {
            "missing_table": "is missing",
            "missing_column": "is missing",
            "missing_one_of": "are missing (at least one of them is needed)",
            "empty_table": "has no rows",
            "null": f"has {self.n} missing value(s)",
            "type": f"has {self.n} value(s) that cannot be read",
            "min": f"has {self.n} value(s) below the minimum",
            "max": f"has {self.n} value(s) above the maximum",
            "allowed": f"has {self.n} value(s) that are not allowed",
            "duplicate_key": f"has {self.n} duplicate key(s)",
            "unknown_reference": f"has {self.n} reference(s) to unknown rows",
            "not_finite": f"has {self.n} value(s) that are not finite amounts",
            "before": f"has {self.n} date(s) before the date they follow",
            "future": f"has {self.n} date(s) after today",
            "unknown_order": f"has {self.n} value(s) not in the order of the params file",
        }[self.check]
        detail = ""
        if self.rows:
            more = ", ..." if self.n > len(self.rows) else ""
            detail = f" (rows {', '.join(map(str, self.rows))}{more}"
            if self.values:
                detail += "; e.g. " + ", ".join(_show(v) for v in self.values)
            detail += ")"
        return f"{where}{col} {what}{detail}. {self.fix}"


def _show(value) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


#: Longest number a numeric column accepts (in size): anything larger is a misread or a
#: placeholder (1e308), never an amount.
MAX_MAGNITUDE = 1e15

#: ``frame.attrs`` flag: the frame's index holds the 0-based data-row number of each row
#: in its file (kept by :func:`cslib.io.load` when it drops exact duplicates), so that
#: messages quote the file's own rows.
SOURCE_ROWS = "cslib_source_rows"

#: ``frame.attrs`` key: date columns whose day/month order was assumed (no value proved it).
GUESSED_DATE_ORDER = "cslib_date_order_guessed"


def _rows(mask: pd.Series, labels=None) -> tuple[list[int], int]:
    """1-based data-row numbers (header not counted) where ``mask`` is true.

    ``labels`` (0-based row numbers of the file, one per row) replace the
    positions when given.
    """
    positions = np.flatnonzero(mask.to_numpy(dtype=bool))
    shown = positions[:MAX_EXAMPLES]
    if labels is not None:
        shown = np.asarray(labels)[shown]
    return [int(p) + 1 for p in shown], int(len(positions))


_OFFSET = r"(?:Z|[+-]\d{2}(?::?\d{2})?)$"


def parse_datetimes(series: pd.Series, *, dayfirst: bool | None = None,
                    timezone: str | None = None) -> pd.Series:
    """Parse date-time text, converting values with an offset to local times of ``timezone``.

    Values that carry a UTC offset (``2026-10-01T02:00:00Z``, ``...-03:00``,
    mixed offsets too) are converted to ``timezone`` and returned without a
    timezone, as local times; values without one are read as local times.
    Unparseable values come back as ``NaT``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.Series(["2026-10-01T02:00:00Z", "2026-10-01T02:00:00+01:00", "2026-10-05"])
    >>> parse_datetimes(s, timezone="America/Sao_Paulo").dt.strftime("%Y-%m-%d %H:%M").tolist()
    ['2026-09-30 23:00', '2026-09-30 22:00', '2026-10-05 00:00']
    """
    text = series.astype("string").str.strip()
    out = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")
    has_tz = text.str.contains(r"\d[ T]?\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*" + _OFFSET,
                               regex=True).fillna(False).astype(bool)
    naive = text.notna() & ~has_tz
    # year first (ISO 8601) is never read day first: pandas would read 2026-09-01 as 9 Jan
    iso = naive & text.str.match(r"^\d{4}-\d{1,2}-\d{1,2}").fillna(False).astype(bool)
    for part, kw in ((iso, {}), (naive & ~iso,
                                 {"dayfirst": dayfirst} if dayfirst is not None else {})):
        if not part.any():
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            parsed = pd.to_datetime(text[part], errors="coerce", format="mixed", **kw)
        if getattr(parsed.dt, "tz", None) is not None:  # pragma: no cover - offsets caught
            parsed = parsed.dt.tz_convert(timezone or "UTC").dt.tz_localize(None)
        out[part] = _nanoseconds(parsed)
    if has_tz.any():
        parsed = pd.to_datetime(text[has_tz], errors="coerce", utc=True, format="mixed")
        out[has_tz] = _nanoseconds(parsed.dt.tz_convert(timezone or "UTC").dt.tz_localize(None))
    return out


def _nanoseconds(parsed: pd.Series) -> pd.Series:
    """``parsed`` as ``datetime64[ns]``; dates outside its range (year -1, 3000) become
    NaT, to be reported as unreadable like any other bad date."""
    inside = (parsed >= pd.Timestamp.min) & (parsed <= pd.Timestamp.max)
    return parsed.where(inside).astype("datetime64[ns]")


def is_in(values: pd.Series, allowed: pd.Series) -> pd.Series:
    """``values.isin(allowed)``, hashed in Arrow when both hold Arrow strings.

    pandas' own ``isin`` on Arrow strings turns every allowed value into a
    Python object first: seconds for a few hundred thousand ids.

    Examples
    --------
    >>> import pandas as pd
    >>> is_in(pd.Series(["A1", "A2", None], dtype="string"), pd.Series(["A2"], dtype="string"))
    0    False
    1     True
    2    False
    dtype: bool
    """
    if getattr(values.dtype, "storage", None) == "pyarrow" and \
            getattr(allowed.dtype, "storage", None) == "pyarrow":
        import pyarrow as pa
        import pyarrow.compute as pc

        found = pc.is_in(pa.array(values.array), value_set=pa.array(allowed.array))
        return pd.Series(found.to_numpy(zero_copy_only=False), index=values.index,
                         dtype=bool).where(values.notna(), False)
    return values.isin(allowed)


_TRUE = {"true", "t", "yes", "y", "1", "sim", "s", "verdadeiro"}
_FALSE = {"false", "f", "no", "n", "0", "nao", "não", "falso"}


def _coerce(series: pd.Series, column: Column, timezone: str | None = None
            ) -> tuple[pd.Series, pd.Series]:
    """Coerce ``series`` to the column's kind.

    Returns the coerced series and a mask of values that were present but
    could not be read.
    """
    present = series.notna()
    if series.dtype == object or pd.api.types.is_string_dtype(series):
        stripped = series.astype("string").str.strip()
        present &= stripped.ne("").fillna(False)
        series = stripped.where(present)
    kind = column.kind
    if kind == "str":
        out = series.astype("string").where(present)
        return out, pd.Series(False, index=series.index)
    if kind in ("int", "float"):
        if pd.api.types.is_bool_dtype(series):
            series = series.astype("int64")
        out = pd.to_numeric(series, errors="coerce")
        bad = present & out.isna()
        if not bad.all():
            # inf, nan written out, 1e308: numbers, but never amounts
            huge = out.notna() & ~(out.astype("float64").abs() < MAX_MAGNITUDE)
            bad |= huge
            out = out.where(~huge)
        if kind == "int":
            frac = out.notna() & ~np.isclose(out.fillna(0) % 1, 0)
            bad |= frac
            out = out.where(~frac).round().astype("Int64")
        else:
            out = out.astype("float64")
        return out, bad
    if kind in ("date", "month", "datetime"):
        if pd.api.types.is_datetime64_any_dtype(series):
            out = series
            if getattr(out.dt, "tz", None) is not None:
                out = out.dt.tz_convert(timezone or "UTC").dt.tz_localize(None)
        else:
            out = parse_datetimes(series, timezone=timezone)
        bad = present & out.isna()
        out = out.astype("datetime64[ns]")
        if kind == "date":
            out = out.dt.normalize()
        elif kind == "month":
            out = out.dt.to_period("M").dt.to_timestamp()
            out = out.astype("datetime64[ns]")
        return out, bad
    if kind == "bool":
        if pd.api.types.is_bool_dtype(series):
            return series.astype("boolean"), pd.Series(False, index=series.index)
        if pd.api.types.is_numeric_dtype(series):  # 1/0, also as floats with NaN
            out = pd.Series(pd.NA, index=series.index, dtype="boolean")
            out[(series == 1).fillna(False)] = True
            out[(series == 0).fillna(False)] = False
            return out, present & out.isna()
        text = series.astype("string").str.lower()
        out = pd.Series(pd.NA, index=series.index, dtype="boolean")
        out[text.isin(_TRUE).fillna(False)] = True
        out[text.isin(_FALSE).fillna(False)] = False
        return out, present & out.isna()
    raise ValueError(f"unknown column kind {kind!r}")


def validate_table(
    name: str, data: pd.DataFrame, *, file: str | None = None, allow_empty: bool = False,
    timezone: str | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Check one table against its contract, without raising.

    Parameters
    ----------
    name : str
        Table name, a key of :data:`SCHEMAS`.
    data : pandas.DataFrame
        The table as read. It is not modified.
    file : str, optional
        Where it was read from, quoted in the problems.
    allow_empty : bool
        An empty table is not a problem (a segment's slice may be empty).
    timezone : str, optional
        Date-times with a UTC offset are converted to this timezone's local
        times (UTC when not given); see :func:`parse_datetimes`.

    Returns
    -------
    clean : pandas.DataFrame
        The contract's columns (and any extra ones, untouched) with types
        coerced; unreadable values become missing. Day-level ``usage`` (a
        ``date`` or ``day`` column, or ``month`` values that are not first
        days) is checked row by row, then reduced to months with
        :func:`cslib.usage.usage_to_months` (extra columns dropped), and
        ``clean.attrs["cslib_note"]`` says so.
    problems : list of Problem
        Every rule the table breaks (references to other tables are checked
        by :func:`validate`).

    Examples
    --------
    >>> import pandas as pd
    >>> mrr = pd.DataFrame({"contract_id": ["C1"], "account_id": ["A1"],
    ...                     "product": ["core"], "month": ["2026-01-01"], "mrr": [-5]})
    >>> _, problems = validate_table("mrr", mrr, file="mrr.csv")
    >>> print(problems[0].message())  # doctest: +ELLIPSIS
    mrr.csv (table `mrr`): column `mrr` has 1 value(s) below the minimum (rows 1; e.g. -5.0)...
    """
    clean, problems, day = _check_table(name, data, file=file, allow_empty=allow_empty,
                                        timezone=timezone)
    return _reduce_days(clean, name, day, file), problems


def _check_table(name: str, data: pd.DataFrame, *, file: str | None, allow_empty: bool,
                 timezone: str | None = None
                 ) -> tuple[pd.DataFrame, list[Problem], str | None]:
    """:func:`validate_table` before day-level usage is reduced; also returns the day column."""
    schema = SCHEMAS[name]
    problems: list[Problem] = []
    labels = data.index.to_numpy() if data.attrs.get(SOURCE_ROWS) else None
    guessed = list(data.attrs.get(GUESSED_DATE_ORDER, []))

    def add(column, check, mask=None, values=None, **fmt):
        rows, n = _rows(mask, labels) if mask is not None else ([], 0)
        fix = _FIX[check].format(table=name, **fmt)
        if check == "duplicate_key" and (set(guessed) & set(schema.key)
                                         or (name == "usage" and set(guessed) & {"date"})):
            cols = ", ".join(f"`{c}`" for c in guessed)
            fix += (f" The day/month order of {cols} could not be told from the data and "
                    "was assumed; a wrong order is the likely cause of these duplicates. "
                    "Declare it: `csv: {dayfirst: true}` (dd/mm/yyyy) or `{dayfirst: "
                    "false}` (mm/dd/yyyy) in the params file.")
        problems.append(Problem(name, column, check, rows, values or [], n, fix, file))

    if len(data) == 0 and not allow_empty:
        add(None, "empty_table")
    clean = data.copy()
    clean.columns = [str(c).strip() for c in clean.columns]
    clean = clean.reset_index(drop=True)
    renames = {alias: target for alias, target in schema.aliases.items()
               if alias in clean.columns and target not in clean.columns}
    clean = clean.rename(columns=renames)
    columns = schema.columns
    day = _usage_day_column(clean) if name == "usage" else None
    if day == "month":  # a `month` column holding days: read them as days
        columns = tuple(replace(c, kind="date") if c.name == "month" else c for c in columns)
    for group in schema.one_of:
        if not any(c in clean.columns for c in group):
            add(", ".join(group), "missing_one_of")
    for column in columns:
        if column.name not in clean.columns:
            if column.required:
                add(column.name, "missing_column")
            continue
        raw = clean[column.name]
        coerced, bad = _coerce(raw, column, timezone)
        if bad.any():
            numbers = pd.to_numeric(raw[bad], errors="coerce") if column.kind in (
                "int", "float") else pd.Series(dtype=float)
            check = ("not_finite" if len(numbers) and numbers.notna().all()
                     and (~(numbers.abs() < MAX_MAGNITUDE)).all() else "type")
            add(column.name, check, bad, list(raw[bad].head(MAX_EXAMPLES)), kind=column.kind)
        missing = coerced.isna() & ~bad
        if not column.nullable and missing.any():
            add(column.name, "null", missing)
        if column.min is not None:
            low = (coerced < column.min).fillna(False)
            if low.any():
                add(column.name, "min", low, list(coerced[low].head(MAX_EXAMPLES)),
                    min=column.min)
        if column.max is not None:
            high = (coerced > column.max).fillna(False)
            if high.any():
                add(column.name, "max", high, list(coerced[high].head(MAX_EXAMPLES)),
                    max=column.max)
        if column.allowed is not None:
            wrong = coerced.notna() & ~coerced.isin(column.allowed)
            if wrong.any():
                add(column.name, "allowed", wrong, list(coerced[wrong].head(MAX_EXAMPLES)),
                    allowed=", ".join(column.allowed))
        clean[column.name] = coerced
    key = list(schema.key)
    if day is not None:  # day-level rows: one per account, feature and day
        key = [day if k == "month" else k for k in key]
    if all(k in clean.columns for k in key) and key and len(clean):
        dup = clean.duplicated(key, keep="first")
        if dup.any():
            examples = clean.loc[dup, key].head(MAX_EXAMPLES)
            values = [
                "/".join(str(v) for v in row) for row in examples.itertuples(index=False)
            ]
            add(", ".join(key), "duplicate_key", dup, values, key="(" + ", ".join(key) + ")")
    return clean, problems, day


def _reduce_days(clean: pd.DataFrame, name: str, day: str | None, file: str | None
                 ) -> pd.DataFrame:
    if day is None or not {"account_id", "feature"} <= set(clean.columns) or not any(
            c in clean.columns for c in ("active_users", "events")):
        return clean
    return _usage_days_to_months(clean, day, file or f"table `{name}`")


def _usage_day_column(frame: pd.DataFrame) -> str | None:
    """The column holding days if ``usage`` is day-level (``date``, or ``month`` with days)."""
    if "date" in frame.columns:
        return "date"
    if "month" in frame.columns:
        stamps, _ = _coerce(frame["month"], Column("month", "datetime"))
        if (stamps.dt.day.fillna(1) != 1).any():
            return "month"
    return None


def _usage_days_to_months(clean: pd.DataFrame, day: str, where: str) -> pd.DataFrame:
    """Reduce validated day-level usage to months, noting it in ``attrs["cslib_note"]``."""
    from .usage import usage_to_months

    out = usage_to_months(clean, day=day)
    dropped = [c for c in clean.columns
               if c not in ("account_id", "feature", "month", day, "active_users", "events")]
    if len(out) < len(clean) or dropped:
        counted = "events summed, " if "events" in out.columns else ""
        users = ("active_users is the highest daily count, a lower bound of the month's "
                 "distinct users (reduce raw events with cslib.usage.usage_from_events or "
                 "reduce_usage_events for exact counts)") if "active_users" in out.columns \
            else ""
        how = (counted + users).rstrip(", ")
        extra = (f"; column(s) {', '.join(f'`{c}`' for c in dropped)} dropped"
                 if dropped else "")
        out.attrs["cslib_note"] = (
            f"{where}: {len(clean)} day-level usage row(s) reduced to {len(out)} "
            f"account-feature-month row(s): {how}{extra}.")
    return out


def validate(
    tables: Mapping[str, pd.DataFrame],
    *,
    files: Mapping[str, str] | None = None,
    require: tuple[str, ...] = REQUIRED_TABLES,
    allow_empty: bool = False,
    timezone: str | None = None,
    today: pd.Timestamp | str | None = None,
    stages: tuple[str, ...] | list[str] | None = None,
    milestones: tuple[str, ...] | list[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Validate a whole warehouse and return its tables with types coerced.

    Every problem in every table is collected before anything is raised.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        The tables by name. Tables the contract does not know are passed
        through unchanged.
    files : mapping of str to str, optional
        Where each table was read from, for the messages.
    require : tuple of str
        Tables that must be present.
    allow_empty : bool
        Empty tables are not a problem (used for one segment's slice).
    timezone : str, optional
        The report timezone: date-times with a UTC offset become its local
        times (see :func:`parse_datetimes`); "today" is its date.
    today : timestamp, optional
        The date after which an event is in the future (default: today).
    stages, milestones : list of str, optional
        The sales stages and onboarding milestones in their order (default:
        :data:`cslib.params.DEFAULT_STAGES` and ``DEFAULT_MILESTONES``). A
        stage or milestone not in its order is warned about
        (:class:`UnknownOrderWarning`): the metrics leave it out.

    Rules across columns and tables: a ticket resolved before it was opened, a
    loop action done before its answer, an opportunity closed before it was
    created, a stage entered before its opportunity was created, and an event
    dated after today are problems; events dated after the end of the latest MRR month are kept, and
    ``attrs["cslib_date_note"]`` of their table says how many.

    Returns
    -------
    dict of str to DataFrame

    Raises
    ------
    SchemaError
        With every problem found; ``.problems`` holds them as a table.

    Examples
    --------
    >>> import pandas as pd
    >>> from cslib.schemas import validate
    >>> validate({"users": pd.DataFrame({"user_id": ["U1"]})}, require=("users",))
    Traceback (most recent call last):
    ...
    cslib.exceptions.SchemaError: 2 problem(s) in the data:
    - table `users`: column `account_id` is missing. ...
    """
    files = dict(files or {})
    problems: list[Problem] = []
    clean: dict[str, pd.DataFrame] = {}
    days: dict[str, str | None] = {}
    labels: dict[str, np.ndarray] = {}
    for name in require:
        if name not in tables:
            problems.append(
                Problem(name, None, "missing_table", [], [], 0,
                        _FIX["missing_table"].format(table=name), files.get(name))
            )
    for name, frame in tables.items():
        if name not in SCHEMAS:
            clean[name] = frame
            continue
        clean[name], found, days[name] = _check_table(name, frame, file=files.get(name),
                                                      allow_empty=allow_empty,
                                                      timezone=timezone)
        problems.extend(found)
        if frame.attrs.get(SOURCE_ROWS):
            labels[name] = frame.index.to_numpy()
    for name, schema in SCHEMAS.items():
        if name not in clean:
            continue
        for column, ref in schema.references.items():
            if ref not in clean or column not in clean[name].columns:
                continue
            ref_key = SCHEMAS[ref].key[0]
            if ref_key not in clean[ref].columns:
                continue
            values = clean[name][column]
            unknown = values.notna() & ~is_in(values, clean[ref][ref_key].dropna())
            if unknown.any():
                rows, n = _rows(unknown, labels.get(name))
                problems.append(
                    Problem(name, column, "unknown_reference", rows,
                            list(dict.fromkeys(values[unknown].head(MAX_EXAMPLES))), n,
                            _FIX["unknown_reference"].format(ref=ref), files.get(name))
                )
    problems += _date_rules(clean, files, labels, timezone, today)
    problems += _journey_rules(clean, files, labels)
    _order_warnings(clean, files, labels, stages, milestones)
    if problems:
        raise SchemaError(format_problems(problems), _problem_frame(problems))
    # day-level usage is reduced after its references were checked row by row
    return {name: _reduce_days(frame, name, days.get(name), files.get(name))
            for name, frame in clean.items()}


#: The event dates of each table: checked against today and the latest MRR month.
EVENT_DATES = {"nps_responses": ("responded_at",), "tickets": ("opened_at", "resolved_at"),
               "loop_actions": ("done_at",), "nps_invitations": ("sent_at",),
               "accounts": ("signup_date",),
               "opportunities": ("created_at", "closed_at"),
               "opportunity_stages": ("entered_at",),
               "onboarding_milestones": ("reached_at",)}


def _journey_rules(clean, files, labels) -> list[Problem]:
    """Opportunities closed before created; stages entered before their opportunity."""
    problems: list[Problem] = []

    def is_date(frame, col):
        return (frame is not None and col in frame.columns
                and pd.api.types.is_datetime64_any_dtype(frame[col]))

    def add(name, column, mask, values, other):
        rows, n = _rows(mask, labels.get(name))
        problems.append(Problem(name, column, "before", rows, values[:MAX_EXAMPLES], n,
                                _FIX["before"].format(col=column, other=other),
                                files.get(name)))

    opps = clean.get("opportunities")
    if is_date(opps, "created_at") and is_date(opps, "closed_at"):
        early = (opps["closed_at"] < opps["created_at"]).fillna(False).astype(bool)
        if early.any():
            add("opportunities", "closed_at", early,
                list(opps.loc[early, "opportunity_id"].astype(str)), "created_at")
    stages = clean.get("opportunity_stages")
    if (is_date(opps, "created_at") and is_date(stages, "entered_at")
            and "opportunity_id" in opps.columns and "opportunity_id" in stages.columns
            and len(stages)):
        created = opps.drop_duplicates("opportunity_id").set_index("opportunity_id")[
            "created_at"]
        when = pd.Series(created.reindex(stages["opportunity_id"]).to_numpy(),
                         index=stages.index, dtype="datetime64[ns]")
        early = (stages["entered_at"] < when).fillna(False).astype(bool)
        if early.any():
            add("opportunity_stages", "entered_at", early,
                [f"{o}: {a:%Y-%m-%d} < {b:%Y-%m-%d}" for o, a, b in zip(
                    stages.loc[early, "opportunity_id"].head(MAX_EXAMPLES),
                    stages.loc[early, "entered_at"].head(MAX_EXAMPLES),
                    when[early].head(MAX_EXAMPLES), strict=True)],
                "opportunities.created_at")
    return problems


def _order_warnings(clean, files, labels, stages, milestones) -> None:
    """Warn (:class:`UnknownOrderWarning`) about stages and milestones outside their order."""
    from .params import DEFAULT_MILESTONES, DEFAULT_STAGES

    for name, column, key, order in (
            ("opportunity_stages", "stage", "stages", stages or DEFAULT_STAGES),
            ("onboarding_milestones", "milestone", "milestones", milestones or DEFAULT_MILESTONES)):
        frame = clean.get(name)
        if frame is None or column not in frame.columns or not len(frame):
            continue
        unknown = frame[column].notna() & ~frame[column].isin(list(order))
        if unknown.any():
            rows, n = _rows(unknown, labels.get(name))
            problem = Problem(name, column, "unknown_order", rows,
                              list(dict.fromkeys(frame.loc[unknown, column].head(50)))[
                                  :MAX_EXAMPLES], n,
                              _FIX["unknown_order"].format(key=key, order=", ".join(order)),
                              files.get(name))
            warnings.warn(problem.message(), UnknownOrderWarning, stacklevel=3)


def _date_rules(clean, files, labels, timezone, today) -> list[Problem]:
    """The rules across columns and tables (see :func:`validate`)."""
    problems: list[Problem] = []

    def add(name, column, check, mask, values, **fmt):
        rows, n = _rows(mask, labels.get(name))
        problems.append(Problem(name, column, check, rows, values[:MAX_EXAMPLES], n,
                                _FIX[check].format(**fmt), files.get(name)))

    def is_date(frame, col):
        return col in frame.columns and pd.api.types.is_datetime64_any_dtype(frame[col])

    tickets = clean.get("tickets")
    if tickets is not None and is_date(tickets, "opened_at") and is_date(tickets, "resolved_at"):
        early = (tickets["resolved_at"] < tickets["opened_at"]).fillna(False)
        if early.any():
            add("tickets", "resolved_at", "before", early,
                [f"{a:%Y-%m-%d %H:%M} < {b:%Y-%m-%d %H:%M}" for a, b in zip(
                    tickets.loc[early, "resolved_at"].head(MAX_EXAMPLES),
                    tickets.loc[early, "opened_at"].head(MAX_EXAMPLES), strict=True)],
                col="resolved_at", other="opened_at")
    actions, answers = clean.get("loop_actions"), clean.get("nps_responses")
    if (actions is not None and answers is not None and is_date(actions, "done_at")
            and is_date(answers, "responded_at") and "response_id" in actions.columns
            and "response_id" in answers.columns):
        when = answers.drop_duplicates("response_id").set_index("response_id")["responded_at"]
        answered = pd.Series(when.reindex(actions["response_id"]).to_numpy(),
                             index=actions.index, dtype="datetime64[ns]")
        early = (actions["done_at"] < answered).fillna(False).astype(bool)
        if len(actions) and early.any():
            add("loop_actions", "done_at", "before", early,
                list(actions.loc[early, "response_id"].astype(str)),
                col="done_at", other="nps_responses.responded_at")
    now = pd.Timestamp(today) if today is not None else pd.Timestamp.now(
        tz=timezone or "UTC").tz_localize(None)
    limit = now.normalize() + pd.Timedelta(days=1)
    mrr = clean.get("mrr")
    mrr_end = None
    if mrr is not None and is_date(mrr, "month") and mrr["month"].notna().any():
        mrr_end = mrr["month"].max() + pd.offsets.MonthBegin(1)
    for name, columns in EVENT_DATES.items():
        frame = clean.get(name)
        if frame is None:
            continue
        late_n = 0
        for col in columns:
            if not is_date(frame, col):
                continue
            future = (frame[col] >= limit).fillna(False)
            if future.any():
                add(name, col, "future", future,
                    [f"{v:%Y-%m-%d}" for v in frame.loc[future, col].head(MAX_EXAMPLES)],
                    today=f"{now:%Y-%m-%d}")
            elif mrr_end is not None and name != "accounts":
                late_n += int((frame[col] >= mrr_end).sum())
        if late_n:
            frame.attrs["cslib_date_note"] = (
                f"{files.get(name, f'table `{name}`')}: {late_n} date(s) after the end of "
                f"the latest MRR month ({mrr_end - pd.Timedelta(days=1):%Y-%m-%d}); they "
                "are kept, but count in no month with revenue.")
    return problems


_DTYPES = {"str": "string", "int": "Int64", "float": "float64", "date": "datetime64[ns]",
           "month": "datetime64[ns]", "datetime": "datetime64[ns]", "bool": "boolean"}


def empty_table(name: str) -> pd.DataFrame:
    """A table with no rows and the contract's columns and types (an absent optional table).

    Examples
    --------
    >>> empty_table("nps_invitations").dtypes.astype(str).to_dict()
    {'user_id': 'string', 'account_id': 'string', 'wave': 'Int64', 'sent_at': 'datetime64[ns]'}
    """
    return pd.DataFrame({c.name: pd.Series(dtype=_DTYPES[c.kind])
                         for c in SCHEMAS[name].columns})


def format_problems(problems: list[Problem]) -> str:
    """One message listing every problem, one per line."""
    lines = [f"{len(problems)} problem(s) in the data:"]
    lines += [f"- {p.message()}" for p in problems]
    return "\n".join(lines)


def _problem_frame(problems: list[Problem]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"table": p.table, "file": p.file, "column": p.column, "check": p.check,
             "n": p.n, "rows": p.rows, "values": p.values, "fix": p.fix}
            for p in problems
        ]
    )


def contract_markdown() -> str:
    """The data contracts as a Markdown table (the README's table is this text).

    A column that can stand in for another (``usage``: ``active_users`` or
    ``events``; ``tickets``: ``contacts`` or ``first_contact_resolved``) is
    required as "yes (or `other`)".
    """
    lines = ["| table | column | type | required | rule | meaning |",
             "|---|---|---|---|---|---|"]
    for table in SCHEMAS.values():
        aliases = {target: alias for alias, target in table.aliases.items()}
        for c in table.columns:
            rule = []
            if c.min is not None:
                rule.append(f">= {c.min:g}")
            if c.max is not None:
                rule.append(f"<= {c.max:g}")
            if c.allowed:
                rule.append(" / ".join(c.allowed))
            if not c.nullable:
                rule.append("not empty")
            if c.name in table.key:
                rule.append("key")
            if c.name in table.references:
                rule.append(f"in `{table.references[c.name]}`")
            if c.name in aliases:
                rule.append(f"also read from `{aliases[c.name]}`")
            others = [o for group in table.one_of if c.name in group for o in group
                      if o != c.name]
            if not table.required:
                req = "optional"
            elif others:
                req = "yes (or " + ", ".join(f"`{o}`" for o in others) + ")"
            else:
                req = "yes" if c.required else "optional"
            lines.append(f"| {table.name} | {c.name} | {c.kind} | {req} | "
                         f"{', '.join(rule)} | {c.description} |")
    return "\n".join(lines)
