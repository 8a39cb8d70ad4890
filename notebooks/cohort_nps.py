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
from cslib.headlines import record_headline
from cslib.periods import rows_in_window, trailing_window, up_to
from cslib.survey import survey_health

ctx = open_report(segment=segment, month=month, source=source, csv=csv, locale=locale)
responses = up_to(nps.with_user_attributes(ctx["nps_responses"], ctx["users"], ctx["accounts"]),
                  month, date="responded_at")
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
record_headline("NPS", headline.current["nps"], text=report.fmt_nps(headline.current["nps"]))
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
# Each group is compared with the rest of the segment; "significant" means
# the difference would rarely arise by chance (5% level). Groups with fewer
# than 30 answers are drawn hollow: read them with care.

# %%
with notes:
    by_type = nps.compare_groups(current, by="user_type", min_n=min_n)
    by_plan = nps.compare_groups(current, by="plan", min_n=min_n)
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
# is asked each week. Answers arriving more than 30 days after the send are
# not counted; the latest sends may still be collecting answers.

# %%
health = survey_health(ctx["nps_invitations"], ctx["nps_responses"], ctx["users"],
                       window=current_window)
report.show_markdown(report.survey_sentence(health.overall, locale=locale))
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
# the SLA. The chart follows weekly NPS against the number of loops closed
# in time; the two moving together is an association, not proof that one
# drives the other.

# %%
loops = nps.loop_closure(responses, ctx["loop_actions"], sla_days=sla_days)
record_headline("Loops closed in SLA", loops.within_sla_rate,
                text=report.fmt_pct(loops.within_sla_rate, locale))
report.show_table(loops.sla_summary, locale=locale, columns=report.SLA_COLUMNS)

# %%
plots.loop_vs_nps(loops.weekly);
report.show_markdown(report.correlation_sentence(loops.correlation, locale=locale))

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
