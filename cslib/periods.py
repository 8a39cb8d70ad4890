"""Report periods: a report month, its bounds and trailing windows.

Every notebook is parameterised by a month (``"2026-10"``); these helpers
turn it into the timestamps metric functions filter on, so that "the 90 days
to the end of October" means the same thing everywhere.
"""

from __future__ import annotations

import pandas as pd

from .exceptions import ParamsError

__all__ = ["as_month", "month_end", "month_window", "trailing_window", "in_window",
           "rows_in_window", "up_to", "month_label"]


def as_month(month) -> pd.Timestamp:
    """The first day of ``month`` (``"2026-10"``, a date or a Timestamp).

    Examples
    --------
    >>> as_month("2026-10")
    Timestamp('2026-10-01 00:00:00')
    """
    try:
        return pd.Timestamp(month).to_period("M").to_timestamp()
    except (ValueError, TypeError) as err:
        raise ParamsError(f"`month` must look like 'YYYY-MM', got {month!r}.") from err


def month_end(month) -> pd.Timestamp:
    """The last instant of ``month`` (exclusive end is the next month's first day).

    Examples
    --------
    >>> month_end("2026-02")
    Timestamp('2026-03-01 00:00:00')
    """
    return as_month(month) + pd.offsets.MonthBegin(1)


def month_window(month) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``[start, end)`` of the calendar month itself.

    Examples
    --------
    >>> month_window("2026-10")
    (Timestamp('2026-10-01 00:00:00'), Timestamp('2026-11-01 00:00:00'))
    """
    return as_month(month), month_end(month)


def trailing_window(month, days: int = 90, *, lag: int = 0) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``[start, end)`` of the ``days`` days up to the end of ``month``.

    ``lag=1`` gives the window just before it (the previous ``days`` days).

    Examples
    --------
    >>> trailing_window("2026-10", 90)
    (Timestamp('2026-08-03 00:00:00'), Timestamp('2026-11-01 00:00:00'))
    >>> trailing_window("2026-10", 90, lag=1)
    (Timestamp('2026-05-05 00:00:00'), Timestamp('2026-08-03 00:00:00'))
    """
    end = month_end(month) - pd.Timedelta(days=days * lag)
    return end - pd.Timedelta(days=days), end


def in_window(dates: pd.Series, window: tuple[pd.Timestamp, pd.Timestamp]) -> pd.Series:
    """Boolean mask of ``dates`` inside ``[start, end)``."""
    start, end = window
    return (dates >= start) & (dates < end)


def rows_in_window(data: pd.DataFrame, window: tuple[pd.Timestamp, pd.Timestamp], *,
                   date: str) -> pd.DataFrame:
    """The rows of ``data`` dated inside ``window`` ``[start, end)`` (a copy).

    Examples
    --------
    >>> d = pd.DataFrame({"at": pd.to_datetime(["2026-08-02", "2026-08-03", "2026-11-01"])})
    >>> rows_in_window(d, trailing_window("2026-10", 90), date="at")
              at
    1 2026-08-03
    """
    return data.loc[in_window(data[date], window)].copy()


def up_to(data: pd.DataFrame, month, *, date: str) -> pd.DataFrame:
    """The rows of ``data`` dated before the end of ``month`` (a copy), for a report of that month.

    A report for October must not show November's answers, even when the data has them.

    Examples
    --------
    >>> d = pd.DataFrame({"at": pd.to_datetime(["2026-10-31 23:00", "2026-11-01 00:00"])})
    >>> up_to(d, "2026-10", date="at")
                       at
    0 2026-10-31 23:00:00
    """
    return data.loc[data[date] < month_end(month)].copy()


def month_label(month, locale: str = "en") -> str:
    """``"October 2026"`` / ``"outubro de 2026"``."""
    from babel.dates import format_date

    loc = "pt_BR" if str(locale).replace("-", "_").lower().startswith("pt") else "en"
    pattern = "MMMM 'de' y" if loc == "pt_BR" else "MMMM y"
    return format_date(as_month(month).date(), pattern, locale=loc)
