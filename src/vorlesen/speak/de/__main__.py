"""``python -m vorlesen.speak.de``: normalize stdin line by line.

Prints exactly one spoken line per input line and flushes each, so it works as a
co-process (the scorer, ``vorlesen normalize``). Input is read as bytes and decoded
leniently, so no byte sequence or control character can break the line count.
"""

from __future__ import annotations

import sys

from vorlesen.speak.de import default_normalizer

_LINE_BREAKS = str.maketrans({c: " " for c in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"})


def main() -> int:
    """Run the stdin → stdout loop; returns the exit status."""
    normalizer = default_normalizer()
    out = sys.stdout
    try:
        for raw in sys.stdin.buffer:
            line = raw.decode("utf-8", errors="replace").rstrip("\n").rstrip("\r")
            spoken = normalizer.normalize_text(line).translate(_LINE_BREAKS)
            out.write(spoken + "\n")
            out.flush()
    except BrokenPipeError:
        # the reader went away (``… | head``): stop quietly, as Unix tools do
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
