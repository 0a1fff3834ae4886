"""What every ``vorlesen`` command shares: the one mapping of errors to messages and exit
codes, the settings' error messages, and the checks of options and output paths.

``app.py`` (read, normalize, voices) and the command groups beside it (``say``,
``lexicon``, ``serve``) import from here, so no command module imports another.
"""

from __future__ import annotations

import json
import os
import re
import select
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from vorlesen.errors import UsageError, VorlesenError


def _say_error(message: str) -> None:
    typer.echo(f"vorlesen: {message}", err=True)


def _warn(message: str) -> None:
    _say_error(f"warning: {message}")


EXIT_BROKEN_PIPE = 141
"""Exit status when stdout's reader went away (``… | head``): 128 + SIGPIPE, what a shell
reports for a Unix tool that the signal ended, so ``set -o pipefail`` scripts see the same."""

LexiconFileOption = Annotated[
    Path | None,
    typer.Option(
        "--lexicon",
        help="A pronunciation lexicon file (.tsv or .pls) applied on top of the publisher's "
        "lexicon (the one 'vorlesen lexicon' and the newsroom edit); default: "
        "VORLESEN_LEXICON, if set.",
    ),
]
"""``--lexicon`` of ``read`` and ``say``."""
EngineOption = Annotated[
    str | None,
    typer.Option(help="piper (default, neural), espeak (offline fallback) or another installed."),
]
"""``--engine`` of ``read`` and ``say``."""
VoiceOption = Annotated[
    str | None,
    typer.Option(help="Piper voice name (downloaded once) or .onnx path, or an espeak voice."),
]
"""``--voice`` of ``read`` and ``say``."""


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn every failure into one line on stderr and an exit code."""
    try:
        yield
    except VorlesenError as exc:
        _say_error(f"{exc.message} [{exc.reason}]")
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        _say_error("interrupted; no output was written.")
        raise typer.Exit(130) from None
    except (typer.Exit, typer.Abort, typer.TyperException):
        raise
    except BrokenPipeError as exc:
        if not _stdout_closed():
            _internal_error(exc)
        # Later writes (the interpreter's final flush included) go nowhere, quietly.
        with suppress(AttributeError, OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        raise typer.Exit(EXIT_BROKEN_PIPE) from None
    except Exception as exc:  # last resort (a bug), after bad settings
        setting = _setting_error(exc)
        if setting is not None:
            _say_error(f"{setting.message} [{setting.reason}]")
            raise typer.Exit(setting.exit_code) from None
        _internal_error(exc)


def _internal_error(exc: Exception) -> NoReturn:
    """A bug, reported without a traceback (unless VORLESEN_DEBUG is set)."""
    if os.environ.get("VORLESEN_DEBUG"):
        raise exc
    _say_error(
        f"internal error: {type(exc).__name__}: {exc}. "
        "Please report it; set VORLESEN_DEBUG=1 to see the traceback."
    )
    raise typer.Exit(1) from None


def _stdout_closed() -> bool:
    """Whether stdout is a pipe or socket whose reader has gone (poll reports an error).

    A BrokenPipeError can also come from a pipe to a worker process: that one is a
    failure to report, not a reader that has had enough.
    """
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll (Windows), no real stdout
        return True


# -- bad VORLESEN_* settings ---------------------------------------------------------------
# config.Settings is a pydantic model read from the environment; a bad value raises
# pydantic's multi-line ValidationError (or, for JSON-parsed list fields, SettingsError) in
# whichever command first asks for the settings. They are turned into one line here.

_SETTING_TYPES = {
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_parsing": "a number",
    "float_type": "a number",
    "bool_parsing": "true or false (or 1/0, yes/no, on/off)",
    "bool_type": "true or false (or 1/0, yes/no, on/off)",
    "list_type": 'a JSON list like ["host"]',
    "string_type": "text",
}
_SETTING_BOUNDS = {
    "greater_than_equal": ("ge", "a number of at least {}"),
    "greater_than": ("gt", "a number above {}"),
    "less_than_equal": ("le", "a number of at most {}"),
    "less_than": ("lt", "a number below {}"),
}


def _setting_error(exc: Exception) -> UsageError | None:
    """``exc`` as a one-line :class:`UsageError` naming the variable, when it is a bad
    ``VORLESEN_*`` value; None for anything else."""
    module = type(exc).__module__
    if not module.startswith(("pydantic", "pydantic_core", "pydantic_settings")):
        return None
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    from vorlesen.config import Settings

    if isinstance(exc, SettingsError):
        # 'error parsing value for field "fetch_allow_hosts" from source "EnvSettingsSource"':
        # pydantic-settings parses complex fields (lists) as JSON before validating them.
        found = re.search(r'field "(\w+)"', str(exc))
        if found is None:
            return None
        field = found.group(1)
        value = os.environ.get(_env_name(field), "")
        return _bad_setting(field, value, _json_example(value), more=0)
    if not isinstance(exc, ValidationError) or exc.title != Settings.__name__:
        return None
    errors = exc.errors()
    first = errors[0]
    field = str(first["loc"][0]) if first["loc"] else "?"
    allowed = _SETTING_TYPES.get(first["type"])
    bound = _SETTING_BOUNDS.get(first["type"])
    if bound is not None:
        allowed = bound[1].format((first.get("ctx") or {}).get(bound[0]))
    value = first.get("input")
    shown = value if isinstance(value, str) else os.environ.get(_env_name(field), "")
    if allowed is None:
        allowed = f"a valid value ({first['msg'][:1].lower()}{first['msg'][1:]})"
    return _bad_setting(field, shown, allowed, more=len(errors) - 1)


def _env_name(field: str) -> str:
    return f"VORLESEN_{field.upper()}"


def _json_example(value: str) -> str:
    """How a JSON list setting is written, with the user's own items where they were plain."""
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items or any(ch in value for ch in "[]{}\"'"):
        items = ["host"]
    return f"a JSON list like {json.dumps(items)}"


