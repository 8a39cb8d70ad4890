"""Tests for cslib.report: formatting, the text catalogue, sentences, escaping, caveats."""

from __future__ import annotations

import re
import string
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cslib import report
from cslib.exceptions import ParamsError, SmallSampleWarning

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(autouse=True)
def _default_locale():
    """Sentence functions default to the last checked locale: leave it as found."""
    before = report._state["locale"]
    yield
    report._state["locale"] = before


# --------------------------------------------------------------------------- formatting
def test_money_by_locale_keeps_the_symbol_with_its_number():
    # a no-break space: a line never ends with a lone "R$"
    assert report.fmt_money(1234.56, "pt-BR") == "R$\xa01.234,56"
    assert report.fmt_money(1234.56, "en") == "$1,234.56"
    assert report.fmt_money(1_000_000, "pt-BR", 0) == "R$\xa01.000.000"
    assert report.fmt_money(-5.5, "pt-BR") == "-R$\xa05,50"


def test_numbers_percentages_and_nps():
    assert report.fmt_number(1234.5, "en", 1) == "1,234.5"
    assert report.fmt_number(1234.5, "pt-BR", 1) == "1.234,5"
    assert report.fmt_number(1234, "pt-BR") == "1.234"
    assert report.fmt_pct(0.123, "en") == "12.3%"
    assert report.fmt_pct(0.123, "pt-BR") == "12,3%"
    assert report.fmt_pct(-0.0004, "en") == "0.0%"  # no "-0.0%"
    assert report.fmt_nps(41.6, "en") == "42"
    assert report.fmt_nps(-7.4, "en") == "-7"
    assert report.fmt_nps(-0.3, "en") == "0"
    assert report.fmt_p(0.0213, "en") == "0.021"
    assert report.fmt_p(0.00001, "pt-BR") == "<0,001"


def test_missing_values_read_n_a():
    for func in (report.fmt_number, report.fmt_pct, report.fmt_money, report.fmt_nps):
        assert func(np.nan, "en") == "n/a"
        assert func(pd.NA, "pt-BR") == "n/d"
        assert func(None, "en") == "n/a"
    assert report.fmt_money(float("inf"), "en") == "∞"


def test_confidence_intervals():
    assert report.fmt_ci(35.2, 48.9, "en", kind="nps") == "95% CI 35 to 49"
    assert report.fmt_ci(35.2, 48.9, "pt-BR", kind="nps") == "IC 95% 35 a 49"
    assert report.fmt_ci(0.1, 0.25, "en", kind="pct") == "95% CI 10.0% to 25.0%"
    assert report.fmt_ci(0.41, 0.66, "pt-BR", kind="ratio") == "IC 95% 0,41 a 0,66"
    assert report.fmt_ci(np.nan, np.nan, "en") == "95% CI n/a"
    with pytest.raises(ParamsError, match="unknown number format 'percent'"):
        report.fmt_ci(1, 2, "en", kind="percent")


@settings(max_examples=80, deadline=None)
@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_pt_br_numbers_are_english_ones_with_swapped_separators(x):
    en, pt = report.fmt_number(x, "en", 2), report.fmt_number(x, "pt-BR", 2)
    assert pt == en.translate(str.maketrans({",": ".", ".": ","}))
    assert float(en.replace(",", "")) == pytest.approx(x, abs=0.0051)


# --------------------------------------------------------------------------- text
def test_t_in_both_locales_and_unknown_key():
    assert report.t("previous_window", "en", days=90) == "the previous 90 days"
    assert report.t("previous_window", "pt-BR", days=90) == "nos 90 dias anteriores"
    assert report.t("significant", "pt-BR") == "significativo a 5%"
    assert report.t("not significant", "en") == "not significant at 5%"
    assert "Acme" in report.t("no_data", "en", segment="Acme", month="October 2026")
    with pytest.raises(KeyError, match="unknown text key 'nope'"):
        report.t("nope", "en")


def test_every_text_has_the_same_fields_in_both_languages():
    def fields(text):
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}

    for key, (en, pt) in report._TEXT.items():
        assert en and pt, key
        assert fields(en) == fields(pt), key


def test_check_locale_lists_the_valid_ones_and_sets_the_default():
    with pytest.raises(ParamsError, match=r"locale='fr' is not supported; use one of 'en', "
                                          r"'pt-BR'"):
        report.check_locale("fr")
    assert report.check_locale("pt-BR") == "pt-BR"
    assert report.fmt_pct(0.5) == "50,0%"  # no locale: the checked one
    report.check_locale("en")
    assert report.fmt_pct(0.5) == "50.0%"


