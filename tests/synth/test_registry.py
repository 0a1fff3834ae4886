"""The engine registry: an engine is one module; nothing outside it names the engine."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import vorlesen
from vorlesen.config import Settings
from vorlesen.errors import EngineError, UsageError, VorlesenError
from vorlesen.models import Document
from vorlesen.pipeline import RenderOptions, render_article
from vorlesen.synth import base, espeak, piper
from vorlesen.synth.base import (
    default_family,
    engine_family,
    engine_names,
    fallback_family,
)
from vorlesen.synth.select import choose_engine

SRC = Path(vorlesen.__file__).parent
ENGINE_MODULES = {SRC / "synth" / "piper.py", SRC / "synth" / "espeak.py"}


def test_both_engines_are_registered_by_their_modules() -> None:
    assert engine_names() == ("espeak", "piper")
    assert engine_family("piper") is piper.FAMILY
    assert engine_family("ESPEAK") is espeak.FAMILY
    assert default_family() is piper.FAMILY
    assert fallback_family() is espeak.FAMILY


def test_an_unknown_engine_names_the_installed_ones() -> None:
    with pytest.raises(UsageError) as caught:
        engine_family("festival")
    assert caught.value.reason == "unknown_engine"
    assert "'espeak' or 'piper'" in caught.value.message


@pytest.mark.parametrize("name", ["piper", "espeak"])
def test_a_spec_opens_and_keys_through_its_engine_family(
    name: str, joe_model: Path, tmp_path: Path
) -> None:
    settings = Settings(offline=True, cache_dir=tmp_path)
    family = engine_family(name)
    voice, other_voice = (str(joe_model), str(joe_model)) if name == "piper" else ("de", "en-us")
    spec = family.resolve(voice, speed=1.0, settings=settings)
    assert spec.engine == name
    engine = spec.open()
    assert engine.name == name
    assert engine.synthesize("Hallo.").size > 1000
    # The cache key: the same for the same sound, another for another voice or speed.
    again = family.resolve(voice, speed=1.0, settings=settings)
    other = family.resolve(other_voice, speed=1.0 if name == "espeak" else 1.5, settings=settings)
    assert spec.cache_key() == again.cache_key()
    assert spec.cache_key() != other.cache_key()


def _code_strings(tree: ast.AST) -> set[str]:
    """String constants in ``tree`` that are not docstrings."""
    docstrings: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            docstrings.add(id(first.value))
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    }


def test_no_module_outside_an_engine_names_it() -> None:
    names = set(engine_names())
    offenders = {
        str(path.relative_to(SRC)): sorted(names & _code_strings(ast.parse(path.read_text())))
        for path in SRC.rglob("*.py")
        if path not in ENGINE_MODULES
    }
    assert {path: found for path, found in offenders.items() if found} == {}


def _declare(monkeypatch: pytest.MonkeyPatch, **extra: str) -> None:
    """The installed engines plus ``extra`` (name → ``module:attribute``) as entry points."""
    from importlib.metadata import EntryPoint

    installed = [
        EntryPoint(name, value, base.ENGINE_GROUP)
        for name, value in {**base._declared(), **extra}.items()
    ]
    monkeypatch.setattr(base, "entry_points", lambda group: installed)
    monkeypatch.setattr(base, "_FAMILIES", {})
    base._declared.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_registry() -> Iterator[None]:
    yield
    base._declared.cache_clear()


def test_an_empty_engine_setting_means_the_default_engine(tmp_path: Path) -> None:
    RenderOptions(engine="").validate()
    settings = Settings(offline=True, cache_dir=tmp_path, engine="")
    spec, warnings = choose_engine(settings.engine, None, speed=1.0, settings=settings)
    assert spec.engine == "espeak" and warnings  # the default voice is not installed here


def test_an_install_without_engines_says_how_to_fix_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "entry_points", lambda group: [])
    base._declared.cache_clear()
    with pytest.raises(UsageError) as caught:
        default_family()
    assert caught.value.reason == "engines_not_registered"
    assert "reinstall" in caught.value.message


def test_a_broken_engine_is_named_and_passed_over(monkeypatch: pytest.MonkeyPatch) -> None:
    _declare(monkeypatch, broken="vorlesen.no_such_module:FAMILY")
    with pytest.raises(EngineError) as caught:
        engine_family("broken")
    assert caught.value.reason == "engine_unavailable"
    assert "vorlesen.no_such_module" in caught.value.message
    assert default_family() is piper.FAMILY


def test_two_engines_claiming_the_default_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _declare(monkeypatch, copy="vorlesen.synth.piper:FAMILY")
    with pytest.raises(UsageError) as caught:
        default_family()
    assert caught.value.reason == "ambiguous_engine"


def test_a_bad_output_path_is_refused_before_the_voice_is_looked_up(tmp_path: Path) -> None:
    settings = Settings(offline=True, cache_dir=tmp_path)
    options = RenderOptions(voice="de_DE-nicht-installiert-medium")
    with pytest.raises(VorlesenError) as caught:
        render_article(
            Document.build([("paragraph", "Hallo.")]),
            tmp_path / "missing" / "out.mp3",
            options=options,
            settings=settings,
        )
    assert caught.value.reason == "output_dir_missing"  # not voice_not_installed
    assert not (tmp_path / "missing").exists()
