"""The test suite's settings (pyproject.toml, ``make test``'s checks, bench/): production's, over plain HTTP.

This is ``jengu.settings`` with DEBUG off — what production runs — except for what a
test process on loopback cannot have or should not need:

* a throwaway SECRET_KEY when none is set: production refuses to start without one.
  It goes into the environment so the manage.py processes a test starts run with the
  same key (and this settings module, which pytest-django exports);
* plain HTTP: the test client and the live server speak http://, so no redirect to
  https:// and no cookie restricted to HTTPS;
* ADMIN_2FA_REQUIRED off: tests log staff in with ``force_login`` or the password form;
  tests/security/test_admin_login.py turns it on to test the second factor.

The production defaults themselves are tested in fresh processes started with
``jengu.settings`` and an explicit environment (tests/security/test_production_settings.py).
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-key-never-used-outside-the-test-suite-0123456789")
# the same for the Fernet key of secrets at rest (infra.encryption): production has its own
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "dGVzdC1vbmx5LWZpZWxkLWtleS1uZXZlci1pbi11c2U=")

from jengu.settings import *  # noqa: E402,F403

SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
ADMIN_2FA_REQUIRED = False
