"""Imported by the synthesis workers' fork server (:mod:`vorlesen.synth.forkserver`), once:
the workers' loop and the modules of the installed engines, so that each worker forked from
it starts with them loaded. An engine module that fails to import here is left for the
worker that opens it to report."""

from __future__ import annotations

import contextlib
import importlib

from vorlesen.synth import pool as pool
from vorlesen.synth.base import engine_modules

for _module in engine_modules():
    with contextlib.suppress(Exception):
        importlib.import_module(_module)
