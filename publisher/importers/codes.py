"""Checks and normalisations of national values, shared by the importers.

Each ``check_*`` returns the value in the campus tables' form, or raises
:class:`~publisher.importers.merge.Rejected` with a bilingual reason naming the bad value; an
empty input gives ``""`` (the national file does not provide it). The rule is that an importer
never writes a value the shapes would reject: such a row goes to the rejected-rows file instead.
"""

from __future__ import annotations

import re
import unicodedata

from publisher.core.identifiers import (
    is_valid_cfd,
    is_valid_insee_commune,
    is_valid_nsf,
    is_valid_rncp,
    is_valid_rome,
    is_valid_siren,
    is_valid_siret,
    is_valid_uai,
    uai_check_letter,
)
from publisher.importers.merge import Rejected

_URL = re.compile(r"https?://[^\s<>\"{}|\\^`]+")
_DATE_ISO = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DATE_FR = re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{4})")
_LAT = re.compile(r"-?[0-9]{1,2}(\.[0-9]+)?")
_LON = re.compile(r"-?[0-9]{1,3}(\.[0-9]+)?")
_DEPARTEMENT = re.compile(r"0[1-9]|[1-8][0-9]|9[0-5]|2[AB]|97[1-6]")
_FORMACODE = re.compile(r"[0-9]{5}")
_LEVEL = re.compile(r"(?:^|[^0-9])([1-8])(?:[^0-9]|$)")

#: Kinds of certification (cmq:type-certification) from the abbreviations and labels of the
#: national files (ONISEP ``sigle_type_formation``/``libelle_type_formation``, RNCP
#: ``Abrege_Libelle``/``Abrege_Intitule``); matched on upper-case text without accents.
CERTIFICATION_KINDS: tuple[tuple[str, str], ...] = (
    (r"^CAP(A)?$|CERTIFICAT D.APTITUDE PROFESSIONNELLE", "cap"),
    (r"^BAC ?PRO|^BACPRO$|BACCALAUREAT PROFESSIONNEL", "bac-pro"),
    (r"^BP(A)?$|BREVET PROFESSIONNEL", "bp"),
    (r"^MC ?[0-9]?$|MENTION COMPLEMENTAIRE", "mc"),
    (r"^BTS(A)?$|BREVET DE TECHNICIEN SUPERIEUR", "bts"),
    (r"^BUT$|BACHELOR UNIVERSITAIRE DE TECHNOLOGIE", "but"),
    (r"^LP$|^LIC(ENCE)? ?PRO|LICENCE PROFESSIONNELLE", "licence-pro"),
    (r"^MASTER|^DIPLOME NATIONAL DE MASTER", "master"),
    (r"^(DI|ING(ENIEUR)?)$|DIPLOME D.INGENIEUR|TITRE D.INGENIEUR", "ingenieur"),
    (r"^TP$|TITRE PROFESSIONNEL", "titre-pro"),
    (r"^CQP|CERTIFICAT DE QUALIFICATION PROFESSIONNELLE", "cqp"),
)

#: The flags (0/1) of the Annuaire de l'éducation and the cmq:offre concept each one gives.
OFFER_FLAGS: tuple[tuple[str, str], ...] = (
    ("voie_generale", "voie-generale"), ("voie_technologique", "voie-technologique"),
    ("voie_professionnelle", "voie-professionnelle"), ("apprentissage", "apprentissage"),
    ("post_bac", "post-bac"), ("greta", "greta"), ("lycee_des_metiers", "lycee-des-metiers"),
)


def plain(text: str) -> str:
    """Upper case, no accents, single spaces (for matching labels)."""
    t = unicodedata.normalize("NFKD", text)
    t = "".join(c for c in t if not unicodedata.combining(c)).upper()
    return re.sub(r"\s+", " ", t.replace("’", "'")).strip()


def check_uai(value: str) -> str:
    v = value.strip().upper()
    if not v:
        return ""
    if not is_valid_uai(v):
        expected = ""
        if re.fullmatch(r"[0-9]{7}[A-Z]", v):
            expected = f" (lettre attendue / expected letter {uai_check_letter(v[:7])})"
        raise Rejected(f"UAI invalide / invalid UAI: {value!r}{expected}")
    return v


def check_siren_siret(value: str) -> tuple[str, str]:
    """(siret, siren) from a cell holding either (spaces ignored)."""
    v = re.sub(r"\s+", "", value)
    if not v:
        return "", ""
    if len(v) == 14 and is_valid_siret(v):
        return v, ""
    if len(v) == 9 and is_valid_siren(v):
        return "", v
    raise Rejected(f"SIRET/SIREN malformé (14 ou 9 chiffres, clé de Luhn) / malformed "
                   f"SIRET/SIREN (14 or 9 digits, Luhn key): {value!r}")


def check_siret(value: str) -> str:
    v = re.sub(r"\s+", "", value)
    if v and not is_valid_siret(v):
        raise Rejected(f"SIRET malformé (14 chiffres, clé de Luhn) / malformed SIRET: {value!r}")
    return v


