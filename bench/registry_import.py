"""Registry import: 1.1 million voters from CSV into SQLite, beside a bare sqlite3 executemany.

    .venv/bin/python bench/registry_import.py [--rows 1100000] [--seed 2026] [--batch-size 20000]

Generates a realistic electoral list (French names, academy addresses, 1 to 7 ballots) into a
temporary folder, imports it into a fresh SQLite database (first run: inserts), imports it again
(second run: nothing to change), then times the library underneath: sqlite3's `executemany` of the
same rows, already parsed, into a table of the same shape, without normalisation or comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import random
import sqlite3
import tempfile
import time
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

from backend.db.engine import create_engine
from backend.db.migrate import upgrade
from backend.registry import ImportReport, import_voters

FIRST_NAMES = [
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Inès",
    "Emma",
    "Jade",
    "Louise",
    "Alice",
    "Lina",
    "Sarah",
    "Juliette",
    "Anne-Sophie",
    "Nathalie",
    "Isabelle",
    "Sylvie",
    "Catherine",
    "Valérie",
    "Sandrine",
    "Céline",
    "Aurélie",
    "Émilie",
    "Hélène",
    "Maëlle",
    "Agnès",
    "Zoé",
    "Lucas",
    "Hugo",
    "Louis",
    "Gabriel",
    "Arthur",
    "Jules",
    "Nathan",
    "Thomas",
    "Julien",
    "Nicolas",
    "Karim",
    "Mohamed",
    "Yanis",
    "Théo",
    "Mathis",
    "Raphaël",
    "Léo",
    "Antoine",
    "Pierre",
    "Jean-Marc",
    "François",
    "Stéphane",
    "Sébastien",
    "Jérôme",
    "Benoît",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Lefebvre",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Muller",
    "Henry",
    "Roussel",
    "Nicolas",
    "Perrin",
    "Morin",
    "Mathieu",
    "Clément",
    "Gauthier",
    "Dumont",
    "Lopez",
    "Fontaine",
    "Chevalier",
    "Robin",
    "Masson",
    "Sanchez",
    "Gérard",
    "Nguyen",
    "Boyer",
    "Denis",
    "Lemaire",
    "Duval",
    "Joly",
    "Gautier",
    "Roger",
    "Roche",
    "Roy",
    "Noël",
    "Meyer",
    "Lucas",
    "Meunier",
    "Jean",
    "Pérez",
    "Marchand",
    "Dufour",
    "Blanchard",
    "Haddad",
    "Benali",
    "Le-Gall",
    "Barbier",
    "Brun",
    "Dumas",
    "Brunet",
    "Schmitt",
    "Leroux",
    "Colin",
    "Fernandez",
    "Caron",
]
ACADEMIES = [
    "aix-marseille",
    "amiens",
    "besancon",
    "bordeaux",
    "clermont",
    "corse",
    "creteil",
    "dijon",
    "grenoble",
    "guadeloupe",
    "guyane",
    "lille",
    "limoges",
    "lyon",
    "martinique",
    "mayotte",
    "montpellier",
    "nancy-metz",
    "nantes",
    "nice",
    "normandie",
    "orleans-tours",
    "paris",
    "poitiers",
    "reims",
    "rennes",
    "reunion",
    "strasbourg",
    "toulouse",
    "versailles",
]
MIN, ACA, DEP = "CSA ministériel", "CSA académique", "CSA spécial départemental"
PROFILES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    ((MIN, ACA, DEP, "CAPN des professeurs des écoles", "CAPD des professeurs des écoles"), ()),
    ((MIN, ACA, "CAPN des professeurs certifiés", "CAPA des professeurs certifiés"), ()),
    (
        (MIN, ACA, "CAPN des professeurs certifiés", "CAPA des professeurs certifiés"),
        ("CSA d'établissement",),
    ),
    (
        (MIN, ACA, "CAPN des professeurs agrégés", "CAPA des professeurs agrégés", DEP),
        ("CSA d'établissement", "CPE"),
    ),
    ((MIN, ACA, "CCP des AESH"), ()),
    ((MIN, ACA, "CCP des contractuels enseignants"), ()),
    ((MIN,), ()),
    ((MIN, ACA, "CAPN des personnels de direction"), ()),
    ((MIN,), ("CSA d'établissement", "CCP ANT")),
)


def ascii_slug(text: str) -> str:
    """`Lefèvre-Durand` → `lefevre-durand`, as academies build addresses."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def generate(path: Path, rows: int, seed: int) -> None:
    """Writes `rows` realistic voters; homonyms get a number, as in the academies' directories."""
    rng = random.Random(seed)
    taken: dict[str, int] = {}
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["courriel", "nom", "prenom", "scrutins", "hors_ligne"])
        for _ in range(rows):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            base = f"{ascii_slug(first)}.{ascii_slug(last)}@ac-{rng.choice(ACADEMIES)}.fr"
            count = taken.get(base, 0) + 1
            taken[base] = count
            local, domain = base.split("@")
            email = base if count == 1 else f"{local}{count}@{domain}"
            ballots, elsewhere = rng.choice(PROFILES)
            writer.writerow(
                [email, last.upper(), first, ";".join(ballots + elsewhere), ";".join(elsewhere)]
            )


