"""The HTML validation report: bilingual, grouped by file, escaped, self-contained HTML5."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from publisher.core.errors import Location
from publisher.project.folder import Project
from publisher.release.metadata.report_html import NO_FILE, compact, group_problems, render_report
from publisher.release.model import CATALOG_TTL, ReleaseInfo
from publisher.validate.validation import INFO, VIOLATION, WARNING, Problem, Report

REPO = Path(__file__).resolve().parents[1]
EVIL = '<script>alert("x")</script>'
VOID_ELEMENTS = {"meta", "br", "link", "img", "input", "hr", "col", "source", "wbr", "area",
                 "base", "embed", "track"}


@pytest.fixture(scope="module")
def info() -> ReleaseInfo:
    return ReleaseInfo("0123456789abcdef", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
                       Project.open(REPO).config, 1086, "0.1.0")


def problems(base: str) -> list[Problem]:
    return [
        Problem(WARNING, Location("etablissements.csv", 3, "uai"), "UAI recommandé",
                "UAI recommended", focus=f"{base}organisation/b",
                path="https://w3id.org/cmq/ontology/uai"),
        Problem(VIOLATION, Location("etablissements.csv", 5, "nom"), f"nom {EVIL}",
                f"name {EVIL}", focus=f"{base}organisation/a",
                path="http://www.w3.org/2004/02/skos/core#prefLabel", value=EVIL),
        Problem(VIOLATION, Location("formations.csv", 2, "duree"), "durée invalide",
                "invalid duration", value="deux ans"),
        Problem(INFO, None, "remarque", "note", focus="https://example.org/x"),
        Problem(VIOLATION, Location(f"{EVIL}.csv"), "fichier", "file"),
    ]


@pytest.fixture(scope="module")
def page(info: ReleaseInfo) -> str:
    return render_report(Report(problems(info.config.base_iri)), info)


class Structure(HTMLParser):
    """Checks that every non-void element is closed in order; collects tags and attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.doctype = ""

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID_ELEMENTS:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def parse(page: str) -> Structure:
    s = Structure()
    s.feed(page)
    s.close()
    return s


def test_well_formed_html5(page: str) -> None:
    s = parse(page)
    assert s.doctype.lower() == "doctype html"
    assert s.errors == [] and s.stack == []
    html = [a for t, a in s.tags if t == "html"]
    assert html == [{"lang": "fr"}]
    assert any(t == "meta" and a.get("charset") == "utf-8" for t, a in s.tags)
    ids = [a["id"] for _, a in s.tags if a.get("id")]
    assert len(ids) == len(set(ids))


def test_strict_html5_parser_accepts_it(page: str) -> None:
    html5 = pytest.importorskip("html5rdf", reason="html5rdf (strict HTML5 parser) not installed")
    html5.HTMLParser(strict=True).parse(page)


def test_values_are_escaped(page: str) -> None:
    assert "<script" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_no_external_resources(page: str) -> None:
    s = parse(page)
    assert not [t for t, a in s.tags if t in ("script", "link", "img", "iframe", "object")]
    assert not [a for _, a in s.tags if "src" in a]
    assert "@import" not in page and "url(" not in page
    assert [t for t, _ in s.tags].count("style") == 1


def test_english_is_marked(page: str) -> None:
    s = parse(page)
    english = [a for _, a in s.tags if a.get("lang") == "en"]
    assert len(english) > 10
    assert 'lang="en">Summary<' in page and 'lang="en">Problems by file<' in page


def test_summary_counts(page: str) -> None:
    assert re.search(r'<dd id="violations">3</dd>', page)
    assert re.search(r'<dd id="warnings">1</dd>', page)
    assert re.search(r'<dd id="infos">1</dd>', page)
    assert "ne sont pas conformes" in page


def test_grouped_by_file(info: ReleaseInfo, page: str) -> None:
    groups = group_problems(Report(problems(info.config.base_iri)), info.config.base_iri)
    assert [g.file for g in groups] == [f"{EVIL}.csv", "etablissements.csv", "formations.csv",
                                        NO_FILE]
    etab = groups[1].problems
    assert [(p.severity_fr, p.row, p.column) for p in etab] == [
        ("Violation", "5", "nom"), ("Avertissement", "3", "uai")]
    assert etab[0].path == "skos:prefLabel" and etab[0].focus == "organisation/a"
    assert etab[0].message_en == f"name {EVIL}"
    assert page.count("<table") == 4 and page.count("<tbody>") == 4
    assert page.index("etablissements.csv") < page.index("formations.csv") < page.index(NO_FILE)
    assert page.count("<tr class=") == 5


def test_links_back_to_the_catalogue(info: ReleaseInfo, page: str) -> None:
    s = parse(page)
    hrefs = {a.get("href") for t, a in s.tags if t == "a"}
    assert info.download_url(CATALOG_TTL) in hrefs
    assert info.config.public_url in hrefs


def test_empty_report(info: ReleaseInfo) -> None:
    page = render_report(Report(), info)
    assert "Aucun problème" in page and "sont conformes" in page
    assert "<table" not in page
    assert parse(page).errors == []


def test_shipped_campus_report(info: ReleaseInfo, shipped_report: Report) -> None:
    report = shipped_report
    page = render_report(report, info)
    assert f'<dd id="warnings">{report.count(WARNING)}</dd>' in page
    assert page.count("<tr class=") == len(report.problems)
    assert parse(page).errors == []


def test_compact() -> None:
    assert compact("http://www.w3.org/ns/org#member") == "org:member"
    assert compact("https://w3id.org/cmq/shapes/x") == "cmqsh:x"
    assert compact("https://example.org/x") == "https://example.org/x"
    assert compact(None) == ""
