"""Schedules live in code and are installed idempotently."""

import pytest
from django.core.management import call_command
from django_q.models import Schedule

from jengu import schedules
from jengu.schedules import ScheduledJob

pytestmark = pytest.mark.django_db

EXPECTED = {
    "jengu:daily-pipeline": "0 7 * * *",
    "jengu:sender": "* * * * *",
    "jengu:inbox-scores": "45 5 * * *",
    "jengu:follow-up": "0 10 * * 1-5",
    "jengu:enrichment": "*/5 6,19-23 * * *",
    "jengu:reply-poll": "* * * * *",
    "jengu:composition": "*/10 * * * *",
    "jengu:sweeper": "*/5 * * * *",
    "jengu:retention": "30 3 * * *",
    "jengu:domain-auth": "30 5 * * *",
    "jengu:operational-retention": "45 3 * * *",
    "jengu:alerts": "* * * * *",
}


def installed():
    return dict(Schedule.objects.values_list("name", "cron"))


def test_install_twice_gives_one_schedule_per_job_with_the_crons(capsys):
    call_command("install_schedules")
    call_command("install_schedules")
    assert installed() == EXPECTED
    assert Schedule.objects.count() == len(EXPECTED)
    for row in Schedule.objects.all():
        assert row.schedule_type == Schedule.CRON
        assert row.next_run > row.next_run.replace(year=2000)  # set to the cron's next slot


def test_a_changed_cron_in_code_updates_the_row_and_a_removed_job_disappears(monkeypatch):
    call_command("install_schedules")
    changed = [
        ScheduledJob(j.name, j.func, "*/10 8-18 * * 1-6" if j.name == "jengu:sender" else j.cron, j.description)
        for j in schedules.SCHEDULES
        if j.name != "jengu:sweeper"
    ]
    monkeypatch.setattr("jengu.management.commands.install_schedules.SCHEDULES", changed)
    call_command("install_schedules")
    rows = installed()
    assert rows["jengu:sender"] == "*/10 8-18 * * 1-6"
    assert "jengu:sweeper" not in rows
    assert Schedule.objects.filter(name="jengu:sender").count() == 1


def test_an_operators_own_schedule_is_left_alone():
    Schedule.objects.create(name="nightly-report", func="math.floor", args="1", schedule_type=Schedule.DAILY)
    call_command("install_schedules")
    assert Schedule.objects.filter(name="nightly-report").exists()
