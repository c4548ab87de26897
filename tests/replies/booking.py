"""Signing recorded Cal.com and Calendly payloads as each service does."""

import hashlib
import hmac
import json
import time
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CALCOM_SECRET = "calcom-test-secret"
CALENDLY_KEY = "calendly-test-signing-key"


def recorded(service: str, name: str) -> dict:
    return json.loads((FIXTURES / service / f"{name}.json").read_text())


def calcom_post(client, payload: dict, *, secret: str = CALCOM_SECRET, signature: str | None = None):
    body = json.dumps(payload).encode()
    if signature is None:
        signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {"HTTP_X_CAL_SIGNATURE_256": signature} if signature else {}
    return client.post("/webhooks/calcom/", data=body, content_type="application/json", **headers)


def calendly_post(client, payload: dict, *, key: str = CALENDLY_KEY, stamp: int | None = None, header=None):
    body = json.dumps(payload).encode()
    stamp = int(time.time()) if stamp is None else stamp
    if header is None:
        signature = hmac.new(key.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
        header = f"t={stamp},v1={signature}"
    headers = {"HTTP_CALENDLY_WEBHOOK_SIGNATURE": header} if header else {}
    return client.post("/webhooks/calendly/", data=body, content_type="application/json", **headers)
