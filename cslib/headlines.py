"""Headline numbers a notebook hands to the batch's overview page.

A notebook calls :func:`record_headline` for each number leadership should
see on ``reports/<month>/index.html``. The batch sets ``$CSLIB_HEADLINES_PATH``
for every run; outside the batch (JupyterLab) the call does nothing.

This module is deliberately light (standard library only) so notebooks can
import it cheaply.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["ENV_VAR", "record_headline", "record_headlines", "read_headlines"]

#: Environment variable naming the JSON file headlines are written to.
ENV_VAR = "CSLIB_HEADLINES_PATH"


def _plain(value: Any) -> Any:
    """A JSON-safe version of a scalar (numpy/pandas scalars, dates, NaN)."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "item") and not isinstance(value, list | dict):
        try:
            value = value.item()
        except (ValueError, TypeError, AttributeError):
            pass
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, int):
        return value
    if isinstance(value, _dt.datetime | _dt.date):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    try:
        if value != value:  # pandas NA / NaT
            return None
    except (TypeError, ValueError):
        return None
    return str(value)


def read_headlines(path: str | os.PathLike) -> list[dict[str, Any]]:
    """The headlines in a file, as a list of ``{"name", "value", "text"}`` (empty if none)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return []
    return [h for h in data if isinstance(h, dict) and "name" in h] if isinstance(data, list) else []


#: Optional fields of a headline, for the overview's change from the previous month
#: (:mod:`cslib.changes`): a stable ``id`` across months, the ``kind`` of figure
#: ("rate", "nps", "ratio", "count"), its sample ``n``, interval and standard error;
#: ``previous`` (the previous month's figure) and ``trend`` (its values over 12 months,
#: each as that month knew it: :func:`cslib.trend.with_history`).
EXTRA_FIELDS = ("id", "kind", "n", "se", "ci_low", "ci_high", "period", "previous", "trend")


def record_headline(name: str, value: Any, *, text: str | None = None, **extra: Any) -> None:
    """Record one headline number for the batch's overview page.

    Parameters
    ----------
    name : str
        What the number is ("NPS", "Net revenue churn"). Recording the same
        name again replaces the earlier value.
    value : scalar
        The number (numpy/pandas scalars are fine; NaN is stored as null).
    text : str, optional
        How to show it ("+32 (95% CI 25 to 39)", "6.4%"); defaults to the value.

    Examples
    --------
    >>> from cslib.headlines import record_headline
    >>> record_headline("NPS", 32.5, text="+32.5")  # no-op outside the batch
    """
    target = os.environ.get(ENV_VAR)
    if not target:
        return
    path = Path(target)
    entry = {"name": str(name), "value": _plain(value), "text": None if text is None else str(text)}
    unknown = sorted(set(extra) - set(EXTRA_FIELDS))
    if unknown:
        raise TypeError(f"record_headline: unknown field(s) {unknown}; use {list(EXTRA_FIELDS)}.")
    entry.update({k: _plain(v) for k, v in extra.items() if v is not None})
    entries = read_headlines(path)
    names = [h.get("name") for h in entries]
    if entry["name"] in names:
        entries[names.index(entry["name"])] = entry
    else:
        entries.append(entry)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(entries, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def record_headlines(headlines: Iterable[Mapping[str, Any]]) -> None:
    """Record several headlines, each a ``{"name", "value", "text"}`` mapping.

    The ``*_headlines`` functions of :mod:`cslib.report` build such lists from
    metric results, so a notebook records its numbers in one call.

    Examples
    --------
    >>> record_headlines([{"name": "NRR", "value": 0.936, "text": "93.6%"}])  # no-op here
    """
    for h in headlines:
        extra = {k: v for k, v in h.items() if k in EXTRA_FIELDS}
        record_headline(h["name"], h.get("value"), text=h.get("text"), **extra)
