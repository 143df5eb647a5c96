"""The navigation by activity: one section per domain package."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    summary: str
    referentiel_codes: tuple[str, ...]

    @property
    def endpoint(self) -> str:
        return f"{self.key}.index"


SECTIONS: tuple[Section, ...] = (
    Section(
        "accueil",
        "Accueil",
        "Accueillir et informer les visiteurs, enregistrer leurs demandes et les transmettre.",
        ("A1T1", "A1T2", "A1T3", "A1T4", "A1T5", "A1T6"),
    ),
    Section(
        "clients",
        "Clients & prospects",
        "Tenir le fichier des clients, des prospects et des fournisseurs, et l'historique des contacts.",
        ("A2T1C2", "A2T3C3", "A3T1C3"),
    ),
    Section(
        "prospection",
        "Prospection",
        "Préparer et mener les plans d'appel, les relances et les courriers de suivi.",
        ("A2T1", "A2T2", "A2T3"),
    ),
    Section(
        "ventes",
        "Ventes",
        "Catalogue, devis, commandes, livraisons, factures, avoirs, règlements et caisse.",
        ("A3T1", "A3T2", "A3T3"),
    ),
    Section(
        "stocks",
        "Stocks",
        "Suivre les niveaux de stock, les seuils d'alerte, les commandes fournisseurs et l'inventaire.",
        ("A3T3C2",),
    ),
    Section(
        "indicateurs",
        "Indicateurs",
        "Lire le chiffre d'affaires, le taux de transformation et les autres indicateurs de vente.",
        ("A3T3C4", "A3T3C5"),
    ),
)

SECTIONS_BY_KEY = {section.key: section for section in SECTIONS}


def section_blueprint(key: str, import_name: str) -> Blueprint:
    """A domain blueprint named after its section (its templates beside it)."""
    SECTIONS_BY_KEY[key]  # a section that does not exist is a programming error
    return Blueprint(key, import_name, template_folder="templates")
