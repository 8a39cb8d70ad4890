"""Params files of the monthly batch: read, check, and match against notebooks.

A params file is plain YAML data (read with ``yaml.safe_load`` only, so a
``!!python/object`` tag is an error, never code). Every problem in a file is
reported at once, and every parameter key is checked against the notebooks'
``parameters`` cells before any kernel starts.
"""

from __future__ import annotations

import ast
import io
import json
import os
import re
import tokenize
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from .exceptions import ParamsError

__all__ = [
    "BatchParams",
    "RESERVED",
    "load_params",
    "read_params_file",
    "parse_params",
    "notebook_parameters",
    "NotebookParameter",
    "read_notebook",
    "check_parameter_keys",
    "parameter_annotations",
    "check_parameter_types",
    "normalize_locale",
    "MAX_PARAMS_BYTES",
    "DEFAULT_TIMEZONE",
]

#: A params file larger than this is refused (a params file is a few hundred bytes).
MAX_PARAMS_BYTES = 256 * 1024
#: Longest a quoted value or a single problem gets in a message.
MAX_SHOWN = 200
#: The report timezone: timestamps with an offset (``Z``, ``-03:00``) are converted to it,
#: and month boundaries are its local months.
DEFAULT_TIMEZONE = "America/Sao_Paulo"

#: The sales stages, in their order (``stages`` in the params file).
DEFAULT_STAGES = ("lead", "qualified", "demo", "proposal", "negotiation")

#: The onboarding milestones, in their order; the last one is "value" (``milestones``).
DEFAULT_MILESTONES = ("kickoff", "integration", "training", "go-live")

#: What one report covers (``cut`` in the params file): a segment, a CSM, or the sales
#: owner of the account's won opportunity.
CUTS = ("segment", "csm", "owner")


def _clip(text: str, limit: int = MAX_SHOWN) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    text = str(text)
    if len(text) <= limit:
        return text
    return text[:limit] + f"... ({len(text) - limit:,} more characters)"


def normalize_locale(locale: str) -> str | None:
    """The kit's spelling of a locale (``pt_BR``, ``pt-br`` -> ``pt-BR``), None if unknown.

    Examples
    --------
    >>> normalize_locale("pt_br"), normalize_locale("EN"), normalize_locale("fr")
    ('pt-BR', 'en', None)
    """
    from .i18n import LOCALES

    if not isinstance(locale, str):
        return None
    wanted = locale.strip().replace("_", "-").lower()
    for known in LOCALES:
        if known.lower() == wanted:
            return known
    return None

#: Parameters the runner sets itself from the top-level keys of the file.
RESERVED = ("segment", "month", "source", "csv", "data_date", "account_id")
#: Top-level keys that a segment's ``overrides`` may also set.
OVERRIDABLE_TOP_LEVEL = ("locale", "mask_pii")

#: The executors ``executor:`` may name.
EXECUTORS = ("local", "dask")

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class BatchParams:
    """What a params file asks the batch to do (see ``params/monthly.yaml``)."""

    month: str = "latest"
    source: str | None = None
    segments: tuple[str, ...] | str = "all"
    notebooks: tuple[str, ...] | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    jobs: int | None = None
    timeout: float | None = 600
    run_timeout: float | None = 1800
    locale: str = "en"
    csv: dict[str, Any] | None = None
    mask_pii: bool = True
    timezone: str = DEFAULT_TIMEZONE
    stages: tuple[str, ...] = DEFAULT_STAGES
    milestones: tuple[str, ...] = DEFAULT_MILESTONES
    cut: str = "segment"
    #: ``"account"``: notebooks that declare ``account_id`` render one page per account.
    per: str | None = None
    #: Where the runs execute: ``"local"`` (a process pool) or ``"dask"`` (a dask.distributed
    #: cluster at ``scheduler``).
    executor: str = "local"
    scheduler: str | None = None
    #: A folder every dask worker can read: the prepared data slices go there.
    shared_folder: str | None = None

    @classmethod
    def keys(cls) -> list[str]:
        return [f.name for f in fields(cls)]


