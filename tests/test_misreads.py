"""No silent misreads: each class of bad export, param or data either reads correctly or
stops with the kit's own message (exit 2: file, table, column, rows, what to do)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from cli_run import run_cli

from cslib.context import ReportContext
from cslib.exceptions import ParamsError, SchemaError
from cslib.io import Warehouse, load, prepare_segments, write_csv_folder
from cslib.nps import mask_pii
from cslib.params import (
    BatchParams,
    check_parameter_types,
    load_params,
    parameter_annotations,
)
from cslib.report import show_table, table_html, verbatims_html  # noqa: F401


def _folder(tmp_path, tables, **files):
    """``tables`` written as CSV, then the raw bytes of ``files`` (name -> bytes) on top."""
    folder = tmp_path / "export"
    write_csv_folder(tables, folder)
    for name, data in files.items():
        (folder / f"{name}.csv").write_bytes(data)
    return folder


def _validate(folder, *extra):
    return run_cli(Path(folder).parent, "validate", str(folder), *extra)


# --------------------------------------------------------------------------- 1 dates
def test_a_free_text_date_never_decides_another_columns_day_month_order(tmp_path,
                                                                          tiny_tables):
    # responded_at holds 10/05 (5 Oct, month first: 10/13 proves it); the comment starts
    # with "25/12/2025", which must not make responded_at day-first.
    nps = tiny_tables["nps_responses"]
    text = ("response_id,user_id,account_id,responded_at,score,comment\n"
            f"R1,{nps.user_id[0]},{nps.account_id[0]},10/05/2026,9,25/12/2025 foi bom\n"
            f"R2,{nps.user_id[1]},{nps.account_id[1]},10/03/2026,6,ok\n"
            f"R3,{nps.user_id[2]},{nps.account_id[2]},10/13/2026,10,\n")
    folder = _folder(tmp_path, tiny_tables, nps_responses=text.encode())
    got = load(folder)["nps_responses"]["responded_at"].dt.strftime("%Y-%m-%d").tolist()
    assert got == ["2026-10-05", "2026-10-03", "2026-10-13"]


def test_offsets_are_converted_to_the_report_timezone(tmp_path, tiny_tables):
    nps = tiny_tables["nps_responses"]
    text = ("response_id,user_id,account_id,responded_at,score\n"
            f"R1,{nps.user_id[0]},{nps.account_id[0]},2026-10-01T02:00:00Z,9\n"
            f"R2,{nps.user_id[1]},{nps.account_id[1]},2026-10-01T02:00:00+01:00,6\n"
            f"R3,{nps.user_id[2]},{nps.account_id[2]},2026-10-05 10:00,10\n")
    folder = _folder(tmp_path, tiny_tables, nps_responses=text.encode())
    got = load(folder, timezone="America/Sao_Paulo")["nps_responses"]["responded_at"]
    # 02:00 UTC is 23:00 of the day before in Sao Paulo (UTC-3): September, not October
    assert got.tolist() == [pd.Timestamp("2026-09-30 23:00"), pd.Timestamp("2026-09-30 22:00"),
                            pd.Timestamp("2026-10-05 10:00")]
    assert load(folder, timezone="UTC")["nps_responses"]["responded_at"][0] == \
        pd.Timestamp("2026-10-01 02:00")


def test_duplicate_keys_from_an_assumed_date_order_say_how_to_declare_it(tmp_path,
                                                                           tiny_tables):
    # 03/10/2026 meant 3 October (day first), but no value of `sent_at` proves the order:
    # on a `,` file it is read month first, 10 March, a send the user already has.
    text = ("user_id,account_id,wave,sent_at\nU1,A1,1,2026-03-10 09:00\n"
            "U1,A1,2,03/10/2026 09:00\nU2,A2,1,2026-03-10 09:00\n")
    folder = _folder(tmp_path, tiny_tables, nps_invitations=text.encode())
    res = _validate(folder)
    assert res.code == 2
    assert "nps_invitations.csv (table `nps_invitations`): column `user_id, sent_at` has 1 " \
        "duplicate key(s) (rows 2;" in res.err
    assert "day/month order of `sent_at`" in res.err and "dayfirst: true" in res.err


# --------------------------------------------------------------------------- 2 encodings
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_or_without_a_bom_is_read(tmp_path, tiny_tables, encoding):
    text = tiny_tables["accounts"].to_csv(index=False)
    folder = _folder(tmp_path, tiny_tables, accounts=text.encode(encoding))
    got = load(folder)["accounts"]["name"].tolist()
    assert got == tiny_tables["accounts"]["name"].tolist()  # São João and all


def test_utf8_with_one_latin1_row_is_refused_naming_the_row(tmp_path, tiny_tables):
    text = tiny_tables["accounts"].to_csv(index=False)
    lines = text.splitlines()
    raw = "\n".join(lines[:2]).encode() + b"\n" + lines[2].replace("e", "\xe9").encode(
        "latin-1") + b"\n" + "\n".join(lines[3:]).encode() + b"\nA9,Caf\xc3\xa9,SMB,x,y,2026-01-01,,\n"
    folder = _folder(tmp_path, tiny_tables, accounts=raw)
    res = _validate(folder)
    assert res.code == 2
    assert "accounts.csv" in res.err and "line 3" in res.err and "data row 2" in res.err
    assert "one encoding" in res.err and "Traceback" not in res.err


# --------------------------------------------------------------------------- 3 numbers
@pytest.mark.parametrize("bad", ["inf", "-inf", "1e308"])
def test_non_finite_and_absurd_amounts_are_refused(tmp_path, tiny_tables, bad):
    mrr = tiny_tables["mrr"].copy()
    mrr["mrr"] = mrr["mrr"].astype(object)
    mrr.loc[1, "mrr"] = bad
    folder = _folder(tmp_path, {**tiny_tables, "mrr": mrr})
    res = _validate(folder)
    assert res.code == 2
    assert "mrr.csv (table `mrr`): column `mrr` has 1 value(s) that are not finite" in res.err
    assert "(rows 2;" in res.err and "fix the export" in res.err


# --------------------------------------------------------------------------- 4 rules
def test_tickets_resolved_before_opened_and_future_events_are_errors(tiny_tables):
    from cslib.schemas import validate

    tickets = tiny_tables["tickets"].copy()
    tickets.loc[0, "resolved_at"] = "2026-10-01 07:00"  # opened 08:00
    nps = tiny_tables["nps_responses"].copy()
    nps.loc[2, "responded_at"] = "2031-01-01"
    with pytest.raises(SchemaError) as info:
        validate({**tiny_tables, "tickets": tickets, "nps_responses": nps},
                 today="2026-11-15")
    text = str(info.value)
    assert "table `tickets`: column `resolved_at` has 1 date(s) before" in text
    assert "cannot be before `opened_at`" in text and "(rows 1;" in text
    assert "column `responded_at` has 1 date(s) after today (rows 3; e.g. '2031-01-01')" in text


def test_a_loop_action_before_its_answer_is_an_error(tiny_tables):
    from cslib.schemas import validate

    la = tiny_tables["loop_actions"].copy()
    la.loc[0, "done_at"] = "2026-10-01 09:00"  # R2 was answered on 2026-10-03
    with pytest.raises(SchemaError, match=r"table `loop_actions`: column `done_at` has 1 "
                                          r"date\(s\) before .*nps_responses.responded_at"):
        validate({**tiny_tables, "loop_actions": la}, today="2026-11-15")


# --------------------------------------------------------------------------- 5 files
def test_header_names_equal_after_trimming_are_an_error(tmp_path, tiny_tables):
    text = tiny_tables["accounts"].to_csv(index=False).replace(",plan,", ", plan ,", 1)
    text = text.replace("account_id,", "account_id,plan,", 1)
    folder = _folder(tmp_path, tiny_tables, accounts=text.encode())
    res = _validate(folder)
    assert res.code == 2
    assert "accounts.csv: the header repeats column name(s) 'plan' and ' plan '" in res.err


def test_a_table_as_csv_and_parquet_is_an_error(tmp_path, tiny_tables):
    folder = _folder(tmp_path, tiny_tables)
    tiny_tables["users"].to_parquet(folder / "users.parquet")
    res = _validate(folder)
    assert res.code == 2
    assert "table `users` is there twice, as users.parquet and users.csv" in res.err


def test_near_miss_file_names_are_named(tmp_path, tiny_tables):
    folder = _folder(tmp_path, tiny_tables)
    (folder / "accounts.csv").rename(folder / "Accounts.csv")
    (folder / "nps_responses.csv").rename(folder / "nps-responses.csv")
    res = _validate(folder)
    assert res.code == 2
    assert "`accounts` is missing, but Accounts.csv is there: rename it to accounts.csv" \
        in res.err
    assert "nps-responses.csv is there: rename it to nps_responses.csv" in res.err


def test_one_csv_file_as_the_source_says_what_a_source_is(tmp_path, tiny_tables):
    folder = _folder(tmp_path, tiny_tables)
    res = _validate(folder / "accounts.csv")
    assert res.code == 2 and "is one file, but a source is a whole warehouse" in res.err


def test_validate_names_each_file_and_its_dialect_and_takes_params(tmp_path, tiny_tables):
    folder = tmp_path / "export"
    write_csv_folder(tiny_tables, folder, brazilian=True)
    (tmp_path / "p.yaml").write_text(
        f"source: {folder}\ncsv: {{sep: ';', decimal: ',', dayfirst: true, "
        "nps_responses: {encoding: latin-1}}\ntimezone: UTC\n", encoding="utf-8")
    res = run_cli(tmp_path, "validate", "--params", "p.yaml")
    assert res.code == 0, res.err
    line = next(x for x in res.out.splitlines() if x.strip().startswith("nps_responses"))
    assert str(folder / "nps_responses.csv") in line and "sep ';'" in line
    assert "decimal ','" in line and "responded_at: day first" in line
    bad = run_cli(tmp_path, "validate", str(folder), "--csv", '{"encoding": "latin-9000"}')
    assert bad.code == 2 and "unknown encoding 'latin-9000'" in bad.err


# --------------------------------------------------------------------------- 6 params
def _nb(source):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        source, metadata={"tags": ["parameters"]})])


def test_parameter_types_come_from_the_annotations():
    nb = _nb('segment = "all"\ntrailing_months: int = 12  # months of history\n'
             "gross_margin: float = 0.75\ncontrols: list[str] = []\n")
    assert parameter_annotations(nb) == {
        "segment": (None, "'all'", ""), "trailing_months": ("int", "12", "months of history"),
        "gross_margin": ("float", "0.75", ""), "controls": ("list[str]", "[]", "")}
    ok = BatchParams(parameters={"trailing_months": 6, "gross_margin": 1, "controls": ["a"]})
    check_parameter_types(ok, {"nb": nb})  # an int is accepted for a float
    bad = BatchParams(parameters={"trailing_months": "twelve", "controls": [1]},
                      overrides={"SMB": {"gross_margin": True}})
    with pytest.raises(ParamsError) as info:
        check_parameter_types(bad, {"churn": nb})
    text = str(info.value)
    assert "`parameters.trailing_months` is 'twelve' (str), but notebook churn declares " \
        "`trailing_months: int = 12`" in text
    assert "`parameters.controls`" in text and "`overrides.SMB.gross_margin` is True" in text


def test_a_yaml_alias_bomb_is_refused_fast(tmp_path):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    bomb += "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c]\n"
    (tmp_path / "p.yaml").write_text(bomb, encoding="utf-8")
    with pytest.raises(ParamsError, match=r"line 2: YAML aliases \(`\*name`\) are not allowed"):
        load_params(tmp_path / "p.yaml")


def test_huge_params_and_huge_values_give_short_messages(tmp_path):
    (tmp_path / "big.yaml").write_text("month: latest\n" + "#" * 300_000, encoding="utf-8")
    with pytest.raises(ParamsError, match="a params file is at most 262,144 bytes"):
        load_params(tmp_path / "big.yaml")
    (tmp_path / "p.yaml").write_text("locale: " + "x" * 100_000, encoding="utf-8")
    with pytest.raises(ParamsError) as info:
        load_params(tmp_path / "p.yaml")
    assert len(str(info.value)) < 1200 and "more characters" in str(info.value)


@pytest.mark.parametrize("given", ["pt_BR", "pt-br", "PT-BR"])
def test_locale_aliases_are_accepted(tmp_path, given):
    (tmp_path / "p.yaml").write_text(f"locale: {given}\noverrides: {{SMB: {{locale: {given}}}}}\n",
                                     encoding="utf-8")
    params = load_params(tmp_path / "p.yaml")
    assert params.locale == "pt-BR" and params.overrides["SMB"]["locale"] == "pt-BR"


def test_unknown_timezone_and_encoding_are_params_errors(tmp_path):
    (tmp_path / "p.yaml").write_text("timezone: Mars/Olympus\ncsv: {encoding: utf-9}\n",
                                     encoding="utf-8")
    with pytest.raises(ParamsError) as info:
        load_params(tmp_path / "p.yaml")
    assert "`timezone` must be an IANA timezone name" in str(info.value)
    assert "unknown encoding 'utf-9'" in str(info.value)


# --------------------------------------------------------------------------- 8 bidi
def test_bidi_controls_in_data_are_isolated_in_html():
    evil = "Acme \u202eevil"
    out = table_html(pd.DataFrame({"name": [evil], "mrr": [1.0]}))
    assert "<bdi>Acme \u202eevil</bdi>" in out
    quotes = verbatims_html(pd.DataFrame({"comment": [evil], "responded_at": [
        pd.Timestamp("2026-10-01")], "score": [3]}))
    assert "<bdi>Acme \u202eevil</bdi>" in quotes
    from cslib.pages import render_index

    page = render_index("2026-10", [{"notebook": "nb", "segment": evil, "status": "ok",
                                     "html": "a.html", "ipynb": "a.ipynb"}])
    assert "<bdi>Acme \u202eevil</bdi>" in page


# --------------------------------------------------------------------------- 9 privacy
@pytest.mark.parametrize("text, expected", [
    ("ligue,11933334444 amanhã", "ligue,[phone] amanhã"),
    ("meu CPF 123.456.789-09", "meu CPF [cpf]"),
    ("cpf 52998224725 ok", "cpf [cpf] ok"),  # bare, with valid check digits
    ("CNPJ 12.345.678/0001-95.", "CNPJ [cnpj]."),
    ("fala no wa.me/5511933334444 ou https://api.whatsapp.com/send?phone=5511933334444",
     "fala no [whatsapp] ou [whatsapp]"),
    ("London +44 20 7946 0958, Lisboa +351 912 345 678", "London [phone], Lisboa [phone]"),
    ("paguei R$ 1.234,56 e R$ 12.345.678,90", "paguei R$ 1.234,56 e R$ 12.345.678,90"),
    ("em 04/10/2026 e 2026-10-04 às 10:30, subiu 12,5%", "em 04/10/2026 e 2026-10-04 às "
     "10:30, subiu 12,5%"),
    ("ticket T-0012345678, conta A000123, pedido #123456789012",
     "ticket T-0012345678, conta A000123, pedido #123456789012"),
    # wrong check digits: not a CPF, but 11 bare digits are a mobile number all the same
    ("cpf 12345678901 is not one", "cpf [phone] is not one"),
    ("pedido 4567890 de 12 itens", "pedido 4567890 de 12 itens"),
])
def test_masking_covers_brazilian_ids_links_and_glued_phones(text, expected):
    assert mask_pii(text) == expected


def test_the_slice_cache_is_private_and_cslib_clean_removes_it(demo_db, tmp_path):
    old = os.umask(0o022)
    try:
        wh = load(str(demo_db), tables=["accounts", "mrr", "users"], segment="SMB")
        folder = prepare_segments(Warehouse(dict(wh), source=str(demo_db)),
                                  tmp_path / "reports" / ".cache" / "slices-x", {"SMB": "smb"})
    finally:
        os.umask(old)
    for path in [folder, *folder.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
    res = run_cli(tmp_path, "clean", "--output", "reports")
    assert res.code == 0 and not (tmp_path / "reports" / ".cache").exists()


# --------------------------------------------------------------------------- 10 reports
def test_an_absent_optional_table_is_an_empty_frame_with_its_columns(tiny_tables):
    ctx = ReportContext(segment="all", month=pd.Timestamp("2026-10-01"), locale="en",
                        data=Warehouse({"accounts": tiny_tables["accounts"]}), data_date=None)
    inv = ctx["nps_invitations"]
    assert inv.empty and list(inv.columns) == ["user_id", "account_id", "wave", "sent_at"]
    with pytest.raises(KeyError):
        ctx["mrr"]  # a required table is never faked


# --------------------------------------------------------------------------- 11 nothing lost
def test_demo_data_does_not_overwrite_without_force(tmp_path):
    path = tmp_path / "demo.duckdb"
    path.write_bytes(b"precious")
    res = run_cli(tmp_path, "demo-data", "--path", str(path), "--accounts", "50",
                  "--months", "3")
    assert res.code == 2 and "does not overwrite a file without --force" in res.err
    assert path.read_bytes() == b"precious"
    res = run_cli(tmp_path, "demo-data", "--path", str(path), "--accounts", "50",
                  "--months", "3", "--force", "--no-validate")
    assert res.code == 0 and path.read_bytes() != b"precious"


def test_row_numbers_are_the_files_own_rows_after_duplicates_were_dropped(tmp_path,
                                                                            tiny_tables):
    mrr = tiny_tables["mrr"]
    dup = pd.concat([mrr.iloc[[0]], mrr.iloc[[0]], mrr.iloc[1:]], ignore_index=True)
    dup["mrr"] = dup["mrr"].astype(object)
    dup.loc[3, "mrr"] = "abc"  # the file's data row 4 (row 3 once the duplicate is gone)
    folder = _folder(tmp_path, {**tiny_tables, "mrr": dup})
    res = _validate(folder)
    assert res.code == 2
    assert "column `mrr` has 1 value(s) that cannot be read (rows 4; e.g. 'abc')" in res.err
    assert "dropped 1 exact duplicate record(s) of table `mrr`" in res.err


# --------------------------------------------------------------------------- 10 render
@pytest.mark.slow
def test_every_notebook_renders_for_every_segment_of_small_warehouses(tmp_path):
    """Three small demo warehouses (seeds 11-13; 50 to 120 accounts; 3 to 12 months): every
    notebook for every segment renders, no run fails, and no segment with paying accounts
    in the month gets a "no data" page. Time budget: about 3 minutes on 2 cores."""
    import json
    import shutil

    from cslib.demo import generate_warehouse, write_duckdb

    root = Path(__file__).resolve().parent.parent
    shutil.copytree(root / "notebooks", tmp_path / "notebooks")
    problems = []
    for seed, n, months in ((11, 50, 3), (12, 80, 6), (13, 120, 12)):
        tables = generate_warehouse(n, n_months=months, seed=seed)
        db = write_duckdb(tables, tmp_path / f"w{seed}.duckdb")
        (tmp_path / f"p{seed}.yaml").write_text(
            f"month: '2026-10'\nsource: {db}\nsegments: all\njobs: 2\ntimeout: 300\n",
            encoding="utf-8")
        res = run_cli(tmp_path, "render", "--params", f"p{seed}.yaml", "--output",
                      f"r{seed}")
        manifest = json.loads((tmp_path / f"r{seed}" / "2026-10" / "manifest.json").read_text())
        mrr = tables["mrr"]
        paying = mrr.loc[(mrr["month"] == "2026-10-01") & (mrr["mrr"] > 0), "account_id"]
        acc = tables["accounts"]
        with_paying = {"all", *acc.loc[acc["account_id"].isin(paying), "segment"]}
        for run in manifest["runs"]:
            if run["status"] == "failed" or (run["status"] == "no_data"
                                             and run["segment"] in with_paying):
                problems.append((seed, run["notebook"], run["segment"], run["status"],
                                 run.get("error")))
        if res.code not in (0, 1):
            problems.append((seed, "batch", res.code, res.err[-500:]))
    assert not problems, problems
