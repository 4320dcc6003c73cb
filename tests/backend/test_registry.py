"""The registry import: headers, normalisation, bad rows, idempotence, audit, CLI and demo voters."""

from __future__ import annotations

import asyncio
import io
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.db.engine import create_engine
from backend.db.models import AuditEvent, Voter
from backend.db.time import aware
from backend.registry import (
    BadRow,
    ImportReport,
    RegistryError,
    VoterRow,
    create_demo_voters,
    demo_voters,
    email_problem,
    import_voters,
    normalise_ballots,
    normalise_email,
    normalise_name,
    read_rows,
)
from bot.cli import main

FIRST = datetime(2026, 10, 13, 9, 0, tzinfo=UTC)
LATER = FIRST + timedelta(days=3)


@pytest.fixture
def domain() -> str:
    """An academy domain of this test's own: PostgreSQL is shared by the whole session."""
    return f"ac-t{uuid.uuid4().hex[:10]}.fr"


def write(folder: Path, text: str, name: str = "liste.csv", *, bom: bool = False) -> Path:
    """A CSV file, UTF-8 (with a BOM when asked)."""
    path = folder / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def rows(
    text: str, columns: dict[str, str] | None = None, delimiter: str | None = None
) -> list[VoterRow | BadRow]:
    """What `read_rows` makes of a CSV text."""
    return list(read_rows(io.StringIO(text), columns, delimiter))


async def voters_of(engine: AsyncEngine, domain: str) -> dict[str, Row[Any]]:
    """The stored voters of a domain, by address."""
    async with engine.connect() as connection:
        result = await connection.execute(select(Voter).where(Voter.email.like(f"%@{domain}")))
        return {row.email: row for row in result}


async def audit_count(engine: AsyncEngine) -> int:
    """How many registry imports the audit log holds."""
    async with engine.connect() as connection:
        query = select(func.count()).where(AuditEvent.event == "registry.import")
        return int((await connection.execute(query)).scalar_one())


# Normalisation


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Camille.MARTIN@AC-Versailles.FR", "camille.martin@ac-versailles.fr"),
        ("  camille.martin@ac-lyon.fr \t", "camille.martin@ac-lyon.fr"),
        ("camille .martin @ ac-lyon.fr", "camille.martin@ac-lyon.fr"),
        ("camille\u00a0.martin@ac-lyon.fr\u00a0", "camille.martin@ac-lyon.fr"),
        ("camille\u200b.mar\u200dtin@ac-lyon.fr\ufeff", "camille.martin@ac-lyon.fr"),
        ("ｃａｍｉｌｌｅ．ＭＡＲＴＩＮ＠ａｃ－ｌｙｏｎ．ｆｒ", "camille.martin@ac-lyon.fr"),
        ("camille.martin\u3000@ac-lyon.fr", "camille.martin@ac-lyon.fr"),
    ],
)
def test_addresses_are_normalised(raw: str, expected: str) -> None:
    assert normalise_email(raw) == expected
    assert email_problem(normalise_email(raw)) is None


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("", "missing address"),
        ("camille.martin", "expected one @"),
        ("camille@martin@ac-lyon.fr", "expected one @"),
        ("@ac-lyon.fr", "nothing before the @"),
        ("camille.martin@ac-lyon", "the domain has no dot"),
        ("camille.martin@ac-lyon..fr", "empty part in the domain"),
        ("camille.martin@ac-lyon.fr.", "empty part in the domain"),
        ("cam<ille@ac-lyon.fr", "forbidden character"),
        ("camille.martín@ac-lyon.fr", "not ASCII"),
        ("c" * 310 + "@ac-lyon.fr", "longer than 320 characters"),
    ],
)
def test_malformed_addresses_say_why(address: str, reason: str) -> None:
    problem = email_problem(address)
    assert problem is not None and problem.endswith(reason)


def test_names_are_composed_and_spaces_collapsed() -> None:
    assert normalise_name("  Anne   Sophie\u00a0 ") == "Anne Sophie"
    assert normalise_name("Le\u0301a") == "Léa"
    assert normalise_name("Lefe\u0300vre\u200b-Durand\x00") == "Lefèvre-Durand"


