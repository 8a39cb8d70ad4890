"""Sources: DuckDB, CSV/Parquet folders (including Brazilian exports) and PostgreSQL."""

from __future__ import annotations

import re
import warnings

import pandas as pd
import pytest

from cslib.exceptions import SchemaError, SourceError
from cslib.io import (
    PREPARED_ENV,
    SLICE_SUFFIX,
    AmbiguousDialectWarning,
    CsvDialect,
    DayLevelUsageWarning,
    DuplicateRowsWarning,
    detect_dialect,
    load,
    prepare_segments,
    prepare_segments_one_by_one,
    read_csv,
    segment_gaps,
    write_csv_folder,
)
from cslib.schemas import SCHEMAS, validate


def _assert_same_tables(left, right):
    """Same tables, same columns (all of them, in the same order), same rows and values."""
    assert set(left) == set(right)
    for name in left:
        assert list(left[name].columns) == list(right[name].columns), (
            name, sorted(set(left[name].columns) ^ set(right[name].columns)))
        key = list(SCHEMAS[name].key)
        a = left[name].sort_values(key).reset_index(drop=True)
        b = right[name].sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b, check_dtype=True, obj=name)


def test_duckdb_source_loads_the_generated_tables(demo_db, demo_tables):
    wh = load(demo_db)
    _assert_same_tables(wh, validate(demo_tables))
    assert wh.data_date == pd.Timestamp("2026-10-01")


def test_duckdb_segment_slice_only_holds_that_segment(demo_db, demo_tables):
    wh = load(demo_db, segment="Enterprise")
    ids = set(demo_tables["accounts"].query("segment == 'Enterprise'")["account_id"])
    assert set(wh["accounts"]["account_id"]) == ids
    for name in ("users", "mrr", "nps_responses", "usage", "tickets"):
        assert set(wh[name]["account_id"]) <= ids, name
    responses = set(wh["nps_responses"]["response_id"])
    assert set(wh["loop_actions"]["response_id"]) <= responses
    # every Enterprise response's loop actions are kept
    full = demo_tables["loop_actions"]
    assert len(wh["loop_actions"]) == full["response_id"].isin(responses).sum()


def _row(raw: bytes, first_field: str) -> list[bytes]:
    """The ``;``-separated fields of the line of ``raw`` whose first field is ``first_field``."""
    lines = [line for line in raw.splitlines() if line.split(b";")[0] == first_field.encode()]
    assert len(lines) == 1, first_field
    return lines[0].split(b";")


def test_brazilian_csv_folder_loads_to_the_same_frames(demo_db, tmp_path):
    reference = dict(load(demo_db))
    accounts = reference["accounts"].copy()
    accounts.loc[0, "name"] = "Padaria São João Ltda"
    accounts.loc[0, "signup_date"] = pd.Timestamp("2025-01-15")
    mrr = reference["mrr"].copy()
    mrr.loc[0, "mrr"] = 1234.56
    reference["accounts"], reference["mrr"] = accounts, mrr
    folder = write_csv_folder(reference, tmp_path / "export", brazilian=True)

    raw = (folder / "accounts.csv").read_bytes()
    header = raw.splitlines()[0].split(b";")
    assert header == [c.encode() for c in accounts.columns]  # `;` separators
    row = _row(raw, accounts.loc[0, "account_id"])
    # Latin-1: "ã" is the single byte 0xE3, which is not valid UTF-8
    assert row[header.index(b"name")] == b"Padaria S\xe3o Jo\xe3o Ltda"
    assert row[header.index(b"name")].decode("latin-1") == "Padaria São João Ltda"
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert row[header.index(b"signup_date")] == b"15/01/2025"  # dd/mm/yyyy

    raw = (folder / "mrr.csv").read_bytes()
    header = raw.splitlines()[0].split(b";")
    assert header == [b"contract_id", b"account_id", b"product", b"month", b"mrr"]
    rows = [line.split(b";") for line in raw.splitlines()[1:]]
    assert all(len(r) == 5 for r in rows)
    first = mrr.iloc[0]
    # the amount set above, with a decimal comma and `.` thousands
    assert [r[4] for r in rows if r[0] == first["contract_id"].encode()].count(b"1.234,56") == 1
    # months dd/mm/yyyy: the demo's 24 months run from November 2024 to October 2026
    months = {r[3] for r in rows}
    assert all(re.fullmatch(rb"01/(0[1-9]|1[0-2])/20\d\d", m) for m in months)
    assert {b"01/11/2024", b"01/10/2026"} <= months and len(months) == 24

    with warnings.catch_warnings():
        warnings.simplefilter("error", DuplicateRowsWarning)
        warnings.simplefilter("error", AmbiguousDialectWarning)
        from_csv = load(folder)
    _assert_same_tables(from_csv, validate(reference))
    assert from_csv["mrr"].set_index(["contract_id", "month"]).loc[
        (first["contract_id"], first["month"]), "mrr"] == 1234.56
    assert from_csv["accounts"].set_index("account_id").loc[
        accounts.loc[0, "account_id"], "name"] == "Padaria São João Ltda"