def _checked_locale(value, where: str, problems: list[str]) -> str | None:
    """``value`` as a kit locale (``pt_BR`` -> ``pt-BR``), or None with a problem noted."""
    locale = normalize_locale(value)
    if locale is None:
        from .i18n import LOCALES

        problems.append(f"`{where}` must be one of {list(LOCALES)} (pt_BR and pt-br are "
                        f"accepted too), got {_clip(repr(value))}")
    return locale


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _notebook_name(name: str) -> str:
    """``cohort_nps.ipynb`` and ``cohort_nps.py`` name the notebook ``cohort_nps``."""
    for suffix in NOTEBOOK_SUFFIXES:
        name = name.removesuffix(suffix)
    return name


def parse_params(data: Any, *, where: str = "params") -> BatchParams:
    """Check a params mapping and turn it into :class:`BatchParams`.

    Every problem is collected and raised together as one :class:`ParamsError`.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ParamsError(f"{where}: expected a mapping of keys (month, segments, ...), got "
                          f"{type(data).__name__}. See params/monthly.yaml for an example.")
    problems: list[str] = []
    valid = BatchParams.keys()
    unknown = [k for k in data if k not in valid]
    if unknown:
        problems.append(f"unknown key(s) {sorted(map(str, unknown))}; valid keys are {valid}")
    out: dict[str, Any] = {}

    if "month" in data:
        month = str(data["month"]) if data["month"] is not None else None
        if month is None or (month != "latest" and not _MONTH.match(month)):
            problems.append(f"`month` must be 'YYYY-MM' (e.g. '2026-10') or 'latest', "
                            f"got {data['month']!r}")
        else:
            out["month"] = month
    if data.get("source") is not None:
        if not isinstance(data["source"], str | os.PathLike):
            problems.append(f"`source` must be a path or URL string, got {data['source']!r}")
        else:
            out["source"] = str(data["source"])
    if "segments" in data:
        seg = data["segments"]
        if seg == "all":
            out["segments"] = "all"
        elif (isinstance(seg, list) and seg
              and all(isinstance(s, str | int | float) and not isinstance(s, bool) for s in seg)):
            out["segments"] = tuple(dict.fromkeys(str(s) for s in seg))
        else:
            problems.append(f"`segments` must be 'all' or a non-empty list of segment names, "
                            f"got {seg!r}")
    if data.get("notebooks") is not None:
        nbs = data["notebooks"]
        if isinstance(nbs, list) and nbs and all(isinstance(n, str) for n in nbs):
            out["notebooks"] = tuple(dict.fromkeys(_notebook_name(n) for n in nbs))
        else:
            problems.append(f"`notebooks` must be a non-empty list of notebook names, got {nbs!r}")
    if "parameters" in data:
        params = data["parameters"] if data["parameters"] is not None else {}
        if not isinstance(params, dict):
            problems.append(f"`parameters` must be a mapping of name: value, got {params!r}")
        else:
            bad = [k for k in params if k in RESERVED + OVERRIDABLE_TOP_LEVEL]
            if bad:
                problems.append(f"`parameters` sets {sorted(bad)}, which the batch sets from "
                                "the top-level keys; move them to the top level")
            out["parameters"] = {str(k): v for k, v in params.items()}
    if "overrides" in data:
        ov = dict(data["overrides"]) if isinstance(data["overrides"], dict) else (
            data["overrides"] if data["overrides"] is not None else {})
        if not isinstance(ov, dict) or not all(isinstance(v, dict) for v in ov.values()):
            problems.append("`overrides` must map a segment name to a mapping of parameters, "
                            f"got {ov!r}")
        else:
            for seg, params in ov.items():
                if "locale" in params:
                    locale = _checked_locale(params["locale"], f"overrides.{seg}.locale",
                                             problems)
                    if locale is not None:
                        params = ov[seg] = {**params, "locale": locale}
                bad = [k for k in params if k in RESERVED]
                if bad:
                    problems.append(f"`overrides.{seg}` sets {sorted(bad)}, which the batch "
                                    "sets itself; remove them")
            out["overrides"] = {str(s): {str(k): v for k, v in p.items()} for s, p in ov.items()}
    if data.get("jobs") is not None:
        if not isinstance(data["jobs"], int) or isinstance(data["jobs"], bool) or data["jobs"] < 1:
            problems.append(f"`jobs` must be a whole number >= 1, got {data['jobs']!r}")
        else:
            out["jobs"] = data["jobs"]
    for key in ("timeout", "run_timeout"):
        if key in data:
            value = data[key]
            if value is not None and (not _is_number(value) or value <= 0):
                problems.append(f"`{key}` must be a number of seconds > 0 (or null for no "
                                f"limit), got {value!r}")
            else:
                out[key] = value
    if "locale" in data:
        locale = _checked_locale(data["locale"], "locale", problems)
        if locale is not None:
            out["locale"] = locale
    if data.get("csv") is not None:
        if not isinstance(data["csv"], dict):
            problems.append(f"`csv` must be a mapping (sep, decimal, encoding, dayfirst, "
                            f"thousands), got {_clip(repr(data['csv']))}")
        else:
            from .dialect import check_csv_options

            csv_problems = check_csv_options(data["csv"])
            problems += [f"`csv`: {p}" for p in csv_problems]
            if not csv_problems:
                out["csv"] = dict(data["csv"])
    if "timezone" in data:
        tz = data["timezone"]
        if not _known_timezone(tz):
            problems.append(f"`timezone` must be an IANA timezone name such as "
                            f"'America/Sao_Paulo' or 'UTC', got {_clip(repr(tz))}")
        else:
            out["timezone"] = tz
    if data.get("per") is not None:
        if data["per"] != "account":
            problems.append(f"`per` must be 'account' (one page per account) or omitted, got "
                            f"{_clip(repr(data['per']))}")
        else:
            out["per"] = "account"
    if data.get("executor") is not None:
        if data["executor"] not in EXECUTORS:
            problems.append(f"`executor` must be one of {list(EXECUTORS)}, got "
                            f"{_clip(repr(data['executor']))}")
        else:
            out["executor"] = data["executor"]
    if data.get("scheduler") is not None:
        sched = data["scheduler"]
        if not isinstance(sched, str) or not re.match(r"^[a-z+]+://[^\s/]+$", sched):
            problems.append("`scheduler` must be a dask scheduler address such as "
                            f"'tcp://host:8786', got {_clip(repr(sched))}")
        else:
            out["scheduler"] = sched
    if data.get("shared_folder") is not None:
        if not isinstance(data["shared_folder"], str | os.PathLike):
            problems.append("`shared_folder` must be a folder path every worker can read, "
                            f"got {_clip(repr(data['shared_folder']))}")
        else:
            out["shared_folder"] = str(data["shared_folder"])
    if "mask_pii" in data:
        if not isinstance(data["mask_pii"], bool):
            problems.append(f"`mask_pii` must be true or false, got {data['mask_pii']!r}")
        else:
            out["mask_pii"] = data["mask_pii"]

    for key in ("stages", "milestones"):
        if key in data:
            value = data[key]
            if (not isinstance(value, list) or len(value) < 2
                    or not all(isinstance(v, str) and v for v in value)
                    or len(set(value)) != len(value)):
                problems.append(f"`{key}` must be a list of at least two distinct names in "
                                f"their order, e.g. {list(getattr(BatchParams, key))}, got "
                                f"{_clip(repr(value))}")
            else:
                out[key] = tuple(value)
    if "cut" in data:
        if data["cut"] not in CUTS:
            problems.append(f"`cut` must be one of {list(CUTS)} (what one report covers), "
                            f"got {_clip(repr(data['cut']))}")
        else:
            out["cut"] = data["cut"]

    if problems:
        raise ParamsError(f"{where}: " + "; ".join(_clip(p, 4 * MAX_SHOWN) for p in problems)
                          + ".")
    return BatchParams(**out)


def _known_timezone(name) -> bool:
    from zoneinfo import ZoneInfo

    if not isinstance(name, str) or not name or len(name) > 64:
        return False
    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return True


class _NoAliasLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses aliases (``*name``): a few hundred bytes of nested
    aliases expand into gigabytes (the "billion laughs"), and a params file needs none."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise ParamsError(f"line {mark.line + 1}: YAML aliases (`*name`) are not allowed "
                              "in a params file; write the values out.")
        return super().compose_node(parent, index)


def read_params_file(path: str | os.PathLike) -> dict[str, Any]:
    """The raw mapping in a params file (YAML, safe loader only), not yet checked.

    Raises
    ------
    ParamsError
        The file is missing or is not plain YAML data (``!!python/...`` tags
        are refused).
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_PARAMS_BYTES:
            raise ParamsError(f"Params file {path} is {size:,} bytes; a params file is at "
                              f"most {MAX_PARAMS_BYTES:,} bytes. Is it the right file?")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParamsError(f"Params file {path} not found. Pass --params with a YAML file "
                          "such as params/monthly.yaml.") from None
    except OSError as err:
        raise ParamsError(f"Params file {path} cannot be read ({err}).") from err
    except UnicodeDecodeError as err:
        raise ParamsError(f"Params file {path} is not UTF-8 text (byte {err.start}). Save "
                          "it as UTF-8.") from err
    try:
        data = yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except ParamsError as err:
        raise ParamsError(f"{path}: {err}") from None
    except yaml.YAMLError as err:
        detail = _clip(" ".join(str(err).split()) or err.__class__.__name__)
        hint = ""
        if isinstance(err, yaml.constructor.ConstructorError):
            hint = (" Tags such as `!!python/object` are not allowed: a params file holds "
                    "plain data (strings, numbers, lists, mappings) only.")
        raise ParamsError(f"{path}: not a valid params file ({detail}).{hint}") from err
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParamsError(f"{path}: expected a mapping of keys (month, segments, ...), got "
                          f"{type(data).__name__}. See params/monthly.yaml for an example.")
    return data


