"""Checks and normal forms of French identifiers, phones, emails and postcodes.

Each function returns the normalised value or raises ValueError with a French
message; the forms turn that message into a field error.
"""
from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret
from stdnum.fr import tva as stdnum_tva


def _check(module, value: str, what: str) -> str:
    try:
        return module.validate(value)
    except InvalidChecksum:
        raise ValueError(f"{what} invalide : la clé de contrôle ne correspond pas.") from None
    except InvalidLength:
        raise ValueError(f"{what} invalide : le nombre de caractères ne convient pas.") from None
    except (InvalidFormat, ValidationError):
        raise ValueError(f"{what} invalide : vérifiez la saisie.") from None


def siren(value: str) -> str:
    """'732 829 320' → '732829320' (9 digits, Luhn key)."""
    return _check(stdnum_siren, value, "Numéro SIREN")


def siret(value: str) -> str:
    """14 digits whose first 9 are the SIREN, Luhn key."""
    return _check(stdnum_siret, value, "Numéro SIRET")


def vat_number(value: str) -> str:
    """French intra-community VAT number 'FR' + key + SIREN."""
    normalised = _check(stdnum_tva, value, "Numéro de TVA intracommunautaire")
    return normalised if normalised.startswith("FR") else "FR" + normalised


def iban(value: str) -> str:
    return _check(stdnum_iban, value, "IBAN")


def bic(value: str) -> str:
    return _check(stdnum_bic, value, "BIC")


def phone(value: str) -> str:
    """A phone number in French national format: '01 23 45 67 89' (or international)."""
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        raise ValueError("Numéro de téléphone invalide : vérifiez la saisie.") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("Numéro de téléphone invalide : vérifiez le nombre de chiffres.")
    if number.country_code == 33:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


# Reserved top-level domains (RFC 2606) that practice firms use for their made-up addresses.
PRACTICE_TLDS = ("test", "example", "invalid")


def email(value: str) -> str:
    """A valid address, normalised; no DNS lookup (school networks are often offline).

    email-validator refuses the reserved .test and .invalid names as undeliverable:
    they are checked as if they were .example, then given back their own ending.
    """
    head, dot, tld = value.strip().rpartition(".")
    practice = bool(dot) and tld.lower() in PRACTICE_TLDS
    try:
        normalized = validate_email(f"{head}.example" if practice else value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueError("Adresse électronique invalide : vérifiez la saisie (exemple : nom@domaine.fr).") from None
    return f"{normalized.rpartition('.')[0]}.{tld.lower()}" if practice else normalized


_POSTCODE = re.compile(r"^(?:0[1-9]|[1-8]\d|9[0-8])\d{3}$")


def postcode(value: str) -> str:
    """A French postcode: five digits, department 01–98 (Corsica 20, overseas 97/98)."""
    value = value.strip().replace(" ", "")
    if not _POSTCODE.match(value):
        raise ValueError("Code postal invalide : cinq chiffres, par exemple 75011.")
    return value