# --------------------------------------------------------------------------- escaping
def test_markdown_escape_neutralises_html_and_markdown():
    text = report._escape("*a* [b](c) $x$ " + SCRIPT, markdown=True)
    assert "<" not in text and "&lt;script&gt;" in text
    assert r"\*a\*" in text and r"\[b\]" in text and r"\$x\$" in text


def test_escaped_markdown_renders_as_the_literal_text():
    from nbconvert.filters.markdown import markdown2html

    out = markdown2html("Segment " + report._escape("$x$ **y** " + SCRIPT, markdown=True))
    assert "$x$ **y** &lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "<script>" not in out and "<strong>" not in out


# --------------------------------------------------------------------------- tables
@pytest.fixture
def groups():
    return pd.DataFrame({
        "user_type": ["admin", SCRIPT], "n": [1200, 12], "nps": [42.3, -7.6],
        "ci_low": [30.1, -40.2], "ci_high": [55.0, 25.4], "rest_n": [12, 1200],
        "rest_nps": [-7.6, 42.3], "difference": [49.9, -49.9], "p_value": [0.0213, 0.5],
        "significant": [True, False], "small_sample": [False, True],
    })


def _cells(html):
    return re.findall(r"<t[dh](?: [^>]*)?>(.*?)</t[dh]>", html)


def test_table_escapes_cells_and_headers(groups):
    frame = groups.rename(columns={"n": "<b>n</b>"})
    html = report.table_html(frame, locale="en")
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;n&lt;/b&gt;" in html


def test_group_table_formats_by_locale(groups):
    before = groups.copy()
    html = report.table_html(groups, locale="pt-BR", columns=report.GROUP_NPS_COLUMNS)
    pd.testing.assert_frame_equal(groups, before)
    cells = _cells(html)
    heads, first_row = cells[:9], cells[9:18]
    assert heads == ["Tipo de usuário", "Respostas", "NPS", "IC 95%", "NPS (demais)",
                     "Diferença", "valor-p", "Significativo", "Amostra pequena"]
    # 1200 answers -> "1.200"; NPS 42.3 -> 42; CI 30.1..55.0 -> "30 a 55"; p 0.0213 -> 0,021
    assert first_row == ["admin", "1.200", "42", "30 a 55", "-8", "50", "0,021", "sim", "não"]
    assert html == report.table_html(groups, locale="pt-BR", columns=report.GROUP_NPS_COLUMNS)


def test_table_auto_formats_by_column_name():
    bridge = pd.DataFrame({"period": ["2026-10"], "start_mrr": [1234.56], "churn": [-80.0],
                           "grr": [0.8786], "logo_churn": [0.02], "accounts_churned": [3]})
    cells = _cells(report.table_html(bridge, locale="pt-BR", columns=report.BRIDGE_COLUMNS))
    assert cells == ["Período", "MRR inicial", "Churn", "GRR", "Churn de logos",
                     "Contas perdidas", "out/2026", "R$\xa01.234,56", "-R$\xa080,00", "87,9%", "2,0%",
                     "3"]
    rates = pd.DataFrame({"feature": ["api"], "rate": [0.25], "ci_low": [0.2], "ci_high": [0.3]})
    assert _cells(report.table_html(rates, locale="en"))[-3:] == ["25.0%", "20.0%", "30.0%"]
    odds = pd.DataFrame({"term": ["key_adopter"], "odds_ratio": [0.523], "ci_low": [0.41],
                         "ci_high": [0.66], "p_value": [0.0001]})
    assert _cells(report.table_html(odds, locale="en"))[-4:] == ["0.52", "0.41", "0.66",
                                                                 "<0.001".replace("<", "&lt;")]


def test_table_columns_formats_and_max_rows():
    frame = pd.DataFrame({"a": range(60), "b": np.arange(60) / 100, "c": ["x"] * 60})
    html = report.table_html(frame, locale="en", columns={"c": "Label", "b": None},
                             formats={"b": "pct"}, max_rows=5)
    cells = _cells(html)
    assert cells[:2] == ["Label", "B"]
    assert cells[2:4] == ["x", "0.0%"] and len(cells) == 2 + 5 * 2
    assert "Showing 5 of 60 rows." in html
    assert "No rows." in report.table_html(frame.iloc[:0], locale="en")


