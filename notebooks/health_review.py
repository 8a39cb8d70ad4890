# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Health review
#
# Does the success review work? Each past month's review classes against what
# happened next (churn, contraction, expansion); a health score from 0 to 100
# validated out of time; the close-the-loop effect; FCR as a driver of NPS and
# churn. Every month is read with what was known at its end.

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

# %% [markdown]
# ## Summary

# %%
report.show_markdown(report.health_summary(hr, locale=locale, horizon=horizon))

# %% [markdown]
# ## The review's classes against what happened
#
# Pooled over the review months: of the accounts in each class, the share that
# churned within the horizon (Wilson 95% interval), the lift over the base rate
# and the ratio to the other classes. Account-months are pooled, so an account
# counts once per month.

# %%
report.show_table(hr.backtest_table(horizon=horizon), locale=locale)

# %% [markdown]
# ### The churn-risk class as a prediction
#
# Precision (churned among those flagged) and recall (flagged among those who
# churned), per horizon and segment.

# %%
report.show_table(hr.churn_risk, locale=locale)

# %% [markdown]
# ## The health score, validated out of time
#
# Fitted on older months only, evaluated on later months: discrimination (AUC,
# interval resampled by account), calibration (slope and intercept), Brier score
# and top-decile lift.

# %%
report.show_table(hr.metrics, locale=locale)

# %%
plots.reliability_plot(hr.deciles, locale=locale);

# %% [markdown]
# ### Components and weights
#
# Log-odds of churn per unit of each component (negative: healthier).

# %%
report.show_table(hr.weights, locale=locale)

# %% [markdown]
# ## Closing the loop
#
# Detractors (then passives) called within the SLA against late or never: the
# change in the chance that their next answer is a detractor (probability),
# and in churn over the horizon (log-odds), adjusted for the first score,
# segment and size. An association unless `loop_actions` has a holdout.

# %%
report.show_table(hr.loop, locale=locale)

# %%
report.show_table(hr.loop_passives, locale=locale)

# %% [markdown]
# ## FCR as a driver
#
# Accounts' first-contact resolution over the quarter against their next
# quarter's NPS answers (NPS points per unit of FCR) and their churn (log-odds),
# controlling for segment and size.

# %%
report.show_table(hr.fcr, locale=locale)

# %% [markdown]
# ## Caveats

# %%
notes.show()
