"""cli: the ``vorlesen`` command line — an edge, like the API and the newsroom.

:mod:`.app` holds the typer application ``app`` (``read``, ``normalize``, ``voices``,
``say``, ``lexicon``, ``serve``, ``worker``, ``sources`` …); ``main`` runs it with every
error mapped and ``run`` is the script's entry point (``main``, then a quick exit); each command
group lives in its own module (:mod:`.say`, :mod:`.lexicon`, :mod:`.service`) and
:mod:`.support` holds what they share. Commands translate a command line into calls of the
pipeline and the service and their errors into one line on stderr.

``main`` is imported on first use (PEP 562): the script's entry point starts a render's
synthesis workers (:mod:`.early`) before it imports typer and parses the command line,
and the workers' fork server, which imports the script again, stays light.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from vorlesen.lazy import lazy_attributes

if TYPE_CHECKING:
    from vorlesen.cli.app import main

__all__ = ["main", "run"]


def run() -> None:
    """The ``vorlesen`` script: a render's workers get a head start, then
    :func:`vorlesen.cli.app.run` (the command, then a quick exit)."""
    from vorlesen.cli.early import start_workers_early

    start_workers_early(sys.argv[1:])
    from vorlesen.cli.app import run as run_command

    run_command()


__getattr__, __dir__ = lazy_attributes(__name__, {"main": ("vorlesen.cli.app", "main")})
