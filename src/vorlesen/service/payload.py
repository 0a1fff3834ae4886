"""The render job's payload: what a publisher asked to have read, typed and versioned.

It is stored with the article (``articles.payload``, JSON) when the CMS publishes, a player
finds a page or a source brings one, and read back by the worker that claims the render.
``version`` names the layout: a payload written before versions existed reads as version 1;
one written by a newer vorlesen (a higher version) is refused with a clear message instead
of being half understood: a worker older than the API that queued the job records the
render as failed (``payload_version``, "upgrade this worker") rather than rendering it
wrongly; publish the article again once the workers are upgraded.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from vorlesen.errors import InputError

__all__ = ["PAYLOAD_VERSION", "ArticlePayload"]

PAYLOAD_VERSION = 1
"""The payload layout this vorlesen writes and reads."""


@dataclass(frozen=True, slots=True)
class ArticlePayload:
    """One article to render: exactly one source (``url``, ``html``, ``text``, ``ssml``)
    and what the CMS says of it."""

    url: str | None = None
    """The article page to fetch."""
    html: str | None = None
    text: str | None = None
    ssml: str | None = None
    page_url: str | None = None
    """The address ``html`` was fetched from (a player's page or a source's item)."""
    title: str | None = None
    kicker: str | None = None
    teaser: str | None = None
    published_at: str | None = None
    """ISO 8601, as the CMS sent it."""
    language: str | None = None
    voice: str | None = None
    section: str | None = None
    image: str | None = None
    version: int = PAYLOAD_VERSION

    SOURCES: ClassVar[tuple[str, ...]] = ("url", "html", "text", "ssml")

    @classmethod
    def from_stored(cls, data: Mapping[str, Any]) -> ArticlePayload:
        """The payload stored as ``data`` (a JSON object).

        Raises:
            InputError: ``payload_version`` for a layout from a newer vorlesen,
                ``bad_payload`` for unknown fields or values that are not text.
        """
        version = data.get("version", 1)
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise InputError(
                f"The job payload's version {version!r} is not valid.", reason="bad_payload"
            )
        if version > PAYLOAD_VERSION:
            raise InputError(
                f"This job was written by a newer vorlesen (payload version {version}; this "
                f"one reads up to {PAYLOAD_VERSION}); upgrade this worker.",
                reason="payload_version",
            )
        names = {f.name for f in dataclasses.fields(cls)} - {"version"}
        unknown = sorted(set(data) - names - {"version"})
        if unknown:
            raise InputError(
                f"The job payload has fields this vorlesen does not know: {', '.join(unknown)}.",
                reason="bad_payload",
            )
        values: dict[str, str] = {}
        for name in names & set(data):
            value = data[name]
            if value is None:
                continue
            if not isinstance(value, str):
                raise InputError(f"The job payload's {name} is not text.", reason="bad_payload")
            values[name] = value
        return cls(**values, version=version)

    def stored(self) -> dict[str, Any]:
        """The JSON object stored with the article: set fields and the version."""
        data = {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if getattr(self, f.name) is not None
        }
        data["version"] = self.version
        return data

    def content(self) -> dict[str, Any]:
        """The fields that decide "same content" (the version is the layout, not content)."""
        data = self.stored()
        del data["version"]
        return data
