"""Unit and property tests for publisher.core.identifiers (pure-Python identifier checks)."""

from __future__ import annotations

import string
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from publisher.core.identifiers import (
    LA_POSTE_SIREN,
    UAI_LETTERS,
    is_valid_cfd,
    is_valid_insee_commune,
    is_valid_nsf,
    is_valid_rncp,
    is_valid_rome,
    is_valid_siren,
    is_valid_siret,
    is_valid_uai,
    luhn_ok,
    uai_check_letter,
)

ALL_CHECKS: list[Callable[[str], bool]] = [
    is_valid_uai,
    is_valid_siren,
    is_valid_siret,
    is_valid_rncp,
    is_valid_cfd,
    is_valid_nsf,
    is_valid_rome,
    is_valid_insee_commune,
]

def digit_string(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=n, max_size=n)


def digit_sum(s: str) -> int:
    return sum(int(c) for c in s)


# --- UAI ------------------------------------------------------------------------------------


def test_uai_alphabet_is_23_letters_without_i_o_q() -> None:
    assert len(UAI_LETTERS) == 23
    assert set(UAI_LETTERS) == set(string.ascii_uppercase) - {"I", "O", "Q"}
    assert list(UAI_LETTERS) == sorted(UAI_LETTERS)


def test_uai_reference_values() -> None:
    # 750654 = 23 * 32637 + 3 -> index 3 -> "D"
    assert uai_check_letter("0750654") == "D"
    assert is_valid_uai("0750654D")
    assert not is_valid_uai("0750654E")


@pytest.mark.parametrize(
    "value",
    [
        "0750654d",  # lowercase check letter
        "750654D",  # 6 digits
        "00750654D",  # 8 digits
        " 0750654D",
        "0750654D ",
        "0750654D\n",
        "075 654D",
        "075O654D",  # letter O instead of digit 0
        "07506540",  # no letter
        "０７５０６５４D",  # full-width digits
        "٠٧٥٠٦٥٤D",  # Arabic-Indic digits
        "",
    ],
)
def test_uai_malformed(value: str) -> None:
    assert not is_valid_uai(value)


@pytest.mark.parametrize("value", ["075065", "07506544", "075065a", "٠٧٥٠٦٥٤", ""])
def test_uai_check_letter_rejects_non_7_digits(value: str) -> None:
    with pytest.raises(ValueError):
        uai_check_letter(value)


@given(digit_string(7))
def test_uai_exactly_one_uppercase_letter_completes_seven_digits(seven: str) -> None:
    valid = [c for c in string.ascii_uppercase if is_valid_uai(seven + c)]
    assert valid == [uai_check_letter(seven)]
    assert valid[0] not in "IOQ"
    assert not is_valid_uai(seven + valid[0].lower())


# --- Luhn, SIREN ----------------------------------------------------------------------------


def test_luhn_reference_vectors() -> None:
    assert luhn_ok("79927398713")  # textbook example
    assert not luhn_ok("79927398710")
    assert luhn_ok("0")
    assert not luhn_ok("")
    assert not luhn_ok("7992739871a")
    assert not luhn_ok("٠")


def test_siren_reference_values() -> None:
    assert is_valid_siren("732829320")
    assert not is_valid_siren("732829321")
    assert is_valid_siren(LA_POSTE_SIREN)


@pytest.mark.parametrize(
    "value", ["73282932", "7328293200", " 732829320", "732829320\n", "732 829 320", "73282932O", ""]
)
def test_siren_malformed(value: str) -> None:
    assert not is_valid_siren(value)


@given(digit_string(8))
def test_siren_exactly_one_check_digit(prefix: str) -> None:
    assert sum(is_valid_siren(prefix + d) for d in "0123456789") == 1


@given(digit_string(8), st.data())
def test_luhn_detects_every_single_digit_substitution(prefix: str, data: st.DataObject) -> None:
    siren = next(prefix + d for d in "0123456789" if luhn_ok(prefix + d))
    pos = data.draw(st.integers(min_value=0, max_value=8))
    new = data.draw(st.sampled_from([d for d in "0123456789" if d != siren[pos]]))
    assert not is_valid_siren(siren[:pos] + new + siren[pos + 1 :])


# --- SIRET ----------------------------------------------------------------------------------


def test_siret_luhn_values() -> None:
    assert is_valid_siret("73282932000074")
    assert not is_valid_siret("73282932000075")


def test_siret_la_poste_head_office_is_valid_through_luhn_not_the_exception() -> None:
    head_office = "35600000000048"
    assert luhn_ok(head_office)
    assert digit_sum(head_office) == 26  # NOT divisible by 5
    assert is_valid_siret(head_office)


