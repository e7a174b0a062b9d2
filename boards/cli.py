"""``lst board``: Zybo Z7 build plans, MMCM dividers and the self-test's area (torch-free)."""

from __future__ import annotations

from lst.cliutil import add_data, add_force, add_json, emit, positive_float, positive_int

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
        lanes=args.lanes,
        pixels_per_beat=args.pixels_per_beat,
        format=args.format,
        checkpoint=args.checkpoint or "",
        model=args.model or "",
        dsp_lanes=-1 if args.dsp_lanes is None else args.dsp_lanes,
        fabric_style=args.fabric_style or "",
        clock_mhz=args.clock_mhz,
        count=args.count,
        images=args.images,
    )
    manifest = write_plan(build, out, force=args.force, data_dir=args.data_dir, prepared=prepared)
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


def cmd_clock(args):
    from hw.mmcm import mmcm_settings

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
    from hw.config import SUPPORTED_LANES

    board = sub.add_parser("board", help="Zybo Z7: build plans, MMCM clock, self-test area")
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
    add_data(p)
    add_force(p)
    add_json(p)
    p.set_defaults(func=cmd_bitstream)

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
