"""How staff log in to the admin: a throttled password, then (for the powerful) a second factor.

* **Throttling** is django-axes (settings: ``AXES_*``, ``LOGIN_*``): wrong passwords are
  counted per username and client address in the database; past the limit that pair is
  locked out for a while, even with the right password. ``client_ip`` says which address
  a request comes from, trusting a proxy's header only when ``CLIENT_IP_HEADER`` names it.
* **Two-factor** is django-otp's TOTP device (an authenticator app). With
  ``ADMIN_2FA_REQUIRED`` on, a superuser, a member of Operations, or anyone who set up a
  device is *half* logged in after the password: ``TwoFactorMiddleware`` sends every
  request of theirs to ``two_factor_view`` — set-up (QR code, secret, confirm with a code)
  when they have no confirmed device, the code otherwise — until a code is accepted.
  Codes are single-use and wrong ones slow the next try down (django-otp's throttling).
  A lost phone: a superuser deletes the device under *OTP_TOTP → TOTP devices*; at the
  next login its owner sets up a new one.
"""

from __future__ import annotations

import ipaddress
from base64 import b32encode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe

from jengu.roles import OPERATIONS


def client_ip(request) -> str | None:
    """The client's address for login throttling (django-axes' ``AXES_CLIENT_IP_CALLABLE``).

    Behind a reverse proxy every request comes from the proxy; ``CLIENT_IP_HEADER`` (e.g.
    ``X-Forwarded-For``) then holds the client's address, appended by the proxy. Only the
    ``CLIENT_IP_PROXY_COUNT``-th entry from the right was written by a proxy of ours —
    anything left of it was written by the client and could be rotated to dodge the count.
    """
    header = getattr(settings, "CLIENT_IP_HEADER", "")
    if header and (forwarded := request.META.get(header, "")):
        addresses = [address.strip() for address in forwarded.split(",") if address.strip()]
        count = getattr(settings, "CLIENT_IP_PROXY_COUNT", 1)
        if len(addresses) >= count:
            try:
                return str(ipaddress.ip_address(addresses[-count]))
            except ValueError:
                pass  # not an address: a misconfigured proxy; count the socket's address
    return request.META.get("REMOTE_ADDR")


# --- two-factor ------------------------------------------------------------------------


def two_factor_needed(user) -> bool:
    """Must this (password-authenticated) user confirm a code before using the admin?"""
    from django_otp import devices_for_user

    if user.is_superuser or user.groups.filter(name=OPERATIONS).exists():
        return True
    return any(True for _ in devices_for_user(user, confirmed=True))  # set up by choice


class TwoFactorMiddleware:
    """Half-logged-in users (password yes, code not yet) reach only the code page and logout.

    After django-otp's ``OTPMiddleware``, which says whether this session's user was
    verified by a device. Does nothing while ``ADMIN_2FA_REQUIRED`` is off (the demo).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.ADMIN_2FA_REQUIRED and self._pending(request):
            target = request.get_full_path() if request.method == "GET" else reverse("admin:index")
            return redirect_to_login(target, login_url=reverse("admin:two_factor"))
        return self.get_response(request)

    @staticmethod
    def _pending(request) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_verified():
            return False
        if request.path in (reverse("admin:two_factor"), reverse("admin:logout")):
            return False
        if request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return False
        return two_factor_needed(user)


def two_factor_view(request, *, site):
    """Set up an authenticator app (first time) or enter its current code.

    The set-up keeps one unconfirmed device per user, so reloading the page shows the same
    secret as the QR code scanned a moment ago; it becomes the user's device once a code
    from it is accepted.
    """
    from django_otp import login as otp_login
    from django_otp import verify_token
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = request.user
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        next_url = reverse("admin:index")
    if user.is_verified():
        return redirect(next_url)

    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    setting_up = device is None
    if setting_up:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
        device = device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)

    error = ""
    if request.method == "POST":
        allowed, _ = device.verify_is_allowed()
        token = "".join(request.POST.get("token", "").split())
        if not allowed:
            error = "Too many wrong codes in a row: wait a few seconds, then enter the current code."
        elif verified := verify_token(user, device.persistent_id, token):
            if setting_up:
                verified.confirmed = True
                verified.save(update_fields=["confirmed"])
                TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            request.session.cycle_key()  # a new session id for the now fully logged-in user
            otp_login(request, verified)
            return redirect(next_url)
        else:
            error = "That code is not right (or was already used). Enter the code your app shows now."

    context = {
        **site.each_context(request),
        "title": "Set up two-factor authentication" if setting_up else "Two-factor authentication",
        "setting_up": setting_up,
        "next": next_url,
        "error": error,
    }
    if setting_up:
        import segno

        context["secret"] = b32encode(device.bin_key).decode()
        context["qr_svg"] = mark_safe(segno.make(device.config_url).svg_inline(scale=5))  # noqa: S308 (our SVG)
    return TemplateResponse(request, "admin/two_factor.html", context)
