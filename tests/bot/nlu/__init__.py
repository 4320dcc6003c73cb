"""Tests of language understanding, and the small examples set they train on."""

from __future__ import annotations

from pathlib import Path

import yaml

SMALL: dict[str, dict[str, list[str]]] = {
    "fr": {
        "greet": [
            "bonjour",
            "bonsoir",
            "salut",
            "coucou",
            "bonjour madame",
            "bonjour à vous",
            "salut tout le monde",
            "bonsoir monsieur",
        ],
        "notice_missing": [
            "j'ai perdu ma notice de vote",
            "je n'ai pas reçu ma notice",
            "notice de vote jamais reçue",
            "ma notice est perdue",
            "la notice n'est pas arrivée",
            "j'ai jeté la notice par erreur",
            "pas de notice dans ma boîte aux lettres",
            "notice égarée",
        ],
        "notice_what": [
            "c'est quoi la notice de vote",
            "à quoi sert la notice",
            "que contient la notice",
            "la notice sert à quoi",
            "explique moi la notice",
            "qu'y a-t-il sur la notice de vote",
        ],
        "vote_advice": [
            "pour qui voter",
            "quel syndicat choisir",
            "quelle liste est la meilleure",
            "tu votes pour qui",
            "conseille moi un syndicat",
            "qui dois-je choisir",
        ],
        "password_forgotten": [
            "j'ai oublié mon mot de passe",
            "mot de passe oublié",
            "je ne me souviens plus de mon mot de passe",
            "mon mot de passe ne marche plus",
            "réinitialiser mon mot de passe",
            "mot de passe perdu",
        ],
    },
    "en": {
        "greet": [
            "hello",
            "hi there",
            "good morning",
            "hey",
            "good evening to you",
            "hello everyone",
        ],
        "notice_missing": [
            "I lost my voting notice",
            "I never received the notice",
            "my notice did not arrive",
            "the voting notice is lost",
            "I threw the notice away",
            "no notice in my letterbox",
        ],
        "notice_what": [
            "what is the voting notice",
            "what is the notice for",
            "what does the notice contain",
            "explain the notice to me",
        ],
        "vote_advice": [
            "who should I vote for",
            "which union should I choose",
            "which list is the best",
            "recommend a union",
        ],
        "password_forgotten": [
            "I forgot my password",
            "forgotten password",
            "I cannot remember my password",
            "my password does not work anymore",
            "reset my password",
        ],
    },
}
"""A few examples per intent and language: enough to train, small enough to train in a blink."""

INTENTS = {
    "reported": [
        "greet",
        "notice_missing",
        "voting_code_where",
        "out_of_scope",
        "password_forgotten",
    ],
    "finer": {"notice_what": "voting_code_where", "vote_advice": "out_of_scope"},
}


def write_small_set(directory: Path, sets: dict[str, dict[str, list[str]]] = SMALL) -> Path:
    """Writes `<lang>.yaml` files and `intents.yaml` into a directory; returns it."""
    directory.mkdir(parents=True, exist_ok=True)
    for language, intents in sets.items():
        body = {"language": language, "intents": intents}
        (directory / f"{language}.yaml").write_text(
            yaml.safe_dump(body, allow_unicode=True), encoding="utf-8"
        )
    (directory / "intents.yaml").write_text(yaml.safe_dump(INTENTS), encoding="utf-8")
    return directory
