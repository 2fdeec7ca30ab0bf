"""Readable record pages against the real server (httpx over loopback), on the shipped campus:
memberships titled by member, campus and role; a formation's summary (certification with kind,
level and NSF/ROME codes with their labels, routes, duration in words, places, establishment and
its commune); an establishment's formations grouped by level; a certification's formations; the
campus's members by role and kind; a partner's partnerships. The counts are checked against the
same questions asked in SPARQL; the RDF of the IRIs is checked elsewhere
(tests/test_server_resources.py) and stays the engine's document."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

import httpx
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS
from server_fixtures import LiveServer

from publisher.core.namespaces import CMQ, CMQ_NS
from publisher.html.render import Linker, Renderer
from publisher.html.titles import date_words, derived_title, duration_words, period_words

HTML = {"Accept": "text/html"}
CAMPUS = "Campus des métiers et des qualifications de la plasturgie et de la métallurgie"
VOID = {"br", "hr", "img", "input", "link", "meta", "wbr", "source"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join("".join(c if isinstance(c, str) else " " + c.text + " "
                                for c in self.children).split())

    def find(self, tag: str | None = None, **attrs: str) -> list[Node]:
        out = []
        for c in self.children:
            if isinstance(c, Node):
                if (tag is None or c.tag == tag) and all(c.attrs.get(k) == v
                                                         for k, v in attrs.items()):
                    out.append(c)
                out += c.find(tag, **attrs)
        return out

    def by_id(self, ident: str) -> Node:
        found = self.find(id=ident)
        assert found, f"no element #{ident}"
        return found[0]


class Tree(HTMLParser):
    """The page as a tree of elements (enough for the tests: no error recovery)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.root = Node("#root", {})
        self.stack = [self.root]
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                break

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


@pytest.fixture(scope="module")
def client(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, timeout=30.0) as c:
        yield c


def page(client: httpx.Client, path: str) -> Node:
    r = client.get(path, headers=HTML)
    assert r.status_code == 200, r.text
    return Tree(r.text).root


def facts(root: Node) -> dict[str, tuple[str, ...]]:
    """The summary: French label → the texts of its values (links or words)."""
    out = {}
    for row in root.by_id("resume").find("div"):
        dt, dd = row.find("dt")[0], row.find("dd")[0]
        label = "".join(c for c in dt.children if isinstance(c, str)).strip()
        values = [a.text for a in dd.find("a")] or [dd.text]
        out[label] = tuple(values)
    return out


def fact_links(root: Node, label: str) -> list[str]:
    for row in root.by_id("resume").find("div"):
        if row.find("dt")[0].text.startswith(label):
            return [a.attrs["href"] for a in row.find("dd")[0].find("a")]
    raise AssertionError(label)


def groups(section: Node, level: str = "h3") -> list[tuple[str, list[str]]]:
    """(heading, [item link texts]) in page order; items before any heading under ``""``."""
    out: list[tuple[str, list[str]]] = [("", [])]
    for child in section.find():
        if child.tag == level:
            out.append((child.text, []))
        elif child.tag == "li":
            out[-1][1].append(child.find("a")[0].text)
    return [g for g in out if g[0] or g[1]]


# ------------------------------------------------------------------ memberships


def test_membership_is_titled_by_member_campus_and_role(client: httpx.Client) -> None:
    root = page(client, "adhesion/lycee-condorcet-etablissement-support")
    h1 = root.find("h1")[0].text
    assert h1 == ("Lycée Condorcet (espace scolaire Condorcet) — membre du " + CAMPUS
                  + " — établissement support")
    assert root.find("title")[0].text.startswith(h1)
    summary = facts(root)
    assert summary["Membre"] == ("Lycée Condorcet (espace scolaire Condorcet)",)
    assert summary["Organisation"] == (CAMPUS,)
    assert summary["Rôle"] == ("établissement support",)
    assert summary["Période"] == ("depuis 2013",)
    assert root.by_id("periode").find("h2")[0].text.startswith("période d'adhésion")
    ended = facts(page(client, "adhesion/universite-fictive-etablissement-membre"))
    assert ended["Période"] == ("du 1er septembre 2013 au 31 août 2017",)


def test_memberships_are_titled_where_they_are_linked(client: httpx.Client) -> None:
    root = page(client, "organisation/lp-exemple-laon")
    assert groups(root.by_id("adhesions")) == [("", [
        "Lycée professionnel Exemple (fictif) — membre du " + CAMPUS + " — établissement membre"])]
    incoming = root.find("section", **{"class": "incoming"})[0]
    assert "— établissement membre" in incoming.text  # the full table names it too
    assert "adhesion/lp-exemple-laon-etablissement-membre" not in incoming.text


