"""The two brokers the multi-process tests run on: the database (ORM) and Redis.

Production at scale runs django-q2 on Redis (``REDIS_URL``); a small install on the
database. The tests that start real worker processes take the ``broker`` fixture, so each
runs once per broker::

    from tests.support.brokers import broker_fixture  # noqa: F401  (the ``broker`` fixture)

    def test_something(broker): ...

``broker.env`` goes into every process the test starts (``REDIS_URL`` set or blanked);
in this process the fixture points django-q2 at the same broker, so ``stage_enqueue`` and
``async_task`` put work where the workers look. Facts a test asserts are broker-neutral:
``broker.queue_size(queue)`` / ``broker.drained(queue)``, our own tables, q2's task rows.

Redis: 127.0.0.1:6379 (``JENGU_TEST_REDIS`` overrides host:port), no password, on these
machines and in CI. A test run claims one database number of its own, 1–15 (``SET NX``
on a claim key that expires; a database holding anything but the test suite's own keys is
never taken), empties it with FLUSHDB before and after each test (never FLUSHALL) and gives
the claim back at the end. ``JENGU_TEST_REDIS_DB`` pins the number. Without a reachable
Redis the Redis variant is skipped and says why.
"""

from __future__ import annotations

import atexit
import os
import socket
import uuid
from dataclasses import dataclass, field

import pytest

REDIS_ADDRESS = os.environ.get("JENGU_TEST_REDIS", "127.0.0.1:6379")
CLAIM = "jengu-tests:claim"  # expires: a live test run holds this database
MARK = "jengu-tests:owned"  # stays: this database is the test suite's, whatever a killed run left in it
CLAIM_SECONDS = 3 * 3600


def redis_reachable() -> bool:
    host, _, port = REDIS_ADDRESS.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


@dataclass
class RedisDatabase:
    number: int
    token: str
    client: object = field(repr=False)

    @property
    def url(self) -> str:
        return f"redis://{REDIS_ADDRESS}/{self.number}"

    def flush(self) -> None:
        """Empty this database only, keeping the claim (one MULTI: no moment without it)."""
        pipe = self.client.pipeline(transaction=True)
        pipe.flushdb()
        pipe.set(CLAIM, self.token, ex=CLAIM_SECONDS)
        pipe.set(MARK, "1")
        pipe.execute()

    def release(self) -> None:
        if self.client.get(CLAIM) == self.token.encode():
            self.client.delete(CLAIM)


def redis_database_claim() -> RedisDatabase | None:
    """A Redis database number no other test run holds and nobody else uses, or None."""
    import redis

    host, _, port = REDIS_ADDRESS.rpartition(":")
    pinned = os.environ.get("JENGU_TEST_REDIS_DB")
    token = uuid.uuid4().hex
    for number in [int(pinned)] if pinned else range(15, 0, -1):
        client = redis.Redis(host=host, port=int(port), db=number, socket_timeout=5)
        if not client.set(CLAIM, token, nx=True, ex=CLAIM_SECONDS):
            continue  # another test run holds it
        if client.dbsize() == 1 or client.exists(MARK):
            database = RedisDatabase(number=number, token=token, client=client)
            database.flush()
            return database
        client.delete(CLAIM)  # someone's data: not ours to flush
    return None


_claimed: list[RedisDatabase] = []


def _session_database() -> RedisDatabase:
    """The run's Redis database, claimed at first use and given back when the run ends."""
    if not _claimed:
        if not redis_reachable():
            pytest.skip(f"Redis is not reachable at {REDIS_ADDRESS} (set JENGU_TEST_REDIS=host:port)")
        database = redis_database_claim()
        if database is None:
            pytest.skip("no free Redis database (1–15) for this test run; set JENGU_TEST_REDIS_DB")
        _claimed.append(database)
        atexit.register(lambda: (database.flush(), database.release()))
    return _claimed[0]


@dataclass
class Broker:
    name: str  # "orm" or "redis"
    redis_url: str = ""

    @property
    def env(self) -> dict[str, str]:
        """For the worker processes: the broker, and nothing left over from the shell."""
        return {"REDIS_URL": self.redis_url}

    def queue_size(self, queue: str) -> int:
        from django_q.brokers import get_broker

        return get_broker(queue).queue_size() or 0

    def drained(self, queue: str) -> bool:
        """Nothing waiting, nothing handed out and not yet acknowledged (the ORM broker's locked rows)."""
        from django_q.brokers import get_broker

        queue_broker = get_broker(queue)
        return not queue_broker.queue_size() and not queue_broker.lock_size()

    def __str__(self):
        return self.name


@pytest.fixture(name="broker", params=["orm", "redis"])
def broker_fixture(request, monkeypatch):
    """Each multi-process test once on the database broker, once on Redis."""
    from django_q.conf import Conf

    if request.param == "orm":
        monkeypatch.setattr(Conf, "ORM", "default")
        yield Broker("orm")
        return
    database = _session_database()
    database.flush()
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", database.url)
    monkeypatch.setattr(Conf, "DJANGO_REDIS", None)
    yield Broker("redis", database.url)
    database.flush()
