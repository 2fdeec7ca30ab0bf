"""French and English labels of the reused properties and classes (schema.org, W3C ORG, LOCN,
DCAT, Dublin Core…) for the record pages: "dispensée par" rather than ``schema:provider``,
"formation" rather than ``schema:EducationalOccupationalProgram``. Used by
:mod:`publisher.html.render` when the served graphs give the term no label of their own.
"""

from __future__ import annotations

SCHEMA = "https://schema.org/"
ORG = "http://www.w3.org/ns/org#"
LOCN = "http://www.w3.org/ns/locn#"
DCT = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"

#: property IRI -> (French, English)
PROPERTY_LABELS: dict[str, tuple[str, str]] = {
    SCHEMA + "provider": ("dispensée par", "provided by"),
    SCHEMA + "educationalCredentialAwarded": ("certification préparée", "credential awarded"),
    SCHEMA + "educationalProgramMode": ("voie de formation", "route"),
    SCHEMA + "timeToComplete": ("durée", "duration"),
    SCHEMA + "maximumEnrollment": ("places", "places"),
    SCHEMA + "educationalLevel": ("niveau", "level"),
    SCHEMA + "credentialCategory": ("type de certification", "certification kind"),
    SCHEMA + "url": ("page web", "web page"),
    SCHEMA + "contactPoint": ("point de contact", "contact point"),
    SCHEMA + "observationAbout": ("porte sur", "about"),
    SCHEMA + "observationDate": ("date d'observation", "observation date"),
    SCHEMA + "value": ("valeur", "value"),
    SCHEMA + "expires": ("fin d'enregistrement", "expires"),
    ORG + "member": ("membre", "member"),
    ORG + "organization": ("organisation", "organisation"),
    ORG + "role": ("rôle", "role"),
    ORG + "memberDuring": ("période d'adhésion", "member during"),
    ORG + "classification": ("nature", "kind"),
    ORG + "purpose": ("objet", "purpose"),
    ORG + "hasMembership": ("adhésion", "membership"),
    LOCN + "address": ("adresse", "address"),
    LOCN + "geometry": ("position", "position"),
    LOCN + "thoroughfare": ("voie", "street"),
    LOCN + "postCode": ("code postal", "postcode"),
    LOCN + "postName": ("commune", "municipality"),
    DCT + "source": ("source", "source"),
    DCT + "type": ("type", "type"),
    DCT + "temporal": ("période", "period"),
    DCT + "title": ("titre", "title"),
    DCT + "issued": ("date de publication", "issued"),
    DCT + "dateAccepted": ("date de décision", "date accepted"),
    DCAT + "startDate": ("début", "start"),
    DCAT + "endDate": ("fin", "end"),
    "http://xmlns.com/foaf/0.1/homepage": ("site web", "home page"),
    # classes (the type chips of the pages)
    SCHEMA + "EducationalOccupationalProgram": ("formation", "formation"),
    SCHEMA + "EducationalOccupationalCredential": ("certification", "credential"),
    SCHEMA + "EducationalOrganization": ("organisme d'enseignement", "educational organisation"),
    SCHEMA + "Observation": ("observation", "observation"),
    ORG + "Membership": ("adhésion", "membership"),
    ORG + "Organization": ("organisation", "organisation"),
    ORG + "FormalOrganization": ("organisation formelle", "formal organisation"),
    ORG + "OrganizationalCollaboration": ("collaboration entre organisations", "collaboration"),
    LOCN + "Address": ("adresse", "address"),
    DCT + "PeriodOfTime": ("période", "period of time"),
    DCT + "BibliographicResource": ("source", "bibliographic resource"),
    "http://www.w3.org/2000/01/rdf-schema#seeAlso": ("voir aussi", "see also"),
    "http://www.w3.org/2002/07/owl#sameAs": ("même entité que", "same as"),
}


def property_label(iri: str) -> str | None:
    """The French label of a reused property or class, ``None`` when none is known."""
    found = PROPERTY_LABELS.get(iri)
    return found[0] if found is not None else None
