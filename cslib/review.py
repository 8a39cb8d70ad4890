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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._checks import require_columns
from .exceptions import ParamsError, SchemaError
from .support import first_contact_flags
from .usage import feature_used

__all__ = [
    "CLASS_KEYS",
    "LABELS",
    "LABELS_PT",
    "ReviewThresholds",
    "account_evidence",
    "success_review",
    "review_summary",
    "accounts_to_call",
]

#: Class number -> machine key.
CLASS_KEYS = {1: "mature_no_room", 2: "mature_expand", 3: "needs_attention", 4: "churn_risk"}
#: Class number -> label in English.
LABELS = {
    1: "Mature, no room to grow",
    2: "Mature, room to expand MRR",
    3: "Not satisfied: more meetings",
    4: "Churn risk",
}
#: Class number -> label in Brazilian Portuguese.
LABELS_PT = {
    1: "Maduro, sem espaço para crescer",
    2: "Maduro, com espaço para expandir",
    3: "Insatisfeito: mais reuniões",
    4: "Risco de churn",
}
_LABELS = {"en": LABELS, "pt-BR": LABELS_PT}

EVIDENCE_COLUMNS = [
    "account_id", "name", "segment", "plan", "mrr", "mrr_change_pct", "products",
    "nps_answers", "nps", "adoption", "tickets", "fcr_tickets", "fcr_rate",
]


# --- evidence ---------------------------------------------------------------------------------

def _require(data: pd.DataFrame, columns: Sequence[str], *, table: str, func: str) -> None:
    require_columns(data, columns, where=f"{func}: {table}",
                    hint="Load the table with cslib.io.load, or rename the columns.")


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
        One row per account with MRR > 0 in ``month``, sorted by
        ``account_id``, with columns:

        - ``account_id``, ``name``, ``segment``, ``plan`` (from ``accounts``;
          missing when the account is not there);
        - ``mrr``: the account's MRR in ``month`` (all contracts);
        - ``mrr_change_pct``: ``mrr / mrr_then - 1`` as a fraction (-0.35 for
          down 35%), ``mrr_then`` being ``months`` months earlier; NaN when the
          account did not pay then;
        - ``products``: contracts with MRR > 0 in ``month``;
        - ``nps_answers``, ``nps``: answers in the 90 days up to the end of
          ``month`` (from the first of the next month minus 90 days, to the
          end of ``month``) and the account NPS over them, -100..100 (NaN
          with no answers);
        - ``adoption``: share of ``key_features`` used (``active_users > 0``, or
          ``events > 0`` when the table has no ``active_users``)
          in ``month`` (0 with no usage rows);
        - ``tickets``: tickets opened in the look-back window;
        - ``fcr_tickets``: those of them resolved by the end of ``month``,
          the tickets ``fcr_rate`` is computed on;
        - ``fcr_rate``: the share of the ``fcr_tickets`` resolved at the first
          contact (NaN when there are none).

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
    >>> ev[["account_id", "mrr", "mrr_change_pct", "products", "nps", "adoption"]].round(3)
      account_id     mrr  mrr_change_pct  products    nps  adoption
    0         A1   650.0           -0.35         1 -100.0     0.333
    1         A2  3500.0             NaN         2  100.0     0.667
    >>> ev[["account_id", "tickets", "fcr_tickets", "fcr_rate"]]
      account_id  tickets  fcr_tickets  fcr_rate
    0         A1        2            1       0.0
    1         A2        0            0       NaN
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
    nps_start = month_end - pd.Timedelta(days=90)

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

    ids = pd.Index(sorted(mrr_now.index), name="account_id")
    info = accounts.drop_duplicates("account_id").set_index("account_id")
    out = info[["name", "segment", "plan"]].reindex(ids)
    out["mrr"] = mrr_now.reindex(ids).astype(float)
    before = mrr_then.reindex(ids).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["mrr_change_pct"] = (out["mrr"] / before.where(before > 0) - 1).astype(float)
    out["products"] = products.reindex(ids).fillna(0).astype("int64")

    # NPS over the 90 days to the end of the month.
    responded = _dates(nps_responses["responded_at"], column="responded_at",
                       table="nps_responses")
    score = pd.to_numeric(nps_responses["score"], errors="coerce")
    keep = (responded >= nps_start) & (responded < month_end) & score.notna()
    n = pd.DataFrame({"account_id": nps_responses["account_id"][keep].to_numpy(),
                      "score": score[keep].to_numpy(dtype=float)})
    n["_p"] = (n["score"] >= 9).astype(float)
    n["_d"] = (n["score"] <= 6).astype(float)
    g = n.groupby("account_id")
    answers = g.size().reindex(ids).fillna(0).astype("int64")
    out["nps_answers"] = answers
    out["nps"] = (100 * (g["_p"].mean() - g["_d"].mean())).reindex(ids).astype(float)

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

    return out.reset_index()[EVIDENCE_COLUMNS]