def test_bridge_columns_by_group():
    cols = report.BRIDGE_COLUMNS_BY("plan")
    assert list(cols)[0] == "plan" and "period" not in cols
    assert list(cols)[1:-1] == list(report.BRIDGE_COLUMNS)[1:]
    assert list(cols)[-1] == "small_sample"  # groups under the minimum size are flagged


def test_show_functions_display_the_builders_output(monkeypatch, groups):
    shown = []
    monkeypatch.setattr(report, "_display", shown.append)
    report.show_table(groups, locale="en")
    report.show_markdown("**x**")
    report.show_verbatims(pd.DataFrame({"responded_at": [pd.Timestamp("2026-10-03")],
                                        "score": [3], "comment": [SCRIPT]}), locale="en")
    assert shown[0].data == report.table_html(groups, locale="en")
    assert shown[1].data == "**x**"
    assert "&lt;script&gt;" in shown[2].data and "<script>" not in shown[2].data


def test_verbatims_are_escaped_with_date_and_score():
    quotes = pd.DataFrame({
        "responded_at": pd.to_datetime(["2026-10-30 14:02", "2026-10-03 00:00"]),
        "score": pd.array([3, 6], dtype="Int64"), "user_type": ["admin", "end user"],
        "comment": [SCRIPT, "Support & billing <slow>"]})
    html = report.verbatims_html(quotes, locale="en")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Support &amp; billing &lt;slow&gt;" in html
    assert "Oct 30, 2026" in html and "score 3" in html and "admin" in html
    assert "nota 6" in report.verbatims_html(quotes, locale="pt-BR")
    assert "No comments" in report.verbatims_html(quotes.iloc[:0], locale="en")


def test_callout_is_escaped_and_checks_its_kind():
    html = report.callout_html(SCRIPT, kind="warning")
    assert "cs-callout-warning" in html and "&lt;script&gt;" in html and "<script>" not in html
    assert report.callout("hi").data == report.callout_html("hi")
    with pytest.raises(ParamsError, match="kind='loud'"):
        report.callout_html("x", kind="loud")


# --------------------------------------------------------------------------- caveats
def test_capture_warnings_collects_dedupes_and_is_reusable():
    notes = report.capture_warnings()
    with warnings.catch_warnings(record=True) as outside:
        warnings.simplefilter("always")
        with notes:
            warnings.warn("only 12 answers in " + SCRIPT, SmallSampleWarning, stacklevel=1)
            warnings.warn("only 12 answers in " + SCRIPT, SmallSampleWarning, stacklevel=1)
        with notes:
            warnings.warn("did not converge", UserWarning, stacklevel=1)
            warnings.warn("only 12 answers in " + SCRIPT, SmallSampleWarning, stacklevel=1)
            warnings.warn("old API", DeprecationWarning, stacklevel=1)
    assert notes.messages == ["only 12 answers in " + SCRIPT, "did not converge"]
    # only the deprecation got through
    assert [w.category for w in outside] == [DeprecationWarning]
    html = notes.html("en")
    assert html.count("<li>") == 2 and "&lt;script&gt;" in html and "<script>" not in html


def test_no_caveats_line():
    assert "No caveats" in report.capture_warnings().html("en")
    assert "Sem ressalvas" in report.capture_warnings(locale="pt-BR").html()


# --------------------------------------------------------------------------- sentences
CURRENT = {"n": 312, "nps": 42.3, "ci_low": 35.1, "ci_high": 49.4, "small_sample": False}
PREVIOUS = {"n": 290, "nps": 34.0, "ci_low": 26.0, "ci_high": 42.0, "small_sample": False}


def test_nps_sentence_with_a_significant_change():
    cmp = {"difference": 8.3, "ci_low": 2.0, "ci_high": 14.6, "p_value": 0.01,
           "significant": True}
    text = report.nps_summary_sentence(CURRENT, PREVIOUS, cmp, locale="en",
                                       period=report.t("previous_window", "en", days=90))
    assert text == ("NPS **42** (95% CI 35 to 49, 312 answers), 8 points above the previous "
                    "90 days (95% CI 2 to 15); significant at 5%.")
    pt = report.nps_summary_sentence(CURRENT, PREVIOUS, cmp, locale="pt-BR",
                                     period=report.t("previous_window", "pt-BR", days=90))
    assert pt.startswith("NPS **42** (IC 95% 35 a 49, 312 respostas), 8 pontos acima")


