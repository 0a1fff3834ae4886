"""The ``vorlesen`` command line.

Errors are mapped here, once: a :class:`~vorlesen.errors.VorlesenError` becomes one line on
stderr (``vorlesen: <message> [reason]``) and its exit code (2 usage, 3 input, 4 engine);
Ctrl-C exits 130 with nothing written. Users never see a traceback.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import select
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn
from urllib.parse import urlparse

import typer

from vorlesen.errors import UsageError, VorlesenError

if TYPE_CHECKING:  # the pipeline (numpy, scipy, lxml) loads in the commands that use it
    from vorlesen.models import Segment

app = typer.Typer(
    name="vorlesen",
    help="Turn news articles into AI-read audio, German first.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _say_error(message: str) -> None:
    typer.echo(f"vorlesen: {message}", err=True)


def _warn(message: str) -> None:
    _say_error(f"warning: {message}")


EXIT_BROKEN_PIPE = 141
"""Exit status when stdout's reader went away (``… | head``): 128 + SIGPIPE, what a shell
reports for a Unix tool that the signal ended, so ``set -o pipefail`` scripts see the same."""


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


def _local_source(source: str) -> Path | None:
    if source == "-" or re.match(r"^https?://", source, re.IGNORECASE):
        return None
    return Path(source)


def _default_output(source: str, fmt: str) -> Path:
    if source == "-":
        stem = "article"
    elif re.match(r"^https?://", source, re.IGNORECASE):
        stem = Path(urlparse(source).path).stem or "article"
    else:
        stem = Path(source).stem or "article"
    stem = re.sub(r"[^\w.-]+", "-", stem).strip("-.") or "article"
    return Path(f"{stem}.{fmt}")


@app.command()
def read(
    source: Annotated[str, typer.Argument(help="URL, file (.html .txt .md .json) or - for stdin.")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Audio file to write.")
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", help="mp3, opus or wav; default: the output's extension, else mp3."
        ),
    ] = None,
    engine: Annotated[
        str | None, typer.Option(help="piper (default, neural) or espeak (offline fallback).")
    ] = None,
    voice: Annotated[
        str | None, typer.Option(help="Piper voice name (downloaded once) or .onnx path.")
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help="Language of the text (de en fr es it pt nl pl tr sv); skips the language check.",
        ),
    ] = None,
    speed: Annotated[float, typer.Option(help="Speaking rate factor (1 = normal).")] = 1.0,
    timings: Annotated[
        Path | None, typer.Option("--timings", help="Write sentence timings as JSON.")
    ] = None,
    vtt: Annotated[Path | None, typer.Option("--vtt", help="Write WebVTT captions.")] = None,
    text_only: Annotated[
        bool, typer.Option("--text-only", help="Print written<TAB>spoken per utterance; no audio.")
    ] = False,
    jobs: Annotated[int, typer.Option(help="Worker processes; 0 = one per core.")] = 0,
    cache: Annotated[
        bool, typer.Option("--cache/--no-cache", help="Reuse utterances synthesized before.")
    ] = True,
    lexicon: Annotated[
        Path | None,
        typer.Option(
            "--lexicon",
            help="Publisher pronunciation lexicon (.tsv or .pls); default: the file "
            "'vorlesen lexicon' edits, if it exists.",
        ),
    ] = None,
    builtin_lexicon: Annotated[
        bool,
        typer.Option(
            "--builtin-lexicon/--no-builtin-lexicon",
            help="Apply the built-in names and English terms.",
        ),
    ] = True,
) -> None:
    """Read an article aloud into an audio file with timings and captions."""
    with _user_errors():
        from vorlesen.config import get_settings
        from vorlesen.lexicon_cli import publisher_entries_for_render, render_lexicon
        from vorlesen.pipeline import RenderOptions, make_article_script, render_article

        settings = get_settings()
        language = check_language(lang)
        lexicon_file = render_lexicon(lexicon)
        options = RenderOptions(
            engine=engine,
            voice=voice,
            speed=speed,
            jobs=jobs,
            use_cache=cache,
            lexicon=lexicon_file,
            entries=tuple(publisher_entries_for_render(settings)),
            builtin_lexicon=builtin_lexicon,
        )
        if text_only:
            warn_ignored(True, {"-o": output, "--format": fmt, "--timings": timings, "--vtt": vtt})
            options.validate()
            script = make_article_script(
                source, language=language, options=options, settings=settings, warn=_warn
            )
            for line in script.lines():
                typer.echo(line)
            return
        out = output if output is not None else _default_output(source, output_format(None, fmt))
        # Paths first: "-o article.txt" is about the article, not about .txt being no audio.
        check_outputs(
            {"-o": out, "--timings": timings, "--vtt": vtt},
            {"article": _local_source(source), "lexicon": lexicon_file},
        )
        chosen = output_format(output, fmt)
        options = dataclasses.replace(options, format=chosen)  # type: ignore[arg-type]
        with _progress() as progress:
            rendition = render_article(
                source,
                out,
                language=language,
                options=options,
                timings_path=timings,
                vtt_path=vtt,
                settings=settings,
                progress=progress,
                warn=_warn,
            )
        typer.echo(
            f"audio:    {rendition.path} ({rendition.duration:.1f} s, "
            f"{rendition.engine} voice {rendition.voice})"
        )
        if timings is not None:
            typer.echo(f"timings:  {timings}")
        if vtt is not None:
            typer.echo(f"captions: {vtt}")


@contextmanager
def _progress() -> Iterator[Callable[[Segment, int], None] | None]:
    """A progress bar on a terminal (utterances, audio seconds, speed); None otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    started = time.monotonic()
    audio_seconds = 0.0
    with Progress(
        TextColumn("synthesizing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"),
        transient=True,
    ) as bar:
        task = bar.add_task("render", total=None, info="")

        def update(segment: Segment, total: int) -> None:
            nonlocal audio_seconds
            audio_seconds += segment.duration
            wall = max(time.monotonic() - started, 1e-6)
            bar.update(
                task,
                total=total,
                advance=1,
                info=f"{audio_seconds:6.1f} s audio  {audio_seconds / wall:4.1f}× real time",
            )

        yield update


