"""Alembic migrations, applied on open. Revision files are named NNNN_what.py; NNNN is the revision id."""

from pathlib import Path

VERSIONS_DIR = Path(__file__).parent / "versions"


def known_revisions() -> list[str]:
    """Revision ids in order, read from the file names, so the hot path never imports Alembic."""
    names = sorted(p.name for p in VERSIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.py"))
    return [name[:4] for name in names]


def head_revision() -> str:
    return known_revisions()[-1]
