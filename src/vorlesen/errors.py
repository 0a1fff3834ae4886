"""The one error tree of vorlesen.

Every failure a user can cause or meet is a :class:`VorlesenError`. Each carries a
machine-readable ``reason`` (``"paywall"``, ``"too_large"``, ``"ssrf_blocked"`` …) and a
human sentence. The edges map them once: the CLI to a one-line message and an exit code,
the HTTP API to a status and a JSON problem body. Nothing below the edges returns ``None``
for "it failed".

::

    VorlesenError                     exit 1
    ├── UsageError                    exit 2   bad option values, output path problems
    │   └── AuthError                          API token missing, unknown or revoked
    ├── InputError                    exit 3   the article cannot be read
    │   ├── NotFoundError                      no such file, article, entry or token
    │   ├── FetchError                         network: unreachable, 404, timeout, SSRF
    │   ├── UnsupportedContentError            PDF, image, binary, unknown format
    │   ├── ExtractionError                    no article found, empty text
    │   ├── LanguageError                      text is not in the expected language
    │   ├── MarkupError                        malformed or hostile XML (SSML, PLS)
    │   └── RateLimitError                     too many reports from one client
    └── EngineError                   exit 4   synthesis cannot run
        ├── VoiceError                         unknown voice, corrupt model, download failed
        ├── AudioError                         encoding or mastering failed
        └── StorageError                       audio cannot be stored (disk full, bucket away)
"""

from __future__ import annotations

__all__ = [
    "AudioError",
    "AuthError",
    "EngineError",
    "ExtractionError",
    "FetchError",
    "InputError",
    "LanguageError",
    "MarkupError",
    "NotFoundError",
    "RateLimitError",
    "StorageError",
    "UnsupportedContentError",
    "UsageError",
    "VoiceError",
    "VorlesenError",
]


class VorlesenError(Exception):
    """Base of every error vorlesen raises on purpose.

    ``reason`` is a short snake_case code for programs; ``message`` a sentence for people.
    """

    exit_code = 1
    default_reason = "error"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or self.default_reason

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reason={self.reason!r}, message={self.message!r})"


class UsageError(VorlesenError):
    """The command was called wrongly: a bad option value or output path."""

    exit_code = 2
    default_reason = "usage"


class InputError(VorlesenError):
    """The article cannot be read."""

    exit_code = 3
    default_reason = "bad_input"


class AuthError(UsageError):
    """The caller is not allowed in: no API token, an unknown one, or a revoked one.

    The API answers 401 (``unauthorized``, ``bad_token``) or 403 (``token_revoked``,
    ``forbidden``): the first asks for credentials, the second refuses the ones given.
    """

    default_reason = "unauthorized"


class NotFoundError(InputError):
    """What was asked for does not exist: an input file, an article, an entry, a token."""

    default_reason = "not_found"


class FetchError(InputError):
    """Fetching a URL failed or was refused (unreachable, HTTP error, timeout, SSRF)."""

    default_reason = "fetch_failed"


class UnsupportedContentError(InputError):
    """The input is not a format vorlesen reads (PDF, image, binary, too large)."""

    default_reason = "unsupported_content"


class ExtractionError(InputError):
    """No readable article text was found in the input."""

    default_reason = "no_article"


class LanguageError(InputError):
    """The text is not in the language expected; pass ``--lang`` to proceed anyway."""

    default_reason = "wrong_language"


class MarkupError(InputError):
    """Malformed or hostile markup (SSML, PLS): entity bombs, external references."""

    default_reason = "bad_markup"


class RateLimitError(InputError):
    """Too many requests from one client; ``retry_after_s`` says when one is accepted."""

    default_reason = "rate_limited"

    def __init__(self, message: str, *, retry_after_s: int, reason: str | None = None) -> None:
        super().__init__(message, reason=reason)
        self.retry_after_s = retry_after_s


class EngineError(VorlesenError):
    """Synthesis cannot run."""

    exit_code = 4
    default_reason = "engine_failed"


class VoiceError(EngineError):
    """A voice cannot be found, downloaded, verified or loaded."""

    default_reason = "voice_unavailable"


class AudioError(EngineError):
    """Mastering or encoding the audio failed."""

    default_reason = "audio_failed"


class StorageError(EngineError):
    """Rendered audio cannot be stored or read: ``disk_full`` (no space, quota),
    ``storage_unwritable`` (read-only mount, a file where a directory belongs); in object
    storage ``bucket_not_found``, ``storage_denied`` (credentials, bucket policy),
    ``storage_no_credentials``, ``storage_unreachable`` (endpoint down, network) or
    ``storage_error`` (any other answer of the S3 API)."""

    default_reason = "storage_unwritable"
