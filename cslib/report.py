"""What leadership reads: formatted numbers, plain sentences, tables and caveats.

Notebooks compute with the metric modules and hand the results to this
module, which turns them into text and HTML in English or Brazilian
Portuguese:

- formatting (:func:`fmt_number`, :func:`fmt_pct`, :func:`fmt_money`,
  :func:`fmt_nps`, :func:`fmt_ci`, :func:`fmt_p`), with babel;
- sentences that state a number with its uncertainty
  (:func:`nps_summary_sentence`, :func:`bridge_summary`...), as Markdown;
- headline lists for the batch's overview page (:func:`bridge_headlines`,
  :func:`review_headlines`, :func:`adoption_headlines`), so notebooks record
  results without computing on them;
- display helpers for notebooks (:func:`show_markdown`, :func:`show_table`,
  :func:`show_verbatims`, :func:`callout`, :func:`capture_warnings`), each
  built on a pure ``*_html`` function that tests can call.

Everything that comes from the data (segment names, comments, column
values) goes through :func:`_escape` before it reaches HTML or Markdown, so a
comment reading ``<script>`` shows as text.

The locale last passed to :func:`check_locale` (which
:func:`cslib.context.open_report` calls first) is the default of every
function called without one.
"""

from __future__ import annotations

import html
import math
import re
import warnings
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from .exceptions import ParamsError
from .i18n import LOCALES
from .i18n import TEXT as _TEXT
from .i18n import text as _text

__all__ = [
    "LOCALES", "check_locale", "t",
    "fmt_number", "fmt_pct", "fmt_money", "fmt_money_short", "fmt_nps", "fmt_ci", "fmt_p",
    "window_words", "period_words", "nps_summary_sentence", "holm_note", "bridge_summary", "odds_ratio_sentence",
    "adoption_summary", "logrank_sentence", "correlation_sentence", "survey_sentence",
    "review_summary_sentence", "bridge_headlines", "ratio_standard_errors", "adoption_headlines", "review_headlines",
    "attempt", "try_fit", "show_not_estimated", "column_label", "FIRST_COLUMN", "GROUP_NPS_COLUMNS", "SLA_COLUMNS", "BRIDGE_COLUMNS", "BRIDGE_COLUMNS_BY",
    "VIEW_COLUMNS", "FCR_COLUMNS", "ADOPTION_HEADLINE", "DECOMPOSITION_COLUMNS", "MOVER_COLUMNS",
    "table_html", "table_csv", "show_table", "show_markdown", "section", "section_markdown",
    "callout_html", "callout",
    "verbatims_html", "show_verbatims", "capture_warnings", "WarningNotes",
]

_BABEL = {"en": "en_US", "pt-BR": "pt_BR"}
_CURRENCY = {"en": "USD", "pt-BR": "BRL"}
_state = {"locale": "en"}

def check_locale(locale: str) -> str:
    """Check a report locale and make it the default for calls without one.

    Parameters
    ----------
    locale : str
        One of :data:`LOCALES`.

    Returns
    -------
    str
        ``locale``.

    Raises
    ------
    ParamsError
        The locale is not one of :data:`LOCALES`.

    Examples
    --------
    >>> check_locale("pt-BR")
    'pt-BR'
    """
    from .params import normalize_locale

    known = normalize_locale(locale)
    if known is None:
        valid = ", ".join(repr(v) for v in LOCALES)
        raise ParamsError(f"locale={locale!r} is not supported; use one of {valid}.")
    _state["locale"] = known
    return known


def _loc(locale: str | None) -> str:
    if locale is None:
        return _state["locale"]
    if locale not in LOCALES:
        from .params import normalize_locale

        known = normalize_locale(locale)
        if known is None:
            check_locale(locale)  # raises
        return known
    return locale


def t(key: str, locale: str | None = None, **fields) -> str:
    """The report's fixed text ``key`` in ``locale``, with ``fields`` filled in.

    Fields are inserted as given: escape data-derived ones first.

    Raises
    ------
    KeyError
        ``key`` is not in the catalogue.

    Examples
    --------
    >>> t("previous_window", "en", days=90)
    'the previous 90 days'
    >>> t("previous_window", "pt-BR", days=90)
    'nos 90 dias anteriores'
    """
    return _text(key, _loc(locale), **fields)


# --------------------------------------------------------------------------- escaping
_MD_SPECIAL = re.compile(r"([\\`*_\[\]$|~#])")


def _escape(value, *, markdown: bool = False) -> str:
    """``value`` as text safe inside HTML (and, with ``markdown``, inside Markdown).

    Markdown specials are backslash-escaped first (``$`` too: notebooks read
    ``$...$`` as maths), then ``&``, ``<``, ``>`` and quotes become entities.
    """
    text = "" if value is None else str(value)
    if markdown:
        text = _MD_SPECIAL.sub(r"\\\1", " ".join(text.splitlines()))
    return isolate_bidi(html.escape(text, quote=True))


#: Bidirectional controls (U+202E RIGHT-TO-LEFT OVERRIDE...) and right-to-left letters: text
#: holding them is isolated, so it cannot reorder the text that follows it on the page.
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
                   "\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")


def isolate_bidi(escaped: str) -> str:
    """Already-escaped HTML text in ``<bdi>`` when it holds bidirectional controls or
    right-to-left letters (else unchanged), so a value cannot reorder what follows it.

    Examples
    --------
    >>> isolate_bidi("Acme"), isolate_bidi("evil\\u202etxt.exe")
    ('Acme', '<bdi>evil\\u202etxt.exe</bdi>')
    """
    return f"<bdi>{escaped}</bdi>" if _BIDI.search(escaped) else escaped


# --------------------------------------------------------------------------- numbers
def _missing(x) -> bool:
    try:
        return x is None or bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def _decimal(x: float, locale: str, digits: int, suffix: str = "") -> str:
    from . import formats

    if suffix == "%":
        return formats.format_percent(x, locale, digits)
    return formats.format_number(x, locale, digits)


def _special(x, locale: str) -> str | None:
    if _missing(x):
        return t("n/a", locale)
    if isinstance(x, (bool, np.bool_)):
        return t("yes" if x else "no", locale)
    if math.isinf(float(x)):
        return "∞" if x > 0 else "-∞"
    return None


def fmt_number(x, locale: str | None = None, digits: int = 0) -> str:
    """A number with the locale's separators (``"1,234.5"`` / ``"1.234,5"``).

    Examples
    --------
    >>> fmt_number(1234.5, "en", 1), fmt_number(1234.5, "pt-BR", 1)
    ('1,234.5', '1.234,5')
    """
    locale = _loc(locale)
    return _special(x, locale) or _decimal(x, locale, digits)


def fmt_pct(x, locale: str | None = None, digits: int = 1) -> str:
    """A fraction as a percentage (``0.123`` -> ``"12.3%"`` / ``"12,3%"``).

    Examples
    --------
    >>> fmt_pct(0.123, "en"), fmt_pct(0.123, "pt-BR")
    ('12.3%', '12,3%')
    """
    locale = _loc(locale)
    return _special(x, locale) or _decimal(x, locale, digits, "%")


def fmt_money(x, locale: str | None = None, digits: int = 2) -> str:
    """An amount in the locale's currency: US$ for "en", R$ for "pt-BR".

    The space after ``R$`` is a no-break space (U+00A0), so the symbol never
    wraps onto a line of its own (:func:`cslib.formats.format_money`).

    Examples
    --------
    >>> fmt_money(1234.56, "en"), fmt_money(1234.56, "pt-BR").replace("\xa0", "~")
    ('$1,234.56', 'R$~1.234,56')
    """
    from . import formats

    locale = _loc(locale)
    return _special(x, locale) or formats.format_money(x, locale, digits)


def fmt_money_short(x, locale: str | None = None, *, symbol: bool = True) -> str:
    """A compact amount for chart labels (``"$821.2K"`` / ``"R$ 821,2 mil"``).

    ``symbol=False`` leaves the currency out (``"821,2 mil"``). Chart labels
    use plain spaces.

    Examples
    --------
    >>> fmt_money_short(821217, "en"), fmt_money_short(3636.48, "pt-BR")
    ('$821.2K', 'R$ 3,6 mil')
    >>> fmt_money_short(3636.48, "pt-BR", symbol=False)
    '3,6 mil'
    """
    from . import formats

    locale = _loc(locale)
    special = _special(x, locale)
    if special:
        return special
    return formats.format_money_short(x, locale, symbol=symbol).replace(formats.NBSP, " ")


def fmt_nps(x, locale: str | None = None) -> str:
    """An NPS (-100..100) as an integer, with a minus sign when negative.

    Examples
    --------
    >>> fmt_nps(41.6), fmt_nps(-7.2)
    ('42', '-7')
    """
    return fmt_number(x, locale, 0)


def fmt_ratio(x, locale: str | None = None, digits: int = 2) -> str:
    """A ratio (odds ratio, LTV/CAC) with ``digits`` decimals."""
    return fmt_number(x, locale, digits)


def fmt_p(p, locale: str | None = None) -> str:
    """A p-value with 3 decimals, ``"<0.001"`` below that.

    Examples
    --------
    >>> fmt_p(0.0213, "en"), fmt_p(0.00001, "pt-BR")
    ('0.021', '<0,001')
    """
    locale = _loc(locale)
    if not _missing(p) and float(p) < 0.001:
        return "<" + _decimal(0.001, locale, 3)
    return fmt_number(p, locale, 3)


def _p_text(p, locale: str) -> str:
    text = fmt_p(p, locale)
    return f"p {text[0]} {text[1:]}" if text.startswith("<") else f"p = {text}"


_KINDS: dict[str, Callable] = {
    "number": fmt_number, "pct": fmt_pct, "money": fmt_money,
    "nps": lambda x, locale, digits=None: fmt_nps(x, locale),
    "ratio": fmt_ratio, "p": lambda x, locale, digits=None: fmt_p(x, locale),
}


def _fmt(x, kind: str, locale: str, digits: int | None = None) -> str:
    try:
        func = _KINDS[kind]
    except KeyError:
        raise ParamsError(f"unknown number format {kind!r}; use one of {sorted(_KINDS)}.") \
            from None
    return func(x, locale) if digits is None else func(x, locale, digits)


