"""A lexicon kept in one file (the CLI's storage): TSV or PLS by extension.

Saving checks every IPA entry against a phoneme inventory and writes atomically (a
temporary file in the same folder, then ``os.replace``), so a crash never leaves half
a lexicon behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from vorlesen.errors import InputError, MarkupError, NotFoundError, UsageError
from vorlesen.lexicon.entries import LexEntry
from vorlesen.lexicon.phonemes import check_entry, default_phonemes
from vorlesen.lexicon.pls import MAX_PLS_BYTES, dump_pls, parse_pls
from vorlesen.lexicon.tsv import dump_tsv, parse_tsv

__all__ = ["MAX_TSV_BYTES", "LexiconFile", "LexiconFormat", "lexicon_format"]

LexiconFormat = Literal["tsv", "pls"]

MAX_TSV_BYTES = 10 * 1024 * 1024
"""Largest TSV lexicon read; like PLS, far above any real list."""

_FORMATS: dict[str, LexiconFormat] = {".tsv": "tsv", ".pls": "pls", ".xml": "pls"}


def lexicon_format(path: Path) -> LexiconFormat:
    """The format a path's extension names; other extensions are a usage error."""
    try:
        return _FORMATS[path.suffix.lower()]
    except KeyError:
        raise UsageError(
            f"{path}: a lexicon file ends in .tsv, .pls or .xml.", reason="lexicon_format"
        ) from None


class LexiconFile:
    """Load and save a list of entries at ``path`` (format by extension)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.format = lexicon_format(self.path)

    def exists(self) -> bool:
        return self.path.is_file()

    def load(self, *, missing_ok: bool = True) -> list[LexEntry]:
        """The entries in the file; an absent file is an empty lexicon if ``missing_ok``."""
        limit = MAX_PLS_BYTES if self.format == "pls" else MAX_TSV_BYTES
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            if missing_ok:
                return []
            raise NotFoundError(f"{self.path}: no such lexicon file.", reason="not_found") from None
        except OSError as exc:
            raise InputError(f"{self.path}: cannot read ({exc}).", reason="unreadable") from exc
        if size > limit:  # checked before reading, so a huge file costs nothing
            error = MarkupError if self.format == "pls" else InputError
            raise error(
                f"{self.path} is {size:,} bytes; a lexicon may be at most {limit:,}.",
                reason="xml_too_large" if self.format == "pls" else "too_large",
            )
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise InputError(f"{self.path}: cannot read ({exc}).", reason="unreadable") from exc
        if self.format == "pls":
            return parse_pls(data, source=str(self.path))
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{self.path} is not UTF-8 text ({exc}).", reason="lexicon_encoding"
            ) from exc
        return parse_tsv(text, source=str(self.path))

    def save(self, entries: Iterable[LexEntry], *, allowed: set[str] | None = None) -> None:
        """Write the entries atomically after checking IPA against ``allowed``.

        ``allowed`` defaults to espeak-ng's inventory as Piper voices map it.
        """
        entries = list(entries)
        inventory = set(default_phonemes()) if allowed is None else allowed
        for entry in entries:
            check_entry(entry, inventory)
        data = dump_pls(entries) if self.format == "pls" else dump_tsv(entries).encode("utf-8")
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=folder)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise UsageError(f"{self.path}: cannot write ({exc}).", reason="unwritable") from exc
