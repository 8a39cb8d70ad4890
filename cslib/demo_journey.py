"""The demo's sales funnel and onboarding, with two planted effects on churn.

:func:`journey_tables` makes, for the demo accounts, the ``opportunities``
(one won per account, closed on its sign-up day, plus lost and open ones),
their ``opportunity_stages`` history and the accounts'
``onboarding_milestones``. It returns, per account, ``sales_cycle_days`` (its
won opportunity, creation to close) and ``time_to_value_days`` (sign-up to
``go-live``; NaN for accounts that never get there).

Planted effects
---------------
:func:`churn_log_odds` gives the terms added to an account's monthly churn
logit in month ``m`` of its life (``m = 0`` the sign-up month):

    logit p += log(PLANTED_HURRY_ODDS_RATIO) * hurried
             + log(PLANTED_SLOW_VALUE_ODDS_RATIO) * slow * (m >= 3)

- ``hurried``: the sales cycle is shorter than :data:`HURRY_DAYS` ``= 30``
  days; :data:`PLANTED_HURRY_ODDS_RATIO` ``= 1.8``, in every month.
- ``slow``: value (``go-live``) not reached within :data:`VALUE_DAYS` ``= 90``
  days of sign-up (never reached included);
  :data:`PLANTED_SLOW_VALUE_ODDS_RATIO` ``= 2.0``, from the fourth month of
  life on (``m >= 3``: after the 90-day landmark), so a landmark analysis
  (accounts still paying at 3 months, banded by value by 90 days) recovers
  it without immortal-time bias.

Examples
--------
>>> import pandas as pd
>>> acc = pd.DataFrame({"account_id": ["A1", "A2"], "segment": ["SMB", "Enterprise"],
...     "signup_date": pd.to_datetime(["2025-03-10", "2025-06-01"])})
>>> tables, per = journey_tables(acc, end="2026-10-31", seed=1)
>>> sorted(tables)
['onboarding_milestones', 'opportunities', 'opportunity_stages']
>>> per.columns.tolist()
['account_id', 'sales_cycle_days', 'time_to_value_days']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .params import DEFAULT_MILESTONES, DEFAULT_STAGES

__all__ = ["journey_tables", "churn_log_odds", "PLANTED_HURRY_ODDS_RATIO",
           "PLANTED_SLOW_VALUE_ODDS_RATIO", "HURRY_DAYS", "VALUE_DAYS", "LANDMARK_MONTHS"]

#: Odds ratio of monthly churn for accounts sold in a hurry (cycle < HURRY_DAYS).
PLANTED_HURRY_ODDS_RATIO = 1.8
#: Odds ratio of monthly churn, from month 3 of life, for accounts without value by day 90.
PLANTED_SLOW_VALUE_ODDS_RATIO = 2.0
HURRY_DAYS = 30
VALUE_DAYS = 90
LANDMARK_MONTHS = 3

OWNERS = ("Carla Nunes", "Diego Prado", "Elisa Rocha", "Fábio Lins", "Gabi Moura",
          "Hugo Teles")
CHANNELS = ("inbound", "outbound", "partner")
_CHANNEL_SHARES = (0.5, 0.3, 0.2)
#: Median sales cycle (days) and median time to value (days) per segment.
_CYCLE_MEDIAN = {"SMB": 55.0, "Mid-Market": 70.0, "Enterprise": 100.0}
_TTV_MEDIAN = {"SMB": 50.0, "Mid-Market": 55.0, "Enterprise": 70.0}
_NEVER_VALUE = 0.06
#: Share of each milestone's time within the time to value.
_MILESTONE_AT = (0.1, 0.45, 0.75, 1.0)


def _ids(prefix, n, start=1):
    return pd.Series([f"{prefix}{i:06d}" for i in range(start, start + n)], dtype="str")


def journey_tables(accounts: pd.DataFrame, *, end, seed: int = 1,
                   lost_per_won: float = 1.5, open_per_won: float = 0.2
                   ) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Opportunities with stage history and onboarding milestones for the demo accounts.

    Parameters
    ----------
    accounts : pandas.DataFrame
        ``account_id``, ``segment``, ``signup_date``.
    end : timestamp
        The data's last instant: nothing is dated after it.
    seed : int
        The same seed gives the same tables.
    lost_per_won, open_per_won : float
        Lost and open opportunities per won one.

    Returns
    -------
    (dict of DataFrame, DataFrame)
        The three tables, and per account ``sales_cycle_days`` and
        ``time_to_value_days`` (NaN: never).
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 17]))
    end = pd.Timestamp(end)
    n = len(accounts)
    seg = accounts["segment"].astype(str).to_numpy()
    signup = pd.to_datetime(accounts["signup_date"]).to_numpy("datetime64[ns]")
    day = np.timedelta64(1, "D")
    cycle = np.round(np.array([_CYCLE_MEDIAN.get(s, 45.0) for s in seg])
                     * rng.lognormal(0.0, 0.6, n)).clip(3, 400)
    ttv = np.round(np.array([_TTV_MEDIAN.get(s, 80.0) for s in seg])
                   * rng.lognormal(0.0, 0.5, n)).clip(7, 720)
    ttv = np.where(rng.random(n) < _NEVER_VALUE, np.nan, ttv)
    owner_won = rng.integers(len(OWNERS), size=n)
    channel_won = rng.choice(len(CHANNELS), size=n, p=_CHANNEL_SHARES)

    n_lost = int(round(lost_per_won * n))
    n_open = int(round(open_per_won * n))
    span = max(int((end - pd.Timestamp(signup.min())) / pd.Timedelta(days=1)), 30) if n else 30
    lost_created = end.to_datetime64() - rng.integers(60, span + 60, n_lost) * day
    lost_len = np.round(40 * rng.lognormal(0, 0.6, n_lost)).clip(2, 300)
    lost_closed = np.minimum(lost_created + lost_len * day, end.to_datetime64())
    open_created = end.to_datetime64() - rng.integers(1, 180, n_open) * day
    n_all = n + n_lost + n_open
    created = np.concatenate([signup - cycle * day, lost_created, open_created])
    closed = np.concatenate([signup, lost_closed,
                             np.full(n_open, np.datetime64("NaT"), "datetime64[ns]")])
    outcome = np.array(["won"] * n + ["lost"] * n_lost + ["open"] * n_open)
    opp_id = _ids("OP", n_all)
    opportunities = pd.DataFrame({
        "opportunity_id": opp_id,
        "account_id": pd.concat([accounts["account_id"].astype("str").reset_index(
            drop=True), pd.Series([None] * (n_lost + n_open), dtype="str")],
            ignore_index=True),
        "owner": pd.Series(np.array(OWNERS)[np.concatenate(
            [owner_won, rng.integers(len(OWNERS), size=n_lost + n_open)])], dtype="str"),
        "channel": pd.Series(np.array(CHANNELS)[np.concatenate(
            [channel_won, rng.choice(len(CHANNELS), size=n_lost + n_open,
                                     p=_CHANNEL_SHARES)])], dtype="str"),
        "created_at": pd.Series(created).astype("datetime64[ns]"),
        "amount": np.round(rng.lognormal(8.0, 0.8, n_all), 2),
        "outcome": pd.Series(outcome, dtype="str"),
        "closed_at": pd.Series(closed).astype("datetime64[ns]"),
    })

    # stage history: won ones went through every stage; lost/open stopped at one
    k = len(DEFAULT_STAGES)
    stop_lost = rng.choice(k, size=n_lost, p=[0.35, 0.25, 0.2, 0.12, 0.08])
    stop_open = rng.choice(k, size=n_open, p=[0.3, 0.25, 0.2, 0.15, 0.1])
    last = np.concatenate([np.full(n, k - 1), stop_lost, stop_open])
    finish = np.where(np.isnat(closed), end.to_datetime64(), closed)
    length = (finish - created) / day
    rows_opp, rows_stage, rows_at = [], [], []
    cuts = np.sort(rng.random((n_all, k - 1)), axis=1)
    for s in range(k):
        has = last >= s
        # stage s entered at a share (sorted uniform draws, below 0.9) of the open time
        frac = np.zeros(n_all) if s == 0 else cuts[:, s - 1] * 0.9
        at = created + np.floor(frac * length) * day
        rows_opp.append(opp_id[has])
        rows_stage.append(np.full(int(has.sum()), DEFAULT_STAGES[s]))
        rows_at.append(at[has])
    stages = pd.DataFrame({
        "opportunity_id": pd.concat(rows_opp, ignore_index=True),
        "stage": pd.Series(np.concatenate(rows_stage), dtype="str"),
        "entered_at": pd.Series(np.concatenate(rows_at)).astype("datetime64[ns]"),
    }).sort_values(["opportunity_id", "entered_at"], kind="stable").reset_index(drop=True)

    # milestones: at fixed shares of the time to value; never-value accounts stop early
    ms_acc, ms_name, ms_at = [], [], []
    stop = rng.integers(0, len(DEFAULT_MILESTONES) - 1, size=n)  # last reached if never
    reach_len = np.where(np.isnan(ttv), 150.0, ttv)
    for j, name in enumerate(DEFAULT_MILESTONES):
        at = signup + np.round(_MILESTONE_AT[j] * reach_len) * day
        ok = (~np.isnan(ttv) | (j <= stop)) & (at <= end.to_datetime64())
        if np.isnan(ttv).any():
            ok &= ~(np.isnan(ttv) & (j == len(DEFAULT_MILESTONES) - 1))
        ms_acc.append(accounts["account_id"].to_numpy()[ok])
        ms_name.append(np.full(int(ok.sum()), name))
        ms_at.append(at[ok])
    milestones = pd.DataFrame({
        "account_id": pd.Series(np.concatenate(ms_acc), dtype="str"),
        "milestone": pd.Series(np.concatenate(ms_name), dtype="str"),
        "reached_at": pd.Series(np.concatenate(ms_at)).astype("datetime64[ns]"),
    }).sort_values(["account_id", "reached_at"], kind="stable").reset_index(drop=True)

    per = pd.DataFrame({"account_id": accounts["account_id"].to_numpy(),
                        "sales_cycle_days": cycle, "time_to_value_days": ttv})
    return {"opportunities": opportunities, "opportunity_stages": stages,
            "onboarding_milestones": milestones}, per


def churn_log_odds(per_account: pd.DataFrame, months_of_life: np.ndarray) -> np.ndarray:
    """The planted terms of each account's churn logit in a month (see the module docstring).

    Parameters
    ----------
    per_account : pandas.DataFrame
        The second value :func:`journey_tables` returns, in the accounts' order.
    months_of_life : array of int
        Per account, the month of its life (0: the sign-up month).

    Examples
    --------
    >>> per = pd.DataFrame({"sales_cycle_days": [10, 60, 60],
    ...                     "time_to_value_days": [40, float("nan"), 200]})
    >>> churn_log_odds(per, np.array([5, 2, 3])).round(3).tolist()
    [0.588, 0.0, 0.693]
    """
    hurried = per_account["sales_cycle_days"].to_numpy(float) < HURRY_DAYS
    ttv = per_account["time_to_value_days"].to_numpy(float)
    slow = np.isnan(ttv) | (ttv > VALUE_DAYS)
    after = np.asarray(months_of_life) >= LANDMARK_MONTHS
    return (np.log(PLANTED_HURRY_ODDS_RATIO) * hurried
            + np.log(PLANTED_SLOW_VALUE_ODDS_RATIO) * (slow & after))
