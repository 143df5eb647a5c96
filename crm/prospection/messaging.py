"""Written follow-up: message templates, the outbox and the internal inbox between firms.

An email leaves the firm's outbox one of three ways:
- to an address of another practice firm of this server (its identity sheet or
  its organigramme): delivered at once into that firm's inbox, always, so the
  two classes' trainees read and answer each other inside Comptoir;
- otherwise, with CRM_SMTP_* configured: handed to the SMTP server;
- otherwise it waits in the outbox, said so plainly.
Each sent message is recorded in the party's history. Nothing else of the
sending firm reaches the receiving one: only the copy in its inbox.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from crm.accueil.models import StaffMember
from crm.clients.models import Interaction, Party
from crm.clients.services import record_interaction
from crm.core import identifiers
from crm.core.database import begin_writing, end_read_transaction
from crm.core.errors import DomainError
from crm.core.models import Firm, User, utcnow
from crm.extensions import db
from crm.formation.journal import record_activity
from crm.prospection import mailer, merge, spelling
from crm.prospection.models import (
    DELIVERED, FAILED, INBOX, INTERNAL, OUTBOX, QUEUED, RECEIVED, SENT_SMTP, SMTP,
    TEMPLATE_KINDS, TEMPLATE_PURPOSES, Message, MessageTemplate,
)

SUBJECT_MAX = 200
BODY_MAX = 20_000
TEMPLATE_TEXTS = {"subject": "L'objet", "salutation": "La formule d'appel", "body": "Le corps du message",
                  "closing": "La formule de politesse"}


# --- templates -------------------------------------------------------------------

@dataclass
class TemplateData:
    name: str
    kind: str
    purpose: str
    subject: str
    salutation: str
    body: str
    closing: str


def save_template(firm: Firm, user: User | None, data: TemplateData,
                  template: MessageTemplate | None = None) -> MessageTemplate:
    """Create or change a template; unknown merge fields are refused, named."""
    name = data.name.strip()
    if not name:
        raise DomainError("Donnez un nom au modèle.", "name")
    if len(name) > 80:
        raise DomainError("Le nom du modèle tient en 80 caractères au plus.", "name")
    if data.kind not in TEMPLATE_KINDS:
        raise DomainError("Choisissez courrier type ou courriel type.", "kind")
    if data.purpose not in TEMPLATE_PURPOSES:
        raise DomainError("Usage du modèle inconnu.", "purpose")
    if not data.subject.strip():
        raise DomainError("Indiquez l'objet du message.", "subject")
    if not data.body.strip():
        raise DomainError("Écrivez le corps du message.", "body")
    for key, what in TEMPLATE_TEXTS.items():
        merge.check_text(getattr(data, key), key, what)
    same_name = select(MessageTemplate.id).where(MessageTemplate.firm_id == firm.id,
                                                 func.lower(MessageTemplate.name) == name.lower())
    if template is not None:
        same_name = same_name.where(MessageTemplate.id != template.id)
    if db.session.scalar(same_name):
        raise DomainError(f"Un modèle « {name} » existe déjà : choisissez un autre nom.", "name")
    if template is None:
        template = MessageTemplate(firm_id=firm.id, created_by_id=user.id if user else None)
        db.session.add(template)
    template.name = name
    template.kind = data.kind
    template.purpose = data.purpose
    template.subject = data.subject.strip()[:SUBJECT_MAX]
    template.salutation = data.salutation.strip()
    template.body = data.body.strip()
    template.closing = data.closing.strip()
    template.updated_at = utcnow()
    db.session.flush()
    record_activity(firm, user, "message_template.written", template,
                    f"{template.kind_label} « {template.name} »")
    return template


def delete_template(template: MessageTemplate) -> None:
    db.session.delete(template)
    db.session.flush()


def templates_of(firm: Firm, kind: str | None = None) -> list[MessageTemplate]:
    query = select(MessageTemplate).where(MessageTemplate.firm_id == firm.id)
    if kind:
        query = query.where(MessageTemplate.kind == kind)
    return list(db.session.scalars(query.order_by(MessageTemplate.kind, MessageTemplate.name)))


@dataclass
class Merged:
    subject: str
    salutation: str
    body: str
    closing: str

    def as_email(self, signature: str) -> str:
        parts = [self.salutation, self.body, self.closing, signature]
        return "\n\n".join(p for p in parts if p)


def merged(template, values: dict[str, str]) -> Merged:
    """The template's texts with the recipient's values in place of the fields."""
    return Merged(*(merge.merge(getattr(template, key), values) for key in TEMPLATE_TEXTS))


def signature(firm: Firm, user: User, position_label: str) -> str:
    lines = [user.display_name, position_label, firm.trade_name, firm.phone]
    return "\n".join(line for line in lines if line)


# --- sending -----------------------------------------------------------------------

def firm_of_address(address: str) -> Firm | None:
    """The practice firm of this server an address belongs to: its own address or its organigramme's."""
    address = address.strip().lower()
    if not address:
        return None
    firm = db.session.scalar(select(Firm).where(func.lower(Firm.email) == address).limit(1))
    if firm is not None:
        return firm
    firm_id = db.session.scalar(select(StaffMember.firm_id).where(func.lower(StaffMember.email) == address)
                                .limit(1))
    return db.session.get(Firm, firm_id) if firm_id else None


