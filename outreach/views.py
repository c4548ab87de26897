"""The public unsubscribe page: a confirmation button, and RFC 8058 one-click POSTs from mail clients."""

from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from infra.errors import ApplicationError
from outreach.unsubscribe import unsubscribe_address, unsubscribe_token_address


@csrf_exempt  # mail clients post one-click unsubscribes without a page or a cookie (RFC 8058)
def unsubscribe(request, token: str):
    try:
        address = unsubscribe_token_address(token)
    except ApplicationError as exc:
        return render(request, "outreach/unsubscribe.html", {"error": exc.message}, status=400)
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        unsubscribe_address(token=token, source="one-click" if one_click else "link")
        return render(request, "outreach/unsubscribe.html", {"address": address, "done": True})
    return render(request, "outreach/unsubscribe.html", {"address": address})
