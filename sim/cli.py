"""``lst verify``: the full-test-set RTL regression (torch-free)."""

from __future__ import annotations

from lst.cliutil import UserError, add_data, add_json, emit

__all__ = ["register"]


def cmd_verify(args):
    from hw.config import CoreConfig

    from .verify import verify

    config = CoreConfig(
        lanes=args.lanes,
        pixels_per_beat=args.pixels_per_beat,
        format=args.format,
        checkpoint=args.checkpoint or "",
    )
    r = verify(
        config,
        data_dir=args.data_dir,
        limit=args.limit,
        gap=args.gap,
        stall=args.stall,
        seed=args.seed,
    )
    text = (
        f"{r['n']} images through the {config.lanes}-lane RTL: {r['mismatches']} mismatches, "
        f"RTL accuracy {r['rtl_accuracy']:.2f} %, golden {r['golden_accuracy']:.2f} %, "
        f"II {r['initiation_interval_cycles']} cycles, latency {r['latency_cycles']} cycles"
    )
    emit(args, r, text)
    if r["mismatches"] or r["rtl_accuracy"] != r["golden_accuracy"]:
        raise UserError(
            f"RTL and golden model differ on {r['mismatches']} image(s): {r['first_mismatches']}"
        )


def register(sub):
    from hw.cli import _add_core_args

    p = sub.add_parser("verify", help="stream MNIST test images through the RTL (Verilator)")
    _add_core_args(p)
    p.add_argument("--limit", type=int, default=None, help="only the first N test images")
    p.add_argument("--gap", type=float, default=0.0, help="input idle probability per cycle")
    p.add_argument("--stall", type=float, default=0.0, help="output refusal probability")
    p.add_argument("--seed", type=int, default=1)
    add_data(p)
    add_json(p)
    p.set_defaults(func=cmd_verify)
