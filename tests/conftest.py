"""Suite-wide settings.

Building a voice's optimized graph (:mod:`vorlesen.synth.optimize`) takes a second or two
per cache directory, and most tests use a fresh temporary cache directory: the suite turns
it off by default and ``tests/synth/test_optimize.py`` turns it on where it is the subject
(including an end-to-end ``vorlesen read``).
"""

from __future__ import annotations

import os

os.environ.setdefault("VORLESEN_OPTIMIZE_VOICES", "0")
