"""MRR movements, the revenue bridge, GRR / NRR / Net Revenue Churn and logo churn.

From a monthly MRR snapshot (one row per contract and month, a missing row
meaning 0), :func:`mrr_movements` labels every entity-month as ``new``,
``expansion``, ``contraction``, ``churn``, ``reactivation`` or ``flat``, at
account level (the "360°" customer view, contracts summed) or at contract
level. :func:`revenue_bridge` adds the movements up per month, quarter or year
so that ``start_mrr + new + expansion + contraction + churn + reactivation ==
end_mrr``, and derives the retention ratios from the accounts paying at the
start of each period (see the conventions below).

Conventions (see ``docs/metrics.md``):

- Net Revenue Churn = (churn + contraction - expansion) / start MRR, with the
  losses as positive amounts; NRR = 1 - Net Revenue Churn.
- New business and reactivation are kept out of GRR, NRR and Net Revenue
  Churn (ChartMogul's NRR convention). ChartMogul's "net MRR churn rate"
  subtracts reactivation as well, so it reads lower than ours whenever
  churned customers come back.
- Over a quarter, a year or a trailing window the ratios follow the *start
  cohort*, the entities paying at the start of the period: their MRR at the
  end of the period against their MRR at the start (GRR caps each entity's
  end at its start; NRR does not). An account that is new, or comes back,
  inside the period is not in the cohort, so the churn and contraction of
  accounts that joined mid-quarter never enter GRR or NRR. For one month
  this is the month's churn, contraction and expansion over its start.
- The first month of the data is an opening balance: nothing is known
  before it, so it gets no movement rows; its MRR is the ``previous_mrr`` of
  the second month.

Examples
--------
>>> import pandas as pd
>>> from cslib.revenue import mrr_movements, revenue_bridge
>>> mrr = pd.DataFrame({
...     "contract_id": ["C1", "C1", "C2", "C2", "C3"],
...     "account_id": ["A1", "A1", "A2", "A2", "A2"],
...     "month": pd.to_datetime(["2026-09-01", "2026-10-01"] * 2 + ["2026-10-01"]),
...     "mrr": [100.0, 120.0, 1000.0, 1000.0, 250.0]})
>>> revenue_bridge(mrr_movements(mrr))[["period", "start_mrr", "expansion", "end_mrr", "nrr"]]
    period  start_mrr  expansion  end_mrr       nrr
0  2026-10     1100.0      270.0   1370.0  1.245455
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._checks import as_list as _as_list
from ._checks import renamed_keywords, require_columns
from .exceptions import ParamsError, SchemaError

__all__ = [
    "MOVEMENTS",
    "mrr_movements",
    "revenue_bridge",
    "net_revenue_churn",
    "logo_churn_interval",
    "nrr_change_decomposition",
    "top_movers",
    "bridge_row",
    "last_periods",
    "trailing_bridge",
    "compare_views",
]

#: Movement labels, in the order the bridge reports them.
MOVEMENTS = ("new", "expansion", "contraction", "churn", "reactivation", "flat")

_FREQS = ("M", "Q", "Y")
_MOVEMENT_COLUMNS = ("mrr", "previous_mrr", "change", "movement")
# In the order of the conditions in mrr_movements.
_MOVEMENT_LABELS = pd.array(["new", "reactivation", "churn", "expansion", "contraction", "flat"],
                            dtype="str")


def _require_columns(data: pd.DataFrame, columns: Sequence[str], *, table: str) -> None:
    require_columns(data, columns, where=table)


def _need_movements(movements: pd.DataFrame, *, func: str) -> None:
    """Say to call :func:`mrr_movements` first when given a table without its columns."""
    missing = [c for c in _MOVEMENT_COLUMNS[1:] if c not in movements.columns]
    if missing:
        raise SchemaError(
            f"{func}: `movements` has no column(s) {', '.join(f'`{c}`' for c in missing)}: it "
            "looks like the raw MRR table. Call `mrr_movements` first and pass its output: "
            f"{func}(mrr_movements(mrr), ...)."
        )


def _need_bridge(bridge: pd.DataFrame, *, period: str, func: str) -> None:
    """Say to call :func:`revenue_bridge` first when given a table without ``period``."""
    if period not in bridge.columns:
        raise SchemaError(
            f"{func}: `bridge` has no column `{period}`: it is not a revenue bridge. Call "
            "`revenue_bridge` first (on `mrr_movements(mrr)`) and pass its output."
        )


def _month_periods(values: pd.Series, *, column: str, table: str) -> pd.Series:
    if isinstance(values.dtype, pd.PeriodDtype):
        return values.dt.asfreq("M")
    try:
        dates = pd.to_datetime(values)
    except (ValueError, TypeError) as err:
        raise SchemaError(
            f"{table}: column `{column}` cannot be read as dates ({err}). "
            "Load the table with cslib.io.load or convert the column with pd.to_datetime."
        ) from None
    if dates.isna().any():
        rows = (np.flatnonzero(dates.isna().to_numpy()) + 1)[:5].tolist()
        raise SchemaError(
            f"{table}: column `{column}` has {int(dates.isna().sum())} missing month(s) "
            f"(rows {rows}). Fill or drop those rows."
        )
    if isinstance(dates.dtype, np.dtype):
        # Naive dates: numpy's month cast gives the same periods as dt.to_period, faster.
        months = dates.to_numpy().astype("datetime64[M]").astype(np.int64)
        return pd.Series(pd.arrays.PeriodArray(months, dtype=pd.PeriodDtype("M")),
                         index=dates.index, name=dates.name)
    return dates.dt.to_period("M")


@renamed_keywords(month="month_column")
def mrr_movements(
    mrr: pd.DataFrame,
    *,
    entity: str = "account_id",
    month_column: str = "month",
    amount: str = "mrr",
    keep: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Label every entity-month with its MRR movement.

    ``amount`` is summed per ``entity`` and month (all contracts of an account
    for ``entity="account_id"``; ``entity="contract_id"`` gives the contract
    view). Months with no row count as 0 from the entity's first month to the
    last month of the data, so a missing row and an explicit 0 are the same.

    Parameters
    ----------
    mrr : pandas.DataFrame
        Monthly MRR snapshot, one row per contract and month (the ``mrr``
        table of the data contract). Not modified.
    entity : str, default "account_id"
        Column identifying the entity whose movements are labelled.
    month_column : str, default "month"
        Month column (dates; any day is floored to its month). Was ``month=``.
    amount : str, default "mrr"
        Non-negative recurring revenue column.
    keep : str or list of str, optional
        Extra per-entity columns carried along (first value per entity), e.g.
        ``"account_id"`` in the contract view or ``"segment"``.

    Returns
    -------
    pandas.DataFrame
        One row per entity and month, sorted, with columns ``entity``,
        ``month`` (first of month), ``mrr``, ``previous_mrr``, ``change``
        (``mrr - previous_mrr``, signed), ``movement`` and the ``keep``
        columns. ``movement`` is:

        - ``new``: previous 0, now > 0, never paid before;
        - ``reactivation``: previous 0, now > 0, paid in some earlier month;
        - ``churn``: previous > 0, now 0 (``change`` is negative);
        - ``expansion`` / ``contraction`` / ``flat``: both > 0, up / down / equal.

        Months where both are 0 (an entity that stays churned) are dropped.
        The first month of the data is an opening balance: it has no rows
        (accounts already paying then are not "new"), and its MRR is the
        ``previous_mrr`` of the second month. ``attrs["entity"]`` holds the
        entity column name for :func:`revenue_bridge`.

    Raises
    ------
    SchemaError
        A column is missing, or ``amount`` has missing, non-numeric or
        negative values, or ``entity`` has missing ids.

    Examples
    --------
    >>> mrr = pd.DataFrame({
    ...     "contract_id": ["C1", "C1", "C2", "C2"], "account_id": ["A1"] * 4,
    ...     "month": pd.to_datetime(["2026-01-01", "2026-02-01"] * 2),
    ...     "mrr": [100.0, 100.0, 50.0, 0.0]})
    >>> mrr_movements(mrr)
      account_id      month    mrr  previous_mrr  change     movement
    0         A1 2026-02-01  100.0         150.0   -50.0  contraction
    >>> mrr_movements(mrr, entity="contract_id", keep="account_id")
      contract_id      month    mrr  previous_mrr  change movement account_id
    0          C1 2026-02-01  100.0         100.0     0.0     flat         A1
    1          C2 2026-02-01    0.0          50.0   -50.0    churn         A1
    """
    keep = [c for c in _as_list(keep) if c != entity]
    _require_columns(mrr, [entity, month_column, amount, *keep], table="mrr")
    clash = [c for c in keep if c in (month_column, *_MOVEMENT_COLUMNS)]
    if clash:
        raise ParamsError(
            f"keep: column(s) {clash} would clash with the output columns "
            f"{[month_column, *_MOVEMENT_COLUMNS]}; rename them first."
        )
    if mrr[entity].isna().any():
        rows = (np.flatnonzero(mrr[entity].isna().to_numpy()) + 1)[:5].tolist()
        raise SchemaError(
            f"mrr: column `{entity}` has {int(mrr[entity].isna().sum())} missing id(s) "
            f"(rows {rows}). Fill or drop those rows."
        )
    values = pd.to_numeric(mrr[amount], errors="coerce")
    bad = values.isna() | (values < 0)
    if bad.any():
        rows = (np.flatnonzero(bad.to_numpy()) + 1)[:5].tolist()
        examples = mrr[amount][bad].head(3).tolist()
        raise SchemaError(
            f"mrr: column `{amount}` has {int(bad.sum())} missing, non-numeric or negative "
            f"value(s) (rows {rows}; e.g. {examples}). MRR must be a number >= 0: "
            "a month without revenue is 0 or no row."
        )
    periods = _month_periods(mrr[month_column], column=month_column, table="mrr")

    out_cols = [entity, month_column, *_MOVEMENT_COLUMNS, *keep]
    if len(mrr) == 0:
        dtypes = {c: mrr[c].dtype for c in (entity, *keep)}
        dtypes.update({month_column: "datetime64[us]", "movement": "str"},
                      **dict.fromkeys(_MOVEMENT_COLUMNS[:3], "float64"))
        empty = pd.DataFrame({c: pd.Series(dtype=dtypes[c]) for c in out_cols})
        empty.attrs["entity"] = entity
        return empty

    ids = mrr[entity]
    if isinstance(ids.dtype, pd.CategoricalDtype):
        ids = ids.astype(ids.dtype.categories.dtype)  # sort entities by value, not category order
    entity_codes, entities = pd.factorize(ids, sort=True)
    ordinals = periods.array.asi8
    month_index = ordinals - ordinals.min()
    n_ent, n_mon = len(entities), int(month_index.max()) + 1
    full = pd.period_range(periods.min(), periods.max(), freq="M")

    # One cell per entity and month, numbered in (entity, month) order. The cells are
    # summed by a sorted groupby over all rows: pandas picks its summation method from
    # the row order, so anything else could change the totals in the last bit.
    cells = entity_codes * n_mon + month_index
    totals = pd.Series(values.to_numpy(dtype=float)).groupby(cells).sum()
    now = np.zeros(n_ent * n_mon)
    now[totals.index.to_numpy()] = totals.to_numpy()
    now = now.reshape(n_ent, n_mon)
    present = np.zeros(n_ent * n_mon, dtype=bool)
    present[cells] = True
    started = np.maximum.accumulate(present.reshape(n_ent, n_mon), axis=1)
    prev = np.zeros_like(now)
    prev[:, 1:] = now[:, :-1]
    paid_before = np.zeros_like(started)
    paid_before[:, 1:] = np.maximum.accumulate(now > 0, axis=1)[:, :-1]

    # Column 0 is the opening balance: kept only as previous_mrr of month 2.
    use = started & ~((now == 0) & (prev == 0))
    use[:, 0] = False
    rows, cols = np.nonzero(use)
    v, p, paid = now[rows, cols], prev[rows, cols], paid_before[rows, cols]
    movement = np.select(
        [
            (p == 0) & (v > 0) & ~paid,
            (p == 0) & (v > 0) & paid,
            (p > 0) & (v == 0),
            (p > 0) & (v > p),
            (p > 0) & (v < p),
        ],
        list(range(5)),
        default=5,
    )
    out = pd.DataFrame({
        entity: entities.take(rows).astype(mrr[entity].dtype),
        month_column: full.to_timestamp()[cols],
        "mrr": v,
        "previous_mrr": p,
        "change": v - p,
        "movement": _MOVEMENT_LABELS.take(movement),
    })
    if keep:
        firsts = mrr[keep].groupby(entity_codes).first()
        out = pd.concat([out, firsts.iloc[rows].reset_index(drop=True)], axis=1)
    out = out[out_cols]
    out.attrs["entity"] = entity
    return out


