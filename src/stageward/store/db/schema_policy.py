"""Tables of the policy held by the store: applied versions per project, change requests and their decisions."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from stageward.store.db.schema import metadata

policy_versions = Table(
    "policy_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("document", Text, nullable=False),
    Column("digest", String(71), nullable=False),
    Column("changes", Text, nullable=False),
    Column("applied_at", String(32), nullable=False),
    Column("applied_by", String(128), nullable=False),
    Column("request_id", Integer, nullable=True),
    UniqueConstraint("project", "version", name="uq_policy_version"),
)

policy_requests = Table(
    "policy_requests",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project", String(64), nullable=False),
    Column("base_version", Integer, nullable=True),
    Column("document", Text, nullable=False),
    Column("digest", String(71), nullable=False),
    Column("changes", Text, nullable=False),
    Column("approval_environments", Text, nullable=False),
    Column("required_approvals", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("reason", Text, nullable=True),
    Column("requested_by", String(128), nullable=False),
    Column("requested_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("note", Text, nullable=True),
    Column("result_version", Integer, nullable=True),
    Index("ix_policy_requests_project_state", "project", "state"),
)

policy_decisions = Table(
    "policy_decisions",
    metadata,
    Column("request_id", Integer, ForeignKey("policy_requests.id"), primary_key=True),
    Column("principal", String(128), primary_key=True),
    Column("decision", String(16), nullable=False),
    Column("comment", Text, nullable=True),
    Column("at", String(32), nullable=False),
)
