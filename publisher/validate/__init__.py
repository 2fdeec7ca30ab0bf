"""validate: the campus graph checked against the SHACL shapes, problems located in the sources.

Owns: shapes compiled to SPARQL and run on Oxigraph (``compiled``, ``checks``, ``shacl_report``),
the report mapped back to file/row/column (``validation``), which nodes a change can affect
(``locality``), and the optional reference engine, pyshacl (``reference``: tests only; nothing
else may import pyshacl, an import-linter contract says so).

May import: ``publisher.convert``, ``publisher.project``, ``publisher.core``.
"""