def _check_freq(freq: str) -> str:
    if freq not in _FREQS:
        raise ParamsError(
            f"freq={freq!r} is not supported: use 'M' (month), 'Q' (quarter) or 'Y' (year)."
        )
    return freq


def _start_cohort(groups: np.ndarray, n_groups: int, entities: pd.Series,
                  previous_mrr: pd.Series, mrr: pd.Series, at_first: np.ndarray,
                  at_last: np.ndarray, churned: np.ndarray | None = None,
                  ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Per group, how the entities paying at the start ended the period.

    ``groups`` numbers each movement row's group from 0 to ``n_groups - 1``. The
    start cohort is the entities with ``previous_mrr > 0`` in the group's first
    month (``at_first``); each one's end is its ``mrr`` in the group's last month
    (``at_last``), 0 when it has no row then. Its change ``end - start`` counts as
    ``_c_churn`` (end 0), ``_c_contraction`` (0 < end < start) or ``_c_expansion``
    (end > start); ``accounts_start`` counts the cohort and ``accounts_churned``
    those with end 0. An entity with a churn row (``churned``) in the group's period
    ends at 0 for the cohort, even if it came back before the end: it was lost, and
    its return is a reactivation. Entities that are new or come back inside the period
    are not in the cohort, so they are in none of these.

    Returns ``(rows, cohort)``: ``cohort`` holds those five columns, to be summed per
    group in their order, for each end row with each start row of its entity and
    group (several, should the entity have several rows in the month; none, and 0 in
    all five, when there is none), in row order, then for the start rows with no end
    row; ``rows`` is the movement row behind each. For a single month (``at_first``
    is ``at_last``) the cohort rows are the movement rows and the cohort's changes
    are the month's churn, contraction and expansion movements, summed in the same
    row order as the bridge sums them, so the ratios come out bit for bit the same.
    """
    entity_codes = pd.factorize(entities, use_na_sentinel=False)[0]
    # Number the (entity, group) pairs by sorting, not hashing: movements usually come
    # sorted by entity and month, and a stable sort of sorted keys is nearly free.
    keys = entity_codes * n_groups + groups
    by_pair = np.argsort(keys, kind="stable")
    sorted_keys = keys[by_pair]
    new_pair = np.ones(len(keys), dtype=bool)
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=new_pair[1:])
    previous = previous_mrr.to_numpy(dtype=float, na_value=np.nan)
    if np.array_equal(at_first, at_last) and new_pair.all():
        # Single-month groups and one row per entity and group: every row is its own
        # start and end, so the cohort rows are the movement rows.
        rows = np.arange(len(keys))
        return rows, _cohort_changes(np.where(previous > 0, previous, np.nan),
                                     mrr.to_numpy(dtype=float, na_value=np.nan))

    pairs = np.empty(len(keys), dtype=np.intp)
    pairs[by_pair] = np.cumsum(new_pair) - 1
    n_pairs = int(np.count_nonzero(new_pair))
    is_start = at_first & (previous > 0)
    start_rows, end_rows = np.flatnonzero(is_start), np.flatnonzero(at_last)
    starts_per_pair = np.bincount(pairs[start_rows], minlength=n_pairs)
    ends_per_pair = np.bincount(pairs[end_rows], minlength=n_pairs)
    # Each end row once per start row of its pair, like a left merge.
    matches = starts_per_pair[pairs[end_rows]]
    repeats = np.maximum(matches, 1)
    cohort_ends = np.repeat(end_rows, repeats)
    matched = np.repeat(matches > 0, repeats)
    rank = np.arange(len(cohort_ends)) - np.repeat(np.cumsum(repeats) - repeats, repeats)
    starts_by_pair = by_pair[is_start[by_pair]]
    first_of_pair = np.cumsum(starts_per_pair) - starts_per_pair
    cohort_starts = starts_by_pair[first_of_pair[pairs[cohort_ends[matched]]] + rank[matched]]
    gone = start_rows[ends_per_pair[pairs[start_rows]] == 0]

    rows = np.concatenate([cohort_ends, gone])
    start = np.full(len(rows), np.nan)
    start[:len(cohort_ends)][matched] = previous[cohort_starts]
    start[len(cohort_ends):] = previous[gone]
    end = mrr.to_numpy(dtype=float, na_value=np.nan)[rows]
    end[len(cohort_ends):] = 0.0
    if churned is not None and churned.any():
        lost_pair = np.zeros(n_pairs, dtype=bool)
        lost_pair[pairs[np.flatnonzero(churned)]] = True
        end[lost_pair[pairs[rows]]] = 0.0
    return rows, _cohort_changes(start, end)


def _cohort_changes(start: np.ndarray, end: np.ndarray) -> dict[str, np.ndarray]:
    """The cohort columns of :func:`_start_cohort` from each row's start (NaN: not in
    the cohort) and end."""
    with np.errstate(invalid="ignore"):  # inf - inf gives NaN quietly, as in pandas
        change = end - start
        member = start > 0
        churned = member & (end == 0)
        return {
            "_c_churn": np.where(churned, change, 0.0),
            "_c_contraction": np.where(member & (end > 0) & (end < start), change, 0.0),
            "_c_expansion": np.where(member & (end > start), change, 0.0),
            "accounts_start": member.astype(np.int64),
            "accounts_churned": churned.astype(np.int64),
        }


def _sum_by_group(columns: dict, groups: np.ndarray, n_groups: int) -> pd.DataFrame:
    """Sums of ``columns`` (arrays of one length) per group number, one row per number
    from 0 to ``n_groups - 1`` (zeros for a group with no row).

    Summed by groupby, like every other sum of the kit, with one block per column:
    pandas sums a block with np.add.reduceat when the group numbers come sorted and
    the block has no NaN, and with its own loop otherwise, which can differ in the
    last bit, so each column is summed as it would be alone.
    """
    frame = pd.concat([pd.Series(values, name=name, copy=False)
                       for name, values in columns.items()], axis=1)
    return frame.groupby(groups).sum().reindex(range(n_groups), fill_value=0)


def _add_ratios(sums: pd.DataFrame) -> None:
    """GRR, NRR, Net Revenue Churn and logo churn from ``start_mrr`` and the cohort sums
    (in place; drops the private cohort columns)."""
    start = sums["start_mrr"].where(sums["start_mrr"] > 0)
    churn, contraction = sums.pop("_c_churn"), sums.pop("_c_contraction")
    expansion = sums.pop("_c_expansion")
    sums["grr"] = (sums["start_mrr"] + churn + contraction) / start
    sums["nrr"] = (sums["start_mrr"] + churn + contraction + expansion) / start
    sums["net_revenue_churn"] = (-churn - contraction - expansion) / start
    for col in ("accounts_start", "accounts_churned"):
        sums[col] = sums[col].astype("int64")
    n_start = sums["accounts_start"].where(sums["accounts_start"] > 0)
    sums["logo_churn"] = sums["accounts_churned"] / n_start


@renamed_keywords(month="month_column")
def revenue_bridge(
    movements: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    freq: str = "M",
    month_column: str = "month",
    entity: str | None = None,
    min_n: int = 30,
) -> pd.DataFrame:
    """Add MRR movements up into a revenue bridge per period (and group).

    Parameters
    ----------
    movements : pandas.DataFrame
        Output of :func:`mrr_movements`. Not modified.
    by : str or list of str, optional
        Per-entity grouping columns present in ``movements`` (pass them to
        ``mrr_movements(keep=...)``), e.g. ``"segment"``.
    freq : {"M", "Q", "Y"}, default "M"
        Period length. Quarters and years roll the months up: start MRR of the
        first month, end MRR of the last month, movements summed, ratios
        recomputed over the whole period from its start cohort (never
        averaged over months). The first period of the data starts at the
        opening-balance month and may be partial.
    month_column : str, default "month"
        Month column of ``movements``. Was ``month=``.
    entity : str, optional
        Entity column; defaults to ``movements.attrs["entity"]`` set by
        :func:`mrr_movements`.
    min_n : int, default 30
        With ``by``: a group whose start cohort has fewer entities
        (``accounts_start < min_n``) is flagged ``small_sample``. Its ratios
        rest on a handful of accounts: one churn among 8 is 12.5% logo churn.

    Returns
    -------
    pandas.DataFrame
        One row per period (and ``by`` group) with columns ``period`` (a
        pandas Period string: "2026-10", "2026Q3", "2026"), the ``by``
        columns, ``start_mrr``, ``new``, ``expansion``, ``contraction``,
        ``churn``, ``reactivation``, ``end_mrr``, ``grr``, ``nrr``,
        ``net_revenue_churn``, ``logo_churn``, ``accounts_start`` and
        ``accounts_churned``; with ``by``, also ``small_sample``
        (``accounts_start < min_n``).

        ``contraction`` and ``churn`` are negative, so ``start_mrr + new +
        expansion + contraction + churn + reactivation == end_mrr``: the
        movement columns are the sums of the monthly movements of every
        entity, new and reactivated ones included.

        The ratios follow the start cohort, the entities paying at the end
        of the previous period (``accounts_start`` of them, ``start_mrr``
        between them). With ``start_i`` and ``end_i`` an entity's MRR at the
        start and at the end of the period (0 when it is not paying then):

        - ``grr = sum(min(end_i, start_i)) / sum(start_i)`` (0 to 1);
        - ``nrr = sum(end_i) / sum(start_i)``;
        - ``net_revenue_churn = 1 - nrr``;
        - ``logo_churn = accounts_churned / accounts_start``, where
          ``accounts_churned`` counts the cohort's entities with ``end_i == 0``.

        For a month this is exactly ``grr = (start + churn + contraction) /
        start`` and ``nrr = (start + churn + contraction + expansion) /
        start``. Over a quarter or a year it is not the same as putting the
        summed movement columns in those formulas: entities that are new or
        reactivated inside the period are not in the cohort, so their later
        expansion, contraction or churn is left out (an account new in
        January that churns in March moves ``new`` and ``churn`` but not the
        ratios), and an entity of the cohort that churns inside the period is
        lost (``end_i = 0``) even if it comes back before its end: its
        return is in ``reactivation``, on its own line. New business and
        reactivation are never part of GRR, NRR or Net Revenue Churn.
        ChartMogul's "net MRR churn rate" differs: it subtracts reactivation
        MRR as well, so it reads lower than ours whenever churned customers
        come back. Ratios are NaN when the start is 0.

    Raises
    ------
    ParamsError
        ``freq`` is not one of "M", "Q", "Y", or the entity column is unknown.
    SchemaError
        A column is missing.

    Examples
    --------
    A pays 100 all quarter; B is new in January at 1000 and churns in March.
    B's churn is in the ``churn`` column, but not in GRR or NRR, which follow
    A alone (the only account paying at the start):

    >>> mrr = pd.DataFrame({
    ...     "account_id": ["A"] * 4 + ["B"] * 2,
    ...     "month": pd.to_datetime(["2025-12-01", "2026-01-01", "2026-02-01",
    ...                              "2026-03-01", "2026-01-01", "2026-02-01"]),
    ...     "mrr": [100.0, 100.0, 100.0, 100.0, 1000.0, 1000.0]})
    >>> bridge = revenue_bridge(mrr_movements(mrr), freq="Q")
    >>> bridge[["period", "start_mrr", "new", "churn", "end_mrr", "grr", "nrr"]]
       period  start_mrr     new   churn  end_mrr  grr  nrr
    0  2026Q1      100.0  1000.0 -1000.0    100.0  1.0  1.0
    """
    by = _as_list(by)
    freq = _check_freq(freq)
    if not (isinstance(min_n, int | np.integer) and min_n >= 0):
        raise ParamsError(f"revenue_bridge: min_n={min_n!r} must be a whole number >= 0 "
                          "(the fewest accounts at the start for a group not to be flagged).")
    _need_movements(movements, func="revenue_bridge")
    entity = entity or movements.attrs.get("entity")
    if entity is None:
        raise ParamsError(
            "revenue_bridge: the entity column is unknown (movements.attrs['entity'] is not "
            "set, e.g. after a merge). Pass entity='account_id' or entity='contract_id'."
        )
    _require_columns(movements, [entity, month_column, *_MOVEMENT_COLUMNS, *by], table="movements")
    unknown = sorted(set(movements["movement"].dropna().unique()) - set(MOVEMENTS))
    if unknown:
        raise SchemaError(
            f"movements: column `movement` has unknown label(s) {unknown}; "
            f"expected {list(MOVEMENTS)}. Build it with mrr_movements."
        )

    keys = ["period", *by]
    out_cols = [*keys, "start_mrr", *MOVEMENTS[:-1], "end_mrr", "grr", "nrr",
                "net_revenue_churn", "logo_churn", "accounts_start", "accounts_churned",
                *(["small_sample"] if by else [])]
    if len(movements) == 0:
        dtypes = {c: "float64" for c in out_cols}
        dtypes.update({c: movements[c].dtype for c in by}, period="str",
                      accounts_start="int64", accounts_churned="int64", small_sample="bool")
        return pd.DataFrame({c: pd.Series(dtype=dtypes[c]) for c in out_cols})

    months = _month_periods(movements[month_column], column=month_column, table="movements")
    grouped = movements[by].assign(period=months.dt.asfreq(freq)).groupby(
        keys, dropna=False, sort=True)
    groups, n_groups = grouped.ngroup().to_numpy(), grouped.ngroups
    ordinals = months.array.asi8
    first_month = np.full(n_groups, ordinals.max())
    last_month = np.full(n_groups, ordinals.min())
    np.minimum.at(first_month, groups, ordinals)
    np.maximum.at(last_month, groups, ordinals)
    at_first, at_last = ordinals == first_month[groups], ordinals == last_month[groups]
    amounts = {"start_mrr": movements["previous_mrr"].where(at_first, 0.0)}
    for kind in MOVEMENTS[:-1]:
        amounts[kind] = movements["change"].where(movements["movement"] == kind, 0.0)
    amounts["end_mrr"] = movements["mrr"].where(at_last, 0.0)
    amounts = {name: values.array for name, values in amounts.items()}  # by position

    # GRR, NRR, Net Revenue Churn and logo churn follow the start cohort. A group's
    # first (last) month with no rows means nobody in it paid then, so the first
    # (last) month present gives the right start and end.
    rows, cohort = _start_cohort(groups, n_groups, movements[entity],
                                 movements["previous_mrr"], movements["mrr"], at_first, at_last,
                                 churned=(movements["movement"] == "churn").to_numpy(bool))
    if np.array_equal(rows, np.arange(len(movements))):
        sums = _sum_by_group({**amounts, **cohort}, groups, n_groups)
    else:
        sums = _sum_by_group(amounts, groups, n_groups).join(
            _sum_by_group(cohort, groups[rows], n_groups))
    sums.index = grouped.size().index
    _add_ratios(sums)

    out = sums.reset_index()
    out["period"] = out["period"].astype(str)
    if by:
        out["small_sample"] = out["accounts_start"] < min_n
    out.attrs = copy.deepcopy(movements.attrs)  # as on any frame pandas derives from movements
    return out[out_cols]


def logo_churn_interval(accounts_churned, accounts_start, *,
                        confidence: float = 0.95) -> tuple[float, float]:
    """Wilson interval of logo churn, ``accounts_churned / accounts_start``.

    A month's logo churn is a proportion of the accounts paying at its start;
    read as the churn risk of an account like them, it carries binomial
    uncertainty, which matters for small segments. (GRR, NRR and Net Revenue
    Churn are sums over every account: census figures with no sampling
    interval.)

    Parameters
    ----------
    accounts_churned, accounts_start : int
        A bridge row's ``accounts_churned`` and ``accounts_start``.
    confidence : float, default 0.95
        Level of the interval.

    Returns
    -------
    (float, float)
        Lower and upper bound (0 to 1); NaN when there are no accounts at start.

    Examples
    --------
    >>> low, high = logo_churn_interval(3, 150)
    >>> round(low, 4), round(high, 4)
    (0.0068, 0.0571)
    """
    from statsmodels.stats.proportion import proportion_confint

    if pd.isna(accounts_churned) or pd.isna(accounts_start) or float(accounts_start) <= 0:
        return np.nan, np.nan
    low, high = proportion_confint(float(accounts_churned), float(accounts_start),
                                   alpha=1 - confidence, method="wilson")
    return float(low), float(high)


def net_revenue_churn(churn: float, contraction: float, expansion: float, start: float) -> float:
    """Net Revenue Churn = (churn + contraction - expansion) / starting MRR.

    Parameters
    ----------
    churn, contraction : float
        MRR lost to churn and to downsell, as POSITIVE amounts (as docs/metrics.md
        writes them). The bridge stores them negative: pass ``-bridge.churn``.
    expansion : float
        MRR gained from upsell and cross-sell (>= 0).
    start : float
        MRR at the end of the previous period (> 0). Not the end MRR: dividing
        by anything else is the classic slip (the 9% vs 6.43% case).

    Returns
    -------
    float
        Net Revenue Churn as a fraction (negative when expansion exceeds the
        losses). Equals ``1 - NRR``. Reactivation is not in it; ChartMogul's
        "net MRR churn rate" subtracts reactivation as well.

    Raises
    ------
    ParamsError
        ``start <= 0``, or a negative amount.

    Examples
    --------
    >>> round(net_revenue_churn(80_000, 5_000, 40_000, 700_000), 4)
    0.0643
    """
    if not start > 0:
        raise ParamsError(
            f"net_revenue_churn: start={start!r} must be > 0 (the MRR at the end of the "
            "previous period); the rate is undefined for a period that starts with no MRR."
        )
    negative = {k: v for k, v in
                {"churn": churn, "contraction": contraction, "expansion": expansion}.items()
                if v < 0}
    if negative:
        raise ParamsError(
            f"net_revenue_churn: {negative} must be >= 0: pass the MRR lost as a positive "
            "amount (the bridge stores churn and contraction negative: use -bridge['churn'])."
        )
    return (churn + contraction - expansion) / start


def nrr_change_decomposition(
    bridge: pd.DataFrame,
    *,
    by: str = "segment",
    period: str = "period",
    base: str | None = None,
    current: str | None = None,
) -> pd.DataFrame:
    """Split the change in overall NRR between two periods into mix and rate effects.

    Overall NRR is the start-MRR-weighted mean of the segment NRRs:
    ``NRR = sum_s w_s * r_s``. The symmetric (midpoint) shift-share splits
    ``NRR_current - NRR_base`` with no interaction term:

    - mix effect = ``sum_s (w1_s - w0_s) * (r0_s + r1_s) / 2`` (segments'
      shares of starting MRR moved);
    - rate effect of segment s = ``(r1_s - r0_s) * (w0_s + w1_s) / 2``.

    A segment with no starting MRR in one of the two periods takes its rate
    from the other one (its rate effect is 0; its arrival or exit is mix).

    Parameters
    ----------
    bridge : pandas.DataFrame
        Output of :func:`revenue_bridge` computed with ``by=by`` (one row per
        period and segment). Not modified.
    by : str, default "segment"
        Segment column.
    period : str, default "period"
        Period column.
    base, current : str, optional
        The two periods compared; default the last two in the bridge.

    Returns
    -------
    pandas.DataFrame
        Columns ``component`` ("mix", "rate: <segment>"...), ``segment``
        (missing for "mix"), ``effect``, ``base`` and ``current``. The effects
        sum to ``nrr_current - nrr_base`` (kept in ``attrs`` with both NRRs).

    Raises
    ------
    ParamsError
        Fewer than two periods, an unknown period, a bridge with several rows
        per segment and period, or a period with no starting MRR.

    Examples
    --------
    SMB keeps 90 of 100 in January and 170 of 200 in February; Ent keeps
    330 of 300 both months (NRR 1.1). Overall NRR falls from 420 / 400 = 1.05
    to 390 / 400 = 0.975, mostly because SMB's share of the start grew:

    >>> bridge = pd.DataFrame({
    ...     "period": ["2026-01", "2026-01", "2026-02", "2026-02"],
    ...     "segment": ["SMB", "Ent", "SMB", "Ent"],
    ...     "start_mrr": [100.0, 300.0, 200.0, 200.0],
    ...     "churn": [-10.0, 0.0, -30.0, -20.0],
    ...     "contraction": [-5.0, -15.0, -10.0, 0.0],
    ...     "expansion": [5.0, 45.0, 10.0, 40.0]})
    >>> nrr_change_decomposition(bridge).round(5)
       component segment   effect     base  current
    0        mix     NaN -0.05625  2026-01  2026-02
    1  rate: SMB     SMB -0.01875  2026-01  2026-02
    2  rate: Ent     Ent  0.00000  2026-01  2026-02
    """
    _need_bridge(bridge, period=period, func="nrr_change_decomposition")
    _require_columns(bridge, [by, period, "start_mrr", "churn", "contraction", "expansion"],
                     table="bridge")
    if bridge.duplicated([period, by]).any():
        raise ParamsError(
            f"nrr_change_decomposition: the bridge has several rows per `{period}` and `{by}`; "
            f"compute it with revenue_bridge(..., by={by!r}) and nothing else in `by`."
        )
    periods = sorted(bridge[period].astype(str).unique())
    if base is None or current is None:
        if len(periods) < 2:
            raise ParamsError(
                f"nrr_change_decomposition: the bridge has {len(periods)} period(s) in "
                f"`{period}`; two are needed. Pass a longer bridge."
            )
        base = periods[-2] if base is None else base
        current = periods[-1] if current is None else current
    base, current = str(base), str(current)
    for name, value in (("base", base), ("current", current)):
        if value not in periods:
            raise ParamsError(
                f"nrr_change_decomposition: {name}={value!r} is not in `{period}` "
                f"(periods: {periods})."
            )

    data = bridge.assign(
        _p=bridge[period].astype(str),
        _ret=bridge["start_mrr"] + bridge["churn"] + bridge["contraction"] + bridge["expansion"],
    )

    def side(p: str) -> pd.DataFrame:
        part = data.loc[data["_p"] == p].set_index(by)[["start_mrr", "_ret"]]
        if part["start_mrr"].sum() <= 0:
            raise ParamsError(
                f"nrr_change_decomposition: period {p!r} has no starting MRR; NRR is "
                "undefined there. Choose other periods."
            )
        return part

    b, c = side(base), side(current)
    segs = b.index.union(c.index)
    b, c = b.reindex(segs, fill_value=0.0), c.reindex(segs, fill_value=0.0)
    keep = (b["start_mrr"] > 0) | (c["start_mrr"] > 0)
    b, c = b[keep], c[keep]
    w0 = b["start_mrr"] / b["start_mrr"].sum()
    w1 = c["start_mrr"] / c["start_mrr"].sum()
    r0 = b["_ret"] / b["start_mrr"].where(b["start_mrr"] > 0)
    r1 = c["_ret"] / c["start_mrr"].where(c["start_mrr"] > 0)
    r0, r1 = r0.fillna(r1), r1.fillna(r0)
    mix = ((w1 - w0) * (r0 + r1) / 2).sum()
    rate = (r1 - r0) * (w0 + w1) / 2

    out = pd.DataFrame({
        "component": ["mix", *[f"rate: {s}" for s in rate.index]],
        "segment": [None, *rate.index.tolist()],
        "effect": [mix, *rate.tolist()],
        "base": base,
        "current": current,
    })
    out.attrs.update(
        nrr_base=b["_ret"].sum() / b["start_mrr"].sum(),
        nrr_current=c["_ret"].sum() / c["start_mrr"].sum(),
    )
    return out


def top_movers(
    movements: pd.DataFrame,
    *,
    n: int = 10,
    kinds: Sequence[str] = ("churn", "contraction"),
    month=None,
    month_column: str = "month",
) -> pd.DataFrame:
    """The entities with the largest MRR movements of the given kinds in one month.

    Parameters
    ----------
    movements : pandas.DataFrame
        Output of :func:`mrr_movements`. Not modified.
    n : int, default 10
        How many rows to return.
    kinds : sequence of str, default ("churn", "contraction")
        Movement labels to keep.
    month : str or Timestamp, optional
        The month ("2026-10" or any date in it); default the last month.
    month_column : str, default "month"
        Month column of ``movements``.

    Returns
    -------
    pandas.DataFrame
        Up to ``n`` rows of ``movements`` for that month, largest absolute
        change first (for losses: the most negative first).

    Raises
    ------
    ParamsError
        Unknown kind, ``n < 1`` or a month outside the data.

    Examples
    --------
    >>> mrr = pd.DataFrame({
    ...     "account_id": ["A", "A", "B", "B", "C", "C"],
    ...     "month": pd.to_datetime(["2026-02-01", "2026-03-01"] * 3),
    ...     "mrr": [150.0, 100.0, 200.0, 0.0, 80.0, 90.0]})
    >>> top_movers(mrr_movements(mrr), n=2, month="2026-03")
      account_id      month    mrr  previous_mrr  change     movement
    0          B 2026-03-01    0.0         200.0  -200.0        churn
    1          A 2026-03-01  100.0         150.0   -50.0  contraction
    """
    kinds = _as_list(kinds)
    unknown = [k for k in kinds if k not in MOVEMENTS]
    if unknown:
        raise ParamsError(f"top_movers: unknown kind(s) {unknown}; use some of {list(MOVEMENTS)}.")
    if not (isinstance(n, (int, np.integer)) and n >= 1):
        raise ParamsError(f"top_movers: n={n!r} must be an integer >= 1.")
    _need_movements(movements, func="top_movers")
    _require_columns(movements, [month_column, "change", "movement"], table="movements")
    months = _month_periods(movements[month_column], column=month_column, table="movements")
    if len(months) == 0:
        return movements.iloc[:0].copy()
    target = months.max() if month is None else pd.Period(month, freq="M")
    if not months.min() <= target <= months.max():
        raise ParamsError(
            f"top_movers: month {str(target)!r} is outside the movements "
            f"({months.min()} to {months.max()})."
        )
    rows = movements.loc[(months == target) & movements["movement"].isin(kinds)]
    order = rows["change"].abs().sort_values(ascending=False, kind="stable").index
    return rows.loc[order].head(n).reset_index(drop=True)


@renamed_keywords("month")
def bridge_row(bridge: pd.DataFrame, *, month, lag: int = 0, period: str = "period"):
    """The bridge row(s) of a month (``lag`` months earlier with ``lag=1``...).

    Parameters
    ----------
    bridge : pandas.DataFrame
        A monthly bridge, the output of :func:`revenue_bridge` with
        ``freq="M"`` (``period`` like "2026-10"). Not modified.
    month : str or Timestamp
        The month, "YYYY-MM" or any date inside it.
    lag : int, default 0
        How many months before ``month`` to look (1: the month before).
    period : str, default "period"
        Period column of ``bridge``.

    Returns
    -------
    pandas.Series or pandas.DataFrame or None
        One row as a Series for an ungrouped bridge, the group rows as a
        DataFrame (index reset) when ``bridge`` has text columns such as a
        ``by`` segment, and ``None`` when the month is not in the bridge.

    Examples
    --------
    >>> b = pd.DataFrame({"period": ["2026-09", "2026-10"], "nrr": [0.98, 1.01]})
    >>> bridge_row(b, month="2026-10")["nrr"], bridge_row(b, month="2026-10", lag=1)["nrr"]
    (np.float64(1.01), np.float64(0.98))
    """
    _need_bridge(bridge, period=period, func="bridge_row")
    target = str(pd.Period(month, freq="M") - lag)
    rows = bridge.loc[bridge[period].astype(str) == target]
    if rows.empty:
        return None
    extra = [c for c in rows.columns if c != period and not pd.api.types.is_numeric_dtype(rows[c])]
    return rows.reset_index(drop=True) if extra else rows.iloc[0]


@renamed_keywords("month", "n")
def last_periods(bridge: pd.DataFrame, *, month, n: int = 12,
                 period: str = "period") -> pd.DataFrame:
    """The ``n`` monthly bridge rows up to and including ``month``.

    Parameters
    ----------
    bridge : pandas.DataFrame
        A monthly bridge (:func:`revenue_bridge` with ``freq="M"``). Not
        modified.
    month : str or Timestamp
        The last month kept, "YYYY-MM" or any date inside it.
    n : int, default 12
        Number of months kept, ``month`` included: months ``month - n + 1``
        to ``month``. Months missing from the bridge are simply absent.
    period : str, default "period"
        Period column of ``bridge``.

    Returns
    -------
    pandas.DataFrame
        Those rows of ``bridge``, in its order, index reset.

    Examples
    --------
    >>> b = pd.DataFrame({"period": ["2026-08", "2026-09", "2026-10"], "nrr": [1, 2, 3]})
    >>> last_periods(b, month="2026-09", n=2)["period"].tolist()
    ['2026-08', '2026-09']
    """
    _need_bridge(bridge, period=period, func="last_periods")
    end = pd.Period(month, freq="M")
    periods = bridge[period].astype(str).map(lambda p: pd.Period(p, freq="M"))
    keep = (periods <= end) & (periods > end - n)
    return bridge.loc[keep].reset_index(drop=True)


@renamed_keywords("month")
def trailing_bridge(movements: pd.DataFrame, *, month, months: int = 12,
                    entity: str | None = None, month_column: str = "month") -> pd.Series:
    """One bridge over the ``months`` months ending with ``month``, of the start cohort.

    The bars and the ratios describe one population: the entities paying at
    the window's start (``accounts_start`` of them, ``start_mrr`` between
    them). Each one's MRR at the end against its MRR at the start is churn,
    contraction or expansion; one that churned inside the window is lost
    (its whole start MRR is ``churn``) even if it came back, and what it pays
    again at the end is ``reactivation``, on its own line. Entities not paying
    at the start are outside the ratios: their MRR at the end is ``new``, or
    ``reactivation`` if they came back from an earlier churn. So

    - ``start_mrr + churn + contraction + expansion + reactivation + new == end_mrr``;
    - ``grr = (start_mrr + churn + contraction) / start_mrr``,
      ``nrr = (start_mrr + churn + contraction + expansion) / start_mrr``, the
      same formulas as a month's, from the bars drawn;
    - ``logo_churn = accounts_churned / accounts_start``.

    The movement columns are therefore net over the window (an account new in
    the window that churned before its end adds nothing), not sums of the
    monthly movements; :func:`revenue_bridge` with ``freq="Q"`` or ``"Y"``
    gives those.

    Parameters
    ----------
    movements : pandas.DataFrame
        Output of :func:`mrr_movements`. Not modified.
    month : str or Timestamp
        The window's last month, "YYYY-MM" or any date inside it.
    months : int, default 12
        Window length in months, ``month`` included.
    entity : str, optional
        Entity column; defaults to ``movements.attrs["entity"]``.
    month_column : str, default "month"
        Month column of ``movements``.

    Returns
    -------
    pandas.Series
        The bridge columns, ``period`` reading e.g. ``"2025-11 to 2026-10"``,
        plus ``accounts_reactivated`` (cohort entities lost and paying again
        at the end) and ``accounts_new`` (entities outside the cohort paying
        at the end). A window whose first month is the data's first month
        (only an opening balance, with no movement rows) or earlier has
        ``start_mrr`` 0 and NaN ratios.

    Raises
    ------
    ParamsError
        The entity column is unknown.
    SchemaError
        A column is missing.

    Examples
    --------
    >>> mrr = pd.DataFrame({"account_id": ["A", "A", "A", "B", "B"],
    ...     "month": pd.to_datetime(["2026-08-01", "2026-09-01", "2026-10-01",
    ...                              "2026-08-01", "2026-09-01"]),
    ...     "mrr": [100.0, 120.0, 150.0, 50.0, 0.0]})
    >>> row = trailing_bridge(mrr_movements(mrr), month="2026-10", months=2)
    >>> row[["start_mrr", "expansion", "churn", "end_mrr"]].tolist()
    [150.0, 50.0, -50.0, 150.0]
    >>> round(row["grr"], 4), round(row["nrr"], 4)  # (100 + 0) / 150, (150 + 0) / 150
    (0.6667, 1.0)

    B churns in September and comes back in October at 30: lost for the
    ratios, its 30 reported as reactivation.

    >>> mrr.loc[len(mrr)] = ["B", pd.Timestamp("2026-10-01"), 30.0]
    >>> row = trailing_bridge(mrr_movements(mrr), month="2026-10", months=2)
    >>> row[["start_mrr", "churn", "expansion", "reactivation", "end_mrr"]].tolist()
    [150.0, -50.0, 50.0, 30.0, 180.0]
    >>> round(row["nrr"], 4), int(row["accounts_churned"])  # (150 - 50 + 50) / 150
    (1.0, 1)
    """
    _need_movements(movements, func="trailing_bridge")
    entity = entity or movements.attrs.get("entity")
    if entity is None:
        raise ParamsError("trailing_bridge: pass entity='account_id' or entity='contract_id'.")
    _require_columns(movements, [entity, month_column, *_MOVEMENT_COLUMNS], table="movements")
    end = pd.Period(month, freq="M")
    start = end - (months - 1)
    periods = _month_periods(movements[month_column], column=month_column, table="movements")
    inside = ((periods >= start) & (periods <= end)).to_numpy()
    mv = pd.DataFrame({
        "entity": movements[entity].to_numpy()[inside],
        "start": np.where((periods[inside] == start).to_numpy(),
                          movements["previous_mrr"].to_numpy(dtype=float)[inside], 0.0),
        "end": np.where((periods[inside] == end).to_numpy(),
                        movements["mrr"].to_numpy(dtype=float)[inside], 0.0),
        "lost": (movements["movement"].to_numpy()[inside] == "churn"),
        "returned": (movements["movement"].to_numpy()[inside] == "reactivation"),
    })
    per = mv.groupby("entity", sort=False).agg(start=("start", "sum"), end=("end", "sum"),
                                                lost=("lost", "any"),
                                                returned=("returned", "any"))
    cohort = per["start"] > 0
    lost = cohort & per["lost"]
    kept = cohort & ~lost
    change = per["end"] - per["start"]
    start_mrr = float(per.loc[cohort, "start"].sum())
    churn = -float(per.loc[lost, "start"].sum())
    contraction = float(change[kept & (change < 0)].sum())
    expansion = float(change[kept & (change > 0)].sum())
    # Outside the ratios: what cohort accounts lost in the window pay again at its end, and
    # the end MRR of accounts not paying at its start (back from an earlier churn, or new).
    outside = ~cohort
    reactivation = float(per.loc[lost, "end"].sum()
                         + per.loc[outside & per["returned"], "end"].sum())
    new = float(per.loc[outside & ~per["returned"], "end"].sum())
    end_mrr = float(per["end"].sum())
    base = start_mrr if start_mrr > 0 else np.nan
    n_start, n_lost = int(cohort.sum()), int(lost.sum())
    row = {"period": f"{start} to {end}", "start_mrr": start_mrr, "new": new,
           "expansion": expansion, "contraction": contraction, "churn": churn,
           "reactivation": reactivation, "end_mrr": end_mrr,
           "grr": (start_mrr + churn + contraction) / base,
           "nrr": (start_mrr + churn + contraction + expansion) / base,
           "net_revenue_churn": -(churn + contraction + expansion) / base,
           "logo_churn": n_lost / n_start if n_start else np.nan,
           "accounts_start": n_start, "accounts_churned": n_lost,
           "accounts_reactivated": int((lost & (per["end"] > 0)).sum()),
           "accounts_new": int((outside & (per["end"] > 0)).sum())}
    return pd.Series(row)


@renamed_keywords("month")
def compare_views(contracts: pd.DataFrame, accounts: pd.DataFrame, *, month,
                  month_column: str = "month") -> pd.DataFrame:
    """The month's bridge in the contract view and the account view, side by side.

    Losing one of two products is churn in the contract view and contraction
    in the account ("360°") view; a second product bought by an account is new
    business by contract and expansion by account. So GRR, NRR and logo churn
    can differ between the views (an account that drops one product while
    another grows nets the two by account, not by contract).

    Parameters
    ----------
    contracts, accounts : pandas.DataFrame
        :func:`mrr_movements` at ``entity="contract_id"`` and
        ``entity="account_id"``. Not modified.
    month : str or Timestamp
        The month compared, "YYYY-MM" or any date inside it.
    month_column : str, default "month"
        Month column of both movement tables.

    Returns
    -------
    pandas.DataFrame
        One row per view (``view``: "contracts", then "accounts") with the
        monthly bridge columns of ``month`` (all but ``period``); a view whose
        bridge has no row for ``month`` is left out.

    Examples
    --------
    >>> mrr = pd.DataFrame({
    ...     "contract_id": ["C1", "C1", "C2", "C2"], "account_id": ["A1"] * 4,
    ...     "month": pd.to_datetime(["2026-09-01", "2026-10-01"] * 2),
    ...     "mrr": [100.0, 100.0, 50.0, 0.0]})
    >>> views = compare_views(mrr_movements(mrr, entity="contract_id"),
    ...                       mrr_movements(mrr), month="2026-10")
    >>> views[["view", "contraction", "churn", "grr", "accounts_start", "logo_churn"]]
            view  contraction  churn       grr  accounts_start  logo_churn
    0  contracts          0.0  -50.0  0.666667               2         0.5
    1   accounts        -50.0    0.0  0.666667               1         0.0
    """
    rows = []
    for view, mv, entity in (("contracts", contracts, "contract_id"),
                             ("accounts", accounts, "account_id")):
        row = bridge_row(revenue_bridge(mv, entity=entity, month_column=month_column),
                         month=month)
        if row is not None:
            rows.append(pd.concat([pd.Series({"view": view}), row.drop(labels=["period"])]))
    return pd.DataFrame(rows).reset_index(drop=True).infer_objects()
