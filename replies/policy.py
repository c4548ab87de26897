"""When a reply's reading is acted on by itself, and when it waits for a person.

One policy for every reader (the AI gateway or the offline reader). Each intent's action
carries a risk:

========================  ===================================================  ==============
intent                    what acting on it does                               risk
========================  ===================================================  ==============
unsubscribe               suppress the address, close the prospect as lost     suppress
not interested            suppress the address, close as lost                  suppress
bounce                    suppress the failed address, close as lost           suppress
wrong person              close the prospect as lost                           lose
delegated                 create a prospect for the colleague                  create_prospect
out of office             pause the sequence until the return date             pause
interested / needs more   move to replied / meeting, stop the sequence, alert  none
info / meeting request
========================  ===================================================  ==============

``policy_decide`` lets the action happen by itself only when the reading is confident
(live settings ``REPLY_AUTO_MIN_CONFIDENCE`` and, for suppress / lose / create a
prospect, ``REPLY_AUTO_MIN_CONFIDENCE_IRREVERSIBLE``) **and**, for those irreversible
actions, its evidence is of a kind known to be precise for that intent
(``PRECISE_EVIDENCE``: the offline reader's rule families whose precision was measured
on the tuning split and confirmed on the frozen split, bench/replies.py). The AI's
reading of an irreversible intent counts as precise evidence only when the offline
reader reaches the same intent on precise evidence. Anything else waits in the human
queue with the suggested reading and a one-click "confirm" (replies admin).

A removal request ("stop", "remove me", "I object", "Article 21", "no more emails", in
every supported language; ``replies.classifier.REMOVAL``) is always honoured as an
unsubscribe, whatever the reader said and however unsure it was: ignoring one is the
costlier mistake. A reading of unsubscribe is likewise acted on at any confidence.
"""

from __future__ import annotations

from dataclasses import dataclass

RISK = {
    "unsubscribe": "suppress",
    "not_interested": "suppress",
    "bounce": "suppress",
    "wrong_person": "lose",
    "delegated": "create_prospect",
    "out_of_office": "pause",
    "interested": "none",
    "needs_more_info": "none",
    "meeting_request": "none",
}
IRREVERSIBLE = {"suppress", "lose", "create_prospect"}
# The offline reader's evidence kinds (replies.classifier.Reading.evidence) trusted for an
# irreversible action; README "Replies" gives each one's measured precision.
PRECISE_EVIDENCE = {
    "unsubscribe": {"removal_request"},
    "bounce": {"mail_system"},
    "wrong_person": {"left_company", "rules+model"},
    "delegated": {"referral_with_address", "successor_with_address"},
    "not_interested": {"rules+model"},
}
DEFAULT_THRESHOLDS = (0.8, 0.9)


@dataclass(frozen=True)
class Thresholds:
    reversible: float = DEFAULT_THRESHOLDS[0]
    irreversible: float = DEFAULT_THRESHOLDS[1]

    @classmethod
    def live(cls) -> Thresholds:
        from constance import config

        return cls(config.REPLY_AUTO_MIN_CONFIDENCE, config.REPLY_AUTO_MIN_CONFIDENCE_IRREVERSIBLE)


@dataclass(frozen=True)
class Decision:
    automatic: bool
    intent: str  # what to act on (a removal request turns any reading into unsubscribe)
    risk: str
    reason: str


def policy_decide(
    *, intent: str, confidence: float, provider: str, offline, thresholds: Thresholds | None = None
) -> Decision:
    """Act by itself or wait for a person. ``offline`` is the offline reader's ``Reading``
    of the same reply (for the offline reader: the reading itself)."""
    thresholds = thresholds or Thresholds()
    if offline.removal:
        return Decision(True, "unsubscribe", "suppress", f"a removal request ({offline.removal!r}) is always honoured")
    risk = RISK[intent]
    if intent == "unsubscribe":
        return Decision(True, intent, risk, "read as a removal request: always honoured")
    if risk not in IRREVERSIBLE:
        if confidence >= thresholds.reversible:
            return Decision(True, intent, risk, f"confident ({confidence:.2f}); the action can be undone")
        return Decision(False, intent, risk, f"not confident enough ({confidence:.2f} < {thresholds.reversible:.2f})")
    if confidence < thresholds.irreversible:
        return Decision(
            False, intent, risk, f"{risk}: not confident enough ({confidence:.2f} < {thresholds.irreversible:.2f})"
        )
    precise = PRECISE_EVIDENCE.get(intent, set())
    agrees = offline.interpretation.intent == intent
    if agrees and offline.evidence in precise:
        who = "the offline reader" if provider == "fallback" else f"{provider}, and the offline reader agrees"
        return Decision(True, intent, risk, f"{risk}: {who} on precise evidence ({offline.evidence})")
    if provider == "fallback":
        return Decision(False, intent, risk, f"{risk}: evidence '{offline.evidence}' is not known to be precise")
    return Decision(
        False, intent, risk, f"{risk}: {provider}'s reading has no precise evidence from the offline reader beside it"
    )
