"""What a render imports before it starts its synthesis workers.

The script's entry point (``vorlesen.cli``) starts the workers' fork server before typer
parses the command line, and the fork server imports the script again: both must stay
light, or the head start is lost.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "module", ["vorlesen.cli", "vorlesen.cli.early", "vorlesen.synth.forkserver"]
)
def test_the_entry_point_and_the_fork_server_module_load_no_heavy_package(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "heavy = ('typer', 'numpy', 'pydantic', 'onnxruntime', 'vorlesen.cli.app')\n"
        "print(' '.join(name for name in heavy if name in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == ""


def test_the_cli_package_still_offers_main() -> None:
    import vorlesen.cli.app
    from vorlesen import cli

    assert cli.main is vorlesen.cli.app.main
    assert {"main", "run"} <= set(dir(cli))


def test_the_settings_check_the_feed_category_without_the_feed_builder() -> None:
    code = (
        "import sys\n"
        "from vorlesen.config import Settings\n"
        "Settings(feed_category='News/Politics')\n"
        "print(' '.join(name for name in ('feedgen', 'lxml') if name in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == ""
