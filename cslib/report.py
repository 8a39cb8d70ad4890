"""What leadership reads: formatted numbers, plain sentences, tables and caveats.

Notebooks compute with the metric modules and hand the results to this
module, which turns them into text and HTML in English or Brazilian
Portuguese:

- formatting (:func:`fmt_number`, :func:`fmt_pct`, :func:`fmt_money`,
  :func:`fmt_nps`, :func:`fmt_ci`, :func:`fmt_p`), with babel;
- sentences that state a number with its uncertainty
  (:func:`nps_summary_sentence`, :func:`bridge_summary`...), as Markdown;
- display helpers for notebooks (:func:`show_markdown`, :func:`show_table`,
  :func:`show_verbatims`, :func:`callout`, :func:`capture_warnings`), each
  built on a pure ``*_html`` function that tests can call.

Everything that comes from the data (segment names, comments, column
values) goes through :func:`_escape` before it reaches HTML or Markdown, so a
comment reading ``<script>`` shows as text.

The locale last passed to :func:`check_locale` (which
:func:`cslib.context.open_report` calls first) is the default of every
function called without one.
"""

from __future__ import annotations

import html
import math
import re
import warnings
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from .exceptions import ParamsError

__all__ = [
    "LOCALES", "check_locale", "t",
    "fmt_number", "fmt_pct", "fmt_money", "fmt_money_short", "fmt_nps", "fmt_ci", "fmt_p",
    "nps_summary_sentence", "bridge_summary", "odds_ratio_sentence", "logrank_sentence",
    "correlation_sentence", "survey_sentence", "review_summary_sentence",
    "attempt", "column_label", "FIRST_COLUMN", "GROUP_NPS_COLUMNS", "SLA_COLUMNS", "BRIDGE_COLUMNS", "BRIDGE_COLUMNS_BY",
    "VIEW_COLUMNS", "DECOMPOSITION_COLUMNS", "MOVER_COLUMNS",
    "table_html", "show_table", "show_markdown", "callout_html", "callout",
    "verbatims_html", "show_verbatims", "capture_warnings", "WarningNotes",
]

#: Report languages.
LOCALES = ("en", "pt-BR")
_BABEL = {"en": "en_US", "pt-BR": "pt_BR"}
_CURRENCY = {"en": "USD", "pt-BR": "BRL"}
_state = {"locale": "en"}