def test_a_one_point_change_is_singular():
    cmp = {"difference": 1.2, "ci_low": -12.0, "ci_high": 14.0, "p_value": 0.9,
           "significant": False}
    text = report.nps_summary_sentence(CURRENT, PREVIOUS, cmp, locale="en", period="before")
    assert ", 1 point above before" in text
    pt = report.nps_summary_sentence(CURRENT, PREVIOUS, cmp, locale="pt-BR", period="antes")
    assert ", 1 ponto acima do NPS antes" in pt


def test_nps_sentence_not_significant_small_and_without_previous():
    cmp = {"difference": -5.0, "ci_low": -19.0, "ci_high": 9.0, "p_value": 0.48,
           "significant": False}
    small = dict(CURRENT, n=20, small_sample=True)
    text = report.nps_summary_sentence(small, PREVIOUS, cmp, locale="en", period="<b>$x$</b>")
    assert "5 points below" in text and "not significant at 5% (p = 0.480)" in text
    assert "read the intervals" in text
    assert "<b>" not in text and r"\$x\$" in text
    none = report.nps_summary_sentence(CURRENT, {"n": 0}, {"difference": np.nan}, locale="en",
                                       period="the previous 90 days")
    assert none.endswith("no answers in the previous 90 days to compare with.")
    assert report.nps_summary_sentence({"n": 0, "nps": np.nan}, None, None, locale="en") == \
        "No NPS answers in the window."


def _bridge_row(**changes):
    row = {"period": "2026-10", "start_mrr": 700000.0, "new": 10000.0, "expansion": 40000.0,
           "contraction": -5000.0, "churn": -80000.0, "reactivation": 0.0}
    row["end_mrr"] = sum(v for k, v in row.items() if k != "period")
    # the DOMAIN worked case: NRR = (700k - 80k - 5k + 40k) / 700k = 655/700
    row.update(grr=615 / 700, nrr=655 / 700, net_revenue_churn=45 / 700, logo_churn=3 / 150,
               accounts_start=150, accounts_churned=3)
    row.update(changes)
    return pd.Series(row)


def test_bridge_summary_numbers():
    previous = _bridge_row(period="2026-09", nrr=0.95)
    trailing = _bridge_row(period="2025-11 to 2026-10", nrr=0.97, grr=0.9)
    text = report.bridge_summary(_bridge_row(), previous, trailing, locale="en")
    # 655/700 = 93.57%, 615/700 = 87.86%, 45/700 = 6.43%, 3/150 = 2%
    assert "In October 2026, NRR was **93.6%** and GRR 87.9%" in text
    assert "net revenue churn 6.4% and logo churn 2.0% (3 of 150" in text
    assert r"MRR went from \$700,000 to \$665,000" in text
    # 93.57 - 95.00 = -1.43 points
    assert "1.4 points below the previous month (95.0%)" in text
    assert "12 months from November 2025 to October 2026, NRR was 97.0% and GRR 90.0%" in text
    pt = report.bridge_summary(_bridge_row(), None, None, locale="pt-BR")
    assert "R\\$\xa0700.000 para R\\$\xa0665.000" in pt and "outubro de 2026" in pt
    assert report.bridge_summary(None, None, None, locale="en") == \
        "No revenue bridge for the month."


def test_rendered_pt_br_bridge_shows_real_money():
    from nbconvert.filters.markdown import markdown2html

    html = markdown2html(report.bridge_summary(_bridge_row(start_mrr=1234.56), None, None,
                                               locale="pt-BR"))
    assert "R$\xa01.235" in html  # digits=0 in sentences


def test_odds_ratio_sentence_is_associational():
    row = pd.Series({"odds_ratio": 0.523, "ci_low": 0.41, "ci_high": 0.66, "p_value": 1e-5})
    text = report.odds_ratio_sentence(row, {"n": 4210, "events": 180, "auc": 0.71},
                                      locale="en", min_features=2, n_features=3)
    assert ("at least 2 of the 3 key features had **0.52 times the odds** of churning the next "
            "month (95% CI 0.41 to 0.66; p < 0.001)") in text
    assert "4,210 account-months with 180 churns" in text
    assert "association" in text and "causes" not in text
    crossing = report.odds_ratio_sentence(dict(row, ci_low=0.8, ci_high=1.2, p_value=0.4),
                                          {}, locale="en", n_features=3)
    assert "compatible with no association" in crossing


