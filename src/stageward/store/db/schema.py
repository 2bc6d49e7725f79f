"""Tables of the foundation: store metadata, principals, teams, role bindings, the audit chain.

Other capabilities add their tables in their own schema_*.py module on the same metadata.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Integer, MetaData, String, Table, Text, UniqueConstraint, false

metadata = MetaData()

meta = Table(
    "stageward_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

principals = Table(
    "principals",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(128), nullable=False),
)

teams = Table(
    "teams",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("prefix", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(128), nullable=False),
)

team_members = Table(
    "team_members",
    metadata,
    Column("team", String(64), ForeignKey("teams.name"), primary_key=True),
    Column("member", String(128), primary_key=True),
    Column("added_at", String(32), nullable=False),
    # A maintainer adds and removes the team's members without being a store admin.
    Column("maintainer", Boolean, nullable=False, server_default=false()),
)

role_bindings = Table(
    "role_bindings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("principal", String(128), nullable=False),
    Column("role", String(32), nullable=False),
    Column("environment", String(64), nullable=False),
    Column("granted_at", String(32), nullable=False),
    Column("granted_by", String(128), nullable=False),
    # "" for the whole environment, "team:NAME" or "project:NAME" for a binding narrowed to one (SPEC §2).
    Column("scope", String(80), nullable=False, server_default=""),
    UniqueConstraint("principal", "role", "environment", "scope", name="uq_binding"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("sequence", Integer, primary_key=True, autoincrement=False),
    Column("time", String(32), nullable=False),
    Column("principal", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    Column("environment", String(64), nullable=True, index=True),
    Column("target", String(512), nullable=True),
    Column("outcome", String(16), nullable=False),
    Column("details", Text, nullable=False),
    Column("previous_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

# One row: the sequence and hash of the last entry, so truncating the log is caught too.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("sequence", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)

# Environments are the store's, shared by every project; a project's policy may name only these, at their tier.
environments = Table(
    "environments",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("tier", String(16), nullable=False),
    Column("registered_at", String(32), nullable=False),
    Column("registered_by", String(128), nullable=False),
)

# A project is registered once and bound to its team; every asset, promotion and project secret names it.
projects = Table(
    "projects",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("team", String(64), nullable=True),
    Column("registered_at", String(32), nullable=False),
    Column("registered_by", String(128), nullable=False),
)
