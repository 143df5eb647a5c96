"""French identifiers, phones, emails and postcodes."""
import pytest

from crm.core import identifiers


def test_valid_values_are_normalised():
    assert identifiers.siren("732 829 320") == "732829320"
    assert identifiers.siret("732 829 320 00074") == "73282932000074"
    assert identifiers.vat_number("FR 44 732829320") == "FR44732829320"
    assert identifiers.phone("0472000000") == "04 72 00 00 00"
    assert identifiers.phone("+33612345678") == "06 12 34 56 78"
    assert identifiers.email("Lea@Exemple.FR") == "Lea@exemple.fr"
    assert identifiers.postcode("20000") == "20000"


@pytest.mark.parametrize("check, value, message", [
    (identifiers.siret, "73282932000075", "clé de contrôle"),
    (identifiers.siren, "73282932", "nombre de caractères"),
    (identifiers.vat_number, "FR00732829320", "invalide"),
    (identifiers.phone, "01 23", "Numéro de téléphone invalide"),
    (identifiers.email, "lea@", "Adresse électronique invalide"),
    (identifiers.postcode, "00100", "Code postal invalide"),
    (identifiers.iban, "FR7630006000011234567890188", "IBAN invalide"),
])
def test_invalid_values_get_a_french_message(check, value, message):
    with pytest.raises(ValueError, match=message):
        check(value)


def test_reserved_practice_domains_are_accepted_without_any_lookup():
    # A practice firm's made-up address uses the reserved names of RFC 2606.
    assert identifiers.email("contact@terranova.test") == "contact@terranova.test"
    assert identifiers.email("Achats@Boutique.EXAMPLE") == "Achats@boutique.example"
    assert identifiers.email("compta@fournisseur.invalid") == "compta@fournisseur.invalid"
    with pytest.raises(ValueError, match="Adresse électronique invalide"):
        identifiers.email("pas une adresse@terranova.test")
