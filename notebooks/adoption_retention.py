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
min_features: int = 2  # key features an account must use to count as a key adopter
controls: list = ["segment", "plan", "tenure_months", "log_mrr"]  # covariates of the retention regression

# %%
from cslib import adoption, plots, report, retention
from cslib.context import open_report
from cslib.headlines import record_headlines

ctx = open_report(segment=segment, month=month, source=source, csv=csv, locale=locale,
                  tables=["accounts", "mrr", "usage"])
month = ctx.month  # the report month ("latest" resolved); the data stop at its end
notes = report.capture_warnings()
panel = adoption.adoption_panel(ctx["usage"], ctx["mrr"], ctx["accounts"],
                                min_features=min_features, month=month)
usable_controls = adoption.usable_controls(panel, controls)

# %%
report.section("adoption_retention.title", locale)

# %%
report.section("adoption_retention.summary", locale)

# %%
with notes:
    model, why = report.try_fit(adoption.retention_regression, panel, outcome="churned_next",
                                adoption="key_adopter", controls=usable_controls)
record_headlines(report.adoption_headlines(model, locale=locale))
report.show_markdown(report.adoption_summary(model, why, locale=locale,
                                             min_features=min_features))

# %%
report.section("adoption_retention.features", locale)

# %%
rates = adoption.adoption_rates(ctx["usage"], ctx["accounts"], month=month, by=None,
                                mrr=ctx["mrr"])
plots.bar_rates(rates, x="feature");

# %%
report.show_table(rates, locale=locale)

# %%
report.section("adoption_retention.survival", locale)

# %%
with notes:
    lifetimes = retention.account_lifetimes(ctx["mrr"], ctx["accounts"], month=month,
                                            usage=ctx["usage"])
    curves = retention.survival_curves(lifetimes, duration="duration_months",
                                       event="churned", by="adoption_band")
plots.survival_plot(curves.table);
report.show_markdown(report.logrank_sentence(curves.logrank, locale=locale))

# %%
report.section("adoption_retention.logit", locale)

# %%
if model is not None:
    plots.forest_plot(model.summary)
else:
    report.show_not_estimated(why, locale=locale)

# %%
if model is not None:
    report.show_table(model.summary.reset_index(), locale=locale)

# %%
report.section("adoption_retention.cox", locale)

# %%
with notes:
    cox = report.attempt(retention.hazard_model, lifetimes, duration="duration_months",
                         event="churned", locale=locale,
                         covariates=adoption.usable_controls(
                             lifetimes, ["key_adopter", "segment", "plan"]))
if cox is not None:
    plots.forest_plot(cox.summary, estimate="hazard_ratio")

# %%
if cox is not None:
    report.show_table(cox.summary.reset_index(), locale=locale)

# %%
report.section("adoption_retention.honesty", locale)

# %%
report.section("adoption_retention.caveats", locale)

# %%
notes.show()
