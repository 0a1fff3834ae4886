"""The shipped lexicon: names and terms German news uses and German voices get wrong.

The table lives in ``data/builtin.tsv`` (the editors' TSV format), so adding a name is a
data change, not a code change.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

from vorlesen.lexicon.entries import LexEntry
from vorlesen.lexicon.tsv import parse_tsv

__all__ = ["builtin_entries"]


@lru_cache(maxsize=1)
def builtin_entries() -> tuple[LexEntry, ...]:
    """Entries of the built-in table, in file order (read once)."""
    text = files("vorlesen.lexicon").joinpath("data/builtin.tsv").read_text("utf-8")
    return tuple(parse_tsv(text, source="builtin.tsv"))
