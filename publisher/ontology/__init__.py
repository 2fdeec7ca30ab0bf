"""ontology: the vocabulary as documentation and as a versioned contract.

Owns: the HTML documentation generated from the ontology and the shapes (``docs``), the class
diagram (``diagram``) and the versioning check behind ``cmq ontology-check`` (``versioning``).

May import: ``publisher.html``, ``publisher.project``, ``publisher.core``.
"""
