"""The HTML that leadership reads: each report's page and the month's overview.

:func:`render_html` turns an executed notebook into the kit's self-contained
page: outputs only (no code, no scripts, no external URLs), in the template
``templates/cslib`` (:data:`TEMPLATE_DIR`), with a header, a table of contents
and the provenance. :func:`render_index` writes the month's overview
(``reports/<month>/index.html``, from ``templates/overview``) as a monthly
business review: per segment each headline with its interval and period, its
change from the previous month (within noise or not, :mod:`cslib.changes`) and
a 12-month sparkline (both computed by the reports from the data, each month
point in time: :mod:`cslib.trend`); the biggest
movements; the reports' links; the run log collapsed at the end (durations stay
in the manifest, so the page is the same bytes wherever it is rendered).
:func:`render_digest` gives the same headlines as plain text and an e-mail-safe
HTML fragment. :func:`html_table` is the kit's one table builder (report pages
and overview). Every page speaks ``en`` and ``pt-BR`` (its text is in
:mod:`cslib.i18n`, numbers and dates in :mod:`cslib.formats`).

The statuses of a run (:data:`OK`, :data:`NO_DATA`, :data:`FAILED`,
:data:`TIMED_OUT`, :data:`KERNEL_DIED`) are defined here, where they are shown;
:mod:`cslib.runner` imports them. Nothing here runs a kernel or writes a file.

Examples
--------
>>> import re
>>> page = render_index("2026-10", [], locale="pt-BR")
>>> re.search("<h1>.*</h1>", page).group(0)
'<h1>Relatórios de Customer Success &middot; out/2026</h1>'
"""

from __future__ import annotations

import copy
import functools
import html
import json
import math
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from . import i18n

__all__ = [
    "render_html",
    "render_index",
    "render_digest",
    "html_table",
    "Cell",
    "overview_model",
    "sparkline_svg",
    "notebook_title",
    "slugify",
    "OK",
    "FAILED",
    "TIMED_OUT",
    "KERNEL_DIED",
    "NO_DATA",
    "SUCCESS",
]

#: The statuses of a run (the manifest's ``status``).
OK, FAILED, TIMED_OUT, KERNEL_DIED = "ok", "failed", "timed out", "kernel died"
#: A notebook that found nothing to report (cslib.context.NoDataError): a short report, not a
#: failure.
NO_DATA = "no data"
#: The statuses of a finished report (anything else did not finish).
SUCCESS = (OK, NO_DATA)
#: The nbconvert template of the report pages (``templates/cslib``, package data).
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "cslib"

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")
_ERROR_TAG = "papermill-error-cell-tag"
_DROP_MIMETYPES = ("application/javascript", "application/vnd.jupyter.widget-view+json",
                   "application/vnd.jupyter.widget-state+json")


# --------------------------------------------------------------------------- names
def slugify(name: str, *, max_length: int = 60) -> str:
    """A safe file name for a segment: ASCII, lowercase, ``[a-z0-9_-]`` only.

    Never empty, never ``.`` or ``..``, never starts with a dot, never a name
    Windows reserves for a device (``con``, ``nul``, ``com1``...: ``con.html``
    cannot be created there). Different names can share a slug;
    :func:`cslib.runner.segment_slugs` makes them unique. The overview's
    anchors (``nb-<slug>``) use it too.

    Examples
    --------
    >>> slugify("São Paulo"), slugify("../../x"), slugify("🚀"), slugify("CON")
    ('sao-paulo', 'x', 'segment', 'con_')
    """
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-_")
    text = text[:max_length].strip("-_")
    if text in _WINDOWS_RESERVED:
        text += "_"
    return text or "segment"