def fmt_ci(low, high, locale: str | None = None, kind: str = "number", *,
           digits: int | None = None, level: float = 0.95) -> str:
    """A confidence interval: ``"95% CI 35 to 49"`` / ``"IC 95% 35 a 49"``.

    Parameters
    ----------
    low, high : float
        The bounds.
    locale : str
    kind : {"number", "pct", "nps", "money", "ratio"}
        How to format the bounds.
    digits : int, optional
        Decimals (default: the kind's default).
    level : float
        Confidence level, for the label.

    Examples
    --------
    >>> fmt_ci(35.2, 48.9, "en", kind="nps")
    '95% CI 35 to 49'
    >>> fmt_ci(0.1, 0.2, "pt-BR", kind="pct")
    'IC 95% 10,0% a 20,0%'
    """
    locale = _loc(locale)
    label = _decimal(level, locale, 0, "%")
    if _missing(low) and _missing(high):
        return t("ci_na", locale, level=label, na=t("n/a", locale))
    return t("ci", locale, level=label, low=_fmt(low, kind, locale, digits),
             high=_fmt(high, kind, locale, digits))


def _range(low, high, locale: str, kind: str) -> str:
    if _missing(low) and _missing(high):
        return t("n/a", locale)
    return t("range", locale, low=_fmt(low, kind, locale), high=_fmt(high, kind, locale))


def _window_fields(window, locale: str) -> dict[str, str]:
    from babel.dates import format_date

    start, end = (pd.Timestamp(x) for x in window)
    days = round((end - start) / pd.Timedelta(days=1))
    last = (end - pd.Timedelta(1, "ns")).normalize()  # the window is [start, end)
    pattern = "d 'de' MMM 'de' y" if locale == "pt-BR" else "d MMM y"
    return {"days": fmt_number(days, locale),
            "end": format_date(last.date(), pattern, locale=_BABEL[locale])}


def window_words(window: tuple, locale: str | None = None) -> str:
    """A window ``[start, end)`` in words, naming its last day.

    Parameters
    ----------
    window : (start, end)
        As :func:`cslib.periods.trailing_window` gives (``end`` excluded).
    locale : str

    Examples
    --------
    >>> window = (pd.Timestamp("2026-08-03"), pd.Timestamp("2026-11-01"))
    >>> window_words(window, "en"), window_words(window, "pt-BR")
    ('the 90 days to 31 Oct 2026', 'os 90 dias até 31 de out. de 2026')
    """
    locale = _loc(locale)
    return t("window_to", locale, **_window_fields(window, locale))


# --------------------------------------------------------------------------- sentences
def _get(row, key, default=np.nan):
    if row is None:
        return default
    try:
        value = row[key]
    except (KeyError, IndexError, TypeError):
        return default
    return default if value is None else value


def _md_money(x, locale: str, digits: int = 0) -> str:
    return _escape(fmt_money(x, locale, digits), markdown=True)


def nps_summary_sentence(current: Mapping, previous: Mapping | None, comparison: Mapping | None,
                         *, locale: str | None = None, period: str = "") -> str:
    """The headline NPS with its interval and the change from the previous window.

    Parameters
    ----------
    current, previous : dict-like
        :func:`cslib.nps.nps_table` rows (``n``, ``nps``, ``ci_low``,
        ``ci_high``, ``small_sample``); ``previous`` may be None. When
        ``current`` has ``start`` and ``end`` (as
        :attr:`cslib.nps.WindowComparison.current` does), the sentence names
        the window ("in the 90 days to 31 Oct 2026").
    comparison : dict-like
        ``difference``, ``ci_low``, ``ci_high``, ``p_value``, ``significant``.
    locale : str
    period : str
        The previous window in words (``t("previous_window", locale, days=90)``).

    Returns
    -------
    str
        Markdown.

    Examples
    --------
    >>> nps_summary_sentence(
    ...     {"n": 312, "nps": 42.3, "ci_low": 35.1, "ci_high": 49.4, "small_sample": False},
    ...     {"n": 290, "nps": 34.0, "ci_low": 26.0, "ci_high": 42.0, "small_sample": False},
    ...     {"difference": 8.3, "ci_low": 2.0, "ci_high": 14.6, "p_value": 0.01,
    ...      "significant": True}, locale="en", period="the previous 90 days")
    'NPS **42** (95% CI 35 to 49, 312 answers), 8 points above the previous 90 days (95% CI 2 to 15); significant at 5%.'
    >>> nps_summary_sentence({"n": 312, "nps": 42.3, "ci_low": 35.1, "ci_high": 49.4,
    ...                       "start": pd.Timestamp("2026-08-03"),
    ...                       "end": pd.Timestamp("2026-11-01")}, None, None, locale="en",
    ...                      period="the previous 90 days")
    'NPS **42** (95% CI 35 to 49, 312 answers) in the 90 days to 31 Oct 2026; no answers in the previous 90 days to compare with.'
    """
    locale = _loc(locale)
    n = _get(current, "n", 0)
    if _missing(n) or n == 0 or _missing(_get(current, "nps")):
        return t("nps_none", locale)
    ci = fmt_ci(_get(current, "ci_low"), _get(current, "ci_high"), locale, kind="nps")
    text = t("nps_head", locale, nps=f"**{fmt_nps(current['nps'], locale)}**", ci=ci,
             n=fmt_number(n, locale))
    start, end = _get(current, "start"), _get(current, "end")
    if not _missing(start) and not _missing(end):
        text += t("nps_window", locale, **_window_fields((start, end), locale))
    period = _escape(period, markdown=True)
    small = t("nps_small", locale) if (bool(_get(current, "small_sample", False))
                                       or bool(_get(previous, "small_sample", False))) else ""
    prev_n = _get(previous, "n", 0)
    diff = _get(comparison, "difference")
    if _missing(prev_n) or prev_n == 0 or _missing(diff):
        return text + t("nps_no_previous", locale, period=period) + small
    sig = t("significant" if bool(_get(comparison, "significant", False))
            else "not significant", locale)
    if not bool(_get(comparison, "significant", False)) and not _missing(
            _get(comparison, "p_value")):
        sig += f" ({_p_text(comparison['p_value'], locale)})"
    d_ci = fmt_ci(_get(comparison, "ci_low"), _get(comparison, "ci_high"), locale, kind="nps")
    rounded = round(float(diff))
    key = "nps_same" if rounded == 0 else "nps_above" if rounded > 0 else "nps_below"
    text += t(key, locale, d=_points(fmt_nps(abs(diff), locale), locale), period=period,
              ci=d_ci, sig=sig)
    return text + small


def _points(number_text: str, locale: str) -> str:
    """``"1 point"``, ``"8 points"``, ``"1,5 pontos"``: the unit agrees with the number."""
    return t("points.one" if number_text in ("1", "1.0", "1,0") else "points.many", locale,
             d=number_text)


def _month_words(period: str, locale: str) -> str:
    from .periods import month_label

    try:
        return month_label(str(period), locale)
    except (ValueError, TypeError, ParamsError):
        return str(period)


def period_words(period, locale: str | None = None) -> str:
    """A bridge period in words: ``"2026-10"`` -> ``"October 2026"``, and
    ``"2025-11 to 2026-10"`` -> ``"November 2025 to October 2026"``.

    Examples
    --------
    >>> period_words("2025-11 to 2026-10", "pt-BR")
    'novembro de 2025 a outubro de 2026'
    """
    locale = _loc(locale)
    parts = str(period).split(" to ")
    words = [_month_words(part, locale) for part in parts]
    if len(words) == 2:
        return t("range", locale, low=words[0], high=words[1])
    return words[0] if len(words) == 1 else str(period)


def bridge_summary(month_row, previous_row, trailing, *, locale: str | None = None) -> str:
    """The month's NRR, GRR, net revenue churn and logo churn, with MRR and trend.

    Parameters
    ----------
    month_row, previous_row : pandas.Series or dict
        :func:`cslib.revenue.bridge_row` of the month and of the month before
        (either may be None). Logo churn is given with its 95% interval
        (``logo_churn_ci_low``/``logo_churn_ci_high`` when the row has them,
        else :func:`cslib.revenue.logo_churn_interval`); NRR,
        GRR and net revenue churn are census figures of every account and the
        sentence says so instead of giving them an interval.
    trailing : pandas.Series or dict or None
        :func:`cslib.revenue.trailing_bridge` (``period`` like
        ``"2025-11 to 2026-10"``).

    Returns
    -------
    str
        Markdown.

    Examples
    --------
    >>> row = {"period": "2026-10", "start_mrr": 700000.0, "new": 10000.0,
    ...        "expansion": 40000.0, "contraction": -5000.0, "churn": -80000.0,
    ...        "reactivation": 0.0, "end_mrr": 665000.0, "grr": 0.8786, "nrr": 0.9357,
    ...        "net_revenue_churn": 0.0643, "logo_churn": 0.02, "accounts_start": 150,
    ...        "accounts_churned": 3}
    >>> bridge_summary(row, None, None, locale="en")[:60]
    'In October 2026, NRR was **93.6%** and GRR 87.9%; net revenu'
    """
    locale = _loc(locale)
    if month_row is None:
        return t("bridge_none", locale)
    period = _escape(_month_words(_get(month_row, "period", ""), locale), markdown=True)
    lost, accounts = _get(month_row, "accounts_churned"), _get(month_row, "accounts_start")
    low, high = _get(month_row, "logo_churn_ci_low"), _get(month_row, "logo_churn_ci_high")
    if _missing(low) and _missing(high):
        from .revenue import logo_churn_interval

        low, high = logo_churn_interval(lost, accounts)
    text = t("bridge_month", locale, period=period, nrr=fmt_pct(_get(month_row, "nrr"), locale),
             grr=fmt_pct(_get(month_row, "grr"), locale),
             nrc=fmt_pct(_get(month_row, "net_revenue_churn"), locale),
             logo=fmt_pct(_get(month_row, "logo_churn"), locale),
             lost=fmt_number(lost, locale), accounts=fmt_number(accounts, locale),
             logo_ci=fmt_ci(low, high, locale, kind="pct"))
    text += t("bridge_census", locale)
    text += t("bridge_mrr", locale, start=_md_money(_get(month_row, "start_mrr"), locale),
              end=_md_money(_get(month_row, "end_mrr"), locale),
              new=_md_money(_get(month_row, "new"), locale),
              react=_md_money(_get(month_row, "reactivation"), locale))
    now, before = _get(month_row, "nrr"), _get(previous_row, "nrr")
    if not _missing(now) and not _missing(before):
        d = round(100 * (float(now) - float(before)), 1)
        key = ("bridge_change_same" if d == 0 else
               "bridge_change_up" if d > 0 else "bridge_change_down")
        text += t(key, locale, d=_points(fmt_number(abs(d), locale, 1), locale),
                  prev=fmt_pct(before, locale))
    if trailing is not None and not _missing(_get(trailing, "nrr")):
        label = str(_get(trailing, "period", ""))
        parts = label.split(" to ")
        try:
            start, end = (pd.Period(p, freq="M") for p in parts)
            months = (end - start).n + 1
            start_w, end_w = _month_words(str(start), locale), _month_words(str(end), locale)
        except (ValueError, TypeError):
            months, start_w, end_w = "", label, label
        text += t("bridge_trailing", locale, months=months,
                  start=_escape(start_w, markdown=True), end=_escape(end_w, markdown=True),
                  nrr=fmt_pct(trailing["nrr"], locale),
                  grr=fmt_pct(_get(trailing, "grr"), locale))
    return text


