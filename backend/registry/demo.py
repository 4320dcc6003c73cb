"""The demo voters: realistic electors for `make demo`, created idempotently."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from backend import audit
from backend.db.models import Voter
from backend.db.time import utc
from backend.registry.rows import ImportReport, VoterRow, make_row
from backend.registry.store import BatchStore


@dataclass(frozen=True, slots=True)
class DemoVoter:
    """A demo elector: raw fields as a file would give them, and whether the account is active."""

    email: str
    last_name: str
    first_name: str
    ballots: str
    elsewhere: str = ""
    activated: bool = False


def _pair(corps: str, local: str = "CAPA") -> str:
    """The national and the local joint committee of a corps: `CAPN des …;CAPA des …`."""
    return f"CAPN des {corps};{local} des {corps}"


def demo_voters() -> list[DemoVoter]:
    """A dozen realistic voters of the Education ministry, for the demo and the tests."""
    csa = "CSA ministériel;CSA académique"
    certified = f"{csa};{_pair('professeurs certifiés')}"
    aggregated = f"{csa};{_pair('professeurs agrégés')}"
    schools = f"{csa};CSA spécial départemental;{_pair('professeurs des écoles', 'CAPD')}"
    vocational = f"{csa};{_pair('professeurs de lycée professionnel')}"
    education = f"{csa};" + _pair("conseillers principaux d'éducation")
    school = "CSA d'établissement"
    return [
        DemoVoter("camille.martin@ac-versailles.fr", "Martin", "Camille", certified, school, True),
        DemoVoter("lucas.bernard@ac-lyon.fr", "Bernard", "Lucas", schools),
        DemoVoter("ines.dubois@ac-lille.fr", "Dubois", "Inès", f"{csa};CCP des AESH"),
        DemoVoter("hugo.moreau@ac-toulouse.fr", "Moreau", "Hugo", aggregated, school, True),
        DemoVoter(
            "chloe.laurent@ac-bordeaux.fr",
            "Laurent",
            "Chloé",
            f"{csa};CCP des contractuels enseignants",
        ),
        DemoVoter(
            "anne-sophie.lefevre-durand@ac-normandie.fr",
            "Lefèvre-Durand",
            "Anne-Sophie",
            f"{csa};CAPN des personnels de direction",
            activated=True,
        ),
        DemoVoter("karim.haddad@ac-aix-marseille.fr", "Haddad", "Karim", vocational),
        DemoVoter(
            "sophie.garnier@ac-nantes.fr", "Garnier", "Sophie", certified, f"{school};CPE", True
        ),
        DemoVoter(
            "julien.roux@ac-grenoble.fr",
            "Roux",
            "Julien",
            f"{certified};CSA spécial départemental",
            f"{school};CPE",
        ),
        DemoVoter("manon.petit@ac-rennes.fr", "Petit", "Manon", "CSA ministériel"),
        DemoVoter("thomas.fournier@ac-paris.fr", "Fournier", "Thomas", education, activated=True),
        DemoVoter(
            "lea.girard@ac-montpellier.fr", "Girard", "Léa", "CSA ministériel", f"{school};CCP ANT"
        ),
    ]


async def create_demo_voters(engine: AsyncEngine, now: datetime) -> ImportReport:
    """Creates the demo voters (idempotent: a second run changes nothing)."""
    moment = utc(now)
    rows: list[VoterRow] = []
    for voter in demo_voters():
        row = make_row(
            voter.email, voter.last_name, voter.first_name, voter.ballots, voter.elsewhere
        )
        if isinstance(row, str):
            raise ValueError(f"demo voter {voter.email}: {row}")
        rows.append(row)
    activated = [v.email for v in demo_voters() if v.activated]
    async with engine.begin() as connection:
        store = BatchStore(connection, moment, lookup=True)
        await store.apply(rows)
        await connection.execute(
            update(Voter)
            .where(Voter.email.in_(activated), Voter.activated_at.is_(None))
            .values(activated_at=moment)
        )
        report = ImportReport(len(rows), store.inserted, store.updated, store.unchanged, ())
        if store.inserted or store.updated:
            await audit.record(
                connection,
                "registry.import",
                actor="demo",
                at=moment,
                channel="demo",
                subject="demo voters",
                detail=report.counts(),
            )
    return report
