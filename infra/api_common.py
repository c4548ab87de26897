"""What every API router shares: error bodies, keyset pagination, safe input types.

The routers (prospects/api.py, outreach/api.py, replies/api.py) and the API root
(jengu/api.py) import from here, so the error shapes and the cursor format are the same
on every endpoint and documented once in the OpenAPI schema.
"""

import base64
import binascii
import datetime
import functools
import re
from typing import Annotated, Any, ClassVar

import psycopg
from django.db import connection
from django.http import HttpResponse
from django.utils import timezone
from ninja import Field, Schema
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import PaginationBase
from ninja.renderers import BaseRenderer
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    TypeAdapter,
    create_model,
)
from pydantic_core import to_json

BIGINT_MAX = 2**63 - 1
# Text from a client never reaches the database with a NUL byte (PostgreSQL refuses
# it with an error, which would be a 500): the pattern makes it a 422 up front, and
# schema-driven clients see the rule in the OpenAPI document.
NO_NUL = r"^[^\x00]*$"
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def Text(max_length: int = 200, min_length: int = 0):  # noqa: N802  (reads as a type in annotations)
    return Annotated[str, StringConstraints(max_length=max_length, min_length=min_length, pattern=NO_NUL)]


def _iso_only(value):
    # pydantic would also take "0.5" or 1700000000 as a Unix time; the document says date-time
    if not isinstance(value, datetime.datetime) and not (isinstance(value, str) and ISO_DATE.match(value)):
        raise ValueError("an ISO 8601 date-time, e.g. 2026-05-01T00:00:00Z")
    return value


def _aware_utc(value: datetime.datetime) -> datetime.datetime:
    """Naive datetimes are UTC; any offset is converted to UTC (and must stay in range)."""
    if timezone.is_naive(value):
        return value.replace(tzinfo=datetime.UTC)
    try:
        return value.astimezone(datetime.UTC)
    except OverflowError:
        raise ValueError("date out of range once converted to UTC") from None


UtcDatetime = Annotated[datetime.datetime, BeforeValidator(_iso_only), AfterValidator(_aware_utc)]
ObjectId = Annotated[int, Field(ge=1, le=BIGINT_MAX)]


class RowOut(BaseModel):
    """Base of output rows read straight from model instances.

    A plain pydantic model (not a ninja Schema): pydantic reads the attributes in Rust
    instead of through ninja's per-field Python getter, which is most of the cost of a
    50-row page. Computed values use ``BeforeValidator``s (see ``ManagerList``).
    """

    model_config = ConfigDict(from_attributes=True)


def _all(value):
    return list(value.all()) if hasattr(value, "all") else value


ManagerList = BeforeValidator(_all)  # a related manager → its (prefetched) rows


class FastJSONRenderer(BaseRenderer):
    """JSON by pydantic-core (Rust): several times faster than json.dumps on a page of rows."""

    media_type = "application/json"

    def render(self, request, data, *, response_status):
        return to_json(data, fallback=str)


class ListFilters(BaseModel):
    """Query filters of a list endpoint. ``lookups`` maps each filter to its ORM lookup;
    a filter left unset (or empty) is skipped. Filters that need more than one lookup
    extend ``apply``."""

    lookups: ClassVar[dict[str, str]] = {}

    def apply(self, queryset):
        for name, lookup in self.lookups.items():
            value = getattr(self, name)
            if value is not None and value != "":
                queryset = queryset.filter(**{lookup: value})
        return queryset


class BodyIn(Schema):
    """Base of request bodies: an unknown field is a 422, not silently ignored (``{"stage": "won"}``)."""

    model_config = ConfigDict(extra="forbid")


class ErrorOut(Schema):
    """The body of every 4xx answer except validation errors."""

    detail: str = Field(description="what went wrong, in words a person can act on")
    current_state: str | None = Field(None, description="for 409: the state the object is really in")


class ValidationErrorOut(Schema):
    """422: one entry per invalid field; ``loc`` is the field's path, e.g. ["query", "limit"]."""

    detail: list[dict[str, Any]]


class ApiConflict(HttpError):
    """409: the request is valid but the object's current state forbids it."""

    def __init__(self, message: str, *, current_state: str | None = None):
        super().__init__(409, message)
        self.current_state = current_state


