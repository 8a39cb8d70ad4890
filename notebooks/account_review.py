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
gross_margin: float = 0.75  # gross margin used to turn MRR into lifetime value, 0-1
ltv_months: int = 12  # months of history behind the lifetime value
thresholds: dict = {}  # success-review thresholds overriding the defaults
max_accounts: int = 30  # most accounts listed in each call list

# %%
from cslib import ltv, plots, report, review, support, trend
from cslib.context import open_report
from cslib.headlines import record_headlines
from cslib.tables import with_accounts

ctx = open_report(segment=segment, month=month, source=source, csv=csv, locale=locale)
month = ctx.month  # the report month ("latest" resolved); the data stop at its end
notes = report.capture_warnings()
evidence = review.account_evidence(ctx["accounts"], ctx["mrr"], ctx["nps_responses"],
                                   ctx["usage"], ctx["tickets"], month=month)
with notes:
    classes = review.success_review(evidence, thresholds=thresholds, locale=locale)
summary = review.review_summary(classes, by=None)

# %%
report.section("account_review.title", locale)

# %%
report.section("account_review.summary", locale)

# %%
with notes:
    economics = ltv.ltv_cac_table(ctx["mrr"], ctx["accounts"], by="segment",
                                  gross_margin=gross_margin, months=ltv_months, month=month)
    fcr = support.first_contact_resolution(ctx["tickets"], month=month)
record_headlines(trend.with_history(trend.churn_risk_figures, ctx.data, month, thresholds=thresholds,
                                    locale=locale, months=2))
record_headlines(trend.with_history(trend.fcr_figures, ctx.data, month, locale=locale))
report.show_markdown(report.review_summary_sentence(summary, economics, fcr, locale=locale,
                                                    month=month))

# %%
report.section("account_review.classes", locale)

# %%
report.show_table(summary, locale=locale)

# %%
report.section("account_review.risk", locale)

# %%
report.show_table(review.accounts_to_call(classes, n=max_accounts), locale=locale)

# %%
report.section("account_review.expand", locale)

# %%
report.show_table(review.accounts_to_call(classes, classes=(2,), n=max_accounts), locale=locale)

# %%
report.section("account_review.economics", locale)

# %%
report.show_table(economics, locale=locale)

# %%
report.section("account_review.fcr", locale)

# %%
with notes:
    fcr_by_plan = support.first_contact_resolution(
        with_accounts(ctx["tickets"], ctx["accounts"], ["plan"]), by="plan", month=month)
plots.bar_rates(fcr_by_plan, x="plan");

# %%
report.show_table(fcr_by_plan, locale=locale, columns=report.FCR_COLUMNS)

# %%
report.section("account_review.caveats", locale)

# %%
notes.show()
