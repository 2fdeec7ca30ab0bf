"""project: the campus project folder cmq acts on, and what ships with cmq.

Owns: the project folder and its files (``folder``), ``data/campus.toml`` (``config``), the files
shipped in the package (``shipped``: ontology, shapes, named queries, default mapping), version rules
(``versions``), the named SPARQL queries (``queries``) and the settings of ``cmq serve``
(``settings``, declared once with name, default and help).

May import: ``publisher.core``.
"""
