"""An index on the digest of run log chunks: a beat checks that the blob it names is not another project's."""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_run_log_chunks_digest", "run_log_chunks", ["digest"])


def downgrade() -> None:
    op.drop_index("ix_run_log_chunks_digest", table_name="run_log_chunks")