async def run_import(url: str, path: Path, batch_size: int) -> tuple[ImportReport, float]:
    """One import through the project's code, timed."""
    engine = create_engine(url)
    try:
        start = time.perf_counter()
        report = await import_voters(engine, path, batch_size=batch_size, actor="bench")
        return report, time.perf_counter() - start
    finally:
        await engine.dispose()


def bare_executemany(path: Path, database: Path) -> tuple[int, float]:
    """sqlite3 executemany of the rows, parsed beforehand, into a table of the same shape."""
    now = datetime.now(UTC).isoformat(" ")
    with path.open(encoding="utf-8", newline="") as text:
        reader = csv.reader(text)
        next(reader)
        rows = [
            (email, last, first, json.dumps(ballots.split(";")), "0" * 32, None, now, now)
            for email, last, first, ballots, _elsewhere in reader
        ]
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(
        "CREATE TABLE voters (id INTEGER PRIMARY KEY, email VARCHAR(320) NOT NULL UNIQUE, "
        "last_name VARCHAR(200) NOT NULL, first_name VARCHAR(200) NOT NULL, ballots JSON NOT NULL, "
        "row_hash VARCHAR(32) NOT NULL, activated_at DATETIME, created_at DATETIME NOT NULL, "
        "updated_at DATETIME NOT NULL)"
    )
    start = time.perf_counter()
    with connection:
        connection.executemany(
            "INSERT INTO voters (email, last_name, first_name, ballots, row_hash, activated_at, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    elapsed = time.perf_counter() - start
    connection.close()
    return len(rows), elapsed


def main() -> None:
    """Generate, import twice, compare with the bare executemany."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--batch-size", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="assesseur-bench-") as folder:
        path = Path(folder) / "liste_electorale.csv"
        start = time.perf_counter()
        generate(path, args.rows, args.seed)
        size = path.stat().st_size / 1e6
        print(
            f"generated {args.rows:,} rows ({size:.0f} MB) in {time.perf_counter() - start:.1f} s"
        )
        url = f"sqlite+aiosqlite:///{folder}/registry.db"
        upgrade(url)
        first, first_s = asyncio.run(run_import(url, path, args.batch_size))
        print(
            f"first import:  {first.read:,} rows in {first_s:.1f} s = {first.read / first_s:,.0f}"
            f" rows/s (inserted {first.inserted:,}, updated {first.updated:,}, "
            f"unchanged {first.unchanged:,}, bad {len(first.bad):,})"
        )
        second, second_s = asyncio.run(run_import(url, path, args.batch_size))
        print(
            f"second import: {second.read:,} rows in {second_s:.1f} s = "
            f"{second.read / second_s:,.0f} rows/s (inserted {second.inserted:,}, "
            f"updated {second.updated:,}, unchanged {second.unchanged:,})"
        )
        rows, bare_s = bare_executemany(path, Path(folder) / "bare.db")
        print(
            f"bare sqlite3 executemany: {rows:,} rows in {bare_s:.1f} s = "
            f"{rows / bare_s:,.0f} rows/s"
        )
        print(
            f"ratio import / bare executemany: first {first_s / bare_s:.1f}x, "
            f"second {second_s / bare_s:.1f}x"
        )


if __name__ == "__main__":
    main()