def test_logrank_sentence():
    differ = report.logrank_sentence({"statistic": 9.21, "df": 2, "p_value": 0.01,
                                      "groups": ["0", "1", "2-3"]}, locale="en")
    assert "3 groups differ by more than chance" in differ and "p = 0.010" in differ
    same = report.logrank_sentence({"statistic": 1.0, "df": 1, "p_value": 0.32,
                                    "groups": ["a", "b"]}, locale="pt-BR")
    assert "não diferem" in same and "p = 0,320" in same
    assert report.logrank_sentence(None, locale="en").startswith("Only one group")
    assert "No churn events" in report.logrank_sentence(
        {"statistic": np.nan, "df": 1, "p_value": np.nan, "groups": ["a", "b"]}, locale="en")


def test_correlation_sentence_never_claims_a_cause():
    together = report.correlation_sentence({"r": 0.62, "n_weeks": 12, "p_value": 0.03},
                                           locale="en")
    assert "moved together (Pearson r = 0.62 over 12 weeks, p = 0.030)" in together
    assert "not proof" in together
    assert "no clear relationship" in report.correlation_sentence(
        {"r": 0.2, "n_weeks": 12, "p_value": 0.5}, locale="en")
    assert "opposite" in report.correlation_sentence(
        {"r": -0.7, "n_weeks": 12, "p_value": 0.01}, locale="en")
    assert "Too few weeks" in report.correlation_sentence(
        {"r": np.nan, "n_weeks": 2, "p_value": np.nan}, locale="en")


def test_survey_sentence():
    overall = {"sent": 1200, "responded": 312, "response_rate": 312 / 1200, "ci_low": 0.236,
               "ci_high": 0.285, "waves": 12, "max_mix_gap": 0.031}
    text = report.survey_sentence(overall, locale="en")
    # 312 / 1200 = 26.0%
    assert "1,200 invitations in 12 waves; 312 answered" in text and "**26.0%**" in text
    assert "95% CI 23.6% to 28.5%" in text and "3.1 points" in text
    assert report.survey_sentence({"sent": 0}, locale="en").startswith("No invitations")


def test_review_summary_sentence():
    summary = pd.DataFrame({"segment": ["SMB"] * 4 + ["Ent"] * 4, "class": [1, 2, 3, 4] * 2,
                            "accounts": [5, 10, 15, 20, 5, 10, 15, 20]})
    economics = pd.DataFrame({"segment": ["SMB", SCRIPT], "ltv_cac": [3.21, np.nan]})
    fcr = pd.DataFrame({"n": [540], "fcr": [389], "rate": [389 / 540], "ci_low": [0.68],
                        "ci_high": [0.76]})
    text = report.review_summary_sentence(summary, economics, fcr, locale="en")
    # 100 accounts: 40 class 4 (40%), 30 class 3, 20 class 2; 389/540 = 72.04%
    assert "Of 100 paying accounts, **40** (40.0%) look like churn risks" in text
    assert "30 (30.0%) need more meetings; 20 (20.0%) have room to expand" in text
    assert "3.2 in SMB" in text and "n/a in &lt;script&gt;" in text
    assert "First-contact resolution is 72.0% (95% CI 68.0% to 76.0%, 540 resolved" in text


# --------------------------------------------------------------------------- windows, census
WINDOW = (pd.Timestamp("2026-08-03"), pd.Timestamp("2026-11-01"))  # trailing_window("2026-10")


def test_nps_sentence_names_the_window_it_covers():
    assert report.window_words(WINDOW, "en") == "the 90 days to 31 Oct 2026"
    assert report.window_words(WINDOW, "pt-BR") == "os 90 dias até 31 de out. de 2026"
    cmp = {"difference": 8.3, "ci_low": 2.0, "ci_high": 14.6, "p_value": 0.01,
           "significant": True}
    current = dict(CURRENT, start=WINDOW[0], end=WINDOW[1])
    text = report.nps_summary_sentence(current, PREVIOUS, cmp, locale="en",
                                       period=report.t("previous_window", "en", days=90))
    assert text == ("NPS **42** (95% CI 35 to 49, 312 answers) in the 90 days to 31 Oct 2026, "
                    "8 points above the previous 90 days (95% CI 2 to 15); significant at 5%.")
    pt = report.nps_summary_sentence(current, PREVIOUS, cmp, locale="pt-BR",
                                     period=report.t("previous_window", "pt-BR", days=90))
    assert "312 respostas) nos 90 dias até 31 de out. de 2026, 8 pontos acima" in pt


def test_period_words():
    assert report.period_words("2026-10", "en") == "October 2026"
    assert report.period_words("2025-11 to 2026-10", "en") == "November 2025 to October 2026"
    assert report.period_words("2025-11 to 2026-10", "pt-BR") == \
        "novembro de 2025 a outubro de 2026"


