"""The ``vorlesen`` command line.

Errors are mapped here, once: a :class:`~vorlesen.errors.VorlesenError` becomes one line on
stderr (``vorlesen: <message> [reason]``) and its exit code (2 usage, 3 input, 4 engine);
Ctrl-C exits 130 with nothing written. Users never see a traceback.
"""

from __future__ import annotations

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

from vorlesen.errors import VorlesenError

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
    except (typer.Exit, typer.Abort):
        raise
    except Exception as exc:  # last resort: a bug, reported without a traceback
        if os.environ.get("VORLESEN_DEBUG"):
            raise
        _say_error(
            f"internal error: {type(exc).__name__}: {exc}. "
            "Please report it; set VORLESEN_DEBUG=1 to see the traceback."
        )
        raise typer.Exit(1) from None


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
    fmt: Annotated[str, typer.Option("--format", help="mp3, opus or wav.")] = "mp3",
    engine: Annotated[
        str | None, typer.Option(help="piper (default, neural) or espeak (offline fallback).")
    ] = None,
    voice: Annotated[
        str | None, typer.Option(help="Piper voice name (downloaded once) or .onnx path.")
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option("--lang", help="Language of the text; skips the language check."),
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
        typer.Option("--lexicon", help="Publisher pronunciation lexicon (.tsv or .pls)."),
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
        from vorlesen.pipeline import RenderOptions, make_article_script, render_article

        options = RenderOptions(
            format=fmt,  # type: ignore[arg-type]  # validated in RenderOptions.validate
            engine=engine,
            voice=voice,
            speed=speed,
            jobs=jobs,
            use_cache=cache,
            lexicon=lexicon,
            builtin_lexicon=builtin_lexicon,
        )
        if text_only:
            script = make_article_script(source, language=lang, options=options)
            for line in script.lines():
                typer.echo(line)
            return
        out = output or _default_output(source, fmt)
        with _progress() as progress:
            rendition = render_article(
                source,
                out,
                language=lang,
                options=options,
                timings_path=timings,
                vtt_path=vtt,
                progress=progress,
                warn=lambda text: _say_error(f"warning: {text}"),
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
        from vorlesen.speak.normalize import normalize_lines

        try:
            normalize_lines(sys.stdin.buffer, sys.stdout, lang)
        except BrokenPipeError:  # the reader went away (`… | head`): stop quietly
            sys.stderr.close()


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
    """Print the voices available without downloading (cache and installed packages)."""
    with _user_errors():
        from vorlesen.config import get_settings
        from vorlesen.synth.voices import installed_voices, voice_cache_dir

        cache = voice_cache_dir(get_settings())
        for model in sorted(cache.glob("*.onnx")) if cache.is_dir() else []:
            typer.echo(f"{model.stem}\t{model}")
        for name, files in sorted(installed_voices().items()):
            typer.echo(f"{name}\t{files.model}")


def _register_extensions() -> None:
    """Command groups that live beside their stage (lexicon, service, say)."""
    from vorlesen.lexicon.cli import app as lexicon_app
    from vorlesen.say import register as _say
    from vorlesen.service_cli import register as _service

    app.add_typer(lexicon_app, name="lexicon", help="Edit the pronunciation lexicon.")
    _service(app)
    _say(app)


_register_extensions()


def main() -> None:
    """Entry point of the ``vorlesen`` script; maps errors from every command group."""
    try:
        with _user_errors():
            app()
    except typer.Exit as exc:
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
