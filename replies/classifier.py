"""The offline reply reader: the AI gateway's fallback, and good enough on its own.

``classify_reply(text, subject=..., sender=..., headers=..., today=...)`` returns a
``ReplyInterpretation``; ``read_reply`` (same arguments) also names the kind of evidence
that decided (``Reading.evidence``), which replies.policy uses to decide whether an
irreversible action may happen without a person. It reads English, German, French,
Spanish, Italian, Dutch and Portuguese, in this order of precedence:

1. delivery failures: a mail system's report (``mail_system``: a mailer-daemon sender, a
   delivery-status report) or only a person's bounce wording (``bounce_wording``);
2. a removal request in any form — "stop", "remove me", "I object", "Article 21", "I did
   not consent", "no more emails" — first person or the whole hotel, never a third
   person (``REMOVAL``; ``removal_request``): always an unsubscribe;
3. the contact left ("X no longer works here": ``left_company``), unless a successor is
   named with an address (a delegation);
4. automatic replies: out of office, with the return date parsed (``auto_reply`` when
   the headers say automatic and the words say absent);
5. delegation: a referral and a colleague's address written in the reply
   (``referral_with_address``); a name alone is weaker evidence;
6. otherwise the conversation intents (meeting request, needs more info, interested,
   not interested, wrong person), each scored by weighted keyword rules and by the small
   naive Bayes model of replies.model (character n-grams, trained from the corpus's
   tuning split). Both agreeing is ``rules+model``; disagreeing caps the confidence so
   the reply reaches a person.

What a message is before its words are read (an automatic reply, a mail system's bounce
notice, an abuse feedback report) is decided in replies.recognition; a feedback report
never reaches this reader.

Its words (the weighted patterns, titles, month names, cues) are data in replies.lexicon,
written for the form ``replies.lexicon.reading_form`` gives a text (infra.text.fold, quotes
straightened, blanks made one).

Measured on tests/fixtures/replies/corpus/ (a frozen split never tuned on, and the
tuning split): bench/replies.py prints per-intent precision and recall, macro-F1, the
share acted on automatically and the precision of those actions, per language.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from replies.lexicon import (
    ACTION,
    BOUNCE,
    COMPANY_WIDE,
    DATE_PATTERNS,
    EMAIL,
    FORWARDED_HEADER,
    FULL_NAME,
    HONORIFIC,
    HOSTILE,
    INCLUSIVE_CUE,
    INTERESTED,
    LEFT_COMPANY,
    MEETING,
    MEETING_HINT,
    MONTHS,
    MORE_INFO,
    NAME_WORD,
    NEGATED_INTEREST,
    NOT_INTERESTED,
    NOT_NAMES,
    OUT_OF_OFFICE,
    REFERRAL,
    REMOVAL,
    RETURN_CUE,
    SENTENCE,
    SENTIMENT,
    TITLE_RE,
    TITLES,
    UNTIL_CUE,
    WRONG_PERSON,
    reading_form,
)
from replies.recognition import is_automatic, sent_by_mail_system, subject_says_automatic
from replies.schema import DelegatedTo, ReplyInterpretation


def _score(rules, text: str) -> float:
    return sum(weight for pattern, weight in rules if pattern.search(text))


# --- return dates ---------------------------------------------------------------------
@dataclass
class _FoundDate:
    date: datetime.date
    start: int


def _make_date(year, month, day, today: datetime.date) -> datetime.date | None:
    try:
        if year is None:
            found = datetime.date(today.year, month, day)
            if found < today - datetime.timedelta(days=7):
                found = datetime.date(today.year + 1, month, day)
            return found
        year = int(year)
        year = year + 2000 if year < 100 else year
        return datetime.date(year, month, day)
    except ValueError:
        return None


def _dates(text: str, today: datetime.date) -> list[_FoundDate]:
    found: list[_FoundDate] = []
    taken: list[range] = []
    for kind, pattern in DATE_PATTERNS:
        for match in pattern.finditer(text):
            if any(match.start() in span for span in taken):
                continue
            groups = match.groups()
            value = None
            if kind == "iso":
                value = _make_date(groups[0], int(groups[1]), int(groups[2]), today)
            elif kind == "numeric":
                first, second = int(groups[0]), int(groups[1])
                if second > 12 and first <= 12:
                    first, second = second, first  # US order (3/23)
                if not 1 <= second <= 12:
                    continue
                value = _make_date(groups[2], second, first, today)
            elif kind == "day_month":
                value = _make_date(groups[2], MONTHS[groups[1]], int(groups[0]), today)
            elif kind == "month_day":
                value = _make_date(groups[2], MONTHS[groups[0]], int(groups[1]), today)
            elif kind == "ordinal":
                day = int(groups[0])
                month = today.month if day >= today.day else today.month % 12 + 1
                value = _make_date(None, month, day, today)
            elif kind == "month_only":
                value = _make_date(None, MONTHS[groups[0]], 1, today)
            if value:
                found.append(_FoundDate(value, match.start()))
                taken.append(range(match.start(), match.end()))
    return sorted(found, key=lambda d: d.start)


def parse_return_date(text: str, *, today: datetime.date, language: str = "en") -> datetime.date | None:
    """The day someone is back, from an out-of-office text; None when it names no date.

    An explicit "back on"/"wieder ab"/"de retour le" date wins. Otherwise the "until"
    date: in English "out until Monday" means back on Monday; in German, French and
    Spanish ("bis", "jusqu'au", "hasta") the named day is still an absent one, as is any
    date marked inclusive.
    """
    folded = reading_form(text)
    dates = [d for d in _dates(folded, today) if d.date >= today - datetime.timedelta(days=1)]
    if not dates:
        return None
    for found in dates:
        before = folded[max(0, found.start - 30) : found.start]
        if RETURN_CUE.search(before):
            return found.date
    for found in dates:
        before = folded[max(0, found.start - 25) : found.start]
        after = folded[found.start : found.start + 40]
        if UNTIL_CUE.search(before):
            inclusive = INCLUSIVE_CUE.search(before + after)
            english_until = re.search(r"until|till", before) and not inclusive
            return found.date if english_until else found.date + datetime.timedelta(days=1)
    return dates[-1].date


# --- delegation -----------------------------------------------------------------------
def _title_near(text: str, start: int, end: int) -> str:
    """The job title written closest to the name (or address) at ``start:end``."""
    best = None
    for match in TITLE_RE.finditer(text):
        distance = max(match.start() - end, start - match.end(), 0)
        if distance <= 60 and (best is None or distance < best[0]):
            best = (distance, match.group(0))
    return best[1] if best else ""


def _name_candidates(text: str):
    # honorifics and job titles are blanked (same length, so positions hold) before
    # looking for two or three capitalised words in a row
    text = _mask(_mask(text, HONORIFIC), TITLE_RE)
    for match in FULL_NAME.finditer(text):
        words = match.group(1).split()
        while words and words[0] in NOT_NAMES:
            words = words[1:]
        while words and words[-1] in NOT_NAMES:
            words = words[:-1]
        if len(words) >= 2 and not any(w.lower() in {t.lower() for t in TITLES} for w in words):
            yield " ".join(words), match.start(), match.end()


def _mask(text: str, pattern) -> str:
    return pattern.sub(lambda m: " " * len(m.group(0)), text)


def extract_delegate(text: str, *, sender: str = "") -> DelegatedTo | None:
    """The person the writer points us to: name, title and address, as far as the text says."""
    text = FORWARDED_HEADER.sub(lambda m: " " * len(m.group(0)), text or "")
    sender = (sender or "").lower()
    sender_local = sender.split("@")[0]
    addresses = [m for m in EMAIL.finditer(text) if m.group(0).lower().rstrip(".") != sender]
    if not REFERRAL.search(reading_form(text)) and not addresses:
        return None
    address = addresses[0].group(0).rstrip(".") if addresses else ""
    anchor = addresses[0].start() if addresses else 0
    names = list(_name_candidates(text))
    name = ""
    if names:
        if address:
            local = address.split("@")[0].lower()
            # a name whose words appear in the address is the one, else the closest before it
            for candidate, _start, _end in names:
                if any(reading_form(w) in local for w in candidate.split() if len(w) > 2):
                    name = candidate
                    break
            if not name:
                before = [n for n in names if n[1] < anchor]
                name = (before[-1] if before else names[0])[0]
        else:
            name = names[0][0]
    if name and sender_local and all(reading_form(w) in sender_local for w in name.split()):
        name = ""  # the writer's own signature
    if not name and address:
        # a single first name next to the address ("Mark prefers … mark.jones@…")
        local = address.split("@")[0].lower()
        for word in re.findall(rf"\b{NAME_WORD}\b", text):
            if word not in NOT_NAMES and len(word) > 2 and local.startswith(reading_form(word)):
                name = word
                break
    if not (name or address):
        return None
    position = text.find(name) if name else anchor
    title = _title_near(text, position, position + len(name or address))
    return DelegatedTo(name=name[:200], title=title[:200], email=address[:254])


# --- questions and meeting preferences -------------------------------------------------
def extract_questions(text: str) -> list[str]:
    questions = [s.strip(" ¿") for s in SENTENCE.findall(text) if s.strip().endswith("?")]
    return [q[:300] for q in questions if len(q) > 3][:10]


def extract_meeting_preference(text: str) -> str:
    for sentence in SENTENCE.findall(text):
        if MEETING_HINT.search(reading_form(sentence)):
            return sentence.strip()[:300]
    return ""


# --- the classifier ---------------------------------------------------------------------
@dataclass
class Reading:
    """What the offline reader found: the interpretation and the kind of evidence behind it.

    ``evidence`` names the rule family (or the agreement of rules and model) that decided;
    replies.policy lets an irreversible action happen on its own only for the kinds
    measured precise for that intent. ``removal`` is the removal request found, if any.
    """

    interpretation: ReplyInterpretation
    evidence: str
    removal: str = ""


def removal_request(text: str) -> str:
    """The words of an explicit request to be removed (any supported language), or ''."""
    folded = reading_form(text)
    for pattern, _weight in REMOVAL:
        found = pattern.search(folded)
        if found:
            return found.group(0).strip()[:100]
    return ""


# a delegation needs a colleague's address, or a referral verb and a name that does not
# begin the reply ("Ja Wir …" is no person)
def _usable_delegate(delegate: DelegatedTo | None, text: str) -> bool:
    if delegate is None:
        return False
    if delegate.email:
        return True
    return bool(delegate.name) and not text.lstrip().startswith(delegate.name)


CONVERSATION = ("meeting_request", "needs_more_info", "interested", "not_interested", "wrong_person")
# intents whose action is the same (the prospect replied, the sequence stops, a person is
# alerted and a draft answer written): readers that differ only among them agree on it
SAME_ACTION = {"interested": "replied", "needs_more_info": "replied"}


def classify_reply(
    text: str,
    *,
    subject: str = "",
    sender: str = "",
    headers: dict | None = None,
    today: datetime.date | None = None,
    is_auto_reply: bool | None = None,
) -> ReplyInterpretation:
    """Read one reply's new text; see the module docstring for the order of the rules."""
    return read_reply(
        text, subject=subject, sender=sender, headers=headers, today=today, is_auto_reply=is_auto_reply
    ).interpretation