def _wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson's score interval from its formula (independent of statsmodels)."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def test_bridge_summary_gives_logo_churn_an_interval_and_calls_the_rest_a_census():
    # 3 of 150: p = 0.02; centre (0.02 + 0.0128) / 1.0256 = 0.0320, half 0.0252
    low, high = _wilson(3, 150)
    assert (round(low, 4), round(high, 4)) == (0.0068, 0.0571)
    text = report.bridge_summary(_bridge_row(), None, None, locale="en")
    assert "logo churn 2.0% (3 of 150 paying accounts lost; 95% CI 0.7% to 5.7%)" in text
    assert "count all accounts, not a sample" in text and "no sampling interval" in text
    pt = report.bridge_summary(_bridge_row(), None, None, locale="pt-BR")
    assert "perdidas; IC 95% 0,7% a 5,7%)" in pt and "não uma amostra" in pt
    # a bridge row that carries its own interval wins over the interim one
    own = report.bridge_summary(_bridge_row(logo_churn_ci_low=0.01, logo_churn_ci_high=0.05),
                                None, None, locale="en")
    assert "95% CI 1.0% to 5.0%" in own
    none = report.bridge_summary(_bridge_row(accounts_start=0, accounts_churned=0,
                                             logo_churn=np.nan), None, None, locale="en")
    assert "95% CI n/a" in none


# --------------------------------------------------------------------------- models
class _Model:
    """What adoption_summary reads from a fitted RetentionRegression."""

    adoption = "key_adopter"
    summary = pd.DataFrame({"odds_ratio": [0.523, 1.4], "ci_low": [0.41, 0.9],
                            "ci_high": [0.66, 2.1], "p_value": [1e-5, 0.2]},
                           index=pd.Index(["key_adopter", "plan[T.Pro]"], name="term"))
    diagnostics = {"n": 4210, "events": 180, "auc": 0.71}


SINGLE_CLASS = ("retention_regression: the outcome `churned_next` has a single class (0 in "
                "all 40 rows), so there is nothing to explain. Use a longer window or a larger "
                "group.")


def test_adoption_summary_reads_the_adoption_term_or_says_why_there_is_none():
    fitted = report.adoption_summary(_Model(), None, locale="en", min_features=2,
                                     n_features=3)
    assert fitted == report.odds_ratio_sentence(_Model.summary.iloc[0], _Model.diagnostics,
                                                locale="en", min_features=2, n_features=3)
    assert "**0.52 times the odds**" in fitted
    text = report.adoption_summary(None, SINGLE_CLASS, locale="en")
    assert text.startswith("The churn model could not be fitted for this segment and month: "
                           r"the outcome \`churned\_next\` has a single class (0 in all 40 "
                           "rows), so there is nothing to explain; instead of an adjusted odds "
                           "ratio, the report shows the share of accounts using each feature")
    assert "Use a longer window" not in text and "retention_regression" not in text
    assert text.count(". ") == 0 and text.endswith("tenure.")  # one sentence
    pt = report.adoption_summary(None, SINGLE_CLASS, locale="pt-BR")
    assert pt.startswith("O modelo de churn não pôde ser ajustado") and "sobrevivência" in pt
    assert report.adoption_summary(None, None, locale="en").startswith(
        "The churn model could not be fitted for this segment and month: n/a;")


def test_try_fit_returns_the_reason_and_attempt_shows_it(monkeypatch):
    from cslib.exceptions import ModelError

    def fails():
        raise ModelError(SCRIPT)

    assert report.try_fit(lambda a, b=0: a + b, 1, b=2) == (3, None)
    assert report.try_fit(fails) == (None, SCRIPT)
    with pytest.raises(ZeroDivisionError):
        report.try_fit(lambda: 1 / 0)
    shown = []
    monkeypatch.setattr(report, "_display", shown.append)
    assert report.attempt(fails, locale="en") is None
    assert "Not estimated for this segment and month: &lt;script&gt;" in shown[0].data
    report.show_not_estimated(None)
    assert len(shown) == 1  # nothing to say, nothing shown


# --------------------------------------------------------------------------- headlines
def test_bridge_headlines():
    heads = report.bridge_headlines(_bridge_row(), locale="pt-BR")
    # Each overview column names its period: the bridge row's month.
    assert [h["name"] for h in heads] == ["NRR, out/2026", "GRR, out/2026",
                                          "Churn líquido de receita, out/2026", "Churn de logos, out/2026"]
    # 655/700 = 93.57%, 615/700 = 87.86%, 45/700 = 6.43%, 3/150 = 2%
    assert [h["text"] for h in heads] == ["93,6%", "87,9%", "6,4%", "2,0%"]
    assert heads[0]["value"] == pytest.approx(655 / 700)
    assert report.bridge_headlines(None) == []


