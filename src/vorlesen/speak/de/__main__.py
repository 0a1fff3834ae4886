"""``python -m vorlesen.speak.de``: normalize stdin line by line (as ``vorlesen normalize``).

Prints exactly one spoken line per input line and flushes each, so it works as a
co-process (the scorer). Input is read as bytes and decoded leniently, so no byte sequence
or control character can break the line count.
"""

from __future__ import annotations

import sys

from vorlesen.speak.normalize import normalize_lines


def main() -> int:
    """Run the stdin → stdout loop; returns the exit status."""
    try:
        normalize_lines(sys.stdin.buffer, sys.stdout, "de")
    except BrokenPipeError:
        # the reader went away (``… | head``): stop quietly, as Unix tools do
        sys.stderr.close()
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