_WINDOWS_RESERVED = frozenset(["con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                               *(f"lpt{i}" for i in range(10))])


# --------------------------------------------------------------------------- HTML
def _first_h1(nb) -> tuple[str | None, int | None]:
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                m = re.match(r"^#\s+(.+?)\s*#*\s*$", line)
                if m:
                    return m.group(1), i
    return None, None


def notebook_title(nb, default: str, *, locale: str = "en") -> str:
    """The notebook's ``title`` metadata, else its first H1, else the H1 of its
    ``<default>.title`` section in the catalogue (in ``locale``), else ``default``."""
    title = nb.metadata.get("title")
    if title:
        return str(title)
    h1, _ = _first_h1(nb)
    if h1:
        return re.sub(r"[*_`]", "", h1)
    key = f"{default}.title"
    if key in i18n.TEXT:
        locale = locale if locale in i18n.LOCALES else "en"
        m = re.match(r"^#\s+(.+?)\s*$", i18n.text(key, locale).splitlines()[0])
        if m:
            return m.group(1)
    return default


def _drop_title_output(out) -> None:
    """A ``report.section("<nb>.title")`` output without its H1 (the page header has it)."""
    section = (out.get("metadata") or {}).get("cslib", {}).get("section", "")
    text = out.get("data", {}).get("text/markdown")
    if section.endswith(".title") and isinstance(text, str):
        lines = text.splitlines()
        if lines and re.match(r"^#\s+", lines[0]):
            out["data"]["text/markdown"] = "\n".join(lines[1:]).strip() + "\n"


def _stopped_cell(nb) -> int | None:
    """Index of the code cell a run stopped in (error output, else last cell started)."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and any(o.get("output_type") == "error"
                                            for o in cell.get("outputs", [])):
            return i
    last = None
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.metadata.get("papermill", {}).get(
                "status", "pending") != "pending":
            last = i
    return last


def _mark_stopped(nb, status: str, error: str) -> None:
    """Put a timeout / dead kernel on the cell it happened in, like papermill does for errors."""
    import nbformat

    index = _stopped_cell(nb)
    if index is None:
        return
    cell = nb.cells[index]
    if not any(o.get("output_type") == "error" for o in cell.outputs):
        ename = "CellTimeoutError" if status == TIMED_OUT else "DeadKernelError"
        cell.outputs.append(nbformat.v4.new_output("error", ename=ename, evalue=error,
                                                   traceback=[f"{ename}: {error}"]))


def _cut_at_stop(nb):
    """A copy that ends at the cell that stopped the run, without its error output."""
    nb = copy.deepcopy(nb)
    index = _stopped_cell(nb)
    if index is not None:
        cell = nb.cells[index]
        cell.outputs = [o for o in cell.outputs if o.get("output_type") != "error"]
        nb.cells = nb.cells[: index + 1]
    return nb


_CELL_IN = re.compile(r"Cell In\[\d+\]")


def _clean_for_html(nb, *, failed: bool, locale: str = "en"):
    """A copy fit for the HTML page: no stderr, no scripts, no varying metadata."""
    import nbformat

    nb = copy.deepcopy(nb)
    title = notebook_title(nb, "")
    if not nb.metadata.get("title"):
        _, i = _first_h1(nb)
        if i is not None:  # the title goes in the page header; don't show it twice
            lines = nb.cells[i].source.splitlines()
            j = next(k for k, line in enumerate(lines) if re.match(r"^#\s+", line))
            nb.cells[i].source = "\n".join(lines[:j] + lines[j + 1:])
            if not nb.cells[i].source.strip():
                del nb.cells[i]
    nb.metadata = nbformat.from_dict({
        k: nb.metadata[k] for k in ("kernelspec", "language_info") if k in nb.metadata})
    nb.cells = [c for c in nb.cells if _ERROR_TAG not in c.metadata.get("tags", [])]
    stopped = _stopped_cell(nb) if failed else None
    cells = []
    for i, cell in enumerate(nb.cells):
        tags = [t for t in cell.metadata.get("tags", []) if re.fullmatch(r"[\w-]+", t)]
        cell.metadata = nbformat.from_dict({"tags": tags} if tags else {})
        cell.pop("attachments", None) if cell.cell_type != "markdown" else None
        if cell.cell_type == "code":
            cell.execution_count = None
            outputs = []
            for out in cell.outputs:
                kind = out.get("output_type")
                if kind == "stream" and out.get("name") == "stderr":
                    continue
                if kind == "error":
                    if not failed:
                        continue
                    out["evalue"] = _ANSI.sub("", out.get("evalue", ""))
                    # "Cell In[7]" depends on what the kernel ran before (warm kernels)
                    out["traceback"] = [_CELL_IN.sub("Cell", _ANSI.sub("", line))
                                        for line in out.get("traceback", [])]
                if kind == "stream":
                    out["text"] = _ANSI.sub("", out.get("text", ""))
                if kind in ("display_data", "execute_result"):
                    _drop_title_output(out)
                    data = {k: v for k, v in out.get("data", {}).items()
                            if k not in _DROP_MIMETYPES}
                    if not data:
                        continue
                    out["data"] = data
                    if kind == "execute_result":
                        out["execution_count"] = None
                outputs.append(out)
            cell.outputs = outputs
        if i == stopped:
            cells.append(nbformat.v4.new_markdown_cell(
                '<p id="papermill-error-cell" class="cs-error-anchor"><strong>'
                f"{html.escape(_t('page.stopped', locale))}</strong></p>"))
        cells.append(cell)
    for i, cell in enumerate(cells):
        cell.id = f"c{i}"
    nb.cells = cells
    return nb, title


_H2 = re.compile(r'<h2 id="([^"]+)">(.*?)(?:<a class="anchor-link"[^>]*>.*?</a>)?</h2>', re.S)


def _toc(body: str, label: str = "Contents") -> str:
    items = [(anchor, re.sub(r"<[^>]+>", "", text).strip()) for anchor, text in _H2.findall(body)]
    items = [(a, t) for a, t in items if a != "provenance" and t]
    if not items:
        return ""
    lis = "\n".join(f'<li><a href="#{a}">{t}</a></li>' for a, t in items)
    return (f'<nav class="cs-toc" aria-label="{label}"><p>{label}</p>\n<ol>\n{lis}\n'
            '</ol></nav>')


_CSS: dict[str, str] = {}


def _css() -> str:
    if "css" not in _CSS:  # read once per process: the overview is written after every run
        _CSS["css"] = (TEMPLATE_DIR / TEMPLATE_NAME / "static" / "cslib.css").read_text(
            encoding="utf-8")
    return _CSS["css"]


@functools.cache
def _html_exporter():
    """The kit's HTML exporter, made once per process (its templates load once)."""
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        mathjax_url="",
        require_js_url="",
        embed_images=True,
    )


def render_html(nb, *, context: Mapping[str, Any]) -> str:
    """Render an executed notebook to the kit's self-contained HTML page.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook (not modified).
    context : mapping
        ``title`` (optional: else from the notebook), ``segment``, ``month``,
        ``data_date``, ``status``, ``error``, ``notebook``, ``notebook_hash``,
        ``fingerprint``, ``kit_version``, ``git_commit``, ``params``, ``locale``.

    Returns
    -------
    str
        The page. Same notebook and context give the same bytes.
    """
    status = context.get("status", OK)
    status_key = re.sub(r"[^a-z]+", "_", str(status))
    if status == NO_DATA:
        nb = _cut_at_stop(nb)
    params = context.get("params", {})
    locale = _locale(params.get("locale") or context.get("locale"))
    clean, title = _clean_for_html(nb, failed=status not in SUCCESS, locale=locale)
    ctx = {
        "title": context.get("title") or title or context.get("notebook", "Report"),
        "segment": str(context.get("segment", "")),
        "month": _month_text(context.get("month", ""), locale),
        "data_date": _day_text(context.get("data_date"), locale),
        "status": status,
        "status_class": re.sub(r"[^a-z]+", "-", status),
        "status_label": _status_label(status, locale),
        "status_text": (_t(f"page.status.{status_key}", locale)
                        if f"page.status.{status_key}" in i18n.TEXT
                        else _t("page.status.other", locale, status=status)),
        "error": context.get("error") or "",
        "has_error_cell": status not in SUCCESS and _stopped_cell(nb) is not None,
        "notebook": context.get("notebook", ""),
        "notebook_hash": context.get("notebook_hash", ""),
        "fingerprint": context.get("fingerprint", ""),
        "kit_version": context.get("kit_version", ""),
        "git_commit": context.get("git_commit", "unknown"),
        "params_text": json.dumps(params, sort_keys=True, default=str, ensure_ascii=False,
                                  indent=2),
        "locale": locale,
        "text": {k[len("page."):]: _t(k, locale) for k in i18n.TEXT
                 if k.startswith("page.") and not k.startswith("page.status.")},
        "css": _css(),
    }
    for key in ("title", "segment", "error"):  # data text: isolated when it holds bidi
        if _e(str(ctx[key])) != html.escape(str(ctx[key])):
            from markupsafe import Markup

            ctx[key] = Markup(_e(str(ctx[key])))
    body, _ = _html_exporter().from_notebook_node(clean, resources={"cslib": ctx})
    body = body.replace("<!-- cslib:toc -->", _toc(body, _t("page.contents", locale)), 1)
    return "\n".join(line.rstrip() for line in body.splitlines()) + "\n"


def _locale(value) -> str:
    from .params import normalize_locale

    return normalize_locale(str(value or "en")) or "en"


def _month_text(month, locale: str) -> str:
    """``2026-10`` in English pages (as the batch names the month), ``out/2026`` in pt-BR."""
    month = str(month or "")
    if locale == "en" or not re.fullmatch(r"\d{4}-\d{2}", month):
        return month
    from .formats import format_month

    return format_month(month, locale)


def _day_text(day, locale: str) -> str:
    """``2026-10-31`` in English pages, ``31/10/2026`` in pt-BR."""
    if not day:
        return _t("page.unknown", locale)
    day = str(day)
    if locale == "en" or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
        return day
    year, month, d = day.split("-")
    return f"{d}/{month}/{year}"


def _t(key: str, locale: str, **fields) -> str:
    """The overview's text ``key`` in ``locale`` (``"en"`` or ``"pt-BR"``)."""
    return i18n.text(key, locale, **fields)


def _fmt_number(v: float, locale: str, digits: int | None = None) -> str:
    """``1,234.5`` (en) or ``1.234,5`` (pt-BR); ``digits=None``: 3 significant digits."""
    from . import formats

    if digits is None:
        digits = max(0, 2 - int(math.floor(math.log10(abs(v))))) if v else 0
    return formats.format_number(v, locale, digits)


def _fmt_value(h: Mapping[str, Any], locale: str = "en") -> str:
    if h.get("text") not in (None, ""):
        return str(h["text"])
    v = h.get("value")
    if v is None:
        return _t("n/a", locale)
    if isinstance(v, bool):
        return _t("yes" if v else "no", locale)
    if isinstance(v, int):
        return _fmt_number(v, locale, 0)
    if isinstance(v, float):
        return _fmt_number(v, locale, 2) if abs(v) >= 1 else _fmt_number(v, locale)
    return str(v)


class Cell:
    """A table cell for :func:`html_table`: its text (escaped there), or ``html`` built
    by the kit (already safe), a CSS ``style`` and ``classes``, ``header`` for a row
    header (``<th scope="row">``)."""

    __slots__ = ("text", "html", "style", "classes", "header", "title")

    def __init__(self, text="", *, html: str | None = None, style: str = "",
                 classes: str = "", header: bool = False, title: str | None = None):
        self.text, self.html, self.style = text, html, style
        self.classes, self.header, self.title = classes, header, title


def html_table(headers, rows, *, table_class: str = "cs-table", row_classes=None,
               wrap: bool = True) -> str:
    """The kit's one HTML table: report pages (:func:`cslib.report.table_html`) and the
    overview build their tables with it.

    Parameters
    ----------
    headers : list of str
        Column headers (escaped).
    rows : list of list
        Cells: a string (escaped) or a :class:`Cell`.
    table_class : str
    row_classes : list of str, optional
        A class for each row.
    wrap : bool
        Inside ``<div class="cs-table-wrap">`` (a table scrolls in its own box).

    Examples
    --------
    >>> html_table(["A", "B"], [["<1>", Cell("x", header=True)]], wrap=False)
    '<table class="cs-table"><thead><tr><th scope="col">A</th><th scope="col">B</th></tr></thead><tbody><tr><td>&lt;1&gt;</td><th scope="row">x</th></tr></tbody></table>'
    """
    out = ['<div class="cs-table-wrap">' if wrap else "",
           f'<table class="{_e(table_class)}">' if table_class else "<table>", "<thead><tr>"]
    out += [f'<th scope="col">{_e(str(h))}</th>' for h in headers]
    out.append("</tr></thead><tbody>")
    for i, row in enumerate(rows):
        cls = row_classes[i] if row_classes else ""
        out.append(f'<tr class="{_e(cls)}">' if cls else "<tr>")
        for cell in row:
            if not isinstance(cell, Cell):
                cell = Cell(cell)
            tag = "th" if cell.header else "td"
            attrs = ' scope="row"' if cell.header else ""
            if cell.classes:
                attrs += f' class="{_e(cell.classes)}"'
            if cell.style:
                attrs += f' style="{_e(cell.style)}"'
            if cell.title is not None:
                attrs += f' title="{html.escape(cell.title)}"'
            body = cell.html if cell.html is not None else _e(
                "" if cell.text is None else str(cell.text))
            out.append(f"<{tag}{attrs}>{body}</{tag}>")
        out.append("</tr>")
    out.append("</tbody></table>" + ("</div>" if wrap else ""))
    return "".join(out)


def _status_label(status: str, locale: str) -> str:
    key = "status." + re.sub(r"[^a-z]+", "_", str(status))
    return _t(key, locale) if key in i18n.TEXT else str(status)


def _e(value) -> str:
    """Escaped text, isolated (``<bdi>``) when it holds bidirectional controls."""
    from .report import isolate_bidi

    return isolate_bidi(html.escape(value))


def _month_before(month: str, k: int = 1) -> str:
    year, m = (int(x) for x in month.split("-"))
    index = year * 12 + (m - 1) - k
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _is_num(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and v == v


def _is_pct(h: Mapping[str, Any]) -> bool:
    return str(h.get("text") or "").endswith("%") or h.get("kind") in ("rate", "ratio")


def _fmt_bound(v: float, h: Mapping[str, Any], locale: str) -> str:
    from . import formats

    kind = h.get("kind")
    if kind in ("nps", "count", "days"):
        return formats.format_number(v, locale, 0)
    if _is_pct(h):
        return formats.format_percent(v, locale, 1)
    return formats.format_number(v, locale, 2)


def _interval_text(h: Mapping[str, Any], locale: str) -> str:
    low, high = h.get("ci_low"), h.get("ci_high")
    if not (_is_num(low) and _is_num(high)):
        return "\u2013"
    return _t("range", locale, low=_fmt_bound(low, h, locale), high=_fmt_bound(high, h, locale))


def _delta_text(delta: float, h: Mapping[str, Any], locale: str) -> str:
    from . import formats

    if h.get("kind") == "nps":
        return _t("index.pts", locale, d=formats.format_number(abs(delta), locale, 0))
    if _is_pct(h):
        return _t("index.pp", locale, d=formats.format_number(100 * abs(delta), locale, 1))
    digits = 0 if float(delta).is_integer() else 2
    return formats.format_number(abs(delta), locale, digits)


def _change(h: Mapping[str, Any], before: Mapping[str, Any] | None, locale: str
            ) -> tuple[str, bool | None, dict | None]:
    """The change cell: arrow, size, "within noise"; whether it is noise; the change."""
    from .changes import headline_change

    change = headline_change(h, before)
    if change is None:
        return _t("index.no_previous", locale), None, None
    delta = change["delta"]
    shown = _delta_text(delta, h, locale)
    if not delta or not re.search(r"[1-9]", shown):  # nothing left once rounded: "="
        text = "="
    else:
        arrow = "\u25b2" if delta > 0 else "\u25bc"
        text = f"{arrow} {shown}"
    if change["within_noise"]:
        text += f" ({_t('index.noise', locale)})"
    return text, change["within_noise"], change


def sparkline_svg(values: list, *, width: int = 96, height: int = 24, label: str = "") -> str:
    """A small inline SVG line of ``values`` (None: a gap), no script, fixed decimals.

    Examples
    --------
    >>> sparkline_svg([1, 2, None, 3])[:4]
    '<svg'
    >>> sparkline_svg([None, None])
    ''
    """
    points = [(i, float(v)) for i, v in enumerate(values) if _is_num(v)]
    if not points:
        return ""
    lo, hi = min(v for _, v in points), max(v for _, v in points)
    span = (hi - lo) or 1.0
    step = (width - 4) / max(len(values) - 1, 1)

    def xy(i, v):
        return f"{2 + i * step:.1f},{height - 2 - (v - lo) / span * (height - 4):.1f}"

    runs, current = [], []
    for i, v in enumerate(values):
        if _is_num(v):
            current.append(xy(i, float(v)))
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    lines = "".join(f'<polyline fill="none" stroke="#0b5cad" stroke-width="1.5" '
                    f'points="{" ".join(r)}"/>' for r in runs if len(r) > 1)
    last_i, last_v = points[-1]
    x, y = xy(last_i, last_v).split(",")
    return (f'<svg width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(label)}">'
            f'{lines}<circle cx="{x}" cy="{y}" r="2" fill="#0b5cad"/></svg>')


@functools.cache
def _jinja():
    from jinja2 import Environment, FileSystemLoader, select_autoescape
    from markupsafe import Markup

    env = Environment(loader=FileSystemLoader(str(TEMPLATE_DIR / "overview")),
                      autoescape=select_autoescape(["html", "j2"]), keep_trailing_newline=True)
    env.filters["bdi"] = lambda v: Markup(_e(str(v)))
    return env


def overview_model(month: str, runs: list[Mapping[str, Any]], *, locale: str = "en") -> dict:
    """What the overview and the digest show, per segment: each headline with its
    interval, its change from the previous month and its 12-month trend.

    The change and the trend are the headline's own ``previous`` and ``trend``
    (:func:`cslib.trend.with_history`): computed by its report from the data,
    each month as it was known at its end, so a first render has them too.
    """
    from . import formats

    previous = _month_before(month)
    prev_text = _month_text(previous, locale) if locale != "en" else formats.format_month(
        previous, locale)
    segments: dict[str, dict] = {}
    moves = []
    for r in runs:
        if r.get("status") not in SUCCESS:
            continue
        seg = segments.setdefault(r["segment"], {"name": r["segment"],
                                                 "slug": slugify(r["segment"]), "rows": []})
        rows, run_moves = _run_model(month, r, locale)
        seg["rows"].extend(dict(row) for row in rows)
        for size, text in run_moves:  # the order of finding breaks ties
            moves.append((size, len(moves), text))
    moves.sort()
    return {"segments": list(segments.values()), "movements": [m[2] for m in moves[:5]],
            "previous": previous, "previous_text": prev_text}


#: The rows of runs already formatted (the batch publishes its overview after every
#: run: formatting every run's headlines again each time cost the batch seconds).
_RUN_MODELS: dict[str, tuple] = {}


def _run_model(month: str, r: Mapping[str, Any], locale: str) -> tuple[list, list]:
    """One run's overview rows and its movements ``(-size, sentence)``."""
    fields = [month, locale, r.get("segment"), r.get("html"), r.get("title"),
              r.get("notebook"), r.get("status")]
    # a run's cache key names its notebook, parameters and data: its headlines too
    key = json.dumps(fields + ([r["cache_key"]] if r.get("cache_key") else
                               [r.get("headlines")]), sort_keys=True, default=str)
    if key not in _RUN_MODELS:
        if len(_RUN_MODELS) > 50_000:
            _RUN_MODELS.clear()
        _RUN_MODELS[key] = _format_run(month, r, locale)
    return _RUN_MODELS[key]


def _format_run(month: str, r: Mapping[str, Any], locale: str) -> tuple[list, list]:
    from .changes import headline_id

    rows, moves = [], []
    for h in {headline_id(h): h for h in r.get("headlines") or []}.values():
        if "trend" in h:
            change, noise, raw = _change(h, h.get("previous"), locale)
        else:  # an estimate over every month to date (a model, a backtest)
            change, noise, raw = _t("index.not_monthly", locale), None, None
        value = _fmt_value(h, locale)
        if _is_num(h.get("ci_low")) and " (" in value:  # the interval has its own column
            value = value.split(" (", 1)[0]
        trend = h.get("trend") or []
        rows.append({"name": h["name"], "value": value,
                     "interval": _interval_text(h, locale), "change": change, "noise": noise,
                     "svg": sparkline_svg(trend, label=_trend_label(h, trend, month, locale))
                     if sum(_is_num(v) for v in trend) >= 2 else "",
                     "html_href": quote(r["html"]), "title": r.get("title") or r["notebook"],
                     "delta": None if raw is None else raw["delta"]})
        if raw is not None and raw["within_noise"] is False and raw["delta"]:
            size = abs(raw["delta"]) / raw["se"] if raw.get("se") else 0.0
            key_text = "index.movement_up" if raw["delta"] > 0 else "index.movement_down"
            ci = _t("index.interval", locale, low=_delta_signed(raw["ci_low"], h, locale),
                    high=_delta_signed(raw["ci_high"], h, locale))
            moves.append((-size, _t(
                key_text, locale, name=h["name"], segment=r["segment"],
                d=_delta_text(raw["delta"], h, locale), value=_fmt_value(h, locale), ci=ci)))
    return rows, moves


def _trend_label(h: Mapping[str, Any], trend: list, month: str, locale: str) -> str:
    """The sparkline's accessible name: the figure, its months, its lowest and highest."""
    known = [v for v in trend if _is_num(v)]
    first = _month_before(month, len(trend) - 1)
    return _t("index.trend_label", locale, name=h["name"],
              start=_month_text(first, locale), end=_month_text(month, locale),
              low=_fmt_bound(min(known), h, locale), high=_fmt_bound(max(known), h, locale))


def _delta_signed(v: float, h: Mapping[str, Any], locale: str) -> str:
    text = _delta_text(v, h, locale)
    return ("-" if v < 0 else "+") + text if v else text


def render_index(month: str, runs: list[Mapping[str, Any]], *,
                 context: Mapping[str, Any] | None = None, locale: str = "en") -> str:
    """The month's overview page, a monthly business review, from ``templates/overview``.

    Per segment, every headline with its interval and period, its change from
    the previous month (an arrow and its size, "within noise" when the
    change's 95% interval holds 0; :mod:`cslib.changes`) and a 12-month
    sparkline (inline SVG); the month's biggest movements in a sentence each;
    the reports' links; the run log collapsed at the end. Run durations stay
    in the manifest: the same inputs give the same page bytes.

    Parameters
    ----------
    month : str
    runs : list of mapping
        Manifest entries (``notebook``, ``title``, ``segment``, ``status``,
        ``error``, ``html``, ``ipynb``, ``headlines``, ``data_fingerprint``).
    context : mapping, optional
        ``data_date``, ``fingerprint``, ``kit_version``, ``kit_code``, ``git_commit``.
    locale : {"en", "pt-BR"}
        Language of the page (other spellings as :func:`cslib.params.normalize_locale`;
        unknown: English).

    Returns
    -------
    str
        The page. Every value from the manifest (names, errors) is escaped.
    """
    context = dict(context or {})
    locale = _locale(locale)
    model = overview_model(month, runs, locale=locale)
    bad = [r for r in runs if r.get("status") not in SUCCESS]
    keys = ("month", "data_as_of", "executed_notebook", "segment", "notebook", "status",
            "report", "report_link", "notebook_link", "runs", "runs_intro", "fingerprint",
            "error", "provenance", "kit", "kit_code", "commit", "details", "details_text",
            "movements", "no_movements", "trend", "digest", "figure", "value", "ci", "reports")
    t = {k: _t(f"index.{k}", locale) for k in keys}
    by_nb: dict[str, list] = {}
    for r in runs:
        by_nb.setdefault(r["notebook"], []).append(r)
    notebooks = []
    for nb_name, nb_runs in by_nb.items():
        names = list(dict.fromkeys(h["name"] for r in nb_runs for h in r.get("headlines") or []))
        rows = []
        for r in nb_runs:
            values = {h["name"]: h for h in r.get("headlines") or []}
            ok = r.get("status") in SUCCESS
            label = _status_label(r.get("status", OK), locale)
            rows.append({"segment": r["segment"], "ok": ok, "error": r.get("error"),
                         "status_shown": label if ok else label.upper(),
                         "cells": [_fmt_value(values[n], locale) if n in values else None
                                   for n in names],
                         "html_href": quote(r["html"]), "ipynb_href": quote(r["ipynb"])})
        table = html_table(
            [t["segment"], *names, t["status"], t["report"]],
            [[Cell(r["segment"], header=True),
              *[Cell("\u2013", classes="cs-muted") if v is None else v for v in r["cells"]],
              Cell(r["status_shown"], classes=f"cs-status cs-status-{'ok' if r['ok'] else 'bad'}",
                   title=None if r["ok"] else (r["error"] or "")),
              Cell(html=f'<a href="{_e(r["html_href"])}">{_e(t["report_link"])}</a> &middot; '
                        f'<a href="{_e(r["ipynb_href"])}">{_e(t["notebook_link"])}</a>')]
             for r in rows],
            row_classes=[f"cs-run-{'ok' if r['ok'] else 'bad'}" for r in rows], table_class="")
        notebooks.append({"slug": slugify(nb_name), "table": table,
                          "title": next((r.get("title") for r in nb_runs if r.get("title")),
                                        nb_name)})
    for seg in model["segments"]:
        seg["table"] = html_table(
            [t["figure"], t["value"], t["ci"],
             _t("index.change", locale, prev=model["previous_text"]), t["trend"], t["report"]],
            [[Cell(h["name"], header=True), h["value"], h["interval"],
              Cell(h["change"], classes="cs-change" + (" cs-noise" if h["noise"] else "")),
              Cell(html=h["svg"], classes="cs-spark"),
              Cell(html=f'<a href="{_e(h["html_href"])}">{_e(h["title"])}</a>')]
             for h in seg["rows"]], table_class="cs-table cs-review")
    log = [{"ok": r.get("status") in SUCCESS, "cells": [
        str(r.get("notebook", "")), Cell(str(r.get("segment", "")), header=True),
        _status_label(r.get("status", ""), locale),
        Cell(html=f"<code>{_e(str(r.get('data_fingerprint') or ''))}</code>"),
        str(r.get("error") or "")]} for r in runs]
    log_table = html_table([t[k] for k in ("notebook", "segment", "status", "fingerprint",
                                           "error")],
                           [r["cells"] for r in log], table_class="",
                           row_classes=[f"cs-log-{'ok' if r['ok'] else 'bad'}" for r in log])
    from . import formats

    page = _jinja().get_template("index.html.j2").render(
        locale=locale, title=_t("index.title", locale),
        month_text=_month_text(month, locale),
        data_date=_day_text(context.get("data_date"), locale) if context.get("data_date")
        else _t("n/a", locale),
        summary=_t("index.summary", locale, n=formats.format_number(len(runs), locale),
                   bad=formats.format_number(len(bad), locale)),
        not_finished=_t("index.not_finished", locale,
                        n=formats.format_number(len(bad), locale)),
        bad=[{"title": r.get("title") or r["notebook"], "segment": r["segment"],
              "status_label": _status_label(r["status"], locale), "error": r.get("error"),
              "html_href": quote(r["html"]), "ipynb_href": quote(r["ipynb"])} for r in bad],
        movements=model["movements"], segments=model["segments"],
        change_header=_t("index.change", locale, prev=model["previous_text"]),
        notebooks=notebooks, t=t, css=_css(), log_table=log_table,
        fingerprint=str(context.get("fingerprint", "")),
        kit_version=str(context.get("kit_version", "")),
        kit_code=str(context.get("kit_code", "")),
        git_commit=str(context.get("git_commit", "unknown")))
    return "\n".join(line.rstrip() for line in page.splitlines()) + "\n"


def render_digest(month: str, runs: list[Mapping[str, Any]], *, locale: str = "en",
                  link: str = "index.html") -> tuple[str, str]:
    """The overview's headlines as plain text and as an e-mail-safe HTML fragment.

    For pasting into an e-mail or a chat: per segment, each headline with its
    value and its change from the previous month, then the biggest movements.
    The HTML uses tables and inline styles only (no classes, no CSS, no script).

    Returns
    -------
    (str, str)
        ``digest.txt`` and ``digest.html``.
    """
    locale = _locale(locale)
    model = overview_model(month, runs, locale=locale)
    title = _t("digest.title", locale, month=_month_text(month, locale) if locale != "en"
               else __import__("cslib.formats", fromlist=["x"]).format_month_long(month, locale))
    lines = [title, "=" * len(title), ""]
    segments = []
    for seg in model["segments"]:
        heading = _t("digest.segment", locale, segment=seg["name"])
        lines += [heading]
        rows = []
        for h in seg["rows"]:
            value = h["value"] + (f" ({h['interval']})" if h["interval"] != "\u2013" else "")
            lines.append(f"- {h['name']}: {value}; {h['change']}")
            color = "#57606a" if h["noise"] or h["delta"] is None else "#1f2328"
            rows.append({"name": h["name"], "value": value, "change": h["change"],
                         "color": color})
        lines.append("")
        segments.append({"heading": heading, "rows": rows})
    if model["movements"]:
        lines += [_t("index.movements", locale)] + [f"- {m}" for m in model["movements"]] + [""]
    lines.append(_t("digest.link", locale, href=link))
    fragment = _jinja().get_template("digest.html.j2").render(
        title=title, segments=segments, movements=model["movements"],
        movements_title=_t("index.movements", locale))
    return "\n".join(lines) + "\n", "\n".join(x.rstrip() for x in fragment.splitlines()) + "\n"
