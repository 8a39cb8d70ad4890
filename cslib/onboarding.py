"""Onboarding: time to value, read as a duration with censoring, and its link to churn.

- :func:`time_to_value`: one row per account, days from sign-up to the value
  milestone (the last of the params file's ``milestones``, default
  ``go-live``), or the days so far for accounts not there yet (censored at
  the report month's end).
- :func:`time_to_value_from_usage`: the same in months when no milestones
  exist: the first month the account used at least ``k`` key features.
- :func:`value_curves` and :func:`share_reaching_value`: Kaplan-Meier share
  of accounts that reached value after each day, and by 30, 60 and 90 days,
  with Greenwood log(-log) intervals, by segment, plan, channel or cohort.
- :func:`journey_lifetimes`: account lifetimes from a landmark (accounts still
  paying at 3 months, banded by whether they reached value by then), with
  their sales cycle and channel, for Kaplan-Meier and Cox
  (:mod:`cslib.retention`). Starting the clock at the landmark avoids
  immortal-time bias: an account that churned in its second month never had
  the chance to reach value, and must not count as "slow".

Examples
--------
>>> import pandas as pd
>>> accounts = pd.DataFrame({"account_id": ["A1", "A2", "A3"],
...     "segment": "SMB", "plan": "Pro",
...     "signup_date": pd.to_datetime(["2026-08-01", "2026-08-01", "2026-10-02"])})
>>> ms = pd.DataFrame({"account_id": ["A1", "A2"], "milestone": ["go-live", "kickoff"],
...     "reached_at": pd.to_datetime(["2026-08-21", "2026-08-05"])})
>>> time_to_value(accounts, ms, month="2026-10")[["account_id", "days", "reached"]]
  account_id  days  reached
0         A1  20.0        1
1         A2  92.0        0
2         A3  30.0        0
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm

from .adoption import KEY_FEATURES
from .exceptions import ModelError
from .params import DEFAULT_MILESTONES
from .retention import _km_table

__all__ = ["time_to_value", "time_to_value_from_usage", "value_curves",
           "share_reaching_value", "median_time_to_value", "journey_lifetimes",
           "account_sales_cycle"]

_DAY = pd.Timedelta(days=1)


def _by(by) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def _need(frame, columns, *, table, func):
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ModelError(f"{func}: `{table}` lacks column(s) {missing}; it has "
                         f"{list(frame.columns)}. Pass the validated `{table}` table.")


def account_sales_cycle(opportunities: pd.DataFrame) -> pd.DataFrame:
    """Per account, its won opportunity's owner, channel and sales cycle in days.

    An account with several won opportunities takes the first won.

    Examples
    --------
    >>> opps = pd.DataFrame({"opportunity_id": ["O1", "O2"], "account_id": ["A1", None],
    ...     "owner": ["Ana", "Bia"], "channel": ["inbound", "partner"],
    ...     "outcome": ["won", "lost"],
    ...     "created_at": pd.to_datetime(["2026-01-01", "2026-01-01"]),
    ...     "closed_at": pd.to_datetime(["2026-01-21", "2026-02-01"])})
    >>> account_sales_cycle(opps)
      account_id owner  channel  sales_cycle_days
    0         A1   Ana  inbound              20.0
    """
    won = opportunities.loc[(opportunities["outcome"] == "won")
                            & opportunities["account_id"].notna()]
    won = won.sort_values("closed_at", kind="stable").drop_duplicates("account_id")
    return pd.DataFrame({
        "account_id": won["account_id"].to_numpy(),
        "owner": won["owner"].to_numpy(),
        "channel": won["channel"].to_numpy(),
        "sales_cycle_days": ((won["closed_at"] - won["created_at"]) / _DAY).to_numpy(float),
    })


def time_to_value(
    accounts: pd.DataFrame,
    milestones: pd.DataFrame,
    *,
    month=None,
    value_milestone: str | None = None,
    opportunities: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Days from sign-up to value per account; accounts not there yet are censored.

    Parameters
    ----------
    accounts, milestones : pandas.DataFrame
        The validated ``accounts`` and ``onboarding_milestones`` tables.
    month : str, optional
        Report month: milestones after its end are unknown, accounts signed up
        after it do not exist, and the censored ones are counted to its end.
        None: to the latest date in the tables.
    value_milestone : str, optional
        The milestone that means value (default: the last of
        :data:`cslib.params.DEFAULT_MILESTONES`, ``go-live``).
    opportunities : pandas.DataFrame, optional
        Adds the won opportunity's ``owner``, ``channel`` and
        ``sales_cycle_days``.

    Returns
    -------
    pandas.DataFrame
        ``account_id``, ``segment``, ``plan``, ``cohort`` (sign-up month),
        ``signup_date``, ``reached_at``, ``days`` (to value, or so far),
        ``reached`` (1/0), and the opportunity columns when given.

    Examples
    --------
    In the module example, A2 reached only its kickoff: it is censored at 92
    days (1 August to the cut, 1 November), not counted as a failure.
    """
    func = "time_to_value"
    _need(accounts, ["account_id", "signup_date"], table="accounts", func=func)
    _need(milestones, ["account_id", "milestone", "reached_at"], table="onboarding_milestones",
          func=func)
    target = value_milestone or DEFAULT_MILESTONES[-1]
    if month is not None:
        from .pointintime import cut_instant, known_at

        at = cut_instant(month)
        cut = known_at({"accounts": accounts, "onboarding_milestones": milestones}, at=at)
        accounts, milestones = cut["accounts"], cut["onboarding_milestones"]
    else:
        dates = [accounts["signup_date"].max(), milestones["reached_at"].max()]
        at = max(d for d in dates if pd.notna(d)).normalize() + _DAY
    hit = milestones.loc[milestones["milestone"] == target]
    first = hit.groupby("account_id")["reached_at"].min()
    reached_at = pd.Series(first.reindex(accounts["account_id"]).to_numpy(),
                           index=accounts.index, dtype="datetime64[ns]")
    end = reached_at.fillna(at)
    out = pd.DataFrame({"account_id": accounts["account_id"].to_numpy()})
    for col in ("segment", "plan"):
        if col in accounts.columns:
            out[col] = accounts[col].to_numpy()
    signup = accounts["signup_date"]
    out["cohort"] = signup.dt.to_period("M").dt.to_timestamp().to_numpy()
    out["signup_date"] = signup.to_numpy()
    out["reached_at"] = reached_at.to_numpy()
    out["days"] = ((end - signup) / _DAY).clip(lower=0).to_numpy(float)
    out["reached"] = reached_at.notna().to_numpy().astype(np.int64)
    if opportunities is not None:
        cycle = account_sales_cycle(opportunities).set_index("account_id")
        out = out.join(cycle, on="account_id")
    return out


