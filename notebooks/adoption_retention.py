# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Adoption and retention
#
# Which features accounts use, and whether accounts that use the key
# features are retained better, after allowing for segment, plan, size and
# tenure. These are associations in observational data: they show where to
# look, not what causes churn.

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

# %% [markdown]
# ## Summary

# %%
with notes:
    model, why = report.try_fit(adoption.retention_regression, panel, outcome="churned_next",
                                adoption="key_adopter", controls=usable_controls)
record_headlines(report.adoption_headlines(model, locale=locale))
report.show_markdown(report.adoption_summary(model, why, locale=locale,
                                             min_features=min_features))

# %% [markdown]
# ## Adoption per feature
#
# The share of the accounts paying in the month that used each feature in
# it, with 95% intervals; paying accounts with no usage at all count as
# non-users (they are the ones to call).

# %%
rates = adoption.adoption_rates(ctx["usage"], ctx["accounts"], month=month, by=None,
                                mrr=ctx["mrr"])
plots.bar_rates(rates, x="feature");

# %%
report.show_table(rates, locale=locale)

# %% [markdown]
# ## Survival by adoption band
#
# Kaplan-Meier curves: the share of accounts still paying after each month of
# life, by how many key features they used in the month. The log-rank test
# asks whether the curves differ by more than chance.

# %%
with notes:
    lifetimes = retention.account_lifetimes(ctx["mrr"], ctx["accounts"], month=month,
                                            usage=ctx["usage"])
    curves = retention.survival_curves(lifetimes, duration="duration_months",
                                       event="churned", by="adoption_band")
plots.survival_plot(curves.table);
report.show_markdown(report.logrank_sentence(curves.logrank, locale=locale))

# %% [markdown]
# ## Logistic regression: churn next month
#
# Odds ratios below 1 mean lower odds of churning next month for accounts with
# that attribute, holding the others fixed. Bars are 95% intervals; an
# interval that crosses 1 is compatible with no association.

# %%
if model is not None:
    plots.forest_plot(model.summary)
else:
    report.show_not_estimated(why, locale=locale)

# %%
if model is not None:
    report.show_table(model.summary.reset_index(), locale=locale)

# %% [markdown]
# ## Cox model: hazard of churn
#
# The same question as a survival model: hazard ratios below 1 mean a lower
# monthly risk of churn.

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

# %% [markdown]
# ## Reading this honestly
#
# Accounts that adopt the key features may differ in ways the model does not
# see (budget, the champion's energy, fit with the product). The association
# is a reason to encourage adoption and to watch low-adoption accounts; it is
# not proof that adoption alone prevents churn.

# %% [markdown]
# ## Caveats

# %%
notes.show()
