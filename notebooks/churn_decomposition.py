# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Churn decomposition
#
# Where recurring revenue came from and where it went: the revenue bridge for
# the month and the trailing 12 months, retention rates and their trends, the
# contract view against the account view, and which accounts moved most.
# Definitions follow the kit's DOMAIN notes: Net Revenue Churn = (churn +
# contraction - expansion) / starting MRR; NRR = 1 - Net Revenue Churn;
# new business and reactivations are kept out of GRR and NRR.

# %% tags=["parameters"]
segment: str = "all"  # segment to report on ("all": every account)
month: str = "2026-10"  # report month, YYYY-MM (a params file may say "latest")
source: str | None = None  # DuckDB file, CSV/Parquet folder or database URL (None: $CSLIB_SOURCE or the demo data)
locale: str = "en"  # report language, "en" or "pt-BR"
csv: dict | None = None  # CSV reading options (sep, decimal, encoding, dayfirst, thousands)
data_date: str | None = None  # the data's last month, set by the batch (shown in the header)
trailing_months: int = 12  # months in the trailing bridge
top_n: int = 10  # accounts listed among the top movers

# %%
from cslib import plots, report, revenue
from cslib.tables import with_accounts
from cslib.context import open_report
from cslib.headlines import record_headlines

ctx = open_report(segment=segment, month=month, source=source, csv=csv, locale=locale,
                  tables=["accounts", "mrr"])
month = ctx.month  # the report month ("latest" resolved); the data stop at its end
mrr = with_accounts(ctx["mrr"], ctx["accounts"], ["segment", "plan", "region", "name"])
accounts_view = revenue.mrr_movements(mrr, entity="account_id",
                                      keep=["segment", "plan", "region", "name"])
contracts_view = revenue.mrr_movements(mrr, entity="contract_id",
                                       keep=["account_id", "segment", "plan", "region"])
monthly = revenue.revenue_bridge(accounts_view, entity="account_id")
month_row = revenue.bridge_row(monthly, month=month)
previous_row = revenue.bridge_row(monthly, month=month, lag=1)
trailing = revenue.trailing_bridge(accounts_view, month=month, months=trailing_months,
                                   entity="account_id")

# %% [markdown]
# ## Summary

# %%
record_headlines(report.bridge_headlines(month_row, locale=locale))
report.show_markdown(report.bridge_summary(month_row, previous_row, trailing, locale=locale))

# %% [markdown]
# ## The month's revenue bridge
#
# From the MRR at the start of the month to the MRR at its end. Churn and
# contraction are losses; new business and reactivations are shown but are
# not part of the retention rates.

# %%
plots.revenue_waterfall(month_row, locale=locale);

# %% [markdown]
# ## The trailing 12 months
#
# The accounts paying at the start of the 12 months, and what became of them:
# churn, contraction and expansion by their end. An account that churned in
# the window is lost even if it came back; what it pays again, and the MRR of
# accounts new in the window, are shown at the end as reactivation and new
# business, outside the retention rates. The rates in the summary are these
# bars' rates.

# %%
plots.revenue_waterfall(trailing, locale=locale);

# %% [markdown]
# ## Retention rates over time
#
# Gross and net revenue retention per month, and logo churn (the share of
# paying accounts lost).

# %%
recent = revenue.last_periods(monthly, month=month, n=trailing_months)
plots.rate_trend(recent, rates=("grr", "nrr"));

# %%
plots.rate_trend(recent, rates=("logo_churn", "net_revenue_churn"));

# %%
report.show_table(recent, locale=locale, columns=report.BRIDGE_COLUMNS)

# %% [markdown]
# ## Contract view against account view
#
# Losing one of two products is churn for that contract but contraction for
# the account, so the contract view shows more churn and less contraction.

# %%
views = revenue.compare_views(contracts_view, accounts_view, month=month)
report.show_table(views, locale=locale, columns=report.VIEW_COLUMNS)

# %% [markdown]
# ## By plan and by region

# %%
report.show_table(revenue.bridge_row(revenue.revenue_bridge(accounts_view, by="plan",
                                                            entity="account_id"), month=month),
                  locale=locale, columns=report.BRIDGE_COLUMNS_BY("plan"))

# %%
report.show_table(revenue.bridge_row(revenue.revenue_bridge(accounts_view, by="region",
                                                            entity="account_id"), month=month),
                  locale=locale, columns=report.BRIDGE_COLUMNS_BY("region"))

# %% [markdown]
# ## What changed NRR
#
# The change in NRR from the previous month, split into the part due to a
# different segment mix and the part due to each segment's own retention.
# The parts add up to the total change.

# %%
by_segment = revenue.revenue_bridge(accounts_view, by="segment", entity="account_id")
decomposition = revenue.nrr_change_decomposition(by_segment, by="segment",
                                                 base=previous_row["period"],
                                                 current=month_row["period"])
report.show_table(decomposition, locale=locale, columns=report.DECOMPOSITION_COLUMNS)

# %% [markdown]
# ## Accounts that churned or contracted most

# %%
movers = revenue.top_movers(accounts_view, n=top_n, month=month)
report.show_table(movers, locale=locale, columns=report.MOVER_COLUMNS)
