"""``lst board vivado``, ``lst board driver`` and ``lst board axi``: the processor-system
path's actions of the ``lst board`` group (torch-free; ``boards/cli.py`` adds them)."""

from __future__ import annotations

from lst.cliutil import add_force, add_json, emit, positive_float

__all__ = ["add_actions"]


def cmd_vivado(args):
    from .vivado import VivadoBuild, write_vivado

    build = VivadoBuild(
        board=args.board,
        lanes=args.lanes,
        format=args.format,
        checkpoint=args.checkpoint or "",
        fclk_mhz=args.fclk_mhz,
        weights=args.weights,
    )
    out = args.out or f"build/vivado-{build.board}"
    m = write_vivado(build, out, force=args.force)
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
        "files": sorted(m["files_sha256"]),
    }
    emit(
        args,
        obj,
        f"Vivado {m['vivado']['written_for']} build for {m['board']} ({m['part']}, FCLK0 "
        f"{m['fclk_mhz']:g} MHz) written to {out}/; run {out}/build.sh where Vivado is "
        f"installed: it leaves lst.bit and lst.hwh in {out}/driver/",
    )


def cmd_driver(args):
    from .package import DRIVER_FILES, write_driver

    m = write_driver(
        args.out, lanes=args.lanes, fmt=args.format, checkpoint=args.checkpoint or "",
        force=args.force, weights=args.weights,
    )  # fmt: skip
    obj = {
        "out_dir": args.out,
        "files": [*(f"lst_zynq/{n}" for n in DRIVER_FILES), "run_lst.py", "lst.json"],
        "weights_digest": m["weights_digest"],
        "lanes": m["config"]["lanes"],
    }
    emit(
        args,
        obj,
        f"driver for the {m['config']['lanes']}-lane wrapper written to {args.out}/; copy it "
        "to the board with lst.bit and lst.hwh and run 'python3 run_lst.py -n 1000'",
    )


def cmd_axi(args):
    from .generate import generate, wrapper_config

    config = wrapper_config(args.lanes, args.format, args.checkpoint or "", args.weights)
    m = generate(config, args.out, force=args.force)
    obj = {
        "out_dir": args.out,
        "verilog": f"{args.out}/{m['verilog']}",
        "manifest": f"{args.out}/lst_axi.json",
        "top": m["top"],
        "weights_digest": m["weights_digest"],
        "timing": m["timing"],
    }
    emit(args, obj, f"{obj['verilog']}: AXI wrapper with a {config.lanes}-lane core")


def _core_args(p, weights="loadable"):
    from hw.config import SUPPORTED_LANES, WEIGHT_MODES

    p.add_argument("--checkpoint", default=None, help="default: models/lst1.safetensors")
    p.add_argument("--lanes", type=int, default=28, choices=SUPPORTED_LANES)
    p.add_argument("--format", default="q5.7", help="weight format, e.g. q5.7")
    p.add_argument(
        "--weights",
        default=weights,
        choices=WEIGHT_MODES,
        help=f"loadable: the driver's load() swaps models at run time (default {weights})",
    )


def add_actions(bsub) -> None:
    """Add ``vivado``, ``driver`` and ``axi`` to the ``lst board`` subparsers."""
    from .vivado import BOARD_PARTS

    p = bsub.add_parser(
        "vivado",
        help="write the Zynq PS block design build (wrapper, DMA, TCL, driver) for Vivado",
    )
    p.add_argument("--board", default="zybo-z7-10", choices=tuple(BOARD_PARTS))
    _core_args(p)
    p.add_argument("--fclk-mhz", type=positive_float, default=100.0, help="FCLK0 (PL clock)")
    p.add_argument("--out", default=None, help="build directory (default build/vivado-BOARD)")
    add_force(p)
    add_json(p)
    p.set_defaults(func=cmd_vivado)

    p = bsub.add_parser("driver", help="write the host driver and its CLI for the board")
    _core_args(p)
    p.add_argument("--out", required=True, help="output directory")
    add_force(p)
    add_json(p)
    p.set_defaults(func=cmd_driver)

    p = bsub.add_parser("axi", help="generate the AXI wrapper's Verilog (lst_axi.v)")
    _core_args(p, weights="baked")
    p.add_argument("--out", default="build/axi", help="output directory (default build/axi)")
    add_force(p)
    add_json(p)
    p.set_defaults(func=cmd_axi)
