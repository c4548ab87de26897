"""Every event name the replies app records (``infra.events.event_record``).

One constant per name, so a reader can list what the app emits and a search for the
constant finds every site. The strings are stored in ``infra.Event.name`` and read by the
dashboard, the metrics, the alert rules and the prospect's story: change one only with a
data migration.
"""

# Inbound mail: polled, stored, or not
REPLY_RECEIVED = "reply.received"  # replies.services.ingest: one per stored Reply
REPLY_POLL = "reply.poll"  # an IMAP poll that found replies or errors
REPLY_POLL_FAILED = "reply.poll_failed"  # storing one inbox's poll failed
REPLY_IMAP_RESET = "reply.imap_reset"  # UIDVALIDITY changed: the cursor was reset
REPLY_INGEST_FAILED = "reply.ingest_failed"  # one message could not be fetched or stored

# Reading a reply and acting on it
REPLY_CLASSIFIED = "reply.classified"
REPLY_QUEUED = "reply.queued"  # its reading waits for a person (replies.policy)
REPLY_ACTED = "reply.acted"
REPLY_BOUNCE_UNVERIFIED = "reply.bounce_unverified"  # a bounce notice nothing was done on
REPLY_COMPLAINT_UNVERIFIED = "reply.complaint_unverified"  # a feedback report nothing was done on
REPLY_DELEGATED = "reply.delegated"

# What a person does with a reply
REPLY_CONFIRMED = "reply.confirmed"
REPLY_CORRECTED = "reply.corrected"
REPLY_ATTACHED = "reply.attached"
REPLY_ANSWERED = "reply.answered"
REPLY_MEETING_MARKED = "reply.meeting_marked"
REPLY_HANDLED = "reply.handled"

# Draft answers
REPLY_ANSWER_DRAFTED = "reply.answer_drafted"
REPLY_ANSWER_DISCARDED = "reply.answer_discarded"

# Meetings booked through a campaign's booking link
MEETING_BOOKED = "meeting.booked"
MEETING_RESCHEDULED = "meeting.rescheduled"
MEETING_CANCELLED = "meeting.cancelled"
MEETING_UNMATCHED = "meeting.unmatched"  # a booking no prospect was found for
