"""Whether a mention talks about working at the company (the employer-brand topic).

A mention is about working there when its text contains one of the phrases below, in French or
English, compared without case and accents. The list is part of the published definition: it
favours precision (phrases about jobs, hiring, colleagues and the workplace) over recall.
"""

from __future__ import annotations

import re
import unicodedata

WORKPLACE_PHRASES: tuple[str, ...] = (
    # English
    "work at",
    "working at",
    "worked at",
    "work for",
    "working for",
    "job",
    "jobs",
    "hiring",
    "hire",
    "recruit",
    "recruiting",
    "recruiter",
    "career",
    "careers",
    "internship",
    "intern",
    "interns",
    "apprenticeship",
    "colleague",
    "colleagues",
    "coworker",
    "coworkers",
    "manager",
    "salary",
    "salaries",
    "employer",
    "employees",
    "onboarding",
    "workplace",
    "job offer",
    "interview",
    "join the team",
    "joined the team",
    "company culture",
    "work culture",
    "glassdoor",
    # French
    "travailler chez",
    "travaille chez",
    "bosser chez",
    "emploi",
    "emplois",
    "recrute",
    "recrutement",
    "recruteur",
    "embauche",
    "carriere",
    "stage",
    "stagiaire",
    "alternance",
    "apprentissage",
    "collegue",
    "collegues",
    "salaire",
    "salaires",
    "employeur",
    "salaries",
    "entretien d'embauche",
    "offre d'emploi",
    "candidature",
    "rejoindre l'equipe",
    "culture d'entreprise",
    "ambiance de travail",
    "teletravail",
)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


_PATTERN = re.compile(r"\b(?:" + "|".join(re.escape(_fold(phrase)) for phrase in WORKPLACE_PHRASES) + r")\b")


def is_about_working_there(text: str) -> bool:
    """True when `text` contains a workplace phrase (whole words, any case, accents ignored)."""
    return _PATTERN.search(_fold(text)) is not None
