"""The emergency stop: one switch, stored in the live settings, that halts all sending.

Every sender run reads ``sending_enabled()`` before each send, so a stop takes effect
within one run; sends already handed to a provider finish.
"""

from constance import config

from infra.errors import ApplicationError
from infra.events import event_record
from outreach import events


def sending_enabled() -> bool:
    return bool(config.SENDING_ENABLED)


def sending_emergency_stop(*, by, reason: str = "") -> None:
    if not sending_enabled():
        raise ApplicationError("Sending is already stopped.")
    config.SENDING_ENABLED = False
    event_record(events.SENDING_EMERGENCY_STOP, level="warning", message=reason or "emergency stop", by=by)


def sending_resume(*, by) -> None:
    if sending_enabled():
        raise ApplicationError("Sending is already running.")
    config.SENDING_ENABLED = True
    event_record(events.SENDING_RESUMED, message="sending resumed", by=by)