def load_params(path: str | os.PathLike) -> BatchParams:
    """Read a params file (YAML, safe loader only) and check it.

    Raises
    ------
    ParamsError
        The file is missing, is not plain YAML data, or breaks a rule (every
        problem listed).
    """
    return parse_params(read_params_file(path), where=str(path))


class _Node(dict):
    """A notebook's JSON with attribute access, as ``nbformat.NotebookNode`` gives."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _node(value):
    if isinstance(value, dict):
        return _Node({k: _node(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_node(v) for v in value]
    return value


#: File endings of the notebooks the kit reads: Jupyter's JSON and jupytext's percent scripts.
NOTEBOOK_SUFFIXES = (".ipynb", ".py")


def is_text_notebook(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a jupytext text notebook (a ``.py`` percent script with
    ``# %%`` cells), as opposed to a ``.ipynb`` file or a plain module.

    Examples
    --------
    >>> is_text_notebook("notebooks/cohort_nps.py"), is_text_notebook("cslib/params.py")
    (True, False)
    """
    path = Path(path)
    if path.suffix != ".py":
        return False
    try:
        with open(path, encoding="utf-8") as fh:
            return any(line.startswith("# %%") for line in fh)
    except (OSError, UnicodeDecodeError):
        return False


def read_notebook(path: str | os.PathLike):
    """A notebook file as an nbformat (version 4) notebook: a ``.ipynb`` file, or a
    jupytext text notebook (a ``.py`` percent script, read with ``jupytext.read``).

    A version-4 ``.ipynb`` is read as ``nbformat.read(path, as_version=4)`` would,
    without importing nbformat (its JSON-schema validator takes seconds to import,
    and a re-run of an unchanged month reads notebooks but runs none). Cell sources
    come back as one string, as nbformat gives them; notebooks of an older format
    are read (and converted) by nbformat itself.

    Examples
    --------
    >>> nb = read_notebook("notebooks/cohort_nps.py")
    >>> nb.nbformat, nb.cells[0].cell_type, nb.cells[0].metadata.tags
    (4, 'code', ['parameters'])
    """
    if Path(path).suffix != ".ipynb":
        import jupytext

        return jupytext.read(path)
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict) or data.get("nbformat") != 4 \
            or not isinstance(data.get("cells"), list):
        import nbformat

        return nbformat.read(path, as_version=4)
    for cell in data["cells"]:
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
    return _node(data)