def test_csv_dialect_detection_by_hand(tmp_path):
    path = tmp_path / "mrr.csv"
    text = ("contract_id;account_id;product;month;mrr\r\n"
            "C1;A1;Gestão;01/10/2026;1.234,56\n"
            "C2;A1;CRM;13/09/2026;0,5\r\n")
    path.write_bytes(text.encode("latin-1"))
    frame = read_csv(path)
    assert frame.attrs["dialect"]["sep"] == ";"
    assert frame.attrs["dialect"]["decimal"] == ","
    assert frame["product"].tolist() == ["Gestão", "CRM"]
    clean = validate({"mrr": frame}, require=("mrr",))["mrr"]
    assert clean["mrr"].tolist() == [1234.56, 0.5]
    assert clean["month"].tolist() == [pd.Timestamp("2026-10-01"), pd.Timestamp("2026-09-01")]


def test_utf8_bom_header_is_read(tmp_path):
    path = tmp_path / "users.csv"
    path.write_bytes("\ufeffuser_id,account_id,user_type\nU1,A1,admin\n".encode())
    assert list(read_csv(path).columns) == ["user_id", "account_id", "user_type"]


def test_declared_dialect_wins(tmp_path):
    path = tmp_path / "mrr.csv"
    # 03/04/2026 is ambiguous: declared month-first means March 4th -> month 2026-03
    path.write_text("contract_id|account_id|product|month|mrr\nC1|A1|CRM|03/04/2026|10.5\n")
    frame = read_csv(path, dialect=CsvDialect(sep="|", dayfirst=False))
    clean = validate({"mrr": frame}, require=("mrr",))["mrr"]
    assert clean["month"].iloc[0] == pd.Timestamp("2026-03-01")


def test_detect_dialect_semicolon_decimal_comma():
    d = detect_dialect("a;b\n1,5;02/03/2026\n")
    assert (d.sep, d.decimal, d.dayfirst) == (";", ",", True)


def _mrr_csv(path, sep, values, encoding="latin-1"):
    q = '"' if sep == "," else ""
    lines = [sep.join(["contract_id", "account_id", "product", "month", "mrr"])]
    lines += [sep.join([f"C{i}", "A1", "Gestão", "2026-10-01", f"{q}{v}{q}"])
              for i, v in enumerate(values)]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


@pytest.mark.parametrize(
    ("sep", "values", "expected", "decimal", "guessed"),
    [
        # Brazilian thousands and no decimal comma anywhere: `;` means the Brazilian reading
        (";", ["1.500", "2.000"], [1500.0, 2000.0], ",", True),
        # the same numbers in a comma-separated file: decimal point
        (",", ["1.500", "2.000"], [1.5, 2.0], ".", True),
        # a comma decimal 250 rows down settles it: no guess
        (";", ["1.500"] * 250 + ["1.234,56"], [1500.0] * 250 + [1234.56], ",", False),
        # a dot not followed by exactly three digits is a decimal point, even with `;`
        (";", ["1.5", "2.000"], [1.5, 2.0], ".", False),
        (";", ["1.2345", "2.000"], [1.2345, 2.0], ".", False),
        # \d,\d is a decimal comma
        (";", ["1,5", "2.000"], [1.5, 2000.0], ",", False),
        ("\t", ["0,25", "12"], [0.25, 12.0], ",", False),
        # US thousands in a quoted comma-separated export
        (",", ["1,234.56", "7"], [1234.56, 7.0], ".", False),
        # integers only: nothing to guess
        (";", ["12", "7"], [12.0, 7.0], ",", False),
    ],
)
def test_decimal_mark_detection_by_hand(tmp_path, sep, values, expected, decimal, guessed):
    path = _mrr_csv(tmp_path / "mrr.csv", sep, values)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = read_csv(path)
    assert frame.attrs["dialect"]["decimal"] == decimal
    clean = validate({"mrr": frame}, require=("mrr",))["mrr"]
    assert clean["mrr"].tolist() == pytest.approx(expected)
    ambiguous = [w for w in caught if issubclass(w.category, AmbiguousDialectWarning)]
    assert bool(ambiguous) == guessed
    assert ("dialect_note" in frame.attrs) == guessed


