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

In a kernel, figures are shown as SVG (vectors, sharp on any screen and on paper,
their text real text). A figure drawn by one of the helpers is drawn a second
time, 5 inches wide, for phones: the 8-inch drawing scaled to a 390 px phone
would set its text at about 8 px. The report pages show the 5-inch drawing on
narrow screens (a CSS media query); see :func:`figure_svgs`.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import html
import io
import re
import warnings
from collections.abc import Mapping, Sequence

import matplotlib as mpl
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.text import Text
from matplotlib.ticker import FixedLocator, Formatter, FuncFormatter, NullFormatter, NullLocator

from . import report
from ._checks import require_columns
from .exceptions import ParamsError, SchemaError

__all__ = ["PALETTE", "set_style", "nps_trend", "nps_by_group", "cohort_heatmap",
           "revenue_waterfall", "rate_trend", "survival_plot", "forest_plot", "bar_rates",
           "loop_vs_nps", "stratum_mix", "readable_term", "figure_alt"]

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
    "svg.fonttype": "none",  # text as <text>: selectable, found by the browser's search
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
#: The same for SVG: no date, so that the same figure gives the same bytes.
SVG_KWARGS = {"metadata": {"Date": None}, "bbox_inches": None}
#: The widths (inches) of a chart's two drawings: for screens and paper, and for phones.
#: At 5 in (360 pt) and the house fonts (13.75 pt ticks, the smallest text 10.4 pt)
#: a 366 px wide phone column (390 px less the page's margins) shows the smallest text
#: at 10.6 CSS px and ticks at 14 px, where the 8-inch drawing would show 6.6 and 8.7 px.
WIDE, PHONE = 8.0, 5.0


def set_style() -> None:
    """Apply the house style (and deterministic inline SVGs, each drawn once, in IPython)."""
    import seaborn as sns

    sns.set_theme(context="notebook", style="whitegrid", palette=list(PALETTE),
                  font_scale=1.25)
    mpl.rcParams.update(RC)
    try:
        from IPython import get_ipython

        if get_ipython() is not None:
            from matplotlib_inline.backend_inline import set_matplotlib_formats

            set_matplotlib_formats("svg", bbox_inches=None)
            _show_alt_text(get_ipython())
            if "inline" in mpl.get_backend():
                # pyplot's post-execute hook draws every new figure, then the inline
                # backend draws it again for the PNG it shows: each figure cost two
                # full draws. Inline figures never need the first.
                plt.uninstall_repl_displayhook()
    except ImportError:  # pragma: no cover - IPython is a dependency
        pass


def _png_with_alt(fig):
    """The inline PNG of ``fig``, with its :func:`figure_alt` as the output's ``alt``
    metadata (the report pages write it into the image's ``alt``)."""
    from IPython.core.pylabtools import print_figure

    data = print_figure(fig, "png", base64=True, **SAVE_KWARGS)
    alt = figure_alt(fig)
    return (data, {"alt": alt}) if alt else data


def _svg_text(fig) -> str:
    buf = io.StringIO()
    with _layout_only_dry_run(fig):
        fig.savefig(buf, format="svg", **SVG_KWARGS)
    return buf.getvalue()


def _draws_nothing(renderer) -> bool:
    """Whether ``renderer``'s drawing methods are switched off (``_draw_disabled``)."""
    inner = getattr(renderer, "_renderer", renderer)  # MixedModeRenderer wraps the SVG one
    return "draw_path" in vars(inner)  # the no-op is set on the instance


@contextlib.contextmanager
def _layout_only_dry_run(fig):
    """While ``fig`` is saved: its layout-engine dry run lays it out, and draws nothing.

    ``savefig`` on a figure with a layout engine draws it twice: a dry run with
    the renderer's drawing switched off, whose only lasting effect is that the
    engine places the axes, then the real drawing. Drawing every artist into
    nothing was a third of a chart's cost. The layout is run exactly as the dry
    run's first step runs it, so the saved bytes are the same.
    """
    real = fig.draw

    def draw(renderer):
        engine = fig.get_layout_engine()
        if (engine is not None and fig.axes and fig.get_visible()
                and _draws_nothing(renderer)):
            with fig._render_lock:
                try:
                    engine.execute(fig)
                except ValueError:  # as Figure.draw: raised while a window resizes
                    pass
            return
        real(renderer)

    fig.draw = draw
    try:
        yield
    finally:
        del fig.draw  # the class's draw again


_SVG_ID = re.compile(r'\bid="([^"]+)"')


def _inline_svg(svg: str, alt: str, kind: str) -> str:
    """``svg`` (matplotlib's document) fit to sit inside an HTML page: no XML prolog
    and no metadata block; ids unique to this drawing (several charts on one page
    would otherwise share ``figure_1``, ``clip...``); ``role="img"``, ``aria-label``
    and a ``<title>`` with the alt text; and the class ``cs-<kind>``."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, count=1, flags=re.S)
    prefix = "cs" + hashlib.sha256(svg.encode("utf-8")).hexdigest()[:10] + kind[0] + "-"
    ids = set(_SVG_ID.findall(svg))
    svg = _SVG_ID.sub(lambda m: f'id="{prefix}{m[1]}"', svg)
    svg = re.sub(r'(url\(#|href="#)([^)"]+)',
                 lambda m: m[1] + (prefix + m[2] if m[2] in ids else m[2]), svg)
    # matplotlib's "*{stroke-linejoin...}" would reach every element of the page
    svg = svg.replace("<style type=\"text/css\">*{", f'<style type="text/css">#{prefix}root *{{', 1)
    label = html.escape(alt, quote=True)
    head = f'<svg id="{prefix}root" class="cs-{kind}"'
    if alt:
        head += f' role="img" aria-label="{label}"'
    svg = head + svg[len("<svg"):]
    if alt:
        end = svg.index(">") + 1
        svg = svg[:end] + f"\n <title>{html.escape(alt, quote=False)}</title>" + svg[end:]
    return svg.strip() + "\n"


def figure_svgs(fig) -> dict[str, str]:
    """The inline SVGs of a figure: ``"wide"`` (as drawn) and, for a figure drawn by one
    helper and not changed since, ``"phone"``: the helper run again with the figure
    :data:`PHONE` inches wide, its labels wrapped and thinned for that width and its
    legends below the axes. Each is ready for an HTML page (see :func:`_inline_svg`).

    Examples
    --------
    >>> import pandas as pd
    >>> ax = bar_rates(pd.DataFrame({"plan": ["Pro", "Starter"], "rate": [0.8, 0.6]}),
    ...                x="plan", locale="en")
    >>> svgs = figure_svgs(ax.figure)
    >>> sorted(svgs), 'width="360pt"' in svgs["phone"], 'width="576pt"' in svgs["wide"]
    (['phone', 'wide'], True, True)
    >>> 'aria-label="Rate by plan. Highest Pro 80.0%; lowest Starter 60.0%."' in svgs["wide"]
    True
    """
    alt = figure_alt(fig)
    out = {"wide": _inline_svg(_svg_text(fig), alt, "wide")}
    phone = _phone_figure(fig)
    if phone is not None:
        out["phone"] = _inline_svg(_svg_text(phone), alt, "phone")
    return out


def _svg_with_alt(fig):
    """The inline SVG of ``fig`` (for screens and paper), with its :func:`figure_alt`
    as the output's ``alt`` metadata and its phone drawing as ``phone`` (the report
    pages show the phone drawing on narrow screens)."""
    svgs = figure_svgs(fig)
    meta = {k: v for k, v in (("alt", figure_alt(fig)), ("phone", svgs.get("phone"))) if v}
    return (svgs["wide"], meta) if meta else svgs["wide"]


def _show_alt_text(shell) -> None:
    formatters = getattr(getattr(shell, "display_formatter", None), "formatters", None)
    if formatters and "image/svg+xml" in formatters:
        from matplotlib.figure import Figure

        formatters["image/svg+xml"].for_type(Figure, _svg_with_alt)


# --------------------------------------------------------------------------- helpers
_FIG_WIDTH = WIDE
_PLOT_AREA = 6.2  # inches of a default figure's width the axes get (8 in less the margins)
#: The width new figures are drawn at: WIDE, or PHONE while the phone drawing is made.
_LAYOUT = {"width": WIDE}


def _width() -> float:
    return _LAYOUT["width"]


def _narrow() -> bool:
    return _LAYOUT["width"] < WIDE


def _plot_area() -> float:
    """Inches of a new figure's width the axes get (its width less the margins)."""
    return _LAYOUT["width"] - (WIDE - _PLOT_AREA)


