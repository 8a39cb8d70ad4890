"""Tests for cslib.plots: each helper on a small hand-made frame, style and determinism."""

from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402

from cslib import plots, report  # noqa: E402
from cslib.exceptions import ParamsError, SchemaError  # noqa: E402


@pytest.fixture(autouse=True)
def _style():
    with matplotlib.rc_context():
        plots.set_style()
        report.check_locale("en")
        yield
    plt.close("all")


def _ticks(labels):
    return [label.get_text() for label in labels]


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", **plots.SAVE_KWARGS)
    return buf.getvalue()


ROLLING = pd.DataFrame({
    "period_end": pd.to_datetime(["2026-09-06", "2026-09-13", "2026-09-20", "2026-09-27"]),
    "n": [45, 38, 12, 50], "nps": [30.0, 35.0, -10.0, 40.0], "ci_low": [15.0, 20.0, -60.0, 27.0],
    "ci_high": [45.0, 50.0, 40.0, 53.0], "small_sample": [False, False, True, False]})

GROUPS = pd.DataFrame({"plan": ["Starter", "Pro", "$x$"], "n": [120, 80, 9],
                       "nps": [20.0, 45.0, -30.0], "ci_low": [8.0, 30.0, -80.0],
                       "ci_high": [32.0, 60.0, 20.0], "small_sample": [False, False, True]})


def test_set_style_settings():
    rc = matplotlib.rcParams
    assert rc["text.parse_math"] is False
    assert rc["svg.hashsalt"] == "cslib"
    assert tuple(rc["figure.figsize"]) == (8.0, 4.0)
    assert rc["figure.dpi"] == 100 and rc["savefig.dpi"] == 100
    colors = rc["axes.prop_cycle"].by_key()["color"][:3]
    assert [matplotlib.colors.to_hex(c) for c in colors] == [c.lower() for c in plots.PALETTE[:3]]


def test_set_style_configures_the_inline_backend(monkeypatch):
    import IPython
    import matplotlib_inline.backend_inline as inline

    calls = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(inline, "set_matplotlib_formats",
                        lambda *formats, **kw: calls.append((formats, kw)))
    plots.set_style()
    assert calls == [(("svg",), {"bbox_inches": None})]


def test_png_bytes_are_identical_between_runs():
    first = _png(plots.nps_by_group(GROUPS, group="plan").figure)
    again = _png(plots.nps_by_group(GROUPS, group="plan").figure)
    assert first == again
    assert b"Software" not in first


def test_dollar_labels_are_not_mathtext():
    ax = plots.nps_by_group(GROUPS, group="plan")
    ax.figure.canvas.draw()
    label = ax.get_yticklabels()[2]
    assert label.get_text() == "$x$"
    assert label.get_parse_math() is False


def test_nps_trend():
    before = ROLLING.copy()
    ax = plots.nps_trend(ROLLING)
    pd.testing.assert_frame_equal(ROLLING, before)
    line = next(ln for ln in ax.lines if ln.get_label() == "NPS")
    # the small window (n = 12, -10) is a lone hollow point: the line breaks there
    np.testing.assert_array_equal(line.get_ydata(), [30.0, 35.0, np.nan, 40.0])
    filled, hollow = ax.collections[1], ax.collections[2]  # after the CI band
    assert len(filled.get_offsets()) == 3 and len(hollow.get_offsets()) == 1
    assert tuple(hollow.get_facecolor()[0]) == (1.0, 1.0, 1.0, 1.0)
    assert isinstance(ax.collections[0], PolyCollection)
    assert ax.get_ylabel() == "NPS"


def test_nps_by_group():
    ax = plots.nps_by_group(GROUPS, group="plan")
    assert _ticks(ax.get_yticklabels()) == ["Starter", "Pro", "$x$"]
    assert ax.get_xlim() == (-100.0, 100.0)
    # two errorbar containers: two filled points, one hollow
    assert [len(c.lines[0].get_xdata()) for c in ax.containers] == [2, 1]
    assert any(list(ln.get_xdata()) == [0, 0] for ln in ax.lines)  # zero line


