"""The ontology's page on the server (``/ontology`` for browsers): the documentation generator of
:mod:`publisher.ontology.docs` — the one that writes each release's ``ontology.html`` — fed from
the served release: the ontology's named graph (through the engine), the release's
``shapes.ttl`` (for the diagram) and one example per class (a CONSTRUCT sent to the engine).
Links go to this server's pages (:class:`~publisher.html.render.Linker`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from rdflib import Graph

from publisher.html.render import Linker
from publisher.ontology.diagram import relations
from publisher.ontology.docs import OntologyView, build_view, example_classes, examples_query
from publisher.release.model import SHAPES_TTL
from publisher.server import describe


def render_ontology(g: Graph, linker: Linker, *, shapes: Graph | None = None,
                    data: Graph | None = None) -> OntologyView:
    """The documentation view of the ontology graph ``g`` with this server's links."""
    return build_view(g, shapes=shapes, data=data, linker=linker)


@lru_cache(maxsize=4)
def release_shapes(path: Path) -> Graph | None:
    """A release's ``shapes.ttl`` parsed once (release files never change), or ``None``."""
    return Graph().parse(path, format="turtle") if path.is_file() else None


async def ontology_view(engine: describe.Engine, graph: Graph, release_dir: Path,
                        linker: Linker) -> OntologyView:
    """The ``/ontology`` page's view: diagram from the release's shapes, examples from the store."""
    shapes = release_shapes(release_dir / SHAPES_TTL)
    classes = example_classes(graph, relations(graph, shapes))
    found = await describe.construct(engine, examples_query(classes)) if classes else None
    return render_ontology(graph, linker, shapes=shapes,
                           data=found.graph() if found is not None else None)
