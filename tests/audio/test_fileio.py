"""Atomic writes: all or nothing, no litter, clear errors for bad output paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vorlesen.errors import UsageError
from vorlesen.fileio import atomic_write, write_bytes_atomic, write_text_atomic


def test_write_text_atomic_writes_utf8_and_leaves_nothing_else(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    write_text_atomic(target, "Größe: 3 °C\n")
    assert target.read_bytes() == "Größe: 3 °C\n".encode()
    assert os.listdir(tmp_path) == ["out.txt"]


def test_write_replaces_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    write_bytes_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["out.bin"]


def test_temp_file_is_in_same_directory_and_target_appears_only_at_the_end(
    tmp_path: Path,
) -> None:
    target = tmp_path / "a.mp3"
    with atomic_write(target) as tmp:
        assert tmp.parent == tmp_path
        assert tmp != target
        tmp.write_bytes(b"half")
        assert not target.exists()
    assert target.read_bytes() == b"half"
    assert os.listdir(tmp_path) == ["a.mp3"]


def test_exception_mid_write_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "a.mp3"
    with pytest.raises(RuntimeError, match="boom"), atomic_write(target) as tmp:
        tmp.write_bytes(b"partial data")
        raise RuntimeError("boom")
    assert os.listdir(tmp_path) == []


def test_exception_keeps_previous_file_intact(tmp_path: Path) -> None:
    target = tmp_path / "a.mp3"
    target.write_bytes(b"previous")
    with pytest.raises(ValueError), atomic_write(target) as tmp:
        tmp.write_bytes(b"new but broken")
        raise ValueError("encoder failed")
    assert target.read_bytes() == b"previous"
    assert os.listdir(tmp_path) == ["a.mp3"]


def test_keyboard_interrupt_removes_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "a.wav"
    with pytest.raises(KeyboardInterrupt), atomic_write(target) as tmp:
        tmp.write_bytes(b"x" * 1000)
        raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []


def test_missing_output_directory_is_a_usage_error(tmp_path: Path) -> None:
    target = tmp_path / "out" / "x.mp3"
    with pytest.raises(UsageError) as info:
        write_text_atomic(target, "x")
    assert info.value.reason == "output_dir_missing"
    assert str(tmp_path / "out") in info.value.message
    assert not (tmp_path / "out").exists()  # not created silently


def test_target_that_is_a_directory_is_not_writable(tmp_path: Path) -> None:
    (tmp_path / "x.mp3").mkdir()
    with pytest.raises(UsageError) as info:
        write_bytes_atomic(tmp_path / "x.mp3", b"data")
    assert info.value.reason == "output_not_writable"


def test_parent_that_is_a_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError) as info:
        write_bytes_atomic(tmp_path / "file" / "x.mp3", b"data")
    assert info.value.reason == "output_dir_missing"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores modes")
def test_read_only_directory_is_not_writable(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(UsageError) as info:
            write_bytes_atomic(ro / "x.mp3", b"data")
        assert info.value.reason == "output_not_writable"
    finally:
        ro.chmod(0o700)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_unwritable_pseudo_filesystem_is_not_writable() -> None:
    # /proc refuses new files even for root, so this runs where the chmod test cannot.
    with pytest.raises(UsageError) as info:
        write_bytes_atomic(Path("/proc/vorlesen-test.mp3"), b"data")
    assert info.value.reason == "output_not_writable"


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_output_gets_normal_file_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_bytes_atomic(tmp_path / "f", b"data")
    finally:
        os.umask(old)
    assert (tmp_path / "f").stat().st_mode & 0o777 == 0o644
