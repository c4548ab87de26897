"""System checks: report malformed settings by name, never as a traceback."""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Warning, register

from infra.config import CONFIG_ERRORS


@register("jengu")
def check_configuration(app_configs=None, **kwargs):
    """Malformed environment values, by variable name."""
    return [
        Error(f"{variable}: {problem}.", hint="See .env.example for the expected form.", id="jengu.E001")
        for variable, problem in CONFIG_ERRORS
    ]


@register("jengu", deploy=True)
def check_production_secrets(app_configs=None, **kwargs):
    # with DEBUG off jengu.settings refuses to start without a key; this is the demo's
    if settings.SECRET_KEY.startswith("insecure-dev-key"):
        return [Warning("SECRET_KEY is the development default.", hint="Set SECRET_KEY.", id="jengu.W001")]
    return []


DEMO_BASE_URL = "http://127.0.0.1:8000"  # jengu.settings' default


def _private_host(host: str) -> bool:
    """Loopback, private, link-local, unspecified or a name no one outside resolves.

    Decided from the text alone (no DNS lookup): an IP literal by its range, a name by
    being ``localhost``/``*.localhost`` or a single label (``crm``, ``web``).
    """
    host = host.strip("[]").rstrip(".").lower()
    try:
        return not ipaddress.ip_address(host).is_global
    except ValueError:
        return host == "localhost" or host.endswith(".localhost") or "." not in host


@register("jengu", deploy=True)
def check_public_base_url(app_configs=None, **kwargs):
    """Unsubscribe links in real mail must reach this instance, over https, from anywhere."""
    if settings.DEBUG:
        return []  # the demo's links point at its own loopback server
    url = settings.PUBLIC_BASE_URL or ""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname and not _private_host(parts.hostname):
        return []
    now = "not set (the demo's http://127.0.0.1:8000)" if url in ("", DEMO_BASE_URL) else repr(url)
    return [
        Error(
            f"PUBLIC_BASE_URL must be the https:// address recipients reach this instance at; it is {now}.",
            hint="Every email's unsubscribe link starts with it. Set e.g. PUBLIC_BASE_URL=https://crm.example.com "
            "(https, a public host name, no loopback or private address).",
            id="jengu.E020",
        )
    ]


@register("jengu", deploy=True)
def check_two_factor(app_configs=None, **kwargs):
    if settings.DEBUG or getattr(settings, "ADMIN_2FA_REQUIRED", False):
        return []
    return [
        Warning(
            "ADMIN_2FA_REQUIRED is off: superusers and Operations open the admin with a password alone.",
            hint="Leave ADMIN_2FA_REQUIRED unset (on by default with DEBUG off).",
            id="jengu.W020",
        )
    ]


# The ESP webhooks (jengu/esp_webhooks.py) refuse requests while unauthenticated; on a
# deployment that is a broken install, not a quiet one, so `manage.py setup` stops on it.
# A deployment check (like Django's own security checks): `manage.py check` in `make test`
# and the DEBUG demo, which use no ESP webhook, are not deployments.
@register("jengu", deploy=True)
def check_webhook_secrets(app_configs=None, **kwargs):
    if settings.DEBUG:
        return []
    anymail = getattr(settings, "ANYMAIL", {})
    errors = []
    basic_auth = anymail.get("WEBHOOK_SECRET", "")
    well_formed = isinstance(basic_auth, str) and all(basic_auth.partition(":")[0::2])
    if not basic_auth:
        errors.append(
            Error(
                "ANYMAIL_WEBHOOK_SECRET is not set: the ESP webhooks (/anymail/…) refuse every request.",
                hint='Set ANYMAIL_WEBHOOK_SECRET to "user:password" (a long random password) and put it '
                "in each webhook URL given to an ESP: https://user:password@crm.example/anymail/….",
                id="jengu.E010",
            )
        )
    elif not well_formed:
        errors.append(Error("ANYMAIL_WEBHOOK_SECRET must be user:password.", hint="See .env.example.", id="jengu.E011"))
    if getattr(settings, "RESEND_API_KEY", "") and not anymail.get("RESEND_SIGNING_SECRET"):
        errors.append(
            Error(
                "RESEND_API_KEY is set without RESEND_SIGNING_SECRET: Resend's delivery reports cannot be verified.",
                hint="Paste the signing secret (whsec_…) of the Resend webhook into RESEND_SIGNING_SECRET.",
                id="jengu.E012",
            )
        )
    if getattr(settings, "SENDGRID_API_KEY", "") and not (
        anymail.get("SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY") or well_formed
    ):
        errors.append(
            Error(
                "SENDGRID_API_KEY is set without SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY or "
                "ANYMAIL_WEBHOOK_SECRET: SendGrid's webhooks cannot be authenticated.",
                hint="Set ANYMAIL_WEBHOOK_SECRET (and SendGrid's Signed Event Webhook key).",
                id="jengu.E013",
            )
        )
    return errors


# Secrets at rest (infra.encryption). A deployment check, as the ones above: the demo runs
# on a key derived from SECRET_KEY and is no deployment; `manage.py setup` stops here.
@register("jengu", deploy=True)
def check_field_encryption_keys(app_configs=None, **kwargs):
    if settings.DEBUG or getattr(settings, "FIELD_ENCRYPTION_KEYS", None):
        return []
    return [
        Error(
            "FIELD_ENCRYPTION_KEYS is not set: inbox passwords and webhook signing secrets would be encrypted "
            "with a key derived from SECRET_KEY (development only).",
            hint="Set FIELD_ENCRYPTION_KEYS to a Fernet key: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'. Keep it apart from the database backups.",
            id="jengu.E040",
        )
    ]


@register("jengu", deploy=True)
def check_mail_plaintext_hosts(app_configs=None, **kwargs):
    from infra.mail_tls import is_loopback

    remote = [host for host in getattr(settings, "MAIL_PLAINTEXT_HOSTS", []) if not is_loopback(host)]
    if not remote:
        return []
    return [
        Warning(
            f"MAIL_PLAINTEXT_HOSTS names {', '.join(remote)}, not this machine: inbox passwords and mail go "
            "there unencrypted.",
            hint="List only 127.0.0.1, localhost and ::1 (or 'none'); give remote servers TLS.",
            id="jengu.W040",
        )
    ]


@register("jengu", deploy=True)
def check_safe_fetch(app_configs=None, **kwargs):
    """Private hosts allowed (possible with DEBUG only): hotel sites could reach this network."""
    if not getattr(settings, "SAFE_FETCH_ALLOW_PRIVATE_HOSTS", False):
        return []
    return [
        Warning(
            "SAFE_FETCH_ALLOW_PRIVATE_HOSTS is on: hotel websites and webhook receivers may point at "
            "this machine and its network.",
            hint="Leave SAFE_FETCH_ALLOW_PRIVATE_HOSTS unset outside the test suite and the offline demo.",
            id="jengu.W050",
        )
    ]