def read_reply(
    text: str,
    *,
    subject: str = "",
    sender: str = "",
    headers: dict | None = None,
    today: datetime.date | None = None,
    is_auto_reply: bool | None = None,
    model=None,
) -> Reading:
    """``classify_reply`` with the kind of evidence that decided (for replies.policy)."""
    from replies import model as reply_model

    today = today or datetime.date.today()
    body = reading_form(text)
    subj = reading_form(subject)
    both = f"{subj}\n{body}"
    auto = is_automatic(headers=headers, subject=subject, text=text) if is_auto_reply is None else is_auto_reply
    scores = {
        "bounce": _score(BOUNCE, both),
        "out_of_office": _score(OUT_OF_OFFICE, both) + (2 if subject_says_automatic(subject) else 0),
        "left": _score(LEFT_COMPANY, body),
        "meeting_request": _score(MEETING, body),
        "needs_more_info": _score(MORE_INFO, body),
        "interested": _score(INTERESTED, NEGATED_INTEREST.sub(" ", body)),
        "not_interested": _score(NOT_INTERESTED, body),
        "wrong_person": _score(WRONG_PERSON, body),
    }
    removal = removal_request(text)
    delegate = extract_delegate(text, sender=sender)
    referral = bool(REFERRAL.search(reading_form(FORWARDED_HEADER.sub(" ", text))))
    company_wide = bool(COMPANY_WIDE.search(body))

    def answer(intent, confidence, evidence, reasoning, **extra):
        interpretation = ReplyInterpretation(
            intent=intent,
            sentiment="negative" if HOSTILE.search(body) else SENTIMENT[intent],
            confidence=round(max(0.05, min(confidence, 0.99)), 2),
            reasoning=f"rules ({evidence}): {reasoning}"[:600],
            suggested_action=ACTION[intent] if confidence >= 0.5 else "delegate_to_human",
            questions=extract_questions(text),
            company_wide=company_wide and intent in ("not_interested", "unsubscribe"),
            **extra,
        )
        return Reading(interpretation, evidence, removal)

    # 1. delivery failures: a mail system's report, or only its wording
    if sent_by_mail_system(from_email=sender, headers=headers):
        return answer("bounce", 0.97, "mail_system", "sent by a mail delivery system")
    if scores["bounce"] >= 3 and scores["bounce"] > scores["out_of_office"] and not removal:
        return answer("bounce", 0.6, "bounce_wording", "delivery failure wording from a person's address")

    # 2. an explicit request to be removed wins over everything a person may add ("I was
    # out of office last week. Please stop emailing me"): ignoring it is the costlier mistake
    if removal:
        return answer("unsubscribe", 0.95, "removal_request", f"asks to be removed ({removal!r})")

    # 3. the contact left (a successor named with an address is a delegation)
    left = scores["left"] >= 3
    if left:
        if delegate and delegate.email and referral:
            return answer(
                "delegated",
                0.85,
                "successor_with_address",
                "the contact left; the reply names a successor",
                delegated_to=delegate,
            )
        # a departure notice is often an auto-reply ("… has left; this inbox is not monitored")
        return answer("wrong_person", 0.92, "left_company", "the contact no longer works there")

    # 4. automatic replies
    if auto or scores["out_of_office"] >= 3:  # noqa: SIM102 (the second test narrows the first)
        if scores["out_of_office"] >= 2 or auto:
            return_date = parse_return_date(text, today=today)
            if auto and scores["out_of_office"] >= 2:
                confidence, evidence = 0.95, "auto_reply"
            elif auto:
                confidence, evidence = 0.75, "auto_header_only"
            else:
                confidence, evidence = 0.8, "absence_wording"
            return answer(
                "out_of_office", confidence, evidence, "automatic reply / absence wording", return_date=return_date
            )

    # 5. delegation: a referral and another person (their address makes it precise)
    if referral and _usable_delegate(delegate, text):
        if delegate.email:
            # the colleague's address, written in the reply, next to a referral: who they
            # are matters less than where to write (their name may be left out)
            return answer("delegated", 0.9, "referral_with_address", "points to another person", delegated_to=delegate)
        return answer("delegated", 0.6, "referral_partial", "points to another person", delegated_to=delegate)
    if delegate and delegate.email and delegate.name:
        # another named person's address handed over: a delegation, whatever the verb
        return answer(
            "delegated", 0.6, "address_only", "gives another person's name and address", delegated_to=delegate
        )

    # 6. the conversation intents: the rules' scores and the model's probabilities
    candidates = {k: scores[k] for k in CONVERSATION}
    candidates["wrong_person"] *= 1.2
    if scores["not_interested"] >= 3:
        candidates["not_interested"] += 2
    if scores["meeting_request"] >= 4:
        candidates["meeting_request"] += 1
    rule_best = max(candidates, key=lambda k: (candidates[k], -CONVERSATION.index(k)))
    top = candidates[rule_best]
    runner_up = max(v for k, v in candidates.items() if k != rule_best)
    margin = top - runner_up

    model = reply_model.load() if model is None else model
    probabilities = model.probabilities(body) if model else {}
    conversational = {k: probabilities.get(k, 0.0) for k in CONVERSATION}
    model_best = max(conversational, key=conversational.get) if probabilities else ""
    model_p = conversational.get(model_best, 0.0) / (sum(conversational.values()) or 1)

    def extra_for(intent):
        return {"meeting_preference": extract_meeting_preference(text)} if intent == "meeting_request" else {}

    if top < 1.5:
        if model_best and model_p >= 0.5:
            confidence = 0.45 + 0.3 * model_p
            return answer(model_best, confidence, "model", f"model {model_p:.2f}", **extra_for(model_best))
        if "?" in text:
            return answer("needs_more_info", 0.5, "question_mark", "a question without clearer signals")
        return answer("needs_more_info", 0.3, "none", "no clear signal")
    rule_confidence = 0.55 + min(top, 6) * 0.04 + min(margin, 4) * 0.05
    if model_best == rule_best:
        confidence = min(0.97, rule_confidence + 0.1 + 0.1 * model_p)
        evidence = "rules+model"
    elif SAME_ACTION.get(model_best, model_best) == SAME_ACTION.get(rule_best, rule_best):
        # "relevant for us - can you send details?": interest or a question, the same action
        confidence, evidence = min(0.9, rule_confidence + 0.05), "rules+model_same_action"
    elif not model_best:
        confidence, evidence = rule_confidence, "rules"
    else:
        confidence, evidence = min(rule_confidence, 0.65), "rules_against_model"
    reasoning = f"{rule_best} signals {top:g} (next {runner_up:g})"
    if model_best:
        reasoning += f"; model {model_best} {model_p:.2f}"
    return answer(rule_best, confidence, evidence, reasoning, **extra_for(rule_best))
