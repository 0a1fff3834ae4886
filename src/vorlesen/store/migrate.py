"""Run the alembic migrations from inside the package (no alembic.ini needed).

``vorlesen serve`` and ``vorlesen worker`` call :func:`upgrade` at start. On PostgreSQL
an advisory lock serializes concurrent starts (many workers booting at once); SQLite
serializes writers itself.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Engine

__all__ = ["MIGRATIONS", "upgrade"]

MIGRATIONS = Path(__file__).parent / "migrations"
_LOCK_ID = 0x766F726C  # "vorl": any fixed number shared by every process of the service
log = logging.getLogger("vorlesen.store")


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database behind ``engine`` to ``revision`` (default: the newest).

    alembic's own INFO lines (its plugin set-up, "Context impl SQLiteImpl.") say nothing an
    operator acts on, and every process that starts migrates: they are silenced, and one
    line is logged when the schema actually changed.
    """
    logging.getLogger("alembic").setLevel(logging.WARNING)
    config = _config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
        before = MigrationContext.configure(connection).get_current_revision()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        after = MigrationContext.configure(connection).get_current_revision()
    if after != before:
        log.info("database schema migrated from %s to %s", before or "empty", after)
