"""cli: the ``vorlesen`` command line — an edge, like the API and the newsroom.

``app`` is the typer application (``read``, ``normalize``, ``voices``, ``say``, ``lexicon``,
``serve``, ``worker``, ``sources`` …) and ``main`` the script's entry point; each command
group lives in its own module (:mod:`.say`, :mod:`.lexicon`, :mod:`.service`) and
:mod:`.support` holds what they share. Commands translate a command line into calls of the
pipeline and the service and their errors into one line on stderr.
"""

from vorlesen.cli.app import app, main

__all__ = ["app", "main"]
