"""The reference SHACL engine: pyshacl, an optional extra (``pip install 'cmq-lod[reference]'``).

Contract: nothing in a build or on the server imports this module (an import-linter contract says
so); the tests use it to cross-check the compiled engine (docs/decisions/0008-validation-engine.md)
through :data:`ENGINES`. Without pyshacl installed, :func:`pyshacl_report` raises
:class:`ReferenceEngineMissing` with the command that installs it.
"""

from __future__ import annotations

from collections.abc import Callable

from rdflib import Graph

from publisher.convert.tables import Conversion
from publisher.core.errors import CmqError
from publisher.validate.validation import Report, shacl_problems, validate_graph

#: A validation engine: (data, shapes, ontology, conversion) → report.
Engine = Callable[[Graph, Graph, Graph, "Conversion | None"], Report]


class ReferenceEngineMissing(CmqError):
    """pyshacl is not installed."""


def pyshacl_report(data: Graph, shapes: Graph) -> Graph:
    """pyshacl's validation report graph of ``data`` (SHACL Core + SHACL-SPARQL, no inference)."""
    try:
        from pyshacl import validate as shacl_validate
    except ImportError as exc:
        raise ReferenceEngineMissing(
            "moteur de référence absent : pip install 'cmq-lod[reference]' / reference engine "
            "missing: pip install 'cmq-lod[reference]'") from exc
    _conforms, report_graph, _text = shacl_validate(
        data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True)
    assert isinstance(report_graph, Graph)
    return report_graph


def validate_with_pyshacl(data: Graph, shapes: Graph) -> Report:
    """The problems pyshacl finds in ``data`` (no conversion: no file/row/column locations)."""
    report_graph = pyshacl_report(data, shapes)
    return Report(shacl_problems(report_graph, None), report_graph)


def validate_graph_pyshacl(data: Graph, shapes: Graph, ontology: Graph,
                           conv: Conversion | None = None) -> Report:
    """:func:`~publisher.validate.validation.validate_graph`, done by pyshacl."""
    # The concept schemes are needed for sh:node/sh:class checks: validate the union, but only
    # the data's own nodes are targets (the ontology has no instances of the targeted classes).
    report_graph = pyshacl_report(data + ontology, shapes)
    return Report(shacl_problems(report_graph, conv), report_graph)


#: The engines cross-checked by the tests: the compiled one (the default) and pyshacl.
ENGINES: dict[str, Engine] = {"oxigraph": validate_graph, "pyshacl": validate_graph_pyshacl}
