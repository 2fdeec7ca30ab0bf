"""The web server of cmq (FastAPI on uvicorn): SPARQL endpoint, dumps, catalogue, pages.

Build the app with :func:`publisher.server.app.create_app`; nothing is started at import.
"""
