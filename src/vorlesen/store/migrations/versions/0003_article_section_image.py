"""article section, author, teaser, link and image (the podcast feed per section)

Revision ID: 0003
Revises: 0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("section", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("section_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("author", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("teaser", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("link", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("image_url", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("warnings", sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f("ix_articles_section_key"), ["section_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_articles_section_key"))
        batch_op.drop_column("warnings")
        batch_op.drop_column("image_url")
        batch_op.drop_column("link")
        batch_op.drop_column("teaser")
        batch_op.drop_column("author")
        batch_op.drop_column("section_key")
        batch_op.drop_column("section")
