"""What every AI provider client returns, and the error it raises."""

from dataclasses import dataclass

import infra.errors


class ProviderError(infra.errors.ProviderError):
    """An AI provider failed or answered something unusable."""


@dataclass
class Completion:
    """A provider's raw JSON answer and what it cost."""

    data: dict
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    value: object = None  # the answer validated against the caller's schema (set by the gateway)
