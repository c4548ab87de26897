"""The one family of expected failures.

An ``ApplicationError`` carries a message a user can act on. Faces turn it into
something readable: admin actions into ``messages.error``, the API into a 4xx JSON
body, management commands into a red line and exit code 1. Anything that is not an
ApplicationError is a bug or an outage and is left to propagate, so that the task
runner's retries and dead-letter list see it.
"""


class ApplicationError(Exception):
    def __init__(self, message: str, *, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class TransitionNotAllowed(ApplicationError):
    """The object is not in a state this transition starts from."""


class AlreadyMoved(ApplicationError):
    """Another worker changed the state between our read and our conditional UPDATE."""


class ProviderError(Exception):
    """An external service (AI, search, verifier, job board, mail provider) failed or answered
    something unusable. Each app's provider clients raise a subclass of it; it is an
    outage, not a user's mistake, so it is no ApplicationError."""


class StateAssignmentRefused(AttributeError):
    """A state field was assigned directly instead of through a declared transition.

    An AttributeError (not an ApplicationError): this is a programming mistake, never
    an expected outcome a user could act on.
    """
