"""The README stays true to the code: every setting is documented."""

from __future__ import annotations

import re
from pathlib import Path

from vorlesen.config import Settings

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_setting_has_a_row_in_the_configuration_table() -> None:
    documented = set(re.findall(r"`(VORLESEN_[A-Z0-9_]+)`", README.read_text("utf-8")))
    settings = {f"VORLESEN_{name.upper()}" for name in Settings.model_fields}
    assert settings - documented == set()
    # …and no row names a setting that does not exist (a renamed or removed one).
    assert documented - settings == set()