def test_ambiguous_numbers_say_what_was_assumed_and_how_to_declare(tmp_path):
    path = _mrr_csv(tmp_path / "mrr.csv", ";", ["1.500", "2.000"])
    with pytest.warns(AmbiguousDialectWarning) as caught:
        read_csv(path)
    message = str(caught[0].message)
    assert message.startswith(f"{path} (table `mrr`): the decimal mark of `mrr` cannot be told")
    assert "e.g. '1.500'" in message
    assert "Assumed decimal ',', thousands '.'; '1.500' was read as 1500." in message
    assert "`csv: {decimal: '.', thousands: ''}` in the params file" in message
    # the same note is in the load report
    folder = tmp_path
    with pytest.warns(AmbiguousDialectWarning):
        with pytest.raises(SchemaError):  # only mrr.csv is there
            load(folder, tables=["mrr", "accounts"])


def test_numbers_written_both_ways_are_not_stripped_into_other_numbers(tmp_path):
    # 1,5 (comma) and 2.25 (point) in one file: the comma wins 1-1 and 2.25 stays 2.25,
    # not 225; the file is reported as ambiguous
    path = _mrr_csv(tmp_path / "mrr.csv", ";", ["1,5", "2.25"])
    with pytest.warns(AmbiguousDialectWarning, match=r"written both with a decimal comma"):
        frame = read_csv(path)
    clean = validate({"mrr": frame}, require=("mrr",))["mrr"]
    assert clean["mrr"].tolist() == [1.5, 2.25]


def test_load_report_notes_the_assumed_dialect(tmp_path, tiny_tables):
    write_csv_folder(tiny_tables, tmp_path)
    # accounts.cac as a Brazilian export writes round amounts: 1.200 and 35.000
    text = (tmp_path / "accounts.csv").read_text()
    lines = text.splitlines()
    header = lines[0].split(",")
    rows = [dict(zip(header, line.split(","), strict=True)) for line in lines[1:]]
    rows[0]["cac"], rows[1]["cac"] = "1.200", "35.000"
    body = "\n".join(";".join(r[c] for c in header) for r in rows)
    (tmp_path / "accounts.csv").write_text(";".join(header) + "\n" + body + "\n")
    with pytest.warns(AmbiguousDialectWarning):
        wh = load(tmp_path)
    assert wh["accounts"]["cac"].tolist() == [1200.0, 35000.0]
    notes = [n for n in wh.notes if "accounts.csv (table `accounts`)" in n]
    assert len(notes) == 1
    assert "`cac`" in notes[0] and "Assumed decimal ','" in notes[0]


def test_dialect_declared_in_the_params_file_reads_an_undetectable_file(tmp_path, tiny_tables):
    from cslib.params import load_params

    folder = tmp_path / "export"
    write_csv_folder(tiny_tables, folder)
    # `;`-separated, yet written with a decimal point and month-first dates: 1.500 is 1.5 and
    # 09/01/2026 is September 1st. Nothing in the file can tell: every date has both numbers
    # <= 12 and every amount looks like Brazilian thousands.
    (folder / "mrr.csv").write_text(
        "contract_id;account_id;product;month;mrr\n"
        "C1;A1;CRM;09/01/2026;1.500\n"
        "C1;A1;CRM;10/02/2026;2.250\n"
        "C2;A2;CRM;10/03/2026;3.000\n")
    params = tmp_path / "monthly.yaml"
    params.write_text(f"source: {folder}\n"
                      "csv: {decimal: '.', thousands: '', dayfirst: false}\n")
    declared = load_params(params)
    with warnings.catch_warnings():
        warnings.simplefilter("error", AmbiguousDialectWarning)
        wh = load(declared.source, csv=declared.csv)
    mrr = wh["mrr"].sort_values(["contract_id", "month"])
    assert mrr["mrr"].tolist() == [1.5, 2.25, 3.0]
    assert mrr["month"].tolist() == [pd.Timestamp("2026-09-01"), pd.Timestamp("2026-10-01"),
                                     pd.Timestamp("2026-10-01")]
    # undeclared, the same file reads the Brazilian way, and the load report says so
    with pytest.warns(AmbiguousDialectWarning, match=r"mrr\.csv \(table `mrr`\)"):
        guessed = load(folder)
    mrr = guessed["mrr"].sort_values(["contract_id", "month"])
    assert mrr["mrr"].tolist() == [1500.0, 2250.0, 3000.0]
    assert mrr["month"].tolist() == [pd.Timestamp("2026-01-01"), pd.Timestamp("2026-02-01"),
                                     pd.Timestamp("2026-03-01")]
    assert any("mrr.csv" in n and "Assumed decimal ','" in n for n in guessed.notes)


