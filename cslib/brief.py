"""One account's quarterly-review brief: its evidence on one page, and an agenda.

The ``account_brief`` notebook renders one brief per account. Thousands of
briefs run on few kernels, so the segment's work is done once per kernel:
:func:`segment_briefs` reads the segment's slice through
:func:`cslib.context.open_report` (cut at the month's end), computes the review
evidence and classes of every account of the segment and the segment's feature
usage, and keeps them in this module (which outlives the kernel's ``%reset``
between reports). :func:`account_brief` then picks one account out of it, and
:func:`suggested_agenda` turns its evidence into the meeting's agenda.

Examples
--------
>>> suggested_agenda({"class": 2, "missing_products": "Analytics", "detractors": 0,
...                   "adoption": 1.0, "tickets": 0}, locale="en")[0]
'Present the room to expand: products not held: Analytics.'
"""

from __future__ import annotations

import json
import math
import os
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from .exceptions import ParamsError
from .i18n import text as _text

__all__ = ["SegmentBriefs", "AccountBrief", "segment_briefs", "account_brief",
           "suggested_agenda", "open_account", "clear_cache", "KEY_FEATURES"]

#: Key features whose adoption the review scores (as :func:`cslib.review.account_evidence`).
KEY_FEATURES = ("dashboards", "automations", "integrations")
#: Segments kept loaded per kernel: the batch sends one segment's accounts together.
CACHE_SIZE = 2
_CACHE: OrderedDict = OrderedDict()


@dataclass
class SegmentBriefs:
    """A segment's data and the review of all its accounts, computed once per kernel.

    Attributes
    ----------
    ctx : ReportContext
        The segment's slice as known at the month's end (:func:`cslib.context.open_report`).
    classes : DataFrame
        :func:`cslib.review.success_review` over every paying account of the segment.
    feature_use : DataFrame
        Per feature: ``accounts_using`` (paying accounts of the segment using it
        in the month), ``share`` (of the paying accounts) and ``median_users``
        (median active users among those using it).
    """

    ctx: object
    classes: pd.DataFrame
    feature_use: pd.DataFrame


@dataclass
class AccountBrief:
    """What one account's brief shows (see :func:`account_brief`)."""

    account: dict
    review: dict
    mrr_history: pd.DataFrame
    products: pd.DataFrame
    headroom: dict
    nps_answers: pd.DataFrame
    verbatims: pd.DataFrame
    usage: pd.DataFrame
    support: dict
    loops: dict
    agenda: list[str]


def clear_cache() -> None:
    """Forget the segments loaded by :func:`segment_briefs` in this process."""
    _CACHE.clear()


def _feature_use(usage: pd.DataFrame, paying: pd.Index, month: pd.Timestamp) -> pd.DataFrame:
    from .usage import feature_used

    cols = ["feature", "accounts_using", "share", "median_users"]
    if usage.empty:
        return pd.DataFrame(columns=cols)
    rows = usage.loc[(pd.to_datetime(usage["month"]) == month)
                     & usage["account_id"].isin(paying)]
    rows = rows.loc[feature_used(rows).to_numpy()]
    users = rows["active_users"] if "active_users" in rows else rows["events"]
    out = (rows.assign(_users=users).groupby("feature", observed=True)
           .agg(accounts_using=("account_id", "nunique"), median_users=("_users", "median"))
           .reset_index())
    out["share"] = out["accounts_using"] / max(len(paying), 1)
    return out[cols].sort_values("feature", ignore_index=True)


