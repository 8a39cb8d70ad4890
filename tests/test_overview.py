"""The overview's change from the previous month, its digest and its sparklines.

Every interval below is worked by hand from the formulas in cslib/changes.py's
docstring (Wald for a difference of proportions, independent standard errors for
NPS), with z = 1.959964 (the 97.5% normal quantile).
"""

from __future__ import annotations

import math
import re

import pytest

from cslib import changes
from cslib.pages import render_digest, render_index, sparkline_svg


# --------------------------------------------------------------------------- by hand
def test_rate_change_beyond_noise():
    # 5% of 400 against 2% of 400: se = sqrt(.05*.95/400 + .02*.98/400)
    #   = sqrt(0.00011875 + 0.000049) = sqrt(0.00016775) = 0.0129518
    # 0.03 -+ 1.96 * 0.0129518 = 0.03 -+ 0.0253855 -> (0.0046145, 0.0553855): 0 outside
    c = changes.rate_change(0.05, 400, 0.02, 400)
    assert c["delta"] == pytest.approx(0.03)
    assert c["se"] == pytest.approx(0.0129518, abs=1e-7)
    assert (c["ci_low"], c["ci_high"]) == pytest.approx((0.0046145, 0.0553855), abs=1e-6)
    assert c["within_noise"] is False


def test_rate_change_within_noise():
    # 30% of 100 against 20% of 100: se = sqrt(.21/100 + .16/100) = sqrt(.0037) = 0.0608276
    # 0.10 -+ 1.959964 * 0.0608276 = 0.10 -+ 0.1192199 -> (-0.0192199, 0.2192199): holds 0
    c = changes.rate_change(0.30, 100, 0.20, 100)
    assert (c["ci_low"], c["ci_high"]) == pytest.approx((-0.0192199, 0.2192199), abs=1e-6)
    assert c["within_noise"] is True


def test_a_fall_beyond_noise_is_not_noise_either():
    # 10% of 1000 against 15% of 1000: se = sqrt(.09/1000 + .1275/1000) = 0.0147479
    # -0.05 -+ 0.0289059 -> (-0.0789059, -0.0210941)
    c = changes.rate_change(0.10, 1000, 0.15, 1000)
    assert c["ci_high"] == pytest.approx(-0.0210941, abs=1e-6)
    assert c["within_noise"] is False


def test_nps_difference_test():
    # se sqrt(5^2 + 4^2) = 6.4031; 10 -+ 12.550 -> (-2.55, 22.55): noise
    c = changes.nps_change(40, 5, 30, 4)
    assert (c["ci_low"], c["ci_high"]) == pytest.approx((-2.5500, 22.5500), abs=1e-3)
    assert c["within_noise"] is True
    # se sqrt(3^2 + 4^2) = 5; 10 -+ 9.80 -> (0.20, 19.80): beyond noise
    c = changes.nps_change(40, 3, 30, 4)
    assert (c["ci_low"], c["ci_high"]) == pytest.approx((0.2001, 19.7999), abs=1e-3)
    assert c["within_noise"] is False


def test_nps_standard_error_of_a_mix():
    # 50 promoters, 20 detractors of 100: var = .5 + .2 - .3^2 = .61; se = 100 sqrt(.0061)
    assert changes.nps_se(50, 20, 100) == pytest.approx(100 * math.sqrt(0.0061))
    with pytest.raises(ValueError, match="at least one answer"):
        changes.nps_se(0, 0, 0)


def test_rate_change_refuses_percentages_and_negative_sizes():
    with pytest.raises(ValueError, match=r"p1=5 is not a rate in 0-1"):
        changes.rate_change(5, 100, 0.02, 100)
    with pytest.raises(ValueError, match="must be >= 0"):
        changes.rate_change(0.05, -1, 0.02, 100)


def test_an_empty_month_or_a_count_has_no_noise_verdict():
    assert changes.rate_change(0.05, 0, 0.02, 100)["within_noise"] is None
    c = changes.headline_change({"kind": "count", "value": 27}, {"kind": "count", "value": 20})
    assert c["delta"] == 7 and c["within_noise"] is None
    assert changes.headline_change({"value": 1.0}, None) is None
    assert changes.headline_change({"value": None}, {"value": 1.0}) is None


def test_bootstrap_se_of_a_ratio():
    # every account keeps all it paid: the ratio is 1 in every resample
    assert changes.bootstrap_ratio_se([100, 200, 300], [100, 200, 300]) == 0.0
    # two accounts of 100, one keeps 100 and one 0: resamples give 1 (p 1/4), 0.5 (1/2),
    # 0 (1/4): sd = sqrt(.125) = 0.354
    se = changes.bootstrap_ratio_se([100, 100], [100, 0], reps=20000, seed=1)
    assert se == pytest.approx(math.sqrt(0.125), abs=0.01)
    assert se == changes.bootstrap_ratio_se([100, 100], [100, 0], reps=20000, seed=1)
    with pytest.raises(ValueError, match="one value per account"):
        changes.bootstrap_ratio_se([1, 2], [1])


