"""A point-in-time cut written from DOMAIN's "Periods" rules, independently of the kit's
:func:`cslib.pointintime.known_at`: the reference the kit's cut and trends are checked against.
"""

from __future__ import annotations

import pandas as pd


def cut_by_hand(tables: dict[str, pd.DataFrame], month: str) -> dict[str, pd.DataFrame]:
    """What was known at the last instant of ``month``, from DOMAIN's rules.

    Nothing dated after the month enters (answers, invitations, tickets, loop
    actions, usage, MRR); a ticket resolved after it is open; an account that
    signed up after it does not exist, nor do its users and their rows.
    """
    end = pd.Period(month, freq="M").end_time.floor("D") + pd.Timedelta(days=1)
    t = {k: v.copy() for k, v in tables.items()}
    accounts = t["accounts"]
    accounts = accounts[pd.to_datetime(accounts["signup_date"]) < end]
    ids = set(accounts["account_id"])
    users = t["users"][t["users"]["account_id"].isin(ids)]
    known_users = set(users["user_id"])

    def dated(name: str, column: str) -> pd.DataFrame:
        frame = t[name]
        return frame[(pd.to_datetime(frame[column]) < end) & frame["account_id"].isin(ids)]

    answers = dated("nps_responses", "responded_at")
    answers = answers[answers["user_id"].isin(known_users)]
    invitations = dated("nps_invitations", "sent_at")
    tickets = dated("tickets", "opened_at").copy()
    later = pd.to_datetime(tickets["resolved_at"]) >= end
    tickets.loc[later, "resolved_at"] = pd.NaT
    loops = t["loop_actions"]
    loops = loops[(pd.to_datetime(loops["done_at"]) < end)
                  & loops["response_id"].isin(set(answers["response_id"]))]
    # the sales funnel: a deal created later does not exist; one closed later was still
    # open (no outcome, no account yet); stages entered later and milestones reached
    # later had not happened
    opps = t["opportunities"]
    opps = opps[pd.to_datetime(opps["created_at"]) < end].copy()
    closed_later = pd.to_datetime(opps["closed_at"]) >= end
    opps.loc[closed_later, "outcome"] = "open"
    opps.loc[closed_later, "closed_at"] = pd.NaT
    opps.loc[closed_later, "account_id"] = None
    opps = opps[opps["account_id"].isna() | opps["account_id"].isin(ids)]
    stages = t["opportunity_stages"]
    stages = stages[(pd.to_datetime(stages["entered_at"]) < end)
                    & stages["opportunity_id"].isin(set(opps["opportunity_id"]))]
    return {"accounts": accounts, "users": users, "mrr": dated("mrr", "month"),
            "nps_responses": answers, "usage": dated("usage", "month"), "tickets": tickets,
            "loop_actions": loops, "nps_invitations": invitations, "opportunities": opps,
            "opportunity_stages": stages,
            "onboarding_milestones": dated("onboarding_milestones", "reached_at")}