def odds_ratio_sentence(row, diagnostics: Mapping | None = None, *, locale: str | None = None,
                        min_features: int = 2, n_features: int | None = None) -> str:
    """The adoption odds ratio in words, with its interval and a causation caveat.

    Parameters
    ----------
    row : pandas.Series or dict
        The adoption term's row of a regression summary: ``odds_ratio``,
        ``ci_low``, ``ci_high``, ``p_value``.
    diagnostics : dict, optional
        ``n`` (account-months), ``events``, ``auc``.
    min_features : int
        The adoption threshold (at least this many key features).
    n_features : int, optional
        How many key features there are (default
        ``len(cslib.adoption.KEY_FEATURES)``).

    Returns
    -------
    str
        Markdown, ending with "This is an association, not proof of cause."
    """
    locale = _loc(locale)
    if n_features is None:
        try:
            from .adoption import KEY_FEATURES
            n_features = len(KEY_FEATURES)
        except ImportError:  # pragma: no cover
            n_features = 3
    odds = _get(row, "odds_ratio")
    if _missing(odds):
        return t("odds_none", locale) + t("association", locale)
    low, high = _get(row, "ci_low"), _get(row, "ci_high")
    text = t("odds", locale, k=min_features, m=n_features, or_=fmt_ratio(odds, locale),
             ci=fmt_ci(low, high, locale, kind="ratio"), p=_p_text(_get(row, "p_value"), locale),
             n=fmt_number(_get(diagnostics, "n"), locale),
             events=fmt_number(_get(diagnostics, "events"), locale))
    if not _missing(low) and not _missing(high) and float(low) <= 1 <= float(high):
        text += t("odds_crosses", locale)
    auc = _get(diagnostics, "auc")
    if not _missing(auc):
        text += t("odds_auc", locale, auc=fmt_ratio(auc, locale))
    return text + t("association", locale)


def _plain_reason(reason: str) -> str:
    """The first sentence of a :class:`~cslib.exceptions.ModelError` message, without the
    function-name prefix and the advice to analysts."""
    text = re.sub(r"^[\w.]+: ", "", " ".join(str(reason).split()))
    text = re.split(r"(?<=[.!?])\s+(?=[A-Z])", text, maxsplit=1)[0]
    return text.rstrip(".") or str(reason)


def adoption_summary(model, reason: str | None = None, *, locale: str | None = None,
                     min_features: int = 2, n_features: int | None = None) -> str:
    """The Summary of the adoption report: the odds ratio, or why there is none.

    Parameters
    ----------
    model : cslib.adoption.RetentionRegression or None
        Fitted (its ``adoption`` term's row is used), or None when it could not
        be fitted (see :func:`try_fit`).
    reason : str, optional
        Why the model could not be fitted (the :class:`~cslib.exceptions.ModelError`
        message).
    min_features, n_features
        See :func:`odds_ratio_sentence`.

    Returns
    -------
    str
        Markdown: :func:`odds_ratio_sentence`, or one sentence saying why the
        model is missing and what the report shows instead.

    Examples
    --------
    >>> text = adoption_summary(None, "retention_regression: no account churned in the "
    ...                         "window. Use a longer window.", locale="en")
    >>> text[:100]
    'The churn model could not be fitted for this segment and month: no account churned in the window; in'
    """
    locale = _loc(locale)
    if model is None:
        why = _escape(_plain_reason(reason), markdown=True) if reason else t("n/a", locale)
        return t("odds_unfitted", locale, reason=why)
    return odds_ratio_sentence(model.summary.loc[model.adoption], model.diagnostics,
                               locale=locale, min_features=min_features,
                               n_features=n_features)


def holm_note(*tables: pd.DataFrame, locale: str | None = None) -> str:
    """The page's sentence on the multiple-comparison correction of "Significant".

    Parameters
    ----------
    *tables : DataFrame
        The :func:`cslib.nps.compare_groups` tables the page shows; the family
        size is their ``attrs["n_comparisons"]`` when they were computed with
        the page's total, else the sum of their groups with a p-value.

    Returns
    -------
    str
        Markdown, one sentence.

    Examples
    --------
    >>> a = pd.DataFrame({"p_value": [0.01, 0.2, 0.3]})
    >>> b = pd.DataFrame({"p_value": [0.04, float("nan")]})
    >>> holm_note(a, b, locale="en")
    'Significance is corrected for 4 comparisons on this page (Holm); the p-value column is uncorrected.'
    """
    locale = _loc(locale)
    per_table = [int(pd.to_numeric(tb["p_value"], errors="coerce").notna().sum())
                 for tb in tables]
    declared = {tb.attrs.get("n_comparisons") for tb in tables} - {None}
    total = sum(per_table)
    if len(declared) == 1 and next(iter(declared)) >= total:
        total = int(next(iter(declared)))
    if total <= 1:
        return t("holm_note.one", locale)
    return t("holm_note", locale, n=fmt_number(total, locale))


def logrank_sentence(logrank: Mapping | None, *, locale: str | None = None) -> str:
    """Whether survival curves differ, from a log-rank test result.

    Parameters
    ----------
    logrank : dict or None
        ``statistic``, ``df``, ``p_value``, ``groups``; None for one group.

    Returns
    -------
    str
        Markdown.

    Examples
    --------
    >>> logrank_sentence({"statistic": 9.21, "df": 2, "p_value": 0.01,
    ...                   "groups": ["0", "1", "2-3"]}, locale="en")[:52]
    'The survival curves of the 3 groups differ by more t'
    """
    locale = _loc(locale)
    if logrank is None:
        return t("logrank_one", locale)
    p = _get(logrank, "p_value")
    if _missing(p) or _missing(_get(logrank, "statistic")):
        return t("logrank_nan", locale)
    groups = _get(logrank, "groups", None)
    k = len(groups) if groups is not None else int(_get(logrank, "df", 0)) + 1
    key = "logrank_differ" if float(p) < 0.05 else "logrank_same"
    return t(key, locale, k=k, stat=fmt_number(logrank["statistic"], locale, 2),
             df=fmt_number(_get(logrank, "df"), locale), p=_p_text(p, locale))


def correlation_sentence(correlation: Mapping, *, locale: str | None = None) -> str:
    """Weekly NPS against loops closed in SLA, as a correlation (never a cause).

    Parameters
    ----------
    correlation : dict
        ``r``, ``n_weeks``, ``p_value``.

    Returns
    -------
    str
        Markdown.
    """
    locale = _loc(locale)
    r, n, p = (_get(correlation, k) for k in ("r", "n_weeks", "p_value"))
    if _missing(r) or _missing(p):
        return t("corr_few", locale, n=fmt_number(0 if _missing(n) else n, locale))
    key = ("corr_none" if float(p) >= 0.05 else
           "corr_together" if float(r) > 0 else "corr_opposite")
    return (t(key, locale, r=fmt_number(r, locale, 2), n=fmt_number(n, locale),
              p=_p_text(p, locale)) + t("correlation", locale))


def fmt_date(value, locale: str | None = None) -> str:
    """A day as its locale writes it: ``"31 Oct 2026"`` / ``"31/10/2026"``.

    Examples
    --------
    >>> fmt_date("2026-10-31", "en"), fmt_date("2026-10-31", "pt-BR")
    ('31 Oct 2026', '31/10/2026')
    """
    from . import formats

    locale = _loc(locale)
    if _missing(value):
        return t("n/a", locale)
    return formats.format_date(pd.Timestamp(value), locale)


def fmt_month_short(month, locale: str | None = None) -> str:
    """A month in a column header: ``"Oct 2026"`` / ``"out/2026"``.

    Examples
    --------
    >>> fmt_month_short("2026-10", "en"), fmt_month_short("2026-10", "pt-BR")
    ('Oct 2026', 'out/2026')
    """
    from . import formats
    from .periods import as_month

    locale = _loc(locale)
    return formats.format_month(as_month(month).date(), locale)


def headline_name(name: str, *, month=None, days: int | None = None,
                  locale: str | None = None) -> str:
    """A headline's name with its period, as the overview's column header shows it.

    Examples
    --------
    >>> headline_name("FCR", month="2026-10", locale="en")
    'FCR, Oct 2026'
    >>> headline_name("NPS", days=90, locale="pt-BR")
    'NPS, 90 dias'
    """
    locale = _loc(locale)
    if days is not None:
        period = t("headline.days", locale, days=fmt_number(days, locale))
    elif month is not None:
        period = fmt_month_short(month, locale)
    else:
        return name
    return t("headline.period", locale, name=name, period=period)


def nps_headlines(current: Mapping, *, days: int = 90,
                  locale: str | None = None) -> list[dict]:
    """The trailing-window NPS with its interval for the overview page.

    Examples
    --------
    >>> h = nps_headlines({"nps": 32.5, "ci_low": 25.1, "ci_high": 39.0, "n": 420}, locale="en")
    >>> h[0]["name"], h[0]["text"]
    ('NPS, 90 days', '32 (95% CI 25 to 39)')
    """
    locale = _loc(locale)
    value = _get(current, "nps")
    text = fmt_nps(value, locale)
    low, high = _get(current, "ci_low"), _get(current, "ci_high")
    if not (_missing(low) and _missing(high)):
        text += f" ({fmt_ci(low, high, locale, kind='nps')})"
    low, high = _get(current, "ci_low"), _get(current, "ci_high")
    return [_headline(headline_name("NPS", days=days, locale=locale), value, text, id="nps",
                      kind="nps", n=_get(current, "n", None), ci_low=low, ci_high=high,
                      se=_se_from_ci(low, high), period=f"{days}d")]


