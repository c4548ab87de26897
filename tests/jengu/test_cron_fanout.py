"""No cron job grows inside one task: handed 10× its usual work, each only finds work and
queues it (issue 18, item 4); the queued tasks do the work, each a bounded piece.

A q2 task is killed at JENGU_Q_TIMEOUT (300 s). What a cron does itself must therefore not
grow with the day's volume: these tests hand each cron ten times its usual work and show
that the cron's own part stays the same size (the same queries, the same tasks, no page
fetched, no AI call, no email written), and that running the tasks it queued — their real
payloads, from the database broker — does all the work, one page or one follow-up each.
"""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_q.models import OrmQ

from infra.models import Event
from infra.stages import STAGES
from jengu import jobs
from outreach.models import Email, EmailStatus, Sequence
from prospects.classification import BATCH_SIZE
from prospects.models import JobPosting, Prospect, ProspectStage
from tests.factories import EmailFactory, ProspectFactory, SequenceFactory
from tests.outreach.composition_support import campaign, researched_prospect
from tests.support.job_boards import JobBoard
from tests.support.queues import drain, queued

pytestmark = pytest.mark.django_db
QUERIES = [("hotel front desk", ""), ("hotel night auditor", "")]
PAGE_TASK = "prospects.tasks.acquisition_page_task"
FOLLOW_UP_TASK = "outreach.tasks.follow_up_compose_task"


@pytest.fixture(autouse=True)
def offline(settings, monkeypatch):
    settings.GROK_API_KEY = settings.ANTHROPIC_API_KEY = ""  # the rules answer: every AI call is a fallback
    settings.SPAMD_HOST = ""
    settings.JENGU_TASKS_SYNC = False  # tasks wait in the database broker, as in production
    settings.ACQUISITION_QUERIES = QUERIES
    settings.ACQUISITION_MAX_PAGES = 50
    # the hand-off to enrichment is not under test. The registry is put back as it was, in its
    # order (monkeypatch re-inserts a deleted key last: enrichment then followed the test
    # stages that share its claim on `enriching`, and a later test's sweeper released claims
    # under a test stage's name)
    registry = dict(STAGES)
    STAGES.pop("enrichment", None)
    yield
    STAGES.clear()
    STAGES.update(registry)


def board(monkeypatch, pages: int) -> JobBoard:
    job_board = JobBoard(pages=pages)
    monkeypatch.setattr("prospects.providers.registry.job_sources", lambda names=None: {"linkedin": job_board})
    return job_board


def ai_calls(purpose: str) -> int:
    return Event.objects.filter(name="ai.call", data__purpose=purpose).count()


# --- 07:00 acquisition ------------------------------------------------------------------------


def test_the_acquisition_cron_queues_one_task_per_search_whatever_the_number_of_postings(
    monkeypatch, django_capture_on_commit_callbacks
):
    cron_queries = {}
    for pages in (2, 20):  # the usual day, then ten times its postings
        job_board = board(monkeypatch, pages)
        with CaptureQueriesContext(connection) as ctx, django_capture_on_commit_callbacks(execute=True):
            result = jobs.daily_pipeline()
        cron_queries[pages] = len(ctx.captured_queries)
        assert "2 searches queued" in result
        assert job_board.searches == []  # the cron fetched no page
        assert ai_calls("classify_postings") == ai_calls("classify_posting") == 0  # classified nothing
        assert Prospect.objects.count() == 0
        assert [(t["func"], t["args"][1:5]) for t in queued("enrichment")] == [
            (PAGE_TASK, ("linkedin", query, "", 0)) for query, _ in QUERIES
        ]
        OrmQ.objects.all().delete()  # the next day starts with an empty queue
    assert cron_queries[2] == cron_queries[20], cron_queries  # its own work does not grow


def test_the_page_tasks_do_ten_times_the_work_a_page_and_one_ai_call_each(
    monkeypatch, django_capture_on_commit_callbacks
):
    job_board = board(monkeypatch, pages=20)
    with django_capture_on_commit_callbacks(execute=True):
        jobs.daily_pipeline()
    run = Event.objects.get(name="acquisition.run")
    assert run.data["status"] == "running" and run.data["open"] == len(QUERIES)

    ran = drain("enrichment", PAGE_TASK, django_capture_on_commit_callbacks)
    # each search: 20 full pages, then the empty page that ends it; each task fetched one page
    assert ran == len(job_board.searches) == len(QUERIES) * 21
    assert sorted(job_board.searches) == sorted((q, page) for q, _ in QUERIES for page in range(21))
    postings = len(QUERIES) * job_board.postings_per_search
    hotels = postings * 4 // 5
    assert Prospect.objects.filter(stage=ProspectStage.NEW).count() == hotels
    assert JobPosting.objects.count() == hotels
    # classified in batches: one AI call per page (a page is within one batch), none per posting
    assert job_board.per_page <= BATCH_SIZE
    assert ai_calls("classify_postings") == len(QUERIES) * 20 and ai_calls("classify_posting") == 0
    run.refresh_from_db()
    assert run.data["status"] == "finished" and run.data["open"] == 0, run.data
    assert (run.data["found"], run.data["classified"], run.data["new"]) == (postings, postings, hotels)
    assert run.data["pages"] == ran and run.message.startswith(f"found {postings}, hospitality {hotels}")

    # the next morning: every posting was seen before, so none reaches the classifier again
    with django_capture_on_commit_callbacks(execute=True):
        jobs.daily_pipeline()
    drain("enrichment", PAGE_TASK, django_capture_on_commit_callbacks)
    again = Event.objects.filter(name="acquisition.run").order_by("-id").first()
    assert again.data["classified"] == 0 and ai_calls("classify_postings") == len(QUERIES) * 20
    assert (again.data["seen_before"], again.data["judged_before"]) == (hotels, postings - hotels)
    assert again.data["new"] == 0 and Prospect.objects.count() == hotels