def test_siret_la_poste_exception() -> None:
    # Fails Luhn but its digit sum (15) is divisible by 5: valid only because it is La Poste.
    establishment = "35600000000010"
    assert not luhn_ok(establishment)
    assert digit_sum(establishment) % 5 == 0
    assert is_valid_siret(establishment)
    # Fails both rules.
    assert not luhn_ok("35600000000019") and digit_sum("35600000000019") % 5 != 0
    assert not is_valid_siret("35600000000019")


def test_siret_digit_sum_rule_is_only_for_la_poste() -> None:
    other = "73282932000004"
    assert not luhn_ok(other)
    assert digit_sum(other) % 5 == 0
    assert not is_valid_siret(other)


@pytest.mark.parametrize(
    "value",
    ["7328293200007", "732829320000740", " 73282932000074", "73282932000074\n",
     "732 829 320 00074", "7328293200007A", "3560000000004８", ""],
)
def test_siret_malformed(value: str) -> None:
    assert not is_valid_siret(value)


@given(digit_string(14))
def test_siret_rule(s: str) -> None:
    expected = luhn_ok(s) or (s[:9] == LA_POSTE_SIREN and digit_sum(s) % 5 == 0)
    assert is_valid_siret(s) is expected


@given(digit_string(5))
def test_siret_la_poste_nic(nic: str) -> None:
    s = LA_POSTE_SIREN + nic
    assert is_valid_siret(s) is (luhn_ok(s) or digit_sum(s) % 5 == 0)


# --- pattern checks -------------------------------------------------------------------------

PATTERN_CASES: list[tuple[Callable[[str], bool], list[str], list[str]]] = [
    (
        is_valid_rncp,
        ["RNCP37537", "RNCP123", "RNCP12345", "RNCP37537BC01", "RNCP123BC99"],
        ["RNCP12", "RNCP123456", "rncp37537", "RNCP 37537", "RNCP37537BC1", "RNCP37537BC001",
         "RNCP37537bc01", "37537", "RNCP37537\n", "RNCP٣٧٥٣٧", ""],
    ),
    (
        is_valid_cfd,
        ["40025214", "50033612", "1CA31202", "ABC12345"],
        ["4002521", "400252145", "400A5214", "40025a14", "abc12345", "4002521 ", "40025214\n", ""],
    ),
    (
        is_valid_nsf,
        ["200r", "225", "31", "310m", "00"],
        ["200R", "2", "2000", "200rr", "a200", "200 r", "225\n", "２２５", ""],
    ),
    (
        is_valid_rome,
        ["D1102", "A1101", "N4105", "M1805"],
        ["O1102", "Z1234", "d1102", "D110", "D11020", "D 1102", "D1102\n", ""],
    ),
    (
        is_valid_insee_commune,
        ["75056", "2A004", "2B033", "97411", "01001"],
        ["0B123", "2C004", "3A004", "2a004", "7505", "750561", "75O56", "75056\n", "A2004", ""],
    ),
]


@pytest.mark.parametrize(
    ("check", "value"), [(c, v) for c, good, _ in PATTERN_CASES for v in good]
)
def test_pattern_accepts(check: Callable[[str], bool], value: str) -> None:
    assert check(value)


@pytest.mark.parametrize(("check", "value"), [(c, v) for c, _, bad in PATTERN_CASES for v in bad])
def test_pattern_rejects(check: Callable[[str], bool], value: str) -> None:
    assert not check(value)


@given(st.sampled_from(["2A", "2B"]), digit_string(3))
def test_insee_corsica(dept: str, rest: str) -> None:
    assert is_valid_insee_commune(dept + rest)
    assert not is_valid_insee_commune(dept.lower() + rest)


@given(st.characters(whitelist_categories=["Lu"]).filter(lambda c: c not in "AB"), digit_string(3))
def test_insee_letter_only_for_corsica(letter: str, rest: str) -> None:
    assert not is_valid_insee_commune("2" + letter + rest)


# --- all checks -----------------------------------------------------------------------------


@pytest.mark.parametrize("check", ALL_CHECKS)
@given(st.text(max_size=20))
def test_checks_never_raise_and_return_bool(check: Callable[[str], bool], value: str) -> None:
    assert check(value) in (True, False)


@pytest.mark.parametrize("check", ALL_CHECKS)
@given(st.text(min_size=1, max_size=16))
def test_checks_reject_surrounding_whitespace(check: Callable[[str], bool], value: str) -> None:
    for padded in (" " + value, value + " ", value + "\n", "\t" + value):
        assert not check(padded)