def test_ballots_are_stripped_deduplicated_and_marked() -> None:
    assert normalise_ballots(" CSA ministériel ;; CAPA  certifiés;CSA ministériel; ", "CPE") == (
        {"name": "CSA ministériel", "elsewhere": False},
        {"name": "CAPA certifiés", "elsewhere": False},
        {"name": "CPE", "elsewhere": True},
    )
    assert normalise_ballots("CSA ministériel;CPE", "CPE") == (
        {"name": "CSA ministériel", "elsewhere": False},
        {"name": "CPE", "elsewhere": True},
    )


# Headers and delimiters


def test_default_headers_with_commas() -> None:
    [row] = rows('email,last_name,first_name,ballots\nA@B.fr,Martin,Camille,"X;Y"\n')
    assert isinstance(row, dict)
    assert (row["email"], row["last_name"], [b["name"] for b in row["ballots"]]) == (
        "a@b.fr",
        "Martin",
        ["X", "Y"],
    )


def test_french_headers_with_semicolons_ignore_case_accents_and_spaces() -> None:
    [row] = rows(' COURRIEL ; Nom ;Prénom;scrutins;Hors_Ligne\na@b.fr;Martin;Camille;"X;Y";"Y"\n')
    assert isinstance(row, dict)
    assert row["first_name"] == "Camille"
    assert row["ballots"] == ({"name": "X", "elsewhere": False}, {"name": "Y", "elsewhere": True})


def test_columns_can_be_configured() -> None:
    text = "mail_pro,NOM_USAGE,prenom,scrutins,email\nA@b.fr,Martin,Camille,X,ignored\n"
    [row] = rows(text, columns={"email": "Mail_Pro", "last_name": "nom_usage"})
    assert isinstance(row, dict)
    assert (row["email"], row["last_name"]) == ("a@b.fr", "Martin")


def test_delimiter_can_be_forced() -> None:
    [row] = rows("email|last_name|first_name|ballots\na@b.fr|Martin|Camille|X\n", delimiter="|")
    assert isinstance(row, dict) and row["email"] == "a@b.fr"


def test_a_missing_column_is_refused_with_the_header_found() -> None:
    with pytest.raises(RegistryError, match=r"no column for ballots .*'mail'"):
        rows("mail,nom,prenom\na@b.fr,M,C\n", columns={"email": "mail"})


def test_two_columns_for_one_field_are_refused() -> None:
    with pytest.raises(RegistryError, match="several columns for email"):
        rows("email,courriel,nom,prenom,scrutins\n")


def test_an_unknown_field_is_refused() -> None:
    with pytest.raises(RegistryError, match="unknown field"):
        rows("email,nom,prenom,scrutins\n", columns={"numen": "x"})


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(RegistryError, match="header is missing"):
        rows("")


# Bad rows


def test_every_bad_row_is_reported_with_its_line() -> None:
    text = (
        "email,last_name,first_name,ballots\n"  # 1
        "ok.one@ac-lyon.fr,Martin,Camille,X\n"  # 2
        ",Martin,Camille,X\n"  # 3
        "camille.martin,Martin,Camille,X\n"  # 4
        "ok.two@ac-lyon.fr,  ,Camille,X\n"  # 5
        "ok.three@ac-lyon.fr,Martin,Camille\n"  # 6
        "\n"  # 7
        'ok.four@ac-lyon.fr,Martin,"Camille\nSophie",X\n'  # 8-9
        "OK.One@ac-lyon.fr,Martin,Camille,Y\n"  # 10
        "ok.five@ac-lyon.fr," + "M" * 201 + ",Camille,X\n"  # 11
        "ok.six@ac-lyon.fr,Martin,Camille,X,extra\n"  # 12
        ',Martin,"Anne\nSophie",X\n'  # 13-14
        "ok.seven@ac-lyon.fr,Martin," + "C" * 140_000 + ",X\n"  # 15
        "ok.eight@ac-lyon.fr,,Camille,X\n"  # 16
        "ok.nine@ac-lyon.fr,Martin,Camille,X\n"  # 17
    )
    result = rows(text)
    assert [r for r in result if isinstance(r, BadRow)] == [
        BadRow(3, "missing address"),
        BadRow(4, "malformed address 'camille.martin': expected one @"),
        BadRow(5, "empty last name"),
        BadRow(6, "wrong number of fields: 3 instead of 4"),
        BadRow(10, "duplicate of line 2"),
        BadRow(11, "last name longer than 200 characters"),
        BadRow(12, "wrong number of fields: 5 instead of 4"),
        BadRow(13, "missing address"),
        BadRow(15, "unreadable row: field larger than field limit (131072)"),
        BadRow(16, "empty last name"),
    ]
    good = [r["email"] for r in result if isinstance(r, dict)]
    assert good == ["ok.one@ac-lyon.fr", "ok.four@ac-lyon.fr", "ok.nine@ac-lyon.fr"]


