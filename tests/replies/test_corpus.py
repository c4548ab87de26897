"""The offline reader and the policy on the replies corpus (tests/fixtures/replies/corpus/).

The frozen split was written and committed before any tuning and is never tuned on
(see its README); bench/replies.py prints the full figures for both splits. Here the
issue's targets are held on the frozen split, and the irreversible mistakes are zero.
"""

import datetime
import json
from collections import Counter
from pathlib import Path

import pytest

from replies.classifier import read_reply
from replies.cleaning import clean_reply_text
from replies.policy import IRREVERSIBLE, policy_decide

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "replies" / "corpus"


def load(split):
    return [json.loads(line) for line in (CORPUS / f"{split}.jsonl").read_text().splitlines() if line.strip()]


FROZEN, TUNING = load("frozen"), load("tuning")


def read(row):
    reading = read_reply(
        clean_reply_text(row["text"]) or row["text"],
        subject=row["subject"],
        sender=row.get("sender", ""),
        headers=row.get("headers"),
        today=datetime.date.fromisoformat(row.get("received", "2026-03-02")),
    )
    value = reading.interpretation
    return policy_decide(intent=value.intent, confidence=value.confidence, provider="fallback", offline=reading)


@pytest.fixture(scope="module")
def frozen_decisions():
    return [(row, read(row)) for row in FROZEN]


def macro_f1(pairs):
    true_pos, false_pos, false_neg = Counter(), Counter(), Counter()
    for expected, got in pairs:
        if expected == got:
            true_pos[expected] += 1
        else:
            false_pos[got] += 1
            false_neg[expected] += 1
    scores = []
    for label in {expected for expected, _ in pairs}:
        precision = true_pos[label] / ((true_pos[label] + false_pos[label]) or 1)
        recall = true_pos[label] / ((true_pos[label] + false_neg[label]) or 1)
        scores.append(2 * precision * recall / ((precision + recall) or 1))
    return sum(scores) / len(scores)


def test_the_corpus_is_large_multilingual_and_a_third_of_it_frozen():
    assert len(FROZEN) + len(TUNING) >= 600
    assert len(FROZEN) / (len(FROZEN) + len(TUNING)) >= 0.30
    assert {row["lang"] for row in FROZEN} == {"en", "de", "fr", "es", "it", "nl", "pt"}
    assert not {row["id"] for row in FROZEN} & {row["id"] for row in TUNING}
    assert {row["text"] for row in FROZEN}.isdisjoint({row["text"] for row in TUNING})


def test_the_frozen_split_meets_the_targets(frozen_decisions):
    automatic = [(row, d) for row, d in frozen_decisions if d.automatic]
    precision = sum(row["intent"] == d.intent for row, d in automatic) / len(automatic)
    assert macro_f1([(row["intent"], d.intent) for row, d in frozen_decisions]) >= 0.85
    assert precision >= 0.97
    assert len(automatic) / len(frozen_decisions) >= 0.5


def test_no_irreversible_automatic_action_on_the_frozen_split_is_wrong(frozen_decisions):
    wrong = [
        row["id"] for row, d in frozen_decisions if d.automatic and d.risk in IRREVERSIBLE and d.intent != row["intent"]
    ]
    assert wrong == []


def test_an_article_21_objection_in_every_language_ends_outreach():
    rows = [row for row in FROZEN + TUNING if row.get("case") == "gdpr_art21"]
    assert {row["lang"] for row in rows} == {"en", "de", "fr", "es", "it", "nl", "pt"}
    for row in rows:
        decision = read(row)
        assert (decision.intent, decision.automatic) == ("unsubscribe", True), row["id"]


@pytest.mark.parametrize(
    "text",
    [
        "I object.",
        "Widerspruch nach Art. 21 DSGVO.",
        "Je m'oppose à ce traitement.",
        "Me opongo.",
        "Mi oppongo al trattamento dei miei dati.",
        "Ik maak bezwaar tegen deze mails.",
        "Oponho-me.",
        "stop",
        "no more emails pls",
    ],
)
def test_a_removal_request_is_honoured_whatever_the_confidence(text):
    reading = read_reply(text)
    decision = policy_decide(intent="needs_more_info", confidence=0.1, provider="grok", offline=reading)
    assert (decision.intent, decision.automatic) == ("unsubscribe", True)


@pytest.mark.parametrize(
    "text",
    [
        "Mr Harris no longer works here.",
        "Sarah has left the company, please remove her address from your records.",
        "Ja, wir sind interessiert.",
        "Sì, interessato.",
        "Sim, temos interesse.",
        "Nee bedankt.",
    ],
)
def test_what_the_old_reader_took_for_a_removal_or_a_delegation_is_neither(text):
    reading = read_reply(text)
    assert not reading.removal and reading.interpretation.intent not in ("unsubscribe", "delegated")
