"""Fuzzing: random table contents never escape as an unhandled pandas or numpy error.

Validation gets messy values written into a small valid warehouse (wrong types,
garbage dates, huge and hostile strings, dropped columns, empty tables,
duplicates). Whatever passes validation, and random small warehouses from
the generator, then go through the same metric calls the notebooks make. Each
step either succeeds or raises the kit's own :class:`~cslib.exceptions.CslibError`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cslib import adoption, ltv, nps, retention, revenue, review, support
from cslib.demo import generate_warehouse
from cslib.exceptions import CslibError, SchemaError
from cslib.periods import trailing_window
from cslib.schemas import SCHEMAS, validate
from cslib.survey import survey_health
from cslib.tables import with_accounts

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])

BASE = generate_warehouse(12, n_months=4, end_month="2026-10", seed=5, nps_start_months=4)

MESSY = st.one_of(
    st.none(), st.just(np.nan), st.integers(-10**12, 10**12),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.text(max_size=20), st.sampled_from([
        "", " ", "<script>alert(1)</script>", "1.234,56", "31/12/2026", "2026-13-45",
        "não", "🚀", "NaN", "null", "\x00", "9" * 400, "x" * 100_000, "10", "-1", "2026-10-01"]),
    st.datetimes().map(pd.Timestamp),
)


def _call(func, *args, **kwargs):
    """``func(...)``; the kit's own errors are an acceptable outcome, nothing else is."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return func(*args, **kwargs)
    except CslibError:
        return None


def _report_numbers(wh: dict, month: str = "2026-10") -> None:
    """The metric calls the four notebooks make, on one warehouse."""
    acc = wh["accounts"]
    responses = _call(nps.with_user_attributes, wh["nps_responses"], wh["users"], acc)
    if responses is not None:
        table = _call(nps.nps_table, responses, by="user_type", min_n=1)
        if table is not None and len(table):
            scores = table["nps"].dropna()
            assert ((scores >= -100) & (scores <= 100)).all()
            both = table.dropna(subset=["nps", "ci_low", "ci_high"])
            assert (both["ci_low"] <= both["nps"] + 1e-9).all()
            assert (both["nps"] <= both["ci_high"] + 1e-9).all()
        _call(nps.window_comparison, responses, current=trailing_window(month, 90),
              previous=trailing_window(month, 90, lag=1))
        _call(nps.rolling_nps, responses, window="90D", freq="W")
        _call(nps.compare_groups, responses, by="plan")
        _call(nps.cohort_nps, responses, acc)
        _call(nps.loop_closure, responses, wh["loop_actions"])
        _call(nps.verbatims, responses)
    if "nps_invitations" in wh:
        _call(survey_health, wh["nps_invitations"], wh["nps_responses"], wh["users"],
              window=trailing_window(month, 90))

    mrr = _call(with_accounts, wh["mrr"], acc, ["segment", "plan", "region", "name"])
    moves = _call(revenue.mrr_movements, mrr, entity="account_id", keep=["segment", "plan"])
    _call(revenue.mrr_movements, mrr, entity="contract_id", keep=["account_id"])
    if moves is not None:
        for freq in ("M", "Q"):
            bridge = _call(revenue.revenue_bridge, moves, freq=freq, entity="account_id")
            if bridge is not None and len(bridge):
                total = bridge[["start_mrr", "new", "expansion", "contraction", "churn",
                                "reactivation"]].sum(axis=1)
                assert np.allclose(total, bridge["end_mrr"])
        _call(revenue.trailing_bridge, moves, month, months=12, entity="account_id")
        by_seg = _call(revenue.revenue_bridge, moves, by="segment", entity="account_id")
        if by_seg is not None:
            _call(revenue.nrr_change_decomposition, by_seg, by="segment")
        _call(revenue.top_movers, moves, month=month)
    _call(ltv.ltv_cac_table, wh["mrr"], acc, month=month)

    _call(support.first_contact_resolution, wh["tickets"])
    _call(support.first_contact_resolution, with_accounts(wh["tickets"], acc, ["plan"]),
          by="plan")

    _call(adoption.adoption_rates, wh["usage"], acc, by=None)
    panel = _call(adoption.adoption_panel, wh["usage"], wh["mrr"], acc, month=month)
    if panel is not None:
        _call(adoption.retention_regression, panel, outcome="churned_next",
              adoption="key_adopter",
              controls=adoption.usable_controls(panel, ["segment", "plan", "tenure_months"]))
    lives = _call(retention.account_lifetimes, wh["mrr"], acc, month=month, usage=wh["usage"])
    if lives is not None:
        curves = _call(retention.survival_curves, lives, duration="duration_months",
                       event="churned", by="adoption_band")
        if curves is not None and len(curves.table):
            s = curves.table["survival"].dropna()
            assert ((s >= 0) & (s <= 1 + 1e-12)).all()
        _call(retention.hazard_model, lives, duration="duration_months", event="churned",
              covariates=adoption.usable_controls(lives, ["key_adopter", "plan"]))

    evidence = _call(review.account_evidence, acc, wh["mrr"], wh["nps_responses"], wh["usage"],
                     wh["tickets"], month=month)
    if evidence is not None:
        classes = _call(review.success_review, evidence)
        if classes is not None:
            _call(review.review_summary, classes, by=None)