def loop_headlines(loops, *, month, locale: str | None = None) -> list[dict]:
    """Loops closed within the SLA, over the month's answers that were due.

    Parameters
    ----------
    loops : cslib.nps.LoopClosure
        Of the month's answers, seen at its end (``month=``).
    """
    locale = _loc(locale)
    rate = loops.within_sla_rate
    summary = loops.sla_summary
    due = int(summary["due"].sum()) if summary is not None and "due" in summary else None
    low = high = None
    if due and "within_sla" in summary:  # Wilson, as every rate the kit shows
        from statsmodels.stats.proportion import proportion_confint

        low, high = proportion_confint(int(summary["within_sla"].sum()), due, method="wilson")
    return [_headline(headline_name(t("headline.loops", locale), month=month, locale=locale),
                      None if _missing(rate) else rate, fmt_pct(rate, locale),
                      id="loops_in_sla", kind="rate", n=due, ci_low=low, ci_high=high,
                      period=str(month))]


def loop_sentence(loops, *, month, sla_days: float = 3, locale: str | None = None) -> str:
    """The month's answers: loops closed in time, missed, and still pending.

    Examples
    --------
    >>> import pandas as pd
    >>> from cslib.nps import LoopClosure
    >>> summary = pd.DataFrame({"n": [6], "due": [5], "pending": [1], "within_sla": [4],
    ...                         "missed": [1]})
    >>> loop_sentence(LoopClosure(None, None, {}, summary), month="2026-10", locale="en")[:72]
    'Of the 5 answers of October 2026 whose 3-day SLA had elapsed by the mont'
    """
    locale = _loc(locale)
    summary = loops.sla_summary
    month_words = _month_words(str(month), locale)
    if summary is None or int(summary["n"].sum()) == 0:
        return t("loops_none", locale, month=month_words)
    due, pending = int(summary["due"].sum()), int(summary["pending"].sum())
    met = int(summary["within_sla"].sum())
    text = t("loops_month", locale, due=fmt_number(due, locale), month=month_words,
             sla=fmt_number(sla_days, locale), met=fmt_number(met, locale),
             rate=fmt_pct(met / due if due else np.nan, locale),
             missed=fmt_number(due - met, locale))
    if pending:
        text += t("loops_pending", locale, pending=fmt_number(pending, locale))
    return text


def survey_sentence(overall: Mapping, *, locale: str | None = None, month=None,
                    provisional: Mapping | None = None) -> str:
    """Invitations, answers and the response rate with its interval.

    Parameters
    ----------
    overall : dict
        :attr:`cslib.survey.SurveyHealth.overall`: ``sent``, ``responded``,
        ``response_rate``, ``ci_low``, ``ci_high``, ``waves``, ``max_mix_gap``
        (and ``sent_from``, ``sent_to`` with a report month).
    month : str, optional
        The report month ``overall`` was computed for (``survey_health(month=)``):
        the sentence then names the sends whose response window closed in it.
    provisional : dict, optional
        :attr:`cslib.survey.SurveyHealth.provisional`, the sends still
        collecting answers, reported apart.

    Returns
    -------
    str
        Markdown.
    """
    locale = _loc(locale)
    sent = _get(overall, "sent", 0)
    if month is not None:
        month_words = _month_words(str(month), locale)
        if _missing(sent) or sent == 0:
            text = t("survey_month_none", locale, month=month_words)
        else:
            text = t("survey_month", locale, month=month_words, sent=fmt_number(sent, locale),
                     sent_from=fmt_date(_get(overall, "sent_from"), locale),
                     sent_to=fmt_date(_get(overall, "sent_to"), locale),
                     responded=fmt_number(_get(overall, "responded"), locale),
                     rate=fmt_pct(_get(overall, "response_rate"), locale),
                     ci=fmt_ci(_get(overall, "ci_low"), _get(overall, "ci_high"), locale,
                               kind="pct"))
        if provisional and _get(provisional, "sent", 0):
            text += t("survey_provisional", locale,
                      sent=fmt_number(_get(provisional, "sent"), locale),
                      sent_from=fmt_date(_get(provisional, "sent_from"), locale),
                      sent_to=fmt_date(_get(provisional, "sent_to"), locale),
                      responded=fmt_number(_get(provisional, "responded"), locale))
        gap = _get(overall, "max_mix_gap")
        if not _missing(gap):
            text += t("survey_mix", locale, gap=fmt_number(100 * float(gap), locale, 1))
        return text
    if _missing(sent) or sent == 0:
        return t("survey_none", locale)
    text = t("survey", locale, sent=fmt_number(sent, locale),
             waves=fmt_number(_get(overall, "waves"), locale),
             responded=fmt_number(_get(overall, "responded"), locale),
             rate=fmt_pct(_get(overall, "response_rate"), locale),
             ci=fmt_ci(_get(overall, "ci_low"), _get(overall, "ci_high"), locale, kind="pct"))
    gap = _get(overall, "max_mix_gap")
    if not _missing(gap):
        text += t("survey_mix", locale, gap=fmt_number(100 * float(gap), locale, 1))
    return text


def review_summary_sentence(summary: pd.DataFrame, economics: pd.DataFrame | None,
                            fcr: pd.DataFrame | None, *, locale: str | None = None,
                            month=None) -> str:
    """Accounts per review class, LTV/CAC per segment and first-contact resolution.

    Parameters
    ----------
    summary : DataFrame
        :func:`cslib.review.review_summary` (``class``, ``accounts``; any
        ``by`` columns are summed over).
    economics : DataFrame or None
        :func:`cslib.ltv.ltv_cac_table` (``segment``, ``ltv_cac``).
    fcr : DataFrame or None
        :func:`cslib.support.first_contact_resolution` without ``by``
        (``n``, ``rate``, ``ci_low``, ``ci_high``).
    month : str, optional
        The month ``fcr`` was computed for (tickets resolved in it); the
        sentence names it.

    Returns
    -------
    str
        Markdown.
    """
    locale = _loc(locale)
    counts = _class_counts(summary)
    total = int(counts.sum())

    def part(cls: int) -> tuple[str, str]:
        k = int(counts.get(cls, 0))
        return fmt_number(k, locale), fmt_pct(k / total if total else np.nan, locale)

    (risk, risk_pct), (att, att_pct), (exp, exp_pct) = part(4), part(3), part(2)
    text = t("review", locale, total=fmt_number(total, locale), risk=risk, risk_pct=risk_pct,
             attention=att, attention_pct=att_pct, expand=exp, expand_pct=exp_pct)
    if economics is not None and len(economics) and "ltv_cac" in economics:
        group = "segment" if "segment" in economics else None
        items = []
        for _, r in economics.iterrows():
            value = fmt_ratio(r["ltv_cac"], locale, 1)
            items.append(t("in", locale, value=value, group=_escape(r[group], markdown=True))
                         if group else value)
        text += t("review_ltv", locale, items="; ".join(items))
    if fcr is not None and len(fcr) and "rate" in fcr:
        first = fcr.iloc[0]
        key = "review_fcr" if month is None else "review_fcr_month"
        text += t(key, locale, rate=fmt_pct(first["rate"], locale),
                  month=_month_words(str(month), locale),
                  ci=fmt_ci(_get(first, "ci_low"), _get(first, "ci_high"), locale, kind="pct"),
                  n=fmt_number(_get(first, "n"), locale))
    return text


# --------------------------------------------------------------------------- headlines
def _headline(name: str, value, text: str | None = None, **extra) -> dict:
    """A headline; ``extra`` (``id``, ``kind``, ``n``, ``se``, ``ci_low``, ``ci_high``,
    ``period``) lets the overview compute the change from the previous month
    (:mod:`cslib.changes`). Missing values are left out."""
    out = {"name": name, "value": value, "text": text}
    for key, v in extra.items():
        if v is None or _missing(v):
            continue
        out[key] = int(v) if key == "n" else (float(v) if key != "id" and key != "kind"
                                               and key != "period" else str(v))
    return out


def _se_from_ci(low, high) -> float | None:
    if _missing(low) or _missing(high):
        return None
    from .changes import Z95

    return (float(high) - float(low)) / (2 * Z95)


def ratio_standard_errors(movements: pd.DataFrame, month, *, month_column: str = "month",
                          reps: int = 1000, seed: int = 0) -> dict[str, float | None]:
    """Bootstrap standard errors over accounts of the month's NRR, GRR and net revenue churn.

    Parameters
    ----------
    movements : DataFrame
        :func:`cslib.revenue.mrr_movements` (``mrr``, ``previous_mrr``), one row
        per account and month; not modified.
    month : str
        The bridge's month. The accounts paying at its start are resampled:
        NRR is ``sum(mrr) / sum(previous_mrr)``, GRR caps each account at what
        it paid before.

    Examples
    --------
    >>> mv = pd.DataFrame({"month": pd.to_datetime(["2026-10-01"] * 3),
    ...                    "mrr": [100.0, 100.0, 50.0], "previous_mrr": [100.0, 100.0, 0.0]})
    >>> ratio_standard_errors(mv, "2026-10")["nrr"]  # every account kept what it paid
    0.0
    """
    from .changes import bootstrap_ratio_se
    from .periods import as_month

    rows = movements.loc[(pd.to_datetime(movements[month_column]) == as_month(month))
                         & (movements["previous_mrr"] > 0)]
    start = rows["previous_mrr"].to_numpy(dtype=float)
    end = rows["mrr"].to_numpy(dtype=float)
    nrr = bootstrap_ratio_se(start, end, reps=reps, seed=seed)
    grr = bootstrap_ratio_se(start, np.minimum(end, start), reps=reps, seed=seed)
    return {"nrr": nrr, "grr": grr, "net_revenue_churn": nrr}


