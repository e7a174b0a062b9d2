"""``lst verilog`` and ``lst report`` (torch-free)."""

from __future__ import annotations

from lst.cliutil import UserError, add_force, add_json, emit

__all__ = ["add_core_args", "core_config", "register"]


def core_config(args):
    """The :class:`~hw.config.CoreConfig` named by the options of :func:`add_core_args`."""
    from .config import CoreConfig

    return CoreConfig(
        lanes=args.lanes,
        pixels_per_beat=args.pixels_per_beat,
        format=args.format,
        checkpoint=args.checkpoint or "",
        model=args.model or "",
        weights=getattr(args, "weights", "baked"),
    )


def cmd_verilog(args):
    from lst.outputs import check_dir
    from quant.cli import quantize_for_command

    from .verilog import generate, lint

    config = core_config(args)
    # Refuse a bad --out and a saturating format before any work.
    check_dir(args.out, kind="verilog", inputs=[config.checkpoint_path()], force=args.force)
    qmodel = quantize_for_command(
        config.checkpoint_path(),
        config.format,
        model=getattr(config, "model", None),
        allow_saturation=args.allow_saturation,
    )
    manifest = generate(config, args.out, qmodel=qmodel, force=args.force)
    obj = {
        "out_dir": manifest["out_dir"],
        "verilog": f"{manifest['out_dir']}/{manifest['verilog']}",
        "manifest": f"{manifest['out_dir']}/lst_core.json",
        "roms": {
            k: {
                "mem": f"{manifest['out_dir']}/{v['mem']}",
                "coe": f"{manifest['out_dir']}/{v['coe']}",
            }
            for k, v in manifest["roms"].items()
        },
        "config": manifest["config"],
        "quantization": manifest["quantization"],
        "timing": manifest["timing"],
        "ports": manifest["ports"],
    }
    if args.lint:
        results = lint(obj["verilog"])
        obj["lint"] = {k: v[0] for k, v in results.items()}
        bad = [f"{k}: {v[1].strip()}" for k, v in results.items() if not v[0]]
        if bad:
            raise UserError("lint failed: " + " | ".join(bad)[:2000])
    text = (
        f"{obj['verilog']} ({config.model}, {config.lanes} lanes, {config.format}, "
        f"II {config.initiation_interval} cycles) and ROM images in {obj['out_dir']}/rom"
    )
    emit(args, obj, text)


def cmd_report(args):
    from .report import report

    lanes = args.lanes_list
    result = report(
        lanes=lanes,
        out_dir=args.out,
        simulate=not args.no_sim,
        checkpoint=args.checkpoint or "",
        force=args.force,
        models=args.models,
    )
    lines = [
        f"{r['lanes']:>3} lanes: II {r['initiation_interval']:>6} cycles "
        f"({r['images_per_s_100mhz']:,.0f} img/s at 100 MHz), LUT {r['area']['LUT']}, "
        f"FF {r['area']['FF']}, RAMB18 {r['area']['RAMB18_equiv']}, DSP {r['area']['DSP48E1']}"
        for r in result["rows"]
    ]
    emit(args, result, "\n".join(lines))


def _lane_list(text: str) -> list[int]:
    import argparse

    from .config import SUPPORTED_LANES

    try:
        lanes = [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list") from None
    bad = [n for n in lanes if n not in SUPPORTED_LANES]
    if bad:
        raise argparse.ArgumentTypeError(
            f"{bad[0]} lanes is not supported; choose from {', '.join(map(str, SUPPORTED_LANES))}"
        )
    return lanes


def _model_list(text: str) -> list[str]:
    import argparse

    from .config import SUPPORTED_MODELS

    models = [v.strip() for v in text.split(",")]
    bad = [m for m in models if m not in SUPPORTED_MODELS]
    if bad:
        raise argparse.ArgumentTypeError(
            f"unknown model {bad[0]!r}; choose from {', '.join(SUPPORTED_MODELS)}"
        )
    return models


def add_core_args(p):
    """The generator options shared by ``lst verilog``, ``lst verify`` and the board
    commands."""
    from quant.cli import add_quantize_args

    from .config import SUPPORTED_LANES, SUPPORTED_MODELS, SUPPORTED_PIXELS_PER_BEAT, WEIGHT_MODES

    p.add_argument(
        "--model",
        default=None,
        choices=SUPPORTED_MODELS,
        help="default: the checkpoint's (its metadata, else its tensors), else lst1",
    )
    p.add_argument(
        "--checkpoint", default=None, help="default: the model's, models/MODEL.safetensors"
    )
    p.add_argument("--lanes", type=int, default=28, choices=SUPPORTED_LANES)
    p.add_argument("--format", default="q5.7", help="weight format, e.g. q5.7")
    p.add_argument("--pixels-per-beat", type=int, default=1, choices=SUPPORTED_PIXELS_PER_BEAT)
    p.add_argument(
        "--weights",
        default="baked",
        choices=WEIGHT_MODES,
        help="loadable: the memories also take a load image through the load port",
    )
    add_quantize_args(p)


def register(sub):

    p = sub.add_parser("verilog", help="generate the core's Verilog and ROM images")
    add_core_args(p)
    p.add_argument(
        "--out", default="build/verilog", help="output directory (default build/verilog/)"
    )
    add_force(p)
    p.add_argument(
        "--lint",
        action="store_true",
        help="also run verilator --lint-only -Wall and iverilog -g2005",
    )
    add_json(p)
    p.set_defaults(func=cmd_verilog)

    p = sub.add_parser("report", help="area and cycle report -> docs/performance.md")
    p.add_argument("--checkpoint", default=None)
    p.add_argument(
        "--lanes-list", type=_lane_list, default=None, help="comma-separated lane counts"
    )
    p.add_argument("--out", default="docs", help="where the table and plot go")
    add_force(p, "the report files if 'lst report' did not write them")
    p.add_argument("--no-sim", action="store_true", help="skip the cycle measurement")
    p.add_argument(
        "--models",
        type=_model_list,
        default=None,
        help="comma-separated models of the per-model table at 28 and 56 lanes "
        "(default: lst1,lst2,reslst3, or the checkpoint's)",
    )
    add_json(p)
    p.set_defaults(func=cmd_report)
