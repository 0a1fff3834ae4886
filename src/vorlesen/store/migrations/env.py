"""alembic environment: migrations run on the connection :func:`vorlesen.store.migrate.upgrade`
hands over (the service never reads an alembic.ini)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from vorlesen.store.db import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER much
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    from sqlalchemy import create_engine

    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("Set sqlalchemy.url or run migrations through vorlesen.store.migrate.")
    with create_engine(url).connect() as conn:
        _run(conn)
        conn.commit()
else:
    _run(connection)
