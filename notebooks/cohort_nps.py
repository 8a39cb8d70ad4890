# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% tags=["parameters"]
segment: str = "all"  # segment to report on ("all": every account)
month: str = "2026-10"  # report month, YYYY-MM (a params file may say "latest")
source: str | None = None  # DuckDB file, CSV/Parquet folder or database URL (None: $CSLIB_SOURCE or the demo data)
locale: str = "en"  # report language, "en" or "pt-BR"
csv: dict | None = None  # CSV reading options (sep, decimal, encoding, dayfirst, thousands)
mask_pii: bool = True  # mask e-mails and names in verbatim comments
data_date: str | None = None  # the data's last month, set by the batch (shown in the header)
window_days: int = 90  # days in the NPS window, compared with the window before
min_n: int = 30  # fewest answers for a group's NPS to be shown
sla_days: int = 3  # days within which a detractor's loop must be closed

# %%
from cslib import nps, plots, report, trend
from cslib.context import open_report
from cslib.headlines import record_headlines
from cslib.periods import month_window, rows_in_window, trailing_window
from cslib.survey import survey_health

ctx = open_report(segment=segment, month=month, source=source, csv=csv, locale=locale)
month = ctx.month  # the report month ("latest" resolved); the data stop at its end
responses = nps.with_user_attributes(ctx["nps_responses"], ctx["users"], ctx["accounts"])
current_window = trailing_window(month, window_days)
previous_window = trailing_window(month, window_days, lag=1)
current = rows_in_window(responses, current_window, date="responded_at")
notes = report.capture_warnings()

# %%
report.section("cohort_nps.title", locale)

# %%
report.section("cohort_nps.summary", locale)

# %%
with notes:
    headline = nps.window_comparison(responses, current=current_window,
                                     previous=previous_window, min_n=min_n)
record_headlines(trend.with_history(trend.nps_figures, ctx.data, month, window_days=window_days,
                                    min_n=min_n, sla_days=sla_days, locale=locale))
report.show_markdown(report.nps_summary_sentence(
    headline.current, headline.previous, headline.comparison, locale=locale,
    period=report.t("previous_window", locale, days=window_days)))

# %%
report.section("cohort_nps.trend", locale)

# %%
with notes:
    rolling = nps.rolling_nps(responses, window=f"{window_days}D", freq="W", min_n=min_n)
plots.nps_trend(rolling);

# %%
report.section("cohort_nps.groups", locale)

# %%
with notes:
    groups = nps.compare_groups_on_page(current, by=["user_type", "plan"], min_n=min_n)
by_type, by_plan = groups["user_type"], groups["plan"]
report.show_markdown(report.holm_note(by_type, by_plan, locale=locale))
plots.nps_by_group(by_type, group="user_type");

# %%
report.show_table(by_type, locale=locale, columns=report.GROUP_NPS_COLUMNS)

# %%
plots.nps_by_group(by_plan, group="plan");

# %%
report.show_table(by_plan, locale=locale, columns=report.GROUP_NPS_COLUMNS)

# %%
report.section("cohort_nps.cohorts", locale)

# %%
with notes:
    cohorts = nps.cohort_nps(responses, ctx["accounts"], min_n=min_n)
plots.cohort_heatmap(cohorts);

# %%
report.section("cohort_nps.survey", locale)

# %%
health = survey_health(ctx["nps_invitations"], ctx["nps_responses"], ctx["users"],
                       window=current_window, month=month)
report.show_markdown(report.survey_sentence(health.overall, provisional=health.provisional,
                                            month=month, locale=locale))
plots.bar_rates(health.waves, x="wave", y="response_rate");

# %%
report.section("cohort_nps.mix", locale)

# %%
plots.stratum_mix(health.mix, strata="user_type");

# %%
report.section("cohort_nps.loops", locale)

# %%
month_answers = rows_in_window(responses, month_window(month), date="responded_at")
loops = nps.loop_closure(month_answers, ctx["loop_actions"], sla_days=sla_days, month=month)
report.show_markdown(report.loop_sentence(loops, month=month, sla_days=sla_days,
                                          locale=locale))
report.show_table(loops.sla_summary, locale=locale, columns=report.SLA_COLUMNS)

# %%
weekly = nps.loop_closure(responses, ctx["loop_actions"], sla_days=sla_days, month=month)
plots.loop_vs_nps(weekly.weekly);
report.show_markdown(report.correlation_sentence(weekly.correlation, locale=locale))

# %%
report.section("cohort_nps.verbatims", locale)

# %%
quotes = nps.verbatims(current, category="detractor", mask=mask_pii, n=15)
report.show_verbatims(quotes, locale=locale, masked=mask_pii)

# %%
report.section("cohort_nps.caveats", locale)

# %%
notes.show()