class RateLimited(HttpError):
    """429 with Retry-After (seconds until the key's window resets)."""

    def __init__(self, retry_after: int):
        super().__init__(429, f"Rate limit exceeded; retry in {retry_after} s.")
        self.retry_after = retry_after


def errors(*codes: int) -> dict[int, type[Schema]]:
    """The documented error responses of an operation: ``response={200: X, **errors(401, 404)}``."""
    return {code: ValidationErrorOut if code == 422 else ErrorOut for code in codes}


# what every authenticated operation can answer besides its own errors
AUTH_ERRORS = (401, 403, 422, 429)


def invalid(field: str, message: str, where: str = "body"):
    """A 422 for a rule the schema cannot express, in ninja's own shape."""
    return NinjaValidationError([{"type": "value_error", "loc": [where, field], "msg": message}])


# --- keyset pagination ----------------------------------------------------------------


def encode_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{pk}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        version, _, value = raw.partition(":")
        pk = int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid("cursor", "not a cursor this API returned", "query") from None
    if version != "v1" or not 1 <= pk <= BIGINT_MAX:
        raise invalid("cursor", "not a cursor this API returned", "query")
    return pk


class KeysetPagination(PaginationBase):
    """Newest first, ``WHERE id < <cursor>`` ``ORDER BY id DESC LIMIT n+1``: no COUNT, no OFFSET.

    A page costs the same at row one million as at row one, and rows inserted while a
    client walks the list never shift or repeat what it sees (new rows have higher ids
    and appear only before the first page).
    """

    class Input(BaseModel):
        limit: int = Field(50, ge=1, le=200, description="rows per page (1–200)")
        cursor: Text(64) | None = Field(None, description="`next_cursor` of the previous page; omit for the first")

    class Output(BaseModel):
        items: list[Any]
        next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")

    items_attribute = "items"

    def paginate_queryset(self, queryset, pagination: Input, request=None, **params):
        queryset = queryset.order_by("-pk")
        if pagination.cursor:
            queryset = queryset.filter(pk__lt=decode_cursor(pagination.cursor))
        rows = list(queryset[: pagination.limit + 1])
        more = len(rows) > pagination.limit
        rows = rows[: pagination.limit]
        if not more:
            return {"items": rows, "next_cursor": None}
        last = rows[-1]
        return {"items": rows, "next_cursor": encode_cursor(last["id"] if isinstance(last, dict) else last.pk)}


def page_of(item: type[BaseModel]) -> type[BaseModel]:
    """The documented page of ``item`` rows, ``{items: [item], next_cursor}``, named as ninja names it."""
    return create_model(f"Paged{item.__name__}", __base__=KeysetPagination.Output, items=(list[item], ...))


# Model fields whose value PostgreSQL writes in JSON as pydantic does for the schema's
# type (numbers, strings, booleans, null; date-times in RFC 3339 with "+00:00" for "Z").
# Decimals (a string in pydantic's JSON), JSON columns and anything else are not among them.
JSON_PLAIN_FIELD_TYPES = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateTimeField",
    "FloatField",
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
    "UUIDField",
}


