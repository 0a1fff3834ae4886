"""store: where the service keeps its state — metadata in a database, audio in blobs.

``db`` holds the SQLAlchemy tables and the :class:`~vorlesen.store.db.Store` whose methods
the API, the workers and the newsroom pages call; ``blobs`` holds rendered audio behind a
small interface (a local directory today, object storage later); ``sources`` the pages
players sit on and the feeds and sitemaps the service polls.
"""

from vorlesen.store.blobs import BlobStore, LocalBlobStore, revision_prefix
from vorlesen.store.db import (
    ArticleRecord,
    ArticleStats,
    Claim,
    FeedbackRecord,
    LexiconRecord,
    ListenCount,
    Store,
    TokenRecord,
    database_url,
)
from vorlesen.store.sources import PageRecord, SourceRecord, SourceStore  # its tables too

__all__ = [
    "ArticleRecord",
    "ArticleStats",
    "BlobStore",
    "Claim",
    "FeedbackRecord",
    "LexiconRecord",
    "ListenCount",
    "LocalBlobStore",
    "PageRecord",
    "SourceRecord",
    "SourceStore",
    "Store",
    "TokenRecord",
    "database_url",
    "revision_prefix",
]
