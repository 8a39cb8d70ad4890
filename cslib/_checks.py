"""Argument checks shared by the metric modules (private)."""

from __future__ import annotations

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
