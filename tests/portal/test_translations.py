"""Every sentence the portal shows has its French translation: Babel extracts the messages of the templates and
of the Python modules the way `pybabel extract` would, and each must have a non-empty entry in the French catalog."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

PORTAL = Path(__file__).resolve().parents[2] / "api" / "portal"
METHODS = [("**/frontend/**", "ignore"), ("**/templates/**.html", "jinja2"), ("**.py", "python")]


def _messages() -> dict[str, str]:
    found: dict[str, str] = {}
    for filename, line, message, _comments, _context in extract_from_dir(str(PORTAL), METHODS, keywords={"_": None}):
        if isinstance(message, str):
            found.setdefault(message, f"{filename}:{line}")
    return found


def test_every_message_of_the_portal_has_a_french_translation() -> None:
    with (PORTAL / "locales" / "fr" / "LC_MESSAGES" / "portal.po").open("rb") as source:
        catalog = read_po(source, locale="fr")
    messages = _messages()
    missing = sorted(
        f"{where}: {message!r}"
        for message, where in messages.items()
        if not (catalog.get(message) and catalog.get(message).string)
    )

    assert len(messages) > 200  # the extraction found the templates' messages, not nothing
    assert missing == []