@app.command()
def normalize(
    lang: Annotated[str, typer.Option("--lang", help="Language of the input lines.")] = "de",
) -> None:
    """Read lines on stdin; print one spoken line per input line, flushing each."""
    with _user_errors():
        check_language(lang)
        from vorlesen.speak.normalize import normalize_lines

        # A reader that goes away (`… | head`) ends it quietly: see _user_errors.
        normalize_lines(sys.stdin.buffer, sys.stdout, lang)


voices_app = typer.Typer(help="List and install Piper voices.", no_args_is_help=True)
app.add_typer(voices_app, name="voices")


@voices_app.command("download")
def voices_download(
    name: Annotated[str, typer.Argument(help="Voice name, e.g. de_DE-thorsten-medium.")],
) -> None:
    """Download a voice from the Piper voices repository into the cache, verified, and
    build its optimized graph so the first render does not wait for it."""
    with _user_errors():
        from vorlesen.config import get_settings
        from vorlesen.synth.optimize import optimized_model
        from vorlesen.synth.voices import resolve_voice

        settings = get_settings()
        files = resolve_voice(name, settings)
        typer.echo(f"{files.name}: {files.model}")
        optimized = optimized_model(files.model, files.config, settings)
        if optimized is not None:
            typer.echo(f"{files.name}: optimized graph {optimized}")


@voices_app.command("list")
def voices_list() -> None:
    """Print the voices available without downloading, one a line: name, the model a
    render uses, and where it is from (cache, package, or both: the cache comes first)."""
    with _user_errors():
        from vorlesen.config import get_settings
        from vorlesen.synth.voices import installed_voices, voice_cache_dir

        cache = voice_cache_dir(get_settings())
        cached = {m.name.removesuffix(".onnx"): m for m in cache.glob("*.onnx")}
        packaged = installed_voices()
        for name in sorted({*cached, *packaged}):
            if name in cached:
                where = "cache (also in an installed package)" if name in packaged else "cache"
                typer.echo(f"{name}\t{cached[name]}\t{where}")
            else:
                typer.echo(f"{name}\t{packaged[name].model}\tpackage")


def _register_extensions() -> None:
    """Command groups that live beside their stage (lexicon, service, say)."""
    from vorlesen.lexicon_cli import app as lexicon_app
    from vorlesen.say import register as _say
    from vorlesen.service_cli import register as _service

    app.add_typer(lexicon_app, name="lexicon", help="Edit the pronunciation lexicon.")
    _service(app)
    _say(app)


_register_extensions()


def _usage_message(exc: Exception) -> str:
    """One line for a command-line error, naming where help is."""
    format_message = getattr(exc, "format_message", None)
    message = format_message() if callable(format_message) else str(exc)
    ctx = getattr(exc, "ctx", None)
    command = getattr(ctx, "command_path", None)
    return f"{message} (see '{command} --help')" if command else str(message)


def main() -> None:
    """Entry point of the ``vorlesen`` script; maps errors from every command group.

    A wrong command line (unknown option, bad value) is one line naming the fix too, like
    every other error, instead of the command-line library's boxed message."""
    try:
        with _user_errors():
            code = app(standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)
    except typer.TyperException as exc:  # the command line itself: unknown option, bad value
        _say_error(f"{_usage_message(exc)} [usage]")
        sys.exit(getattr(exc, "exit_code", 2))
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
