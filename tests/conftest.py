import os

import pytest
from django.db import connection
from hypothesis import settings as hypothesis_settings

from jengu.roles import OPERATIONS, SALES
from tests.factories import UserFactory

# Property tests draw the same examples on every run, so a red build means a change broke
# something, not that a new random example turned up. To hunt for new failing inputs:
# HYPOTHESIS_PROFILE=explore make test (and keep what it finds as a fixed case).
hypothesis_settings.register_profile("repeatable", derandomize=True, database=None)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres`` need PostgreSQL; on SQLite they skip and say why."""
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL; CI runs these via .ci/run)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def esp_webhook_secret(settings):
    """Tests run (DEBUG off) as a configured install: the ESP webhooks have their basic auth,
    as the deployment check jengu.E010 requires. tests/security blanks it to test the default."""
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "jengu-tests:not-a-real-webhook-password"}


@pytest.fixture(autouse=True)
def private_hosts_allowed(settings):
    """Tests fetch from loopback servers and MockTransports, with no DNS: the safe fetcher's host
    rules are lifted, as for the demo. tests/security/test_ssrf.py restores the production default."""
    settings.SAFE_FETCH_ALLOW_PRIVATE_HOSTS = True


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache (the dashboard caches aggregates, ninja throttles)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def superuser(db):
    return UserFactory(username="root-admin", is_superuser=True)


def _user_in_group(group_name, username):
    from django.contrib.auth.models import Group

    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def sales_user(db):
    return _user_in_group(SALES, "sally-sales")


@pytest.fixture
def ops_user(db):
    return _user_in_group(OPERATIONS, "oscar-ops")


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client
