"""The survey every benchmark uses: ten questions of mixed types, no skip logic.

No ``relevant`` expressions, so every participant answers all ten questions and the
number of updates per participant is fixed (the driver needs no branching), while every
question type the bot renders differently is exercised: buttons (single, scale), toggles
plus "Done" (multi), and typed answers (number, date, text).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SURVEY_ID = "bench-consultation"
TITLE = "Bench consultation"

SURVEY_YAML = b"""
id: bench-consultation
title: {en: Bench consultation, fr: Consultation de mesure}
languages: [en, fr]
questions:
  - id: sector
    type: single
    label: {en: Which sector do you work in?, fr: Dans quel secteur travaillez-vous ?}
    choices:
      - {id: garment, label: {en: Garment, fr: Textile}}
      - {id: mining, label: {en: Mining, fr: Mines}}
      - {id: farming, label: {en: Farming, fr: Agriculture}}
      - {id: services, label: {en: Services, fr: Services}}
  - id: region
    type: single
    label: {en: Where do you live?, fr: Ou vivez-vous ?}
    choices:
      - {id: north, label: {en: North, fr: Nord}}
      - {id: south, label: {en: South, fr: Sud}}
      - {id: east, label: {en: East, fr: Est}}
      - {id: west, label: {en: West, fr: Ouest}}
  - id: issues
    type: multi
    label: {en: Which issues matter most?, fr: Quels sujets comptent le plus ?}
    choices:
      - {id: pay, label: {en: Pay, fr: Salaire}}
      - {id: safety, label: {en: Safety, fr: Securite}}
      - {id: hours, label: {en: Hours, fr: Horaires}}
      - {id: contracts, label: {en: Contracts, fr: Contrats}}
  - id: safe
    type: scale
    min: 1
    max: 5
    label: {en: How safe do you feel raising concerns?, fr: Vous sentez-vous en securite ?}
  - id: unpaid_weeks
    type: number
    label: {en: For how many weeks were wages unpaid?, fr: Combien de semaines impayees ?}
    constraint: ". >= 0 and . <= 52"
    constraint_message: {en: Enter a number between 0 and 52, fr: Entrez un nombre entre 0 et 52}
  - id: started
    type: date
    label: {en: When did you start this job?, fr: Depuis quand ?}
  - id: trust
    type: scale
    min: 0
    max: 10
    label: {en: How much do you trust your employer?, fr: Faites-vous confiance a votre employeur ?}
  - id: union
    type: single
    label: {en: Are you a union member?, fr: Etes-vous syndique ?}
    choices:
      - {id: "yes", label: {en: "Yes", fr: Oui}}
      - {id: "no", label: {en: "No", fr: Non}}
  - id: remedy
    type: text
    max_length: 500
    label: {en: What one reform would help most?, fr: Quelle reforme aiderait le plus ?}
  - id: comment
    type: text
    max_length: 500
    label: {en: Anything else?, fr: Autre chose ?}
"""

#: Question ids in order, and the kind of update that answers each.
QUESTION_KINDS: tuple[tuple[str, str], ...] = (
    ("sector", "button"),
    ("region", "button"),
    ("issues", "multi"),
    ("safe", "button"),
    ("unpaid_weeks", "text"),
    ("started", "text"),
    ("trust", "button"),
    ("union", "button"),
    ("remedy", "text"),
    ("comment", "text"),
)

_REMEDIES = (
    "Pay wages on time every month",
    "Des contrats écrits pour tout le monde",
    "Safe equipment in the mines",
    "Un syndicat reconnu par la direction",
    "Shorter shifts",
    "Respect",
    "Inspections that actually happen without warning",
    "Le droit de se plaindre sans être licencié",
)


def write_survey(directory: Path) -> Path:
    """Write the survey file (for ``CONSULTBOT_SURVEYS``) and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{SURVEY_ID}.yaml"
    path.write_bytes(SURVEY_YAML)
    return path


def typed_answer(question_id: str, rng: random.Random) -> str:
    """What a participant types for a text, number or date question."""
    if question_id == "unpaid_weeks":
        return str(rng.randint(0, 52))
    if question_id == "started":
        return f"20{rng.randint(10, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return f"{rng.choice(_REMEDIES)} ({rng.randint(1, 9999)})"


def random_answers(rng: random.Random) -> Mapping[str, Any]:
    """One complete, valid set of answers (the generator of the moderator benchmark)."""
    return {
        "sector": rng.choice(("garment", "mining", "farming", "services")),
        "region": rng.choice(("north", "south", "east", "west")),
        "issues": tuple(c for c in ("pay", "safety", "hours", "contracts") if rng.random() < 0.45),
        "safe": rng.randint(1, 5),
        "unpaid_weeks": rng.randint(0, 52),
        "started": f"20{rng.randint(10, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "trust": rng.randint(0, 10),
        "union": rng.choice(("yes", "no")),
        "remedy": f"{rng.choice(_REMEDIES)} ({rng.randint(1, 9999)})",
        "comment": rng.choice(("No", "Merci", "Please act before the next season")),
    }


#: The end-to-end benchmark's survey: ten typed (text) questions, so every one of a user's
#: backlogged messages is an answer whatever order the bot takes them in.
TYPED_SURVEY_ID = "bench-typed"
TYPED_SURVEY_YAML = (
    "id: bench-typed\n"
    "title: {en: Bench typed answers}\n"
    "languages: [en]\n"
    "questions:\n"
    + "".join(
        f"  - id: q{n}\n    type: text\n    max_length: 500\n"
        f"    label: {{en: 'Question {n}: what would you change?'}}\n"
        for n in range(1, 11)
    )
).encode()


def write_typed_survey(directory: Path) -> Path:
    """Write the end-to-end benchmark's survey file and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{TYPED_SURVEY_ID}.yaml"
    path.write_bytes(TYPED_SURVEY_YAML)
    return path
