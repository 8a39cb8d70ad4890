# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% tags=["parameters"]
account_id: str = "A000001"  # the account to brief (accounts.account_id)
segment: str = "all"  # the account's segment (the batch sets it; "all" reads every account)
month: str = "2026-10"  # report month, YYYY-MM (a params file may say "latest")
source: str | None = None  # DuckDB file, CSV/Parquet folder or database URL (None: $CSLIB_SOURCE or the demo data)
locale: str = "en"  # report language, "en" or "pt-BR"
csv: dict | None = None  # CSV reading options (sep, decimal, encoding, dayfirst, thousands)
data_date: str | None = None  # the data's last month, set by the batch (shown in the header)
mask_pii: bool = True  # mask e-mail addresses and phone numbers in the comments
thresholds: dict = {}  # success-review thresholds overriding the defaults

# %%
from cslib import brief, report

b = brief.open_account(account_id=account_id, segment=segment, month=month, source=source,
                       csv=csv, locale=locale, mask=mask_pii, thresholds=thresholds)
words = brief.brief_text(b, locale=locale)
brief.show_print_style()

# %%
report.section("account_brief.title", locale)

# %%
report.section("account_brief.summary", locale)

# %%
report.show_markdown(words["header"])
report.show_markdown(words["class"])
report.show_markdown(words["evidence"])

# %%
report.show_markdown(words["h.revenue"])
report.show_table(b.mrr_history, locale=locale, columns=brief.MRR_COLUMNS)
report.show_markdown(words["holdings"])

# %%
report.show_markdown(words["h.nps"])
report.show_markdown(words["answers"])
brief.show_table_or(b.verbatims, words["no_verbatims"], locale=locale,
                    columns=brief.VERBATIM_COLUMNS)
report.show_markdown(words["loops"])

# %%
report.show_markdown(words["h.usage"])
report.show_table(b.usage, locale=locale, columns=brief.USAGE_COLUMNS)

# %%
report.show_markdown(words["h.agenda"])
report.show_markdown(words["agenda"])
