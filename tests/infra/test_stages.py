"""Stage attempts, the dead-letter list and its retry, and the sweeper (in-process)."""

import datetime

import pytest
from django.utils import timezone

import tests.support.stages  # noqa: F401  (registers the test stages)
from infra.models import DeadLetter, Event
from infra.stages import dead_letter_discard, dead_letter_retry, stage_enqueue, stale_claims_sweep
from infra.statemachine import transition
from prospects.models import Prospect, ProspectStage
from tests.factories import ProspectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def only_test_stages(monkeypatch):
    """The sweeper walks every registered stage; here only the test ones may answer."""
    from infra import stages

    monkeypatch.setattr(stages, "STAGES", {k: v for k, v in stages.STAGES.items() if k.startswith("test_")})


@pytest.fixture(autouse=True)
def inline_tasks(settings):
    settings.JENGU_TASKS_SYNC = True
    settings.STAGE_RETRY_DELAYS = [0]


def run_enqueued(django_capture_on_commit_callbacks, name, prospect):
    with django_capture_on_commit_callbacks(execute=True):
        stage_enqueue(name, subject_id=prospect.pk, trace_id=prospect.trace_id)


def test_a_stage_that_fails_twice_then_succeeds_runs_three_times_and_ends_done(django_capture_on_commit_callbacks):
    prospect = ProspectFactory(research_report={"fail_times": 2})
    run_enqueued(django_capture_on_commit_callbacks, "test_flaky", prospect)
    prospect.refresh_from_db()
    assert prospect.research_report["calls"] == 3
    assert prospect.stage == ProspectStage.ENRICHED
    assert not DeadLetter.objects.exists()
    failures = Event.objects.filter(name="stage.failed", trace_id=prospect.trace_id)
    assert failures.count() == 2  # both carry the prospect's trace id


def test_a_stage_that_always_fails_is_dead_lettered_after_exactly_four_attempts(
    django_capture_on_commit_callbacks,
):
    prospect = ProspectFactory(research_report={"fail_times": 99})
    with pytest.raises(ConnectionError):
        run_enqueued(django_capture_on_commit_callbacks, "test_flaky", prospect)
    prospect.refresh_from_db()
    assert prospect.research_report["calls"] == 4  # the first attempt and three retries
    letter = DeadLetter.objects.get()
    assert (letter.stage, letter.subject_id, letter.attempts, letter.trace_id) == (
        "test_flaky",
        str(prospect.pk),
        4,
        prospect.trace_id,
    )
    assert "search service down (call 4)" in letter.error
    assert "ConnectionError" in letter.traceback


def test_while_attempts_remain_nothing_is_dead_lettered(settings, django_capture_on_commit_callbacks):
    settings.STAGE_RETRY_DELAYS = [60]  # attempt 2 is scheduled for later, not run now
    prospect = ProspectFactory(research_report={"fail_times": 99})
    run_enqueued(django_capture_on_commit_callbacks, "test_flaky", prospect)
    from django_q.models import Schedule

    retry = Schedule.objects.get(name=f"retry test_flaky:{prospect.pk}:attempt-2")
    assert retry.cluster == "enrichment" and retry.next_run > timezone.now() + datetime.timedelta(seconds=50)
    assert not DeadLetter.objects.exists()


def test_retrying_a_dead_letter_runs_it_again_under_the_same_trace_id(django_capture_on_commit_callbacks):
    prospect = ProspectFactory(research_report={"fail_times": 4})
    with pytest.raises(ConnectionError):
        run_enqueued(django_capture_on_commit_callbacks, "test_flaky", prospect)
    letter = DeadLetter.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        dead_letter_retry(dead_letter=letter, by="user:ops")
    prospect.refresh_from_db()
    assert prospect.stage == ProspectStage.ENRICHED
    assert prospect.research_report["calls"] == 5
    letter.refresh_from_db()
    assert letter.status == DeadLetter.Status.RETRIED
    assert Event.objects.filter(name="stage.dead_letter_retried", trace_id=prospect.trace_id).exists()
    from infra.errors import ApplicationError

    with pytest.raises(ApplicationError, match="already"):
        dead_letter_discard(dead_letter=letter, by="user:ops")


