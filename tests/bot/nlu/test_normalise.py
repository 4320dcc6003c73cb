"""Normalisation: one spelling for what voters type in many."""

from __future__ import annotations

import pytest

from bot.nlu.normalise import normalise


def test_lowercase_and_accents_stripped() -> None:
    assert normalise("Élection PROFESSIONNELLE à Noël") == "election professionnelle a noel"
    assert normalise("cœur ça") == "coeur ca"


def test_typographic_apostrophes_and_elisions_are_split() -> None:
    assert normalise("J’ai reçu l’email") == "j ai recu l email"
    assert normalise("qu'il d'abord n'est s'il c'est m'a t'as") == (
        "qu il d abord n est s il c est m a t as"
    )


def test_the_elided_c_is_not_the_sms_c() -> None:
    assert normalise("c'est bon") == "c est bon"
    assert normalise("c quoi") == "c est quoi"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("g pas recu", "j ai pas recu"),
        ("pr voter", "pour voter"),
        ("ds ma boite", "dans ma boite"),
        ("jsp", "je ne sais pas"),
        ("mdp oublie", "mot de passe oublie"),
        ("stp", "s il vous plait"),
        ("svp", "s il vous plait"),
        ("bjr", "bonjour"),
        ("un pb", "un probleme"),
        ("pk", "pourquoi"),
        ("pq", "pourquoi"),
        ("qd", "quand"),
        ("tt", "tout"),
        ("ya un souci", "il y a un souci"),
        ("un msg", "un message"),
        ("dc", "donc"),
        ("vs avez", "vous avez"),
        ("jai perdu", "j ai perdu"),
        ("thx", "thanks"),
    ],
)
def test_sms_spellings_are_expanded(typed: str, expected: str) -> None:
    assert normalise(typed) == expected


def test_sms_words_expand_only_as_whole_words() -> None:
    assert normalise("ac-paris") == "ac paris"
    assert normalise("gras") == "gras"
    assert normalise("pro") == "pro"


def test_letters_repeated_more_than_twice_are_cut_to_two() -> None:
    assert normalise("aideeeez moi") == "aideez moi"
    assert normalise("merciiiii") == "mercii"
    assert normalise("bonne") == "bonne"


def test_emoji_are_removed_or_read_as_words() -> None:
    assert normalise("merci 🙏") == "merci merci"
    assert normalise("👋") == "bonjour"
    assert normalise("aidez moi 😭😭") == "aidez moi"
    assert normalise("★ code ✔") == "code"


def test_email_addresses_become_a_token() -> None:
    assert normalise("c'est Prenom.Nom@ac-paris.fr ?") == "c est email"
    assert normalise("mon e-mail") == "mon email"


def test_digits_become_a_token() -> None:
    assert normalise("12 caractères le 13/10") == "num caracteres le num num"
    assert normalise("code123") == "code num"


def test_english_negations_read_alike() -> None:
    assert normalise("I don't know") == normalise("I dont know") == "i dont know"


def test_whitespace_and_punctuation_collapse() -> None:
    assert normalise("  mot-de-passe ,  oublié ?!  ") == "mot de passe oublie"
    assert normalise("snake_case") == "snake case"


def test_nothing_left_gives_an_empty_text() -> None:
    assert normalise("") == ""
    assert normalise(" ?! 😀 ") == ""
