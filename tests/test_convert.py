"""``publisher.convert.tables``: tables → graph with stable IRIs; every malformed cell is reported, with
its file, row and column, and conversion goes on to report all of them."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import build_graph, copy_campus, set_cell
from rdflib import RDF, BNode, Graph, URIRef
from rdflib.namespace import SKOS

from publisher.convert.mapping import load_mapping
from publisher.convert.tables import Conversion, convert, read_table
from publisher.core.errors import Location, SourceError
from publisher.core.namespaces import CMQ, LOCN
from publisher.project.folder import Project

# ------------------------------------------------------------------ the shipped sources


def test_shipped_sources_convert_without_problems(shipped_conversion: Conversion) -> None:
    assert shipped_conversion.problems == []
    assert len(shipped_conversion.graph) > 500


def test_no_blank_nodes(shipped_graph: Graph) -> None:
    blank = [t for t in shipped_graph if any(isinstance(n, BNode) for n in t)]
    assert blank == []


def test_iris_are_derived_from_the_ids(shipped_project: Project, shipped_graph: Graph) -> None:
    base = shipped_project.config.base_iri
    mapping = load_mapping(shipped_project.mapping_path)
    for table in mapping.tables:
        for _line, row in read_table(shipped_project.data_dir / table.file):
            local = table.subject
            for var in re.findall(r"\{([^{}]+)\}", table.subject):
                local = local.replace("{" + var + "}", row[var])
            subject = URIRef(base + local)
            for t in table.types:
                assert (subject, RDF.type, URIRef(t)) in shipped_graph, (table.file, local)
    # sub-resources are hash IRIs of their record
    school = base + "organisation/lp-exemple-laon"
    for part, kind in (("adresse", LOCN.Address), ("position", None), ("contact", None)):
        assert (URIRef(f"{school}#{part}"), RDF.type, kind) in shipped_graph if kind else any(
            shipped_graph.predicate_objects(URIRef(f"{school}#{part}")))


def test_conversion_is_deterministic(shipped_project: Project, shipped_graph: Graph) -> None:
    again = convert(shipped_project).graph
    assert set(again) == set(shipped_graph)  # no blank nodes: the same triples, not just isomorphic


def test_every_subject_has_an_origin(shipped_conversion: Conversion) -> None:
    for s in set(shipped_conversion.graph.subjects()):
        assert shipped_conversion.locate(s) is not None, s


def test_locate_maps_records_sub_resources_and_campus_toml(
    shipped_conversion: Conversion, shipped_project: Project
) -> None:
    base = shipped_project.config.base_iri
    locate = shipped_conversion.locate
    assert locate(URIRef(base + "organisation/lp-exemple-laon#adresse"), LOCN.postCode) == (
        Location("etablissements.csv", 4, "code_postal"))
    assert locate(URIRef(base + "organisation/lp-exemple-laon"), CMQ.uai) == (
        Location("etablissements.csv", 4, "uai"))
    assert locate(URIRef(base + "adhesion/universite-fictive-etablissement-membre#periode"),
                  URIRef("http://www.w3.org/ns/dcat#endDate")) == Location("adhesions.csv", 13, "fin")
    campus = URIRef(shipped_project.config.campus_iri)
    assert locate(campus, CMQ.sector) == Location("campus.toml", None, "campus.secteurs")
    assert locate(URIRef(base + "territoire/santerre"), SKOS.prefLabel) == (
        Location("campus.toml", None, "territoires"))
    assert locate(URIRef(base + "nowhere")) is None


def test_a_utf8_bom_is_tolerated(campus_copy: Callable[[], Project], shipped_graph: Graph) -> None:
    project = campus_copy()
    path = project.data_dir / "etablissements.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    conv = convert(project)
    assert conv.problems == []
    assert set(conv.graph) == set(shipped_graph)


# ------------------------------------------------------------------ malformed sources


@dataclass(frozen=True)
class Bad:
    """A cell made malformed, and the problem expected on its row."""

    name: str
    file: str
    key: str
    column: str
    value: str
    message: str  # a fragment of the expected message
    #: the value the message names, when it is not the whole cell (an item of a list)
    named: str | None = None


BAD_CELLS = [
    Bad("date-impossible", "sources.csv", "seminaire-2014", "date", "2014-02-30", "date invalide"),
    Bad("date-day-first-impossible", "adhesions.csv", "lycee-condorcet", "debut", "31/02/2013",
        "DD/MM/YYYY"),
    Bad("boolean", "partenaires.csv", "innovaltech", "illustratif", "peut-être", "oui ou non"),
    Bad("integer-word", "formations.csv", "cap-plasturgie-cfa", "places", "douze", "entier"),
    Bad("integer-with-space", "chiffres.csv", "apprenants-2014", "valeur", "2 500",
        "integer expected"),
    Bad("duration", "formations.csv", "cap-conducteur-greta", "duree", "9 mois", "ISO 8601"),
    Bad("empty-key", "certifications.csv", "mc-soudage", "id", "", "identifiant vide"),
    Bad("key-with-capitals", "formations.csv", "mc-soudage-cfa", "id", "MC Soudage", "invalid key"),
    Bad("iri-without-scheme", "partenaires.csv", "federation-plasturgie", "site_web",
        "www.laplasturgie.fr", "invalid IRI"),
    # what the N-Triples/Turtle writers (pyoxigraph) cannot read back: refused at the cell
    Bad("iri-bad-percent-encoding", "etablissements.csv", "lycee-condorcet", "site_web",
        "http://example.org/%zz", "percent encoding"),
    Bad("iri-bad-host", "etablissements.csv", "lp-henry-potez", "site_web",
        "http://[::1/", "invalid IRI"),
    Bad("concept-code", "formations.csv", "bts-cprp-lgt-sq", "voies", "Voie scolaire",
        "voie-scolaire (voie scolaire)"),
    Bad("reference", "formations.csv", "bts-crci-greta", "etablissement", "GRETA de l'Aisne",
        "référence invalide"),
    Bad("concept-code-in-a-list", "formations.csv", "cap-plasturgie-lp-laon", "voies",
        "voie-scolaire;Apprentissage", "code inconnu", named="Apprentissage"),
]


@dataclass
class Broken:
    conversion: Conversion
    rows: dict[str, int]
    project: Project


def _append_line(path: Path, line: str) -> int:
    text = path.read_text("utf-8")
    path.write_text(text + line + "\n", "utf-8")
    return len(text.splitlines()) + 1


def _drop_column(path: Path, column: str) -> None:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    i = rows[0].index(column)
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([r[:i] + r[i + 1:] for r in rows])


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Broken:
    """One copy of the campus with every kind of malformed source at once."""
    project = copy_campus(tmp_path_factory.mktemp("broken-sources"))
    data = project.data_dir
    rows = {b.name: set_cell(project, b.file, b.key, b.column, b.value) for b in BAD_CELLS}
    # the same id twice
    first = (data / "chiffres.csv").read_text("utf-8").splitlines()[1]
    rows["duplicate"] = _append_line(data / "chiffres.csv", first)
    # an unquoted comma: one cell too many
    rows["extra-cell"] = _append_line(data / "sources.csv",
                                      "source-virgule,Titre, avec une virgule,Éditeur,2014,,")
    _drop_column(data / "partenariats.csv", "type")  # a column missing from the header
    (data / "chiffres-2015.csv").write_text("id,libelle\n", "utf-8")  # a table no mapping reads
    # a row pasted in Latin-1 into a UTF-8 file: neither reading is right, the file is refused
    rows["mixed-encoding"] = len((data / "partenaires.csv").read_text("utf-8").splitlines()) + 1
    with (data / "partenaires.csv").open("ab") as fh:
        fh.write("pasted,Société,entreprise,,,,Amiens,,,,,,,,non,\n".encode("latin-1"))
    # (partenaires.csv is unreadable now: its bad cells are not reported, the file is)
    return Broken(convert(project), rows, project)


def _problems(broken: Broken, file: str) -> list[tuple[Location, str]]:
    return [(loc, msg) for loc, msg in broken.conversion.problems if loc.file == file]


@pytest.mark.parametrize("bad", [b for b in BAD_CELLS if b.file != "partenaires.csv"],
                         ids=lambda b: b.name)
def test_a_malformed_cell_is_reported_on_its_row_and_column(broken: Broken, bad: Bad) -> None:
    row = broken.rows[bad.name]
    hits = [msg for loc, msg in _problems(broken, bad.file)
            if loc.row == row and loc.column == bad.column]
    assert len(hits) == 1, (bad, _problems(broken, bad.file))
    assert bad.message in hits[0]
    [loc] = [loc for loc, _m in _problems(broken, bad.file)
             if loc.row == row and loc.column == bad.column]
    assert loc.value == (bad.value or None), "the location carries the cell as typed"
    if bad.named is None:
        assert repr(bad.value) not in hits[0], "the report shows the cell: not said again"
    else:
        assert repr(bad.named) in hits[0] and repr(bad.value) not in hits[0], \
            "the message names the item at fault, the report shows the cell"


def test_a_duplicate_id_is_reported(broken: Broken) -> None:
    hits = [(loc, m) for loc, m in _problems(broken, "chiffres.csv")
            if loc.row == broken.rows["duplicate"]]
    assert len(hits) == 1 and "duplicate of row 2" in hits[0][1]


def test_extra_cells_are_reported(broken: Broken) -> None:
    hits = [m for loc, m in _problems(broken, "sources.csv") if loc.row == broken.rows["extra-cell"]]
    assert len(hits) == 1 and "separator in an unquoted cell" in hits[0]


def test_a_column_missing_from_the_header_is_reported(broken: Broken) -> None:
    assert _problems(broken, "partenariats.csv") == [
        (Location("partenariats.csv", 1, "type"),
         ("colonne « type » absente de l'en-tête : ajoutez-la (elle peut rester vide) / column "
         "'type' missing from the header: add it (it may stay empty)"))]


def test_an_unknown_table_file_is_reported(broken: Broken) -> None:
    [(loc, msg)] = _problems(broken, "chiffres-2015.csv")
    assert loc == Location("chiffres-2015.csv") and "unknown table" in msg


def test_a_row_in_another_encoding_is_reported_at_its_row(broken: Broken) -> None:
    [(loc, msg)] = _problems(broken, "partenaires.csv")
    assert loc == Location("partenaires.csv", broken.rows["mixed-encoding"])
    assert "encodages mélangés" in msg and "CSV UTF-8" in msg and "Traceback" not in msg


def test_every_problem_is_reported_not_just_the_first(broken: Broken) -> None:
    files = {loc.file for loc, _m in broken.conversion.problems}
    assert files == {"sources.csv", "adhesions.csv", "formations.csv", "chiffres.csv",
                     "certifications.csv", "partenariats.csv", "partenaires.csv",
                     "chiffres-2015.csv", "etablissements.csv"}
    assert len(broken.conversion.problems) == len(BAD_CELLS) - 2 + 5
    # the rest of the data is still converted
    assert len(broken.conversion.graph) > 400
    with pytest.raises(SourceError) as err:
        build_graph(broken.project)
    assert err.value.status == 422
    assert err.value.problems == broken.conversion.problems
    assert len(str(err.value).splitlines()) == len(broken.conversion.problems)
    assert "formations.csv, ligne/row" in str(err.value)


def test_a_missing_table_file_is_reported(campus_copy: Callable[[], Project]) -> None:
    project = campus_copy()
    (project.data_dir / "chiffres.csv").unlink()
    conv = convert(project)
    assert conv.problems == [(Location("chiffres.csv"), "fichier absent / file missing")]


def test_campus_toml_problems_are_all_reported(campus_copy: Callable[[], Project]) -> None:
    project = campus_copy()
    path = project.data_dir / "campus.toml"
    text = path.read_text("utf-8")
    text = re.sub(r'(?m)^nom = .*$', 'nom = ""', text, count=1)
    text = re.sub(r'(?m)^date_label = .*$', 'date_label = "2013-5"', text)
    text = re.sub(r'(?m)^base_iri = .*$', 'base_iri = "https://exemple.invalid/campus"', text)
    path.write_text(text, "utf-8")
    conv = convert(project)
    assert {loc.column for loc, _m in conv.problems} == {
        "campus.nom", "campus.date_label", "publication.base_iri"}
    assert all(loc.file == "campus.toml" for loc, _m in conv.problems)
    assert len(conv.graph) == 0
