"""Aspects: the topics a mention speaks of (price, service, delivery, …), found by a versioned list of terms.

A mention is tagged with every aspect one of whose French or English terms it contains as a whole word or
phrase. Matching ignores case and accents (both the text and the terms are folded: decomposed with
unicodedata, combining marks dropped, casefolded), so "Qualité", "QUALITE" and "qualite" are one word. A term
also matches its plural (`s`, `x` or `es` appended). A hashtag is a word (`#livraison`). A few French forms
differ from another word only by their accent ("livré", delivered, and "livre", a book): those keep their
accent, matched on the text lower-cased but not folded. A mention in French is matched against the French
terms, one in English against the English terms, any other or unknown language against both.

"Cher" (dear) is also the French salutation ("Cher client", "Chères abonnées"), which speaks of no price. So
"cher", "chère", "chers", "chères" is not the price when it opens the text, a line or a sentence (after `.`,
`!`, `?`, `;`, `:` or a line break) or follows a greeting (`GREETINGS`: "Bonjour, cher client") and the next
word is a noun of address (`SALUTATION_NOUNS`: client, ami, collègue, madame, abonné, utilisateur…).
Anywhere else it is ("c'est trop cher", "pas cher", "un client cher"), and a salutation does not hide
a later "cher" in the same text.

Changing a term or a rule changes what a mention is tagged with: bump `ASPECTS_VERSION` with it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import cache

from api.sentiment.language import normalise_language

ASPECTS_VERSION = "2"
"""The version of `ASPECT_CATALOGUE`; reports state it, since another version may tag the same text otherwise."""

ASPECT_CATALOGUE: dict[str, dict[str, tuple[str, ...]]] = {
    "price": {
        "fr": (
            "prix",
            "tarif",
            "tarification",
            "cher",
            "chère",
            "trop cher",
            "hors de prix",
            "coûteux",
            "coûteuse",
            "onéreux",
            "arnaque",
            "augmentation des prix",
        ),
        "en": (
            "price",
            "pricing",
            "priced",
            "overpriced",
            "expensive",
            "pricey",
            "cost",
            "costly",
            "cheap",
            "rip off",
            "ripoff",
            "rip-off",
        ),
    },
    "service": {
        "fr": ("service", "service client", "sav", "service après-vente", "support", "assistance", "hotline"),
        "en": ("service", "customer service", "customer care", "support", "helpdesk", "help desk", "hotline"),
    },
    "delivery": {
        "fr": (
            "livraison",
            "livrer",
            "livré",
            "livrée",
            "livreur",
            "livreuse",
            "colis",
            "expédition",
            "expédié",
            "expédiée",
            "transporteur",
        ),
        "en": (
            "delivery",
            "deliveries",
            "deliver",
            "delivered",
            "shipping",
            "shipped",
            "shipment",
            "package",
            "parcel",
            "courier",
        ),
    },
    "quality": {
        "fr": (
            "qualité",
            "défectueux",
            "défectueuse",
            "défaut",
            "cassé",
            "cassée",
            "abîmé",
            "abîmée",
            "périmé",
            "périmée",
        ),
        "en": ("quality", "defective", "faulty", "defect", "broken", "damaged", "flimsy"),
    },
    "hiring": {
        "fr": (
            "recrutement",
            "recruter",
            "recrute",
            "recruteur",
            "recruteuse",
            "embauche",
            "embaucher",
            "candidature",
            "candidat",
            "candidate",
            "offre d'emploi",
            "offres d'emploi",
            "demande d'emploi",
            "alternance",
            "stagiaire",
            "entretien d'embauche",
            "cv",
        ),
        "en": (
            "hiring",
            "hire",
            "hired",
            "job offer",
            "job opening",
            "job posting",
            "job seeker",
            "career",
            "recruiter",
            "recruiting",
            "recruitment",
            "job application",
            "applicant",
            "job interview",
            "internship",
            "vacancy",
            "vacancies",
        ),
    },
    "app": {
        "fr": ("appli", "application", "app", "bug", "beug", "bugue", "crash", "plantage"),
        "en": ("app", "bug", "buggy", "crash", "crashed", "crashing", "glitch"),
    },
    "staff": {
        "fr": (
            "personnel",
            "employé",
            "employée",
            "vendeur",
            "vendeuse",
            "conseiller",
            "conseillère",
            "caissier",
            "caissière",
            "serveur",
            "serveuse",
            "staff",
        ),
        "en": (
            "staff",
            "employee",
            "cashier",
            "clerk",
            "waiter",
            "waitress",
            "salesperson",
            "shop assistant",
            "sales assistant",
        ),
    },
    "billing": {
        "fr": (
            "facture",
            "facturation",
            "facturé",
            "facturée",
            "prélèvement",
            "prélevé",
            "prélevée",
            "débité",
            "débitée",
            "remboursement",
            "rembourser",
            "rembourse",
            "remboursez",
            "remboursé",
            "remboursée",
        ),
        "en": (
            "invoice",
            "invoiced",
            "billing",
            "billed",
            "charged",
            "overcharged",
            "double charged",
            "refund",
            "refunded",
            "chargeback",
        ),
    },
}
"""Every aspect, in report order, with its French and English terms (written with their accents)."""

ASPECTS: tuple[str, ...] = tuple(ASPECT_CATALOGUE)

KEEP_ACCENTS = frozenset({"livré"})
"""Terms whose accent tells them from another word ("livre", a book): matched with their accent only."""

SALUTATION_NOUNS = (
    "client",
    "cliente",
    "ami",
    "amie",
    "collègue",
    "confrère",
    "consœur",
    "partenaire",
    "membre",
    "monsieur",
    "madame",
    "mademoiselle",
    "messieurs",
    "mesdames",
    "abonné",
    "abonnée",
    "utilisateur",
    "utilisatrice",
    "lecteur",
    "lectrice",
    "internaute",
    "adhérent",
    "adhérente",
    "voisin",
    "voisine",
    "parent",
    "tous",
    "toutes",
)
"""The nouns of address after which a "cher" opening a text, line or sentence is a salutation, not a price."""

PLURAL = r"(?:s|x|es)?"
LANGUAGES = ("fr", "en")
_COMBINING = re.compile(r"[\u0300-\u036f]+")
"""The combining diacritical marks that decomposition splits off accented Latin letters."""


def fold(text: str) -> str:
    """`text` without case or accents: "Qualité" → "qualite"."""
    if text.isascii():
        return text.lower()
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text)).casefold()


_KEPT_STEMS = re.compile("|".join(sorted(re.escape(fold(term)) for term in KEEP_ACCENTS)))
"""The folded forms of `KEEP_ACCENTS`: only a text holding one needs the accented scan."""


def _accented(text: str) -> str:
    """`text` lower-cased with its accents kept, composed (NFC), for the terms of `KEEP_ACCENTS`."""
    return unicodedata.normalize("NFC", text).casefold()


def _alternation(terms: Iterable[str]) -> str:
    """Any of `terms`, longest first, the words of a phrase separated by any white space."""
    escaped = {r"\s+".join(re.escape(word) for word in term.split()) for term in terms}
    return "|".join(sorted(escaped, key=lambda part: (-len(part), part)))


def _terms(aspect: str, languages: tuple[str, ...]) -> list[str]:
    return [term for language in languages for term in ASPECT_CATALOGUE[aspect][language]]


@cache
def _patterns(languages: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str] | None]:
    """The pattern of every aspect's folded terms in `languages` (one named group per aspect, so one scan of a
    text finds them all), and the pattern of their `KEEP_ACCENTS` terms, if any, for the accented text."""
    folded = []
    accented = []
    for aspect in ASPECTS:
        terms = _terms(aspect, languages)
        folded.append(f"(?P<{aspect}>{_alternation(fold(term) for term in terms if term not in KEEP_ACCENTS)})")
        kept = [_accented(term) for term in terms if term in KEEP_ACCENTS]
        if kept:
            accented.append(f"(?P<{aspect}>{_alternation(kept)})")
    return _whole_words(folded), _whole_words(accented) if accented else None


def _whole_words(groups: list[str]) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w)(?:{'|'.join(groups)}){PLURAL}(?!\w)")


_ADDRESS = _alternation(fold(noun) for noun in SALUTATION_NOUNS)
GREETINGS = ("bonjour", "bonsoir", "salut", "coucou", "hello")
"""Words a salutation may follow ("Bonjour, cher client"), as it may follow the start of a sentence."""
_GREETING = _alternation(GREETINGS)
_SALUTATION = re.compile(
    rf"(?:^|[.!?;:\n]|(?<!\w)(?:{_GREETING}))[^\w\n]*(?P<dear>cheres?|chers?)\s+(?:{_ADDRESS}){PLURAL}(?!\w)"
)
"""A salutation "cher <noun of address>" on folded text; the group `dear` is the "cher" that is not a price."""


def _salutation_starts(folded: str) -> set[int]:
    """Where, in the folded text, a "cher" of a salutation starts (empty for most texts: one search for "cher")."""
    if "cher" not in folded:
        return set()
    return {match.start("dear") for match in _SALUTATION.finditer(folded)}


def _languages(language: str | None) -> tuple[str, ...]:
    code = normalise_language(language)
    return (code,) if code in LANGUAGES else LANGUAGES


def tag_aspects(text: str, language: str | None) -> list[str]:
    """The aspects `text` speaks of, each once, in catalogue order; `language` chooses the terms (both if unknown)."""
    if not text:
        return []
    folded_pattern, accented_pattern = _patterns(_languages(language))
    folded = fold(text)
    salutations = _salutation_starts(folded)
    found = {
        match.lastgroup
        for match in folded_pattern.finditer(folded)
        if not (match.lastgroup == "price" and match.start() in salutations)
    }
    if accented_pattern is not None and _KEPT_STEMS.search(folded):
        found.update(match.lastgroup for match in accented_pattern.finditer(_accented(text)))
    return [aspect for aspect in ASPECTS if aspect in found]


def tag_aspects_batch(texts: Sequence[str], languages: Sequence[str | None]) -> list[list[str]]:
    """`tag_aspects` of each text with the language at the same place."""
    if len(texts) != len(languages):
        raise ValueError(f"{len(texts)} texts but {len(languages)} languages")
    return [tag_aspects(text, language) for text, language in zip(texts, languages, strict=True)]
