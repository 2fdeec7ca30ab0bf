"""cli: ``cmq``, the command line, a thin layer over the library (one module per group of commands).

May import: everything; nothing imports it.
"""
