"""The CSV exports of the admin's lists: which rows, which columns (the mechanism is infra.exports).

``exports_register`` (called from jengu.apps) registers them, so every process (web and
workers) knows them; each list's ModelAdmin has ``infra.exports.CsvExportMixin`` with
``csv_export_name`` set to one of these names.
"""

from infra.exports import (
    CsvColumn,
    CsvExport,
    csv_export_register,
)


def _username(user) -> str:
    return user.get_username() if user is not None else ""


PROSPECTS = CsvExport(
    name="export.prospects",
    model="prospects.Prospect",
    filename="prospects",
    select_related=("owner",),
    columns=(
        CsvColumn("id", lambda p: p.pk),
        CsvColumn("company", lambda p: p.company_name),
        CsvColumn("contact name", lambda p: p.name),
        CsvColumn("title", lambda p: p.title),
        CsvColumn("email", lambda p: p.email),
        CsvColumn("email verified", lambda p: p.email_verified),
        CsvColumn("phone", lambda p: p.phone),
        CsvColumn("website", lambda p: p.company_website),
        CsvColumn("city", lambda p: p.city),
        CsvColumn("region", lambda p: p.region),
        CsvColumn("country", lambda p: str(p.country or "")),
        CsvColumn("stage", lambda p: p.stage),
        CsvColumn("tier", lambda p: p.tier),
        CsvColumn("market tier", lambda p: p.market_tier),
        CsvColumn("owner", lambda p: _username(p.owner)),
        CsvColumn("emails sent", lambda p: p.email_sent_count),
        CsvColumn("last email sent", lambda p: p.last_email_sent_at),
        CsvColumn("last reply", lambda p: p.last_reply_at),
        CsvColumn("lost reason", lambda p: p.lost_reason),
        CsvColumn("created", lambda p: p.created_at),
    ),
)


# the reply inbox as filtered (its view, search and filters): what was said, how it was read
REPLIES = CsvExport(
    name="export.replies",
    model="replies.Reply",
    filename="replies",
    select_related=("prospect", "prospect__owner"),
    columns=(
        CsvColumn("id", lambda r: r.pk),
        CsvColumn("received", lambda r: r.received_at),
        CsvColumn("from name", lambda r: r.from_name),
        CsvColumn("from email", lambda r: r.from_email),
        CsvColumn("subject", lambda r: r.subject),
        CsvColumn("text", lambda r: r.body),
        CsvColumn("intent", lambda r: r.intent),
        CsvColumn("confidence", lambda r: r.confidence),
        CsvColumn("reading", lambda r: r.action_status),
        CsvColumn("needs a human", lambda r: r.needs_human),
        CsvColumn("prospect id", lambda r: r.prospect_id),
        CsvColumn("company", lambda r: r.prospect.company_name if r.prospect_id else ""),
        CsvColumn("contact name", lambda r: r.prospect.name if r.prospect_id else ""),
        CsvColumn("owner", lambda r: _username(r.prospect.owner) if r.prospect_id else ""),
    ),
)


def exports_register() -> None:
    """Called from jengu.apps: the exports every process (web and workers) knows."""
    csv_export_register(PROSPECTS)
    csv_export_register(REPLIES)
