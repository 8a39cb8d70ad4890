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
trailing_months: int = 12  # months in the trailing bridge
top_n: int = 10  # accounts listed among the top movers

# %%
from cslib import plots, report, revenue, trend
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

# %%
report.section("churn_decomposition.title", locale)

# %%
report.section("churn_decomposition.summary", locale)

# %%
record_headlines(trend.with_history(trend.bridge_figures, ctx.data, month, locale=locale))
report.show_markdown(report.bridge_summary(month_row, previous_row, trailing, locale=locale))

# %%
report.section("churn_decomposition.bridge", locale)

# %%
plots.revenue_waterfall(month_row, locale=locale);

# %%
report.section("churn_decomposition.trailing", locale)

# %%
plots.revenue_waterfall(trailing, locale=locale);

# %%
report.section("churn_decomposition.rates", locale)

# %%
recent = revenue.last_periods(monthly, month=month, n=trailing_months)
plots.rate_trend(recent, rates=("grr", "nrr"), locale=locale);

# %%
plots.rate_trend(recent, rates=("logo_churn", "net_revenue_churn"), locale=locale);

# %%
report.show_table(recent, locale=locale, columns=report.BRIDGE_COLUMNS)

# %%
report.section("churn_decomposition.views", locale)

# %%
views = revenue.compare_views(contracts_view, accounts_view, month=month)
report.show_table(views, locale=locale, columns=report.VIEW_COLUMNS)

# %%
report.section("churn_decomposition.groups", locale)

# %%
report.show_table(revenue.bridge_row(revenue.revenue_bridge(accounts_view, by="plan",
                                                            entity="account_id"), month=month),
                  locale=locale, columns=report.BRIDGE_COLUMNS_BY("plan"))

# %%
report.show_table(revenue.bridge_row(revenue.revenue_bridge(accounts_view, by="region",
                                                            entity="account_id"), month=month),
                  locale=locale, columns=report.BRIDGE_COLUMNS_BY("region"))

# %%
report.section("churn_decomposition.decomposition", locale)

# %%
by_segment = revenue.revenue_bridge(accounts_view, by="segment", entity="account_id")
decomposition = revenue.nrr_change_decomposition(by_segment, by="segment",
                                                 base=previous_row["period"],
                                                 current=month_row["period"])
report.show_table(decomposition, locale=locale, columns=report.DECOMPOSITION_COLUMNS)

# %%
report.section("churn_decomposition.movers", locale)

# %%
movers = revenue.top_movers(accounts_view, n=top_n, month=month)
report.show_table(movers, locale=locale, columns=report.MOVER_COLUMNS)
