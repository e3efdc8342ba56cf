"""The aspect tagger on real French and English sentences, its false positives, folding and order."""

from __future__ import annotations

import pytest

from api.sentiment.aspects import ASPECT_CATALOGUE, ASPECTS_VERSION, fold, tag_aspects, tag_aspects_batch

SENTENCES = [
    # price
    ("Beaucoup trop cher pour ce que c'est.", "fr", ["price"]),
    ("Les tarifs ont encore augmenté, c'est hors de prix", "fr", ["price"]),
    ("Way too expensive, totally overpriced.", "en", ["price"]),
    ("Their new pricing is a joke, prices doubled", "en", ["price"]),
    # service
    ("Service client injoignable depuis une semaine", "fr", ["service"]),
    ("Le SAV ne répond jamais", "fr", ["service"]),
    ("Customer service was useless and support never called back", "en", ["service"]),
    # delivery
    ("Ma livraison a trois jours de retard", "fr", ["delivery"]),
    ("Colis jamais reçu, commande livrée chez le voisin", "fr", ["delivery"]),
    ("Colis livré en 24 h, parfait", "fr", ["delivery"]),
    ("Shipping took two weeks and the parcel was opened", "en", ["delivery"]),
    ("My package was delivered to the wrong address", "en", ["delivery"]),
    # quality
    ("La qualité a beaucoup baissé", "fr", ["quality"]),
    ("Produit défectueux dès le premier jour", "fr", ["quality"]),
    ("Poor quality, the handle arrived broken", "en", ["quality"]),
    # hiring
    ("Aucune réponse à ma candidature depuis deux mois", "fr", ["hiring"]),
    ("Processus de recrutement interminable, entretien d'embauche annulé", "fr", ["hiring"]),
    ("They are hiring! Check their jobs page", "en", ["hiring"]),
    ("The recruiter ghosted me after three rounds", "en", ["hiring"]),
    ("Great careers fair today", "en", ["hiring"]),
    # app
    ("L'appli plante à chaque ouverture", "fr", ["app"]),
    ("Depuis la mise à jour l'application est inutilisable, que des bugs", "fr", ["app"]),
    ("The app crashed twice while paying", "en", ["app"]),
    # staff
    ("Le personnel est adorable, merci au vendeur", "fr", ["staff"]),
    ("Une conseillère très compétente", "fr", ["staff"]),
    ("The cashier was rude and the staff ignored us", "en", ["staff"]),
    ("Employees here are always smiling", "en", ["staff"]),
    # billing
    ("Double prélèvement ce mois-ci et toujours pas de remboursement", "fr", ["billing"]),
    ("Ma facture est fausse", "fr", ["billing"]),
    ("I was charged twice and still no refund", "en", ["billing"]),
    ("The invoice is wrong again, billing won't answer", "en", ["billing"]),
]


@pytest.mark.parametrize(("text", "language", "expected"), SENTENCES)
def test_real_sentences_get_their_aspect(text: str, language: str, expected: list[str]) -> None:
    assert tag_aspects(text, language) == expected


def test_every_aspect_has_french_and_english_sentences() -> None:
    covered = {(aspect, language) for _, language, aspects in SENTENCES for aspect in aspects}
    assert covered == {(aspect, language) for aspect in ASPECT_CATALOGUE for language in ("fr", "en")}


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Merci pour cette belle journée !", "fr"),
        ("J'ai lu un super livre hier soir", "fr"),  # "livre", a book, is not "livré"
        ("What a lovely morning in Paris", "en"),
        ("I am so happy today", "en"),  # "app" inside "happy"
        ("My new Apple watch is great", "en"),  # … and inside "apple"
        ("Applause for the whole team", "en"),
        ("This is a priceless moment", "en"),  # "price" inside "priceless"
        ("Le job de mes rêves", "fr"),  # English terms are not looked for in French
        ("Great job guys, well done!", "en"),  # praise, not a job offer
        ("Steve Jobs changed everything", None),
        ("Lisez bien le mode d'emploi avant", "fr"),  # a user manual, not employment
    ],
)
def test_texts_without_an_aspect_get_none(text: str, language: str) -> None:
    assert tag_aspects(text, language) == []


