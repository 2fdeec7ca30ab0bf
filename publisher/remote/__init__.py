"""remote: remote SPARQL 1.1 stores — publishing releases into them and serving from them.

Modules (docs/decisions/0011-remote-stores.md, docs/deploy.md):

- ``store``    — :class:`RemoteStore`: endpoints from a dialect (``dialects``) or explicit URLs,
  credentials from the environment or a netrc-style file, never from the command line
  (``credentials``), HTTP errors mapped to the SPARQL engine's statuses (502/503/504);
- ``layout``   — where a release lives in the store: one named graph per release and per
  side file, and the small metadata graph ``{base}graph/meta`` naming the current release;
- ``publish``  — :func:`publish_release`: chunked Graph Store loading with retries and resume,
  count verification, atomic switch, pruning;
- ``engine``, ``dataset``, ``stream`` — answering queries from a store with the embedded engine's
  guarantees (time limit, row cap, read-only, the graphs a query may see, streamed bodies);
- ``serving``  — what ``cmq serve --store`` needs: the current release's folder and its engine.

May import: ``publisher.sparql``, ``publisher.release`` and below. Nothing here runs at import.
"""
