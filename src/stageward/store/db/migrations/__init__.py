"""Alembic migrations, applied on open. Revision files are named NNNN_what.py; NNNN is the revision id."""
