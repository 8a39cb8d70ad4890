"""Net Promoter Score: the score, its interval, comparisons, trends and the survey programme.

NPS (docs/metrics.md) asks "how likely are you to recommend us (0-10)?". Promoters answer
9-10, passives 7-8, detractors 0-6, and NPS = %promoters - %detractors on a -100..100
scale. A segment's NPS is a statistic from a sample: with ``p`` and ``d`` the shares of
promoters and detractors among ``n`` answers,

    var(NPS) = (p + d - (p - d)^2) / n        (on the -1..1 scale)

and every function here reports the adjusted-Wald interval of Rocks (2016, *The American
Statistician* 70(4); MeasuringU's recommended NPS interval): add 3/4 to the promoters
and to the detractors and 3 to ``n``, then

    p' = (promoters + 3/4) / (n + 3),   d' = (detractors + 3/4) / (n + 3)
    interval = 100 * [(p' - d') +/- z * sqrt((p' + d' - (p' - d')^2) / (n + 3))]

clipped to [-100, 100] and widened, where needed, to contain the point estimate, which
stays the raw ``100 * (p - d)``. Unlike the plain Wald interval it keeps its width when
every answer falls in one category (10 promoters of 10: 47.5 to 100, not 100 to 100), and
its exact coverage stays near the nominal level down to n = 10 (tested by enumerating
the multinomial). Differences between groups or windows use the plain variances above
(a two-sample z-test). Answers with no score are left out; scores outside 0-10 are an
error.

The module also runs the continuous programme: 12 stratified weekly waves
(:func:`survey_waves`), nobody asked twice within 90 days (:func:`due_for_survey`),
NPS on a rolling 90-day window counting each user once (:func:`rolling_nps`), and
close-the-loop follow-up within a 3-day SLA (:func:`loop_closure`).

Examples
--------
>>> import pandas as pd
>>> from cslib.nps import nps_table
>>> answers = pd.DataFrame({"score": [10, 9, 9, 8, 7, 6, 5, 3, 10, 0]})
>>> nps_table(answers, min_n=1)[["n", "promoters", "detractors", "nps"]]
    n  promoters  detractors  nps
0  10          4           4  0.0
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ._checks import as_list as _by_list
from ._checks import require_columns
from ._stats import holm, z_value
from .exceptions import ModelError, ParamsError, SchemaError, SmallSampleWarning
from .tables import with_accounts, with_users

__all__ = [
    "CATEGORIES",
    "LoopClosure",
    "WindowComparison",
    "compare_groups",
    "compare_groups_on_page",
    "compare_nps",
    "cohort_nps",
    "due_for_survey",
    "loop_closure",
    "mask_pii",
    "nps_category",
    "nps_table",
    "rolling_nps",
    "survey_waves",
    "verbatims",
    "window_comparison",
    "with_user_attributes",
]

#: NPS categories, worst first.
CATEGORIES = ("detractor", "passive", "promoter")
#: The close-the-loop playbook: the action each category needs.
REQUIRED_ACTION = {"detractor": "call", "passive": "call", "promoter": "email"}
#: Logged actions that satisfy each required action (a meeting is at least a call).
QUALIFYING_ACTIONS = {"call": ("call", "meeting"), "email": ("email",)}

_TABLE_COLUMNS = ["n", "promoters", "passives", "detractors", "share_promoters",
                  "share_passives", "share_detractors", "nps", "ci_low", "ci_high", "small_sample"]


# --- shared checks -------------------------------------------------------------------------


def _require(data: pd.DataFrame, columns: Sequence[str], *, func: str,
             table: str = "responses") -> None:
    require_columns(data, columns, where=f"{func}: {table}", hint=(
        "Pass the right names as keyword arguments; to use user or account attributes "
        "(`user_type`, `segment`, `plan`...), add them first with "
        "cslib.nps.with_user_attributes."))


def _check_params(func: str, *, confidence: float = 0.95, min_n: int = 0) -> None:
    if not 0 < confidence < 1:
        raise ParamsError(f"{func}: confidence={confidence!r} must be in (0, 1), e.g. 0.95.")
    if not min_n >= 0:
        raise ParamsError(f"{func}: min_n={min_n!r} must be >= 0.")


def _datetimes(values: pd.Series, *, column: str, func: str) -> pd.Series:
    try:
        return pd.to_datetime(values)
    except (ValueError, TypeError) as err:
        raise SchemaError(
            f"{func}: column `{column}` cannot be read as dates ({err}). Load the table with "
            "cslib.io.load or convert it with pd.to_datetime."
        ) from None


def _category_codes(scores, *, column: str = "score", func: str = "nps") -> np.ndarray:
    """0 detractor, 1 passive, 2 promoter, -1 missing; SchemaError on non 0-10 values."""
    values = pd.Series(scores)
    numeric = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
    present = values.notna().to_numpy()
    bad = present & ~(np.isin(numeric, np.arange(11)))
    if bad.any():
        rows = (np.flatnonzero(bad) + 1)[:5].tolist()
        examples = pd.unique(values[bad].astype(str))[:3].tolist()
        raise SchemaError(
            f"{func}: column `{column}` has {int(bad.sum())} value(s) that are not whole "
            f"numbers 0-10 (rows {rows}; e.g. {', '.join(examples)}). Fix the export or drop "
            "those rows."
        )
    codes = np.full(len(values), -1, dtype=np.int64)
    codes[present] = np.select([numeric[present] <= 6, numeric[present] <= 8], [0, 1], 2)
    return codes


def _z(confidence: float) -> float:
    return z_value(confidence)


def _stats(n, promoters, detractors, confidence: float) -> dict[str, np.ndarray]:
    """Raw NPS, its variance (one answer, -1..1 scale) and the adjusted-Wald interval.

    NaN where ``n == 0``. The interval (Rocks 2016) is centred on the NPS of the
    counts plus 3/4 promoter and 3/4 detractor, over ``n + 3``; clipped to
    [-100, 100], then widened to contain the raw NPS (it can fall just outside
    when n is 1), so no bound is ever on the wrong side of the estimate.
    """
    n = np.asarray(n, dtype="float64")
    pro = np.asarray(promoters, dtype="float64")
    det = np.asarray(detractors, dtype="float64")
    safe = np.where(n > 0, n, np.nan)
    p, d = pro / safe, det / safe
    unit_var = np.maximum(p + d - (p - d) ** 2, 0.0)  # float rounding can dip below 0
    nps = 100 * (p - d)
    n_adj = safe + 3
    p_adj, d_adj = (pro + 0.75) / n_adj, (det + 0.75) / n_adj
    centre = p_adj - d_adj
    half = _z(confidence) * np.sqrt(np.maximum(p_adj + d_adj - centre ** 2, 0.0) / n_adj)
    low = np.fmin(np.clip(100 * (centre - half), -100, 100), nps)
    high = np.fmax(np.clip(100 * (centre + half), -100, 100), nps)
    missing = ~(n > 0)
    low, high = np.where(missing, np.nan, low), np.where(missing, np.nan, high)
    return {"nps": nps, "unit_var": unit_var, "ci_low": low, "ci_high": high}


def _difference(a: dict, b: dict, confidence: float) -> dict[str, float]:
    """``b - a`` for two dicts with n, promoters, detractors: se, interval, z, p-value."""
    sa = _stats([a["n"]], [a["promoters"]], [a["detractors"]], confidence)
    sb = _stats([b["n"]], [b["promoters"]], [b["detractors"]], confidence)
    diff = float(sb["nps"][0] - sa["nps"][0])
    with np.errstate(invalid="ignore", divide="ignore"):
        se = float(100 * np.sqrt(sa["unit_var"][0] / a["n"] + sb["unit_var"][0] / b["n"]))
    if not np.isfinite(se) or se == 0:  # no answers, or no spread: the normal test is undefined
        z = p_value = np.nan
    else:
        z = diff / se
        p_value = float(2 * stats.norm.sf(abs(z)))
    half = _z(confidence) * se
    return {"difference": diff, "se": se, "ci_low": diff - half, "ci_high": diff + half,
            "z": z, "p_value": p_value}


def _labels(frame: pd.DataFrame, keys: list[str]) -> str:
    rows = frame[keys].itertuples(index=False)
    names = [tuple(r) if len(keys) > 1 else r[0] for r in rows]
    return ", ".join(f"{g!r} (n={int(m)})" for g, m in zip(names, frame["n"], strict=True))


def _scored(data: pd.DataFrame, score: str, columns: Sequence[str], *, func: str) -> pd.DataFrame:
    """The ``columns`` of answered rows, with ``_cat`` (0/1/2); a copy."""
    codes = _category_codes(data[score], column=score, func=func)
    frame = data[list(dict.fromkeys(columns))].copy()
    frame["_cat"] = codes
    return frame.loc[codes >= 0]


def _count(frame: pd.DataFrame, keys: list[str], confidence: float, min_n: int) -> pd.DataFrame:
    """nps_table's columns from a frame with ``_cat``, one row per group of ``keys``."""
    dummies = pd.DataFrame({
        name: (frame["_cat"].to_numpy() == code).astype("int64")
        for code, name in ((2, "promoters"), (1, "passives"), (0, "detractors"))
    }, index=frame.index)
    if keys:
        dummies[keys] = frame[keys]
        out = dummies.groupby(keys, dropna=False, sort=True, observed=True).sum().reset_index()
    else:
        out = dummies.sum().to_frame().T.reset_index(drop=True)
    for col in ("promoters", "passives", "detractors"):
        out[col] = out[col].astype("int64")
    out["n"] = out["promoters"] + out["passives"] + out["detractors"]
    safe = out["n"].where(out["n"] > 0, np.nan)
    for col in ("promoters", "passives", "detractors"):
        out[f"share_{col}"] = out[col] / safe  # 0-1; a percentage only when formatted
    st = _stats(out["n"], out["promoters"], out["detractors"], confidence)
    out["nps"], out["ci_low"], out["ci_high"] = st["nps"], st["ci_low"], st["ci_high"]
    out["small_sample"] = out["n"] < min_n
    return out[[*keys, *_TABLE_COLUMNS]]