class NotebookParameter(NamedTuple):
    """One parameter of a notebook's ``parameters`` cell.

    ``type`` is the annotation's source text (None if unannotated), ``default``
    the source text of the default value, ``description`` the comment that
    ends the line (None if there is none).
    """

    type: str | None
    default: str
    description: str | None


def _parameters_cell(nb, where: str):
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            return cell
    raise ParamsError(f"{where}: no code cell is tagged `parameters`. Tag the first code cell "
                      "`parameters` (with its default values) so the batch can set them.")


def notebook_parameters(nb) -> dict[str, NotebookParameter]:
    """The parameters a notebook declares in its cell tagged ``parameters``.

    Written one a line as ``name: type = default  # one-line description`` (the
    annotation and the comment are optional).

    Parameters
    ----------
    nb : notebook or path
        A notebook (as :func:`read_notebook` gives), or the path of a ``.ipynb``
        or jupytext ``.py`` notebook.

    Returns
    -------
    dict
        Parameter name -> :class:`NotebookParameter` ``(type, default,
        description)``, in cell order; types and defaults as source text.

    Raises
    ------
    ParamsError
        The notebook cannot be read or has no parsable ``parameters`` cell.

    Examples
    --------
    >>> found = notebook_parameters("notebooks/churn_decomposition.py")
    >>> found["trailing_months"]
    NotebookParameter(type='int', default='12', description='months in the trailing bridge')
    """
    where = "notebook"
    if isinstance(nb, str | os.PathLike):
        where = str(nb)
        try:
            nb = read_notebook(nb)
        except Exception as err:  # nbformat and jupytext raise several types for a bad file
            raise ParamsError(f"{where}: cannot be read as a notebook ({err}).") from err
    source = _parameters_cell(nb, where).source
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        raise ParamsError(f"{where}: the `parameters` cell is not valid Python "
                          f"({err.msg}, line {err.lineno}).") from err
    comments: dict[int, str] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                comments[tok.start[0]] = tok.string.lstrip("#").strip()
    except (tokenize.TokenError, SyntaxError):  # pragma: no cover - ast.parse accepted it
        pass
    found: dict[str, NotebookParameter] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, annotation = node.targets, None
        elif isinstance(node, ast.AnnAssign):
            targets, annotation = [node.target], ast.unparse(node.annotation)
        else:
            continue
        value = getattr(node, "value", None)
        default = ast.unparse(value) if value is not None else "None"
        description = next((comments[n] for n in range(node.lineno, node.end_lineno + 1)
                            if n in comments), None) or None
        for target in targets:
            if isinstance(target, ast.Name):
                found[target.id] = NotebookParameter(annotation, default, description)
    return found


