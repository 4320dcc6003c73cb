"""The guard: every kind of secret found and masked, ordinary messages left alone, both measured."""

from __future__ import annotations

import dataclasses
import os

import pytest

from bot.guard import MASKS, SecretKind, Verdict, inspect
from tests.secret_samples import ORDINARY_MESSAGES, ordinary_messages, samples

PASSWORD = SecretKind.PASSWORD
CODE = SecretKind.VOTING_CODE
NUMEN = SecretKind.NUMEN
OTP = SecretKind.ONE_TIME_CODE
ANSWER = SecretKind.SECRET_ANSWER


@pytest.mark.parametrize(
    ("text", "kind", "masked"),
    [
        ("Soleil2024!Marseille", PASSWORD, "[mot de passe masqué]"),
        ("mon mot de passe est Tortue#88bleue, il est refusé", PASSWORD,
         "mon mot de passe est [mot de passe masqué] il est refusé"),
        ("mdp: soleil", PASSWORD, "mdp: [mot de passe masqué]"),
        ("mon mot de passe est soleil mais ça ne passe pas", PASSWORD,
         "mon mot de passe est [mot de passe masqué] mais ça ne passe pas"),
        ("my password is Sunshine_2024", PASSWORD, "my password is [mot de passe masqué]"),
        ("mon mdp c Soleil2024!", PASSWORD, "mon mdp c [mot de passe masqué]"),
        ("mon mot de passe est « jardin fleuri »", PASSWORD,
         "mon mot de passe est « [mot de passe masqué] »"),
        ("voici mon code K7X#Q9P2@M merci", CODE, "voici mon code [code masqué] merci"),
        ("7KQ2M9XP4T", CODE, "[code masqué]"),
        ("le code 7KQ2-M9XP-4TZ8 ne passe pas", CODE, "le code [code masqué] ne passe pas"),
        ("code : KXQPMTZW", CODE, "code : [code masqué]"),
        ("mon code de vote est 48291357", CODE, "mon code de vote est [code masqué]"),
        ("k7xq2m9p c'est mon code", CODE, "[code masqué] c'est mon code"),
        ("12E3456789ABC", NUMEN, "[NUMEN masqué]"),
        ("mon numen : 12e3456789abc.", NUMEN, "mon numen : [NUMEN masqué]"),
        ("mon numen est 12E345678", NUMEN, "mon numen est [NUMEN masqué]"),
        ("482913", OTP, "[code masqué]"),
        ("voici mon code 482913 merci", OTP, "voici mon code [code masqué] merci"),
        ("code:048291", OTP, "code:[code masqué]"),
        ("ma réponse secrète est Clio rouge", ANSWER, "ma réponse secrète est [réponse masquée]"),
        ("ma réponse secrète c'est médor, mais le site dit non", ANSWER,
         "ma réponse secrète c'est [réponse masquée], mais le site dit non"),
        ("la réponse à ma question défi est 12 mai 1985.", ANSWER,
         "la réponse à ma question défi est [réponse masquée]."),
        ("ma question défi c'est ma ville natale et la réponse est Brest", ANSWER,
         "ma question défi c'est ma ville natale et la réponse est [réponse masquée]"),
        ("my secret answer is Tante Odile", ANSWER, "my secret answer is [réponse masquée]"),
        ("pour la question défi j'ai mis Bretagne", ANSWER,
         "pour la question défi j'ai mis [réponse masquée]"),
        ("mdp Marseille13", PASSWORD, "mdp [mot de passe masqué]"),
        ("NUMEN 12 E 3456789 ABC", NUMEN, "NUMEN [NUMEN masqué]"),
        ("j'ai reçu le code 594 203 par sms", OTP, "j'ai reçu le code [code masqué] par sms"),
        ("mon code c'est A7K3 C9D2 E4F1", CODE, "mon code c'est [code masqué]"),
    ],
)  # fmt: skip
def test_each_kind_is_found_and_masked(text: str, kind: SecretKind, masked: str) -> None:
    verdict = inspect(text)
    assert verdict.found
    assert verdict.kinds == (kind,)
    assert verdict.masked == masked