def test_empty_text_has_no_aspect() -> None:
    assert tag_aspects("", None) == []
    assert tag_aspects("   ", "fr") == []


def test_case_accents_and_hashtags_are_ignored() -> None:
    assert tag_aspects("QUALITÉ MÉDIOCRE", "fr") == ["quality"]
    assert tag_aspects("qualite mediocre", "fr") == ["quality"]
    assert tag_aspects("Prelevement non autorise", "fr") == ["billing"]
    assert tag_aspects("Encore en retard #livraison #SAV", "fr") == ["service", "delivery"]
    assert tag_aspects("#Hiring #jobs", "en") == ["hiring"]
    assert tag_aspects("Customer\nservice", "en") == ["service"]  # a phrase across any white space


def test_aspects_are_unique_and_in_catalogue_order() -> None:
    text = "The refund never came, the app crashes, the staff shrug, delivery late, price up, app again, refund!"

    assert tag_aspects(text, "en") == ["price", "delivery", "app", "staff", "billing"]
    assert list(ASPECT_CATALOGUE) == ["price", "service", "delivery", "quality", "hiring", "app", "staff", "billing"]
    assert ASPECTS_VERSION == "2"


def test_the_language_chooses_the_terms_and_unknown_uses_both() -> None:
    mixed = "Livraison rapide but the price is high"

    assert tag_aspects(mixed, "fr") == ["delivery"]
    assert tag_aspects(mixed, "en") == ["price"]
    assert tag_aspects(mixed, None) == ["price", "delivery"]
    assert tag_aspects(mixed, "es") == ["price", "delivery"]
    assert tag_aspects(mixed, "fr-CA") == ["delivery"]
    assert tag_aspects(mixed, "EN") == ["price"]


def test_batch_tags_each_text_with_its_language() -> None:
    texts = ["Trop cher", "Too expensive", "Trop cher", "Nothing to see"]

    assert tag_aspects_batch(texts, ["fr", "en", "en", None]) == [["price"], ["price"], [], []]
    assert tag_aspects_batch([], []) == []
    with pytest.raises(ValueError, match="2 texts but 1 languages"):
        tag_aspects_batch(["a", "b"], ["fr"])


def test_fold_drops_case_and_accents() -> None:
    assert fold("Qualité Élevée À Noël") == "qualite elevee a noel"
    assert fold("PRIX") == "prix"


@pytest.mark.parametrize(
    "text",
    [
        "Cher client, votre commande est prête.",
        "Chère cliente, merci de votre fidélité",
        "CHERS CLIENTS, nous fermons lundi",
        "Chères abonnées, le direct commence à 20 h",
        "Merci à tous. Chers amis, à bientôt !",
        "Bonjour\nChère Madame, voici notre réponse",
        "Cher utilisateur, votre mot de passe a changé",
        "Bonjour, cher client, votre commande est prête",
        "Salut chers amis !",
    ],
)
def test_cher_as_a_salutation_is_not_the_price(text: str) -> None:
    assert tag_aspects(text, "fr") == []
    assert tag_aspects(text, None) == []


@pytest.mark.parametrize(
    "text",
    [
        "C'est trop cher",
        "Pas cher du tout",
        "La robe est trop chère",
        "Cher client, c'est vraiment trop cher.",  # the salutation does not hide a later price
        "Un client cher à notre cœur, mais un produit cher",
        "Cher pour un client fidèle",  # "cher" not followed by a noun of address
    ],
)
def test_cher_as_a_price_still_tags_the_price(text: str) -> None:
    assert tag_aspects(text, "fr") == ["price"]
