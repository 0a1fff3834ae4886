"""Pronunciation lexicon: names and foreign terms a German voice gets wrong, fixed once.

``Lexicon.apply`` splits a sentence into plain parts (for the normalizer) and matched
parts; ``render_for_engine`` turns them into Piper input with ``[[IPA]]`` blocks. Entries
come from the built-in table, the publisher's TSV or PLS file, and (later) SSML.
"""

from vorlesen.lexicon.entries import ENTRY_KINDS, EntryKind, LexEntry, make_entry
from vorlesen.lexicon.match import Lexicon, LexPart
from vorlesen.lexicon.phonemes import (
    allowed_phonemes,
    check_entry,
    default_phonemes,
    espeak_phonemes,
    validate_ipa,
)
from vorlesen.lexicon.pls import dump_pls, parse_pls
from vorlesen.lexicon.render import render_for_engine
from vorlesen.lexicon.storage import LexiconFile
from vorlesen.lexicon.tsv import dump_tsv, parse_tsv

__all__ = [
    "ENTRY_KINDS",
    "EntryKind",
    "LexEntry",
    "LexPart",
    "Lexicon",
    "LexiconFile",
    "allowed_phonemes",
    "check_entry",
    "default_phonemes",
    "dump_pls",
    "dump_tsv",
    "espeak_phonemes",
    "make_entry",
    "parse_pls",
    "parse_tsv",
    "render_for_engine",
    "validate_ipa",
]
