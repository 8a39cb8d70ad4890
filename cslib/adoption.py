"""Feature adoption, and whether adoption predicts retention.

Adoption is read from the ``usage`` table: an account *uses* a feature in a
month when it has a row for that feature and month with ``active_users > 0``.
The :data:`KEY_FEATURES` are the features whose adoption matters; an account is
a *key adopter* in a month when it uses at least ``min_features`` (default 2) of
them in that month.

- :func:`adoption_rates`: per feature (and group), the share of active accounts
  that use it in a month, with Wilson intervals.
- :func:`adoption_score`: per account, breadth and depth of key-feature use.
- :func:`adoption_panel`: one row per paying account-month with key adoption
  in month ``t`` and churn in ``t + 1``; the input of
- :func:`retention_regression`: a logistic regression of next-month churn on
  adoption, controlling for segment, plan, size and tenure, with odds ratios.

The regression measures an association in observational data: adopters may
differ from the others in ways the model does not see.

Examples
--------
>>> from cslib.demo import generate_warehouse
>>> wh = generate_warehouse(500, seed=1)
>>> panel = adoption_panel(wh["usage"], wh["mrr"], wh["accounts"])
>>> controls = usable_controls(panel, ["segment", "plan", "tenure_months", "log_mrr"])
>>> model = retention_regression(panel, outcome="churned_next", adoption="key_adopter",
...                              controls=controls)
>>> bool(model.summary.loc["key_adopter", "odds_ratio"] < 1)  # adopters churn less
True
>>> model.diagnostics["cov_type"], model.diagnostics["n_clusters"] == panel["account_id"].nunique()
('cluster', True)
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from statsmodels.stats.proportion import proportion_confint

from ._checks import FittedModel, renamed_keywords, require_columns
from ._checks import as_list as _as_list
from ._stats import cluster_sandwich, z_value
from .exceptions import ModelError, ParamsError, SchemaError, SmallSampleWarning
from .periods import as_month
from .usage import feature_used

__all__ = [
    "KEY_FEATURES",
    "adoption_rates",
    "adoption_score",
    "adoption_band",
    "adoption_panel",
    "usable_controls",
    "RetentionRegression",
    "retention_regression",
    "mcfadden_r2",
]

#: The features whose adoption matters by default: an account using at least
#: ``min_features`` of them in a month is a key adopter. Every function that reads key
#: features takes them as a parameter (``features`` / ``key_features``); this is the
#: default, and the demo generator (:mod:`cslib.demo`) plants its effect on it.
KEY_FEATURES = ("dashboards", "automations", "integrations")

_RATE_COLUMNS = ["feature", "accounts", "active_accounts", "rate", "ci_low", "ci_high"]
_PAYING_RATE_COLUMNS = ["feature", "accounts", "paying_accounts", "active_accounts", "rate",
                        "ci_low", "ci_high"]


# --- helpers ------------------------------------------------------------------------------


def _require(data: pd.DataFrame, columns: Sequence[str], *, table: str, func: str,
             error: type[Exception] = SchemaError) -> None:
    require_columns(data, columns, where=f"{func}: {table}", error=error)


def _month_numbers(values: pd.Series, *, column: str, table: str, func: str) -> np.ndarray:
    """Months as integers (year * 12 + month - 1), for vectorised arithmetic."""
    try:
        if isinstance(values.dtype, pd.PeriodDtype):
            values = values.dt.to_timestamp()
        dates = pd.to_datetime(values)
    except (ValueError, TypeError) as err:
        raise SchemaError(
            f"{func}: {table} column `{column}` cannot be read as dates ({err}). Load the "
            "table with cslib.io.load or convert it with pd.to_datetime."
        ) from None
    if dates.isna().any():
        raise SchemaError(
            f"{func}: {table} column `{column}` has {int(dates.isna().sum())} missing "
            "month(s). Fill or drop those rows."
        )
    if dates.dt.tz is not None:
        dates = dates.dt.tz_localize(None)
    # each distinct date (one per month in the monthly tables) is converted once
    codes, distinct = pd.factorize(dates.to_numpy())
    return distinct.astype("datetime64[M]").astype(np.int64)[codes] + 1970 * 12


def _month_number(month) -> int:
    ts = as_month(month)
    return ts.year * 12 + ts.month - 1


def _number_to_month(numbers: np.ndarray) -> pd.DatetimeIndex:
    numbers = np.asarray(numbers, dtype=np.int64)
    return pd.DatetimeIndex(
        (numbers - (1970 * 12)).astype("datetime64[M]").astype("datetime64[ns]")
    )


def _used(usage: pd.DataFrame, *, func: str) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the usage rows where the feature was used that month (see
    :func:`cslib.usage.feature_used`), and their month numbers."""
    _require(usage, ["account_id", "feature", "month"], table="usage", func=func)
    rows = np.flatnonzero(feature_used(usage).to_numpy())
    return rows, _month_numbers(usage["month"].iloc[rows], column="month", table="usage",
                                func=func)


# --- descriptive adoption -----------------------------------------------------------------