def _bad_setting(field: str, value: str, allowed: str, *, more: int) -> UsageError:
    others = ""
    if more:
        others = f" {more} more VORLESEN_* value{'s are' if more > 1 else ' is'} not valid either."
    return UsageError(
        f"The environment variable {_env_name(field)}={value!r} is not valid: "
        f"use {allowed}.{others}",
        reason="bad_setting",
    )


# -- options shared by read and say ------------------------------------------------------


def check_language(lang: str | None) -> str | None:
    """``lang`` when ``--lang`` names a known language (a region may follow: ``de-AT``)."""
    if lang is None:
        return None
    primary = re.split(r"[-_]", lang.strip(), maxsplit=1)[0].lower()
    from vorlesen.languages import LANGUAGE_NAMES

    if primary not in LANGUAGE_NAMES:
        known = ", ".join(f"{code} ({name})" for code, name in LANGUAGE_NAMES.items())
        raise UsageError(
            f"--lang {lang!r} is not a language vorlesen reads; use one of {known}.",
            reason="unsupported_language",
        )
    return lang


AUDIO_SUFFIXES: dict[str, str] = {".mp3": "mp3", ".opus": "opus", ".ogg": "opus", ".wav": "wav"}
"""The audio format each output extension names (Opus is written in an Ogg container)."""
_AUDIO_FORMATS = ("mp3", "opus", "wav")
_OTHER_AUDIO = frozenset([".flac", ".m4a", ".aac", ".aif", ".aiff", ".wma", ".mp4", ".oga"])
"""Audio extensions of formats vorlesen does not write: refused even with --format."""


def output_format(output: Path | None, fmt: str | None) -> str:
    """The audio format of ``output``: its extension, which ``--format`` must agree with;
    ``--format`` (default mp3) where there is no output name, no extension, or one that is
    no audio extension at all."""
    if fmt is not None and fmt.lower() not in _AUDIO_FORMATS:
        raise UsageError(
            f"Unknown audio format {fmt!r}; use one of {', '.join(_AUDIO_FORMATS)}.",
            reason="bad_format",
        )
    chosen = fmt.lower() if fmt is not None else None
    if output is None or not output.suffix:
        return chosen or "mp3"
    by_name = AUDIO_SUFFIXES.get(output.suffix.lower())
    if by_name is None and chosen is not None and output.suffix.lower() not in _OTHER_AUDIO:
        return chosen  # "-o news.2024-05-01 --format mp3": the dot is part of the name
    if by_name is None:
        raise UsageError(
            f"Cannot write audio to {str(output)!r}: {output.suffix} is not an audio format "
            f"vorlesen writes; name it .mp3, .opus (or .ogg) or .wav.",
            reason="bad_format",
        )
    if chosen is not None and chosen != by_name:
        raise UsageError(
            f"--format {chosen} does not match the output {str(output)!r}, whose extension "
            f"{output.suffix} means {by_name}; drop --format or rename the output.",
            reason="format_mismatch",
        )
    return by_name


def _same_file(a: Path, b: Path) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist yet
        return False


def check_outputs(outputs: dict[str, Path | None], inputs: dict[str, Path | None]) -> None:
    """Refuse outputs (by option) that name the same file, overwrite an input, or cannot
    be written — before any work, and as usage errors rather than failures at the end."""
    from vorlesen.fileio import check_output_writable

    given = {option: path for option, path in outputs.items() if path is not None}
    for option, path in given.items():
        for source, source_path in inputs.items():
            if source_path is not None and _same_file(path, source_path):
                raise UsageError(
                    f"{option} {str(path)!r} is the {source} itself; writing it would destroy "
                    "it. Choose another output file.",
                    reason="output_is_input",
                )
    seen: list[tuple[str, Path]] = []
    for option, path in given.items():
        for other, other_path in seen:
            if _same_file(path, other_path):
                raise UsageError(
                    f"{other} and {option} both name {str(path)!r}; give each output its own file.",
                    reason="output_conflict",
                )
        seen.append((option, path))
    for path in given.values():
        check_output_writable(path)


def warn_ignored(text_only: bool, given: dict[str, object]) -> None:
    """With ``--text-only`` nothing is written: say so for file options that were given."""
    ignored = [option for option, value in given.items() if value is not None]
    if text_only and ignored:
        _warn(f"--text-only writes no files; {', '.join(ignored)} ignored.")