@st.composite
def mutations(draw):
    """A list of edits to the base warehouse: set cells, drop columns, empty, duplicate."""
    edits = []
    for _ in range(draw(st.integers(1, 4))):
        table = draw(st.sampled_from(sorted(BASE)))
        columns = list(BASE[table].columns)
        kind = draw(st.sampled_from(["cells", "cells", "cells", "drop", "empty", "dup",
                                     "nulls"]))
        column = draw(st.sampled_from(columns))
        rows = draw(st.lists(st.integers(0, max(len(BASE[table]) - 1, 0)), min_size=1,
                             max_size=5))
        edits.append((table, kind, column, rows, draw(MESSY)))
    return edits


def _apply(edits) -> dict:
    tables = {name: df.copy() for name, df in BASE.items()}
    for table, kind, column, rows, value in edits:
        df = tables[table]
        if kind == "cells" and len(df):
            df[column] = df[column].astype(object)
            for r in rows:
                df.iat[r % len(df), df.columns.get_loc(column)] = value
        elif kind == "drop" and column in df:
            df = df.drop(columns=column)
        elif kind == "empty":
            df = df.iloc[0:0]
        elif kind == "dup" and len(df):
            df = pd.concat([df, df.iloc[[r % len(df) for r in rows]]], ignore_index=True)
        elif kind == "nulls":
            df[column] = None
        tables[table] = df
    return tables


@SETTINGS
@given(mutations())
def test_validation_of_messy_tables_succeeds_or_names_the_table(edits):
    tables = _apply(edits)
    try:
        valid = validate(tables)
    except SchemaError as err:
        assert any(f"`{name}`" in str(err) or name in str(err) for name in SCHEMAS)
        return
    _report_numbers(valid)


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(n_accounts=st.integers(1, 25), n_months=st.integers(2, 6), seed=st.integers(0, 10**6),
       keep=st.floats(0.0, 1.0))
def test_metrics_on_random_small_warehouses(n_accounts, n_months, seed, keep):
    tables = generate_warehouse(n_accounts, n_months=n_months, seed=seed,
                                nps_start_months=n_months)
    rng = np.random.default_rng(seed)
    for name in ("nps_responses", "tickets", "usage"):  # thin out the activity tables
        df = tables[name]
        tables[name] = df[rng.random(len(df)) < keep].reset_index(drop=True)
    ids = set(tables["nps_responses"]["response_id"])
    tables["loop_actions"] = tables["loop_actions"][tables["loop_actions"]["response_id"]
                                                    .isin(ids)]
    try:
        valid = validate(tables, allow_empty=True)
    except SchemaError:
        pytest.fail("a generated warehouse must be valid")
    _report_numbers(valid)


# --------------------------------------------------------------------------- CSV files
# A valid warehouse written as CSV bytes the way real exports vary, read back through the
# validation `cslib validate` runs (in-process). Declared dialect, or evidence in the data
# => the values read back equal the original; otherwise a clear exit-2 message, or a note
# that says which reading was assumed. Never a traceback, never a silent difference.
FILE_BASE = generate_warehouse(12, n_months=3, end_month="2026-10", seed=8, nps_start_months=3)
FILE_TRUTH = validate(FILE_BASE)
FILE_SETTINGS = settings(max_examples=80, deadline=None, derandomize=True,
                         suppress_health_check=[HealthCheck.too_slow,
                                                HealthCheck.function_scoped_fixture])
_accepted: list[bool] = []


