"""Runs: run records, the index of their log chunks (the bytes go to the blob store), run metrics, schedules
and the scheduler lease; a promotion's retrain run."""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("project", sa.String(64), nullable=False),
        sa.Column("environment", sa.String(64), nullable=False),
        sa.Column("principal", sa.String(128), nullable=False),
        sa.Column("command", sa.Text, nullable=False),
        sa.Column("commit", sa.String(64), nullable=True),
        sa.Column("ref", sa.String(255), nullable=True),
        sa.Column("dirty", sa.Boolean, nullable=True),
        sa.Column("image", sa.String(512), nullable=True),
        sa.Column("config_digest", sa.String(71), nullable=False),
        sa.Column("executor", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.String(32), nullable=False),
        sa.Column("ended_at", sa.String(32), nullable=True),
        sa.Column("exit_code", sa.Integer, nullable=True),
        sa.Column("cpu_seconds", sa.Float, nullable=True),
        sa.Column("cost", sa.Float, nullable=True),
        sa.Column("estimate", sa.Float, nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("reads", sa.Text, nullable=False),
        sa.Column("writes", sa.Text, nullable=False),
        sa.Column("heartbeat_at", sa.String(32), nullable=False),
        sa.Column("heartbeat_seconds", sa.Float, nullable=False),
        sa.Column("external_id", sa.String(128), nullable=True),
        sa.Column("log_bytes", sa.BigInteger, nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Index("ix_runs_project_env_status", "project", "environment", "status"),
        sa.Index("ix_runs_started_at", "started_at"),
    )
    op.create_table(
        "run_log_chunks",
        sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id"), primary_key=True),
        sa.Column("sequence", sa.Integer, primary_key=True),
        sa.Column("offset", sa.BigInteger, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_table(
        "run_metrics",
        sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.id"), primary_key=True),
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("step", sa.Integer, primary_key=True),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
    )
    op.create_table(
        "schedules",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("project", sa.String(64), nullable=False),
        sa.Column("environment", sa.String(64), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("cron", sa.String(128), nullable=False),
        sa.Column("pipeline", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("last_fired_at", sa.String(32), nullable=True),
        sa.UniqueConstraint("project", "environment", "name", name="uq_schedule_name"),
    )
    op.create_table(
        "scheduler_leases",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("expires_at", sa.String(32), nullable=False),
    )
    with op.batch_alter_table("promotions") as batch:
        batch.add_column(sa.Column("run_id", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("promotions") as batch:
        batch.drop_column("run_id")
    for table in ("scheduler_leases", "schedules", "run_metrics", "run_log_chunks", "runs"):
        op.drop_table(table)
