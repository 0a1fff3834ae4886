"""The input limit a service configures is the one its renders apply."""

from __future__ import annotations

import pytest

from vorlesen.config import Settings, get_settings
from vorlesen.errors import UnsupportedContentError
from vorlesen.ingest import from_bytes
from vorlesen.service.payload import ArticlePayload
from vorlesen.service.render import document_from_payload


def test_the_services_input_limit_applies_not_the_environments(tmp_path: object) -> None:
    text = "Der Stadtrat hat getagt und einen Beschluss gefasst. " * 40  # ≈2 KB
    small = Settings(max_input_bytes=1000)
    assert get_settings().max_input_bytes > 2000
    with pytest.raises(UnsupportedContentError) as info:
        from_bytes(text.encode(), filename="a.txt", settings=small)
    assert info.value.reason == "too_large"
    with pytest.raises(UnsupportedContentError):
        document_from_payload(ArticlePayload(text=text), small)
    assert document_from_payload(ArticlePayload(text=text), Settings()).blocks