def test_headline_identity_across_months():
    assert changes.headline_id({"name": "FCR, Oct 2026"}) == "FCR"
    assert changes.headline_id({"name": "FCR, Oct 2026", "id": "fcr"}) == "fcr"


# --------------------------------------------------------------------------- the page
def _run(segment, headlines, notebook="nb"):
    return {"notebook": notebook, "title": "Report", "segment": segment, "status": "ok",
            "error": None, "html": f"{notebook}/{segment.lower()}.html",
            "ipynb": f"{notebook}/{segment.lower()}.ipynb", "headlines": headlines,
            "data_fingerprint": "f00d", "duration_s": 12.5}


def _with_history(now, *earlier):
    """``now``'s headlines with their ``previous`` and 12-month ``trend`` (cslib.trend's
    fields) from ``earlier`` months' headlines, the latest first."""
    out = []
    for h in now:
        past = [next((e for e in month if e["id"] == h["id"]), None) for month in earlier]
        trend = [None] * (12 - 1 - len(past)) + [p and p["value"] for p in reversed(past)]
        entry = {**h, "trend": trend + [h["value"]]}
        if past and past[0] is not None:
            entry["previous"] = {k: past[0][k] for k in ("value", "kind", "n") if k in past[0]}
        out.append(entry)
    return out


OCT_HEADS = [
    {"name": "Logo churn, Oct 2026", "id": "logo_churn", "kind": "rate", "value": 0.05,
     "n": 400, "text": "5.0%"},
    {"name": "FCR, Oct 2026", "id": "fcr", "kind": "rate", "value": 0.30, "n": 100,
     "text": "30.0%", "ci_low": 0.22, "ci_high": 0.39},
]
SEP_HEADS = [
    {"name": "Logo churn, Sep 2026", "id": "logo_churn", "kind": "rate", "value": 0.02,
     "n": 400, "text": "2.0%"},
    {"name": "FCR, Sep 2026", "id": "fcr", "kind": "rate", "value": 0.20, "n": 100,
     "text": "20.0%"},
]
AUG_HEADS = [{"name": "Logo churn, Aug 2026", "id": "logo_churn", "kind": "rate",
              "value": 0.03, "n": 400, "text": "3.0%"}]
OCT = [_run("SMB", _with_history(OCT_HEADS, SEP_HEADS, AUG_HEADS))]
#: October's headlines with a trend but no figure for September (a first month of data)
OCT_FIRST = [_run("SMB", _with_history(OCT_HEADS))]


def _row(page, name):
    return re.search(rf'<th scope="row">{re.escape(name)}</th>(.*?)</tr>', page, re.S).group(1)


def test_overview_shows_change_noise_interval_and_trend():
    page = render_index("2026-10", OCT)
    logo = _row(page, "Logo churn, Oct 2026")
    assert "\u25b2 3.0 pp" in logo and "within noise" not in logo  # 5% vs 2% of 400
    fcr = _row(page, "FCR, Oct 2026")
    assert "\u25b2 10.0 pp (within noise)" in fcr  # 30% vs 20% of 100
    assert "22.0% to 39.0%" in fcr
    assert "Change from Sep 2026" in page
    # the trend: Aug, Sep, Oct drawn (3 points of one line), earlier months are gaps
    svg = re.search(r"<svg.*?</svg>", logo).group(0)
    assert len(re.search(r'points="([^"]+)"', svg).group(1).split()) == 3
    # the biggest movement, in a sentence; the noise is not one
    movements = re.search(r'<section class="cs-movements">.*?</section>', page, re.S).group(0)
    assert "Logo churn, Oct 2026 in SMB rose 3.0 pp to 5.0%" in movements
    assert "FCR" not in movements
    # the run log is collapsed and carries no durations
    assert re.search(r'<section class="cs-runs"><details>', page)
    assert "12.5" not in page


def test_overview_without_a_previous_month_says_so():
    page = render_index("2026-10", OCT_FIRST)
    assert "no previous month" in _row(page, "FCR, Oct 2026")
    assert "No figure moved beyond noise" in page
    assert "<svg" not in _row(page, "FCR, Oct 2026")  # one point is no trend


def test_an_estimate_over_all_months_is_not_compared_month_to_month():
    # a model's odds ratio has no trend fields: it is not called a change or noise
    runs = [_run("SMB", [{"name": "Odds ratio", "id": "adoption_odds", "kind": "odds",
                          "value": 0.5, "ci_low": 0.4, "ci_high": 0.6, "text": "0.50"}])]
    row = _row(render_index("2026-10", runs), "Odds ratio")
    assert "not compared (all months to date)" in row and "<svg" not in row


