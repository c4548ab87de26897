"""CSV exports of the admin's lists: safe in a spreadsheet, streamed, large ones in the background.

Contract:

- ``csv_cell(value)`` is what a cell holds. Text a spreadsheet would run as a formula
  (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return: OWASP's "CSV
  injection") gets a leading apostrophe, which Excel, LibreOffice and Google Sheets
  read as "this is text" and do not show; the csv module quotes every delimiter, quote
  and line break inside a cell. Numbers stay numbers; dates are ISO 8601.
- ``CsvExport`` names an export: the model, its columns (header and how to read the
  value from a row) and the related rows it reads with each row (``select_related``).
  ``csv_export_register`` adds one (the site app registers its lists: jengu.exports),
  and the list's ModelAdmin gets ``CsvExportMixin``.
- ``CsvExportMixin`` gives a ModelAdmin an *Export CSV* link (``export/`` with the
  changelist's own query string: the same filters, search and order, so exactly the
  rows the user is looking at) and an *Export selected as CSV* action. Up to
  ``EXPORT_INLINE_LIMIT`` rows the file is streamed as it is read (StreamingHttpResponse
  over ``QuerySet.iterator``: memory stays flat); above, it becomes a background bulk
  operation (infra.bulk) that writes the file chunk by chunk under ``EXPORT_ROOT``
  (never under MEDIA_ROOT: it is not served by URL) with the operation's progress page,
  whose link downloads the file for the person who started it. A worker that dies
  mid-way and is resumed may repeat the rows of the chunk it was writing.
- Every export is an ``export.csv`` event: who exported how many rows of what, with
  which filters (a list of people leaving the building is worth a line in the log).
- Who may export: whoever may view the list (``view`` permission of its model).
"""

from __future__ import annotations

import csv
import datetime
import decimal
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone

from infra.bulk import bulk_action_register, bulk_action_start
from infra.events import EXPORT_CSV, event_record

EXPORT_INLINE_LIMIT = 10_000
ITERATOR_CHUNK = 2_000
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """One cell's value, safe to open in a spreadsheet (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | decimal.Decimal):
        return value
    if isinstance(value, datetime.datetime):
        return (
            value.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            if timezone.is_aware(value)
            else (value.isoformat(sep=" "))
        )
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


@dataclass(frozen=True)
class CsvColumn:
    header: str
    value: Callable  # (row) -> value


@dataclass(frozen=True)
class CsvExport:
    name: str  # the bulk action's name, e.g. export.prospects
    model: str  # "app_label.Model"
    columns: tuple[CsvColumn, ...]
    select_related: tuple[str, ...] = ()
    filename: str = "export"


CSV_EXPORTS: dict[str, CsvExport] = {}


class _Line:
    """The csv writer's file: each write hands back the line, for a generator to yield."""

    def write(self, value: str) -> str:
        return value


def csv_lines(export: CsvExport, rows: Iterable, *, header: bool = True) -> Iterator[str]:
    writer = csv.writer(_Line())
    if header:
        yield writer.writerow([column.header for column in export.columns])
    for row in rows:
        yield writer.writerow([csv_cell(column.value(row)) for column in export.columns])


def export_root() -> Path:
    return Path(getattr(settings, "EXPORT_ROOT", "") or settings.VAR_DIR / "exports")


def export_file(operation) -> Path:
    return export_root() / f"bulk-{operation.pk}.csv"


def _write_chunk(export: CsvExport):
    def run_chunk(operation, objects, by, errors) -> tuple[int, int]:
        target = export_file(operation)
        target.parent.mkdir(parents=True, exist_ok=True)
        first = not target.exists()
        rows = list(objects.select_related(*export.select_related))
        with target.open("a", encoding="utf-8", newline="") as handle:
            handle.writelines(csv_lines(export, rows, header=first))
        return len(rows), 0

    return run_chunk


def csv_export_register(export: CsvExport) -> CsvExport:
    """Make ``export`` available to the admin and to the background worker."""
    CSV_EXPORTS[export.name] = export
    bulk_action_register(export.name, f"CSV export of {export.filename}", export.model, run_chunk=_write_chunk(export))
    return export


def _record(export: CsvExport, *, rows: int, by, how: str, filters: str) -> None:
    event_record(
        EXPORT_CSV,
        message=f"{rows}{'+' if how == 'background' else ''} rows of {export.filename} exported ({how})",
        data={"export": export.name, "rows": rows, "how": how, "filters": filters[:500]},
        by=by,
    )


def csv_export_response(export: CsvExport, queryset, *, request, filters: str = ""):
    """Stream ``queryset`` as CSV, or above EXPORT_INLINE_LIMIT rows start it in the background."""
    queryset = queryset.select_related(*export.select_related)
    sample = len(queryset.values_list("pk", flat=True)[: EXPORT_INLINE_LIMIT + 1])
    if sample > EXPORT_INLINE_LIMIT:
        result = bulk_action_start(export.name, queryset=queryset, by=request.user)
        operation = result.operation
        _record(export, rows=operation.total, by=request.user, how="background", filters=filters)
        messages.info(
            request,
            f"{operation.total:,} rows: the CSV is written in the background; this page shows its progress "
            "and its download link when it is done.",
        )
        return redirect(reverse("admin:infra_bulkoperation_change", args=[operation.pk]))
    _record(export, rows=sample, by=request.user, how="streamed", filters=filters)
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        csv_lines(export, queryset.iterator(chunk_size=ITERATOR_CHUNK)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{export.filename}-{stamp}.csv"'
    return response


class CsvExportMixin:
    """A ModelAdmin's *Export CSV* link (the list as filtered) and *Export selected as CSV* action."""

    csv_export_name = ""

    def get_export_urls(self):
        opts = self.model._meta
        name = f"{opts.app_label}_{opts.model_name}_export"
        return [path("export/", self.admin_site.admin_view(self.export_view), name=name)]

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)  # the same filters, search and order as the list
        queryset = changelist.get_queryset(request)
        return csv_export_response(
            CSV_EXPORTS[self.csv_export_name], queryset, request=request, filters=request.GET.urlencode()
        )

    @admin.action(description="Export selected as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        return csv_export_response(CSV_EXPORTS[self.csv_export_name], queryset, request=request, filters="selected")