def segment_briefs(*, segment: str, month: str, source: str | None = None,
                   csv: dict | None = None, locale: str = "en",
                   thresholds: Mapping | None = None) -> SegmentBriefs:
    """The segment's slice and review, loaded once per process and reused.

    Keyed by every argument and the batch's prepared slices (``$CSLIB_PREPARED``,
    which is named after the data's version): a kernel that renders many briefs
    of one segment reads and reviews the segment once. At most
    :data:`CACHE_SIZE` segments are kept.

    Raises
    ------
    NoDataError
        As :func:`cslib.context.open_report`: nothing to report for the segment.
    """
    from .context import open_report
    from .periods import as_month
    from .review import account_evidence, success_review

    key = json.dumps([segment, str(month), source, csv, locale, thresholds or {},
                      os.environ.get("CSLIB_PREPARED")], sort_keys=True, default=str)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    ctx = open_report(segment=segment, month=month, source=source, csv=csv, locale=locale)
    evidence = account_evidence(ctx["accounts"], ctx["mrr"], ctx["nps_responses"],
                                ctx["usage"], ctx["tickets"], month=ctx.month,
                                key_features=KEY_FEATURES)
    import warnings

    with warnings.catch_warnings():  # the segment-wide caveats are not this account's
        warnings.simplefilter("ignore")
        classes = success_review(evidence, thresholds=thresholds, locale=locale)
    use = _feature_use(ctx["usage"], pd.Index(classes["account_id"]), as_month(ctx.month))
    out = SegmentBriefs(ctx=ctx, classes=classes, feature_use=use)
    _CACHE[key] = out
    while len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return out


def _fmt_pct(x, locale: str) -> str:
    from .report import fmt_pct

    return fmt_pct(x, locale, 0)


def suggested_agenda(review: Mapping, *, locale: str = "en") -> list[str]:
    """The review meeting's agenda, item by item, from one account's evidence.

    Parameters
    ----------
    review : mapping
        One row of :func:`cslib.review.success_review` (``class``, ``rule`` and
        the evidence columns; missing ones are taken as absent).
    locale : {"en", "pt-BR"}

    Returns
    -------
    list of str
        The class's opening item first, then one item per signal in the
        evidence (detractors, low adoption, falling MRR, support), and the
        next steps last. Plain text, not escaped.

    Examples
    --------
    An account at risk with 2 detractors, a third of the key features and MRR down 35%:

    >>> for item in suggested_agenda({"class": 4, "rule": "NPS -60 (≤ -20)", "detractors": 2,
    ...         "adoption": 1 / 3, "mrr_change_pct": -0.35, "tickets": 0}):
    ...     print(item)
    Open with the risk: NPS -60 (≤ -20). Agree a recovery plan with owners and dates.
    Go through the 2 detractor answers and what was done about each.
    Plan the adoption of the key features not yet in use (33% in use).
    Discuss the MRR change of -35% over 3 months.
    Agree the next steps and the date of the next review.
    """
    if locale not in ("en", "pt-BR"):
        raise ParamsError(f"suggested_agenda: locale={locale!r} is not one of "
                          "['en', 'pt-BR'].")

    def num(key):
        value = review.get(key)
        try:
            value = float(value)
        except (TypeError, ValueError):
            return math.nan
        return value

    cls = int(num("class")) if not math.isnan(num("class")) else 0
    items = []
    if cls == 4:
        items.append(_text("brief.agenda.risk", locale, rule=review.get("rule", "")))
    elif cls == 3:
        items.append(_text("brief.agenda.attention", locale, rule=review.get("rule", "")))
    elif cls == 2:
        missing = review.get("missing_products")
        what = (_text("brief.products_not_held", locale, products=missing)
                if isinstance(missing, str) and missing
                else _text("brief.higher_plan", locale))
        items.append(_text("brief.agenda.expand", locale, what=what))
    elif cls == 1:
        items.append(_text("brief.agenda.mature", locale))
    detractors = num("detractors")
    if detractors >= 1:
        items.append(_text("brief.agenda.detractors" + (".one" if detractors == 1 else ""),
                           locale, n=int(detractors)))
    adoption = num("adoption")
    if adoption < 0.5:
        items.append(_text("brief.agenda.adoption", locale, share=_fmt_pct(adoption, locale)))
    change = num("mrr_change_pct")
    if change <= -0.10:
        items.append(_text("brief.agenda.mrr_down", locale, change=_fmt_pct(change, locale)))
    fcr, tickets = num("fcr_rate"), num("tickets")
    if tickets >= 3 and fcr < 0.7:
        items.append(_text("brief.agenda.support", locale, n=int(tickets),
                           fcr=_fmt_pct(fcr, locale)))
    items.append(_text("brief.agenda.next", locale))
    return items


