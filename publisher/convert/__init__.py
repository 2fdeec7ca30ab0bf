"""convert: the campus's tables → triples (canonical N-Triples lines with their origin).

Owns: the declarative mapping (``mapping``), one row → its lines (``rows``), the whole conversion
with file/row/column of every triple (``tables``), the campus itself from its config (``campus``),
the column documentation (``columns``, from ``columns.toml``).

May import: ``publisher.core``, ``publisher.project``.
"""
