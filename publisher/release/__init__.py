"""release: a validated, versioned, atomically published release folder.

Owns: the build (``build``: convert, validate, write, publish), the releases folder (``folder``:
current release, lock, atomic swap, pruning, name → folder), the release model and manifest
(``model``, ``manifest``), the incremental build cache (``cache``, ``incremental``), the changeset
(``changeset``), the data side of a build (``data``); ``dumps/`` (N-Triples, Turtle, JSON-LD, gzip,
chunked) and ``metadata/`` (DCAT-AP catalogue, VoID, provenance, the HTML validation report).

May import: ``publisher.ontology``, ``publisher.lheo``, ``publisher.validate``,
``publisher.convert``, ``publisher.html``, ``publisher.project``, ``publisher.core``.
Never the server, the CLI, remote stores or harvesting.
"""
