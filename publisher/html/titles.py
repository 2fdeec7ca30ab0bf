"""Titles a person can read for records that carry no label, and durations in words.

- :func:`derived_title` — a membership (``org:Membership``) is titled by its member, the
  organisation and the role: « Lycée Condorcet — membre du Campus … — établissement support »;
  any other record without a label by its type and the labels of what it links to
  (« Adhésion — … »). ``None`` when nothing it links to has a label.
- :func:`duration_words` — an ``xsd:duration`` in French words: ``P2Y`` → « 2 ans »,
  ``P1Y6M`` → « 1 an et 6 mois », ``PT35H`` → « 35 heures »; ``None`` when unreadable.
- :func:`date_words` — ``2013-09-01`` → « 1er septembre 2013 », ``2014-01`` → « janvier 2014 »,
  ``2013`` → « 2013 »; anything else unchanged.
- :func:`period_words` — a period from its start and end dates, with the French prepositions a
  date or a year takes: « depuis le 1er septembre 2013 », « depuis 2013 », « de 2013 à 2017 »,
  « du 1er septembre 2013 au 31 août 2017 », « jusqu'en 2017 ».

Plain graphs and a labelling function in, text out: no store, no HTTP. The labelling function is
:func:`publisher.html.render.label_of` bound to the page's graph of labels.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rdflib import OWL, RDF, RDFS, Graph, URIRef
from rdflib.namespace import DCTERMS
from rdflib.term import Node

from publisher.core.namespaces import ORG

Labeller = Callable[[Node], str | None]
#: How many linked labels a generic derived title shows at most.
MAX_PARTS = 3
#: Links that say nothing of what the record is (its sources, other pages about it).
_NOT_TITLES = (RDF.type, DCTERMS.source, RDFS.seeAlso, OWL.sameAs)

_DURATION = re.compile(
    r"^P(?:(?P<Y>\d+)Y)?(?:(?P<M>\d+)M)?(?:(?P<W>\d+)W)?(?:(?P<D>\d+)D)?"
    r"(?:T(?:(?P<H>\d+)H)?(?:(?P<MIN>\d+)M)?)?$"
)
_UNITS = (("Y", "an", "ans"), ("M", "mois", "mois"), ("W", "semaine", "semaines"),
          ("D", "jour", "jours"), ("H", "heure", "heures"), ("MIN", "minute", "minutes"))


def duration_words(lexical: str) -> str | None:
    """``P2Y`` → « 2 ans »; several parts joined with « et »; ``None`` for anything else."""
    found = _DURATION.match(lexical.strip())
    if found is None or lexical.strip() in ("P", "PT"):
        return None
    parts = []
    for key, one, many in _UNITS:
        value = found.group(key)
        if value is not None:
            n = int(value)
            parts.append(f"{n} {one if n == 1 else many}")
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " et " + parts[-1]


_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
           "octobre", "novembre", "décembre")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def date_words(lexical: str) -> str:
    """An ``xsd:date``, ``gYearMonth`` or ``gYear`` in French words (see the module docstring)."""
    found = _DATE.match(lexical.strip())
    if found is None:
        return lexical
    year, month, day = found.groups()
    if month is None or not 1 <= int(month) <= 12:
        return year if month is None else lexical
    words = f"{_MONTHS[int(month) - 1]} {year}"
    if day is None:
        return words
    return f"{'1er' if int(day) == 1 else int(day)} {words}"


def first(g: Graph, node: Node, pred: URIRef) -> Node | None:
    """One value of ``pred`` (the smallest as text: the same one on every page)."""
    return min(g.objects(node, pred), key=str, default=None)


def _of(name: str) -> str:
    """« du Campus … », « de l'Université … », « de Région … »."""
    if name[:1].lower() in "aeiouyéèêàâîôûh":
        return "de l'" + name
    if name.lower().startswith("campus"):
        return "du " + name
    return "de " + name


def membership_title(g: Graph, node: Node, label: Labeller) -> str | None:
    """« member — membre du campus — role » for an ``org:Membership`` whose member has a label."""
    if (node, RDF.type, ORG.Membership) not in g:
        return None
    member = first(g, node, ORG.member)
    who = label(member) if member is not None else None
    if who is None:
        return None
    parts = [who]
    org = first(g, node, ORG.organization)
    org_name = label(org) if org is not None else None
    if org_name:
        parts.append("membre " + _of(org_name))
    role = first(g, node, ORG.role)
    role_name = label(role) if role is not None else None
    if role_name:
        parts.append(role_name)
    return " — ".join(parts)


def derived_title(g: Graph, node: Node, label: Labeller, type_label: str | None = None) -> str | None:
    """A title for ``node`` from what it links to (see the module docstring), or ``None``."""
    found = membership_title(g, node, label)
    if found is not None:
        return found
    linked: list[str] = []
    for pred, obj in sorted(g.predicate_objects(node), key=lambda po: (str(po[0]), str(po[1]))):
        if pred in _NOT_TITLES or not isinstance(obj, URIRef):
            continue
        text = label(obj)
        if text and text not in linked:
            linked.append(text)
    if not linked:
        return None
    head = [type_label] if type_label else []
    return " — ".join(head + linked[:MAX_PARTS])


def _is_day(lexical: str) -> bool:
    found = _DATE.match(lexical.strip())
    return found is not None and found.group(3) is not None


def period_words(start: str | None, end: str | None) -> str:
    """A period in French words from the lexical forms of its ends (either may be missing)."""
    if start and end:
        return (f"{'du' if _is_day(start) else 'de'} {date_words(start)} "
                f"{'au' if _is_day(end) else 'à'} {date_words(end)}")
    if start:
        return f"depuis {'le ' if _is_day(start) else ''}{date_words(start)}"
    if end:
        return f"jusqu'{'au' if _is_day(end) else 'en'} {date_words(end)}"
    return ""
