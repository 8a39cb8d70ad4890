"""Account lifetimes, Kaplan-Meier survival curves, log-rank tests and Cox models.

- :func:`account_lifetimes`: one row per account, how many months it paid
  before its first churn (or until the end of the data), optionally with its
  early key-feature adoption.
- :func:`survival_curves`: Kaplan-Meier (product-limit) curves per group with
  Greenwood log(-log) intervals, median lifetimes and a log-rank test.
- :func:`hazard_model`: a Cox proportional hazards model (statsmodels
  ``PHReg``) with hazard ratios.

Examples
--------
>>> from cslib.demo import generate_warehouse
>>> wh = generate_warehouse(500, seed=1)
>>> life = account_lifetimes(wh["mrr"], wh["accounts"], usage=wh["usage"])
>>> curves = survival_curves(life, duration="duration_months", event="churned",
...                          by="adoption_band")
>>> curves.logrank["df"]
2
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from ._checks import FittedModel, renamed_keywords
from .adoption import (
    KEY_FEATURES,
    _account_info,
    _account_mrr_matrix,
    _as_list,
    _complete_rows,
    _design,
    _drop_degenerate,
    _key_feature_counts,
    _number_to_month,
    adoption_band,
)
from .exceptions import ModelError, ParamsError

__all__ = [
    "account_lifetimes",
    "SurvivalCurves",
    "survival_curves",
    "HazardModel",
    "hazard_model",
]

_TABLE_COLUMNS = ["group", "time", "at_risk", "events", "censored", "survival", "ci_low",
                  "ci_high"]


@renamed_keywords(end="month")
def account_lifetimes(
    mrr: pd.DataFrame,
    accounts: pd.DataFrame,
    *,
    month=None,
    usage: pd.DataFrame | None = None,
    min_features: int = 2,
    early_months: int = 3,
) -> pd.DataFrame:
    """One row per account: months paid until its first churn, or until ``month``.

    Conventions:

    - ``start`` is the account's first month with MRR > 0 in the data. For an
      account already paying in the first month of the data, the true start
      is earlier and unseen: ``start_observed`` is False for it (keep only
      ``start_observed`` rows for lifetimes from the very first month).
    - The account *churns* in the first month after ``start`` whose account
      MRR (contracts summed; a missing row is 0) is 0. Only the first churn
      counts; a later reactivation does not reopen the lifetime.
    - ``duration_months`` is the number of months paid before that churn
      (churn month - start month), so an account paying January to March
      and 0 in April has duration 3 and ``churned == 1``. An account still
      paying at ``month`` is censored: duration = months from ``start`` to
      ``month`` inclusive, ``churned == 0``.

    Parameters
    ----------
    mrr, accounts : pandas.DataFrame
        Tables of the data contract. Not modified.
    month : str or date, optional
        The report month, the last month of data used (``"2026-10"``); default
        the last month of ``mrr``. Later months are ignored. Was ``end=``.
    usage : pandas.DataFrame, optional
        When given, adds ``key_features``, ``key_adopter`` and
        ``adoption_band`` measured early in the lifetime, to avoid look-ahead
        bias: ``key_features`` is the mean number of :data:`KEY_FEATURES`
        used (``active_users > 0``) over the first ``early_months`` paying
        months (fewer if the account churned sooner), rounded half up.
    min_features : int, default 2
        ``key_adopter`` is 1 when ``key_features >= min_features``.
    early_months : int, default 3
        Months of early usage averaged.

    Returns
    -------
    pandas.DataFrame
        Sorted by ``account_id``: ``account_id``, ``start`` (first of month),
        ``start_observed``, ``duration_months``, ``churned`` (0/1),
        ``segment``, ``plan``, ``region`` and, with ``usage``,
        ``key_features``, ``key_adopter``, ``adoption_band`` (ordered
        categorical, see :func:`cslib.adoption.adoption_band`).

    Examples
    --------
    A1 pays July to October (still paying: censored); A2 starts in August,
    pays two months and churns in October:

    >>> mrr = pd.DataFrame({"account_id": ["A1"] * 4 + ["A2"] * 2,
    ...     "month": pd.to_datetime(["2026-07-01", "2026-08-01", "2026-09-01", "2026-10-01",
    ...                              "2026-08-01", "2026-09-01"]),
    ...     "mrr": [100.0, 100.0, 120.0, 120.0, 50.0, 50.0]})
    >>> accounts = pd.DataFrame({"account_id": ["A1", "A2"], "segment": ["SMB", "SMB"],
    ...     "plan": ["Pro", "Starter"], "region": ["Sul", "Sul"]})
    >>> life = account_lifetimes(mrr, accounts)
    >>> life[["account_id", "start", "start_observed", "duration_months", "churned"]]
      account_id      start  start_observed  duration_months  churned
    0         A1 2026-07-01           False                4        0
    1         A2 2026-08-01            True                2        1
    """
    func = "account_lifetimes"
    if early_months < 1:
        raise ParamsError(f"{func}: early_months={early_months!r} must be >= 1.")
    ids, first, matrix = _account_mrr_matrix(mrr, end=month, func=func)
    paying = matrix > 0
    ever = paying.any(axis=1)
    ids, matrix, paying = ids[ever], matrix[ever], paying[ever]
    n_acc, n_mon = matrix.shape
    col = np.arange(n_mon)[None, :]
    start = np.argmax(paying, axis=1)
    after = ~paying & (col > start[:, None])
    churned = after.any(axis=1)
    churn_at = np.where(churned, np.argmax(after, axis=1), n_mon)
    duration = churn_at - start

    info = _account_info(accounts, ids, func=func)
    out = pd.DataFrame({
        "account_id": pd.Series(ids.to_numpy(), dtype=mrr["account_id"].dtype),
        "start": _number_to_month(first + start),
        "start_observed": start > 0,
        "duration_months": duration.astype(np.int64),
        "churned": churned.astype(np.int64),
        "segment": pd.Series(info["segment"].to_numpy()),
        "plan": pd.Series(info["plan"].to_numpy()),
        "region": pd.Series(info["region"].to_numpy()),
    })
    if usage is not None:
        counts = _key_feature_counts(usage, ids, first, n_mon, features=KEY_FEATURES,
                                     func=func)
        window = (col >= start[:, None]) & (col < (start + np.minimum(duration, early_months))
                                            [:, None])
        mean = (counts * window).sum(axis=1) / window.sum(axis=1)
        key = np.floor(mean + 0.5).astype(np.int64)
        out["key_features"] = key
        out["key_adopter"] = (key >= min_features).astype(np.int64)
        out["adoption_band"] = adoption_band(pd.Series(key), min_features=min_features)
    return out


# --- Kaplan-Meier ---------------------------------------------------------------------------


@dataclass
class SurvivalCurves:
    """Kaplan-Meier curves per group.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per group and distinct time, starting with time 0 (survival
        1): ``group``, ``time``, ``at_risk`` (at the start of ``time``),
        ``events``, ``censored`` (at ``time``), ``survival`` (product-limit,
        just after ``time``), ``ci_low``, ``ci_high`` (pointwise, Greenwood
        variance on the log(-log) scale, like lifelines and R's
        ``conf.type="log-log"``; NaN where survival is 0 or undefined).
    medians : pandas.DataFrame
        ``group``, ``n``, ``events``, ``median`` (smallest time where
        survival <= 0.5; NaN if never reached), ``ci_low``, ``ci_high``
        (statsmodels ``SurvfuncRight.quantile_ci``, cloglog).
    logrank : dict or None
        ``statistic``, ``df``, ``p_value``, ``groups`` (statsmodels
        ``survdiff``); None with a single group; NaN statistic and p-value
        when the groups have no events at all.
    summary : pandas.DataFrame
        Same as ``medians``: one row per group.
    """

    table: pd.DataFrame
    medians: pd.DataFrame
    logrank: dict | None

    @property
    def summary(self) -> pd.DataFrame:
        """One row per group: the ``medians`` table."""
        return self.medians


def _km_table(time: np.ndarray, event: np.ndarray, z: float) -> pd.DataFrame:
    times, inverse = np.unique(time, return_inverse=True)
    events = np.bincount(inverse, weights=event, minlength=len(times))
    total = np.bincount(inverse, minlength=len(times)).astype(float)
    censored = total - events
    at_risk = len(time) - np.concatenate([[0.0], np.cumsum(total)[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        survival = np.cumprod(1.0 - events / at_risk)
        green = np.cumsum(np.where(events > 0, events / (at_risk * (at_risk - events)), 0.0))
        log_s = np.log(survival)
        se = np.sqrt(green) / np.abs(log_s)
        centre = np.log(-log_s)
        ci_low = np.exp(-np.exp(centre + z * se))
        ci_high = np.exp(-np.exp(centre - z * se))
    # survival 1 (no event yet): the interval is the point; survival 0: undefined
    ci_low = np.where(survival >= 1, 1.0, np.where(survival <= 0, np.nan, ci_low))
    ci_high = np.where(survival >= 1, 1.0, np.where(survival <= 0, np.nan, ci_high))
    table = pd.DataFrame({
        "time": times, "at_risk": at_risk.astype(np.int64), "events": events.astype(np.int64),
        "censored": censored.astype(np.int64), "survival": survival,
        "ci_low": ci_low, "ci_high": ci_high,
    })
    if len(times) == 0 or times[0] > 0:
        origin = pd.DataFrame({"time": [0], "at_risk": [len(time)], "events": [0],
                               "censored": [0], "survival": [1.0], "ci_low": [1.0],
                               "ci_high": [1.0]}).astype(table.dtypes.to_dict())
        table = pd.concat([origin, table], ignore_index=True)
    return table


def _groups(values: pd.Series) -> list:
    if isinstance(values.dtype, pd.CategoricalDtype):
        return [g for g in values.cat.categories if (values == g).any()]
    return sorted(values.unique(), key=lambda g: (str(type(g)), g))


def survival_curves(
    data: pd.DataFrame,
    *,
    duration: str,
    event: str,
    by: str | Sequence[str] | None = None,
    confidence: float = 0.95,
) -> SurvivalCurves:
    """Kaplan-Meier survival curves per group, medians and a log-rank test.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject (e.g. :func:`account_lifetimes`). Not modified.
        Rows with a missing duration, event or group are left out.
    duration : str
        Time observed (>= 0), e.g. ``"duration_months"``.
    event : str
        1 when the subject had the event (churn) at ``duration``, 0 when
        censored.
    by : str or list of str, optional
        Group column(s); None for one curve named ``"all"``. With several
        columns a group is a combination of their values, named like
        ``"SMB / 1"``.
    confidence : float, default 0.95
        Level of the intervals.

    Returns
    -------
    SurvivalCurves
        ``.table``, ``.medians`` and ``.logrank`` (see :class:`SurvivalCurves`).

    Raises
    ------
    ModelError
        A column is missing, no rows are left, a duration is negative or an
        event is not 0/1.

    Examples
    --------
    >>> life = pd.DataFrame({"duration_months": [2, 3, 3, 5, 8, 12, 4, 6, 9, 12],
    ...                      "churned": [1, 1, 0, 1, 1, 0, 1, 0, 0, 0],
    ...                      "key_adopter": [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]})
    >>> curves = survival_curves(life, duration="duration_months", event="churned",
    ...                          by="key_adopter")
    >>> curves.table.head(4).round(3)
       group  time  at_risk  events  censored  survival  ci_low  ci_high
    0      0     0        5       0         0       1.0   1.000    1.000
    1      0     2        5       1         0       0.8   0.204    0.969
    2      0     3        4       1         1       0.6   0.126    0.882
    3      0     5        2       1         0       0.3   0.012    0.719
    >>> curves.medians[["group", "n", "events", "median"]]
       group  n  events  median
    0      0  5       4     5.0
    1      1  5       1     NaN
    >>> round(curves.logrank["statistic"], 2), round(curves.logrank["p_value"], 3)
    (4.3, 0.038)

    Non-adopters: 4 of 5 at risk survive month 2 (0.8), then 3 of 4 month 3
    (0.8 x 3/4 = 0.6); the censored one leaves, and 1 of 2 survives month 5
    (0.3).
    """
    from statsmodels.duration.survfunc import SurvfuncRight, survdiff

    func = "survival_curves"
    if not 0 < confidence < 1:
        raise ParamsError(f"{func}: confidence={confidence!r} must be in (0, 1), e.g. 0.95.")
    by_cols = _as_list(by)
    by = by_cols[0] if len(by_cols) == 1 else (by_cols or None)
    cols = [duration, event, *by_cols]
    frame, _ = _complete_rows(data, cols, func=func)
    if len(by_cols) > 1:  # one label per combination of the columns' values
        frame = frame.assign(_group=frame[by_cols].astype(str).agg(" / ".join, axis=1))
        by = "_group"
    if len(frame) == 0:
        raise ModelError(f"{func}: no rows with `{duration}` and `{event}` to draw a curve.")
    time = pd.to_numeric(frame[duration]).to_numpy(dtype=float)
    status = _status(frame[event], column=event, func=func)
    if (time < 0).any():
        raise ModelError(f"{func}: `{duration}` has {int((time < 0).sum())} negative "
                         "value(s); durations must be >= 0.")
    z = norm.ppf(0.5 + confidence / 2)
    group = frame[by] if by is not None else pd.Series("all", index=frame.index)
    labels = _groups(group) if by is not None else ["all"]
    gvals = group.to_numpy()
    tables, medians = [], []
    for g in labels:
        rows = gvals == g
        t = _km_table(time[rows], status[rows], z)
        t.insert(0, "group", g)
        tables.append(t)
        sf = SurvfuncRight(time[rows], status[rows])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            low, high = sf.quantile_ci(0.5, alpha=1 - confidence)
        medians.append({"group": g, "n": int(rows.sum()), "events": int(status[rows].sum()),
                        "median": float(sf.quantile(0.5)), "ci_low": float(low),
                        "ci_high": float(high)})
    table = pd.concat(tables, ignore_index=True)[_TABLE_COLUMNS]
    if np.array_equal(time, np.floor(time)):  # whole months stay integers
        table["time"] = table["time"].astype(np.int64)
    med = pd.DataFrame(medians)
    if by is not None and isinstance(group.dtype, pd.CategoricalDtype):
        dtype = pd.CategoricalDtype(labels, ordered=group.dtype.ordered)
        table["group"] = table["group"].astype(dtype)
        med["group"] = med["group"].astype(dtype)

    logrank = None
    if len(labels) > 1:
        codes = pd.Index(labels).get_indexer(gvals)
        try:
            stat, p = survdiff(time, status, codes)
        except np.linalg.LinAlgError:  # no events at all: nothing to compare
            stat, p = np.nan, np.nan
        logrank = {"statistic": float(stat), "df": len(labels) - 1, "p_value": float(p),
                   "groups": list(labels)}
    return SurvivalCurves(table=table, medians=med, logrank=logrank)


def _status(values: pd.Series, *, column: str, func: str) -> np.ndarray:
    numeric = pd.to_numeric(values.astype("float64") if pd.api.types.is_bool_dtype(values)
                            else values, errors="coerce")
    if numeric.isna().any() or not numeric.isin([0, 1]).all():
        raise ModelError(f"{func}: `{column}` must be 0/1 (1 = event, 0 = censored); found "
                         f"{sorted(pd.unique(values.astype('str')))[:5]}.")
    return numeric.to_numpy(dtype=float)


# --- Cox ------------------------------------------------------------------------------------


class HazardModel(FittedModel):
    """Cox proportional hazards model (statsmodels ``PHReg``) with hazard ratios.

    Settings go in ``__init__``; :meth:`fit` returns ``self``. Text or
    categorical covariates are dummy-coded against a reference level (first
    category, or first in sorted order), named like ``segment[T.SMB]``.
    Rows with a missing value in a model column are dropped.

    Parameters
    ----------
    duration, event : str
        Time and 0/1 event columns.
    covariates : list of str
        Covariate columns.
    ties : {"efron", "breslow"}, default "efron"
        How tied durations are handled in the partial likelihood: Efron's
        approximation (R's ``coxph`` default) or Breslow's (Stata's and SAS's
        default; cruder with many ties).
    confidence : float, default 0.95
        Level of the hazard-ratio intervals.
    sparse : {"drop", "raise"}, default "drop"
        What to do with a categorical (or 0/1) covariate that has a level
        without events (its hazard ratio would be 0): leave it out with a
        :class:`~cslib.exceptions.SmallSampleWarning`, or raise ``ModelError``.

    Attributes
    ----------
    covariates_used_ : list of str
        The covariates actually in the model.
    summary_ : pandas.DataFrame
        Indexed by ``term``: ``coef``, ``se``, ``hazard_ratio``, ``ci_low``,
        ``ci_high`` (hazard-ratio scale, Wald), ``p_value``.
    diagnostics_ : dict
        ``n``, ``events``, ``dropped``, ``log_likelihood``.
    results_ : statsmodels results
    """

    def __init__(self, *, duration: str, event: str, covariates: Sequence[str],
                 ties: str = "efron", confidence: float = 0.95, sparse: str = "drop"):
        if sparse not in ("drop", "raise"):
            raise ParamsError(f"sparse={sparse!r} must be 'drop' or 'raise'.")
        self.sparse = sparse
        if ties not in ("efron", "breslow"):
            raise ParamsError(f"ties={ties!r} must be 'efron' or 'breslow'.")
        if not 0 < confidence < 1:
            raise ParamsError(f"confidence={confidence!r} must be in (0, 1), e.g. 0.95.")
        self.duration, self.event = duration, event
        self.covariates = _as_list(covariates)
        self.ties, self.confidence = ties, confidence

    def fit(self, data: pd.DataFrame) -> HazardModel:
        """Fit the Cox model on ``data``; returns ``self``.

        Rows with a missing value in ``duration``, ``event`` or a covariate
        are dropped (counted in ``diagnostics_["dropped"]``); text or
        categorical covariates are dummy-coded; ties in ``duration`` are
        handled with the ``ties`` method (statsmodels ``PHReg``).

        Parameters
        ----------
        data : pandas.DataFrame
            One row per subject (e.g. :func:`account_lifetimes`) with the
            ``duration``, ``event`` and ``covariates`` columns. Not modified.

        Returns
        -------
        HazardModel
            ``self``, with ``covariates_used_``, ``summary_``,
            ``diagnostics_`` and ``results_`` set.

        Raises
        ------
        ModelError
            No covariates, a missing column, no complete rows, an event
            column that is not 0/1, no events, every covariate dropped for a
            level without events, a constant covariate, or collinear terms.

        Warns
        -----
        SmallSampleWarning
            A covariate was left out because one of its levels has no events
            (``sparse="drop"``).

        Examples
        --------
        >>> life = pd.DataFrame({"months": [2, 3, 3, 5, 8, 12, 4, 6, 9, 12],
        ...                      "churned": [1, 1, 0, 1, 1, 0, 1, 0, 0, 0],
        ...                      "key_adopter": [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]})
        >>> cox = HazardModel(duration="months", event="churned",
        ...                   covariates=["key_adopter"], ties="breslow").fit(life)
        >>> cox.diagnostics["n"], cox.diagnostics["events"]
        (10, 5)
        >>> bool(cox.summary.loc["key_adopter", "hazard_ratio"] < 1)
        True
        """
        from statsmodels.duration.hazard_regression import PHReg

        func = "hazard_model"
        if not self.covariates:
            raise ModelError(f"{func}: no covariates; pass at least one column in "
                             "`covariates` (see cslib.adoption.usable_controls).")
        cols = [self.duration, self.event, *self.covariates]
        frame, dropped = _complete_rows(data, cols, func=func)
        if len(frame) == 0:
            raise ModelError(f"{func}: no complete rows in {', '.join(f'`{c}`' for c in cols)}.")
        status = _status(frame[self.event], column=self.event, func=func)
        if status.sum() == 0:
            raise ModelError(f"{func}: no events (`{self.event}` is 0 in all {len(frame)} "
                             "rows), so hazards cannot be compared. Use a longer window.")
        covariates = _drop_degenerate(frame, self.covariates, status, func=func,
                                      sparse=self.sparse, all_events_too=False,
                                      what=f"without events in `{self.event}`")
        if not covariates:
            raise ModelError(f"{func}: every covariate has a level without events; nothing "
                             "is left to model. Use a longer window or a larger group.")
        self.covariates_used_ = covariates
        x = _design(frame, covariates, func=func)
        if np.linalg.matrix_rank(x.to_numpy()) < x.shape[1]:
            raise ModelError(f"{func}: the terms {list(x.columns)} are collinear; drop a "
                             "covariate.")
        time = pd.to_numeric(frame[self.duration]).to_numpy(dtype=float)
        res = PHReg(time, x, status=status, ties=self.ties).fit()
        z = norm.ppf(0.5 + self.confidence / 2)
        params = pd.Series(np.asarray(res.params), index=x.columns)
        se = pd.Series(np.asarray(res.bse), index=x.columns)
        summary = pd.DataFrame({
            "coef": params, "se": se, "hazard_ratio": np.exp(params),
            "ci_low": np.exp(params - z * se), "ci_high": np.exp(params + z * se),
            "p_value": np.asarray(res.pvalues),
        })
        summary.index.name = "term"
        self.results_ = res
        self.summary_ = summary
        self.diagnostics_ = {"n": int(len(frame)), "events": int(status.sum()),
                             "dropped": dropped, "log_likelihood": float(res.llf)}
        return self


def hazard_model(
    data: pd.DataFrame,
    *,
    duration: str,
    event: str,
    covariates: Sequence[str],
    ties: str = "efron",
    confidence: float = 0.95,
    sparse: str = "drop",
) -> HazardModel:
    """Fit a Cox proportional hazards model; see :class:`HazardModel`.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject, e.g. :func:`account_lifetimes`. Not modified.
    duration, event, covariates, ties, confidence, sparse
        See :class:`HazardModel`.

    Returns
    -------
    HazardModel
        Fitted; read ``.summary`` (hazard ratios) and ``.diagnostics``.

    Raises
    ------
    ModelError
        A column is missing, there are no events, a covariate is constant or
        covariates are collinear.

    Warns
    -----
    SmallSampleWarning
        A covariate was left out because one of its levels has no events.

    Examples
    --------
    >>> life = pd.DataFrame({"duration_months": [2, 3, 3, 5, 8, 12, 4, 6, 9, 12],
    ...                      "churned": [1, 1, 0, 1, 1, 0, 1, 0, 0, 0],
    ...                      "key_adopter": [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]})
    >>> cox = hazard_model(life, duration="duration_months", event="churned",
    ...                    covariates=["key_adopter"])
    >>> cox.summary.round(3)
                  coef     se  hazard_ratio  ci_low  ci_high  p_value
    term
    key_adopter -2.024  1.132         0.132   0.014    1.216    0.074

    On ten accounts the interval is wide: the point estimate (adopters churn
    at about an eighth of the rate) is not evidence on its own.
    """
    return HazardModel(duration=duration, event=event, covariates=covariates, ties=ties,
                       confidence=confidence, sparse=sparse).fit(data)
