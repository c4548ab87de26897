"""The Sales and Operations groups hold exactly jengu.roles' permissions, apps added later included."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from jengu.roles import OPERATIONS, ROLE_PERMISSIONS, SALES

pytestmark = pytest.mark.django_db


def granted(role: str) -> set[str]:
    return {
        f"{app_label}.{codename}"
        for app_label, codename in Group.objects.get(name=role).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def test_every_role_permission_exists():
    existing = {f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.select_related("content_type")}
    for role, perms in ROLE_PERMISSIONS.items():
        assert set(perms) <= existing, (role, set(perms) - existing)


def test_each_group_has_exactly_its_role_after_migrate():
    assert granted(SALES) == set(ROLE_PERMISSIONS[SALES])
    assert granted(OPERATIONS) == set(ROLE_PERMISSIONS[OPERATIONS])


def test_migrate_puts_a_changed_group_back():
    """An existing database gets a role's new permissions (here: Operations' lockout view) on migrate."""
    Group.objects.get(name=OPERATIONS).permissions.remove(
        Permission.objects.get(content_type__app_label="axes", codename="view_accessattempt")
    )
    call_command("migrate", verbosity=0, interactive=False)
    assert "axes.view_accessattempt" in granted(OPERATIONS)
