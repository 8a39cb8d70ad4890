"""A health score from 0 to 100 per account, and the evidence that it works.

Platforms score health as a weighted mean of measures (engagement, NPS, finance,
support); this one does the same, and then checks itself against what happened.
Every component is read at a month's end with what was known then
(:func:`cslib.pointintime.known_at`); the quarter is the month and the two before it.

=====================  ===========================================================
component              definition (at the end of month M)
=====================  ===========================================================
``nps``                the account's NPS over the quarter's answers, -1..1 (mean of
                       +1 promoter / 0 passive / -1 detractor); 0 without answers
``no_nps``             1 when the account gave no answer in the quarter
``adoption_breadth``   share of the key features used in M (``active_users > 0``)
``adoption_depth``     share of the account's users active on its most-used key
                       feature in M (0..1; 0 without a ``users`` table)
``key_adopter``        1 when at least 2 key features are used in M
``mrr_trend``          account MRR in M over MRR three months before, minus 1,
                       clipped to -1..1; 0 for accounts too new to have a trend
``fcr``                share of the quarter's tickets solved at the first contact
                       (``contacts == 1``), minus 0.70; 0 without tickets
``tickets``            log(1 + tickets opened in the quarter)
``loop_missed``        1 when a detractor or passive answer of the quarter whose
                       SLA (3 days) has elapsed by M's end got no loop action
                       within the SLA (late or never); answers still inside their
                       SLA are pending and do not count
=====================  ===========================================================

The weights are either given (``HealthScore(weights={...})``, e.g. from the params
file) or fitted: a logistic model of churn in the next ``horizon`` months (ridge
penalty on standardised components), fitted on older months only. The score is
``100 * (1 - p)``, ``p`` the predicted chance of churning in the next ``horizon``
months: 90 means one in ten such accounts is expected to churn.

:func:`out_of_time` fits on a training window that ends ``horizon`` months before
the test window starts (so no training label looks past the cutoff), and reports
on the later months only: AUC with an interval resampled by account (accounts
repeat across months), calibration by decile, calibration slope and intercept,
Brier score and top-decile lift.

:func:`loop_effect` and :func:`churn_drivers` measure the close-the-loop effect
and FCR (or any component) as drivers, with intervals clustered by account.

Examples
--------
>>> from cslib.demo import generate_warehouse
>>> wh = generate_warehouse(120, n_months=12, seed=3)
>>> frame = health_frame(wh, ["2026-06"])
>>> frame.columns[:4].tolist()
['month', 'account_id', 'segment', 'employees']
>>> bool(frame["adoption_breadth"].between(0, 1).all())
True
"""

from __future__ import annotations

import datetime
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ._stats import cluster_sandwich, z_value
from .exceptions import ParamsError, SmallSampleWarning
from .i18n import text as _i18n_text

__all__ = [
    "COMPONENTS",
    "DEFAULT_COMPONENTS",
    "HealthScore",
    "OutOfTime",
    "auc",
    "calibration",
    "churn_drivers",
    "fcr_driver",
    "HealthReview",
    "health_frame",
    "health_review",
    "loop_effect",
    "out_of_time",
    "read_thresholds",
    "score_classes",
    "tune_review",
]

KEY_FEATURES = ("dashboards", "automations", "integrations")
FCR_CENTRE = 0.70
LOOP_SLA_DAYS = 3

#: Component -> what it measures (the scorecard; see the module docstring).
COMPONENTS = {
    "nps": "account NPS over the quarter's answers, -1..1 (0 without answers)",
    "no_nps": "no NPS answer in the quarter",
    "adoption_breadth": "share of key features used in the month",
    "adoption_depth": "share of users active on the most-used key feature",
    "key_adopter": "at least 2 key features used in the month",
    "mrr_trend": "MRR change over 3 months, -1..1",
    "fcr": "FCR over the quarter's tickets, minus 0.70 (0 without tickets)",
    "tickets": "log(1 + tickets opened in the quarter)",
    "loop_missed": "a detractor or passive answer of the quarter not called within the SLA",
}
#: The components the fitted score uses by default.
DEFAULT_COMPONENTS = ("nps", "no_nps", "adoption_breadth", "adoption_depth", "mrr_trend",
                      "fcr", "tickets", "loop_missed")


class HealthWarning(SmallSampleWarning):
    """Too few events for a stable fit or validation."""


# --- the frame ----------------------------------------------------------------------------

def _period(month, func: str) -> pd.Period:
    try:
        return pd.Period(month, freq="M")
    except (ValueError, TypeError):
        raise ParamsError(f"{func}: month={month!r} is not a month; pass 'YYYY-MM'.") from None


