"""Shared fixtures: small hand-made tables and a small seeded demo warehouse."""

from __future__ import annotations

import os

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def tiny_tables() -> dict[str, pd.DataFrame]:
    """A minimal valid warehouse, written out by hand (two accounts)."""
    accounts = pd.DataFrame({
        "account_id": ["A1", "A2"],
        "name": ["Padaria São João", "Acme & Co"],
        "segment": ["SMB", "Enterprise"],
        "plan": ["Starter", "Pro"],
        "region": ["Sul", "Sudeste"],
        "signup_date": ["2025-01-15", "2024-06-01"],
        "csm": ["Ana", "Bruno"],
        "cac": [1200.0, 35000.0],
    })
    users = pd.DataFrame({
        "user_id": ["U1", "U2", "U3"],
        "account_id": ["A1", "A2", "A2"],
        "user_type": ["admin", "end user", "executive"],
    })
    mrr = pd.DataFrame({
        "contract_id": ["C1", "C1", "C2", "C2", "C3"],
        "account_id": ["A1", "A1", "A2", "A2", "A2"],
        "product": ["CRM", "CRM", "CRM", "CRM", "Analytics"],
        "month": ["2026-09-01", "2026-10-01", "2026-09-01", "2026-10-01", "2026-10-01"],
        "mrr": [100.0, 120.0, 1000.0, 1000.0, 250.5],
    })
    nps = pd.DataFrame({
        "response_id": ["R1", "R2", "R3"],
        "user_id": ["U1", "U2", "U3"],
        "account_id": ["A1", "A2", "A2"],
        "responded_at": ["2026-10-02 10:00", "2026-10-03 11:30", "2026-10-05 09:15"],
        "score": [9, 6, 10],
        "comment": ["great", None, "ok"],
    })
    usage = pd.DataFrame({
        "account_id": ["A1", "A2"],
        "feature": ["dashboards", "api"],
        "month": ["2026-10-01", "2026-10-01"],
        "active_users": [3, 10],
        "events": [40, 900],
    })
    tickets = pd.DataFrame({
        "ticket_id": ["T1", "T2"],
        "account_id": ["A1", "A2"],
        "opened_at": ["2026-10-01 08:00", "2026-10-04 09:00"],
        "resolved_at": ["2026-10-01 10:00", None],
        "contacts": [1, 2],
    })
    loops = pd.DataFrame({
        "response_id": ["R2"],
        "action": ["call"],
        "done_at": ["2026-10-04 15:00"],
    })
    return {"accounts": accounts, "users": users, "mrr": mrr, "nps_responses": nps,
            "usage": usage, "tickets": tickets, "loop_actions": loops}


@pytest.fixture(scope="session")
def demo_tables() -> dict[str, pd.DataFrame]:
    """A small seeded demo warehouse (300 accounts), generated once per session."""
    from cslib.demo import generate_warehouse

    return generate_warehouse(300, seed=7)


@pytest.fixture(scope="session")
def demo_db(demo_tables, tmp_path_factory):
    """The small demo warehouse written to a DuckDB file."""
    from cslib.demo import write_duckdb

    return write_duckdb(demo_tables, tmp_path_factory.mktemp("wh") / "demo.duckdb")
