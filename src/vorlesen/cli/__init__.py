"""cli: the ``vorlesen`` command line — an edge, like the API and the newsroom.

``app`` is the typer application (``read``, ``normalize``, ``voices``, ``say``, ``lexicon``,
``serve``, ``worker``, ``sources`` …), ``main`` runs it with every error mapped and
``run`` is the script's entry point (``main``, then a quick exit); each command
group lives in its own module (:mod:`.say`, :mod:`.lexicon`, :mod:`.service`) and
:mod:`.support` holds what they share. Commands translate a command line into calls of the
pipeline and the service and their errors into one line on stderr.
"""

from vorlesen.cli.app import app, main, run

__all__ = ["app", "main", "run"]