# --------------------------------------------------------------------------- text catalogue
#: key -> (English, Portuguese). Keys starting with "col." are table headers.
_TEXT: dict[str, tuple[str, str]] = {
    # context.py
    "no_accounts": ("Segment {segment} has no accounts: there is nothing to report.",
                    "O segmento {segment} não tem contas: não há o que relatar."),
    "no_data": ("No account in {segment} paid in {month}: there is nothing to report.",
                "Nenhuma conta de {segment} pagou em {month}: não há o que relatar."),
    # general
    "not_estimated": ("Not estimated for this segment and month: {reason}",
                      "Não estimado para este segmento e mês: {reason}"),
    "n/a": ("n/a", "n/d"),
    "yes": ("yes", "sim"),
    "no": ("no", "não"),
    "ci": ("{level} CI {low} to {high}", "IC {level} {low} a {high}"),
    "ci_na": ("{level} CI {na}", "IC {level} {na}"),
    "range": ("{low} to {high}", "{low} a {high}"),
    "significant": ("significant at 5%", "significativo a 5%"),
    "not significant": ("not significant at 5%", "não significativo a 5%"),
    "previous_window": ("the previous {days} days", "nos {days} dias anteriores"),
    "rows_shown": ("Showing {shown} of {total} rows.", "Mostrando {shown} de {total} linhas."),
    "no_rows": ("No rows.", "Nenhuma linha."),
    "no_caveats": ("No caveats: every estimate rests on enough data.",
                   "Sem ressalvas: todas as estimativas têm dados suficientes."),
    "no_comments": ("No comments in the window.", "Nenhum comentário no período."),
    "score": ("score {score}", "nota {score}"),
    # NPS sentence
    "nps_none": ("No NPS answers in the window.", "Nenhuma resposta de NPS no período."),
    "nps_head": ("NPS {nps} ({ci}, {n} answers)", "NPS {nps} ({ci}, {n} respostas)"),
    "nps_no_previous": ("; no answers in {period} to compare with.",
                        "; sem respostas {period} para comparar."),
    "nps_above": (", {d} points above {period} ({ci}); {sig}.",
                  ", {d} pontos acima do NPS {period} ({ci}); {sig}."),
    "nps_below": (", {d} points below {period} ({ci}); {sig}.",
                  ", {d} pontos abaixo do NPS {period} ({ci}); {sig}."),
    "nps_same": (", the same as {period} ({ci}); {sig}.",
                 ", igual ao NPS {period} ({ci}); {sig}."),
    "nps_small": (" Fewer answers than the minimum in a window: read the intervals, "
                  "not the point values.",
                  " Menos respostas que o mínimo em uma janela: leia os intervalos, "
                  "não os valores pontuais."),
    # revenue
    "bridge_none": ("No revenue bridge for the month.", "Sem ponte de receita para o mês."),
    "bridge_month": ("In {period}, NRR was **{nrr}** and GRR {grr}; net revenue churn "
                     "{nrc} and logo churn {logo} ({lost} of {accounts} paying accounts "
                     "lost).",
                     "Em {period}, o NRR foi **{nrr}** e o GRR {grr}; churn líquido de "
                     "receita {nrc} e churn de logos {logo} ({lost} de {accounts} contas "
                     "pagantes perdidas)."),
    "bridge_mrr": (" MRR went from {start} to {end} (new business {new}, reactivations "
                   "{react}, which are not part of NRR or GRR).",
                   " O MRR foi de {start} para {end} (novos negócios {new}, reativações "
                   "{react}, que não entram no NRR nem no GRR)."),
    "bridge_change_up": (" NRR was {d} points above the previous month ({prev}).",
                         " O NRR ficou {d} pontos acima do mês anterior ({prev})."),
    "bridge_change_down": (" NRR was {d} points below the previous month ({prev}).",
                           " O NRR ficou {d} pontos abaixo do mês anterior ({prev})."),
    "bridge_change_same": (" NRR was the same as the previous month ({prev}).",
                           " O NRR ficou igual ao do mês anterior ({prev})."),
    "bridge_trailing": (" Over the {months} months from {start} to {end}, NRR was {nrr} "
                        "and GRR {grr}.",
                        " Nos {months} meses de {start} a {end}, o NRR foi {nrr} "
                        "e o GRR {grr}."),
    # adoption
    "odds": ("Accounts using at least {k} of the {m} key features had **{or_} times the odds** "
             "of churning the next month ({ci}; {p}), holding the model's other variables "
             "fixed, over {n} account-months with {events} churns.",
             "Contas que usam pelo menos {k} dos {m} recursos-chave tiveram **{or_} vezes a "
             "chance** de churn no mês seguinte ({ci}; {p}), mantidas fixas as demais "
             "variáveis do modelo, em {n} contas-mês com {events} churns."),
    "odds_crosses": (" The interval includes 1, so the data are also compatible with no "
                     "association.",
                     " O intervalo inclui 1: os dados também são compatíveis com nenhuma "
                     "associação."),
    "odds_auc": (" The model's AUC is {auc}.", " A AUC do modelo é {auc}."),
    "association": (" This is an association, not proof of cause.",
                    " É uma associação, não prova de causa."),
    "odds_none": ("The model could not estimate an odds ratio for key-feature adoption.",
                  "O modelo não conseguiu estimar a razão de chances da adoção dos "
                  "recursos-chave."),
    # survival
    "logrank_one": ("Only one group: there is nothing to compare.",
                    "Só um grupo: não há o que comparar."),
    "logrank_nan": ("No churn events: the curves cannot be compared.",
                    "Sem eventos de churn: as curvas não podem ser comparadas."),
    "logrank_differ": ("The survival curves of the {k} groups differ by more than chance "
                       "would readily explain (log-rank chi² = {stat}, df = {df}, {p}).",
                       "As curvas de sobrevivência dos {k} grupos diferem mais do que o "
                       "acaso explicaria (log-rank qui² = {stat}, gl = {df}, {p})."),
    "logrank_same": ("The survival curves of the {k} groups do not differ by more than "
                     "chance would explain (log-rank chi² = {stat}, df = {df}, {p}).",
                     "As curvas de sobrevivência dos {k} grupos não diferem mais do que o "
                     "acaso explicaria (log-rank qui² = {stat}, gl = {df}, {p})."),
    # loops
    "corr_few": ("Too few weeks with answers ({n}) to relate weekly NPS and loop closure.",
                 "Poucas semanas com respostas ({n}) para relacionar o NPS semanal e o "
                 "fechamento de loops."),
    "corr_together": ("Weekly NPS and the share of loops closed within the SLA moved "
                      "together (Pearson r = {r} over {n} weeks, {p}).",
                      "O NPS semanal e a parcela de loops fechados no SLA andaram juntos "
                      "(r de Pearson = {r} em {n} semanas, {p})."),
    "corr_opposite": ("Weekly NPS and the share of loops closed within the SLA moved in "
                      "opposite directions (Pearson r = {r} over {n} weeks, {p}).",
                      "O NPS semanal e a parcela de loops fechados no SLA andaram em "
                      "direções opostas (r de Pearson = {r} em {n} semanas, {p})."),
    "corr_none": ("Weekly NPS and the share of loops closed within the SLA show no clear "
                  "relationship (Pearson r = {r} over {n} weeks, {p}).",
                  "O NPS semanal e a parcela de loops fechados no SLA não mostram relação "
                  "clara (r de Pearson = {r} em {n} semanas, {p})."),
    "correlation": (" A correlation is not proof that one drives the other.",
                    " Correlação não prova que um cause o outro."),
    # survey
    "survey_none": ("No invitations were sent in the window.",
                    "Nenhum convite foi enviado no período."),
    "survey": ("{sent} invitations in {waves} waves; {responded} answered within 30 days, a "
               "response rate of **{rate}** ({ci}).",
               "{sent} convites em {waves} ondas; {responded} respondidos em até 30 dias, "
               "taxa de resposta de **{rate}** ({ci})."),
    "survey_mix": (" The largest gap between a wave's user-type mix and the whole base is "
                   "{gap} points.",
                   " A maior diferença entre o mix de tipos de usuário de uma onda e a base "
                   "toda é de {gap} pontos."),
    # review
    "review": ("Of {total} paying accounts, **{risk}** ({risk_pct}) look like churn risks and "
               "{attention} ({attention_pct}) need more meetings; {expand} ({expand_pct}) "
               "have room to expand.",
               "Das {total} contas pagantes, **{risk}** ({risk_pct}) parecem risco de churn e "
               "{attention} ({attention_pct}) precisam de mais reuniões; {expand} "
               "({expand_pct}) têm espaço para expandir."),
    "review_ltv": (" LTV/CAC: {items}.", " LTV/CAC: {items}."),
    "review_fcr": (" First-contact resolution is {rate} ({ci}, {n} resolved tickets).",
                   " A resolução no primeiro contato é de {rate} ({ci}, {n} tickets "
                   "resolvidos)."),
    "in": ("{value} in {group}", "{value} em {group}"),
    # plots
    "axis.nps": ("NPS", "NPS"),
    "axis.share": ("Share", "Parcela"),
    "axis.survival": ("Share still paying", "Parcela ainda pagante"),
    "axis.months": ("Months since first payment", "Meses desde o primeiro pagamento"),
    "axis.loops": ("Loops closed in SLA", "Loops fechados no SLA"),
    "axis.answers": ("answers", "respostas"),
    "axis.small": ("small sample", "amostra pequena"),
    "ci_band": ("95% CI", "IC 95%"),
    # table headers
    "col.ci": ("95% CI", "IC 95%"),
    "col.n": ("Answers", "Respostas"),
    "col.answers": ("Answers", "Respostas"),
    "col.nps": ("NPS", "NPS"),
    "col.ci_low": ("95% CI low", "IC 95% inferior"),
    "col.ci_high": ("95% CI high", "IC 95% superior"),
    "col.rest_n": ("Answers (rest)", "Respostas (demais)"),
    "col.rest_nps": ("NPS (rest)", "NPS (demais)"),
    "col.difference": ("Difference", "Diferença"),
    "col.p_value": ("p-value", "valor-p"),
    "col.significant": ("Significant", "Significativo"),
    "col.small_sample": ("Small sample", "Amostra pequena"),
    "col.user_type": ("User type", "Tipo de usuário"),
    "col.segment": ("Segment", "Segmento"),
    "col.plan": ("Plan", "Plano"),
    "col.region": ("Region", "Região"),
    "col.feature": ("Feature", "Recurso"),
    "col.wave": ("Wave", "Onda"),
    "col.category": ("Category", "Categoria"),
    "col.done": ("Loops closed", "Loops fechados"),
    "col.within_sla": ("Closed within SLA", "Fechados no SLA"),
    "col.share_done": ("Share closed", "Parcela fechada"),
    "col.share_within_sla": ("Share within SLA", "Parcela no SLA"),
    "col.period": ("Period", "Período"),
    "col.start_mrr": ("Start MRR", "MRR inicial"),
    "col.new": ("New", "Novos"),
    "col.expansion": ("Expansion", "Expansão"),
    "col.contraction": ("Contraction", "Contração"),
    "col.churn": ("Churn", "Churn"),
    "col.reactivation": ("Reactivation", "Reativação"),
    "col.end_mrr": ("End MRR", "MRR final"),
    "col.grr": ("GRR", "GRR"),
    "col.nrr": ("NRR", "NRR"),
    "col.net_revenue_churn": ("Net revenue churn", "Churn líquido de receita"),
    "col.logo_churn": ("Logo churn", "Churn de logos"),
    "col.accounts_start": ("Paying accounts at start", "Contas pagantes no início"),
    "col.accounts_churned": ("Accounts lost", "Contas perdidas"),
    "col.view": ("View", "Visão"),
    "col.component": ("Component", "Componente"),
    "col.effect": ("Effect on NRR", "Efeito no NRR"),
    "col.base": ("From", "De"),
    "col.current": ("To", "Para"),
    "col.name": ("Account", "Conta"),
    "col.account_id": ("Account ID", "ID da conta"),
    "col.movement": ("Movement", "Movimento"),
    "col.previous_mrr": ("Previous MRR", "MRR anterior"),
    "col.mrr": ("MRR", "MRR"),
    "col.change": ("Change", "Variação"),
    "col.class": ("Class", "Classe"),
    "col.label": ("Review class", "Classe da revisão"),
    "col.accounts": ("Accounts", "Contas"),
    "col.share": ("Share", "Parcela"),
    "col.rule": ("Why", "Motivo"),
    "col.rate": ("Rate", "Taxa"),
    "col.response_rate": ("Response rate", "Taxa de resposta"),
    "col.sent": ("Sent", "Enviados"),
    "col.responded": ("Answered", "Respondidos"),
    "col.active_accounts": ("Active accounts", "Contas ativas"),
    "col.fcr": ("Resolved at first contact", "Resolvidos no primeiro contato"),
    "col.term": ("Term", "Termo"),
    "col.coef": ("Coefficient", "Coeficiente"),
    "col.se": ("Std. error", "Erro padrão"),
    "col.odds_ratio": ("Odds ratio", "Razão de chances"),
    "col.hazard_ratio": ("Hazard ratio", "Razão de riscos"),
    "col.arpa": ("ARPA", "ARPA"),
    "col.churn_rate": ("Monthly churn", "Churn mensal"),
    "col.ltv": ("LTV", "LTV"),
    "col.avg_cac": ("Mean CAC", "CAC médio"),
    "col.ltv_cac": ("LTV/CAC", "LTV/CAC"),
}