def test_cohort_heatmap_annotates_non_empty_cells():
    cohorts = pd.DataFrame({"cohort": ["2025Q1", "2025Q1", "2025Q2"],
                            "period": ["2026Q2", "2026Q3", "2026Q3"],
                            "n": [40, 35, 31], "nps": [12.4, -3.6, 50.0]})
    ax = plots.cohort_heatmap(cohorts)
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == sorted(["12", "-4", "50"])  # 3 of the 4 cells have answers
    assert _ticks(ax.get_yticklabels()) == ["2025Q1", "2025Q2"]
    with pytest.raises(ParamsError, match="several rows per `cohort` and `period`"):
        plots.cohort_heatmap(pd.concat([cohorts, cohorts]))


def test_revenue_waterfall_bars_and_money_ticks():
    row = pd.Series({"period": "2026-10", "start_mrr": 700.0, "new": 10.0, "expansion": 40.0,
                     "reactivation": 5.0, "contraction": -5.0, "churn": -80.0, "end_mrr": 670.0})
    ax = plots.revenue_waterfall(row, locale="pt-BR")
    bars = ax.patches
    assert len(bars) == 7
    # start 700; +10 from 700; +40 from 710; +5 from 750; -5 down to 750; -80 down to 670; end
    assert [b.get_y() for b in bars] == [0, 700, 710, 750, 750, 670, 0]
    assert [b.get_height() for b in bars] == [700, 10, 40, 5, 5, 80, 670]
    assert _ticks(ax.get_xticklabels())[0] == "MRR inicial"
    # the amounts stand on top of their bars, signed
    amounts = [(a.get_text(), a.xy) for a in ax.texts]
    assert amounts == [("700", (0, 700)), ("+10", (1, 710)), ("+40", (2, 750)),
                       ("+5", (3, 755)), ("-5", (4, 755)), ("-80", (5, 750)), ("670", (6, 670))]
    assert ax.yaxis.get_major_formatter()(1234.0, 0) == "R$ 1,2 mil"
    # levels run from 670 to 755 (span 85): the axis starts 1.5 spans below the lowest
    assert ax.get_ylim()[0] == pytest.approx(670 - 1.5 * 85)
    assert _ticks(ax.get_xticklabels())[5] == "Churn"
    with pytest.raises(SchemaError, match="churn"):
        plots.revenue_waterfall({"start_mrr": 1.0})


def test_rate_trend():
    bridge = pd.DataFrame({"period": ["2026-08", "2026-09", "2026-10"],
                           "grr": [0.95, 0.97, 0.9], "nrr": [1.01, 1.03, 0.98]})
    ax = plots.rate_trend(bridge)
    labelled = [ln for ln in ax.lines if not ln.get_label().startswith("_")]
    assert [ln.get_label() for ln in labelled] == ["GRR", "NRR"]
    assert _ticks(ax.get_xticklabels()) == ["Aug 2026", "Sep 2026", "Oct 2026"]
    assert ax.yaxis.get_major_formatter()(0.5, 0) == "50%"
    pt = plots.rate_trend(bridge, locale="pt-BR")  # months read as the page does, not ISO
    assert _ticks(pt.get_xticklabels()) == ["ago/2026", "set/2026", "out/2026"]
    with pytest.raises(SchemaError, match="`logo_churn`"):
        plots.rate_trend(bridge, rates=("logo_churn",))