def _month_start(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.to_period("M")


def _month_ordinals(values: pd.Series) -> np.ndarray:
    """The months of ``values`` as ``Period.ordinal`` numbers (NaT: ``NaT``'s int64).

    Each distinct date (one per month in the monthly tables) is converted once,
    rather than boxing a Period per row.
    """
    codes, distinct = pd.factorize(pd.to_datetime(values), use_na_sentinel=False)
    return pd.DatetimeIndex(distinct).to_period("M").asi8[codes]


def _mrr_sums(mrr: pd.DataFrame, months=None) -> pd.Series:
    """Account MRR summed per (account, month ordinal), sorted; rows of ``months`` only."""
    ords = _month_ordinals(mrr["month"])
    keep = ords != pd.NaT.value
    if months is not None:
        keep &= np.isin(ords, np.asarray(list(months), dtype=np.int64))
    m = pd.DataFrame({"account_id": mrr["account_id"].to_numpy()[keep],
                      "month": ords[keep],
                      "mrr": pd.to_numeric(mrr["mrr"], errors="coerce").fillna(0.0)
                      .to_numpy(dtype=float)[keep]})
    return m.groupby(["account_id", "month"])["mrr"].sum()


def _account_mrr(mrr: pd.DataFrame) -> pd.DataFrame:
    """Accounts x months (Period) of account MRR; months without a row are 0."""
    out = _mrr_sums(mrr).unstack(fill_value=0.0)
    if out.empty:
        out.columns = pd.PeriodIndex([], freq="M", name="month")
        return out
    full = np.arange(out.columns.min(), out.columns.max() + 1)
    out = out.reindex(columns=full, fill_value=0.0)
    out.columns = pd.PeriodIndex.from_ordinals(full, freq="M")
    return out


def _churn_labels(am: pd.DataFrame, period: pd.Period, ids, horizon: int) -> np.ndarray:
    """1 if account MRR is 0 in any of the next ``horizon`` months; NaN without that future."""
    if am.empty or period + horizon > am.columns.max():
        return np.full(len(ids), np.nan)
    path = am.reindex(index=ids, columns=[period + k for k in range(1, horizon + 1)],
                      fill_value=0.0).to_numpy()
    return (path <= 0.005).any(axis=1).astype(float)


def _month_features(cut: Mapping[str, pd.DataFrame], period: pd.Period) -> pd.DataFrame:
    """The components of every account paying in ``period``, from tables cut at its end."""
    end = (period + 1).to_timestamp()
    q0 = (period - 2).to_timestamp()
    sums = _mrr_sums(cut["mrr"], (period.ordinal, (period - 3).ordinal))
    if sums.empty:
        return pd.DataFrame()
    sums = sums.unstack(fill_value=0.0)
    if period.ordinal not in sums.columns:
        return pd.DataFrame()
    now = sums[period.ordinal]
    ids = now.index[now > 0.005]
    acc = cut["accounts"].drop_duplicates("account_id").set_index("account_id")
    out = pd.DataFrame(index=pd.Index(ids, name="account_id"))
    out["segment"] = acc["segment"].reindex(ids).to_numpy()
    emp = acc["employees"] if "employees" in acc.columns else pd.Series(dtype=float)
    out["employees"] = pd.to_numeric(emp, errors="coerce").reindex(ids).to_numpy(dtype=float)
    out["mrr"] = now.reindex(ids).to_numpy()

    # NPS over the quarter
    r = cut["nps_responses"]
    when = pd.to_datetime(r["responded_at"])
    score = pd.to_numeric(r["score"], errors="coerce")
    inq = ((when >= q0) & (when < end) & score.notna()).to_numpy()
    rq = pd.DataFrame({"account_id": r["account_id"].to_numpy()[inq],
                       "points": np.select([score[inq] >= 9, score[inq] >= 7], [1.0, 0.0], -1.0)})
    g = rq.groupby("account_id")["points"]
    n_ans = g.size().reindex(ids).fillna(0).to_numpy()
    out["nps_answers"] = n_ans.astype("int64")
    out["nps"] = np.where(n_ans > 0, g.mean().reindex(ids).fillna(0).to_numpy(), 0.0)
    out["no_nps"] = (n_ans == 0).astype(float)

    # loops: detractor or passive answers of the quarter whose SLA has elapsed
    loops = cut.get("loop_actions")
    sla = pd.Timedelta(days=LOOP_SLA_DAYS)
    due = (inq & (score <= 8).to_numpy() & (when + sla < end).to_numpy())
    if loops is not None and "response_id" in r.columns and len(loops):
        first = pd.to_datetime(loops["done_at"]).groupby(loops["response_id"].to_numpy()).min()
        done = first.reindex(r["response_id"]).to_numpy()
        in_sla = (done - when.to_numpy()) <= sla.to_timedelta64()
        in_sla = np.where(pd.isna(done), False, in_sla)
    else:
        in_sla = np.zeros(len(r), dtype=bool)
    missed = pd.Series(due & ~in_sla).groupby(r["account_id"].to_numpy()).sum()
    out["loop_missed"] = (missed.reindex(ids).fillna(0).to_numpy() > 0).astype(float)

    # adoption in the month
    u = cut["usage"]
    um = _month_ordinals(u["month"]) == period.ordinal
    active = pd.to_numeric(u["active_users"] if "active_users" in u.columns else u["events"],
                           errors="coerce").fillna(0)
    used = u[(um & u["feature"].isin(KEY_FEATURES) & (active > 0)).to_numpy()]
    breadth = used.groupby("account_id")["feature"].nunique().reindex(ids).fillna(0)
    out["adoption_breadth"] = (breadth / len(KEY_FEATURES)).to_numpy()
    out["key_adopter"] = (breadth >= 2).astype(float).to_numpy()
    users = cut.get("users")
    if users is not None and "active_users" in used.columns and len(users):
        n_users = users.groupby("account_id").size().reindex(ids)
        top = pd.to_numeric(used["active_users"]).groupby(used["account_id"]).max().reindex(ids)
        out["adoption_depth"] = (top / n_users).clip(0, 1).fillna(0).to_numpy()
    else:
        out["adoption_depth"] = 0.0

    # MRR trend
    before = (sums[(period - 3).ordinal] if (period - 3).ordinal in sums.columns
              else pd.Series(dtype=float))
    before = before.reindex(ids).fillna(0).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        trend = np.where(before > 0.005, out["mrr"].to_numpy() / before - 1, 0.0)
    out["mrr_trend"] = np.clip(trend, -1, 1)

    # tickets of the quarter, FCR by contacts
    t = cut["tickets"]
    opened = pd.to_datetime(t["opened_at"])
    tq = ((opened >= q0) & (opened < end)).to_numpy()
    contacts = pd.to_numeric(t["contacts"], errors="coerce") if "contacts" in t else None
    first = ((contacts == 1).to_numpy() if contacts is not None
             else np.zeros(len(t), dtype=bool))
    tg = pd.DataFrame({"account_id": t["account_id"].to_numpy()[tq], "first": first[tq]})
    tg = tg.groupby("account_id")["first"]
    n_t = tg.size().reindex(ids).fillna(0).to_numpy()
    out["tickets_q"] = n_t.astype("int64")
    out["tickets"] = np.log1p(n_t)
    out["fcr"] = np.where(n_t > 0, tg.mean().reindex(ids).fillna(0).to_numpy() - FCR_CENTRE,
                          0.0)
    return out.reset_index()


#: The tables :func:`_month_features` reads.
_FEATURE_TABLES = ("accounts", "mrr", "nps_responses", "loop_actions", "usage", "users",
                   "tickets")


def month_features_at(tables: Mapping[str, pd.DataFrame], period: pd.Period,
                      shared: dict | None = None, cut=None) -> pd.DataFrame:
    """The score's components in ``period`` from ``tables`` cut at its end (a copy).

    ``shared`` (internal): month -> components, kept by :func:`health_review` for
    every part that scores the same month. Only the components are kept, never the
    cut tables: each month's cut holds the history up to it, and keeping the cuts of
    two dozen months held 3 GB for a 50,000-account segment. ``cut``: the tables
    already cut at ``period`` (the backtest has them).
    """
    from .pointintime import known_at

    key = str(period)
    if shared is not None and key in shared:
        return shared[key].copy()
    if cut is None:
        cut = known_at(tables, key)
    features = _month_features(cut, period)
    if shared is not None:
        shared[key] = features
    return features.copy()


def health_frame(tables: Mapping[str, pd.DataFrame], months: Sequence, *,
                 horizon: int = 3, _cuts: dict | None = None) -> pd.DataFrame:
    """The score's components per account and month, each known at its month's end.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        The warehouse (``accounts``, ``mrr``, ``nps_responses``, ``usage``,
        ``tickets``; ``loop_actions`` and ``users`` when there). Not modified.
    months : sequence of month-likes
        The months to score.
    horizon : int, default 3
        Months ahead of the label ``churn``: 1 if account MRR is 0 in any of the
        next ``horizon`` months, NaN when the data do not reach that far.
    _cuts : dict, optional
        Internal: month -> its components, shared by the calls of
        :func:`health_review` (each month is cut and scored once; see
        :func:`month_features_at`).

    Returns
    -------
    DataFrame
        ``month`` (Period), ``account_id``, ``segment``, ``employees``, ``mrr``,
        the :data:`COMPONENTS`, ``nps_answers``, ``tickets_q`` and ``churn``.
    """

    am = _account_mrr(tables["mrr"])
    # only the tables the components read are cut (each is cut as in the whole warehouse)
    feature_tables = {k: tables[k] for k in _FEATURE_TABLES if k in tables}
    frames = []
    for month in months:
        period = _period(month, "health_frame")
        f = month_features_at(feature_tables, period, _cuts)
        if f.empty:
            continue
        f.insert(0, "month", period)
        f["churn"] = _churn_labels(am, period, f["account_id"].to_numpy(), horizon)
        frames.append(f)
    if not frames:
        span = (f"{months[0]} to {months[-1]}" if len(months) > 1
                else (str(months[0]) if len(months) else "no month"))
        raise ParamsError(f"health_frame: no account pays in {span}; the data do not reach "
                          "back that far.")
    out = pd.concat(frames, ignore_index=True)
    first = ["month", "account_id", "segment", "employees", "mrr"]
    return out[first + [c for c in out.columns if c not in first]]


# --- the model ----------------------------------------------------------------------------

def _logit_newton(x: np.ndarray, y: np.ndarray, *, alpha: float = 0.0,
                  offset: np.ndarray | None = None, max_iter: int = 100) -> np.ndarray:
    """Logistic regression by Newton's method; ridge ``alpha / 2 * |b|^2`` on all but column 0."""
    n, k = x.shape
    beta = np.zeros(k)
    off = np.zeros(n) if offset is None else offset
    pen = np.full(k, float(alpha))
    pen[0] = 0.0
    for _ in range(max_iter):
        eta = np.clip(x @ beta + off, -30, 30)
        p = 1 / (1 + np.exp(-eta))
        grad = x.T @ (y - p) - pen * beta
        hess = (x * (p * (1 - p))[:, None]).T @ x + np.diag(pen)
        step = np.linalg.solve(hess + 1e-10 * np.eye(k), grad)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


@dataclass
class HealthScore:
    """The health score: components, weights and the score 0-100.

    Like the lifelines fitters: settings here, :meth:`fit` returns ``self``, results
    in trailing-underscore attributes, :attr:`summary` a DataFrame.

    Parameters
    ----------
    components : sequence of str
        Columns of :func:`health_frame` the score uses.
    alpha : float, default 1.0
        Ridge penalty on the standardised components (0 = plain logistic).
    horizon : int, default 3
        Months ahead of the churn the score predicts.
    weights : mapping, optional
        Weights (log-odds of churn per unit of each component) set by hand, e.g. from
        the params file, with ``intercept``; then no fit is needed.
    intercept : float, optional
        With ``weights``: the log-odds of churn at all components 0.

    Examples
    --------
    >>> import pandas as pd
    >>> m = HealthScore(components=["nps"], weights={"nps": -1.0}, intercept=-2.0)
    >>> m.score(pd.DataFrame({"nps": [-1.0, 1.0]})).tolist()
    [73, 95]
    """

    components: Sequence[str] = DEFAULT_COMPONENTS
    alpha: float = 1.0
    horizon: int = 3
    weights: Mapping[str, float] | None = None
    intercept: float | None = None
    coef_: pd.Series | None = field(default=None, init=False)
    intercept_: float | None = field(default=None, init=False)
    train_months_: tuple = field(default=(), init=False)
    train_end_: pd.Period | None = field(default=None, init=False)
    n_train_: int = field(default=0, init=False)
    events_train_: int = field(default=0, init=False)

    def __post_init__(self):
        unknown = sorted(set(self.components) - set(COMPONENTS))
        if unknown:
            raise ParamsError(f"HealthScore: unknown component(s) {unknown}; valid: "
                              f"{', '.join(COMPONENTS)}.")
        if self.weights is not None:
            missing = sorted(set(self.components) - set(self.weights))
            if missing or self.intercept is None:
                raise ParamsError(
                    f"HealthScore: weights must give every component (missing {missing}) "
                    "and an `intercept`; or leave weights out and call fit().")
            self.coef_ = pd.Series({c: float(self.weights[c]) for c in self.components})
            self.intercept_ = float(self.intercept)

    def fit_frame(self, frame: pd.DataFrame) -> HealthScore:
        """Fit on the labelled rows of a :func:`health_frame` (rows without label dropped)."""
        rows = frame[frame["churn"].notna()]
        if rows.empty:
            raise ParamsError("HealthScore.fit: no labelled account-month to fit on; the "
                              f"training months need {self.horizon} months of future.")
        x = rows[list(self.components)].to_numpy(dtype=float)
        y = rows["churn"].to_numpy(dtype=float)
        mu, sd = x.mean(axis=0), x.std(axis=0)
        sd = np.where(sd > 0, sd, 1.0)
        z = np.column_stack([np.ones(len(x)), (x - mu) / sd])
        beta = _logit_newton(z, y, alpha=self.alpha)
        coef = beta[1:] / sd
        self.coef_ = pd.Series(coef, index=list(self.components))
        self.intercept_ = float(beta[0] - (coef * mu).sum())
        self.n_train_, self.events_train_ = len(y), int(y.sum())
        self.train_months_ = tuple(sorted(rows["month"].unique()))
        if self.events_train_ < 10 * len(self.components):
            warnings.warn(f"HealthScore: {self.events_train_} churn events for "
                          f"{len(self.components)} components (fewer than 10 per component); "
                          "the weights are unstable.", HealthWarning, stacklevel=2)
        return self

    def fit(self, tables: Mapping[str, pd.DataFrame], *, train_end, train_months: int = 12,
            _cuts: dict | None = None) -> HealthScore:
        """Fit on the ``train_months`` months whose labels end by ``train_end``.

        The tables are first cut at ``train_end``'s end, so nothing after it (no
        event, no label) reaches the fit: the last training month is ``train_end -
        horizon``.
        """
        from .pointintime import known_at

        end = _period(train_end, "HealthScore.fit")
        last = end - self.horizon
        months = [last - k for k in range(int(train_months) - 1, -1, -1)]
        # A month's components from the tables cut at train_end are those cut from the
        # whole tables (a cut of a cut at an earlier month is that month's cut), so
        # they are shared; the labels come from the MRR cut at train_end.
        frame = health_frame(known_at(tables, str(end)), months, horizon=self.horizon,
                             _cuts=_cuts)
        self.fit_frame(frame)
        self.train_end_ = end
        return self

    def _check(self):
        if self.coef_ is None:
            raise ParamsError("HealthScore: not fitted; call fit() or give weights.")

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Predicted chance of churning in the next ``horizon`` months, per row."""
        self._check()
        x = frame[list(self.coef_.index)].to_numpy(dtype=float)
        return 1 / (1 + np.exp(-(self.intercept_ + x @ self.coef_.to_numpy())))

    def score(self, frame: pd.DataFrame) -> pd.Series:
        """The health score 0-100: ``round(100 * (1 - p))``."""
        return pd.Series(np.round(100 * (1 - self.predict_proba(frame))).astype("int64"),
                         index=frame.index, name="health")

    @property
    def summary(self) -> pd.DataFrame:
        """One row per component: its weight (log-odds of churn per unit), odds ratio."""
        self._check()
        return pd.DataFrame({"component": self.coef_.index,
                             "description": [COMPONENTS[c] for c in self.coef_.index],
                             "weight": self.coef_.to_numpy(),
                             "odds_ratio": np.exp(self.coef_.to_numpy())})


# --- validation -----------------------------------------------------------------------------

def auc(y, p) -> float:
    """Area under the ROC curve (Mann-Whitney, ties count one half).

    Examples
    --------
    >>> auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    n1 = y.sum()
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = pd.Series(p).rank(method="average").to_numpy()
    return float((ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def calibration(y, p, *, bins: int = 10) -> tuple[pd.DataFrame, float, float]:
    """Observed against predicted by decile of ``p``, calibration slope and intercept.

    The slope is the coefficient of ``logit(p)`` in a logistic regression of the
    outcome on it (1 when the spread is right, below 1 when too extreme); the
    intercept is calibration-in-the-large: the intercept of a logistic regression
    with ``logit(p)`` as offset (0 when the mean is right).
    """
    y = np.asarray(y, dtype=float)
    p = np.clip(np.asarray(p, dtype=float), 1e-9, 1 - 1e-9)
    lp = np.log(p / (1 - p))
    slope = float(_logit_newton(np.column_stack([np.ones(len(y)), lp]), y)[1])
    intercept = float(_logit_newton(np.ones((len(y), 1)), y, offset=lp)[0])
    order = np.argsort(p, kind="stable")
    decile = np.empty(len(p), dtype=int)
    decile[order] = np.arange(len(p)) * bins // max(len(p), 1) + 1
    d = pd.DataFrame({"decile": decile, "predicted": p, "observed": y})
    table = d.groupby("decile").agg(rows=("observed", "size"), predicted=("predicted", "mean"),
                                    observed=("observed", "mean")).reset_index()
    return table, slope, intercept


@dataclass(frozen=True)
class OutOfTime:
    """What :func:`out_of_time` returns.

    ``model`` (fitted :class:`HealthScore`), ``train_months`` and ``test_months``
    (Periods), ``cutoff`` (the training window's last month: nothing after it was
    used), ``predictions`` (the test rows with ``p`` and ``health``), ``metrics`` (a
    one-row DataFrame: ``rows``, ``accounts``, ``events``, ``base_rate``, ``auc``,
    ``auc_low``, ``auc_high``, ``brier``, ``calibration_slope``,
    ``calibration_intercept``, ``top_decile_lift``) and ``deciles`` (observed
    against predicted).
    """

    model: HealthScore
    train_months: tuple
    test_months: tuple
    cutoff: pd.Period
    predictions: pd.DataFrame
    metrics: pd.DataFrame
    deciles: pd.DataFrame


def _auc_by_account(y, p, accounts, *, n_boot: int, seed: int, confidence: float):
    codes, uniques = pd.factorize(pd.Series(accounts))
    g = len(uniques)
    # the rows of each account, in row order (a stable sort groups them)
    order = np.argsort(codes, kind="stable")
    order = order[codes[order] >= 0]  # rows without an account are never drawn
    rows_of = np.split(order, np.flatnonzero(np.diff(codes[order])) + 1) if g else []
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n_boot):
        pick = rng.integers(0, g, size=g)
        idx = np.concatenate([rows_of[i] for i in pick])
        values.append(auc(y[idx], p[idx]))
    values = np.asarray(values)
    values = values[np.isfinite(values)]
    if len(values) == 0:  # no resample had both outcomes: no interval to give
        return float("nan"), float("nan")
    a = (1 - confidence) / 2
    return float(np.quantile(values, a)), float(np.quantile(values, 1 - a))


def out_of_time(tables: Mapping[str, pd.DataFrame], *, horizon: int = 3, test_months: int = 3,
                train_months: int = 12, components: Sequence[str] = DEFAULT_COMPONENTS,
                alpha: float = 1.0, n_boot: int = 200, confidence: float = 0.95,
                seed: int = 0, last_month=None, _cuts: dict | None = None) -> OutOfTime:
    """Fit the score on older months and validate it on later months only.

    With ``L`` the last MRR month, the test months are the ``test_months`` months
    ending at ``L - horizon`` (each has its label's future); the cutoff is the month
    before them, the fit sees the tables cut at the cutoff's end and its training
    months end at ``cutoff - horizon`` (their labels end at the cutoff).

    Parameters
    ----------
    tables : mapping of str to DataFrame
    horizon, test_months, train_months : int
    components, alpha
        Passed to :class:`HealthScore`.
    n_boot : int, default 200
        Resamples of accounts for the AUC interval (percentile interval).
    confidence : float, default 0.95
    seed : int, default 0
        Of the resampling.
    last_month : month-like, optional
        Take ``L`` here instead of the last MRR month.

    Returns
    -------
    OutOfTime
    """
    am = _account_mrr(tables["mrr"])
    if am.empty:
        raise ParamsError("out_of_time: the `mrr` table is empty.")
    last = _period(last_month, "out_of_time") if last_month is not None else am.columns.max()
    test = [last - horizon - k for k in range(int(test_months) - 1, -1, -1)]
    cutoff = test[0] - 1
    model = HealthScore(components=components, alpha=alpha, horizon=horizon)
    model.fit(tables, train_end=cutoff, train_months=train_months, _cuts=_cuts)
    frame = health_frame(tables, test, horizon=horizon, _cuts=_cuts)
    frame = frame[frame["churn"].notna()].reset_index(drop=True)
    p = model.predict_proba(frame)
    y = frame["churn"].to_numpy(dtype=float)
    deciles, slope, intercept = calibration(y, p)
    low, high = _auc_by_account(y, p, frame["account_id"], n_boot=n_boot, seed=seed,
                                confidence=confidence)
    top = p >= np.quantile(p, 0.9)
    base = y.mean()
    metrics = pd.DataFrame([{
        "rows": len(y), "accounts": frame["account_id"].nunique(), "events": int(y.sum()),
        "base_rate": base, "auc": auc(y, p), "auc_low": low, "auc_high": high,
        "brier": float(np.mean((p - y) ** 2)), "calibration_slope": slope,
        "calibration_intercept": intercept,
        "top_decile_lift": float(y[top].mean() / base) if base > 0 else np.nan}])
    if y.sum() < 20:
        warnings.warn(f"out_of_time: {int(y.sum())} churn events in the test months; the "
                      "AUC interval is wide.", HealthWarning, stacklevel=2)
    predictions = frame.assign(p=p, health=np.round(100 * (1 - p)).astype("int64"))
    return OutOfTime(model=model, train_months=model.train_months_, test_months=tuple(test),
                     cutoff=cutoff, predictions=predictions, metrics=metrics, deciles=deciles)


def score_classes(frame: pd.DataFrame, health, *, bands: tuple[float, float] = (70, 85),
                  headroom=None) -> pd.DataFrame:
    """The four review classes from score bands and expansion headroom.

    ``health < bands[0]``: 4 (churn risk); ``< bands[1]``: 3 (needs attention);
    otherwise 2 when ``headroom`` is true for the row (room to expand), else 1.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"account_id": ["a", "b", "c", "d"], "segment": "SMB"})
    >>> score_classes(f, [60, 80, 95, 95], headroom=[False, False, True, False])["class"].tolist()
    [4, 3, 2, 1]
    """
    h = np.asarray(health, dtype=float)
    room = np.zeros(len(h), dtype=bool) if headroom is None else np.asarray(headroom, bool)
    cls = np.select([h < bands[0], h < bands[1], room], [4, 3, 2], 1)
    return pd.DataFrame({"account_id": frame["account_id"].to_numpy(),
                         "segment": frame["segment"].to_numpy(), "class": cls,
                         "health": h.astype("int64")})


# --- drivers: the loop effect and FCR -------------------------------------------------------

def _logit_clustered(y, x, groups, names, confidence):
    beta = _logit_newton(x, y)
    p = 1 / (1 + np.exp(-(x @ beta)))
    bread = np.linalg.inv((x * (p * (1 - p))[:, None]).T @ x)
    cov, _ = cluster_sandwich(x * (y - p)[:, None], bread, groups, correction="ml")
    return beta, np.sqrt(np.diag(cov))


def _design(frame: pd.DataFrame, drivers: Sequence[str], controls: Sequence[str]):
    cols = {"const": np.ones(len(frame))}
    for d in drivers:
        cols[d] = frame[d].to_numpy(dtype=float)
    for c in controls:
        if c == "segment":
            for s in sorted(frame["segment"].dropna().unique())[1:]:
                cols[f"segment[{s}]"] = (frame["segment"] == s).to_numpy(dtype=float)
        elif c == "size":
            emp = pd.to_numeric(frame["employees"], errors="coerce")
            cols["log_employees"] = np.log(emp.fillna(emp.median()).clip(lower=1)).to_numpy()
        else:
            cols[c] = frame[c].to_numpy(dtype=float)
    return np.column_stack(list(cols.values())), list(cols)


def _table(names, beta, se, confidence, n, groups, kind):
    z = z_value(confidence)
    from scipy import stats

    out = pd.DataFrame({"term": names, "estimate": beta, "se": se,
                        "low": beta - z * se, "high": beta + z * se,
                        "p_value": 2 * stats.norm.sf(np.abs(beta / np.where(se > 0, se, np.nan))),
                        "rows": n, "clusters": groups, "model": kind})
    if kind == "logit":
        out["odds_ratio"] = np.exp(out["estimate"])
    return out


def churn_drivers(frame: pd.DataFrame, *, drivers: Sequence[str] = ("fcr", "nps"),
                  controls: Sequence[str] = ("segment", "size"),
                  confidence: float = 0.95) -> pd.DataFrame:
    """Logistic regression of ``churn`` on ``drivers`` and ``controls``, SEs clustered by account.

    ``frame`` is a :func:`health_frame` (its horizon sets the outcome); unlabelled
    rows are dropped. Controls: ``"segment"`` (dummies), ``"size"`` (log employees)
    or any column. An association, not an effect: the drivers were not assigned.

    Returns
    -------
    DataFrame
        One row per term: ``estimate`` (log-odds), ``se``, ``low``, ``high``,
        ``p_value``, ``rows``, ``clusters``, ``model``, ``odds_ratio``.
    """
    rows = frame[frame["churn"].notna()].reset_index(drop=True)
    x, names = _design(rows, drivers, controls)
    beta, se = _logit_clustered(rows["churn"].to_numpy(dtype=float), x, rows["account_id"],
                                names, confidence)
    return _table(names, beta, se, confidence, len(rows), rows["account_id"].nunique(),
                  "logit")


def _answers(tables) -> pd.DataFrame:
    r = tables["nps_responses"]
    out = pd.DataFrame({"response_id": r["response_id"].to_numpy(),
                        "user_id": r["user_id"].to_numpy(),
                        "account_id": r["account_id"].to_numpy(),
                        "responded_at": pd.to_datetime(r["responded_at"]).to_numpy(),
                        "score": pd.to_numeric(r["score"]).to_numpy(dtype=float)})
    return out.sort_values(["user_id", "responded_at"], kind="stable").reset_index(drop=True)


def next_answer_frame(tables: Mapping[str, pd.DataFrame], *, categories=("detractor",),
                      horizon: int = 3) -> pd.DataFrame:
    """Detractor (and passive) answers with their loop, the user's next answer and churn.

    One row per answer of the chosen ``categories`` whose SLA elapsed in the data:
    ``in_sla`` (a loop action within 3 days; else late or never), ``holdout`` (from
    ``loop_actions.holdout`` when present: the answer was held out of the calls at
    random), ``next_detractor`` / ``next_score`` (the user's next answer; NaN when
    none), ``churn`` (account MRR 0 in any of the ``horizon`` months after the
    answer's month; NaN without that future), plus ``segment``, ``employees`` and
    ``first_score`` (the answer's own score).
    """
    a = _answers(tables)
    cat = np.select([a["score"] >= 9, a["score"] >= 7], ["promoter", "passive"], "detractor")
    a["category"] = cat
    g = a.groupby("user_id")
    a["next_score"] = g["score"].shift(-1)
    a["next_at"] = g["responded_at"].shift(-1)
    loops = tables.get("loop_actions")
    sla = pd.Timedelta(days=LOOP_SLA_DAYS)
    last_event = a["responded_at"].max()
    if loops is not None and len(loops):
        done = pd.to_datetime(loops["done_at"]).groupby(loops["response_id"].to_numpy()).min()
        first = done.reindex(a["response_id"]).to_numpy()
        a["in_sla"] = np.where(pd.isna(first), False,
                               (first - a["responded_at"].to_numpy()) <= sla.to_timedelta64())
        if "holdout" in loops.columns:
            h = loops.assign(holdout=loops["holdout"].astype("boolean").fillna(False))
            h = h.groupby("response_id")["holdout"].any()
            a["holdout"] = h.reindex(a["response_id"]).fillna(False).to_numpy(dtype=bool)
    else:
        a["in_sla"] = False
    a = a[np.isin(a["category"], list(categories))
          & (a["responded_at"] + sla <= last_event)].copy()
    a["next_detractor"] = np.where(a["next_score"].isna(), np.nan, a["next_score"] <= 6)
    am = _account_mrr(tables["mrr"])
    period = pd.to_datetime(a["responded_at"]).dt.to_period("M")
    churn = np.full(len(a), np.nan)
    for per in period.unique():
        rows = (period == per).to_numpy()
        churn[rows] = _churn_labels(am, per, a["account_id"].to_numpy()[rows], horizon)
    a["churn"] = churn
    acc = tables["accounts"].drop_duplicates("account_id").set_index("account_id")
    a["segment"] = acc["segment"].reindex(a["account_id"]).to_numpy()
    emp = acc["employees"] if "employees" in acc.columns else pd.Series(dtype=float)
    a["employees"] = pd.to_numeric(emp, errors="coerce").reindex(a["account_id"]).to_numpy()
    a["first_score"] = a["score"]
    return a.reset_index(drop=True)


def loop_effect(tables: Mapping[str, pd.DataFrame], *, categories=("detractor",),
                controls: Sequence[str] = ("first_score", "segment", "size"),
                horizon: int = 3, confidence: float = 0.95) -> pd.DataFrame:
    """The close-the-loop difference: in-SLA call against late or never.

    For answers of ``categories`` (detractors; add ``"passive"``): the difference
    in the chance that the user's next answer is a detractor (a linear probability
    model, so the estimate is in probability points), and in churn in the next
    ``horizon`` months (log-odds), in-SLA against late/never, adjusted for the
    answer's own score, segment and size; SEs clustered by account.

    ``wording`` is ``"association"``: the calls were not assigned at random. When
    ``loop_actions`` carries a ``holdout`` column (a team randomised some answers out
    of the playbook), the comparison is assigned-to-call against held out (intention
    to treat: a late call of an assigned answer stays "assigned"), and ``wording`` is
    ``"effect"``.

    Returns
    -------
    DataFrame
        Up to two rows, ``outcome`` ``"next_detractor"`` and ``"churn"`` (an outcome
        with no variation or no contrast is left out): ``estimate``, ``se``, ``low``,
        ``high``, ``p_value``, ``rows``, ``clusters``, ``scale``, ``wording``.
    """
    from ._stats import ols_cluster

    a = next_answer_frame(tables, categories=categories, horizon=horizon)
    wording = "association"
    if "holdout" in a.columns and a["holdout"].any():
        # intention to treat: assigned to the playbook against held out, whatever happened
        a = a.assign(in_sla=~a["holdout"])
        wording = "effect"
    out = []
    for outcome, scale in (("next_detractor", "probability"), ("churn", "log-odds")):
        rows = a[a[outcome].notna()].reset_index(drop=True)
        if rows.empty or rows[outcome].nunique() < 2 or rows["in_sla"].nunique() < 2:
            continue  # nothing to estimate (no outcome, or no contrast)
        x, names = _design(rows, ["in_sla"], controls)
        y = rows[outcome].to_numpy(dtype=float)
        if scale == "probability":
            fit = ols_cluster(y, x, rows["account_id"])
            beta, se = fit["params"], fit["se"]
        else:
            beta, se = _logit_clustered(y, x, rows["account_id"], names, confidence)
        t = _table(names, beta, se, confidence, len(rows), rows["account_id"].nunique(), "")
        row = t[t["term"] == "in_sla"].drop(columns=["term", "model"])
        out.append(row.assign(outcome=outcome, scale=scale, wording=wording))
    columns = ["outcome", "estimate", "se", "low", "high", "p_value", "rows", "clusters",
               "scale", "wording"]
    if not out:
        return pd.DataFrame(columns=columns)
    return pd.concat(out, ignore_index=True)[columns]


# --- thresholds tuned on history -----------------------------------------------------------

#: The grid :func:`tune_review` searches by default (churn-risk rules of the review).
TUNE_GRID = {
    "churn_nps": (-60, -40, -20, 0),
    "churn_adoption": (0.01, 0.34, 0.67),
    "churn_fcr": (0.0, 0.5, 0.7),
}


def _review_evidence(tables, months):
    from .pointintime import known_at
    from .review import account_evidence

    out = {}
    for per in months:
        cut = known_at(tables, str(per))
        out[per] = account_evidence(cut["accounts"], cut["mrr"], cut["nps_responses"],
                                    cut["usage"], cut["tickets"], month=str(per))
    return out


def _grid_scores(evidence, labels, grid, max_share):
    import itertools

    from .review import ThinEvidenceWarning, success_review

    keys = list(grid)
    rows = []
    for values in itertools.product(*(grid[k] for k in keys)):
        th = dict(zip(keys, values, strict=True))
        flagged = churned = hits = total = 0
        for per, ev in evidence.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ThinEvidenceWarning)
                cls = success_review(ev, thresholds=th)["class"].to_numpy()
            y = labels[per]
            ok = ~np.isnan(y)
            f = (cls == 4) & ok
            flagged += int(f.sum())
            churned += int(y[ok].sum())
            hits += int(y[f].sum())
            total += int(ok.sum())
        rows.append({**th, "accounts": total, "flagged": flagged,
                     "share_called": flagged / total if total else np.nan,
                     "churned": churned, "hits": hits,
                     "recall": hits / churned if churned else np.nan,
                     "precision": hits / flagged if flagged else np.nan})
    table = pd.DataFrame(rows)
    table["eligible"] = table["share_called"] <= max_share
    return table


def tune_review(tables: Mapping[str, pd.DataFrame], *, train_months: int = 6,
                test_months: int = 3, horizon: int = 3, max_share: float = 0.10,
                grid: Mapping[str, Sequence] | None = None, last_month=None) -> dict:
    """Choose the review's churn-risk thresholds on a training window, report them on a later one.

    Objective: the largest recall of churn in the next ``horizon`` months among the
    accounts classed as churn risk, with at most ``max_share`` of the accounts
    classed so (the CS team's calling capacity); ties by precision. Thresholds are
    searched over ``grid`` (default :data:`TUNE_GRID`). The training window's
    labels end before the test window starts; each month's evidence is known at its
    end (:func:`cslib.pointintime.known_at`).

    Returns
    -------
    dict
        ``thresholds`` (chosen), ``objective`` (in words), ``train`` and ``test``
        (windows ``{"start", "end"}`` and metrics), ``grid`` (the search table),
        ``chosen_on`` (today's date).
    """
    am = _account_mrr(tables["mrr"])
    last = _period(last_month, "tune_review") if last_month is not None else am.columns.max()
    test = [last - horizon - k for k in range(int(test_months) - 1, -1, -1)]
    train_last = test[0] - 1 - horizon
    train = [train_last - k for k in range(int(train_months) - 1, -1, -1)]
    grid = dict(grid or TUNE_GRID)
    from .review import ReviewThresholds

    ReviewThresholds.from_any({k: v[0] for k, v in grid.items()})  # unknown keys fail here
    result = {}
    for name, months in (("train", train), ("test", test)):
        ev = _review_evidence(tables, months)
        labels = {p: _churn_labels(am, p, e["account_id"].to_numpy(), horizon)
                  for p, e in ev.items()}
        result[name] = (ev, labels)
    table = _grid_scores(*result["train"], grid, max_share)
    eligible = table[table["eligible"]]
    if eligible.empty:
        raise ParamsError(f"tune_review: no thresholds of the grid call at most "
                          f"{max_share:.0%} of the accounts; raise max_share or widen the grid.")
    best = eligible.sort_values(["recall", "precision"], ascending=False, kind="stable").iloc[0]
    chosen = {k: float(best[k]) for k in grid}
    test_table = _grid_scores(*result["test"], {k: (v,) for k, v in chosen.items()}, 1.0)

    def metrics(row):
        return {k: (None if pd.isna(row[k]) else float(row[k]))
                for k in ("accounts", "flagged", "share_called", "churned", "hits", "recall",
                          "precision")}

    return {
        "thresholds": chosen,
        "objective": _i18n_text("health.tuned_objective", "en", horizon=horizon,
                                share=f"{max_share:.0%}"),
        "train": {"start": str(train[0]), "end": str(train[-1]),
                  "labels_until": str(train[-1] + horizon), **metrics(best)},
        "test": {"start": str(test[0]), "end": str(test[-1]), **metrics(test_table.iloc[0])},
        "grid": table,
        "chosen_on": datetime.date.today().isoformat(),
    }


def write_thresholds(tuned: Mapping, path) -> Path:
    """Write :func:`tune_review`'s choice as YAML (thresholds, windows, objective)."""
    import yaml

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {k: tuned[k] for k in ("thresholds", "objective", "train", "test", "chosen_on")}
    path.write_text("# Success-review thresholds chosen by `cslib tune-review`.\n"
                    + yaml.safe_dump(body, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    return path


def read_thresholds(path) -> dict:
    """Read a thresholds file written by ``cslib tune-review``.

    Returns the whole file (``thresholds``, ``objective``, ``train``, ``test``,
    ``chosen_on``); pass ``["thresholds"]`` to :func:`cslib.review.success_review`.
    """
    import yaml

    path = Path(path)
    if not path.is_file():
        raise ParamsError(f"read_thresholds: {path} does not exist; write it with "
                          "`cslib tune-review --output {path}`.")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or not isinstance(data.get("thresholds"), dict):
        raise ParamsError(f"read_thresholds: {path} has no `thresholds` mapping; rewrite it "
                          "with `cslib tune-review`.")
    return data


def tuned_sentence(tuned: Mapping, *, locale: str = "en") -> str:
    """When and how the thresholds were chosen, in one sentence (in ``locale``)."""
    from .report import _month_words, fmt_date, fmt_pct

    tr, te = tuned["train"], tuned["test"]

    def pct(x):
        return _i18n_text("n/a", locale) if x is None else fmt_pct(x, locale, digits=0)

    objective = str(tuned["objective"])
    known = re.fullmatch(r"maximise recall of churn within (\d+) months among accounts "
                         r"classed as churn risk, calling at most (\d+%) of accounts; "
                         r"ties by precision", objective)
    if known:  # the sentence tune_review writes: said again in the locale
        objective = _i18n_text("health.tuned_objective", locale, horizon=known.group(1),
                               share=known.group(2))
    th = ", ".join(f"{k} = " + (f"{v:g}" if locale == "en" else f"{v:g}".replace(".", ","))
                   for k, v in tuned["thresholds"].items())
    try:
        chosen_on = fmt_date(tuned["chosen_on"], locale) if locale != "en" else \
            str(tuned["chosen_on"])
    except (ValueError, TypeError):
        chosen_on = str(tuned["chosen_on"])

    def month(x):
        return str(x) if locale == "en" else _month_words(str(x), locale)

    return _i18n_text(
        "health.tuned", locale, thresholds=th, chosen_on=chosen_on, objective=objective,
        train_start=month(tr["start"]), train_end=month(tr["end"]),
        train_recall=pct(tr["recall"]), train_called=pct(tr["share_called"]),
        test_start=month(te["start"]), test_end=month(te["end"]),
        test_recall=pct(te["recall"]), test_called=pct(te["share_called"]))


def fcr_driver(frame: pd.DataFrame, tables: Mapping[str, pd.DataFrame], *,
               controls: Sequence[str] = ("segment", "size"),
               confidence: float = 0.95) -> pd.DataFrame:
    """FCR over the quarter against the next quarter's NPS and churn, with intervals.

    Over the account-months of ``frame`` (a :func:`health_frame`, whose horizon sets
    the churn outcome) with at least one ticket in the quarter:

    - ``next_nps``: every answer of the account in the three months after M
      (+100 promoter, 0 passive, -100 detractor) regressed on the account's FCR
      (OLS, so the estimate is NPS points per unit of FCR: from 0% to 100%);
    - ``churn``: churn in the frame's horizon (logistic, log-odds per unit of FCR);

    both controlling for ``controls``, SEs clustered by account. An association.

    Returns
    -------
    DataFrame
        Two rows, ``outcome`` ``"next_nps"`` and ``"churn"``, with ``estimate``,
        ``se``, ``low``, ``high``, ``p_value``, ``rows``, ``clusters``, ``scale``.
    """
    from ._stats import ols_cluster

    f = frame[frame["tickets_q"] > 0].reset_index(drop=True)
    a = _answers(tables)
    a["month"] = pd.to_datetime(a["responded_at"]).dt.to_period("M")
    a["points"] = np.select([a["score"] >= 9, a["score"] >= 7], [100.0, 0.0], -100.0)
    parts = []
    for lag in (1, 2, 3):
        s = a[["account_id", "month", "points"]].copy()
        s["month"] = s["month"] - lag  # the answer is `lag` months after the frame's month
        parts.append(s)
    nxt = pd.concat(parts).merge(f, on=["account_id", "month"])
    out = []
    for outcome, rows, scale in (("next_nps", nxt, "NPS points"),
                                 ("churn", f[f["churn"].notna()].reset_index(drop=True),
                                  "log-odds")):
        if rows.empty:
            continue
        x, names = _design(rows, ["fcr"], controls)
        if outcome == "next_nps":
            fit = ols_cluster(rows["points"].to_numpy(dtype=float), x, rows["account_id"])
            beta, se = fit["params"], fit["se"]
        else:
            beta, se = _logit_clustered(rows["churn"].to_numpy(dtype=float), x,
                                        rows["account_id"], names, confidence)
        t = _table(names, beta, se, confidence, len(rows), rows["account_id"].nunique(), "")
        out.append(t[t["term"] == "fcr"].drop(columns=["term", "model"])
                   .assign(outcome=outcome, scale=scale))
    res = pd.concat(out, ignore_index=True)
    return res[["outcome", "estimate", "se", "low", "high", "p_value", "rows", "clusters",
                "scale"]]


# --- the health_review notebook's bundle ----------------------------------------------------

@dataclass(frozen=True)
class HealthReview:
    """Everything the ``health_review`` notebook shows, computed by :func:`health_review`.

    ``backtest`` (:class:`cslib.review.Backtest`), ``out_of_time`` (:class:`OutOfTime`),
    ``loop`` (detractors) and ``loop_passives`` (:func:`loop_effect`), ``fcr``
    (:func:`fcr_driver`), ``thresholds`` (used by the review) and ``tuned`` (the
    thresholds file read, or None). A part the history is too short for is None, and
    ``missing`` says why.
    """

    backtest: object
    out_of_time: OutOfTime | None
    loop: pd.DataFrame
    loop_passives: pd.DataFrame
    fcr: pd.DataFrame
    thresholds: dict
    tuned: dict | None
    missing: dict = field(default_factory=dict)

    def backtest_table(self, *, segment: str = "all", horizon: int = 3,
                       outcome: str = "churned") -> pd.DataFrame:
        """The backtest's rates of one outcome by class, for one segment and horizon."""
        cols = ["class", "class_key", "accounts", "events", "rate", "rate_low", "rate_high",
                "base_rate", "lift", "others_rate", "ratio"]
        if self.backtest is None:
            return pd.DataFrame(columns=cols)
        r = self.backtest.rates
        keep = (r["segment"] == segment) & (r["horizon"] == horizon) & (r["outcome"] == outcome)
        return r.loc[keep, cols].reset_index(drop=True)

    @property
    def churn_risk(self) -> pd.DataFrame:
        """Precision and recall of the churn-risk class (``Backtest.churn_risk``)."""
        return pd.DataFrame() if self.backtest is None else self.backtest.churn_risk

    @property
    def metrics(self) -> pd.DataFrame:
        """The score's out-of-time metrics (``OutOfTime.metrics``)."""
        return pd.DataFrame() if self.out_of_time is None else self.out_of_time.metrics

    @property
    def deciles(self) -> pd.DataFrame:
        """Observed against predicted by decile (``OutOfTime.deciles``)."""
        cols = ["decile", "rows", "predicted", "observed"]
        return pd.DataFrame(columns=cols) if self.out_of_time is None else self.out_of_time.deciles

    @property
    def weights(self) -> pd.DataFrame:
        """The fitted score's weights (:attr:`HealthScore.summary`)."""
        return pd.DataFrame() if self.out_of_time is None else self.out_of_time.model.summary


_SHORT = (ParamsError, ValueError, np.linalg.LinAlgError)


def health_review(tables: Mapping[str, pd.DataFrame], *, thresholds: Mapping | None = None,
                  thresholds_file: str | None = None, horizon: int = 3, n_boot: int = 200,
                  seed: int = 0) -> HealthReview:
    """The backtest, the score's out-of-time validation, the loop effect and the FCR driver.

    ``tables`` are a report's tables (known at its month's end), so every review month
    of the backtest and every test month of the score has its future inside them.
    ``thresholds_file`` (written by ``cslib tune-review``) gives the review's
    thresholds; ``thresholds`` override them key by key. A part the history is too
    short for (a few months of data) is left out with a :class:`HealthWarning`
    saying why.
    """
    from .review import backtest

    tuned = read_thresholds(thresholds_file) if thresholds_file else None
    th = {**(tuned["thresholds"] if tuned else {}), **dict(thresholds or {})}
    missing: dict[str, str] = {}

    def attempt(name, make, empty=None):
        try:
            return make()
        except _SHORT as err:
            missing[name] = str(err)
            warnings.warn(f"health review: no {name} ({err})", HealthWarning, stacklevel=3)
            return empty

    # each month's components, computed once from its cut (by the backtest, which has
    # the cut) and shared by the score's training and test months and the FCR driver
    cuts: dict = {}
    bt = attempt("backtest", lambda: backtest(tables, thresholds=th or None, _cuts=cuts))
    oot = attempt("score validation", lambda: out_of_time(tables, horizon=horizon,
                                                          n_boot=n_boot, seed=seed,
                                                          _cuts=cuts))
    loop = attempt("loop effect", lambda: loop_effect(tables, horizon=horizon), pd.DataFrame())
    passives = attempt("loop effect on passives", lambda: loop_effect(
        tables, categories=("passive",), horizon=horizon), pd.DataFrame())

    def fcr_part():
        last = _account_mrr(tables["mrr"]).columns.max() - horizon
        frame = health_frame(tables, [last - k for k in range(11, -1, -1)], horizon=horizon,
                             _cuts=cuts)
        return fcr_driver(frame, tables)

    fcr = attempt("FCR driver", fcr_part, pd.DataFrame())
    return HealthReview(backtest=bt, out_of_time=oot, loop=loop, loop_passives=passives,
                        fcr=fcr, thresholds=th, tuned=tuned, missing=missing)