def _csv_bytes(frame, name, *, sep, decimal, dates, encoding, newline, noise):
    out = frame.copy()
    for col in SCHEMAS[name].columns:
        if col.name not in out.columns:
            continue
        s = out[col.name]
        if col.kind in ("date", "month", "datetime"):
            fmt = {"iso": "%Y-%m-%d %H:%M:%S", "dmy": "%d/%m/%Y %H:%M:%S",
                   "mdy": "%m/%d/%Y %H:%M:%S"}[dates]
            out[col.name] = s.dt.strftime(fmt)
        elif col.kind == "float":
            out[col.name] = s.map(lambda v: "" if pd.isna(v) else repr(float(v)).replace(
                ".", decimal))
    out.columns = [noise.get(c, c) for c in out.columns]
    text = out.to_csv(sep=sep, index=False, lineterminator=newline)
    bom = encoding == "utf-8-sig"
    data = text.encode("utf-8" if bom else encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def _evidence(name, frame, dates, decimal) -> bool:
    """Whether the values themselves tell the dialect (a day above 12, a decimal part
    that is not a group of three digits)."""
    for col in SCHEMAS[name].columns:
        if col.name not in frame.columns or frame[col.name].dropna().empty:
            continue
        s = frame[col.name].dropna()
        if col.kind in ("date", "month", "datetime") and dates != "iso" \
                and not (s.dt.day > 12).any():
            return False
        if col.kind == "float" and decimal == "," and not any(
                len(repr(float(v)).split(".")[-1]) != 3 for v in s):
            return False
    return True


def _same(got: pd.DataFrame, want: pd.DataFrame, name: str) -> list[str]:
    diffs = []
    for col in SCHEMAS[name].columns:
        if col.name not in want.columns:
            continue
        a, b = got[col.name].reset_index(drop=True), want[col.name].reset_index(drop=True)
        if col.kind == "float":
            ok = np.allclose(a.astype(float), b.astype(float), rtol=1e-12, equal_nan=True)
        else:
            ok = a.astype(object).where(a.notna(), None).tolist() == \
                b.astype(object).where(b.notna(), None).tolist()
        if not ok:
            diffs.append(f"{name}.{col.name}")
    return diffs


@pytest.mark.xdist_group("csv_property")  # with the acceptance test below, in order
@FILE_SETTINGS
@given(sep=st.sampled_from([",", ";", "\t", "|"]), decimal=st.sampled_from([".", ","]),
       dates=st.sampled_from(["iso", "dmy", "mdy"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "utf-16-le"]),
       newline=st.sampled_from(["\n", "\r\n"]), declare=st.booleans(),
       noise=st.dictionaries(st.sampled_from(["account_id", "mrr", "score", "plan"]),
                             st.sampled_from([" ", "  ", "\t"]), max_size=2))
def test_csv_exports_read_back_exactly_or_stop_with_a_message(tmp_path_factory, sep, decimal,
                                                               dates, encoding, newline,
                                                               declare, noise):
    import contextlib
    import io
    import json

    from cslib import cli
    from cslib.io import load

    folder = tmp_path_factory.mktemp("export")
    names = {c: (f"{pad}{c}" if i % 2 else f"{c}{pad}")
             for i, (c, pad) in enumerate(sorted(noise.items()))}
    for name, frame in FILE_TRUTH.items():
        (folder / f"{name}.csv").write_bytes(_csv_bytes(
            frame, name, sep=sep, decimal=decimal, dates=dates, encoding=encoding,
            newline=newline, noise=names))
    csv = {"sep": sep, "decimal": decimal, "thousands": "", "dayfirst": dates == "dmy",
           "encoding": encoding.replace("utf-16-le", "utf-16-le")} if declare else None
    argv = ["validate", str(folder)] + (["--csv", json.dumps(csv)] if csv else [])
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)  # an exception here (a traceback) fails the test
    evidence = all(_evidence(n, f, dates, decimal) for n, f in FILE_TRUTH.items())
    if code == 2:
        assert not (declare or evidence), (argv, err.getvalue())
        assert err.getvalue().startswith("error: ") and len(err.getvalue()) < 8200
        _accepted.append(False)
        return
    assert code == 0, err.getvalue()
    _accepted.append(True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        wh = load(folder, csv=csv)
    notes = " ".join(str(w.message) for w in caught)
    diffs = [d for name in FILE_TRUTH for d in _same(wh[name], FILE_TRUTH[name], name)]
    if diffs:  # a reading that differs must have been announced, and only when unproven
        assert not (declare or evidence), (diffs, argv)
        announced = [n for n in FILE_TRUTH if f"{n}.csv (table `{n}`)" in notes
                     and ("cannot be told" in notes or "no value of" in notes)]
        assert announced, (diffs, notes)


@pytest.mark.xdist_group("csv_property")
def test_csv_property_accepts_a_healthy_share_of_exports(tmp_path_factory):
    """A validation that refuses everything must fail: most generated exports (all the
    declared ones) are read. When another worker ran the property test, run it here."""
    if len(_accepted) < 20:
        test_csv_exports_read_back_exactly_or_stop_with_a_message(tmp_path_factory)
    assert len(_accepted) >= 20
    assert sum(_accepted) >= 0.6 * len(_accepted), (sum(_accepted), len(_accepted))