def test_several_secrets_are_reported_in_order_each_kind_once() -> None:
    text = (
        "numen 12E3456789ABC, code 7KQ2M9XP4T, mot de passe Soleil2024!abc, "
        "autre numen 34F7654321XYZ, réponse secrète : Médor"
    )
    verdict = inspect(text)
    assert verdict.kinds == (NUMEN, CODE, PASSWORD, ANSWER)
    for raw in ("12E3456789ABC", "7KQ2M9XP4T", "Soleil2024!abc", "34F7654321XYZ", "Médor"):
        assert raw not in verdict.masked
    assert verdict.masked.count("[NUMEN masqué]") == 2


def test_nothing_found_gives_the_text_back_untouched() -> None:
    text = "bonjour, je n'ai pas reçu ma notice"
    verdict = inspect(text)
    assert verdict == Verdict((), text)
    assert not verdict.found
    assert verdict.masked is text


def test_the_verdict_is_frozen_and_never_shows_the_raw_secret() -> None:
    verdict = inspect("mon mot de passe est Soleil2024!abc")
    with pytest.raises(dataclasses.FrozenInstanceError):
        verdict.masked = "x"  # type: ignore[misc]
    assert "Soleil2024!abc" not in repr(verdict)


def test_every_kind_has_a_mask() -> None:
    assert set(MASKS) == set(SecretKind)
    assert MASKS[OTP] == MASKS[CODE] == "[code masqué]"


def test_punctuation_glued_to_a_secret_is_masked_with_it() -> None:
    assert inspect("code K7X#Q9P2!").masked == "code [code masqué]"
    assert inspect("(Soleil2024!abc)").masked == "([mot de passe masqué])"
    assert inspect("QT27=?!! refusé").masked == "[code masqué] refusé"


def test_overlapping_findings_leave_no_part_of_the_secret() -> None:
    verdict = inspect("j'ai reçu 018645#H&*B2C*I4 par courrier")
    assert verdict.masked == "j'ai reçu [code masqué] par courrier"
    assert inspect("numen=12E3456789ABC#X!").masked.count("ABC") == 0


def test_a_six_digit_code_is_a_secret_at_the_prompt_and_outside() -> None:
    for expecting in (False, True):
        verdict = inspect("482913", expecting_code=expecting)
        assert verdict.kinds == (OTP,)
        assert verdict.masked == "[code masqué]"


def test_at_the_prompt_a_spaced_code_is_recognised_too() -> None:
    for typed in ("482 913", "48 29 13", "482-913", "voilà 482.913"):
        assert not inspect(typed).found
        verdict = inspect(typed, expecting_code=True)
        assert verdict.kinds == (OTP,), typed
        assert "913" not in verdict.masked
    # A phone number holds "12 34 56" but is not a code, even at the prompt.
    assert not inspect("06 12 34 56 78", expecting_code=True).found
    # Reference numbers are exempt outside the prompt only.
    assert not inspect("ticket n°123456").found
    assert inspect("ticket n°123456", expecting_code=True).found


