"""Throughput and latency through the AXI path, measured in simulation.

``python bench/axi_timing.py [--lanes 28,56,112] [--images 8]`` (``make axi-timing``) runs
the wrapper with its core on Icarus (``sim.axi_tb.test_axi_path_timing``): MNIST test
images one per packet each way, the input stream always valid and the output always
ready, as a DMA at full rate; every result checked against the golden model. It prints
a table (and ``--json`` the figures): the interval between result TLASTs in steady state,
images/s at 100 MHz, the latency of an image from its first accepted input beat to its
result's TLAST, and the core's initiation interval beside it.
"""

from __future__ import annotations

import argparse
import json
import sys

CLOCK_HZ = 100e6


def measure(lanes: int, images) -> dict:
    """One configuration's figures (``sim.axi_tb.test_axi_path_timing``)."""
    from boards.zynq.generate import wrapper_config
    from sim.axi_runner import run_axi_cocotb

    cfg = wrapper_config(lanes)
    r = run_axi_cocotb(cfg, images, testcase="test_axi_path_timing")
    if r["failed"] or not (r["timing"] or {}).get("axi_path"):
        raise RuntimeError(f"{lanes} lanes: the timing run failed; see {r['log']}")
    t = r["timing"]["axi_path"]
    steady = t["tlast_intervals"][1:] or t["tlast_intervals"]
    interval = max(steady)
    return {
        "lanes": lanes,
        "pixels_per_beat": cfg.pixels_per_beat,
        "core_initiation_interval": cfg.initiation_interval,
        "images": t["images"],
        "tlast_interval_cycles": interval,
        "images_per_s_100mhz": round(CLOCK_HZ / interval),
        "latency_cycles": t["latency_cycles"][0],
        "latency_us_100mhz": round(t["latency_cycles"][0] / CLOCK_HZ * 1e6, 2),
        "batch_cycles": t["batch_cycles"],
        "batch_images_per_s_100mhz": round(t["images"] * CLOCK_HZ / t["batch_cycles"]),
        "input_beats_per_image": t["beats_per_image"],
    }


def table(rows: list[dict]) -> str:
    lines = [
        "| lanes | core II | TLAST interval | images/s at 100 MHz | batch of N: images/s "
        "| latency, first beat to TLAST |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['lanes']} | {r['core_initiation_interval']:,} | "
            f"{r['tlast_interval_cycles']:,} cycles | {r['images_per_s_100mhz']:,} | "
            f"{r['batch_images_per_s_100mhz']:,} (N = {r['images']}) | "
            f"{r['latency_cycles']:,} cycles ({r['latency_us_100mhz']} µs) |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    from lst.data import load_mnist

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lanes", default="28,56,112", help="comma-separated lane counts")
    p.add_argument("--images", type=int, default=8, help="MNIST test images per batch")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    images = load_mnist("test", limit=args.images).images
    rows = [measure(int(n), images) for n in args.lanes.split(",")]
    print(json.dumps(rows, indent=2) if args.json else table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
