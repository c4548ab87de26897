"""The prospect changelist costs the same queries on 100,000 prospects as on ten.

The rows go in with one ``INSERT … SELECT … FROM generate_series`` (factories would take
minutes); then page 1, a search, two filters and a late page are requested through the
admin, their SQL captured. Besides the query count, PostgreSQL's own per-transaction
statistics show how many rows each request read, which also covers the count the
paginator runs inside the database (``changelist_row_count``).
"""

import re

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext

from prospects.admin import ProspectAdmin
from prospects.models import Prospect

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

CHANGELIST = "/admin/prospects/prospect/"
SEARCH = "kingsholm"  # one hotel in a thousand is a Kingsholm Lodge (row 7, 1007, 2007, …)

# SQL for the columns that matter here, per generated row g; every other column gets
# the model's default
ROW_SQL = {
    "name": "'Contact ' || g",
    "email": "'gm' || g || '@hotel' || g || '.example'",
    "company_name": "CASE WHEN mod(g, 1000) = 7 THEN 'Kingsholm Lodge ' ELSE 'Harbour View Hotel ' END || g",
    "city": "(ARRAY['Denver', 'Lisbon', 'Berlin'])[mod(g, 3) + 1]",
    "country": "(ARRAY['US', 'PT', 'DE'])[mod(g, 3) + 1]",
    "stage": "CASE WHEN mod(g, 10) < 7 THEN 'new' ELSE 'contacted' END",
    "trace_id": "gen_random_uuid()",
    "created_at": "now() - g * interval '1 minute'",
    "stage_changed_at": "now() - g * interval '1 minute'",
    "updated_at": "now()",
}


def insert_prospects(first: int, last: int):
    """Prospects first…last (ids follow), in one statement."""
    defaults = Prospect()
    columns, values, params = [], [], []
    for field in Prospect._meta.concrete_fields:
        if field.primary_key or (field.name not in ROW_SQL and field.has_db_default()):
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.name in ROW_SQL:
            values.append(ROW_SQL[field.name])
        else:
            values.append("%s")
            params.append(field.get_db_prep_save(field.pre_save(defaults, add=True), connection))
    table = Prospect._meta.db_table
    with connection.cursor() as cursor:
        # a bulk load's usual recipe: build the secondary indexes once, after the rows
        # (four of them are GIN, slow to update row by row); constraints' indexes stay
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
            [table, table],
        )
        indexes = cursor.fetchall()
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # deferred FK checks would block CREATE INDEX
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM generate_series(%s, %s) AS g",
            [*params, first, last],
        )
        for _, definition in indexes:
            cursor.execute(definition)
        # what autovacuum does after a bulk load; the planner's estimates depend on it
        cursor.execute(f"ANALYZE {table}")


def rows_read() -> int:
    """Rows this transaction has read from the prospect table so far (heap and index)."""
    with connection.cursor() as cursor:
        # for a table: rows read by sequential scans; for an index: entries read
        cursor.execute(
            "SELECT sum(pg_stat_get_xact_tuples_returned(oid)) FROM"
            " (SELECT %s::regclass::oid UNION ALL SELECT indexrelid FROM pg_index WHERE indrelid = %s::regclass) AS r",
            [Prospect._meta.db_table] * 2,
        )
        return int(cursor.fetchone()[0])


def request(client, query_string=""):
    """GET the changelist; return the response, its SQL and the rows it read."""
    before = rows_read()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST + query_string)
    assert response.status_code == 200, query_string
    return response, [q["sql"] for q in queries.captured_queries], rows_read() - before


def is_full_count(sql: str) -> bool:
    """COUNT(…) over the whole prospect table: no WHERE to narrow it, no LIMIT to cap it."""
    return bool(
        re.search(r"\bCOUNT\(", sql, re.IGNORECASE)
        and 'FROM "prospects_prospect"' in sql
        and not re.search(r"\b(WHERE|LIMIT)\b", sql, re.IGNORECASE)
    )


SCENARIOS = {
    "page 1": "",
    "search": f"?q={SEARCH}",
    "stage filter": "?stage__exact=new",
    "country filter": "?country=PT",
}


def test_changelist_queries_do_not_grow_with_the_table(admin_client):
    insert_prospects(1, 10)
    request(admin_client)  # the session's first page also stores the live settings' defaults
    small = {label: request(admin_client, qs) for label, qs in SCENARIOS.items()}
    assert small["search"][0].context["cl"].result_count == 1

    insert_prospects(11, 100_000)
    large = {label: request(admin_client, qs) for label, qs in SCENARIOS.items()}
    large["later page"] = request(admin_client, "?p=500")

    for label, (_, small_sql, _) in small.items():
        assert len(large[label][1]) == len(small_sql), (label, large[label][1], small_sql)
    # a later page costs what page 1 costs (ten prospects have no page 500 to compare with)
    assert len(large["later page"][1]) == len(small["page 1"][1])
    assert len(large["page 1"][1]) <= 15

    for label, (response, sql, _) in large.items():
        assert not [q for q in sql if is_full_count(q)], label
        assert len(response.context["cl"].result_list) == 100, label  # a full page listed

    # no request read the table through: the unfiltered and 70% filters are estimated,
    # the search is counted exactly through its trigram indexes
    for label in ("page 1", "search", "stage filter"):
        assert large[label][2] < 5_000, (label, large[label][2])

    page_1 = large["page 1"][0].context["cl"]
    assert 90_000 <= page_1.result_count <= 110_000  # the planner's estimate
    assert page_1.result_list[0].company_name == "Harbour View Hotel 100000"  # newest first
    assert large["search"][0].context["cl"].result_count == 100  # exact: rows 7, 1007, …, 99007
    assert {p.company_name[:15] for p in large["search"][0].context["cl"].result_list} == {"Kingsholm Lodge"}
    assert large["later page"][0].context["cl"].result_list[0].company_name == "Harbour View Hotel 50100"
    assert {p.stage for p in large["stage filter"][0].context["cl"].result_list} == {"new"}
    assert {p.country.code for p in large["country filter"][0].context["cl"].result_list} == {"PT"}


def test_the_cheaper_rows_render_exactly_as_djangos(admin_client, monkeypatch):
    """LargeTableAdmin's checkbox and row links (with the filters they carry) are Django's, byte for byte."""
    insert_prospects(1, 10)
    url = f"{CHANGELIST}?stage__exact=new&q=harbour"

    def rows():
        return re.search(r"<tbody>.*</tbody>", admin_client.get(url).text, re.DOTALL).group()

    ours = rows()
    monkeypatch.setattr(ProspectAdmin, "get_changelist", admin.ModelAdmin.get_changelist)
    monkeypatch.setattr(ProspectAdmin, "action_checkbox", admin.ModelAdmin.action_checkbox)
    assert rows() == ours
    assert "_changelist_filters=stage__exact%3Dnew%26q%3Dharbour" in ours
