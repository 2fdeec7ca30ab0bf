"""Checks for the French national identifiers carried by the graph.

Pure functions, no I/O; the same rules are implemented in SPARQL in ``shapes/identifiers.ttl``
(tests assert that both agree). Every check takes the lexical form as a ``str`` and returns
``False`` for anything malformed (wrong length, non-ASCII digits, lowercase, spaces, ...):
nothing is normalised here, callers strip/upper-case *before* checking if they want to.

Rules (project reference notes):

* UAI (établissement): 7 digits + 1 check letter, e.g. ``0750654D``; the letter is
  ``"ABCDEFGHJKLMNPRSTUVWXYZ"[n % 23]`` with n = int(first 7 digits) (23 letters, no I/O/Q).
* SIREN: 9 digits, Luhn.
* SIRET: 14 digits (SIREN + 5-digit NIC), Luhn over the 14 digits; exception La Poste
  (SIREN 356000000): also valid when the sum of its 14 digits is divisible by 5.
* RNCP: ``RNCP`` + 3-5 digits (``RNCP37537``); a competence block adds ``BC`` + 2 digits
  (``RNCP37537BC01``); pattern only.
* CFD (code formation diplôme): ``^[A-Z0-9]{3}[0-9]{3}[A-Z0-9]{2}$``; pattern only.
* NSF: ``^[0-9]{2,3}[a-z]?$`` (``200r``, ``225``); pattern only.
* ROME: ``^[A-N][0-9]{4}$`` (``D1102``); pattern only.
* INSEE commune: ``^[0-9][0-9A-Z][0-9]{3}$`` where the 2nd character may be a letter only for
  Corsica ``2A``/``2B`` (``2A004`` ok, ``0B123`` not); pattern only.
* INSEE region: one of the 18 codes of the regions since 2016 (:data:`INSEE_REGIONS`: 01-06
  overseas, 11 Île-de-France … 94 Corse), e.g. ``32`` = Hauts-de-France; a list, not a pattern.

La Poste: the rule is read as an *alternative* (Luhn OR digit sum divisible by 5), so the head
office ``35600000000048`` — Luhn-valid, digit sum 26 — stays valid, and an establishment such as
``35600000000010`` — not Luhn-valid, digit sum 15 — is valid through the exception.

Patterns use ``[0-9]``, never ``\\d`` (which matches any Unicode digit in Python), and
``re.fullmatch`` (``$`` would accept a trailing newline).
"""

from __future__ import annotations

import re

__all__ = [
    "INSEE_REGIONS",
    "LA_POSTE_SIREN",
    "UAI_LETTERS",
    "is_valid_cfd",
    "is_valid_insee_commune",
    "is_valid_nsf",
    "is_valid_rncp",
    "is_valid_rome",
    "is_valid_siren",
    "is_valid_siret",
    "is_valid_uai",
    "luhn_ok",
    "uai_check_letter",
]

UAI_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
LA_POSTE_SIREN = "356000000"
#: INSEE codes of the regions (Code officiel géographique, regions of 1 January 2016).
INSEE_REGIONS = frozenset({"01", "02", "03", "04", "06", "11", "24", "27", "28", "32", "44", "52",
                           "53", "75", "76", "84", "93", "94"})

_DIGITS = re.compile(r"[0-9]+")
_UAI = re.compile(r"[0-9]{7}[A-Z]")
_RNCP = re.compile(r"RNCP[0-9]{3,5}(?:BC[0-9]{2})?")
_CFD = re.compile(r"[A-Z0-9]{3}[0-9]{3}[A-Z0-9]{2}")
_NSF = re.compile(r"[0-9]{2,3}[a-z]?")
_ROME = re.compile(r"[A-N][0-9]{4}")
_INSEE_COMMUNE = re.compile(r"(?:[0-9]{2}|2[AB])[0-9]{3}")


def _is_digits(s: str, length: int) -> bool:
    return len(s) == length and _DIGITS.fullmatch(s) is not None


def luhn_ok(digits: str) -> bool:
    """Luhn checksum over a non-empty string of ASCII digits (False for anything else)."""
    if not digits or _DIGITS.fullmatch(digits) is None:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = 2 * d - 9 if 2 * d > 9 else 2 * d
        total += d
    return total % 10 == 0


def uai_check_letter(digits: str) -> str:
    """Check letter of a UAI from its 7 leading digits; ValueError if not 7 ASCII digits."""
    if not _is_digits(digits, 7):
        raise ValueError(f"a UAI check letter needs exactly 7 ASCII digits, got {digits!r}")
    return UAI_LETTERS[int(digits) % 23]


def is_valid_uai(s: str) -> bool:
    """UAI (Unité administrative immatriculée): 7 digits + check letter, e.g. ``0750654D``."""
    return _UAI.fullmatch(s) is not None and uai_check_letter(s[:7]) == s[7]


def is_valid_siren(s: str) -> bool:
    """SIREN: 9 digits, Luhn-valid."""
    return _is_digits(s, 9) and luhn_ok(s)


def is_valid_siret(s: str) -> bool:
    """SIRET: 14 digits, Luhn-valid; La Poste (SIREN 356000000) also when digit sum % 5 == 0."""
    if not _is_digits(s, 14):
        return False
    if luhn_ok(s):
        return True
    return s.startswith(LA_POSTE_SIREN) and sum(int(c) for c in s) % 5 == 0


def is_valid_rncp(s: str) -> bool:
    """RNCP certification (``RNCP37537``) or competence block (``RNCP37537BC01``)."""
    return _RNCP.fullmatch(s) is not None


def is_valid_cfd(s: str) -> bool:
    """CFD (code formation diplôme, Éducation nationale), e.g. ``40025214``."""
    return _CFD.fullmatch(s) is not None


def is_valid_nsf(s: str) -> bool:
    """NSF (nomenclature des spécialités de formation), e.g. ``200r``, ``225``."""
    return _NSF.fullmatch(s) is not None


def is_valid_rome(s: str) -> bool:
    """ROME (répertoire opérationnel des métiers et des emplois) code, e.g. ``D1102``."""
    return _ROME.fullmatch(s) is not None


def is_valid_insee_commune(s: str) -> bool:
    """INSEE commune code (COG), e.g. ``75056``, ``2A004``."""
    return _INSEE_COMMUNE.fullmatch(s) is not None
