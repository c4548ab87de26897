#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jengu.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        from django.conf import settings

        settings.INSTALLED_APPS  # noqa: B018 -- reading a setting loads them, so a refusal shows here
    except ImproperlyConfigured as exc:  # e.g. no SECRET_KEY with DEBUG off: one line, not a traceback
        sys.stderr.write(f"{exc}\n")
        sys.exit(1)
    execute_from_command_line(sys.argv)
