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
thresholds: dict = {}  # success-review thresholds overriding the defaults (and the file's)
thresholds_file: str | None = None  # thresholds file written by `cslib tune-review` (None: defaults)
horizon: int = 3  # months ahead of the churn the score and the headlines look at
n_boot: int = 200  # account resamples behind the AUC interval

# %%
from cslib import health, plots, report
from cslib.context import open_report
from cslib.headlines import record_headlines

ctx = open_report(segment=segment, month=month, source=source, csv=csv, locale=locale)
month = ctx.month  # the report month ("latest" resolved); the data stop at its end
notes = report.capture_warnings()
with notes:
    hr = health.health_review(ctx.data, thresholds=thresholds,
                              thresholds_file=thresholds_file, horizon=horizon, n_boot=n_boot)
record_headlines(report.health_headlines(hr, locale=locale, horizon=horizon))

# %%
report.section("health_review.title", locale)

# %%
report.section("health_review.summary", locale)

# %%
report.show_markdown(report.health_summary(hr, locale=locale, horizon=horizon))

# %%
report.section("health_review.classes", locale)

# %%
report.show_table(hr.backtest_table(horizon=horizon), locale=locale)

# %%
report.section("health_review.churn_risk", locale)

# %%
report.show_table(hr.churn_risk, locale=locale)

# %%
report.section("health_review.score", locale)

# %%
report.show_table(hr.metrics, locale=locale)

# %%
plots.reliability_plot(hr.deciles, locale=locale);

# %%
report.section("health_review.weights", locale)

# %%
report.show_table(hr.weights, locale=locale)

# %%
report.section("health_review.loops", locale)

# %%
report.show_table(hr.loop, locale=locale)

# %%
report.show_table(hr.loop_passives, locale=locale)

# %%
report.section("health_review.fcr", locale)

# %%
report.show_table(hr.fcr, locale=locale)

# %%
report.section("health_review.caveats", locale)

# %%
notes.show()
