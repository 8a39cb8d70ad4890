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
from .pointintime import known_at

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
        The segment's validated tables as known at the month's end
        (:func:`cslib.pointintime.known_at`): nothing dated after it.
    data_date : pandas.Timestamp or None
        The latest month with MRR in that cut (the report month, or earlier
        when the data stops before it).
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
        Segment to read (``"all"``: every account). A name that matches no
        segment exactly but one when case is ignored (``"smb"`` for ``"SMB"``)
        reads that one; a name that matches none stops with the valid ones.
    month : str
        Report month, ``"YYYY-MM"``, or ``"latest"``: the data's latest complete
        month, as the batch resolves ``month: latest``
        (:func:`cslib.runner.latest_complete_month`).
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
        Its tables hold only what was known at the end of ``month``: rows
        dated after it are left out, tickets resolved after it are open and
        accounts that signed up after it do not exist yet.

    Raises
    ------
    NoDataError
        The segment has no accounts, or no account paid in ``month``.
    """
    from . import report

    report.check_locale(locale)
    source = source or default_source()
    if str(month) == "latest":  # by hand: the batch passes the month it resolved
        month = _latest_month(source, csv)
    prepared = os.environ.get(PREPARED_ENV)  # the batch's slices: segments named exactly
    data = load(source, segment=segment, csv=csv, tables=tables, prepared=prepared)
    valid = None  # the data's segments, when the one asked for matches none
    if (segment != "all" and not prepared and "accounts" in data
            and data["accounts"].empty):
        segment, data, valid = _match_segment(segment, source, csv, tables, data)
    report_month = as_month(month)
    existed = "accounts" in data and not data["accounts"].empty
    # The one place a report's data is cut at the month's end (see cslib.pointintime).
    data = known_at(data, report_month)
    ctx = ReportContext(segment=segment, month=report_month, locale=locale, data=data,
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
    reason = _no_data_reason(ctx, existed=existed)
    if reason and valid:
        reason += f" Valid segments: {', '.join(valid)}."
    if reason:
        from IPython.display import display

        display(report.callout(reason, kind="warning"))
        raise NoDataError(reason)
    return ctx


def _latest_month(source, csv) -> str:
    """``month: latest``: the data's latest complete month, as the batch finds it."""
    from .runner import _data_facts, resolve_month

    month, _ = resolve_month("latest", _data_facts(load(source, csv=csv)), source)
    return month


def _match_segment(segment: str, source, csv, tables, data):
    """A segment name matched case-insensitively when that is unambiguous.

    Returns the segment, its data and None; or, when nothing matches, the
    segment, ``data`` again and the valid segments (the report then says the
    segment has no accounts and lists them).
    """
    from .exceptions import ParamsError

    known = sorted(load(source, csv=csv, tables=["accounts"])["accounts"]["segment"]
                   .dropna().astype(str).unique())
    matches = [k for k in known if k.casefold() == str(segment).casefold()]
    if len(matches) > 1:
        raise ParamsError(f"Segment {segment!r} matches {matches} when case is ignored; give "
                          f"one of them exactly. Valid segments: {['all', *known]}.")
    if len(matches) == 1:
        return matches[0], load(source, segment=matches[0], csv=csv, tables=tables), None
    return segment, data, ["all", *known]


def _no_data_reason(ctx: ReportContext, *, existed: bool = False) -> str | None:
    from . import report

    label = f"{ctx.segment}, {ctx.month_label}"
    if "accounts" in ctx.data and ctx.data["accounts"].empty:
        if not existed:
            return report.t("no_accounts", ctx.locale, segment=ctx.segment)
        # the segment's accounts all signed up after the month
        return report.t("no_data", ctx.locale, segment=ctx.segment, month=ctx.month_label)
    mrr = ctx.data.get("mrr")
    if mrr is not None:
        paying = mrr.loc[(mrr["month"] == ctx.month) & (mrr["mrr"] > 0)]
        if paying.empty:
            return report.t("no_data", ctx.locale, segment=ctx.segment,
                            month=ctx.month_label) or f"No data for {label}."
    return None
