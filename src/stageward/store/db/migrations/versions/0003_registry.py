"""Registry and promotions: assets, versions, files, aliases and their history, promotion requests."""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("environment", sa.String(64), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.UniqueConstraint("environment", "name", name="uq_asset_name"),
    )
    op.create_table(
        "asset_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("asset_id", sa.Integer, sa.ForeignKey("assets.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("manifest_digest", sa.String(64), nullable=False),
        sa.Column("file_count", sa.Integer, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("metrics", sa.Text, nullable=False),
        sa.Column("params", sa.Text, nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("run_id", sa.String(128), nullable=True),
        sa.Column("git_commit", sa.String(64), nullable=True),
        sa.Column("config_digest", sa.String(71), nullable=True),
        sa.Column("blob_store", sa.String(1024), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("promoted_from_env", sa.String(64), nullable=True),
        sa.Column("promoted_from_name", sa.String(128), nullable=True),
        sa.Column("promoted_from_version", sa.Integer, nullable=True),
        sa.Column("promotion_id", sa.Integer, nullable=True),
        sa.UniqueConstraint("asset_id", "version", name="uq_asset_version"),
    )
    op.create_table(
        "version_files",
        sa.Column("version_id", sa.Integer, sa.ForeignKey("asset_versions.id"), primary_key=True),
        sa.Column("path", sa.String(1024), primary_key=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
    )
    op.create_index("ix_version_files_sha256", "version_files", ["sha256"])
    op.create_table(
        "aliases",
        sa.Column("asset_id", sa.Integer, sa.ForeignKey("assets.id"), primary_key=True),
        sa.Column("alias", sa.String(63), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.Column("updated_by", sa.String(128), nullable=False),
    )
    op.create_table(
        "alias_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("asset_id", sa.Integer, sa.ForeignKey("assets.id"), nullable=False),
        sa.Column("alias", sa.String(63), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("previous_version", sa.Integer, nullable=True),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("by", sa.String(128), nullable=False),
        sa.Column("promotion_id", sa.Integer, nullable=True),
    )
    op.create_index("ix_alias_history_asset_alias", "alias_history", ["asset_id", "alias"])
    op.create_table(
        "promotions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("source_env", sa.String(64), nullable=False),
        sa.Column("source_version", sa.Integer, nullable=False),
        sa.Column("target_env", sa.String(64), nullable=False),
        sa.Column("alias", sa.String(63), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("requested_by", sa.String(128), nullable=False),
        sa.Column("requested_at", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("required_approvals", sa.Integer, nullable=False),
        sa.Column("gates", sa.Text, nullable=False),
        sa.Column("result_version", sa.Integer, nullable=True),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
    )
    op.create_index("ix_promotions_target_state", "promotions", ["target_env", "state"])
    op.create_table(
        "promotion_decisions",
        sa.Column("promotion_id", sa.Integer, sa.ForeignKey("promotions.id"), primary_key=True),
        sa.Column("principal", sa.String(128), primary_key=True),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("comment", sa.Text, nullable=True),
        sa.Column("at", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "promotion_decisions",
        "promotions",
        "alias_history",
        "aliases",
        "version_files",
        "asset_versions",
        "assets",
    ):
        op.drop_table(table)
