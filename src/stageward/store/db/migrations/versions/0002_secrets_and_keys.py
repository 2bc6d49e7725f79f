"""Secrets (wrapped data keys, secrets, encrypted versions) and API keys."""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "secret_data_keys",
        sa.Column("environment", sa.String(64), primary_key=True),
        sa.Column("wrapped_key", sa.LargeBinary, nullable=False),
        sa.Column("master_key_id", sa.String(16), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
    )
    op.create_table(
        "secrets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("environment", sa.String(64), nullable=False),
        sa.Column("team", sa.String(64), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("current_version", sa.Integer, nullable=False),
        sa.Column("ttl_seconds", sa.Integer, nullable=True),
        sa.Column("rotate_with", sa.Text, nullable=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.UniqueConstraint("environment", "team", "name", name="uq_secret"),
    )
    op.create_table(
        "secret_versions",
        sa.Column("secret_id", sa.Integer, sa.ForeignKey("secrets.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("ciphertext", sa.LargeBinary, nullable=False),
        sa.Column("expires_at", sa.String(32), nullable=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("prefix", sa.String(96), nullable=False, unique=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("principal", sa.String(128), nullable=False),
        sa.Column("environment", sa.String(64), nullable=False),
        sa.Column("ttl_seconds", sa.Integer, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("expires_at", sa.String(32), nullable=False),
        sa.Column("last_used_at", sa.String(32), nullable=True),
        sa.Column("revoked_at", sa.String(32), nullable=True),
        sa.Column("revoked_by", sa.String(128), nullable=True),
        sa.Column("replaced_by", sa.String(96), nullable=True),
    )
    op.create_index("ix_api_keys_environment", "api_keys", ["environment"])


def downgrade() -> None:
    op.drop_index("ix_api_keys_environment", table_name="api_keys")
    for table in ("api_keys", "secret_versions", "secrets", "secret_data_keys"):
        op.drop_table(table)