def test_day_level_usage_is_reduced_to_months_on_load(tmp_path, tiny_tables):
    tiny_tables["usage"] = pd.DataFrame({
        "account_id": ["A1", "A1", "A2", "A2"],
        "feature": ["dashboards", "dashboards", "api", "api"],
        "day": ["2026-10-01", "2026-10-15", "2026-10-02", "2026-09-30"],
        "active_users": [2, 3, 4, 1],
        "events": [10, 5, 100, 7],
    })
    write_csv_folder(tiny_tables, tmp_path)
    with pytest.warns(DayLevelUsageWarning, match=r"4 day-level usage row\(s\) reduced to 3"):
        wh = load(tmp_path)
    usage = wh["usage"].sort_values(["account_id", "feature", "month"]).reset_index(drop=True)
    # A1 dashboards Oct: users max(2, 3) = 3, events 10 + 5 = 15
    # A2 api Sep (the 30th): 1 user, 7 events; A2 api Oct: 4 users, 100 events
    assert usage[["account_id", "feature"]].values.tolist() == [
        ["A1", "dashboards"], ["A2", "api"], ["A2", "api"]]
    assert usage["month"].tolist() == [pd.Timestamp("2026-10-01"), pd.Timestamp("2026-09-01"),
                                       pd.Timestamp("2026-10-01")]
    assert usage["active_users"].tolist() == [3, 1, 4]
    assert usage["events"].tolist() == [15, 7, 100]
    note = [n for n in wh.notes if "day-level" in n][0]
    assert "usage.csv" in note and "lower bound" in note and "cslib.usage" in note


def test_nul_bytes_and_mixed_line_endings(tmp_path):
    path = tmp_path / "users.csv"
    path.write_bytes(b"user_id,account_id,user_type\r\nU1,A1,ad\x00min\nU2,A1,end user\r")
    with pytest.warns(UserWarning, match="NUL bytes removed"):
        frame = read_csv(path)
    assert frame["user_type"].tolist() == ["admin", "end user"]


def test_exact_duplicates_are_dropped_and_counted(demo_db, tmp_path):
    tables = dict(load(demo_db))
    tables["nps_responses"] = pd.concat(
        [tables["nps_responses"], tables["nps_responses"].iloc[:3]], ignore_index=True)
    folder = tmp_path / "dup"
    folder.mkdir()
    for name, frame in tables.items():
        frame.to_parquet(folder / f"{name}.parquet")
    with pytest.warns(DuplicateRowsWarning, match=r"dropped 3 exact duplicate record\(s\)"):
        wh = load(folder)
    assert len(wh["nps_responses"]) == len(tables["nps_responses"]) - 3
    assert any("nps_responses.parquet" in n for n in wh.notes)


def test_bad_csv_names_file_column_and_row(tmp_path, tiny_tables):
    tiny_tables["nps_responses"]["score"] = [9, 6, 12]
    write_csv_folder(tiny_tables, tmp_path)
    with pytest.raises(SchemaError, match=r"nps_responses\.csv \(table `nps_responses`\): "
                       r"column `score` has 1 value\(s\) above the maximum \(rows 3; e\.g\. 12"):
        load(tmp_path)


def test_missing_table_in_folder_names_the_expected_file(tmp_path, tiny_tables):
    del tiny_tables["tickets"]
    write_csv_folder(tiny_tables, tmp_path)
    with pytest.raises(SchemaError, match=r"tickets\.csv \(table `tickets`\) is missing"):
        load(tmp_path)


def test_missing_source_says_what_to_do(tmp_path):
    with pytest.raises(SourceError, match="cslib demo-data"):
        load(tmp_path / "nope.duckdb")


def test_unknown_csv_option_is_rejected(tmp_path, tiny_tables):
    write_csv_folder(tiny_tables, tmp_path)
    with pytest.raises(SourceError, match=r"Unknown CSV option\(s\) \['delimiter'\]"):
        load(tmp_path, csv={"delimiter": ";"})