def test_survival_plot():
    table = pd.DataFrame({
        "group": ["0", "0", "0", "2-3", "2-3"], "time": [0, 3, 6, 0, 4],
        "survival": [1.0, 0.8, 0.6, 1.0, 0.9], "ci_low": [np.nan, 0.6, 0.4, np.nan, 0.7],
        "ci_high": [np.nan, 0.9, 0.75, np.nan, 0.97]})
    ax = plots.survival_plot(table)
    assert [ln.get_label() for ln in ax.lines] == ["0", "2-3"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["0", "2-3"]
    assert len(ax.collections) == 2  # one band per group


def test_forest_plot_drops_the_intercept():
    summary = pd.DataFrame({"odds_ratio": [2.0, 0.52, 1.3], "ci_low": [1.0, 0.41, 0.9],
                            "ci_high": [4.0, 0.66, 1.9], "p_value": [0.1, 0.0001, 0.2]},
                           index=pd.Index(["Intercept", "key_adopter", "segment[T.SMB]"],
                                          name="term"))
    ax = plots.forest_plot(summary)
    assert _ticks(ax.get_yticklabels()) == ["Uses the key features", "Segment: SMB"]
    assert ax.get_xscale() == "log"
    ax.figure.canvas.draw()
    # intervals from 0.41 to 1.9: ticks at 0.5, 1 and 2 (1-2-5 steps), plain numbers
    shown = [t.get_text() for t in ax.get_xticklabels() if t.get_visible()
             and ax.get_xlim()[0] <= t.get_position()[0] <= ax.get_xlim()[1]]
    assert shown == ["0.5", "1", "2"]
    assert any(list(ln.get_xdata()) == [1, 1] for ln in ax.lines)
    hazard = summary.rename(columns={"odds_ratio": "hazard_ratio"}).reset_index()
    assert plots.forest_plot(hazard, estimate="hazard_ratio").get_xlabel() == "Hazard ratio"


def test_bar_rates_with_and_without_intervals():
    fcr = pd.DataFrame({"plan": ["Starter", "Pro"], "n": [100, 50], "rate": [0.7, 0.8],
                        "ci_low": [0.6, 0.67], "ci_high": [0.78, 0.89]})
    ax = plots.bar_rates(fcr, x="plan")
    assert len(ax.patches) == 2 and [p.get_height() for p in ax.patches] == [0.7, 0.8]
    assert len(ax.containers) == 2  # the bars and the error bars
    assert _ticks(ax.get_xticklabels()) == ["Starter", "Pro"]
    waves = pd.DataFrame({"wave": [1, 2, 3], "response_rate": [0.2, 0.3, 0.25]})
    ax = plots.bar_rates(waves, x="wave", y="response_rate")
    assert len(ax.patches) == 3 and len(ax.containers) == 1
    with pytest.raises(ParamsError, match="several rows per `plan`"):
        plots.bar_rates(pd.concat([fcr, fcr]), x="plan")


def test_loop_vs_nps_has_two_axes():
    weekly = pd.DataFrame({"period_end": pd.to_datetime(["2026-10-04", "2026-10-11"]),
                           "n": [30, 35], "nps": [20.0, 28.0], "ci_low": [5.0, 14.0],
                           "ci_high": [35.0, 42.0], "loops_closed_in_sla": [10, 20],
                           "share_in_sla": [0.4, 0.7]})
    ax = plots.loop_vs_nps(weekly)
    left, right = ax.figure.axes
    assert left is ax
    assert list(right.lines[0].get_ydata()) == [0.4, 0.7]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == \
        ["95% CI", "NPS", "Loops closed in SLA"]


def test_labels_follow_the_report_locale():
    report.check_locale("pt-BR")
    ax = plots.survival_plot(pd.DataFrame({"group": ["a"], "time": [0], "survival": [1.0],
                                           "ci_low": [np.nan], "ci_high": [np.nan]}))
    assert ax.get_ylabel() == "Parcela ainda pagante"
    report.check_locale("en")


def test_stratum_mix_stacks_each_waves_shares():
    mix = pd.DataFrame({"wave": [1, 1, 2, 2, 2], "user_type": ["admin", "$x$", "admin", "$x$",
                                                                 "exec"],
                        "sent": [2, 6, 1, 2, 1], "share": [0.25, 0.75, 0.25, 0.5, 0.25]})
    before = mix.copy()
    ax = plots.stratum_mix(mix)
    pd.testing.assert_frame_equal(mix, before)
    # one bar per wave and stratum, a stratum absent from a wave drawn with height 0;
    # strata in sorted order: "$x$", "admin", "exec"
    assert [p.get_height() for p in ax.patches] == [0.75, 0.5, 0.25, 0.25, 0.0, 0.25]
    assert [p.get_y() for p in ax.patches] == [0, 0, 0.75, 0.5, 1.0, 0.75]
    assert _ticks(ax.get_xticklabels()) == ["1", "2"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["$x$", "admin", "exec"]
    assert ax.get_legend().get_title().get_text() == "User type"
    assert ax.yaxis.get_major_formatter()(0.5, 0) == "50%"
    with pytest.raises(SchemaError, match="`share`"):
        plots.stratum_mix(mix.drop(columns="share"))
    empty = plots.stratum_mix(mix.iloc[:0])
    assert empty.get_legend() is None and empty.get_title("left")


_WEEKLY = pd.DataFrame({"period_end": pd.to_datetime(["2026-10-04", "2026-10-11"]),
                        "n": [30, 35], "nps": [20.0, 28.0], "ci_low": [5.0, 14.0],
                        "ci_high": [35.0, 42.0], "loops_closed_in_sla": [10, 20],
                        "share_in_sla": [0.4, 0.7]})
_ROW = pd.Series({"period": "2026-10", "start_mrr": 700.0, "new": 10.0, "expansion": 40.0,
                  "reactivation": 5.0, "contraction": -5.0, "churn": -80.0, "end_mrr": 670.0})
# Every helper, with a "$x$" in its data labels where the data has labels.
EVERY_PLOT = {
    "nps_trend": lambda: plots.nps_trend(ROLLING),
    "nps_by_group": lambda: plots.nps_by_group(GROUPS, group="plan"),
    "cohort_heatmap": lambda: plots.cohort_heatmap(pd.DataFrame({
        "cohort": ["$x$", "2025Q2"], "period": ["2026Q3", "2026Q3"], "nps": [10.0, 20.0]})),
    "revenue_waterfall": lambda: plots.revenue_waterfall(_ROW),
    "rate_trend": lambda: plots.rate_trend(pd.DataFrame({
        "period": ["$x$", "2026-10"], "grr": [0.9, 0.95], "nrr": [1.0, 1.02]})),
    "survival_plot": lambda: plots.survival_plot(pd.DataFrame({
        "group": ["$x$", "$x$", "2-3"], "time": [0, 3, 0], "survival": [1.0, 0.8, 1.0],
        "ci_low": [np.nan, 0.6, np.nan], "ci_high": [np.nan, 0.9, np.nan]})),
    "forest_plot": lambda: plots.forest_plot(pd.DataFrame(
        {"odds_ratio": [0.5, 1.3], "ci_low": [0.4, 0.9], "ci_high": [0.7, 1.9]},
        index=pd.Index(["key_adopter", "plan[T.$x$]"], name="term"))),
    "bar_rates": lambda: plots.bar_rates(pd.DataFrame({"plan": ["$x$", "Pro"],
                                                       "rate": [0.7, 0.8]}), x="plan"),
    "loop_vs_nps": lambda: plots.loop_vs_nps(_WEEKLY),
    "stratum_mix": lambda: plots.stratum_mix(pd.DataFrame({
        "wave": [1, 1], "user_type": ["$x$", "admin"], "share": [0.5, 0.5]})),
}


def test_every_plot_helper_is_listed():
    assert sorted(EVERY_PLOT) == sorted(set(plots.__all__) - {"PALETTE", "set_style",
                                                              "readable_term", "figure_alt"})


@pytest.mark.parametrize("name", sorted(EVERY_PLOT))
def test_every_plot_has_a_title_labelled_axes_and_literal_text(name):
    with matplotlib.rc_context({"text.parse_math": True}):  # even without set_style's switch
        ax = EVERY_PLOT[name]()
        ax.figure.canvas.draw()
    assert ax.get_title("left"), name
    assert ax.get_xlabel() and ax.get_ylabel(), (name, ax.get_xlabel(), ax.get_ylabel())
    texts = [t for t in ax.figure.findobj(matplotlib.text.Text) if t.get_text()]
    assert all(t.get_parse_math() is False for t in texts), name
    # no label meant as mathtext either: it would print as "$\mathdefault{10^{0}}$"
    assert not [t.get_text() for t in texts if "mathdefault" in t.get_text()], name
    if name not in ("nps_trend", "revenue_waterfall", "loop_vs_nps"):  # no text from data
        assert any("$x$" in t.get_text() for t in texts), name
    # the house style: the figure size and the palette of set_style
    assert tuple(ax.figure.get_size_inches()) == (8.0, 4.0)
    # Reports save the figure as laid out (no bbox_inches="tight"), so everything drawn
    # (titles, rotated tick labels, legends beside or below the axes, colour bars)
    # must lie inside it: the tight box, which "tight" would crop to, is within.
    drawn = ax.figure.get_tightbbox(ax.figure.canvas.get_renderer())
    assert (drawn.x0 >= -0.01 and drawn.y0 >= -0.01 and drawn.x1 <= 8.01
            and drawn.y1 <= 4.01), (name, drawn.bounds)


def test_titles_can_be_replaced_and_follow_the_locale():
    assert plots.bar_rates(pd.DataFrame({"plan": ["a"], "rate": [0.5]}), x="plan",
                           title="Custom").get_title("left") == "Custom"
    report.check_locale("pt-BR")
    ax = plots.revenue_waterfall(pd.Series(dict(_ROW, period="2025-11 to 2026-10")))
    assert ax.get_title("left") == "Ponte de receita: novembro de 2025 a outubro de 2026"
    assert ax.get_xlabel() == "Movimento" and ax.get_ylabel() == "MRR"
    assert plots.nps_by_group(GROUPS, group="plan").get_title("left") == "NPS por plano com IC 95%"
    report.check_locale("en")
    assert plots.forest_plot(pd.DataFrame({"hazard_ratio": [0.5], "ci_low": [0.4],
                                           "ci_high": [0.7]}, index=["a"]),
                             estimate="hazard_ratio").get_title("left") == "Hazard ratios with 95% CI"


@pytest.mark.slow
def test_an_inline_figure_is_rendered_once_in_a_kernel(monkeypatch):
    # In a real kernel with the inline backend, as in the reports: the figure is shown
    # (an SVG output) after a single rendering. pyplot's own post-execute
    # hook used to render it first, doubling the cost of every figure.
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {
        "name": "python3", "language": "python", "display_name": "Python 3"}})
    nb.cells = [nbformat.v4.new_code_cell(source) for source in (
        "import matplotlib.pyplot as plt\nfrom cslib import plots\nplots.set_style()\n"
        "renders = []",
        # a layout pass (matplotlib's print_figure does one) disables the renderer's
        # draw_* methods on the instance (for SVG, on the renderer the mixed-mode one
        # wraps); only the passes that paint count
        "fig, ax = plt.subplots()\nax.plot([1, 2, 3])\n"
        "fig.canvas.mpl_connect('draw_event', lambda event: renders.append(event)\n"
        "    if 'draw_path' not in vars(getattr(event.renderer, '_renderer', event.renderer))\n"
        "    else None)\n"
        "ax.set_title('one');",
        "print(len(renders))",
    )]
    NotebookClient(nb, kernel_name="python3", timeout=120).execute()
    assert [o["output_type"] for o in nb.cells[1].outputs] == ["display_data"]
    assert nb.cells[1].outputs[0]["data"]["image/svg+xml"].startswith('<svg id="cs')
    assert nb.cells[2].outputs[0]["text"].strip() == "1"