def time_to_value_from_usage(
    usage: pd.DataFrame,
    accounts: pd.DataFrame,
    *,
    month,
    k: int = 2,
    features: Sequence[str] = KEY_FEATURES,
) -> pd.DataFrame:
    """Months from the sign-up month to the first month using at least ``k`` key features.

    For data without onboarding milestones. Usage is monthly, so the time is
    in whole months: 0 when the account used ``k`` key features in its
    sign-up month. Accounts not there by ``month`` are censored at it.

    Returns
    -------
    pandas.DataFrame
        ``account_id``, ``segment``, ``plan``, ``cohort``, ``months``,
        ``reached`` (1/0).

    Examples
    --------
    >>> accounts = pd.DataFrame({"account_id": ["A1", "A2"], "segment": "SMB",
    ...     "plan": "Pro", "signup_date": pd.to_datetime(["2026-07-10", "2026-08-03"])})
    >>> usage = pd.DataFrame({"account_id": ["A1", "A1", "A2"],
    ...     "feature": ["dashboards", "reports", "dashboards"],
    ...     "month": pd.to_datetime(["2026-09-01", "2026-09-01", "2026-09-01"]),
    ...     "active_users": [2, 1, 4]})
    >>> time_to_value_from_usage(usage, accounts, month="2026-10",
    ...                          features=["dashboards", "reports"])[
    ...     ["account_id", "months", "reached"]]
      account_id  months  reached
    0         A1       2        1
    1         A2       2        0
    """
    func = "time_to_value_from_usage"
    if k < 1:
        raise ModelError(f"{func}: k={k!r} must be >= 1 (key features used that month).")
    _need(accounts, ["account_id", "signup_date"], table="accounts", func=func)
    _need(usage, ["account_id", "feature", "month"], table="usage", func=func)
    report = pd.Period(month, "M")
    accounts = accounts.loc[accounts["signup_date"].dt.to_period("M") <= report]
    count = "active_users" if "active_users" in usage.columns else "events"
    used = usage.loc[usage["feature"].isin(list(features)) & (usage[count].fillna(0) > 0)
                     & (usage["month"].dt.to_period("M") <= report)]
    per = used.groupby(["account_id", "month"])["feature"].nunique()
    hit = per[per >= k].reset_index().groupby("account_id")["month"].min()
    start = accounts["signup_date"].dt.to_period("M")
    first = pd.Series(hit.reindex(accounts["account_id"]).to_numpy(), index=accounts.index,
                      dtype="datetime64[ns]")
    reached = first.notna() & (first.dt.to_period("M") >= start)
    end = first.dt.to_period("M").where(reached, report)
    months = np.array([(e - s).n for e, s in zip(end, start, strict=True)], dtype=np.int64)
    out = pd.DataFrame({"account_id": accounts["account_id"].to_numpy()})
    for col in ("segment", "plan"):
        if col in accounts.columns:
            out[col] = accounts[col].to_numpy()
    out["cohort"] = start.dt.to_timestamp().to_numpy()
    out["months"] = months
    out["reached"] = reached.to_numpy().astype(np.int64)
    return out


