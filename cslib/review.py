"""The quarterly success review (RTS, "Reunião Trimestral de Sucesso").

Each account paying in the review month is placed in one of four classes, from
its data, with the reason written out for CS to confirm or overrule:

====  ==================  ==================================  ================================
      key                 label (en)                          label (pt-BR)
====  ==================  ==================================  ================================
1     ``mature_no_room``  Mature, no room to grow             Maduro, sem espaço para crescer
2     ``mature_expand``   Mature, room to expand MRR          Maduro, com espaço para expandir
3     ``needs_attention`` Not satisfied: more meetings        Insatisfeito: mais reuniões
4     ``churn_risk``      Churn risk                          Risco de churn
====  ==================  ==================================  ================================

Two steps: :func:`account_evidence` gathers one row of evidence per account
(MRR and its trend, products, NPS, adoption of the key features, tickets and
FCR), :func:`success_review` applies the rules in :class:`ReviewThresholds`
and :func:`review_summary` counts the classes per segment.

Examples
--------
>>> from cslib.demo import generate_warehouse
>>> wh = generate_warehouse(200, seed=1)
>>> ev = account_evidence(wh["accounts"], wh["mrr"], wh["nps_responses"], wh["usage"],
...                       wh["tickets"], month=wh["mrr"]["month"].max())
>>> summary = review_summary(success_review(ev), by=None)
>>> summary.columns.tolist()
['class', 'label', 'accounts', 'share']
>>> int(summary["accounts"].sum()) == len(ev), float(summary["share"].sum())
(True, 1.0)
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._checks import require_columns
from .exceptions import ParamsError, SchemaError, SmallSampleWarning
from .i18n import TEXT as _TEXT
from .support import first_contact_flags
from .usage import feature_used

__all__ = [
    "CLASS_KEYS",
    "LABELS",
    "LABELS_PT",
    "ReviewThresholds",
    "ThinEvidenceWarning",
    "account_evidence",
    "success_review",
    "review_summary",
    "accounts_to_call",
    "Backtest",
    "OUTCOMES",
    "backtest",
]

#: Class number -> machine key.
CLASS_KEYS = {1: "mature_no_room", 2: "mature_expand", 3: "needs_attention", 4: "churn_risk"}
#: Class number -> label in English (the text catalogue :mod:`cslib.i18n` holds them).
LABELS = {c: _TEXT[f"review.class.{c}"][0] for c in (1, 2, 3, 4)}
#: Class number -> label in Brazilian Portuguese.
LABELS_PT = {c: _TEXT[f"review.class.{c}"][1] for c in (1, 2, 3, 4)}
_LABELS = {"en": LABELS, "pt-BR": LABELS_PT}

#: The evidence columns :func:`success_review` requires.
EVIDENCE_COLUMNS = [
    "account_id", "name", "segment", "plan", "mrr", "mrr_change", "products",
    "nps_answers", "nps", "adoption", "tickets", "fcr_tickets", "fcr_rate",
]
#: Evidence columns :func:`account_evidence` adds and :func:`success_review` reads when
#: present (see :class:`ReviewThresholds` for what it does without them).
OPTIONAL_EVIDENCE_COLUMNS = [
    "detractors", "nps_answers_180", "nps_180", "detractors_180", "missing_products",
    "seats", "seats_used",
]
#: The two NPS windows of the review, in days up to the end of the month: the
#: report's window, and the look-back used when it holds too few answers.
NPS_DAYS, NPS_FALLBACK_DAYS = 90, 180
_EVIDENCE_ORDER = [
    "account_id", "name", "segment", "plan", "mrr", "mrr_change", "products",
    "missing_products", "nps_answers", "nps", "detractors", "nps_answers_180", "nps_180",
    "detractors_180", "adoption", "tickets", "fcr_tickets", "fcr_rate", "seats", "seats_used",
]


# --- evidence ---------------------------------------------------------------------------------

def _require(data: pd.DataFrame, columns: Sequence[str], *, table: str, func: str,
             hint: str = "Load the table with cslib.io.load, or rename the columns.") -> None:
    require_columns(data, columns, where=f"{func}: {table}", hint=hint)


def _review_month(month) -> pd.Period:
    try:
        return pd.Period(month, freq="M")
    except (ValueError, TypeError):
        raise ParamsError(
            f"account_evidence: month={month!r} is not a month; pass 'YYYY-MM' (e.g. "
            "'2026-10') or a Timestamp."
        ) from None


def _dates(values: pd.Series, *, column: str, table: str) -> pd.Series:
    try:
        return pd.to_datetime(values)
    except (ValueError, TypeError) as err:
        raise SchemaError(
            f"account_evidence: {table} column `{column}` cannot be read as dates ({err}). "
            "Load the table with cslib.io.load or convert it with pd.to_datetime."
        ) from None


def _month_ordinals(dates: pd.Series) -> np.ndarray:
    """The months of ``dates`` as ``Period.ordinal`` numbers (NaT: the smallest int64).

    Comparing numbers avoids boxing a Period per row; each distinct date (one per
    month in the monthly tables) is converted once.
    """
    codes, distinct = pd.factorize(dates, use_na_sentinel=False)
    return distinct.to_period("M").asi8[codes]


def _missing_products(account_id: np.ndarray, product: np.ndarray, ids: pd.Index
                      ) -> list[str]:
    """Per account of ``ids``: the products of ``product`` it holds no row of, as
    ``"A, B"`` in alphabetical order ("" when it holds them all).

    One bit pattern per account; each distinct pattern is spelt out once.
    """
    offered = sorted(set(product))
    if not offered:
        return [""] * len(ids)
    row = ids.get_indexer(account_id)
    col = pd.Index(offered).get_indexer(product)
    mine = row >= 0
    has = np.zeros((len(ids), len(offered)), dtype=bool)
    has[row[mine], col[mine]] = True
    patterns, inverse = np.unique(has, axis=0, return_inverse=True)
    words = [", ".join(p for p, h in zip(offered, pattern, strict=True) if not h)
             for pattern in patterns]
    return [words[i] for i in np.asarray(inverse).ravel()]


def account_evidence(
    accounts: pd.DataFrame,
    mrr: pd.DataFrame,
    nps_responses: pd.DataFrame,
    usage: pd.DataFrame,
    tickets: pd.DataFrame,
    *,
    month,
    months: int = 3,
    key_features: Sequence[str] = ("dashboards", "automations", "integrations"),
) -> pd.DataFrame:
    """One row of review evidence per account paying in ``month``.

    Parameters
    ----------
    accounts, mrr, nps_responses, usage, tickets : pandas.DataFrame
        The warehouse tables (see ``cslib.schemas``). None is modified.
        ``accounts`` may carry ``seats`` (purchased) and ``seats_used``.
    month : str or Timestamp
        The review month, "YYYY-MM" or any date inside it.
    months : int, default 3
        Look-back in months: the MRR trend compares ``month`` with ``months``
        months earlier, and tickets are counted over the ``months`` months
        ending with ``month`` (``month`` included: Aug-Oct for October).
    key_features : sequence of str
        The features whose adoption matters (``cslib.adoption.KEY_FEATURES``).

    Returns
    -------
    pandas.DataFrame
        One row per account of ``accounts`` with MRR > 0 in ``month``, sorted
        by ``account_id`` (pass one account's row to get its evidence alone),
        with columns:

        - ``account_id``, ``name``, ``segment``, ``plan`` (from ``accounts``);
        - ``mrr``: the account's MRR in ``month`` (all contracts);
        - ``mrr_change``: ``mrr / mrr_then - 1`` as a fraction (-0.35 for
          down 35%), ``mrr_then`` being ``months`` months earlier; NaN when the
          account did not pay then;
        - ``products``: contracts with MRR > 0 in ``month``;
        - ``missing_products``: the products paid for in ``month`` by some
          account of ``mrr`` (column ``product``) that this account does not
          pay for, comma-separated in alphabetical order ("" when it holds
          them all; NaN when ``mrr`` has no ``product`` column);
        - ``nps_answers``, ``nps``, ``detractors``: answers in the 90 days up
          to the end of ``month`` (from the first of the next month minus 90
          days, to the end of ``month``; nothing dated after the month's end),
          the account NPS over them, -100..100 (NaN with no answers), and how
          many of them are detractors (0-6);
        - ``nps_answers_180``, ``nps_180``, ``detractors_180``: the same over
          the 180 days up to the end of ``month``, the look-back
          :func:`success_review` uses when the 90 days hold fewer than
          ``min_nps_answers`` answers;
        - ``adoption``: share of ``key_features`` used (``active_users > 0``, or
          ``events > 0`` when the table has no ``active_users``)
          in ``month`` (0 with no usage rows);
        - ``tickets``: tickets opened in the look-back window;
        - ``fcr_tickets``: those of them resolved by the end of ``month``,
          the tickets ``fcr_rate`` is computed on;
        - ``fcr_rate``: the share of the ``fcr_tickets`` resolved at the first
          contact (NaN when there are none);
        - ``seats``, ``seats_used``: seats purchased and seats in use, from the
          optional ``accounts`` columns of those names (NaN when ``accounts``
          lacks either).

    Raises
    ------
    SchemaError
        A column is missing or a date column cannot be read.
    ParamsError
        ``month`` is not a month, ``months < 1`` or ``key_features`` is empty.

    Examples
    --------
    A1 went from 1000 in July to 650 in October (-35%), answered 3 and 5,
    uses one key feature of three and had 2 tickets, 1 resolved at the third
    contact; A2 is new, with two products:

    >>> accounts = pd.DataFrame({"account_id": ["A1", "A2"], "name": ["Padaria", "Banco"],
    ...     "segment": ["SMB", "Enterprise"], "plan": ["Starter", "Enterprise"]})
    >>> mrr = pd.DataFrame({"contract_id": ["C1", "C1", "C2", "C3"],
    ...     "account_id": ["A1", "A1", "A2", "A2"],
    ...     "month": pd.to_datetime(["2026-07-01", "2026-10-01", "2026-10-01", "2026-10-01"]),
    ...     "mrr": [1000.0, 650.0, 3000.0, 500.0]})
    >>> nps = pd.DataFrame({"account_id": ["A1", "A1", "A2"],
    ...     "responded_at": pd.to_datetime(["2026-09-10", "2026-10-01", "2026-10-02"]),
    ...     "score": [3, 5, 10]})
    >>> usage = pd.DataFrame({"account_id": ["A1", "A2", "A2"],
    ...     "feature": ["dashboards", "dashboards", "automations"],
    ...     "month": pd.to_datetime(["2026-10-01"] * 3), "active_users": [2, 9, 4]})
    >>> tickets = pd.DataFrame({"account_id": ["A1", "A1"],
    ...     "opened_at": pd.to_datetime(["2026-09-01", "2026-10-20"]),
    ...     "resolved_at": pd.to_datetime(["2026-09-03", None]), "contacts": [3, 1]})
    >>> ev = account_evidence(accounts, mrr, nps, usage, tickets, month="2026-10")
    >>> ev[["account_id", "mrr", "mrr_change", "products", "nps", "adoption"]].round(3)
      account_id     mrr  mrr_change  products    nps  adoption
    0         A1   650.0       -0.35         1 -100.0     0.333
    1         A2  3500.0         NaN         2  100.0     0.667
    >>> ev[["account_id", "tickets", "fcr_tickets", "fcr_rate"]]
      account_id  tickets  fcr_tickets  fcr_rate
    0         A1        2            1       0.0
    1         A2        0            0       NaN
    >>> ev[["account_id", "nps_answers", "detractors", "nps_answers_180", "missing_products"]]
      account_id  nps_answers  detractors  nps_answers_180 missing_products
    0         A1            2           2                2              NaN
    1         A2            1           0                1              NaN

    (``mrr`` has no ``product`` column here, so ``missing_products`` is unknown.)
    """
    func = "account_evidence"
    if not (isinstance(months, (int, np.integer)) and months >= 1):
        raise ParamsError(f"{func}: months={months!r} must be an integer >= 1.")
    key_features = [key_features] if isinstance(key_features, str) else list(key_features)
    if not key_features:
        raise ParamsError(f"{func}: key_features is empty; name at least one feature.")
    _require(accounts, ["account_id", "name", "segment", "plan"], table="accounts", func=func)
    _require(mrr, ["contract_id", "account_id", "month", "mrr"], table="mrr", func=func)
    _require(nps_responses, ["account_id", "responded_at", "score"], table="nps_responses",
             func=func)
    _require(usage, ["account_id", "feature", "month"], table="usage", func=func)
    _require(tickets, ["account_id", "opened_at", "resolved_at"], table="tickets", func=func)

    now = _review_month(month)
    then = now - months
    window_start = (now - (months - 1)).to_timestamp()
    month_end = (now + 1).to_timestamp()  # exclusive: the first of the next month
    nps_start = month_end - pd.Timedelta(days=NPS_DAYS)
    nps_start_long = month_end - pd.Timedelta(days=NPS_FALLBACK_DAYS)

    # MRR: per account in `now` and in `then`; products = paying contracts in `now`.
    m_month = _month_ordinals(_dates(mrr["month"], column="month", table="mrr"))
    rows = np.flatnonzero((m_month == now.ordinal) | (m_month == then.ordinal))
    amount = pd.to_numeric(mrr["mrr"].iloc[rows], errors="coerce").fillna(0.0).astype(float)
    m = pd.DataFrame({"account_id": mrr["account_id"].iloc[rows].to_numpy(),
                      "contract": mrr["contract_id"].iloc[rows].to_numpy(),
                      "month": m_month[rows], "mrr": amount.to_numpy()})
    cur = m[m["month"] == now.ordinal]
    mrr_now = cur.groupby("account_id")["mrr"].sum()
    mrr_now = mrr_now[mrr_now > 0]
    mrr_then = m[m["month"] == then.ordinal].groupby("account_id")["mrr"].sum()
    products = cur[cur["mrr"] > 0].groupby("account_id")["contract"].nunique()

    info = accounts.drop_duplicates("account_id").set_index("account_id")
    ids = pd.Index(sorted(mrr_now.index.intersection(info.index)), name="account_id")
    out = info[["name", "segment", "plan"]].reindex(ids)
    out["mrr"] = mrr_now.reindex(ids).astype(float)
    before = mrr_then.reindex(ids).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["mrr_change"] = (out["mrr"] / before.where(before > 0) - 1).astype(float)
    out["products"] = products.reindex(ids).fillna(0).astype("int64")
    if "product" in mrr.columns:
        held = pd.DataFrame({"account_id": mrr["account_id"].iloc[rows].to_numpy(),
                             "product": mrr["product"].iloc[rows].to_numpy(),
                             "month": m_month[rows], "mrr": amount.to_numpy()})
        held = held[(held["month"] == now.ordinal) & (held["mrr"] > 0)
                    & held["product"].notna()]
        out["missing_products"] = _missing_products(held["account_id"].to_numpy(),
                                                    held["product"].astype(str).to_numpy(),
                                                    ids)
    else:
        out["missing_products"] = np.nan

    # NPS over the 90 days to the end of the month.
    responded = _dates(nps_responses["responded_at"], column="responded_at",
                       table="nps_responses")
    score = pd.to_numeric(nps_responses["score"], errors="coerce")
    for start, suffix in ((nps_start, ""), (nps_start_long, "_180")):
        keep = (responded >= start) & (responded < month_end) & score.notna()
        n = pd.DataFrame({"account_id": nps_responses["account_id"][keep].to_numpy(),
                          "score": score[keep].to_numpy(dtype=float)})
        n["_p"] = (n["score"] >= 9).astype(float)
        n["_d"] = (n["score"] <= 6).astype(float)
        g = n.groupby("account_id")
        out[f"nps_answers{suffix}"] = g.size().reindex(ids).fillna(0).astype("int64")
        out[f"nps{suffix}"] = (100 * (g["_p"].mean() - g["_d"].mean())).reindex(ids).astype(
            float)
        out[f"detractors{suffix}"] = g["_d"].sum().reindex(ids).fillna(0).astype("int64")

    # Adoption breadth over the key features in the month.
    u_month = _month_ordinals(_dates(usage["month"], column="month", table="usage"))
    in_month = usage.loc[u_month == now.ordinal]
    used = in_month.loc[feature_used(in_month) & in_month["feature"].isin(key_features)]
    breadth = used.groupby("account_id")["feature"].nunique() / len(set(key_features))
    out["adoption"] = breadth.reindex(ids).fillna(0.0).astype(float)

    # Tickets opened in the window; FCR over those resolved by the end of the month.
    opened = _dates(tickets["opened_at"], column="opened_at", table="tickets")
    resolved = _dates(tickets["resolved_at"], column="resolved_at", table="tickets")
    first_contact = first_contact_flags(tickets).fillna(False).to_numpy(dtype=bool)
    in_window = (opened >= window_start) & (opened < month_end)
    t = pd.DataFrame({
        "account_id": tickets["account_id"][in_window].to_numpy(),
        "_resolved": (resolved.notna() & (resolved < month_end))[in_window].to_numpy(),
        "_first": first_contact[in_window.to_numpy()],
    })
    tg = t.groupby("account_id")
    out["tickets"] = tg.size().reindex(ids).fillna(0).astype("int64")
    n_res = tg["_resolved"].sum()
    n_fcr = t[t["_resolved"] & t["_first"]].groupby("account_id").size()
    n_res = n_res.reindex(ids).fillna(0)
    n_fcr = n_fcr.reindex(ids).fillna(0)
    out["fcr_tickets"] = n_res.astype("int64")
    out["fcr_rate"] = (n_fcr / n_res.where(n_res > 0)).astype(float)

    if {"seats", "seats_used"} <= set(accounts.columns):
        for column in ("seats", "seats_used"):
            out[column] = pd.to_numeric(info[column], errors="coerce").reindex(ids).astype(
                float)
    else:
        out["seats"] = out["seats_used"] = np.nan

    return out.reset_index()[_EVIDENCE_ORDER]


# --- the rules --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReviewThresholds:
    """Thresholds of the success review rules.

    Rules are evaluated in order; the first class whose rule matches wins:

    4. **churn risk** if any of: ``nps <= churn_nps`` (only on enough answers,
       see below); ``adoption < churn_adoption`` and ``mrr_change <=
       churn_mrr_change``; ``fcr_rate < churn_fcr`` on at least
       ``min_tickets`` resolved tickets.
    3. **needs attention** if any of: ``nps < attention_nps`` (on enough
       answers); a detractor answer of an account with too few answers for
       its NPS to count; ``adoption < attention_adoption``; ``mrr_change
       <= attention_mrr_change``; ``fcr_rate < attention_fcr`` on at least
       ``min_tickets`` resolved tickets.
    2. **mature, room to expand** if the account itself has headroom (below);
    1. **mature, no room to grow** otherwise.

    **Enough NPS answers.** The account NPS counts (for both NPS rules) when
    the 90 days to the month's end hold at least ``min_nps_answers`` answers
    (``nps``); failing that, when the 180 days do (``nps_180``, and the rule
    says "over 180 days"). Below the minimum the NPS is not used: the rule
    says so ("NPS not used for risk: 1 answer in 180 days (< 3)"), and each
    detractor answer of those 180 days (``detractors_180``) is an attention
    signal ("; 1 detractor"), so the account still reaches the call list. A
    single answer can never make a churn risk. :func:`success_review` warns
    with the number of accounts placed in class 3 on such thin evidence.

    **Headroom** (class 2) comes from the account itself, any of:

    - *products*: it does not pay for a product that the data's accounts pay
      for in the month (evidence ``missing_products``); when ``max_products``
      is set, or the evidence has no ``missing_products``, fewer than
      ``max_products`` contracts instead (``max_products`` then defaults to
      the most contracts any account of the evidence holds);
    - *plan*: a plan above its own, in ``plan_order``, is held by at least
      ``min_plan_share`` of the accounts of its segment in the evidence. The
      default ``plan_order`` ranks the evidence's plans by the median MRR of
      their accounts (ties by name), so Starter < Growth < Pro < Enterprise on
      the demo; accounts on a plan of ``top_plans``, or with no plan, have no
      plan headroom;
    - *seats*: with ``seats`` and ``seats_used`` in the evidence (optional
      ``accounts`` columns), ``seats_used >= seat_use_limit * seats``; rows
      without them are not judged on seats.

    So an SMB account on the highest plan held by 5% of SMB, paying for every
    product, is class 1, whatever plans the larger segments hold.

    A missing value never triggers a rule: an account with no NPS answers is
    classified on its other evidence (its rule says "no NPS answers"), and a
    new account (no MRR ``months`` ago) has no MRR trend. The FCR rules count
    the tickets the rate is computed on (``fcr_tickets``, those resolved),
    not every ticket opened: 5 opened of which 1 resolved is an FCR on 1
    ticket, too few to call.

    Attributes
    ----------
    churn_nps : float, default -20
        Account NPS at or below this is a churn risk.
    churn_adoption : float, default 0.34
        Adoption breadth below this (at most 1 of the 3 key features) ...
    churn_mrr_change : float, default -0.2
        ... together with MRR down by 20% or more is a churn risk.
    churn_fcr : float, default 0.5
        FCR below this, on ``min_tickets`` resolved tickets or more, is a
        churn risk.
    attention_nps : float, default 30
        Account NPS below this needs attention.
    attention_adoption : float, default 0.6
        Adoption below this (at most 1 of the 3 key features) needs attention;
        set it to 0.67 to ask for all three.
    attention_mrr_change : float, default -0.1
        MRR down by 10% or more needs attention.
    attention_fcr : float, default 0.7
        FCR below this, on ``min_tickets`` resolved tickets or more, needs
        attention.
    min_tickets : int, default 5
        Fewest resolved tickets in the window (``fcr_tickets``, the
        denominator of ``fcr_rate``) for FCR to count.
    min_nps_answers : int, default 3
        Fewest answers (over 90 days, else over 180) for the account NPS to
        count.
    max_products : int, optional
        Products on offer, to judge product headroom by the number of
        contracts instead of by ``missing_products``.
    top_plans : tuple of str, default ()
        Plans never given plan headroom (as if no plan were above them).
    plan_order : tuple of str, optional
        Plans from lowest to highest; default by median MRR (above). Every
        plan of the evidence must be in it.
    min_plan_share : float, default 0.05
        Share of its segment's accounts a higher plan needs to be headroom.
    seat_use_limit : float, default 0.9
        Share of purchased seats in use from which more seats are headroom.
    """

    churn_nps: float = -20
    churn_adoption: float = 0.34
    churn_mrr_change: float = -0.2
    churn_fcr: float = 0.5
    attention_nps: float = 30
    attention_adoption: float = 0.6
    attention_mrr_change: float = -0.1
    attention_fcr: float = 0.7
    min_tickets: int = 5
    min_nps_answers: int = 3
    max_products: int | None = None
    top_plans: tuple[str, ...] = ()
    plan_order: tuple[str, ...] | None = None
    min_plan_share: float = 0.05
    seat_use_limit: float = 0.9

    def __post_init__(self):
        if not (isinstance(self.min_nps_answers, (int, np.integer)) and self.min_nps_answers >= 1):
            raise ParamsError(
                f"success_review: min_nps_answers={self.min_nps_answers!r} must be an integer "
                ">= 1 (default 3).")
        if not 0 <= self.min_plan_share <= 1:
            raise ParamsError(
                f"success_review: min_plan_share={self.min_plan_share!r} must be a share in "
                "[0, 1] (0.05 for 5%).")

    @classmethod
    def from_any(cls, thresholds: ReviewThresholds | Mapping | None) -> ReviewThresholds:
        """Build from None (defaults), a dict of overrides or an instance."""
        if thresholds is None:
            return cls()
        if isinstance(thresholds, cls):
            return thresholds
        if not isinstance(thresholds, Mapping):
            raise ParamsError(
                f"success_review: thresholds must be a dict or ReviewThresholds, not "
                f"{type(thresholds).__name__}."
            )
        valid = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(thresholds) - set(valid))
        if unknown:
            raise ParamsError(
                f"success_review: unknown threshold(s) {unknown}. Valid keys are: "
                f"{', '.join(valid)}."
            )
        values = dict(thresholds)
        for key in ("top_plans", "plan_order"):
            if isinstance(values.get(key), str):
                values[key] = (values[key],)
            elif values.get(key) is not None:
                values[key] = tuple(values[key])
        return cls(**values)


def _pct(x: float) -> str:
    # one decimal only when needed, so 2/3 reads "66.7%" next to a 67% threshold
    return f"{100 * x:.1f}".removesuffix(".0") + "%"


def _num(x: float) -> str:
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.1f}"


def _change(x: float) -> str:
    return f"MRR down {_pct(-x)}" if x < 0 else f"MRR up {_pct(x)}"


def _texts(mask: np.ndarray, make, *values: np.ndarray) -> np.ndarray:
    """``make(*row values)`` where ``mask`` holds, "" elsewhere (an object array)."""
    out = np.full(len(mask), "", dtype=object)
    out[mask] = [make(*row) for row in zip(*(v[mask] for v in values), strict=True)]
    return out


def _join(parts: Sequence[np.ndarray], sep: str) -> np.ndarray:
    """Row-wise ``sep.join`` of the non-empty strings of ``parts``."""
    out = parts[0]
    for part in parts[1:]:
        out = np.where((out != "") & (part != ""), out + sep + part, out + part)
    return out


class ThinEvidenceWarning(SmallSampleWarning):
    """Review classes placed on few NPS answers, or on the longer NPS window."""


def _accounts(n: int) -> str:
    return "1 account" if n == 1 else f"{n} accounts"


def _answers(n: int) -> str:
    return f"{n} answer" if n == 1 else f"{n} answers"


def _detractors(n: int) -> str:
    return f"{n} detractor" if n == 1 else f"{n} detractors"


def _plan_ranks(evidence: pd.DataFrame, th: ReviewThresholds) -> dict:
    """Plan -> rank (0 lowest), from ``plan_order`` or the median MRR of each plan."""
    plans = evidence["plan"][evidence["plan"].notna().to_numpy()]
    if th.plan_order is not None:
        unknown = sorted(set(plans.astype(str)) - set(th.plan_order))
        if unknown:
            raise ParamsError(
                f"success_review: plan(s) {unknown} of the evidence are not in plan_order "
                f"{list(th.plan_order)}. Add them in their place, lowest plan first.")
        return {p: i for i, p in enumerate(th.plan_order)}
    mrr = pd.to_numeric(evidence["mrr"], errors="coerce")
    median = mrr[plans.index].groupby(plans.astype(str)).median()
    order = sorted(median.index, key=lambda p: (median[p], p))
    return {p: i for i, p in enumerate(order)}


def _plan_headroom(evidence: pd.DataFrame, th: ReviewThresholds) -> np.ndarray:
    """Per row: the lowest plan above the account's that holds ``min_plan_share`` of
    its segment, with that share, as text ("Pro, held by 12% of SMB"), or ""."""
    out = np.full(len(evidence), "", dtype=object)
    ranks = _plan_ranks(evidence, th)
    if not ranks:
        return out
    plan = [None if pd.isna(p) else str(p) for p in evidence["plan"]]
    segment = [None if pd.isna(g) else g for g in evidence["segment"]]
    size: dict = {}
    held: dict = {}
    for seg, p in zip(segment, plan, strict=True):
        size[seg] = size.get(seg, 0) + 1
        if p is not None:
            held[seg, p] = held.get((seg, p), 0) + 1
    by_segment: dict = {}
    for (seg, p), k in held.items():
        if k / size[seg] >= th.min_plan_share:
            by_segment.setdefault(seg, []).append((ranks[p], p, k / size[seg]))
    for options in by_segment.values():
        options.sort()
    top = set(th.top_plans)
    for i, (seg, p) in enumerate(zip(segment, plan, strict=True)):
        if p is None or p in top:
            continue
        above = [(name, s) for r, name, s in by_segment.get(seg, []) if r > ranks[p]]
        if above:
            name, s = above[0]
            where = "its segment" if seg is None else seg
            out[i] = f"{name}, held by {_pct(round(s, 3))} of {where}"
    return out


def _classify(evidence: pd.DataFrame, th: ReviewThresholds
              ) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """The class (1-4) and the rule text of every row of ``evidence``, and the counts
    of accounts classified on thin or long-window NPS evidence (for the caveats)."""
    def number(column: str, fallback: str | None = None) -> np.ndarray:
        if column not in evidence.columns and fallback is not None:
            column = fallback
        return evidence[column].to_numpy(dtype=float, na_value=np.nan)

    adoption, change = number("adoption"), number("mrr_change")
    fcr, tickets, products = number("fcr_rate"), number("fcr_tickets"), number("products")
    plan = evidence["plan"].to_numpy()
    n = len(evidence)

    # NPS: 90 days if they hold enough answers, else 180 days, else not used.
    n90 = np.nan_to_num(number("nps_answers"))
    n180 = np.nan_to_num(number("nps_answers_180", "nps_answers"))
    nps90, nps180 = number("nps"), number("nps_180", "nps")
    if "detractors_180" in evidence.columns or "detractors" in evidence.columns:
        det180 = np.nan_to_num(number("detractors_180", "detractors"))
    else:  # old evidence without detractor counts: only a negative NPS shows detractors
        det180 = np.where(np.nan_to_num(nps180) < 0, 1.0, 0.0)
    use90 = (n90 >= th.min_nps_answers) & ~np.isnan(nps90)
    use180 = ~use90 & (n180 >= th.min_nps_answers) & ~np.isnan(nps180)
    has_nps = use90 | use180
    nps = np.where(use90, nps90, np.where(use180, nps180, np.nan))
    thin = ~has_nps & (n180 > 0)
    thin_detractor = thin & (det180 > 0)
    nps_word = np.where(use180, " over 180 days", "").astype(object)
    # comparisons with NaN are False: a missing value never triggers a rule
    has_change = ~np.isnan(change)
    has_fcr = ~np.isnan(fcr) & (tickets >= th.min_tickets)
    has_adoption = ~np.isnan(adoption)
    no_nps = np.full(n, "", dtype=object)
    no_nps[~has_nps & ~thin] = "no NPS answers"
    no_nps[thin] = [f"NPS not used for risk: {_answers(int(k))} in {NPS_FALLBACK_DAYS} days "
                    f"(< {th.min_nps_answers})" for k in n180[thin]]
    no_nps_det = no_nps.copy()
    no_nps_det[thin_detractor] = [f"{t}; {_detractors(int(k))}" for t, k in
                                  zip(no_nps[thin_detractor], det180[thin_detractor],
                                      strict=True)]

    def fcr_text(limit: float):
        return lambda rate, k: (f"FCR {_pct(rate)} (< {_pct(limit)}) on {int(k)} resolved "
                                f"tickets (≥ {th.min_tickets})")

    risk_rules = [
        (has_nps & (nps <= th.churn_nps),
         lambda x, w: f"NPS {_num(x)}{w} (≤ {_num(th.churn_nps)})", nps, nps_word),
        (has_adoption & has_change & (adoption < th.churn_adoption)
         & (change <= th.churn_mrr_change),
         lambda a, c: (f"adoption {_pct(a)} (< {_pct(th.churn_adoption)}) and "
                       f"{_change(c)} (≤ {_pct(th.churn_mrr_change)})"), adoption, change),
        (has_fcr & (fcr < th.churn_fcr), fcr_text(th.churn_fcr), fcr, tickets),
    ]
    risk = np.logical_or.reduce([mask for mask, *_ in risk_rules])
    risk_text = _join([_texts(mask, *rest) for mask, *rest in risk_rules] + [no_nps_det], "; ")

    attention_rules = [
        (~risk & has_nps & (nps < th.attention_nps),
         lambda x, w: f"NPS {_num(x)}{w} (< {_num(th.attention_nps)})", nps, nps_word),
        (~risk & has_adoption & (adoption < th.attention_adoption),
         lambda a: f"adoption {_pct(a)} (< {_pct(th.attention_adoption)})", adoption),
        (~risk & has_change & (change <= th.attention_mrr_change),
         lambda c: f"{_change(c)} (≤ {_pct(th.attention_mrr_change)})", change),
        (~risk & has_fcr & (fcr < th.attention_fcr), fcr_text(th.attention_fcr), fcr, tickets),
    ]
    other_attention = np.logical_or.reduce([mask for mask, *_ in attention_rules])
    attention = other_attention | (~risk & thin_detractor)
    attention_text = _join([_texts(mask, *rest) for mask, *rest in attention_rules]
                           + [no_nps_det], "; ")

    calm = ~risk & ~attention
    seen = _join([
        np.where(has_nps, _texts(calm & has_nps, lambda x, w: f"NPS {_num(x)}{w}", nps,
                                 nps_word), no_nps),
        _texts(calm & has_adoption, lambda a: f"adoption {_pct(a)}", adoption),
        _texts(calm & has_change, _change, change),
        _texts(calm & has_fcr, lambda f: f"FCR {_pct(f)}", fcr),
    ], ", ")
    healthy = "no risk or attention signal (" + seen + ")"

    # Headroom: products the account lacks, a higher plan its segment holds, seats.
    if th.max_products is not None or "missing_products" not in evidence.columns:
        most = th.max_products
        if most is None:
            most = int(np.nanmax(products)) if n and not np.isnan(products).all() else 0
        product_room = calm & ~np.isnan(products) & (products < most)
        product_text = _texts(product_room, lambda k: f"{int(k)} of {most} products", products)
    else:
        missing = evidence["missing_products"]
        lacking = (missing.notna() & (missing.astype(str) != "")).to_numpy()
        product_room = calm & lacking
        product_text = _texts(product_room, lambda m: f"products not held: {m}",
                              missing.to_numpy())
    plan_above = _plan_headroom(evidence, th)
    plan_room = calm & (plan_above != "")
    plan_text = _texts(plan_room, lambda p, a: f"plan {p} (higher plan {a})", plan, plan_above)
    if {"seats", "seats_used"} <= set(evidence.columns):
        seats, used = number("seats"), number("seats_used")
    else:
        seats = used = np.full(n, np.nan)
    with np.errstate(invalid="ignore"):
        seat_room = calm & (seats > 0) & (used >= th.seat_use_limit * seats)
    seat_text = _texts(seat_room, lambda s, u: (f"seats {_num(u)} of {_num(s)} in use "
                                                f"(≥ {_pct(th.seat_use_limit)})"), seats, used)
    room = product_room | plan_room | seat_room
    room_text = "; room to expand: " + _join([product_text, plan_text, seat_text], " and ")
    if th.max_products is None and "missing_products" in evidence.columns:
        held = np.full(n, "every product", dtype=object)
    else:
        held = _texts(np.ones(n, dtype=bool), lambda k: f"{int(k)} of {most} products",
                      np.nan_to_num(products))
    top = set(th.top_plans)
    share = _pct(th.min_plan_share)

    def no_room(h, p, seg):
        if p is None or (isinstance(p, float) and np.isnan(p)):
            return f"; no room: {h}, plan unknown"
        if str(p) in top:
            return f"; no room: {h} on top plan {p}"
        where = "its segment" if seg is None or seg != seg else seg
        return f"; no room: {h}, no plan above {p} held by ≥ {share} of {where}"

    no_room_text = _texts(calm & ~room, no_room, held, plan,
                          evidence["segment"].to_numpy(dtype=object))

    classes = np.select([risk, attention, room], [4, 3, 2], 1).astype("int64")
    rules = np.select([risk, attention, room],
                      [risk_text, attention_text, healthy + room_text], healthy + no_room_text)
    caveats = {
        "thin_class_3": int(np.sum((classes == 3) & thin_detractor & ~other_attention)),
        "nps_180": int(np.sum(use180)),
    }
    return classes, rules, caveats


def success_review(
    evidence: pd.DataFrame,
    *,
    thresholds: ReviewThresholds | Mapping | None = None,
    locale: str = "en",
) -> pd.DataFrame:
    """Propose a success review class (1-4) for every account, with the reason.

    Parameters
    ----------
    evidence : pandas.DataFrame
        Output of :func:`account_evidence` (or a frame with its columns). Not
        modified.
    thresholds : ReviewThresholds or dict, optional
        Rule thresholds; a dict overrides the defaults key by key
        (``{"churn_nps": -30}``). See :class:`ReviewThresholds` for the rules.
    locale : {"en", "pt-BR"}, default "en"
        Language of ``label``.

    Returns
    -------
    pandas.DataFrame
        One row per account: ``account_id``, ``name``, ``segment``, ``class``
        (1-4), ``class_key`` (``"churn_risk"``...), ``label``, ``rule`` (the
        rule that placed it, with the numbers), then the other evidence
        columns.

    Raises
    ------
    ParamsError
        An unknown threshold key or ``locale``, a bad threshold value, or a
        plan missing from ``plan_order``.
    SchemaError
        An evidence column is missing.

    Warns
    -----
    ThinEvidenceWarning
        (a :class:`~cslib.exceptions.SmallSampleWarning`) "12 accounts placed
        in class 3 on fewer than 3 NPS answers in 180 days: ...", and how many
        accounts were classified on the 180-day NPS; the report's caveats show
        them (call it inside ``with notes:`` of :func:`cslib.report.capture_warnings`).

    Examples
    --------
    A1 answered three times (NPS -60) and lost a third of its MRR; A2 never
    answered and uses one key feature; A3, on the top plan of its segment,
    holds every product; A4's only answer is a detractor; A5 lacks a product:

    >>> ev = pd.DataFrame({
    ...     "account_id": ["A1", "A2", "A3", "A4", "A5"],
    ...     "name": ["Padaria", "Oficina", "Banco", "Loja", "Escola"],
    ...     "segment": ["SMB", "SMB", "Enterprise", "SMB", "SMB"],
    ...     "plan": ["Starter", "Growth", "Enterprise", "Growth", "Growth"],
    ...     "mrr": [650.0, 700.0, 3000.0, 900.0, 800.0],
    ...     "mrr_change": [-0.35, 0.4, 0.1, 0.0, 0.0], "products": [1, 2, 3, 3, 2],
    ...     "missing_products": ["A, B", "B", "", "", "B"],
    ...     "nps_answers": [3, 0, 4, 1, 3], "nps": [-60.0, None, 50.0, -100.0, 66.7],
    ...     "detractors": [2, 0, 0, 1, 0],
    ...     "adoption": [0.0, 1 / 3, 1.0, 1.0, 1.0], "tickets": [6, 0, 2, 0, 0],
    ...     "fcr_tickets": [1, 0, 2, 0, 0], "fcr_rate": [0.0, None, 1.0, None, None]})
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     review = success_review(ev)
    >>> review[["account_id", "class", "class_key"]]
      account_id  class        class_key
    0         A1      4       churn_risk
    1         A2      3  needs_attention
    2         A3      1   mature_no_room
    3         A4      3  needs_attention
    4         A5      2    mature_expand
    >>> for rule in review["rule"]:
    ...     print(rule)
    NPS -60 (≤ -20); adoption 0% (< 34%) and MRR down 35% (≤ -20%)
    adoption 33.3% (< 60%); no NPS answers
    no risk or attention signal (NPS 50, adoption 100%, MRR up 10%); no room: every product, no plan above Enterprise held by ≥ 5% of Enterprise
    NPS not used for risk: 1 answer in 180 days (< 3); 1 detractor
    no risk or attention signal (NPS 66.7, adoption 100%, MRR up 0%); room to expand: products not held: B
    >>> print(caught[0].message)  # doctest: +ELLIPSIS
    1 account placed in class 3 on fewer than 3 NPS answers in 180 days: ...

    A1's FCR of 0% rests on 1 resolved ticket (of 6 opened), fewer than
    ``min_tickets``, so it is not a reason. Without ``nps_answers_180`` the
    90-day counts stand for the 180 days. The plans rank Starter < Growth <
    Enterprise by median MRR; no SMB account is above Growth, so Growth is
    SMB's top.
    """
    if "mrr_change_pct" in evidence.columns and "mrr_change" not in evidence.columns:
        warnings.warn("success_review: evidence column `mrr_change_pct` is deprecated; it is "
                      "now `mrr_change` (the same fraction). Rename it (read as `mrr_change` "
                      "for now).", FutureWarning, stacklevel=2)
        evidence = evidence.rename(columns={"mrr_change_pct": "mrr_change"})
    th = ReviewThresholds.from_any(thresholds)
    if locale not in _LABELS:
        raise ParamsError(f"success_review: locale={locale!r} is not one of {list(_LABELS)}.")
    _require(evidence, EVIDENCE_COLUMNS, table="evidence", func="success_review",
             hint="Call `account_evidence` first and pass its output.")
    classes, rules, caveats = _classify(evidence, th)
    k = th.min_nps_answers
    if caveats["thin_class_3"]:
        warnings.warn(ThinEvidenceWarning(
            f"{_accounts(caveats['thin_class_3'])} placed in class 3 on fewer than {k} NPS "
            f"answers in {NPS_FALLBACK_DAYS} days: their detractor answers are an attention "
            "signal, but their NPS is not used for churn risk.",
            key="warn.review_thin_class_3", accounts=caveats["thin_class_3"], k=k,
            days=NPS_FALLBACK_DAYS), stacklevel=2)
    if caveats["nps_180"]:
        warnings.warn(ThinEvidenceWarning(
            f"{_accounts(caveats['nps_180'])} classified on NPS over {NPS_FALLBACK_DAYS} days "
            f"(fewer than {k} answers in the {NPS_DAYS} days to the month's end).",
            key="warn.review_nps_180", accounts=caveats["nps_180"], k=k,
            days=NPS_FALLBACK_DAYS, window=NPS_DAYS), stacklevel=2)
    head = pd.DataFrame({
        "account_id": evidence["account_id"].to_numpy(),
        "name": evidence["name"].to_numpy(),
        "segment": evidence["segment"].to_numpy(),
        "class": classes,
        "class_key": [CLASS_KEYS[c] for c in classes],
        "label": [_LABELS[locale][c] for c in classes],
        "rule": rules.tolist(),
    }, index=evidence.index)
    rest = evidence.drop(columns=["account_id", "name", "segment"])
    return pd.concat([head, rest], axis=1).reset_index(drop=True)


def review_summary(
    review: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Accounts and shares per review class, per group.

    Parameters
    ----------
    review : pandas.DataFrame
        Output of :func:`success_review`. Not modified.
    by : str or list of str, optional
        Grouping column(s), e.g. ``"segment"``; None (the default) for the
        whole base. (The default was ``"segment"``.)

    Returns
    -------
    pandas.DataFrame
        One row per group and class (all four classes, zeros included):
        the ``by`` columns, ``class``, ``label``, ``accounts`` and ``share``
        (of the group's accounts; the shares of a group sum to 1).

    Examples
    --------
    >>> review = pd.DataFrame({"segment": ["SMB", "SMB", "SMB", "Enterprise"],
    ...                        "class": [4, 3, 3, 1]})
    >>> review_summary(review, by="segment").round(3)
          segment  class                         label  accounts  share
    0  Enterprise      1       Mature, no room to grow         1  1.000
    1  Enterprise      2    Mature, room to expand MRR         0  0.000
    2  Enterprise      3  Not satisfied: more meetings         0  0.000
    3  Enterprise      4                    Churn risk         0  0.000
    4         SMB      1       Mature, no room to grow         0  0.000
    5         SMB      2    Mature, room to expand MRR         0  0.000
    6         SMB      3  Not satisfied: more meetings         2  0.667
    7         SMB      4                    Churn risk         1  0.333
    """
    keys = [] if by is None else [by] if isinstance(by, str) else list(by)
    _require(review, [*keys, "class"], table="review", func="review_summary",
             hint="Call `success_review` first and pass its output.")
    labels = dict(LABELS)
    if "label" in review.columns:
        labels.update(review.drop_duplicates("class").set_index("class")["label"].to_dict())
    frame = review[[*keys, "class"]].copy()
    if keys:
        counts = frame.groupby([*keys, "class"], dropna=False).size().unstack("class")
    else:
        counts = pd.DataFrame([frame["class"].value_counts()])
    counts = counts.reindex(columns=[1, 2, 3, 4]).fillna(0).astype("int64")
    shares = counts.div(counts.sum(axis=1).replace(0, np.nan), axis=0)
    out = counts.stack().rename("accounts").to_frame()
    out["share"] = shares.stack().to_numpy()
    out = out.reset_index()
    if not keys:
        out = out.drop(columns=out.columns[0])
    out = out.rename(columns={out.columns[len(keys)]: "class"})
    out["class"] = out["class"].astype("int64")
    out.insert(len(keys) + 1, "label", out["class"].map(labels))
    return out[[*keys, "class", "label", "accounts", "share"]]


def accounts_to_call(
    review: pd.DataFrame,
    *,
    classes: Sequence[int] = (4, 3),
    n: int = 30,
    columns: Sequence[str] = ("account_id", "name", "plan", "mrr", "label", "rule"),
) -> pd.DataFrame:
    """The accounts of some review classes, most urgent class first, then largest MRR.

    The list carries ``account_id`` by default: names repeat (two customers
    called "Mercado Vale Verde Ltda"), ids do not. The default classes (4 and
    3) include the accounts placed in class 3 by a detractor answer on too
    few answers for their NPS to count, so they reach the close-the-loop calls.

    Parameters
    ----------
    review : DataFrame
        Output of :func:`success_review`.
    classes : sequence of int
        Classes to keep, in order of urgency (default churn risk, then attention).
    n : int
        At most this many rows.
    columns : sequence of str
        Columns to show (those present), ``account_id`` first.

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"class": [4, 1, 3, 4], "name": ["a", "b", "c", "d"],
    ...                   "mrr": [10.0, 99.0, 50.0, 30.0]})
    >>> accounts_to_call(r, columns=("name", "mrr"))["name"].tolist()
    ['d', 'a', 'c']
    """
    _require(review, ["class"], table="review", func="accounts_to_call",
             hint="Call `success_review` first and pass its output.")
    rank = {c: i for i, c in enumerate(classes)}
    picked = review.loc[review["class"].isin(classes)].copy()
    picked["_rank"] = picked["class"].map(rank)
    sort = ["_rank", "mrr"] if "mrr" in picked else ["_rank"]
    picked = picked.sort_values(sort, ascending=[True, False][: len(sort)], kind="stable")
    keep = [c for c in columns if c in picked.columns]
    return picked[keep].head(n).reset_index(drop=True)


# --- backtest: the review's classes against what happened next (issue 16) ---------------------

#: What happened to an account paying in month M by month M + h (see :func:`backtest`).
OUTCOMES = ("churned", "contracted", "expanded", "stayed")
#: Horizons (months) the backtest looks ahead by default.
BACKTEST_HORIZONS = (1, 3, 6)


def _wilson(events, n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of ``events / n`` (NaN where ``n == 0``).

    Examples
    --------
    >>> low, high = _wilson([1], [10])
    >>> round(float(low[0]), 4), round(float(high[0]), 4)
    (0.0179, 0.4042)
    """
    from ._stats import z_value

    k = np.asarray(events, dtype=float)
    n = np.asarray(n, dtype=float)
    z = z_value(confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    low, high = centre - half, centre + half
    bad = n <= 0
    return np.where(bad, np.nan, np.clip(low, 0, 1)), np.where(bad, np.nan, np.clip(high, 0, 1))


@dataclass(frozen=True)
class Backtest:
    """What :func:`backtest` returns: tidy frames, one idea each.

    Attributes
    ----------
    outcomes : DataFrame
        One row per review month, account and horizon: ``month`` (Period),
        ``account_id``, ``segment``, ``class``, ``class_key``, ``mrr`` (at the
        review), ``horizon`` (months), ``mrr_after`` (account MRR at ``month +
        horizon``), ``outcome`` (one of :data:`OUTCOMES`).
    rates : DataFrame
        Pooled over the review months, per ``horizon``, ``segment`` ("all" and
        each segment), ``class``, ``class_key``, ``outcome``: ``accounts``
        (account-months in the class), ``events``, ``rate`` with ``rate_low``
        and ``rate_high`` (Wilson), ``base_rate`` (the outcome's rate over
        every class of the segment), ``lift`` (``rate / base_rate``),
        ``others``, ``others_events``, ``others_rate`` (the other classes) and
        ``ratio`` (``rate / others_rate``).
    monthly : DataFrame
        The same per review month (column ``month`` first).
    churn_risk : DataFrame
        Per ``horizon`` and ``segment``: the churn-risk class as a prediction of
        churn: ``flagged``, ``churned``, ``hits``, ``precision`` (hits /
        flagged) and ``recall`` (hits / churned), each with a Wilson interval.
    months : tuple of Period
        The review months.
    """

    outcomes: pd.DataFrame
    rates: pd.DataFrame
    monthly: pd.DataFrame
    churn_risk: pd.DataFrame
    months: tuple


def _account_mrr(mrr: pd.DataFrame) -> pd.DataFrame:
    m = pd.DataFrame({"account_id": mrr["account_id"].to_numpy(),
                      "month": _month_ordinals(_dates(mrr["month"], column="month",
                                                      table="mrr")),
                      "mrr": pd.to_numeric(mrr["mrr"], errors="coerce").fillna(0.0)
                      .to_numpy(dtype=float)})
    return m.groupby(["account_id", "month"])["mrr"].sum().unstack(fill_value=0.0)


def _outcome(start: np.ndarray, path: np.ndarray, tol: float = 0.005) -> np.ndarray:
    """churned if MRR is 0 in any month of ``path``, else by the last month against ``start``."""
    churned = (path <= tol).any(axis=1)
    last = path[:, -1]
    return np.select([churned, last < start - tol, last > start + tol],
                     ["churned", "contracted", "expanded"], "stayed")


def _rates(outcomes: pd.DataFrame, keys: list[str], confidence: float) -> pd.DataFrame:
    frames = []
    for seg_value, part in [("all", outcomes), *outcomes.groupby("segment", sort=True)]:
        part = part.assign(segment=seg_value)
        group = [*keys, "segment"]
        total = part.groupby(group).size().rename("_total")
        cells = (part.groupby([*group, "class", "outcome"]).size().rename("events"))
        size = part.groupby([*group, "class"]).size().rename("accounts")
        events_all = part.groupby([*group, "outcome"]).size().rename("_events_all")
        grid = total.index.to_frame(index=False).merge(
            pd.DataFrame({"class": sorted(CLASS_KEYS)}), how="cross").merge(
            pd.DataFrame({"outcome": list(OUTCOMES)}), how="cross")
        idx = pd.MultiIndex.from_frame(grid)
        t = cells.reindex(idx, fill_value=0).reset_index()
        t = t.join(size, on=[*group, "class"]).join(total, on=group).join(
            events_all, on=[*group, "outcome"])
        t[["accounts", "_events_all"]] = t[["accounts", "_events_all"]].fillna(0).astype("int64")
        frames.append(t)
    t = pd.concat(frames, ignore_index=True)
    t["events"] = t["events"].astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        t["rate"] = t["events"] / t["accounts"].where(t["accounts"] > 0)
        t["rate_low"], t["rate_high"] = _wilson(t["events"], t["accounts"], confidence)
        t["base_rate"] = t["_events_all"] / t["_total"]
        t["lift"] = t["rate"] / t["base_rate"].where(t["base_rate"] > 0)
        t["others"] = (t["_total"] - t["accounts"]).astype("int64")
        t["others_events"] = (t["_events_all"] - t["events"]).astype("int64")
        t["others_rate"] = t["others_events"] / t["others"].where(t["others"] > 0)
        t["ratio"] = t["rate"] / t["others_rate"].where(t["others_rate"] > 0)
    t.insert(len(keys) + 2, "class_key", t["class"].map(CLASS_KEYS))
    t = t.drop(columns=["_total", "_events_all"])
    first = [*keys, "segment", "class", "class_key", "outcome", "accounts", "events"]
    return t[first + [c for c in t.columns if c not in first]]


def backtest(
    tables: Mapping[str, pd.DataFrame],
    *,
    months: Sequence | None = None,
    n_months: int = 12,
    min_future: int = 3,
    horizons: Sequence[int] = BACKTEST_HORIZONS,
    thresholds: ReviewThresholds | Mapping | None = None,
    classify=None,
    confidence: float = 0.95,
    _cuts: dict | None = None,
) -> Backtest:
    """Backtest the success review: classes at each month's end against what happened next.

    For each review month M, every account paying in M is classified with what
    was known at M's end (:func:`cslib.pointintime.known_at`, then
    :func:`account_evidence` and :func:`success_review`); then its account MRR in
    the next ``h`` months says what happened by ``M + h``:

    - ``churned``: MRR 0 in any month of ``M + 1 .. M + h`` (even if it came back);
    - otherwise ``contracted`` / ``expanded`` / ``stayed``: MRR in ``M + h``
      below / above / equal to (within R$ 0.005) MRR in M.

    A horizon is used only for months with that much future in the data (the
    last ``mrr`` month). Rates pool account-months over the review months; an
    account counts once per month, so its months are not independent, and the
    Wilson intervals (per account-month) are somewhat too narrow when
    accounts stay in one class for many months.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        The warehouse (``accounts``, ``mrr``, ``nps_responses``, ``usage``,
        ``tickets``). Not modified.
    months : sequence of month-likes, optional
        The review months. Default: the last ``n_months`` months with at least
        ``min_future`` months of future.
    n_months, min_future : int
        See ``months``.
    horizons : sequence of int, default (1, 3, 6)
        Months ahead.
    thresholds : ReviewThresholds or dict, optional
        Passed to :func:`success_review`.
    classify : callable, optional
        ``classify(cut_tables, month) -> DataFrame`` with ``account_id``,
        ``segment`` and ``class``, instead of the review's rules (a score's
        bands, for instance). It receives the tables cut at the month's end.
    confidence : float, default 0.95
        Of the Wilson intervals.
    _cuts : dict, optional
        Internal: month -> the health score's components, computed here from each
        review month's cut for the other readers of the same ``tables``
        (:func:`cslib.health.health_review`); not with ``classify``.

    Returns
    -------
    Backtest
        ``outcomes``, ``rates``, ``monthly``, ``churn_risk``, ``months``.

    Raises
    ------
    ParamsError
        A horizon is not a positive integer, or no month has enough future.

    Examples
    --------
    >>> from cslib.demo import generate_warehouse
    >>> bt = backtest(generate_warehouse(150, n_months=12, seed=2), n_months=2)
    >>> [str(m) for m in bt.months]
    ['2026-06', '2026-07']
    >>> sorted(bt.rates["horizon"].unique().tolist())
    [1, 3]
    """
    from .pointintime import known_at

    func = "backtest"
    horizons = sorted({int(h) for h in horizons})
    if not horizons or any(h < 1 for h in horizons):
        raise ParamsError(f"{func}: horizons={horizons!r} must be positive integers "
                          "(months ahead, e.g. (1, 3, 6)).")
    _require(tables["mrr"], ["account_id", "month", "mrr"], table="mrr", func=func)
    am = _account_mrr(tables["mrr"])
    if am.empty:
        raise ParamsError(f"{func}: the `mrr` table is empty; nothing to backtest.")
    last = int(am.columns.max())
    if months is None:
        latest = last - int(min_future)
        first = max(latest - int(n_months) + 1, int(am.columns.min()))
        ordinals = list(range(first, latest + 1))
    else:
        ordinals = sorted({_review_month(m).ordinal for m in months})
    ordinals = [o for o in ordinals if o + horizons[0] <= last]
    if not ordinals and months is None:
        n_data = last - int(am.columns.min()) + 1
        raise ParamsError(
            f"{func}: the data hold {n_data} month(s) of MRR (to "
            f"{pd.Period(ordinal=last, freq='M')}); the backtest needs review months with "
            f"{min_future} months of future after them, so at least {int(min_future) + 1}.")
    if not ordinals:
        raise ParamsError(
            f"{func}: no review month has {horizons[0]} month(s) of future in the data "
            f"(last MRR month {pd.Period(ordinal=last, freq='M')}); pick earlier months.")
    full = am.reindex(columns=range(int(am.columns.min()), last + 1), fill_value=0.0)
    # the review reads five tables: only they are cut (each as in the whole warehouse);
    # with _cuts, the tables the health score reads too, as health_review shares them
    from .health import _FEATURE_TABLES

    names = _FEATURE_TABLES if _cuts is not None else (
        "accounts", "mrr", "nps_responses", "usage", "tickets")
    source = tables if classify is not None else {k: tables[k] for k in names if k in tables}
    shared = _cuts if classify is None else None
    rows = []
    for o in ordinals:
        period = pd.Period(ordinal=o, freq="M")
        cut = known_at(source, str(period))
        if shared is not None:  # the health score's components of this month, while cut
            from .health import month_features_at

            month_features_at(source, period, shared, cut=cut)
        if classify is None:
            ev = account_evidence(cut["accounts"], cut["mrr"], cut["nps_responses"],
                                  cut["usage"], cut["tickets"], month=str(period))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ThinEvidenceWarning)
                review = success_review(ev, thresholds=thresholds)
        else:
            review = classify(cut, str(period))
        review = review[["account_id", "segment", "class"]].copy()
        start = full[o].reindex(review["account_id"]).fillna(0.0).to_numpy()
        keep = start > 0.005
        review, start = review.loc[keep], start[keep]
        for h in horizons:
            if o + h > last:
                continue
            path = full.loc[review["account_id"], list(range(o + 1, o + h + 1))].to_numpy()
            rows.append(pd.DataFrame({
                "month": period, "account_id": review["account_id"].to_numpy(),
                "segment": review["segment"].to_numpy(),
                "class": review["class"].to_numpy(dtype="int64"), "mrr": start,
                "horizon": h, "mrr_after": path[:, -1], "outcome": _outcome(start, path)}))
    outcomes = pd.concat(rows, ignore_index=True)
    outcomes.insert(4, "class_key", outcomes["class"].map(CLASS_KEYS))
    rates = _rates(outcomes, ["horizon"], confidence)
    monthly = _rates(outcomes, ["month", "horizon"], confidence)
    risk = rates[(rates["class"] == 4) & (rates["outcome"] == "churned")]
    churned = risk["events"] + risk["others_events"]
    cr = pd.DataFrame({"horizon": risk["horizon"].to_numpy(),
                       "segment": risk["segment"].to_numpy(),
                       "flagged": risk["accounts"].to_numpy(),
                       "churned": churned.to_numpy(), "hits": risk["events"].to_numpy()})
    with np.errstate(invalid="ignore", divide="ignore"):
        cr["precision"] = cr["hits"] / cr["flagged"].where(cr["flagged"] > 0)
        cr["precision_low"], cr["precision_high"] = _wilson(cr["hits"], cr["flagged"],
                                                            confidence)
        cr["recall"] = cr["hits"] / cr["churned"].where(cr["churned"] > 0)
        cr["recall_low"], cr["recall_high"] = _wilson(cr["hits"], cr["churned"], confidence)
    return Backtest(outcomes=outcomes, rates=rates, monthly=monthly,
                    churn_risk=cr.reset_index(drop=True),
                    months=tuple(pd.Period(ordinal=o, freq="M") for o in ordinals))
