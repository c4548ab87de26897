"""The admin login: password guessing is throttled; superusers and Operations need a second factor.

The attack: 15 wrong passwords then the right one on /admin/login/ were all accepted,
and a stolen password alone opened the admin to a superuser's or an operator's account.
"""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from outreach.services.sending_control import sending_enabled

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def with_password(user):
    user.set_password(PASSWORD)
    user.save()
    return user


def log_in(client, username, password=PASSWORD, **headers):
    return client.post(
        reverse("admin:login"), {"username": username, "password": password, "next": "/admin/"}, **headers
    )


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- throttling -----------------------------------------------------------------------


def test_fifteen_wrong_passwords_lock_the_account_out_even_for_the_right_one(client, superuser):
    with_password(superuser)
    for _ in range(15):
        assert log_in(client, superuser.username, "wrong-guess").status_code in (200, 429)
    response = log_in(client, superuser.username)
    assert response.status_code == 429
    assert not logged_in(client)
    assert client.get("/admin/").status_code == 302  # back to the login page


def test_the_lockout_is_recorded_and_ends_after_the_cool_off(client, superuser):
    from axes.models import AccessAttempt

    with_password(superuser)
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(10):
            log_in(client, superuser.username, "wrong-guess")
        assert log_in(client, superuser.username).status_code == 429
        attempt = AccessAttempt.objects.get(username=superuser.username)
        assert attempt.failures_since_start >= 10 and attempt.ip_address == "127.0.0.1"

        clock.shift(dt.timedelta(minutes=16))
        assert log_in(client, superuser.username).status_code == 302
        assert logged_in(client)


def test_nine_typos_do_not_lock_anyone_out(client, sales_user):
    with_password(sales_user)
    for _ in range(9):
        log_in(client, sales_user.username, "typo")
    assert log_in(client, sales_user.username).status_code == 302


def test_a_locked_username_does_not_lock_out_a_colleague_at_the_same_address(client, superuser, sales_user):
    with_password(superuser), with_password(sales_user)
    for _ in range(12):
        log_in(client, superuser.username, "wrong-guess")
    assert log_in(client, sales_user.username).status_code == 302


def test_spelling_the_username_differently_does_not_reset_the_count(client, sales_user):
    """The form strips and NFKC-normalises the username before it logs in: so does the count."""
    with_password(sales_user)
    name = sales_user.username
    variants = [name, f" {name}", f"{name} ", f"  {name}  ", name.translate({ord(c): ord(c) + 0xFEE0 for c in "sal"})]
    for n in range(12):
        log_in(client, variants[n % len(variants)], "wrong-guess")
    assert log_in(client, f" {name} ").status_code == 429
    assert log_in(client, name).status_code == 429