def check_parameter_keys(
    params: BatchParams, declared: dict[str, dict[str, str]]
) -> None:
    """Check every parameter key of the file against the notebooks' parameters cells.

    A key in ``parameters`` or in a segment's ``overrides`` must be declared by
    at least one of the batch's notebooks; it is then passed only to the
    notebooks that declare it.

    Parameters
    ----------
    params : BatchParams
    declared : dict
        Notebook name -> its declared parameters (see :func:`notebook_parameters`).

    Raises
    ------
    ParamsError
        Listing every unknown key, where it was found and the valid keys.
    """
    valid = sorted({k for names in declared.values() for k in names} - set(RESERVED))
    problems = []
    unknown = [k for k in params.parameters if not any(k in d for d in declared.values())]
    if unknown:
        problems.append(f"`parameters` has unknown key(s) {sorted(unknown)}")
    for seg, over in params.overrides.items():
        unknown = [k for k in over if not any(k in d for d in declared.values())]
        if unknown:
            problems.append(f"`overrides.{seg}` has unknown key(s) {sorted(unknown)}")
    if problems:
        per_nb = "; ".join(f"{nb}: {sorted(set(d) - set(RESERVED))}"
                           for nb, d in declared.items())
        raise ParamsError("; ".join(problems) + f". Valid parameter keys are {valid} "
                          f"(by notebook: {per_nb}). Fix the spelling or add the parameter "
                          "to the notebook's `parameters` cell.")


