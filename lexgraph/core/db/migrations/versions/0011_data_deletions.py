"""data_deletions, and llm_usage rows that outlive their job: deleting a job's or a matter's data

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None



def _usage_table(*foreign_key: sa.ForeignKeyConstraint) -> sa.Table:
    """llm_usage as 0004 made it, with or without the foreign key on job_id."""
    return sa.Table(
        "llm_usage", sa.MetaData(),
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=True, nullable=False),
        sa.Column("job_id", sa.String(length=40), nullable=False),
        sa.Column("tenant_id", sa.String(length=40), nullable=False),
        sa.Column("agent", sa.String(length=120), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.Index("ix_llm_usage_job", "job_id"),
        sa.Index("ix_llm_usage_tenant_time", "tenant_id", "created_at"),
        *foreign_key,
    )


def upgrade() -> None:
    op.create_table(
        "data_deletions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("tenant_id", sa.String(length=40), nullable=False),
        sa.Column("key_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("jobs", sa.JSON().with_variant(
            sa.dialects.postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.Column("blobs_removed", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_data_deletions_target", "data_deletions",
                    ["tenant_id", "kind", "target"], unique=False)
    # Token counts are billing records: they stay when the job they were spent on is deleted.
    if op.get_bind().dialect.name == "sqlite":
        # SQLite's foreign key has no name to drop: the table is copied into one without it.
        with op.batch_alter_table("llm_usage", copy_from=_usage_table(), recreate="always"):
            pass
    else:
        op.drop_constraint("llm_usage_job_id_fkey", "llm_usage", type_="foreignkey")


def downgrade() -> None:
    op.execute("DELETE FROM llm_usage WHERE job_id NOT IN (SELECT id FROM jobs)")
    if op.get_bind().dialect.name == "sqlite":
        usage = _usage_table(sa.ForeignKeyConstraint(["job_id"], ["jobs.id"],
                                                     ondelete="CASCADE"))
        with op.batch_alter_table("llm_usage", copy_from=usage, recreate="always"):
            pass
    else:
        op.create_foreign_key("llm_usage_job_id_fkey", "llm_usage", "jobs", ["job_id"], ["id"],
                              ondelete="CASCADE")
    op.drop_index("ix_data_deletions_target", table_name="data_deletions")
    op.drop_table("data_deletions")
