"""``lst quantize`` (ROM images and the hardware's load digests), ``lst verilog``, and the
generator options shared by the commands (torch-free)."""

from __future__ import annotations

from lst.cliutil import UserError, add_force, add_json, emit

__all__ = ["add_core_args", "core_config", "lane_list", "model_list", "register"]


def core_config(args):
    """The :class:`~hw.config.CoreConfig` named by the options of :func:`add_core_args`."""
    from .config import DEFAULT_DEVICE, CoreConfig

    return CoreConfig(
        lanes=args.lanes,
        pixels_per_beat=args.pixels_per_beat,
        format=args.format,
        checkpoint=args.checkpoint or "",
        model=args.model or "",
        weights=getattr(args, "weights", "baked"),
        dsp_lanes=-1 if getattr(args, "dsp_lanes", None) is None else args.dsp_lanes,
        device=getattr(args, "device", None) or DEFAULT_DEVICE,
        fabric_style=getattr(args, "fabric_style", None) or "",
    )


def cmd_quantize(args):
    from lst.outputs import check_dir
    from quant.cli import quantize_for_command

    from .load_image import write_quantized_model

    # Refuse a bad --out before any work.
    check_dir(args.out, kind="quantize", inputs=[args.checkpoint], force=args.force)
    qm = quantize_for_command(
        args.checkpoint, args.format, model=args.model, allow_saturation=args.allow_saturation
    )
    manifest = write_quantized_model(qm, args.out, force=args.force)
    obj = {
        "model": manifest["model"],
        "format": qm.config.weight.name,
        "out": str(args.out),
        **qm.quantization_counts(),
        "accumulator_ranges": manifest["accumulator_ranges"],
        "checkpoint_sha256": qm.source["sha256"],
        "files": sorted(manifest["files_sha256"]),
    }
    text = (
        f"{obj['model']} quantized to {obj['format']} -> {args.out} "
        f"({obj['saturated']} value(s) saturated)"
    )
    emit(args, obj, text)


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
    split = (
        f" ({config.dsp_lanes} DSP, {config.fabric_lanes} fabric)" if config.fabric_lanes else ""
    )
    text = (
        f"{obj['verilog']} ({config.model}, {config.lanes} lanes{split}, {config.format}, "
        f"II {config.initiation_interval} cycles) and ROM images in {obj['out_dir']}/rom"
    )
    if config.bound == "input rate":
        import sys

        # The input stream, not the lanes, sets the interval: say so, and how to fix it.
        print(
            f"lst: note: the input rate bounds the initiation interval: "
            f"{config.load_cycles} cycles to receive 784 pixels at {config.pixels_per_beat} "
            f"per beat, the passes take {config.compute_cycles}; use --pixels-per-beat "
            f"{config.enough_pixels_per_beat} or more",
            file=sys.stderr,
        )
    emit(args, obj, text)


def lane_list(text: str) -> list[int]:
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


def model_list(text: str) -> list[str]:
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
    from lst.cliutil import int_at_least
    from quant.cli import add_quantize_args

    from .config import (
        DEFAULT_DEVICE,
        SUPPORTED_LANES,
        SUPPORTED_MODELS,
        SUPPORTED_PIXELS_PER_BEAT,
        WEIGHT_MODES,
    )
    from .device import DEVICES
    from .fabric_multiplier import DEFAULT_STYLE, FABRIC_STYLES

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
    p.add_argument(
        "--device",
        default=None,
        choices=sorted(DEVICES),
        help=f"target part; its DSP48E1 count sets the default --dsp-lanes ({DEFAULT_DEVICE})",
    )
    p.add_argument(
        "--dsp-lanes",
        type=int_at_least(0),
        default=None,
        help="lanes built as DSP48E1 slices, the rest from LUTs "
        "(default: as many as the device has; 0: all fabric)",
    )
    p.add_argument(
        "--fabric-style",
        default=None,
        choices=FABRIC_STYLES,
        help=f"the fabric lanes' multiplier (default {DEFAULT_STYLE}, the smallest measured)",
    )
    add_quantize_args(p)


def register(sub):
    from quant.cli import add_quantize_args

    p = sub.add_parser("quantize", help="quantize a checkpoint to fixed-point ROM images")
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--model", default=None, help="needed only if the checkpoint does not say")
    p.add_argument("--format", default="q5.7", help="weight format, e.g. q5.7, q3.5 or auto8")
    p.add_argument("--out", required=True, help="output directory")
    add_force(p)
    add_quantize_args(p)
    add_json(p)
    p.set_defaults(func=cmd_quantize)

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
