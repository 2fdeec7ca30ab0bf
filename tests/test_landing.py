"""The landing page's view model (publisher.server.landing) from a real VoID description."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from rdflib import RDF, Graph, URIRef

from publisher.core.namespaces import CMQ
from publisher.html.render import LABELS, Linker
from publisher.project.folder import Project
from publisher.release.metadata.void import build_void
from publisher.release.model import FileEntry, ReleaseInfo
from publisher.server.landing import class_counts, human_size, landing_view, void_dataset


@pytest.fixture(scope="module")
def info(shipped_project: Project, shipped_graph: Graph) -> ReleaseInfo:
    files = (FileEntry("campus.ttl", "text/turtle", 123_456, "0" * 64, "data"),
             FileEntry("void.ttl", "text/turtle", 900, "1" * 64, "void"))
    return ReleaseInfo("0123456789abcdef", datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
                       shipped_project.config, len(shipped_graph), "0.1.0", files)


def test_counts_and_classes_from_void(info: ReleaseInfo, shipped_graph: Graph,
                                      ontology_graph: Graph) -> None:
    void = build_void(shipped_graph, info)
    full = shipped_graph + ontology_graph
    context = Graph()
    for s in {o for o in void.objects() if isinstance(o, URIRef)} | {URIRef(
            info.config.campus_iri)}:
        for p in LABELS:
            for o in full.objects(s, p):
                context.add((s, p, o))
    view = landing_view(void, context, info, Linker(info.config.base_iri))
    assert view.triples == len(shipped_graph)
    subjects = {s for s in shipped_graph.subjects() if isinstance(s, URIRef)}
    assert view.entities == len(subjects)
    counts = dict(class_counts(void, void_dataset(void, info)))  # type: ignore[arg-type]
    expected = len(set(shipped_graph.subjects(RDF.type, CMQ.Campus)))
    assert counts[CMQ.Campus] == expected == 1
    assert view.classes_count == len(counts)
    numbers = [n for _, n in view.classes]
    assert numbers == sorted(numbers, reverse=True)
    campus_row = next(t for t, _ in view.classes if t.iri == str(CMQ.Campus))
    assert (campus_row.text, campus_row.href) == ("Campus des métiers et des qualifications",
                                                  "/ontology/Campus")
    assert view.campus is not None and view.campus.href == "/organisation/campus"
    assert view.release_id == "0123456789abcdef"
    assert [f.name for f in view.files] == ["campus.ttl", "void.ttl"]
    assert view.files[0].size == "120,6 kio"


def test_without_void_falls_back_to_the_manifest(info: ReleaseInfo) -> None:
    view = landing_view(Graph(), Graph(), info, Linker(info.config.base_iri))
    assert view.triples == info.triples
    assert view.entities is None and view.classes == () and view.campus is None


@pytest.mark.parametrize(("n", "text"), [(0, "0 o"), (1023, "1023 o"), (1536, "1,5 kio"),
                                         (5 * 1024 * 1024, "5,0 Mio")])
def test_human_size(n: int, text: str) -> None:
    assert human_size(n) == text