def test_review_headlines_sum_class_4_over_groups():
    summary = pd.DataFrame({"segment": ["SMB"] * 4 + ["Ent"] * 4, "class": [1, 2, 3, 4] * 2,
                            "accounts": [5, 10, 15, 20, 5, 10, 15, 7]})
    fcr = pd.DataFrame({"n": [540], "fcr": [389], "rate": [389 / 540]})
    risk, rate = report.review_headlines(summary, fcr, locale="en")
    assert risk == {"name": "Churn risk accounts", "value": 27, "text": None,  # 20 + 7
                    "id": "churn_risk", "kind": "count"}
    assert rate["name"] == "FCR" and rate["value"] == pytest.approx(389 / 540)
    assert rate["text"] == "72.0%"  # 389 / 540 = 72.04%
    _, missing = report.review_headlines(summary.iloc[:0], fcr.iloc[:0], locale="en")
    assert missing == {"name": "FCR", "value": None, "text": "n/a", "id": "fcr", "kind": "rate"}
    _, october = report.review_headlines(summary, fcr, locale="en", month="2026-10")
    assert october["name"] == "FCR, Oct 2026"


def test_adoption_headlines():
    assert report.adoption_headlines(_Model(), locale="pt-BR") == [
        {"name": "Razão de chances de churn no mês seguinte, quem adota os recursos-chave",
         "value": 0.523, "text": "0,52", "id": "adoption_odds", "kind": "odds", "ci_low": 0.41,
         "ci_high": 0.66}]
    assert report.adoption_headlines(None) == []


def test_verbatims_say_whether_contacts_are_masked():
    quotes = pd.DataFrame({"responded_at": [pd.Timestamp("2026-10-03")], "score": [3],
                           "comment": ["slow"]})
    assert "are masked" in report.verbatims_html(quotes, locale="en", masked=True)
    assert "mask_pii is off" in report.verbatims_html(quotes, locale="en", masked=False)
    assert "mascarados" in report.verbatims_html(quotes, locale="pt-BR", masked=True)
    assert "mask" not in report.verbatims_html(quotes, locale="en")


def test_fcr_tables_count_tickets_not_answers():
    fcr = pd.DataFrame({"plan": ["Pro", "Starter"], "n": [40, 8], "fcr": [30, 2],
                        "rate": [0.75, 0.25], "ci_low": [0.6, 0.07], "ci_high": [0.86, 0.59],
                        "small_sample": [False, True]})
    for html in (report.table_html(fcr, locale="en"),
                 report.table_html(fcr, locale="en", columns=report.FCR_COLUMNS)):
        assert "<th scope=\"col\">Resolved tickets</th>" in html
        assert "Answers" not in html
    assert "Chamados resolvidos" in report.table_html(fcr, locale="pt-BR")
    # an NPS table's `n` still counts answers
    nps = pd.DataFrame({"segment": ["SMB"], "n": [12], "nps": [10.0]})
    assert "<th scope=\"col\">Answers</th>" in report.table_html(nps, locale="en")


def test_contract_view_headers_say_contracts_or_accounts():
    views = pd.DataFrame({"view": ["contracts", "accounts"], "accounts_start": [2, 1],
                          "accounts_churned": [1, 0], "logo_churn": [0.5, 0.0]})
    html = report.table_html(views, locale="en", columns=report.VIEW_COLUMNS)
    assert "Paying at start (contracts or accounts, per view)" in html
    assert "Lost (contracts or accounts, per view)" in html
    assert "Paying accounts at start" not in html and "Accounts lost" not in html
    # the bridge of one view (accounts) keeps its account labels
    bridge = report.table_html(views.drop(columns="view"), locale="en",
                               columns=report.BRIDGE_COLUMNS)
    assert "Paying accounts at start" in bridge


def test_adoption_rate_table_names_its_denominator():
    rates = pd.DataFrame({"feature": ["dashboards"], "accounts": [1], "paying_accounts": [4],
                          "active_accounts": [2], "rate": [0.25]})
    html = report.table_html(rates, locale="en")
    assert "Paying accounts (denominator)" in html


