"""What was known at a month's end: the point-in-time cut every report goes through.

A report for month M shows what the business knew at M's last instant, so
re-rendering an old month later gives the same figures as rendering it the
day after it closed. :func:`known_at` applies the rule to a whole warehouse:

- rows dated at or after the cut are left out (answers, invitations, tickets
  opened, loop actions, usage and MRR months);
- facts learned later are undone: a ticket resolved after the cut is open, and
  so is an opportunity won or lost after it (no account linked yet);
- accounts that signed up after the cut do not exist yet, and neither do
  their rows in any table.

The rules are data (:data:`EVENT_DATES`, :data:`LATER_FACTS`,
:data:`SIGNUP_DATE`), so a new dated table joins the cut by adding a line
here, and the report context (:func:`cslib.context.open_report`) is the one
place that applies it. All timestamps are naive local times in the report's
timezone (the readers convert offsets on the way in), so month boundaries are
local midnight.

Examples
--------
>>> import pandas as pd
>>> from cslib.pointintime import known_at
>>> tables = {
...     "accounts": pd.DataFrame({"account_id": ["A1", "A2"],
...         "signup_date": pd.to_datetime(["2026-01-10", "2026-11-02"])}),
...     "tickets": pd.DataFrame({"ticket_id": ["T1", "T2", "T3"],
...         "account_id": ["A1", "A1", "A2"],
...         "opened_at": pd.to_datetime(["2026-10-30", "2026-11-03", "2026-11-04"]),
...         "resolved_at": pd.to_datetime(["2026-11-02", None, None])})}
>>> cut = known_at(tables, "2026-10")
>>> cut["accounts"]["account_id"].tolist()
['A1']
>>> cut["tickets"][["ticket_id", "resolved_at"]]
  ticket_id resolved_at
0        T1         NaT
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .periods import month_end

__all__ = ["EVENT_DATES", "LATER_FACTS", "LATER_STATES", "SIGNUP_DATE", "known_at", "cut_instant"]

#: Per table, the column dating each row: a row dated at or after the cut is left out.
#: ``mrr`` and ``usage`` are monthly (first day of the month), so month M's row is in.
EVENT_DATES: dict[str, str] = {
    "nps_responses": "responded_at",
    "nps_invitations": "sent_at",
    "tickets": "opened_at",
    "loop_actions": "done_at",
    "mrr": "month",
    "usage": "month",
    "opportunities": "created_at",
    "opportunity_stages": "entered_at",
    "onboarding_milestones": "reached_at",
}

#: Per table, columns holding facts learned later than the row itself: a value dated at
#: or after the cut is undone (set missing), as the fact was not known yet.
LATER_FACTS: dict[str, tuple[str, ...]] = {
    "tickets": ("resolved_at",),
}

#: Per table, a date column whose fact changes the row's state, and what the other
#: columns read before it: an opportunity closed at or after the cut was still open
#: then, and not yet linked to the account it became (undone before the sign-up cut, so
#: an opportunity won after the cut stays, open, while its account does not exist yet).
LATER_STATES: dict[str, tuple[str, dict[str, object]]] = {
    "opportunities": ("closed_at", {"outcome": "open", "account_id": None}),
}

#: The accounts table and its sign-up column: accounts signed up at or after the cut do
#: not exist yet, and every row of theirs (by ``account_id``) goes with them.
SIGNUP_DATE: tuple[str, str] = ("accounts", "signup_date")

#: Tables whose rows belong to another table's rows (table, its key, the parent, its key):
#: when the parent row is cut, so is the child.
CHILDREN: tuple[tuple[str, str, str, str], ...] = (
    ("loop_actions", "response_id", "nps_responses", "response_id"),
    ("opportunity_stages", "opportunity_id", "opportunities", "opportunity_id"),
)


def cut_instant(month) -> pd.Timestamp:
    """The first instant after ``month``: rows dated at or after it are unknown at its end.

    Examples
    --------
    >>> cut_instant("2026-10")
    Timestamp('2026-11-01 00:00:00')
    """
    return month_end(month)


def _dates(values: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    return pd.to_datetime(values, errors="coerce")


def _keep(frame: pd.DataFrame, mask) -> pd.DataFrame:
    mask = np.asarray(mask, dtype=bool)
    return (frame if mask.all() else frame.loc[mask]).reset_index(drop=True)


def _isin(values: pd.Series, among: pd.Series) -> np.ndarray:
    """``values.isin(among)`` as a bool array (a missing value matches a missing key).

    Strings are matched in pyarrow (pandas' isin on arrow strings builds one scalar
    per value of ``among``, seconds for a large table's keys).
    """
    if not isinstance(values.dtype, pd.StringDtype):
        return values.isin(among).to_numpy(dtype=bool)
    import pyarrow as pa
    import pyarrow.compute as pc

    left = pa.chunked_array([pa.array(values)]) if not isinstance(
        pa.array(values), pa.ChunkedArray) else pa.array(values)
    if isinstance(among.dtype, pd.StringDtype):
        right = pa.array(among)
        if isinstance(right, pa.ChunkedArray):
            right = right.combine_chunks()
        right = right.cast(left.type)
    else:  # keep the strings and missing values, as pandas does
        right = pa.array([None if pd.isna(x) else x for x in among.to_numpy(dtype=object)
                          if pd.isna(x) or isinstance(x, str)], type=left.type)
    return pc.is_in(left, value_set=right).to_numpy().astype(bool)


def known_at(tables: Mapping[str, pd.DataFrame], month=None, *,
             at: pd.Timestamp | None = None) -> Mapping[str, pd.DataFrame]:
    """The tables as they were known at the end of ``month`` (or at instant ``at``).

    Parameters
    ----------
    tables : mapping of str to DataFrame
        A warehouse (:class:`cslib.io.Warehouse` or a plain dict) of validated
        tables. Not modified; tables the rules do not name are passed through.
    month : str or Timestamp, optional
        The report month; the cut is the first instant of the next month.
    at : Timestamp, optional
        The cut itself, instead of ``month``.

    Returns
    -------
    Warehouse or dict
        Of the same type as ``tables`` (a Warehouse keeps its ``source``,
        ``files`` and ``notes``), each table a new frame with a fresh index.

    Examples
    --------
    >>> mrr = pd.DataFrame({"account_id": ["A1", "A1"],
    ...     "month": pd.to_datetime(["2026-10-01", "2026-11-01"]), "mrr": [10.0, 12.0]})
    >>> known_at({"mrr": mrr}, "2026-10")["mrr"]
      account_id      month   mrr
    0         A1 2026-10-01  10.0
    """
    if (month is None) == (at is None):
        raise TypeError("known_at: pass either `month` or `at`.")
    cut = pd.Timestamp(at) if at is not None else cut_instant(month)
    out = {name: frame for name, frame in tables.items()}
    for name, (fact, before) in LATER_STATES.items():
        frame = out.get(name)
        if frame is None or fact not in frame.columns:
            continue
        later = (_dates(frame[fact]) >= cut).to_numpy()
        if later.any():
            frame = frame.copy()
            frame[fact] = frame[fact].mask(later)
            for column, value in before.items():
                if column in frame.columns:
                    frame[column] = frame[column].mask(later, value) if value is not None \
                        else frame[column].mask(later)
            out[name] = frame

    table, column = SIGNUP_DATE
    gone: pd.Series | None = None
    if table in out and column in out[table].columns:
        accounts = out[table]
        later = (_dates(accounts[column]) >= cut).to_numpy()
        gone = accounts.loc[later, "account_id"] if later.any() else None
        out[table] = _keep(accounts, ~later)

    for name, frame in list(out.items()):
        if name == table:
            continue
        keep = np.ones(len(frame), dtype=bool)
        date = EVENT_DATES.get(name)
        if date is not None and date in frame.columns:
            keep &= ~(_dates(frame[date]) >= cut).to_numpy()
        if gone is not None and "account_id" in frame.columns:
            keep &= ~_isin(frame["account_id"], gone)
        frame = _keep(frame, keep)
        for fact in LATER_FACTS.get(name, ()):
            if fact in frame.columns:
                later = _dates(frame[fact]) >= cut
                if later.any():
                    frame = frame.copy()
                    frame[fact] = frame[fact].mask(later)
        out[name] = frame

    for child, key, parent, parent_key in CHILDREN:
        if child in out and parent in out and key in out[child].columns:
            known = out[parent][parent_key]
            out[child] = _keep(out[child], _isin(out[child][key], known))

    if hasattr(tables, "source") and hasattr(tables, "notes"):
        from .io import Warehouse

        return Warehouse(out, source=tables.source, files=getattr(tables, "files", None),
                         notes=tables.notes)
    return out
