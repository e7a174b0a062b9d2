"""``lst board``: Zybo Z7 build plans, ULX3S bitstreams and ECP5 place and route (the open
flow), MMCM dividers and the self-test's area (torch-free)."""

from __future__ import annotations

from lst.cliutil import (
    add_data,
    add_force,
    add_json,
    emit,
    int_at_least,
    positive_float,
    positive_int,
)

__all__ = ["register"]


def cmd_bitstream(args):
    from hw.cli import dry_run, prepare_from_args
    from lst.outputs import check_dir

    from .build import BoardBuild, run_vivado, vivado_executable, write_plan

    out = args.out or f"build/{args.board}"
    # Refuse a bad --out, then a request that breaks a rule, before any work.
    if not args.dry_run:
        check_dir(out, kind="board bitstream", force=args.force)
    prepared = prepare_from_args(args, "selftest", clock_mhz=args.clock_mhz, images=args.count)
    if dry_run(args, prepared):
        return
    build = BoardBuild(
        board=args.board,
        lanes=prepared.request.lanes,
        pixels_per_beat=args.pixels_per_beat,
        format=args.format,
        checkpoint=args.checkpoint or "",
        model=args.model or "",
        dsp_lanes=-1 if args.dsp_lanes is None else args.dsp_lanes,
        fabric_style=args.fabric_style or "",
        packed_dsp=args.packed_dsp,
        clock_mhz=args.clock_mhz,
        count=args.count,
        images=args.images,
        seed=args.seed,
    )
    manifest = write_plan(
        build,
        out,
        force=args.force,
        data_dir=args.data_dir,
        prepared=prepared,
        ignore_timing=args.ignore_timing,
    )
    clk = manifest["clock"]
    obj = {
        "out_dir": out,
        "board": build.board,
        "part": manifest["part"],
        "top": manifest["top"],
        "files": sorted(manifest["files_sha256"]),
        "script": f"{out}/{manifest['script']}",
        "clock": clk,
        "images": manifest["images"],
        "settings": manifest["settings"],
        "build_request": manifest["build_request"],
        "vivado": None,
    }
    if build.open_flow:
        impl = obj["implementation"] = manifest["implementation"]
        obj["bitstream"] = f"{out}/{manifest['bitstream']}"
        clock = next(iter(impl["clocks"].values()))
        met = "NOT met (--ignore-timing)" if impl["timing_ignored"] else "met"
        text = (
            f"{obj['bitstream']}: {build.board} ({manifest['part']}), {build.lanes} lanes at "
            f"{clk['f_out_mhz']:g} MHz; routed Fmax {clock['fmax_mhz']:g} MHz, timing {met} "
            f"(slack {clock['slack_ns']:+.3f} ns); reports in {out}/"
        )
        emit(args, obj, text)
        return
    vivado = vivado_executable() if not args.no_run else None
    if vivado:
        run_vivado(out)
        obj["vivado"] = vivado
        obj["bitstream"] = f"{out}/{manifest['bitstream']}"
        text = f"{obj['bitstream']}: routed timing met, bitstream written ({out}/)"
    else:
        why = "--no-run given" if args.no_run else "vivado is not on PATH"
        obj["note"] = why
        # The plan is the product here: one line, exit 0.
        text = (
            f"build plan for {build.board} ({manifest['part']}, {build.lanes} lanes, "
            f"{clk['f_out_mhz']:g} MHz, {manifest['images']}) written to {out}/; {why}: "
            f"run 'cd {out} && ./{manifest['script']}' where Vivado is installed"
        )
    emit(args, obj, text)


def cmd_pnr(args):
    from hw.cli import dry_run, prepare_from_args
    from lst.outputs import check_dir, write_dir
    from report.routed import record

    from .pnr import place_and_route

    device = args.device or "lfe5u-85f"
    prepared = prepare_from_args(args, "pnr", device=device, clock_mhz=args.clock_mhz)
    out = args.out or f"build/pnr/{prepared.config.name}_{device}"
    if dry_run(args, prepared):
        return
    check_dir(out, kind="board pnr", force=args.force)
    result = {}

    def write(tmp):
        from .open_flow import TimingError, check_timing

        result.update(place_and_route(prepared, tmp, clock_mhz=args.clock_mhz, seed=args.seed))
        result["timing_ignored"] = False
        try:
            check_timing(result)
        except TimingError:
            if not args.ignore_timing:
                raise
            result["timing_ignored"] = True

    write_dir(out, kind="board pnr", write=write, force=args.force)
    result["out_dir"] = out
    if args.record:
        result["recorded"] = record(result, args.record)
    p = result["critical_path"] or {}
    emit(
        args,
        result,
        f"{result['config']} on the {result['device']}: {result['fmax_mhz']:g} MHz after "
        f"routing ({result['constraint_mhz']:g} MHz constrained), {result['images_per_s']:,} "
        f"images/s at II {result['initiation_interval']}; worst path {p.get('from')} -> "
        f"{p.get('to')} ({p.get('logic_levels')} logic levels); in {out}/",
    )


