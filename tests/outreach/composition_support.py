"""Shared builders for the composition tests: a prospect with research, and faked AI providers.

Recorded bodies under tests/fixtures/composition follow
https://docs.x.ai/docs/api-reference#chat-completions (Grok: the answer is the JSON text
of ``choices[0].message.content``) and https://docs.anthropic.com/en/api/messages
(Claude: a forced ``tool_use`` block whose ``input`` is the answer).
"""

import json
from pathlib import Path

import httpx
import httpx2

from infra.http import override_transport
from infra.providers.claude import ClaudeClient
from infra.providers.grok import GrokClient
from tests.factories import CampaignFactory, JobPostingFactory, ProspectFactory, ResearchReportFactory

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "composition"


def recorded(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


class Script:
    """Answers each request with the next recorded response and keeps the requests."""

    def __init__(self, *responses):
        self.responses = list(responses)
        self.requests = []

    def __call__(self, request):
        self.requests.append(request)
        answer = self.responses[min(len(self.requests), len(self.responses)) - 1]
        return answer(request) if callable(answer) else answer

    def prompts(self) -> list[str]:
        """The user prompt of every request (Grok and Claude bodies differ in shape)."""
        out = []
        for request in self.requests:
            body = json.loads(request.content)
            messages = body["messages"]
            content = messages[-1]["content"]
            out.append(content if isinstance(content, str) else json.dumps(content))
        return out


def grok(*names):
    script = Script(*[httpx.Response(200, json=recorded(n)) if isinstance(n, str) else n for n in names])
    with override_transport(httpx.MockTransport(script)):
        client = GrokClient(api_key="xai-test-key")
    return client, script


def claude(*names):
    script = Script(*[httpx2.Response(200, json=recorded(n)) if isinstance(n, str) else n for n in names])
    client = ClaudeClient(api_key="sk-ant-test", http_client=httpx2.Client(transport=httpx2.MockTransport(script)))
    return client, script


def campaign(**overrides):
    values = {
        "name": "Check-in",
        "product_pitch": "We make guest check-in automatic, and it works with the PMS you already use.",
        "case_studies": ["Marriott Courtyard Austin cut check-in time by 40%"],
        "sender_name": "Edd Chen",
        "signature": "Edd Chen",
        "is_default": True,
    }
    values.update(overrides)
    return CampaignFactory(**values)


def researched_prospect(**overrides):
    """Anna Weber at Harbour View Hotel, Denver: hiring a Front Desk Manager, guests mention slow check-in."""
    values = {
        "name": "Anna Weber",
        "company_name": "Harbour View Hotel",
        "city": "Denver",
        "email": "anna.weber@harbourview.example",
        "company_website": "https://harbourview.example",
        "stage": "ready",
    }
    values.update(overrides)
    prospect = ProspectFactory(**values)
    ResearchReportFactory(
        prospect=prospect,
        summary="Guests mention slow check-in at peak times.",
        pain_signals=[
            {
                "key": "slow_checkin",
                "label": "Slow check-in / queues at reception",
                "evidence": "we waited at reception for ages",
            }
        ],
    )
    JobPostingFactory(prospect=prospect, title="Front Desk Manager", company_name=prospect.company_name)
    return prospect