def test_overview_in_pt_br():
    page = render_index("2026-10", OCT, locale="pt_BR")
    assert '<html lang="pt-BR">' in page
    assert "\u25b2 10,0 p.p. (dentro do ruído)" in page
    assert "Variação desde set/2026" in page and "out/2026" in page


def test_digest_text_and_email_safe_html():
    text, fragment = render_digest("2026-10", OCT, locale="pt-BR")
    assert text.startswith("Customer Success, out/2026\n")
    assert "- Logo churn, Oct 2026: 5.0%; \u25b2 3,0 p.p.\n" in text
    assert "FCR, Oct 2026: 30.0% (22,0% a 39,0%); \u25b2 10,0 p.p. (dentro do ruído)" in text
    assert "Segmento SMB" in text and "Os maiores movimentos do mês" in text
    # e-mail safe: tables and inline styles only
    assert "<table" in fragment and 'style="' in fragment
    for banned in ("class=", "<style", "<script", "<link", "<div"):
        assert banned not in fragment, banned
    assert "Segmento SMB" in fragment


def test_digest_escapes_data():
    runs = [_run("<b>x</b>", [{"name": "NPS", "value": 3, "text": None}])]
    _, fragment = render_digest("2026-10", runs)
    assert "<b>x</b>" not in fragment and "&lt;b&gt;x&lt;/b&gt;" in fragment


def test_sparkline_draws_gaps_and_scales_into_its_box():
    svg = sparkline_svg([0.1, 0.2, None, 0.4, 0.3], width=96, height=24)
    lines = re.findall(r'points="([^"]+)"', svg)
    assert len(lines) == 2  # (0.1, 0.2) is one line, (0.4, 0.3) the other: a gap between
    xs_ys = [tuple(map(float, p.split(","))) for line in lines for p in line.split()]
    assert all(2 <= x <= 94 and 2 <= y <= 22 for x, y in xs_ys)
    assert "<script" not in svg and sparkline_svg([None]) == ""


def test_odds_ratio_change_on_the_log_scale():
    # OR 0.44 (0.24 to 0.82) against 0.45 (0.25 to 0.81): log se (ln .82 - ln .24) / 3.92
    # = 1.2287 / 3.92 = 0.3134 and (ln .81 - ln .25) / 3.92 = 0.2998; the difference of
    # logs ln(.44/.45) = -0.0225 is far inside -+1.96 * 0.4337: within noise
    now = {"kind": "odds", "value": 0.44, "ci_low": 0.24, "ci_high": 0.82}
    before = {"kind": "odds", "value": 0.45, "ci_low": 0.25, "ci_high": 0.81}
    c = changes.headline_change(now, before)
    assert c["delta"] == pytest.approx(-0.01) and c["within_noise"] is True
    # 0.30 (0.20 to 0.45) against 0.90 (0.80 to 1.01): log se 0.2069 and 0.0595,
    # ln(.3/.9) = -1.0986, half-width 1.96 * 0.2153 = 0.4220: beyond noise
    c = changes.headline_change({"kind": "odds", "value": 0.30, "ci_low": 0.20, "ci_high": 0.45},
                                {"kind": "odds", "value": 0.90, "ci_low": 0.80, "ci_high": 1.01})
    assert c["within_noise"] is False


def test_a_change_that_rounds_to_nothing_reads_equal():
    # NPS 17.3 against 17.1: +0.2 points is shown as 0 pts, so the cell says "=", not "▲ 0"
    now = {"name": "NPS", "id": "nps", "kind": "nps", "value": 17.3, "se": 3.0, "text": "17",
           "trend": [17.1, 17.3], "previous": {"value": 17.1, "kind": "nps", "se": 3.0}}
    row = _row(render_index("2026-10", [_run("SMB", [now])]), "NPS")
    assert "= (within noise)" in row and "\u25b2" not in row


def test_the_overview_formats_a_run_once_and_follows_its_headlines():
    from cslib import pages

    pages._RUN_MODELS.clear()
    first = render_index("2026-10", OCT)
    assert len(pages._RUN_MODELS) == 1
    assert render_index("2026-10", OCT) == first  # from the formatted rows
    pages._RUN_MODELS.clear()
    assert render_index("2026-10", OCT) == first
    # a run without a cache key is known by its headlines: new figures, new rows
    lower = [_run("SMB", _with_history([{**OCT_HEADS[0], "value": 0.04, "text": "4.0%"}],
                                       SEP_HEADS, AUG_HEADS))]
    assert "\u25b2 2.0 pp" in _row(render_index("2026-10", lower), "Logo churn, Oct 2026")
    # the same run in the other language is formatted again
    assert "Variação desde set/2026" in render_index("2026-10", OCT, locale="pt-BR")
