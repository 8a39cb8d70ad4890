"""The sales funnel: conversion between stages, time in stage, stalled deals, sales cycle.

Inputs are the ``opportunities`` and ``opportunity_stages`` tables
(:mod:`cslib.schemas`) and the stage order of the params file (``stages``,
default :data:`cslib.params.DEFAULT_STAGES`). An opportunity *reached* a
stage when it entered it or any later stage (a history may skip stages), and
a won opportunity reached every stage and then "won".

- :func:`stage_conversion`: per step (a stage to the next, the last stage to
  "won"), how many of the opportunities that reached the stage and are
  decided there went on, with Wilson intervals. Opportunities still open in
  the stage are undecided and counted apart, not as losses.
- :func:`stage_durations` and :func:`time_in_stage`: days in each stage, with
  opportunities still in a stage censored at the report month's end
  (Kaplan-Meier median and 90th percentile).
- :func:`stalled_opportunities`: open opportunities in their stage longer than
  its 90th percentile (or a threshold in days).
- :func:`sales_cycle`: days from creation to close of the won opportunities.
- :func:`owner_load`: open opportunities per owner.

``month=`` applies the point-in-time rule (:func:`cslib.pointintime.known_at`):
an opportunity closed after the month is open, a stage entered after it is
not there.

Examples
--------
>>> import pandas as pd
>>> opps = pd.DataFrame({"opportunity_id": ["O1", "O2", "O3"],
...     "account_id": ["A1", None, None], "owner": ["Ana", "Ana", "Bia"],
...     "channel": ["inbound"] * 3,
...     "created_at": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-02-01"]),
...     "amount": [10.0, 5.0, 7.0], "outcome": ["won", "lost", "open"],
...     "closed_at": pd.to_datetime(["2026-03-01", "2026-02-01", None])})
>>> stages = pd.DataFrame({"opportunity_id": ["O1", "O1", "O2", "O3"],
...     "stage": ["lead", "demo", "lead", "lead"],
...     "entered_at": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-01-01", "2026-02-01"])})
>>> stage_conversion(opps, stages, order=["lead", "demo"], month="2026-10")[
...     ["from_stage", "to_stage", "reached", "open", "converted", "conversion"]]
  from_stage to_stage  reached  open  converted  conversion
0       lead     demo        3     1          1         0.5
1       demo      won        1     0          1         1.0
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .exceptions import ModelError
from .params import DEFAULT_STAGES

__all__ = ["stage_conversion", "stage_durations", "time_in_stage", "stalled_opportunities",
           "sales_cycle", "owner_load", "WON"]

#: The step after the last stage.
WON = "won"

_DAY = pd.Timedelta(days=1)


def _by(by) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def _need(frame: pd.DataFrame, columns, *, table: str, func: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ModelError(f"{func}: `{table}` lacks column(s) {missing}; it has "
                         f"{list(frame.columns)}. Pass the validated `{table}` table.")


def _cut(opportunities, stages, month):
    """The two tables as known at the end of ``month``, and the cut instant."""
    from .pointintime import cut_instant, known_at

    if month is None:
        dates = [opportunities["created_at"].max(), opportunities["closed_at"].max()]
        if stages is not None and len(stages):
            dates.append(stages["entered_at"].max())
        dates = [d for d in dates if pd.notna(d)]
        at = (max(dates) if dates else pd.Timestamp.now()).normalize() + _DAY
    else:
        at = cut_instant(month)
    tables = {"opportunities": opportunities}
    if stages is not None:
        tables["opportunity_stages"] = stages
    cut = known_at(tables, at=at)
    return cut["opportunities"], cut.get("opportunity_stages"), at


def _order(order, func) -> list[str]:
    order = list(order if order is not None else DEFAULT_STAGES)
    if len(order) < 1 or len(set(order)) != len(order):
        raise ModelError(f"{func}: order={order!r} must list distinct stage names in their "
                         "order (the params file's `stages`).")
    return order


def _furthest(opps: pd.DataFrame, stages: pd.DataFrame, order: list[str], func: str):
    """Per opportunity: index of the furthest stage reached (won: len(order))."""
    known = stages["stage"].isin(order)
    if (~known).any():
        bad = list(dict.fromkeys(stages.loc[~known, "stage"].astype(str)))[:5]
        warnings.warn(f"{func}: {int((~known).sum())} stage row(s) with a stage not in the "
                      f"order {order} (e.g. {bad}) are left out; add them to the params "
                      "file's `stages`.", RuntimeWarning, stacklevel=3)
    rank = stages.loc[known, "stage"].map({s: i for i, s in enumerate(order)})
    furthest = rank.groupby(stages.loc[known, "opportunity_id"]).max()
    idx = pd.Series(furthest.reindex(opps["opportunity_id"]).to_numpy(), index=opps.index)
    idx = idx.fillna(0).astype(int)  # no history: it is at least a lead
    return idx.where(opps["outcome"] != "won", len(order))


def stage_conversion(
    opportunities: pd.DataFrame,
    stages: pd.DataFrame,
    *,
    order: Sequence[str] | None = None,
    month=None,
    by: str | Sequence[str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Conversion from each stage to the next (and from the last stage to won).

    Parameters
    ----------
    opportunities, stages : pandas.DataFrame
        The validated ``opportunities`` and ``opportunity_stages`` tables.
        Not modified.
    order : list of str, optional
        The stages in order (default :data:`cslib.params.DEFAULT_STAGES`).
    month : str, optional
        Report month: the tables as known at its end. None: as they are.
    by : str or list of str, optional
        Columns of ``opportunities`` to group by (``owner``, ``channel``).
    confidence : float, default 0.95
        Level of the Wilson intervals.

    Returns
    -------
    pandas.DataFrame
        One row per group and step: ``from_stage``, ``to_stage``, ``reached``
        (opportunities that reached ``from_stage``), ``open`` (still open in
        it: undecided), ``decided`` (``reached - open``), ``converted``
        (reached ``to_stage``), ``conversion`` (``converted / decided``),
        ``ci_low``, ``ci_high``.

    Examples
    --------
    See the module docstring: of 3 leads, one is still open at lead, so 1
    converted of 2 decided is 50%.
    """
    from statsmodels.stats.proportion import proportion_confint

    func = "stage_conversion"
    _need(opportunities, ["opportunity_id", "outcome", "created_at", "closed_at",
                          *_by(by)], table="opportunities", func=func)
    _need(stages, ["opportunity_id", "stage", "entered_at"], table="opportunity_stages",
          func=func)
    order = _order(order, func)
    opps, hist, _ = _cut(opportunities, stages, month)
    furthest = _furthest(opps, hist, order, func)
    keys = _by(by)
    groups = opps.groupby(keys, observed=True, sort=True) if keys else [((), opps)]
    rows = []
    for key, part in groups:
        f = furthest.loc[part.index]
        is_open = part["outcome"].eq("open").to_numpy()
        for k, stage in enumerate(order):
            reached = int((f >= k).sum())
            still = int(((f == k).to_numpy() & is_open).sum())
            converted = int((f > k).sum())
            row = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
            row.update(from_stage=stage, to_stage=order[k + 1] if k + 1 < len(order) else WON,
                       reached=reached, open=still, decided=reached - still,
                       converted=converted)
            rows.append(row)
    out = pd.DataFrame(rows)
    decided = out["decided"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["conversion"] = np.where(decided > 0, out["converted"] / np.maximum(decided, 1),
                                     np.nan)
    low, high = proportion_confint(out["converted"], np.maximum(decided, 1),
                                   alpha=1 - confidence, method="wilson")
    out["ci_low"] = np.where(decided > 0, low, np.nan)
    out["ci_high"] = np.where(decided > 0, high, np.nan)
    return out


def stage_durations(
    opportunities: pd.DataFrame,
    stages: pd.DataFrame,
    *,
    order: Sequence[str] | None = None,
    month=None,
) -> pd.DataFrame:
    """One row per opportunity and stage entered: days in it, left or still there.

    An opportunity leaves a stage when it enters its next stage (by date) or
    closes; one still open in its latest stage is censored at the cut (the
    end of ``month``): ``left`` is 0 and ``days`` the days so far.

    Returns
    -------
    pandas.DataFrame
        ``opportunity_id``, ``owner``, ``channel``, ``stage``, ``entered_at``,
        ``left_at`` (NaT while there), ``days``, ``left`` (1/0), ``current``
        (True for an open opportunity's latest stage).

    Examples
    --------
    >>> opps = pd.DataFrame({"opportunity_id": ["O1"], "owner": ["Ana"],
    ...     "channel": ["inbound"], "created_at": pd.to_datetime(["2026-10-01"]),
    ...     "outcome": ["open"], "closed_at": pd.NaT})
    >>> st = pd.DataFrame({"opportunity_id": ["O1", "O1"], "stage": ["lead", "demo"],
    ...     "entered_at": pd.to_datetime(["2026-10-01", "2026-10-11"])})
    >>> stage_durations(opps, st, order=["lead", "demo"], month="2026-10")[
    ...     ["stage", "days", "left", "current"]]
      stage  days  left  current
    0  lead  10.0     1    False
    1  demo  21.0     0     True
    """
    func = "stage_durations"
    _need(opportunities, ["opportunity_id", "owner", "channel", "outcome", "created_at",
                          "closed_at"], table="opportunities", func=func)
    _need(stages, ["opportunity_id", "stage", "entered_at"], table="opportunity_stages",
          func=func)
    order = _order(order, func)
    opps, hist, at = _cut(opportunities, stages, month)
    hist = hist.loc[hist["stage"].isin(order)]
    info = opps.set_index("opportunity_id")[["owner", "channel", "outcome", "closed_at"]]
    rank = pd.Index(order).get_indexer(hist["stage"])  # every stage is in the order here
    hist = hist.assign(_rank=rank).sort_values(["opportunity_id", "entered_at", "_rank"],
                                               kind="stable")
    nxt = hist.groupby("opportunity_id")["entered_at"].shift(-1)
    joined = info.reindex(hist["opportunity_id"])
    closed = pd.Series(joined["closed_at"].to_numpy(), index=hist.index)
    left_at = nxt.fillna(closed)
    is_open = pd.Series(joined["outcome"].to_numpy() == "open", index=hist.index)
    current = nxt.isna() & is_open
    end = left_at.where(left_at.notna(), at)
    out = pd.DataFrame({
        "opportunity_id": hist["opportunity_id"].to_numpy(),
        "owner": joined["owner"].to_numpy(),
        "channel": joined["channel"].to_numpy(),
        "stage": hist["stage"].to_numpy(),
        "entered_at": hist["entered_at"].to_numpy(),
        "left_at": left_at.to_numpy(),
        "days": ((end - hist["entered_at"]) / _DAY).to_numpy(dtype=float),
        "left": left_at.notna().to_numpy().astype(np.int64),
        "current": current.to_numpy(dtype=bool),
    })
    return out.reset_index(drop=True)


def _km_quantile(days: np.ndarray, left: np.ndarray, q: float) -> float:
    """Smallest time by which a share ``q`` has left (Kaplan-Meier; NaN if never)."""
    if len(days) == 0:
        return float("nan")
    times = np.unique(days[left == 1])
    surv = 1.0
    for t in times:
        at_risk = (days >= t).sum()
        d = ((days == t) & (left == 1)).sum()
        surv *= 1 - d / at_risk
        if surv <= 1 - q + 1e-12:
            return float(t)
    return float("nan")


def time_in_stage(
    opportunities: pd.DataFrame,
    stages: pd.DataFrame,
    *,
    order: Sequence[str] | None = None,
    month=None,
    by: str | Sequence[str] | None = None,
    durations: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Median and 90th percentile of days in each stage, open ones censored (Kaplan-Meier).

    ``durations``: :func:`stage_durations` of the same arguments, when already
    computed (a report that also lists stalled opportunities computes it once).

    Returns
    -------
    pandas.DataFrame
        One row per group and stage, in stage order: ``n`` (entered it),
        ``left``, ``still_there`` (censored), ``median_days``, ``p90_days``
        (Kaplan-Meier: the first time at which half, 90%, have left; NaN
        when the curve never gets there).

    Examples
    --------
    Five opportunities entered ``lead``; four left after 2, 4, 6 and 8 days
    and one is still there after 3 days (censored). The product-limit
    estimate of staying: 4/5 after day 2, then 4/5 x 2/3 after day 4
    (0.533), then 0.267 after day 6: the median is 6 days, where a plain
    median of the four who left would say 5.

    >>> opps = pd.DataFrame({"opportunity_id": list("ABCDE"), "owner": "Ana",
    ...     "channel": "inbound", "created_at": pd.Timestamp("2026-10-01"),
    ...     "outcome": ["lost"] * 4 + ["open"],
    ...     "closed_at": pd.to_datetime(["2026-10-03", "2026-10-05", "2026-10-07",
    ...                                  "2026-10-09", None])})
    >>> st = pd.DataFrame({"opportunity_id": list("ABCDE"), "stage": "lead",
    ...     "entered_at": pd.to_datetime(["2026-10-01"] * 4 + ["2026-10-29"])})
    >>> time_in_stage(opps, st, order=["lead"], month="2026-10")
      stage  n  left  still_there  median_days  p90_days
    0  lead  5     4            1          6.0       8.0
    """
    order = _order(order, "time_in_stage")
    if durations is None:
        durations = stage_durations(opportunities, stages, order=order, month=month)
    return _stage_times(durations, opportunities, order, _by(by))


def _stage_times(durations: pd.DataFrame, opportunities: pd.DataFrame, order: list[str],
                 keys: list[str]) -> pd.DataFrame:
    """:func:`time_in_stage`'s table from :func:`stage_durations`' rows."""
    if keys:
        extra = opportunities.set_index("opportunity_id")[
            [k for k in keys if k not in durations.columns]]
        if len(extra.columns):
            durations = durations.join(extra, on="opportunity_id")
    rows = []
    groups = durations.groupby(keys, observed=True, sort=True) if keys else [((), durations)]
    for key, part in groups:
        for stage in order:
            s = part.loc[part["stage"] == stage]
            d, e = s["days"].to_numpy(float), s["left"].to_numpy(int)
            row = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
            row.update(stage=stage, n=len(s), left=int(e.sum()), still_there=int(len(s) - e.sum()),
                       median_days=_km_quantile(d, e, 0.5), p90_days=_km_quantile(d, e, 0.9))
            rows.append(row)
    return pd.DataFrame(rows)


def stalled_opportunities(
    opportunities: pd.DataFrame,
    stages: pd.DataFrame,
    *,
    order: Sequence[str] | None = None,
    month=None,
    threshold_days: float | None = None,
    durations: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Open opportunities in their current stage for longer than its p90 (or a threshold).

    The limit of a stage is its 90th percentile of days in stage
    (:func:`time_in_stage`, open ones censored); with ``threshold_days`` the
    limit is that number of days for every stage instead. A stage whose p90
    cannot be estimated (fewer than 10% ever left) stalls nothing unless a
    threshold is given. ``durations``: :func:`stage_durations` of the same
    arguments, when already computed.

    Returns
    -------
    pandas.DataFrame
        One row per stalled opportunity, longest first: ``opportunity_id``,
        ``owner``, ``channel``, ``stage``, ``entered_at``, ``days_in_stage``,
        ``limit_days``, ``rule`` (``"p90"`` or ``"threshold"``).

    Examples
    --------
    >>> opps = pd.DataFrame({"opportunity_id": ["O1", "O2"], "owner": ["Ana", "Bia"],
    ...     "channel": "inbound", "created_at": pd.Timestamp("2026-09-01"),
    ...     "outcome": "open", "closed_at": pd.NaT})
    >>> st = pd.DataFrame({"opportunity_id": ["O1", "O2"], "stage": "lead",
    ...     "entered_at": pd.to_datetime(["2026-09-01", "2026-10-21"])})
    >>> stalled_opportunities(opps, st, order=["lead"], month="2026-10",
    ...                       threshold_days=30)[["opportunity_id", "days_in_stage"]]
      opportunity_id  days_in_stage
    0             O1           61.0
    """
    order = _order(order, "stalled_opportunities")
    if durations is None:
        durations = stage_durations(opportunities, stages, order=order, month=month)
    if threshold_days is not None:
        limits = pd.Series(float(threshold_days), index=order)
        rule = "threshold"
    else:
        table = _stage_times(durations, opportunities, order, [])  # time_in_stage's table
        limits = table.set_index("stage")["p90_days"]
        rule = "p90"
    now = durations.loc[durations["current"]].copy()
    now["limit_days"] = now["stage"].map(limits).astype(float)
    stalled = now.loc[now["days"] > now["limit_days"]]
    out = pd.DataFrame({
        "opportunity_id": stalled["opportunity_id"], "owner": stalled["owner"],
        "channel": stalled["channel"], "stage": stalled["stage"],
        "entered_at": stalled["entered_at"], "days_in_stage": stalled["days"],
        "limit_days": stalled["limit_days"], "rule": rule,
    })
    return out.sort_values("days_in_stage", ascending=False, kind="stable").reset_index(
        drop=True)


def sales_cycle(
    opportunities: pd.DataFrame,
    *,
    month=None,
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Days from creation to close of the won opportunities, per group.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``won``, ``median_days``, ``p90_days``,
        ``mean_days``.

    Examples
    --------
    >>> opps = pd.DataFrame({"opportunity_id": ["O1", "O2", "O3"], "owner": "Ana",
    ...     "outcome": ["won", "won", "lost"],
    ...     "created_at": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-01-01"]),
    ...     "closed_at": pd.to_datetime(["2026-01-11", "2026-01-31", "2026-01-02"])})
    >>> sales_cycle(opps, month="2026-10")
       won  median_days  p90_days  mean_days
    0    2         20.0      28.0       20.0
    """
    func = "sales_cycle"
    _need(opportunities, ["opportunity_id", "outcome", "created_at", "closed_at", *_by(by)],
          table="opportunities", func=func)
    opps, _, _ = _cut(opportunities, None, month)
    won = opps.loc[opps["outcome"] == "won"].copy()
    won["days"] = (won["closed_at"] - won["created_at"]) / _DAY
    keys = _by(by)
    groups = won.groupby(keys, observed=True, sort=True) if keys else [((), won)]
    rows = []
    for key, part in groups:
        row = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        d = part["days"].to_numpy(float)
        row.update(won=len(d), median_days=float(np.median(d)) if len(d) else np.nan,
                   p90_days=float(np.quantile(d, 0.9)) if len(d) else np.nan,
                   mean_days=float(d.mean()) if len(d) else np.nan)
        rows.append(row)
    return pd.DataFrame(rows)


def owner_load(opportunities: pd.DataFrame, *, month=None) -> pd.DataFrame:
    """Open opportunities per owner: how many, their amount, the oldest one's age in days.

    Examples
    --------
    >>> opps = pd.DataFrame({"opportunity_id": ["O1", "O2", "O3"],
    ...     "owner": ["Ana", "Ana", "Bia"], "amount": [10.0, 5.0, 7.0],
    ...     "outcome": ["open", "open", "won"],
    ...     "created_at": pd.to_datetime(["2026-10-01", "2026-10-21", "2026-10-01"]),
    ...     "closed_at": pd.to_datetime([None, None, "2026-10-05"])})
    >>> owner_load(opps, month="2026-10")
      owner  open  open_amount  oldest_open_days
    0   Ana     2         15.0              31.0
    1   Bia     0          0.0               NaN
    """
    func = "owner_load"
    _need(opportunities, ["owner", "outcome", "created_at", "closed_at", "amount"],
          table="opportunities", func=func)
    opps, _, at = _cut(opportunities, None, month)
    is_open = opps["outcome"] == "open"
    age = ((at - opps["created_at"]) / _DAY).where(is_open)
    out = pd.DataFrame({"owner": opps["owner"], "open": is_open.astype(int),
                        "open_amount": opps["amount"].where(is_open, 0.0).fillna(0.0),
                        "age": age})
    g = out.groupby("owner", sort=True)
    return pd.DataFrame({"open": g["open"].sum(), "open_amount": g["open_amount"].sum(),
                         "oldest_open_days": g["age"].max()}).reset_index()
