"""The portal's e-mails (sign-in links, password resets, invitations) through a backend chosen by
`RESONANCE_MAIL_URL`: the log in development, a directory of .eml files in tests, SMTP in production."""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
import uuid
from abc import ABC, abstractmethod
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

logger = logging.getLogger("resonance.mail")


class Mailer(ABC):
    """Sends one plain-text e-mail."""

    def __init__(self, sender: str) -> None:
        self.sender = sender

    def message(self, to: str, subject: str, body: str) -> EmailMessage:
        """The e-mail as it is sent."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain="resonance")
        message.set_content(body)
        return message

    async def send(self, to: str, subject: str, body: str) -> None:
        """Send the e-mail; a failure is logged (without its content, which may hold a sign-in link)."""
        message = self.message(to, subject, body)
        try:
            await self.deliver(message)
        except (OSError, smtplib.SMTPException) as error:
            logger.error("the e-mail %r to %s could not be sent: %s", subject, to, error)

    @abstractmethod
    async def deliver(self, message: EmailMessage) -> None:
        """Hand the message to its destination."""


class ConsoleMailer(Mailer):
    """Development: the e-mail is written to the log, links included, so that a developer can follow them."""

    async def deliver(self, message: EmailMessage) -> None:
        logger.warning("e-mail to %s: %s\n%s", message["To"], message["Subject"], message.get_content())


class FileMailer(Mailer):
    """Tests and staging: each e-mail becomes a file `<uuid>.eml` in a directory."""

    def __init__(self, sender: str, directory: Path) -> None:
        super().__init__(sender)
        self.directory = directory

    async def deliver(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{uuid.uuid4()}.eml"
        await asyncio.to_thread(path.write_bytes, bytes(message))


class SmtpMailer(Mailer):
    """Production: SMTP with STARTTLS when the server offers it (`smtp://`) or TLS from the start (`smtps://`)."""

    def __init__(self, sender: str, url: str) -> None:
        super().__init__(sender)
        parts = urlsplit(url)
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.implicit_tls else 587)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None

    async def deliver(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._deliver, message)

    def _deliver(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.implicit_tls:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=30, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=30)
        with smtp:
            if not self.implicit_tls:
                smtp.ehlo()
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=context)
                    smtp.ehlo()
            if self.username is not None:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)


def mailer_from_url(url: str, sender: str) -> Mailer:
    """The backend `RESONANCE_MAIL_URL` names (checked by `Settings.validate`)."""
    if url.startswith("file://"):
        return FileMailer(sender, Path(unquote(urlsplit(url).path)))
    if url.startswith(("smtp://", "smtps://")):
        return SmtpMailer(sender, url)
    return ConsoleMailer(sender)