def test_a_forged_forwarded_for_header_does_not_reset_the_count(client, superuser):
    """Without a configured proxy header the address is the socket's, whatever the client claims."""
    with_password(superuser)
    for n in range(12):
        log_in(client, superuser.username, "wrong-guess", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    assert log_in(client, superuser.username, HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429


def test_behind_a_proxy_the_client_address_is_the_one_the_proxy_saw(client, settings, superuser):
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.CLIENT_IP_PROXY_COUNT = 1
    with_password(superuser)
    # the proxy (REMOTE_ADDR 127.0.0.1) appends the address it saw; what the client wrote before it is ignored
    for n in range(12):
        log_in(client, superuser.username, "wrong-guess", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.7")
    assert log_in(client, superuser.username, HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    # another office behind the same proxy is not locked out
    assert log_in(client, superuser.username, HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 302


def test_operations_see_the_lockouts_in_the_admin_and_sales_do_not(client, ops_user, sales_user):
    client.force_login(ops_user)
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 200
    client.force_login(sales_user)
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403


# --- two-factor authentication --------------------------------------------------------


def current_token(device) -> str:
    from django_otp.oath import totp

    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


@pytest.fixture
def two_factor_required(settings):
    settings.ADMIN_2FA_REQUIRED = True


@pytest.mark.parametrize("role", ["superuser", "ops_user"])
def test_a_password_alone_does_not_open_the_admin_to_superusers_and_operations(
    request, client, two_factor_required, role
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = with_password(request.getfixturevalue(role))
    two_factor = reverse("admin:two_factor")
    with time_machine.travel(START, tick=False) as clock:
        assert log_in(client, user.username).status_code == 302

        # every admin page, and the emergency stop, sends the half-logged-in user to set-up
        for url in ["/admin/", reverse("admin:prospects_prospect_changelist"), reverse("admin:auth_user_changelist")]:
            response = client.get(url)
            assert response.status_code == 302 and response.url.startswith(two_factor), url
        response = client.post(reverse("admin:sending_control"), {"action": "stop", "reason": "x"})
        assert response.status_code == 302 and response.url.startswith(two_factor)
        assert sending_enabled()

        # set-up: a QR code and the secret, confirmed with a code from the app
        page = client.get(two_factor)
        device = TOTPDevice.objects.get(user=user)
        assert not device.confirmed
        assert page.status_code == 200 and b"<svg" in page.content
        assert page.context["secret"].encode() in page.content
        assert client.get(two_factor).context["secret"] == page.context["secret"]  # reload: same secret
        response = client.post(two_factor, {"token": "000000"})
        assert response.status_code == 200 and client.get("/admin/").status_code == 302
        clock.shift(dt.timedelta(seconds=5))  # past the throttle a wrong code starts
        response = client.post(two_factor, {"token": current_token(device), "next": "/admin/"})
        assert response.status_code == 302 and response.url == "/admin/"
        device.refresh_from_db()
        assert device.confirmed
        assert client.get("/admin/").status_code == 200

        # next login: asked for the code; the code just used cannot be replayed
        client.post(reverse("admin:logout"))
        assert log_in(client, user.username).status_code == 302
        assert client.get("/admin/").url.startswith(two_factor)
        replayed = current_token(device)
        assert client.post(two_factor, {"token": replayed}).status_code == 200
        assert client.get("/admin/").status_code == 302
        clock.shift(dt.timedelta(seconds=60))
        page = client.get(two_factor)
        assert "secret" not in page.context or not page.context["secret"]  # no second QR for a set-up device
        assert client.post(two_factor, {"token": current_token(device)}).status_code == 302
        assert client.get("/admin/").status_code == 200


def test_sales_log_in_with_a_password_when_only_superusers_and_operations_need_two_factor(
    client, two_factor_required, sales_user
):
    with_password(sales_user)
    assert log_in(client, sales_user.username).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_the_two_factor_page_asks_for_a_login_first(client, two_factor_required):
    response = client.get(reverse("admin:two_factor"))
    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))


def test_with_two_factor_off_as_in_the_demo_a_superuser_needs_only_the_password(client, settings, superuser):
    settings.ADMIN_2FA_REQUIRED = False
    with_password(superuser)
    assert log_in(client, superuser.username).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_lost_phone_is_reset_by_a_superuser_and_operations_cannot_read_device_keys(
    client, django_user_model, two_factor_required, superuser, ops_user
):
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    lost = TOTPDevice.objects.create(user=with_password(ops_user), name="phone", confirmed=True)
    own = TOTPDevice.objects.create(user=superuser, name="phone", confirmed=True)
    client.force_login(superuser)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = own.persistent_id  # this superuser passed two-factor
    session.save()
    delete = reverse("admin:otp_totp_totpdevice_delete", args=[lost.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not TOTPDevice.objects.filter(pk=lost.pk).exists()

    operator = Client()
    assert log_in(operator, ops_user.username).status_code == 302
    page = operator.get(reverse("admin:two_factor"))
    assert page.context["secret"]  # set-up again, with a new secret
    operator.get("/admin/")
    assert operator.get(reverse("admin:otp_totp_totpdevice_changelist")).status_code == 302  # not verified yet
