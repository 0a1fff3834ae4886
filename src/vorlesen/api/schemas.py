"""Request and response bodies of the HTTP API (pydantic; they make the OpenAPI at /docs)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from vorlesen.cleantext import CleanStr
from vorlesen.languages import known_language, known_languages_text
from vorlesen.service.articles import ArticleState, ErrorInfo, article_state
from vorlesen.service.payload import ArticlePayload
from vorlesen.store.db import FeedbackRecord, LexiconRecord

__all__ = [
    "ArticleIn",
    "ArticleList",
    "ArticleState",
    "ErrorInfo",
    "FeedbackIn",
    "FeedbackList",
    "FeedbackOut",
    "FeedbackPatch",
    "LexiconIn",
    "LexiconOut",
    "ListenIn",
    "Problem",
    "article_state",
    "feedback_out",
    "lexicon_out",
]

SOURCE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
"""A CMS id: safe as a path segment and a URL part (no slashes, no leading dot)."""

_CONTENT_FIELDS = ("url", "html", "text", "ssml")


class Problem(BaseModel):
    """RFC 9457 problem details, plus vorlesen's machine-readable ``reason``."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    reason: str
    errors: list[dict[str, Any]] | None = None
    """Field errors of a 422 (location, message)."""


class ArticleIn(BaseModel):
    """What the CMS sends on publish or edit: exactly one of url/html/text/ssml.

    Every text field is a :data:`~vorlesen.cleantext.CleanStr` (control, bidi and other
    invisible characters removed on the way in); a new field should be one too.
    """

    url: CleanStr | None = Field(None, max_length=2000, description="Article page to fetch.")
    html: CleanStr | None = Field(None, description="The article page or fragment as HTML.")
    text: CleanStr | None = Field(None, description="Plain text; a first short line is the title.")
    ssml: CleanStr | None = Field(None, description="SSML document.")
    title: CleanStr | None = Field(None, max_length=1000)
    kicker: CleanStr | None = Field(None, max_length=500, description="Dachzeile, read first.")
    teaser: CleanStr | None = Field(None, max_length=5000)
    published_at: datetime | None = None
    language: CleanStr | None = Field(
        None, max_length=16, description="Skip language detection (de, en, fr, …)."
    )
    voice: CleanStr | None = Field(None, max_length=200, description="Voice; default: configured.")
    section: CleanStr | None = Field(
        None,
        max_length=200,
        description="Section (Ressort), e.g. 'Politik': one podcast feed per section "
        "(default: the page's article:section).",
    )
    image: CleanStr | None = Field(
        None,
        max_length=2000,
        description="The article's image, an http(s) URL (default: the page's og:image); "
        "fetched, checked and re-encoded as the episode's artwork.",
    )

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str | None) -> str | None:
        if value is not None and known_language(value) is None:
            raise ValueError(
                f"{value!r} is not a language vorlesen reads; use one of {known_languages_text()}"
            )
        return value

    @model_validator(mode="after")
    def _one_source(self) -> ArticleIn:
        given = [name for name in _CONTENT_FIELDS if getattr(self, name)]
        if len(given) != 1:
            raise ValueError(
                "Give exactly one of url, html, text or ssml"
                + (f" (got {', '.join(given)})." if given else ".")
            )
        for name in ("url", "image"):
            value = getattr(self, name)
            if value and not value.lower().startswith(("http://", "https://")):
                raise ValueError(f"{name} must be an http(s) URL.")
        return self

    def payload(self) -> ArticlePayload:
        """The render job's typed payload: only set fields, dates as ISO strings."""
        return ArticlePayload.from_stored(self.model_dump(mode="json", exclude_none=True))


class ArticleList(BaseModel):
    items: list[ArticleState]
    total: int
    offset: int
    limit: int


FeedbackCategory = Literal["pronunciation", "number", "wrong_text", "voice", "other"]


class FeedbackIn(BaseModel):
    """A listener's report from the player."""

    category: FeedbackCategory
    message: CleanStr = Field("", max_length=2000)
    time_s: float | None = Field(None, ge=0, le=24 * 3600, allow_inf_nan=False)
    utterance: int | None = Field(None, ge=0)
    rating: int | None = Field(None, ge=1, le=5)


class FeedbackOut(BaseModel):
    id: int
    source_id: str
    revision: int | None
    category: str
    message: str
    time_s: float | None
    utterance: int | None
    rating: int | None
    written: str | None
    spoken: str | None
    status: Literal["open", "done"]
    created_at: datetime


def feedback_out(record: FeedbackRecord) -> FeedbackOut:
    """The stored report as the API shows it (the fields are the record's, one to one)."""
    return FeedbackOut(**asdict(record))


class FeedbackList(BaseModel):
    items: list[FeedbackOut]
    total: int
    offset: int
    limit: int


class FeedbackPatch(BaseModel):
    status: Literal["open", "done"]


class LexiconIn(BaseModel):
    """A pronunciation entry: ``alias`` text, ``ipa`` phonemes or another ``lang``."""

    grapheme: CleanStr = Field(max_length=500)
    kind: Literal["alias", "ipa", "lang"]
    value: CleanStr = Field(max_length=500)
    case_sensitive: bool = False
    voice: CleanStr | None = Field(None, max_length=200)


class LexiconOut(BaseModel):
    id: int
    grapheme: str
    kind: str
    value: str
    case_sensitive: bool
    voice: str | None
    updated_at: datetime
    rerendered: list[str] = Field(
        default_factory=list, description="Articles queued again because of this change."
    )


def lexicon_out(record: LexiconRecord, rerendered: list[str] | None = None) -> LexiconOut:
    """The stored entry as the API shows it, with the articles its change re-rendered."""
    return LexiconOut(**asdict(record), rerendered=rerendered or [])


class ListenIn(BaseModel):
    """A player ping: it started (0) or reached 25/50/75/100 % of the article."""

    milestone: Literal[0, 25, 50, 75, 100]
    revision: int | None = Field(None, ge=1)
