"""xAI Grok, through its OpenAI-compatible REST API (httpx; xai-sdk is gRPC).

Docs: https://docs.x.ai/docs/api-reference#chat-completions and
https://docs.x.ai/docs/guides/structured-outputs (``response_format`` json_schema).
"""

import json

import httpx

from infra.http import http_client
from infra.providers.base import Completion, ProviderError


class GrokClient:
    base_url = "https://api.x.ai/v1"
    name = "grok"

    def __init__(
        self,
        *,
        api_key: str,
        model: str = "grok-4-fast-non-reasoning",
        client: httpx.Client | None = None,
        timeout: float = 30.0,
    ):
        self.api_key = api_key
        self.model = model
        self.client = client or http_client(base_url=self.base_url, timeout=timeout, retries=1)

    def complete_json(self, *, system: str, prompt: str, schema: dict, schema_name: str) -> Completion:
        """POST /chat/completions with a strict JSON schema answer."""
        body = {
            "model": self.model,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": prompt}],
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": schema_name, "schema": schema, "strict": True},
            },
            "temperature": 0.2,
        }
        response = self.client.post(
            f"{self.base_url}/chat/completions", json=body, headers={"Authorization": f"Bearer {self.api_key}"}
        )
        if response.status_code != 200:
            raise ProviderError(f"grok answered HTTP {response.status_code}")
        try:
            payload = response.json()
            content = payload["choices"][0]["message"]["content"]
            data = json.loads(content)
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ProviderError(f"grok answer is not the expected JSON ({type(exc).__name__})") from exc
        usage = payload.get("usage") or {}
        return Completion(
            data=data,
            model=payload.get("model", self.model),
            input_tokens=usage.get("prompt_tokens", 0),
            output_tokens=usage.get("completion_tokens", 0),
        )
