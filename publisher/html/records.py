"""A record's page as a person reads it: a summary at the top and its related records grouped.

Plain graphs in (the record's document, the graph of labels the page already has, and the
related records with their labels, see :mod:`publisher.server.related`), a :class:`RecordView`
out, rendered by ``_record.html`` above the full property table:

- a formation (``schema:EducationalOccupationalProgram``): its certification (linked) with kind,
  level, RNCP, CFD, NSF and ROME (codes with their labels), routes, duration in words
  (``P2Y`` → « 2 ans »), places, establishment (linked) and its commune;
- a certification: kind, level and codes, and the formations that lead to it (establishment,
  routes);
- an organisation: its formations grouped by level (the level's label as heading, routes beside
  each formation), its memberships of the campus, its partnerships; the campus: its members
  grouped by role, then by kind;
- a code concept (NSF, ROME): the certifications citing the code, by level.

Blocks that reached the query's limit say so (``truncated``). No store, no HTTP.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rdflib import RDF, Graph, URIRef
from rdflib.namespace import DCTERMS, SKOS
from rdflib.term import Node

from publisher.core.namespaces import CMQ, DCAT, LOCN, ORG, SCHEMA
from publisher.html.render import CODE_SCHEMES, Renderer, Term
from publisher.html.titles import duration_words, first, period_words

#: Heading of the records whose level, role or kind is not given.
NO_LEVEL = ("Niveau non renseigné", "Level not given")
NO_ROLE = ("Rôle non renseigné", "Role not given")
NO_KIND = ("Nature non renseignée", "Kind not given")


def sort_key(text: str) -> str:
    """Accents and case ignored: « école » sorts with « ecole », before « lycée »."""
    return "".join(c for c in unicodedata.normalize("NFD", text.casefold())
                   if not unicodedata.combining(c))


def _item_key(item: Item) -> str:
    return sort_key(item.term.text)


@dataclass(frozen=True)
class Fact:
    """One line of the summary: a French label, its English beside, the values."""

    label: str
    label_en: str
    values: tuple[Term, ...]


@dataclass(frozen=True)
class Item:
    """A related record (linked) and what is said beside it (routes, establishment…)."""

    term: Term
    details: tuple[Term, ...] = ()


@dataclass(frozen=True)
class Group:
    """Records under one heading (a level, a role, a kind); ``heading`` ``None``: no heading."""

    heading: Term | None
    items: tuple[Item, ...] = ()
    groups: tuple[Group, ...] = ()


@dataclass(frozen=True)
class Block:
    key: str
    title: str
    title_en: str
    groups: tuple[Group, ...]
    truncated: bool = False

    @property
    def count(self) -> int:
        return sum(len(g.items) + sum(len(s.items) for s in g.groups) for g in self.groups)


@dataclass(frozen=True)
class RecordView:
    facts: tuple[Fact, ...]
    blocks: tuple[Block, ...]
    #: The IRI whose position the page's small map shows (a formation: its establishment).
    place: str | None = None


class RecordReader:
    """Reads one record's summary and related records from the page's graphs."""

    def __init__(self, iri: str, doc: Graph, related: Graph, renderer: Renderer,
                 truncated: frozenset[str] = frozenset()) -> None:
        self.subject, self.doc, self.related = URIRef(iri), doc, related
        self.r, self.all, self.truncated = renderer, renderer.labels, truncated

    # ------------------------------------------------------------------ helpers

    def terms(self, g: Graph, node: Node, pred: URIRef) -> tuple[Term, ...]:
        """The values of ``pred``, labelled; literals as plain text (no tag, no datatype)."""
        values = {self.r.code(pred, o) for o in g.objects(node, pred)}
        plain = {t if t.iri is not None else Term(t.text) for t in values}
        return tuple(sorted(plain, key=lambda t: sort_key(t.text)))

    def fact(self, label: str, label_en: str, values: Iterable[Term]) -> list[Fact]:
        found = tuple(values)
        return [Fact(label, label_en, found)] if found else []

    def heading(self, node: Node | None, missing: tuple[str, str]) -> Term:
        if node is None:
            return Term(missing[0])
        return self.r.term(node)

    # ------------------------------------------------------------------ summaries

    def credential_facts(self, cert: Node, linked: bool) -> list[Fact]:
        g = self.all if linked else self.doc
        out = self.fact("Certification préparée", "Credential", [self.r.term(cert)]) if linked else []
        out += self.fact("Type de certification", "Kind", self.terms(g, cert, SCHEMA.credentialCategory))
        out += self.fact("Niveau", "Level", self.terms(g, cert, SCHEMA.educationalLevel))
        for pred, name in ((CMQ.rncp, "RNCP"), (CMQ.cfd, "CFD"), (CMQ.nsf, "NSF"), (CMQ.rome, "ROME")):
            out += self.fact(name, name, self.terms(g, cert, pred))
        return out

    def formation_facts(self) -> tuple[list[Fact], str | None]:
        s, doc = self.subject, self.doc
        out: list[Fact] = []
        for cert in sorted(doc.objects(s, SCHEMA.educationalCredentialAwarded), key=str):
            out += self.credential_facts(cert, linked=True)
        out += self.fact("Voies de formation", "Routes", self.terms(doc, s, SCHEMA.educationalProgramMode))
        out += self.fact("Durée", "Duration", (
            Term(duration_words(str(d)) or str(d)) for d in doc.objects(s, SCHEMA.timeToComplete)))
        out += self.fact("Places", "Places", self.terms(doc, s, SCHEMA.maximumEnrollment))
        provider = first(doc, s, SCHEMA.provider)
        if provider is None:
            return out, None
        out += self.fact("Établissement", "Establishment", [self.r.term(provider)])
        towns = {t for a in self.related.objects(provider, LOCN.address)
                 for t in self.related.objects(a, LOCN.postName)}
        out += self.fact("Commune", "Municipality", (Term(str(t)) for t in sorted(towns, key=str)))
        return out, str(provider)

    # ------------------------------------------------------------------ related records

    def grouped(self, records: Iterable[Node], key: Callable[[Node], Node | None],
                missing: tuple[str, str], item: Callable[[Node], Item],
                order: Callable[[Node | None], tuple[int, str]]) -> tuple[Group, ...]:
        by: dict[Node | None, list[Item]] = {}
        for rec in records:
            by.setdefault(key(rec), []).append(item(rec))
        return tuple(
            Group(self.heading(k, missing), tuple(sorted(v, key=_item_key)))
            for k, v in sorted(by.items(), key=lambda kv: order(kv[0])))

    def level_of(self, formation: Node) -> Node | None:
        cert = first(self.related, formation, SCHEMA.educationalCredentialAwarded)
        return first(self.related, cert, SCHEMA.educationalLevel) if cert is not None else None

    def by_notation(self, node: Node | None) -> tuple[int, str]:
        if node is None:
            return (1 << 30, "")
        notation = str(first(self.all, node, SKOS.notation) or "")
        return (int(notation) if notation.isdigit() else 1 << 29, sort_key(self.r.term(node).text))

    def by_label(self, node: Node | None) -> tuple[int, str]:
        return (1, "") if node is None else (0, sort_key(self.r.term(node).text))

    def formation_item(self, with_provider: bool) -> Callable[[Node], Item]:
        def item(f: Node) -> Item:
            details = tuple(Term(t.text)  # routes as words beside the link
                            for t in self.terms(self.related, f, SCHEMA.educationalProgramMode))
            if with_provider:
                details = self.terms(self.related, f, SCHEMA.provider) + details
            return Item(self.r.term(f), details)
        return item

    def formations(self) -> list[Block]:
        s, g = self.subject, self.related
        provided = set(g.subjects(SCHEMA.provider, s))
        leading = set(g.subjects(SCHEMA.educationalCredentialAwarded, s))
        cut = "formations" in self.truncated
        out = []
        if provided:
            groups = self.grouped(provided, self.level_of, NO_LEVEL, self.formation_item(False),
                                  self.by_notation)
            out.append(Block("formations-par-niveau", "Formations par niveau", "Formations by level",
                             groups, cut))
        if leading:
            groups = (Group(None, tuple(sorted(map(self.formation_item(True), leading),
                                               key=_item_key))),)
            out.append(Block("formations-menant", "Formations qui y mènent",
                             "Formations leading to it", groups, cut))
        return out

    def memberships(self) -> list[Block]:
        s, g = self.subject, self.related
        cut = "adhesions" in self.truncated
        own = set(g.subjects(ORG.member, s))
        members = set(g.subjects(ORG.organization, s))
        out = []
        if own:
            items = tuple(sorted((Item(self.r.term(m)) for m in own), key=_item_key))
            out.append(Block("adhesions", "Adhésions", "Memberships", (Group(None, items),), cut))
        if members:
            out.append(Block("membres", "Membres par rôle et nature", "Members by role and kind",
                             self.members_by_role(members), cut))
        return out

    def members_by_role(self, memberships: set[Node]) -> tuple[Group, ...]:
        g = self.related
        by_role: dict[Node | None, set[Node]] = {}
        for m in memberships:
            by_role.setdefault(first(g, m, ORG.role), set()).add(m)
        out = []
        for role, ms in sorted(by_role.items(), key=lambda kv: self.by_label(kv[0])):
            who = {w for m in ms for w in g.objects(m, ORG.member)}
            kinds = self.grouped(who, lambda w: first(g, w, ORG.classification), NO_KIND,
                                 lambda w: Item(self.r.term(w)), self.by_label)
            out.append(Group(self.heading(role, NO_ROLE), (), kinds))
        return tuple(out)

    def partnerships(self) -> list[Block]:
        s, g = self.subject, self.related
        found = set(g.subjects(CMQ.party, s))
        if not found:
            return []
        items = []
        for p in found:
            others = tuple(t for t in self.terms(g, p, CMQ.party) if t.iri != str(s))
            items.append(Item(self.r.term(p), self.terms(g, p, DCTERMS.type) + others))
        groups = (Group(None, tuple(sorted(items, key=_item_key))),)
        return [Block("partenariats", "Partenariats", "Partnerships", groups,
                      "partenariats" in self.truncated)]

    def membership_facts(self) -> list[Fact]:
        s, doc = self.subject, self.doc
        out = self.fact("Membre", "Member", self.terms(doc, s, ORG.member))
        out += self.fact("Organisation", "Organisation", self.terms(doc, s, ORG.organization))
        out += self.fact("Rôle", "Role", self.terms(doc, s, ORG.role))
        for period in sorted(doc.objects(s, ORG.memberDuring), key=str):
            text = period_words(str(first(doc, period, DCAT.startDate) or ""),
                                str(first(doc, period, DCAT.endDate) or ""))
            if text:
                out += self.fact("Période", "Period", [Term(text)])
        return out

    def organisation_facts(self) -> list[Fact]:
        s, doc = self.subject, self.doc
        out = self.fact("Nature", "Kind", self.terms(doc, s, ORG.classification))
        out += self.fact("Statut", "Status", self.terms(doc, s, CMQ.status))
        towns = {t for a in doc.objects(s, LOCN.address) for t in doc.objects(a, LOCN.postName)}
        out += self.fact("Commune", "Municipality", (Term(str(t)) for t in sorted(towns, key=str)))
        out += self.fact("Territoire", "Territory", self.terms(doc, s, CMQ.territory))
        for pred, name in ((CMQ.uai, "UAI"), (CMQ.siret, "SIRET")):
            out += self.fact(name, name, self.terms(doc, s, pred))
        return out

    def coded(self) -> list[Block]:
        """The certifications citing this code concept (``cmq:nsf`` "225" for ``…/225``)."""
        notation = first(self.doc, self.subject, SKOS.notation)
        if notation is None:
            return []
        found = {c for pred in CODE_SCHEMES for c in self.related.subjects(pred, notation)}
        if not found:
            return []
        groups = self.grouped(found, lambda c: first(self.related, c, SCHEMA.educationalLevel),
                              NO_LEVEL, lambda c: Item(self.r.term(c)), self.by_notation)
        return [Block("certifications", "Certifications avec ce code",
                      "Credentials with this code", groups, "certifications" in self.truncated)]

    def view(self) -> RecordView:
        types = set(self.doc.objects(self.subject, RDF.type))
        facts: list[Fact] = []
        place = None
        if SCHEMA.EducationalOccupationalProgram in types:
            facts, place = self.formation_facts()
        elif SCHEMA.EducationalOccupationalCredential in types:
            facts = self.credential_facts(self.subject, linked=False)
        elif ORG.Membership in types:
            facts = self.membership_facts()
        elif ORG.Organization in types:
            facts = self.organisation_facts()
        blocks = self.formations() + self.memberships() + self.partnerships() + self.coded()
        return RecordView(tuple(facts), tuple(blocks), place)


def record_view(iri: str, doc: Graph, related: Graph, renderer: Renderer,
                truncated: frozenset[str] = frozenset()) -> RecordView:
    """The readable summary and groups of the record ``iri`` (see the module docstring)."""
    return RecordReader(iri, doc, related, renderer, truncated).view()