def value_curves(
    ttv: pd.DataFrame,
    *,
    duration: str = "days",
    by: str | Sequence[str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Kaplan-Meier share of accounts that reached value by each time, per group.

    Returns
    -------
    pandas.DataFrame
        ``group``, ``time``, ``at_risk``, ``reached``, ``censored``,
        ``share_reached`` (1 - Kaplan-Meier "not yet"), ``ci_low``,
        ``ci_high`` (Greenwood, log(-log) scale of the "not yet" curve).

    Examples
    --------
    Four accounts: value at 10 and 30 days, two not there yet at 20 and 40
    days. After day 10, 1 of 4 reached: "not yet" is 3/4. The one censored
    at 20 leaves; at day 30, 1 of the 2 at risk reaches: "not yet" is
    3/4 x 1/2 = 0.375, so 0.625 reached (a plain 2 of 4 would say 0.5).

    >>> ttv = pd.DataFrame({"days": [10, 20, 30, 40], "reached": [1, 0, 1, 0]})
    >>> value_curves(ttv)[["time", "at_risk", "reached", "share_reached"]]
       time  at_risk  reached  share_reached
    0     0        4        0          0.000
    1    10        4        1          0.250
    2    20        3        0          0.250
    3    30        2        1          0.625
    4    40        1        0          0.625
    """
    z = norm.ppf(0.5 + confidence / 2)
    keys = _by(by)
    frame = ttv.dropna(subset=[duration, "reached", *keys])
    groups = frame.groupby(keys, observed=True, sort=True) if keys else [("all", frame)]
    parts = []
    for key, part in groups:
        if part.empty:
            continue
        t = _km_table(part[duration].to_numpy(float), part["reached"].to_numpy(float), z)
        label = " / ".join(map(str, key)) if isinstance(key, tuple) else key
        t.insert(0, "group", label)
        parts.append(t)
    if not parts:  # nobody to follow (a small segment, an early month): an empty curve
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in (
            ("group", "object"), ("time", "int64"), ("at_risk", "int64"),
            ("reached", "int64"), ("censored", "int64"), ("share_reached", "float64"),
            ("ci_low", "float64"), ("ci_high", "float64"))})
    table = pd.concat(parts, ignore_index=True)
    if np.array_equal(table["time"], np.floor(table["time"])):
        table["time"] = table["time"].astype(np.int64)
    return pd.DataFrame({
        "group": table["group"], "time": table["time"], "at_risk": table["at_risk"],
        "reached": table["events"], "censored": table["censored"],
        "share_reached": (1 - table["survival"]).round(12),
        "ci_low": 1 - table["ci_high"], "ci_high": 1 - table["ci_low"],
    })


def share_reaching_value(
    ttv: pd.DataFrame,
    *,
    within: Sequence[float] = (30, 60, 90),
    duration: str = "days",
    by: str | Sequence[str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Kaplan-Meier share of accounts that reached value within each horizon, per group.

    Returns
    -------
    pandas.DataFrame
        One row per group and horizon: ``within``, ``n``, ``reached``
        (reached by then, counted), ``share``, ``ci_low``, ``ci_high``. An
        horizon past the group's longest follow-up is NaN.

    Examples
    --------
    >>> ttv = pd.DataFrame({"days": [10, 20, 30, 40], "reached": [1, 0, 1, 0]})
    >>> share_reaching_value(ttv, within=[30])[["within", "n", "reached", "share"]]
       within  n  reached  share
    0      30  4        2  0.625
    """
    keys = _by(by)
    curves = value_curves(ttv, duration=duration, by=by, confidence=confidence)
    frame = ttv.dropna(subset=[duration, "reached", *keys])
    rows = []
    groups = frame.groupby(keys, observed=True, sort=True) if keys else [("all", frame)]
    for key, part in groups:
        label = " / ".join(map(str, key)) if isinstance(key, tuple) else key
        c = curves.loc[curves["group"] == label]
        longest = part[duration].max()
        for h in within:
            upto = c.loc[c["time"] <= h].iloc[-1]
            row = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True)) \
                if keys else {}
            known = h <= longest
            row.update(within=h, n=len(part),
                       reached=int(((part[duration] <= h) & (part["reached"] == 1)).sum()),
                       share=float(upto["share_reached"]) if known else np.nan,
                       ci_low=float(upto["ci_low"]) if known else np.nan,
                       ci_high=float(upto["ci_high"]) if known else np.nan)
            rows.append(row)
    return pd.DataFrame(rows)


