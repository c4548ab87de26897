"""The demo's accounts (admin / sales / ops, password in the README) never reach production.

The attack: ``ensure_admin`` with DEBUG off still created the three staff accounts with
the published password, and nothing in the deploy checks noticed them.
"""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.checks.registry import registry
from django.core.management import call_command
from django.core.management.base import CommandError

from jengu.checks import check_demo_passwords
from jengu.management.commands.ensure_admin import DEMO_PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def ensure_admin(*args) -> str:
    out = io.StringIO()
    call_command("ensure_admin", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_with_debug_off_ensure_admin_refuses_without_the_demo_flag(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--demo"):
        ensure_admin()
    assert not get_user_model().objects.exists()


def test_the_demo_flag_is_an_explicit_choice_and_still_warns(settings):
    settings.DEBUG = False
    output = ensure_admin("--demo")
    assert get_user_model().objects.filter(username__in=["admin", "sales", "ops"]).count() == 3
    assert "never run ensure_admin against a production database" in output


def test_with_debug_on_the_demo_needs_no_flag(settings):
    settings.DEBUG = True
    ensure_admin()
    assert get_user_model().objects.get(username="admin").check_password(DEMO_PASSWORD)


def test_an_active_user_with_the_demo_password_fails_the_deploy_check(settings):
    assert check_demo_passwords in registry.get_checks(include_deployment_checks=True)
    assert check_demo_passwords() == []
    settings.DEBUG = True
    ensure_admin()
    errors = check_demo_passwords()
    assert [error.id for error in errors] == ["jengu.E021"]
    assert all(name in errors[0].msg for name in ("admin", "ops", "sales"))
    assert DEMO_PASSWORD not in errors[0].msg + (errors[0].hint or "")


def test_inactive_or_changed_demo_accounts_pass(settings):
    settings.DEBUG = True
    ensure_admin()
    User = get_user_model()
    User.objects.filter(username="admin").update(is_active=False)
    for user in User.objects.filter(username__in=["sales", "ops"]):
        user.set_password("a-real-password-of-their-own")
        user.save()
    assert check_demo_passwords() == []


def test_any_account_not_only_the_demo_names_is_checked():
    user = UserFactory(username="night-manager")
    user.set_password(DEMO_PASSWORD)
    user.save()
    assert "night-manager" in check_demo_passwords()[0].msg


def test_the_check_is_silent_before_the_first_migrate(monkeypatch):
    """``setup`` runs the checks before ``migrate``: a database without tables is not an error."""
    from django.db import DatabaseError
    from django.db.models.query import QuerySet

    def no_table(self, *args, **kwargs):
        raise DatabaseError("no such table: auth_user")

    monkeypatch.setattr(QuerySet, "iterator", no_table)
    monkeypatch.setattr(QuerySet, "_fetch_all", no_table)
    assert check_demo_passwords() == []
