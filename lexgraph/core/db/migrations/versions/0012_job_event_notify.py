"""A NOTIFY per job event on PostgreSQL, so live event streams wake when an event commits

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The channel lexgraph.core.jobs.wakeup listens on; the payload is the job id.
CHANNEL = "lexgraph_job_events"


def upgrade() -> None:
    # SQLite has no notifications: streams there poll, as they always did.
    if op.get_bind().dialect.name != "postgresql":
        return
    # pg_notify inside the inserting transaction is delivered when that transaction commits,
    # so a listener woken by it always finds the row.
    op.execute(f"""
        CREATE OR REPLACE FUNCTION lexgraph_notify_job_event() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', NEW.job_id);
            RETURN NULL;
        END
        $$""")
    op.execute("""
        CREATE TRIGGER job_events_notify AFTER INSERT ON job_events
        FOR EACH ROW EXECUTE FUNCTION lexgraph_notify_job_event()""")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS job_events_notify ON job_events")
    op.execute("DROP FUNCTION IF EXISTS lexgraph_notify_job_event()")