def cmd_clock(args):
    from hw.fpga.mmcm import mmcm_settings

    s = mmcm_settings(args.clock_mhz, tolerance=args.tolerance)
    d = s.to_dict()
    emit(
        args,
        d,
        f"{d['f_out_mhz']:g} MHz = 125 MHz x {d['CLKFBOUT_MULT_F']:g} / "
        f"({d['DIVCLK_DIVIDE']} x {d['CLKOUT0_DIVIDE_F']:g}), VCO {d['f_vco_mhz']:g} MHz",
    )


def cmd_report(args):
    from .report import report

    result = report(lanes=args.lanes, out_dir=args.out, work=args.work)
    lines = [
        f"{r['design']}: LUT {r['area']['LUT']:,}, FF {r['area']['FF']:,}, RAMB18 "
        f"{r['area']['RAMB18_equiv']}, DSP {r['area']['DSP48E1']} "
        f"({'fits' if r['fits'] else 'does NOT fit'} the {r['device']})"
        for r in result["rows"]
    ]
    emit(args, result, "\n".join(lines))


def register(sub):
    from hw.cli import add_request_args
    from hw.plan.config import SUPPORTED_LANES

    board = sub.add_parser(
        "board", help="boards: Zybo Z7 build plans, ULX3S bitstreams, ECP5 place and route"
    )
    bsub = board.add_subparsers(dest="board_command", required=True, metavar="ACTION")

    p = bsub.add_parser(
        "bitstream",
        help="write the self-test's Vivado build plan (and run it when vivado is on PATH)",
    )
    add_request_args(p, "selftest")
    p.add_argument("--clock-mhz", type=positive_float, default=100.0, help="core clock (MMCM)")
    p.add_argument(
        "--count", type=positive_int, default=64, help="self-test images (ROM; at most 10000)"
    )
    p.add_argument(
        "--images",
        default="auto",
        choices=("auto", "mnist", "stress"),
        help="auto: MNIST test images if found, else stress images",
    )
    p.add_argument("--out", default=None, help="build directory (default build/BOARD)")
    p.add_argument("--no-run", action="store_true", help="only write the plan, even with vivado")
    p.add_argument("--seed", type=int_at_least(0), default=1, help="nextpnr's seed (ULX3S)")
    p.add_argument(
        "--ignore-timing",
        action="store_true",
        help="ULX3S: keep the bitstream although routed timing misses the clock (recorded)",
    )
    add_data(p)
    add_force(p)
    add_json(p)
    p.set_defaults(func=cmd_bitstream)

    p = bsub.add_parser(
        "pnr",
        help="place and route the core out of context on an ECP5 (open flow): post-route "
        "Fmax, critical path, utilisation",
    )
    add_request_args(p, "pnr")
    p.add_argument(
        "--clock-mhz", type=positive_float, default=100.0, help="the clock constraint (MHz)"
    )
    p.add_argument("--seed", type=int_at_least(0), default=1, help="nextpnr's seed")
    p.add_argument(
        "--ignore-timing",
        action="store_true",
        help="keep the result although routed timing misses the constraint (recorded)",
    )
    p.add_argument("--out", default=None, help="build directory (default build/pnr/CONFIG_DEVICE)")
    p.add_argument(
        "--record",
        default=None,
        metavar="DIR",
        help="add the result to DIR/performance.json and re-render performance.md (docs)",
    )
    add_force(p)
    add_json(p)
    p.set_defaults(func=cmd_pnr)

    p = bsub.add_parser("clock", help="MMCM dividers for a core clock from 125 MHz")
    p.add_argument("--clock-mhz", type=positive_float, default=100.0)
    p.add_argument(
        "--tolerance", type=float, default=1e-3, help="relative error allowed (default 0.001)"
    )
    add_json(p)
    p.set_defaults(func=cmd_clock)

    p = bsub.add_parser(
        "report", help="Yosys area of the self-test top beside the core's -> docs/performance.md"
    )
    p.add_argument("--lanes", type=int, default=28, choices=SUPPORTED_LANES)
    p.add_argument("--out", default="docs", help="where performance.md/.json are")
    p.add_argument("--work", default="build/board-report", help="Yosys work directory")
    add_json(p)
    p.set_defaults(func=cmd_report)

    # The processor-system path's actions (boards/zynq), when present.
    try:
        from .zynq.cli import add_actions
    except ModuleNotFoundError as exc:
        if exc.name not in ("boards.zynq", "boards.zynq.cli"):
            raise
    else:
        add_actions(bsub)