class JsonKeysetPagination(KeysetPagination):
    """Keyset pages answered as finished JSON: ``@paginate(JsonKeysetPagination, page=page_of(RowOut))``.

    On PostgreSQL the database writes the page (``json_agg`` over the schema's columns)
    in one prepared query, so Python neither converts 50 × 30 values nor validates and
    serialises them: under load that was more than half of a list request's Python CPU
    (bench/api.py). The row schema must name plain columns (``JSON_PLAIN_FIELD_TYPES``)
    by their attnames; if it does not, or on another database, the page goes through
    pydantic like any other response. The operation documents the page itself
    (``response={200: page}``), because ninja only documents pages whose items it
    serialises.
    """

    Output = None

    def __init__(self, *, page: type[BaseModel], **kwargs):
        super().__init__(**kwargs)
        self.page = TypeAdapter(page)
        self.item = page.model_fields["items"].annotation.__args__[0]

    def paginate_queryset(self, queryset, pagination: KeysetPagination.Input, request=None, **params):
        fields = _plain_fields(queryset.model, tuple(self.item.model_fields))
        if fields is not None and connection.vendor == "postgresql" and not queryset.query.annotations:
            body = self._page_from_postgresql(queryset, fields, pagination)
        else:
            rows = queryset.values(*(field.attname for field in fields)) if fields else queryset
            page = super().paginate_queryset(rows, pagination)
            body = self.page.dump_json(self.page.validate_python(page))
        return HttpResponse(body, content_type="application/json; charset=utf-8")

    def _page_from_postgresql(self, queryset, fields, pagination) -> str:
        sql, params = self.page_sql(queryset, fields, pagination)
        with _prepared_cursor() as cursor:
            cursor.execute(sql, params)
            items, last_pk, more = cursor.fetchone()
        next_cursor = f'"{encode_cursor(last_pk)}"' if more else "null"  # base64url: no escaping
        return f'{{"items":{items or "[]"},"next_cursor":{next_cursor}}}'

    @staticmethod
    def page_sql(queryset, fields, pagination) -> tuple[str, list]:
        """The page's one query: (items as JSON text, the last row's pk, whether more follow)."""
        # the ORM compiles only the filters over one column (cheap); keyset, order, limit
        # and columns are fixed text, so one prepared statement serves every page
        filtered_sql, params = queryset.order_by().values_list("pk").query.sql_with_params()
        model = queryset.model
        params = list(params)
        below = ""
        if pagination.cursor:
            below = "WHERE f.pk < %s "
            params.append(decode_cursor(pagination.cursor))
        sql = (
            f"WITH keys AS (SELECT f.pk FROM ({filtered_sql}) AS f(pk) {below}ORDER BY f.pk DESC LIMIT %s), "
            f"page AS (SELECT pk FROM keys ORDER BY pk DESC LIMIT %s) {_json_page_select(model, fields)}"
        )
        return sql, [*params, pagination.limit + 1, pagination.limit, pagination.limit]


@functools.cache
def _json_page_select(model, fields: tuple) -> str:
    """The fixed end of the page query: the page's rows as JSON, its last pk, and whether more follow."""
    quote, pk = connection.ops.quote_name, model._meta.pk
    listed = ", ".join(f"t.{quote(field.column)} AS {quote(field.attname)}" for field in fields)
    return (
        f"SELECT (SELECT json_agg(r ORDER BY r.{quote(pk.attname)} DESC) FROM (SELECT {listed} "
        f"FROM {quote(model._meta.db_table)} t JOIN page ON t.{quote(pk.column)} = page.pk) r)::text, "
        "(SELECT min(pk) FROM page), EXISTS (SELECT 1 FROM keys OFFSET %s)"
    )


class _PreparingCursor(psycopg.Cursor):
    """A server-side-binding cursor that asks PostgreSQL to keep each statement prepared."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


def _prepared_cursor():
    """A cursor for the page query that PostgreSQL parses and plans once per connection.

    Planning the page (a 23-index table, a CTE and a join) was a third of its database
    time; prepared, pgbench runs it ~1.5x as often. Django's own cursors bind on the client
    and never prepare, so only this query is affected. Wrapped as Django wraps its own,
    so CaptureQueriesContext and DEBUG's query log still see it. (Behind PgBouncer in
    transaction mode this needs PgBouncer 1.21+ with ``max_prepared_statements``.)
    """
    connection.ensure_connection()
    if connection.connection.prepare_threshold is None:
        # Django leaves psycopg's threshold unset, which refuses even an explicit request to
        # prepare; a threshold never reached lets this cursor's requests through and keeps
        # automatic preparation off (Django's client-binding cursors never prepare anyway)
        connection.connection.prepare_threshold = 2**31 - 1
    raw = _PreparingCursor(connection.connection)
    return connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)


@functools.cache
def _plain_fields(model, names: tuple[str, ...]) -> tuple | None:
    """The model fields a row schema's field names are the attnames of, if all are plain columns
    PostgreSQL writes in JSON as pydantic does (and the primary key is among them); else None."""
    by_attname = {field.attname: field for field in model._meta.concrete_fields}
    fields = tuple(by_attname.get(name) for name in names)
    if None in fields or model._meta.pk not in fields:
        return None
    if any(field.get_internal_type() not in JSON_PLAIN_FIELD_TYPES for field in fields):
        return None
    return fields
