"""The calendar day everything dated in UTC is counted on (the job boards' "posted N days ago")."""

import datetime


def utc_today() -> datetime.date:
    return datetime.datetime.now(datetime.UTC).date()
