"""Remote SPARQL 1.1 stores: publishing releases into them and serving from them.

Modules (docs/decisions/0011-remote-stores.md, docs/deploy.md):

- ``remote``   — :class:`RemoteStore`: endpoints from a dialect (or explicit URLs), credentials
  from the environment or a netrc-style file (never from the command line), HTTP errors mapped to
  the SPARQL engine's statuses (502/503/504);
- ``layout``   — where a release lives in the store: one named graph per release and per
  side file, and the small metadata graph ``{base}graph/meta`` naming the current release;
- ``publish``  — :func:`publish_release`: chunked Graph Store loading with retries and resume,
  count verification, atomic switch, pruning;
- ``serving``  — what ``cmq serve --store`` needs: the current release's folder and its engine
  (:class:`publisher.remote.engine.RemoteEngine`).

Nothing here runs at import.
"""
