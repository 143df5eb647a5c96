"""The référentiel catalogue (loaded from data/referentiel.yaml) and the verb map.

Teachers speak in référentiel codes (A1T3C3, S131…): the product uses them
verbatim. The catalogue is read-only reference data, so it lives in a file
shipped with the code rather than in the database.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

DATA_FILE = Path(__file__).parent / "data" / "referentiel.yaml"

KIND_LABELS = {
    "activity": "Activité",
    "task": "Tâche",
    "competency": "Compétence",
    "behaviour": "Comportement professionnel",
    "savoir": "Savoir associé",
}


@dataclass(frozen=True)
class Entry:
    code: str
    label: str
    kind: str
    parent: str | None = None
    details: tuple[str, ...] = ()
    children: list[str] = field(default_factory=list, compare=False, hash=False)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Entry]:
    """Every code of the référentiel, in document order."""
    data = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    entries: dict[str, Entry] = {}

    def add(item: dict, kind: str, parent: str | None) -> None:
        entry = Entry(
            code=item["code"],
            label=item["label"],
            kind=kind,
            parent=parent,
            details=tuple(item.get("details") or ()),
        )
        entries[entry.code] = entry
        if parent:
            entries[parent].children.append(entry.code)

    for activity in data["activities"]:
        add(activity, "activity", None)
        for task in activity["tasks"]:
            add(task, "task", activity["code"])
            for competency in task.get("competencies", []):
                add(competency, "competency", task["code"])
            for behaviour in task.get("behaviours", []):
                add(behaviour, "behaviour", task["code"])
    for savoir in data["savoirs"]:
        add(savoir, "savoir", None)
    return entries


def activities() -> list[Entry]:
    return [e for e in catalogue().values() if e.kind == "activity"]


def savoirs() -> list[Entry]:
    return [e for e in catalogue().values() if e.kind == "savoir"]


# What each journalled action trains. Services name the verb; this table, and
# only this table, knows the référentiel. Later packages add their verbs here.
VERB_COMPETENCIES: dict[str, list[str]] = {
    # Sales documents: the sales interview ends in a quote (A3T2C1, A3T1C2); the client's
    # agreement is the order (A3T3C1); what follows the sale (A3T3C2): delivery, invoice,
    # credit note, cashing in.
    "quote.created": ["A3T1C2", "A3T2C1"],
    "quote.validated": ["A3T2C1"],
    "order.validated": ["A3T3C1"],
    "delivery.validated": ["A3T3C2"],
    "invoice.validated": ["A3T3C2"],
    "credit_note.validated": ["A3T3C2"],
    "payment.recorded": ["A3T3C2"],
    # Counter sales (caisse): cashing in a sale, closing the till (Z), reading the Z report.
    "counter_sale.recorded": ["A3T3C2"],
    "till.closed": ["A3T3C2", "A3T3C4"],
    # Foundation: a trainee (or teacher) updating the firm's identity sheet.
    "firm.identity_updated": ["A1T1C1"],
    # Catalogue (ventes): presenting a product's technical sheet and argumentaire.
    "product.sheet_presented": ["A3T1C4", "A3T1C5"],
    # Writing a product sheet gathers what is known of the offer (A3T1C1, A3T1C2); writing the
    # answer to an objection prepares (A3T1C5) and trains the answer in the interview (A3T2C2).
    "product.created": ["A3T1C1", "A3T1C2"],
    "product.objection_added": ["A3T1C5", "A3T2C2"],
    # Stocks: receiving goods, recording a loss, counting, answering a stock alert.
    "stock.goods_received": ["A3T3C2"],
    "stock.loss_recorded": ["A3T3C2"],
    "stock.counted": ["A3T3C2"],
    "stock.alert_answered": ["A3T3C2"],
    "stock.purchase_ordered": ["A3T3C2"],
    # Sending damaged units back to the supplier with a bon de retour: an operation after the sale
    # (A3T3C2) on a management document that the credit note answers (S131), like the supplier invoices.
    "stock.supplier_returned": ["A3T3C2", "S131"],
    # E-invoices and the purchase side (crm.einvoice): receiving a supplier's Factur-X, checking
    # it against the order and the receptions, booking it and paying it are operations after
    # the sale (A3T3C2) on the procedures and documents of management (S131).
    "einvoice.received": ["A3T3C2", "S131"],
    "supplier_invoice.checked": ["A3T3C2", "S131"],
    "supplier_invoice.booked": ["A3T3C2", "S131"],
    "supplier_invoice.disputed": ["A3T3C2", "S131"],
    "supplier_payment.recorded": ["A3T3C2", "S131"],
    # Linking a client or a supplier to another practice firm of the class (its file, A2T3C3).
    "party.firm_linked": ["A2T3C3"],
    # Clients: keeping the party file up to date (A2T3C3), characterising the clientele (A3T1C3).
    "party.created": ["A2T3C3", "A3T1C3"],
    "party.updated": ["A2T3C3"],
    "party.imported": ["A2T3C3"],
    "party.stage_changed": ["A2T3C2", "A2T3C3"],
    "party.converted": ["A2T3C2", "A2T3C3"],
    "party.anonymised": ["A2T3C3"],
    "interaction.recorded": ["A2T3C2"],
    # Accueil: organigramme (A1T1C1), requests (A1T2C2, A1T2C3, A1T3C3, A1T3C5), answers (A1T4C1),
    # transmission (A1T6C2), leave-taking and satisfaction (A1T5C1), feedback (A1T6C1, A1T6C3).
    "organigramme.updated": ["A1T1C1"],
    "desk_request.recorded": ["A1T2C2", "A1T2C3", "A1T3C1", "A1T3C2", "A1T3C3"],
    "desk_request.answered": ["A1T3C4", "A1T3C5", "A1T4C1"],
    "desk_request.transmitted": ["A1T3C5", "A1T6C2"],
    "desk_request.treated": ["A1T4C1"],
    "desk_request.closed": ["A1T5C1"],
    "desk_request.feedback": ["A1T6C1", "A1T6C3"],
    # Indicateurs (S132): reading and exporting the indicators measures the performance (A3T3C4);
    # writing an analysis of one's performance with improvement proposals is A3T3C5.
    "indicators.consulted": ["A3T3C4"],
    "indicators.exported": ["A3T3C4"],
    "indicators.analysed": ["A3T3C4", "A3T3C5"],
    # Handing the client a satisfaction questionnaire when taking leave after a sale (fidélisation);
    # after a desk visit the service passes the desk's codes (A1T5C2, A1T5CP1).
    "satisfaction_survey.offered": ["A3T3C3", "A3T3CP1"],
    # Prospection (activity 2). Preparing: the object of the contact and the channel (A2T1C1,
    # A2T1C3), the targets searched and selected in the file (A2T1C2), the script, objections and
    # templates prepared (A2T1C4). Writing: drafting (A2T2C1), layout of a letter (A2T2C2),
    # the address book (A2T2C3), sending (A2T2C4) by the procedure (A2T2CP3), spelling (A2T2CP2).
    # Calling: the exchange and its conclusions (A2T3C1, A2T3C2); contact data updated through
    # the party file records party.updated (A2T3C3).
    "call_plan.prepared": ["A2T1C1", "A2T1C3"],
    "call_plan.targets_selected": ["A2T1C2"],
    "call_plan.script_written": ["A2T1C4"],
    "message_template.written": ["A2T1C4", "A2T2C1"],
    "call.recorded": ["A2T3C1", "A2T3C2"],
    "agenda.scheduled": ["A2T3C2"],
    "message.sent": ["A2T2C1", "A2T2C4", "A2T2CP3"],
    "message.sent_to_party": ["A2T2C1", "A2T2C3", "A2T2C4", "A2T2CP3"],
    "message.proofread": ["A2T2CP2"],
    "letter.printed": ["A2T2C1", "A2T2C2"],
    "mailing.sent": ["A2T2C2", "A2T2C3", "A2T2C4"],
    "payment_reminder.sent": ["A2T1C1", "A2T2C1", "A2T2C4"],
}
