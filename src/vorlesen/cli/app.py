"""The ``vorlesen`` command line.

Errors are mapped here, once: a :class:`~vorlesen.errors.VorlesenError` becomes one line on
stderr (``vorlesen: <message> [reason]``) and its exit code (2 usage, 3 input, 4 engine);
Ctrl-C exits 130 with nothing written. Users never see a traceback.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlparse

import typer

from vorlesen.cli.early import env_jobs
from vorlesen.cli.support import (
    EngineOption,
    LexiconFileOption,
    VoiceOption,
    _say_error,
    _user_errors,
    _warn,
    check_language,
    check_outputs,
    output_format,
    warn_ignored,
)

if TYPE_CHECKING:  # the pipeline (numpy, scipy, lxml) loads in the commands that use it
    from vorlesen.config import Settings
    from vorlesen.models import Segment
    from vorlesen.synth.pool import WarmPool

app = typer.Typer(
    name="vorlesen",
    help="Turn news articles into AI-read audio, German first.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


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
    engine: EngineOption = None,
    voice: VoiceOption = None,
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
    lexicon: LexiconFileOption = None,
    builtin_lexicon: Annotated[
        bool,
        typer.Option(
            "--builtin-lexicon/--no-builtin-lexicon",
            help="Apply the built-in names and English terms.",
        ),
    ] = True,
) -> None:
    """Read an article aloud into an audio file with timings and captions."""
    with _user_errors(), contextlib.ExitStack() as stack:
        if not text_only:
            from vorlesen.synth.forkserver import start_forkserver

            # The synthesis workers' imports run on another core beside the pipeline's,
            # from the start (the script's entry point has usually started it already,
            # before parsing the command line): the settings' own job count is read below.
            start_forkserver(jobs or env_jobs())
        from vorlesen.cli.lexicon import publisher_entries_for_render, render_lexicon
        from vorlesen.config import get_settings

        settings = get_settings()
        language = check_language(lang)
        lexicon_file = render_lexicon(lexicon)
        out = Path()
        chosen = "mp3"
        workers = None
        if not text_only:
            out = (
                output if output is not None else _default_output(source, output_format(None, fmt))
            )
            # Paths first: "-o article.txt" is about the article, not about .txt being no audio.
            check_outputs(
                {"-o": out, "--timings": timings, "--vtt": vtt},
                {"article": _local_source(source), "lexicon": lexicon_file},
            )
            chosen = output_format(output, fmt)
            # The workers load the voice on the other core while the pipeline is imported.
            workers = stack.enter_context(_early_workers(engine, voice, speed, jobs, settings))

        from vorlesen.pipeline import RenderOptions, make_article_script, render_article

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
                workers=workers,
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
def _early_workers(
    engine: str | None, voice: str | None, speed: float, jobs: int, settings: Settings
) -> Iterator[WarmPool | None]:
    """Synthesis workers for the render's voice, started now so they load it while the
    pipeline is imported; stopped on the way out. ``None`` when the voice is not at hand
    without the network or is not the one asked for (a fallback): the render then chooses
    (downloading, warning, or reporting what is wrong in its own order)."""
    from vorlesen.errors import VorlesenError
    from vorlesen.synth.pool import WarmPool
    from vorlesen.synth.select import choose_engine

    local = settings.model_copy(update={"offline": True})
    try:
        spec, fallback = choose_engine(engine, voice, speed=speed, settings=local)
    except VorlesenError:
        spec, fallback = None, []
    if spec is None or fallback:
        yield None
        return
    with WarmPool(spec, jobs=jobs or settings.jobs) as pool:
        yield pool


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
    """The command groups of their own modules (lexicon, service, say)."""
    from vorlesen.cli.lexicon import app as lexicon_app
    from vorlesen.cli.say import register as _say
    from vorlesen.cli.service import register as _service

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


def run() -> None:
    """The ``vorlesen`` script: :func:`main`, then a quick exit.

    Every command closes what it opened (workers, spools, files, servers) before it
    returns, so what is left at the end is the interpreter tearing down its modules —
    numpy, scipy, lxml, PyAV: ≈0.3 s after a render, spent on nothing the user asked for.
    The output streams and log handlers are flushed and the process ends with the
    command's exit status. (Tests call :func:`main`, which exits normally.)
    """
    try:
        main()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (… | head)
            stream.flush()
    os._exit(code)