def test_sql_source_pushes_the_segment_filter_into_the_queries(demo_db, tmp_path):
    import sqlalchemy as sa

    reference = load(demo_db)
    url = f"sqlite:///{tmp_path / 'wh.sqlite'}"
    engine = sa.create_engine(url)
    with engine.begin() as con:
        for name, frame in reference.items():
            frame.to_sql(name, con, index=False)
    engine.dispose()

    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append((" ".join(statement.split()), parameters))

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", capture)
    try:
        enterprise = load(url, segment="Enterprise")
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", capture)
    for name in reference:
        reads = [(q, p) for q, p in statements
                 if re.match(rf'SELECT \* FROM "?{name}"?( |$)', q)]
        assert len(reads) == 1, name
        query, params = reads[0]
        # every table is filtered by the database, through the accounts' segment
        assert " WHERE " in query and "segment = ?" in query, query
        assert "Enterprise" in params
    _assert_same_tables(enterprise, load(demo_db, segment="Enterprise"))
    assert set(enterprise["accounts"]["segment"]) == {"Enterprise"}
    _assert_same_tables(load(url), reference)


def _fake_postgres(monkeypatch, fail_on=None):
    """pg_server with every command recorded instead of run; ``fail_on`` one fails."""
    import subprocess
    from pathlib import Path

    import pg_server

    calls = []

    def run(cmd, **kw):
        calls.append(list(cmd))
        if fail_on and any(str(c).endswith(fail_on) for c in cmd):
            raise subprocess.CalledProcessError(1, cmd, stderr=f"{fail_on}: failed")

    monkeypatch.setattr(pg_server, "_install", lambda: Path("/usr/lib/postgresql/99/bin"))
    monkeypatch.setattr(pg_server, "_run", run)
    monkeypatch.setattr(pg_server.subprocess, "run", lambda cmd, **kw: calls.append(cmd))
    return pg_server, calls


def test_pg_server_stops_the_server_when_createdb_fails(monkeypatch):
    pg_server, calls = _fake_postgres(monkeypatch, fail_on="createdb")
    monkeypatch.setattr(pg_server.os, "geteuid", lambda: 1000)  # not root: no runuser
    with pytest.raises(pg_server.ServerUnavailable, match="createdb: failed"):
        pg_server.start()
    programs = [next(c for c in cmd if "/bin/" in str(c)).rsplit("/", 1)[1] for cmd in calls]
    assert programs == ["initdb", "pg_ctl", "createdb", "pg_ctl"]
    assert calls[1][-1] == "start" and calls[-1][-1] == "stop"


def test_pg_server_without_a_postgres_user_is_a_skip_reason(monkeypatch):
    pg_server, calls = _fake_postgres(monkeypatch)
    monkeypatch.setattr(pg_server.os, "geteuid", lambda: 0)

    def chown(path, user):
        raise LookupError(f"no such user: {user!r}")

    monkeypatch.setattr(pg_server.shutil, "chown", chown)
    with pytest.raises(pg_server.ServerUnavailable, match="no such user: 'postgres'"):
        pg_server.start()
    assert calls == []  # nothing was started


@pytest.fixture(scope="module")
def postgres():
    import pg_server

    try:
        url, stop = pg_server.start()
    except pg_server.ServerUnavailable as err:
        print(f"\nSKIP postgres: {err}")
        pytest.skip(f"PostgreSQL server unavailable: {err}")
    yield url
    stop()