def bridge_headlines(month_row, *, locale: str | None = None, month=None,
                     ratio_se: Mapping | None = None,
                     movements: pd.DataFrame | None = None) -> list[dict]:
    """The month's NRR, GRR, net revenue churn and logo churn for the overview page.

    Parameters
    ----------
    month_row : pandas.Series or dict or None
        :func:`cslib.revenue.bridge_row` of the month (None: no headlines).
    ratio_se : dict, optional
        Bootstrap standard errors over accounts (``{"nrr": ..., "grr": ...}``,
        :func:`cslib.changes.bootstrap_ratio_se`), so the overview can tell a
        change from noise.
    movements : DataFrame, optional
        :func:`cslib.revenue.mrr_movements`: the standard errors are then
        computed here (:func:`ratio_standard_errors`).

    Returns
    -------
    list of dict
        ``{"name", "value", "text"}``, for :func:`cslib.headlines.record_headlines`.

    Examples
    --------
    >>> [h["text"] for h in bridge_headlines({"nrr": 0.9357, "grr": 0.8786,
    ...     "net_revenue_churn": 0.0643, "logo_churn": 0.02}, locale="en")]
    ['93.6%', '87.9%', '6.4%', '2.0%']
    """
    locale = _loc(locale)
    if month_row is None:
        return []
    names = {col: t(f"headline.{col}", locale)
             for col in ("nrr", "grr", "net_revenue_churn", "logo_churn")}
    if month is None and not _missing(_get(month_row, "period", np.nan)):
        month = _get(month_row, "period")
    se = dict(ratio_se or {})
    if movements is not None and not se:
        when = month if month is not None else _get(month_row, "period")
        se = ratio_standard_errors(movements, str(when))
    kinds = {"nrr": "ratio", "grr": "ratio", "net_revenue_churn": "ratio", "logo_churn": "rate"}
    from .changes import Z95
    from .revenue import logo_churn_interval

    def interval(col):
        """Logo churn: Wilson; the revenue ratios: the bootstrap's normal interval."""
        if col == "logo_churn":
            return logo_churn_interval(_get(month_row, "accounts_churned"),
                                       _get(month_row, "accounts_start"))
        value, s = _get(month_row, col), se.get(col)
        if s is None or _missing(s) or _missing(value):
            return None, None
        low, high = float(value) - Z95 * float(s), float(value) + Z95 * float(s)
        if col in ("grr", "nrr"):  # a ratio of kept revenue is never negative; GRR <= 100%
            low = max(low, 0.0)
        if col == "grr":
            high = min(high, 1.0)
        return low, high

    out = []
    for col, label in names.items():
        low, high = interval(col)
        out.append(_headline(
            headline_name(label, month=month, locale=locale), _get(month_row, col),
            fmt_pct(_get(month_row, col), locale), id=col, kind=kinds[col],
            n=_get(month_row, "accounts_start", None) if col == "logo_churn" else None,
            se=se.get(col), ci_low=low, ci_high=high,
            period=None if month is None else str(month)))
    return out


#: The overview's name of the adoption headline: what the odds ratio is of.
ADOPTION_HEADLINE = "Odds ratio of next-month churn, key-feature adopters"


def adoption_headlines(model, *, locale: str | None = None) -> list[dict]:
    """The odds ratio of next-month churn for key-feature adopters, for the overview page.

    It is the regression's adoption term (adopters against the others,
    adjusted for the controls): below 1, adopters churn less. None when the
    model is None.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> model = SimpleNamespace(adoption="key_adopter", summary=pd.DataFrame(
    ...     {"odds_ratio": [0.523]}, index=["key_adopter"]))
    >>> [(h["name"], h["text"]) for h in adoption_headlines(model, locale="en")]
    [('Odds ratio of next-month churn, key-feature adopters', '0.52')]
    """
    locale = _loc(locale)
    if model is None:
        return []
    row = model.summary.loc[model.adoption]
    odds = _get(row, "odds_ratio")
    return [_headline(t("headline.adoption_odds", locale), odds, fmt_ratio(odds, locale),
                      id="adoption_odds",
                      kind="odds", ci_low=_get(row, "ci_low", None),
                      ci_high=_get(row, "ci_high", None))]


def _class_counts(summary: pd.DataFrame) -> pd.Series:
    """Accounts per review class, summed over any ``by`` columns."""
    return summary.groupby("class")["accounts"].sum()


def review_headlines(summary: pd.DataFrame, fcr: pd.DataFrame | None, *,
                     locale: str | None = None, month=None) -> list[dict]:
    """Churn-risk accounts (class 4) and first-contact resolution for the overview page.

    Parameters
    ----------
    summary : DataFrame
        :func:`cslib.review.review_summary` (``class``, ``accounts``).
    fcr : DataFrame or None
        :func:`cslib.support.first_contact_resolution` without ``by``.

    Examples
    --------
    >>> summary = pd.DataFrame({"class": [1, 4, 4], "accounts": [10, 2, 3]})
    >>> fcr = pd.DataFrame({"n": [80], "rate": [0.725]})
    >>> [(h["name"], h["value"]) for h in review_headlines(summary, fcr, locale="en")]
    [('Churn risk accounts', 5), ('FCR', 0.725)]
    """
    locale = _loc(locale)
    risk = int(_class_counts(summary).get(4, 0))
    rate = fcr["rate"].iloc[0] if fcr is not None and len(fcr) and "rate" in fcr else np.nan
    first = fcr.iloc[0] if fcr is not None and len(fcr) else None
    period = None if month is None else str(month)
    return [_headline(headline_name(t("headline.churn_risk", locale), month=month,
                                    locale=locale), risk,
                      id="churn_risk", kind="count", period=period),
            _headline(headline_name("FCR", month=month, locale=locale),
                      None if _missing(rate) else float(rate), fmt_pct(rate, locale),
                      id="fcr", kind="rate", n=_get(first, "n", None),
                      ci_low=_get(first, "ci_low", None), ci_high=_get(first, "ci_high", None),
                      period=period)]


# --------------------------------------------------------------------------- tables
#: Key of a ``columns`` dict standing for the frame's first column (a group column).
FIRST_COLUMN = "<first column>"


def _cols(*names: str) -> dict:
    return {name: f"col.{name}" for name in names}


#: :func:`cslib.nps.compare_groups` output, group column first.
GROUP_NPS_COLUMNS = {FIRST_COLUMN: None, "n": "col.answers", "nps": "col.nps",
                     ("ci_low", "ci_high"): "col.ci",
                     **_cols("rest_nps", "difference", "p_value", "p_value_holm",
                             "significant", "small_sample")}
#: :attr:`cslib.nps.LoopClosure.sla_summary`.
SLA_COLUMNS = _cols("category", "n", "pending", "due", "within_sla", "missed",
                    "share_within_sla")
_BRIDGE = ("start_mrr", "new", "expansion", "contraction", "churn", "reactivation", "end_mrr",
           "grr", "nrr", "net_revenue_churn", "logo_churn", "accounts_start", "accounts_churned")
#: A monthly revenue bridge (:func:`cslib.revenue.revenue_bridge`).
BRIDGE_COLUMNS = _cols("period", *_BRIDGE)
#: :func:`cslib.revenue.compare_views`: its counts are contracts in the contract view and
#: accounts in the account view, and the headers say so.
VIEW_COLUMNS = {**_cols("view", *_BRIDGE), "logo_churn": "col.view_logo_churn",
                "accounts_start": "col.view_start", "accounts_churned": "col.view_lost"}
#: :func:`cslib.support.first_contact_resolution`: ``n`` counts resolved tickets.
FCR_COLUMNS = {FIRST_COLUMN: None, "n": "col.fcr_n", "fcr": "col.fcr", "rate": "col.rate",
               ("ci_low", "ci_high"): "col.ci", "small_sample": "col.small_sample"}
#: Automatic headers that depend on the table: a column (key) is labelled with the
#: catalogue key when the frame also has all of the other columns. FCR tables count
#: tickets in ``n``, not answers.
_CONTEXT_HEADERS = [("n", frozenset({"fcr", "rate"}), "col.fcr_n")]
#: :func:`cslib.revenue.nrr_change_decomposition`.
DECOMPOSITION_COLUMNS = _cols("component", "effect", "base", "current")
#: :func:`cslib.revenue.top_movers` on account-level movements.
MOVER_COLUMNS = _cols("name", "account_id", "segment", "plan", "movement", "previous_mrr",
                      "mrr", "change")


def BRIDGE_COLUMNS_BY(group: str) -> dict:  # noqa: N802 - reads like the constants
    """Bridge columns for a grouped bridge: ``group`` first, no ``period``, and the
    flag of groups under the minimum size last."""
    return {group: f"col.{group}" if f"col.{group}" in _TEXT else None, **_cols(*_BRIDGE),
            **_cols("small_sample")}


_MONEY_NAMES = {"new", "expansion", "contraction", "churn", "reactivation", "change", "arpa",
                "ltv", "ltv_low", "ltv_high", "cac", "avg_cac", "money", "revenue"}
_RATIO_NAMES = {"odds_ratio", "hazard_ratio", "ltv_cac", "coef", "se", "z", "statistic", "r",
                "auc", "pseudo_r2"}
_PCT_NAMES = {"rate", "share", "grr", "nrr", "survival", "effect"}
_NPS_NAMES = {"nps", "rest_nps"}


def _column_kind(name: str, values: pd.Series, frame_columns: Sequence[str]) -> str:
    """How to format a column, from its name, its dtype and its neighbours."""
    col = str(name).lower()
    cols = {str(c).lower() for c in frame_columns}
    if pd.api.types.is_bool_dtype(values):
        return "bool"
    if pd.api.types.is_datetime64_any_dtype(values):
        return "date"
    if not pd.api.types.is_numeric_dtype(values):
        return "text"
    if col in _NPS_NAMES or (col == "difference" and "nps" in cols):
        return "nps"
    if col in ("p_value", "p_value_holm"):
        return "p"
    if col in _RATIO_NAMES or col.endswith("_ratio"):
        return "ratio"
    if not col.startswith("log_") and (col in _MONEY_NAMES or "mrr" in col):
        return "money"
    if pd.api.types.is_integer_dtype(values):
        return "int"
    if (col in _PCT_NAMES or col.startswith(("pct_", "share_")) or col.endswith("_rate")
            or "churn" in col):
        return "pct"
    if col in ("ci_low", "ci_high"):
        if "nps" in cols:
            return "nps"
        if cols & {"odds_ratio", "hazard_ratio"}:
            return "ratio"
        if cols & (_PCT_NAMES | {"response_rate"}) or any(c.startswith("share_") for c in cols):
            return "pct"
    if values.dropna().map(float).map(float.is_integer).all():
        return "int"
    return "float"


def _cell(x, kind: str | Callable, locale: str) -> str:
    if callable(kind):
        return "" if _missing(x) else str(kind(x, locale))
    if kind == "text":
        return t("n/a", locale) if _missing(x) else str(x)
    if _missing(x):
        return t("n/a", locale)
    if kind == "bool":
        return t("yes" if bool(x) else "no", locale)
    if kind == "date":
        ts = pd.Timestamp(x)
        text = fmt_date(ts, locale)
        return text if ts == ts.normalize() else f"{text} {ts:%H:%M}"
    if kind == "int":
        return fmt_number(x, locale, 0)
    if kind == "float":
        return fmt_number(x, locale, 2)
    return _fmt(x, kind, locale)


