"""Tables of runs: the run records, the index of their log chunks (bytes live in the blob store), metrics,
schedules, and the lease that lets exactly one scheduler fire what is due."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from stageward.store.db.schema import metadata

runs = Table(
    "runs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("project", String(64), nullable=False),
    Column("environment", String(64), nullable=False),
    Column("principal", String(128), nullable=False),
    Column("command", Text, nullable=False),  # JSON list of arguments
    Column("commit", String(64), nullable=True),
    Column("ref", String(255), nullable=True),
    Column("dirty", Boolean, nullable=True),
    Column("image", String(512), nullable=True),
    Column("config_digest", String(71), nullable=False),
    Column("executor", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", String(32), nullable=False),
    Column("ended_at", String(32), nullable=True),
    Column("exit_code", Integer, nullable=True),
    Column("cpu_seconds", Float, nullable=True),
    Column("cost", Float, nullable=True),
    Column("estimate", Float, nullable=False),
    Column("tags", Text, nullable=False),  # JSON object
    Column("reads", Text, nullable=False),  # JSON list of data store names
    Column("writes", Text, nullable=False),
    Column("heartbeat_at", String(32), nullable=False),
    Column("heartbeat_seconds", Float, nullable=False),
    Column("external_id", String(128), nullable=True),  # the executor's own id (a Ray job's submission id)
    Column("log_bytes", BigInteger, nullable=False),
    Column("note", Text, nullable=True),
    Index("ix_runs_project_env_status", "project", "environment", "status"),
    Index("ix_runs_started_at", "started_at"),
)

run_log_chunks = Table(
    "run_log_chunks",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id"), primary_key=True),
    Column("sequence", Integer, primary_key=True),
    Column("offset", BigInteger, nullable=False),
    Column("size", Integer, nullable=False),
    Column("digest", String(64), nullable=False),
    Index("ix_run_log_chunks_digest", "digest"),
)

run_metrics = Table(
    "run_metrics",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id"), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("step", Integer, primary_key=True),
    Column("value", Float, nullable=False),
    Column("at", String(32), nullable=False),
)

schedules = Table(
    "schedules",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project", String(64), nullable=False),
    Column("environment", String(64), nullable=False),
    Column("name", String(64), nullable=False),
    Column("cron", String(128), nullable=False),
    Column("pipeline", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("last_fired_at", String(32), nullable=True),  # the due time last fired; earlier ones are never replayed
    UniqueConstraint("project", "environment", "name", name="uq_schedule_name"),
)

scheduler_leases = Table(
    "scheduler_leases",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(128), nullable=False),
    Column("expires_at", String(32), nullable=False),
)
