"""Terms the catalogue uses: EU authority tables, file formats and kinds of release files.

Labels are the catalogue's own (fr, en); the codes are those of the EU Publications Office
authority tables (data-theme, file-type, language, country, frequency, access-right,
planned-availability), IANA media types and INSEE region codes. See
docs/decisions/0005-catalogue.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import Namespace, URIRef

from publisher.core.namespaces import SPDX
from publisher.release.model import FileEntry

EU = "http://publications.europa.eu/resource/authority/"
#: https: data.gouv.fr strips only this prefix to read the media type (http gives the whole IRI)
IANA = "https://www.iana.org/assignments/media-types/"
GZIP = "application/gzip"
SHA256 = SPDX.checksumAlgorithm_sha256
DCATAP = Namespace("http://data.europa.eu/r5r/")
SPARQL_PROTOCOL = URIRef("https://www.w3.org/TR/sparql11-protocol/")
#: W3C CSV on the Web metadata vocabulary (the standard csv-metadata.json conforms to)
CSVW_NS = "http://www.w3.org/ns/csvw"

#: Authority schemes used: IRI → (title fr, title en).
SCHEMES: dict[str, tuple[str, str]] = {
    "data-theme": ("Thèmes des données", "Data themes"),
    "language": ("Langues", "Languages"),
    "country": ("Pays", "Countries"),
    "file-type": ("Types de fichiers", "File types"),
    "frequency": ("Fréquences", "Frequencies"),
    "access-right": ("Droits d'accès", "Access rights"),
    "planned-availability": ("Disponibilités prévues", "Planned availabilities"),
}
LICENCE_TYPES = "http://purl.org/adms/licencetype/"

#: EU data themes (code → label fr, label en).
THEMES: dict[str, tuple[str, str]] = {
    "AGRI": ("Agriculture, pêche, sylviculture et alimentation",
             "Agriculture, fisheries, forestry and food"),
    "ECON": ("Économie et finances", "Economy and finance"),
    "EDUC": ("Éducation, culture et sport", "Education, culture and sport"),
    "ENER": ("Énergie", "Energy"),
    "ENVI": ("Environnement", "Environment"),
    "GOVE": ("Gouvernement et secteur public", "Government and public sector"),
    "HEAL": ("Santé", "Health"),
    "INTR": ("Questions internationales", "International issues"),
    "JUST": ("Justice, système juridique et sécurité publique",
             "Justice, legal system and public safety"),
    "REGI": ("Régions et villes", "Regions and cities"),
    "SOCI": ("Population et société", "Population and society"),
    "TECH": ("Science et technologie", "Science and technology"),
    "TRAN": ("Transports", "Transport"),
}

#: File extension → (IANA media type, EU file-type code, label).
FORMATS: dict[str, tuple[str, str, str]] = {
    "nt": ("application/n-triples", "RDF_N_TRIPLES", "N-Triples"),
    "ttl": ("text/turtle", "RDF_TURTLE", "Turtle"),
    "jsonld": ("application/ld+json", "JSON_LD", "JSON-LD"),
    "rdf": ("application/rdf+xml", "RDF_XML", "RDF/XML"),
    "nq": ("application/n-quads", "RDF_N_QUADS", "N-Quads"),
    "trig": ("application/trig", "RDF_TRIG", "TriG"),
    "json": ("application/json", "JSON", "JSON"),
    "html": ("text/html", "HTML", "HTML"),
    "csv": ("text/csv", "CSV", "CSV"),
    "gz": (GZIP, "GZIP", "gzip"),
}

#: Release file kind → (title fr, title en).
KINDS: dict[str, tuple[str, str]] = {
    "data": ("Données du campus", "Campus data"),
    "data-gz": ("Données du campus, compressées", "Campus data, compressed"),
    "table": ("Tableau du campus", "Campus table"),
    "table-metadata": ("Description CSVW des tableaux", "CSVW description of the tables"),
    "context": ("Contexte JSON-LD", "JSON-LD context"),
    "ontology": ("Ontologie CMQ", "CMQ ontology"),
    "shapes": ("Formes SHACL de validation", "SHACL validation shapes"),
    "void": ("Description VoID du jeu de données", "VoID description of the dataset"),
    "report": ("Rapport de validation", "Validation report"),
    "provenance": ("Provenance (PROV-O)", "Provenance (PROV-O)"),
    "changeset-added": ("Triplets ajoutés depuis la version précédente",
                        "Triples added since the previous version"),
    "changeset-removed": ("Triplets retirés depuis la version précédente",
                          "Triples removed since the previous version"),
}

#: INSEE region codes (COG) → name, for the label of the spatial coverage.
REGIONS: dict[str, str] = {
    "01": "Guadeloupe", "02": "Martinique", "03": "Guyane", "04": "La Réunion", "06": "Mayotte",
    "11": "Île-de-France", "24": "Centre-Val de Loire", "27": "Bourgogne-Franche-Comté",
    "28": "Normandie", "32": "Hauts-de-France", "44": "Grand Est", "52": "Pays de la Loire",
    "53": "Bretagne", "75": "Nouvelle-Aquitaine", "76": "Occitanie",
    "84": "Auvergne-Rhône-Alpes", "93": "Provence-Alpes-Côte d'Azur", "94": "Corse",
}

MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")

@dataclass(frozen=True)
class FileFormat:
    """How a release file is described: content media type and EU file type, and gzip or not."""

    media: str | None
    code: str | None
    label: str
    gzip: bool

    @property
    def title(self) -> str:
        return f"{self.label}, gzip" if self.gzip and self.code != "GZIP" else self.label


def file_format(entry: FileEntry) -> FileFormat:
    """Describe a release file from its name (and declared media type).

    A gzip file is described by its content (media type and format of the inner file) plus
    ``dcat:compressFormat`` (DCAT 3, "compressed distributions").
    """
    gz = entry.name.endswith(".gz")
    inner = entry.name[:-3] if gz else entry.name
    ext = inner.rsplit(".", 1)[-1].lower() if "." in inner else ""
    declared = entry.media_type.split(";", 1)[0].strip().lower()
    known = FORMATS.get(ext)
    if gz and (known is None or ext == "gz"):
        return FileFormat(GZIP, "GZIP", "gzip", False)
    if known is None:
        return FileFormat(declared if MEDIA_TYPE.match(declared) else None, None, ext or "?", gz)
    media, code, label = known
    if not gz and MEDIA_TYPE.match(declared):
        media = declared
    return FileFormat(media, code, label, gz)
