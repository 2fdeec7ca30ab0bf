"""core: what every stage shares and nothing of cmq depends on.

Owns: the exception tree with HTTP statuses (``errors``), the namespaces as rdflib
``DefinedNamespace`` (``namespaces``), the national identifier checks (``identifiers``), the one
N-Triples writer and reader (``ntriples``), durable file writing and hashing (``files``), graph
loading and copying into Oxigraph (``graphs``).

May import: the standard library, rdflib, pyoxigraph. Nothing of ``publisher``.
"""
