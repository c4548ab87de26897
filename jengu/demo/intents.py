"""What each reply intent looks like in the demo, and how the reply reader scores it.

Contract: a data module. ``INTENTS`` gives, per intent, the ranges the demo draws a
reading from (confidence, sentiment, intent strength, behavioural score), how long after
our email such a reply comes, and the action and reasoning the reader records;
``MISREAD`` what a human reviewer corrected a low-confidence reading from.
"""

from __future__ import annotations

from dataclasses import dataclass

from jengu.demo.dice import HOUR, MINUTE
from replies.models import Intent, Sentiment


@dataclass(frozen=True)
class IntentProfile:
    confidence: tuple[float, float]
    sentiments: tuple[str, ...]
    strength: tuple[float, float]
    score: tuple[float, float]
    velocity: tuple[int, int]  # seconds from our email to the reply
    action: str
    reasoning: str


INTENTS = {
    Intent.INTERESTED: IntentProfile(
        (0.72, 0.97),
        (Sentiment.POSITIVE,),
        (0.6, 0.9),
        (62, 88),
        (30 * MINUTE, 48 * HOUR),
        "send_info",
        "Positive answer that asks how the product works: clear buying interest.",
    ),
    Intent.NOT_INTERESTED: IntentProfile(
        (0.78, 0.97),
        (Sentiment.NEGATIVE, Sentiment.NEUTRAL),
        (0.05, 0.25),
        (5, 22),
        (20 * MINUTE, 72 * HOUR),
        "close_lost",
        "Declines and gives a reason; does not ask us to stop writing.",
    ),
    Intent.DELEGATED: IntentProfile(
        (0.66, 0.95),
        (Sentiment.NEUTRAL, Sentiment.POSITIVE),
        (0.35, 0.6),
        (38, 60),
        (HOUR, 72 * HOUR),
        "contact_delegate",
        "Forwards us to a named colleague; write to the delegate.",
    ),
    Intent.NEEDS_MORE_INFO: IntentProfile(
        (0.55, 0.88),
        (Sentiment.NEUTRAL, Sentiment.POSITIVE),
        (0.4, 0.7),
        (45, 68),
        (HOUR, 72 * HOUR),
        "answer_questions",
        "Asks specific questions before deciding.",
    ),
    Intent.MEETING_REQUEST: IntentProfile(
        (0.84, 0.98),
        (Sentiment.POSITIVE,),
        (0.8, 0.98),
        (80, 97),
        (HOUR, 72 * HOUR),
        "book_meeting",
        "Proposes a time for a call.",
    ),
    Intent.UNSUBSCRIBE: IntentProfile(
        (0.9, 0.99),
        (Sentiment.NEGATIVE,),
        (0.0, 0.05),
        (0, 5),
        (10 * MINUTE, 48 * HOUR),
        "suppress",
        "Asks to be removed from our list.",
    ),
    Intent.OUT_OF_OFFICE: IntentProfile(
        (0.93, 0.99),
        (Sentiment.NEUTRAL,),
        (0.0, 0.1),
        (8, 20),
        (MINUTE, 8 * MINUTE),
        "wait_until_return",
        "Automatic out-of-office reply with a return date.",
    ),
}

# the right intent of a reply → what the reader first read it as (a reviewer corrected it)
MISREAD = {
    Intent.NEEDS_MORE_INFO: Intent.INTERESTED,
    Intent.DELEGATED: Intent.NOT_INTERESTED,
    Intent.INTERESTED: Intent.NEEDS_MORE_INFO,
    Intent.NOT_INTERESTED: Intent.UNSUBSCRIBE,
    Intent.MEETING_REQUEST: Intent.INTERESTED,
}
