"""Small joins every report needs: account and user attributes onto event tables."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

__all__ = ["with_accounts", "with_users"]

ACCOUNT_ATTRIBUTES = ("segment", "plan", "region")


def _attach(data: pd.DataFrame, other: pd.DataFrame, key: str,
            columns: Sequence[str]) -> pd.DataFrame:
    wanted = [c for c in columns if c in other.columns and c not in data.columns]
    if not wanted:
        return data.copy()
    lookup = other[[key, *wanted]].drop_duplicates(key)
    out = data.merge(lookup, on=key, how="left")  # many to one: lookup has unique keys
    out.attrs = dict(data.attrs)
    return out


def with_accounts(data: pd.DataFrame, accounts: pd.DataFrame,
                  columns: Sequence[str] = ACCOUNT_ATTRIBUTES, *,
                  key: str = "account_id") -> pd.DataFrame:
    """``data`` with account attributes added (a copy; rows and order kept).

    Columns already in ``data`` are left as they are.

    Examples
    --------
    >>> import pandas as pd
    >>> tickets = pd.DataFrame({"ticket_id": ["T1", "T2"], "account_id": ["A1", "A2"]})
    >>> accounts = pd.DataFrame({"account_id": ["A1", "A2"], "plan": ["Pro", "Starter"]})
    >>> with_accounts(tickets, accounts, ["plan"])
      ticket_id account_id     plan
    0        T1         A1      Pro
    1        T2         A2  Starter
    """
    return _attach(data, accounts, key, columns)


def with_users(data: pd.DataFrame, users: pd.DataFrame,
               columns: Sequence[str] = ("user_type",), *, key: str = "user_id") -> pd.DataFrame:
    """``data`` with user attributes (by default ``user_type``) added (a copy; rows and
    order kept).

    Columns already in ``data`` are left as they are; a user missing from
    ``users`` gets missing attributes.

    Examples
    --------
    >>> import pandas as pd
    >>> responses = pd.DataFrame({"response_id": ["R1", "R2", "R3"],
    ...                           "user_id": ["U2", "U1", "U9"], "score": [9, 4, 7]})
    >>> users = pd.DataFrame({"user_id": ["U1", "U2"], "user_type": ["admin", "end user"]})
    >>> with_users(responses, users)
      response_id user_id  score user_type
    0          R1      U2      9  end user
    1          R2      U1      4     admin
    2          R3      U9      7       NaN
    """
    return _attach(data, users, key, columns)