def check_locale(locale: str) -> str:
    """Check a report locale and make it the default for calls without one.

    Parameters
    ----------
    locale : str
        One of :data:`LOCALES`.

    Returns
    -------
    str
        ``locale``.

    Raises
    ------
    ParamsError
        The locale is not one of :data:`LOCALES`.

    Examples
    --------
    >>> check_locale("pt-BR")
    'pt-BR'
    """
    if locale not in LOCALES:
        valid = ", ".join(repr(v) for v in LOCALES)
        raise ParamsError(f"locale={locale!r} is not supported; use one of {valid}.")
    _state["locale"] = locale
    return locale


def _loc(locale: str | None) -> str:
    if locale is None:
        return _state["locale"]
    if locale not in LOCALES:
        check_locale(locale)  # raises
    return locale


def t(key: str, locale: str | None = None, **fields) -> str:
    """The report's fixed text ``key`` in ``locale``, with ``fields`` filled in.

    Fields are inserted as given: escape data-derived ones first.

    Raises
    ------
    KeyError
        ``key`` is not in the catalogue.

    Examples
    --------
    >>> t("previous_window", "en", days=90)
    'the previous 90 days'
    >>> t("previous_window", "pt-BR", days=90)
    'nos 90 dias anteriores'
    """
    try:
        pair = _TEXT[key]
    except KeyError:
        raise KeyError(f"report.t: unknown text key {key!r}; add it to report._TEXT "
                       "in both languages.") from None
    text = pair[LOCALES.index(_loc(locale))]
    return text.format(**fields) if fields else text


# --------------------------------------------------------------------------- escaping
_MD_SPECIAL = re.compile(r"([\\`*_\[\]$|~#])")


def _escape(value, *, markdown: bool = False) -> str:
    """``value`` as text safe inside HTML (and, with ``markdown``, inside Markdown).

    Markdown specials are backslash-escaped first (``$`` too: notebooks read
    ``$...$`` as maths), then ``&``, ``<``, ``>`` and quotes become entities.
    """
    text = "" if value is None else str(value)
    if markdown:
        text = _MD_SPECIAL.sub(r"\\\1", " ".join(text.splitlines()))
    return html.escape(text, quote=True)


# --------------------------------------------------------------------------- numbers
def _missing(x) -> bool:
    try:
        return x is None or bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def _decimal(x: float, locale: str, digits: int, suffix: str = "") -> str:
    from babel.numbers import format_decimal, format_percent

    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    x = float(x)
    if round(100 * x if suffix else x, digits) == 0:
        x = 0.0  # no "-0"
    if suffix == "%":
        return format_percent(x, pattern + "%", locale=_BABEL[locale])
    return format_decimal(x, pattern, locale=_BABEL[locale])


def _special(x, locale: str) -> str | None:
    if _missing(x):
        return t("n/a", locale)
    if isinstance(x, (bool, np.bool_)):
        return t("yes" if x else "no", locale)
    if math.isinf(float(x)):
        return "∞" if x > 0 else "-∞"
    return None


def fmt_number(x, locale: str | None = None, digits: int = 0) -> str:
    """A number with the locale's separators (``"1,234.5"`` / ``"1.234,5"``).

    Examples
    --------
    >>> fmt_number(1234.5, "en", 1), fmt_number(1234.5, "pt-BR", 1)
    ('1,234.5', '1.234,5')
    """
    locale = _loc(locale)
    return _special(x, locale) or _decimal(x, locale, digits)


def fmt_pct(x, locale: str | None = None, digits: int = 1) -> str:
    """A fraction as a percentage (``0.123`` -> ``"12.3%"`` / ``"12,3%"``).

    Examples
    --------
    >>> fmt_pct(0.123, "en"), fmt_pct(0.123, "pt-BR")
    ('12.3%', '12,3%')
    """
    locale = _loc(locale)
    return _special(x, locale) or _decimal(x, locale, digits, "%")