# ------------------------------------------------------------------ formations


def test_formation_summary(client: httpx.Client) -> None:
    root = page(client, "formation/cap-plasturgie-lp-laon")
    assert facts(root) == {
        "Certification préparée": ("CAP Plasturgie",),
        "Type de certification": ("CAP",),
        "Niveau": ("niveau 3 (CAP, BEP)",),
        "NSF": ("225 — Plasturgie, matériaux composites",),
        "ROME": ("H3201 — Conduite d'équipement de formage des plastiques et caoutchoucs",),
        "Voies de formation": ("voie scolaire",),
        "Durée": ("2 ans",),
        "Places": ("24",),
        "Établissement": ("Lycée professionnel Exemple (fictif)",),
        "Commune": ("Laon",),
    }
    assert fact_links(root, "Certification") == ["/certification/cap-plasturgie"]
    assert fact_links(root, "Établissement") == ["/organisation/lp-exemple-laon"]
    assert fact_links(root, "NSF") == ["/ontology/specialite-nsf/225"]
    assert root.find(id="map"), "the establishment's position on a small map"
    assert root.find("table", **{"class": "props"}), "the full property table stays below"


def test_formation_with_several_codes_routes_and_months(client: httpx.Client) -> None:
    bts = facts(page(client, "formation/bts-cprp-lgt-sq"))
    assert bts["ROME"] == ("H1404 — Intervention technique en méthodes et industrialisation",
                           "H2903 — Conduite d'équipement d'usinage")
    assert bts["NSF"] == ("251 — Mécanique générale et de précision, usinage",)
    assert bts["Voies de formation"] == ("apprentissage", "voie scolaire")
    assert bts["Places"] == ("30",) and bts["Durée"] == ("2 ans",)
    greta = facts(page(client, "formation/cap-conducteur-greta"))
    assert greta["Durée"] == ("9 mois",) and greta["Commune"] == ("Laon",)


def test_code_concept_lists_the_certifications_citing_it(client: httpx.Client,
                                                         live_server: LiveServer) -> None:
    found = groups(page(client, "ontology/metier-rome/H1404").by_id("certifications"))
    assert found == [
        ("niveau 5 (BTS, DEUST)", ["BTS Conception des processus de réalisation de produits",
                                   "BTS Conception et réalisation en chaudronnerie industrielle",
                                   "BTS Europlastics et composites"]),
        ("niveau 6 (licence, licence pro, BUT)", ["BUT Génie mécanique et productique"])]
    assert sum(len(items) for _, items in found) == live_server.count('?s cmq:rome "H1404"')


