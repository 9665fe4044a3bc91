"""job_feedback: reviewers' feedback on a job, mirrored to its LangSmith root run

Also ``jobs.trace``: the job's root run (id, distributed-tracing headers, UI link), written
when the API accepts the job so that every worker attempt continues the same run tree.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            "trace", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True))
    op.create_table(
        "job_feedback",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("job_id", sa.String(length=40), nullable=False),
        sa.Column("tenant_id", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("correction", sa.Text(), nullable=True),
        sa.Column("sent", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("job_feedback", schema=None) as batch_op:
        batch_op.create_index("ix_job_feedback_job", ["job_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("job_feedback", schema=None) as batch_op:
        batch_op.drop_index("ix_job_feedback_job")
    op.drop_table("job_feedback")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("trace")
