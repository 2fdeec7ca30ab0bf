"""Ontology versioning (publisher.ontology.versioning, ``cmq ontology-check``): the shipped ontology
passes against its last released term list (so CI fails on an unannounced breaking change), and
removed, renamed or re-kinded terms, backward versions, wrong version IRIs and a missing changelog
section are flagged."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO
from rdflib import OWL, RDF, Graph, Literal, URIRef

from publisher.cli.main import main
from publisher.core.namespaces import CMQ, CMQ_NS, ONTOLOGY_IRI
from publisher.ontology.versioning import (
    TERMS_FOLDER,
    check_ontology,
    load_ontology,
    read_terms_file,
    record_terms,
    terms_of,
)

ONT = URIRef(ONTOLOGY_IRI)


@pytest.fixture(scope="module")
def shipped() -> Graph:
    return load_ontology(REPO / "ontology")


def write_variant(dest: Path, g: Graph, version: str | None = None,
                  changelog: str | None = None) -> Path:
    """An ontology folder with ``g`` (one file), the shipped term lists and changelog."""
    folder = dest / "ontology"
    folder.mkdir(parents=True)
    shutil.copytree(REPO / "ontology" / TERMS_FOLDER, folder / TERMS_FOLDER)
    text = (REPO / "ontology" / "CHANGELOG.md").read_text("utf-8")
    g = Graph() + g
    if version is not None:
        g.set((ONT, OWL.versionInfo, Literal(version)))
        g.set((ONT, OWL.versionIRI, URIRef(CMQ_NS + version)))
        text += f"\n## {version} — test\n\n- changes.\n"
    (folder / "CHANGELOG.md").write_text(changelog if changelog is not None else text, "utf-8")
    g.serialize(folder / "all.ttl", format="turtle")
    return folder


def without(g: Graph, term: URIRef) -> Graph:
    out = Graph() + g
    out.remove((term, None, None))
    return out


def renamed(g: Graph, old: URIRef, new: URIRef) -> Graph:
    out = Graph()
    for s, p, o in g:
        out.add((new if s == old else s, new if p == old else p, new if o == old else o))
    return out


def test_the_shipped_ontology_has_no_unannounced_breaking_change() -> None:
    check = check_ontology(REPO / "ontology")
    assert check.ok, check.text()
    assert check.removed == [] and check.changed_kind == []
    assert check.baseline.version == check.current.version or check.current.version is not None


def test_the_recorded_term_list_matches_the_terms_of_its_version(shipped: Graph) -> None:
    current = terms_of(shipped)
    recorded = read_terms_file(REPO / "ontology" / TERMS_FOLDER / f"{current.version}.txt")
    assert recorded.version == current.version
    assert set(recorded.terms) <= set(current.terms)
    assert recorded.terms["https://w3id.org/cmq/ontology/Campus"] == "class"
    assert recorded.terms[CMQ_NS + "route/apprentissage"] == "concept"


def test_a_removed_term_is_flagged_without_a_major_bump(tmp_path: Path, shipped: Graph) -> None:
    folder = write_variant(tmp_path, without(shipped, CMQ.party))
    check = check_ontology(folder)
    assert not check.ok
    assert check.removed == [str(CMQ.party)]
    assert any("breaking" in e for e in check.errors), check.errors


def test_a_removed_concept_is_flagged(tmp_path: Path, shipped: Graph) -> None:
    concept = URIRef(CMQ_NS + "route/formation-continue")
    check = check_ontology(write_variant(tmp_path, without(shipped, concept)))
    assert check.removed == [str(concept)] and not check.ok


def test_a_breaking_change_passes_with_the_next_breaking_version(tmp_path: Path,
                                                                 shipped: Graph) -> None:
    check = check_ontology(write_variant(tmp_path, without(shipped, CMQ.party), "0.4.0"))
    assert check.ok, check.text()
    assert check.removed == [str(CMQ.party)]


def test_a_minor_bump_is_not_enough_after_1_0(tmp_path: Path, shipped: Graph) -> None:
    g = without(shipped, CMQ.party)
    folder = write_variant(tmp_path, g, "1.0.0")
    record_terms(folder)  # 1.0.0 released with cmq:party gone …
    g2 = without(load_ontology(folder), CMQ.pilot)
    folder2 = write_variant(tmp_path / "next", g2, "1.1.0")
    shutil.copy(folder / TERMS_FOLDER / "1.0.0.txt", folder2 / TERMS_FOLDER / "1.0.0.txt")
    check = check_ontology(folder2)  # … then cmq:pilot removed in a minor version
    assert check.baseline.version == "1.0.0"
    assert check.removed == [str(CMQ.pilot)] and not check.ok


def test_a_renamed_term_is_flagged_and_reported_as_a_rename(tmp_path: Path,
                                                            shipped: Graph) -> None:
    new = URIRef(CMQ_NS + "partyOf")
    folder = write_variant(tmp_path, renamed(shipped, CMQ.party, new))
    check = check_ontology(folder, str(REPO / "ontology"))  # a .ttl baseline has labels
    assert check.removed == [str(CMQ.party)] and check.added == [str(new)]
    assert check.renamed == [(str(CMQ.party), str(new))]
    assert not check.ok


def test_a_term_changing_kind_is_breaking(tmp_path: Path, shipped: Graph) -> None:
    g = Graph() + shipped
    g.remove((CMQ.party, RDF.type, OWL.ObjectProperty))
    g.add((CMQ.party, RDF.type, OWL.DatatypeProperty))
    check = check_ontology(write_variant(tmp_path, g))
    assert check.changed_kind == [str(CMQ.party)] and not check.ok


def test_an_added_term_is_only_a_warning(tmp_path: Path, shipped: Graph) -> None:
    g = Graph() + shipped
    g.add((CMQ_NS_TERM, RDF.type, OWL.Class))
    g.add((CMQ_NS_TERM, URIRef("http://www.w3.org/2000/01/rdf-schema#isDefinedBy"), ONT))
    check = check_ontology(write_variant(tmp_path / "a", g))
    # the shipped ontology may itself hold additions not released yet (CHANGELOG "unreleased")
    unreleased = check_ontology(write_variant(tmp_path / "b", shipped)).added
    assert check.ok and check.added == sorted([*unreleased, str(CMQ_NS_TERM)])
    assert check.warnings, "terms added under a released version number"


CMQ_NS_TERM = URIRef(CMQ_NS + "NewThing")


def test_versions_and_changelog_are_checked(tmp_path: Path, shipped: Graph) -> None:
    back = check_ontology(write_variant(tmp_path / "a", shipped, "0.0.9"))
    assert any("backwards" in e for e in back.errors)
    g = Graph() + shipped
    g.set((ONT, OWL.versionIRI, URIRef(CMQ_NS + "9.9.9")))
    wrong_iri = check_ontology(write_variant(tmp_path / "b", g))
    assert any("owl:versionIRI" in e for e in wrong_iri.errors)
    no_section = check_ontology(write_variant(tmp_path / "c", shipped, "0.3.1", changelog="# x\n"))
    assert any("CHANGELOG" in e for e in no_section.errors)


def test_against_a_git_revision(tmp_path: Path) -> None:
    if shutil.which("git") is None or subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True,
            check=False).returncode:
        pytest.skip("not a git checkout")
    check = check_ontology(REPO / "ontology", "HEAD")
    assert check.baseline.source == "git HEAD"
    assert check.baseline.terms and check.removed == [], check.text()


def test_the_command(tmp_path: Path, shipped: Graph, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ontology-check"]) == 0
    folder = write_variant(tmp_path, without(shipped, CMQ.party))
    assert main(["ontology-check", "--ontology", str(folder)]) == 1
    assert "party" in capsys.readouterr().out
    assert main(["ontology-check", "--ontology", str(folder), "--against", "no-such-rev"]) == 2
    assert main(["ontology-check", "--ontology", str(folder), "--record"]) == 0
    assert main(["ontology-check", "--ontology", str(folder), "--json"]) == 0  # recorded now