def test_code_concepts_resolve_with_their_source(client: httpx.Client) -> None:
    r = client.get("ontology/metier-rome/H3201", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    g = Graph().parse(data=r.text, format="turtle")
    concept = URIRef(CMQ_NS + "metier-rome/H3201")
    assert (concept, SKOS.notation, Literal("H3201")) in g
    assert (concept, DCTERMS.source, None) in g


# ------------------------------------------------------------------ establishments, certifications


def test_establishment_lists_its_formations_by_level(client: httpx.Client,
                                                     live_server: LiveServer) -> None:
    root = page(client, "organisation/lp-exemple-laon")
    section = root.by_id("formations-par-niveau")
    assert groups(section) == [
        ("niveau 3 (CAP, BEP)", ["CAP Plasturgie (voie scolaire) — Lycée professionnel Exemple (fictif)"]),
        ("niveau 4 (baccalauréat, BP, bac pro)", [
            ("Baccalauréat professionnel Maintenance des systèmes de production connectés "
            "(voie scolaire, apprentissage) — Lycée professionnel Exemple (fictif)"),
            ("Baccalauréat professionnel Plastiques et composites (voie scolaire) — "
            "Lycée professionnel Exemple (fictif)")]),
    ]
    routes = [li.find("span", **{"class": "details"})[0].text for li in section.find("li")]
    assert routes == ["voie scolaire", "apprentissage · voie scolaire", "voie scolaire"]
    summary = facts(root)
    assert summary["Nature"] == ("lycée professionnel",) and summary["Commune"] == ("Laon",)
    base = live_server.release.config.base_iri
    for path in ("organisation/lp-exemple-laon", "organisation/cfa-fictif-industrie"):
        found = groups(page(client, path).by_id("formations-par-niveau"))
        listed = sum(len(items) for _, items in found)
        assert listed == live_server.count(f"?s schema:provider <{base}{path}>")


def test_certification_lists_the_formations_leading_to_it(client: httpx.Client) -> None:
    root = page(client, "certification/bts-europlastics")
    assert groups(root.by_id("formations-menant")) == [("", [
        "BTS Europlastics et composites (apprentissage) — CFA fictif de l'industrie picarde",
        "BTS Europlastics et composites (formation continue) — GRETA fictif de l'Aisne",
        ("BTS Europlastics et composites (voie scolaire) — Lycée général et technologique "
        "Fictif de Saint-Quentin")])]
    summary = facts(root)
    assert summary["Niveau"] == ("niveau 5 (BTS, DEUST)",)
    assert summary["ROME"] == (
        "H1404 — Intervention technique en méthodes et industrialisation",
        "H3202 — Réglage d'équipement de formage des plastiques et caoutchoucs")


# ------------------------------------------------------------------ campus, partners


def test_campus_lists_its_members_by_role_and_kind(client: httpx.Client,
                                                   live_server: LiveServer) -> None:
    section = page(client, "organisation/campus").by_id("membres")
    roles = {h: items for h, items in groups(section, "h3")}
    assert list(roles) == ["établissement membre", "établissement support",
                           "partenaire de recherche", "partenaire industriel"]
    kinds = dict(groups(section, "h4"))
    assert kinds["lycée professionnel"] == ["Lycée professionnel Exemple (fictif)",
                                            "Lycée professionnel Fictif du Santerre"]
    assert kinds["plateforme technologique"] == ["IndustriLAB", "Innovaltech"]
    listed = sum(len(items) for items in kinds.values())
    campus = live_server.release.config.campus_iri
    assert listed == 16 == live_server.count(f"?s org:organization <{campus}>")


def test_partner_lists_its_partnerships(client: httpx.Client) -> None:
    section = page(client, "organisation/region-picardie").by_id("partenariats")
    assert groups(section) == [("", ["Financement d'IndustriLAB",
                                     "Plateforme d'usinage du lycée Condorcet"])]
    assert "Lycée Condorcet (espace scolaire Condorcet)" in section.text  # the other party


# ------------------------------------------------------------------ the parts, without a server


def test_durations_and_dates_in_words() -> None:
    assert [duration_words(d) for d in ("P2Y", "P1Y", "P9M", "P1Y6M", "PT35H", "P", "2 ans")] == [
        "2 ans", "1 an", "9 mois", "1 an et 6 mois", "35 heures", None, None]
    assert [date_words(d) for d in ("2013-09-01", "2014-01", "2013", "hier")] == [
        "1er septembre 2013", "janvier 2014", "2013", "hier"]


@pytest.mark.parametrize(("start", "end", "words"), [
    ("2013-09-01", None, "depuis le 1er septembre 2013"),
    ("2013", None, "depuis 2013"),
    ("2014-01", None, "depuis janvier 2014"),
    (None, "2017", "jusqu'en 2017"),
    (None, "2017-08-31", "jusqu'au 31 août 2017"),
    ("2013", "2017", "de 2013 à 2017"),
    ("2013-09-01", "2017-08-31", "du 1er septembre 2013 au 31 août 2017"),
    ("2013", "2017-08-31", "de 2013 au 31 août 2017"),
    (None, None, ""),
])
def test_periods_take_the_prepositions_of_their_dates(start: str | None, end: str | None,
                                                       words: str) -> None:
    assert period_words(start, end) == words


def test_a_code_without_a_concept_stays_bare_and_unlabelled_records_get_a_title() -> None:
    g = Graph()
    cert, concept = URIRef("https://example.org/c/1"), URIRef(CMQ_NS + "specialite-nsf/225")
    g.add((concept, SKOS.notation, Literal("225")))
    g.add((concept, SKOS.inScheme, URIRef(CMQ_NS + "specialite-nsf")))
    g.add((concept, SKOS.prefLabel, Literal("Plasturgie, matériaux composites", lang="fr")))
    r = Renderer(g, Linker("https://example.org/"), str(cert))
    assert r.code(CMQ.nsf, Literal("225")).text == "225 — Plasturgie, matériaux composites"
    assert r.code(CMQ.nsf, Literal("999")).text == "999"  # never guessed
    assert r.code(CMQ.rome, Literal("225")).text == "225"  # another list's notation
    g.add((cert, DCTERMS.subject, concept))
    assert derived_title(g, cert, r.text_of, "certification") == (
        "certification — Plasturgie, matériaux composites")
    assert derived_title(Graph(), cert, r.text_of) is None
