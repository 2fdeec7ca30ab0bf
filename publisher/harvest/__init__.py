"""harvest: other campuses' published catalogues → one national release (``cmq harvest``).

Owns: careful HTTP downloads (``fetch``), reading a harvested DCAT catalogue (``source``), the run
(``run``) and the national release with one named graph per campus (``release``).

May import: ``publisher.release`` and everything below it.
"""
