"""The shared circuit breaker: opens, refuses, half-opens once, seen by every process."""

import datetime
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from infra.circuit import CircuitBreaker, CircuitOpen, circuit_reset
from infra.models import CircuitState

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


class Clock:
    def __init__(self):
        self.now = timezone.now()

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += datetime.timedelta(seconds=seconds)


def failing():
    raise ConnectionError("down")


def test_opens_after_three_failures_refuses_then_half_opens_after_the_cooldown():
    clock = Clock()
    breaker = CircuitBreaker("search", clock=clock)
    for _ in range(2):
        with pytest.raises(ConnectionError):
            breaker.call(failing)
    assert breaker.state() == "closed"
    with pytest.raises(ConnectionError):
        breaker.call(failing)
    assert breaker.state() == "open"

    calls = []
    with pytest.raises(CircuitOpen):
        breaker.call(lambda: calls.append(1))
    assert calls == []  # refused without calling the service

    clock.advance(299)
    assert not breaker.allow()
    clock.advance(2)
    assert breaker.allow() is True  # this caller won the half-open trial
    assert breaker.state() == "half_open"
    assert breaker.allow() is False  # everyone else waits for the trial


def test_a_successful_trial_closes_and_a_failed_one_reopens():
    clock = Clock()
    breaker = CircuitBreaker("verifier", clock=clock, cooldown=60)
    for _ in range(3):
        breaker.record_failure("x")
    clock.advance(61)
    with pytest.raises(ConnectionError):
        breaker.call(failing)  # the trial fails
    assert breaker.state() == "open"
    clock.advance(61)
    assert breaker.call(lambda: "ok") == "ok"
    row = CircuitState.objects.get(key="verifier")
    assert (row.state, row.consecutive_failures) == ("closed", 0)


def test_a_success_resets_the_failure_count():
    breaker = CircuitBreaker("grok")
    breaker.record_failure()
    breaker.record_failure()
    breaker.call(lambda: None)
    breaker.record_failure()
    assert breaker.state() == "closed"


def test_reset_by_an_operator_closes_the_circuit():
    breaker = CircuitBreaker("smtp:inbox-1")
    for _ in range(3):
        breaker.record_failure()
    circuit_reset(key="smtp:inbox-1")
    assert breaker.allow()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_processes_see_the_same_state():
    breaker = CircuitBreaker("shared-service")
    for _ in range(3):
        breaker.record_failure("boom")
    db = connection.settings_dict
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'jengu.settings_test'); django.setup();"
        "from infra.circuit import CircuitBreaker; b = CircuitBreaker('shared-service');"
        "print(b.state(), b.allow()); b.record_success()"
    )
    env = {"DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "open False", out.stderr
    assert breaker.state() == "closed"  # the other process's success is seen here
