"""``python -m formal`` (``make formal``): every property proven, checked or covered with
SymbiYosys; one line per job, exit 1 on a violated property (its source line and the
trace printed), exit 2 when a tool is missing."""

from __future__ import annotations

import argparse
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lst.errors import ConfigError

from .axi_wrapper import (
    BOUNDED,
    BOUNDED_DEPTH,
    LOADABLE_ONLY,
    PROPERTIES,
    PROVE_DEPTH,
    WrapperHarness,
)
from .sby import check_tools, execute, prepare

ROOT = Path(__file__).resolve().parent.parent


def jobs():
    """(name, mode, depth, properties, loadable) of every SBY run: the baked and the
    loadable wrapper proven, the bounded properties checked, every property covered."""
    proven = [p for p in PROPERTIES if p not in BOUNDED and p not in LOADABLE_ONLY]
    baked = [p for p in PROPERTIES if p not in LOADABLE_ONLY]
    return [
        ("axi_wrapper_prove", "prove", PROVE_DEPTH, proven, False),
        ("axi_wrapper_loadable_prove", "prove", PROVE_DEPTH, proven + list(LOADABLE_ONLY), True),
        # One bounded job per property: together they take longer than apart.
        *((f"axi_wrapper_bounded_{p}", "bmc", BOUNDED_DEPTH, [p], False) for p in BOUNDED),
        ("axi_wrapper_cover", "cover", BOUNDED_DEPTH, baked, False),
        ("axi_wrapper_loadable_cover", "cover", BOUNDED_DEPTH, list(LOADABLE_ONLY), True),
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m formal", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "build" / "formal"), help="work directory")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="solver runs at a time (default: the CPU count)",
    )
    args = parser.parse_args(argv)
    try:
        check_tools()
    except ConfigError as e:
        print(f"formal: error: {e}", file=sys.stderr)
        return 2
    # The designs are written one after the other (Amaranth), then the solvers run side
    # by side, the bounded checks (the longest) first.
    todo = []
    for name, mode, depth, names, loadable in jobs():
        harness = WrapperHarness(properties=names, loadable=loadable)
        directory = prepare(harness, harness.ports(), Path(args.out) / name, mode=mode, depth=depth)
        todo.append((name, mode, depth, names, directory))
    workers = max(1, min(args.jobs, len(todo)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        started = {
            t[0]: pool.submit(execute, t[4], mode=t[1], depth=t[2])
            for t in sorted(todo, key=lambda t: t[1] != "bmc")
        }
    results = []
    for name, mode, depth, names, _ in todo:
        r = started[name].result()
        r.update(job=name, properties=names)
        results.append(r)
        if not args.json:
            status = "PASS" if r["passed"] else "FAIL"
            print(
                f"{name}: {mode} depth {depth}: {status} in {r['seconds']} s ({', '.join(names)})"
            )
            for line in r.get("failures", []):
                print(f"  violated: {line}")
            for trace in r.get("traces", []):
                print(f"  trace: {trace}")
    if args.json:
        print(json.dumps({"jobs": results}, indent=2))
    return 0 if all(r["passed"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
