"""The guard's lexicon: the patterns and word lists `bot.guard` reads messages with.

Kept apart from the rules that use them (`bot.guard`), so that each reads on its own; all are
compiled at import, with the standard library's `re`.
"""

from __future__ import annotations

import re
import string

# Accents and curly apostrophes folded one character for one, so positions stay the same.
FOLD = str.maketrans(
    "àâäáãåçéèêëíìîïñóòôöõúùûüýÿœæÀÂÄÁÃÅÇÉÈÊËÍÌÎÏÑÓÒÔÖÕÚÙÛÜÝŸŒÆ’‘ʼ",
    "aaaaaaceeeeiiiinooooouuuuyyoaAAAAAACEEEEIIIINOOOOOUUUUYYOA'''",
)
SP = r"[^\S\n]"  # a space that does not end the line
SECRET_LOOKING = re.compile(r"\S*\d|\w\S*[^\w\s]\S*\w")
UPPER = string.ascii_uppercase + "ÀÂÄÉÈÊËÎÏÔÖÙÛÜÇ"
SPECIALS = frozenset(string.punctuation + "€£§°µ¤")
UNUSUAL = frozenset("#@!$%&*?+=~^|<>{}[]\\`")
LEAD = "([{«\"'“‘<"
TRAIL = ".,;:!?…)]}»\"'”’>"
CLOSERS = {"(": ")", "[": "]", "{": "}", "<": ">", "«": "»", "“": "”", "‘": "’"}
QUOTES = {"«": "»", "“": "”", '"': '"', "'": "'", "‘": "’"}

URL = r"(?:https?://|www\.)\S+"
EMAIL = r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}"
URL_OR_EMAIL = re.compile(f"{URL}|{EMAIL}", re.I)
SAFE_TOKEN = re.compile(
    f"{URL}|{EMAIL}"
    r"|[\w-]+(?:\.[\w-]+)*\.(?:fr|com|org|net|eu|info|io|be|ch)(?:/\S*)?"  # bare domains
    r"|\S+\.(?:pdf|png|jpe?g|gif|heic|webp|docx?|odt|xlsx?|ods|pptx?|txt|csv|zip|html?)"
    r"|\d{4}-\d\d-\d\d[T ]\d\d?[:h]\d\d(?::\d\d)?(?:Z|[+-]\d\d:?\d\d)?",  # ISO date-times
    re.I,
)
DATE_TIME = re.compile(
    r"\d{1,4}([/.-])\d{1,2}(?:\1\d{1,4})?|\d{1,2}[h:]\d{0,2}(?:mn|min)?(?:-\d{1,2}[h:]\d{0,2})?"
)
NUMBER_WITH_UNIT = re.compile(
    r"\d{1,3}(?:er|ere|eme|e|nd|nde|rd|th|st|min|mn|s|ans?|jours?|mois|caracteres?|chiffres?"
    r"|lettres?|minutes?|secondes?|heures?|fois|euros?|€|%|characters?|digits?)"
)
UAI = re.compile(r"\d{7}[A-Za-z]")
NUMEN = re.compile(r"(?<![A-Za-z0-9])\d\d ?[A-Za-z] ?\d{7} ?[A-Za-z]{3}(?![A-Za-z0-9])")
OTP = re.compile(r"(?<![\w.,/@+=&?-])\d{6}(?![^\s.,;:!?)\]}»\"'’…]|[.,/:-]\d)")
OTP_SPACED = re.compile(
    r"(?<![\w.,/@+#°=&?-])(?<!\d[ .-])(?:\d{3}[ .-]\d{3}|\d{2}[ .-]\d{2}[ .-]\d{2})(?![ .-]?\d)"
)
CODE_WORD_BEFORE = re.compile(r"\b(?:code|sms|otp)\b[^.!?\n]{0,25}$", re.I)
GROUPED_VALUE = re.compile(r"(?:[A-Za-z\d]{3,6}[ -]){1,5}[A-Za-z\d]{3,6}(?![\w-])")
SPACED_DATE = re.compile(r"(?:0[1-9]|[12]\d|3[01]) (?:0[1-9]|1[0-2]) \d\d")
GROUPED_CODE = re.compile(  # A7B3 C9D2 E4F1: 3 to 6 groups, each mixing letters and digits
    r"(?<![\w-])(?:(?=[A-Z]*\d)(?=\d*[A-Z])[A-Z\d]{4,6}[ -]){2,5}"
    r"(?=[A-Z]*\d)(?=\d*[A-Z])[A-Z\d]{4,6}(?![\w-])"
)
OTP_UNIT_AFTER = re.compile(
    r"\s*(?:€|%|k€|euros?\b|eur\b|[ée]lecteurs|votants|inscrits|agents|personnes|personnels"
    r"|habitants|enseignants|coll[èe]gues|[ée]l[èe]ves|voters|people|staff|teachers|km\b)",
    re.I,
)
OTP_REFERENCE_BEFORE = re.compile(
    r"(?:ticket|dossier|demande|incident|requ[êe]te|r[ée]f[ée]rence|r[ée]f\.?|case|request)"
    r"\s*(?:n[°o]\.?|num[ée]ro|number|#|:)?\s*$|(?:n°|#)\s*$",
    re.I,
)
SEPARATOR_IN_TOKEN = re.compile(r"[-_./,:;'()]")
ORDINARY_ALNUM = re.compile(
    r"\d{7}[A-Za-z]"  # a school's UAI code
    r"|[A-Z]{2,12}(?:19|20)\d\d"  # an acronym and a year: CAPES2022
    r"|[A-Z]{4}\d{7}[A-Z]"  # an official text's NOR: MENH2212345A
    r"|(?:\d{1,2}[hms])+\d{0,2}"  # a time: 16h59m59s
    r"|(?=(?:[A-Z\d]*[a-z]){3})(?:[A-Za-z]+\d{1,4}[A-Za-z]*|\d{1,4}[A-Za-z]+)"  # iPhone15Pro
)
HEX = re.compile(r"[0-9a-f]+")
MIXED = re.compile(r"(?=.*\d)(?=.*[A-Za-z])[A-Za-z\d]+")
LONG_TOKEN = re.compile(r"\S{7,}")
TOKEN = re.compile(r"\S+")