def adoption_rates(
    usage: pd.DataFrame,
    accounts: pd.DataFrame,
    *,
    features: Sequence[str] | None = None,
    by: str | Sequence[str] | None = None,
    month=None,
    confidence: float = 0.95,
    mrr: pd.DataFrame | None = None,
    key_features: Sequence[str] = KEY_FEATURES,
) -> pd.DataFrame:
    """Share of accounts using each feature in a month, with Wilson intervals.

    With ``mrr``, the denominator is the **paying accounts** of the month
    (account MRR > 0, all contracts), including those with no usage rows at
    all: they use nothing, and they are the ones to call. The rate is the
    share of paying accounts that use the feature; ``paying_accounts`` is the
    denominator and ``active_accounts`` the paying accounts that use any
    feature.

    Without ``mrr`` (the older form), the denominator is the *active*
    accounts, those that use any feature in the month (a ``usage`` row with
    ``active_users > 0``, key feature or not); accounts with no usage are
    then invisible, so pass ``mrr`` for a report.

    Parameters
    ----------
    usage : pandas.DataFrame
        The ``usage`` table (``account_id``, ``feature``, ``month``,
        ``active_users``). Not modified.
    accounts : pandas.DataFrame
        The ``accounts`` table, for the ``by`` columns. Not modified.
    features : list of str, optional
        Features to report, in this order; default every feature used in the
        month, key features first. A listed feature nobody used gets rate 0.
    by : str or list of str, optional
        Column(s) of ``accounts`` to group by, e.g. ``"segment"``; None (the
        default) for the whole base. (The default was ``"segment"``.)
    month : str or date, optional
        The month (``"2026-10"``); default the latest month in ``usage``.
    confidence : float, default 0.95
        Level of the Wilson interval (statsmodels ``proportion_confint``).
    mrr : pandas.DataFrame, optional
        The ``mrr`` table (``account_id``, ``month``, ``mrr``), to count the
        paying accounts of the month. Not modified.
    key_features : sequence of str, default :data:`KEY_FEATURES`
        Listed first when ``features`` is None.

    Returns
    -------
    pandas.DataFrame
        One row per group and feature: the ``by`` columns, ``feature``,
        ``accounts`` (accounts of the denominator using the feature), with
        ``mrr``: ``paying_accounts`` (the denominator) and ``active_accounts``
        (paying accounts using any feature); without: ``active_accounts``
        (the denominator); then ``rate`` = ``accounts`` / denominator,
        ``ci_low``, ``ci_high``.

    Raises
    ------
    SchemaError
        A column is missing.
    ParamsError
        No usage at all in ``month``, or ``confidence`` outside (0, 1).

    Examples
    --------
    Three accounts use something in October; two of them use dashboards:

    >>> usage = pd.DataFrame({"account_id": ["A1", "A1", "A2", "A2", "A3"],
    ...     "feature": ["dashboards", "automations", "dashboards", "reports", "reports"],
    ...     "month": pd.to_datetime(["2026-10-01"] * 5), "active_users": [3, 1, 2, 4, 1]})
    >>> accounts = pd.DataFrame({"account_id": ["A1", "A2", "A3"],
    ...                          "segment": ["SMB", "SMB", "Enterprise"]})
    >>> adoption_rates(usage, accounts, by=None).round(3)
           feature  accounts  active_accounts   rate  ci_low  ci_high
    0   dashboards         2                3  0.667   0.208    0.939
    1  automations         1                3  0.333   0.061    0.792
    2      reports         2                3  0.667   0.208    0.939
    >>> adoption_rates(usage, accounts, by="segment", features=["dashboards"]).round(3)
          segment     feature  accounts  active_accounts  rate  ci_low  ci_high
    0  Enterprise  dashboards         0                1   0.0   0.000    0.793
    1         SMB  dashboards         2                2   1.0   0.342    1.000

    With ``mrr``: A4 pays in October but has no usage row, so it counts in the
    denominator (2 of 4 paying accounts use dashboards):

    >>> mrr = pd.DataFrame({"account_id": ["A1", "A2", "A3", "A4"],
    ...     "month": pd.to_datetime(["2026-10-01"] * 4), "mrr": [100.0, 90.0, 80.0, 70.0]})
    >>> rates = adoption_rates(usage, accounts, by=None, features=["dashboards"], mrr=mrr)
    >>> rates[["feature", "accounts", "paying_accounts", "active_accounts", "rate"]]
          feature  accounts  paying_accounts  active_accounts  rate
    0  dashboards         2                4                3   0.5
    """
    func = "adoption_rates"
    if not 0 < confidence < 1:
        raise ParamsError(f"{func}: confidence={confidence!r} must be in (0, 1), e.g. 0.95.")
    keys = _as_list(by)
    _require(accounts, ["account_id", *keys], table="accounts", func=func)
    used, months = _used(usage, func=func)
    if len(used) == 0:
        raise ParamsError(f"{func}: no usage with `active_users` > 0 in the usage table.")
    target = int(months.max()) if month is None else _month_number(month)
    rows = usage[["account_id", "feature"]].iloc[used[months == target]].drop_duplicates()
    if len(rows) == 0:
        first, last = _number_to_month(np.array([months.min(), months.max()]))
        raise ParamsError(
            f"{func}: no usage in {_number_to_month(np.array([target]))[0]:%Y-%m}; the usage "
            f"table covers {first:%Y-%m} to {last:%Y-%m}. Pick a month in that range."
        )
    key_features = [key_features] if isinstance(key_features, str) else list(key_features)
    if features is None:
        present = set(rows["feature"].unique())
        features = [f for f in key_features if f in present] + sorted(
            present - set(key_features))
    features = list(features)

    if mrr is None:
        denominator = "active_accounts"
        population = pd.DataFrame({"account_id": rows["account_id"].unique()})
    else:
        denominator = "paying_accounts"
        _require(mrr, ["account_id", "month", "mrr"], table="mrr", func=func)
        in_month = _month_numbers(mrr["month"], column="month", table="mrr",
                                  func=func) == target
        amount = pd.to_numeric(mrr["mrr"][in_month], errors="coerce").fillna(0.0)
        totals = amount.groupby(mrr["account_id"][in_month].to_numpy()).sum()
        paying = totals.index[totals.to_numpy() > 0]
        population = pd.DataFrame({"account_id": pd.Series(paying, dtype=object)})
        rows = rows[rows["account_id"].isin(paying)]
    population["_active"] = population["account_id"].isin(rows["account_id"].unique())
    if keys:
        info = accounts[["account_id", *keys]].drop_duplicates("account_id")
        population = population.merge(info, on="account_id", how="left")
        grouped = population.groupby(keys, dropna=False, sort=True)
        denom = grouped.size().rename(denominator)
        active = grouped["_active"].sum().rename("active_accounts")
        numer = (rows.merge(population[["account_id", *keys]], on="account_id")
                 .groupby([*keys, "feature"], dropna=False, sort=True).size())
        grid = pd.MultiIndex.from_tuples(
            [(*(g if isinstance(g, tuple) else (g,)), f) for g in denom.index for f in features],
            names=[*keys, "feature"],
        )
        out = numer.reindex(grid, fill_value=0).rename("accounts").reset_index()
        totals = denom.to_frame()
        if denominator != "active_accounts":
            totals = totals.join(active)
        out = out.merge(totals.reset_index(), on=keys, how="left")
    else:
        counts = rows["feature"].value_counts()
        out = pd.DataFrame({
            "feature": features,
            "accounts": counts.reindex(features, fill_value=0).to_numpy(),
            denominator: len(population),
        })
        out["active_accounts"] = int(population["_active"].sum())
    out["feature"] = out["feature"].astype("str")
    k = out["accounts"].to_numpy(dtype=np.int64)
    n = out[denominator].to_numpy(dtype=np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        low, high = proportion_confint(k, n, alpha=1 - confidence, method="wilson")
        out["rate"] = np.where(n > 0, k / np.maximum(n, 1), np.nan)
    out["accounts"] = k
    out[denominator] = n
    out["active_accounts"] = out["active_accounts"].to_numpy(dtype=np.int64)
    out["ci_low"] = np.where(n > 0, np.asarray(low, dtype=float), np.nan)
    out["ci_high"] = np.where(n > 0, np.asarray(high, dtype=float), np.nan)
    columns = _RATE_COLUMNS if mrr is None else _PAYING_RATE_COLUMNS
    return out[[*keys, *columns]].reset_index(drop=True)


def adoption_score(
    usage: pd.DataFrame,
    *,
    features: Sequence[str] = KEY_FEATURES,
    month=None,
) -> pd.DataFrame:
    """Breadth and depth of key-feature use per account in a month.

    Parameters
    ----------
    usage : pandas.DataFrame
        The ``usage`` table. Not modified.
    features : list of str, default :data:`KEY_FEATURES`
        The features scored.
    month : str or date, optional
        The month; default the latest month in ``usage``.

    Returns
    -------
    pandas.DataFrame
        One row per account active in the month (using any feature), sorted
        by ``account_id``: ``account_id``, ``features_used`` (how many of
        ``features`` it used), ``breadth`` (``features_used / len(features)``)
        and ``depth`` (mean ``active_users`` over the features it used, or
        mean ``events`` when the table has no ``active_users``; NaN when it
        used none of them).

    Examples
    --------
    >>> usage = pd.DataFrame({"account_id": ["A1", "A1", "A2", "A2", "A3"],
    ...     "feature": ["dashboards", "automations", "dashboards", "reports", "reports"],
    ...     "month": pd.to_datetime(["2026-10-01"] * 5), "active_users": [3, 1, 2, 4, 1]})
    >>> adoption_score(usage).round(3)
      account_id  features_used  breadth  depth
    0         A1              2    0.667    2.0
    1         A2              1    0.333    2.0
    2         A3              0    0.000    NaN

    A1 uses dashboards (3 users) and automations (1): depth (3 + 1) / 2.
    """
    func = "adoption_score"
    features = list(features)
    if not features:
        raise ParamsError(f"{func}: `features` is empty; pass at least one feature.")
    _require(usage, ["account_id", "feature", "month"], table="usage", func=func)
    used_rows = feature_used(usage).to_numpy()
    depth_column = "active_users" if "active_users" in usage.columns else "events"
    counts = pd.to_numeric(usage[depth_column], errors="coerce").fillna(0).to_numpy(float)
    months = _month_numbers(usage["month"], column="month", table="usage", func=func)
    work = pd.DataFrame({"account_id": usage["account_id"].to_numpy(),
                         "feature": usage["feature"].to_numpy(), "_m": months, "_u": counts})
    work = work.loc[used_rows]
    if len(work) == 0:
        raise ParamsError(f"{func}: no usage with `{depth_column}` > 0 in the usage table.")
    target = int(work["_m"].max()) if month is None else _month_number(month)
    work = work.loc[work["_m"] == target]
    ids = pd.Index(work["account_id"].unique()).sort_values()
    key = work.loc[work["feature"].isin(features)]
    per_feature = key.groupby(["account_id", "feature"])["_u"].sum()
    grouped = per_feature.groupby(level="account_id")
    used = grouped.size().reindex(ids, fill_value=0)
    depth = grouped.mean().reindex(ids)
    out = pd.DataFrame({
        "account_id": pd.Series(ids, dtype=usage["account_id"].dtype),
        "features_used": used.to_numpy(dtype=np.int64),
        "breadth": used.to_numpy(dtype=float) / len(features),
        "depth": depth.to_numpy(dtype=float),
    })
    return out


def adoption_band(n_key_features, *, min_features: int = 2, n_features: int = len(KEY_FEATURES)):
    """Label key-feature counts: "0-1 key features", "2 key features", "3 key features".

    Counts below ``min_features`` share one band; above ``n_features`` they
    are capped. Missing counts stay missing.

    Parameters
    ----------
    n_key_features : int or array-like or pandas.Series
        Number of key features used.
    min_features : int, default 2
        The adoption threshold: counts below it form the first band.
    n_features : int, default 3
        Number of key features (the last band).

    Returns
    -------
    str, or pandas.Categorical / pandas.Series (ordered categorical)
        A label for a scalar; an ordered categorical otherwise (a Series
        keeps its index).

    Examples
    --------
    >>> adoption_band(2)
    '2 key features'
    >>> list(adoption_band([0, 1, 3]))
    ['0-1 key features', '0-1 key features', '3 key features']
    """
    low = "0 key features" if min_features <= 1 else f"0-{min_features - 1} key features"
    labels = [low] + [f"{k} key features" for k in range(max(min_features, 1), n_features + 1)]
    values = pd.to_numeric(pd.Series(np.atleast_1d(np.asarray(n_key_features, dtype=object))),
                           errors="coerce").to_numpy(dtype=float)
    codes = np.clip(np.floor(values) - max(min_features, 1) + 1, 0, len(labels) - 1)
    codes = np.where(np.isnan(values), -1, codes).astype(np.int64)
    cat = pd.Categorical.from_codes(codes, categories=labels, ordered=True)
    if np.ndim(n_key_features) == 0:
        return None if codes[0] < 0 else labels[codes[0]]
    if isinstance(n_key_features, pd.Series):
        return pd.Series(cat, index=n_key_features.index, name="adoption_band")
    return cat


# --- the account-month panel --------------------------------------------------------------


def _account_mrr_matrix(mrr: pd.DataFrame, *, end, func: str):
    """Account MRR as a dense (accounts x months) matrix, up to ``end`` inclusive.

    Returns the account ids (sorted), the first month number and the matrix.
    ``end`` (default the last month of ``mrr``) is capped at the last month
    of the data: later months are not observed.
    """
    _require(mrr, ["account_id", "month", "mrr"], table="mrr", func=func)
    values = pd.to_numeric(mrr["mrr"], errors="coerce")
    if values.isna().any() or (values < 0).any():
        bad = int((values.isna() | (values < 0)).sum())
        raise SchemaError(f"{func}: mrr column `mrr` has {bad} missing, non-numeric or "
                          "negative value(s). MRR must be a number >= 0.")
    months = _month_numbers(mrr["month"], column="month", table="mrr", func=func)
    if len(months) == 0:
        raise ModelError(f"{func}: the mrr table is empty; there is nothing to model.")
    first, last = int(months.min()), int(months.max())
    if end is not None:
        last = min(last, _month_number(end))
    if last < first:
        raise ParamsError(f"{func}: month={end!r} is before the first month of the MRR data.")
    keep = months <= last
    accounts = mrr["account_id"][keep]
    if isinstance(accounts.dtype, pd.CategoricalDtype):
        accounts = accounts.astype(accounts.dtype.categories.dtype)  # sort by value
    codes, ids = pd.factorize(accounts, sort=True)
    n_acc, n_mon = len(ids), last - first + 1
    flat = codes.astype(np.int64) * n_mon + (months[keep] - first)
    matrix = np.bincount(flat, weights=values.to_numpy(float)[keep],
                         minlength=n_acc * n_mon).reshape(n_acc, n_mon)
    return ids, first, matrix


def _positions(index: pd.Index, values: pd.Series) -> np.ndarray:
    """``index.get_indexer(values)``, looking up each distinct value once.

    Much faster than a lookup per row on long columns of strings.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return index.get_indexer(uniques)[codes]


def _key_feature_counts(usage: pd.DataFrame, ids: pd.Index, first: int, n_mon: int, *,
                        features: Sequence[str], func: str) -> np.ndarray:
    """Number of ``features`` used per account (rows of ``ids``) and month."""
    used, months = _used(usage, func=func)
    mon = months - first
    acc = _positions(ids, usage["account_id"])[used]
    feat = _positions(pd.Index(list(features)), usage["feature"])[used]
    ok = (acc >= 0) & (feat >= 0) & (mon >= 0) & (mon < n_mon)
    seen = np.zeros((len(ids), n_mon, len(features)), dtype=bool)
    seen[acc[ok], mon[ok], feat[ok]] = True  # duplicates of a feature count once
    return seen.sum(axis=2)


def _account_info(accounts: pd.DataFrame, ids: pd.Index, *, func: str,
                  columns=("segment", "plan", "region")) -> pd.DataFrame:
    _require(accounts, ["account_id"], table="accounts", func=func)
    cols = [c for c in columns if c in accounts.columns]
    extra = ["signup_date"] if "signup_date" in accounts.columns else []
    info = accounts[["account_id", *cols, *extra]].drop_duplicates("account_id")
    info = info.set_index("account_id").reindex(ids)
    for c in columns:
        if c not in info.columns:
            info[c] = pd.Series(np.nan, index=info.index, dtype="str")
    return info


@renamed_keywords(end="month")
def adoption_panel(
    usage: pd.DataFrame,
    mrr: pd.DataFrame,
    accounts: pd.DataFrame,
    *,
    min_features: int = 2,
    month=None,
    features: Sequence[str] = KEY_FEATURES,
) -> pd.DataFrame:
    """One row per paying account-month, with key adoption in ``t`` and churn in ``t + 1``.

    A row is an account and a month ``t`` where the account pays (its MRR,
    all contracts summed, is > 0 in ``t``) and ``t + 1`` is observed (``t + 1
    <= month``). ``churned_next`` is 1 when the account's MRR in ``t + 1`` is 0
    (a missing row counts as 0). ``key_features`` counts the
    :data:`KEY_FEATURES` with ``active_users > 0`` in month ``t``. This is
    the definition the demo generator plants its adoption effect with.

    Parameters
    ----------
    usage, mrr, accounts : pandas.DataFrame
        Tables of the data contract. Not modified.
    min_features : int, default 2
        ``key_adopter`` is 1 when ``key_features >= min_features``.
    features : sequence of str, default :data:`KEY_FEATURES`
        The key features counted in ``key_features``.
    month : str or date, optional
        The report month, the last month of data used (``"2026-10"``); default
        the last month of ``mrr``. Later months are ignored (no look-ahead), and
        a ``month`` beyond the data is capped at its last month. Was ``end=``.

    Returns
    -------
    pandas.DataFrame
        Sorted by ``account_id`` and ``month``, columns ``account_id``,
        ``month``, ``key_features``, ``key_adopter`` (0/1), ``churned_next``
        (0/1), ``segment``, ``plan``, ``region``, ``tenure_months`` (whole
        months since the ``signup_date`` month, or since the first paying
        month in the data when ``signup_date`` is missing; never negative),
        ``mrr`` (account MRR in ``t``) and ``log_mrr`` (``log1p(mrr)``).

    Examples
    --------
    A1 pays August to October, A2 August and September (so it churns in
    October); October has no next month, so it gives no rows:

    >>> mrr = pd.DataFrame({"account_id": ["A1"] * 3 + ["A2"] * 2,
    ...     "month": pd.to_datetime(["2026-08-01", "2026-09-01", "2026-10-01",
    ...                              "2026-08-01", "2026-09-01"]),
    ...     "mrr": [100.0, 100.0, 120.0, 50.0, 50.0]})
    >>> usage = pd.DataFrame({"account_id": ["A1", "A1", "A2"],
    ...     "feature": ["dashboards", "automations", "dashboards"],
    ...     "month": pd.to_datetime(["2026-08-01", "2026-08-01", "2026-09-01"]),
    ...     "active_users": [3, 1, 2]})
    >>> accounts = pd.DataFrame({"account_id": ["A1", "A2"], "segment": ["SMB", "SMB"],
    ...     "plan": ["Pro", "Starter"], "region": ["Sul", "Sul"],
    ...     "signup_date": pd.to_datetime(["2026-06-15", "2026-08-01"])})
    >>> panel = adoption_panel(usage, mrr, accounts)
    >>> panel[["account_id", "month", "key_features", "key_adopter", "churned_next",
    ...        "tenure_months"]]
      account_id      month  key_features  key_adopter  churned_next  tenure_months
    0         A1 2026-08-01             2            1             0              2
    1         A1 2026-09-01             0            0             0              3
    2         A2 2026-08-01             0            0             0              0
    3         A2 2026-09-01             1            0             1              1
    """
    func = "adoption_panel"
    if min_features < 1:
        raise ParamsError(f"{func}: min_features={min_features!r} must be >= 1.")
    ids, first, matrix = _account_mrr_matrix(mrr, end=month, func=func)
    n_acc, n_mon = matrix.shape
    counts = _key_feature_counts(usage, ids, first, n_mon, features=list(features),
                                 func=func)
    info = _account_info(accounts, ids, func=func)

    pays = matrix[:, :-1] > 0
    a, t = np.nonzero(pays)
    churned = (matrix[a, t + 1] <= 0).astype(np.int64)
    key = counts[a, t].astype(np.int64)
    month_no = first + t

    first_paid = np.argmax(matrix > 0, axis=1) + first
    start = first_paid.astype(float)
    if "signup_date" in info.columns:
        signup = pd.to_datetime(info["signup_date"])
        sig = (signup.dt.year * 12 + signup.dt.month - 1).to_numpy(dtype=float)
        start = np.where(np.isnan(sig), start, sig)
    tenure = np.maximum(month_no - start[a], 0).astype(np.int64)

    # The text columns are built for the panel's accounts, then repeated: inferring the
    # dtype of a million strings is slow, and the accounts' values infer the same one.
    panel_accounts, row_account = np.unique(a, return_inverse=True)
    per_account = pd.DataFrame({
        "account_id": pd.Series(ids.to_numpy()[panel_accounts], dtype=mrr["account_id"].dtype),
        "segment": pd.Series(info["segment"].to_numpy()[panel_accounts]),
        "plan": pd.Series(info["plan"].to_numpy()[panel_accounts]),
        "region": pd.Series(info["region"].to_numpy()[panel_accounts]),
    }).take(row_account).reset_index(drop=True)
    mrr_t = matrix[a, t]
    out = pd.DataFrame({
        "account_id": per_account["account_id"],
        "month": _number_to_month(month_no),
        "key_features": key,
        "key_adopter": (key >= min_features).astype(np.int64),
        "churned_next": churned,
        "segment": per_account["segment"],
        "plan": per_account["plan"],
        "region": per_account["region"],
        "tenure_months": tenure,
        "mrr": mrr_t,
        "log_mrr": np.log1p(mrr_t),
    })
    return out


# --- the regression -----------------------------------------------------------------------


def usable_controls(data: pd.DataFrame, controls: Sequence[str]) -> list[str]:
    """The controls present in ``data`` with more than one distinct value, in order.

    A control that is constant (one segment in a segment's report) cannot be
    estimated and is dropped.

    Examples
    --------
    >>> df = pd.DataFrame({"segment": ["SMB", "SMB"], "plan": ["Pro", "Starter"]})
    >>> usable_controls(df, ["segment", "plan", "tenure_months"])
    ['plan']
    """
    return [c for c in dict.fromkeys(_as_list(controls))
            if c in data.columns and data[c].nunique(dropna=True) > 1]


def _is_categorical(values: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values))


def _degenerate_levels(frame: pd.DataFrame, column: str, y: np.ndarray, *,
                       all_events_too: bool) -> list[str]:
    """Levels of a categorical or 0/1 column in which the outcome never varies.

    Such a level predicts the outcome exactly (quasi-separation): its
    coefficient runs off to infinity.
    """
    values = frame[column]
    if not _is_categorical(values) and values.nunique() > 2:
        return []
    # counted per distinct value, then per label: converting every row to text is slow
    codes, distinct = pd.factorize(values, use_na_sentinel=False)
    labels = pd.Index(distinct).astype("str")
    n = pd.Series(np.bincount(codes, minlength=len(distinct))).groupby(labels).sum()
    events = (pd.Series(np.bincount(codes, weights=y, minlength=len(distinct)))
              .groupby(labels).sum())
    bad = (events == 0) | ((events == n) if all_events_too else False)
    return [f"{lv!r} ({int(events[lv])} events in {int(n[lv])} rows)" for lv in n.index[bad]]


def _drop_degenerate(frame: pd.DataFrame, controls: list[str], y: np.ndarray, *, func: str,
                     sparse: str, all_events_too: bool, what: str) -> list[str]:
    kept = []
    for col in controls:
        levels = _degenerate_levels(frame, col, y, all_events_too=all_events_too)
        if not levels:
            kept.append(col)
            continue
        message = (f"{func}: `{col}` has level(s) {what}: "
                   f"{', '.join(levels)}; its effect cannot be estimated (quasi-separation).")
        if sparse == "raise":
            raise ModelError(message + " Drop the control, merge its small levels, or pass "
                             "sparse='drop'.")
        warnings.warn(message + f" `{col}` was left out of the model.", SmallSampleWarning,
                      stacklevel=4)
    return kept


def _design(data: pd.DataFrame, columns: Sequence[str], *, func: str) -> pd.DataFrame:
    """Numeric design matrix: numeric columns as they are, text/categorical dummy-coded.

    The reference level is the first category of a categorical dtype, else the
    first level in sorted order; terms are named like patsy's ``segment[T.SMB]``.
    """
    names, parts = [], []
    for col in columns:
        values = data[col]
        if _is_categorical(values):
            if isinstance(values.dtype, pd.CategoricalDtype):
                levels = [lv for lv in values.cat.categories if (values == lv).any()]
            else:
                levels = sorted(values.astype("str").unique())
                values = values.astype("str")
            if len(levels) < 2:
                raise ModelError(_constant_message(col, func))
            for lv in levels[1:]:
                names.append(f"{col}[T.{lv}]")
                parts.append((values == lv).to_numpy(dtype=float))
        else:
            numeric = pd.to_numeric(values).astype(float)
            if numeric.nunique() < 2:
                raise ModelError(_constant_message(col, func))
            names.append(col)
            parts.append(numeric.to_numpy())
    if not parts:
        return pd.DataFrame(index=data.index)
    return pd.DataFrame(np.column_stack(parts), index=data.index, columns=names, copy=False)


def _constant_message(col: str, func: str) -> str:
    return (f"{func}: `{col}` has a single value in the data, so its effect cannot be "
            "estimated. Drop it from the model, e.g. with "
            "cslib.adoption.usable_controls(data, controls).")


def _complete_rows(data: pd.DataFrame, columns: list[str], *, func: str) -> tuple[pd.DataFrame,
                                                                                int]:
    _require(data, columns, table="data", func=func, error=ModelError)
    frame = data[columns]
    keep = frame.notna().all(axis=1)
    return (frame if keep.all() else frame.loc[keep]), int((~keep).sum())


def _binary(values: pd.Series, *, column: str, func: str) -> np.ndarray:
    numeric = pd.to_numeric(values.astype("float64") if pd.api.types.is_bool_dtype(values)
                            else values, errors="coerce")
    if numeric.isna().any() or not numeric.isin([0, 1]).all():
        raise ModelError(f"{func}: `{column}` must be 0/1 (or True/False); found values "
                         f"{sorted(pd.unique(values.astype('str')))[:5]}. Recode it first.")
    return numeric.to_numpy(dtype=float)


def mann_whitney_auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve from ranks (Mann-Whitney U / (n1 * n0)); ties count half."""
    y = np.asarray(y, dtype=bool)
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


class RetentionRegression(FittedModel):
    """Logistic regression of a 0/1 outcome (churn) on adoption and controls.

    Settings go in ``__init__``; :meth:`fit` returns ``self``. Text or
    categorical controls are dummy-coded against a reference level (the first
    category, or the first in sorted order) and named like ``segment[T.SMB]``;
    numeric controls enter linearly. Rows with a missing value in any model
    column are dropped (counted in ``diagnostics["dropped"]``).

    Parameters
    ----------
    outcome : str
        0/1 outcome column (e.g. ``"churned_next"``).
    adoption : str or list of str
        0/1 (or numeric) adoption column(s); each one's row in :attr:`summary`
        is ``summary.loc[column]`` (several columns: one row per term, in
        their order, each adjusted for the others).
    controls : list of str
        Control columns (see :func:`usable_controls`).
    confidence : float, default 0.95
        Level of the intervals.
    cluster : str or None, default "account_id"
        Column of the clusters the standard errors are clustered by. The
        model is fitted on account-months, so one account appears many times
        and its months are not independent: the default clusters by account
        (the ``account_id`` of :func:`adoption_panel`), with the
        cluster-robust sandwich and Stata's ``G / (G - 1)`` factor for a
        logit (``G`` clusters). None: plain (model-based) standard errors,
        for rows that are independent (one per account, or a cross-section).
    sparse : {"drop", "raise"}, default "drop"
        What to do with a categorical (or 0/1) control that has a level in
        which the outcome never varies (a plan with no churn in a small
        segment): its coefficient would be infinite (quasi-separation).
        ``"drop"`` leaves the control out with a :class:`SmallSampleWarning`;
        ``"raise"`` raises :class:`ModelError`.

    Attributes
    ----------
    controls_used_ : list of str
        The controls actually in the model.
    summary_ : pandas.DataFrame
        Indexed by ``term`` (adoption first, then controls; no intercept):
        ``coef`` (log odds), ``se`` (clustered when ``cluster``),
        ``odds_ratio``, ``ci_low``, ``ci_high`` (odds-ratio scale, Wald, from
        that ``se``), ``p_value`` (normal).
    diagnostics_ : dict
        ``n``, ``events``, ``dropped``, ``pseudo_r2`` (McFadden), ``auc``
        (in-sample, Mann-Whitney), ``intercept``, ``cov_type`` ("cluster"
        or "nonrobust"), ``cluster`` (the column, or None) and
        ``n_clusters`` (None when not clustered).
    cov_ : pandas.DataFrame
        The covariance of the coefficients (intercept included) behind ``se``.
    results_ : statsmodels results
        The fitted ``statsmodels`` Logit results (model-based covariance).
    """

    def __init__(self, *, outcome: str, adoption: str | Sequence[str], controls: Sequence[str] = (),
                 confidence: float = 0.95, sparse: str = "drop",
                 cluster: str | None = "account_id"):
        if not 0 < confidence < 1:
            raise ParamsError(f"confidence={confidence!r} must be in (0, 1), e.g. 0.95.")
        if sparse not in ("drop", "raise"):
            raise ParamsError(f"sparse={sparse!r} must be 'drop' or 'raise'.")
        self.sparse = sparse
        self.outcome = outcome
        self.adoption = adoption
        self._adoption = _as_list(adoption)
        if not self._adoption:
            raise ParamsError("retention_regression: adoption= names no column; pass one "
                              "or a list, e.g. adoption=['dashboards', 'automations'].")
        self.controls = [c for c in _as_list(controls)
                         if c != outcome and c not in self._adoption]
        self.confidence = confidence
        self.cluster = cluster

    def fit(self, data: pd.DataFrame) -> RetentionRegression:
        """Fit the model on ``data``; returns ``self``.

        Parameters
        ----------
        data : pandas.DataFrame
            One row per observation with the ``outcome``, ``adoption`` and
            ``controls`` columns. Not modified.

        Returns
        -------
        RetentionRegression
            ``self``, with ``controls_used_``, ``summary_``,
            ``diagnostics_`` and ``results_`` set.

        Raises
        ------
        ModelError
            See :func:`retention_regression`.
        """
        from scipy.stats import norm
        from statsmodels.discrete.discrete_model import Logit
        from statsmodels.tools.sm_exceptions import (
            PerfectSeparationError,
            PerfectSeparationWarning,
        )

        func = "retention_regression"
        if self.cluster is not None and self.cluster not in data.columns:
            raise ModelError(
                f"{func}: no cluster column `{self.cluster}` in the data. Account-months are "
                "not independent, so the standard errors are clustered by account: pass "
                "cluster='<your account column>', or cluster=None when every row is a "
                "different, independent unit.")
        columns = [self.outcome, *self._adoption, *self.controls]
        cluster_cols = [self.cluster] if self.cluster is not None else []
        frame, dropped = _complete_rows(data, list(dict.fromkeys([*columns, *cluster_cols])),
                                        func=func)
        if len(frame) == 0:
            raise ModelError(f"{func}: no complete rows: every row has a missing value in "
                             f"{', '.join(f'`{c}`' for c in columns)}.")
        y = _binary(frame[self.outcome], column=self.outcome, func=func)
        events = int(y.sum())
        if events == 0 or events == len(y):
            raise ModelError(
                f"{func}: the outcome `{self.outcome}` has a single class ({int(y[0])} in all "
                f"{len(y)} rows), so there is nothing to explain. Use a longer window or a "
                "larger group."
            )
        for adoption in self._adoption:
            adopt_levels = _degenerate_levels(frame, adoption, y, all_events_too=True)
            if adopt_levels:
                raise ModelError(
                    f"{func}: `{self.outcome}` never varies within level(s) of `{adoption}`: "
                    f"{', '.join(adopt_levels)}, so the odds ratio is 0 or infinite. Use a "
                    "longer window or a larger group."
                )
        controls = _drop_degenerate(frame, self.controls, y, func=func, sparse=self.sparse,
                                    all_events_too=True,
                                    what=f"where `{self.outcome}` never varies")
        self.controls_used_ = controls
        x = _design(frame, [*self._adoption, *controls], func=func)
        x.insert(0, "Intercept", 1.0)
        if np.linalg.matrix_rank(x.to_numpy()) < x.shape[1]:
            raise ModelError(
                f"{func}: the terms {list(x.columns[1:])} are collinear (one is a combination "
                "of others, e.g. a plan that exists in only one segment). Drop a control."
            )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                res = Logit(y, x).fit(disp=0, method="newton", maxiter=100)
            except (PerfectSeparationError, np.linalg.LinAlgError) as err:
                raise ModelError(self._separation_message(func, err)) from None
        for w in caught:
            if issubclass(w.category, PerfectSeparationWarning):
                raise ModelError(self._separation_message(func, w.message))
        fitted = np.asarray(res.predict(x))
        if np.any(fitted < 1e-8) and np.any(np.abs(res.params.iloc[1:]) > 15):
            raise ModelError(self._separation_message(func, "fitted probabilities of 0"))
        for w in caught:  # other warnings (convergence...) reach the caller
            if not issubclass(w.category, PerfectSeparationWarning):
                warnings.warn(w.message, w.category, stacklevel=2)

        z = z_value(self.confidence)
        params = res.params
        n_clusters = None
        if self.cluster is None:
            cov = np.asarray(res.cov_params())
        else:
            design = x.to_numpy(dtype=float)
            weights = fitted * (1 - fitted)
            bread = np.linalg.inv(design.T @ (design * weights[:, None]))
            scores = design * (y - fitted)[:, None]
            try:
                cov, n_clusters = cluster_sandwich(scores, bread, frame[self.cluster].to_numpy(),
                                                   correction="ml")
            except ValueError as err:
                raise ModelError(f"{func}: {err} Pass cluster=None for plain standard "
                                 "errors.") from None
        se = pd.Series(np.sqrt(np.diag(cov)), index=params.index)
        p_values = pd.Series(2 * norm.sf(np.abs(params / se)), index=params.index)
        summary = pd.DataFrame({
            "coef": params, "se": se, "odds_ratio": np.exp(params),
            "ci_low": np.exp(params - z * se), "ci_high": np.exp(params + z * se),
            "p_value": p_values,
        }).drop(index="Intercept")
        summary.index.name = "term"
        self.results_ = res
        self.cov_ = pd.DataFrame(cov, index=params.index, columns=params.index)
        self.summary_ = summary
        self.diagnostics_ = {
            "n": int(len(y)),
            "events": events,
            "dropped": dropped,
            "pseudo_r2": mcfadden_r2(y, res.llf),
            "auc": mann_whitney_auc(y, fitted),
            "intercept": float(params["Intercept"]),
            "cov_type": "nonrobust" if self.cluster is None else "cluster",
            "cluster": self.cluster,
            "n_clusters": n_clusters,
        }
        return self

    def _separation_message(self, func: str, detail) -> str:
        return (f"{func}: perfect separation ({detail}): some term predicts "
                f"`{self.outcome}` exactly, so its odds ratio is infinite. Drop or merge "
                "that control, or use a larger sample.")


def mcfadden_r2(y, llf: float) -> float:
    """McFadden's pseudo-R² of a logit with an intercept: ``1 - llf / llnull``.

    The intercept-only model's log-likelihood has a closed form,
    ``n [p ln p + (1 - p) ln(1 - p)]`` with ``p`` the share of events, so it is
    not refitted (statsmodels' ``prsquared`` refits it iteratively).

    Examples
    --------
    >>> import numpy as np
    >>> round(mcfadden_r2([0, 0, 1, 1], 4 * np.log(0.5)), 12)  # no better than the mean
    0.0
    >>> mcfadden_r2([0, 1, 1, 1], 0.0)  # a perfect fit
    1.0
    """
    y = np.asarray(y, dtype=float)
    p = y.mean()
    llnull = len(y) * (p * np.log(p) + (1 - p) * np.log1p(-p))
    return float(1 - llf / llnull)


def retention_regression(
    data: pd.DataFrame,
    *,
    outcome: str,
    adoption: str | Sequence[str],
    controls: Sequence[str] = (),
    confidence: float = 0.95,
    sparse: str = "drop",
    cluster: str | None = "account_id",
) -> RetentionRegression:
    """Fit :class:`RetentionRegression` (logistic regression with odds ratios).

    Parameters
    ----------
    data : pandas.DataFrame
        E.g. the output of :func:`adoption_panel`. Not modified.
    outcome, adoption, controls, confidence, sparse, cluster
        See :class:`RetentionRegression`. Standard errors are clustered by
        ``cluster`` (default ``"account_id"``); ``cluster=None`` for plain ones.

    Returns
    -------
    RetentionRegression
        Fitted; read ``.summary`` and ``.diagnostics``.

    Raises
    ------
    ModelError
        A column is missing; the outcome has a single class or is not 0/1; a
        control is constant (see :func:`usable_controls`); terms are
        collinear; perfect separation (including no churn, or only churn, in
        a level of ``adoption``).

    Warns
    -----
    SmallSampleWarning
        A control was left out because a level of it never churns (or always
        does); see ``sparse``.

    Examples
    --------
    Any 0/1 outcome works. Spector & Mazzeo's 32 students (shipped with
    statsmodels): did a teaching programme (PSI) raise the odds of a better
    grade, controlling for GPA and a pre-test (TUCE)? The estimates are the
    published ones (Greene, *Econometric Analysis*, Table 21.1):

    >>> import statsmodels.api as sm
    >>> grades = sm.datasets.spector.load_pandas().data
    >>> model = retention_regression(grades, outcome="GRADE", adoption="PSI",
    ...                              controls=["GPA", "TUCE"], cluster=None)
    >>> model.summary[["coef", "se", "odds_ratio", "p_value"]].round(3)
           coef     se  odds_ratio  p_value
    term
    PSI   2.379  1.065      10.791    0.025
    GPA   2.826  1.263      16.880    0.025
    TUCE  0.095  0.142       1.100    0.501
    >>> model.diagnostics["n"], model.diagnostics["events"], model.diagnostics["cov_type"]
    (32, 11, 'nonrobust')

    (32 students, one row each: independent rows, so ``cluster=None``.)
    """
    return RetentionRegression(outcome=outcome, adoption=adoption, controls=controls,
                               confidence=confidence, sparse=sparse, cluster=cluster).fit(data)
