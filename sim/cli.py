"""``lst verify`` (the full-test-set RTL regression) and ``lst report`` (area and measured
cycles; it sits here, above ``hw`` and ``sim``, because it uses both). Torch-free."""

from __future__ import annotations

from lst.cliutil import (
    UserError,
    add_data,
    add_force,
    add_json,
    emit,
    int_at_least,
    positive_int,
    probability,
)

__all__ = ["register"]


def cmd_verify(args):
    from hw.cli import prepare_from_args

    from .verify import verify

    build = prepare_from_args(args, "simulation")
    config = build.config
    r = verify(
        config,
        qmodel=build.qmodel,
        data_dir=args.data_dir,
        limit=args.limit,
        gap=args.gap,
        stall=args.stall,
        seed=args.seed,
        load=args.load,
    )
    text = (
        f"{r['n']} images through the {config.lanes}-lane RTL: {r['mismatches']} mismatches, "
        f"RTL accuracy {r['rtl_accuracy']:.2f} %, golden {r['golden_accuracy']:.2f} %, "
        f"II {r['initiation_interval_cycles']} cycles, latency {r['latency_cycles']} cycles"
    )
    if r["mismatches"] or r["rtl_accuracy"] != r["golden_accuracy"]:
        raise UserError(
            f"RTL and golden model differ on {r['mismatches']} of {r['n']} image(s) "
            f"(RTL accuracy {r['rtl_accuracy']} %, golden {r['golden_accuracy']} %): "
            f"{r['first_mismatches']}"
        )
    emit(args, r, text)


def cmd_report(args):
    from report.performance import report
    from report.rows import lanes_label

    from .rtl_model import measure_timing

    lanes = args.lanes_list
    result = report(
        lanes=lanes,
        out_dir=args.out,
        measure=None if args.no_sim else measure_timing,
        checkpoint=args.checkpoint or "",
        force=args.force,
        models=args.models,
    )
    lines = [
        f"{r['format']} {lanes_label(r):>14} lanes, {r['pixels_per_beat']} px/beat: II "
        f"{r['initiation_interval']:>6} cycles ({r['images_per_s_100mhz']:,.0f} img/s at "
        f"100 MHz), LUT {r['area']['LUT']} ({100 * r['lut_share']:.0f} %), FF {r['area']['FF']}, "
        f"RAMB18 {r['area']['RAMB18_equiv']}, DSP {r['area']['DSP48E1']}, "
        f"LUT levels {r['area']['logic_depth']}; bound: {r['bound']}"
        for r in result["rows"]
    ]
    lines += [
        f"LUTs per fabric lane, {c['format']}: {c['lut_per_fabric_lane']:g} ({c['lanes']} "
        f"lanes, {c['dsp_lanes'][0]} vs {c['dsp_lanes'][1]} DSP lanes)"
        for c in result["fabric_lane_cost"]
    ]
    lines.append("images/s assume 100 MHz; timing closure is not checked here (no Vivado)")
    emit(args, result, "\n".join(lines))


def register(sub):
    from hw.cli import add_request_args, lane_list, model_list

    p = sub.add_parser("verify", help="stream MNIST test images through the RTL (Verilator)")
    add_request_args(p, "simulation")
    p.add_argument("--limit", type=positive_int, default=None, help="only the first N test images")
    p.add_argument("--gap", type=probability, default=0.0, help="input idle probability per cycle")
    p.add_argument("--stall", type=probability, default=0.0, help="output refusal probability")
    p.add_argument("--seed", type=int_at_least(0), default=1)
    p.add_argument(
        "--load",
        default=None,
        help="with --weights loadable: the checkpoint or lst quantize directory to load "
        "through the load port (default: --checkpoint's)",
    )
    add_data(p)
    add_json(p)
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("report", help="area and cycle report -> docs/performance.md")
    p.add_argument("--checkpoint", default=None)
    p.add_argument(
        "--lanes-list",
        type=lane_list,
        default=None,
        help="comma-separated lane counts: only the rows at these (q5.7 at each; with 28, "
        "the all-fabric 28; q2.6 at 56, 112, 196; with 112, LUTs per fabric lane); "
        "default: all",
    )
    p.add_argument("--out", default="docs", help="where the table and plot go")
    add_force(p, "the report files if 'lst report' did not write them")
    p.add_argument("--no-sim", action="store_true", help="skip the cycle measurement")
    p.add_argument(
        "--models",
        type=model_list,
        default=None,
        help="comma-separated models of the per-model table at 28 and 56 lanes "
        "(default: lst1,lst2,reslst3, or the checkpoint's)",
    )
    add_json(p)
    p.set_defaults(func=cmd_report)
