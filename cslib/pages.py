"""The HTML that leadership reads: each report's page and the month's overview.

:func:`render_html` turns an executed notebook into the kit's self-contained
page: outputs only (no code, no scripts, no external URLs), in the template
``templates/cslib`` (:data:`TEMPLATE_DIR`), with a header, a table of contents
and the provenance. :func:`render_index` writes the month's overview
(``reports/<month>/index.html``): every run's headline numbers and links, the
runs that did not finish, the run log and the provenance. Both pages speak
``en`` and ``pt-BR`` (their text is in :mod:`cslib.i18n`).

The statuses of a run (:data:`OK`, :data:`NO_DATA`, :data:`FAILED`,
:data:`TIMED_OUT`, :data:`KERNEL_DIED`) are defined here, where they are shown;
:mod:`cslib.runner` imports them. Nothing here runs a kernel or writes a file.

Examples
--------
>>> import re
>>> page = render_index("2026-10", [], locale="pt-BR")
>>> re.search("<h1>.*</h1>", page).group(0)
'<h1>Relatórios de Customer Success &middot; 2026-10</h1>'
"""

from __future__ import annotations

import copy
import functools
import html
import json
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


_PT_SEPARATORS = str.maketrans(",.", ".,")


def _fmt_number(v: float, locale: str, digits: int | None = None) -> str:
    """``1,234.5`` (en) or ``1.234,5`` (pt-BR); ``digits=None``: 3 significant digits."""
    text = f"{v:.3g}" if digits is None else f"{v:,.{digits}f}"
    return text.translate(_PT_SEPARATORS) if locale == "pt-BR" else text


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


def _status_label(status: str, locale: str) -> str:
    key = "status." + re.sub(r"[^a-z]+", "_", str(status))
    return _t(key, locale) if key in i18n.TEXT else str(status)


def _e(value) -> str:
    """Escaped text, isolated (``<bdi>``) when it holds bidirectional controls."""
    from .report import isolate_bidi

    return isolate_bidi(html.escape(value))