# --- categories and tables -----------------------------------------------------------------

def nps_category(scores) -> pd.Series:
    """The NPS category of each score: "detractor" (0-6), "passive" (7-8), "promoter" (9-10).

    Parameters
    ----------
    scores : pandas.Series or array-like
        Scores 0-10; missing values stay missing.

    Returns
    -------
    pandas.Series
        Named ``category``, aligned with ``scores`` (same index when a Series).

    Raises
    ------
    SchemaError
        A score is not a whole number from 0 to 10.

    Examples
    --------
    >>> nps_category(pd.Series([10, 7, 3, None])).tolist()
    ['promoter', 'passive', 'detractor', nan]
    """
    index = scores.index if isinstance(scores, pd.Series) else None
    codes = _category_codes(scores, column=getattr(scores, "name", None) or "score",
                            func="nps_category")
    labels = np.array([*CATEGORIES, np.nan], dtype=object)[codes]
    return pd.Series(labels, index=index, name="category")


def nps_table(
    data: pd.DataFrame,
    *,
    score: str = "score",
    by: str | Sequence[str] | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
    user: str | None = None,
    date: str = "responded_at",
) -> pd.DataFrame:
    """NPS with its confidence interval, per group.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per answer (``nps_responses``). Not modified. Rows with no
        score are left out.
    score : str, default "score"
        Column with the 0-10 scores.
    by : str or list of str, optional
        Column(s) to group by; None for one overall row. Categorical columns
        keep their category order, others are sorted; missing values form a group.
    confidence : float, default 0.95
        Level of the interval, in (0, 1).
    min_n : int, default 30
        Groups with fewer answers are flagged ``small_sample``.
    user : str, optional
        User column: a user who answered more than once counts once, with the
        latest answer (by ``date``; row order breaks ties), in whichever group
        that answer falls; the rule of :func:`window_comparison`, so a table
        of the same window adds up to its ``n``. None (the default): every
        answer counts.
    date : str, default "responded_at"
        Answer time column, used only with ``user``.

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, then ``n``, ``promoters``, ``passives``,
        ``detractors``, ``share_promoters``, ``share_passives``,
        ``share_detractors`` (fractions 0-1; were ``pct_*``, 0-100), ``nps``
        (-100..100 points, the raw share difference), ``ci_low``, ``ci_high``
        (adjusted Wald, see the module notes) and ``small_sample``
        (``n < min_n``). With no answers, ``nps`` and the interval are NaN.

    Warns
    -----
    SmallSampleWarning
        Naming the groups with fewer than ``min_n`` answers.

    Raises
    ------
    SchemaError
        A column is missing or a score is outside 0-10.
    ParamsError
        ``confidence`` outside (0, 1) or ``min_n < 0``.

    Examples
    --------
    >>> responses = pd.DataFrame({"segment": ["SMB"] * 5 + ["Enterprise"] * 4,
    ...                           "score": [10, 9, 6, 3, 8, 10, 9, 9, 7]})
    >>> table = nps_table(responses, by="segment", min_n=0)
    >>> table[["segment", "n", "promoters", "detractors", "nps", "ci_low", "ci_high"]].round(1)
          segment  n  promoters  detractors   nps  ci_low  ci_high
    0  Enterprise  4          3           0  75.0    -7.3     93.1
    1         SMB  5          2           2   0.0   -57.5     57.5

    Enterprise: p' = 3.75 / 7, d' = 0.75 / 7, so p' - d' = 3/7 and
    var = (4.5/7 - (3/7)^2) / 7 = 0.06560; the interval is
    42.9 +/- 1.96 * 100 * 0.2561 = 42.9 +/- 50.2 (the raw 75 is inside it).

    With ``user``, a user's latest answer replaces the earlier ones:

    >>> twice = pd.DataFrame({"user_id": ["U1", "U1", "U2"], "score": [3, 10, 9],
    ...     "responded_at": pd.to_datetime(["2026-09-01", "2026-10-01", "2026-10-02"])})
    >>> nps_table(twice, user="user_id", min_n=0)[["n", "promoters", "nps"]]
       n  promoters    nps
    0  2          2  100.0
    """
    func = "nps_table"
    _check_params(func, confidence=confidence, min_n=min_n)
    keys = _by_list(by)
    _require(data, [*keys, score, *([user, date] if user else [])], func=func)
    frame = _scored(data, score, [*keys, *([user, date] if user else [])], func=func)
    frame = _latest_answers(frame, user=user, date=date, func=func)
    out = _count(frame, keys, confidence, min_n)
    small = out.loc[out["small_sample"]]
    if len(small):
        where = _labels(small, keys) if keys else f"all answers (n={int(small['n'].iloc[0])})"
        warnings.warn(SmallSampleWarning(
            f"{func}: fewer than {min_n} answers in {where}; read the interval, not the "
            "point NPS, or pool groups.",
            key="warn.nps_small" if keys else "warn.nps_small_all", func=func, min_n=min_n,
            where=where, n=int(small["n"].iloc[0])), stacklevel=2)
    return out


