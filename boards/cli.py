"""``lst board``: Zybo Z7 build plans, MMCM dividers and the self-test's area (torch-free)."""

from __future__ import annotations

from lst.cliutil import add_data, add_force, add_json, emit, positive_float, positive_int

__all__ = ["register"]


def _build(args):
    from .build import BoardBuild

    return BoardBuild(
        board=args.board,
        lanes=args.lanes,
        pixels_per_beat=args.pixels_per_beat,
        format=args.format,
        checkpoint=args.checkpoint or "",
        clock_mhz=args.clock_mhz,
        count=args.count,
        images=args.images,
    )


def cmd_bitstream(args):
    from .build import run_vivado, vivado_executable, write_plan

    build = _build(args)
    out = args.out or f"build/{build.board}"
    manifest = write_plan(build, out, force=args.force, data_dir=args.data_dir)
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
    from .mmcm import mmcm_settings

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
    from hw.config import SUPPORTED_LANES, SUPPORTED_PIXELS_PER_BEAT

    from .zybo_z7 import BOARDS

    board = sub.add_parser("board", help="Zybo Z7: build plans, MMCM clock, self-test area")
    bsub = board.add_subparsers(dest="board_command", required=True, metavar="ACTION")

    p = bsub.add_parser(
        "bitstream",
        help="write the self-test's Vivado build plan (and run it when vivado is on PATH)",
    )
    p.add_argument("--board", default="zybo-z7-10", choices=tuple(BOARDS))
    p.add_argument("--checkpoint", default=None, help="default: models/lst1.safetensors")
    p.add_argument("--lanes", type=int, default=28, choices=SUPPORTED_LANES)
    p.add_argument("--format", default="q5.7", help="weight format, e.g. q5.7")
    p.add_argument("--pixels-per-beat", type=int, default=1, choices=SUPPORTED_PIXELS_PER_BEAT)
    p.add_argument("--clock-mhz", type=positive_float, default=100.0, help="core clock (MMCM)")
    p.add_argument("--count", type=positive_int, default=64, help="self-test images (ROM)")
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