def test_a_reason_shows_no_more_than_the_field_at_fault() -> None:
    [bad] = rows("email,last_name,first_name,ballots\nnot-an-address,Secretname,Camille,X\n")
    assert isinstance(bad, BadRow)
    assert "Secretname" not in bad.reason and "Camille" not in bad.reason


async def test_a_file_that_is_not_utf8_is_refused_naming_the_line(
    tmp_path: Path, engine: AsyncEngine
) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        "email,nom,prenom,scrutins\na@b.fr,Martin,Camille,X\nc@d.fr,Lefèvre,Léa,X\n".encode(
            "latin-1"
        )
    )
    with pytest.raises(RegistryError, match=r"line 3 is not UTF-8"):
        await import_voters(engine, path)


# The database: SQLite file and PostgreSQL


def registry(domain: str, changed: bool = False) -> str:
    """Three voters of `domain`, messy as exports are; `changed` alters the second one."""
    name = "Bernard-Roux" if changed else "Bernard"
    return (
        "courriel;nom;prénom;scrutins;hors_ligne\n"
        f" Camille.Martin@{domain.upper()} ;Martin;Camille;CSA ministériel;\n"
        f"lucas.bernard@{domain};{name};Lucas;\"CSA ministériel; CSA d'établissement\";CSA d'établissement\n"
        f"ines.dubois@{domain};Dubois;Inès;CSA ministériel;\n"
        f"ines.dubois@{domain};Dubois;Inès;CSA ministériel;\n"
    )


async def test_import_inserts_normalised_voters(
    engine: AsyncEngine, tmp_path: Path, domain: str
) -> None:
    report = await import_voters(engine, write(tmp_path, registry(domain), bom=True), now=FIRST)
    assert report == ImportReport(4, 3, 0, 0, (BadRow(5, "duplicate of line 4"),))
    stored = await voters_of(engine, domain)
    lucas = stored[f"lucas.bernard@{domain}"]
    assert set(stored) == {
        f"{n}@{domain}" for n in ("camille.martin", "lucas.bernard", "ines.dubois")
    }
    assert lucas.ballots == [
        {"name": "CSA ministériel", "elsewhere": False},
        {"name": "CSA d'établissement", "elsewhere": True},
    ]
    assert lucas.activated_at is None
    assert aware(lucas.created_at) == aware(lucas.updated_at) == FIRST
    assert len(lucas.row_hash) == 32


async def test_import_twice_changes_nothing(
    engine: AsyncEngine, tmp_path: Path, domain: str
) -> None:
    path = write(tmp_path, registry(domain))
    await import_voters(engine, path, now=FIRST)
    before = await voters_of(engine, domain)
    again = await import_voters(engine, path, now=LATER)
    assert (again.read, again.inserted, again.updated, again.unchanged) == (4, 0, 0, 3)
    after = await voters_of(engine, domain)
    assert {e: aware(v.updated_at) for e, v in after.items()} == dict.fromkeys(before, FIRST)
    assert {e: v.row_hash for e, v in after.items()} == {e: v.row_hash for e, v in before.items()}


