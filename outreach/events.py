"""Every event name the outreach app records (``infra.events.event_record``).

One constant per name, so a reader can list what the app emits and a search for the
constant finds every site. The strings are stored in ``infra.Event.name`` and read by
the dashboard, the metrics, the prospect's story and the send review: change one only
with a data migration.
"""

# Composition
COMPOSITION_DRAFTED = "composition.drafted"
COMPOSITION_APPROVED = "composition.approved"
COMPOSITION_REJECTED = "composition.rejected"
COMPOSITION_SKIPPED = "composition.skipped"  # a ready prospect without an address, or no active campaign

# An email's way out
EMAIL_PROVIDER_ATTEMPT = "email.provider_attempt"  # a provider was asked (the send review reads these)
EMAIL_SENT = "email.sent"
EMAIL_SEND_FAILED = "email.send_failed"  # no provider took it in SEND_MAX_ATTEMPTS runs
EMAIL_HELD = "email.held"  # out of the queue until a consent the country's law requires
EMAIL_HELD_RELEASED = "email.held_released"

# What came back
EMAIL_BOUNCED = "email.bounced"
EMAIL_COMPLAINED = "email.complained"
EMAIL_DEFERRED = "email.deferred"
EMAIL_UNSUBSCRIBED = "email.unsubscribed"
EMAIL_TRACKING_UNMATCHED = "email.tracking_unmatched"

# Sequences and follow-ups
SEQUENCE_PAUSED = "sequence.paused"
SEQUENCE_STOPPED = "sequence.stopped"
SEQUENCE_COMPLETED = "sequence.completed"
FOLLOW_UP_RUN = "follow_up.run"

# Inboxes, sending domains and the sender
INBOX_PAUSED = "inbox.paused"
INBOX_RESUMED = "inbox.resumed"
INBOX_CIRCUIT_OPEN = "inbox.circuit_open"
DOMAIN_CHECKED = "domain.checked"
SENDING_DOMAIN_HALVED = "sending_domain.halved"
SENDING_EMERGENCY_STOP = "sending.emergency_stop"
SENDING_RESUMED = "sending.resumed"

# Suppression and country rules
SUPPRESSION_ADDED = "suppression.added"
SUPPRESSION_REMOVED = "suppression.removed"
COUNTRY_RULE_SAVED = "country_rule.saved"
COUNTRY_RULE_DELETED = "country_rule.deleted"
