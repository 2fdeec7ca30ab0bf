"""release.dumps: deterministic data dumps (docs/decisions/0004-deterministic-dumps.md).

Owns: sorted N-Triples, Turtle, streamed compacted JSON-LD and gzip (``formats``, ``jsonld``), and
the chunked writer that reuses the unchanged chunks of the previous release (``chunks``).
"""