def fmt_money(x, locale: str | None = None, digits: int = 2) -> str:
    """An amount in the locale's currency: US$ for "en", R$ for "pt-BR".

    The space after ``R$`` is a normal space (babel gives a no-break space),
    so the text reads and searches as ``"R$ 1.234,56"``.

    Examples
    --------
    >>> fmt_money(1234.56, "en"), fmt_money(1234.56, "pt-BR")
    ('$1,234.56', 'R$ 1.234,56')
    """
    from babel.numbers import format_currency

    locale = _loc(locale)
    special = _special(x, locale)
    if special:
        return special
    pattern = "¤#,##0" + ("." + "0" * digits if digits > 0 else "")
    if locale == "pt-BR":
        pattern = "¤ #,##0" + ("." + "0" * digits if digits > 0 else "")
    x = float(x)
    if round(x, digits) == 0:
        x = 0.0
    text = format_currency(x, _CURRENCY[locale], pattern, locale=_BABEL[locale],
                           currency_digits=False)
    return text.replace("\xa0", " ").replace("\u202f", " ")


def fmt_money_short(x, locale: str | None = None, *, symbol: bool = True) -> str:
    """A compact amount for chart labels (``"$821.2K"`` / ``"R$ 821,2 mil"``).

    ``symbol=False`` leaves the currency out (``"821,2 mil"``).

    Examples
    --------
    >>> fmt_money_short(821217, "en"), fmt_money_short(3636.48, "pt-BR")
    ('$821.2K', 'R$ 3,6 mil')
    >>> fmt_money_short(3636.48, "pt-BR", symbol=False)
    '3,6 mil'
    """
    from babel.numbers import format_compact_currency, format_compact_decimal

    locale = _loc(locale)
    special = _special(x, locale)
    if special:
        return special
    if symbol:
        text = format_compact_currency(float(x), _CURRENCY[locale], locale=_BABEL[locale],
                                       fraction_digits=1)
    else:
        text = format_compact_decimal(float(x), locale=_BABEL[locale], fraction_digits=1)
    return text.replace("\xa0", " ").replace("\u202f", " ")


def fmt_nps(x, locale: str | None = None) -> str:
    """An NPS (-100..100) as an integer, with a minus sign when negative.

    Examples
    --------
    >>> fmt_nps(41.6), fmt_nps(-7.2)
    ('42', '-7')
    """
    return fmt_number(x, locale, 0)


def fmt_ratio(x, locale: str | None = None, digits: int = 2) -> str:
    """A ratio (odds ratio, LTV/CAC) with ``digits`` decimals."""
    return fmt_number(x, locale, digits)


def fmt_p(p, locale: str | None = None) -> str:
    """A p-value with 3 decimals, ``"<0.001"`` below that.

    Examples
    --------
    >>> fmt_p(0.0213, "en"), fmt_p(0.00001, "pt-BR")
    ('0.021', '<0,001')
    """
    locale = _loc(locale)
    if not _missing(p) and float(p) < 0.001:
        return "<" + _decimal(0.001, locale, 3)
    return fmt_number(p, locale, 3)


def _p_text(p, locale: str) -> str:
    text = fmt_p(p, locale)
    return f"p {text[0]} {text[1:]}" if text.startswith("<") else f"p = {text}"


_KINDS: dict[str, Callable] = {
    "number": fmt_number, "pct": fmt_pct, "money": fmt_money,
    "nps": lambda x, locale, digits=None: fmt_nps(x, locale),
    "ratio": fmt_ratio, "p": lambda x, locale, digits=None: fmt_p(x, locale),
}


def _fmt(x, kind: str, locale: str, digits: int | None = None) -> str:
    try:
        func = _KINDS[kind]
    except KeyError:
        raise ParamsError(f"unknown number format {kind!r}; use one of {sorted(_KINDS)}.") \
            from None
    return func(x, locale) if digits is None else func(x, locale, digits)


def fmt_ci(low, high, locale: str | None = None, kind: str = "number", *,
           digits: int | None = None, level: float = 0.95) -> str:
    """A confidence interval: ``"95% CI 35 to 49"`` / ``"IC 95% 35 a 49"``.

    Parameters
    ----------
    low, high : float
        The bounds.
    locale : str
    kind : {"number", "pct", "nps", "money", "ratio"}
        How to format the bounds.
    digits : int, optional
        Decimals (default: the kind's default).
    level : float
        Confidence level, for the label.

    Examples
    --------
    >>> fmt_ci(35.2, 48.9, "en", kind="nps")
    '95% CI 35 to 49'
    >>> fmt_ci(0.1, 0.2, "pt-BR", kind="pct")
    'IC 95% 10,0% a 20,0%'
    """
    locale = _loc(locale)
    label = _decimal(level, locale, 0, "%")
    if _missing(low) and _missing(high):
        return t("ci_na", locale, level=label, na=t("n/a", locale))
    return t("ci", locale, level=label, low=_fmt(low, kind, locale, digits),
             high=_fmt(high, kind, locale, digits))


def _range(low, high, locale: str, kind: str) -> str:
    if _missing(low) and _missing(high):
        return t("n/a", locale)
    return t("range", locale, low=_fmt(low, kind, locale), high=_fmt(high, kind, locale))


# --------------------------------------------------------------------------- sentences
def _get(row, key, default=np.nan):
    if row is None:
        return default
    try:
        value = row[key]
    except (KeyError, IndexError, TypeError):
        return default
    return default if value is None else value


def _md_money(x, locale: str, digits: int = 0) -> str:
    return _escape(fmt_money(x, locale, digits), markdown=True)


def nps_summary_sentence(current: Mapping, previous: Mapping | None, comparison: Mapping | None,
                         *, locale: str | None = None, period: str = "") -> str:
    """The headline NPS with its interval and the change from the previous window.

    Parameters
    ----------
    current, previous : dict-like
        :func:`cslib.nps.nps_table` rows (``n``, ``nps``, ``ci_low``,
        ``ci_high``, ``small_sample``); ``previous`` may be None.
    comparison : dict-like
        ``difference``, ``ci_low``, ``ci_high``, ``p_value``, ``significant``.
    locale : str
    period : str
        The previous window in words (``t("previous_window", locale, days=90)``).

    Returns
    -------
    str
        Markdown.

    Examples
    --------
    >>> nps_summary_sentence(
    ...     {"n": 312, "nps": 42.3, "ci_low": 35.1, "ci_high": 49.4, "small_sample": False},
    ...     {"n": 290, "nps": 34.0, "ci_low": 26.0, "ci_high": 42.0, "small_sample": False},
    ...     {"difference": 8.3, "ci_low": 2.0, "ci_high": 14.6, "p_value": 0.01,
    ...      "significant": True}, locale="en", period="the previous 90 days")
    'NPS **42** (95% CI 35 to 49, 312 answers), 8 points above the previous 90 days (95% CI 2 to 15); significant at 5%.'
    """
    locale = _loc(locale)
    n = _get(current, "n", 0)
    if _missing(n) or n == 0 or _missing(_get(current, "nps")):
        return t("nps_none", locale)
    ci = fmt_ci(_get(current, "ci_low"), _get(current, "ci_high"), locale, kind="nps")
    text = t("nps_head", locale, nps=f"**{fmt_nps(current['nps'], locale)}**", ci=ci,
             n=fmt_number(n, locale))
    period = _escape(period, markdown=True)
    small = t("nps_small", locale) if (bool(_get(current, "small_sample", False))
                                       or bool(_get(previous, "small_sample", False))) else ""
    prev_n = _get(previous, "n", 0)
    diff = _get(comparison, "difference")
    if _missing(prev_n) or prev_n == 0 or _missing(diff):
        return text + t("nps_no_previous", locale, period=period) + small
    sig = t("significant" if bool(_get(comparison, "significant", False))
            else "not significant", locale)
    if not bool(_get(comparison, "significant", False)) and not _missing(
            _get(comparison, "p_value")):
        sig += f" ({_p_text(comparison['p_value'], locale)})"
    d_ci = fmt_ci(_get(comparison, "ci_low"), _get(comparison, "ci_high"), locale, kind="nps")
    rounded = round(float(diff))
    key = "nps_same" if rounded == 0 else "nps_above" if rounded > 0 else "nps_below"
    text += t(key, locale, d=fmt_nps(abs(diff), locale), period=period, ci=d_ci, sig=sig)
    return text + small