@pytest.mark.postgres
@pytest.mark.xdist_group("postgres")
def test_postgres_source_loads_the_same_frames(postgres, demo_db):
    import sqlalchemy as sa

    reference = load(demo_db)
    engine = sa.create_engine(postgres.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as con:
        for name, frame in reference.items():
            frame.to_sql(name, con, index=False, if_exists="replace")
    engine.dispose()
    _assert_same_tables(load(postgres), reference)
    enterprise = load(postgres, segment="Enterprise")
    assert set(enterprise["accounts"]["segment"]) == {"Enterprise"}
    _assert_same_tables(enterprise, load(demo_db, segment="Enterprise"))


@pytest.mark.postgres
@pytest.mark.xdist_group("postgres")
def test_postgres_bad_credentials_are_explained(postgres):
    bad = postgres.replace("/cs", "/no_such_db")
    with pytest.raises(SourceError, match=r"Cannot read from postgresql://\*\*\*@"):
        load(bad)


# --------------------------------------------------------------------------- prepared slices
def test_prepared_slices_are_exactly_what_a_segment_load_returns(demo_db, tmp_path,
                                                                  monkeypatch):
    # The batch validates the source once and writes each segment's slice; a report that
    # reads its slice must get the very frames (rows, order, dtypes) a direct load gives.
    monkeypatch.delenv(PREPARED_ENV, raising=False)
    whole = load(str(demo_db))
    segments = ["all", *sorted(whole["accounts"]["segment"].unique())]
    folder = prepare_segments(whole, tmp_path / "slices",
                              {s: f"s{i}" for i, s in enumerate(segments)})
    for segment in segments:
        direct = load(str(demo_db), segment=segment)
        monkeypatch.setenv(PREPARED_ENV, str(folder))  # load() itself ignores it
        assert _slice_is_not_read(demo_db, segment, folder, monkeypatch)
        sliced = load(str(demo_db), segment=segment, prepared=folder)
        assert list(sliced) == list(direct)
        for name in direct:
            pd.testing.assert_frame_equal(sliced[name], direct[name], check_exact=True)
        if segment != "all":
            assert set(sliced["accounts"]["segment"]) == {segment}
        only = load(str(demo_db), segment=segment, tables=["accounts", "mrr"],
                    prepared=folder)
        assert list(only) == ["accounts", "mrr"]
    # another source, other CSV options or an unknown segment: the slices are not used
    with pytest.raises(SourceError, match="not found"):
        load(str(tmp_path / "other.duckdb"), segment="SMB", prepared=folder)
    (folder / "s1" / f"accounts{SLICE_SUFFIX}").unlink()  # reading this slice would now fail
    with pytest.raises(FileNotFoundError):
        load(str(demo_db), segment=segments[1], prepared=folder)
    # ... unless the CSV options differ from the ones the slices were made with
    assert set(load(str(demo_db), segment=segments[1], csv={"sep": ";"},
                    prepared=folder)["accounts"]
               ["segment"]) == {segments[1]}


def _slice_is_not_read(demo_db, segment, folder, monkeypatch):
    """load() without ``prepared=`` never reads the slices, even with $CSLIB_PREPARED set."""
    import cslib.io

    def boom(*args, **kwargs):
        raise AssertionError("load() read the prepared slices without prepared=")

    with monkeypatch.context() as m:
        m.setattr(cslib.io, "_read_prepared", boom)
        load(str(demo_db), segment=segment, tables=["accounts"])
    return True


def test_the_report_context_passes_the_batch_slices_to_load(demo_db, tmp_path, monkeypatch):
    # The batch names its slices in $CSLIB_PREPARED for its notebooks; open_report (not
    # load) reads it. A slice whose accounts were emptied proves the slice was read.
    from cslib.context import NoDataError, open_report

    whole = load(str(demo_db))
    folder = prepare_segments(whole, tmp_path / "slices", {"SMB": "smb"})
    accounts = pd.read_feather(folder / "smb" / f"accounts{SLICE_SUFFIX}")
    accounts.iloc[:0].to_feather(folder / "smb" / f"accounts{SLICE_SUFFIX}")
    ctx = open_report(segment="SMB", month="2026-10", source=str(demo_db), style=False)
    assert len(ctx["accounts"]) == len(accounts)
    monkeypatch.setenv(PREPARED_ENV, str(folder))
    with pytest.raises(NoDataError, match="no accounts"):
        open_report(segment="SMB", month="2026-10", source=str(demo_db), style=False)


def _slice_frames(folder, slug):
    return {p.stem: pd.read_feather(p) for p in sorted((folder / slug).glob(f"*{SLICE_SUFFIX}"))}


def _rows_and_dates(wh):
    """A picklable summary of a segment's tables, computed from them independently."""
    return {"accounts": len(wh["accounts"]), "mrr_rows": len(wh["mrr"]),
            "last_month": str(wh["mrr"]["month"].max())[:7]}


def test_processes_preparing_segments_side_by_side_share_the_cores(demo_db, monkeypatch):
    import duckdb
    import pyarrow as pa

    from cslib import io as cslib_io
    from cslib import readers

    threads = []
    connect = duckdb.connect

    def spy(*args, **kwargs):
        con = connect(*args, **kwargs)
        threads.append(con.execute("SELECT current_setting('threads')").fetchone()[0])
        return con

    monkeypatch.setattr(duckdb, "connect", spy)
    monkeypatch.setattr(readers, "_DUCKDB_THREADS", None)
    monkeypatch.delenv(PREPARED_ENV, raising=False)
    arrow_threads = pa.cpu_count()
    load(str(demo_db), segment="SMB", tables=["accounts"])  # an analyst's load: every core
    try:
        cslib_io._prepare_worker_init(1)
        load(str(demo_db), segment="SMB", tables=["accounts"])
        assert pa.cpu_count() == 1
    finally:
        pa.set_cpu_count(arrow_threads)
    assert threads == [connect(":memory:").execute(
        "SELECT current_setting('threads')").fetchone()[0], 1]


@pytest.mark.parametrize("jobs", [1, 2])
def test_preparing_one_segment_at_a_time_writes_the_whole_file_slices(
        demo_db, demo_tables, tmp_path, monkeypatch, jobs):
    # Validating a segment at a time must give, slice for slice, what validating the
    # whole file and cutting it gives: same tables, rows, order, values and dtypes.
    monkeypatch.delenv(PREPARED_ENV, raising=False)
    whole = load(str(demo_db))
    names = sorted(demo_tables["accounts"]["segment"].unique())
    slugs = {s: f"s{i}" for i, s in enumerate(names)}
    reference = prepare_segments(whole, tmp_path / "reference", slugs)
    done = prepare_segments_one_by_one(str(demo_db), tmp_path / "slices", slugs, jobs=jobs,
                                       summarise=_rows_and_dates)
    assert done is not None and done["notes"] == []
    for segment, slug in slugs.items():
        mine, theirs = _slice_frames(tmp_path / "slices", slug), _slice_frames(reference, slug)
        assert list(mine) == list(theirs) and len(mine) == 11  # the 8 tables and the 3 journey tables
        for name in theirs:
            pd.testing.assert_frame_equal(mine[name], theirs[name], check_exact=True)
        accounts = demo_tables["accounts"]
        ids = set(accounts.loc[accounts["segment"] == segment, "account_id"])
        mrr = demo_tables["mrr"]
        assert done["summaries"][segment] == {
            "accounts": len(ids), "mrr_rows": int(mrr["account_id"].isin(ids).sum()),
            "last_month": "2026-10"}
    # a report's load() reads these slices as it reads the reference ones
    sliced = load(str(demo_db), segment=names[0], prepared=tmp_path / "slices")
    direct = load(str(demo_db), segment=names[0])
    for name in direct:
        pd.testing.assert_frame_equal(sliced[name], direct[name], check_exact=True)


def test_segment_gaps_finds_what_per_segment_validation_cannot_see(demo_tables, tmp_path):
    from cslib.demo import write_duckdb

    names = sorted(demo_tables["accounts"]["segment"].unique())
    clean = write_duckdb(demo_tables, tmp_path / "clean.duckdb")
    assert segment_gaps(str(clean), names) == []
    # a segment not asked for leaves its accounts' rows out of every slice
    n_accounts = int((demo_tables["accounts"]["segment"] == names[0]).sum())
    gaps = segment_gaps(str(clean), names[1:])
    assert f"{n_accounts} row(s) of `accounts` are in no segment" in gaps

    tables = {k: v.copy() for k, v in demo_tables.items()}
    orphan = tables["mrr"].iloc[[0]].assign(account_id="NO-SUCH-ACCOUNT", contract_id="C-X")
    tables["mrr"] = pd.concat([tables["mrr"], orphan], ignore_index=True)
    # one ticket id under two accounts of different segments: each slice alone is fine
    accounts = tables["accounts"].set_index("account_id")["segment"]
    first = tables["tickets"].iloc[[0]]
    other = accounts.loc[accounts != accounts[first["account_id"].iloc[0]]].index[0]
    twin = first.assign(account_id=other)
    tables["tickets"] = pd.concat([tables["tickets"], twin], ignore_index=True)
    bad = write_duckdb(tables, tmp_path / "bad.duckdb")
    gaps = segment_gaps(str(bad), names)
    assert "1 row(s) of `mrr` are in no segment" in gaps
    assert '`tickets` repeats a key ("ticket_id")' in gaps
    assert len(gaps) == 2
    # so the batch does not prepare it this way; validating the whole file says why
    assert prepare_segments_one_by_one(str(bad), tmp_path / "s", {n: n for n in names}) is None
    assert not (tmp_path / "s").exists()
    # the same when the checks run beside the processes already preparing slices
    assert prepare_segments_one_by_one(str(bad), tmp_path / "s", {n: n for n in names},
                                       jobs=2) is None
    assert not (tmp_path / "s").exists() and not list(tmp_path.glob("s.tmp*"))
    with pytest.raises(SchemaError) as err:
        load(str(bad))
    text = str(err.value)  # the appended rows are the last of their tables
    assert (f"column `ticket_id` has 1 duplicate key(s) (rows {len(tables['tickets'])};"
            in text)
    assert f"unknown rows (rows {len(tables['mrr'])}; e.g. 'NO-SUCH-ACCOUNT')" in text


def test_a_segment_breaking_its_contract_stops_one_by_one_preparation(demo_tables, tmp_path):
    from cslib.demo import write_duckdb

    tables = {k: v.copy() for k, v in demo_tables.items()}
    tables["mrr"].loc[5, "mrr"] = -10.0  # one negative MRR value, in some segment
    bad = write_duckdb(tables, tmp_path / "bad.duckdb")
    names = sorted(tables["accounts"]["segment"].unique())
    assert segment_gaps(str(bad), names) == []  # nothing across segments...
    assert prepare_segments_one_by_one(str(bad), tmp_path / "s", {n: n for n in names},
                                       jobs=2) is None  # ...but a slice breaks its contract
    assert not (tmp_path / "s").exists() and not list(tmp_path.glob("s.tmp*"))
    with pytest.raises(SchemaError, match=r"row 6\b|rows 6\b"):
        load(str(bad))  # the whole file's validation names the row of the whole table


def test_only_duckdb_files_are_prepared_one_by_one(demo_tables, tmp_path):
    folder = write_csv_folder(demo_tables, tmp_path / "csv")
    assert prepare_segments_one_by_one(str(folder), tmp_path / "s", {"SMB": "smb"}) is None


def test_duckdb_reads_give_duckdbs_own_frames_for_every_column_type(tmp_path):
    import duckdb

    from cslib.readers import _duckdb_frame

    con = duckdb.connect(str(tmp_path / "types.duckdb"))
    con.execute("""
        CREATE TABLE t AS SELECT * FROM (VALUES
          (DATE '2024-01-02', 1.5::DECIMAL(10, 2), true, 1::INTEGER,
           TIMESTAMPTZ '2024-01-01 10:00:00+02', 'x', 5::BIGINT, 1.5::DOUBLE,
           TIMESTAMP '2024-01-01 10:00:00', 3::TINYINT, INTERVAL 1 DAY, NULL::VARCHAR),
          (NULL, NULL, NULL, NULL, NULL, 'ç', NULL, NULL, NULL, NULL, NULL, NULL),
          (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
        ) v(d, dec, b, i, tz, s, bi, f, ts, ti, iv, empty)""")
    for query, params in [("SELECT * FROM t", None),
                          ("SELECT * FROM t WHERE false", None),
                          ("SELECT * FROM t WHERE s = $s ORDER BY rowid", {"s": "x"}),
                          ("SELECT s, s AS s2, 1 AS s FROM t", None)]:
        pd.testing.assert_frame_equal(_duckdb_frame(con, query, params),
                                      con.sql(query, params=params).df(), check_exact=True)


@pytest.mark.postgres
@pytest.mark.xdist_group("postgres")
def test_postgres_reduces_raw_usage_events_inside_the_database(postgres, demo_tables):
    # Issue 18: the raw-event reduction runs as SQL in PostgreSQL, so no worker pulls raw
    # events. The reference is the pandas reduction of the same events.
    import sqlalchemy as sa

    from cslib.usage import events_from_usage, reduce_usage_events, usage_from_events

    accounts = demo_tables["accounts"]["account_id"].iloc[:25]
    usage = demo_tables["usage"][demo_tables["usage"]["account_id"].isin(accounts)]
    users = demo_tables["users"][demo_tables["users"]["account_id"].isin(accounts)]
    events = events_from_usage(usage, users, seed=3)
    events.loc[events.index[:5], "user_id"] = None  # anonymous events: counted, no user
    engine = sa.create_engine(postgres.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as con:
        events.to_sql("usage_events", con, index=False, if_exists="replace")
    rows = reduce_usage_events(postgres, usage_table="usage_reduced")
    with engine.connect() as con:
        got = pd.read_sql("SELECT * FROM usage_reduced ORDER BY 1, 2, 3", con)
    engine.dispose()
    expected = usage_from_events(events)
    assert rows == len(expected) > 0
    pd.testing.assert_frame_equal(
        got.astype({"active_users": "int64", "events": "int64", "month": "datetime64[ns]"}),
        expected.astype({"active_users": "int64", "events": "int64",
                         "month": "datetime64[ns]"}).reset_index(drop=True),
        check_dtype=False)
    with pytest.raises(SchemaError, match="table `usage_reduced` already exists"):
        reduce_usage_events(postgres, usage_table="usage_reduced", replace=False)
    with pytest.raises(SchemaError, match="table `nope` not found"):
        reduce_usage_events(postgres, events_table="nope")