async def test_a_changed_row_is_updated_and_keeps_its_activation(
    engine: AsyncEngine, tmp_path: Path, domain: str
) -> None:
    await import_voters(engine, write(tmp_path, registry(domain)), now=FIRST)
    lucas = f"lucas.bernard@{domain}"
    async with engine.begin() as connection:
        await connection.execute(
            update(Voter).where(Voter.email == lucas).values(activated_at=FIRST)
        )
    report = await import_voters(engine, write(tmp_path, registry(domain, changed=True)), now=LATER)
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 2)
    stored = await voters_of(engine, domain)
    assert stored[lucas].last_name == "Bernard-Roux"
    assert aware(stored[lucas].activated_at) == FIRST
    assert aware(stored[lucas].created_at) == FIRST
    assert aware(stored[lucas].updated_at) == LATER
    assert aware(stored[f"ines.dubois@{domain}"].updated_at) == FIRST


async def test_voters_absent_from_the_file_stay(
    engine: AsyncEngine, tmp_path: Path, domain: str
) -> None:
    await import_voters(engine, write(tmp_path, registry(domain)), now=FIRST)
    shorter = f"email,nom,prenom,scrutins\nnew.voter@{domain},Petit,Manon,CSA ministériel\n"
    report = await import_voters(engine, write(tmp_path, shorter, "shorter.csv"), now=LATER)
    assert (report.inserted, report.updated, report.unchanged) == (1, 0, 0)
    assert len(await voters_of(engine, domain)) == 4


async def test_batches_split_the_work_and_count_right(
    engine: AsyncEngine, tmp_path: Path, domain: str
) -> None:
    lines = [f"voter.{i}@{domain},Nom{i},Prénom,CSA ministériel;CCP des AESH" for i in range(23)]
    path = write(tmp_path, "email,nom,prenom,scrutins\n" + "\n".join(lines) + "\n")
    first = await import_voters(engine, path, now=FIRST, batch_size=4)
    assert (first.read, first.inserted, first.updated, first.unchanged) == (23, 23, 0, 0)
    lines[7] = f"voter.7@{domain},Nom7,Prénom,CSA ministériel"
    lines.append(f"voter.99@{domain},Nom99,Prénom,CSA ministériel")
    path = write(tmp_path, "email,nom,prenom,scrutins\n" + "\n".join(lines) + "\n")
    second = await import_voters(engine, path, now=LATER, batch_size=4)
    assert (second.read, second.inserted, second.updated, second.unchanged) == (24, 1, 1, 22)
    stored = await voters_of(engine, domain)
    assert stored[f"voter.7@{domain}"].ballots == [{"name": "CSA ministériel", "elsewhere": False}]


async def test_progress_reports_every_byte(
    engine: AsyncEngine, tmp_path: Path, domain: str
) -> None:
    path = write(tmp_path, registry(domain))
    seen: list[int] = []
    await import_voters(engine, path, now=FIRST, batch_size=1, progress=seen.append)
    assert sum(seen) == path.stat().st_size and len(seen) > 1


async def test_each_import_writes_one_audit_event_with_counts_only(
    engine: AsyncEngine, tmp_path: Path, domain: str
) -> None:
    before = await audit_count(engine)
    path = write(tmp_path, registry(domain), "liste-2026.csv")
    await import_voters(engine, path, actor="cli:rectorat", now=FIRST)
    assert await audit_count(engine) == before + 1
    async with engine.connect() as connection:
        query = select(AuditEvent).where(AuditEvent.event == "registry.import")
        event = (await connection.execute(query.order_by(AuditEvent.id.desc()).limit(1))).one()
    assert (event.actor, event.channel, event.subject) == ("cli:rectorat", "cli", "liste-2026.csv")
    assert event.detail == {"read": 4, "inserted": 3, "updated": 0, "unchanged": 0, "bad": 1}
    assert aware(event.at) == FIRST


