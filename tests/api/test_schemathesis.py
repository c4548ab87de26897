"""Property-based run of schemathesis against the live OpenAPI document, with a valid admin key.

Every documented operation gets generated requests, valid and invalid; every answer must
be a non-5xx whose status, content type, headers and body match what the document says.
Bounded (a few examples per operation) so it runs in seconds; set
SCHEMATHESIS_MAX_EXAMPLES for a longer hunt.

Two checks are left out, both about *which* status a request deserves rather than
whether the answer is well-formed:

* ``positive_data_acceptance`` (ST202) expects every schema-valid request to succeed,
  but some rules are semantic and cannot be written in JSON Schema — a cursor must be
  one the API issued, ``country`` a real ISO code, ``timezone`` a real IANA zone,
  ``mark_lost`` needs a reason, an address suppression an address. Those answer 422.
* ``negative_data_rejection`` (ST201) expects every mutated request to be refused, but
  some mutations do not survive HTTP: an invented extra header (any client may send
  one), or a null that becomes ``?cursor=`` (an empty, valid value). Our own tests
  check that bad input is a 422 with the field's path (test_prospects.py and others).
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from jengu.wsgi import application
from tests.factories import EmailFactory, InboxFactory, ReplyFactory, SuppressionFactory

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "12"))


# Loaded at collection: the OpenAPI view touches no database. (The lazy
# schemathesis.pytest.from_fixture loader fails on pytest 9: it sets Node._nodeid.)
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.fixture
def wsgi_keeps_the_test_connection():
    """The WSGI handler closes "old" database connections around each request; inside a
    test that would close the test's transaction (Django's own test client does the same)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def raw_key(db, make_key, wsgi_keeps_the_test_connection):
    # some rows, so ids 1, 2, 3 … exist and detail endpoints answer 200 as well as 404
    for _ in range(3):
        ReplyFactory(email=EmailFactory(inbox=InboxFactory()))
    SuppressionFactory.create_batch(2)
    _, raw = make_key("admin", name="schemathesis", rate_limit_per_minute=100_000)
    return raw


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_openapi_document(case, raw_key):
    case.call_and_validate(
        headers={"X-API-Key": raw_key}, excluded_checks=[positive_data_acceptance, negative_data_rejection]
    )
