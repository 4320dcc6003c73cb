"""Deterministic generators of secrets embedded in the messages a voter might send, and the
corpus of ordinary messages that must come out of the guard untouched.

`samples(kind, n, seed)` gives (message, secret) pairs: a random secret of the kind inside a
French or English sentence (alone, at the start, in the middle, before punctuation). Used by the
guard's tests and benchmark, and by the leak test that sends them through the chat API and then
searches the database and the logs for the raw secrets.

The secrets follow what voters hold:
- passwords fit the portal's policy (12 to 20 characters, an upper-case and a lower-case letter, a
  digit, a special among many), built from words or from random characters;
- voting codes have 8 to 20 characters: upper-case letters and digits, often with unusual
  characters (#, @, !, $, %, &, *, ?, +, =), at least one letter and one digit;
- NUMEN are 2 digits, a letter, 7 digits and 3 letters, in upper, lower or mixed case;
- one-time codes are 6 digits, leading zeros included;
- secret answers are names, places, objects with a colour, dates, as a voter would choose them;
  they are ordinary words, which may also occur elsewhere (search them in their context).
"""

from __future__ import annotations

import random
import string
from pathlib import Path

from bot.guard import SecretKind

__all__ = ["ORDINARY_MESSAGES", "ordinary_messages", "samples"]

ORDINARY_MESSAGES = Path(__file__).resolve().parent / "data" / "ordinary_messages.txt"

PASSWORD_SPECIALS = "!@#$%^&*()-_=+[]{};:,.?/<>|~€§"
CODE_UNUSUAL = "#@!$%&*?+="
WORDS = [
    "Soleil", "Marseille", "Tortue", "Papillon", "Bretagne", "Clio", "Maison", "Jardin",
    "Cerise", "Lavande", "Montagne", "Ocean", "Etoile", "Chocolat", "Mistral", "Garonne",
    "Vercors", "Lilas", "Pomme", "Girafe", "Violette", "Horizon", "Sapin", "Tempete",
    "Sunshine", "Dragon", "Winter", "Summer", "Coffee", "Falcon", "Rainbow", "Tiger",
]  # fmt: skip
ANSWER_NAMES = [
    "Médor", "Bella", "Félix", "Jeanne", "Tante Odile", "Mamie Rose", "Papi Jo", "Pollux",
    "Caramel", "Noisette", "Brutus", "Titou", "Loulou", "Oscar", "Hélène", "Marcel",
]  # fmt: skip
ANSWER_SURNAMES = [
    "Kerbrat", "Lefebvre", "Bouvier", "Le Goff", "Moreau", "Pelletier", "Dubreuil", "Castagné",
    "Rousseau", "Guillemot", "Etchegaray", "Lemaire", "Barthès", "Carpentier", "Hoarau", "Nguyen",
]  # fmt: skip
ANSWER_PLACES = [
    "Saint-Malo", "Brest", "Quimper", "Aurillac", "Menton", "la rue des Lilas", "Montélimar",
    "Tulle", "l'île de Ré", "Bayonne", "Chamonix", "Dunkerque", "Oloron", "Pontarlier",
]  # fmt: skip
ANSWER_THINGS = [
    "Clio", "Twingo", "vélo", "chat", "Peugeot 205", "2CV", "cartable", "piano", "ballon",
    "Renault 5", "mobylette", "poney",
]  # fmt: skip
COLOURS = ["rouge", "bleu", "verte", "jaune", "noir", "blanche", "rose", "violet", "orange"]
MONTHS = ["janvier", "mars", "avril", "mai", "juin", "juillet", "octobre", "novembre"]

PASSWORD_TEMPLATES = [
    "{s}",
    "mon mot de passe est {s}",
    "Mon mdp c'est {s} et ça ne marche pas",
    "Bonjour, j'ai tapé {s} mais le portail refuse",
    "mdp: {s}",
    "{s} est-il assez sécurisé ?",
    "voici mon mot de passe : {s}. Pouvez-vous vérifier ?",
    "My password is {s}, why is it rejected?",
    "I typed {s} and it says wrong password",
    "le portail refuse {s} alors qu'il respecte les règles",
    "Mot de passe {s} refusé !!",
    "pourquoi {s} ne marche pas ?",
    "j'ai mis {s} comme mot de passe, c'est bon ?",
    "Bonjour\nmon mot de passe : {s}\nmerci d'avance",
    "mon mot de passe est « {s} » mais il est refusé",
    "mdp = {s} svp aidez moi",
    "jai essayé {s} puis autre chose, rien ne passe",
]
CODE_TEMPLATES = [
    "{s}",
    "mon code de vote est {s}",
    "code : {s}",
    "Bonjour, le code {s} ne marche pas",
    "voici mon code {s} merci",
    "j'ai saisi {s} et le site dit code invalide",
    "{s} c'est bien mon code de vote ?",
    "The voting code on my notice is {s}, it fails",
    "my code: {s}.",
    "code de vote confidentiel = {s} !",
    "j'ai reçu {s} par courrier, je le tape où ?",
    "Le code (en bas à gauche) : {s}",
    "est-ce que {s} est valide ?",
    "je n'arrive pas à taper {s} sur mon téléphone",
]
NUMEN_TEMPLATES = [
    "{s}",
    "mon numen : {s}",
    "NUMEN {s}",
    "mon numen est {s}, c'est bon ?",
    "My NUMEN is {s}.",
    "j'ai saisi {s} comme numen",
    "le numen {s} est refusé",
    "Bonjour, voici mon NUMEN ({s}) pour le réassort",
    "numen={s}",
    "c'est {s} mon numen je crois",
]
ONE_TIME_TEMPLATES = [
    "{s}",
    "le code reçu par SMS est {s}",
    "voici le code : {s}.",
    "code {s}",
    "j'ai reçu {s} par sms mais il a expiré",
    "Code: {s} — il ne marche pas",
    "I received {s} by text, is that my code?",
    "{s} c'est bien ça ?",
    "mon code de vérification {s} ne fonctionne plus",
    "le code {s}, je le tape où ?",
    "Bonjour, {s}",
    "c'est {s}",
]
ANSWER_TEMPLATES = [
    "ma réponse secrète est {s}",
    "ma réponse secrète c'est {s}, mais le site dit que c'est faux",
    "la réponse à ma question défi est {s}.",
    "réponse secrète : {s}",
    "ma question défi c'est le nom de mon chien et la réponse c'est {s} !",
    "my secret answer is {s}",
    "The answer to my security question is {s}, but it fails",
    "ma reponse secrete cest {s} et ca marche pas",
    "La réponse à la question défi = {s}",
    "Bonjour, ma réponse défi est {s} mais je ne suis plus sûre",
    "ma réponse secrète est bien {s} ?",
    "réponse à ma question secrète : « {s} »",
]
TEMPLATES = {
    SecretKind.PASSWORD: PASSWORD_TEMPLATES,
    SecretKind.VOTING_CODE: CODE_TEMPLATES,
    SecretKind.NUMEN: NUMEN_TEMPLATES,
    SecretKind.ONE_TIME_CODE: ONE_TIME_TEMPLATES,
    SecretKind.SECRET_ANSWER: ANSWER_TEMPLATES,
}


