"""Tenancy and policy held by the store: environments, projects, applied policy versions and change requests;
a project on every asset, promotion and project-scoped secret; role bindings narrowed to a team or a project."""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _founding_project(conn: sa.Connection) -> str:
    """The project that created the store (its first audit entry names it): it owns what the store already holds."""
    row = conn.execute(
        sa.text("SELECT target FROM audit_log WHERE action = 'store.create' ORDER BY sequence LIMIT 1")
    ).first()
    return str(row[0]) if row and row[0] else "default"


def upgrade() -> None:
    conn = op.get_bind()
    owner = _founding_project(conn)
    op.create_table(
        "environments",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("registered_at", sa.String(32), nullable=False),
        sa.Column("registered_by", sa.String(128), nullable=False),
    )
    op.create_table(
        "projects",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("team", sa.String(64), nullable=True),
        sa.Column("registered_at", sa.String(32), nullable=False),
        sa.Column("registered_by", sa.String(128), nullable=False),
    )
    op.create_table(
        "policy_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("project", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("digest", sa.String(71), nullable=False),
        sa.Column("changes", sa.Text, nullable=False),
        sa.Column("applied_at", sa.String(32), nullable=False),
        sa.Column("applied_by", sa.String(128), nullable=False),
        sa.Column("request_id", sa.Integer, nullable=True),
        sa.UniqueConstraint("project", "version", name="uq_policy_version"),
    )
    op.create_table(
        "policy_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("project", sa.String(64), nullable=False),
        sa.Column("base_version", sa.Integer, nullable=True),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("digest", sa.String(71), nullable=False),
        sa.Column("changes", sa.Text, nullable=False),
        sa.Column("approval_environments", sa.Text, nullable=False),
        sa.Column("required_approvals", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("requested_by", sa.String(128), nullable=False),
        sa.Column("requested_at", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("result_version", sa.Integer, nullable=True),
        sa.Index("ix_policy_requests_project_state", "project", "state"),
    )
    op.create_table(
        "policy_decisions",
        sa.Column("request_id", sa.Integer, sa.ForeignKey("policy_requests.id"), primary_key=True),
        sa.Column("principal", sa.String(128), primary_key=True),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("comment", sa.Text, nullable=True),
        sa.Column("at", sa.String(32), nullable=False),
    )
    with op.batch_alter_table("team_members") as batch:
        batch.add_column(sa.Column("maintainer", sa.Boolean, nullable=False, server_default=sa.false()))
    with op.batch_alter_table("role_bindings") as batch:
        batch.add_column(sa.Column("scope", sa.String(80), nullable=False, server_default=""))
        batch.drop_constraint("uq_binding", type_="unique")
        batch.create_unique_constraint("uq_binding", ["principal", "role", "environment", "scope"])
    with op.batch_alter_table("assets") as batch:
        batch.add_column(sa.Column("project", sa.String(64), nullable=False, server_default=owner))
        batch.drop_constraint("uq_asset_name", type_="unique")
        batch.create_unique_constraint("uq_asset_name", ["project", "environment", "name"])
    with op.batch_alter_table("promotions") as batch:
        batch.add_column(sa.Column("project", sa.String(64), nullable=False, server_default=owner))
    with op.batch_alter_table("secrets") as batch:
        batch.add_column(sa.Column("project", sa.String(64), nullable=False, server_default=""))
        batch.drop_constraint("uq_secret", type_="unique")
        batch.create_unique_constraint("uq_secret", ["environment", "team", "project", "name"])
    # What was environment-wide belonged to the one project the store served: it becomes that project's.
    conn.execute(sa.text("UPDATE secrets SET project = :owner WHERE team = ''"), {"owner": owner})
