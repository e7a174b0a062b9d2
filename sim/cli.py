"""``lst verify`` (the full-test-set RTL regression) and ``lst report`` (area and measured
cycles; it sits here, above ``hw`` and ``sim``, because it uses both). Torch-free."""

from __future__ import annotations

import os

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
    from .waves import check_waves_request

    if args.waves is not None:  # before any work: nothing is built for a trace that cannot go there
        try:
            check_waves_request(args.waves)
        except ValueError as e:
            raise UserError(f"--waves {e}") from None
    from lst.data import load_mnist

    load_mnist("test", args.data_dir, limit=1)  # the images are there: before any build
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
        diff=args.diff,
        waves=args.waves,
        waves_dir=args.waves_dir,
    )
    what = "butterfly" if getattr(config, "butterfly", False) else f"{config.lanes}-lane"
    lines = [
        f"{r['n']} images through the {what} RTL: {r['mismatches']} mismatches, "
        f"RTL accuracy {r['rtl_accuracy']:.2f} %, golden {r['golden_accuracy']:.2f} %, "
        f"II {r['initiation_interval_cycles']} cycles, latency {r['latency_cycles']} cycles"
    ]
    if r["trace"]:
        t = r["trace"]
        lines.append(
            f"trace of the first {t['images']} image(s): {t['file']} (gtkwave {t['gtkw']})"
        )
    if r["diff"]:
        d = r["diff"]
        lines.append(
            f"stage by stage: {d['diverging_images']} of {d['images']} image(s) diverge"
            + (f"; first: {d['first'][0]['text']}" if d["first"] else "")
        )
    if (
        r["mismatches"]
        or r["rtl_accuracy"] != r["golden_accuracy"]
        or (r["diff"] and r["diff"]["diverging_images"])
    ):
        if not args.json:
            print("\n".join(lines))
        raise UserError(_failure_line(r))
    emit(args, r, "\n".join(lines))


def _failure_line(r: dict) -> str:
    """One line: how many images differ, the first one's trace and first divergence."""
    text = (
        f"RTL and golden model differ on {r['mismatches']} of {r['n']} image(s) "
        f"(RTL accuracy {r['rtl_accuracy']} %, golden {r['golden_accuracy']} %): "
        f"{r['first_mismatches']}"
    )
    f = r["failure"]
    if f is not None:
        text += f"; image {f['image']} alone: trace {f['trace']}"
        if f["divergence"]:
            text += f"; {f['divergence']['text']}"
        elif not f["reproduced"]:
            text += " (alone it matches: the mismatch depends on the run's flow control)"
    elif r["diff"] and r["diff"]["first"]:
        text += f"; {r['diff']['first'][0]['text']}"
    return text


def cmd_report(args):
    from report.performance import report
    from report.rows import lanes_label

    from .rtl_model import measure_timing

    if args.transform:
        from report.performance import record_transform
        from report.transform import TITLES, measure_transform

        section = measure_transform(
            measure=None if args.no_sim else measure_timing, data_dir=args.data_dir
        )
        result = record_transform(section, args.out, force=args.force)
        lines = [
            f"{TITLES[r['model']]} "
            f"{'butterfly' if r['passes'] == 'butterfly' else str(r['lanes']) + ' lanes'}: "
            f"II {r['initiation_interval']} cycles "
            f"({r['images_per_s_100mhz']:,} img/s at 100 MHz), LUT {r['area']['LUT']:,}, FF "
            f"{r['area']['FF']:,}, RAMB18 {r['area']['RAMB18_equiv']}, DSP "
            f"{r['area']['DSP48E1']}; q5.7 {r['accuracy']['fixed']:.2f} % (float "
            f"{r['accuracy']['float']:.2f} %)"
            for r in section["rows"]
        ]
        emit(args, result["transform"], "\n".join(lines))
        return

    lanes = args.lanes_list
    result = report(
        lanes=lanes,
        out_dir=args.out,
        measure=None if args.no_sim else measure_timing,
        checkpoint=args.checkpoint or "",
        force=args.force,
        models=args.models,
        jobs=args.jobs,
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
    p.add_argument(
        "--diff",
        action="store_true",
        help="compare every stage of every image with the golden model and print the first "
        "divergence (stage, block, row/column, lane, cycle); runs the probe build",
    )
    p.add_argument(
        "--waves",
        default=None,
        metavar="FILE",
        help="write a waveform of the first 100 images (FILE.fst: FST, FILE.vcd: VCD) and "
        "a GTKWave save file FILE.gtkw beside it",
    )
    p.add_argument(
        "--waves-dir",
        default="build/waves",
        help="where a failing image's trace goes (default: build/waves)",
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
        "the all-fabric 28; q2.6 at 56, 112, 196, packed at 112, 168, 196; with 112, "
        "LUTs per fabric lane); default: all",
    )
    p.add_argument("--out", default="docs", help="where the table and plot go")
    add_force(p, "the report files if 'lst report' did not write them")
    p.add_argument("--no-sim", action="store_true", help="skip the cycle measurement")
    p.add_argument(
        "--transform",
        action="store_true",
        help="only the transform-domain cores (HT-1, DCT-1, BWT-1) beside LST-1: add them "
        "to --out's existing report (needs MNIST for their accuracy)",
    )
    add_data(p)
    p.add_argument(
        "--jobs",
        type=int_at_least(1),
        default=os.cpu_count() or 1,
        help="configurations synthesized side by side (default: the CPU count)",
    )
    p.add_argument(
        "--models",
        type=model_list,
        default=None,
        help="comma-separated models of the per-model table at 28 and 56 lanes "
        "(default: lst1,lst2,reslst3, or the checkpoint's)",
    )
    add_json(p)
    p.set_defaults(func=cmd_report)
