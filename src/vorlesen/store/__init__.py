"""store: where the service keeps its state — metadata in a database, audio in blobs.

``db`` holds the SQLAlchemy tables and the :class:`~vorlesen.store.db.Store` whose methods
the API, the workers and the newsroom pages call; ``blobs`` holds rendered audio behind a
small interface (a local directory today, object storage later).
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

__all__ = [
    "ArticleRecord",
    "ArticleStats",
    "BlobStore",
    "Claim",
    "FeedbackRecord",
    "LexiconRecord",
    "ListenCount",
    "LocalBlobStore",
    "Store",
    "TokenRecord",
    "database_url",
    "revision_prefix",
]
