"""The readable validation report of a release (``validation.html``).

One self-contained HTML5 page in French with English alongside (``lang`` attributes): summary
counts, then the problems grouped by source file with row, column, property, value, messages and
severity. No external resources (inline CSS, no script); every value is escaped by Jinja2's
autoescaping. :func:`render_failure` is the same page for a build that failed (no release: it
says nothing was published, and shows no IRI column).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from jinja2 import Template

from publisher import __version__
from publisher.core.namespaces import PREFIXES
from publisher.html.environment import environment
from publisher.project.config import CampusConfig
from publisher.release.model import CATALOG_TTL, REPORT_TTL, ReleaseInfo
from publisher.validate.validation import INFO, VIOLATION, WARNING, Problem, Report

NO_FILE = "(sans fichier / no file)"
_SEVERITY: dict[str, tuple[str, str, int]] = {
    VIOLATION: ("Violation", "", 0),
    WARNING: ("Avertissement", "Warning", 1),
    INFO: ("Information", "", 2),
}


def _template() -> Template:
    return environment().get_template("report.html")


def compact(iri: str | None) -> str:
    """``prefix:local`` for an IRI in one of the project's namespaces, else the IRI."""
    if not iri:
        return ""
    best = ""
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(ns) > len(PREFIXES.get(best, "")):
            best = prefix
    return f"{best}:{iri[len(PREFIXES[best]):]}" if best else iri


@dataclass(frozen=True)
class Row:
    severity_fr: str
    severity_en: str
    css: str
    row: str
    column: str
    path: str
    path_full: str
    value: str
    message_fr: str
    message_en: str
    focus: str
    focus_full: str


@dataclass(frozen=True)
class Group:
    file: str
    problems: list[Row]


def _row(p: Problem, base: str) -> Row:
    fr, en, _ = _SEVERITY.get(p.severity, (p.severity, "", 3))
    loc = p.location
    path = compact(p.path)
    return Row(
        severity_fr=fr,
        severity_en=en,
        css=p.severity.lower(),
        row=str(loc.row) if loc is not None and loc.row is not None else "",
        column=(loc.column or "") if loc is not None else "",
        path=path,
        path_full=p.path if p.path and path != p.path else "",
        value=p.value if p.value is not None else "",
        message_fr=p.message_fr,
        message_en=p.message_en,
        focus=(p.focus or "").removeprefix(base) if base else (p.focus or ""),
        focus_full=p.focus or "",
    )


def _key(p: Problem) -> tuple[int, int, str, str]:
    loc = p.location
    return (_SEVERITY.get(p.severity, ("", "", 3))[2],
            (loc.row or 0) if loc is not None else 0,
            (loc.column or "") if loc is not None else "",
            p.path or "")


def group_problems(report: Report, base: str = "") -> list[Group]:
    """Problems by source file (files in name order, problems without a file last)."""
    by_file: dict[str, list[Problem]] = {}
    for p in report.problems:
        by_file.setdefault(p.location.file if p.location else NO_FILE, []).append(p)
    names = sorted(n for n in by_file if n != NO_FILE) + ([NO_FILE] if NO_FILE in by_file else [])
    return [Group(n, [_row(p, base) for p in sorted(by_file[n], key=_key)]) for n in names]


def render_report(report: Report, info: ReleaseInfo) -> str:
    """The HTML validation report of a release."""
    cfg = info.config
    created = info.created.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return _template().render(
        campus=cfg.name,
        release_id=info.release_id,
        created=created,
        cmq_version=info.cmq_version,
        triples=info.triples,
        conforms=report.conforms,
        violations=report.count(VIOLATION),
        warnings=report.count(WARNING),
        infos=report.count(INFO),
        groups=group_problems(report, cfg.base_iri),
        links={
            "catalog": info.download_url(CATALOG_TTL),
            "report_rdf": info.download_url(REPORT_TTL),
            "home": cfg.public_url,
        },
    )


def render_failure(report: Report, config: CampusConfig, attempted: datetime,
                   served: bool = True) -> str:
    """The HTML validation report of a build that failed: nothing was published (``served``:
    an earlier release is still served; else none is yet)."""
    created = attempted.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return _template().render(
        campus=config.name,
        release_id=None,
        served=served,
        created=created,
        cmq_version=__version__,
        triples=0,
        conforms=report.conforms,
        violations=report.count(VIOLATION),
        warnings=report.count(WARNING),
        infos=report.count(INFO),
        groups=group_problems(report, config.base_iri),
        links={"home": config.public_url},
    )