def _value_text(column, text: str, value, locale: str) -> str:
    """A text cell in the locale: movements, NPS categories, views (``value.<col>.<v>``
    in the catalogue), review reasons, ``rate: <segment>`` components."""
    if isinstance(value, pd.Period) or (isinstance(value, str) and re.fullmatch(
            r"\d{4}-\d{2}|\d{4}Q[1-4]", value)):
        from . import formats

        value = str(value)
        return (formats.format_quarter(value, locale) if "Q" in value
                else formats.format_month(value, locale))
    if not isinstance(value, str):
        return text
    key = f"value.{column}.{value}"
    if key in _TEXT:
        return t(key, locale)
    if column == "label":
        for cls in (1, 2, 3, 4):  # a review class named in English
            if _TEXT[f"review.class.{cls}"][0] == value:
                return t(f"review.class.{cls}", locale)
    if column == "rule":
        from .i18n import reason_text

        return reason_text(value, locale)
    if column == "component" and value.startswith("rate: ") and locale != "en":
        return "taxa: " + value[len("rate: "):]
    return text


def _header(source, label, locale: str) -> str:
    if label is None:
        key = f"col.{source}"
        return t(key, locale) if key in _TEXT else str(source).replace("_", " ").capitalize()
    return t(label, locale) if label in _TEXT else str(label)


def column_label(name, locale: str | None = None) -> str:
    """The display name of a column (``"nrr"`` -> ``"NRR"``, ``"plan"`` -> ``"Plano"``)."""
    return _header(name, None, _loc(locale))


