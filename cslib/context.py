"""What every report notebook does first: read its slice of the data, once.

:func:`open_report` loads the segment's tables, sets the plot style, records
the data's date for the report header and checks that there is something to
report on. When there is not (a segment with no accounts, a month with no
data), it shows a short explanation and raises :class:`NoDataError`, which
the batch renders as a short report that says so instead of a failure.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pandas as pd

from .exceptions import CslibError
from .io import PREPARED_ENV, Warehouse, default_source, load
from .periods import as_month, month_label

__all__ = ["NoDataError", "ReportContext", "open_report"]


class NoDataError(CslibError, LookupError):
    """There is nothing to report for this segment and month."""


@dataclass
class ReportContext:
    """A report's parameters and its slice of the warehouse.

    Attributes
    ----------
    segment : str
        The segment (``"all"`` for the whole base).
    month : pandas.Timestamp
        First day of the report month.
    locale : str
        ``"en"`` or ``"pt-BR"``.
    data : Warehouse
        The segment's validated tables.
    data_date : pandas.Timestamp or None
        The latest month with MRR in the source.
    """

    segment: str
    month: pd.Timestamp
    locale: str
    data: Warehouse
    data_date: pd.Timestamp | None
    notes: list[str] = field(default_factory=list)

    @property
    def month_label(self) -> str:
        return month_label(self.month, self.locale)

    def __getitem__(self, table: str) -> pd.DataFrame:
        """The table; an optional table the source lacks is an empty frame with the
        contract's columns, so its section says there is no data instead of failing."""
        if table not in self.data:
            from .schemas import REQUIRED_TABLES, SCHEMAS, empty_table

            if table in SCHEMAS and table not in REQUIRED_TABLES:
                return empty_table(table)
        return self.data[table]


def open_report(
    *,
    segment: str = "all",
    month: str = "2026-10",
    source: str | None = None,
    csv: dict | None = None,
    locale: str = "en",
    tables: list[str] | None = None,
    style: bool = True,
) -> ReportContext:
    """Load a report's data slice and check there is something to report.

    Parameters
    ----------
    segment : str
        Segment to read (``"all"``: every account).
    month : str
        Report month, ``"YYYY-MM"``.
    source, csv
        Passed to :func:`cslib.io.load`; ``source`` defaults to
        ``$CSLIB_SOURCE`` or the demo warehouse (:func:`cslib.io.default_source`).
        The batch's prepared slices (``$CSLIB_PREPARED``, set by the batch for its
        notebooks) are passed to load as ``prepared=``.
    locale : str
        Report language (checked here, so a typo fails before any work).
    tables : list of str, optional
        Only these tables.
    style : bool
        Apply the kit's plot style.

    Returns
    -------
    ReportContext

    Raises
    ------
    NoDataError
        The segment has no accounts, or no account paid in ``month``.
    """
    from . import report

    report.check_locale(locale)
    ctx = ReportContext(segment=segment, month=as_month(month), locale=locale,
                        data=load(source or default_source(), segment=segment, csv=csv,
                                  tables=tables, prepared=os.environ.get(PREPARED_ENV)),
                        data_date=None)
    ctx.data_date = ctx.data.data_date
    if style:
        from . import plots

        plots.set_style()
    try:
        from .headlines import record_headline

        if ctx.data_date is not None:
            record_headline("data_date", ctx.data_date.strftime("%Y-%m"))
    except ImportError:  # pragma: no cover - headlines is part of the package
        pass
    reason = _no_data_reason(ctx)
    if reason:
        from IPython.display import display

        display(report.callout(reason, kind="warning"))
        raise NoDataError(reason)
    return ctx


def _no_data_reason(ctx: ReportContext) -> str | None:
    from . import report

    label = f"{ctx.segment}, {ctx.month_label}"
    if "accounts" in ctx.data and ctx.data["accounts"].empty:
        return report.t("no_accounts", ctx.locale, segment=ctx.segment)
    mrr = ctx.data.get("mrr")
    if mrr is not None:
        paying = mrr.loc[(mrr["month"] == ctx.month) & (mrr["mrr"] > 0)]
        if paying.empty:
            return report.t("no_data", ctx.locale, segment=ctx.segment,
                            month=ctx.month_label) or f"No data for {label}."
    return None
