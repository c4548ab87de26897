"""Production settings (DEBUG off): no secret, no start; https everywhere; nothing left as a warning.

The attack this file reproduces: with DEBUG off and no ``SECRET_KEY`` the app started on
the public development key, ``check --deploy --fail-level ERROR`` passed, and an
unsubscribe token forged with that key (it is in the repository) suppressed a real
address; unsubscribe links in real mail pointed at 127.0.0.1.

Production settings are ``jengu.settings`` in a fresh process with an explicit
environment (never this process's: the suite runs on ``jengu.settings_test``), so each
test says exactly which variables production has.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import signing

from infra.checks import check_public_base_url
from infra.errors import ApplicationError
from outreach.unsubscribe import unsubscribe_token_address

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_DEV_KEY = "insecure-dev-key-change-me-in-production"
PRODUCTION_KEY = "k8Jq2-vN4zR7wX1cY5bT9mL3pD6hF0sG-aE2uK8iO4nQ7jW1rV5yZ3xC6"
# Every variable the production settings read that could change the outcome, set
# explicitly (a blank value counts as unset), so a developer's own .env cannot leak in.
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "jengu.settings",
    "DEBUG": "0",
    "SECRET_KEY": PRODUCTION_KEY,
    "SECRET_KEY_FALLBACKS": "",
    "ALLOWED_HOSTS": "crm.jengu.test",
    "CSRF_TRUSTED_ORIGINS": "https://crm.jengu.test",
    "PUBLIC_BASE_URL": "https://crm.jengu.test",
    "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto,https",
    "ADMIN_2FA_REQUIRED": "",
    # the other secrets production refuses to run without (checked by their own checks)
    "FIELD_ENCRYPTION_KEYS": "dGVzdC1vbmx5LWZpZWxkLWVuY3J5cHRpb24ta2V5LTE=",
    "ANYMAIL_WEBHOOK_SECRET": "jengu-hooks:Qm8x-test-only-webhook-password",
    "METRICS_TOKEN": "test-only-metrics-token-7c1f",
    "REDIS_URL": "",
}


def production_env(tmp_path, **changes) -> dict:
    environment = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    environment.update(PRODUCTION_ENV)
    environment.update(JENGU_VAR_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path}/production.sqlite3")
    environment.update(changes)
    return environment


def manage(environment, *args):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def python(environment, code: str):
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


# --- the complete configuration passes, each missing secret fails by name ---------------


def test_a_complete_production_configuration_passes_the_deploy_check_at_warning_level(tmp_path):
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_without_secret_key_production_refuses_to_start(tmp_path):
    result = manage(production_env(tmp_path, SECRET_KEY=""), "check", "--deploy", "--fail-level", "ERROR")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "SECRET_KEY is not set" in output
    assert "Traceback" not in output  # one line an operator can act on (manage.py prints the refusal)


def test_the_public_development_key_counts_as_no_key(tmp_path):
    result = manage(production_env(tmp_path, SECRET_KEY=PUBLIC_DEV_KEY), "check")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "SECRET_KEY" in output
    assert PUBLIC_DEV_KEY not in output  # a key is never echoed, not even the public one


@pytest.mark.parametrize(
    "variable, value",
    [
        ("PUBLIC_BASE_URL", ""),
        ("PUBLIC_BASE_URL", "http://127.0.0.1:8000"),
        ("FIELD_ENCRYPTION_KEYS", ""),
        ("ANYMAIL_WEBHOOK_SECRET", ""),
    ],
)
def test_a_missing_or_unsafe_production_value_fails_the_deploy_check_by_name(tmp_path, variable, value):
    result = manage(production_env(tmp_path, **{variable: value}), "check", "--deploy", "--fail-level", "ERROR")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert variable in output
    assert "Traceback" not in output


FORGE = f"""
import django
from django.core import signing
django.setup()
from outreach.unsubscribe import unsubscribe_token_address
signer = signing.Signer(key={PUBLIC_DEV_KEY!r}, salt="jengu.unsubscribe")
forged = signer.sign_object("gm@hotel-real.test", compress=True)
try:
    print("ACCEPTED", unsubscribe_token_address(forged))
except Exception as exc:
    print("REJECTED", type(exc).__name__)
