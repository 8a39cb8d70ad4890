"""Argument checks shared by the metric modules (private)."""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Sequence

import pandas as pd

from .exceptions import SchemaError

RENAME_HINT = "Rename the columns or pass their names as keyword arguments."


def as_list(value) -> list:
    """``None`` -> ``[]``, a string -> ``[value]``, any other iterable -> a list."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def require_columns(data: pd.DataFrame, columns: Sequence[str], *, where: str,
                    hint: str = RENAME_HINT, error: type[Exception] = SchemaError) -> None:
    """Raise ``error`` naming every column of ``columns`` missing from ``data``.

    The message reads ``"{where} has no column(s) `a`, `b` (columns are: ...). {hint}"``.
    """
    missing = [c for c in dict.fromkeys(columns) if c not in data.columns]
    if missing:
        names = ", ".join(f"`{c}`" for c in missing)
        have = ", ".join(f"`{c}`" for c in data.columns)
        raise error(f"{where} has no column(s) {names} (columns are: {have}). {hint}")


def renamed_keywords(*moved: str, **renames: str):
    """Keep a function's old keyword names (and old positional slots) for one release.

    ``renames`` maps an old keyword to its new name: a call with the old one
    warns (``FutureWarning`` naming the new keyword) and goes on with the new one.
    ``moved`` names keyword-only arguments that used to be taken by position,
    after the function's positional parameters: such a call warns too.

    Examples
    --------
    >>> import warnings
    >>> @renamed_keywords("month", end="month")
    ... def f(data, *, month=None):
    ...     return month
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     f(None, end="2024-03"), f(None, "2024-04"), f(None, month="2024-05")
    ('2024-03', '2024-04', '2024-05')
    >>> [str(w.message).split(";")[0] for w in caught]
    ['`f(end=...)` is deprecated', '`f(data, <month>)` by position is deprecated']
    """
    def decorate(func):
        params = inspect.signature(func).parameters.values()
        n_positional = sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                           for p in params)
        name = func.__name__

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            if len(args) > n_positional and moved:
                extra, args = args[n_positional:], args[:n_positional]
                if len(extra) > len(moved):
                    raise TypeError(f"{name}() takes {n_positional} positional arguments "
                                    f"but {n_positional + len(extra)} were given")
                given = list(zip(moved, extra, strict=False))
                for key, _ in given:
                    if key in kwargs:
                        raise TypeError(f"{name}() got multiple values for `{key}`")
                slots = ", ".join(f"<{k}>" for k, _ in given)
                keys = ", ".join(f"{k}=..." for k, _ in given)
                warnings.warn(f"`{name}(data, {slots})` by position is deprecated; pass "
                              f"`{keys}` as keywords (positions stop working in the next "
                              "release).", FutureWarning, stacklevel=2)
                kwargs.update(given)
            for old, new in renames.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(f"{name}() got both `{old}=` (deprecated) and "
                                        f"`{new}=`; pass only `{new}=`.")
                    warnings.warn(f"`{name}({old}=...)` is deprecated; use `{new}=...` "
                                  f"(`{old}=` stops working in the next release).",
                                  FutureWarning, stacklevel=2)
                    kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        wrapper.__signature__ = inspect.signature(func)
        return wrapper

    return decorate


def not_fitted(obj, attribute: str):
    """The error for reading ``attribute`` of a model before ``fit``."""
    from .exceptions import NotFittedError

    cls = type(obj).__name__
    return NotFittedError(f"{cls}.{attribute} is not available yet: call "
                          f"`{cls}(...).fit(data)` first (or use the function that fits it).")


class FittedModel:
    """What every model of the kit shares once fitted: ``summary`` and ``table`` (the
    coefficient table ``summary_``, one row per term) and ``diagnostics``
    (``diagnostics_``), each raising "call fit first" before :meth:`fit`."""

    @property
    def summary(self) -> pd.DataFrame:
        """The coefficient table (:attr:`summary_`), one row per term."""
        if not hasattr(self, "summary_"):
            raise not_fitted(self, "summary")
        return self.summary_

    @property
    def table(self) -> pd.DataFrame:
        """Same as :attr:`summary`: the results as one tidy table, one row per term."""
        if not hasattr(self, "summary_"):
            raise not_fitted(self, "table")
        return self.summary_

    @property
    def diagnostics(self) -> dict:
        """Fit diagnostics (:attr:`diagnostics_`)."""
        if not hasattr(self, "diagnostics_"):
            raise not_fitted(self, "diagnostics")
        return self.diagnostics_