def _month_words(period: str, locale: str) -> str:
    from .periods import month_label

    try:
        return month_label(str(period), locale)
    except (ValueError, TypeError, ParamsError):
        return str(period)


def bridge_summary(month_row, previous_row, trailing, *, locale: str | None = None) -> str:
    """The month's NRR, GRR, net revenue churn and logo churn, with MRR and trend.

    Parameters
    ----------
    month_row, previous_row : pandas.Series or dict
        :func:`cslib.revenue.bridge_row` of the month and of the month before
        (either may be None).
    trailing : pandas.Series or dict or None
        :func:`cslib.revenue.trailing_bridge` (``period`` like
        ``"2025-11 to 2026-10"``).

    Returns
    -------
    str
        Markdown.

    Examples
    --------
    >>> row = {"period": "2026-10", "start_mrr": 700000.0, "new": 10000.0,
    ...        "expansion": 40000.0, "contraction": -5000.0, "churn": -80000.0,
    ...        "reactivation": 0.0, "end_mrr": 665000.0, "grr": 0.8786, "nrr": 0.9357,
    ...        "net_revenue_churn": 0.0643, "logo_churn": 0.02, "accounts_start": 150,
    ...        "accounts_churned": 3}
    >>> bridge_summary(row, None, None, locale="en")[:60]
    'In October 2026, NRR was **93.6%** and GRR 87.9%; net revenu'
    """
    locale = _loc(locale)
    if month_row is None:
        return t("bridge_none", locale)
    period = _escape(_month_words(_get(month_row, "period", ""), locale), markdown=True)
    text = t("bridge_month", locale, period=period, nrr=fmt_pct(_get(month_row, "nrr"), locale),
             grr=fmt_pct(_get(month_row, "grr"), locale),
             nrc=fmt_pct(_get(month_row, "net_revenue_churn"), locale),
             logo=fmt_pct(_get(month_row, "logo_churn"), locale),
             lost=fmt_number(_get(month_row, "accounts_churned"), locale),
             accounts=fmt_number(_get(month_row, "accounts_start"), locale))
    text += t("bridge_mrr", locale, start=_md_money(_get(month_row, "start_mrr"), locale),
              end=_md_money(_get(month_row, "end_mrr"), locale),
              new=_md_money(_get(month_row, "new"), locale),
              react=_md_money(_get(month_row, "reactivation"), locale))
    now, before = _get(month_row, "nrr"), _get(previous_row, "nrr")
    if not _missing(now) and not _missing(before):
        d = round(100 * (float(now) - float(before)), 1)
        key = ("bridge_change_same" if d == 0 else
               "bridge_change_up" if d > 0 else "bridge_change_down")
        text += t(key, locale, d=fmt_number(abs(d), locale, 1), prev=fmt_pct(before, locale))
    if trailing is not None and not _missing(_get(trailing, "nrr")):
        label = str(_get(trailing, "period", ""))
        parts = label.split(" to ")
        try:
            start, end = (pd.Period(p, freq="M") for p in parts)
            months = (end - start).n + 1
            start_w, end_w = _month_words(str(start), locale), _month_words(str(end), locale)
        except (ValueError, TypeError):
            months, start_w, end_w = "", label, label
        text += t("bridge_trailing", locale, months=months,
                  start=_escape(start_w, markdown=True), end=_escape(end_w, markdown=True),
                  nrr=fmt_pct(trailing["nrr"], locale),
                  grr=fmt_pct(_get(trailing, "grr"), locale))
    return text


def odds_ratio_sentence(row, diagnostics: Mapping | None = None, *, locale: str | None = None,
                        min_features: int = 2, n_features: int | None = None) -> str:
    """The adoption odds ratio in words, with its interval and a causation caveat.

    Parameters
    ----------
    row : pandas.Series or dict
        The adoption term's row of a regression summary: ``odds_ratio``,
        ``ci_low``, ``ci_high``, ``p_value``.
    diagnostics : dict, optional
        ``n`` (account-months), ``events``, ``auc``.
    min_features : int
        The adoption threshold (at least this many key features).
    n_features : int, optional
        How many key features there are (default
        ``len(cslib.adoption.KEY_FEATURES)``).

    Returns
    -------
    str
        Markdown, ending with "This is an association, not proof of cause."
    """
    locale = _loc(locale)
    if n_features is None:
        try:
            from .adoption import KEY_FEATURES
            n_features = len(KEY_FEATURES)
        except ImportError:  # pragma: no cover
            n_features = 3
    odds = _get(row, "odds_ratio")
    if _missing(odds):
        return t("odds_none", locale) + t("association", locale)
    low, high = _get(row, "ci_low"), _get(row, "ci_high")
    text = t("odds", locale, k=min_features, m=n_features, or_=fmt_ratio(odds, locale),
             ci=fmt_ci(low, high, locale, kind="ratio"), p=_p_text(_get(row, "p_value"), locale),
             n=fmt_number(_get(diagnostics, "n"), locale),
             events=fmt_number(_get(diagnostics, "events"), locale))
    if not _missing(low) and not _missing(high) and float(low) <= 1 <= float(high):
        text += t("odds_crosses", locale)
    auc = _get(diagnostics, "auc")
    if not _missing(auc):
        text += t("odds_auc", locale, auc=fmt_ratio(auc, locale))
    return text + t("association", locale)


