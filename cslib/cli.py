"""The ``cslib`` console command.

``cslib init DIR``   creates a project folder (params, notebooks, data folder).
``cslib notebooks``  lists the notebooks and their parameters.
``cslib demo-data``  writes the synthetic demo warehouse (``--force`` to overwrite).
``cslib validate``   checks a source against the data contracts.
``cslib render``     renders every report of a month (see :mod:`cslib.runner`).
``cslib clean``      removes the batch's data cache (raw, unmasked prepared slices).
``cslib tune-review`` chooses the review's churn-risk thresholds on history and writes them.

Exit codes: 0 success, 1 some reports failed, 2 bad input (data, params or
arguments) found before any work started, or a batch stopped because its output
could not be written (disk full, read-only folder; finished reports are kept).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from .exceptions import CslibError, SchemaError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def _demo_data(args) -> int:
    from pathlib import Path

    from .demo import write_demo_data

    if Path(args.path).exists() and not args.force:
        raise CslibError(f"{args.path} exists; `cslib demo-data` does not overwrite a file "
                         "without --force. Pass --force to replace it, or --path to write "
                         "elsewhere.")
    path = write_demo_data(args.path, n_accounts=args.accounts, seed=args.seed,
                           n_months=args.months)
    print(f"demo warehouse written to {path}")
    if not args.no_validate:
        return _validate_source(str(path))
    return EXIT_OK


def _validate_source(source: str, csv=None, timezone=None) -> int:
    from .io import load

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        wh = load(source, csv=csv, timezone=timezone)
    for w in caught:
        print(f"note: {w.message}")
    for name, frame in wh.items():
        where = wh.files.get(name, "")
        dialect = frame.attrs.get("dialect")
        how = ""
        if dialect:
            how = (f"  [{dialect['encoding']}, sep {dialect['sep']!r}, decimal "
                   f"{dialect['decimal']!r}, thousands {dialect['thousands']!r}"
                   + "".join(f", {c}: {o}" for c, o in dialect.get("date_order", {}).items())
                   + "]")
        print(f"  {name:<16} {len(frame):>10,} rows  valid  from {where}{how}")
    return EXIT_OK


def _validate(args) -> int:
    import json

    from .params import DEFAULT_TIMEZONE, load_params, parse_params

    csv, timezone, source = None, DEFAULT_TIMEZONE, args.source
    if args.params:
        params = load_params(args.params)
        csv, timezone = params.csv, params.timezone
        source = source or params.source
    if args.csv:
        try:
            extra = json.loads(args.csv)
        except ValueError as err:
            raise CslibError(f"--csv must be a JSON mapping such as "
                             f"'{{\"sep\": \";\"}}' ({err}).") from None
        csv = parse_params({"csv": {**(csv or {}), **extra}}, where="--csv").csv
    if args.timezone:
        timezone = parse_params({"timezone": args.timezone}, where="--timezone").timezone
    if source is None:
        from .io import default_source

        source = default_source()
    return _validate_source(source, csv=csv, timezone=timezone)


def _clean(args) -> int:
    import shutil
    from pathlib import Path

    cache = Path(args.output) / ".cache"
    if not cache.exists():
        print(f"nothing to clean: {cache} does not exist")
        return EXIT_OK
    shutil.rmtree(cache)
    print(f"removed {cache} (the prepared data slices and data facts; the next render "
          "validates the data again)")
    return EXIT_OK


def _render(args) -> int:
    from .runner import main as render_main

    return render_main(args)


def _tune_review(args) -> int:
    from .health import tune_review, tuned_sentence, write_thresholds
    from .io import default_source, load
    from .params import load_params

    source = args.source
    if source is None and args.params and Path(args.params).exists():
        source = load_params(args.params).source
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wh = load(source or default_source())
    tuned = tune_review(wh, train_months=args.train_months, test_months=args.test_months,
                        horizon=args.horizon, max_share=args.max_share)
    path = write_thresholds(tuned, args.output)
    print(tuned_sentence(tuned))
    print(f"thresholds written to {path}; give it to the health_review notebook with "
          f"`parameters: {{thresholds_file: {path}}}` in the params file")
    return EXIT_OK


def _notebooks(args) -> int:
    from .pages import notebook_title
    from .params import notebook_parameters, read_notebook
    from .runner import _notebook_paths

    for name, path in _notebook_paths(Path(args.notebooks_dir), None).items():
        nb = read_notebook(path)
        print(f"{name}  ({path})\n  {notebook_title(nb, name)}")
        found = notebook_parameters(nb)
        rows = [(k, p.type or "", p.default, p.description or "") for k, p in found.items()]
        widths = [max(len(r[i]) for r in rows) for i in range(3)] if rows else [0, 0, 0]
        for r in rows:
            print(f"    {r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  "
                  f"{r[3]}".rstrip())
    return EXIT_OK


def _init(args) -> int:
    from .project import init_project

    folder = init_project(args.folder, force=args.force)
    print(f"project created in {folder}. Next:\n  cd {args.folder}\n"
          "  cslib demo-data                 # or set `source:` in params/monthly.yaml\n"
          "  cslib notebooks                 # the notebooks and their parameters\n"
          "  cslib render                    # every report of the latest complete month")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="cslib", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"cslib {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    init = sub.add_parser("init", help="create a project folder (params, notebooks, data)")
    init.add_argument("folder", help="the folder to create (or an empty one)")
    init.add_argument("--force", action="store_true",
                      help="write into a folder that is not empty (existing files are kept)")
    init.set_defaults(func=_init)

    nbs = sub.add_parser("notebooks", help="list the notebooks and their parameters")
    nbs.add_argument("--notebooks-dir", default="notebooks",
                     help="folder of the notebooks (default: notebooks)")
    nbs.set_defaults(func=_notebooks)

    demo = sub.add_parser("demo-data", help="write the synthetic demo warehouse")
    demo.add_argument("--path", default="data/demo.duckdb", help="DuckDB file to write")
    demo.add_argument("--accounts", type=int, default=2000, help="number of accounts")
    demo.add_argument("--months", type=int, default=24, help="months of MRR history")
    demo.add_argument("--seed", type=int, default=1, help="random seed")
    demo.add_argument("--no-validate", action="store_true", help="skip validation")
    demo.add_argument("--force", action="store_true", help="overwrite an existing file")
    demo.set_defaults(func=_demo_data)

    val = sub.add_parser("validate", help="check a source against the data contracts")
    val.add_argument("source", nargs="?", help="DuckDB file, CSV/Parquet folder or database "
                     "URL (default: the params file's source, $CSLIB_SOURCE or the demo)")
    val.add_argument("--params", help="params file whose csv, timezone and source to use, "
                     "so the check is the batch's")
    val.add_argument("--csv", help='CSV options as JSON, e.g. \'{"sep": ";", "decimal": ","}\''
                     " (a table name may hold its own options)")
    val.add_argument("--timezone", help="report timezone (default America/Sao_Paulo)")
    val.set_defaults(func=_validate)

    clean = sub.add_parser("clean", help="remove the batch's data cache (raw prepared slices)")
    clean.add_argument("--output", default="reports", help="reports folder (default: reports)")
    clean.set_defaults(func=_clean)

    render = sub.add_parser("render", help="render every report of a month")
    render.add_argument("--params", default="params/monthly.yaml", help="params file")
    render.add_argument("--month", help="month to render, YYYY-MM, or 'latest' for the "
                        "data's latest complete month (default: from params)")
    render.add_argument("--segments", nargs="+", help="segments to render (default: params)")
    render.add_argument("--notebooks", nargs="+", help="notebooks to render (default: params); "
                        "a path to a notebook file (e.g. drafts/new.py) previews a notebook "
                        "that is not in the params file")
    render.add_argument("--jobs", type=int, help="parallel runs (default: one per core)")
    render.add_argument("--output", help="reports folder (default: reports)")
    render.add_argument("--dry-run", action="store_true", help="print the run matrix only")
    render.add_argument("--force", action="store_true", help="re-render unchanged reports")
    render.add_argument("--per", choices=["account"],
                        help="one page per account for the notebooks that declare "
                             "`account_id` (account_brief), for the accounts of the segments")
    render.add_argument("--executor", choices=["local", "dask"],
                        help="where the runs execute (default: params, else local)")
    render.add_argument("--scheduler", help="dask scheduler address, e.g. tcp://host:8786 "
                                            "(implies --executor dask)")
    render.add_argument("--shared-folder", dest="shared_folder",
                        help="a folder every dask worker reads: the data slices go there")
    render.set_defaults(func=_render)

    tune = sub.add_parser("tune-review", help="choose the review's churn-risk thresholds on "
                          "history (train window) and report them on a later test window")
    tune.add_argument("source", nargs="?", help="data source (default: the params file's, "
                      "$CSLIB_SOURCE or the demo)")
    tune.add_argument("--params", default="params/monthly.yaml", help="params file")
    tune.add_argument("--output", default="params/review_thresholds.yaml",
                      help="thresholds file to write")
    tune.add_argument("--max-share", type=float, default=0.10,
                      help="most accounts classed as churn risk (calling capacity), 0-1")
    tune.add_argument("--train-months", type=int, default=6, help="review months to tune on")
    tune.add_argument("--test-months", type=int, default=3, help="later months to report on")
    tune.add_argument("--horizon", type=int, default=3, help="months ahead of the churn")
    tune.set_defaults(func=_tune_review)
    return parser


#: Longest error message printed (a message quoting a huge value stays readable).
MAX_MESSAGE = 8000


def _clip_message(text: str) -> str:
    if len(text) <= MAX_MESSAGE:
        return text
    return text[:MAX_MESSAGE] + f"... ({len(text) - MAX_MESSAGE:,} more characters)"


def main(argv: list[str] | None = None) -> int:
    from .kernels import skip_iri_grammar

    skip_iri_grammar()  # before anything reads a notebook
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SchemaError as err:
        print(f"error: {_clip_message(str(err))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except CslibError as err:
        print(f"error: {_clip_message(str(err))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
