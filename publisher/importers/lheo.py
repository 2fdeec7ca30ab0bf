"""``cmq import lheo``: LHEO 2.3 training offers into ``formations.csv``.

Each ``action`` of each ``formation`` becomes one formation of the campus (an offer at one
establishment), keyed by ``id``: the ``formation`` extra of cmq's own export, else the action's
``numero`` (else the formation's) made into a slug, so that re-importing a newer feed updates the
same rows. The establishment is found by cmq's extra, then by the ``code-UAI`` then the ``SIRET``
of the organisme formateur (or lieu de formation, or responsible organisation); the certification
by cmq's extra, then by ``code-RNCP``. Both must already be in the campus's tables (import the
Annuaire and the RNCP first): an action that names neither goes to the rejected rows.

The file is parsed with expat feeding an ElementTree ``TreeBuilder``, one ``formation`` at a time
(memory stays constant on a national feed; ``iterparse`` would not give line numbers for the
rejected-rows file).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element, TreeBuilder
from xml.parsers import expat

from publisher.core.errors import Location, SourceError
from publisher.importers import codes
from publisher.importers.base import Dataset, ImportOptions, ImportRun
from publisher.importers.merge import (
    Candidate,
    Rejected,
    is_comment,
    read_campus_table,
    slugify,
)
from publisher.importers.report import ImportResult
from publisher.lheo.schema import EXTRAS_INFO, LHEO_LEVELS, NS, q, routes_from_text, text_of
from publisher.project.folder import Project

DATASET = Dataset(
    kind="lheo",
    table="formations.csv",
    source_prefix="lheo-",
    title="Offre de formation au format LHEO 2.3",
    publisher="Flux LHEO (éditeur non précisé)",
)
PROVIDES = ("intitule", "certification", "etablissement", "voies", "duree", "places", "site_web")
REQUIRED_NEW = ("intitule", "certification", "etablissement", "voies")
ROUTES = ("voie-scolaire", "apprentissage", "formation-continue")
_KEY = re.compile(r"[a-z0-9][a-z0-9._-]*")
_ISO_DURATION = re.compile(r"P(?=[0-9]|T[0-9])([0-9]+Y)?([0-9]+M)?([0-9]+D)?")


def _qname(name: str) -> str:
    uri, sep, tag = name.rpartition(" ")
    return f"{{{uri}}}{tag}" if sep else name


def iter_formations(path: Path, block: int = 1 << 16
                    ) -> Iterator[tuple[Element, dict[Element, int]]]:
    """Each ``formation`` element of an LHEO file with the start line of it and its actions."""
    parser = expat.ParserCreate(namespace_separator=" ")
    state: dict[str, object] = {}
    builder: list[TreeBuilder] = []
    depth = [0]
    lines: dict[Element, int] = {}
    done: list[tuple[Element, dict[Element, int]]] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        tag = _qname(name)
        if not builder:
            if "root" not in state:
                state["root"] = tag
                if tag != q("lheo"):
                    raise SourceError([(Location(path.name, parser.CurrentLineNumber),
                                        f"racine <lheo> de {NS} attendue / root expected: {tag}")])
            if tag != q("formation"):
                return
            builder.append(TreeBuilder())
            depth[0] = 0
        depth[0] += 1
        el = builder[0].start(tag, {_qname(k): v for k, v in attrs.items()})
        if tag in (q("formation"), q("action")):
            lines[el] = parser.CurrentLineNumber

    def end(name: str) -> None:
        if builder:
            builder[0].end(_qname(name))
            depth[0] -= 1
            if depth[0] == 0:
                done.append((builder.pop().close(), dict(lines)))
                lines.clear()

    def data(text: str) -> None:
        if builder:
            builder[0].data(text)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(block):
                parser.Parse(chunk, False)
                yield from done
                done.clear()
            parser.Parse(b"", True)
            yield from done
    except expat.ExpatError as exc:
        raise SourceError([(Location(path.name, exc.lineno),
                            f"XML mal formé / malformed XML: {exc}")]) from exc


def extras(*elements: Element | None) -> dict[str, str]:
    """cmq's own extras (``<extras info="cmq-lod"><extra info="…">``) of the elements."""
    out: dict[str, str] = {}
    for el in elements:
        if el is None:
            continue
        for box in el.findall(q("extras")):
            if box.get("info") == EXTRAS_INFO:
                for extra in box.findall(q("extra")):
                    if extra.get("info"):
                        out[extra.get("info", "")] = (extra.text or "").strip()
    return out


