"""Errors that carry a German message for the user.

Every failure a user can cause or meet ends as one of these: adapters translate
library exceptions into them, and the front ends (CLI, Discord) show
``user_message`` and log ``detail``.
"""


class MissingRecord(LookupError):
    """A stored record that must exist does not: a bug or a damaged database, never the user's doing."""


class SpitzfederError(Exception):
    """Base class: ``user_message`` is German and safe to show (no secrets)."""

    def __init__(self, user_message: str, *, detail: str = "") -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.detail = detail


class InputError(SpitzfederError):
    """The user's input cannot be used (empty, too long, malformed)."""


class ConfigError(SpitzfederError):
    """A setting the task needs is missing or unusable: the operator fixes it in `.env`, nothing else helps."""


class CheckSkipped(Exception):
    """A `doctor` check that does not apply to this configuration; the (German) message says why. Not a failure."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NewsFetchError(InputError):
    """A news URL could not be downloaded or yielded no article text."""


class LLMError(SpitzfederError):
    """The language model could not deliver."""


class LLMConfigError(LLMError):
    """Key, access or model is wrong: retrying cannot help."""


class LLMTransientError(LLMError):
    """Timeout, rate limit, server error, broken, oversized or truncated reply: worth a retry.

    ``retry_after`` is the wait in seconds the server asked for (Retry-After and kin), if it named one.
    """

    def __init__(self, user_message: str, *, detail: str = "", retry_after: float | None = None) -> None:
        super().__init__(user_message, detail=detail)
        self.retry_after = retry_after


class NoUsableDraftError(SpitzfederError):
    """Every draft failed its checks, even after the repair round."""


class PublishError(SpitzfederError):
    """Posting failed; ``retryable`` says whether 🔁 may try again, ``maybe_posted`` that X may have it anyway."""

    def __init__(self, user_message: str, *, detail: str = "", retryable: bool = True,
                 maybe_posted: bool = False, duplicate: bool = False) -> None:
        super().__init__(user_message, detail=detail)
        self.retryable = retryable
        self.maybe_posted = maybe_posted
        self.duplicate = duplicate