def logrank_sentence(logrank: Mapping | None, *, locale: str | None = None) -> str:
    """Whether survival curves differ, from a log-rank test result.

    Parameters
    ----------
    logrank : dict or None
        ``statistic``, ``df``, ``p_value``, ``groups``; None for one group.

    Returns
    -------
    str
        Markdown.

    Examples
    --------
    >>> logrank_sentence({"statistic": 9.21, "df": 2, "p_value": 0.01,
    ...                   "groups": ["0", "1", "2-3"]}, locale="en")[:52]
    'The survival curves of the 3 groups differ by more t'
    """
    locale = _loc(locale)
    if logrank is None:
        return t("logrank_one", locale)
    p = _get(logrank, "p_value")
    if _missing(p) or _missing(_get(logrank, "statistic")):
        return t("logrank_nan", locale)
    groups = _get(logrank, "groups", None)
    k = len(groups) if groups is not None else int(_get(logrank, "df", 0)) + 1
    key = "logrank_differ" if float(p) < 0.05 else "logrank_same"
    return t(key, locale, k=k, stat=fmt_number(logrank["statistic"], locale, 2),
             df=fmt_number(_get(logrank, "df"), locale), p=_p_text(p, locale))


def correlation_sentence(correlation: Mapping, *, locale: str | None = None) -> str:
    """Weekly NPS against loops closed in SLA, as a correlation (never a cause).

    Parameters
    ----------
    correlation : dict
        ``r``, ``n_weeks``, ``p_value``.

    Returns
    -------
    str
        Markdown.
    """
    locale = _loc(locale)
    r, n, p = (_get(correlation, k) for k in ("r", "n_weeks", "p_value"))
    if _missing(r) or _missing(p):
        return t("corr_few", locale, n=fmt_number(0 if _missing(n) else n, locale))
    key = ("corr_none" if float(p) >= 0.05 else
           "corr_together" if float(r) > 0 else "corr_opposite")
    return (t(key, locale, r=fmt_number(r, locale, 2), n=fmt_number(n, locale),
              p=_p_text(p, locale)) + t("correlation", locale))


def survey_sentence(overall: Mapping, *, locale: str | None = None) -> str:
    """Invitations, answers and the response rate with its interval.

    Parameters
    ----------
    overall : dict
        :attr:`cslib.survey.SurveyHealth.overall`: ``sent``, ``responded``,
        ``response_rate``, ``ci_low``, ``ci_high``, ``waves``, ``max_mix_gap``.

    Returns
    -------
    str
        Markdown.
    """
    locale = _loc(locale)
    sent = _get(overall, "sent", 0)
    if _missing(sent) or sent == 0:
        return t("survey_none", locale)
    text = t("survey", locale, sent=fmt_number(sent, locale),
             waves=fmt_number(_get(overall, "waves"), locale),
             responded=fmt_number(_get(overall, "responded"), locale),
             rate=fmt_pct(_get(overall, "response_rate"), locale),
             ci=fmt_ci(_get(overall, "ci_low"), _get(overall, "ci_high"), locale, kind="pct"))
    gap = _get(overall, "max_mix_gap")
    if not _missing(gap):
        text += t("survey_mix", locale, gap=fmt_number(100 * float(gap), locale, 1))
    return text


def review_summary_sentence(summary: pd.DataFrame, economics: pd.DataFrame | None,
                            fcr: pd.DataFrame | None, *, locale: str | None = None) -> str:
    """Accounts per review class, LTV/CAC per segment and first-contact resolution.

    Parameters
    ----------
    summary : DataFrame
        :func:`cslib.review.review_summary` (``class``, ``accounts``; any
        ``by`` columns are summed over).
    economics : DataFrame or None
        :func:`cslib.ltv.ltv_cac_table` (``segment``, ``ltv_cac``).
    fcr : DataFrame or None
        :func:`cslib.support.first_contact_resolution` without ``by``
        (``n``, ``rate``, ``ci_low``, ``ci_high``).

    Returns
    -------
    str
        Markdown.
    """
    locale = _loc(locale)
    counts = summary.groupby("class")["accounts"].sum()
    total = int(counts.sum())

    def part(cls: int) -> tuple[str, str]:
        k = int(counts.get(cls, 0))
        return fmt_number(k, locale), fmt_pct(k / total if total else np.nan, locale)

    (risk, risk_pct), (att, att_pct), (exp, exp_pct) = part(4), part(3), part(2)
    text = t("review", locale, total=fmt_number(total, locale), risk=risk, risk_pct=risk_pct,
             attention=att, attention_pct=att_pct, expand=exp, expand_pct=exp_pct)
    if economics is not None and len(economics) and "ltv_cac" in economics:
        group = "segment" if "segment" in economics else None
        items = []
        for _, r in economics.iterrows():
            value = fmt_ratio(r["ltv_cac"], locale, 1)
            items.append(t("in", locale, value=value, group=_escape(r[group], markdown=True))
                         if group else value)
        text += t("review_ltv", locale, items="; ".join(items))
    if fcr is not None and len(fcr) and "rate" in fcr:
        first = fcr.iloc[0]
        text += t("review_fcr", locale, rate=fmt_pct(first["rate"], locale),
                  ci=fmt_ci(_get(first, "ci_low"), _get(first, "ci_high"), locale, kind="pct"),
                  n=fmt_number(_get(first, "n"), locale))
    return text


# --------------------------------------------------------------------------- tables
#: Key of a ``columns`` dict standing for the frame's first column (a group column).
FIRST_COLUMN = "<first column>"


def _cols(*names: str) -> dict:
    return {name: f"col.{name}" for name in names}


#: :func:`cslib.nps.compare_groups` output, group column first.
GROUP_NPS_COLUMNS = {FIRST_COLUMN: None, "n": "col.answers", "nps": "col.nps",
                     ("ci_low", "ci_high"): "col.ci",
                     **_cols("rest_nps", "difference", "p_value", "significant",
                             "small_sample")}
#: :attr:`cslib.nps.LoopClosure.sla_summary`.
SLA_COLUMNS = _cols("category", "n", "done", "within_sla", "share_done", "share_within_sla")
_BRIDGE = ("start_mrr", "new", "expansion", "contraction", "churn", "reactivation", "end_mrr",
           "grr", "nrr", "net_revenue_churn", "logo_churn", "accounts_start", "accounts_churned")
#: A monthly revenue bridge (:func:`cslib.revenue.revenue_bridge`).
BRIDGE_COLUMNS = _cols("period", *_BRIDGE)
#: :func:`cslib.revenue.compare_views`.
VIEW_COLUMNS = _cols("view", *_BRIDGE)
#: :func:`cslib.revenue.nrr_change_decomposition`.
DECOMPOSITION_COLUMNS = _cols("component", "effect", "base", "current")
#: :func:`cslib.revenue.top_movers` on account-level movements.
MOVER_COLUMNS = _cols("name", "account_id", "segment", "plan", "movement", "previous_mrr",
                      "mrr", "change")


