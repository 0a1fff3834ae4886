"""TSV and PLS files: round trips, foreign PLS, hostile XML, atomic storage."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from support import billion_laughs
from vorlesen.errors import InputError, MarkupError, UsageError, VorlesenError
from vorlesen.lexicon import (
    LexEntry,
    LexiconFile,
    dump_pls,
    dump_tsv,
    make_entry,
    parse_pls,
    parse_tsv,
)

SAMPLE = [
    make_entry("Pjöngjang", "alias", "Pjöng-jang"),
    make_entry(
        "Selenskyj", "ipa", "zelˈɛnskɪj", case_sensitive=True, voice="de_DE-thorsten-medium"
    ),
    make_entry("Financial Times", "lang", "en"),
    make_entry("Keir Starmer", "lang", "en-gb", voice="de_DE-kerstin-low"),
    make_entry("#MeToo", "alias", "Mi-Tu"),
    make_entry("\\Backslash", "alias", "Bäckslesch"),
    make_entry("AT&T <Inc>", "alias", 'Ä-Ti-änd-Ti "Inc"'),
]

# Entries as an editor could make them: any printable text, normalized by make_entry.
_text = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cc", "Cs", "Co", "Cn"), blacklist_characters="[]"
    ),
    min_size=1,
    max_size=40,
)


@st.composite
def entries(draw: st.DrawFn) -> LexEntry:
    kind = draw(st.sampled_from(["alias", "ipa", "lang"]))
    if kind == "lang":
        value = draw(st.from_regex(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}", fullmatch=True))
    else:
        value = draw(_text.filter(lambda s: " ".join(s.split()) != ""))
    grapheme = draw(_text.filter(lambda s: any(c.isalnum() for c in s)))
    voice = draw(st.none() | st.from_regex(r"[A-Za-z0-9_.+-]{1,20}", fullmatch=True))
    try:
        return make_entry(grapheme, kind, value, case_sensitive=draw(st.booleans()), voice=voice)
    except InputError:  # e.g. a grapheme of only combining marks: not an entry anyone makes
        reject()


@given(st.lists(entries(), max_size=8))
@settings(max_examples=150, deadline=None)
def test_pls_round_trip_is_lossless(items: list[LexEntry]) -> None:
    assert parse_pls(dump_pls(items)) == items


@given(st.lists(entries(), max_size=8))
@settings(max_examples=150, deadline=None)
def test_tsv_round_trip_is_lossless(items: list[LexEntry]) -> None:
    assert parse_tsv(dump_tsv(items)) == items


def test_sample_round_trips_and_pls_shape() -> None:
    assert parse_tsv(dump_tsv(SAMPLE)) == SAMPLE
    data = dump_pls(SAMPLE)
    assert parse_pls(data) == SAMPLE
    text = data.decode("utf-8")
    assert 'xmlns="http://www.w3.org/2005/01/pronunciation-lexicon"' in text
    assert 'alphabet="ipa"' in text and 'xml:lang="de-DE"' in text and 'version="1.0"' in text
    assert '<phoneme alphabet="ipa">zelˈɛnskɪj</phoneme>' in text
    assert "&lt;Inc&gt;" in text


def test_reads_foreign_pls_with_several_graphemes() -> None:
    data = """<?xml version="1.0" encoding="UTF-8"?>
    <lexicon version="1.0" xmlns="http://www.w3.org/2005/01/pronunciation-lexicon"
             alphabet="ipa" xml:lang="de-DE">
      <lexeme>
        <grapheme>Koksan</grapheme>
        <grapheme>Koksans</grapheme>
        <phoneme>kˈɔksan</phoneme>
        <alias>Kok-san</alias>
      </lexeme>
      <lexeme><grapheme> Vedant
        Patel </grapheme><alias>Wedant Patel</alias></lexeme>
    </lexicon>""".encode()
    assert parse_pls(data) == [
        make_entry("Koksan", "ipa", "kˈɔksan"),
        make_entry("Koksans", "ipa", "kˈɔksan"),
        make_entry("Vedant Patel", "alias", "Wedant Patel"),
    ]


def test_pls_other_alphabet_and_bad_structure_refused() -> None:
    sampa = (
        b'<lexicon version="1.0" xmlns="http://www.w3.org/2005/01/pronunciation-lexicon" '
        b'alphabet="x-sampa"><lexeme><grapheme>a</grapheme><phoneme>a:</phoneme></lexeme>'
        b"</lexicon>"
    )
    with pytest.raises(MarkupError) as info:
        parse_pls(sampa)
    assert info.value.reason == "pls_alphabet_unsupported"
    with pytest.raises(MarkupError) as info:
        parse_pls(b"<html/>")
    assert info.value.reason == "pls_invalid"
    with pytest.raises(MarkupError) as info:
        parse_pls(b"<lexicon><lexeme><grapheme>a</grapheme></lexeme></lexicon>")
    assert info.value.reason == "pls_invalid"
    with pytest.raises(MarkupError) as info:
        parse_pls(b"<lexicon><lexeme>")
    assert info.value.reason == "xml_malformed"


BILLION_LAUGHS = billion_laughs(
    "lexicon",
    '<lexicon version="1.0" xmlns="http://www.w3.org/2005/01/pronunciation-lexicon">\n'
    "<lexeme><grapheme>x</grapheme><alias>&lol9;</alias></lexeme></lexicon>",
).encode()

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE lexicon [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<lexicon version="1.0" xmlns="http://www.w3.org/2005/01/pronunciation-lexicon">
<lexeme><grapheme>x</grapheme><alias>&xxe;</alias></lexeme></lexicon>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE lexicon SYSTEM "http://127.0.0.1:9/pls.dtd">
<lexicon version="1.0" xmlns="http://www.w3.org/2005/01/pronunciation-lexicon">
<lexeme><grapheme>x</grapheme><alias>y</alias></lexeme></lexicon>"""


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (BILLION_LAUGHS, "xml_entities_forbidden"),
        (XXE, "xml_entities_forbidden"),
        (EXTERNAL_DTD, "xml_external_forbidden"),
        (b'<!DOCTYPE lexicon []><lexicon version="1.0"/>', "xml_dtd_forbidden"),
    ],
    ids=["billion-laughs", "xxe", "external-dtd", "internal-dtd"],
)
def test_hostile_xml_refused_quickly(data: bytes, reason: str, tmp_path: Path) -> None:
    path = tmp_path / "evil.pls"
    path.write_bytes(data)
    start = time.perf_counter()
    with pytest.raises(MarkupError) as info:
        LexiconFile(path).load()
    assert time.perf_counter() - start < 1.0
    assert info.value.reason == reason
    assert "root:" not in info.value.message  # nothing of /etc/passwd was read
    with pytest.raises(MarkupError):
        parse_pls(data)


