"""Anthropic Claude, through the official SDK (whose HTTP layer is httpx2, not httpx).

JSON answers come from forced tool use: https://docs.anthropic.com/en/docs/build-with-claude/tool-use
(``tools=[{name, input_schema}]`` with ``tool_choice={"type": "tool", "name": ...}``).
"""

import anthropic

from infra.providers.base import Completion, ProviderError


class ClaudeClient:
    name = "claude"

    def __init__(self, *, api_key: str, model: str = "claude-haiku-4-5", http_client=None, timeout: float = 30.0):
        self.model = model
        options = {"api_key": api_key, "max_retries": 1, "timeout": timeout}
        if http_client is not None:
            options["http_client"] = http_client  # an httpx2.Client (tests: a MockTransport)
        self.client = anthropic.Anthropic(**options)

    def complete_json(self, *, system: str, prompt: str, schema: dict, schema_name: str) -> Completion:
        try:
            message = self.client.messages.create(
                model=self.model,
                max_tokens=1024,
                system=system,
                messages=[{"role": "user", "content": prompt}],
                tools=[{"name": schema_name, "description": "Give the answer.", "input_schema": schema}],
                tool_choice={"type": "tool", "name": schema_name},
            )
        except anthropic.APIError as exc:
            raise ProviderError(f"claude failed: {type(exc).__name__}") from exc
        for block in message.content:
            if getattr(block, "type", "") == "tool_use":
                return Completion(
                    data=dict(block.input),
                    model=message.model,
                    input_tokens=message.usage.input_tokens,
                    output_tokens=message.usage.output_tokens,
                )
        raise ProviderError("claude answered without the forced tool call")