def render_index(month: str, runs: list[Mapping[str, Any]], *,
                 context: Mapping[str, Any] | None = None, locale: str = "en") -> str:
    """The month's overview page: every run's headline numbers, links, and the run log.

    Parameters
    ----------
    month : str
    runs : list of mapping
        Manifest entries (``notebook``, ``title``, ``segment``, ``status``,
        ``error``, ``html``, ``ipynb``, ``headlines``, ``duration_s``,
        ``data_fingerprint``).
    context : mapping, optional
        ``data_date``, ``fingerprint``, ``kit_version``, ``kit_code``, ``git_commit``.
    locale : {"en", "pt-BR"}
        Language of the page's own text and numbers (the params file's top-level
        ``locale``); any other value falls back to English.

    Returns
    -------
    str
        The page. Every value from the manifest (names, errors) is escaped.
    """
    context = dict(context or {})
    locale = locale if locale in i18n.LOCALES else "en"
    e = _e

    def t(key, **fields):
        return e(_t(key, locale, **fields))

    bad = [r for r in runs if r.get("status") not in SUCCESS]
    title = f"{t('index.title')} &middot; {e(month)}"
    parts = [
        "<!DOCTYPE html>", f'<html lang="{e(locale)}">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title>",
        f"<style>\n{_css()}\n</style>", "</head>", "<body>", '<main class="cs-report">',
        '<header class="cs-header">',
        f"<h1>{title}</h1>",
        f'<p class="cs-meta"><span>{t("index.month")}: <strong>{e(month)}</strong></span>'
        f'<span>{t("index.data_as_of")}: <strong>'
        f'{e(str(context.get("data_date") or _t("n/a", locale)))}</strong></span><span>'
        + t("index.summary", n=_fmt_number(len(runs), locale, 0),
            bad=_fmt_number(len(bad), locale, 0))
        + "</span></p>",
    ]
    if bad:
        items = "".join(
            f'<li><a href="{e(quote(r["html"]))}">{e(r.get("title") or r["notebook"])} '
            f'&middot; {e(r["segment"])}</a>: {e(_status_label(r["status"], locale))}'
            + (f" ({e(r['error'])})" if r.get("error") else "")
            + f' &middot; <a href="{e(quote(r["ipynb"]))}">{t("index.executed_notebook")}'
            "</a></li>"
            for r in bad)
        parts.append(f'<div class="cs-banner cs-failed" role="alert"><strong>'
                     f"{t('index.not_finished', n=_fmt_number(len(bad), locale, 0))}"
                     f"</strong><ul>{items}</ul></div>")
    parts.append("</header>")
    by_nb: dict[str, list[Mapping[str, Any]]] = {}
    for r in runs:
        by_nb.setdefault(r["notebook"], []).append(r)
    for nb_name, nb_runs in by_nb.items():
        nb_title = next((r.get("title") for r in nb_runs if r.get("title")), nb_name)
        names = list(dict.fromkeys(h["name"] for r in nb_runs for h in r.get("headlines") or []))
        head = "".join(f'<th scope="col">{e(n)}</th>' for n in names)
        parts.append(f'<section><h2 id="nb-{e(slugify(nb_name))}">{e(nb_title)}</h2>')
        parts.append(f'<div class="cs-table-wrap"><table><thead><tr><th scope="col">'
                     f'{t("index.segment")}</th>{head}<th scope="col">{t("index.status")}</th>'
                     f'<th scope="col">{t("index.report")}</th></tr></thead><tbody>')
        for r in nb_runs:
            values = {h["name"]: h for h in r.get("headlines") or []}
            ok = r.get("status") in SUCCESS
            cells = "".join(f"<td>{e(_fmt_value(values[n], locale))}</td>" if n in values
                            else '<td class="cs-muted">&ndash;</td>' for n in names)
            label = _status_label(r.get("status", OK), locale)
            status = e(label.upper() if not ok else label)
            status_cell = (f'<td class="cs-status cs-status-{"ok" if ok else "bad"}"'
                           + (f' title="{html.escape(r.get("error") or "")}"' if not ok else "")
                           + f">{status}</td>")
            links = (f'<a href="{e(quote(r["html"]))}">{t("index.report_link")}</a> &middot; '
                     f'<a href="{e(quote(r["ipynb"]))}">{t("index.notebook_link")}</a>')
            parts.append(f'<tr class="cs-run-{"ok" if ok else "bad"}"><th scope="row">'
                         f'{e(r["segment"])}</th>{cells}{status_cell}<td>{links}</td></tr>')
        parts.append("</tbody></table></div></section>")
    parts.append(_runs_section(runs, locale))
    parts += [
        f'<footer class="cs-provenance"><h2 id="provenance">{t("index.provenance")}</h2><dl>',
        f'<dt>{t("index.fingerprint")}</dt><dd><code>{e(str(context.get("fingerprint", "")))}'
        "</code></dd>",
        f'<dt>{t("index.kit")}</dt><dd>cslib {e(str(context.get("kit_version", "")))}</dd>',
        f'<dt>{t("index.kit_code")}</dt><dd><code>{e(str(context.get("kit_code", "")))}'
        "</code></dd>",
        f'<dt>{t("index.commit")}</dt><dd><code>'
        f'{e(str(context.get("git_commit", "unknown")))}</code></dd>',
        f'<dt>{t("index.details")}</dt><dd>{t("index.details_text")}</dd>',
        "</dl></footer>", "</main>", "</body>", "</html>", "",
    ]
    return "\n".join(parts)


def _runs_section(runs: list[Mapping[str, Any]], locale: str) -> str:
    """The manifest viewer: one row per run (notebook, segment, status, duration, data, error)."""
    e = _e
    head = "".join(f'<th scope="col">{e(_t(k, locale))}</th>' for k in (
        "index.notebook", "index.segment", "index.status", "index.duration",
        "index.fingerprint", "index.error"))
    rows = []
    for r in runs:
        duration = r.get("duration_s")
        shown = (_t("index.seconds", locale, s=_fmt_number(float(duration), locale, 1))
                 if isinstance(duration, int | float) and not isinstance(duration, bool)
                 else "\u2013")
        ok = r.get("status") in SUCCESS
        rows.append(
            f'<tr class="cs-log-{"ok" if ok else "bad"}"><td>{e(str(r.get("notebook", "")))}'
            f'</td><th scope="row">{e(str(r.get("segment", "")))}</th>'
            f'<td>{e(_status_label(r.get("status", ""), locale))}</td><td>{e(shown)}</td>'
            f'<td><code>{e(str(r.get("data_fingerprint") or ""))}</code></td>'
            f'<td>{e(str(r.get("error") or ""))}</td></tr>')
    return (f'<section class="cs-runs"><h2 id="runs">{e(_t("index.runs", locale))}</h2>'
            f'<p>{e(_t("index.runs_intro", locale))}</p><div class="cs-table-wrap"><table>'
            f'<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
            "</section>")