def account_brief(data: SegmentBriefs, account_id: str, *, months: int = 6,
                  n_verbatims: int = 3, mask: bool = True, locale: str = "en"
                  ) -> AccountBrief:
    """One account's brief from its segment's :func:`segment_briefs`.

    Parameters
    ----------
    data : SegmentBriefs
    account_id : str
        An account of the segment that pays in the month.
    months : int
        MRR history shown: this many months up to the report month.
    n_verbatims : int
        Most recent comments shown (masked when ``mask``).
    mask : bool
        Mask e-mail addresses and phone numbers in the comments.
    locale : {"en", "pt-BR"}

    Raises
    ------
    ParamsError
        ``account_id`` is not a paying account of the segment in the month.
    """
    from .nps import loop_closure, nps_category, verbatims
    from .revenue import mrr_movements
    from .support import first_contact_flags

    ctx = data.ctx
    month = ctx.month
    hit = data.classes.loc[data.classes["account_id"].astype(str) == str(account_id)]
    if hit.empty:
        raise ParamsError(
            f"account_brief: account {account_id!r} does not pay in {month:%Y-%m} in segment "
            f"{ctx.segment!r} ({len(data.classes)} paying accounts there). Check the "
            "`account_id`, or render the segment the account belongs to.")
    review = hit.iloc[0].to_dict()
    acc = ctx["accounts"]
    account = acc.loc[acc["account_id"] == account_id].iloc[0].to_dict()
    mrr = ctx["mrr"].loc[ctx["mrr"]["account_id"] == account_id]
    moves = mrr_movements(mrr)
    first = month - pd.DateOffset(months=months - 1)
    history = moves.loc[(moves["month"] >= first) & (moves["month"] <= month),
                        ["month", "mrr", "change", "movement"]].reset_index(drop=True)
    now = mrr.loc[(mrr["month"] == month) & (mrr["mrr"] > 0)]
    products = (now.groupby("product", observed=True)["mrr"].sum().reset_index()
                if "product" in now else pd.DataFrame(columns=["product", "mrr"]))
    headroom = {"missing_products": review.get("missing_products"),
                "seats": review.get("seats"), "seats_used": review.get("seats_used"),
                "plan": account.get("plan")}
    answers = ctx["nps_responses"].loc[ctx["nps_responses"]["account_id"] == account_id]
    since = month - pd.DateOffset(days=180)
    recent = answers.loc[answers["responded_at"] >= since]
    nps_answers = (recent.assign(category=nps_category(recent["score"]).to_numpy())
                   [["responded_at", "score", "category"]]
                   .sort_values("responded_at", ascending=False, ignore_index=True))
    said = verbatims(recent, category=None, n=n_verbatims, mask=mask)
    usage = ctx["usage"]
    mine = usage.loc[(usage["account_id"] == account_id)
                     & (pd.to_datetime(usage["month"]) == month)]
    count = "active_users" if "active_users" in mine else "events"
    mine = mine.groupby("feature", observed=True)[count].sum().rename("account_users")
    use = data.feature_use.set_index("feature").join(mine, how="outer").reset_index()
    use["account_users"] = use["account_users"].fillna(0)
    use = use[["feature", "account_users", "median_users", "share"]]
    tickets = ctx["tickets"].loc[ctx["tickets"]["account_id"] == account_id]
    support = {"tickets": review.get("tickets"), "fcr_tickets": review.get("fcr_tickets"),
               "fcr_rate": review.get("fcr_rate"),
               "open": int(tickets["resolved_at"].isna().sum()),
               "first_contact": int(first_contact_flags(tickets).sum()) if len(tickets) else 0}
    loops = {"answers": 0, "closed": 0, "within_sla": math.nan}
    if len(answers):
        actions = ctx["loop_actions"]
        actions = actions.loc[actions["response_id"].isin(answers["response_id"])]
        closure = loop_closure(answers, actions, month=month)
        loops = {"answers": int(len(closure.responses)),
                 "closed": int(closure.responses["done"].sum()),
                 "within_sla": closure.within_sla_rate}
    return AccountBrief(account=account, review=review, mrr_history=history,
                        products=products, headroom=headroom, nps_answers=nps_answers,
                        verbatims=said, usage=use, support=support, loops=loops,
                        agenda=suggested_agenda(review, locale=locale))


