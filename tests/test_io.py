"""Sources: DuckDB, CSV/Parquet folders (including Brazilian exports) and PostgreSQL."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from cslib.exceptions import SchemaError, SourceError
from cslib.io import (
    CsvDialect,
    DuplicateRowsWarning,
    detect_dialect,
    load,
    read_csv,
    write_csv_folder,
)
from cslib.schemas import SCHEMAS, validate


def _assert_same_tables(left, right):
    assert set(left) == set(right)
    for name in left:
        key = list(SCHEMAS[name].key)
        a = left[name].sort_values(key).reset_index(drop=True)
        b = right[name].sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b[a.columns], check_dtype=True, obj=name)


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


def test_brazilian_csv_folder_loads_to_the_same_frames(demo_db, tmp_path):
    reference = load(demo_db)
    folder = write_csv_folder(reference, tmp_path / "export", brazilian=True)
    raw = (folder / "mrr.csv").read_bytes()
    assert b";" in raw.splitlines()[0]
    assert b"/20" in raw  # dd/mm/yyyy
    with warnings.catch_warnings():
        warnings.simplefilter("error", DuplicateRowsWarning)
        from_csv = load(folder)
    _assert_same_tables(from_csv, reference)


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


@pytest.mark.postgres
@pytest.mark.xdist_group("postgres")
def test_postgres_bad_credentials_are_explained(postgres):
    bad = postgres.replace("/cs", "/no_such_db")
    with pytest.raises(SourceError, match=r"Cannot read from postgresql://\*\*\*@"):
        load(bad)