def BRIDGE_COLUMNS_BY(group: str) -> dict:  # noqa: N802 - reads like the constants
    """Bridge columns for a grouped bridge: ``group`` first, no ``period``."""
    return {group: f"col.{group}" if f"col.{group}" in _TEXT else None, **_cols(*_BRIDGE)}


_MONEY_NAMES = {"new", "expansion", "contraction", "churn", "reactivation", "change", "arpa",
                "ltv", "ltv_low", "ltv_high", "cac", "avg_cac", "money", "revenue"}
_RATIO_NAMES = {"odds_ratio", "hazard_ratio", "ltv_cac", "coef", "se", "z", "statistic", "r",
                "auc", "pseudo_r2"}
_PCT_NAMES = {"rate", "share", "grr", "nrr", "survival", "effect"}
_NPS_NAMES = {"nps", "rest_nps"}


def _column_kind(name: str, values: pd.Series, frame_columns: Sequence[str]) -> str:
    """How to format a column, from its name, its dtype and its neighbours."""
    col = str(name).lower()
    cols = {str(c).lower() for c in frame_columns}
    if pd.api.types.is_bool_dtype(values):
        return "bool"
    if pd.api.types.is_datetime64_any_dtype(values):
        return "date"
    if not pd.api.types.is_numeric_dtype(values):
        return "text"
    if col in _NPS_NAMES or (col == "difference" and "nps" in cols):
        return "nps"
    if col == "p_value":
        return "p"
    if col in _RATIO_NAMES or col.endswith("_ratio"):
        return "ratio"
    if not col.startswith("log_") and (col in _MONEY_NAMES or "mrr" in col):
        return "money"
    if pd.api.types.is_integer_dtype(values):
        return "int"
    if (col in _PCT_NAMES or col.startswith(("pct_", "share_")) or col.endswith("_rate")
            or "churn" in col):
        return "pct"
    if col in ("ci_low", "ci_high"):
        if "nps" in cols:
            return "nps"
        if cols & {"odds_ratio", "hazard_ratio"}:
            return "ratio"
        if cols & (_PCT_NAMES | {"response_rate"}) or any(c.startswith("share_") for c in cols):
            return "pct"
    if values.dropna().map(float).map(float.is_integer).all():
        return "int"
    return "float"


def _cell(x, kind: str | Callable, locale: str) -> str:
    if callable(kind):
        return "" if _missing(x) else str(kind(x, locale))
    if kind == "text":
        return t("n/a", locale) if _missing(x) else str(x)
    if _missing(x):
        return t("n/a", locale)
    if kind == "bool":
        return t("yes" if bool(x) else "no", locale)
    if kind == "date":
        ts = pd.Timestamp(x)
        return ts.strftime("%Y-%m-%d" if ts == ts.normalize() else "%Y-%m-%d %H:%M")
    if kind == "int":
        return fmt_number(x, locale, 0)
    if kind == "float":
        return fmt_number(x, locale, 2)
    return _fmt(x, kind, locale)


def _header(source, label, locale: str) -> str:
    if label is None:
        key = f"col.{source}"
        return t(key, locale) if key in _TEXT else str(source).replace("_", " ").capitalize()
    return t(label, locale) if label in _TEXT else str(label)


def column_label(name, locale: str | None = None) -> str:
    """The display name of a column (``"nrr"`` -> ``"NRR"``, ``"plan"`` -> ``"Plano"``)."""
    return _header(name, None, _loc(locale))


def table_html(data: pd.DataFrame, *, locale: str | None = None,
               columns: Mapping | Sequence | None = None, formats: Mapping | None = None,
               max_rows: int = 50) -> str:
    """An HTML table of ``data``: escaped, formatted for ``locale``, no index.

    Parameters
    ----------
    data : DataFrame
        Not modified.
    locale : str
    columns : dict or list, optional
        Which columns to show, in order. A dict maps a column to a header
        (a catalogue key such as ``"col.nps"``, a literal label, or None for
        the automatic header). A ``(low, high)`` tuple key shows one
        ``"35 to 49"`` interval column; :data:`FIRST_COLUMN` stands for the
        frame's first column. Columns absent from ``data`` are skipped.
    formats : dict, optional
        Column -> ``"number"``, ``"int"``, ``"pct"``, ``"money"``, ``"nps"``,
        ``"ratio"``, ``"p"``, ``"text"`` or a callable ``(value, locale) ->
        str``. Other columns are formatted by name and dtype (``nps``,
        ``rate``/``share``/``grr``/``nrr``/``*churn*`` as percentages,
        ``*mrr*``/``expansion``/``ltv``... as money, ``p_value`` with 3
        decimals, counts with thousands separators).
    max_rows : int
        Show at most this many rows, with a note saying how many there are.

    Returns
    -------
    str
        ``<div class="cs-table-wrap"><table class="cs-table">...</table></div>``.
    """
    locale = _loc(locale)
    formats = dict(formats or {})
    if columns is None:
        spec = {c: None for c in data.columns}
    elif isinstance(columns, Mapping):
        spec = dict(columns)
    else:
        spec = {c: None for c in columns}
    if FIRST_COLUMN in spec and len(data.columns):
        first = data.columns[0]
        spec = {(first if k == FIRST_COLUMN else k): v for k, v in spec.items()
                if k == FIRST_COLUMN or k != first}
    spec = {k: v for k, v in spec.items()
            if (all(c in data.columns for c in k) if isinstance(k, tuple) else k in data.columns)}

    def kind_of(col):
        return formats.get(col) or _column_kind(col, data[col], data.columns)

    heads = [_header(None, label or "col.ci", locale) if isinstance(source, tuple)
             else _header(source, label, locale) for source, label in spec.items()]
    body_cols = list(spec)
    shown = data.head(max_rows)
    out = ['<div class="cs-table-wrap"><table class="cs-table">', "<thead><tr>"]
    out += [f'<th scope="col">{_escape(h)}</th>' for h in heads]
    out.append("</tr></thead><tbody>")
    kinds = {c: (kind_of(c[0]) if isinstance(c, tuple) else kind_of(c)) for c in body_cols}
    for _, row in shown.iterrows():
        out.append("<tr>")
        for c in body_cols:
            kind = kinds[c]
            if isinstance(c, tuple):
                kind = kind if isinstance(kind, str) and kind in _KINDS else "number"
                text = _range(row[c[0]], row[c[1]], locale, kind)
            else:
                text = _cell(row[c], kind, locale)
            style = ' style="text-align:left"' if kind == "text" else ""
            out.append(f"<td{style}>{_escape(text)}</td>")
        out.append("</tr>")
    out.append("</tbody></table></div>")
    if len(data) == 0:
        out.append(f'<p class="cs-muted">{_escape(t("no_rows", locale))}</p>')
    elif len(data) > len(shown):
        note = t("rows_shown", locale, shown=fmt_number(len(shown), locale),
                 total=fmt_number(len(data), locale))
        out.append(f'<p class="cs-muted">{_escape(note)}</p>')
    return "".join(out)


