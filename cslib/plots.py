"""The kit's plots: one house style, drawn from the metric functions' tidy output.

Every function takes a metric's output (never raw data: metrics are computed
elsewhere), draws on ``ax`` (a new figure when None) and returns the Axes.
Every plot has a title (``title=`` replaces the default) and labelled axes;
labels come from :func:`cslib.report.t`, in the report's locale unless one is
passed. Text from the data (segment names, plans...) is drawn as typed, never
as maths (``text.parse_math`` is off). In a notebook, leave the call last in the cell (with ``;``) and the
inline backend shows and closes the figure.

Call :func:`set_style` first (:func:`cslib.context.open_report` does): it
sets a colour-blind-safe palette, phone-readable fonts, an 8 x 4 inch figure,
and the settings that make the same data give the same image bytes.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, PercentFormatter

from . import report
from ._checks import require_columns
from .exceptions import ParamsError, SchemaError

__all__ = ["PALETTE", "set_style", "nps_trend", "nps_by_group", "cohort_heatmap",
           "revenue_waterfall", "rate_trend", "survival_plot", "forest_plot", "bar_rates",
           "loop_vs_nps", "stratum_mix"]

#: Okabe-Ito colours (colour-blind safe): blue, orange, green, vermillion, purple, sky, yellow.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442")
_GREY = "#6e7781"

#: What :func:`set_style` sets on top of seaborn's theme.
RC = {
    "figure.figsize": (8.0, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.constrained_layout.use": True,
    "svg.hashsalt": "cslib",  # fixed ids in SVG output
    "svg.fonttype": "path",
    "text.parse_math": False,  # a segment called "$x$" is drawn as typed
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlelocation": "left",
    "legend.frameon": False,
}
#: Passed to savefig by the inline backend: no "Software" line, so the PNG bytes
#: depend on the figure only; and the figure as laid out (constrained layout
#: already fits every label and legend inside it), because the inline backend's
#: default ``bbox_inches="tight"`` draws each figure twice.
SAVE_KWARGS = {"metadata": {"Software": None}, "bbox_inches": None}


def set_style() -> None:
    """Apply the house style (and deterministic inline PNGs, each drawn once, in IPython)."""
    import seaborn as sns

    sns.set_theme(context="notebook", style="whitegrid", palette=list(PALETTE),
                  font_scale=1.25)
    mpl.rcParams.update(RC)
    try:
        from IPython import get_ipython

        if get_ipython() is not None:
            from matplotlib_inline.backend_inline import set_matplotlib_formats

            set_matplotlib_formats("png", **SAVE_KWARGS)
            if "inline" in mpl.get_backend():
                # pyplot's post-execute hook draws every new figure, then the inline
                # backend draws it again for the PNG it shows: each figure cost two
                # full draws. Inline figures never need the first.
                plt.uninstall_repl_displayhook()
    except ImportError:  # pragma: no cover - IPython is a dependency
        pass


# --------------------------------------------------------------------------- helpers
def _axes(ax):
    if ax is None:
        _, ax = plt.subplots()
    return ax


def _require(data: pd.DataFrame, columns: Sequence[str], *, func: str) -> None:
    require_columns(data, columns, where=f"plots.{func}: the data", hint=(
        "Pass the output of the matching cslib metric function."))


def _labels(values) -> list[str]:
    return [str(v) for v in values]


def _finish(ax, *, title: str | None, default: str, xlabel: str | None = None,
            ylabel: str | None = None):
    """Title and axis labels, and every text of the figure drawn as typed (no mathtext).

    ``title=None`` uses ``default``. A None label leaves that axis label as drawn.
    """
    ax.set_title(default if title is None else title)
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    for text in ax.figure.findobj(Text):
        text.set_parse_math(False)
    return ax


def _date_axis(axis) -> None:
    """At most 5 ISO-dated ticks (locale-neutral, and legible on a phone)."""
    axis.set_major_locator(mdates.AutoDateLocator(minticks=2, maxticks=5))
    axis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))


def _ratio_axis(axis, locale: str | None) -> None:
    """Log-scale ticks at 1, 2, 5 x 10^k, written as plain numbers ("0.2", "1", "5").

    Matplotlib's default log labels are mathtext (``$10^{-1}$``), which the house
    style's ``text.parse_math = False`` would print literally.
    """
    def label(value, _pos):
        digits = max(0, -int(np.floor(np.log10(value)))) if value > 0 else 0
        return report.fmt_number(value, locale, digits)

    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(label))
    axis.set_minor_formatter(NullFormatter())


def _percent_axis(axis) -> None:
    axis.set_major_formatter(PercentFormatter(1.0, decimals=0))


def _band(ax, x, low, high, *, color, locale, step=None) -> None:
    ax.fill_between(x, np.asarray(low, dtype=float), np.asarray(high, dtype=float),
                    color=color, alpha=0.2, linewidth=0, step=step,
                    label=report.t("ci_band", locale))


# --------------------------------------------------------------------------- NPS
def nps_trend(rolling: pd.DataFrame, *, x: str = "period_end", ax=None,
              locale: str | None = None, title: str | None = None):
    """Rolling NPS with its 95% band; windows with a small sample are hollow, unjoined points.

    Parameters
    ----------
    rolling : DataFrame
        :func:`cslib.nps.rolling_nps`: ``period_end``, ``nps``, ``ci_low``,
        ``ci_high``, ``small_sample``.
    """
    _require(rolling, [x, "nps", "ci_low", "ci_high"], func="nps_trend")
    ax = _axes(ax)
    data = rolling.sort_values(x)
    color = PALETTE[0]
    small = (data["small_sample"].fillna(False).astype(bool) if "small_sample" in data
             else pd.Series(False, index=data.index))
    # The line and band join only windows with enough answers: a window of a few answers
    # (the programme's first weeks) shows as a lone hollow point, not as a plunge.
    reliable = data.copy()
    reliable.loc[small, ["nps", "ci_low", "ci_high"]] = np.nan
    _band(ax, reliable[x], reliable["ci_low"], reliable["ci_high"], color=color, locale=locale)
    ax.plot(reliable[x], reliable["nps"].astype(float), color=color, label="NPS")
    ax.scatter(data.loc[~small, x], data.loc[~small, "nps"].astype(float), color=color, zorder=3)
    if small.any():
        ax.scatter(data.loc[small, x], data.loc[small, "nps"].astype(float), facecolor="white",
                   edgecolor=color, zorder=3, label=report.t("axis.small", locale))
    ax.axhline(0, color=_GREY, linewidth=0.8)
    _date_axis(ax.xaxis)
    nps_values = data["nps"].astype(float)
    ax.set_ylim(max(-100, np.nanmin([reliable["ci_low"].min(), nps_values.min(), 0]) - 5),
                min(100, np.nanmax([reliable["ci_high"].max(), nps_values.max(), 0]) + 5))
    return _finish(ax, title=title, default=report.t("title.nps_trend", locale),
                   xlabel=report.t("axis.window_end", locale),
                   ylabel=report.t("axis.nps", locale))


def nps_by_group(table: pd.DataFrame, *, group: str, ax=None, locale: str | None = None,
                 title: str | None = None):
    """Each group's NPS with its 95% interval on the -100..100 scale.

    Parameters
    ----------
    table : DataFrame
        :func:`cslib.nps.compare_groups`: ``group``, ``nps``, ``ci_low``,
        ``ci_high``, ``small_sample`` (hollow points).
    group : str
        The group column.
    """
    _require(table, [group, "nps", "ci_low", "ci_high"], func="nps_by_group")
    ax = _axes(ax)
    y = np.arange(len(table))[::-1]
    nps = table["nps"].astype(float).to_numpy()
    err = _error_lengths(nps, table["ci_low"], table["ci_high"])
    small = (table["small_sample"].fillna(False).astype(bool).to_numpy()
             if "small_sample" in table else np.zeros(len(table), bool))
    for mask, face in ((~small, PALETTE[0]), (small, "white")):
        if mask.any():
            ax.errorbar(nps[mask], y[mask], xerr=err[:, mask], fmt="o", color=PALETTE[0],
                        markerfacecolor=face, capsize=4, linewidth=1.5)
    ax.axvline(0, color=_GREY, linewidth=0.8)
    ax.set_xlim(-100, 100)
    ax.set_yticks(y)
    ax.set_yticklabels(_labels(table[group]))
    ax.set_ylim(-0.7, len(table) - 0.3)
    ax.grid(axis="y", visible=False)
    label = report.column_label(group, locale)
    return _finish(ax, title=title, default=report.t("title.nps_by_group", locale,
                                                     group=label.lower()),
                   xlabel=report.t("axis.nps", locale), ylabel=label)


def cohort_heatmap(cohorts: pd.DataFrame, *, cohort: str = "cohort", period: str = "period",
                   value: str = "nps", ax=None, locale: str | None = None,
                   title: str | None = None):
    """NPS per cohort (rows) and period (columns), annotated; empty cells blank.

    Parameters
    ----------
    cohorts : DataFrame
        :func:`cslib.nps.cohort_nps`, one row per cohort and period.
    """
    import seaborn as sns

    _require(cohorts, [cohort, period, value], func="cohort_heatmap")
    if cohorts.duplicated([cohort, period]).any():
        raise ParamsError(f"plots.cohort_heatmap: several rows per `{cohort}` and `{period}`; "
                          "pass one group's cohort table.")
    grid = cohorts.assign(**{cohort: cohorts[cohort].astype(str),
                             period: cohorts[period].astype(str)})
    grid = grid.pivot(index=cohort, columns=period, values=value).astype(float)
    ax = _axes(ax)
    # vmin/vmax symmetric about 0, so 0 is the diverging map's white
    sns.heatmap(grid, ax=ax, annot=True, fmt=".0f", cmap="RdBu", vmin=-100, vmax=100,
                linewidths=0.5, linecolor="white", cbar_kws={"label": "NPS"})
    ax.tick_params(axis="x", rotation=0)
    ax.tick_params(axis="y", rotation=0)
    return _finish(ax, title=title, default=report.t("title.cohort", locale),
                   xlabel=report.t("axis.answered", locale),
                   ylabel=report.t("axis.signup", locale))


# --------------------------------------------------------------------------- revenue
_STEPS = ("new", "expansion", "reactivation", "contraction", "churn")


def revenue_waterfall(row, *, locale: str | None = None, ax=None, title: str | None = None):
    """The revenue bridge as a waterfall: start MRR, gains, losses, end MRR.

    Parameters
    ----------
    row : pandas.Series or dict
        A bridge row (:func:`cslib.revenue.bridge_row` or
        :func:`~cslib.revenue.trailing_bridge`) with ``start_mrr``, ``new``,
        ``expansion``, ``reactivation``, ``contraction``, ``churn``,
        ``end_mrr``. Losses are drawn downwards whatever their sign.
    locale : str
        For the money tick labels.
    """
    if row is None:
        raise ParamsError("plots.revenue_waterfall: no bridge row (the month is not in the "
                          "bridge).")
    missing = [c for c in ("start_mrr", *_STEPS, "end_mrr") if c not in row]
    if missing:
        raise SchemaError(f"plots.revenue_waterfall: the row has no {missing}; pass a "
                          "revenue_bridge row.")
    ax = _axes(ax)
    names = ["start_mrr", *_STEPS, "end_mrr"]
    level = float(row["start_mrr"])
    bottoms, heights, colors = [0.0], [level], [_GREY]
    for step in _STEPS:
        value = abs(float(row[step]))
        if step in ("contraction", "churn"):
            level -= value
            bottoms.append(level)
            colors.append(PALETTE[3])
        else:
            bottoms.append(level)
            level += value
            colors.append(PALETTE[2])
        heights.append(value)
    bottoms.append(0.0)
    heights.append(float(row["end_mrr"]))
    colors.append(_GREY)
    x = np.arange(len(names))
    ax.bar(x, heights, bottom=bottoms, color=colors, width=0.7)
    # Movements are small next to the MRR: start the axis near the lowest level (the
    # tick labels say where), so they stay visible.
    levels = np.array([b + h for b, h in zip(bottoms, heights, strict=True)] + bottoms[1:-1])
    low, high = float(levels.min()), float(levels.max())
    span = (high - low) or abs(high) * 0.1 or 1.0
    ax.set_ylim(max(0.0, low - 1.5 * span), high + 0.35 * span)
    ax.set_xticks(x)
    signs = ["", "+", "+", "+", "-", "-", ""]
    # Names under the bars (slanted: "Reactivation" and "Contraction" are long), amounts
    # on top of them.
    ax.set_xticklabels([report.column_label(n, locale) for n in names], fontsize="small",
                       rotation=20, ha="right", rotation_mode="anchor")
    for xi, b, h, sign in zip(x, bottoms, heights, signs, strict=True):
        ax.annotate(f"{sign}{report.fmt_money_short(h, locale, symbol=False)}",
                    (xi, b + h), xytext=(0, 2), textcoords="offset points", ha="center",
                    va="bottom", fontsize="small")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: report.fmt_money_short(v, locale)))
    ax.grid(axis="x", visible=False)
    period = row["period"] if "period" in row else ""
    return _finish(ax, title=title,
                   default=report.t("title.waterfall", locale,
                                    period=report.period_words(period, locale)),
                   xlabel=report.t("axis.movement", locale),
                   ylabel=report.column_label("mrr", locale))


def rate_trend(bridge: pd.DataFrame, *, rates: Sequence[str] = ("grr", "nrr"),
               period: str = "period", ax=None, locale: str | None = None,
               title: str | None = None):
    """Retention rates (fractions) per period, one line each, on a percent axis.

    Parameters
    ----------
    bridge : DataFrame
        :func:`cslib.revenue.revenue_bridge` rows (``period`` and the rates).
    rates : sequence of str
        Rate columns; a 100% line is drawn for GRR/NRR.
    """
    rates = list(rates)
    _require(bridge, [period, *rates], func="rate_trend")
    ax = _axes(ax)
    x = np.arange(len(bridge))
    for i, rate in enumerate(rates):
        ax.plot(x, bridge[rate].astype(float), marker="o", color=PALETTE[i % len(PALETTE)],
                label=report.column_label(rate, locale))
    if {"grr", "nrr"} & set(rates):
        ax.axhline(1.0, color=_GREY, linewidth=0.8, linestyle="--")
    ax.set_xticks(x)
    ax.set_xticklabels(_labels(bridge[period]), rotation=45, ha="right")
    _percent_axis(ax.yaxis)
    ax.legend()
    names = " / ".join(report.column_label(r, locale) for r in rates)
    label = report.column_label(period, locale)
    return _finish(ax, title=title, default=report.t("title.rates", locale, rates=names,
                                                     period=label.lower()),
                   xlabel=label, ylabel=report.column_label("rate", locale))


# --------------------------------------------------------------------------- retention
def survival_plot(table: pd.DataFrame, *, group: str = "group", time: str = "time", ax=None,
                  locale: str | None = None, title: str | None = None):
    """Kaplan-Meier step curves per group with their pointwise 95% bands.

    Parameters
    ----------
    table : DataFrame
        :attr:`cslib.retention.SurvivalCurves.table`: ``group``, ``time``,
        ``survival``, ``ci_low``, ``ci_high``.
    """
    _require(table, [group, time, "survival", "ci_low", "ci_high"], func="survival_plot")
    ax = _axes(ax)
    for i, (name, part) in enumerate(table.groupby(group, sort=False)):
        color = PALETTE[i % len(PALETTE)]
        part = part.sort_values(time)
        ax.step(part[time], part["survival"].astype(float), where="post", color=color,
                label=str(name))
        ax.fill_between(part[time], part["ci_low"].astype(float),
                        part["ci_high"].astype(float), step="post", color=color, alpha=0.15,
                        linewidth=0)
    ax.set_ylim(0, 1.02)
    _percent_axis(ax.yaxis)
    ax.legend(title=None)
    return _finish(ax, title=title, default=report.t("title.survival", locale),
                   xlabel=report.t("axis.months", locale),
                   ylabel=report.t("axis.survival", locale))


def _error_lengths(estimate, low, high) -> np.ndarray:
    """``errorbar``'s (2, n) lengths: never negative (a bound a rounding error on the
    wrong side of its estimate draws no bar), 0 where a bound is missing."""
    est = np.asarray(estimate, dtype=float)
    err = np.vstack([est - np.asarray(low, dtype=float), np.asarray(high, dtype=float) - est])
    return np.where(np.isfinite(err), np.maximum(err, 0.0), 0.0)


def forest_plot(summary: pd.DataFrame, *, estimate: str = "odds_ratio", ax=None,
                locale: str | None = None, title: str | None = None):
    """Ratios with 95% intervals on a log axis, a reference line at 1.

    Parameters
    ----------
    summary : DataFrame
        A model ``summary`` indexed by term with ``estimate``, ``ci_low`` and
        ``ci_high`` (a ``term`` column works too). The intercept is left out.
    estimate : str
        ``"odds_ratio"`` or ``"hazard_ratio"``.
    """
    data = summary.set_index("term") if "term" in summary.columns else summary
    _require(data, [estimate, "ci_low", "ci_high"], func="forest_plot")
    data = data.loc[[str(i).lower() != "intercept" for i in data.index]]
    ax = _axes(ax)
    y = np.arange(len(data))[::-1]
    est = data[estimate].astype(float).to_numpy()
    low = data["ci_low"].astype(float).to_numpy()
    high = data["ci_high"].astype(float).to_numpy()
    ok = np.isfinite(est) & (est > 0)
    err = _error_lengths(est, low, high)
    ax.errorbar(est[ok], y[ok], xerr=err[:, ok], fmt="o", color=PALETTE[0], capsize=4)
    ax.axvline(1.0, color=_GREY, linewidth=0.8, linestyle="--")
    ax.set_xscale("log")
    _ratio_axis(ax.xaxis, locale)
    ax.set_yticks(y)
    ax.set_yticklabels(_labels(data.index))
    ax.set_ylim(-0.7, len(data) - 0.3)
    ax.grid(axis="y", visible=False)
    label = report.column_label(estimate, locale)
    return _finish(ax, title=title, default=report.t("title.forest", locale, estimate=label),
                   xlabel=label, ylabel=report.column_label("term", locale))


# --------------------------------------------------------------------------- rates
def bar_rates(data: pd.DataFrame, *, x: str, y: str = "rate", ax=None,
              locale: str | None = None, title: str | None = None):
    """One bar per ``x`` with its 95% interval (``ci_low``/``ci_high``) when present.

    Parameters
    ----------
    data : DataFrame
        A rate table (:func:`cslib.adoption.adoption_rates`,
        :func:`cslib.support.first_contact_resolution`, survey waves), one row
        per ``x``.
    x, y : str
        Category and rate (a fraction) columns.
    """
    _require(data, [x, y], func="bar_rates")
    if data[x].duplicated().any():
        raise ParamsError(f"plots.bar_rates: several rows per `{x}`; pass one row per "
                          f"`{x}` (compute the rates with by=None or filter one group).")
    ax = _axes(ax)
    pos = np.arange(len(data))
    rate = data[y].astype(float).to_numpy()
    ax.bar(pos, rate, color=PALETTE[0], width=0.7)
    if {"ci_low", "ci_high"} <= set(data.columns):
        err = _error_lengths(rate, data["ci_low"], data["ci_high"])
        ax.errorbar(pos, rate, yerr=err, fmt="none",
                    ecolor="#24292f", capsize=4, linewidth=1.2)
    ax.set_xticks(pos)
    ax.set_xticklabels(_labels(data[x]), rotation=0 if len(data) <= 6 else 45,
                       ha="center" if len(data) <= 6 else "right")
    _percent_axis(ax.yaxis)
    ax.set_ylim(0, 1.0 if np.nanmax(np.append(rate, 0)) > 0.5 else None)
    ax.grid(axis="x", visible=False)
    x_label, y_label = report.column_label(x, locale), report.column_label(y, locale)
    return _finish(ax, title=title, default=report.t("title.bar_rates", locale, y=y_label,
                                                     x=x_label.lower()),
                   xlabel=x_label, ylabel=y_label)


def loop_vs_nps(weekly: pd.DataFrame, *, x: str = "period_end", ax=None,
                locale: str | None = None, title: str | None = None):
    """Weekly NPS (left axis, with its band) and the share of loops closed in SLA (right).

    Parameters
    ----------
    weekly : DataFrame
        :attr:`cslib.nps.LoopClosure.weekly`: ``period_end``, ``nps``,
        ``ci_low``, ``ci_high``, ``share_in_sla``.

    Returns
    -------
    matplotlib.axes.Axes
        The NPS axes; the share axes is its twin (``ax.figure.axes[1]``).
    """
    _require(weekly, [x, "nps", "share_in_sla"], func="loop_vs_nps")
    ax = _axes(ax)
    data = weekly.sort_values(x)
    if {"ci_low", "ci_high"} <= set(data.columns):
        _band(ax, data[x], data["ci_low"], data["ci_high"], color=PALETTE[0], locale=locale)
    ax.plot(data[x], data["nps"].astype(float), color=PALETTE[0], marker="o",
            label=report.t("axis.nps", locale))
    ax.set_ylabel(report.t("axis.nps", locale), color=PALETTE[0])
    right = ax.twinx()
    right.plot(data[x], data["share_in_sla"].astype(float), color=PALETTE[1], marker="s",
               linestyle="--", label=report.t("axis.loops", locale))
    right.set_ylim(0, 1.05)
    _percent_axis(right.yaxis)
    right.set_ylabel(report.t("axis.loops", locale), color=PALETTE[1])
    right.grid(False)
    _date_axis(ax.xaxis)
    handles = ax.get_legend_handles_labels()
    more = right.get_legend_handles_labels()
    ax.legend(handles[0] + more[0], handles[1] + more[1], loc="upper center",
              bbox_to_anchor=(0.5, -0.18), ncol=3)
    return _finish(ax, title=title, default=report.t("title.loops", locale),
                   xlabel=report.t("axis.week_end", locale))


# --------------------------------------------------------------------------- survey
def stratum_mix(mix: pd.DataFrame, *, wave: str = "wave", strata: str = "user_type",
                value: str = "share", ax=None, locale: str | None = None,
                title: str | None = None):
    """Each survey wave's mix of strata (user types) as 100% stacked bars.

    Waves built as designed show bars of the same proportions; a wave whose
    stripes differ from the others was not stratified like the base.

    Parameters
    ----------
    mix : DataFrame
        :attr:`cslib.survey.SurveyHealth.mix`: one row per wave and stratum
        with the stratum's ``share`` of the wave's invitations.
    wave, strata, value : str
        Column names.
    """
    _require(mix, [wave, strata, value], func="stratum_mix")
    ax = _axes(ax)
    grid = (mix.pivot_table(index=wave, columns=strata, values=value, aggfunc="sum",
                            observed=True)
            .fillna(0.0).sort_index())
    pos = np.arange(len(grid))
    bottom = np.zeros(len(grid))
    for i, name in enumerate(grid.columns):
        share = grid[name].to_numpy(dtype=float)
        ax.bar(pos, share, bottom=bottom, width=0.8, color=PALETTE[i % len(PALETTE)],
               label=str(name), edgecolor="white", linewidth=0.5)
        bottom += share
    ax.set_xticks(pos)
    ax.set_xticklabels(_labels(grid.index), rotation=0 if len(grid) <= 13 else 45)
    ax.set_ylim(0, 1.0)
    _percent_axis(ax.yaxis)
    ax.grid(axis="x", visible=False)
    if len(grid.columns):
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0),
                  title=report.column_label(strata, locale))
    return _finish(ax, title=title, default=report.t("title.mix", locale),
                   xlabel=report.column_label(wave, locale),
                   ylabel=report.t("axis.share_of_wave", locale))


def reliability_plot(deciles: pd.DataFrame, *, ax=None, locale: str | None = None,
                     title: str | None = None):
    """Observed against predicted churn by decile of the score (a reliability diagram).

    Takes ``OutOfTime.deciles`` (:func:`cslib.health.out_of_time`): ``predicted`` and
    ``observed`` per decile. Points on the diagonal are well calibrated; above it, the
    score under-predicts.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"decile": [1, 2], "rows": [10, 10], "predicted": [0.1, 0.3],
    ...                   "observed": [0.0, 0.4]})
    >>> ax = reliability_plot(d)
    >>> ax.get_title()
    'Observed against predicted churn, by decile'
    """
    _require(deciles, ["predicted", "observed"], func="reliability_plot")
    ax = _axes(ax)
    if deciles.empty:
        ax.text(0.5, 0.5, "Not enough history to validate the score", ha="center",
                va="center", transform=ax.transAxes)
        return _finish(ax, title=title, default="Observed against predicted churn, by decile")
    top = float(max(deciles["predicted"].max(), deciles["observed"].max(), 0.01)) * 1.1
    ax.plot([0, top], [0, top], color="0.6", linestyle="--", linewidth=1)
    ax.plot(deciles["predicted"], deciles["observed"], marker="o")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    _percent_axis(ax.xaxis)
    _percent_axis(ax.yaxis)
    return _finish(ax, title=title, default="Observed against predicted churn, by decile",
                   xlabel="Predicted", ylabel="Observed")
