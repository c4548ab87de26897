"""What every API router shares: error bodies, keyset pagination, safe input types.

The routers (prospects/api.py, outreach/api.py, replies/api.py) and the API root
(jengu/api.py) import from here, so the error shapes and the cursor format are the same
on every endpoint and documented once in the OpenAPI schema.
"""

import base64
import binascii
import datetime
import re
from typing import Annotated, Any, ClassVar

from django.utils import timezone
from ninja import Field, Schema
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import PaginationBase
from ninja.renderers import BaseRenderer
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StringConstraints
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


class ListFilters(Schema):
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

    class Input(Schema):
        limit: int = Field(50, ge=1, le=200, description="rows per page (1–200)")
        cursor: Text(64) | None = Field(None, description="`next_cursor` of the previous page; omit for the first")

    class Output(Schema):
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
