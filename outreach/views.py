"""Public pages: unsubscribe (a confirmation button, and RFC 8058 one-click POSTs from mail
clients) and the privacy notice the first email's privacy line links to."""

from constance import config
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

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


@require_safe
def privacy_notice(request, campaign_id: int | None = None):
    """What we store about the people we write to, where it came from, how to object or be erased.

    Public and the same for everyone: no personal data, only the campaign's identity and
    postal address (both printed in every email anyway). Without an id: the default campaign.
    """
    from outreach.models import Campaign

    if campaign_id is None:
        campaign = Campaign.objects.filter(is_default=True).first() or Campaign.objects.order_by("id").first()
    else:
        campaign = Campaign.objects.filter(pk=campaign_id).first()
        if campaign is None:
            raise Http404("No such notice.")
    context = {
        "who": ((campaign.privacy_identity or campaign.sender_name) if campaign else "").strip(),
        "postal_address": (campaign.postal_address if campaign else "").strip(),
        "retention_months": int(config.PERSONAL_DATA_RETENTION_MONTHS),
    }
    return render(request, "outreach/privacy.html", context)
