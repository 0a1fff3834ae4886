"""``vorlesen say``: hear one word or phrase the way an article would read it.

Editors try a pronunciation fix before saving it: the phrase goes through the same speak
stage as an article (built-in lexicon, the given lexicon file, the German normalizer) and
the same synthesis and mastering. ``--text-only`` shows the spoken text and the phonemes
the engine will receive, so a fix can be checked without listening. A phrase starting
with ``<speak>`` is read as SSML, so ``<phoneme>`` and ``<sub>`` can be tried too.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from vorlesen.cli.support import EngineOption, LexiconFileOption, VoiceOption
from vorlesen.errors import InputError, UsageError

if TYPE_CHECKING:  # imported where used, so `vorlesen --help` does not load numpy
    from vorlesen.lexicon.entries import LexEntry
    from vorlesen.models import Document, Script, Utterance
    from vorlesen.synth.base import Engine

__all__ = ["phonemes_for", "phrase_document", "register", "say_script"]


MAX_PHRASE = 2000
"""Longest phrase ``say`` takes, in characters: it previews an entry, not an article."""


def phrase_document(phrase: str, language: str | None = None) -> Document:
    """The phrase as a one-paragraph document (or an SSML document if it is one)."""
    from vorlesen.models import Document

    text = phrase.strip()
    if not text:
        raise InputError("There is nothing to say: the phrase is empty.", reason="empty")
    if len(text) > MAX_PHRASE:
        raise UsageError(
            f"The phrase is {len(text)} characters long; say previews up to {MAX_PHRASE}. "
            "Use 'vorlesen read' for whole texts.",
            reason="phrase_too_long",
        )
    if text.lower().startswith("<speak"):
        from vorlesen.ingest.ssml import from_ssml

        doc = from_ssml(text)
        if language is None:
            return doc
        return Document(blocks=doc.blocks, language=language, warnings=doc.warnings)
    return Document.build([("paragraph", text)], language=language or "de")


def say_script(
    phrase: str,
    *,
    language: str | None = None,
    lexicon: Path | None = None,
    voice: str | None = None,
    entries: tuple[LexEntry, ...] = (),
) -> Script:
    """The script of ``phrase`` with the built-in lexicon, the publisher's ``entries`` and
    the ``lexicon`` file applied."""
    from vorlesen.pipeline import RenderOptions, load_lexicon
    from vorlesen.speak.script import make_script

    lex = load_lexicon(RenderOptions(lexicon=lexicon, entries=entries))
    return make_script(phrase_document(phrase, language), lexicon=lex, voice=voice)


def phonemes_for(engine: Engine, utterance: Utterance) -> str:
    """The phonemes ``engine`` receives for ``utterance``: its phonemizer's output, with
    ``[[…]]`` blocks resolved to the IPA inside them."""
    if utterance.phonemes is not None:
        return utterance.phonemes
    return engine.phonemize(utterance.spoken)


def register(app: typer.Typer) -> None:
    """Add the ``say`` command to the ``vorlesen`` app."""

    @app.command()
    def say(
        phrase: Annotated[str, typer.Argument(help="Word or phrase to speak (or <speak> SSML).")],
        output: Annotated[
            Path | None,
            typer.Option(
                "-o", "--output", help="Audio file (.wav, .mp3 or .opus; default say.wav)."
            ),
        ] = None,
        text_only: Annotated[
            bool,
            typer.Option("--text-only", help="Print the spoken text and phonemes; no audio."),
        ] = False,
        lexicon: LexiconFileOption = None,
        voice: VoiceOption = None,
        engine: EngineOption = None,
        lang: Annotated[
            str | None, typer.Option("--lang", help="Language of the phrase (default de).")
        ] = None,
    ) -> None:
        """Speak one word or phrase as an article would: preview a pronunciation fix."""
        from vorlesen.cli.support import (
            _user_errors,
            _warn,
            check_language,
            check_outputs,
            output_format,
            warn_ignored,
        )

        with _user_errors():
            from vorlesen.cli.lexicon import publisher_entries_for_render, render_lexicon
            from vorlesen.config import get_settings
            from vorlesen.pipeline import RenderOptions, render_article
            from vorlesen.synth.select import choose_engine

            settings = get_settings()
            language = check_language(lang)
            lexicon_file = render_lexicon(lexicon)
            entries = tuple(publisher_entries_for_render(settings))
            document = phrase_document(phrase, language)
            if text_only:
                warn_ignored(True, {"-o": output})
                # Only the document's warnings: nothing is synthesized, so a missing default
                # voice (choose_engine's fallback warning) does not matter here.
                spec, _ = choose_engine(engine, voice, speed=1.0, settings=settings)
                for warning in document.warnings:
                    _warn(warning)
                script = say_script(
                    phrase,
                    language=language,
                    lexicon=lexicon_file,
                    voice=spec.voice,
                    entries=entries,
                )
                opened = spec.open()
                for utterance in script.utterances:
                    typer.echo(f"spoken:   {utterance.spoken}")
                    typer.echo(f"phonemes: {phonemes_for(opened, utterance)}")
                return
            out = output if output is not None else Path("say.wav")
            if not out.suffix:  # say has no --format: the extension names it
                raise UsageError(
                    f"Cannot tell the audio format of {str(out)!r}; name it .wav, .mp3 or .opus.",
                    reason="bad_format",
                )
            options = RenderOptions(
                format=output_format(out, None),  # type: ignore[arg-type]  # one of FORMATS
                engine=engine,
                voice=voice,
                jobs=1,  # a phrase: no worker pool to start
                lexicon=lexicon_file,
                entries=entries,
            )
            check_outputs({"-o": out}, {"lexicon": lexicon_file})
            rendition = render_article(
                document,
                out,
                options=options,
                settings=settings,
                warn=_warn,
            )
            typer.echo(
                f"audio:    {rendition.path} ({rendition.duration:.1f} s, "
                f"{rendition.engine} voice {rendition.voice})"
            )