@pytest.mark.parametrize(
    "text",
    [
        "j'ai 12 ans d'ancienneté",
        "prenom.nom@ac-versailles.fr",
        "mon adresse c'est jean.dupont2@ac-lille.fr",
        "Prenom.Nom123456@ac-aix-marseille.fr",
        "https://elections.education.gouv.fr/?id=482913",
        "le lien https://vote.example.fr/activate?token=Xk7pQ2mZr9 est-il officiel ?",
        "le 01/12/2022 à 8h00",
        "du 1er décembre au 8 décembre",
        "2022-12-01 au 2022-12-08",
        "2022-12-01T08:00:00+01:00",
        "ouvert de 8h00-17h00",
        "jusqu'à 17h",
        "en 2022 et en 2026",
        "06 12 34 56 78",
        "06.12.34.56.78",
        "+33 6 12 34 56 78",
        "0612345678",
        "78000 Versailles",
        "CSA, CAPA, CCP ANT, CPE, AESH",
        "c'est quoi le réassort ?",
        "c'est quoi le NUMEN ?",
        "je n'ai pas mon numen",
        "mon numen est sur ma fiche de paie ?",
        "mot de passe oublié",
        "mon mot de passe est oublié",
        "mdp : bloqué",
        "g pa recu mon mdp",
        "faut-il 12 caractères ?",
        "il faut 12 caractères avec 1 majuscule, 1 minuscule, 1 chiffre et 1 caractère spécial ?",
        "mon code de vote est illisible",
        "le code est valable 2 minutes",
        "code postal : 13008",
        "ma réponse secrète est refusée",
        "la réponse à ma question défi est un nom de ville",
        "anticonstitutionnellement",
        "Marie-Hélène Lefèvre-Duchâteau, aujourd'hui",
        "Merci, c'est réglé 👍🎉",
        "RNE 0750680G",
        "CAPES2022",
        "sur Windows10 avec un iPhone15Pro",
        "CE1-CE2-CM1",
        "COVID-19",
        "Capture_2022-12-01_0815.png",
        "200000 électeurs",
        "accusé de réception 3F2A-88C1",
        "Error code: SSL_ERROR_RX_RECORD_TOO_LONG",
        "My password is not accepted",
        "I have been teaching for 12 years",
        "code reçu le 01 12 22",
        "le 8 décembre à 16h59m59s",
        "mdp #oublié",
        "mdp 12 caractères minimum c'est ça ?",
        "numen 13 caractères c'est ça",
        "j'ai tapé Entrée et rien ne se passe, c'est pour la question défi",
        "salles G204 G205 G206",
        "accusé de réception 3F2A 88C1 9D0E",
    ],
)
def test_ordinary_words_and_numbers_are_not_masked(text: str) -> None:
    verdict = inspect(text)
    assert not verdict.found, verdict.masked
    assert verdict.masked == text


@pytest.mark.parametrize(
    "text",
    [
        "Matricule 123456 ? non je ne crois pas",  # six digits: indistinguishable from a code
        "le mot de passe est Azerty ?",  # a stated capitalised word may be the password
    ],
)
def test_ambiguous_messages_are_masked_on_purpose(text: str) -> None:
    assert inspect(text).found


@pytest.mark.parametrize(
    "text",
    ["", " ", "\n\n", "\x00\x01\x02", "é" * 10, "a" * 100_000, "Soleil2024!abc " * 7_000],
)
def test_bad_input_gives_a_verdict(text: str) -> None:
    verdict = inspect(text)
    assert isinstance(verdict.masked, str)
    assert "Soleil2024!abc" not in verdict.masked


def test_binary_noise_gives_a_verdict() -> None:
    text = os.urandom(20_000).decode("latin-1")
    assert isinstance(inspect(text).masked, str)


def test_the_ordinary_corpus_gives_no_false_positive() -> None:
    corpus = ordinary_messages()
    assert len(corpus) >= 400
    offenders = [(n, text, v.masked) for n, text in corpus if (v := inspect(text)).found]
    for number, text, masked in offenders:
        print(f"{ORDINARY_MESSAGES.name}:{number}: {text!r} -> {masked!r}")
    assert len(offenders) / len(corpus) == 0


@pytest.mark.parametrize("kind", list(SecretKind))
def test_generated_secrets_are_all_found_and_masked(kind: SecretKind) -> None:
    pairs = samples(kind, 300)
    misses = []
    for message, secret in pairs:
        verdict = inspect(message)
        if kind not in verdict.kinds or secret in verdict.masked:
            misses.append((message, verdict.masked))
    for message, masked in misses:
        print(f"missed {kind}: {message!r} -> {masked!r}")
    assert not misses, f"{len(misses)} of {len(pairs)} missed"


def test_samples_are_deterministic_and_hold_their_secret() -> None:
    for kind in SecretKind:
        first = samples(kind, 50, seed=7)
        assert first == samples(kind, 50, seed=7)
        assert first != samples(kind, 50, seed=8)
        assert all(secret in message for message, secret in first)
    assert all(len(s) == 6 and s.isdigit() for _, s in samples(OTP, 100))
    assert all(len(s) == 13 for _, s in samples(NUMEN, 100))
    assert all(8 <= len(s) <= 20 for _, s in samples(CODE, 100))
    assert all(len(s) >= 12 for _, s in samples(PASSWORD, 100))
