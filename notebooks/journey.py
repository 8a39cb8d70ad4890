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
data_date: str | None = None  # the data's last month, set by the batch (shown in the header)
stages: list = ["lead", "qualified", "demo", "proposal", "negotiation"]  # sales stages in their order
value_milestone: str = "go-live"  # the onboarding milestone that means value
stall_days: float | None = None  # days in a stage that stall an open opportunity (None: the stage's p90)
landmark_months: int = 3  # churn is compared from this month of life on (accounts still paying then)

# %%
from cslib import funnel, onboarding, plots, report, retention, trend
from cslib.context import open_report
from cslib.headlines import record_headlines

ctx = open_report(segment=segment, month=month, source=source, csv=csv, locale=locale,
                  tables=["accounts", "mrr", "opportunities", "opportunity_stages",
                          "onboarding_milestones"])
month = ctx.month  # the report month ("latest" resolved); the data stop at its end
sales = open_report(segment="all", month=month, source=source, csv=csv, locale=locale,
                    tables=["accounts", "opportunities", "opportunity_stages"])
notes = report.capture_warnings()

# %%
report.section("journey.title", locale)

# %%
report.section("journey.summary", locale)

# %%
with notes:
    ttv = onboarding.time_to_value(ctx["accounts"], ctx["onboarding_milestones"], month=month,
                                   value_milestone=value_milestone,
                                   opportunities=ctx["opportunities"])
    median = onboarding.median_time_to_value(ttv)
    shares = onboarding.share_reaching_value(ttv)
record_headlines(trend.with_history(trend.journey_figures, ctx.data, month,
                                    value_milestone=value_milestone, locale=locale))
report.show_markdown(report.time_to_value_sentence(median, shares, locale=locale))

# %%
report.section("journey.funnel", locale)

# %%
with notes:
    conversion = funnel.stage_conversion(sales["opportunities"], sales["opportunity_stages"],
                                         order=stages, month=month)
report.show_table(conversion, locale=locale)

# %%
report.section("journey.in_stage", locale)

# %%
with notes:
    durations = funnel.stage_durations(sales["opportunities"], sales["opportunity_stages"],
                                       order=stages, month=month)
    in_stage = funnel.time_in_stage(sales["opportunities"], sales["opportunity_stages"],
                                    order=stages, month=month, durations=durations)
report.show_table(in_stage, locale=locale)

# %%
report.section("journey.stalled", locale)

# %%
with notes:
    stalled = funnel.stalled_opportunities(sales["opportunities"], sales["opportunity_stages"],
                                           order=stages, month=month,
                                           threshold_days=stall_days, durations=durations)
report.show_table(stalled, locale=locale)

# %%
report.show_table(funnel.owner_load(sales["opportunities"], month=month), locale=locale)

# %%
report.show_table(funnel.sales_cycle(sales["opportunities"], month=month, by="channel"),
                  locale=locale)

# %%
report.section("journey.ttv", locale)

# %%
with notes:
    curves = report.attempt(retention.survival_curves, ttv, duration="days",
                            event="reached", by="plan", locale=locale)
if curves is not None:
    plots.survival_plot(curves.table, curve="value");

# %%
report.show_table(onboarding.share_reaching_value(ttv, by="plan"), locale=locale)

# %%
report.show_table(onboarding.share_reaching_value(ttv, by="channel"), locale=locale)

# %%
report.section("journey.ttv_churn", locale)

# %%
with notes:
    lifetimes = retention.account_lifetimes(ctx["mrr"], ctx["accounts"], month=month)
    landmark = onboarding.journey_lifetimes(lifetimes, ttv, landmark_months=landmark_months)
    by_value = report.attempt(retention.survival_curves, landmark, locale=locale,
                              duration="duration_months", event="churned", by="value_band")
    cox = report.attempt(retention.hazard_model, landmark, duration="duration_months",
                         event="churned", locale=locale,
                         covariates=["value_by_landmark", "hurried", "channel"])
if by_value is not None:
    plots.survival_plot(by_value.table)
    report.show_markdown(report.logrank_sentence(by_value.logrank, locale=locale))
report.show_markdown(report.journey_hazard_sentence(cox, "slow", landmark=landmark_months,
                                                    locale=locale) or "")

# %%
report.section("journey.hurried", locale)

# %%
with notes:
    from_signup = onboarding.journey_lifetimes(lifetimes, ttv, landmark_months=0)
    by_cycle = report.attempt(retention.survival_curves, from_signup, locale=locale,
                              duration="duration_months", event="churned", by="cycle_band")
if by_cycle is not None:
    plots.survival_plot(by_cycle.table)
    report.show_markdown(report.logrank_sentence(by_cycle.logrank, locale=locale))
report.show_markdown(report.journey_hazard_sentence(cox, "hurried", landmark=landmark_months,
                                                    locale=locale) or "")

# %%
if cox is not None:
    report.show_table(cox.summary.reset_index(), locale=locale)

# %%
report.section("journey.honesty", locale)

# %%
notes.show()