# --------------------------------------------------------------------------- annotated types
def parameter_annotations(nb) -> dict[str, tuple[str | None, str, str]]:
    """Each parameter of a notebook's ``parameters`` cell: its annotated type, default and
    a one-line description (the comment at the end of its line).

    Works on any nbformat notebook object (read from ``.ipynb`` or from a jupytext
    text notebook). A parameter without an annotation has type None (any value).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook.

    Returns
    -------
    dict
        Name -> ``(type, default, description)``: the annotation's source text
        (``"int"``, ``"str | None"``), the default's source text and the comment.

    Raises
    ------
    ParamsError
        The notebook has no ``parameters`` cell, or it is not valid Python.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
    ...     "trailing_months: int = 12  # months of history\\nsource = None",
    ...     metadata={"tags": ["parameters"]})])
    >>> parameter_annotations(nb)
    {'trailing_months': ('int', '12', 'months of history'), 'source': (None, 'None', '')}
    """
    return {name: (p.type, p.default, p.description or "")
            for name, p in notebook_parameters(nb).items()}

_TYPES = {"int": int, "float": float, "str": str, "bool": bool, "list": list, "dict": dict,
          "tuple": list, "List": list, "Dict": dict}


def _matches(value, annotation: ast.expr) -> bool | None:
    """Whether ``value`` (YAML data) fits ``annotation``; None when it cannot be told."""
    if isinstance(annotation, ast.Constant) and annotation.value is None:
        return value is None
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        left, right = _matches(value, annotation.left), _matches(value, annotation.right)
        if left or right:
            return True
        return None if left is None or right is None else False
    if isinstance(annotation, ast.Subscript) and isinstance(annotation.value, ast.Name):
        outer = annotation.value.id
        if outer == "Optional":
            return value is None or _matches(value, annotation.slice)
        if outer in _TYPES:
            if not _matches(value, annotation.value):
                return False
            if _TYPES[outer] is list and not isinstance(annotation.slice, ast.Tuple):
                checks = [_matches(v, annotation.slice) for v in value]
                return False if False in checks else (None if None in checks else True)
            return True
        return None
    if isinstance(annotation, ast.Name) or isinstance(annotation, ast.Attribute):
        name = annotation.id if isinstance(annotation, ast.Name) else annotation.attr
        if name == "Any":
            return True
        kind = _TYPES.get(name)
        if kind is None:
            return None
        if kind is bool:
            return isinstance(value, bool)
        if isinstance(value, bool):
            return False  # true is not a number
        if kind is float:
            return isinstance(value, int | float)  # an int is accepted for a float
        return isinstance(value, kind)
    return None


def check_parameter_types(params: BatchParams, notebooks: dict) -> None:
    """Check every parameter value of the file against the notebooks' annotated types.

    Parameters
    ----------
    params : BatchParams
    notebooks : dict
        Notebook name -> its nbformat notebook object.

    Raises
    ------
    ParamsError
        Listing every value whose type does not match (where it was set, the
        notebook, the annotation and the default), before any kernel starts.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
    ...     "trailing_months: int = 12", metadata={"tags": ["parameters"]})])
    >>> check_parameter_types(BatchParams(parameters={"trailing_months": "twelve"}),
    ...                       {"churn": nb})
    Traceback (most recent call last):
    ...
    cslib.exceptions.ParamsError: `parameters.trailing_months` is 'twelve' (str), but ...
    """
    problems = []
    sets = [("parameters", params.parameters)] + [
        (f"overrides.{seg}", over) for seg, over in params.overrides.items()]
    for nb_name, nb in notebooks.items():
        try:
            annotated = parameter_annotations(nb)
        except ParamsError:
            continue  # notebook_parameters reports a missing or broken cell
        for where, values in sets:
            for key, value in values.items():
                if key not in annotated or annotated[key][0] is None:
                    continue
                kind, default, _ = annotated[key]
                try:
                    annotation = ast.parse(kind, mode="eval").body
                except SyntaxError:
                    continue
                if _matches(value, annotation) is False:
                    problems.append(
                        f"`{where}.{key}` is {_clip(repr(value), 60)} "
                        f"({type(value).__name__}), but notebook {nb_name} declares "
                        f"`{key}: {kind} = {_clip(default, 60)}`")
    if problems:
        problems = list(dict.fromkeys(problems))
        raise ParamsError("; ".join(problems[:20]) + (f"; and {len(problems) - 20} more"
                                                      if len(problems) > 20 else "")
                          + ". Give each a value of the declared type.")