@dataclass
class Outgoing:
    to_address: str
    subject: str
    body: str
    to_name: str = ""
    party: Party | None = None
    entry: object | None = None  # the CallPlanEntry of an email plan
    reply_to: Message | None = None


def check_outgoing(firm: Firm, outgoing: Outgoing) -> str:
    """Refuse what cannot leave (French, per field); the recipient's address normalised."""
    if not firm.email:
        raise DomainError("Votre entreprise n'a pas d'adresse électronique : le professeur doit la "
                          "renseigner sur sa fiche d'identité avant tout envoi.")
    try:
        address = identifiers.email(outgoing.to_address.strip())
    except ValueError as error:
        raise DomainError(str(error), "to_address") from None
    if not outgoing.subject.strip():
        raise DomainError("Indiquez l'objet du courriel.", "subject")
    if len(outgoing.subject) > SUBJECT_MAX:
        raise DomainError("L'objet tient en 200 caractères au plus.", "subject")
    if not outgoing.body.strip():
        raise DomainError("Le courriel est vide : écrivez votre message.", "body")
    if len(outgoing.body) > BODY_MAX:
        raise DomainError("Le message est trop long (20 000 caractères au plus).", "body")
    if "\x00" in outgoing.subject + outgoing.body:
        raise DomainError("Le message contient un caractère interdit.", "body")
    return address


def send_email(firm: Firm, user: User, outgoing: Outgoing, smtp: mailer.SmtpSettings | None,
               proofread: bool = False) -> Message:
    """Send one email from the firm's outbox (see the module's docstring for the way it takes).

    The SMTP exchange happens before anything is written, after the read
    transaction is ended: a slow mail server never holds the database.
    """
    address = check_outgoing(firm, outgoing)
    receiver = firm_of_address(address)
    status, delivery, error = QUEUED, "", ""
    if receiver is not None:
        status, delivery = DELIVERED, INTERNAL
    elif smtp is not None:
        delivery = SMTP
        status, error = _send_smtp(firm, user, outgoing, address, smtp)
    else:
        error = ("Aucun serveur de messagerie n'est configuré : le message attend dans la boîte d'envoi. "
                 "Seuls les courriels vers les entreprises d'entraînement de ce serveur sont distribués.")
    return _record(firm, user, outgoing, address, receiver, status, delivery, error, proofread)


def _send_smtp(firm: Firm, user: User, outgoing: Outgoing, address: str,
               smtp: mailer.SmtpSettings) -> tuple[str, str]:
    message = mailer.build(firm.trade_name, firm.email, outgoing.to_name, address, outgoing.subject.strip(),
                           outgoing.body, smtp)
    end_read_transaction(db.session)
    try:
        mailer.send(smtp, message)
    except mailer.SendFailed as failure:
        return FAILED, str(failure)[:255]
    return SENT_SMTP, ""


def _record(firm: Firm, user: User, outgoing: Outgoing, address: str, receiver: Firm | None, status: str,
            delivery: str, error: str, proofread: bool) -> Message:
    firm = db.session.get(Firm, firm.id)  # reloaded if the read transaction was ended
    sent_at = utcnow() if status in (DELIVERED, SENT_SMTP) else None
    party = outgoing.party
    message = Message(
        firm_id=firm.id, folder=OUTBOX, status=status, delivery=delivery, from_name=firm.trade_name,
        from_address=firm.email, to_name=outgoing.to_name[:160], to_address=address,
        subject=outgoing.subject.strip(), body=outgoing.body, error=error,
        party_id=party.id if party else None, entry_id=getattr(outgoing.entry, "id", None),
        reply_to_id=outgoing.reply_to.id if outgoing.reply_to else None, author_id=user.id,
        sent_at=sent_at)
    db.session.add(message)
    if receiver is not None:
        _deliver_inside(receiver, firm, message)
    db.session.flush()
    if party is not None and not party.is_anonymised:
        record_interaction(party, user, "email", f"Courriel envoyé : {message.subject}"[:160],
                           message.body[:2000], message.status_label, journal=False)
    verb = "message.sent_to_party" if party is not None else "message.sent"
    record_activity(firm, user, verb, message, f"Courriel à {address} : {message.subject}")
    if proofread:
        record_activity(firm, user, "message.proofread", message, f"Orthographe relue : {message.subject}")
    return message


