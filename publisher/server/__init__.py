"""server: the web server of cmq (FastAPI on uvicorn): SPARQL endpoint, files, catalogue, pages.

Owns: the app and its lifespan (``app``), the release being served (``state``), one module per
kind of view (``endpoint``: /sparql; ``files``: dumps and release files; ``pages``: resource pages,
landing, ontology, query page; ``ontology_doc``, ``landing``, ``describe``, ``jsonld_schema``) and
the one exception handler (``errors``). Build the app with :func:`publisher.server.app.create_app`;
nothing is started at import, and importing it loads neither the release builder nor pyshacl.

May import: ``publisher.remote``, ``publisher.release``, ``publisher.sparql``, ``publisher.html``,
``publisher.ontology`` and below; never ``publisher.cli``.
"""