def samples(kind: SecretKind, n: int, seed: int = 0) -> list[tuple[str, str]]:
    """`n` (message, secret) pairs of one kind, the same for the same seed."""
    rng = random.Random(f"{kind.value}:{seed}")
    make = SECRETS[kind]
    templates = TEMPLATES[kind]
    pairs: list[tuple[str, str]] = []
    for i in range(n):
        secret = make(rng)
        pairs.append((templates[i % len(templates)].format(s=secret), secret))
    return pairs


def ordinary_messages(path: Path = ORDINARY_MESSAGES) -> list[tuple[int, str]]:
    """The corpus of ordinary messages as (line number, message); "\\n" stands for a line break."""
    messages: list[tuple[int, str]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            messages.append((number, line.replace("\\n", "\n")))
    return messages


def password(rng: random.Random) -> str:
    """A password of the portal's policy, from words or from random characters."""
    while True:
        if rng.random() < 0.5:
            parts = [rng.choice(WORDS), str(rng.randint(0, 9999)), rng.choice(PASSWORD_SPECIALS)]
            parts.append(rng.choice(WORDS).lower())
            rng.shuffle(parts)
            candidate = "".join(parts)[:20]
        else:
            alphabet = string.ascii_letters + string.digits + PASSWORD_SPECIALS
            candidate = "".join(rng.choice(alphabet) for _ in range(rng.randint(12, 20)))
        if (
            len(candidate) >= 12
            and any(c.isupper() for c in candidate)
            and any(c.islower() for c in candidate)
            and any(c.isdigit() for c in candidate)
            and any(c in PASSWORD_SPECIALS for c in candidate)
        ):
            return candidate


def voting_code(rng: random.Random) -> str:
    """8 to 20 upper-case letters and digits, often with unusual characters."""
    alphabet = string.ascii_uppercase + string.digits
    if rng.random() < 0.7:
        alphabet += CODE_UNUSUAL * 2
    while True:
        candidate = "".join(rng.choice(alphabet) for _ in range(rng.randint(8, 20)))
        if any(c.isalpha() for c in candidate) and any(c.isdigit() for c in candidate):
            return candidate


def numen(rng: random.Random) -> str:
    """2 digits, a letter, 7 digits, 3 letters, in upper, lower or mixed case."""
    digits = string.digits
    letters = string.ascii_uppercase
    raw = (
        "".join(rng.choice(digits) for _ in range(2))
        + rng.choice(letters)
        + "".join(rng.choice(digits) for _ in range(7))
        + "".join(rng.choice(letters) for _ in range(3))
    )
    case = rng.choice(("upper", "lower", "mixed"))
    if case == "lower":
        return raw.lower()
    if case == "mixed":
        return "".join(c.lower() if rng.random() < 0.5 else c for c in raw)
    return raw


def one_time_code(rng: random.Random) -> str:
    """6 digits."""
    return f"{rng.randrange(1_000_000):06d}"


def secret_answer(rng: random.Random) -> str:
    """A name and a surname, a place, an object with a colour, or a date."""
    choice = rng.randrange(4)
    if choice == 0:
        return f"{rng.choice(ANSWER_NAMES)} {rng.choice(ANSWER_SURNAMES)}"
    if choice == 1:
        return rng.choice(ANSWER_PLACES)
    if choice == 2:
        return f"{rng.choice(ANSWER_THINGS)} {rng.choice(COLOURS)}"
    return f"{rng.randint(1, 28)} {rng.choice(MONTHS)} {rng.randint(1950, 2010)}"


SECRETS = {
    SecretKind.PASSWORD: password,
    SecretKind.VOTING_CODE: voting_code,
    SecretKind.NUMEN: numen,
    SecretKind.ONE_TIME_CODE: one_time_code,
    SecretKind.SECRET_ANSWER: secret_answer,
}
