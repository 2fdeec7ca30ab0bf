"""LHEO 2.3: ``cmq export lheo`` (structure, round trip) and ``cmq import lheo``."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from conftest import copy_campus, set_cell
from importer_helpers import BASE, NATIONAL, converted, line_of, record_graph, rejects, table
from rdflib import Graph, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from publisher.core.errors import SourceError
from publisher.core.namespaces import CMQ
from publisher.importers import ImportOptions, import_lheo
from publisher.importers.lheo import iter_formations
from publisher.lheo.export import build_lheo, duration_text, export_lheo
from publisher.lheo.schema import NS, check_structure, q
from publisher.project.folder import Project

DCT_SOURCE = URIRef("http://purl.org/dc/terms/source")
FEED = NATIONAL / "offre-lheo.xml"


@pytest.fixture(scope="module")
def campus(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The shipped campus with national identifiers the LHEO fixture refers to."""
    project = copy_campus(tmp_path_factory.mktemp("lheo"))
    set_cell(project, "certifications.csv", "cap-plasturgie", "rncp", "RNCP99901")
    set_cell(project, "etablissements.csv", "lp-exemple-laon", "siret", "99990001100019")
    return project


@pytest.fixture(scope="module")
def exported(campus: Project, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "offre.xml"
    export_lheo(campus, out)
    return out


def test_the_export_has_the_documented_structure(exported: Path, campus: Project) -> None:
    root = ET.parse(exported).getroot()
    assert root.tag == f"{{{NS}}}lheo"
    assert check_structure(root) == []
    formations = root.findall(f"{q('offres')}/{q('formation')}")
    assert len(formations) == len(table(campus, "formations.csv"))
    first = formations[0]
    assert first.get("numero") == "cap-plasturgie-lp-laon"
    assert first.findtext(f"{q('certification')}/{q('code-RNCP')}") == "99901"
    action = first.find(q("action"))
    assert action is not None and action.find(q("session")) is not None
    former = action.find(q("organisme-formateur"))
    assert former is not None
    assert former.findtext(f"{q('SIRET-formateur')}/{q('SIRET')}") == "99990001100019"
    assert former.findtext(f".//{q('code-UAI')}") == "0029901B"
    assert [c.text for c in first.iter(q("code-ROME"))] == ["H3201"]


def test_the_export_is_the_same_from_a_build_to_the_next(campus: Project) -> None:
    assert export_lheo(campus)[0] == export_lheo(campus)[0]


def _formations(graph: Graph) -> Graph:
    """The formations' triples, without provenance (a round trip re-sources them)."""
    out = Graph()
    for s in set(graph.subjects()):
        if str(s).startswith(BASE + "formation/"):
            for t in record_graph(graph, str(s)):
                if t[1] not in (DCT_SOURCE, CMQ.illustrative):
                    out.add(t)
    return out


def test_round_trip_gives_back_the_same_formations(
    campus: Project, exported: Path, tmp_path: Path
) -> None:
    copy = copy_campus(tmp_path / "c")
    for name in ("certifications.csv", "etablissements.csv"):
        (copy.data_dir / name).write_bytes((campus.data_dir / name).read_bytes())
    path = copy.data_dir / "formations.csv"
    path.write_text(path.read_text("utf-8").splitlines()[0] + "\n", "utf-8")  # header only
    r = import_lheo(copy, exported, ImportOptions(date="2026-01-20"))
    assert (r.imported, r.rejected) == (len(table(campus, "formations.csv")), 0)
    before, after = _formations(converted(campus)), _formations(converted(copy))
    if not isomorphic(before, after):
        _, a, b = graph_diff(to_isomorphic(before), to_isomorphic(after))
        pytest.fail(f"only before:\n{a.serialize(format='nt')}\nonly after:\n"
                    f"{b.serialize(format='nt')}")
    assert list(table(copy, "formations.csv")) == list(table(campus, "formations.csv"))
    again = import_lheo(copy, exported, ImportOptions(date="2026-01-20"))
    assert (again.imported, again.merged, again.changed) == (0, r.imported, 0)


def test_import_of_a_feed(campus: Project, tmp_path: Path) -> None:
    project = copy_campus(tmp_path / "c")
    for name in ("certifications.csv", "etablissements.csv"):
        (project.data_dir / name).write_bytes((campus.data_dir / name).read_bytes())
    r = import_lheo(project, FEED, ImportOptions(date="2026-01-20", publisher="Carif fictif"))
    assert (r.read, r.imported, r.merged, r.rejected) == (6, 2, 0, 4)
    rows = table(project, "formations.csv")
    apprentice = rows["ac-99901-1"]
    assert (apprentice["certification"], apprentice["etablissement"], apprentice["voies"]) == (
        "cap-plasturgie", "lp-exemple-laon", "apprentissage")
    assert apprentice["site_web"] == "https://carif.invalid/formation/AF_99901"
    assert apprentice["intitule"] == "CAP Plasturgie en apprentissage (fictif)"
    adults = rows["ac-99904-1"]
    assert (adults["etablissement"], adults["voies"]) == ("lpo-fictif-chauny", "formation-continue")
    assert table(project, "sources.csv")[r.source_id]["editeur"] == "Carif fictif"
    got = {(x["ligne"], x["motif"].split(" / ")[-1][:40]) for x in rejects(r.rejects_path)}
    assert {line for line, _ in got} == {
        str(line_of(FEED, f'action numero="{n}"'))
        for n in ("AC_99901_2", "AC_99901_3", "AC_99902_1", "AC_99903_1")}
    reasons = " | ".join(x["motif"] for x in rejects(r.rejects_path))
    assert "import the Annuaire first" in reasons and "0599902T" in reasons
    assert "malformed SIRET" in reasons and "import the RNCP first" in reasons
    assert "unknown level: '12'" in reasons
    from publisher.validate.validation import validate_project

    _, report = validate_project(project)
    assert report.conforms, report.text()


def test_the_stream_gives_each_formation_with_its_lines() -> None:
    found = [(f.get("numero"), lines[f]) for f, lines in iter_formations(FEED, block=64)]
    assert found == [(n, line_of(FEED, f'formation numero="{n}"'))
                     for n in ("AF_99901", "AF_99902", "AF_99903", "AF_99904")]


def test_not_lheo_or_malformed_xml_is_a_source_error(tmp_path: Path) -> None:
    other = tmp_path / "other.xml"
    other.write_text('<?xml version="1.0"?>\n<offres xmlns="http://lheo.gouv.fr/2.2"/>\n')
    with pytest.raises(SourceError, match="lheo"):
        list(iter_formations(other))
    broken = tmp_path / "broken.xml"
    broken.write_text(f'<lheo xmlns="{NS}">\n<offres>\n<formation>\n</offres>\n')
    with pytest.raises(SourceError) as info:
        list(iter_formations(broken))
    assert info.value.problems[0][0].row == 4


@pytest.mark.parametrize(("xpath", "edit", "expected"), [
    ("offres/formation/intitule-formation", "remove", "<intitule-formation> requis"),
    ("offres/formation/action/session", "remove", "<session> requis"),
    ("offres/formation/certification/code-RNCP", "RNCP99901", "code-RNCP en chiffres"),
    ("offres/formation/code-niveau-sortie", "9", "code-niveau-sortie inconnu"),
    ("offres/formation/action/session/periode/debut", "2026-09-01", "periode/debut AAAAMMJJ"),
    ("offres/formation/action/organisme-formateur/SIRET-formateur/SIRET", "99990001100018",
     "SIRET invalide"),
])
def test_the_structure_check_finds_each_fault(campus: Project, xpath: str, edit: str,
                                              expected: str) -> None:
    root = build_lheo(campus)
    path = "/".join(q(p) for p in xpath.split("/"))
    el = root.find(path)
    assert el is not None, xpath
    if edit == "remove":
        parent = root.find("/".join(q(p) for p in xpath.split("/")[:-1]))
        assert parent is not None
        parent.remove(el)
    else:
        el.text = edit
    problems = check_structure(root)
    assert any(expected in p for p in problems), problems


def test_domain_codes_are_limited_and_order_is_checked(campus: Project) -> None:
    root = build_lheo(campus)
    formation = root.find(f"{q('offres')}/{q('formation')}")
    assert formation is not None
    domain = formation.find(q("domaine-formation"))
    assert domain is not None
    for _ in range(4):
        ET.SubElement(domain, q("code-NSF")).text = "225"
    title = formation.find(q("intitule-formation"))
    assert title is not None
    formation.remove(title)
    formation.append(title)
    problems = check_structure(root)
    assert any("plus de 3 <code-NSF>" in p for p in problems), problems
    assert any("<intitule-formation> hors de l'ordre" in p for p in problems), problems


def test_duration_text() -> None:
    assert [duration_text(d) for d in ("P2Y", "P1Y", "P9M", "P1Y6M", "", "2 ans")] == [
        "2 ans", "1 an", "9 mois", "1 an 6 mois", "", ""]