class Campus:
    """The campus's establishments and certifications, by id, UAI, SIRET and RNCP."""

    def __init__(self, project: Project) -> None:
        h, rows = read_campus_table(project.data_dir / "etablissements.csv")
        orgs = [dict(zip(h, r, strict=False)) for r in rows if not is_comment(r)]
        self.org_ids = {o.get("id", "") for o in orgs}
        self.by_uai = {o["uai"]: o["id"] for o in orgs if o.get("uai")}
        self.by_siret = {o["siret"]: o["id"] for o in orgs if o.get("siret")}
        h, rows = read_campus_table(project.data_dir / "certifications.csv")
        certs = [dict(zip(h, r, strict=False)) for r in rows if not is_comment(r)]
        self.cert_ids = {c.get("id", "") for c in certs}
        self.by_rncp = {c["rncp"]: c["id"] for c in certs if c.get("rncp")}

    def establishment(self, action: Element, formation: Element, hint: str) -> str:
        if hint in self.org_ids:
            return hint
        places = [action.find(q("organisme-formateur")), action.find(q("lieu-de-formation")),
                  formation.find(q("organisme-formation-responsable"))]
        uais = [codes.check_uai(u.text or "") for p in places if p is not None
                for u in p.iter(q("code-UAI")) if (u.text or "").strip()]
        sirets = [codes.check_siret(s.text or "") for p in places if p is not None
                  for s in p.iter(q("SIRET")) if (s.text or "").strip()]
        for uai in uais:
            if uai in self.by_uai:
                return self.by_uai[uai]
        for siret in sirets:
            if siret in self.by_siret:
                return self.by_siret[siret]
        raise Rejected(f"établissement inconnu du campus (UAI {', '.join(uais) or '-'}, SIRET "
                       f"{', '.join(sirets) or '-'}) : importez d'abord l'annuaire / establishment "
                       "not in etablissements.csv: import the Annuaire first")

    def certification(self, formation: Element, hint: str) -> str:
        if hint in self.cert_ids:
            return hint
        numbers = [codes.check_rncp(c.text or "") for c in formation.iter(q("code-RNCP"))
                   if (c.text or "").strip()]
        for rncp in numbers:
            if rncp in self.by_rncp:
                return self.by_rncp[rncp]
        raise Rejected(f"certification inconnue du campus (RNCP {', '.join(numbers) or '-'}) : "
                       "importez d'abord le RNCP / certification not in certifications.csv: "
                       "import the RNCP first")


def candidate(campus: Campus, formation: Element, action: Element, index: int,
              line: int) -> Candidate:
    """The formation row of one ``action``; :class:`Rejected` for a bad or unknown value."""
    own = extras(formation, action)
    numero = action.get("numero") or (
        f"{formation.get('numero')}-{index}" if formation.get("numero") else "")
    ident = own.get("formation") or numero
    if not ident:
        raise Rejected("ni numero ni identifiant de l'action / missing key (action numero)")
    if not _KEY.fullmatch(ident):
        ident = slugify(ident)
    level = text_of(formation, "code-niveau-sortie")
    if level and level not in LHEO_LEVELS:
        raise Rejected(f"niveau inconnu (code-niveau-sortie) / unknown level: {level!r}")
    routes = [r for r in own.get("voies", "").split(";") if r]
    if any(r not in ROUTES for r in routes):
        raise Rejected(f"voie inconnue / unknown route: {own['voies']!r}")
    routes = routes or routes_from_text(text_of(action, "modalites-alternance"))
    duration, places = own.get("duree", ""), own.get("places", "")
    if duration and not _ISO_DURATION.fullmatch(duration):
        raise Rejected(f"durée ISO 8601 invalide / invalid duration: {duration!r}")
    if places and not places.isdigit():
        raise Rejected(f"nombre de places invalide / invalid number of places: {places!r}")
    url = text_of(action, "url-action/urlweb") or text_of(formation, "url-formation/urlweb")
    values = {
        "intitule": text_of(formation, "intitule-formation"),
        "certification": campus.certification(formation, own.get("certification", "")),
        "etablissement": campus.establishment(action, formation, own.get("etablissement", "")),
        "voies": ";".join(routes),
        "duree": duration,
        "places": places,
        "site_web": codes.check_url(url) if url else "",
    }
    return Candidate(line, {"id": ident}, values, ident)


def _describe(formation: Element, action: Element) -> str:
    return (f"formation numero={formation.get('numero', '')} action numero="
            f"{action.get('numero', '')} intitule={text_of(formation, 'intitule-formation')!r}")


def import_lheo(project: Project, path: Path, options: ImportOptions | None = None
                ) -> ImportResult:
    """Merge the LHEO file ``path`` into the project's ``formations.csv``."""
    options = options or ImportOptions()
    campus = Campus(project)
    progress = options.progress_for(f"lheo {path.name}")
    with ImportRun(project, DATASET, options, [path], keys=("id",), provides=PROVIDES,
                   required=REQUIRED_NEW) as run:
        for formation, lines in iter_formations(path):
            for i, action in enumerate(formation.findall(q("action")), 1):
                run.result.read += 1
                line = lines.get(action, lines.get(formation, 0))
                try:
                    cand = candidate(campus, formation, action, i, line)
                except Rejected as exc:
                    run.reject(path.name, line, exc.reason, _describe(formation, action))
                    continue
                cand.cells = [_describe(formation, action)]
                run.offer(path.name, cand)
            if progress is not None and run.result.read % 1000 == 0:
                progress(run.result.read, None)
        if progress is not None:
            progress(run.result.read, 1.0)
    return run.result
