"""Customer lifetime value (LTV) and the LTV / CAC ratio.

Two forms (see ``docs/metrics.md``): the general ``average ticket x purchase
frequency x lifetime`` and, for subscriptions, ``ARPA x gross margin / churn
rate``. :func:`ltv_cac_table` computes the subscription form per segment from
the MRR snapshot, with a 95% interval from the churn rate's Wilson interval.

Examples
--------
>>> from cslib.ltv import ltv_simple, ltv_subscription
>>> ltv_simple(50.0, 4, 3)
600.0
>>> ltv_subscription(100.0, 0.8, 0.02)
4000.0
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from ._checks import as_list as _as_list
from ._checks import renamed_keywords
from .exceptions import ParamsError, SchemaError, SmallSampleWarning
from .revenue import _month_periods, _require_columns, mrr_movements, revenue_bridge

__all__ = ["ltv_simple", "ltv_subscription", "ltv_cac_table"]


def ltv_simple(avg_ticket: float, frequency: float, lifetime: float) -> float:
    """LTV = average ticket x purchase frequency x lifetime.

    Parameters
    ----------
    avg_ticket : float
        Average revenue per purchase (R$).
    frequency : float
        Purchases per period (e.g. per year).
    lifetime : float
        Customer lifetime in the same periods.

    Returns
    -------
    float

    Raises
    ------
    ParamsError
        A negative input.

    Examples
    --------
    >>> ltv_simple(120.0, 12, 2.5)
    3600.0
    """
    args = {"avg_ticket": avg_ticket, "frequency": frequency, "lifetime": lifetime}
    negative = {k: v for k, v in args.items() if not v >= 0}
    if negative:
        raise ParamsError(f"ltv_simple: {negative} must be >= 0.")
    return float(avg_ticket * frequency * lifetime)


def ltv_subscription(arpa: float, gross_margin: float, churn_rate: float) -> float:
    """LTV = ARPA x gross margin / churn rate (the subscription form).

    Parameters
    ----------
    arpa : float
        Average revenue per account per period (e.g. monthly MRR per account).
    gross_margin : float
        Gross margin as a fraction in (0, 1].
    churn_rate : float
        Logo churn rate per the same period, > 0 (1 / churn rate is the
        expected lifetime in periods).

    Returns
    -------
    float

    Raises
    ------
    ParamsError
        ``churn_rate <= 0``, ``gross_margin`` outside (0, 1] or ``arpa < 0``.

    Examples
    --------
    >>> ltv_subscription(500.0, 0.75, 0.025)
    15000.0
    """
    if not churn_rate > 0:
        raise ParamsError(
            f"ltv_subscription: churn_rate={churn_rate!r} must be > 0; with no churn "
            "observed the lifetime (1 / churn rate) is unbounded. Use a longer window "
            "or a churn rate from a larger group."
        )
    if not 0 < gross_margin <= 1:
        raise ParamsError(
            f"ltv_subscription: gross_margin={gross_margin!r} must be a fraction in (0, 1] "
            "(0.75 for 75%)."
        )
    if not arpa >= 0:
        raise ParamsError(f"ltv_subscription: arpa={arpa!r} must be >= 0.")
    return float(arpa * gross_margin / churn_rate)


@renamed_keywords(end="month")
def ltv_cac_table(
    mrr: pd.DataFrame,
    accounts: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    gross_margin: float = 0.75,
    months: int = 12,
    month=None,
    cac: str = "cac",
) -> pd.DataFrame:
    """LTV, CAC and LTV/CAC per segment (or overall) over a trailing window of months.

    Parameters
    ----------
    mrr : pandas.DataFrame
        The ``mrr`` table (``account_id``, ``month``, ``mrr``). Not modified.
    accounts : pandas.DataFrame
        The ``accounts`` table (``account_id``, ``by``, ``signup_date``, and
        optionally ``cac``). Not modified.
    by : str or list of str, optional
        Grouping column(s) of ``accounts``, e.g. ``"segment"``; None (the
        default) for one row over all accounts. (The default was
        ``"segment"``.)
    gross_margin : float, default 0.75
        Gross margin as a fraction in (0, 1].
    months : int, default 12
        Length of the trailing window, in months, ending at ``month``.
    month : str or Timestamp, optional
        The report month, last of the window ("2026-10"); default the last month
        of ``mrr``. Was ``end=``.
    cac : str, default "cac"
        CAC column of ``accounts``; ``avg_cac`` is NaN when it is absent.

    Returns
    -------
    pandas.DataFrame
        One row per segment with columns:

        - ``accounts``: accounts paying in ``month``;
        - ``arpa``: mean MRR per paying account-month in the window (total
          MRR over paying account-months, ``account_months``);
        - ``start_account_months``, ``churned_account_months``: account-months,
          not accounts: the sums over the window's months of the accounts
          paying at each month's start and of those lost in it (an account
          paying all 12 months counts 12 times; the data's first month is its
          opening balance and has no bridge row);
        - ``churn_rate`` = ``churned_account_months / start_account_months`` (monthly logo
          churn), with ``churn_low`` / ``churn_high``, its 95% Wilson interval
          (statsmodels ``proportion_confint``; account-months are treated as
          independent trials);
        - ``ltv`` = ``arpa * gross_margin / churn_rate`` and ``ltv_low`` /
          ``ltv_high`` from ``churn_high`` / ``churn_low`` (LTV falls as churn
          rises);
        - ``avg_cac``: mean ``cac`` of the segment's accounts signed up in the
          window; ``ltv_cac`` = ``ltv / avg_cac``.

        With no churn observed ``ltv`` is NaN and ``ltv_high`` infinite (a
        :class:`~cslib.exceptions.SmallSampleWarning` says so).

    Raises
    ------
    SchemaError
        A column is missing, or ``mrr`` has accounts not in ``accounts``.
    ParamsError
        ``months < 1``, ``gross_margin`` outside (0, 1] or ``month`` outside the data.

    Examples
    --------
    Four accounts, January (the opening balance) to April; the window is
    February to April. SMB: A pays 100 throughout, B 100 until February.
    Ent: C pays 500 throughout, D 300 until March.

    >>> months = ["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"]
    >>> mrr = pd.DataFrame({"account_id": ["A"] * 4 + ["B"] * 2 + ["C"] * 4 + ["D"] * 3,
    ...     "month": pd.to_datetime(months + months[:2] + months + months[:3]),
    ...     "mrr": [100.0] * 6 + [500.0] * 4 + [300.0] * 3})
    >>> accounts = pd.DataFrame({"account_id": ["A", "B", "C", "D"],
    ...     "segment": ["SMB", "SMB", "Ent", "Ent"],
    ...     "signup_date": pd.to_datetime(["2026-02-10", "2025-05-01", "2024-01-01",
    ...                                    "2026-03-01"]),
    ...     "cac": [300.0, 200.0, 5000.0, 1000.0]})
    >>> table = ltv_cac_table(mrr, accounts, by="segment", months=3)
    >>> table[["segment", "arpa", "account_months", "start_account_months",
    ...        "churned_account_months"]]
      segment   arpa  account_months  start_account_months  churned_account_months
    0     Ent  420.0               5               6                 1
    1     SMB  100.0               4               5                 1
    >>> table[["segment", "churn_rate", "ltv", "avg_cac", "ltv_cac"]].round(3)
      segment  churn_rate     ltv  avg_cac  ltv_cac
    0     Ent       0.167  1890.0   1000.0     1.89
    1     SMB       0.200   375.0    300.0     1.25

    SMB: ARPA (3 x 100 + 100) / 4 = 100; start-of-month accounts 2 + 2 + 1,
    B lost in March: churn 1/5; LTV 100 x 0.75 / 0.2 = 375; only A signed up
    in the window: CAC 300.
    """
    if not (isinstance(months, (int, np.integer)) and months >= 1):
        raise ParamsError(f"ltv_cac_table: months={months!r} must be an integer >= 1.")
    if not 0 < gross_margin <= 1:
        raise ParamsError(
            f"ltv_cac_table: gross_margin={gross_margin!r} must be a fraction in (0, 1] "
            "(0.75 for 75%)."
        )
    _require_columns(mrr, ["account_id", "month", "mrr"], table="mrr")
    keys = _as_list(by)
    _require_columns(accounts, ["account_id", *keys, "signup_date"], table="accounts")
    if not keys:  # one group of every account, dropped from the output
        keys, accounts = ["_all"], accounts.assign(_all="all")
    ids = mrr["account_id"]
    codes, uniques = pd.factorize(ids, sort=True, use_na_sentinel=False)
    known = pd.Index(accounts["account_id"].unique())
    unknown = sorted(set(uniques[known.get_indexer(uniques) < 0]))  # isin is slow on Arrow
    if unknown:
        raise SchemaError(
            f"mrr: {len(unknown)} `account_id` value(s) not in the accounts table "
            f"(e.g. {unknown[:5]}). Add them to accounts or drop their MRR rows."
        )

    periods = _month_periods(mrr["month"], column="month", table="mrr")
    last = periods.max() if month is None else pd.Period(month, freq="M")
    if len(periods) == 0 or not periods.min() <= last <= periods.max():
        span = f"{periods.min()} to {periods.max()}" if len(periods) else "no months"
        raise ParamsError(f"ltv_cac_table: month={str(last)!r} is outside the MRR data ({span}).")
    first = last - (months - 1)

    seg = accounts.drop_duplicates("account_id").set_index("account_id")[keys].reindex(uniques)
    data = pd.DataFrame({"account_id": ids.array, "month": periods.dt.to_timestamp().array,
                         "mrr": mrr["mrr"].to_numpy(dtype=float),
                         **{c: seg[c].array.take(codes) for c in keys}})

    # Account MRR per month, in (account_id, month) order like a sorted groupby.
    ordinals = periods.array.asi8
    n_months = int(ordinals.max() - ordinals.min()) + 1
    per_month = data["mrr"].groupby(codes * n_months + (ordinals - ordinals.min())).sum()
    account, offset = np.divmod(per_month.index.to_numpy(), n_months)
    month = offset + ordinals.min()
    in_window = ((month >= first.ordinal) & (month <= last.ordinal)
                 & (per_month.to_numpy() > 0))
    window = pd.DataFrame({"account": account[in_window], "month": month[in_window],
                           "mrr": per_month.to_numpy()[in_window],
                           **{c: seg[c].array.take(account[in_window]) for c in keys}})
    arpa = window.groupby(keys, dropna=False)["mrr"].agg(arpa="mean", account_months="size")
    paying_now = (window[window["month"] == last.ordinal]
                  .groupby(keys, dropna=False)["account"].nunique())

    bridge = revenue_bridge(mrr_movements(data, keep=keys), by=keys, freq="M")
    bp = pd.PeriodIndex(bridge["period"], freq="M")
    bridge = bridge[(bp >= first) & (bp <= last)]
    churn = bridge.groupby(keys, dropna=False)[["accounts_start", "accounts_churned"]].sum()
    churn = churn.rename(columns={"accounts_start": "start_account_months",
                                  "accounts_churned": "churned_account_months"})

    out = arpa.join(churn, how="outer")
    out.insert(0, "accounts", paying_now.reindex(out.index).fillna(0).astype("int64"))
    for col in ("account_months", "start_account_months", "churned_account_months"):
        out[col] = out[col].fillna(0).astype("int64")
    n, k = out["start_account_months"].to_numpy(), out["churned_account_months"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["churn_rate"] = np.where(n > 0, k / np.maximum(n, 1), np.nan)
        low, high = proportion_confint(k, np.maximum(n, 1), alpha=0.05, method="wilson")
        out["churn_low"] = np.where(n > 0, low, np.nan)
        out["churn_high"] = np.where(n > 0, high, np.nan)
        margin = out["arpa"] * gross_margin
        out["ltv"] = margin / out["churn_rate"].where(out["churn_rate"] > 0)
        out["ltv_low"] = margin / out["churn_high"]
        out["ltv_high"] = margin / out["churn_low"]

    no_churn = out.index[(n > 0) & (k == 0)].tolist()
    if no_churn:
        warnings.warn(SmallSampleWarning(
            f"ltv_cac_table: no churn observed in {no_churn} over {months} month(s) ending "
            f"{last}; their LTV is undefined (NaN) and ltv_high infinite. Use a longer "
            "window or pool segments.",
            key="warn.ltv_no_churn", groups=", ".join(str(g) for g in no_churn),
            months=months, last=last), stacklevel=2)

    if cac in accounts.columns:
        signed = pd.to_datetime(accounts["signup_date"]).dt.to_period("M")
        recent = accounts.loc[(signed >= first) & (signed <= last)]
        avg_cac = recent.groupby(keys, dropna=False)[cac].mean()
        out["avg_cac"] = avg_cac.reindex(out.index).astype(float)
    else:
        out["avg_cac"] = np.nan
    out["ltv_cac"] = out["ltv"] / out["avg_cac"]
    cols = ["accounts", "arpa", "account_months", "start_account_months", "churned_account_months",
            "churn_rate", "churn_low", "churn_high", "ltv", "ltv_low", "ltv_high",
            "avg_cac", "ltv_cac"]
    out.index.names = keys
    out = out[cols].reset_index()
    return out.drop(columns="_all") if keys == ["_all"] else out
