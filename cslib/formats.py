"""Numbers, money and dates as a report's locale writes them: the kit's one formatting layer.

Modelled on great_tables' ``_formats.py`` / ``_locale.py``: every output (report
sentences and tables in :mod:`cslib.report`, the month's overview and digest in
:mod:`cslib.pages`) formats through these functions, on Babel's CLDR data.

Babel is imported on first use (about 50 ms once per process, measured with
``python -X importtime``), so importing this module stays cheap for the batch.

Money keeps its symbol with its number: the space after ``R$`` is a no-break
space (U+00A0), so a line never ends with a lone ``R$``.

Examples
--------
>>> format_number(1234.5, "pt-BR", 1), format_percent(0.123, "pt-BR")
('1.234,5', '12,3%')
>>> format_money(1234.56, "pt-BR") == "R$\\u00a01.234,56"
True
>>> format_date("2026-10-31", "pt-BR"), format_month("2026-10", "pt-BR")
('31/10/2026', 'out/2026')
>>> format_quarter("2026Q4", "pt-BR"), format_quarter("2026Q4", "en")
('4º tri 2026', 'Q4 2026')
"""

from __future__ import annotations

import datetime as _dt
import math
import re

__all__ = ["BABEL_LOCALES", "CURRENCIES", "NBSP", "format_number", "format_percent",
           "format_money", "format_money_short", "format_date", "format_date_long",
           "format_month", "format_month_long", "format_quarter"]

#: The kit's locales as Babel names them, and their currencies.
BABEL_LOCALES = {"en": "en_US", "pt-BR": "pt_BR"}
CURRENCIES = {"en": "USD", "pt-BR": "BRL"}
#: The no-break space between a currency symbol and its amount.
NBSP = "\u00a0"


def _babel(locale: str) -> str:
    try:
        return BABEL_LOCALES[locale]
    except KeyError:
        raise ValueError(f"locale={locale!r} is not one of {list(BABEL_LOCALES)}; "
                         "spell it 'en' or 'pt-BR'.") from None


def _pattern(digits: int) -> str:
    return "#,##0" + ("." + "0" * digits if digits > 0 else "")


def format_number(x: float, locale: str, digits: int = 0) -> str:
    """``x`` with ``digits`` decimals and the locale's separators; never ``-0``."""
    from babel.numbers import format_decimal

    x = float(x)
    if round(x, digits) == 0:
        x = 0.0
    return format_decimal(x, _pattern(digits), locale=_babel(locale))


def format_percent(x: float, locale: str, digits: int = 1) -> str:
    """A fraction as a percentage: ``0.123`` -> ``"12.3%"`` / ``"12,3%"``."""
    from babel.numbers import format_percent as _format_percent

    x = float(x)
    if round(100 * x, digits) == 0:
        x = 0.0
    return _format_percent(x, _pattern(digits) + "%", locale=_babel(locale))


def format_money(x: float, locale: str, digits: int = 2) -> str:
    """An amount in the locale's currency: ``$1,234.56`` / ``R$\u00a01.234,56``."""
    from babel.numbers import format_currency

    x = float(x)
    if round(x, digits) == 0:
        x = 0.0
    pattern = ("¤ " if locale == "pt-BR" else "¤") + _pattern(digits)
    text = format_currency(x, CURRENCIES[locale], pattern, locale=_babel(locale),
                           currency_digits=False)
    return re.sub(r"[ \u202f\u00a0]", NBSP, text)


def format_money_short(x: float, locale: str, *, symbol: bool = True) -> str:
    """A compact amount: ``$821.2K`` / ``R$ 821,2 mil`` (no-break spaces).

    Under a thousand (which Babel's compact format does not round) at most
    one decimal, as above it.

    Examples
    --------
    >>> format_money_short(732.9499999999989, "pt-BR", symbol=False)
    '732,9'
    >>> format_money_short(1732.9, "en", symbol=False)
    '1.7K'
    >>> format_money_short(-732.94, "en"), format_money_short(732.94, "pt-BR")
    ('-$732.9', 'R$\xa0732,9')
    """
    from babel.numbers import format_compact_currency, format_compact_decimal, format_decimal

    if 999.95 <= abs(float(x)) < 1000:  # rounds up to the compact form's thousand
        x = 1000.0 if float(x) > 0 else -1000.0
    if abs(float(x)) < 999.95:
        text = format_decimal(round(float(x), 1), format="#,##0.#", locale=_babel(locale))
        if not symbol:
            return text
        sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
        sign_symbol = format_compact_currency(1, CURRENCIES[locale], locale=_babel(locale))
        return sign + re.sub(r"[ \u202f\u00a0]", NBSP, sign_symbol[:-1]) + digits
    if symbol:
        text = format_compact_currency(float(x), CURRENCIES[locale], locale=_babel(locale),
                                       fraction_digits=1)
    else:
        text = format_compact_decimal(float(x), locale=_babel(locale), fraction_digits=1)
    return re.sub(r"[ \u202f\u00a0]", NBSP, text)


def _day(value) -> _dt.date:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if hasattr(value, "date") and callable(value.date):  # pandas.Timestamp
        return value.date()
    return _dt.date.fromisoformat(str(value)[:10])


def format_date(value, locale: str) -> str:
    """A day: ``31 Oct 2026`` / ``31/10/2026``."""
    from babel.dates import format_date as _format_date

    pattern = "dd/MM/y" if locale == "pt-BR" else "d MMM y"
    return _format_date(_day(value), pattern, locale=_babel(locale))


def format_date_long(value, locale: str) -> str:
    """A day in words: ``31 October 2026`` / ``31 de outubro de 2026``."""
    from babel.dates import format_date as _format_date

    pattern = "d 'de' MMMM 'de' y" if locale == "pt-BR" else "d MMMM y"
    return _format_date(_day(value), pattern, locale=_babel(locale))


def _first_of_month(month) -> _dt.date:
    text = str(month)
    m = re.match(r"^(\d{4})-(\d{2})", text)
    if not m:
        raise ValueError(f"month={month!r} is not a month; pass 'YYYY-MM'.")
    return _dt.date(int(m.group(1)), int(m.group(2)), 1)


def format_month(month, locale: str) -> str:
    """A month, short: ``Oct 2026`` / ``out/2026``."""
    from babel.dates import format_date as _format_date

    day = _first_of_month(month)
    if locale == "pt-BR":
        return _format_date(day, "MMM", locale=_babel(locale)).rstrip(".") + f"/{day.year}"
    return _format_date(day, "MMM y", locale=_babel(locale))


def format_month_long(month, locale: str) -> str:
    """A month in words: ``October 2026`` / ``outubro de 2026``."""
    from babel.dates import format_date as _format_date

    pattern = "MMMM 'de' y" if locale == "pt-BR" else "MMMM y"
    return _format_date(_first_of_month(month), pattern, locale=_babel(locale))


def format_quarter(quarter, locale: str) -> str:
    """A quarter (``2026Q4``, a pandas Period): ``Q4 2026`` / ``4º tri 2026``."""
    m = re.match(r"^(\d{4})\s*-?Q([1-4])$", str(quarter).strip(), re.I)
    if not m:
        return str(quarter)
    year, q = m.group(1), m.group(2)
    return f"{q}º tri {year}" if locale == "pt-BR" else f"Q{q} {year}"


def is_missing(x) -> bool:
    """None or NaN."""
    try:
        return x is None or (isinstance(x, float) and math.isnan(x))
    except TypeError:
        return False
