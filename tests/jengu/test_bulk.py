"""Admin actions over many rows: small selections finish at once, large ones run in the
background with progress shown, and an interrupted operation continues where it stopped."""

import pytest
from django.urls import reverse

from infra.bulk import INLINE_LIMIT, bulk_operation_run
from infra.models import BulkOperation
from prospects.models import Prospect, ProspectStage
from tests.factories import ProspectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def tasks_inline(settings):
    settings.JENGU_TASKS_SYNC = True


def post_action(client, action, prospects):
    return client.post(
        reverse("admin:prospects_prospect_changelist"),
        {"action": action, "_selected_action": [p.pk for p in prospects], "index": 0},
    )


def test_a_small_selection_runs_inside_the_request(admin_client):
    prospects = ProspectFactory.create_batch(3, stage=ProspectStage.CONTACTED)
    response = post_action(admin_client, "mark_lost", prospects)
    assert response.status_code == 302 and response.url.endswith("/prospects/prospect/")
    assert Prospect.objects.filter(stage=ProspectStage.LOST).count() == 3
    assert not BulkOperation.objects.exists()


def test_a_large_selection_runs_in_the_background_with_progress(admin_client, django_capture_on_commit_callbacks):
    prospects = ProspectFactory.create_batch(INLINE_LIMIT + 30, stage=ProspectStage.CONTACTED)
    ProspectFactory.create_batch(5, stage=ProspectStage.WON)  # already closed: refused, not lost
    selected = Prospect.objects.all()
    with django_capture_on_commit_callbacks(execute=True):  # the worker starts once the request commits
        response = post_action(admin_client, "mark_lost", selected)

    operation = BulkOperation.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:infra_bulkoperation_change", args=[operation.pk])
    assert (operation.total, operation.processed) == (len(prospects) + 5, len(prospects) + 5)
    assert (operation.succeeded, operation.failed) == (len(prospects), 5)
    assert operation.status == BulkOperation.Status.FINISHED
    assert len(operation.errors) == 5 and "won" in operation.errors[0]
    assert Prospect.objects.filter(stage=ProspectStage.LOST).count() == len(prospects)

    page = admin_client.get(response.url).content.decode()
    assert 'id="bulk-progress"' in page and "100%" in page
    assert 'http-equiv="refresh"' not in page  # finished: the page stops refreshing


def test_an_interrupted_operation_continues_where_it_stopped():
    prospects = ProspectFactory.create_batch(6, stage=ProspectStage.CONTACTED)
    ids = [p.pk for p in prospects]
    # a worker died after the first two rows: they are lost already, progress says 2
    from prospects.services import prospect_mark_lost

    for prospect in prospects[:2]:
        prospect_mark_lost(prospect=prospect, by="user:x", reason="first worker")
    operation = BulkOperation.objects.create(
        action="prospects.mark_lost", description="Mark lost", object_ids=ids, total=6, processed=2, succeeded=2,
        status=BulkOperation.Status.RUNNING, created_by="sally",
    )  # fmt: skip
    assert bulk_operation_run(operation.pk) == "finished"
    operation.refresh_from_db()
    assert (operation.processed, operation.succeeded, operation.failed) == (6, 6, 0)
    assert Prospect.objects.filter(stage=ProspectStage.LOST).count() == 6


def test_running_progress_page_refreshes_itself(admin_client):
    operation = BulkOperation.objects.create(
        action="prospects.mark_lost", description="Mark lost", object_ids=[1, 2, 3, 4], total=4, processed=1,
        status=BulkOperation.Status.RUNNING, created_by="sally",
    )  # fmt: skip
    page = admin_client.get(reverse("admin:infra_bulkoperation_change", args=[operation.pk])).content.decode()
    assert "1 of 4 rows (25%)" in page and 'http-equiv="refresh"' in page