def check_rncp(value: str) -> str:
    """``RNCP37537`` from ``RNCP37537``, ``rncp 37537`` or ``37537``."""
    v = re.sub(r"\s+", "", value).upper()
    if not v:
        return ""
    if v.isdigit():
        v = "RNCP" + v
    if not is_valid_rncp(v):
        raise Rejected(f"numéro RNCP invalide / invalid RNCP number: {value!r}")
    return v


def check_cfd(value: str) -> str:
    v = value.strip().upper()
    if v and not is_valid_cfd(v):
        raise Rejected(f"code CFD invalide / invalid CFD code: {value!r}")
    return v


def _is_formacode(code: str) -> bool:
    return _FORMACODE.fullmatch(code) is not None


def check_codes(value: str, what: str, valid: str) -> str:
    """A list of NSF, ROME or Formacode codes (separated by ``;``, ``,`` or ``|``) → ``a;b``."""
    codes: list[str] = []
    for part in re.split(r"[;,|]", value):
        code = part.strip()
        if not code:
            continue
        if valid == "nsf":
            m = re.match(r"([0-9]{2,3}[a-zA-Z]?)\b", code)  # "225 : Plasturgie…" → 225
            code = m.group(1).lower() if m else code
        ok = {"nsf": is_valid_nsf, "rome": is_valid_rome, "formacode": _is_formacode}[valid](code)
        if not ok:
            raise Rejected(f"code {what} invalide / invalid {what} code: {part.strip()!r}")
        if code not in codes:
            codes.append(code)
    return ";".join(codes)


def check_level(value: str) -> str:
    """Level 3-8 from ``5``, ``NIV5``, ``niveau 5 (bac + 2)``; unknown → :class:`Rejected`."""
    v = value.strip()
    if not v:
        return ""
    m = _LEVEL.search(v)
    if m is None or m.group(1) not in "345678":
        raise Rejected(f"niveau inconnu (3 à 8 attendu) / unknown level (3 to 8 expected): "
                       f"{value!r}")
    return m.group(1)


def certification_kind(*labels: str) -> str:
    """cmq:type-certification code from abbreviations/labels, or ``""`` when none matches."""
    for label in labels:
        text = plain(label)
        if not text:
            continue
        for pattern, code in CERTIFICATION_KINDS:
            if re.search(pattern, text):
                return code
    return ""


def check_url(value: str, what: str = "site web") -> str:
    v = value.strip()
    if not v:
        return ""
    if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", v):
        v = "http://" + v
    if _URL.fullmatch(v) is None:
        raise Rejected(f"adresse {what} invalide / invalid {what} URL: {value!r}")
    return v


def check_date(value: str) -> str:
    """ISO date from ``YYYY-MM-DD`` (a time part is dropped) or ``DD/MM/YYYY``."""
    v = value.strip()[:10]
    if not v:
        return ""
    if m := _DATE_ISO.fullmatch(v):
        return v
    if m := _DATE_FR.fullmatch(v):
        return f"{m.group(3)}-{m.group(2)}-{m.group(1)}"
    raise Rejected(f"date invalide / invalid date: {value!r}")


def check_coordinates(lat: str, lon: str) -> tuple[str, str]:
    la, lo = lat.strip().replace(",", "."), lon.strip().replace(",", ".")
    if not la and not lo:
        return "", ""
    if not (_LAT.fullmatch(la) and _LON.fullmatch(lo)
            and abs(float(la)) <= 90 and abs(float(lo)) <= 180):
        raise Rejected(f"coordonnées invalides / invalid coordinates: {lat!r}, {lon!r}")
    return la, lo


def check_commune(value: str) -> str:
    v = value.strip().upper()
    if v and not is_valid_insee_commune(v):
        raise Rejected(f"code commune Insee invalide / invalid INSEE commune code: {value!r}")
    return v


def check_postcode(value: str) -> str:
    v = value.strip()
    if v and not re.fullmatch(r"[0-9]{5}", v):
        raise Rejected(f"code postal invalide / invalid postcode: {value!r}")
    return v


def check_departement(value: str) -> str:
    """``02`` from ``02``, ``002`` or ``2``; ``2A``, ``971`` kept."""
    v = value.strip().upper()
    if not v:
        return ""
    if len(v) == 3 and v.startswith("0"):
        v = v[1:]
    elif len(v) == 1 and v.isdigit():
        v = "0" + v
    if not _DEPARTEMENT.fullmatch(v):
        raise Rejected(f"code département invalide / invalid département code: {value!r}")
    return v


def check_email(value: str) -> str:
    """A functional mailbox; one that looks personal (prenom.nom@) is refused."""
    v = value.strip()
    if not v:
        return ""
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", v):
        raise Rejected(f"courriel invalide / invalid email: {value!r}")
    if re.match(r"^[a-zà-öø-ÿ]+(-[a-zà-öø-ÿ]+)?[.][a-zà-öø-ÿ]+(-[a-zà-öø-ÿ]+)?@", v, re.IGNORECASE):
        raise Rejected(f"courriel personnel (prenom.nom@) : jamais de données personnelles / "
                       f"personal email: never personal data: {value!r}")
    return v


def check_phone(value: str) -> str:
    v = re.sub(r"[\s.()-]", "", value)
    if v and not re.fullmatch(r"\+?[0-9]{4,15}", v):
        raise Rejected(f"téléphone invalide / invalid phone number: {value!r}")
    return v
