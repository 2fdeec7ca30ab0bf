"""scaffold: ``cmq init``, a new campus project that reaches a first valid release.

Owns: the project skeleton (``init``) and its templates (``templates/``: config, guide, test).

May import: ``publisher.convert``, ``publisher.project``, ``publisher.core``.
"""
