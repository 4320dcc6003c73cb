"""The voter registry: reads an electoral list (CSV), normalises it and upserts it in batches.

The import adds and updates voters; it never deletes one that the file does not list. Running the
same file twice changes nothing: each row carries a hash of its normalised fields, and only rows
whose hash differs are written (`activated_at` is never touched).
"""

from __future__ import annotations

from backend.registry.demo import DemoVoter, create_demo_voters, demo_voters
from backend.registry.rows import (
    BATCH_SIZE,
    FIELDS,
    HEADERS,
    MAX_EMAIL,
    MAX_NAME,
    BadRow,
    BallotEntry,
    ImportReport,
    RegistryError,
    VoterRow,
    check_utf8,
    detect_delimiter,
    email_problem,
    header_key,
    make_row,
    normalise_ballots,
    normalise_email,
    normalise_name,
    read_rows,
    resolve_columns,
    row_hash,
)
from backend.registry.store import import_voters

__all__ = [
    "BATCH_SIZE",
    "FIELDS",
    "HEADERS",
    "MAX_EMAIL",
    "MAX_NAME",
    "BadRow",
    "BallotEntry",
    "DemoVoter",
    "ImportReport",
    "RegistryError",
    "VoterRow",
    "check_utf8",
    "create_demo_voters",
    "demo_voters",
    "detect_delimiter",
    "email_problem",
    "header_key",
    "import_voters",
    "make_row",
    "normalise_ballots",
    "normalise_email",
    "normalise_name",
    "read_rows",
    "resolve_columns",
    "row_hash",
]
