"""Response shape of the presence read."""

from __future__ import annotations

import uuid
from datetime import date

import msgspec

from api.presence.summary import AccountPresence


class PresenceOut(msgspec.Struct, rename={"date_from": "from", "date_to": "to"}):
    """Presence per account over the window; `definitions` gives each formula."""

    client_id: uuid.UUID
    timezone: str
    date_from: date
    date_to: date
    definitions: dict[str, str]
    accounts: list[AccountPresence]
