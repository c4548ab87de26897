"""The two staff roles and what each may do in the admin.

Sales works prospects and replies; it can see but not change inboxes, sending or live
settings. Operations runs the machine: inboxes, campaigns, suppression, live
settings, the emergency stop, the task queue. Superusers can do everything.
"""

SALES = "Sales"
OPERATIONS = "Operations"

ROLE_PERMISSIONS = {
    SALES: [
        "prospects.view_prospect",
        "prospects.add_prospect",
        "prospects.change_prospect",
        "prospects.view_jobposting",
        "prospects.view_researchreport",
        # a consent a prospect gave is recorded, never edited (prospects.provenance)
        "prospects.view_consent",
        "prospects.add_consent",
        # notes and tasks on a prospect (prospects.services.notes): kept, never edited; tasks are ticked off
        "prospects.view_note",
        "prospects.add_note",
        "prospects.view_task",
        "prospects.add_task",
        "prospects.change_task",
        "outreach.view_campaign",
        "outreach.view_email",
        "outreach.change_email",
        "outreach.view_inbox",
        "outreach.view_inboxday",
        "outreach.view_suppression",
        "outreach.add_suppression",
        "outreach.view_countryrule",
        "replies.view_reply",
        "replies.change_reply",
        "replies.view_calibrationhistory",
        "replies.view_meeting",
        "replies.add_calibrationhistory",
        "infra.view_statetransition",
        "infra.view_event",
        # the progress page of a long action or a large CSV export (infra.bulk, infra.exports)
        "infra.view_bulkoperation",
    ],
    OPERATIONS: [
        "prospects.view_prospect",
        "prospects.add_prospect",
        "prospects.change_prospect",
        "prospects.view_jobposting",
        "prospects.change_jobposting",
        "prospects.view_researchreport",
        "prospects.view_consent",
        "prospects.add_consent",
        "prospects.view_note",
        "prospects.add_note",
        "prospects.view_task",
        "prospects.add_task",
        "prospects.change_task",
        "outreach.view_campaign",
        "outreach.add_campaign",
        "outreach.change_campaign",
        "outreach.view_email",
        "outreach.change_email",
        "outreach.view_inbox",
        "outreach.add_inbox",
        "outreach.change_inbox",
        "outreach.control_sending",
        "outreach.view_inboxday",
        "outreach.view_suppression",
        "outreach.add_suppression",
        "outreach.change_suppression",
        "outreach.delete_suppression",
        # the law of each prospect's country (outreach.compliance): Operations keeps the table
        "outreach.view_countryrule",
        "outreach.add_countryrule",
        "outreach.change_countryrule",
        "outreach.delete_countryrule",
        "replies.view_reply",
        "replies.change_reply",
        "replies.view_calibrationhistory",
        "replies.view_meeting",
        "infra.view_statetransition",
        "infra.view_event",
        "infra.view_bulkoperation",
        "constance.view_config",
        "constance.change_config",
        # monitoring (infra.alert_rules): Operations edits the alert rules and reads the alerts
        "infra.view_alertrule",
        "infra.add_alertrule",
        "infra.change_alertrule",
        "infra.delete_alertrule",
        "infra.view_alertstate",
        "infra.view_alertnotice",
        "infra.view_eventdailycount",
        "django_q.view_schedule",
        "django_q.view_failure",
        "django_q.delete_failure",
        "django_q.view_success",
        "django_q.view_ormq",
        # login lockouts (django-axes): see who is locked out, lift a lockout by deleting it
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "axes.view_accesslog",
        "axes.view_accessfailurelog",
    ],
}


def sync_role_groups_after_migrate(sender, apps=None, **kwargs) -> None:
    """post_migrate (jengu.apps): after a full migrate every app's permissions exist, so each role gets all of its own.

    ``migrate`` passes its final model state (which, migrating back to an older target,
    may lack a model: that permission waits for the next migrate); ``flush`` (the test
    suite's) passes none. tests/jengu/test_roles.py checks that every name exists.
    """
    from django.apps import apps as installed_apps

    sync_role_groups(apps or installed_apps)


def sync_role_groups(apps) -> None:
    """Create the groups and give them exactly their permissions (idempotent).

    The data migration (jengu 0001) may run before a later-added app's tables exist; it
    skips those permissions and the post_migrate sync adds them.
    """
    from django.contrib.auth.management import create_permissions

    # permissions are normally created after all migrations ran; make sure they exist now
    for app_config in apps.get_app_configs():
        # a migration's app stubs have no models module, which create_permissions skips;
        # post_migrate after a flush passes the real registry, whose modules must stay
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        try:
            create_permissions(app_config, apps=apps, verbosity=0)
        finally:
            app_config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".")
            try:
                wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
            except Permission.DoesNotExist:
                continue  # its model is not migrated yet (see above)
        group.permissions.set(wanted)