def open_account(*, account_id: str, segment: str, month: str, source: str | None = None,
                 csv: dict | None = None, locale: str = "en", mask: bool = True,
                 thresholds: Mapping | None = None) -> AccountBrief:
    """:func:`segment_briefs` (cached) then :func:`account_brief`: what the notebook calls."""
    data = segment_briefs(segment=segment, month=month, source=source, csv=csv,
                          locale=locale, thresholds=thresholds)
    return account_brief(data, account_id, mask=mask, locale=locale)


def brief_text(brief: AccountBrief, *, locale: str = "en") -> dict[str, str]:
    """The brief's sentences as Markdown (data-derived text escaped), by section.

    Keys: ``title``, ``header``, ``class``, ``evidence``, ``headroom``, ``loops``,
    ``agenda`` (a numbered list), ``products``, ``holdings`` (products and headroom),
    ``answers``, ``no_answers``, ``no_verbatims``, and the section
    headings ``h.revenue``, ``h.nps``, ``h.usage``, ``h.agenda`` (in ``locale``).
    """
    from .i18n import reason_text
    from .periods import month_label
    from .report import _escape, fmt_money, fmt_nps, fmt_number

    r, a = brief.review, brief.account

    def esc(x):
        return _escape("" if x is None or (isinstance(x, float) and math.isnan(x)) else x,
                       markdown=True)

    month = brief.mrr_history["month"].max() if len(brief.mrr_history) else None
    seats, used = brief.headroom.get("seats"), brief.headroom.get("seats_used")
    has_seats = all(isinstance(v, int | float) and not math.isnan(v) for v in (seats, used))
    missing = brief.headroom.get("missing_products")
    what = (_text("brief.products_not_held", locale, products=esc(missing))
            if isinstance(missing, str) and missing else _text("brief.no_headroom", locale))
    na = _text("n/a", locale)
    change = r.get("mrr_change_pct")
    words = {
        "title": "# " + _text("brief.title", locale, name=esc(a.get("name"))),
        "header": _text("brief.header", locale, account_id=esc(a.get("account_id")),
                        segment=esc(a.get("segment")), plan=esc(a.get("plan")),
                        csm=esc(a.get("csm")),
                        month=month_label(month, locale) if month is not None else na),
        "class": _text("brief.class", locale, cls=int(r["class"]), label=esc(r.get("label")),
                       rule=esc(reason_text(r.get("rule"), locale))),
        "evidence": _text(
            "brief.evidence", locale, mrr=fmt_money(r.get("mrr"), locale, 0),
            change=_fmt_pct(change, locale) if change == change else na,
            nps=fmt_nps(r.get("nps"), locale), answers=fmt_number(r.get("nps_answers"), locale),
            adoption=_fmt_pct(r.get("adoption"), locale),
            tickets=fmt_number(r.get("tickets"), locale),
            fcr=_fmt_pct(r.get("fcr_rate"), locale)),
        "headroom": _text("brief.headroom", locale, what=what,
                          seats=(_text("brief.seats", locale, used=fmt_number(used, locale),
                                       seats=fmt_number(seats, locale))
                                 if has_seats else na)),
        "products": _text("brief.products", locale, products=", ".join(
            f"{esc(p)} ({fmt_money(m, locale, 0)})"
            for p, m in zip(brief.products["product"], brief.products["mrr"], strict=True))
            or na),
        "answers": _text("brief.answers", locale, n=fmt_number(len(brief.nps_answers), locale),
                         **{c: fmt_number(int((brief.nps_answers["category"] == c).sum()),
                                          locale)
                            for c in ("promoter", "passive", "detractor")})
        if len(brief.nps_answers) else _text("brief.no_answers", locale),
        "loops": _text("brief.loops", locale, closed=fmt_number(brief.loops["closed"], locale),
                       answers=fmt_number(brief.loops["answers"], locale),
                       sla=_fmt_pct(brief.loops["within_sla"], locale)),
        "agenda": "\n".join(f"{i}. {esc(item)}" for i, item in enumerate(brief.agenda, 1)),
        **{f"h.{h}": "## " + _text(f"brief.h.{h}", locale)
           for h in ("revenue", "nps", "usage", "agenda")},
        "no_answers": _text("brief.no_answers", locale),
        "no_verbatims": _text("brief.no_verbatims", locale),
    }
    words["holdings"] = f"{words['products']} {words['headroom']}"
    return words


