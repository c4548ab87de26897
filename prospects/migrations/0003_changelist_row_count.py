"""A PostgreSQL function that counts a changelist's rows in one round trip, cheaply.

``changelist_row_count(query, exact_below)`` asks the planner how many rows ``query``
returns and what reading them costs. When the estimate is below ``exact_below`` and the
cost is under 10,000 (about a tenth of a sequential scan of a million prospects) it
counts them exactly, never more than ``exact_below`` + 1 rows in case the statistics
are stale; otherwise it returns the estimate. infra.pagination.EstimatedCountPaginator
calls it, so every changelist costs one counting query whatever the table's size, and
none of them reads a million rows. JIT is off for it: compiling costs more than counting.

It lives here because the prospect changelist is the one that needed it; the other
admins that use the paginator (emails, replies, the logs) rely on it too. SQLite has no
such function and needs none (the paginator counts exactly there).
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION changelist_row_count(query text, exact_below bigint) RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET jit = off
AS $$
DECLARE
    plan json;
    estimate bigint;
    exact bigint;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
    estimate := (plan -> 0 -> 'Plan' ->> 'Plan Rows')::numeric::bigint;
    -- count only what is cheap to count: few rows, and a plan that doesn't read much of
    -- the table (a two-letter substring search has no trigram to use, for instance)
    IF estimate >= exact_below OR (plan -> 0 -> 'Plan' ->> 'Total Cost')::numeric > 10000 THEN
        RETURN estimate;
    END IF;
    EXECUTE 'SELECT count(*) FROM (SELECT 1 FROM (' || query || ') AS counted LIMIT '
        || (exact_below + 1) || ') AS capped' INTO exact;
    IF exact > exact_below THEN
        RETURN GREATEST(estimate, exact);  -- the statistics were stale: don't count on
    END IF;
    RETURN exact;
END
$$
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS changelist_row_count(text, bigint)")


class Migration(migrations.Migration):
    dependencies = [("prospects", "0002_trigram_search")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
