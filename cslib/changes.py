"""The change of a headline from the previous month, and whether it is within noise.

The overview (:func:`cslib.pages.render_index`) shows each headline's change
from the previous month with an arrow and its size, and marks it "within
noise" when the change's 95% interval contains 0:

- rates (logo churn, FCR, loops closed in SLA): the difference of two
  binomial proportions, Wald interval with unpooled variances
  (:func:`rate_change`);
- NPS: the difference of two independent NPS, each with its standard error
  (:func:`nps_change`; :func:`nps_se` from the answer mix);
- GRR and NRR: a bootstrap over accounts gives each month's standard error
  (:func:`bootstrap_ratio_se`), the change uses them as for NPS
  (:func:`se_change`);
- counts (churn-risk accounts) have no sampling interval: the change is shown
  without a noise mark.

Standard library only (plus numpy for the bootstrap), so the batch can use it
without pandas.

Examples
--------
>>> c = rate_change(0.30, 100, 0.20, 100)
>>> round(c["delta"], 2), round(c["ci_low"], 4), round(c["ci_high"], 4), c["within_noise"]
(0.1, -0.0192, 0.2192, True)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["Z95", "rate_change", "nps_se", "nps_change", "se_change", "bootstrap_ratio_se",
           "headline_change", "headline_id"]

#: The normal quantile of a two-sided 95% interval.
Z95 = 1.959963984540054


def _result(delta: float, se: float | None, kind: str) -> dict[str, Any]:
    if se is None or not math.isfinite(se):
        return {"delta": delta, "se": None, "ci_low": None, "ci_high": None,
                "within_noise": None, "kind": kind}
    low, high = delta - Z95 * se, delta + Z95 * se
    return {"delta": delta, "se": se, "ci_low": low, "ci_high": high,
            "within_noise": bool(low <= 0 <= high), "kind": kind}


def rate_change(p1: float, n1: int, p0: float, n0: int) -> dict[str, Any]:
    """This month's rate ``p1`` (of ``n1``) against last month's ``p0`` (of ``n0``).

    The difference ``p1 - p0`` with a 95% Wald interval, standard error
    ``sqrt(p1 (1 - p1) / n1 + p0 (1 - p0) / n0)``.

    Returns
    -------
    dict
        ``delta``, ``se``, ``ci_low``, ``ci_high``, ``within_noise`` (None
        when either sample is empty), ``kind`` ("rate").

    Raises
    ------
    ValueError
        A rate outside 0-1 or a negative sample size.

    Examples
    --------
    >>> c = rate_change(0.05, 400, 0.02, 400)
    >>> round(c["se"], 5), c["within_noise"]
    (0.01295, False)
    """
    for name, p, n in (("p1", p1, n1), ("p0", p0, n0)):
        if not 0 <= p <= 1:
            raise ValueError(f"rate_change: {name}={p!r} is not a rate in 0-1; pass a "
                             "fraction (0.05 for 5%).")
        if n < 0:
            raise ValueError(f"rate_change: the sample size of {name} is {n!r}; it must be "
                             ">= 0.")
    if n1 == 0 or n0 == 0:
        return _result(p1 - p0, None, "rate")
    return _result(p1 - p0, math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0), "rate")


def nps_se(promoters: int, detractors: int, n: int) -> float:
    """The standard error of an NPS on the -100..100 scale.

    ``100 * sqrt((p + d - (p - d)^2) / n)`` for promoter share ``p`` and
    detractor share ``d`` (the variance of a +1/0/-1 score).

    Examples
    --------
    >>> round(nps_se(50, 20, 100), 4)  # p=.5, d=.2: sqrt((.7 - .09) / 100)
    7.8102
    """
    if n <= 0:
        raise ValueError(f"nps_se: n={n!r}; an NPS needs at least one answer.")
    p, d = promoters / n, detractors / n
    return 100 * math.sqrt((p + d - (p - d) ** 2) / n)


def se_change(v1: float, se1: float | None, v0: float, se0: float | None,
              kind: str = "ratio") -> dict[str, Any]:
    """``v1 - v0`` for two independent estimates with standard errors ``se1``, ``se0``.

    Examples
    --------
    >>> c = se_change(0.95, 0.01, 0.92, 0.01)
    >>> round(c["ci_low"], 4), c["within_noise"]
    (0.0023, False)
    """
    if se1 is None or se0 is None:
        return _result(v1 - v0, None, kind)
    return _result(v1 - v0, math.sqrt(se1 ** 2 + se0 ** 2), kind)


def nps_change(nps1: float, se1: float | None, nps0: float, se0: float | None
               ) -> dict[str, Any]:
    """The NPS difference test: ``nps1 - nps0`` (points) with its 95% interval.

    Examples
    --------
    >>> c = nps_change(40, 5, 30, 4)  # se sqrt(25 + 16) = 6.40, half-width 12.55
    >>> round(c["ci_low"], 2), round(c["ci_high"], 2), c["within_noise"]
    (-2.55, 22.55, True)
    """
    return se_change(nps1, se1, nps0, se0, kind="nps")


def bootstrap_ratio_se(start, end, *, reps: int = 1000, seed: int = 0) -> float | None:
    """The bootstrap standard error of ``sum(end) / sum(start)`` over accounts.

    For GRR and NRR: ``start`` is each account's MRR at the month's start,
    ``end`` what it kept (GRR) or pays (NRR) at its end, one entry per account
    paying at the start. Accounts are resampled with replacement ``reps``
    times (seeded: the same data give the same figure).

    Examples
    --------
    >>> bootstrap_ratio_se([100, 100, 100, 100], [100, 100, 100, 100]) == 0.0
    True
    """
    import numpy as np

    start, end = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
    if start.shape != end.shape:
        raise ValueError("bootstrap_ratio_se: `start` and `end` must have one value per "
                         f"account each (got {start.size} and {end.size}).")
    if start.size < 2 or start.sum() <= 0:
        return None
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, start.size, size=(reps, start.size))
    denominators = start[idx].sum(axis=1)
    ratios = end[idx].sum(axis=1)[denominators > 0] / denominators[denominators > 0]
    return float(np.std(ratios, ddof=1))


def _log_se(h: Mapping[str, Any]) -> float | None:
    """The standard error of a log odds ratio, from its 95% interval."""
    low, high = h.get("ci_low"), h.get("ci_high")
    if not isinstance(low, int | float) or not isinstance(high, int | float) or low <= 0:
        return None
    return (math.log(high) - math.log(low)) / (2 * Z95)


def headline_id(h: Mapping[str, Any]) -> str:
    """A headline's identity across months: its ``id``, else its name without the period."""
    if h.get("id"):
        return str(h["id"])
    name = str(h.get("name", ""))
    return name.rsplit(", ", 1)[0] if ", " in name else name


