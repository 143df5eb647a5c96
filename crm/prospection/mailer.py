"""Real email through the school's SMTP server, when CRM_SMTP_* is configured.

CRM_SMTP_HOST (none: no real email), CRM_SMTP_PORT (default 587 with starttls,
465 with ssl, 25 with none), CRM_SMTP_SECURITY (starttls, ssl or none),
CRM_SMTP_USER and CRM_SMTP_PASSWORD (optional), CRM_SMTP_FROM (the address the
server accepts as sender; the firm's own address then goes in Reply-To).
"""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

TIMEOUT_SECONDS = 15
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    user: str = ""
    password: str = ""
    sender: str = ""

    @classmethod
    def from_config(cls, config) -> "SmtpSettings | None":
        host = config.get("SMTP_HOST") or ""
        if not host:
            return None
        security = config.get("SMTP_SECURITY") or "starttls"
        if security not in DEFAULT_PORTS:
            security = "starttls"
        return cls(host=host, port=config.get("SMTP_PORT") or DEFAULT_PORTS[security], security=security,
                   user=config.get("SMTP_USER") or "", password=config.get("SMTP_PASSWORD") or "",
                   sender=config.get("SMTP_FROM") or "")


class SendFailed(Exception):
    """The SMTP server refused the message or could not be reached; the message is in French."""


def build(from_name: str, from_address: str, to_name: str, to_address: str, subject: str, body: str,
          settings: SmtpSettings) -> EmailMessage:
    message = EmailMessage()
    sender = settings.sender or from_address
    message["From"] = formataddr((from_name, sender))
    if settings.sender and settings.sender.lower() != from_address.lower():
        message["Reply-To"] = formataddr((from_name, from_address))
    message["To"] = formataddr((to_name, to_address)) if to_name else to_address
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(body)
    return message


def send(settings: SmtpSettings, message: EmailMessage) -> None:
    """Hand the message to the SMTP server; SendFailed (French) when it does not take it."""
    try:
        if settings.security == "ssl":
            client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=TIMEOUT_SECONDS,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS)
        with client:
            if settings.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.user:
                client.login(settings.user, settings.password)
            client.send_message(message)
    except smtplib.SMTPRecipientsRefused:
        raise SendFailed("Le serveur de messagerie refuse l'adresse du destinataire.") from None
    except smtplib.SMTPAuthenticationError:
        raise SendFailed("Le serveur de messagerie refuse l'identifiant ou le mot de passe configuré.") from None
    except (smtplib.SMTPException, OSError) as error:
        raise SendFailed(f"Le serveur de messagerie n'a pas pris le message ({type(error).__name__}).") from None