async def test_demo_voters_are_created_once(engine: AsyncEngine) -> None:
    voters = demo_voters()
    assert len(voters) >= 12 and any(v.activated for v in voters)
    assert any(not v.activated for v in voters)
    await create_demo_voters(engine, FIRST)
    before = await audit_count(engine)
    again = await create_demo_voters(engine, LATER)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(voters))
    assert await audit_count(engine) == before
    async with engine.connect() as connection:
        result = await connection.execute(
            select(Voter.email, Voter.activated_at, Voter.ballots, Voter.updated_at).where(
                Voter.email.in_([v.email for v in voters])
            )
        )
        stored = {row.email: row for row in result}
    assert len(stored) == len(voters)
    for voter in voters:
        row = stored[voter.email]
        assert 1 <= len(row.ballots) <= 7
        assert aware(row.updated_at) != LATER
        if voter.activated:
            assert row.activated_at is not None
    assert {len(stored[v.email].ballots) for v in voters} >= {1, 7}


# The command line


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL for the command: a SQLite file, or the session's PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    return str(request.getfixturevalue("postgres_url"))


def stored_emails(url: str, domain: str) -> set[str]:
    """The addresses of a domain in the database at `url` (from outside any event loop)."""

    async def read() -> set[str]:
        engine = create_engine(url)
        try:
            return set((await voters_of(engine, domain)).keys())
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_cli_import_prints_the_report_and_the_bad_rows(
    tmp_path: Path, domain: str, database_url: str
) -> None:
    lines = [f"voter.{i}@{domain};Nom;Prénom;CSA ministériel" for i in range(3)]
    lines += [f"broken.{i};Nom;Prénom;CSA ministériel" for i in range(55)]
    path = write(tmp_path, "courriel;nom;prenom;scrutins\n" + "\n".join(lines) + "\n")
    result = CliRunner().invoke(
        main, ["voters", "--database-url", database_url, "import", str(path)]
    )
    assert result.exit_code == 0, result.output
    assert "read 58 rows: 3 inserted, 0 updated, 0 unchanged, 55 bad" in result.output
    assert "line 5: malformed address 'broken.0': expected one @" in result.output
    assert "line 54: malformed address" in result.output
    assert "line 55: malformed address" not in result.output
    assert "… and 5 more bad rows" in result.output
    assert "left in place" in result.output
    assert "importing" not in result.output  # no progress bar outside a terminal
    assert stored_emails(database_url, domain) == {f"voter.{i}@{domain}" for i in range(3)}


def test_cli_import_takes_columns_and_the_url_from_the_environment(
    tmp_path: Path, domain: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/env.db"
    monkeypatch.setenv("ASSESSEUR_DATABASE_URL", url)
    path = write(tmp_path, f"MAIL_PRO,NOM_USAGE,prenom,scrutins\nA@{domain},Martin,Camille,X\n")
    result = CliRunner().invoke(
        main,
        [
            "voters",
            "import",
            str(path),
            "--column",
            "email=mail_pro",
            "--column",
            "last_name=nom_usage",
        ],
    )
    assert result.exit_code == 0, result.output
    assert stored_emails(url, domain) == {f"a@{domain}"}


def test_cli_import_refuses_a_file_without_the_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "mail,nom\na@b.fr,Martin\n")
    url = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    result = CliRunner().invoke(main, ["voters", "--database-url", url, "import", str(path)])
    assert result.exit_code == 1
    assert "no column for email" in result.output
    bad_option = CliRunner().invoke(
        main, ["voters", "--database-url", url, "import", str(path), "--column", "numen=x"]
    )
    assert bad_option.exit_code == 2 and "FIELD=HEADER" in bad_option.output


def test_cli_demo_prints_the_addresses_and_is_idempotent(database_url: str) -> None:
    runner = CliRunner()
    runner.invoke(main, ["voters", "--database-url", database_url, "demo"])
    result = runner.invoke(main, ["voters", "--database-url", database_url, "demo"])
    assert result.exit_code == 0, result.output
    assert "0 created, 0 updated, 12 unchanged" in result.output
    assert "camille.martin@ac-versailles.fr" in result.output
    assert "not activated" in result.output
