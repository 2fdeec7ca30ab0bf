"""``cmq export lheo``: the campus's formations as LHEO 2.3 XML (what Carif-Oref and ONISEP ingest).

One ``formation`` per row of ``formations.csv`` (its ``numero`` is the row's ``id``), with one
``action`` at the establishment and one ``session`` (``periode`` 00000000-99999999: dates not
known). Standard elements carry what LHEO has a place for: title, Formacode/NSF/ROME codes and
RNCP number of the certification, level, address and SIRET/UAI of the establishment, web page,
duration text. What LHEO has no element for (the campus's ids of the certification and the
establishment, the routes as codes, the ISO duration, the number of places) goes into
``<extras info="cmq-lod">``, LHEO's extension point, so that importing the export gives back the
same formations (``cmq import lheo``). Texts the first circle of LHEO requires and the campus does
not keep (objectives, content) are stated from the certification, never invented.
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree as ET
from xml.etree.ElementTree import Element, SubElement

from publisher.convert.tables import read_table
from publisher.core.errors import CmqError, Location, SourceError
from publisher.lheo.schema import (
    EXTRAS_INFO,
    LEVEL_TO_LHEO,
    NS,
    ROUTE_TEXT,
    check_structure,
    local,
    q,
)
from publisher.project.folder import Project

_DURATION = re.compile(r"P(?:([0-9]+)Y)?(?:([0-9]+)M)?(?:([0-9]+)D)?")


def _table(project: Project, name: str) -> dict[str, dict[str, str]]:
    path = project.data_dir / name
    if not path.is_file():
        raise SourceError([(Location(name), "fichier absent / file missing")])
    return {row["id"]: row for _, row in read_table(path)
            if row.get("id") and not row["id"].startswith("#")}


def _sub(parent: Element, tag: str, text: str | None = None, **attrs: str) -> Element:
    el = SubElement(parent, q(tag), attrs)
    if text is not None:
        el.text = text
    return el


def duration_text(iso: str) -> str:
    """``P2Y`` → ``2 ans``, ``P9M`` → ``9 mois`` (the human text of ``duree-indicative``)."""
    m = _DURATION.fullmatch(iso or "")
    if not m or not any(m.groups()):
        return ""
    years, months, days = (int(g) if g else 0 for g in m.groups())
    parts = [f"{years} an{'s' if years > 1 else ''}" if years else "",
             f"{months} mois" if months else "", f"{days} jour{'s' if days > 1 else ''}"
             if days else ""]
    return " ".join(p for p in parts if p)


def _address(parent: Element, org: dict[str, str]) -> None:
    adresse = _sub(parent, "adresse")
    _sub(adresse, "ligne", org.get("adresse") or org.get("nom", ""))
    if org.get("code_postal"):
        _sub(adresse, "codepostal", org["code_postal"])
    _sub(adresse, "ville", org.get("commune") or "")
    if org.get("code_commune"):
        _sub(adresse, "code-INSEE-commune", org["code_commune"])


def _coordonnees(parent: Element, org: dict[str, str]) -> None:
    coord = _sub(parent, "coordonnees")
    _sub(coord, "nom", org.get("nom", ""))
    _address(coord, org)
    if org.get("courriel"):
        _sub(coord, "courriel", org["courriel"])
    if org.get("site_web"):
        _sub(_sub(coord, "web"), "urlweb", org["site_web"])


def _codes(value: str, limit: int) -> list[str]:
    return [c.strip() for c in (value or "").split(";") if c.strip()][:limit]


def formation_element(row: dict[str, str], cert: dict[str, str], org: dict[str, str]) -> Element:
    """The ``formation`` element of one row of formations.csv."""
    label = cert.get("intitule") or row.get("intitule", "")
    f = Element(q("formation"), {"numero": row["id"]})
    domain = _sub(f, "domaine-formation")
    for tag, column, limit in (("code-FORMACODE", "formacode", 5), ("code-NSF", "nsf", 3),
                               ("code-ROME", "rome", 5)):
        for code in _codes(cert.get(column, ""), limit):
            _sub(domain, tag, code)
    _sub(f, "intitule-formation", row.get("intitule", "")[:255])
    _sub(f, "objectif-formation", f"Préparer la certification « {label} ».")
    _sub(f, "resultats-attendus", f"Certification « {label} »"
         + (f" (niveau {cert['niveau']})." if cert.get("niveau") else "."))
    _sub(f, "contenu-formation", f"Contenu défini par le référentiel de « {label} ».")
    _sub(f, "certifiante", "1")
    _coordonnees(_sub(f, "contact-formation"), org)
    _sub(f, "parcours-de-formation", "1")
    _sub(f, "code-niveau-entree", "0")
    rncp = cert.get("rncp", "")
    if rncp.startswith("RNCP") and rncp[4:].isdigit():
        _sub(_sub(f, "certification"), "code-RNCP", rncp[4:])
    if cert.get("niveau") in LEVEL_TO_LHEO:
        _sub(f, "code-niveau-sortie", LEVEL_TO_LHEO[cert["niveau"]])
    if row.get("site_web"):
        _sub(_sub(f, "url-formation"), "urlweb", row["site_web"])
    f.append(action_element(row, org))
    resp = _sub(f, "organisme-formation-responsable")
    if org.get("siret"):
        _sub(_sub(resp, "SIRET-organisme-formation"), "SIRET", org["siret"])
    if org.get("uai"):
        _sub(_sub(resp, "code-UAI-organisme-formation"), "code-UAI", org["uai"])
    _sub(resp, "nom-organisme", org.get("nom", ""))
    _sub(resp, "raison-sociale", org.get("nom", ""))
    _coordonnees(_sub(resp, "coordonnees-organisme"), org)
    return f


def action_element(row: dict[str, str], org: dict[str, str]) -> Element:
    routes = [r for r in (row.get("voies") or "").split(";") if r.strip()]
    a = Element(q("action"), {"numero": row["id"]})
    _sub(a, "rythme-formation", "; ".join(
        "alternance centre de formation / entreprise" if r == "apprentissage" else "temps plein"
        for r in routes) or "non communiqué")
    _sub(a, "code-public-vise", "00000")  # "not given" in the public dictionary [unverified]
    _sub(a, "niveau-entree-obligatoire", "0")
    _sub(a, "modalites-alternance", "; ".join(ROUTE_TEXT.get(r, r) for r in routes)
         or "non communiqué")
    _sub(a, "modalites-enseignement", "0")
    _sub(a, "conditions-specifiques", "Voir l'établissement.")
    _sub(a, "prise-en-charge-frais-possible", "0")
    _coordonnees(_sub(a, "lieu-de-formation"), org)
    _sub(a, "modalites-entrees-sorties", "0")
    session = _sub(a, "session", numero=f"{row['id']}-1")
    periode = _sub(session, "periode")
    _sub(periode, "debut", "00000000")
    _sub(periode, "fin", "99999999")
    _address(_sub(session, "adresse-inscription"), org)
    text = duration_text(row.get("duree", ""))
    if text:
        _sub(a, "duree-indicative", text)
    if org.get("siret") or org.get("uai"):
        former = _sub(a, "organisme-formateur")
        if org.get("siret"):
            _sub(_sub(former, "SIRET-formateur"), "SIRET", org["siret"])
        if org.get("uai"):
            _sub(_sub(former, "code-UAI-formateur"), "code-UAI", org["uai"])
        _sub(former, "raison-sociale-formateur", org.get("nom", ""))
    extras = _sub(a, "extras", info=EXTRAS_INFO)
    for key, column in (("formation", "id"), ("certification", "certification"),
                        ("etablissement", "etablissement"), ("voies", "voies"),
                        ("duree", "duree"), ("places", "places")):
        if row.get(column):
            _sub(extras, "extra", row[column], info=key)
    return a


def build_lheo(project: Project) -> Element:
    """The LHEO document of the project's formations (rows in table order)."""
    certs = _table(project, "certifications.csv")
    orgs = _table(project, "etablissements.csv")
    root = Element(q("lheo"))
    offres = _sub(root, "offres")
    missing: list[tuple[Location, str]] = []
    for line, row in read_table(project.data_dir / "formations.csv"):
        if not row.get("id") or row["id"].startswith("#"):  # empty or example (comment) row
            continue
        cert, org = certs.get(row.get("certification", "")), orgs.get(row.get("etablissement", ""))
        if cert is None or org is None:
            missing.append((Location("formations.csv", line, "certification" if cert is None
                                     else "etablissement"),
                            "référence inconnue / unknown reference"))
            continue
        offres.append(formation_element(row, cert, org))
    if missing:
        raise SourceError(missing)
    return root


def _plain_copy(el: Element) -> Element:
    """``el`` with its LHEO tags unqualified (the namespace is declared once on the root)."""
    out = Element(local(el.tag), dict(el.attrib))
    out.text, out.tail = el.text, el.tail
    out.extend(_plain_copy(child) for child in el)
    return out


def lheo_bytes(root: Element) -> bytes:
    """The document as UTF-8 XML, LHEO as the default namespace, indented."""
    plain = _plain_copy(root)
    plain.set("xmlns", NS)
    ET.indent(plain, space="  ")
    data: bytes = ET.tostring(plain, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


def export_lheo(project: Project, out: Path | None = None) -> tuple[bytes, int]:
    """LHEO XML of the formations (and the number of formations); written to ``out``
    atomically when given. A document that fails :func:`check_structure` is an error."""
    root = build_lheo(project)
    problems = check_structure(root)
    if problems:
        raise CmqError("export LHEO non conforme / LHEO export does not conform:\n"
                       + "\n".join(problems))
    data = lheo_bytes(root)
    if out is not None:
        tmp = out.with_name(f".{out.name}.tmp")
        tmp.write_bytes(data)
        tmp.replace(out)
    return data, len(root[0])