def test_ratio_standard_errors_bootstrap_over_the_accounts_paying_at_the_start():
    # two accounts paying 100 at the start, one keeps 100, one churns (0); a third is new
    # (not at the start) and is left out. Resamples of the two: NRR 1 (p 1/4), 0.5 (1/2),
    # 0 (1/4): sd sqrt(.125) = 0.354. GRR equals NRR here (nobody grew).
    mv = pd.DataFrame({"month": pd.to_datetime(["2026-10-01"] * 3 + ["2026-09-01"]),
                       "mrr": [100.0, 0.0, 70.0, 5.0], "previous_mrr": [100.0, 100.0, 0, 1]})
    se = report.ratio_standard_errors(mv, "2026-10", reps=20000, seed=3)
    assert se["nrr"] == pytest.approx(np.sqrt(0.125), abs=0.01)
    assert se["grr"] == se["nrr"] == se["net_revenue_churn"]
    row = {"nrr": 0.5, "grr": 0.5, "net_revenue_churn": 0.5, "logo_churn": 0.5,
           "accounts_start": 2, "period": "2026-10"}
    heads = {h["id"]: h for h in report.bridge_headlines(row, movements=mv, locale="en")}
    assert heads["nrr"]["se"] == pytest.approx(np.sqrt(0.125), abs=0.02)
    assert heads["logo_churn"]["n"] == 2 and "se" not in heads["logo_churn"]


@pytest.mark.parametrize(("value", "locale", "symbol", "shown"), [
    (732.9499999999989, "pt-BR", False, "732,9"),   # Babel's compact format left it unrounded
    (732.9499999999989, "pt-BR", True, "R$ 732,9"),
    (-732.94, "en", True, "-$732.9"),
    (999.96, "en", False, "1K"),                    # rounds to a thousand: the compact form
    (3636.48, "pt-BR", True, "R$ 3,6 mil"),
])
def test_short_amounts_are_rounded_below_a_thousand_too(value, locale, symbol, shown):
    assert report.fmt_money_short(value, locale, symbol=symbol) == shown


def test_bridge_headlines_carry_their_intervals():
    # logo churn 3 of 150, Wilson by hand: centre (0.02 + 1.96^2/300) / (1 + 1.96^2/150)
    # = 0.031986, half-width 1.96 sqrt(.02 * .98 / 150 + 1.96^2 / 90000) / 1.02561 = 0.025162
    row = {"nrr": 0.95, "grr": 0.9, "net_revenue_churn": 0.05, "logo_churn": 0.02,
           "accounts_start": 150, "accounts_churned": 3}
    heads = {h["id"]: h for h in report.bridge_headlines(
        row, month="2026-10", ratio_se={"nrr": 0.01, "grr": 0.02}, locale="en")}
    assert (heads["logo_churn"]["ci_low"], heads["logo_churn"]["ci_high"]) == pytest.approx(
        (0.006824, 0.057148), abs=2e-6)
    # the revenue ratios: the bootstrap standard error's normal interval, 0.95 -+ 1.96 x 0.01
    assert (heads["nrr"]["ci_low"], heads["nrr"]["ci_high"]) == pytest.approx(
        (0.930400, 0.969600), abs=1e-5)
    assert heads["grr"]["ci_low"] == pytest.approx(0.9 - 1.959964 * 0.02)
    assert "ci_low" not in heads["net_revenue_churn"]  # no standard error given: no interval
    # GRR 0.99 with se 0.02: 0.99 + 0.039 would pass 100%, which GRR cannot
    capped = {h["id"]: h for h in report.bridge_headlines(
        {**row, "grr": 0.99}, month="2026-10", ratio_se={"grr": 0.02}, locale="en")}
    assert capped["grr"]["ci_high"] == 1.0


def test_loops_headline_has_its_wilson_interval():
    # 40 of 50 due loops closed in time: Wilson by hand, p .8, z^2 = 3.841459, z^2/n = .076829;
    # centre (.8 + .038415) / 1.076829 = .778596, half 1.959964 sqrt(.0032 + .00038415)
    # / 1.076829 = .1173387 / 1.076829 = .108967 -> (.669629, .887562)
    from cslib.nps import LoopClosure

    summary = pd.DataFrame({"n": [55], "due": [50], "pending": [5], "within_sla": [40],
                            "missed": [10]})
    loops = LoopClosure(None, None, {}, summary)
    h = report.loop_headlines(loops, month="2026-10", locale="en")[0]
    assert h["value"] == pytest.approx(0.8)
    assert (h["ci_low"], h["ci_high"]) == pytest.approx((0.669629, 0.887562), abs=2e-6)
