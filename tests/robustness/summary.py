"""Print the robustness summary table from the JSON lines the robustness tests wrote.

    python tests/robustness/summary.py REPORT.jsonl

Each line is one row ``{"group", "item", "tried", "refused", "survived", "lost", "note"}``
(see ``write_report_row`` in ``tests/robustness/conftest.py``). The table lists every row
by group, then one totals line per figure the issue asks for: inputs tried, attacks
refused, faults survived, items lost (must be 0) and load held. Exits 1 when anything was
lost or a load or fault row did not hold, and 2 when the report is empty or unreadable, so
``make robustness`` cannot pass on a silent drop.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

GROUP_ORDER = ("hostile input", "faults", "load")
COLUMNS = ("group", "item", "tried", "refused", "survived", "lost", "note")
NUMBERS = ("tried", "refused", "survived", "lost")


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The report's rows, in group order (then as written); malformed lines are errors."""
    rows: list[dict[str, Any]] = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not JSON ({exc})") from exc
        if not isinstance(row, dict) or row.get("group") not in GROUP_ORDER:
            raise ValueError(f"{path}:{number}: not a report row: {line[:200]}")
        for key in NUMBERS:
            row[key] = int(row.get(key, 0))
        row["note"] = str(row.get("note", ""))
        row["item"] = str(row.get("item", ""))
        rows.append(row)
    rows.sort(key=lambda r: GROUP_ORDER.index(r["group"]))  # stable: keeps write order
    return rows


def held(row: dict[str, Any]) -> bool:
    """A fault or load row holds when nothing was lost and every try came through."""
    return row["lost"] == 0 and row["survived"] >= row["tried"]


def totals(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The five headline figures as (label, value)."""
    hostile = [r for r in rows if r["group"] == "hostile input"]
    faults = [r for r in rows if r["group"] == "faults"]
    load = [r for r in rows if r["group"] == "load"]
    return [
        ("inputs tried", f"{sum(r['tried'] for r in hostile):,}"),
        ("attacks refused", f"{sum(r['refused'] for r in rows):,}"),
        ("faults survived", f"{sum(held(r) for r in faults)}/{len(faults)}"),
        ("items lost", f"{sum(r['lost'] for r in rows)}"),
        ("load held", f"{sum(held(r) for r in load)}/{len(load)}"),
    ]


def render(rows: list[dict[str, Any]]) -> str:
    """One Markdown table: every row, then the totals (also valid Markdown in a README)."""
    cells = [[str(r[c]) if c not in NUMBERS else f"{r[c]:,}" for c in COLUMNS] for r in rows]
    for label, value in totals(rows):
        cells.append(["**total**", f"**{label}**", "", "", "", "", f"**{value}**"])
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(COLUMNS)]
    numeric = {COLUMNS.index(c) for c in NUMBERS}

    def line(values: list[str]) -> str:
        parts = [
            v.rjust(widths[i]) if i in numeric else v.ljust(widths[i]) for i, v in enumerate(values)
        ]
        return "| " + " | ".join(parts) + " |"

    rule = (
        "|"
        + "|".join(
            "-" * (w + 1) + ":" if i in numeric else "-" * (w + 2) for i, w in enumerate(widths)
        )
        + "|"
    )
    return "\n".join([line(list(COLUMNS)), rule, *(line(c) for c in cells)])


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    path = Path(argv[1])
    try:
        rows = read_rows(path)
    except (OSError, ValueError) as exc:
        print(f"summary: {exc}", file=sys.stderr)
        return 2
    if not rows:
        print(f"summary: {path} holds no rows; did the robustness tests run?", file=sys.stderr)
        return 2
    print(render(rows))
    failing = [r["item"] for r in rows if r["group"] != "hostile input" and not held(r)]
    lost = sum(r["lost"] for r in rows)
    if lost or failing:
        print(f"\nFAILED: {lost} items lost; did not hold: {', '.join(failing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