#: Table columns of the brief (catalogue keys).
MRR_COLUMNS = {"month": "col.month", "mrr": "col.mrr", "change": "col.change",
               "movement": "col.movement"}
PRODUCT_COLUMNS = {"product": "col.product", "mrr": "col.mrr"}
NPS_COLUMNS = {"responded_at": "col.answered_at", "score": "col.score",
               "category": "col.category"}
VERBATIM_COLUMNS = {"responded_at": "col.answered_at", "score": "col.score",
                    "comment": "col.comment"}
USAGE_COLUMNS = {"feature": "col.feature", "account_users": "col.account_users",
                 "median_users": "col.median_users", "share": "col.segment_share"}


#: Print rules for the brief: one A4 page. A ``<style>`` output of the notebook, so it
#: applies to the briefs only; the screen view is the kit's.
PRINT_STYLE = """<style>
@media print {
  @page { size: A4; margin: 10mm 12mm; }
  body { font-size: 9.5pt; line-height: 1.3; }
  .cs-report h1 { font-size: 15pt; margin: 0 0 2pt; }
  .cs-report h2 { font-size: 11pt; margin: 7pt 0 2pt; padding-bottom: 1pt; }
  .cs-report p, .cs-report ol, .cs-report li { margin: 2pt 0; max-width: none; }
  .cs-report .cs-meta { margin: 0 0 3pt; }
  .cs-report table { font-size: 8.5pt; margin: 2pt 0; }
  .cs-report th, .cs-report td { padding: 0 4pt; }
  .cs-report .jp-Cell { margin: 0; }
  .cs-report .cs-provenance { margin-top: 8pt; font-size: 6.5pt; }
  .cs-report .cs-provenance code { font-size: 6.5pt; }
  .cs-report .cs-provenance h2 { font-size: 7pt; margin: 0; border: 0; }
  .cs-report .cs-provenance dl { display: block; }
  .cs-report .cs-provenance dt, .cs-report .cs-provenance dd { display: inline; margin: 0 2pt 0 0; }
  .cs-report .cs-provenance pre { display: none; }
}
</style>"""


def show_print_style() -> None:
    """Display :data:`PRINT_STYLE` (nothing visible on screen): the brief prints on one page."""
    from IPython.display import HTML, display

    display(HTML(PRINT_STYLE))


def show_table_or(data: pd.DataFrame, empty_text: str, *, locale: str = "en",
                  columns: Mapping | None = None, max_rows: int = 50) -> None:
    """:func:`cslib.report.show_table` of ``data``, or ``empty_text`` when it has no rows."""
    from .report import show_markdown, show_table

    if len(data):
        show_table(data, locale=locale, columns=columns, max_rows=max_rows)
    else:
        show_markdown(empty_text)


