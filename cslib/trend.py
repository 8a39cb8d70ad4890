"""A report's headline figures, month by month, each month as it was known then.

The overview (:func:`cslib.pages.render_index`) shows each headline with its
change from the previous month and a 12-month trend. Both are computed here
from the data, not read from earlier batches' output: for every month of the
trend the report's tables are cut at that month's end
(:func:`cslib.pointintime.known_at`) and the same figure function the report
uses for its own month is applied. A first render of a warehouse therefore
shows the change and the trend, and they say what each month's report would
have said on its last day.

One figure function per group of monthly headlines,
``<name>_figures(data, month, **parameters)``: it takes the report's tables cut
at ``month`` and returns its headlines (:func:`cslib.report.nps_headlines` and
friends), so an analyst can call it too. :func:`with_history` runs one over the
trend's months. Estimates over every month to date (the adoption odds ratio,
the health backtest) have none: consecutive months share almost all their
data, so the overview does not compare them month to month.

Examples
--------
>>> from cslib import demo, trend
>>> data = demo.generate_warehouse(150, seed=3)
>>> heads = trend.with_history(trend.bridge_figures, data, "2026-10", months=3, locale="en")
>>> [h["id"] for h in heads]
['nrr', 'grr', 'net_revenue_churn', 'logo_churn']
>>> len(heads[0]["trend"]), bool(heads[0]["trend"][-1] == heads[0]["value"])
(3, True)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from .changes import headline_id
from .periods import as_month
from .pointintime import known_at

__all__ = ["TREND_MONTHS", "trend_months", "figures", "with_history", "nps_figures",
           "bridge_figures", "churn_risk_figures", "fcr_figures", "journey_figures"]

#: Months in the overview's trend, the report month included.
TREND_MONTHS = 12

#: What a headline keeps of the previous month: enough for :mod:`cslib.changes`.
_PREVIOUS_FIELDS = ("value", "kind", "n", "se", "ci_low", "ci_high", "period")


def trend_months(month, months: int = TREND_MONTHS) -> list[str]:
    """The ``months`` months ending at ``month``, oldest first, as ``"YYYY-MM"``.

    Examples
    --------
    >>> trend_months("2026-02", 3)
    ['2025-12', '2026-01', '2026-02']
    """
    if months < 1:
        raise ValueError(f"trend_months: months={months!r}; the trend needs at least one "
                         "month (the report's).")
    end = as_month(month).to_period("M")
    return [str(end - k) for k in range(months - 1, -1, -1)]


def figures(*, tables: Sequence[str], point_in_time: bool = False):
    """Mark a figure function with the tables it reads and how its months are cut.

    ``point_in_time``: the function, given a month, reads only what was known
    at that month's end even from tables cut later (it filters by its own
    windows), so :func:`with_history` need not cut each month again. The
    test suite checks that claim month by month against an independent cut.
    """
    def mark(func):
        func.tables = tuple(tables)
        func.point_in_time = point_in_time
        return func
    return mark


def _tables_of(figure_func, data: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables ``figure_func`` reads (all of them when it does not say)."""
    wanted = getattr(figure_func, "tables", None)
    return {k: v for k, v in data.items() if wanted is None or k in wanted}


