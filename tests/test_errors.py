"""The error tree's newer branches, and how the API's one handler maps them to statuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from vorlesen import errors
from vorlesen.api.app import status_for
from vorlesen.errors import (
    AuthError,
    EngineError,
    InputError,
    NotFoundError,
    StorageError,
    UsageError,
    VorlesenError,
)
from vorlesen.store.blobs import LocalBlobStore
from vorlesen.store.db import Store


@pytest.mark.parametrize(
    ("cls", "parent", "reason", "exit_code"),
    [
        (NotFoundError, InputError, "not_found", 3),
        (AuthError, UsageError, "unauthorized", 2),
        (StorageError, EngineError, "storage_unwritable", 4),
    ],
)
def test_new_branches_sit_where_the_docstring_draws_them(
    cls: type[VorlesenError], parent: type[VorlesenError], reason: str, exit_code: int
) -> None:
    error = cls("It failed.")
    assert isinstance(error, parent)
    assert error.reason == reason
    assert error.exit_code == exit_code
    assert f"── {cls.__name__}" in (errors.__doc__ or "")


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotFoundError("No such article."), 404),
        (InputError("No such article.", reason="not_found"), 404),
        (AuthError("No token."), 401),
        (AuthError("Unknown token.", reason="bad_token"), 401),
        (AuthError("Revoked.", reason="token_revoked"), 403),
        (AuthError("Not for you.", reason="forbidden"), 403),
        (StorageError("Disk full.", reason="disk_full"), 507),
        (StorageError("Read-only.", reason="storage_unwritable"), 500),
        (InputError("Too big.", reason="too_large"), 413),
        (UsageError("Busy.", reason="conflict"), 409),
        (InputError("Garbled."), 422),
        (UsageError("Bad option."), 400),
        (EngineError("Broken."), 500),
    ],
)
def test_status_for_maps_by_class_then_reason(error: VorlesenError, status: int) -> None:
    assert status_for(error) == status


def test_store_and_blobs_raise_not_found(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    store.migrate()
    try:
        with pytest.raises(NotFoundError) as article:
            store.get_article("nope")
        assert article.value.reason == "not_found"
        with pytest.raises(NotFoundError):
            store.revoke_token(99)
        with pytest.raises(NotFoundError):
            store.delete_lexicon_entry(7)
    finally:
        store.close()
    with pytest.raises(NotFoundError) as blob:
        LocalBlobStore(tmp_path / "blobs").local_path("audio/x/1/audio.mp3")
    assert blob.value.reason == "not_found"


def test_blob_store_on_a_file_raises_storage_error(tmp_path: Path) -> None:
    root = tmp_path / "blobs"
    root.write_bytes(b"a file where the storage directory belongs")
    with pytest.raises(StorageError) as info:
        LocalBlobStore(root).write_bytes("audio/x/1/audio.mp3", b"ID3")
    assert info.value.reason == "storage_unwritable"
    assert status_for(info.value) == 500