# --- the rules --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReviewThresholds:
    """Thresholds of the success review rules.

    Rules are evaluated in order; the first class whose rule matches wins:

    4. **churn risk** if any of: ``nps <= churn_nps``; ``adoption <
       churn_adoption`` and ``mrr_change_pct <= churn_mrr_change``;
       ``fcr_rate < churn_fcr`` on at least ``min_tickets`` resolved tickets.
    3. **needs attention** if any of: ``nps < attention_nps``; ``adoption <
       attention_adoption``; ``mrr_change_pct <= attention_mrr_change``;
       ``fcr_rate < attention_fcr`` on at least ``min_tickets`` resolved tickets.
    2. **mature, room to expand** if ``products < max_products`` or ``plan``
       is not in ``top_plans``;
    1. **mature, no room to grow** otherwise.

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
    max_products : int, default 3
        Products on offer; fewer contracts leave room to cross-sell.
    top_plans : tuple of str, default ("Enterprise",)
        Plans with no upgrade above them; any other plan leaves room to upsell.
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
    max_products: int = 3
    top_plans: tuple[str, ...] = ("Enterprise",)

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
        if isinstance(values.get("top_plans"), str):
            values["top_plans"] = (values["top_plans"],)
        elif "top_plans" in values:
            values["top_plans"] = tuple(values["top_plans"])
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


def _classify(evidence: pd.DataFrame, th: ReviewThresholds) -> tuple[np.ndarray, np.ndarray]:
    """The class (1-4) and the rule text of every row of ``evidence``."""
    def number(column: str) -> np.ndarray:
        return evidence[column].to_numpy(dtype=float, na_value=np.nan)

    nps, adoption, change = number("nps"), number("adoption"), number("mrr_change_pct")
    fcr, tickets, products = number("fcr_rate"), number("fcr_tickets"), number("products")
    plan = evidence["plan"].to_numpy()
    # comparisons with NaN are False: a missing value never triggers a rule
    has_nps = ~np.isnan(nps) & (number("nps_answers") > 0)
    has_change = ~np.isnan(change)
    has_fcr = ~np.isnan(fcr) & (tickets >= th.min_tickets)
    has_adoption = ~np.isnan(adoption)
    no_nps = np.where(has_nps, "", "no NPS answers").astype(object)

    def fcr_text(limit: float):
        return lambda rate, n: (f"FCR {_pct(rate)} (< {_pct(limit)}) on {int(n)} resolved "
                                f"tickets (≥ {th.min_tickets})")

    risk_rules = [
        (has_nps & (nps <= th.churn_nps),
         lambda x: f"NPS {_num(x)} (≤ {_num(th.churn_nps)})", nps),
        (has_adoption & has_change & (adoption < th.churn_adoption)
         & (change <= th.churn_mrr_change),
         lambda a, c: (f"adoption {_pct(a)} (< {_pct(th.churn_adoption)}) and "
                       f"{_change(c)} (≤ {_pct(th.churn_mrr_change)})"), adoption, change),
        (has_fcr & (fcr < th.churn_fcr), fcr_text(th.churn_fcr), fcr, tickets),
    ]
    risk = np.logical_or.reduce([mask for mask, *_ in risk_rules])
    risk_text = _join([_texts(mask, *rest) for mask, *rest in risk_rules] + [no_nps], "; ")

    attention_rules = [
        (~risk & has_nps & (nps < th.attention_nps),
         lambda x: f"NPS {_num(x)} (< {_num(th.attention_nps)})", nps),
        (~risk & has_adoption & (adoption < th.attention_adoption),
         lambda a: f"adoption {_pct(a)} (< {_pct(th.attention_adoption)})", adoption),
        (~risk & has_change & (change <= th.attention_mrr_change),
         lambda c: f"{_change(c)} (≤ {_pct(th.attention_mrr_change)})", change),
        (~risk & has_fcr & (fcr < th.attention_fcr), fcr_text(th.attention_fcr), fcr, tickets),
    ]
    attention = np.logical_or.reduce([mask for mask, *_ in attention_rules])
    attention_text = _join([_texts(mask, *rest) for mask, *rest in attention_rules] + [no_nps],
                           "; ")

    calm = ~risk & ~attention
    seen = _join([
        np.where(has_nps, _texts(calm & has_nps, lambda x: f"NPS {_num(x)}", nps), no_nps),
        _texts(calm & has_adoption, lambda a: f"adoption {_pct(a)}", adoption),
        _texts(calm & has_change, _change, change),
        _texts(calm & has_fcr, lambda f: f"FCR {_pct(f)}", fcr),
    ], ", ")
    healthy = "no risk or attention signal (" + seen + ")"
    top = ", ".join(th.top_plans)
    room_rules = [
        (calm & ~np.isnan(products) & (products < th.max_products),
         lambda n: f"{int(n)} of {th.max_products} products", products),
        (calm & (evidence["plan"].isna() | ~evidence["plan"].isin(th.top_plans)).to_numpy(),
         lambda p: f"plan {p} (top: {top})", plan),
    ]
    room = np.logical_or.reduce([mask for mask, *_ in room_rules])
    room_text = "; room to expand: " + _join([_texts(mask, *rest) for mask, *rest in room_rules],
                                             " and ")
    no_room_text = _texts(
        calm & ~room,
        lambda n, p: f"; no room: {int(n)} of {th.max_products} products on top plan {p}",
        products, plan)

    classes = np.select([risk, attention, room], [4, 3, 2], 1).astype("int64")
    rules = np.select([risk, attention, room],
                      [risk_text, attention_text, healthy + room_text], healthy + no_room_text)
    return classes, rules


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
        An unknown threshold key or ``locale``.
    SchemaError
        An evidence column is missing.

    Examples
    --------
    >>> ev = pd.DataFrame({
    ...     "account_id": ["A1", "A2", "A3"], "name": ["Padaria", "Oficina", "Banco"],
    ...     "segment": ["SMB", "SMB", "Enterprise"],
    ...     "plan": ["Starter", "Growth", "Enterprise"], "mrr": [650.0, 700.0, 3000.0],
    ...     "mrr_change_pct": [-0.35, 0.4, 0.1], "products": [1, 2, 3],
    ...     "nps_answers": [3, 0, 4], "nps": [-60.0, None, 50.0],
    ...     "adoption": [0.0, 1 / 3, 1.0], "tickets": [6, 0, 2], "fcr_tickets": [1, 0, 2],
    ...     "fcr_rate": [0.0, None, 1.0]})
    >>> review = success_review(ev)
    >>> review[["account_id", "class", "class_key"]]
      account_id  class        class_key
    0         A1      4       churn_risk
    1         A2      3  needs_attention
    2         A3      1   mature_no_room
    >>> for rule in review["rule"]:
    ...     print(rule)
    NPS -60 (≤ -20); adoption 0% (< 34%) and MRR down 35% (≤ -20%)
    adoption 33.3% (< 60%); no NPS answers
    no risk or attention signal (NPS 50, adoption 100%, MRR up 10%); no room: 3 of 3 products on top plan Enterprise

    A1's FCR of 0% rests on 1 resolved ticket (of 6 opened), fewer than
    ``min_tickets``, so it is not a reason.
    """
    th = ReviewThresholds.from_any(thresholds)
    if locale not in _LABELS:
        raise ParamsError(f"success_review: locale={locale!r} is not one of {list(_LABELS)}.")
    _require(evidence, EVIDENCE_COLUMNS, table="evidence", func="success_review")
    classes, rules = _classify(evidence, th)
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
    by: str | Sequence[str] | None = "segment",
) -> pd.DataFrame:
    """Accounts and shares per review class, per group.

    Parameters
    ----------
    review : pandas.DataFrame
        Output of :func:`success_review`. Not modified.
    by : str or list of str or None, default "segment"
        Grouping column(s); None for the whole base.

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
    >>> review_summary(review).round(3)
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
    _require(review, [*keys, "class"], table="review", func="review_summary")
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
    columns: Sequence[str] = ("name", "plan", "mrr", "label", "rule"),
) -> pd.DataFrame:
    """The accounts of some review classes, most urgent class first, then largest MRR.

    Parameters
    ----------
    review : DataFrame
        Output of :func:`success_review`.
    classes : sequence of int
        Classes to keep, in order of urgency (default churn risk, then attention).
    n : int
        At most this many rows.
    columns : sequence of str
        Columns to show (those present).

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"class": [4, 1, 3, 4], "name": ["a", "b", "c", "d"],
    ...                   "mrr": [10.0, 99.0, 50.0, 30.0]})
    >>> accounts_to_call(r, columns=("name", "mrr"))["name"].tolist()
    ['d', 'a', 'c']
    """
    rank = {c: i for i, c in enumerate(classes)}
    picked = review.loc[review["class"].isin(classes)].copy()
    picked["_rank"] = picked["class"].map(rank)
    sort = ["_rank", "mrr"] if "mrr" in picked else ["_rank"]
    picked = picked.sort_values(sort, ascending=[True, False][: len(sort)], kind="stable")
    keep = [c for c in columns if c in picked.columns]
    return picked[keep].head(n).reset_index(drop=True)
