"""Engine and service configuration, read from ``VORLESEN_*`` environment variables.

Per-request options (speed, format, voice for one render) are not here; they travel as
arguments. This is what an operator sets once.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "vorlesen"


class Settings(BaseSettings):
    """Operator settings; every field can be set as ``VORLESEN_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="VORLESEN_", extra="ignore")

    data_dir: Path = Field(Path("vorlesen-data"), description="Where the service keeps state.")
    cache_dir: Path = Field(
        default_factory=_default_cache_dir,
        description="Downloaded voices and other caches.",
    )
    voice: str = Field("de_DE-thorsten-medium", description="Default voice name or .onnx path.")
    voices_url: str = Field(
        "https://huggingface.co/rhasspy/piper-voices/resolve/main",
        description="Base URL of the Piper voices repository (voices.json lives there).",
    )
    offline: bool = Field(False, description="Never download voices; use cache or local paths.")
    max_input_bytes: int = Field(
        50 * 1024 * 1024, description="Largest article file or HTTP body read, in bytes."
    )
    fetch_timeout: float = Field(15.0, description="Seconds for connecting and for each read.")
    fetch_allow_hosts: list[str] = Field(
        default_factory=list,
        description="Hosts/IPs URL ingest may reach even if private or loopback.",
    )
    user_agent: str = Field(
        "vorlesen/0.1 (+https://github.com/vorlesen/vorlesen)",
        description="User-Agent for article fetches and voice downloads.",
    )
    word_timings: bool = Field(
        True,
        description="Time every word (timings JSON, WebVTT, the player's word highlight); "
        "off gives sentence timings only (bench/render.py measures the difference).",
    )
    optimize_voices: bool = Field(
        True,
        description="Run Piper voices through an equivalent, faster ONNX graph (built once per "
        "voice under cache_dir/optimized).",
    )
    jobs: int = Field(0, ge=0, description="Synthesis worker processes; 0 means one per core.")
    lexicon: Path | None = Field(
        None,
        description=(
            "A TSV/PLS lexicon file `read`/`say` apply on top of the publisher lexicon in"
            " the database (as --lexicon)."
        ),
    )
    target_lufs: float = Field(-16.0, description="Integrated loudness of the output.")
    true_peak_db: float = Field(-1.0, description="Ceiling for the true peak, dBTP.")
    # -- publishing service (vorlesen serve / worker) ---------------------------------
    engine: str | None = Field(
        None, description="Service renders: 'piper' or 'espeak'; unset picks Piper (fallback)."
    )
    database_url: str | None = Field(
        None, description="SQLAlchemy URL (postgresql://…); unset: SQLite in data_dir."
    )
    redis_url: str | None = Field(
        None, description="Redis URL for the job queue; unset: SQLite queue in data_dir."
    )
    queue_name: str = Field("vorlesen", description="Queue (and Redis key) name.")
    api_tokens: str = Field("", description="Comma-separated bearer tokens for the API.")
    cors_origins: str = Field("", description="Comma-separated origins allowed to embed.")
    public_url: str = Field(
        "",
        description=(
            "External base URL of the service (https://audio.example.de): the one source of"
            " absolute URLs in the feed, the API and webhooks. Set it in production."
        ),
    )
    allowed_hosts: str = Field(
        "localhost,127.0.0.1,[::1]",
        description=(
            "Comma-separated Host names (any port) whose requests may name the service's"
            " own URL when public_url is unset; requests for other hosts get relative URLs."
        ),
    )
    webhook_urls: str = Field("", description="Comma-separated URLs told of audio.ready/failed.")
    webhook_secret: str = Field("", description="HMAC-SHA256 key signing webhook bodies.")
    webhook_retries: int = Field(5, description="Attempts per webhook delivery.")
    feed_title: str = Field("vorlesen", description="Title of the podcast feed.")
    feed_link: str = Field("", description="Website the podcast feed links to.")
    feed_author: str = Field("", description="Publisher name in the podcast feed.")
    feed_image: str = Field(
        "",
        description=(
            "Podcast artwork: a square JPEG/PNG of 1400-3000 px, as a file (checked at start,"
            " served by the service) or an https URL ending in .jpg/.png (used as is); unset:"
            " a cover drawn from the feed title."
        ),
    )
    feed_category: str = Field(
        "News",
        description="Apple Podcasts category, a subcategory after a slash ('News/Daily News').",
    )
    feed_owner_name: str = Field("", description="Podcast owner's name (itunes:owner).")
    feed_owner_email: str = Field(
        "", description="Podcast owner's e-mail (itunes:owner, podcast:locked owner)."
    )
    feed_copyright: str = Field("", description="Feed copyright line; unset: '© <author>'.")
    feed_explicit: bool = Field(False, description="Mark the podcast as explicit.")
    feed_locked: bool = Field(
        True,
        description="podcast:locked: other podcast hosts may not import the feed (moving it"
        " needs the owner's consent).",
    )
    feedback_per_minute: int = Field(
        10, description="Feedback posts allowed per client and minute (0: unlimited)."
    )
    auth_failures_per_minute: int = Field(
        10,
        ge=0,
        description=(
            "Failed newsroom logins and wrong API tokens allowed per client and minute;"
            " then 429 with Retry-After (0: unlimited). Shared through Redis when set."
        ),
    )
    max_article_chars: int = Field(
        300_000,
        ge=1,
        description="Most characters of text one article may have (about 5 hours read aloud).",
    )
    max_article_utterances: int = Field(
        10_000, ge=1, description="Most sentences (utterances) one article is read as."
    )
    max_article_audio_hours: float = Field(
        3.0,
        gt=0,
        description="Most hours of audio one article may become (estimated before synthesis).",
    )
    voice_idle_s: float = Field(
        300.0,
        ge=0,
        description=(
            "Seconds a `vorlesen worker` keeps its synthesis processes, voice loaded,"
            " after a render (the next render skips loading it); 0: stop them each time."
        ),
    )
    keep_alive_s: int = Field(
        65,
        ge=1,
        description=(
            "Seconds `serve` keeps an idle HTTP connection open: longer than a load"
            " balancer's idle timeout (60 s is common) and than clients' own expiry."
        ),
    )
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description=(
            "Comma-separated proxy addresses (or *) whose X-Forwarded-For/-Proto `serve`"
            " believes: set it to your load balancer's, or every listener looks like one"
            " client to the feedback limit."
        ),
    )
    max_request_bytes: int = Field(
        5 * 1024 * 1024, description="Largest API request body accepted, in bytes."
    )
    render_lease_s: float = Field(
        120.0, description="A render not heard from for this long is taken over by another worker."
    )
    # -- object storage (scale-out without a shared directory) -------------------------
    storage_url: str = Field(
        "",
        description=(
            "Where rendered audio lives: unset, files under data_dir; s3://bucket/prefix,"
            " S3-compatible object storage (credentials and region from the standard AWS"
            " variables)."
        ),
    )
    s3_endpoint_url: str = Field(
        "",
        description=(
            "The S3 API's address for storage other than AWS (MinIO, R2, Ceph, Hetzner:"
            " https://fsn1.your-objectstorage.com); unset: AWS S3."
        ),
    )
    public_audio_url: str = Field(
        "",
        description=(
            "Base URL of a CDN (or public bucket) serving the bucket's objects by key:"
            " audio and artwork requests are redirected to it + '/' + the object key."
        ),
    )
    s3_proxy: bool = Field(
        False,
        description=(
            "Serve audio from object storage through the API itself (Range, ETag) instead"
            " of redirecting to the bucket: for a bucket listeners cannot reach."
        ),
    )
    s3_url_expires_s: int = Field(
        3600,
        ge=60,
        le=7 * 24 * 3600,  # SigV4 presigned URLs live at most 7 days
        description="Lifetime of the presigned URLs audio requests are redirected to.",
    )

    # -- adoption without CMS work: the player's page, feeds and sitemaps -----------------
    publisher_hosts: list[str] = Field(
        default_factory=list,
        description=(
            "Hosts whose pages a player without an `article` attribute may have rendered"
            ' (JSON list: exact names or "*.example.de" for any subdomain); empty: none.'
        ),
    )
    recheck_s: float = Field(
        3600.0,
        ge=0,
        description=(
            "Seconds before a page a player sits on is fetched again to see whether it"
            " changed (a changed text becomes a new revision)."
        ),
    )
    page_lookups_per_minute: int = Field(
        120,
        ge=0,
        description="Page lookups by players allowed per client and minute (0: unlimited).",
    )
    page_fetches_per_minute: int = Field(
        30,
        ge=0,
        description=(
            "New or rechecked pages fetched per publisher host and minute (0: unlimited);"
            " a player over it is told to wait."
        ),
    )
    sources_poll_s: float = Field(
        300.0,
        gt=0,
        description=(
            "Seconds between polls of each feed or sitemap (`vorlesen sources`); a failing"
            " source waits longer (doubling, at most a day), every wait has 10 % jitter."
        ),
    )
    source_max_bytes: int = Field(
        10 * 1024 * 1024,
        ge=1,
        description="Largest feed or sitemap read (after gunzip), in bytes.",
    )
    source_max_items: int = Field(
        200,
        ge=1,
        description="Most items taken from one feed or sitemap poll (newest first).",
    )

    @field_validator("feed_category")
    @classmethod
    def _apple_category(cls, value: str) -> str:
        from vorlesen.podcast_categories import parse_category

        parse_category(value)  # a ValueError names the choices
        return value

    @field_validator("feed_image")
    @classmethod
    def _artwork(cls, value: str) -> str:
        value = value.strip()
        if value.lower().startswith(("http://", "https://")) and not value.lower().endswith(
            (".jpg", ".png")
        ):
            raise ValueError("an artwork URL must end in .jpg or .png (podcast apps require it)")
        return value