def median_time_to_value(ttv: pd.DataFrame, *, duration: str = "days",
                         by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Kaplan-Meier median time to value per group (NaN while under half got there).

    Examples
    --------
    >>> ttv = pd.DataFrame({"days": [10, 20, 30, 40], "reached": [1, 0, 1, 0]})
    >>> median_time_to_value(ttv)
      group  n  reached  median
    0   all  4        2    30.0
    """
    curves = value_curves(ttv, duration=duration, by=by)
    rows = []
    for group, c in curves.groupby("group", sort=False):
        over = c.loc[c["share_reached"] >= 0.5 - 1e-12, "time"]
        rows.append({"group": group, "n": int(c["at_risk"].iloc[0]),
                     "reached": int(c["reached"].sum()),
                     "median": float(over.iloc[0]) if len(over) else np.nan})
    return pd.DataFrame(rows)


def journey_lifetimes(
    lifetimes: pd.DataFrame,
    ttv: pd.DataFrame,
    *,
    landmark_months: int = 3,
    hurry_days: float = 30,
) -> pd.DataFrame:
    """Lifetimes from a landmark, banded by value reached by then and by sales cycle.

    Parameters
    ----------
    lifetimes : pandas.DataFrame
        :func:`cslib.retention.account_lifetimes` (``duration_months``,
        ``churned``, ``start_observed``).
    ttv : pandas.DataFrame
        :func:`time_to_value`, with the opportunity columns (``channel``,
        ``sales_cycle_days``) when known.
    landmark_months : int, default 3
        The landmark: only accounts still paying after this many months enter
        (lifetimes seen from their start), and their clock starts there.
        ``value_by_landmark`` is 1 when value was reached within
        ``30 * landmark_months`` days of sign-up. 0: no landmark (for the
        sales cycle, known at sign-up).
    hurry_days : float, default 30
        A sales cycle shorter than this is "hurried" (``hurried`` 1).

    Returns
    -------
    pandas.DataFrame
        ``account_id``, ``segment``, ``plan``, ``duration_months`` (from the
        landmark), ``churned``, ``value_by_landmark``, ``value_band``,
        ``sales_cycle_days``, ``hurried``, ``cycle_band``, ``channel``.

    Examples
    --------
    >>> life = pd.DataFrame({"account_id": ["A1", "A2", "A3"], "segment": "SMB",
    ...     "plan": "Pro", "start_observed": True, "duration_months": [2, 8, 10],
    ...     "churned": [1, 1, 0]})
    >>> ttv = pd.DataFrame({"account_id": ["A1", "A2", "A3"], "days": [60, 120, 40],
    ...     "reached": [0, 1, 1], "sales_cycle_days": [10, 20, 45], "channel": "inbound"})
    >>> journey_lifetimes(life, ttv)[["account_id", "duration_months", "value_band",
    ...                               "cycle_band"]]
      account_id  duration_months      value_band    cycle_band
    0         A2                5  slow (> 90 d)   hurried (< 30 d)
    1         A3                7  value by 90 d  30 d or more

    A1 churned in its third month: it never reached the landmark, so it is
    not counted as a slow account that churned.
    """
    func = "journey_lifetimes"
    _need(lifetimes, ["account_id", "duration_months", "churned"], table="lifetimes",
          func=func)
    _need(ttv, ["account_id", "days", "reached"], table="time to value", func=func)
    life = lifetimes
    if "start_observed" in life.columns:
        life = life.loc[life["start_observed"].astype(bool)]
    at_risk = (life["duration_months"] > landmark_months) | (
        (life["duration_months"] == landmark_months) & (life["churned"] == 0))
    life = life.loc[at_risk] if landmark_months > 0 else life
    cols = [c for c in ("days", "reached", "sales_cycle_days", "channel", "owner")
            if c in ttv.columns]
    joined = life.join(ttv.drop_duplicates("account_id").set_index("account_id")[cols],
                       on="account_id")
    horizon = 30 * landmark_months
    value = ((joined["reached"] == 1) & (joined["days"] <= horizon)).astype(np.int64)
    out = pd.DataFrame({"account_id": joined["account_id"].to_numpy()})
    for col in ("segment", "plan"):
        if col in joined.columns:
            out[col] = joined[col].to_numpy()
    out["duration_months"] = (joined["duration_months"] - landmark_months).to_numpy()
    out["churned"] = joined["churned"].to_numpy()
    out["value_by_landmark"] = value.to_numpy()
    out["value_band"] = pd.Categorical(
        np.where(value.to_numpy() == 1, f"value by {horizon} d", f"slow (> {horizon} d)"),
        categories=[f"value by {horizon} d", f"slow (> {horizon} d)"])
    if "sales_cycle_days" in joined.columns:
        cycle = joined["sales_cycle_days"].to_numpy(float)
        out["sales_cycle_days"] = cycle
        hurried = np.where(np.isnan(cycle), np.nan, (cycle < hurry_days).astype(float))
        out["hurried"] = pd.array(hurried, dtype="Int64") if np.isnan(hurried).any() \
            else hurried.astype(np.int64)
        out["cycle_band"] = pd.Categorical(
            np.where(np.isnan(cycle), None, np.where(cycle < hurry_days,
                                                     f"hurried (< {hurry_days:g} d)",
                                                     f"{hurry_days:g} d or more")),
            categories=[f"{hurry_days:g} d or more", f"hurried (< {hurry_days:g} d)"])
    if "channel" in joined.columns:
        out["channel"] = joined["channel"].to_numpy()
    return out.reset_index(drop=True)