def _chars(n: int) -> int:
    """A label wrap width of ``n`` characters at 8 in, for the width being drawn."""
    return n if not _narrow() else max(10, round(n * _width() / WIDE))


@contextlib.contextmanager
def _layout(width: float):
    old = _LAYOUT["width"]
    _LAYOUT["width"] = width
    try:
        yield
    finally:
        _LAYOUT["width"] = old


def _fingerprint(fig) -> tuple:
    """What a later change to the figure (a line, a title, limits) would change."""
    return tuple((len(a.get_children()), a.get_title("left"), a.get_title(),
                  a.get_xlabel(), a.get_ylabel(), tuple(a.get_xlim()), tuple(a.get_ylim()))
                 for a in fig.axes) + (tuple(fig.get_size_inches()),)


def _redrawable(func):
    """Remember how a helper drew a figure of its own (``ax=None``), so that
    :func:`figure_svgs` can draw it again at the phone width."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        given = kwargs.get("ax")
        result = func(*args, **kwargs)
        fig = getattr(result, "figure", None)
        if fig is not None and not _narrow():
            # a figure several helpers (or a caller's subplots) drew on has no phone drawing
            fig._cslib_redraw = (None if given is not None else
                                 (wrapper, args, kwargs, _fingerprint(fig)))
        return result
    return wrapper


def _phone_figure(fig):
    """``fig`` drawn again at the phone width by the helper that drew it, or None (not
    drawn by one helper alone, or changed since)."""
    record = getattr(fig, "_cslib_redraw", None)
    if record is None or _narrow():
        return None
    func, args, kwargs, mark = record
    if _fingerprint(fig) != mark:
        return None
    with _layout(PHONE), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the caveats were raised with the first drawing
        try:
            return func(*args, **kwargs).figure
        except Exception:  # noqa: BLE001 - the screen drawing stands alone
            return None


def _axes(ax, *, rows: float | None = None):
    """``ax``, or a new figure, taller than 4 in when ``rows`` lines of category labels
    need it (0.3 in a line), so that no two labels overlap. The phone drawing's figure
    is not registered with pyplot (the inline backend shows pyplot's figures)."""
    if ax is None:
        height = 4.0 if rows is None else max(4.0, 0.3 * rows + 1.8)
        if _narrow():
            from matplotlib.figure import Figure

            return Figure(figsize=(_width(), height)).add_subplot()
        _, ax = plt.subplots(figsize=(_width(), height))
    return ax


def _require(data: pd.DataFrame, columns: Sequence[str], *, func: str) -> None:
    require_columns(data, columns, where=f"plots.{func}: the data", hint=(
        "Pass the output of the matching cslib metric function."))


_ISO_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def _labels(values, locale: str | None = None) -> list[str]:
    """Category labels as text; months (``2026-10``, a monthly Period) in the locale's
    short form ("Oct 2026", "out/2026")."""
    out = []
    for v in values:
        if isinstance(v, pd.Period) and v.freqstr.startswith("M"):
            v = str(v)
        text = str(v)
        out.append(report.fmt_month_short(text, locale) if _ISO_MONTH.fullmatch(text) else text)
    return out


def _renamed_data(old: str):
    """Make the first argument ``data`` and keep ``old=`` working (deprecated)."""
    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            if old in kwargs:
                if args or "data" in kwargs:
                    raise TypeError(f"plots.{func.__name__}: pass the data once, as `data` "
                                    f"(`{old}=` is its deprecated name).")
                warnings.warn(f"plots.{func.__name__}({old}=...) is deprecated; pass the "
                              "data first or as data=...", DeprecationWarning, stacklevel=2)
                kwargs["data"] = kwargs.pop(old)
            return func(*args, **kwargs)
        return wrapper
    return decorate


def _text_width(text: str, size: float) -> float:
    """The width in inches of ``text`` at ``size`` points (the house font)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    lines = str(text).split("\n") or [""]
    prop = FontProperties(size=size)
    return max(TextToPath().get_text_width_height_descent(line, prop, ismath=False)[0]
               for line in lines) / 72.0


def _tick_size(axis: str = "x") -> float:
    from matplotlib.font_manager import FontProperties

    return FontProperties(size=mpl.rcParams[f"{axis}tick.labelsize"]).get_size_in_points()


def _wrap(label, width: int, max_lines: int = 3) -> str:
    """``label`` wrapped at spaces (then anywhere) to ``width`` characters, at most
    ``max_lines`` lines, the rest cut with an ellipsis."""
    import textwrap

    text = str(label)
    if len(text) <= width:
        return text
    lines = textwrap.wrap(text.replace("_", "_\u200b"), width, break_long_words=True,
                          break_on_hyphens=True)
    lines = [line.replace("\u200b", "") for line in lines]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(1, width - 1)] + "\u2026"
    return "\n".join(lines)


def _lines(labels) -> int:
    return sum(str(label).count("\n") + 1 for label in labels)


def _y_categories(ax, pos, labels) -> None:
    """Category names on the y axis: every one shown, long ones wrapped (the figure was
    made tall enough by :func:`_axes`)."""
    ax.set_yticks(pos)
    ax.set_yticklabels(labels)


def _x_categories(ax, pos, labels, *, width: float | None = None) -> str:
    """Category names under the x axis, none overlapping another.

    Flat when they fit; else wrapped onto two lines; else short ones (periods,
    waves: in order, so they stay readable) flat but only every k-th one, long
    ones turned upright (every k-th when even that is too tight). Returns how:
    ``"flat"``, ``"wrapped"``, ``"upright"`` or ``"thinned"``.
    """
    labels = [str(label) for label in labels]
    width = _plot_area() if width is None else width
    ax.set_xticks(pos)
    n = max(len(labels), 1)
    size = _tick_size("x")
    slot = width / n
    gap = 0.12
    if not labels or max(_text_width(t, size) for t in labels) + gap <= slot:
        ax.set_xticklabels(labels)
        return "flat"
    chars = max(4, int(slot / (0.55 * size / 72.0)))
    wrapped = [_wrap(t, chars, max_lines=2) for t in labels]
    if (max(_text_width(t, size) for t in wrapped) + gap <= slot
            and all(len(t.replace("\n", "")) >= len(o) for t, o in zip(wrapped, labels,
                                                                         strict=True))):
        ax.set_xticklabels(wrapped)
        return "wrapped"
    line = 1.4 * size / 72.0  # an upright label's thickness
    if max(len(t) for t in labels) <= 10:  # periods, waves: flat, every k-th one
        step = int(np.ceil((max(_text_width(t, size) for t in labels) + gap) / slot))
        ax.set_xticklabels([t if i % step == 0 else "" for i, t in enumerate(labels)])
        return "thinned"
    short = [t if len(t) <= 24 else t[:23] + "\u2026" for t in labels]
    step = max(1, int(np.ceil(line / slot)))
    ax.set_xticklabels([t if i % step == 0 else "" for i, t in enumerate(short)], rotation=90)
    return "upright" if step == 1 else "thinned"


def _when(value, locale) -> str:
    try:
        return report.fmt_date(value, locale)
    except (TypeError, ValueError):
        return str(value)


def _alt_range(names, values, fmt, locale) -> str:
    values = pd.Series(np.asarray(values, dtype=float), index=_labels(names)).dropna()
    if values.empty:
        return report.t("plot.alt.none", locale)
    high, low = values.idxmax(), values.idxmin()
    if len(values) == 1:
        return f"{high}: {fmt(values[high])}"
    return report.t("plot.alt.range", locale, high=f"{high} {fmt(values[high])}",
                    low=f"{low} {fmt(values[low])}")


def figure_alt(fig) -> str:
    """The alt text of a figure drawn by the kit's helpers: each chart's title and key
    figure (empty for other figures). The inline backend writes it into the output's
    metadata, and the report pages into the image's ``alt``.

    Examples
    --------
    >>> import pandas as pd
    >>> ax = bar_rates(pd.DataFrame({"plan": ["Pro", "Starter"], "rate": [0.8, 0.6]}),
    ...                x="plan", locale="en")
    >>> figure_alt(ax.figure)
    'Rate by plan. Highest Pro 80.0%; lowest Starter 60.0%.'
    """
    parts = getattr(fig, "_cslib_alt", {})
    return " ".join(parts[k] for k in sorted(parts))


def _fit_title(ax, title: str) -> str:
    """``title`` wrapped onto more lines when it would run past the figure's right edge
    (it starts at the axes' left, after the y tick labels)."""
    from matplotlib.font_manager import FontProperties

    size = FontProperties(size=mpl.rcParams["axes.titlesize"]).get_size_in_points()
    ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    left = max([0.9] + [_text_width(t, _tick_size("y")) + 0.55 for t in ticks])
    room = ax.figure.get_figwidth() - left - 0.15
    width = _text_width(title, size)
    if "\n" in title or width <= room:
        return title
    return _wrap(title, max(12, int(len(title) * room / width)), max_lines=3)


def _finish(ax, *, title: str | None, default: str, xlabel: str | None = None,
            ylabel: str | None = None, alt: str | None = None):
    """Title and axis labels, the alt text, and every text drawn as typed (no mathtext).

    ``title=None`` uses ``default``. A None label leaves that axis label as drawn.
    """
    shown = default if title is None else title
    ax.set_title(_fit_title(ax, shown))
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    for text in ax.figure.findobj(Text):
        text.set_parse_math(False)
    sentence = shown.rstrip(".")
    if alt:
        sentence += ". " + alt[0].upper() + alt[1:]
    fig = ax.figure
    if not hasattr(fig, "_cslib_alt"):
        fig._cslib_alt = {}
    fig._cslib_alt[fig.axes.index(ax)] = sentence.rstrip(".") + "."
    return ax


def _date_axis(axis, locale: str | None = None, *, width: float | None = None) -> None:
    """At most 5 dated ticks (fewer when ``width`` inches, the axes' width, cannot hold
    them side by side), written as the locale writes a day, never two alike."""
    low, high = axis.get_view_interval()
    if np.isfinite(low) and np.isfinite(high) and high - low < 6:  # one point, or a few days
        mid = (low + high) / 2
        axis.axes.set_xlim(mid - 4, mid + 4)
    width = _plot_area() if width is None else width
    label = _text_width(_when(pd.Timestamp("2026-12-31"), locale), _tick_size("x")) + 0.3
    # (matplotlib counts a tick more than it shows, at an end of the range)
    most = int(min(5, max(2, width // label + 1)))
    locator = mdates.AutoDateLocator(minticks=2, maxticks=most, interval_multiples=True)
    locator.intervald[mdates.MONTHLY] = [1, 2, 3, 4, 6, 12, 24]  # 2 years in 2 ticks
    axis.set_major_locator(locator)
    # ticks are at least a day apart (the limits above), so a day's label is unique
    axis.set_major_formatter(FuncFormatter(
        lambda v, _pos: _when(mdates.num2date(v).replace(tzinfo=None), locale)))


#: Log-axis ticks, symmetric about 1 (0.5 and 2 are as far from 1): coarse to fine.
_RATIO_TICKS = (
    (0.01, 0.1, 1.0, 10.0, 100.0),
    (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0),
    (0.1, 0.2, 0.25, 0.5, 0.67, 0.8, 1.0, 1.25, 1.5, 2.0, 4.0, 5.0, 10.0),
)


def _ratio_axis(axis, locale: str | None, values=()) -> None:
    """A log axis for ratios: limits around the data that always include 0.8 and 1.25,
    and ticks on both sides of 1, written as plain numbers ("0.5", "1", "2").

    Matplotlib's default log labels are mathtext (``$10^{-1}$``), which the house
    style's ``text.parse_math = False`` would print literally.
    """
    finite = np.asarray([v for v in np.asarray(values, dtype=float).ravel()
                         if np.isfinite(v) and v > 0])
    low = min(float(finite.min()) if finite.size else 1.0, 0.8) / 1.15
    high = max(float(finite.max()) if finite.size else 1.0, 1.25) * 1.15
    axis.axes.set_xlim(low, high)
    ticks = []
    for level in reversed(_RATIO_TICKS):
        inside = [v for v in level if low <= v <= high]
        ticks = inside
        if len(inside) <= 5 and any(v < 1 for v in inside) and any(v > 1 for v in inside):
            break
    if not (any(v < 1 for v in ticks) and any(v > 1 for v in ticks)):
        ticks = sorted({*ticks, round(low * 1.1, 3), 1.0, round(high / 1.1, 2)})

    def label(value, _pos):
        digits = 0
        while digits < 3 and abs(round(value, digits) - value) > 1e-9:
            digits += 1
        return report.fmt_number(value, locale, digits)

    axis.set_major_locator(FixedLocator(ticks))
    axis.set_major_formatter(FuncFormatter(label))
    axis.set_minor_locator(NullLocator())
    axis.set_minor_formatter(NullFormatter())


class _Percent(Formatter):
    """Fractions as percentages with as many decimals as the ticks need to differ
    (ticks 0.02, 0.025, 0.03 read "2.0%, 2.5%, 3.0%", never "2%, 2%, 3%")."""

    def __init__(self, locale: str | None = None):
        self.locale = locale
        self._ticks: list[float] = []
        self._texts: dict[tuple, str] = {}  # a layout asks for the same labels many times

    def set_locs(self, locs) -> None:
        self._ticks = [float(v) for v in locs]

    def digits(self) -> int:
        locs = [v * 100 for v in self._ticks if np.isfinite(v)]
        for digits in range(4):
            if all(abs(round(v, digits) - v) < 1e-6 for v in locs):
                return digits
        return 3

    def __call__(self, x, pos=None):
        key = (x, self.digits())
        if key not in self._texts:
            self._texts[key] = report.fmt_pct(x, self.locale, key[1])
        return self._texts[key]


def _percent_axis(axis, locale: str | None = None) -> None:
    axis.set_major_formatter(_Percent(locale))


def _outside_legend(ax, *, ncol: int, **kw) -> None:
    """The legend beside the axes; on a phone drawing, under the figure (the axes keep
    the width)."""
    if _narrow():
        ax.figure.legend(*ax.get_legend_handles_labels(), loc="outside lower center",
                         ncol=max(1, ncol), **kw)
    else:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), **kw)


def _band(ax, x, low, high, *, color, locale, step=None) -> None:
    ax.fill_between(x, np.asarray(low, dtype=float), np.asarray(high, dtype=float),
                    color=color, alpha=0.2, linewidth=0, step=step,
                    label=report.t("ci_band", locale))


_TERM = re.compile(r"^(?P<column>.+?)\[T\.(?P<level>.*)\]$")


def readable_term(name, locale: str | None = None, *, min_features: int | None = None) -> str:
    """A model term as a reader says it: ``plan[T.Pro]`` -> ``"Plan: Pro"``.

    Parameters
    ----------
    name : str
        A term of a model summary (patsy/statsmodels spelling).
    locale : str, optional
    min_features : int, optional
        The key-feature threshold, for ``key_adopter`` ("Uses 2+ key features").

    Examples
    --------
    >>> readable_term("plan[T.Pro]", "en"), readable_term("plan[T.Pro]", "pt-BR")
    ('Plan: Pro', 'Plano: Pro')
    >>> readable_term("key_adopter", "en", min_features=2)
    'Uses 2+ key features'
    >>> readable_term("Intercept", "pt-BR")
    'Intercepto'
    """
    text = str(name)
    match = _TERM.match(text)
    if match:
        return f"{report.column_label(match['column'], locale)}: {match['level']}"
    if text.lower() == "intercept":
        return report.t("plot.intercept", locale)
    if text == "key_adopter":
        return (report.t("plot.key_adopter_any", locale) if min_features is None
                else report.t("plot.key_adopter", locale, n=min_features))
    if text == "key_features":
        return report.t("plot.key_features", locale)
    return report.column_label(text, locale)


# --------------------------------------------------------------------------- NPS
def _flag(data: pd.DataFrame, column: str, default: bool) -> np.ndarray:
    if column not in data:
        return np.full(len(data), default)
    return data[column].astype("boolean").fillna(default).to_numpy(dtype=bool)


@_redrawable
@_renamed_data("rolling")
def nps_trend(data: pd.DataFrame, *, x: str = "period_end", ax=None,
              locale: str | None = None, title: str | None = None):
    """Rolling NPS with its 95% band; windows with a small sample are hollow, unjoined points.

    Parameters
    ----------
    data : DataFrame
        :func:`cslib.nps.rolling_nps`: ``period_end``, ``nps``, ``ci_low``,
        ``ci_high``, ``small_sample``. (``rolling=`` is the deprecated name.)
    """
    _require(data, [x, "nps", "ci_low", "ci_high"], func="nps_trend")
    ax = _axes(ax)
    data = data.sort_values(x)
    color = PALETTE[0]
    small = pd.Series(_flag(data, "small_sample", False), index=data.index)
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
    _date_axis(ax.xaxis, locale)
    nps_values = data["nps"].astype(float)
    if len(data):
        ax.set_ylim(max(-100, np.nanmin([reliable["ci_low"].min(), nps_values.min(), 0]) - 5),
                    min(100, np.nanmax([reliable["ci_high"].max(), nps_values.max(), 0]) + 5))
    alt = None
    if len(data):
        last = data.iloc[-1]
        value = f"NPS {report.fmt_number(last['nps'], locale)}"
        if np.isfinite(float(last["ci_low"])) and np.isfinite(float(last["ci_high"])):
            value += (" (" + report.t("ci", locale, level="95%",
                                      low=report.fmt_number(last["ci_low"], locale),
                                      high=report.fmt_number(last["ci_high"], locale)) + ")")
        alt = report.t("plot.alt.latest", locale, when=_when(last[x], locale), value=value)
    return _finish(ax, title=title, default=report.t("title.nps_trend", locale),
                   xlabel=report.t("axis.window_end", locale),
                   ylabel=report.t("axis.nps", locale), alt=alt)


def _nps_text(v, locale):
    return report.fmt_number(v, locale)


@_redrawable
@_renamed_data("table")
def nps_by_group(data: pd.DataFrame, *, group: str, ax=None, locale: str | None = None,
                 title: str | None = None):
    """Each group's NPS with its 95% interval on the -100..100 scale.

    Parameters
    ----------
    data : DataFrame
        :func:`cslib.nps.compare_groups`: ``group``, ``nps``, ``ci_low``,
        ``ci_high``, ``small_sample`` (hollow points). (``table=`` is the
        deprecated name.)
    group : str
        The group column.
    """
    _require(data, [group, "nps", "ci_low", "ci_high"], func="nps_by_group")
    names = [_wrap(v, _chars(24)) for v in data[group]]
    ax = _axes(ax, rows=_lines(names))
    y = np.arange(len(data))[::-1]
    nps = data["nps"].astype(float).to_numpy()
    err = _error_lengths(nps, data["ci_low"], data["ci_high"])
    small = _flag(data, "small_sample", False)
    for mask, face in ((~small, PALETTE[0]), (small, "white")):
        if mask.any():
            ax.errorbar(nps[mask], y[mask], xerr=err[:, mask], fmt="o", color=PALETTE[0],
                        markerfacecolor=face, capsize=4, linewidth=1.5)
    ax.axvline(0, color=_GREY, linewidth=0.8)
    ax.set_xlim(-100, 100)
    _y_categories(ax, y, names)
    ax.set_ylim(-0.7, len(data) - 0.3)
    ax.grid(axis="y", visible=False)
    label = report.column_label(group, locale)
    alt = _alt_range(data[group], nps, lambda v: f"NPS {_nps_text(v, locale)}", locale)
    return _finish(ax, title=title, default=report.t("title.nps_by_group", locale,
                                                     group=label.lower()),
                   xlabel=report.t("axis.nps", locale), ylabel=label, alt=alt)


def _annotated_heatmap(ax, grid: pd.DataFrame, *, annot: float, colorbar: bool) -> None:
    """``grid`` (NPS, rows by columns) as seaborn's annotated heatmap draws it: a cell a
    value on the diverging map (-100 to 100, 0 white), its number in dark or white ink
    by the cell's luminance, every row labelled. Drawn here because seaborn's draws
    the whole figure once to decide whether to rotate tick labels that the kit sets
    itself: 60% of the chart's cost."""
    from matplotlib.colors import Normalize
    from seaborn.utils import relative_luminance

    cmap, norm = mpl.colormaps["RdBu"], Normalize(-100, 100)
    values = np.ma.masked_invalid(grid.to_numpy(dtype=float))
    mesh = ax.pcolormesh(values, cmap=cmap, norm=norm, linewidths=0.5, edgecolor="white")
    ax.set(xlim=(0, grid.shape[1]), ylim=(0, grid.shape[0]))
    ax.invert_yaxis()
    for spine in ax.spines.values():
        spine.set_visible(False)
    if colorbar:
        ax.figure.colorbar(mesh, ax=ax, label="NPS").outline.set_linewidth(0)
    ax.set_yticks(np.arange(grid.shape[0]) + 0.5, labels=[str(i) for i in grid.index],
                  va="center")
    for (i, j), v in np.ndenumerate(values.filled(np.nan)):
        if np.isfinite(v):
            ink = ".15" if relative_luminance(cmap(norm(v))) > 0.408 else "w"
            ax.text(j + 0.5, i + 0.5, f"{v:.0f}", color=ink, ha="center", va="center",
                    fontsize=annot)


@_redrawable
@_renamed_data("cohorts")
def cohort_heatmap(data: pd.DataFrame, *, cohort: str = "cohort", period: str = "period",
                   value: str = "nps", ax=None, locale: str | None = None,
                   title: str | None = None):
    """NPS per cohort (rows) and period (columns), annotated; every row labelled.

    Cells with a small sample (``small_sample`` True) are hatched grey with their
    count of answers instead of a colour: a 2-answer cell reading -100 in the darkest
    red would be read as a finding. Empty cells are blank.

    Parameters
    ----------
    data : DataFrame
        :func:`cslib.nps.cohort_nps`, one row per cohort and period (``n`` and
        ``small_sample`` used when present). (``cohorts=`` is the deprecated name.)
    """
    from matplotlib.patches import Patch, Rectangle

    _require(data, [cohort, period, value], func="cohort_heatmap")
    if data.duplicated([cohort, period]).any():
        raise ParamsError(f"plots.cohort_heatmap: several rows per `{cohort}` and `{period}`; "
                          "pass one group's cohort table.")
    cells = data.assign(**{cohort: data[cohort].astype(str), period: data[period].astype(str),
                           "_small": _flag(data, "small_sample", False)})
    grid = cells.pivot(index=cohort, columns=period, values=value).astype(float)
    small = cells.pivot(index=cohort, columns=period, values="_small")
    small = small.reindex(index=grid.index, columns=grid.columns).fillna(False).astype(bool)
    counts = (cells.pivot(index=cohort, columns=period, values="n")
              .reindex(index=grid.index, columns=grid.columns) if "n" in cells else None)
    ax = _axes(ax, rows=len(grid) * 1.2)
    shown = grid.mask(small.to_numpy())
    # vmin/vmax symmetric about 0, so 0 is the diverging map's white
    # On a phone, no colour bar (every coloured cell carries its number): the cells get
    # its width. Cell numbers as large as the cells allow, never under 10 pt.
    width = _plot_area() - (0 if _narrow() else 1.2)
    cell = width / max(1, grid.shape[1])
    annot = float(np.clip(cell * 72 / (4 * 0.62), 10.0, mpl.rcParams["font.size"]))
    _annotated_heatmap(ax, shown, annot=annot, colorbar=not _narrow())
    n_small = int(small.to_numpy().sum())
    for (i, j) in zip(*np.nonzero(small.to_numpy()), strict=True):
        ax.add_patch(Rectangle((j, i), 1, 1, facecolor="#eaeef2", edgecolor="#8c959f",
                               hatch="///", linewidth=0))
        if counts is not None and pd.notna(counts.iat[i, j]):
            ax.text(j + 0.5, i + 0.5, f"n={int(counts.iat[i, j])}", ha="center",
                    va="center", fontsize=min(annot, _tick_size("x") * 0.76),
                    color="#424a53")
    if n_small:
        ax.legend(handles=[Patch(facecolor="#eaeef2", edgecolor="#8c959f", hatch="///",
                                 label=report.t("plot.hidden_small", locale))],
                  loc="upper left", bbox_to_anchor=(0.0, -0.22), ncol=1, fontsize="small")
    cols = [str(c) for c in grid.columns]
    _x_categories(ax, np.arange(len(cols)) + 0.5, cols, width=width)
    ax.tick_params(axis="y", rotation=0)
    alt = report.t("plot.alt.cells", locale, rows=len(grid), cols=len(grid.columns),
                   small=n_small)
    return _finish(ax, title=title, default=report.t("title.cohort", locale),
                   xlabel=report.t("axis.answered", locale),
                   ylabel=report.t("axis.signup", locale), alt=alt)


# --------------------------------------------------------------------------- revenue
_STEPS = ("new", "expansion", "reactivation", "contraction", "churn")


@_redrawable
@_renamed_data("row")
def revenue_waterfall(data, *, locale: str | None = None, ax=None, title: str | None = None):
    """The revenue bridge as a waterfall: start MRR, gains, losses, end MRR.

    Parameters
    ----------
    data : pandas.Series or dict
        A bridge row (:func:`cslib.revenue.bridge_row` or
        :func:`~cslib.revenue.trailing_bridge`) with ``start_mrr``, ``new``,
        ``expansion``, ``reactivation``, ``contraction``, ``churn``,
        ``end_mrr``. Losses are drawn downwards whatever their sign. (``row=``
        is the deprecated name.)
    locale : str
        For the money tick labels.
    """
    row = data
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
    # (whole units: cslib.formats leaves amounts under 1,000 unrounded without a symbol)
    amounts = [f"{sign}{report.fmt_money_short(round(h), locale, symbol=False)}"
               for h, sign in zip(heights, signs, strict=True)]
    names_shown = [report.column_label(n, locale) for n in names]
    if _narrow():
        # On a phone the seven amounts are wider than the bars: each goes with its name,
        # upright under its bar.
        ax.set_xticklabels([f"{n} {a}" for n, a in zip(names_shown, amounts, strict=True)],
                           fontsize="small", rotation=90, ha="right", va="center",
                           rotation_mode="anchor")
    else:
        # Names under the bars (slanted: "Reactivation" and "Contraction" are long),
        # amounts on top of them.
        ax.set_xticklabels(names_shown, fontsize="small", rotation=20, ha="right",
                           rotation_mode="anchor")
        for xi, b, h, amount in zip(x, bottoms, heights, amounts, strict=True):
            ax.annotate(amount, (xi, b + h), xytext=(0, 2), textcoords="offset points",
                        ha="center", va="bottom", fontsize="small")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: report.fmt_money_short(v, locale)))
    ax.grid(axis="x", visible=False)
    period = row["period"] if "period" in row else ""
    alt = report.t("plot.alt.bridge", locale,
                   start=f"{report.column_label('start_mrr', locale)} "
                         f"{report.fmt_money_short(row['start_mrr'], locale)}",
                   end=f"{report.column_label('end_mrr', locale)} "
                       f"{report.fmt_money_short(row['end_mrr'], locale)}")
    return _finish(ax, title=title,
                   default=report.t("title.waterfall", locale,
                                    period=report.period_words(period, locale)),
                   xlabel=report.t("axis.movement", locale),
                   ylabel=report.column_label("mrr", locale), alt=alt)


@_redrawable
@_renamed_data("bridge")
def rate_trend(data: pd.DataFrame, *, rates: Sequence[str] = ("grr", "nrr"),
               period: str = "period", ax=None, locale: str | None = None,
               title: str | None = None):
    """Retention rates (fractions) per period, one line each, on a percent axis.

    Parameters
    ----------
    data : DataFrame
        :func:`cslib.revenue.revenue_bridge` rows (``period`` and the rates).
        (``bridge=`` is the deprecated name.)
    rates : sequence of str
        Rate columns; a 100% line is drawn for GRR/NRR.
    """
    rates = [rates] if isinstance(rates, str) else list(rates)
    _require(data, [period, *rates], func="rate_trend")
    ax = _axes(ax)
    x = np.arange(len(data))
    for i, rate in enumerate(rates):
        ax.plot(x, data[rate].astype(float), marker="o", color=PALETTE[i % len(PALETTE)],
                label=report.column_label(rate, locale))
    if {"grr", "nrr"} & set(rates):
        ax.axhline(1.0, color=_GREY, linewidth=0.8, linestyle="--")
    legend = 0.0 if _narrow() else 0.75 + max(  # the legend beside the axes takes this
        [_text_width(report.column_label(r, locale), _tick_size("x")) for r in rates] + [0])
    _x_categories(ax, x, _labels(data[period], locale), width=_plot_area() - legend)
    _percent_axis(ax.yaxis, locale)
    # beside the axes (below them on a phone): a legend inside would sit on the lines of
    # some month
    _outside_legend(ax, ncol=len(rates))
    names = " / ".join(report.column_label(r, locale) for r in rates)
    label = report.column_label(period, locale)
    alt = None
    if len(data):
        last = data.iloc[-1]
        alt = report.t("plot.alt.latest", locale, when=_labels([last[period]], locale)[0], value=", ".join(
            f"{report.column_label(r, locale)} {report.fmt_pct(last[r], locale)}"
            for r in rates))
    return _finish(ax, title=title, default=report.t("title.rates", locale, rates=names,
                                                     period=label.lower()),
                   xlabel=label, ylabel=report.column_label("rate", locale), alt=alt)


# --------------------------------------------------------------------------- retention
@_redrawable
@_renamed_data("table")
def survival_plot(data: pd.DataFrame, *, group: str = "group", time: str = "time", ax=None,
                  locale: str | None = None, title: str | None = None,
                  curve: str = "paying"):
    """Kaplan-Meier step curves per group with their pointwise 95% bands.

    Parameters
    ----------
    data : DataFrame
        :attr:`cslib.retention.SurvivalCurves.table`: ``group``, ``time``,
        ``survival``, ``ci_low``, ``ci_high``. (``table=`` is the deprecated name.)
    curve : {"paying", "value"}
        What the curves count, for the title and axes: accounts still paying
        by months since their first payment, or accounts not yet at value by
        days since sign-up (:func:`cslib.onboarding.time_to_value`).
    """
    if curve not in ("paying", "value"):
        raise ValueError(f"survival_plot: curve={curve!r}; use 'paying' (months since the "
                         "first payment) or 'value' (days since sign-up to value).")
    _require(data, [group, time, "survival", "ci_low", "ci_high"], func="survival_plot")
    ax = _axes(ax)
    ends = {}
    for i, (name, part) in enumerate(data.groupby(group, sort=False)):
        color = PALETTE[i % len(PALETTE)]
        part = part.sort_values(time)
        ax.step(part[time], part["survival"].astype(float), where="post", color=color,
                label=_wrap(name, _chars(30)))
        ax.fill_between(part[time], part["ci_low"].astype(float),
                        part["ci_high"].astype(float), step="post", color=color, alpha=0.15,
                        linewidth=0)
        ends[str(name)] = (part[time].iloc[-1], float(part["survival"].iloc[-1]))
    ax.set_ylim(0, 1.02)
    _percent_axis(ax.yaxis, locale)
    if ends:
        ax.legend(title=None, loc="lower left")
    alt = "; ".join(f"{name}: {report.fmt_pct(s, locale)} ({report.fmt_number(t, locale)})"
                    for name, (t, s) in ends.items()) or None
    keys = {"paying": ("title.survival", "axis.months", "axis.survival"),
            "value": ("title.ttv_curve", "axis.days_signup", "axis.not_at_value")}[curve]
    return _finish(ax, title=title, default=report.t(keys[0], locale),
                   xlabel=report.t(keys[1], locale), ylabel=report.t(keys[2], locale), alt=alt)


def _error_lengths(estimate, low, high) -> np.ndarray:
    """``errorbar``'s (2, n) lengths: never negative (a bound a rounding error on the
    wrong side of its estimate draws no bar), 0 where a bound is missing."""
    est = np.asarray(estimate, dtype=float)
    err = np.vstack([est - np.asarray(low, dtype=float), np.asarray(high, dtype=float) - est])
    return np.where(np.isfinite(err), np.maximum(err, 0.0), 0.0)


@_redrawable
@_renamed_data("summary")
def forest_plot(data: pd.DataFrame, *, estimate: str = "odds_ratio", ax=None,
                locale: str | None = None, title: str | None = None,
                min_features: int | None = None, terms: Mapping | None = None):
    """Ratios with 95% intervals on a log axis (ticks both sides of 1, a line at 1).

    Parameters
    ----------
    data : DataFrame
        A model ``summary`` indexed by term with ``estimate``, ``ci_low`` and
        ``ci_high`` (a ``term`` column works too). The intercept is left out.
        (``summary=`` is the deprecated name.)
    estimate : str
        ``"odds_ratio"`` or ``"hazard_ratio"``.
    min_features : int, optional
        Names ``key_adopter`` "Uses 2+ key features" (see :func:`readable_term`).
    terms : mapping, optional
        Term -> label, replacing :func:`readable_term`'s names.
    """
    data = data.set_index("term") if "term" in data.columns else data
    _require(data, [estimate, "ci_low", "ci_high"], func="forest_plot")
    data = data.loc[[str(i).lower() != "intercept" for i in data.index]]
    terms = dict(terms or {})
    names = [_wrap(terms.get(i) or readable_term(i, locale, min_features=min_features), _chars(26))
             for i in data.index]
    ax = _axes(ax, rows=_lines(names))
    y = np.arange(len(data))[::-1]
    est = data[estimate].astype(float).to_numpy()
    low = data["ci_low"].astype(float).to_numpy()
    high = data["ci_high"].astype(float).to_numpy()
    ok = np.isfinite(est) & (est > 0)
    err = _error_lengths(est, low, high)
    ax.errorbar(est[ok], y[ok], xerr=err[:, ok], fmt="o", color=PALETTE[0], capsize=4)
    ax.axvline(1.0, color=_GREY, linewidth=0.8, linestyle="--")
    ax.set_xscale("log")
    _ratio_axis(ax.xaxis, locale, np.concatenate([est[ok], low[ok], high[ok]]))
    _y_categories(ax, y, names)
    ax.set_ylim(-0.7, len(data) - 0.3)
    ax.grid(axis="y", visible=False)
    label = report.column_label(estimate, locale)
    alt = "; ".join(
        f"{name.replace(chr(10), ' ')} {report.fmt_number(e, locale, 2)} ("
        + report.t("ci", locale, level="95%", low=report.fmt_number(lo, locale, 2),
                   high=report.fmt_number(hi, locale, 2)) + ")"
        for name, e, lo, hi in zip(names, est, low, high, strict=True) if np.isfinite(e))
    return _finish(ax, title=title, default=report.t("title.forest", locale, estimate=label),
                   xlabel=label, ylabel=report.column_label("term", locale), alt=alt or None)


# --------------------------------------------------------------------------- rates
@_redrawable
@_renamed_data("table")
def bar_rates(data: pd.DataFrame, *, x: str, y: str = "rate", ax=None,
              locale: str | None = None, title: str | None = None):
    """One bar per ``x`` with its 95% interval (``ci_low``/``ci_high``) when present.

    A few short names stand under upright bars; many or long names are written
    beside horizontal bars, so no name is cut or runs into the next. Rows whose
    ``complete`` is False (a survey wave still collecting answers) are hatched,
    with a legend entry.

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
    names = _labels(data[x])
    rate = data[y].astype(float).to_numpy()
    size = _tick_size("x")
    upright = len(names) <= 8 and (not names or (max(
        _text_width(_wrap(t, 14, max_lines=2), size) for t in names) + 0.15
        <= _plot_area() / len(names) and all(
            "\u2026" not in _wrap(t, 14, max_lines=2) for t in names)))
    wrapped = [_wrap(t, 14 if upright else _chars(28), max_lines=2 if upright else 3) for t in names]
    ax = _axes(ax, rows=None if upright else _lines(wrapped))
    complete = _flag(data, "complete", True)
    pos = np.arange(len(data)) if upright else np.arange(len(data))[::-1]
    draw = ax.bar if upright else ax.barh
    face = [PALETTE[0] if c else "white" for c in complete]
    bars = draw(pos, rate, 0.7, color=face, edgecolor=PALETTE[0], linewidth=1.2)
    for bar, done in zip(bars, complete, strict=True):
        if not done:
            bar.set_hatch("//")
    if {"ci_low", "ci_high"} <= set(data.columns):
        err = _error_lengths(rate, data["ci_low"], data["ci_high"])
        kw = {"yerr": err} if upright else {"xerr": err}
        (ax.errorbar(pos, rate, fmt="none", ecolor="#24292f", capsize=4, linewidth=1.2, **kw)
         if upright else ax.errorbar(rate, pos, fmt="none", ecolor="#24292f", capsize=4,
                                     linewidth=1.2, **kw))
    if not complete.all():
        from matplotlib.patches import Patch

        hatched = [Patch(facecolor="white", edgecolor=PALETTE[0], hatch="//",
                         label=report.t("plot.collecting", locale))]
        if _narrow() and not upright:  # under the figure: inside, it would sit on a bar
            ax.figure.legend(handles=hatched, loc="outside lower center")
        else:
            ax.legend(handles=hatched, loc="upper right")
    top = 1.0 if np.nanmax(np.append(rate, 0)) > 0.5 else None
    value_axis = ax.yaxis if upright else ax.xaxis
    if upright:
        if top is not None and not complete.all():
            top = 1.15  # room for the legend above the bars
        ax.set_xticks(pos)
        ax.set_xticklabels(wrapped)
        ax.set_ylim(0, top)
        ax.grid(axis="x", visible=False)
    else:
        _y_categories(ax, pos, wrapped)
        ax.set_xlim(0, top)
        ax.set_ylim(-0.7, len(data) - 0.3)
        ax.grid(axis="y", visible=False)
    _percent_axis(value_axis, locale)
    x_label, y_label = report.column_label(x, locale), report.column_label(y, locale)
    alt = _alt_range(names, rate, lambda v: report.fmt_pct(v, locale), locale)
    return _finish(ax, title=title, default=report.t("title.bar_rates", locale, y=y_label,
                                                     x=x_label.lower()),
                   xlabel=x_label if upright else y_label,
                   ylabel=y_label if upright else x_label, alt=alt)


@_redrawable
@_renamed_data("weekly")
def loop_vs_nps(data: pd.DataFrame, *, x: str = "period_end", ax=None,
                locale: str | None = None, title: str | None = None):
    """Weekly NPS (left axis, with its band) and the share of loops closed in SLA (right).

    A week still under way (``complete`` False) is drawn as hollow points joined by a
    dotted line, with a legend entry: its numbers will still change.

    Parameters
    ----------
    data : DataFrame
        :attr:`cslib.nps.LoopClosure.weekly`: ``period_end``, ``nps``,
        ``ci_low``, ``ci_high``, ``share_in_sla``, ``complete``. (``weekly=`` is
        the deprecated name.)

    Returns
    -------
    matplotlib.axes.Axes
        The NPS axes; the share axes is its twin (``ax.figure.axes[1]``).
    """
    _require(data, [x, "nps", "share_in_sla"], func="loop_vs_nps")
    ax = _axes(ax)
    data = data.sort_values(x)
    done = _flag(data, "complete", True)
    full = data.loc[done]
    if {"ci_low", "ci_high"} <= set(data.columns):
        _band(ax, full[x], full["ci_low"], full["ci_high"], color=PALETTE[0], locale=locale)
    ax.plot(full[x], full["nps"].astype(float), color=PALETTE[0], marker="o",
            label=report.t("axis.nps", locale))
    ax.set_ylabel(report.t("axis.nps", locale), color=PALETTE[0])
    right = ax.twinx()
    right.plot(full[x], full["share_in_sla"].astype(float), color=PALETTE[1], marker="s",
               linestyle="--", label=report.t("axis.loops", locale))
    if not done.all():
        # the partial weeks, joined to the last complete one by a dotted line
        tail = data.iloc[max(0, int(np.argmin(done)) - 1):] if done.any() else data
        for axis, column, marker, color in ((ax, "nps", "o", PALETTE[0]),
                                            (right, "share_in_sla", "s", PALETTE[1])):
            axis.plot(tail[x], tail[column].astype(float), color=color, linestyle=":",
                      linewidth=1.2)
            axis.scatter(data.loc[~done, x], data.loc[~done, column].astype(float),
                         marker=marker, facecolor="white", edgecolor=color, zorder=4,
                         linewidth=1.5)
        from matplotlib.lines import Line2D

        partial = Line2D([], [], marker="o", linestyle=":", color=_GREY,
                         markerfacecolor="white", label=report.t("plot.partial", locale))
    right.set_ylim(0, 1.05)
    _percent_axis(right.yaxis, locale)
    right.set_ylabel(report.t("axis.loops", locale), color=PALETTE[1])
    right.grid(False)
    _date_axis(ax.xaxis, locale, width=_plot_area() - 0.9)  # the right-hand axis
    handles = ax.get_legend_handles_labels()
    more = right.get_legend_handles_labels()
    extra = ([partial], [partial.get_label()]) if not done.all() else ([], [])
    labels = handles[1] + more[1] + extra[1]
    ax.legend(handles[0] + more[0] + extra[0], labels, loc="upper center",
              bbox_to_anchor=(0.5, -0.18),
              ncol=min(2 if _narrow() else 4, len(labels)) if labels else 1)
    alt = None
    if len(full):
        last = full.iloc[-1]
        alt = report.t("plot.alt.latest", locale, when=_when(last[x], locale),
                       value=f"NPS {report.fmt_number(last['nps'], locale)}, "
                             f"{report.t('axis.loops', locale).lower()} "
                             f"{report.fmt_pct(last['share_in_sla'], locale)}")
    return _finish(ax, title=title, default=report.t("title.loops", locale),
                   xlabel=report.t("axis.week_end", locale), alt=alt)


# --------------------------------------------------------------------------- survey
@_redrawable
@_renamed_data("mix")
def stratum_mix(data: pd.DataFrame, *, wave: str = "wave", strata: str = "user_type",
                value: str = "share", ax=None, locale: str | None = None,
                title: str | None = None):
    """Each survey wave's mix of strata (user types) as 100% stacked bars.

    Waves built as designed show bars of the same proportions; a wave whose
    stripes differ from the others was not stratified like the base.

    Parameters
    ----------
    data : DataFrame
        :attr:`cslib.survey.SurveyHealth.mix`: one row per wave and stratum
        with the stratum's ``share`` of the wave's invitations. (``mix=`` is the
        deprecated name.)
    wave, strata, value : str
        Column names.
    """
    _require(data, [wave, strata, value], func="stratum_mix")
    ax = _axes(ax)
    grid = (data.pivot_table(index=wave, columns=strata, values=value, aggfunc="sum",
                             observed=True)
            .fillna(0.0).sort_index())
    pos = np.arange(len(grid))
    bottom = np.zeros(len(grid))
    for i, name in enumerate(grid.columns):
        share = grid[name].to_numpy(dtype=float)
        ax.bar(pos, share, bottom=bottom, width=0.8, color=PALETTE[i % len(PALETTE)],
               label=_wrap(name, 18, max_lines=2), edgecolor="white", linewidth=0.5)
        bottom += share
    _x_categories(ax, pos, _labels(grid.index, locale),
                  width=_plot_area() - (0 if _narrow() else 1.6))  # the legend beside
    ax.set_ylim(0, 1.0)
    _percent_axis(ax.yaxis, locale)
    ax.grid(axis="x", visible=False)
    if len(grid.columns):
        _outside_legend(ax, ncol=2, title=report.column_label(strata, locale))
    alt = report.t("plot.alt.waves", locale, n=len(grid))
    if len(grid.columns):
        overall = data.groupby(strata, observed=True)[value].mean()
        alt += "; " + ", ".join(f"{k} {report.fmt_pct(v, locale, 0)}"
                                for k, v in overall.items())
    return _finish(ax, title=title, default=report.t("title.mix", locale),
                   xlabel=report.column_label(wave, locale),
                   ylabel=report.t("axis.share_of_wave", locale), alt=alt)


@_redrawable
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