def compare_nps(
    data: pd.DataFrame,
    *,
    by: str | Sequence[str],
    score: str = "score",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """The NPS difference between the two groups of ``by``, with a two-sided z-test.

    The groups are taken in order: the category order when ``by`` is
    categorical (unused categories dropped), otherwise sorted.
    ``difference = nps_2 - nps_1`` (second group minus first), with
    ``se = 100 * sqrt(var_1 / n_1 + var_2 / n_2)``, ``var = p + d - (p - d)^2``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per answer. Not modified.
    by : str or list of str
        Column(s) with exactly two groups (missing values left out); with
        several columns, a group is a combination of their values and
        ``group_1``/``group_2`` read like ``"SMB / Pro"``.
    score : str, default "score"
        Column with the 0-10 scores.
    confidence : float, default 0.95
        Level of the interval of the difference.

    Returns
    -------
    pandas.DataFrame
        One row: ``group_1``, ``group_2``, ``n_1``, ``nps_1``, ``n_2``,
        ``nps_2``, ``difference``, ``se``, ``ci_low``, ``ci_high``, ``z``,
        ``p_value`` (two-sided, normal). z and p are NaN when ``se == 0``.

    Raises
    ------
    ModelError
        ``by`` does not hold exactly two groups with answers.

    Examples
    --------
    >>> responses = pd.DataFrame({"segment": ["SMB"] * 5 + ["Enterprise"] * 4,
    ...                           "score": [10, 9, 6, 3, 8, 10, 9, 9, 7]})
    >>> out = compare_nps(responses, by="segment")
    >>> out[["group_1", "group_2", "nps_1", "nps_2", "difference", "p_value"]].round(3)
          group_1 group_2  nps_1  nps_2  difference  p_value
    0  Enterprise     SMB   75.0    0.0       -75.0    0.099
    """
    func = "compare_nps"
    _check_params(func, confidence=confidence)
    keys = _by_list(by)
    _require(data, [*keys, score], func=func)
    frame = _scored(data, score, keys, func=func)
    frame = frame.loc[frame[keys].notna().all(axis=1)]
    if len(keys) != 1:
        if not keys:
            raise ParamsError(f"{func}: by= names no column; pass the group column, "
                              "e.g. by='segment'.")
        by = " / ".join(keys)
        frame = frame.assign(**{by: frame[keys].astype(str).agg(" / ".join, axis=1)})
    else:
        by = keys[0]
    counts = _count(frame, [by], confidence, 0)
    if len(counts) != 2:
        found = ", ".join(repr(v) for v in counts[by].tolist()) or "none"
        raise ModelError(
            f"{func}: column `{by}` must hold exactly 2 groups with answers, found "
            f"{len(counts)} ({found}). Filter the data to two groups, or use compare_groups "
            "to compare each group with the rest."
        )
    a, b = counts.iloc[0], counts.iloc[1]
    out = {"group_1": a[by], "group_2": b[by], "n_1": int(a["n"]), "nps_1": float(a["nps"]),
           "n_2": int(b["n"]), "nps_2": float(b["nps"])}
    out.update(_difference(a, b, confidence))
    return pd.DataFrame([out])


def compare_groups(
    data: pd.DataFrame,
    *,
    by: str | Sequence[str],
    score: str = "score",
    min_n: int = 30,
    confidence: float = 0.95,
    user: str | None = "user_id",
    date: str = "responded_at",
    n_comparisons: int | None = None,
) -> pd.DataFrame:
    """Each group of ``by`` against the rest of the data (all other answers).

    "Significant" is corrected for multiple comparisons (Holm): a table of
    ``k`` groups makes ``k`` tests, and a page that shows several tables makes
    all of them (pass their total as ``n_comparisons``).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per answer. Not modified.
    by : str or list of str
        Column(s) to group by (missing values form a group); with several,
        each combination of their values is a group.
    score : str, default "score"
        Column with the 0-10 scores.
    min_n : int, default 30
        A difference is called significant only when both the group and the
        rest have at least ``min_n`` answers.
    confidence : float, default 0.95
        Level of the group's interval; ``significant`` means
        ``p_value_holm < 1 - confidence`` (0.05 by default).
    user : str or None, default "user_id"
        User column: a user who answered more than once counts once, with the
        latest answer (by ``date``), in whichever group it falls, as in
        :func:`window_comparison`; so the groups' ``n`` add up to the
        headline's. None: every answer counts (for data with no user column).
    date : str, default "responded_at"
        Answer time column, used with ``user``.
    n_comparisons : int, optional
        The number of comparisons in the family that ``significant`` is
        corrected for; default the groups with a p-value in this table. With
        more (the groups of every table on the page), this table's p-values
        are ranked first among them, which is never less strict than Holm's
        correction over all of them.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``by``, ``n``, ``nps``, ``ci_low``, ``ci_high``,
        ``rest_n``, ``rest_nps``, ``difference`` (= ``nps - rest_nps``),
        ``p_value`` (two-sided z-test, as :func:`compare_nps`, uncorrected),
        ``p_value_holm`` (Holm-adjusted for ``n_comparisons``),
        ``significant`` and ``small_sample`` (``n < min_n``). Its
        ``attrs["n_comparisons"]`` holds the family size used.

    Warns
    -----
    SmallSampleWarning
        Naming the groups with fewer than ``min_n`` answers.

    Raises
    ------
    SchemaError
        A column is missing (pass ``user=None`` for data without users).
    ParamsError
        ``n_comparisons`` is smaller than the number of groups tested.

    Examples
    --------
    >>> responses = pd.DataFrame({"segment": ["SMB"] * 5 + ["Enterprise"] * 4,
    ...                           "score": [10, 9, 6, 3, 8, 10, 9, 9, 7]})
    >>> out = compare_groups(responses, by="segment", min_n=0, user=None)
    >>> out[["segment", "n", "difference", "p_value", "p_value_holm", "significant"]].round(3)
          segment  n  difference  p_value  p_value_holm  significant
    0  Enterprise  4        75.0    0.099         0.198        False
    1         SMB  5       -75.0    0.099         0.198        False

    Two tests (each group against the rest): Holm doubles the smaller p-value,
    2 x 0.099 = 0.198, and keeps that running maximum for the other.
    """
    func = "compare_groups"
    _check_params(func, confidence=confidence, min_n=min_n)
    keys = _by_list(by)
    if not keys:
        raise ParamsError(f"{func}: by= names no column; pass the group column(s), "
                          "e.g. by='segment'.")
    _require(data, [*keys, score, *([user, date] if user else [])], func=func)
    frame = _scored(data, score, [*keys, *([user, date] if user else [])], func=func)
    frame = _latest_answers(frame, user=user, date=date, func=func)
    groups = _count(frame, keys, confidence, min_n)
    total = {c: int(groups[c].sum()) for c in ("n", "promoters", "detractors")}
    rows = []
    for _, g in groups.iterrows():
        rest = {c: total[c] - int(g[c]) for c in total}
        rest_nps = _stats([rest["n"]], [rest["promoters"]], [rest["detractors"]],
                          confidence)["nps"][0]
        diff = _difference(rest, g, confidence)
        rows.append({
            **{c: g[c] for c in keys}, "n": int(g["n"]), "nps": g["nps"], "ci_low": g["ci_low"],
            "ci_high": g["ci_high"], "rest_n": rest["n"], "rest_nps": rest_nps,
            "difference": diff["difference"], "p_value": diff["p_value"],
            "enough": bool(g["n"] >= min_n and rest["n"] >= min_n),
            "small_sample": bool(g["small_sample"]),
        })
    columns = [*keys, "n", "nps", "ci_low", "ci_high", "rest_n", "rest_nps", "difference",
               "p_value", "p_value_holm", "significant", "small_sample"]
    out = pd.DataFrame(rows, columns=[*columns, "enough"])
    tested = int(np.isfinite(out["p_value"].to_numpy(dtype=float)).sum())
    if n_comparisons is not None and not (isinstance(n_comparisons, int | np.integer)
                                          and n_comparisons >= tested):
        raise ParamsError(
            f"{func}: n_comparisons={n_comparisons!r} must be a whole number at least the "
            f"{tested} groups tested here; pass the number of groups of every table on the "
            "page, or None for this table alone.")
    family = tested if n_comparisons is None else int(n_comparisons)
    out["p_value_holm"] = holm(out["p_value"].to_numpy(dtype=float), family)
    out["significant"] = (out["p_value_holm"] < 1 - confidence) & out["enough"]
    out = out[columns]
    out.attrs["n_comparisons"] = family
    if len(groups):
        for c in keys:
            out[c] = groups[c].to_numpy()
    small = out.loc[out["small_sample"]]
    if len(small):
        warnings.warn(SmallSampleWarning(
            f"{func}: fewer than {min_n} answers in {_labels(small, keys)}; their "
            "differences are not called significant.",
            key="warn.nps_groups_small", func=func, min_n=min_n,
            where=_labels(small, keys)), stacklevel=2)
    return out


def compare_groups_on_page(
    data: pd.DataFrame,
    *,
    by: Sequence[str],
    min_n: int = 30,
    confidence: float = 0.95,
    **kwargs,
) -> dict[str, pd.DataFrame]:
    """:func:`compare_groups` for each column of ``by``, Holm-corrected as one family.

    A page that shows NPS by user type and by plan makes every comparison of
    both tables; "significant" is corrected for all of them at once (Holm's
    step-down procedure over the pooled p-values), so the chance of any false
    "significant" on the page stays at ``1 - confidence``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per answer. Not modified.
    by : list of str
        The group columns, one table each.
    min_n, confidence, **kwargs
        Passed to :func:`compare_groups`.

    Returns
    -------
    dict of str to DataFrame
        One :func:`compare_groups` table per column of ``by``, with
        ``p_value_holm`` and ``significant`` over the page's family, and
        ``attrs["n_comparisons"]`` its size.

    Examples
    --------
    >>> scores = [10] * 30 + [0] * 10 + [10] * 10 + [0] * 30
    >>> d = pd.DataFrame({"score": scores, "user_id": range(80),
    ...     "responded_at": pd.Timestamp("2026-10-01"),
    ...     "plan": ["Pro"] * 40 + ["Basic"] * 40, "tier": ["A", "B"] * 40})
    >>> tables = compare_groups_on_page(d, by=["plan", "tier"])
    >>> tables["plan"].attrs["n_comparisons"]
    4
    >>> tables["plan"][["plan", "difference", "significant"]]
        plan  difference  significant
    0  Basic      -100.0         True
    1    Pro       100.0         True
    >>> tables["tier"]["significant"].tolist()
    [False, False]
    """
    from ._stats import holm

    columns = _by_list(by)
    tables = {col: compare_groups(data, by=col, min_n=min_n, confidence=confidence, **kwargs)
              for col in columns}
    pooled = np.concatenate([t["p_value"].to_numpy(dtype=float) for t in tables.values()]) \
        if tables else np.array([])
    adjusted = holm(pooled) if len(pooled) else pooled
    family = int(np.isfinite(pooled).sum())
    start = 0
    for t in tables.values():
        stop = start + len(t)
        t["p_value_holm"] = adjusted[start:stop]
        enough = (t["n"] >= min_n) & (t["rest_n"] >= min_n)
        t["significant"] = (t["p_value_holm"] < 1 - confidence) & enough
        t.attrs["n_comparisons"] = family
        start = stop
    return tables


# --- windows and trends --------------------------------------------------------------------

def _latest_per_user(frame: pd.DataFrame, *, user: str | None, date: str,
                     within: Sequence[str] = ()) -> pd.DataFrame:
    """Each user's latest answer (row order breaks ties); rows with no user are all kept.

    ``within``: columns of separate windows (cohort_nps' response period), a user's
    latest answer being kept in each.
    """
    if user is None:
        return frame
    ordered = frame.sort_values(date, kind="stable")
    known = ordered[user].notna()
    keep = ~ordered.duplicated([user, *within], keep="last") | ~known
    return ordered.loc[keep]


def _latest_answers(frame: pd.DataFrame, *, user: str | None, date: str,
                    func: str) -> pd.DataFrame:
    """:func:`_latest_per_user` after reading ``date`` as dates (a copy)."""
    if user is None:
        return frame
    frame = frame.copy()
    frame[date] = _datetimes(frame[date], column=date, func=func)
    return _latest_per_user(frame, user=user, date=date)


@dataclass
class WindowComparison:
    """Result of :func:`window_comparison`.

    Attributes
    ----------
    current, previous : dict
        The window's :func:`nps_table` row (``n``, ``promoters``...,
        ``nps``, ``ci_low``, ``ci_high``, ``small_sample``) plus ``start`` and
        ``end`` (the window ``[start, end)``).
    comparison : dict
        ``difference`` (current - previous), ``se``, ``ci_low``, ``ci_high``,
        ``z``, ``p_value`` and ``significant``.
    table : DataFrame
        One row per window (``window``: "previous", then "current") with the
        columns of ``current`` and ``previous``.
    summary : DataFrame
        ``comparison`` as a one-row table.
    """

    current: dict
    previous: dict
    comparison: dict

    @property
    def table(self) -> pd.DataFrame:
        """One row per window, "previous" then "current"."""
        return pd.DataFrame([{"window": "previous", **self.previous},
                             {"window": "current", **self.current}])

    @property
    def summary(self) -> pd.DataFrame:
        """The ``comparison`` figures as a one-row table."""
        return pd.DataFrame([self.comparison])


def window_comparison(
    responses: pd.DataFrame,
    *,
    current: tuple[pd.Timestamp, pd.Timestamp],
    previous: tuple[pd.Timestamp, pd.Timestamp],
    date: str = "responded_at",
    score: str = "score",
    user: str | None = "user_id",
    min_n: int = 30,
    confidence: float = 0.95,
) -> WindowComparison:
    """NPS in the current window, in the previous one, and the change between them.

    Inside each window a user who answered more than once counts once, with
    the latest answer.

    Parameters
    ----------
    responses : pandas.DataFrame
        One row per answer. Not modified.
    current, previous : (start, end)
        Windows ``[start, end)``, as :func:`cslib.periods.trailing_window` gives.
    date, score, user : str
        Columns of the answer time, the score and the user (None: no dedupe).
    min_n : int, default 30
        The change is called significant only when both windows have at least
        ``min_n`` answers.
    confidence : float, default 0.95
        Level of the intervals; significant means ``p_value < 1 - confidence``.

    Returns
    -------
    WindowComparison

    Warns
    -----
    SmallSampleWarning
        When a window has fewer than ``min_n`` answers.

    Examples
    --------
    >>> from cslib.periods import trailing_window
    >>> responses = pd.DataFrame({"user_id": ["U1", "U2", "U3", "U1", "U2", "U4"],
    ...     "responded_at": pd.to_datetime(["2026-06-10", "2026-07-01", "2026-07-15",
    ...                                     "2026-09-01", "2026-09-20", "2026-10-05"]),
    ...     "score": [6, 9, 10, 9, 10, 8]})
    >>> trailing_window("2026-10", 90)
    (Timestamp('2026-08-03 00:00:00'), Timestamp('2026-11-01 00:00:00'))
    >>> w = window_comparison(responses, current=trailing_window("2026-10", 90),
    ...                       previous=trailing_window("2026-10", 90, lag=1), min_n=0)
    >>> w.current["n"], round(w.current["nps"], 1), round(w.previous["nps"], 1)
    (3, 66.7, 33.3)
    >>> round(w.comparison["difference"], 1), w.comparison["significant"]
    (33.3, False)
    """
    func = "window_comparison"
    _check_params(func, confidence=confidence, min_n=min_n)
    _require(responses, [date, score, *([user] if user else [])], func=func)
    frame = _scored(responses, score, [date, *([user] if user else [])], func=func)
    frame[date] = _datetimes(frame[date], column=date, func=func)

    rows = {}
    for name, (start, end) in (("current", current), ("previous", previous)):
        start, end = pd.Timestamp(start), pd.Timestamp(end)
        inside = frame.loc[(frame[date] >= start) & (frame[date] < end)]
        inside = _latest_per_user(inside, user=user, date=date)
        row = _count(inside, [], confidence, min_n).iloc[0].to_dict()
        row = {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        rows[name] = {**row, "start": start, "end": end}
    cmp = _difference(rows["previous"], rows["current"], confidence)
    cmp["significant"] = bool(cmp["p_value"] < 1 - confidence
                              and rows["current"]["n"] >= min_n
                              and rows["previous"]["n"] >= min_n)
    small = [f"{k} window {r['start']:%Y-%m-%d} to {r['end']:%Y-%m-%d} (n={r['n']})"
             for k, r in rows.items() if r["small_sample"]]
    if small:
        from .exceptions import Keyed

        windows = [Keyed(f"warn.window.{k}", start=r["start"], end=r["end"], n=r["n"])
                   for k, r in rows.items() if r["small_sample"]]
        warnings.warn(SmallSampleWarning(
            f"{func}: fewer than {min_n} answers in the {' and the '.join(small)}; read the "
            "intervals, not the point change.",
            key="warn.nps_windows_small", func=func, min_n=min_n, windows=windows),
            stacklevel=2)
    return WindowComparison(current=rows["current"], previous=rows["previous"], comparison=cmp)


def _period_ends(dates: pd.Series, freq: str) -> pd.DatetimeIndex:
    """Label (last day, midnight) of every period of ``freq`` from the first date to the last."""
    try:
        periods = pd.period_range(dates.min().to_period(freq), dates.max().to_period(freq),
                                  freq=freq)
    except (ValueError, TypeError) as err:
        raise ParamsError(f"freq={freq!r} is not a period frequency ({err}); use 'W' (weeks "
                          "ending Sunday), 'M' or 'Q'.") from None
    return periods.end_time.normalize()


def rolling_nps(
    data: pd.DataFrame,
    *,
    date: str = "responded_at",
    score: str = "score",
    user: str | None = "user_id",
    window: str | int = "90D",
    freq: str = "W",
    by: str | Sequence[str] | None = None,
    min_n: int = 30,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """NPS over a trailing window at the end of every period, each user counted once.

    At each period end (``freq="W"``: weeks ending Sunday; ``"M"``: month
    end) the window covers the ``window`` days up to and including that day,
    ``[period_end + 1 day - window, period_end + 1 day)``; at a month end
    with ``window="90D"`` that is exactly ``trailing_window(month, 90)``. A
    user who answered more than once in the window counts once, with the
    latest answer (in whichever group that answer falls).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per answer. Not modified.
    date, score, user : str
        Answer time, score and user columns (``user=None``: no dedupe).
    window : str or int, default "90D"
        Window length, a Timedelta string or a number of days.
    freq : str, default "W"
        Period of the points: "W", "M", "Q"...
    by : str or list of str, optional
        Column(s): one series per group.
    min_n : int, default 30
        Points with fewer answers are flagged ``small_sample``.
    confidence : float, default 0.95
        Level of the intervals.

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, ``period_end`` (the period's last day), ``n``,
        ``nps``, ``ci_low``, ``ci_high``, ``small_sample``: one row per group
        and period from the first answer's period to the last one's (the last
        period may be incomplete). Points with ``n == 0`` have NaN NPS.

    Warns
    -----
    SmallSampleWarning
        Once, counting the points with fewer than ``min_n`` answers (they are
        also flagged).

    Examples
    --------
    >>> responses = pd.DataFrame({"user_id": ["U1", "U2", "U3", "U1", "U2", "U4"],
    ...     "responded_at": pd.to_datetime(["2026-06-10", "2026-07-01", "2026-07-15",
    ...                                     "2026-09-01", "2026-09-20", "2026-10-05"]),
    ...     "score": [6, 9, 10, 9, 10, 8]})
    >>> rolling_nps(responses, freq="M", min_n=0)[["period_end", "n", "nps"]].round({"nps": 1})
      period_end  n    nps
    0 2026-06-30  1 -100.0
    1 2026-07-31  3   33.3
    2 2026-08-31  3   33.3
    3 2026-09-30  3  100.0
    4 2026-10-31  3   66.7

    At the end of September the window (Jul 3 - Sep 30) holds U3's 10 and the
    latest answers of U1 (9) and U2 (10): all promoters.
    """
    func = "rolling_nps"
    _check_params(func, confidence=confidence, min_n=min_n)
    keys = _by_list(by)
    _require(data, [*keys, date, score, *([user] if user else [])], func=func)
    width = pd.Timedelta(days=window) if isinstance(window, int | float) else pd.Timedelta(window)
    if width <= pd.Timedelta(0):
        raise ParamsError(f"{func}: window={window!r} must be a positive length, e.g. '90D'.")
    frame = _scored(data, score, [*keys, date, *([user] if user else [])], func=func)
    frame[date] = _datetimes(frame[date], column=date, func=func)
    frame = frame.loc[frame[date].notna()]
    columns = [*keys, "period_end", "n", "nps", "ci_low", "ci_high", "small_sample"]
    if frame.empty:
        return pd.DataFrame(columns=columns)

    ends = _period_ends(frame[date], freq)
    bounds = (ends + pd.Timedelta(days=1)).as_unit("ns").asi8  # exclusive window ends
    frame = frame.sort_values(date, kind="stable")
    t = frame[date].dt.as_unit("ns").astype("int64").to_numpy()
    limit = t + width.value
    if user:
        following = frame.groupby(user, sort=False)[date].shift(-1)
        nxt = following.dt.as_unit("ns").astype("int64").to_numpy()
        known = following.notna().to_numpy()
        limit = np.where(known, np.minimum(limit, nxt), limit)
    # An answer at t counts at window end B when t < B <= t + width and the user's next
    # answer is not before B; with sorted ends that is a contiguous range of points.
    lo = np.searchsorted(bounds, t, side="right")
    hi = np.searchsorted(bounds, limit, side="right")

    if keys:
        gb = frame.groupby(keys, dropna=False, sort=True, observed=True)
        codes = gb.ngroup().to_numpy()
        labels = gb.size().index.to_frame(index=False)
    else:
        codes = np.zeros(len(frame), dtype=np.int64)
        labels = pd.DataFrame(index=[0])
    n_groups, n_points = len(labels), len(ends)
    delta = np.zeros((n_groups, n_points + 1, 3), dtype=np.int64)
    cat = frame["_cat"].to_numpy()
    use = lo < hi
    np.add.at(delta, (codes[use], lo[use], cat[use]), 1)
    np.add.at(delta, (codes[use], hi[use], cat[use]), -1)
    counts = np.cumsum(delta, axis=1)[:, :n_points, :].reshape(-1, 3)

    out = labels.loc[np.repeat(np.arange(n_groups), n_points)].reset_index(drop=True)
    out["period_end"] = np.tile(ends.to_numpy(), n_groups)
    out["n"] = counts.sum(axis=1)
    st = _stats(out["n"], counts[:, 2], counts[:, 0], confidence)
    out["nps"], out["ci_low"], out["ci_high"] = st["nps"], st["ci_low"], st["ci_high"]
    out["small_sample"] = out["n"] < min_n
    n_small = int(out["small_sample"].sum())
    if n_small:
        warnings.warn(SmallSampleWarning(
            f"{func}: {n_small} of {len(out)} points rest on fewer than {min_n} answers "
            "(flagged `small_sample`); read their intervals, not the points.",
            key="warn.nps_points_small", func=func, k=n_small, total=len(out), min_n=min_n),
            stacklevel=2)
    return out[columns]


def cohort_nps(
    responses: pd.DataFrame,
    accounts: pd.DataFrame,
    *,
    cohort_freq: str = "Q",
    period_freq: str = "Q",
    score: str = "score",
    date: str = "responded_at",
    signup: str = "signup_date",
    user: str | None = "user_id",
    min_n: int = 30,
    confidence: float = 0.95,
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """NPS by signup cohort (of the account) and response period, tidy for a heatmap.

    Inside each response period a user who answered more than once counts
    once, with the latest answer (in whichever ``by`` group that answer
    falls).

    Parameters
    ----------
    responses : pandas.DataFrame
        One row per answer, with ``account_id``. Not modified.
    accounts : pandas.DataFrame
        The ``accounts`` table, with ``signup``. Not modified. (If
        ``responses`` already has ``signup``, that column is used.)
    cohort_freq, period_freq : str, default "Q"
        Period of the cohorts and of the answers ("Q" -> "2025Q3", "M" -> "2025-07").
    score, date, signup, user : str
        Column names (``user=None``: no dedupe).
    min_n : int, default 30
        Cells with fewer answers are flagged ``small_sample``.
    confidence : float, default 0.95
        Level of the intervals.
    by : str or list of str, optional
        Extra grouping column(s), e.g. ``"user_type"``: one cell per group,
        cohort and period. Taken from ``responses``, or from ``accounts``
        when ``responses`` does not have them (``"segment"``, ``"plan"``).
        None (the default): cohort and period only.

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, then ``cohort``, ``period`` (strings), ``n``,
        ``nps``, ``ci_low``, ``ci_high``, ``small_sample``: one row per cell
        with answers, sorted. Pivot with ``pivot(index="cohort",
        columns="period", values="nps")`` (per ``by`` group).

    Warns
    -----
    SmallSampleWarning
        Once, counting the cells with fewer than ``min_n`` answers.
    RuntimeWarning
        When answers are left out because their account has no signup date.

    Raises
    ------
    SchemaError
        A column is missing, or a score is outside 0-10.
    ParamsError
        ``cohort_freq`` or ``period_freq`` is not a period frequency, or a
        ``by`` column is named like an output column.

    Examples
    --------
    >>> accounts = pd.DataFrame({"account_id": ["A1", "A2"],
    ...     "signup_date": pd.to_datetime(["2025-02-10", "2025-08-01"])})
    >>> responses = pd.DataFrame({
    ...     "user_id": ["U1", "U1", "U2", "U3", "U3"],
    ...     "account_id": ["A1", "A1", "A1", "A2", "A2"],
    ...     "user_type": ["admin", "admin", "end user", "admin", "admin"],
    ...     "responded_at": pd.to_datetime(["2025-10-05", "2025-12-01", "2025-11-01",
    ...                                     "2025-11-15", "2026-01-10"]),
    ...     "score": [10, 3, 9, 0, 10]})
    >>> cohort_nps(responses, accounts, min_n=0)[["cohort", "period", "n", "nps"]]
       cohort  period  n    nps
    0  2025Q1  2025Q4  2    0.0
    1  2025Q3  2025Q4  1 -100.0
    2  2025Q3  2026Q1  1  100.0
    >>> cohort_nps(responses, accounts, min_n=0, by="user_type")[
    ...     ["user_type", "cohort", "period", "n", "nps"]]
      user_type  cohort  period  n    nps
    0     admin  2025Q1  2025Q4  1 -100.0
    1     admin  2025Q3  2025Q4  1 -100.0
    2     admin  2025Q3  2026Q1  1  100.0
    3  end user  2025Q1  2025Q4  1  100.0

    U1 answered twice in 2025Q4: only the latest answer (3) counts.
    """
    func = "cohort_nps"
    _check_params(func, confidence=confidence, min_n=min_n)
    keys = _by_list(by)
    columns = ["cohort", "period", "n", "nps", "ci_low", "ci_high", "small_sample"]
    clash = [c for c in keys if c in (*columns, "_cohort", "_period", "_cat")]
    if clash:
        raise ParamsError(f"{func}: by={clash} would clash with the output columns "
                          f"{columns}; rename those columns first.")
    from_accounts = [c for c in (signup, *keys) if c not in responses.columns]
    if from_accounts:
        _require(responses, ["account_id"], func=func)
        _require(accounts, ["account_id", *from_accounts], func=func, table="accounts")
    data = with_accounts(responses, accounts, from_accounts)
    _require(data, [date, score, signup, *keys, *([user] if user else [])], func=func)
    frame = _scored(data, score, [date, signup, *keys, *([user] if user else [])], func=func)
    frame[date] = _datetimes(frame[date], column=date, func=func)
    frame[signup] = _datetimes(frame[signup], column=signup, func=func)
    frame = frame.loc[frame[date].notna()]
    no_cohort = frame[signup].isna()
    if no_cohort.any():
        warnings.warn(
            f"{func}: {int(no_cohort.sum())} answer(s) left out: their account has no "
            f"`{signup}` (or is missing from accounts).",
            RuntimeWarning,
            stacklevel=2,
        )
        frame = frame.loc[~no_cohort]
    if frame.empty:
        return pd.DataFrame(columns=[*keys, *columns])
    try:
        frame["_cohort"] = frame[signup].dt.to_period(cohort_freq)
        frame["_period"] = frame[date].dt.to_period(period_freq)
    except (ValueError, TypeError) as err:
        raise ParamsError(f"{func}: cohort_freq/period_freq must be period frequencies such "
                          f"as 'Q' or 'M' ({err}).") from None
    frame = _latest_per_user(frame, user=user, date=date, within=["_period"])
    out = _count(frame, [*keys, "_cohort", "_period"], confidence, min_n)
    out["cohort"] = out["_cohort"].astype(str)
    out["period"] = out["_period"].astype(str)
    n_small = int(out["small_sample"].sum())
    if n_small:
        warnings.warn(SmallSampleWarning(
            f"{func}: {n_small} of {len(out)} cohort cells have fewer than {min_n} answers "
            "(flagged `small_sample`).",
            key="warn.cohort_small", func=func, k=n_small, total=len(out), min_n=min_n),
            stacklevel=2)
    return out[[*keys, *columns]].reset_index(drop=True)


# --- the survey programme ------------------------------------------------------------------

def survey_waves(
    users: pd.DataFrame,
    *,
    n_waves: int = 12,
    strata: str = "user_type",
    seed: int = 0,
    user: str = "user_id",
) -> pd.DataFrame:
    """Split the users into ``n_waves`` survey waves with the same stratum mix in each.

    Within each stratum (a value of ``strata``; missing is a stratum) the
    users are shuffled with ``seed`` and dealt round robin; each stratum
    starts at the wave where the previous one stopped. So in every stratum
    the wave counts differ by at most one, and so do the wave sizes.

    Parameters
    ----------
    users : pandas.DataFrame
        The ``users`` table. Not modified; a user listed twice is kept once.
    n_waves : int, default 12
        Number of waves (one is surveyed a week: 12 waves ~ every 84 days).
    strata : str, default "user_type"
        Column to stratify on.
    seed : int, default 0
        Seed of the shuffle: the same users and seed give the same waves.
    user : str, default "user_id"
        User id column.

    Returns
    -------
    pandas.DataFrame
        ``user``, ``strata`` and ``wave`` (1..n_waves), in the order of ``users``.

    Examples
    --------
    >>> users = pd.DataFrame({"user_id": ["U1", "U2", "U3", "U4"],
    ...                       "user_type": ["admin", "admin", "end user", "end user"]})
    >>> survey_waves(users, n_waves=2).groupby(["wave", "user_type"]).size().tolist()
    [1, 1, 1, 1]
    """
    func = "survey_waves"
    if not (isinstance(n_waves, int | np.integer) and n_waves >= 1):
        raise ParamsError(f"{func}: n_waves={n_waves!r} must be a whole number >= 1.")
    _require(users, [user, strata], func=func, table="users")
    out = users[[user, strata]].drop_duplicates(user).reset_index(drop=True)
    codes, _ = pd.factorize(out[strata], sort=True, use_na_sentinel=False)
    n = len(out)
    perm = np.random.default_rng(seed).permutation(n)
    order = perm[np.argsort(codes[perm], kind="stable")]  # strata in turn, shuffled inside
    # Dealing the concatenated strata round robin: position i goes to wave i % n_waves, so a
    # stratum starts where the previous one stopped (the rotating offset).
    wave = np.empty(n, dtype=np.int64)
    wave[order] = np.arange(n) % n_waves + 1
    out["wave"] = pd.array(wave, dtype="Int64")
    return out


def due_for_survey(
    users: pd.DataFrame,
    responses: pd.DataFrame,
    on,
    *,
    min_gap_days: int = 90,
    user: str = "user_id",
    date: str = "responded_at",
) -> pd.DataFrame:
    """The users who may be surveyed on ``on``: nobody is asked twice within the gap.

    ``on`` is a survey day (a time of day in it is ignored). A user is due
    when they never answered by the end of that day, or their last answer is
    more than ``min_gap_days`` days before it (counted from its midnight).
    An answer given at any time on the day itself counts: a user who
    answered that morning, or answers later that day, is not asked again
    (``days_since`` 0). Answers from later days are ignored, so a past day
    can be replayed. Pass the sends (``nps_invitations``,
    ``date="sent_at"``) to space the asks instead of the answers.

    Parameters
    ----------
    users, responses : pandas.DataFrame
        The ``users`` table and the answers (or sends). Not modified.
    on : str or Timestamp
        The survey day ("2026-10-01"); a time of day is dropped.
    min_gap_days : int, default 90
        Minimum days between two asks.
    user, date : str
        User id and answer (or send) time columns.

    Returns
    -------
    pandas.DataFrame
        The rows of ``users`` that are due, in their order, with ``last_at``
        (their last answer up to the end of the day ``on``, NaT if none) and
        ``days_since`` (float days from ``last_at`` to the midnight that
        starts ``on``, 0 for an answer on the day itself, NaN if none).

    Examples
    --------
    >>> users = pd.DataFrame({"user_id": ["U1", "U2", "U3"]})
    >>> answers = pd.DataFrame({"user_id": ["U1", "U2"],
    ...     "responded_at": pd.to_datetime(["2026-09-01", "2026-06-01"])})
    >>> due_for_survey(users, answers, "2026-10-01")[["user_id", "days_since"]]
      user_id  days_since
    1      U2       122.0
    2      U3         NaN

    An answer later on the survey day itself counts as asked:

    >>> later = pd.DataFrame({"user_id": ["U2"],
    ...     "responded_at": pd.to_datetime(["2026-10-01 16:30"])})
    >>> due_for_survey(users, pd.concat([answers, later]), "2026-10-01")["user_id"].tolist()
    ['U3']
    """
    func = "due_for_survey"
    if not min_gap_days >= 0:
        raise ParamsError(f"{func}: min_gap_days={min_gap_days!r} must be >= 0.")
    _require(users, [user], func=func, table="users")
    _require(responses, [user, date], func=func)
    try:
        day = pd.Timestamp(on).normalize()
    except (ValueError, TypeError) as err:
        raise ParamsError(f"{func}: on={on!r} is not a date ({err}).") from None
    when = _datetimes(responses[date], column=date, func=func)
    past = pd.DataFrame({"_user": responses[user].to_numpy(), "_at": when.to_numpy()})
    past = past.loc[past["_at"].notna() & (past["_at"] < day + pd.Timedelta(days=1))]
    last = past.groupby("_user")["_at"].max()
    out = users.copy()
    out["last_at"] = last.reindex(out[user].to_numpy()).to_numpy()
    out["days_since"] = ((day - out["last_at"]).dt.total_seconds() / 86400).clip(lower=0)
    due = out["last_at"].isna() | (out["days_since"] > min_gap_days)
    return out.loc[due.to_numpy()]


# --- closing the loop ----------------------------------------------------------------------

@dataclass
class LoopClosure:
    """Result of :func:`loop_closure`.

    Attributes
    ----------
    responses : DataFrame
        Per answer: response_id, responded_at, score, category,
        required_action, done, done_at, days_to_act, within_sla, pending,
        sla_status ("met", "missed" or "pending").
    weekly : DataFrame
        Per period (by answer date): period_end, n, nps, ci_low, ci_high,
        due (answers whose SLA had elapsed), loops_closed_in_sla,
        share_in_sla (of the due answers), complete (the week ended before
        the cut).
    correlation : dict
        r (Pearson, weekly nps vs share_in_sla over complete weeks), n_weeks,
        p_value; NaN with fewer than 3 such weeks.
    sla_summary : DataFrame
        Per category: category, n, due, pending, done, within_sla, missed,
        share_done, share_within_sla (of the due answers).
    within_sla_rate : float
        The share of the due answers whose loop was closed within the SLA.
    pending : int
        Answers not yet due.
    table : DataFrame
        Same as ``responses``: one row per answer.
    summary : DataFrame
        Same as ``sla_summary``: one row per category.
    """

    responses: pd.DataFrame
    weekly: pd.DataFrame
    correlation: dict
    sla_summary: pd.DataFrame

    @property
    def table(self) -> pd.DataFrame:
        """One row per answer: the ``responses`` table."""
        return self.responses

    @property
    def summary(self) -> pd.DataFrame:
        """One row per category: the ``sla_summary`` table."""
        return self.sla_summary

    @property
    def within_sla_rate(self) -> float:
        """Loops closed within the SLA over the answers that were due, categories pooled.

        Pending answers (SLA not yet elapsed) are in neither part. NaN when no
        answer was due (not 0: nothing was late).

        Examples
        --------
        >>> summary = pd.DataFrame({"category": ["detractor", "passive", "promoter"],
        ...                         "n": [2, 0, 4], "pending": [0, 0, 1],
        ...                         "within_sla": [1, 0, 3]})
        >>> LoopClosure(None, None, {}, summary).within_sla_rate  # (1 + 0 + 3) / (2 + 0 + 3)
        0.8
        """
        n = self.sla_summary["n"].sum()
        if "pending" in self.sla_summary:
            n = n - self.sla_summary["pending"].sum()
        return float(self.sla_summary["within_sla"].sum()) / int(n) if n else float("nan")

    @property
    def pending(self) -> int:
        """Answers whose SLA had not elapsed at the cut and whose loop was still open."""
        if "pending" not in self.sla_summary:
            return 0
        return int(self.sla_summary["pending"].sum())


def loop_closure(
    responses: pd.DataFrame,
    actions: pd.DataFrame,
    *,
    sla_days: float = 3,
    freq: str = "W",
    response_id: str = "response_id",
    date: str = "responded_at",
    score: str = "score",
    confidence: float = 0.95,
    as_of=None,
    month=None,
) -> LoopClosure:
    """Is every answer followed up, with the right action, within the SLA?

    The playbook: detractors and passives get a call, promoters an e-mail. A
    "meeting" counts as a call. The loop is done when a qualifying action is
    logged at or after the answer; ``done_at`` is the first one, and the
    loop is closed in SLA when it came at most ``sla_days`` days after the
    answer.

    Not yet due is not missed: with ``as_of`` (a report's cut, the first
    instant after its month), an answer whose SLA had not elapsed by then and
    whose loop was not yet closed is *pending*, neither met nor missed, and
    is left out of every share. Actions logged at or after ``as_of`` were not
    known then and are ignored. A last week that ends after ``as_of`` is
    partial: it stays in ``weekly`` (``complete`` False) but out of the
    correlation.

    Parameters
    ----------
    responses : pandas.DataFrame
        One row per answer. Not modified.
    actions : pandas.DataFrame
        The ``loop_actions`` table: response_id, action ("call", "email",
        "meeting"), done_at. Not modified.
    sla_days : float, default 3
        Days allowed to close a loop.
    freq : str, default "W"
        Period of ``weekly`` (weeks ending Sunday).
    response_id, date, score : str
        Column names in ``responses``.
    confidence : float, default 0.95
        Level of the weekly NPS intervals.
    as_of : Timestamp, optional
        What was known at this instant (see above); default: everything, no
        answer pending.
    month : str or Timestamp, optional
        A report month, instead of ``as_of``: ``as_of`` is the first instant
        after it.

    Returns
    -------
    LoopClosure

    Examples
    --------
    >>> responses = pd.DataFrame({"response_id": ["R1", "R2", "R3"],
    ...     "responded_at": pd.to_datetime(["2026-10-05 10:00", "2026-10-06 10:00",
    ...                                     "2026-10-07 10:00"]),
    ...     "score": [3, 10, 8]})
    >>> actions = pd.DataFrame({"response_id": ["R1", "R2"], "action": ["call", "email"],
    ...     "done_at": pd.to_datetime(["2026-10-06 09:00", "2026-10-12 10:00"])})
    >>> loops = loop_closure(responses, actions)
    >>> loops.responses[["response_id", "category", "required_action", "within_sla"]]
      response_id   category required_action  within_sla
    0          R1  detractor            call        True
    1          R2   promoter           email       False
    2          R3    passive            call       False
    >>> loops.sla_summary[["category", "n", "done", "within_sla"]]
        category  n  done  within_sla
    0  detractor  1     1           1
    1    passive  1     0           0
    2   promoter  1     1           0

    The detractor was called within a day; the promoter's e-mail came on day 6,
    after the 3-day SLA; nobody called the passive.

    Seen at the end of 9 October, the passive's SLA (to 10 October, 10:00) has
    not elapsed: it is pending; the promoter's (to 9 October) has, and the
    e-mail of 12 October is not known yet: missed.

    >>> seen = loop_closure(responses, actions, as_of=pd.Timestamp("2026-10-10"))
    >>> seen.responses[["response_id", "sla_status"]]
      response_id sla_status
    0          R1        met
    1          R2     missed
    2          R3    pending
    >>> seen.within_sla_rate  # 1 met of 2 due
    0.5
    """
    func = "loop_closure"
    _check_params(func, confidence=confidence)
    if month is not None:
        if as_of is not None:
            raise ParamsError(f"{func}: pass `month` or `as_of`, not both.")
        from .periods import month_end

        as_of = month_end(month)
    as_of = None if as_of is None else pd.Timestamp(as_of)
    if not sla_days >= 0:
        raise ParamsError(f"{func}: sla_days={sla_days!r} must be >= 0.")
    _require(responses, [response_id, date, score], func=func)
    _require(actions, ["response_id", "action", "done_at"], func=func, table="loop_actions")

    frame = _scored(responses, score, [response_id, date, score], func=func)
    frame[date] = _datetimes(frame[date], column=date, func=func)
    frame = frame.reset_index(drop=True)
    frame["category"] = np.array(CATEGORIES, dtype=object)[frame["_cat"].to_numpy()]
    frame["required_action"] = frame["category"].map(REQUIRED_ACTION)

    acts = pd.DataFrame({  # keys keep their dtype: merging Arrow strings with Arrow is fast
        "_rid": actions["response_id"].array,
        "_action": actions["action"].astype("str").str.strip().str.lower().array,
        "_done": _datetimes(actions["done_at"], column="done_at", func=func).to_numpy(),
    })
    acts = acts.loc[acts["_done"].notna()]
    if as_of is not None:
        acts = acts.loc[acts["_done"] < as_of]
    qualifying = pd.DataFrame(
        [(need, act) for need, allowed in QUALIFYING_ACTIONS.items() for act in allowed],
        columns=["required_action", "_action"])
    matched = (frame[[response_id, date, "required_action"]].reset_index()
               .merge(qualifying, on="required_action")
               .merge(acts, left_on=[response_id, "_action"], right_on=["_rid", "_action"]))
    matched = matched.loc[matched["_done"] >= matched[date]]
    first = matched.groupby("index")["_done"].min()

    out = frame[[response_id, date, score, "category", "required_action"]].copy()
    out["done_at"] = pd.to_datetime(pd.Series(first, index=out.index.rename(None)))
    out["done"] = out["done_at"].notna()
    out["days_to_act"] = (out["done_at"] - out[date]).dt.total_seconds() / 86400
    out["within_sla"] = out["done"] & (out["days_to_act"] <= sla_days)
    deadline = out[date] + pd.Timedelta(days=float(sla_days))
    out["pending"] = (~out["within_sla"]) & (deadline >= as_of) if as_of is not None \
        else False
    out["sla_status"] = np.where(out["within_sla"], "met",
                                 np.where(out["pending"], "pending", "missed"))
    out = out[[response_id, date, score, "category", "required_action", "done", "done_at",
               "days_to_act", "within_sla", "pending", "sla_status"]]

    summary = pd.DataFrame({"category": list(CATEGORIES)})
    g = out.groupby("category")

    def per_category(values: pd.Series) -> pd.Series:
        return summary["category"].map(values).fillna(0).astype("int64")

    summary["n"] = per_category(g.size()).to_numpy()
    summary["done"] = per_category(g["done"].sum())
    summary["within_sla"] = per_category(g["within_sla"].sum())
    summary["pending"] = per_category(g["pending"].sum())
    summary["due"] = summary["n"] - summary["pending"]
    summary["missed"] = summary["due"] - summary["within_sla"]
    safe = summary["n"].where(summary["n"] > 0, np.nan)
    summary["share_done"] = summary["done"] / safe
    summary["share_within_sla"] = summary["within_sla"] / summary["due"].where(
        summary["due"] > 0, np.nan)
    summary = summary[["category", "n", "due", "pending", "done", "within_sla", "missed",
                       "share_done", "share_within_sla"]]

    weekly_cols = ["period_end", "n", "nps", "ci_low", "ci_high", "due",
                   "loops_closed_in_sla", "share_in_sla", "complete"]
    dated = frame.loc[frame[date].notna()].copy()
    if dated.empty:
        weekly = pd.DataFrame(columns=weekly_cols)
    else:
        ends = _period_ends(dated[date], freq)
        dated["period_end"] = dated[date].dt.to_period(freq).dt.end_time.dt.normalize()
        dated["_sla"] = out.loc[dated.index, "within_sla"].astype("int64")
        dated["_due"] = (~out.loc[dated.index, "pending"].astype(bool)).astype("int64")
        weekly = _count(dated, ["period_end"], confidence, 0)
        by_week = dated.groupby("period_end")
        sla, due = by_week["_sla"].sum(), by_week["_due"].sum()
        weekly = (pd.DataFrame({"period_end": ends}).merge(weekly, on="period_end", how="left"))
        weekly["n"] = weekly["n"].fillna(0).astype("int64")
        weekly["due"] = weekly["period_end"].map(due).fillna(0).astype("int64")
        weekly["loops_closed_in_sla"] = (weekly["period_end"].map(sla).fillna(0)
                                         .astype("int64"))
        weekly["share_in_sla"] = (weekly["loops_closed_in_sla"]
                                  / weekly["due"].where(weekly["due"] > 0, np.nan))
        # period_end is the week's last day at midnight: the week is whole when the cut
        # comes after that day.
        weekly["complete"] = (True if as_of is None
                              else weekly["period_end"] + pd.Timedelta(days=1) <= as_of)
        weekly = weekly[weekly_cols]

    answered = (weekly.loc[(weekly["n"] > 0) & weekly["complete"]
                           & weekly["share_in_sla"].notna()] if len(weekly) else weekly)
    x = answered["nps"].to_numpy(dtype=float)
    y = answered["share_in_sla"].to_numpy(dtype=float)
    r = p_value = np.nan
    if len(answered) >= 3 and np.std(x) > 0 and np.std(y) > 0:
        res = stats.pearsonr(x, y)
        r, p_value = float(res.statistic), float(res.pvalue)
    correlation = {"r": r, "n_weeks": int(len(answered)), "p_value": p_value}
    return LoopClosure(responses=out, weekly=weekly, correlation=correlation,
                       sla_summary=summary)


# --- verbatims -----------------------------------------------------------------------------

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# wa.me/5511..., api.whatsapp.com/send?phone=..., chat.whatsapp.com/<invite>
_WHATSAPP = re.compile(r"(?:https?://)?(?:www\.)?(?:wa\.me|(?:api|web|chat)\.whatsapp\.com"
                       r"|whatsapp\.com)/[^\s<>\"')\]]*", re.IGNORECASE)
# Brazilian tax ids: CNPJ 12.345.678/0001-95 and CPF 123.456.789-09, written with their
# marks (masked) or as bare digits (masked when their check digits are right).
_CNPJ = re.compile(r"(?<![\w/.-])\d{2}\.?\d{3}\.?\d{3}/?\d{4}-?\d{2}(?![\w/-])")
_CPF = re.compile(r"(?<![\w/.-])\d{3}\.?\d{3}\.?\d{3}-?\d{2}(?![\w/-])")
# An optional +country code and (area code), then digit groups of 2+ separated by one space,
# dot or dash. Not inside a number (1.234.567,89), a path or an id (T-0001234); a comma or
# colon before it is fine (ligue,11933334444). _phone() decides which runs are phones.
_PHONE = re.compile(
    r"(?<![\w@/+#])(?<!\d[.,])(?<![A-Za-z]-)(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?"
    r"\d{2,}(?:[\s.-]\d{2,})*(?![\w@]|[.,]\d)"
)


def _check_digits(digits: str, weights: list[list[int]]) -> bool:
    """Whether the last len(weights) digits are the mod-11 check digits (CPF, CNPJ)."""
    if len(set(digits)) == 1:
        return False
    n = len(digits) - len(weights)
    for i, w in enumerate(weights):
        total = sum(int(d) * k for d, k in zip(digits[: n + i], w, strict=True))
        check = total % 11
        check = 0 if check < 2 else 11 - check
        if check != int(digits[n + i]):
            return False
    return True


_CPF_WEIGHTS = [list(range(10, 1, -1)), list(range(11, 1, -1))]
_CNPJ_WEIGHTS = [[5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2], [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]]


def _tax_id(label: str, weights):
    def replace(match: re.Match) -> str:
        text = match.group(0)
        digits = re.sub(r"\D", "", text)
        formatted = not text.isdigit()
        return label if formatted or _check_digits(digits, weights) else text
    return replace


def _phone(match: re.Match) -> str:
    text = match.group(0)
    digits = re.sub(r"\D", "", text)
    if text.startswith("+"):  # an international number: +44 20 7946 0958, +351 912 345 678
        return "[phone]" if 8 <= len(digits) <= 15 else text
    groups = [g for g in re.split(r"[\s.()-]+", text) if g]
    if len(groups) == 1:  # bare digits: with an area code (10-13), or a 9-digit mobile
        bare = 10 <= len(digits) <= 13 or (len(digits) == 9 and digits[0] == "9")
        return "[phone]" if bare else text
    return "[phone]" if 8 <= len(digits) <= 13 and len(groups[-1]) >= 4 else text


def _mask_one(text):
    if not isinstance(text, str):
        return text
    text = _WHATSAPP.sub("[whatsapp]", text)
    text = _EMAIL.sub("[e-mail]", text)
    text = _CNPJ.sub(_tax_id("[cnpj]", _CNPJ_WEIGHTS), text)
    text = _CPF.sub(_tax_id("[cpf]", _CPF_WEIGHTS), text)
    return _PHONE.sub(_phone, text)


def mask_pii(text):
    """Replace e-mail addresses, phone numbers, WhatsApp links, CPF and CNPJ numbers.

    Phones are runs of at least 8 digits in the usual formats
    (``+55 11 91234-5678``, ``(11) 91234-5678``, ``555-123-4567``,
    ``11912345678``, also glued to punctuation: ``ligue,11933334444``) and
    international numbers (``+44 20 7946 0958``); ``wa.me/...`` and
    ``whatsapp.com/...`` links become "[whatsapp]"; CPF (``123.456.789-09``)
    and CNPJ (``12.345.678/0001-95``) numbers "[cpf]" and "[cnpj]" (bare
    digits when their check digits are right). Numbers such as "NPS 9",
    "2026", a date, an amount (``R$ 1.234,56``), a percentage or an id
    (``T-0012345``) are kept.

    Parameters
    ----------
    text : str or pandas.Series
        A comment, or a Series of them (missing values stay missing).

    Returns
    -------
    str or pandas.Series
        Same type; a Series keeps its index and name.

    Examples
    --------
    >>> mask_pii("NPS 9 in 2026, call (11) 91234-5678 or ana@acme.com.br")
    'NPS 9 in 2026, call [phone] or [e-mail]'
    >>> mask_pii("CPF 123.456.789-09, paguei R$ 1.234,56 em 04/10/2026 (12,5%)")
    'CPF [cpf], paguei R$ 1.234,56 em 04/10/2026 (12,5%)'
    """
    if isinstance(text, pd.Series):
        return text.map(_mask_one).astype(text.dtype)
    return _mask_one(text)


def verbatims(
    responses: pd.DataFrame,
    *,
    category: str | Sequence[str] | None = "detractor",
    comment: str = "comment",
    n: int = 15,
    mask: bool = True,
    date: str = "responded_at",
    score: str = "score",
) -> pd.DataFrame:
    """The most recent non-empty comments of a category, newest first.

    Text is returned as written (masked when ``mask``): escaping it for HTML
    is the report layer's job.

    Parameters
    ----------
    responses : pandas.DataFrame
        One row per answer. Not modified.
    category : str, list of str or None, default "detractor"
        "detractor", "passive", "promoter", several, or None for all.
    comment, date, score : str
        Column names.
    n : int, default 15
        Number of comments.
    mask : bool, default True
        Mask e-mail addresses and phone numbers (:func:`mask_pii`).

    Returns
    -------
    pandas.DataFrame
        ``date``, ``score``, then ``user_type``, ``segment``, ``plan`` when
        present, then ``comment``.

    Examples
    --------
    >>> responses = pd.DataFrame({
    ...     "responded_at": pd.to_datetime(["2026-10-01", "2026-10-03", "2026-10-02"]),
    ...     "score": [3, 10, 5],
    ...     "comment": ["Slow support", "Great!", "Call me on (11) 91234-5678"]})
    >>> verbatims(responses, n=2)
      responded_at  score             comment
    0   2026-10-02      5  Call me on [phone]
    1   2026-10-01      3        Slow support
    """
    func = "verbatims"
    wanted = [category] if isinstance(category, str) else category
    if wanted is not None:
        unknown = [c for c in wanted if c not in CATEGORIES]
        if unknown:
            raise ParamsError(f"{func}: category {unknown!r} is not one of {list(CATEGORIES)}.")
    _require(responses, [date, score, comment], func=func)
    extra = [c for c in ("user_type", "segment", "plan") if c in responses.columns]
    frame = responses[[date, score, *extra, comment]].copy()
    cats = nps_category(frame[score])
    text = frame[comment]
    keep = text.notna() & text.astype("str").str.strip().ne("")
    if wanted is not None:
        keep &= cats.isin(wanted)
    frame = frame.loc[keep.to_numpy()]
    frame[date] = _datetimes(frame[date], column=date, func=func)
    frame = frame.sort_values(date, ascending=False, kind="stable").head(n)
    if mask:
        frame[comment] = mask_pii(frame[comment])
    return frame.reset_index(drop=True)


def with_user_attributes(responses: pd.DataFrame, users: pd.DataFrame,
                         accounts: pd.DataFrame) -> pd.DataFrame:
    """``responses`` with ``user_type`` (from users) and segment, plan, region, name,
    signup_date (from accounts) added; a copy, rows and order kept.

    Examples
    --------
    >>> r = pd.DataFrame({"response_id": ["R1"], "user_id": ["U1"], "account_id": ["A1"]})
    >>> u = pd.DataFrame({"user_id": ["U1"], "account_id": ["A1"], "user_type": ["admin"]})
    >>> a = pd.DataFrame({"account_id": ["A1"], "segment": ["SMB"], "plan": ["Pro"]})
    >>> with_user_attributes(r, u, a).columns.tolist()
    ['response_id', 'user_id', 'account_id', 'user_type', 'segment', 'plan']
    """
    out = with_users(responses, users, ["user_type"])
    return with_accounts(out, accounts, ["segment", "plan", "region", "name", "signup_date"])
