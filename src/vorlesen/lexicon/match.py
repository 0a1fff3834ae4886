"""Find lexicon entries in running text: whole words, longest match, German genitive.

Text is split into tokens: runs of letters/digits (ä ö ü ß and combining accents
included) and single punctuation characters; whitespace only separates. Entries are
tokenized the same way and stored in a token trie, so matching costs one trie walk per
token, bounded by the longest entry (a few tokens): linear in the article for any
number of entries. A hyphen is its own token, so "Selenskyj-Regierung" finds
"Selenskyj", while "Applestore" does not find "Apple".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from vorlesen.lexicon.entries import LexEntry

__all__ = ["LexPart", "Lexicon", "tokenize"]

_TOKEN = re.compile(r"(?:[^\W_]|[\u0300-\u036f])+|\S")
"""A word (letters, digits, combining accents of decomposed text) or one other character."""

_APOSTROPHES = frozenset({"'", "’"})
"""Genitive apostrophes: "Trump's" is read like "Trumps"."""


@dataclass(frozen=True, slots=True)
class Token:
    """A token and its span in the written text."""

    text: str
    start: int
    end: int

    @property
    def is_word(self) -> bool:
        return bool(_TOKEN.fullmatch(self.text)) and (self.text[0].isalnum())


def tokenize(text: str) -> list[Token]:
    """Split text into word and punctuation tokens with offsets; whitespace is dropped."""
    return [Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


@dataclass(frozen=True, slots=True)
class LexPart:
    """A slice of a sentence: plain text for the normalizer, or a lexicon match.

    ``start``/``end`` are offsets in the text given to :meth:`Lexicon.apply` (end
    exclusive), and ``text`` is exactly that slice, so the player can highlight it.
    """

    start: int
    end: int
    text: str
    entry: LexEntry | None = None
    """The entry that matched; ``None`` for plain text."""
    genitive: bool = False
    """The match carried a German genitive "-s" ("Selenskyjs"): an "s" sound follows."""

    @property
    def matched(self) -> bool:
        return self.entry is not None


@dataclass(slots=True)
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    entries: list[LexEntry] = field(default_factory=list)


def _norm(token: str, case_sensitive: bool) -> str:
    token = unicodedata.normalize("NFC", token)
    return token if case_sensitive else token.casefold()


@dataclass(frozen=True, slots=True)
class _Candidate:
    end_token: int
    """Index after the last token consumed."""
    end: int
    """Character offset where the match ends."""
    genitive: bool
    entry: LexEntry

    def rank(self) -> tuple[int, int, int, int]:
        # More tokens first, then a plain over a genitive match, then case-sensitive
        # over case-insensitive, then a voice-specific entry over an all-voices one.
        return (
            self.end_token,
            0 if self.genitive else 1,
            1 if self.entry.case_sensitive else 0,
            1 if self.entry.voice is not None else 0,
        )


class Lexicon:
    """An ordered set of entries and a matcher over them.

    Later entries replace earlier ones with the same grapheme, case mode and voice, so
    ``Lexicon.builtin().extended(publisher_entries)`` lets a publisher override the
    built-in table.
    """

    def __init__(self, entries: Iterable[LexEntry] = ()) -> None:
        by_key: dict[tuple[str, bool, str | None], LexEntry] = {}
        for entry in entries:
            by_key.pop(entry.key, None)  # re-insert so order reflects the latest edit
            by_key[entry.key] = entry
        self._entries = tuple(by_key.values())
        self._tries = {True: _Node(), False: _Node()}
        self._max_tokens = 0
        for entry in self._entries:
            tokens = [t.text for t in tokenize(entry.grapheme)]
            self._max_tokens = max(self._max_tokens, len(tokens))
            node = self._tries[entry.case_sensitive]
            for tok in tokens:
                node = node.children.setdefault(_norm(tok, entry.case_sensitive), _Node())
            node.entries.append(entry)

    @classmethod
    def builtin(cls) -> Lexicon:
        """The shipped table of names and terms common in German news."""
        from vorlesen.lexicon.builtin import builtin_entries

        return cls(builtin_entries())

    @property
    def entries(self) -> tuple[LexEntry, ...]:
        return self._entries

    def extended(self, entries: Iterable[LexEntry]) -> Lexicon:
        """A new lexicon with ``entries`` layered over this one's."""
        return Lexicon((*self._entries, *entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[LexEntry]:
        return iter(self._entries)

    def apply(self, text: str, *, voice: str | None = None) -> list[LexPart]:
        """Split ``text`` into plain parts and matched parts, leftmost-longest.

        Entries scoped to a voice apply only when ``voice`` names it. Concatenating the
        parts' texts gives back ``text`` exactly.
        """
        tokens = tokenize(text)
        parts: list[LexPart] = []
        plain_from = 0
        i = 0
        while i < len(tokens):
            best = self._longest_at(tokens, i, voice)
            if best is None:
                i += 1
                continue
            start = tokens[i].start
            if start > plain_from:
                parts.append(LexPart(plain_from, start, text[plain_from:start]))
            parts.append(
                LexPart(start, best.end, text[start : best.end], best.entry, best.genitive)
            )
            plain_from = best.end
            i = best.end_token
        if plain_from < len(text):
            parts.append(LexPart(plain_from, len(text), text[plain_from:]))
        return parts

    def _longest_at(self, tokens: list[Token], i: int, voice: str | None) -> _Candidate | None:
        """The best entry starting at token ``i`` (None: no entry starts here)."""
        if not tokens[i].is_word:
            return None
        found: list[_Candidate] = []
        for case_sensitive, root in self._tries.items():
            node = root
            for j in range(i, min(len(tokens), i + self._max_tokens)):
                tok = tokens[j]
                key = _norm(tok.text, case_sensitive)
                # Genitive on this token: "Selenskyjs" = "Selenskyj" + "s".
                if tok.is_word and len(key) > 1 and key.endswith("s"):
                    gen = node.children.get(key[:-1])
                    entry = _pick(gen, voice) if gen else None
                    if entry is not None:
                        found.append(_Candidate(j + 1, tok.end, True, entry))
                child = node.children.get(key)
                if child is None:
                    break
                node = child
                entry = _pick(node, voice)
                if entry is None:
                    continue
                if not _word_continues(tokens, j):
                    found.append(_Candidate(j + 1, tok.end, False, entry))
                elif _apostrophe_s(tokens, j):
                    # "Trump's": the apostrophe and s are part of the match.
                    found.append(_Candidate(j + 3, tokens[j + 2].end, True, entry))
        return max(found, key=_Candidate.rank) if found else None


def _pick(node: _Node, voice: str | None) -> LexEntry | None:
    """The entry at a trie node for ``voice``: voice-specific first, then all-voices."""
    fallback: LexEntry | None = None
    for entry in node.entries:
        if entry.voice is not None and entry.voice == voice:
            return entry
        if entry.voice is None:
            fallback = entry
    return fallback


def _word_continues(tokens: list[Token], j: int) -> bool:
    """Whether token ``j`` is glued to an apostrophe that continues the word ("Trump's")."""
    return (
        j + 1 < len(tokens)
        and tokens[j + 1].text in _APOSTROPHES
        and tokens[j + 1].start == tokens[j].end
        and j + 2 < len(tokens)
        and tokens[j + 2].start == tokens[j + 1].end
        and tokens[j + 2].is_word
    )


def _apostrophe_s(tokens: list[Token], j: int) -> bool:
    return _word_continues(tokens, j) and tokens[j + 2].text.casefold() == "s"
