"""``lst board vivado``, ``lst board driver`` and ``lst board axi``: the processor-system
path's actions of the ``lst board`` group (torch-free; ``boards/cli.py`` adds them)."""

from __future__ import annotations

from lst.cliutil import add_force, add_json, emit, positive_float

__all__ = ["add_actions"]


def cmd_vivado(args):
    from hw.cli import dry_run, prepare_from_args
    from lst.outputs import check_dir

    from .vivado import KIND, VivadoBuild, write_vivado

    out = args.out or f"build/vivado-{args.board}"
    # Refuse a bad --out, then a request that breaks a rule, before any work.
    if not args.dry_run:
        check_dir(out, kind=KIND, force=args.force)
    prepared = prepare_from_args(args, "zynq", **_fixed(args), clock_mhz=args.fclk_mhz)
    if dry_run(args, prepared):
        return
    build = VivadoBuild(
        board=args.board,
        lanes=prepared.request.lanes,
        format=args.format,
        checkpoint=args.checkpoint or "",
        fclk_mhz=args.fclk_mhz,
        weights=args.weights,
        model=args.model or "",
        dsp_lanes=-1 if args.dsp_lanes is None else args.dsp_lanes,
        fabric_style=args.fabric_style or "",
        packed_dsp=args.packed_dsp,
    )
    m = write_vivado(build, out, force=args.force, prepared=prepared)
    obj = {
        "out_dir": out,
        "board": m["board"],
        "part": m["part"],
        "board_part": m["board_part"],
        "vivado": m["vivado"],
        "fclk_mhz": m["fclk_mhz"],
        "script": f"{out}/{m['script']}",
        "build_script": f"{out}/build.sh",
        "verilog": f"{out}/hdl/lst_axi.v",
        "driver_dir": f"{out}/driver",
        "bitstream": f"{out}/{m['outputs']['bitstream']}",
        "hwh": f"{out}/{m['outputs']['hwh']}",
        "weights_digest": m["weights_digest"],
        "weights": build.weights,
        "build_request": m["build_request"],
        "files": sorted(m["files_sha256"]),
    }
    emit(
        args,
        obj,
        f"Vivado {m['vivado']['written_for']} build for {m['board']} ({m['part']}, FCLK0 "
        f"{m['fclk_mhz']:g} MHz) written to {out}/; run {out}/build.sh where Vivado is "
        f"installed: it leaves lst.bit and lst.hwh in {out}/driver/",
    )


def _fixed(args) -> dict:
    """The settings the AXI commands fix: 4 pixels per 32-bit beat."""
    from hw.request import AXI_PIXELS_PER_BEAT

    return {"pixels_per_beat": AXI_PIXELS_PER_BEAT}


def cmd_driver(args):
    from hw.cli import dry_run, prepare_from_args
    from lst.outputs import check_dir

    from .package import KIND, write_driver

    if not args.dry_run:
        check_dir(args.out, kind=KIND, force=args.force)
    prepared = prepare_from_args(args, "axi", **_fixed(args))
    if dry_run(args, prepared):
        return
    m, files = write_driver(args.out, prepared, force=args.force)
    obj = {
        "out_dir": args.out,
        "files": files,
        "weights_digest": m["weights_digest"],
        "lanes": m["config"]["lanes"],
        "build_request": m["build_request"],
    }
    emit(
        args,
        obj,
        f"driver for the {m['config']['lanes']}-lane wrapper written to {args.out}/; copy it "
        "to the board with lst.bit and lst.hwh and run 'python3 run_lst.py -n 1000'",
    )


def cmd_axi(args):
    from hw.cli import dry_run, prepare_from_args
    from lst.outputs import check_dir

    from .generate import KIND, generate

    if not args.dry_run:
        check_dir(args.out, kind=KIND, force=args.force)
    prepared = prepare_from_args(args, "axi", **_fixed(args))
    if dry_run(args, prepared):
        return
    config = prepared.config
    m = generate(
        config, args.out, qmodel=prepared.qmodel, force=args.force, record=prepared.record()
    )
    obj = {
        "out_dir": args.out,
        "verilog": f"{args.out}/{m['verilog']}",
        "manifest": f"{args.out}/lst_axi.json",
        "top": m["top"],
        "weights_digest": m["weights_digest"],
        "timing": m["timing"],
        "build_request": m["build_request"],
    }
    emit(args, obj, f"{obj['verilog']}: AXI wrapper with a {config.lanes}-lane core")


def add_actions(bsub) -> None:
    """Add ``vivado``, ``driver`` and ``axi`` to the ``lst board`` subparsers."""
    from hw.cli import add_request_args

    p = bsub.add_parser(
        "vivado",
        help="write the Zynq PS block design build (wrapper, DMA, TCL, driver) for Vivado",
    )
    add_request_args(p, "zynq", weights="loadable")
    p.add_argument("--fclk-mhz", type=positive_float, default=100.0, help="FCLK0 (PL clock)")
    p.add_argument("--out", default=None, help="build directory (default build/vivado-BOARD)")
    add_force(p)
    add_json(p)
    p.set_defaults(func=cmd_vivado)

    p = bsub.add_parser("driver", help="write the host driver and its CLI for the board")
    add_request_args(p, "axi", weights="loadable")
    p.add_argument("--out", required=True, help="output directory")
    add_force(p)
    add_json(p)
    p.set_defaults(func=cmd_driver)

    p = bsub.add_parser("axi", help="generate the AXI wrapper's Verilog (lst_axi.v)")
    add_request_args(p, "axi")
    p.add_argument("--out", default="build/axi", help="output directory (default build/axi)")
    add_force(p)
    add_json(p)
    p.set_defaults(func=cmd_axi)