def _display(obj) -> None:
    from IPython.display import display

    display(obj)


def show_table(data: pd.DataFrame, *, locale: str | None = None,
               columns: Mapping | Sequence | None = None, formats: Mapping | None = None,
               max_rows: int = 50) -> None:
    """Display :func:`table_html` in a notebook."""
    from IPython.display import HTML

    _display(HTML(table_html(data, locale=locale, columns=columns, formats=formats,
                             max_rows=max_rows)))


def show_markdown(text: str) -> None:
    """Display Markdown produced by the sentence functions (data already escaped)."""
    from IPython.display import Markdown

    _display(Markdown(text))


_CALLOUT_STYLE = {
    "info": "background:#eef6ff;border-color:#0b5cad",
    "warning": "background:#fff8c5;border-color:#9a6700",
    "danger": "background:#fef3f2;border-color:#b42318",
    "success": "background:#eefbf1;border-color:#1a7f37",
}


def callout_html(text: str, kind: str = "info") -> str:
    """A boxed note: ``<div class="cs-callout cs-callout-<kind>" ...>``, text escaped."""
    if kind not in _CALLOUT_STYLE:
        raise ParamsError(f"callout: kind={kind!r} is not one of {list(_CALLOUT_STYLE)}.")
    style = ("border-left:4px solid;border-radius:4px;padding:.6rem .9rem;margin:1rem 0;"
             + _CALLOUT_STYLE[kind])
    return (f'<div class="cs-callout cs-callout-{kind}" role="note" style="{style}">'
            f"{_escape(text)}</div>")


def callout(text: str, kind: str = "info"):
    """A boxed note as a displayable object: ``display(callout(...))`` or end a cell with it.

    Parameters
    ----------
    text : str
        Plain text (escaped).
    kind : {"info", "warning", "danger", "success"}

    Returns
    -------
    IPython.display.HTML
    """
    from IPython.display import HTML

    return HTML(callout_html(text, kind))


def attempt(func, *args, locale: str | None = None, **kwargs):
    """``func(*args, **kwargs)``, or None with a note on the page when the data cannot support it.

    A model that cannot be fitted on a small segment (a single outcome class,
    no events, a constant covariate) raises :class:`~cslib.exceptions.ModelError`;
    in a report that should read as a plain note, not stop the report. Other
    errors propagate.

    Examples
    --------
    >>> from cslib.exceptions import ModelError
    >>> def fit():
    ...     raise ModelError("no churn in the window")
    >>> attempt(fit) is None  # in a notebook: a "Not estimated ..." box
    <IPython.core.display.HTML object>
    True
    """
    from IPython.display import display

    from .exceptions import ModelError

    try:
        return func(*args, **kwargs)
    except ModelError as err:
        display(callout(t("not_estimated", locale, reason=str(err)), kind="warning"))
        return None


def _date_words(value, locale: str) -> str:
    from babel.dates import format_date

    if _missing(value):
        return t("n/a", locale)
    return format_date(pd.Timestamp(value).date(), "medium", locale=_BABEL[locale])


def verbatims_html(data: pd.DataFrame, *, locale: str | None = None,
                   comment: str = "comment", date: str = "responded_at",
                   score: str = "score") -> str:
    """Comments as an escaped quote list, each with its date, score and context."""
    locale = _loc(locale)
    rows = data.loc[data[comment].notna()] if comment in data else data.iloc[:0]
    if rows.empty:
        return f'<p class="cs-muted">{_escape(t("no_comments", locale))}</p>'
    extra = [c for c in ("user_type", "segment", "plan") if c in rows.columns]
    out = ['<ul class="cs-verbatims" style="list-style:none;padding-left:0">']
    for _, r in rows.iterrows():
        meta = [_date_words(r[date], locale) if date in rows else None,
                t("score", locale, score=fmt_number(r[score], locale)) if score in rows else None,
                *[r[c] for c in extra if not _missing(r[c])]]
        meta_text = " · ".join(str(m) for m in meta if m is not None)
        out.append('<li style="margin:.5rem 0"><blockquote style="margin:0;padding-left:.75rem;'
                   f'border-left:3px solid #d0d7de">{_escape(r[comment])}</blockquote>'
                   f'<span class="cs-muted">{_escape(meta_text)}</span></li>')
    out.append("</ul>")
    return "".join(out)


def show_verbatims(data: pd.DataFrame, *, locale: str | None = None, **kwargs) -> None:
    """Display :func:`verbatims_html`."""
    from IPython.display import HTML

    _display(HTML(verbatims_html(data, locale=locale, **kwargs)))


# --------------------------------------------------------------------------- caveats
class WarningNotes:
    """Collects the warnings raised inside ``with notes:`` blocks, for :meth:`show`.

    UserWarning and RuntimeWarning (SmallSampleWarning included) are kept and
    not printed; other warnings (deprecations...) are passed on as usual.
    The same object can be entered many times.

    Attributes
    ----------
    messages : list of str
        Distinct messages, in the order first seen.
    """

    _KEEP = (UserWarning, RuntimeWarning)

    def __init__(self, locale: str | None = None):
        self.locale = locale
        self.messages: list[str] = []
        self._stack: list = []

    def __enter__(self) -> WarningNotes:
        manager = warnings.catch_warnings(record=True)
        caught = manager.__enter__()
        warnings.simplefilter("always")
        self._stack.append((manager, caught))
        return self

    def __exit__(self, *exc) -> bool:
        manager, caught = self._stack.pop()
        manager.__exit__(*exc)
        for w in caught:
            if issubclass(w.category, self._KEEP):
                text = str(w.message)
                if text not in self.messages:
                    self.messages.append(text)
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        return False

    def html(self, locale: str | None = None) -> str:
        """The caveats as an escaped bullet list, or a "no caveats" line."""
        locale = _loc(locale or self.locale)
        if not self.messages:
            return f'<p class="cs-notes cs-muted">{_escape(t("no_caveats", locale))}</p>'
        items = "".join(f"<li>{_escape(m)}</li>" for m in self.messages)
        return f'<ul class="cs-notes">{items}</ul>'

    def show(self, locale: str | None = None) -> None:
        """Display :meth:`html`."""
        from IPython.display import HTML

        _display(HTML(self.html(locale)))


def capture_warnings(locale: str | None = None) -> WarningNotes:
    """A reusable ``with`` block that collects statistical caveats for the report.

    Examples
    --------
    >>> import warnings
    >>> notes = capture_warnings()
    >>> with notes:
    ...     warnings.warn("only 12 answers in SMB", RuntimeWarning)
    >>> notes.messages
    ['only 12 answers in SMB']
    """
    return WarningNotes(locale)