"""


def test_a_token_forged_with_the_public_key_unsubscribes_nobody_in_production(tmp_path):
    unset = python(production_env(tmp_path, SECRET_KEY=""), FORGE)
    assert "ACCEPTED" not in unset.stdout
    assert unset.returncode != 0 and "SECRET_KEY" in unset.stderr

    configured = python(production_env(tmp_path), FORGE)
    assert configured.stdout.strip() == "REJECTED ApplicationError", configured.stderr


# --- the secure defaults with DEBUG off, and the demo's with DEBUG on --------------------

SHOW = """
import django, json
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name, None) for name in %r}))
"""
SHOWN = [
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_AGE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_PROXY_SSL_HEADER",
    "SECRET_KEY_FALLBACKS",
    "ADMIN_2FA_REQUIRED",
    "AXES_FAILURE_LIMIT",
    "DEBUG",
]


def show(environment) -> dict:
    result = python(environment, SHOW % SHOWN)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_debug_off_means_https_only_cookies_hsts_a_short_session_and_two_factor(tmp_path):
    production = show(production_env(tmp_path, SECRET_KEY_FALLBACKS="old-key-one,old-key-two"))
    assert production["SESSION_COOKIE_SECURE"] and production["CSRF_COOKIE_SECURE"]
    assert production["SESSION_COOKIE_HTTPONLY"]
    assert production["SESSION_COOKIE_AGE"] <= 8 * 3600
    assert production["SECURE_SSL_REDIRECT"]
    assert production["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    assert production["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert production["SECRET_KEY_FALLBACKS"] == ["old-key-one", "old-key-two"]
    assert production["ADMIN_2FA_REQUIRED"] is True
    assert production["AXES_FAILURE_LIMIT"] == 10


def test_the_demo_still_runs_with_no_keys_over_plain_http(tmp_path):
    demo = {key: "" for key in PRODUCTION_ENV if key not in ("DJANGO_SETTINGS_MODULE",)}
    demo.update(DJANGO_SETTINGS_MODULE="jengu.settings", DEBUG="1")
    values = show(production_env(tmp_path, **demo))
    assert values["DEBUG"] is True
    assert not values["SECURE_SSL_REDIRECT"] and not values["SESSION_COOKIE_SECURE"]
    assert not values["SECURE_HSTS_SECONDS"]
    assert values["ADMIN_2FA_REQUIRED"] is False


def test_a_malformed_proxy_header_is_reported_by_name(tmp_path):
    result = manage(production_env(tmp_path, SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto"), "check")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "SECURE_PROXY_SSL_HEADER" in output and "Traceback" not in output


# --- PUBLIC_BASE_URL: where recipients click must be public and https -------------------


@pytest.mark.parametrize(
    "url",
    [
        "",
        "http://crm.jengu.test",
        "https://127.0.0.1:8000",
        "https://localhost:8000",
        "https://app.localhost",
        "https://10.0.0.5",
        "https://192.168.1.20",
        "https://172.16.3.4",
        "https://169.254.169.254",
        "https://[::1]",
        "https://[fd00::1]",
        "https://0.0.0.0",
        "https://crm",
        "crm.jengu.test",
    ],
)
def test_public_base_url_must_be_https_on_a_public_host(settings, url):
    settings.DEBUG = False
    settings.PUBLIC_BASE_URL = url
    errors = check_public_base_url()
    assert [error.id for error in errors] == ["jengu.E020"]
    assert errors[0].msg.startswith("PUBLIC_BASE_URL")


@pytest.mark.parametrize("url", ["https://crm.jengu.test", "https://crm.jengu.test/", "https://93.184.216.34"])
def test_a_public_https_base_url_passes(settings, url):
    settings.DEBUG = False
    settings.PUBLIC_BASE_URL = url
    assert check_public_base_url() == []


def test_the_demo_may_link_to_loopback(settings):
    settings.DEBUG = True
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    assert check_public_base_url() == []


# --- key rotation ---------------------------------------------------------------------


def test_after_a_key_rotation_old_unsubscribe_links_keep_working(settings):
    """Links in mail sent before the random tokens carry the address signed with SECRET_KEY."""
    old_key, new_key = "the-old-key-" + "o" * 50, "the-new-key-" + "n" * 50
    old_link_token = signing.Signer(key=old_key, salt="jengu.unsubscribe").sign_object("gm@hotel-real.test")

    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = new_key, [old_key]
    assert unsubscribe_token_address(old_link_token) == "gm@hotel-real.test"

    settings.SECRET_KEY_FALLBACKS = []  # a retired (leaked) key dropped: what it signed stops working
    with pytest.raises(ApplicationError):
        unsubscribe_token_address(old_link_token)
