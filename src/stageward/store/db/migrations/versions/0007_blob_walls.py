"""Walls around blobs that projects share: an index on run log chunk digests (a beat checks that the blob it
names is not another project's) and the blob claims (a version names another project's blob only once its own
caller sent the bytes)."""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_run_log_chunks_digest", "run_log_chunks", ["digest"])
    op.create_table(
        "blob_claims",
        sa.Column("project", sa.String(64), primary_key=True),
        sa.Column("environment", sa.String(64), primary_key=True),
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("claimed_at", sa.String(32), nullable=False),
        sa.Column("claimed_by", sa.String(128), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("blob_claims")
    op.drop_index("ix_run_log_chunks_digest", table_name="run_log_chunks")