_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])")
"""A Host header's name part: a DNS name or an IPv4 address, or an IPv6 one in brackets."""


def public_base_url(
    settings: Settings, *, scheme: str = "", host: str = "", root_path: str = ""
) -> str:
    """The base of every absolute URL the service hands out (feed, API answers, webhooks).

    ``VORLESEN_PUBLIC_URL`` when set. Else the request's own address, but only when its
    ``Host`` names one of ``VORLESEN_ALLOWED_HOSTS``: a Host header is the client's to
    choose, and a cached feed must not point every subscriber at ``evil.example``. Else
    ``""``: URLs stay relative. ``scheme``/``host``/``root_path`` describe the request
    (none for a webhook sent by a worker).
    """
    if settings.public_url:
        return settings.public_url.rstrip("/")
    name, _, port = host.strip().rpartition(":") if _has_port(host) else (host.strip(), "", "")
    if scheme not in ("http", "https") or not _HOST.fullmatch(name):
        return ""
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        return ""
    allowed = {h.strip().lower() for h in settings.allowed_hosts.split(",") if h.strip()}
    if name.lower() not in allowed and "*" not in allowed:
        return ""
    prefix = root_path.rstrip("/") if root_path.startswith("/") else ""
    return f"{scheme}://{name.lower()}{':' + port if port else ''}{prefix}"


def _has_port(host: str) -> bool:
    """Whether ``host`` ends in ``:port`` (an IPv6 literal keeps its colons in brackets)."""
    return ":" in host.rsplit("]", 1)[-1]


def split_list(value: str) -> list[str]:
    """A comma-separated setting as a list, blanks dropped."""
    return [part.strip() for part in value.split(",") if part.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once from the environment)."""
    return Settings()