def headline_change(now: Mapping[str, Any], before: Mapping[str, Any] | None
                    ) -> dict[str, Any] | None:
    """The change of a manifest headline from the previous month's one.

    Uses the headlines' ``kind``: "rate" with ``n`` (:func:`rate_change`),
    "nps" or "ratio" with ``se`` (:func:`se_change`), anything else (counts)
    without an interval. None when either value is missing.

    Examples
    --------
    >>> c = headline_change({"kind": "rate", "value": 0.05, "n": 400},
    ...                     {"kind": "rate", "value": 0.02, "n": 400})
    >>> c["within_noise"]
    False
    >>> headline_change({"value": 12}, {"value": 9})["within_noise"] is None
    True
    """
    if before is None:
        return None
    v1, v0 = now.get("value"), before.get("value")
    if not isinstance(v1, int | float) or not isinstance(v0, int | float) \
            or isinstance(v1, bool) or isinstance(v0, bool):
        return None
    kind = now.get("kind")
    if kind == "rate" and isinstance(now.get("n"), int) and isinstance(before.get("n"), int) \
            and 0 <= v1 <= 1 and 0 <= v0 <= 1:
        return rate_change(float(v1), now["n"], float(v0), before["n"])
    if kind == "odds" and v1 > 0 and v0 > 0:
        se1, se0 = _log_se(now), _log_se(before)
        out = se_change(math.log(v1), se1, math.log(v0), se0, kind="odds")
        return {**out, "delta": float(v1) - float(v0), "se": None if out["se"] is None else
                out["se"] * float(v1), "ci_low": None, "ci_high": None}
    if kind in ("nps", "ratio"):
        return se_change(float(v1), now.get("se"), float(v0), before.get("se"), kind=kind)
    return _result(float(v1) - float(v0), None, kind or "count")
