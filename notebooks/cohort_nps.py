# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Cohort NPS
#
# The segment's Net Promoter Score for the month, its trend, where it differs
# (user type, plan, signup cohort), how the survey programme is running and
# whether loops are being closed. Every number below comes from `cslib`; the
# intervals are 95% confidence intervals.

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
from cslib import nps, plots, report
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

# %% [markdown]
# ## Summary

# %%
with notes:
    headline = nps.window_comparison(responses, current=current_window,
                                     previous=previous_window, min_n=min_n)
record_headlines(report.nps_headlines(headline.current, days=window_days, locale=locale))
report.show_markdown(report.nps_summary_sentence(
    headline.current, headline.previous, headline.comparison, locale=locale,
    period=report.t("previous_window", locale, days=window_days)))

# %% [markdown]
# ## Rolling 90-day trend
#
# Each point is the NPS of the answers in the 90 days up to that week; a
# user who answered twice in a window counts once (the latest answer).

# %%
with notes:
    rolling = nps.rolling_nps(responses, window=f"{window_days}D", freq="W", min_n=min_n)
plots.nps_trend(rolling);

# %% [markdown]
# ## By user type and by plan
#
# The answers of the same 90 days, each user's latest one, so the groups add
# up to the summary's answers. Each group is compared with the rest of the
# segment; "significant" means the difference would rarely arise by chance
# (5% level, corrected for every comparison on this page). Groups with fewer
# than 30 answers are drawn hollow: read them with care.

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

# %% [markdown]
# ## NPS by signup cohort
#
# Rows are the quarter the account signed up, columns the quarter of the
# answer. Blank cells have no answers.

# %%
with notes:
    cohorts = nps.cohort_nps(responses, ctx["accounts"], min_n=min_n)
plots.cohort_heatmap(cohorts);

# %% [markdown]
# ## Survey programme health
#
# The base is split into 12 waves with the same mix of user types; one wave
# is asked each week. An answer counts for its send when it arrives within 30
# days, so the month's response rate is over the sends whose 30-day window
# closed in the month; sends still collecting answers are shown apart. The
# chart shows the waves sent in the last 90 days.

# %%
health = survey_health(ctx["nps_invitations"], ctx["nps_responses"], ctx["users"],
                       window=current_window, month=month)
report.show_markdown(report.survey_sentence(health.overall, provisional=health.provisional,
                                            month=month, locale=locale))
plots.bar_rates(health.waves, x="wave", y="response_rate");

# %% [markdown]
# ### The stratum mix of each wave
#
# Each bar is one wave's invitations split by user type. Waves built as
# designed have the same proportions as each other and as the whole base; the
# sentence above gives the largest gap.

# %%
plots.stratum_mix(health.mix, strata="user_type");

# %% [markdown]
# ## Closing the loop
#
# Detractors and passives should get a call, promoters an e-mail, within
# the SLA. The table counts the month's answers: an answer whose SLA had not
# run out by the month's end is pending, neither met nor missed. The chart
# follows weekly NPS against the share of loops closed in time; a last week
# that the month's end cuts short is left out of the correlation. The two
# moving together is an association, not proof that one drives the other.

# %%
month_answers = rows_in_window(responses, month_window(month), date="responded_at")
loops = nps.loop_closure(month_answers, ctx["loop_actions"], sla_days=sla_days, month=month)
record_headlines(report.loop_headlines(loops, month=month, locale=locale))
report.show_markdown(report.loop_sentence(loops, month=month, sla_days=sla_days,
                                          locale=locale))
report.show_table(loops.sla_summary, locale=locale, columns=report.SLA_COLUMNS)

# %%
weekly = nps.loop_closure(responses, ctx["loop_actions"], sla_days=sla_days, month=month)
plots.loop_vs_nps(weekly.weekly);
report.show_markdown(report.correlation_sentence(weekly.correlation, locale=locale))

# %% [markdown]
# ## What detractors said
#
# The most recent detractor comments in the window.

# %%
quotes = nps.verbatims(current, category="detractor", mask=mask_pii, n=15)
report.show_verbatims(quotes, locale=locale, masked=mask_pii)

# %% [markdown]
# ## Caveats

# %%
notes.show()