def _deliver_inside(receiver: Firm, sender: Firm, sent: Message) -> Message:
    """The copy in the receiving firm's inbox, with its party of that firm when one has this address."""
    party = db.session.scalar(select(Party).where(
        Party.firm_id == receiver.id, func.lower(Party.email) == sender.email.lower(),
        Party.anonymised_at.is_(None)).order_by(Party.id).limit(1))
    copy = Message(firm_id=receiver.id, folder=INBOX, status=RECEIVED, delivery=INTERNAL,
                   from_name=sent.from_name, from_address=sent.from_address, to_name=sent.to_name,
                   to_address=sent.to_address, subject=sent.subject, body=sent.body,
                   party_id=party.id if party else None, sent_at=utcnow())
    db.session.add(copy)
    if party is not None:
        # In the receiving firm's history, authored by no one of that firm.
        db.session.add(Interaction(firm_id=receiver.id, party_id=party.id, channel="email",
                                   subject=f"Courriel reçu : {sent.subject}"[:160], summary=sent.body[:2000],
                                   outcome="", at=utcnow()))
    return copy


def retry(message: Message, user: User, smtp: mailer.SmtpSettings | None) -> None:
    """Try again a message waiting in the outbox (or refused by the server)."""
    if message.folder != OUTBOX or message.status not in (QUEUED, FAILED):
        raise DomainError("Ce message est déjà parti.")
    firm = db.session.get(Firm, message.firm_id)
    receiver = firm_of_address(message.to_address)
    if receiver is not None:
        _deliver_inside(receiver, firm, message)
        message.status, message.delivery, message.error, message.sent_at = DELIVERED, INTERNAL, "", utcnow()
        db.session.flush()
        return
    if smtp is None:
        raise DomainError("Aucun serveur de messagerie n'est configuré : le message ne peut pas partir.")
    outgoing = Outgoing(message.to_address, message.subject, message.body, message.to_name)
    message_id = message.id
    status, error = _send_smtp(firm, user, outgoing, message.to_address, smtp)
    message = db.session.get(Message, message_id)
    message.status, message.delivery, message.error = status, SMTP, error
    message.sent_at = utcnow() if status == SENT_SMTP else None
    db.session.flush()


# --- reading ------------------------------------------------------------------------

def folder_query(firm: Firm, folder: str):
    return (select(Message).where(Message.firm_id == firm.id, Message.folder == folder)
            .order_by(Message.created_at.desc(), Message.id.desc()))


def unread_count(firm: Firm) -> int:
    return db.session.scalar(select(func.count(Message.id)).where(
        Message.firm_id == firm.id, Message.folder == INBOX, Message.read_at.is_(None))) or 0


def mark_read(message: Message) -> None:
    """Opening a received message marks it read: the page takes the write lock for it (begin_writing)."""
    if message.folder == INBOX and message.read_at is None:
        begin_writing()
        if message.read_at is None:  # reloaded under the lock: another reader may have marked it
            message.read_at = utcnow()
            db.session.flush()


def reply_draft(message: Message) -> Outgoing:
    """An answer to a received message: to its sender, « Re : » subject, the message quoted."""
    subject = message.subject if message.subject.lower().startswith("re") else f"Re : {message.subject}"
    quoted = "\n".join("> " + line for line in message.body.splitlines())
    body = f"\n\n\nLe message de {message.from_name or message.from_address} :\n{quoted}"
    return Outgoing(message.from_address, subject[:SUBJECT_MAX], body, message.from_name,
                    party=message.party, reply_to=message)


def proofread(text: str, *names: str) -> list[spelling.Unknown]:
    """The words of a message missing from the French dictionary (names not counted)."""
    return spelling.check(text, spelling.ignored_words(*names))