# --------------------------------------------------------------------------- legibility
def _names(n, long):
    base = "Customer success account group number" if long else "g"
    return [f"{base} {i:02d}"[:40] if long else f"{base}{i}" for i in range(n)]


def _extreme_cases():
    """Every helper on realistic and extreme data: 1, 2, 25 and 60 rows, 40-character
    names, rates near 0% and near 100%."""
    cases = []
    for n, long in ((1, False), (2, True), (25, False), (25, True)):
        names = _names(n, long)
        for low in (0.02, 0.97):
            rate = low + np.linspace(0, 0.025, n)
            cases.append((f"bar_rates-{n}-{long}-{low}", lambda names=names, rate=rate:
                          plots.bar_rates(pd.DataFrame({"plan": names, "rate": rate,
                                                        "ci_low": rate - 0.005,
                                                        "ci_high": rate + 0.005}), x="plan")))
        nps = np.linspace(-40, 60, n)
        cases.append((f"nps_by_group-{n}-{long}", lambda names=names, nps=nps:
                      plots.nps_by_group(pd.DataFrame({"plan": names, "nps": nps,
                                                       "ci_low": nps - 10, "ci_high": nps + 10}),
                                         group="plan")))
        terms = [f"plan[T.{x}]" for x in names]
        ratio = np.exp(np.linspace(-0.1, 0.1, n))
        cases.append((f"forest_plot-{n}-{long}", lambda terms=terms, ratio=ratio:
                      plots.forest_plot(pd.DataFrame({"odds_ratio": ratio, "ci_low": ratio * 0.95,
                                                      "ci_high": ratio * 1.05},
                                                     index=pd.Index(terms, name="term")))))
    for n in (1, 2, 25, 60):
        periods = [str(p) for p in pd.period_range("2021-01", periods=n, freq="M")]
        grr = 0.95 + np.linspace(0, 0.02, n)
        cases.append((f"rate_trend-{n}", lambda periods=periods, grr=grr: plots.rate_trend(
            pd.DataFrame({"period": periods, "grr": grr, "nrr": grr + 0.005}))))
        ends = pd.date_range("2026-01-04", periods=n, freq="W")
        cases.append((f"nps_trend-{n}", lambda ends=ends: plots.nps_trend(pd.DataFrame({
            "period_end": ends, "nps": np.linspace(10, 30, len(ends)),
            "ci_low": np.linspace(0, 20, len(ends)), "ci_high": np.linspace(20, 40, len(ends))}))))
        cases.append((f"loop_vs_nps-{n}", lambda ends=ends: plots.loop_vs_nps(pd.DataFrame({
            "period_end": ends, "nps": np.linspace(10, 30, len(ends)),
            "share_in_sla": np.linspace(0.01, 0.99, len(ends)),
            "complete": [True] * (len(ends) - 1) + [False]}))))
        waves = np.repeat(np.arange(1, n + 1), 2)
        cases.append((f"stratum_mix-{n}", lambda waves=waves: plots.stratum_mix(pd.DataFrame({
            "wave": waves, "user_type": ["admin", "end user"] * (len(waves) // 2),
            "share": [0.4, 0.6] * (len(waves) // 2)}))))
    for rows in (2, 25):
        cohorts = [f"{2020 + i // 4}Q{i % 4 + 1}" for i in range(rows)]
        cases.append((f"cohort_heatmap-{rows}", lambda cohorts=cohorts: plots.cohort_heatmap(
            pd.DataFrame({"cohort": np.repeat(cohorts, 8),
                          "period": [f"2026Q{q}" if q < 5 else f"2027Q{q - 4}"
                                     for q in range(1, 9)] * len(cohorts),
                          "nps": 10.0, "n": 40, "small_sample": False}))))
    survival = pd.DataFrame({"group": np.repeat(["0-1 key features", "2 key features"], 30),
                             "time": np.tile(np.arange(30), 2),
                             "survival": np.tile(np.linspace(1, 0.5, 30), 2),
                             "ci_low": np.nan, "ci_high": np.nan})
    cases.append(("survival_plot", lambda: plots.survival_plot(survival)))
    cases.append(("revenue_waterfall", lambda: plots.revenue_waterfall(_ROW, locale="pt-BR")))
    return cases


def _overlaps(labels, renderer):
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in labels
             if t.get_visible() and t.get_text()]
    return [(a, b) for i, (a, box_a) in enumerate(boxes) for b, box_b in boxes[i + 1:]
            if box_a.overlaps(box_b)]


@pytest.mark.parametrize("drawing", ["wide", "phone"])
@pytest.mark.parametrize(("name", "draw"), _extreme_cases(), ids=lambda v: v
                         if isinstance(v, str) else "")
def test_tick_and_category_labels_never_overlap_or_repeat(name, draw, drawing):
    """At 8 in (screens, paper) and in the 5 in phone drawing the helper makes again."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = draw().figure
    if drawing == "phone":
        fig = plots._phone_figure(fig)
        assert fig.get_figwidth() == plots.PHONE
        FigureCanvasAgg(fig)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for axes in fig.axes:
        if axes.get_label() == "<colorbar>":
            continue
        for axis in (axes.xaxis, axes.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            shown = [t for t, loc in zip(axis.get_ticklabels(), axis.get_majorticklocs(),
                                         strict=False)
                     if lo - 1e-9 <= loc <= hi + 1e-9 and t.get_visible() and t.get_text()]
            texts = [t.get_text() for t in shown]
            assert len(texts) == len(set(texts)), (name, texts)
            assert _overlaps(shown, renderer) == [], name
    plt.close(fig)


def test_rate_ticks_near_zero_have_the_decimals_they_need():
    ax = plots.rate_trend(pd.DataFrame({"period": ["a", "b", "c"],
                                        "logo_churn": [0.02, 0.03, 0.045]}),
                          rates=["logo_churn"])
    ax.figure.canvas.draw()
    texts = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    # ticks every half a point: "2.0%", "2.5%", ..., never "2%, 2%, 3%"
    assert "2.5%" in texts and len(texts) == len(set(texts))


def test_forest_plot_log_axis_has_ticks_on_both_sides_of_one():
    summary = pd.DataFrame({"hazard_ratio": [1.05, 1.2], "ci_low": [1.01, 1.1],
                            "ci_high": [1.1, 1.3]}, index=["key_adopter", "plan[T.Pro]"])
    ax = plots.forest_plot(summary, estimate="hazard_ratio", min_features=2)
    ticks = [v for v in ax.xaxis.get_majorticklocs() if ax.get_xlim()[0] <= v <= ax.get_xlim()[1]]
    assert ax.get_xscale() == "log" and min(ticks) < 1 < max(ticks)
    assert _ticks(ax.get_yticklabels()) == ["Uses 2+ key features", "Plan: Pro"]


def test_cohort_heatmap_hatches_small_cells_and_labels_every_row():
    cohorts = pd.DataFrame({"cohort": [f"2024Q{q}" for q in range(1, 5)] * 2 + ["2025Q1"] * 2,
                            "period": ["2026Q1"] * 4 + ["2026Q2"] * 4 + ["2026Q1", "2026Q2"],
                            "nps": [10.0, -100.0, 20.0, 30.0, 5.0, 15.0, 25.0, 35.0, 40, 45],
                            "n": [50, 2, 40, 45, 50, 60, 40, 45, 33, 31]})
    cohorts["small_sample"] = cohorts["n"] < 30
    ax = plots.cohort_heatmap(cohorts)
    assert _ticks(ax.get_yticklabels()) == ["2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1"]
    texts = [t.get_text() for t in ax.texts]
    assert "-100" not in texts and "n=2" in texts  # the 2-answer cell shows its count only
    assert [p.get_hatch() for p in ax.patches if p.get_hatch()] == ["///"]
    assert "1 cells with a small sample" in plots.figure_alt(ax.figure)


def test_cohort_heatmap_inks_each_number_by_its_cells_lightness():
    # RdBu from -100 to 100: -100 is dark red and 100 dark blue (white numbers), 0 is
    # white and 40 pale blue (dark numbers); the cells are coloured from the same map.
    cohorts = pd.DataFrame({"cohort": ["2025Q1"] * 4, "period": ["P1", "P2", "P3", "P4"],
                            "n": [50] * 4, "nps": [-100.0, 0.0, 40.0, 100.0]})
    ax = plots.cohort_heatmap(cohorts)
    ink = {t.get_text(): matplotlib.colors.to_hex(t.get_color()) for t in ax.texts}
    assert ink == {"-100": "#ffffff", "0": "#262626", "40": "#262626", "100": "#ffffff"}
    cmap = matplotlib.colormaps["RdBu"]
    mesh = ax.collections[0]
    mesh.update_scalarmappable()  # what a drawing does first
    faces = [matplotlib.colors.to_hex(c) for c in mesh.get_facecolors()]
    assert faces == [matplotlib.colors.to_hex(cmap(x)) for x in (0.0, 0.5, 0.7, 1.0)]
    assert len(ax.figure.axes) == 2  # and its colour bar


def _constrained_figure():
    fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
    ax.plot([0, 1, 2], [3, 1, 2], label="a long legend entry")
    ax.set_title("A title that takes room")
    ax.set_ylabel("A y label")
    fig.legend(loc="outside lower center")
    return fig


def test_a_saved_chart_is_laid_out_once_and_its_bytes_are_matplotlibs():
    # matplotlib's own savefig (a dry-run draw, then the drawing) is the reference
    reference = io.StringIO()
    fig = _constrained_figure()
    fig.savefig(reference, format="svg", **plots.SVG_KWARGS)
    fig = _constrained_figure()
    draws = []
    original = type(fig).draw

    def counting(self, renderer):
        draws.append(renderer)
        return original(self, renderer)

    type(fig).draw = counting
    try:
        ours = plots._svg_text(fig)
    finally:
        type(fig).draw = original
    assert ours == reference.getvalue()
    assert len(draws) == 1  # the dry run laid the axes out and drew nothing
    assert "draw" not in vars(fig)  # the figure draws as before afterwards
    plt.close("all")


def test_partial_weeks_and_collecting_waves_are_drawn_apart():
    weekly = _WEEKLY.assign(complete=[True, False])
    ax = plots.loop_vs_nps(weekly)
    assert "partial week" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert list(ax.lines[0].get_ydata()) == [20.0]  # the solid line stops at complete weeks
    waves = pd.DataFrame({"wave": [1, 2], "response_rate": [0.3, 0.1],
                          "complete": [True, False]})
    ax = plots.bar_rates(waves, x="wave", y="response_rate")
    assert [bool(p.get_hatch()) for p in ax.patches[:2]] == [False, True]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["still collecting answers"]


def test_old_argument_names_still_work_with_a_warning():
    with pytest.warns(DeprecationWarning, match=r"rolling=\.\.\.\) is deprecated"):
        ax = plots.nps_trend(rolling=ROLLING)
    assert ax.get_title("left")
    with pytest.raises(TypeError, match="pass the data once"):
        plots.nps_trend(ROLLING, rolling=ROLLING)


def test_alt_text_says_title_and_key_figure():
    ax = plots.nps_trend(ROLLING)
    assert plots.figure_alt(ax.figure) == (
        "Rolling NPS with its 95% CI. Latest 27 Sep 2026: NPS 40 (95% CI 27 to 53).")


# --------------------------------------------------------------------------- SVG output
def test_svgs_are_the_same_bytes_between_runs_with_ids_of_their_own():
    first = plots.figure_svgs(plots.nps_by_group(GROUPS, group="plan").figure)
    again = plots.figure_svgs(plots.nps_by_group(GROUPS, group="plan").figure)
    assert first == again and sorted(first) == ["phone", "wide"]
    ids = {k: re.findall(r'\bid="([^"]+)"', v) for k, v in first.items()}
    assert not set(ids["wide"]) & set(ids["phone"])  # both sit in one page
    for kind, svg in first.items():
        assert svg.startswith(f'<svg id="{ids[kind][0]}" class="cs-{kind}" role="img" ')
        assert "<?xml" not in svg and "<metadata>" not in svg and "<dc:date>" not in svg
        assert len(ids[kind]) == len(set(ids[kind]))
        # every reference points at an id of the same drawing
        refs = re.findall(r'(?:url\(#|href="#)([^)"]+)', svg)
        assert refs and set(refs) <= set(ids[kind])
        # the text is text (selectable, searchable), not glyph outlines
        assert ">Starter</text>" in svg
    alt = plots.figure_alt(plots.nps_by_group(GROUPS, group="plan").figure)
    assert alt.startswith("NPS by plan with 95% CI. Highest Pro NPS 45")
    assert f'aria-label="{alt}"' in first["wide"] and f"<title>{alt}</title>" in first["phone"]


def test_alt_text_is_escaped_in_the_svg():
    ax = plots.bar_rates(pd.DataFrame({"plan": ['<b>"Pro"</b>', "A&B"], "rate": [0.5, 0.4]}),
                         x="plan")
    wide = plots.figure_svgs(ax.figure)["wide"]
    assert 'aria-label="Rate by plan. Highest &lt;b&gt;&quot;Pro&quot;&lt;/b&gt; 50.0%' in wide
    assert "<b>" not in wide


def test_no_phone_drawing_for_a_figure_changed_after_the_helper_or_drawn_on_by_several():
    ax = plots.nps_by_group(GROUPS, group="plan")
    assert "phone" in plots.figure_svgs(ax.figure)
    ax.axvline(10)  # the phone drawing (the helper run again) would not have this line
    assert list(plots.figure_svgs(ax.figure)) == ["wide"]
    fig, (left, right) = plt.subplots(1, 2)
    plots.nps_by_group(GROUPS, group="plan", ax=left)
    assert list(plots.figure_svgs(fig)) == ["wide"]


#: A 390 px phone less the page's side margins (.75rem each), in CSS px.
PHONE_COLUMN_PX = 390 - 2 * 12


@pytest.mark.parametrize(("name", "draw"), _extreme_cases(), ids=lambda v: v
                         if isinstance(v, str) else "")
def test_phone_drawings_text_is_at_least_9_css_px_on_a_390_px_phone(name, draw):
    # the drawing is PHONE inches = PHONE * 72 pt (SVG user units) shown 366 px wide
    fig = plots._phone_figure(draw().figure)
    scale = PHONE_COLUMN_PX / (plots.PHONE * 72)
    sizes = {t.get_text(): t.get_fontsize() * scale for t in fig.findobj(matplotlib.text.Text)
             if t.get_visible() and t.get_text().strip()}
    assert min(sizes.values()) >= 9.0, (name, min(sizes.items(), key=lambda kv: kv[1]))


def test_a_time_to_value_curve_says_days_and_value_not_months_and_paying():
    import pandas as pd

    from cslib import plots

    curves = pd.DataFrame({"group": ["Pro", "Pro"], "time": [0, 1500], "survival": [1, 0.2],
                           "ci_low": [1, 0.1], "ci_high": [1, 0.3]})
    ax = plots.survival_plot(curves, curve="value", locale="en")
    assert ax.get_xlabel() == "Days since sign-up"
    assert ax.get_ylabel() == "Share not yet at value"
    assert plots.survival_plot(curves, locale="en").get_xlabel() == "Months since first payment"
    with pytest.raises(ValueError, match="curve='days'"):
        plots.survival_plot(curves, curve="days")