def test_a_failing_board_ends_its_search_counts_the_error_and_the_run_still_finishes(
    monkeypatch, django_capture_on_commit_callbacks
):
    from prospects.providers.base import LayoutChanged

    job_board = board(monkeypatch, pages=3)
    real_search = job_board.search

    def search(query, location="", page=0):
        if query == QUERIES[0][0] and page == 1:
            raise LayoutChanged("no result cards found")
        return real_search(query, location, page)

    job_board.search = search
    with django_capture_on_commit_callbacks(execute=True):
        jobs.daily_pipeline()
    drain("enrichment", PAGE_TASK, django_capture_on_commit_callbacks)
    run = Event.objects.get(name="acquisition.run")
    assert run.data["status"] == "finished" and run.level == "warning"
    assert run.data["errors"] == 1 and run.data["error_messages"] == ["linkedin page 1: no result cards found"]
    assert run.data["found"] == 10 + 30  # the failed search kept its first page; the other did all three


# --- 10:00 follow-ups -------------------------------------------------------------------------

T0 = datetime.datetime(2026, 11, 2, 9, 30, tzinfo=datetime.UTC)  # a Monday: the first emails went out
DAY_3 = datetime.datetime(2026, 11, 5, 10, 0, tzinfo=datetime.UTC)  # step 2 is due


def due_sequences(count: int) -> list[Sequence]:
    camp = campaign()
    sequences = []
    for n in range(count):
        prospect = researched_prospect(
            stage=ProspectStage.CONTACTED,
            company_name=f"Harbour View Hotel {n}",
            email=f"anna{n}@harbourview{n}.example",
            company_website=f"https://harbourview{n}.example",
        )
        first = EmailFactory(
            prospect=prospect,
            campaign=camp,
            status=EmailStatus.SENT,
            sent_at=T0,
            subject="Front Desk Manager at Harbour View Hotel",
            message_id=f"<first.{n}@jengu.test>",
        )
        sequences.append(
            SequenceFactory(prospect=prospect, campaign=camp, inbox=first.inbox, last_step_sent=1, first_sent_at=T0)
        )
    return sequences


def test_the_follow_up_cron_queues_one_composition_task_per_due_follow_up_and_writes_none(
    django_capture_on_commit_callbacks,
):
    sequences = due_sequences(30)  # ten times a usual morning's three
    with time_machine.travel(DAY_3, tick=False), django_capture_on_commit_callbacks(execute=True):
        result = jobs.follow_up_run()
    assert "30 follow-up(s) sent to the composition queue" in result
    assert not Email.objects.filter(type=Email.Type.FOLLOW_UP).exists()  # nothing composed in the cron
    assert ai_calls("compose_email") == 0 and not Event.objects.filter(name="ai.call").exists()
    tasks = queued("composition")
    assert sorted(tuple(t["args"]) for t in tasks) == sorted((s.pk, 2) for s in sequences)
    assert {t["func"] for t in tasks} == {FOLLOW_UP_TASK}

    with time_machine.travel(DAY_3, tick=False):
        assert drain("composition", FOLLOW_UP_TASK, django_capture_on_commit_callbacks) == 30
    follow_ups = Email.objects.filter(type=Email.Type.FOLLOW_UP, sequence_step=2)
    assert follow_ups.count() == 30 and set(follow_ups.values_list("status", flat=True)) == {EmailStatus.QUEUED}
    assert set(follow_ups.values_list("prospect_id", flat=True)) == {s.prospect_id for s in sequences}


def test_a_follow_up_task_run_twice_or_after_a_reply_writes_nothing(django_capture_on_commit_callbacks):
    from outreach.tasks import follow_up_compose_task

    first, replied = due_sequences(2)
    with time_machine.travel(DAY_3, tick=False), django_capture_on_commit_callbacks(execute=True):
        jobs.follow_up_run()
        # a task delivered twice (a re-run cron, a broker's re-delivery)
        assert follow_up_compose_task(first.pk, 2).endswith(EmailStatus.QUEUED)
        assert follow_up_compose_task(first.pk, 2) == f"sequence {first.pk} step 2: already composed"
        # the prospect answered between the cron and its task: the reply stopped the sequence
        Sequence.objects.filter(pk=replied.pk).update(state="stopped")
        assert follow_up_compose_task(replied.pk, 2) == f"sequence {replied.pk} step 2: no longer due"
    assert Email.objects.filter(type=Email.Type.FOLLOW_UP, prospect=first.prospect).count() == 1
    assert not Email.objects.filter(type=Email.Type.FOLLOW_UP, prospect=replied.prospect).exists()


# --- the stage crons: enrichment and composition ---------------------------------------------


def test_the_enrichment_and_composition_crons_queue_at_most_their_limit_and_do_no_stage_work(
    monkeypatch, django_capture_on_commit_callbacks
):
    from infra.stages import Stage

    STAGES["enrichment"] = Stage(name="enrichment", func="math.floor", queue="enrichment")  # until `offline` ends
    ProspectFactory.create_batch(50, stage=ProspectStage.NEW)  # ten times a tick's usual five
    ProspectFactory.create_batch(50, stage=ProspectStage.READY)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.enrichment_run(limit=20) == 20
        assert jobs.composition_run(limit=20) == 20
    assert len(queued("enrichment")) == len(queued("composition")) == 20
    assert Prospect.objects.filter(stage=ProspectStage.NEW).count() == 50  # claimed by workers, not the cron
    assert Prospect.objects.filter(stage=ProspectStage.READY).count() == 50