CUE_WORDS = (
    r"(?P<secret_answer>\b(?:r[ée]ponse[- ](?:secr[eè]te|d[ée]fi|(?:(?:a|de) )?(?:(?:ma|la|mon) )?"
    r"question (?:d[ée]fi|secr[eè]te))|(?:secret|security|challenge) answer"
    r"|answer to (?:my|the) (?:secret|security|challenge) question)\b)"
    r"|(?P<reply>\b(?:reponse|answer)\b)"
    r"|(?P<password>\b(?:mots?[ -]de[ -]passe|mot ?2 ?passe|mdp|password|passwd|pwd)\b)"
    r"|(?P<numen>\bnumen\b)"
    r"|(?P<voting_code>(?<!error )(?<!erreur )\bcode\b"
    r"(?! (?:d'?)?(?:erreur|error|postal|promo|qr|insee|uai|rne|naf|ape)\b))"
)
STATED = re.compile(
    f"(?:{CUE_WORDS})"
    rf"(?:{SP}+(?!(?:est|c'est|cest|is)\b)[\w'-]+){{0,4}}?"
    rf"(?P<sep>{SP}*(?P<strong>[:=]|->|=>){SP}*"
    rf"|{SP}*,?{SP}+(?:c'est|c est|cest|c|est|is|was|etait|sera)(?:{SP}*:)?{SP}+)",
    re.I,
)
BARE_CUE = re.compile(  # a cue followed by its value after a mere space
    r"(?:(?P<password>\b(?:mots?[ -]de[ -]passe|mdp|password))|(?P<numen>\bnumen)"
    r"|(?P<said>\bj'ai (?:mis|repondu|tape|ecrit|saisi|entre)|\bi (?:typed|put|wrote|answered)))"
    rf"{SP}+(?=[^\s:=])",
    re.I,
)
KIND_GROUPS = ("secret_answer", "password", "numen", "voting_code")
CHALLENGE_CONTEXT = re.compile(
    r"\bquestion[- ](?:d[ée]fi|secr[eè]te)|\b(?:security|challenge|secret) question", re.I
)
FILLER = re.compile(
    rf"(?:bien|normalement|simplement|juste|exactement|toujours|just|simply|actually){SP}+",
    re.I,
)
CLAUSE_END = re.compile(
    rf"{SP}*(?:$|[.,;!?\n)…]|(?:mais|et|merci|svp|stp|but|and|thanks|please)\b)", re.I
)
ANSWER_VALUE = re.compile(
    r"(?P<v>[^.!?;,\n]{1,80}?)"
    rf"(?={SP}*(?:[.!?;,\n]|$)|{SP}+(?:mais|et|but|and|donc|car|pourtant|alors|puis|sauf"
    r"|merci|thanks|svp|stp|please)\b)",
    re.I,
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


ARTICLES = _words("le la les l un une des du de d mon ma mes ton ta tes son sa ses notre votre")
ARTICLES |= _words("the a an my")
NOT_SECRET = ARTICLES | _words(
    """oublie oubliee oublies perdu perdue bloque bloquee expire expiree faux fausse incorrect
    incorrecte invalide errone erronee refuse refusee mauvais mauvaise bon bonne correct correcte
    juste ok okay oui non aucun aucune rien inconnu inconnue vide nul nulle long longue court courte
    trop pas plus toujours jamais quoi ou quel quelle lequel laquelle sur dans sous chez avec sans
    en a au aux pour par je j il elle on nous vous ils ne n que qu qui ca cela ceci celui celle
    comment pourquoi combien quand toute tout tres assez facultatif facultative i it he she we they
    you how why when impossible possible inutile interdit identifiant identifiants login username
    email mail adresse là où
    simple facile difficile complique compliquee change changee modifie nouveau nouvelle ancien
    ancienne provisoire temporaire different differente identique pareil meme valide valable
    illisible introuvable obligatoire sensible necessaire demande demandee casse cassee desactive
    ras ko censee sensee peut-etre surement forcement vraiment encore deja
    not wrong lost forgotten forgot expired blocked locked invalid incorrect rejected refused right
    fine good bad missing none nothing same too case what which where sensitive required needed
    empty unknown new old temporary still already weak strong secure easy hard complex
    complicated short faible fort forte personnel personnelle confidentiel confidentielle secret
    secrete securise robuste solide parfait parfaite normal normale bizarre etrange accepte
    enregistre note ecrit ici partout similaire pourri nul naze top super genial numen iprof
    webmail nom prenom naissance entree enter valider envoyer retour"""
)
ANSWER_STOP = NOT_SECRET - ARTICLES
ANSWER_STOP_PAIRS = frozenset(
    pair.replace("_", " ")
    for pair in _words("""la_meme le_meme la_bonne la_mauvaise le_nom le_prenom un_nom un_prenom
    un_mot une_ville une_date un_lieu un_chiffre un_nombre une_phrase un_animal the_same the_name
    a_name a_word a_place la_reponse ma_reponse the_answer my_answer""")
)
WORD_SUFFIXES = ("able", "ible", "ment", "if", "ive", "eux", "euse", "ing", "ed", "ique", "oire")
