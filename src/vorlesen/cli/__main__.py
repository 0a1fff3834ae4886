"""``python -m vorlesen.cli``: the ``vorlesen`` command."""

from vorlesen.cli.app import main

main()
