"""Support metrics: first contact resolution (FCR) and resolution times.

FCR is the share of support tickets solved at the first contact. It is not a
CS metric, but it predicts satisfaction, renewal, expansion and churn (see
``docs/metrics.md``), so the success review reads it per account and the reports
read it per segment. Only resolved tickets count: an open ticket has not been
resolved at any contact yet.

Help desks export it either as a count of contacts (``contacts == 1`` is a
first-contact resolution) or as a flag (``first_contact_resolved``: true/false,
1/0, yes/no, sim/não); :func:`first_contact_flags` reads either, and every
function here works with either.

Group by any column of ``tickets``. To cut by a column of ``accounts`` (for
example ``segment``), merge it in first::

    t = tickets.merge(accounts[["account_id", "segment"]], on="account_id", how="left")
    first_contact_resolution(t, by="segment")

Examples
--------
>>> import pandas as pd
>>> from cslib.support import first_contact_resolution
>>> t = pd.DataFrame({"resolved_at": pd.to_datetime(["2026-10-01"] * 4 + [None]),
...                   "contacts": pd.array([1, 1, 1, 2, 1], dtype="Int64")})
>>> first_contact_resolution(t, min_n=1).round(3)
   n  fcr  rate  ci_low  ci_high  small_sample
0  4    3  0.75   0.301    0.954         False
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from ._checks import as_list as _by_list
from ._checks import require_columns
from .exceptions import ParamsError, SchemaError, SmallSampleWarning
from .schemas import Column, _coerce

__all__ = ["first_contact_flags", "first_contact_resolution", "resolution_times"]


def _require(data: pd.DataFrame, columns: Sequence[str], *, func: str) -> None:
    require_columns(data, columns, where=f"{func}: tickets", hint=(
        "Pass the right names as keyword arguments; to group by an account column such as "
        "`segment`, add it with cslib.tables.with_accounts first."))


def _datetimes(values: pd.Series, *, column: str, func: str) -> pd.Series:
    try:
        return pd.to_datetime(values)
    except (ValueError, TypeError) as err:
        raise SchemaError(
            f"{func}: tickets column `{column}` cannot be read as dates ({err}). Load the "
            "table with cslib.io.load or convert it with pd.to_datetime."
        ) from None


def first_contact_flags(
    tickets: pd.DataFrame,
    *,
    contacts: str = "contacts",
    flag: str = "first_contact_resolved",
) -> pd.Series:
    """Was each ticket solved at the first contact? From a count of contacts or a flag.

    Parameters
    ----------
    tickets : pandas.DataFrame
        The ``tickets`` table. Not modified.
    contacts : str, default "contacts"
        Number of contacts the ticket took (``1`` = first contact).
    flag : str, default "first_contact_resolved"
        A yes/no column: ``True``/``False``, ``1``/``0`` or the text ``true``/``false``,
        ``yes``/``no``, ``sim``/``não`` (any case).

    Returns
    -------
    pandas.Series
        ``boolean``, aligned with ``tickets``: ``contacts == 1`` where the
        count is known, else the flag; missing where neither says.

    Raises
    ------
    SchemaError
        Neither column is present, or the flag holds a value that is not yes/no.

    Examples
    --------
    >>> t = pd.DataFrame({"first_contact_resolved": ["sim", "não", "TRUE", None]})
    >>> first_contact_flags(t).tolist()
    [True, False, True, <NA>]
    """
    func = "first_contact_flags"
    if contacts not in tickets.columns and flag not in tickets.columns:
        have = ", ".join(f"`{c}`" for c in tickets.columns)
        raise SchemaError(
            f"{func}: tickets has neither `{contacts}` (contacts until resolution) nor "
            f"`{flag}` (solved at the first contact, yes/no) (columns are: {have}). Add one "
            "of them, or pass their names as `contacts=` / `flag=`.")
    out = pd.Series(pd.NA, index=tickets.index, dtype="boolean")
    if flag in tickets.columns:
        values, bad = _coerce(tickets[flag], Column(flag, "bool"))
        if bad.any():
            rows = (np.flatnonzero(bad.to_numpy()) + 1)[:5].tolist()
            examples = tickets[flag][bad].head(3).tolist()
            raise SchemaError(
                f"{func}: tickets column `{flag}` has {int(bad.sum())} value(s) that are not "
                f"yes/no (rows {rows}; e.g. {examples}). Use true/false, 1/0, yes/no or "
                "sim/não.")
        out = values.astype("boolean")
    if contacts in tickets.columns:
        n_contacts = pd.to_numeric(tickets[contacts], errors="coerce")
        known = n_contacts.notna()
        out = out.copy()
        out[known] = (n_contacts[known] == 1).to_numpy()
    return out


def _grouped(frame: pd.DataFrame, keys: list[str]):
    if keys:
        return frame.groupby(keys, dropna=False, sort=True, observed=True)
    return frame.groupby(np.zeros(len(frame), dtype=int))


def _finish(out: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    if keys:
        return out.reset_index()
    if len(out) == 0:  # no tickets at all: one empty-group row, like an empty groupby sum
        out = pd.DataFrame(index=[0], columns=out.columns)
    return out.reset_index(drop=True)


def first_contact_resolution(
    tickets: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    contacts: str = "contacts",
    flag: str = "first_contact_resolved",
    resolved: str = "resolved_at",
    confidence: float = 0.95,
    min_n: int = 30,
    month=None,
    window: tuple | None = None,
) -> pd.DataFrame:
    """First contact resolution rate, with its Wilson interval, per group.

    The rate of a period is over the tickets *resolved* in it (``month`` or
    ``window``), whenever they were opened: counting the tickets opened in
    the month and resolved by its end would favour the fast ones.

    Parameters
    ----------
    tickets : pandas.DataFrame
        The ``tickets`` table: one row per ticket. Not modified.
    by : str or list of str, optional
        Column(s) of ``tickets`` to group by; None for one overall row. To
        group by an account attribute (``segment``, ``plan``...), merge
        ``accounts`` into ``tickets`` on ``account_id`` first.
    contacts : str, default "contacts"
        Number of contacts the ticket took; ``1`` is a first-contact resolution.
    flag : str, default "first_contact_resolved"
        Used instead of ``contacts`` when the export has a yes/no flag (see
        :func:`first_contact_flags`); with both columns, the count wins
        where it is filled.
    resolved : str, default "resolved_at"
        Resolution timestamp; missing (NaT) means the ticket is still open and
        it is left out.
    confidence : float, default 0.95
        Confidence level of the interval, in (0, 1).
    min_n : int, default 30
        Groups with fewer resolved tickets are flagged ``small_sample``.
    month : str or Timestamp, optional
        Only tickets resolved in this month ("YYYY-MM").
    window : (start, end), optional
        Only tickets resolved in ``[start, end)``, e.g.
        :func:`cslib.periods.trailing_window` for the trailing 90 days.

    Returns
    -------
    pandas.DataFrame
        One row per group (the ``by`` columns first, groups with only open
        tickets included with ``n == 0``), with columns:

        - ``n``: resolved tickets;
        - ``fcr``: of those, resolved at the first contact;
        - ``rate`` = ``fcr / n`` (NaN when ``n == 0``);
        - ``ci_low``, ``ci_high``: Wilson score interval for ``rate``
          (statsmodels ``proportion_confint(method="wilson")``);
        - ``small_sample``: ``n < min_n``.

    Warns
    -----
    SmallSampleWarning
        Naming the groups with fewer than ``min_n`` resolved tickets.

    Raises
    ------
    SchemaError
        A column is missing (neither ``contacts`` nor ``flag`` present), or a
        resolved ticket has neither a count nor a flag.
    ParamsError
        ``confidence`` outside (0, 1) or ``min_n < 0``.

    Examples
    --------
    >>> t = tickets.merge(accounts[["account_id", "segment"]], on="account_id")  # doctest: +SKIP
    >>> first_contact_resolution(t, by="segment")  # doctest: +SKIP
          segment     n   fcr      rate    ci_low   ci_high  small_sample
    0  Enterprise   412   301  0.730583  0.685798  0.771155         False
    1  Mid-Market   655   459  0.700763  0.664628  0.734492         False
    2         SMB  1204   771  0.640365  0.612836  0.666994         False
    """
    func = "first_contact_resolution"
    if not 0 < confidence < 1:
        raise ParamsError(f"{func}: confidence={confidence!r} must be in (0, 1), e.g. 0.95.")
    if not min_n >= 0:
        raise ParamsError(f"{func}: min_n={min_n!r} must be >= 0.")
    keys = _by_list(by)
    _require(tickets, [*keys, resolved], func=func)
    if month is not None and window is not None:
        raise ParamsError(f"{func}: pass `month` or `window`, not both.")
    if month is not None:
        from .periods import as_month, month_end

        window = (as_month(month), month_end(month))

    resolved_at = _datetimes(tickets[resolved], column=resolved, func=func)
    is_resolved = resolved_at.notna()
    if window is not None:
        is_resolved &= (resolved_at >= pd.Timestamp(window[0])) & (
            resolved_at < pd.Timestamp(window[1]))
    first = first_contact_flags(tickets, contacts=contacts, flag=flag)
    bad = is_resolved & first.isna()
    if bad.any():
        rows = (np.flatnonzero(bad.to_numpy()) + 1)[:5].tolist()
        if contacts in tickets.columns:
            what = f"no number in `{contacts}`"
            fill = "Fill the column (1 = resolved at first contact) or drop them."
            if flag in tickets.columns:
                what += f" nor a value in `{flag}`"
        else:
            what = f"no value in `{flag}`"
            fill = "Fill the flag (yes = resolved at the first contact) or drop them."
        raise SchemaError(f"{func}: {int(bad.sum())} resolved ticket(s) have {what} "
                          f"(rows {rows}). {fill}")

    frame = tickets[keys].copy()
    frame["_n"] = is_resolved.to_numpy().astype("int64")
    frame["_fcr"] = (is_resolved & first.fillna(False)).to_numpy().astype("int64")
    out = _grouped(frame, keys)[["_n", "_fcr"]].sum().rename(columns={"_n": "n", "_fcr": "fcr"})
    out = _finish(out, keys)
    out["n"] = out["n"].fillna(0).astype("int64")
    out["fcr"] = out["fcr"].fillna(0).astype("int64")

    n, k = out["n"].to_numpy(), out["fcr"].to_numpy()
    has = n > 0
    safe_n = np.maximum(n, 1)
    low, high = proportion_confint(k, safe_n, alpha=1 - confidence, method="wilson")
    out["rate"] = np.where(has, k / safe_n, np.nan)
    out["ci_low"] = np.where(has, low, np.nan)
    out["ci_high"] = np.where(has, high, np.nan)
    out["small_sample"] = n < min_n

    small = out.loc[out["small_sample"]]
    if len(small):
        if keys:
            names = [
                (tuple(r) if len(keys) > 1 else r[0], int(m))
                for r, m in zip(small[keys].itertuples(index=False), small["n"], strict=True)
            ]
            where = ", ".join(f"{g!r} (n={m})" for g, m in names)
        else:
            where = f"all tickets (n={int(small['n'].iloc[0])})"
        warnings.warn(SmallSampleWarning(
            f"{func}: fewer than {min_n} resolved tickets in {where}; read the interval, "
            "not the point rate, or pool groups.",
            key="warn.fcr_small" if keys else "warn.fcr_small_all", func=func, min_n=min_n,
            where=where, n=int(small["n"].iloc[0])), stacklevel=2)
    return out[[*keys, "n", "fcr", "rate", "ci_low", "ci_high", "small_sample"]]


def resolution_times(
    tickets: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    opened: str = "opened_at",
    resolved: str = "resolved_at",
) -> pd.DataFrame:
    """Median hours to resolve and the share of tickets still open, per group.

    Parameters
    ----------
    tickets : pandas.DataFrame
        The ``tickets`` table. Not modified.
    by : str or list of str, optional
        Column(s) of ``tickets`` to group by; None for one overall row (merge
        ``accounts`` first to group by an account attribute).
    opened, resolved : str, default "opened_at", "resolved_at"
        Opening and resolution timestamps; a missing ``resolved`` means open.

    Returns
    -------
    pandas.DataFrame
        One row per group with ``tickets`` (all), ``resolved``, ``open``,
        ``share_open`` = ``open / tickets``, ``median_hours`` and
        ``p90_hours`` (over resolved tickets; NaN when none is resolved).

    Raises
    ------
    SchemaError
        A column is missing or unreadable as dates, or a ticket is resolved
        before it was opened.

    Examples
    --------
    >>> resolution_times(tickets)  # doctest: +SKIP
       tickets  resolved  open  share_open  median_hours  p90_hours
    0     2310      2271    39    0.016883      6.431944  73.200000
    """
    func = "resolution_times"
    keys = _by_list(by)
    _require(tickets, [*keys, opened, resolved], func=func)
    start = _datetimes(tickets[opened], column=opened, func=func)
    end = _datetimes(tickets[resolved], column=resolved, func=func)
    hours = (end - start).dt.total_seconds() / 3600
    negative = hours < 0
    if negative.any():
        rows = (np.flatnonzero(negative.to_numpy()) + 1)[:5].tolist()
        raise SchemaError(
            f"{func}: {int(negative.sum())} ticket(s) have `{resolved}` before `{opened}` "
            f"(rows {rows}). Fix the export or drop those rows."
        )

    frame = tickets[keys].copy()
    frame["_hours"] = hours.to_numpy()
    frame["_open"] = end.isna().to_numpy().astype("int64")
    g = _grouped(frame, keys)
    out = pd.DataFrame({
        "tickets": g.size(),
        "open": g["_open"].sum(),
        "median_hours": g["_hours"].median(),
        "p90_hours": g["_hours"].quantile(0.9),
    })
    out = _finish(out, keys)
    out["tickets"] = out["tickets"].fillna(0).astype("int64")
    out["open"] = out["open"].fillna(0).astype("int64")
    out["resolved"] = out["tickets"] - out["open"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share_open"] = np.where(out["tickets"] > 0,
                                     out["open"] / np.maximum(out["tickets"], 1), np.nan)
    out["median_hours"] = out["median_hours"].astype(float)
    out["p90_hours"] = out["p90_hours"].astype(float)
    return out[[*keys, "tickets", "resolved", "open", "share_open", "median_hours",
                "p90_hours"]]
