"""jobs.cache_key and jobs.cached_from: identical resubmissions answered from an earlier result

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cache_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("cached_from", sa.String(length=40), nullable=True))
    # Jobs from before this revision keep a null key: they are never served from, because
    # what they were computed with (model, policy, settings) is not known.
    op.create_index("ix_jobs_tenant_cache_key", "jobs", ["tenant_id", "cache_key"],
                    unique=False, postgresql_where=sa.text("cache_key IS NOT NULL"),
                    sqlite_where=sa.text("cache_key IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("ix_jobs_tenant_cache_key", table_name="jobs")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("cached_from")
        batch_op.drop_column("cache_key")