# --------------------------------------------------------------------------- the CSM index
def brief_index_rows(runs: list[Mapping], *, locale: str = "en") -> list[dict]:
    """The month overview's rows: the briefs of each notebook folded into one row.

    The row links to the notebook's index of briefs by CSM (``<notebook>/index.html``);
    briefs that did not succeed keep their own rows, so the overview lists them
    as failures.
    """
    from .pages import SUCCESS

    out, folded = [], {}
    for r in runs:
        if r.get("account_id") is None:
            out.append(dict(r))
            continue
        nb = r["notebook"]
        if nb not in folded:
            folded[nb] = {"notebook": nb, "title": r.get("title") or nb, "status": "ok",
                          "error": None, "html": f"{nb}/index.html", "ipynb": f"{nb}/index.html",
                          "headlines": [], "duration_s": 0.0, "n": 0,
                          "data_fingerprint": r.get("data_fingerprint")}
            out.append(folded[nb])
        row = folded[nb]
        row["n"] += 1
        row["duration_s"] = round(row["duration_s"] + float(r.get("duration_s") or 0), 2)
        if r.get("status") not in SUCCESS:
            out.append({**r, "segment": f"{r['segment']} · {r.get('account_name')}"})
    for row in folded.values():
        row["segment"] = _text("index.briefs_by_csm", locale, n=row.pop("n"))
    return out


def render_brief_index(month: str, runs: list[Mapping], *, context: Mapping | None = None,
                       locale: str = "en") -> str:
    """The index of a month's briefs, grouped by CSM (``accounts.csm``), names escaped."""
    from urllib.parse import quote

    from .pages import _css, _e, _status_label

    locale = locale if locale in ("en", "pt-BR") else "en"
    context = dict(context or {})
    title = runs[0].get("title", "") if runs else ""
    by_csm: dict[str, list[Mapping]] = {}
    for r in sorted(runs, key=lambda r: (r.get("csm") is None, r.get("csm") or "",
                                          str(r.get("account_name")), r["account_id"])):
        by_csm.setdefault(r.get("csm") or _text("index.no_csm", locale), []).append(r)
    head = f"{_e(title)} &middot; {_e(month)}"
    parts = ["<!DOCTYPE html>", f'<html lang="{_e(locale)}">', "<head>",
             '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{head}</title>", f"<style>\n{_css()}\n</style>", "</head>", "<body>",
             '<main class="cs-report">', '<header class="cs-header">', f"<h1>{head}</h1>",
             f'<p class="cs-meta"><span>{_e(_text("index.briefs_count", locale, n=len(runs)))}'
             f'</span><span>{_e(_text("index.data_as_of", locale))}: <strong>'
             f'{_e(str(context.get("data_date") or _text("n/a", locale)))}</strong></span>'
             f'<span><a href="../index.html">{_e(_text("index.back", locale))}</a></span></p>',
             "</header>"]
    for csm, rows in by_csm.items():
        parts.append(f"<section><h2>{_e(csm)} ({len(rows)})</h2>")
        parts.append('<div class="cs-table-wrap"><table><thead><tr>'
                     f'<th scope="col">{_e(_text("index.account", locale))}</th>'
                     f'<th scope="col">{_e(_text("col.account_id", locale))}</th>'
                     f'<th scope="col">{_e(_text("index.segment", locale))}</th>'
                     f'<th scope="col">{_e(_text("index.status", locale))}</th></tr></thead>'
                     "<tbody>")
        for r in rows:
            link = quote(r["html"].split("/", 1)[1] if "/" in r["html"] else r["html"])
            parts.append(f'<tr><th scope="row"><a href="{_e(link)}">'
                         f'{_e(r.get("account_name") or r["account_id"])}</a></th>'
                         f'<td>{_e(r["account_id"])}</td><td>{_e(r["segment"])}</td>'
                         f'<td>{_e(_status_label(r.get("status", "ok"), locale))}</td></tr>')
        parts.append("</tbody></table></div></section>")
    parts += ["</main>", "</body>", "</html>", ""]
    return "\n".join(parts)
