"""Share of voice: how much of the conversation about the accounts in the set is about the client's own."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import msgspec

SHARE_OF_VOICE = (
    "share_of_voice = mentions of the client's owned accounts ÷ mentions of all accounts in the set (owned + "
    "competitor), counting mentions of kind `mention` published in the window (local days) and attached to an "
    "account; comments and replies on an account's own posts are left out, since competitors' are rarely "
    "public. Per network (the account's network) and in total; null when the set has no mention."
)


class Voice(msgspec.Struct):
    network: str | None
    owned_mentions: int
    competitor_mentions: int
    share_of_voice: float | None


def _voice(network: str | None, owned: int, competitor: int) -> Voice:
    mentions = owned + competitor
    return Voice(network, owned, competitor, owned / mentions if mentions else None)


def share_of_voice(mentions: Iterable[tuple[str, str]]) -> tuple[Voice, list[Voice]]:
    """Total and per-network voices from `(network, account kind)` of each mention."""
    counts = Counter(mentions)
    networks = sorted({network for network, _ in counts})
    per_network = [_voice(n, counts[(n, "owned")], counts[(n, "competitor")]) for n in networks]
    return _voice(
        None, sum(v.owned_mentions for v in per_network), sum(v.competitor_mentions for v in per_network)
    ), per_network
