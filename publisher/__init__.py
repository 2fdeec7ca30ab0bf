"""cmq-lod: linked-open-data publisher for Campus des métiers et des qualifications."""

__version__ = "0.1.0"