def test_100_mb_document_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.pls"
    with path.open("wb") as fh:
        fh.write(b'<lexicon version="1.0">')
        fh.truncate(100 * 1024 * 1024)  # sparse: 100 MB without writing them
    start = time.perf_counter()
    with pytest.raises(MarkupError) as info:
        LexiconFile(path).load()
    assert info.value.reason == "xml_too_large"
    with pytest.raises(MarkupError) as info:
        parse_pls(b"<lexicon>" + b" " * (100 * 1024 * 1024) + b"</lexicon>")
    assert info.value.reason == "xml_too_large"
    assert time.perf_counter() - start < 1.0


def test_tsv_syntax_errors_name_the_line() -> None:
    with pytest.raises(InputError, match="line 3") as info:
        parse_tsv("# c\nKoksan\talias\tKok-san\nNur zwei\tfelder\n")
    assert info.value.reason == "lexicon_syntax"
    with pytest.raises(InputError, match="line 1") as info:
        parse_tsv("Koksan\tsound\tx\n")
    assert info.value.reason == "lexicon_bad_type"
    with pytest.raises(InputError) as info:
        parse_tsv("Koksan\talias\tx\tcolour=red\n")
    assert info.value.reason == "lexicon_syntax"
    with pytest.raises(InputError) as info:
        parse_tsv("Financial Times\tlang\tEnglish!\n")
    assert info.value.reason == "lexicon_bad_lang"


def test_tsv_reads_options_and_comments() -> None:
    text = (
        "# Kommentar\n\n"
        "Koksan\talias\tKok-san\n"
        "Modi\tipa\tmˈoːdi\tcase=sensitive, voice=de_DE-thorsten-medium\n"
        "\\#MeToo\talias\tMi-Tu\n"
    )
    assert parse_tsv(text) == [
        make_entry("Koksan", "alias", "Kok-san"),
        make_entry("Modi", "ipa", "mˈoːdi", case_sensitive=True, voice="de_DE-thorsten-medium"),
        make_entry("#MeToo", "alias", "Mi-Tu"),
    ]


@pytest.mark.parametrize("name", ["lex.tsv", "lex.pls", "lex.xml"])
def test_lexicon_file_save_load(tmp_path: Path, name: str) -> None:
    store = LexiconFile(tmp_path / "sub" / name)
    assert store.load() == []
    store.save(SAMPLE)
    assert store.load() == SAMPLE
    assert [p.name for p in (tmp_path / "sub").iterdir()] == [name]  # no temp file left


def test_lexicon_file_refuses_unknown_ipa_and_keeps_old_file(tmp_path: Path) -> None:
    store = LexiconFile(tmp_path / "lex.tsv")
    store.save(SAMPLE[:1])
    bad = make_entry("Koksan", "ipa", "kɔk☃san")
    with pytest.raises(InputError) as info:
        store.save([*SAMPLE[:1], bad])
    assert info.value.reason == "ipa_unsupported"
    assert "☃" in info.value.message and "U+2603" in info.value.message
    assert store.load() == SAMPLE[:1]


def test_lexicon_file_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        LexiconFile(tmp_path / "lex.csv")
    assert info.value.reason == "lexicon_format"
    with pytest.raises(InputError) as info:
        LexiconFile(tmp_path / "missing.tsv").load(missing_ok=False)
    assert info.value.reason == "not_found"
    (tmp_path / "latin1.tsv").write_bytes("Köln\talias\tx\n".encode("latin-1"))
    with pytest.raises(VorlesenError) as info:
        LexiconFile(tmp_path / "latin1.tsv").load()
    assert info.value.reason == "lexicon_encoding"


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("", "alias", "x"), "lexicon_empty"),
        (("...", "alias", "x"), "lexicon_bad_grapheme"),
        (("Koksan", "alias", "[[kɔk]]"), "lexicon_bad_text"),
        (("Koksan", "lang", "english"), "lexicon_bad_lang"),
        (("Koksan", "sound", "x"), "lexicon_bad_type"),
    ],
)
def test_invalid_entries_refused(args: tuple[str, str, str], reason: str) -> None:
    with pytest.raises(InputError) as info:
        make_entry(*args)
    assert info.value.reason == reason


def test_entry_normalizes_whitespace_and_voice() -> None:
    entry = make_entry("  Keir \t Starmer ", "lang", "en_GB", voice="")
    assert entry == LexEntry("Keir Starmer", "lang", "en-GB")
    with pytest.raises(InputError) as info:
        make_entry("Koksan", "alias", "x", voice="bad voice")
    assert info.value.reason == "lexicon_bad_voice"