def test_the_sweeper_returns_stale_claims_and_reenqueues_them(django_capture_on_commit_callbacks):
    stale = ProspectFactory()
    fresh = ProspectFactory()
    long_ago = timezone.now() - datetime.timedelta(hours=2)
    transition(stale, "start_enrichment", by="task:enrichment", at=long_ago)
    transition(fresh, "start_enrichment", by="task:enrichment")
    with django_capture_on_commit_callbacks(execute=True):
        returned = stale_claims_sweep()
    assert returned == 2 - 1
    stale.refresh_from_db()
    fresh.refresh_from_db()
    # released to `new`, re-enqueued, and the test stage (test_flaky first registered
    # on this claim) enriched it under the same trace id
    assert stale.stage == ProspectStage.ENRICHED
    assert fresh.stage == ProspectStage.ENRICHING
    from infra.models import StateTransition

    release = StateTransition.objects.get(object_id=stale.pk, transition="release_enrichment")
    assert release.actor == "system:sweeper" and release.trace_id == stale.trace_id


def test_a_duplicate_run_of_a_claimed_stage_is_a_no_op(django_capture_on_commit_callbacks):
    prospect = ProspectFactory(research_report={"sleep": 0})
    run_enqueued(django_capture_on_commit_callbacks, "test_slow", prospect)
    run_enqueued(django_capture_on_commit_callbacks, "test_slow", Prospect.objects.get(pk=prospect.pk))
    assert Event.objects.filter(name="test.side_effect", trace_id=prospect.trace_id).count() == 1
    assert not DeadLetter.objects.exists()


def test_a_dead_letter_alerts_the_team_once_per_window(settings, django_capture_on_commit_callbacks):
    import httpx

    from infra.http import override_transport

    settings.ALERT_WEBHOOK_URL = "https://hooks.slack.test/x"
    posted = []
    with override_transport(httpx.MockTransport(lambda r: posted.append(r) or httpx.Response(200))):
        for _ in range(2):
            prospect = ProspectFactory(research_report={"fail_times": 99})
            with pytest.raises(ConnectionError):
                run_enqueued(django_capture_on_commit_callbacks, "test_flaky", prospect)
    assert DeadLetter.objects.count() == 2
    assert len(posted) == 1 and b"test_flaky stage failed 4 times" in posted[0].content


def test_the_waiting_subjects_are_queued_lowest_id_first_except_those_parked_in_the_dead_letters(settings, monkeypatch):
    from infra import stages

    settings.JENGU_TASKS_SYNC = False
    queued = []
    monkeypatch.setattr(stages, "stage_enqueue", lambda name, *, subject_id, trace_id: queued.append(subject_id))
    waiting = ProspectFactory.create_batch(4, stage=ProspectStage.NEW)
    ProspectFactory(stage=ProspectStage.READY)  # not waiting for this stage
    DeadLetter.objects.create(stage="test_flaky", func="x.y", subject_id=str(waiting[0].pk), attempts=3, error="e")
    DeadLetter.objects.create(stage="other", func="x.y", subject_id=str(waiting[1].pk), attempts=3, error="e")

    count = stages.stage_enqueue_waiting("test_flaky", Prospect.objects.filter(stage=ProspectStage.NEW), limit=2)
    assert count == 2 and queued == [waiting[1].pk, waiting[2].pk]


def test_a_failing_stage_gets_three_retries_after_its_first_attempt(django_capture_on_commit_callbacks):
    """The reference design (jengu-v2-cloudflare.md): "After 3 retries, it goes to the dead-letter queue"."""
    prospect = ProspectFactory(research_report={"fail_times": 3})  # the third retry succeeds
    run_enqueued(django_capture_on_commit_callbacks, "test_flaky", prospect)
    prospect.refresh_from_db()
    assert prospect.research_report["calls"] == 1 + 3
    assert prospect.stage == ProspectStage.ENRICHED and not DeadLetter.objects.exists()
