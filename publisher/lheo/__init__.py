"""lheo: LHEO 2.3, the national XML format of training offers.

Owns: its structure and check (``schema``) and ``cmq export lheo`` (``export``); the importer is
``publisher.importers.lheo``.

May import: ``publisher.convert``, ``publisher.project``, ``publisher.core``.
"""
