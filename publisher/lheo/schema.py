"""LHEO 2.3 (``http://lheo.gouv.fr/2.3``): the structure cmq writes and reads, and its check.

LHEO ("Langage harmonisé d'échange d'informations sur l'offre de formation") is the national XML
format for training offers (Carif-Oref, ONISEP, France Travail): ``lheo > offres > formation >
action > session``. :func:`check_structure` checks a document against the structure documented
in the project's reference notes and in the LHEO documentation (lheo/lheo-schema, doc/source):
the order of the children of ``formation`` and ``action``, the elements each one requires, the
code limits of ``domaine-formation`` (≤ 5 Formacode, ≤ 3 NSF, ≤ 5 ROME), ``code-RNCP`` in digits,
SIRET and UAI check keys, ``code-niveau-sortie`` in the LHEO dictionary and the dates of
``periode`` (``AAAAMMJJ``, ``00000000`` / ``99999999`` for unknown). It is not the official XSD
(not shipped with cmq), which further requires data a campus does not hold, such as the training
organisation's ``numero-activite``; see docs/decisions/0009-importers.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from xml.etree.ElementTree import Element

from publisher.core.identifiers import is_valid_siret, is_valid_uai

NS = "http://lheo.gouv.fr/2.3"
#: ``info`` of the ``extras`` element holding cmq's own fields (LHEO's extension mechanism).
EXTRAS_INFO = "cmq-lod"

FORMATION_ORDER = (
    "domaine-formation", "intitule-formation", "objectif-formation", "resultats-attendus",
    "contenu-formation", "certifiante", "contact-formation", "parcours-de-formation",
    "code-niveau-entree", "objectif-general-formation", "certification", "code-niveau-sortie",
    "url-formation", "action", "organisme-formation-responsable", "identifiant-module",
    "positionnement", "sous-modules", "modules-prerequis", "extras",
)
FORMATION_REQUIRED = ("domaine-formation", "intitule-formation", "objectif-formation", "action",
                      "organisme-formation-responsable")
ACTION_ORDER = (
    "rythme-formation", "code-public-vise", "info-public-vise", "niveau-entree-obligatoire",
    "modalites-alternance", "modalites-enseignement", "conditions-specifiques",
    "prise-en-charge-frais-possible", "lieu-de-formation", "modalites-entrees-sorties",
    "url-action", "session", "adresse-information", "date-information", "restauration",
    "hebergement", "transport", "acces-handicapes", "langue-formation", "modalites-recrutement",
    "modalites-pedagogiques", "code-modalite-pedagogique", "frais-restants",
    "code-perimetre-recrutement", "infos-perimetre-recrutement", "prix-horaire-TTC",
    "prix-total-TTC", "duree-indicative", "nombre-heures-centre", "nombre-heures-entreprise",
    "nombre-heures-total", "detail-conditions-prise-en-charge", "conventionnement",
    "duree-conventionnee", "organisme-formateur", "organisme-financeur", "extras",
)
ACTION_REQUIRED = ("modalites-alternance", "session")
DOMAIN_LIMITS = {"code-FORMACODE": 5, "code-NSF": 3, "code-ROME": 5}

#: LHEO dictionary of levels (dict-niveaux, LHEO 2.2: 0 not given … 8 level I) and the campus's
#: levels (décret 2019-14). LHEO 2.3 announces a new table (PEL-37) whose codes the reference
#: notes do not give: this mapping follows the 2.2 dictionary [unverified for 2.3].
LHEO_LEVELS = frozenset("012345678")
LEVEL_TO_LHEO = {"3": "4", "4": "5", "5": "6", "6": "7", "7": "8", "8": "8"}

#: Route (cmq:route) → text of ``modalites-alternance``, and back (by keyword).
ROUTE_TEXT = {"voie-scolaire": "Voie scolaire (formation initiale sous statut scolaire)",
              "apprentissage": "Apprentissage (contrat d'apprentissage, en alternance)",
              "formation-continue": "Formation continue (adultes)"}
_DATE = re.compile(r"[0-9]{4}[019][0-9][01239][0-9]")


def q(tag: str) -> str:
    """Qualified name of an LHEO element."""
    return f"{{{NS}}}{tag}"


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def text_of(el: Element | None, path: str) -> str:
    """Text of the first element at ``path`` (``/``-separated local names) under ``el``."""
    if el is None:
        return ""
    found = el.find("/".join(q(p) for p in path.split("/")))
    return (found.text or "").strip() if found is not None else ""


def descendants(el: Element, name: str) -> Iterator[Element]:
    return el.iter(q(name))


def routes_from_text(text: str) -> list[str]:
    """Routes named in a free text (``modalites-alternance``), by keyword."""
    t = text.lower()
    found = [r for r, words in (("voie-scolaire", ("scolaire", "initiale")),
                                ("apprentissage", ("apprenti",)),
                                ("formation-continue", ("continue", "adulte",
                                                        "professionnalisation")))
             if any(w in t for w in words)]
    return found


def _order(parent: Element, order: tuple[str, ...], where: str, problems: list[str]) -> None:
    rank = {name: i for i, name in enumerate(order)}
    last = -1
    for child in parent:
        name = local(child.tag)
        if not child.tag.startswith(f"{{{NS}}}"):
            problems.append(f"{where}: élément hors de l'espace de noms LHEO 2.3 / element "
                            f"outside the LHEO 2.3 namespace: {child.tag}")
            continue
        if name not in rank:
            problems.append(f"{where}: élément inattendu / unexpected element <{name}>")
            continue
        if rank[name] < last:
            problems.append(f"{where}: <{name}> hors de l'ordre LHEO / out of LHEO order")
        last = max(last, rank[name])


def _required(parent: Element, names: tuple[str, ...], where: str, problems: list[str]) -> None:
    for name in names:
        if parent.find(q(name)) is None:
            problems.append(f"{where}: <{name}> requis / required")


def check_formation(formation: Element, where: str) -> list[str]:
    """Problems of one ``formation`` element (empty list = conforms)."""
    problems: list[str] = []
    _order(formation, FORMATION_ORDER, where, problems)
    _required(formation, FORMATION_REQUIRED, where, problems)
    title = text_of(formation, "intitule-formation")
    if not 1 <= len(title) <= 255:
        problems.append(f"{where}: intitule-formation de 1 à 255 caractères / 1 to 255 chars")
    domain = formation.find(q("domaine-formation"))
    if domain is not None:
        for name, limit in DOMAIN_LIMITS.items():
            if len(domain.findall(q(name))) > limit:
                problems.append(f"{where}: plus de {limit} <{name}> / more than {limit}")
    for cert in formation.findall(q("certification")):
        code = text_of(cert, "code-RNCP")
        if code and not re.fullmatch(r"[0-9]{1,10}", code):
            problems.append(f"{where}: code-RNCP en chiffres seulement / digits only: {code!r}")
    level = text_of(formation, "code-niveau-sortie")
    if level and level not in LHEO_LEVELS:
        problems.append(f"{where}: code-niveau-sortie inconnu / unknown: {level!r}")
    for i, action in enumerate(formation.findall(q("action")), 1):
        problems.extend(check_action(action, f"{where} > action[{i}]"))
    return problems


def check_action(action: Element, where: str) -> list[str]:
    problems: list[str] = []
    _order(action, ACTION_ORDER, where, problems)
    _required(action, ACTION_REQUIRED, where, problems)
    for j, session in enumerate(action.findall(q("session")), 1):
        here = f"{where} > session[{j}]"
        for part in ("periode/debut", "periode/fin"):
            value = text_of(session, part)
            if not _DATE.fullmatch(value):
                problems.append(f"{here}: {part} AAAAMMJJ attendu / expected: {value!r}")
        if session.find(q("adresse-inscription")) is None:
            problems.append(f"{here}: <adresse-inscription> requis / required")
    for org in action.findall(q("organisme-formateur")):
        sirets = [(s.text or "").strip() for s in descendants(org, "SIRET")]
        uais = [(u.text or "").strip() for u in descendants(org, "code-UAI")]
        if not sirets and not uais:
            problems.append(f"{where}: organisme-formateur sans SIRET ni code-UAI / without "
                            "SIRET or code-UAI")
        problems += [f"{where}: SIRET invalide / invalid: {s!r}" for s in sirets
                     if not is_valid_siret(s)]
        problems += [f"{where}: code-UAI invalide / invalid: {u!r}" for u in uais
                     if not is_valid_uai(u)]
    return problems


def check_structure(root: Element) -> list[str]:
    """Problems of a whole LHEO document against the documented structure."""
    if root.tag != q("lheo"):
        return [f"racine <lheo> de {NS} attendue / root expected, got {root.tag}"]
    offres = root.findall(q("offres"))
    if len(offres) != 1:
        return ["un élément <offres> attendu / one <offres> element expected"]
    problems: list[str] = []
    formations = offres[0].findall(q("formation"))
    if not formations:
        problems.append("offres: aucune <formation> / no formation")
    for child in offres[0]:
        if child.tag not in (q("formation"), q("extras")):
            problems.append(f"offres: élément inattendu / unexpected element {child.tag}")
    for i, formation in enumerate(formations, 1):
        problems.extend(check_formation(formation, f"formation[{i}]"))
    return problems