def table_html(data: pd.DataFrame, *, locale: str | None = None,
               columns: Mapping | Sequence | None = None, formats: Mapping | None = None,
               max_rows: int = 50, max_columns: int | None = 9, csv: bool = True) -> str:
    """An HTML table of ``data``: escaped, formatted for ``locale``, no index.

    Parameters
    ----------
    data : DataFrame
        Not modified.
    locale : str
    columns : dict or list, optional
        Which columns to show, in order. A dict maps a column to a header
        (a catalogue key such as ``"col.nps"``, a literal label, or None for
        the automatic header). A ``(low, high)`` tuple key shows one
        ``"35 to 49"`` interval column; :data:`FIRST_COLUMN` stands for the
        frame's first column. Columns absent from ``data`` are skipped.
    formats : dict, optional
        Column -> ``"number"``, ``"int"``, ``"pct"``, ``"money"``, ``"nps"``,
        ``"ratio"``, ``"p"``, ``"text"`` or a callable ``(value, locale) ->
        str``. Other columns are formatted by name and dtype (``nps``,
        ``rate``/``share``/``grr``/``nrr``/``*churn*`` as percentages,
        ``*mrr*``/``expansion``/``ltv``... as money, ``p_value`` with 3
        decimals, counts with thousands separators).
    max_rows : int
        Show at most this many rows, with a note saying how many there are.
    max_columns : int or None
        A table with more columns is shown as several tables of at most this
        many, each repeating the first (key) column, so that no column hides
        behind a sideways scroll on a laptop or falls off an A4 page. None:
        one table.
    csv : bool
        Add a link that downloads the table's data (every row and shown column)
        as CSV (see :func:`table_csv`).

    Returns
    -------
    str
        ``<div class="cs-table-wrap"><table class="cs-table">...</table></div>``
        (one per part), then the CSV link.
    """
    locale = _loc(locale)
    formats = dict(formats or {})
    if columns is None:
        spec = {c: None for c in data.columns}
    elif isinstance(columns, Mapping):
        spec = dict(columns)
    else:
        spec = {c: None for c in columns}
    if FIRST_COLUMN in spec and len(data.columns):
        first = data.columns[0]
        spec = {(first if k == FIRST_COLUMN else k): v for k, v in spec.items()
                if k == FIRST_COLUMN or k != first}
    spec = {k: v for k, v in spec.items()
            if (all(c in data.columns for c in k) if isinstance(k, tuple) else k in data.columns)}

    def kind_of(col):
        return formats.get(col) or _column_kind(col, data[col], data.columns)

    present = set(data.columns)
    for column, companions, key in _CONTEXT_HEADERS:
        if spec.get(column, "") is None and companions <= present:
            spec[column] = key
    heads = [_header(None, label or "col.ci", locale) if isinstance(source, tuple)
             else _header(source, label, locale) for source, label in spec.items()]
    body_cols = list(spec)
    shown = data.head(max_rows)
    from .pages import Cell, html_table

    kinds = {c: (kind_of(c[0]) if isinstance(c, tuple) else kind_of(c)) for c in body_cols}
    # Layout: a wide table becomes several, each with the first (key) column again.
    positions = list(range(len(body_cols)))
    if max_columns is not None and max_columns >= 2 and len(positions) > max_columns:
        rest, width = positions[1:], max_columns - 1
        n_parts = -(-len(rest) // width)
        width = -(-len(rest) // n_parts)  # parts of even width: 13 -> 7 + 6, not 7 + 1...
        parts = [[0, *rest[i:i + width]] for i in range(0, len(rest), width)]
    else:
        parts = [positions]
    cells = []
    for _, row in shown.iterrows():
        line = []
        for c in body_cols:
            kind = kinds[c]
            if isinstance(c, tuple):
                kind = kind if isinstance(kind, str) and kind in _KINDS else "number"
                text = _range(row[c[0]], row[c[1]], locale, kind)
            else:
                text = _value_text(c, _cell(row[c], kind, locale), row[c], locale)
            line.append(Cell(text, style="text-align:left" if kind == "text" else ""))
        cells.append(line)
    split = " cs-table-part" if len(parts) > 1 else ""
    out = [html_table([heads[i] for i in part], [[line[i] for i in part] for line in cells],
                      table_class=f"cs-table{split}")
           for part in parts]
    if csv and len(data) and body_cols:
        out.append(_csv_link(data, spec, heads, locale))
    if len(data) == 0:
        out.append(f'<p class="cs-muted">{_escape(t("no_rows", locale))}</p>')
    elif len(data) > len(shown):
        note = t("rows_shown", locale, shown=fmt_number(len(shown), locale),
                 total=fmt_number(len(data), locale))
        out.append(f'<p class="cs-muted">{_escape(note)}</p>')
    return "".join(out)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_value(value, locale: str) -> str:
    """One CSV cell: numbers with the locale's decimal mark and no grouping, text that a
    spreadsheet would run as a formula prefixed with ``'``."""
    if _missing(value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return t("yes" if value else "no", locale)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        text = f"{float(value):.10g}"
        return text.replace(".", ",") if locale == "pt-BR" else text
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def table_csv(data: pd.DataFrame, *, locale: str | None = None,
              columns: Mapping | Sequence | None = None) -> str:
    """``data`` as CSV text for a spreadsheet, headers as :func:`table_html` writes them.

    In ``pt-BR`` the separator is ``;`` and the decimal mark a comma (what Excel
    expects there); in English ``,`` and a point. The text starts with a UTF-8
    byte order mark, so that Excel reads the accents right. Every row is written;
    numbers are written in full (fractions stay fractions: 0.125, not 12.5%);
    text cells starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return get a leading ``'``, so that a spreadsheet shows them instead of
    running them as a formula. An interval column ``(low, high)`` is written as
    its two columns.

    Examples
    --------
    >>> frame = pd.DataFrame({"plan": ["Pro", "=HYPERLINK(1)"], "rate": [0.125, 0.5]})
    >>> print(table_csv(frame, locale="pt-BR").lstrip("\ufeff"), end="")
    Plano;Taxa
    Pro;0,125
    '=HYPERLINK(1);0,5
    >>> table_csv(frame, locale="en").splitlines()[1]
    'Pro,0.125'
    """
    locale = _loc(locale)
    if columns is None:
        spec = {c: None for c in data.columns}
    elif isinstance(columns, Mapping):
        spec = dict(columns)
    else:
        spec = {c: None for c in columns}
    if FIRST_COLUMN in spec and len(data.columns):
        first = data.columns[0]
        spec = {(first if k == FIRST_COLUMN else k): v for k, v in spec.items()
                if k == FIRST_COLUMN or k != first}
    heads, cols = [], []
    for source, label in spec.items():
        if isinstance(source, tuple):
            for c in source:
                if c in data.columns:
                    heads.append(_header(c, None, locale))
                    cols.append(c)
        elif source in data.columns:
            heads.append(_header(source, label, locale))
            cols.append(source)
    return _csv_text(data, cols, heads, locale)


def _csv_text(data: pd.DataFrame, cols: Sequence, heads: Sequence[str], locale: str) -> str:
    import csv as csv_module
    import io

    buffer = io.StringIO()
    writer = csv_module.writer(buffer, delimiter=";" if locale == "pt-BR" else ",",
                               lineterminator="\r\n")
    writer.writerow([_csv_value(h, locale) for h in heads])
    for values in data[list(cols)].itertuples(index=False, name=None):
        writer.writerow([_csv_value(v, locale) for v in values])
    return "\ufeff" + buffer.getvalue()


def _csv_link(data: pd.DataFrame, spec: Mapping, heads: Sequence[str], locale: str) -> str:
    """The table's download link: its CSV in a ``data:`` URI (the page stays one file)."""
    import base64

    cols, names = [], []
    for (source, _label), head in zip(spec.items(), heads, strict=True):
        if isinstance(source, tuple):
            for c in source:
                cols.append(c)
                names.append(_header(c, None, locale))
        else:
            cols.append(source)
            names.append(head)
    text = _csv_text(data, cols, names, locale)
    uri = "data:text/csv;charset=utf-8;base64," + base64.b64encode(
        text.encode("utf-8")).decode("ascii")
    name = _escape(t("table.csv_file", locale))
    return (f'<p class="cs-csv"><a download="{name}.csv" href="{uri}">'
            f'{_escape(t("table.csv_link", locale))}</a></p>')


def _display(obj) -> None:
    from IPython.display import display

    display(obj)


def show_table(data: pd.DataFrame, *, locale: str | None = None,
               columns: Mapping | Sequence | None = None, formats: Mapping | None = None,
               max_rows: int = 50, max_columns: int | None = 9, csv: bool = True) -> None:
    """Display :func:`table_html` in a notebook."""
    from IPython.display import HTML

    _display(HTML(table_html(data, locale=locale, columns=columns, formats=formats,
                             max_rows=max_rows, max_columns=max_columns, csv=csv)))


def section(key: str, locale: str | None = None) -> None:
    """Display a notebook section's heading and prose, from the catalogue, as Markdown.

    The notebooks keep their words in :data:`cslib.i18n.SECTIONS`
    (``<notebook>.<section>``), in English and Portuguese, and call this once
    per section; the heading is Markdown, so the page's contents list and
    anchors work as with a Markdown cell. A ``<notebook>.title`` section is the
    notebook's H1: the report page puts it in its header instead.

    Examples
    --------
    >>> section_markdown("cohort_nps.summary", "pt-BR")
    '## Resumo'
    """
    from IPython.display import Markdown

    text = section_markdown(key, locale)
    metadata = {"cslib": {"section": key}}
    _display_with(Markdown(text), metadata)


def section_markdown(key: str, locale: str | None = None) -> str:
    """The Markdown :func:`section` displays."""
    return t(key, locale)


def _display_with(obj, metadata: dict) -> None:
    from IPython.display import display

    display(obj, metadata=metadata)


def show_markdown(text: str) -> None:
    """Display Markdown produced by the sentence functions (data already escaped)."""
    from IPython.display import Markdown

    _display(Markdown(text))


_CALLOUT_STYLE = {
    "info": "background:#eef6ff;border-color:#0b5cad",
    "warning": "background:#fff8c5;border-color:#9a6700",
    "danger": "background:#fef3f2;border-color:#b42318",
    "success": "background:#eefbf1;border-color:#1a7f37",
}


def callout_html(text: str, kind: str = "info") -> str:
    """A boxed note: ``<div class="cs-callout cs-callout-<kind>" ...>``, text escaped."""
    if kind not in _CALLOUT_STYLE:
        raise ParamsError(f"callout: kind={kind!r} is not one of {list(_CALLOUT_STYLE)}.")
    style = ("border-left:4px solid;border-radius:4px;padding:.6rem .9rem;margin:1rem 0;"
             + _CALLOUT_STYLE[kind])
    return (f'<div class="cs-callout cs-callout-{kind}" role="note" style="{style}">'
            f"{_escape(text)}</div>")


def callout(text: str, kind: str = "info"):
    """A boxed note as a displayable object: ``display(callout(...))`` or end a cell with it.

    Parameters
    ----------
    text : str
        Plain text (escaped).
    kind : {"info", "warning", "danger", "success"}

    Returns
    -------
    IPython.display.HTML
    """
    from IPython.display import HTML

    return HTML(callout_html(text, kind))


def try_fit(func, *args, **kwargs) -> tuple[object | None, str | None]:
    """``(func(*args, **kwargs), None)``, or ``(None, reason)`` when the data cannot support it.

    A model that cannot be fitted on a small segment (a single outcome class,
    no events, a constant covariate) raises :class:`~cslib.exceptions.ModelError`;
    its message is returned so the report can say why (see
    :func:`adoption_summary`, :func:`show_not_estimated`). Other errors propagate.

    Examples
    --------
    >>> from cslib.exceptions import ModelError
    >>> def fit():
    ...     raise ModelError("no churn in the window")
    >>> try_fit(fit)
    (None, 'no churn in the window')
    >>> try_fit(lambda: 42)
    (42, None)
    """
    from .exceptions import ModelError

    try:
        return func(*args, **kwargs), None
    except ModelError as err:
        return None, str(err)


def show_not_estimated(reason: str | None, *, locale: str | None = None) -> None:
    """Display the "Not estimated for this segment and month: ..." box (nothing if no reason)."""
    if reason:
        _display(callout(t("not_estimated", locale, reason=str(reason)), kind="warning"))


def attempt(func, *args, locale: str | None = None, **kwargs):
    """``func(*args, **kwargs)``, or None with a note on the page when the data cannot support it.

    A model that cannot be fitted on a small segment (a single outcome class,
    no events, a constant covariate) raises :class:`~cslib.exceptions.ModelError`;
    in a report that should read as a plain note, not stop the report. Other
    errors propagate.

    Examples
    --------
    >>> from cslib.exceptions import ModelError
    >>> def fit():
    ...     raise ModelError("no churn in the window")
    >>> attempt(fit) is None  # in a notebook: a "Not estimated ..." box
    <IPython.core.display.HTML object>
    True
    """
    result, reason = try_fit(func, *args, **kwargs)
    show_not_estimated(reason, locale=locale)
    return result


def _date_words(value, locale: str) -> str:
    from babel.dates import format_date

    if _missing(value):
        return t("n/a", locale)
    return format_date(pd.Timestamp(value).date(), "medium", locale=_BABEL[locale])


def verbatims_html(data: pd.DataFrame, *, locale: str | None = None,
                   comment: str = "comment", date: str = "responded_at",
                   score: str = "score", masked: bool | None = None) -> str:
    """Comments as an escaped quote list, each with its date, score and context.

    ``masked`` (the notebook's ``mask_pii``) adds a line saying whether e-mail
    addresses and phone numbers were masked; None says nothing.
    """
    locale = _loc(locale)
    note = "" if masked is None else (
        f'<p class="cs-muted">{_escape(t("pii_masked" if masked else "pii_shown", locale))}</p>')
    rows = data.loc[data[comment].notna()] if comment in data else data.iloc[:0]
    if rows.empty:
        return f'<p class="cs-muted">{_escape(t("no_comments", locale))}</p>'
    extra = [c for c in ("user_type", "segment", "plan") if c in rows.columns]
    out = ['<ul class="cs-verbatims" style="list-style:none;padding-left:0">']
    for _, r in rows.iterrows():
        meta = [_date_words(r[date], locale) if date in rows else None,
                t("score", locale, score=fmt_number(r[score], locale)) if score in rows else None,
                *[r[c] for c in extra if not _missing(r[c])]]
        meta_text = " · ".join(str(m) for m in meta if m is not None)
        out.append('<li style="margin:.5rem 0"><blockquote style="margin:0;padding-left:.75rem;'
                   f'border-left:3px solid #d0d7de">{_escape(r[comment])}</blockquote>'
                   f'<span class="cs-muted">{_escape(meta_text)}</span></li>')
    out.append("</ul>")
    return note + "".join(out)


def show_verbatims(data: pd.DataFrame, *, locale: str | None = None, **kwargs) -> None:
    """Display :func:`verbatims_html`."""
    from IPython.display import HTML

    _display(HTML(verbatims_html(data, locale=locale, **kwargs)))


# --------------------------------------------------------------------------- caveats
class WarningNotes:
    """Collects the warnings raised inside ``with notes:`` blocks, for :meth:`show`.

    UserWarning and RuntimeWarning (SmallSampleWarning included) are kept and
    not printed; other warnings (deprecations...) are passed on as usual.
    The same object can be entered many times.

    Attributes
    ----------
    messages : list of str
        Distinct messages, in the order first seen.
    """

    _KEEP = (UserWarning, RuntimeWarning)

    def __init__(self, locale: str | None = None):
        self.locale = locale
        self.messages: list[str] = []
        self._keyed: dict[str, object] = {}
        self._stack: list = []

    def __enter__(self) -> WarningNotes:
        manager = warnings.catch_warnings(record=True)
        caught = manager.__enter__()
        warnings.simplefilter("always")
        self._stack.append((manager, caught))
        return self

    def __exit__(self, *exc) -> bool:
        manager, caught = self._stack.pop()
        manager.__exit__(*exc)
        for w in caught:
            if issubclass(w.category, self._KEEP):
                text = str(w.message)
                if text not in self.messages:
                    self.messages.append(text)
                    if getattr(w.message, "key", None):
                        self._keyed[text] = w.message
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        return False

    def html(self, locale: str | None = None) -> str:
        """The caveats as an escaped bullet list, or a "no caveats" line."""
        locale = _loc(locale or self.locale)
        definitions = f'<p class="cs-notes cs-muted">{_escape(t("definitions", locale))}</p>'
        if not self.messages:
            return (f'<p class="cs-notes cs-muted">{_escape(t("no_caveats", locale))}</p>'
                    + definitions)
        items = "".join(f"<li>{_escape(self.text(m, locale))}</li>" for m in self.messages)
        return f'<ul class="cs-notes">{items}</ul>' + definitions

    def text(self, message: str, locale: str | None = None) -> str:
        """A caveat in ``locale``: a keyed kit warning is translated from the catalogue
        (its numbers and dates formatted for the locale); any other message is shown as
        raised."""
        locale = _loc(locale or self.locale)
        warning = self._keyed.get(message)
        if warning is None:
            return message
        return _keyed_text(warning.key, warning.fields, locale)

    def show(self, locale: str | None = None) -> None:
        """Display :meth:`html`."""
        from IPython.display import HTML

        _display(HTML(self.html(locale)))


def _field_text(value, locale: str) -> str:
    from .exceptions import Keyed

    if isinstance(value, Keyed):
        return _keyed_text(value.key, value.fields, locale)
    if isinstance(value, list | tuple) and value and all(isinstance(v, Keyed) for v in value):
        return t("warn.and", locale).join(_field_text(v, locale) for v in value)
    if isinstance(value, bool | np.bool_):
        return t("yes" if value else "no", locale)
    if isinstance(value, int | np.integer):
        return fmt_number(value, locale)
    if isinstance(value, float | np.floating):
        return fmt_number(value, locale, 0 if float(value).is_integer() else 2)
    if isinstance(value, pd.Timestamp):
        return fmt_date(value, locale)
    if isinstance(value, pd.Period):
        return fmt_month_short(str(value), locale)
    return str(value)


def _keyed_text(key: str, fields: Mapping, locale: str) -> str:
    return t(key, locale, **{k: _field_text(v, locale) for k, v in fields.items()})


def capture_warnings(locale: str | None = None) -> WarningNotes:
    """A reusable ``with`` block that collects statistical caveats for the report.

    Examples
    --------
    >>> import warnings
    >>> notes = capture_warnings()
    >>> with notes:
    ...     warnings.warn("only 12 answers in SMB", RuntimeWarning)
    >>> notes.messages
    ['only 12 answers in SMB']
    """
    return WarningNotes(locale)


# --- journey (issue 17) ----------------------------------------------------------------------


def journey_headlines(median: pd.DataFrame | None, shares: pd.DataFrame | None, *,
                      locale: str | None = None, month=None) -> list[dict]:
    """Median time to value and the share reaching value within 90 days, for the overview.

    ``median`` is :func:`cslib.onboarding.median_time_to_value` (one group),
    ``shares`` :func:`cslib.onboarding.share_reaching_value` (its 90-day row
    is used). Each headline names its period: accounts signed up to ``month``.

    Examples
    --------
    >>> med = pd.DataFrame({"group": ["all"], "n": [10], "reached": [6], "median": [48.0]})
    >>> sh = pd.DataFrame({"within": [90], "share": [0.71], "ci_low": [0.6], "ci_high": [0.8]})
    >>> [h["text"] for h in journey_headlines(med, sh, locale="en", month="2026-10")]
    ['48 d', '71.0%']
    """
    locale = _loc(locale)
    label = fmt_month_short(month, locale) if month is not None else ""
    out = []
    if median is not None and len(median):
        value = float(median["median"].iloc[0])
        out.append(_headline(t("journey.ttv_median", locale, month=label), value,
                             f"{fmt_number(value, locale)} d" if not math.isnan(value) else None,
                             id="ttv_median", kind="days",
                             period=None if month is None else str(month)))
    if shares is not None and len(shares):
        row = shares.loc[shares["within"] == 90]
        if len(row):
            value = float(row["share"].iloc[0])
            n = row["n"].iloc[0] if "n" in row else None
            out.append(_headline(t("journey.ttv_share90", locale, month=label), value,
                                 fmt_pct(value, locale), id="ttv_share90", kind="rate",
                                 n=None if n is None or _missing(n) else int(n),
                                 ci_low=_get(row.iloc[0], "ci_low", None),
                                 ci_high=_get(row.iloc[0], "ci_high", None),
                                 period=None if month is None else str(month)))
    return out


def time_to_value_sentence(median: pd.DataFrame, shares: pd.DataFrame, *,
                           locale: str | None = None) -> str:
    """Time to value in plain words: the median and the share within 90 days.

    Examples
    --------
    >>> med = pd.DataFrame({"group": ["all"], "median": [48.0]})
    >>> sh = pd.DataFrame({"within": [90], "share": [0.71], "ci_low": [0.6], "ci_high": [0.8]})
    >>> time_to_value_sentence(med, sh, locale="en")[:60]
    'Half the accounts reach value within 48 days; 71.0% reach it'
    """
    locale = _loc(locale)
    value = float(median["median"].iloc[0]) if len(median) else float("nan")
    row = shares.loc[shares["within"] == 90]
    if math.isnan(value) or not len(row):
        return t("journey.ttv_none", locale)
    return t("journey.ttv_sentence", locale, median=fmt_number(value, locale),
             share=fmt_pct(row["share"].iloc[0], locale),
             low=fmt_pct(row["ci_low"].iloc[0], locale),
             high=fmt_pct(row["ci_high"].iloc[0], locale))


def journey_hazard_sentence(cox, term: str, *, landmark: int = 3,
                            locale: str | None = None) -> str | None:
    """One Cox hazard ratio of the journey in plain words (``term``: slow or hurried).

    ``cox`` is :func:`cslib.retention.hazard_model` with ``value_by_landmark``
    or ``hurried`` among its covariates; for ``slow`` the ratio is inverted
    (accounts without value against those with it). None when the term is not
    in the model.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> cox = SimpleNamespace(summary=pd.DataFrame({"hazard_ratio": [2.0], "ci_low": [1.5],
    ...     "ci_high": [2.5]}, index=["hurried"]))
    >>> journey_hazard_sentence(cox, "hurried", locale="en")[:70]
    'Among accounts still paying at 3 months, accounts sold in under 30 day'
    """
    locale = _loc(locale)
    column = {"slow": "value_by_landmark", "hurried": "hurried"}[term]
    if cox is None or column not in cox.summary.index:
        return None
    row = cox.summary.loc[column]
    ratio, low, high = row["hazard_ratio"], row["ci_low"], row["ci_high"]
    if term == "slow":
        ratio, low, high = 1 / ratio, 1 / high, 1 / low
    return t("journey.hazard", locale, landmark=landmark,
             term=t(f"journey.term.{term}", locale), ratio=fmt_ratio(ratio, locale),
             low=fmt_ratio(low, locale), high=fmt_ratio(high, locale))



# --- the review's backtest in a sentence (issue 16) ---------------------------------------

def backtest_sentence(monthly: pd.DataFrame, month, *, horizon: int = 3, segment: str = "all",
                      class_: int = 4, outcome: str = "churned",
                      locale: str | None = None) -> str:
    """One review month of :func:`cslib.review.backtest` in a sentence.

    Parameters
    ----------
    monthly : DataFrame
        ``Backtest.monthly``.
    month : str or Period
        The review month.
    horizon, segment, class_, outcome
        Which row: months ahead, segment ("all"), review class (4, churn risk) and
        outcome ("churned").
    locale : str, optional

    Examples
    --------
    >>> import pandas as pd
    >>> row = pd.DataFrame({"month": [pd.Period("2026-07", "M")], "horizon": [3],
    ...     "segment": ["all"], "class": [4], "outcome": ["churned"], "accounts": [100],
    ...     "events": [11], "rate": [0.11], "others_rate": [0.02], "ratio": [5.5]})
    >>> backtest_sentence(row, "2026-07")
    'Of the accounts classed as churn risk in July 2026, 11% churned by October 2026, against 2% of the others: 5.5 times the rate.'
    """
    from .review import LABELS, LABELS_PT

    locale = _loc(locale)
    period = pd.Period(month, freq="M")
    rows = monthly[(monthly["month"] == period) & (monthly["horizon"] == horizon)
                   & (monthly["segment"] == segment) & (monthly["class"] == class_)
                   & (monthly["outcome"] == outcome)]
    if rows.empty:
        raise ParamsError(f"backtest_sentence: no backtest row for {period}, horizon "
                          f"{horizon}, segment {segment!r}; pass a month and horizon of "
                          "Backtest.monthly.")
    row = rows.iloc[0]
    label = (LABELS_PT if locale == "pt-BR" else LABELS)[class_]
    label = label[0].lower() + label[1:]
    words = {"month": _month_words(str(period), locale), "label": label}
    if not row["accounts"]:
        return t("health.backtest_empty", locale, **words)

    def pct(x):
        whole = abs(100 * x - round(100 * x)) < 1e-9
        return fmt_pct(x, locale, digits=0 if whole or x >= 0.095 else 1)

    ratio = row["ratio"]
    return t(
        "health.backtest", locale, **words, rate=pct(row["rate"]),
        verb=t(f"health.verb.{outcome}", locale),
        until=_month_words(str(period + horizon), locale), others=pct(row["others_rate"]),
        ratio=fmt_number(ratio, locale, digits=1) if np.isfinite(ratio) else "∞")


def _months_words(months, locale: str) -> str:
    first, last = str(months[0]), str(months[-1])
    if first == last:
        return _month_words(first, locale)
    return t("range", locale, low=_month_words(first, locale), high=_month_words(last, locale))


def health_headlines(review, *, locale: str | None = None, horizon: int = 3) -> list[dict]:
    """The score's out-of-time AUC and the churn-risk class's lift, for the overview.

    ``review`` is a :class:`cslib.health.HealthReview`.
    """
    locale = _loc(locale)
    out = []
    if review.out_of_time is not None:
        m = review.out_of_time.metrics.iloc[0]
        test = _months_words(review.out_of_time.test_months, locale)
        out.append({"name": t("health.headline.auc", locale, test=test), "value": float(m["auc"]),
                    "id": "health_auc", "kind": "backtest",
                    "ci_low": float(m["auc_low"]), "ci_high": float(m["auc_high"]),
                    "text": f"{fmt_number(m['auc'], locale, digits=2)} "
                            f"({fmt_ci(m['auc_low'], m['auc_high'], locale, digits=2)})"})
    if review.backtest is not None:
        rows = review.backtest_table(horizon=horizon)
        risk = rows[rows["class"] == 4]
        lift = float(risk["lift"].iloc[0]) if len(risk) else float("nan")
        months = _months_words(review.backtest.months, locale)
        out.append({"name": t("health.headline.lift", locale, horizon=horizon, months=months),
                    "value": lift, "id": "health_lift", "kind": "backtest",
                    "text": (fmt_number(lift, locale, digits=1) if np.isfinite(lift)
                             else t("n/a", locale))})
    return out


def health_summary(review, *, locale: str | None = None, horizon: int = 3) -> str:
    """The health review in a few sentences (Markdown): backtest, score, loops, FCR."""
    locale = _loc(locale)
    bt = review.backtest
    parts = []
    if bt is not None:
        monthly = bt.monthly
        with_future = [m for m in bt.months
                       if ((monthly["month"] == m) & (monthly["horizon"] == horizon)).any()]
        if with_future:
            parts.append(backtest_sentence(monthly, with_future[-1], horizon=horizon,
                                           locale=locale))
    oot = review.out_of_time
    m = oot.metrics.iloc[0] if oot is not None else None
    if m is not None:
        parts.append(t(
            "health.score", locale, train=_months_words(oot.train_months, locale),
            test=_months_words(oot.test_months, locale),
            auc=fmt_number(m["auc"], locale, digits=2),
            ci=fmt_ci(m["auc_low"], m["auc_high"], locale, digits=2),
            slope=fmt_number(m["calibration_slope"], locale, digits=2),
            intercept=fmt_number(m["calibration_intercept"], locale, digits=2),
            brier=fmt_number(m["brier"], locale, digits=3),
            lift=fmt_number(m["top_decile_lift"], locale, digits=1),
            base=fmt_pct(m["base_rate"], locale)))
    for name, why in review.missing.items():
        key = f"health.part.{name}"
        parts.append(t("health.missing", locale, why=why,
                       name=t(key, locale) if key in _TEXT else name))
    loop = review.loop.set_index("outcome") if len(review.loop) else None
    if loop is not None and "next_detractor" in loop.index:
        row = loop.loc["next_detractor"]
        association = row["wording"] == "association"
        parts.append(t(
            "health.loop", locale,
            word=t("health.loop.association" if association else "health.loop.causes", locale),
            points=fmt_number(100 * row["estimate"], locale, digits=0),
            ci=fmt_ci(100 * row["low"], 100 * row["high"], locale, digits=0),
            how=t("health.loop.how_association" if association else "health.loop.how_holdout",
                  locale)))
    if review.tuned:
        from .health import tuned_sentence

        parts.append(tuned_sentence(review.tuned, locale=locale))
    return " ".join(parts)