def with_history(figure_func: Callable[..., list[dict]], data: Mapping[str, pd.DataFrame],
                 month, *, months: int = TREND_MONTHS, **parameters) -> list[dict]:
    """The report month's headlines, each with its previous month and its trend.

    Parameters
    ----------
    figure_func : callable
        ``figure_func(data, month, **parameters)`` returning headlines, one of
        this module's ``*_figures`` functions.
    data : mapping of str to DataFrame
        The report's tables, as known at the end of ``month`` (a report's
        ``ctx.data``); not modified. Each earlier month holds only what was
        known at its own end: it is cut again with
        :func:`cslib.pointintime.known_at`, unless the function is marked
        ``point_in_time`` (it reads only its own month's windows).
    month : str or Timestamp
        The report month.
    months : int
        Months in the trend, the report month included (12).
    **parameters
        Passed to ``figure_func`` (the report's own parameters, ``locale``).

    Returns
    -------
    list of dict
        The report month's headlines. Each also has ``trend``: its value in
        each of the ``months`` months (oldest first; None where that month had
        no such figure), and ``previous``: the previous month's ``value``,
        ``kind``, ``n``, ``se`` and interval (absent when there is none), from
        which :func:`cslib.changes.headline_change` tells a change from noise.

    Notes
    -----
    Warnings raised while the earlier months are computed are not repeated:
    the report's own month raises its caveats on its page. A month too early
    to compute (no data yet) has no value in the trend.
    """
    labels = trend_months(month, months)
    many = getattr(figure_func, "for_months", None)
    if many is not None:  # one pass over every month (same figures, checked by the tests)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = many(data, labels[:-1], **parameters)
        current = figure_func(data, as_month(month), **parameters)
        return _attach(current, {**found, labels[-1]: current}, labels)
    current = figure_func(data, as_month(month), **parameters)
    by_month: dict[str, list[dict]] = {}
    base = _tables_of(figure_func, data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for label in labels[:-1]:
            cut = base if getattr(figure_func, "point_in_time", False) else known_at(base, label)
            try:
                heads = figure_func(cut, as_month(label), **parameters)
            except (ValueError, LookupError, ArithmeticError):
                heads = []
            by_month[label] = heads
    return _attach(current, {**by_month, labels[-1]: current}, labels)


def _attach(current: list[dict], found: Mapping[str, list[dict]], labels: list[str]
            ) -> list[dict]:
    """``current`` with each headline's ``trend`` over ``labels`` and its ``previous``."""
    by_month = {label: {headline_id(h): h for h in found.get(label, [])} for label in labels}
    out = []
    for h in current:
        hid = headline_id(h)
        entry = dict(h)
        entry["trend"] = [_value(by_month[label].get(hid)) for label in labels]
        before = by_month.get(labels[-2], {}).get(hid) if len(labels) > 1 else None
        if before is not None and _value(before) is not None:
            entry["previous"] = {k: before[k] for k in _PREVIOUS_FIELDS if k in before}
        out.append(entry)
    return out


def _value(h: Mapping[str, Any] | None):
    if h is None:
        return None
    v = h.get("value")
    if not isinstance(v, int | float) or isinstance(v, bool) or v != v:
        return None
    return v.item() if hasattr(v, "item") else v


# --------------------------------------------------------------------------- figures
@figures(tables=("nps_responses", "users", "accounts", "loop_actions"), point_in_time=True)
def nps_figures(data: Mapping[str, pd.DataFrame], month, *, window_days: int = 90,
                min_n: int = 30, sla_days: float = 3, locale: str | None = None) -> list[dict]:
    """The cohort NPS report's headlines: the trailing-window NPS and the loops in SLA.

    Parameters
    ----------
    data : mapping of str to DataFrame
        ``nps_responses``, ``users``, ``accounts``, ``loop_actions``, as known at
        the end of ``month``.
    month : str or Timestamp
        The report month.
    window_days, min_n, sla_days, locale
        As the report's parameters.

    Examples
    --------
    >>> from cslib import demo
    >>> data = demo.generate_warehouse(150, seed=3)
    >>> [h["id"] for h in nps_figures(data, "2026-10", locale="en")]
    ['nps', 'loops_in_sla']
    """
    from . import nps

    responses = nps.with_user_attributes(data["nps_responses"], data["users"], data["accounts"])
    return _nps_month(responses, data["loop_actions"], month, window_days=window_days,
                      min_n=min_n, sla_days=sla_days, locale=locale)


def _nps_for_months(data: Mapping[str, pd.DataFrame], labels: Sequence[str], *,
                    window_days: int = 90, min_n: int = 30, sla_days: float = 3,
                    locale: str | None = None) -> dict[str, list[dict]]:
    """:func:`nps_figures` for many months, the answers joined to their users once."""
    from . import nps

    responses = nps.with_user_attributes(data["nps_responses"], data["users"], data["accounts"])
    return {label: _nps_month(responses, data["loop_actions"], as_month(label),
                              window_days=window_days, min_n=min_n, sla_days=sla_days,
                              locale=locale) for label in labels}


nps_figures.for_months = _nps_for_months


def _nps_month(responses: pd.DataFrame, actions: pd.DataFrame, month, *, window_days: int,
               min_n: int, sla_days: float, locale: str | None) -> list[dict]:
    from . import nps, report
    from .periods import month_window, rows_in_window, trailing_window

    start = min(trailing_window(month, window_days, lag=1)[0], month_window(month)[0])
    responses = rows_in_window(responses, (start, month_window(month)[1]),
                               date="responded_at")  # the windows' answers only
    headline = nps.window_comparison(responses, current=trailing_window(month, window_days),
                                     previous=trailing_window(month, window_days, lag=1),
                                     min_n=min_n)
    answers = rows_in_window(responses, month_window(month), date="responded_at")
    loops = nps.loop_closure(answers, actions, sla_days=sla_days, month=month)
    return (report.nps_headlines(headline.current, days=window_days, locale=locale)
            + report.loop_headlines(loops, month=_label(month), locale=locale))


def _label(month) -> str:
    return str(as_month(month).to_period("M"))


@figures(tables=("accounts", "mrr"), point_in_time=True)
def bridge_figures(data: Mapping[str, pd.DataFrame], month, *,
                   locale: str | None = None) -> list[dict]:
    """The churn decomposition's headlines: NRR, GRR, net revenue churn and logo churn.

    Each with its standard error (a bootstrap over the accounts paying at the
    month's start; :func:`cslib.report.ratio_standard_errors`).

    Examples
    --------
    >>> from cslib import demo
    >>> data = demo.generate_warehouse(150, seed=3)
    >>> [h["kind"] for h in bridge_figures(data, "2026-10", locale="en")]
    ['ratio', 'ratio', 'ratio', 'rate']
    """
    from . import report, revenue

    movements, monthly = _bridge(data)
    row = revenue.bridge_row(monthly, month=_label(month))
    return report.bridge_headlines(row, locale=locale, movements=movements)


def _bridge_for_months(data: Mapping[str, pd.DataFrame], labels: Sequence[str], *,
                       locale: str | None = None) -> dict[str, list[dict]]:
    """:func:`bridge_figures` for many months from one bridge; standard errors (a
    bootstrap each) only for the latest of ``labels``, the previous month's change."""
    from . import report, revenue

    movements, monthly = _bridge(data)
    out = {}
    for i, label in enumerate(labels):
        row = revenue.bridge_row(monthly, month=label)
        se = report.ratio_standard_errors(movements, label) if i == len(labels) - 1 else \
            {"nrr": None}
        out[label] = report.bridge_headlines(row, locale=locale, ratio_se=se)
    return out


def _bridge(data: Mapping[str, pd.DataFrame]):
    from . import revenue
    from .tables import with_accounts

    mrr = with_accounts(data["mrr"], data["accounts"], ["segment", "plan", "region", "name"])
    movements = revenue.mrr_movements(mrr, entity="account_id",
                                      keep=["segment", "plan", "region", "name"])
    return movements, revenue.revenue_bridge(movements, entity="account_id")


bridge_figures.for_months = _bridge_for_months


@figures(tables=("accounts", "mrr", "nps_responses", "usage", "tickets"))
def churn_risk_figures(data: Mapping[str, pd.DataFrame], month, *,
                       thresholds: Mapping | None = None,
                       locale: str | None = None) -> list[dict]:
    """The account review's churn-risk accounts (class 4) as known at the month's end.

    Examples
    --------
    >>> from cslib import demo
    >>> data = demo.generate_warehouse(150, seed=3)
    >>> [h["id"] for h in churn_risk_figures(data, "2026-10", locale="en")]
    ['churn_risk']
    """
    from . import report, review

    evidence = review.account_evidence(data["accounts"], data["mrr"], data["nps_responses"],
                                       data["usage"], data["tickets"], month=month)
    classes = review.success_review(evidence, thresholds=dict(thresholds or {}), locale=locale)
    heads = report.review_headlines(review.review_summary(classes, by=None), None,
                                    locale=locale, month=_label(month))
    return [h for h in heads if h.get("id") == "churn_risk"]


@figures(tables=("tickets",), point_in_time=True)
def fcr_figures(data: Mapping[str, pd.DataFrame], month, *,
                locale: str | None = None) -> list[dict]:
    """First-contact resolution of the tickets resolved in the month, with its interval.

    Examples
    --------
    >>> from cslib import demo
    >>> data = demo.generate_warehouse(150, seed=3)
    >>> [h["kind"] for h in fcr_figures(data, "2026-10", locale="en")]
    ['rate']
    """
    from . import report, support

    fcr = support.first_contact_resolution(data["tickets"], month=month)
    heads = report.review_headlines(pd.DataFrame({"class": [], "accounts": []}), fcr,
                                    locale=locale, month=_label(month))
    return [h for h in heads if h.get("id") == "fcr"]


@figures(tables=("accounts", "onboarding_milestones", "opportunities"), point_in_time=True)
def journey_figures(data: Mapping[str, pd.DataFrame], month, *,
                    value_milestone: str = "go-live", locale: str | None = None) -> list[dict]:
    """The journey report's headlines: median time to value and the share within 90 days."""
    from . import onboarding, report

    ttv = onboarding.time_to_value(data["accounts"], data["onboarding_milestones"], month=month,
                                   value_milestone=value_milestone,
                                   opportunities=data.get("opportunities"))
    return report.journey_headlines(onboarding.median_time_to_value(ttv),
                                    onboarding.share_reaching_value(ttv), locale=locale,
                                    month=_label(month))
