"""html: the HTML side shared by the release files and the server.

Owns: the one Jinja2 environment and the static files (``environment``, ``templates/``,
``static/``), and a resource's triples → the view model of its page (``render``: labels, links).

May import: ``publisher.core``. Never the release or the server, which both use it.
"""
