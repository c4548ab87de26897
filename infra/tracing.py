"""Trace ids: one per prospect, carried by every task, log line and Event about it.

The current trace id lives in a contextvar so that code deep in a stage (a provider
call, a transition) picks it up without being handed it explicitly.
"""

import contextvars
import logging
from contextlib import contextmanager

_current_trace_id: contextvars.ContextVar[str] = contextvars.ContextVar("trace_id", default="")


def current_trace_id() -> str:
    return _current_trace_id.get()


@contextmanager
def trace_context(trace_id):
    """Run a block of work under ``trace_id`` (restored afterwards, even on error)."""
    token = _current_trace_id.set(str(trace_id) if trace_id else "")
    try:
        yield
    finally:
        _current_trace_id.reset(token)


class TraceIdFilter(logging.Filter):
    """Adds ``record.trace_id`` so every formatter can print it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.trace_id = current_trace_id() or "-"
        return True
