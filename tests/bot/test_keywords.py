"""The keyword understander: normalisation, specific words weigh more, ties are not confident."""

from __future__ import annotations

import pytest

from bot.nlu.keywords import KeywordUnderstander, normalise


def test_normalise_folds_case_accents_apostrophes() -> None:
    assert normalise("J’ai   PERDU ma Notice, reçue ?") == "j ai perdu ma notice recue"
    assert normalise("mot-de-passe oublié.") == "mot de passe oublie"
    assert normalise("prenom.nom@ac-paris.fr") == "prenom.nom@ac paris.fr"


def test_whole_words_only() -> None:
    understander = KeywordUnderstander({"cache_loop": ("boucle",)})
    assert understander.understand("je tourne en boucle", "fr") is not None
    assert understander.understand("des boucles d'oreille", "fr") is None


def test_specific_words_beat_common_ones() -> None:
    understander = KeywordUnderstander(
        {
            "notice_missing": ("perdu ma notice",),
            "notice_what": ("notice de vote",),
            "how_to_vote": ("comment voter", "de vote"),
            "vote_dates": ("date de vote",),
        }
    )
    found = understander.understand("j'ai perdu ma notice de vote", "fr")
    assert found is not None
    assert found.intent == "notice_missing"
    assert found.confidence > 0.6


def test_a_tie_is_not_confident() -> None:
    understander = KeywordUnderstander({"a": ("mot",), "b": ("mot",)})
    found = understander.understand("un mot", "fr")
    assert found is not None
    assert found.confidence == 0.5


SHIPPED = KeywordUnderstander.load()


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("g pas recu le mail", "activation_mail_missing"),
        ("j'ai perdu ma notice de vote", "notice_missing"),
        ("comment voter ?", "how_to_vote"),
        ("I lost my voting notice", "notice_missing"),
        # politeness gives way to a question
        ("Bonjour, j'ai pas reçu le mail d'activation", "activation_mail_missing"),
        ("bonjour je voudrais voter", "how_to_vote"),
        ("merci mais je n'ai toujours pas reçu le mail", "activation_mail_missing"),
        ("bonjour", "greet"),
        ("merci beaucoup", "thanks_bye"),
    ],
)
def test_shipped_keywords_find_the_topic(text: str, intent: str) -> None:
    found = SHIPPED.understand(text, "fr")
    assert found is not None
    assert found.intent == intent
