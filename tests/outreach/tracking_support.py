"""Posting tracking webhooks the way Resend and SendGrid do, for the tracking tests.

Resend signs with svix (https://docs.svix.com/receiving/verifying-payloads/how): the
``svix`` library signs here exactly as Resend does. Every request also carries the
basic auth of ``ANYMAIL["WEBHOOK_SECRET"]``, as the webhook URLs do in production.
"""

import base64
import datetime
import json
import uuid
from pathlib import Path

from svix.webhooks import Webhook

UTC = datetime.UTC
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RESEND_SECRET = "whsec_" + base64.b64encode(b"jengu-test-resend-signing-secret").decode()
RESEND_EMAIL_ID = "4ef9a417-02e9-4d39-ad75-9611e0fcc33c"  # data.email_id in every Resend fixture
SENDGRID_ANYMAIL_ID = "9c3f7b52-8d1e-4a0b-b6f3-2e5d7c1a4f90"  # anymail_id in every SendGrid fixture
OUR_MESSAGE_ID = "<0f1e2d3c4b5a69788796a5b4c3d2e1f0@mail.jengu.test>"  # smtp-id / echoed Message-ID
ADDRESS = "gm@harbourview.example"
BASIC_AUTH = "jengu-hooks:9f8e7d6c5b4a"


def resend_post(client, event: str, *, secret: str = RESEND_SECRET, **data):
    payload = json.loads((FIXTURES / "resend" / "webhooks" / f"{event}.json").read_text())
    payload["data"].update(data)
    body = json.dumps(payload)
    svix_id = f"msg_{uuid.uuid4().hex}"
    now = datetime.datetime.now(UTC)
    headers = {
        "svix-id": svix_id,
        "svix-timestamp": str(int(now.timestamp())),
        "svix-signature": Webhook(secret).sign(svix_id, now, body),
        "authorization": basic(BASIC_AUTH),  # the webhook URL carries it too (https://user:pass@…)
    }
    return client.post("/anymail/resend/tracking/", data=body, content_type="application/json", headers=headers)


def sendgrid_events(*names: str, **changes) -> list[dict]:
    events = []
    for name in names:
        for event in json.loads((FIXTURES / "sendgrid" / "webhooks" / f"{name}.json").read_text()):
            event.update(changes)
            events.append({key: value for key, value in event.items() if value is not None})
    return events


def basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


def sendgrid_post(client, events: list[dict], *, auth: str = BASIC_AUTH):
    return client.post(
        "/anymail/sendgrid/tracking/", data=json.dumps(events), content_type="application/json",
        headers={"authorization": basic(auth)},
    )  # fmt: skip
