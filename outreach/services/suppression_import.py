"""Importing a suppression list from CSV (the admin's *Import CSV* on Suppressions).

The file has a header row with an ``email`` or a ``domain`` column (or both: a row
uses its email when it has one), and optionally ``reason`` (one of the suppression
reasons; blank means ``manual``). Every row goes through ``suppression_add``, so an
imported entry blocks the very next send like any other, and an address that is
already suppressed is counted, not duplicated. A bad row is counted and described; it
never stops the rest of the file. Nothing is gated: suppression only ever stops email.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from infra.errors import ApplicationError
from outreach.models import Suppression
from outreach.services.suppression import suppression_add

REASONS = set(Suppression.Reason.values)
INVALID_EXAMPLES = 10  # how many bad rows the report describes


@dataclass
class SuppressionImportReport:
    created: int = 0
    existing: int = 0
    invalid: int = 0
    problems: list[str] = field(default_factory=list)  # the first few bad rows, by line number

    def add_problem(self, line: int, text: str) -> None:
        self.invalid += 1
        if len(self.problems) < INVALID_EXAMPLES:
            self.problems.append(f"line {line}: {text}")


def _text(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):  # Excel on Windows saves cp1252 unless told otherwise
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ApplicationError("The file is not text (UTF-8 or Windows-1252). Save it as CSV and try again.")


def suppressions_import_csv(*, raw: bytes, source: str, by) -> SuppressionImportReport:
    """Suppress every address or domain listed in the CSV ``raw``; returns the counts."""
    text = _text(raw)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    columns = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
    if "email" not in columns and "domain" not in columns:
        raise ApplicationError("The CSV needs a header row with an 'email' or a 'domain' column (optionally 'reason').")

    report = SuppressionImportReport()
    for row in reader:
        line = reader.line_num

        def cell(name: str, row=row) -> str:
            return (row.get(columns[name]) or "").strip() if name in columns else ""

        email, domain, reason = cell("email"), cell("domain"), cell("reason").lower() or Suppression.Reason.MANUAL
        if not email and not domain:
            if any((value or "").strip() for value in row.values() if isinstance(value, str)):
                report.add_problem(line, "no email or domain")
            continue  # a blank line is not a mistake
        if reason not in REASONS:
            report.add_problem(line, f"unknown reason '{reason}' (one of {', '.join(sorted(REASONS))})")
            continue
        kind, value = (Suppression.Kind.ADDRESS, email) if email else (Suppression.Kind.DOMAIN, domain)
        try:
            _, created = suppression_add(kind=kind, value=value, reason=reason, source=source, by=by)
        except ApplicationError as exc:
            report.add_problem(line, exc.message)
            continue
        if created:
            report.created += 1
        else:
            report.existing += 1
    return report
