"""``lst quantize`` (ROM images and the hardware's load digests), ``lst verilog``, and the
generator options shared by the commands (torch-free)."""

from __future__ import annotations

from lst.cliutil import UserError, add_force, add_json, emit

__all__ = [
    "add_request_args",
    "dry_run",
    "lane_list",
    "model_list",
    "prepare_from_args",
    "register",
    "request_from_args",
]


def cmd_quantize(args):
    from lst.outputs import check_dir
    from quant.cli import quantize_for_command

    from .plan.load_image import write_quantized_model

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

    from .verilog import generate, lint

    # Refuse a bad --out, then a request that breaks a rule, before any work.
    if not args.dry_run:
        check_dir(args.out, kind="verilog", force=args.force)
    build = prepare_from_args(args, "core")
    if dry_run(args, build):
        return
    config = build.config
    if build.request.transform:
        from .transform_verilog import generate_transform as generate
    manifest = generate(
        config, args.out, qmodel=build.qmodel, force=args.force, record=build.record()
    )
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
        "build_request": manifest["build_request"],
    }
    if args.lint:
        results = lint(obj["verilog"])
        obj["lint"] = {k: v[0] for k, v in results.items()}
        bad = [f"{k}: {v[1].strip()}" for k, v in results.items() if not v[0]]
        if bad:
            raise UserError("lint failed: " + " | ".join(bad)[:2000])
    fabric = getattr(config, "fabric_lanes", 0)
    split = f" ({config.dsp_lanes} DSP, {fabric} fabric)" if fabric else ""
    lanes = "butterfly passes" if getattr(config, "butterfly", False) else f"{config.lanes} lanes"
    text = (
        f"{obj['verilog']} ({config.model}, {lanes}{split}, {config.format}, "
        f"II {config.initiation_interval} cycles) and ROM images in {obj['out_dir']}/rom"
    )
    emit(args, obj, text)


def lane_list(text: str) -> list[int]:
    import argparse

    from .plan.config import SUPPORTED_LANES

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

    from .plan.config import SUPPORTED_MODELS

    models = [v.strip() for v in text.split(",")]
    bad = [m for m in models if m not in SUPPORTED_MODELS]
    if bad:
        raise argparse.ArgumentTypeError(
            f"unknown model {bad[0]!r}; choose from {', '.join(SUPPORTED_MODELS)}"
        )
    return models


#: The options of each target beyond the shared ones (:func:`add_request_args`).
TARGET_OPTIONS = {
    "core": ("pixels_per_beat", "weights", "device", "board", "fit"),
    "selftest": ("pixels_per_beat", "board!", "fit"),
    "axi": ("weights", "device", "board", "fit"),
    "zynq": ("weights", "board!", "fit"),
    "pnr": ("pixels_per_beat", "device", "fit"),
    "simulation": ("pixels_per_beat", "weights", "device"),
}


def add_request_args(p, target: str, *, weights: str = "baked") -> None:
    """The options of a build request (:class:`hw.request.BuildRequest`) for ``target``:
    the same names, defaults and checks in every hardware command. ``weights`` is the
    default of ``--weights`` where the target has it."""
    from lst.cliutil import int_at_least
    from lst.transform.arch import TRANSFORM_MODELS
    from quant.cli import add_quantize_args

    from .fpga.device import BOARD_DEVICES, DEVICES
    from .plan.config import (
        DEFAULT_DEVICE,
        DEFAULT_STYLE,
        FABRIC_STYLES,
        SUPPORTED_LANES,
        SUPPORTED_MODELS,
        SUPPORTED_PIXELS_PER_BEAT,
        WEIGHT_MODES,
    )
    from .plan.transform_config import HADAMARD_STRUCTURES, transform_lane_counts

    options = TARGET_OPTIONS[target]
    p.add_argument(
        "--model",
        default=None,
        choices=(*SUPPORTED_MODELS, *TRANSFORM_MODELS),
        help="default: the checkpoint's (its metadata, else its tensors), else lst1; ht1, "
        "dct1, bwt1: the transform-domain cores (lst verilog, lst verify)",
    )
    p.add_argument(
        "--checkpoint", default=None, help="default: the model's, models/MODEL.safetensors"
    )
    lanes = set(SUPPORTED_LANES)
    lanes |= {n for a in TRANSFORM_MODELS.values() for n in transform_lane_counts(a)}
    p.add_argument(
        "--lanes",
        type=int,
        default=None,
        choices=sorted(lanes),
        help="default: 28 (the transform-domain cores: their coefficients' side, 32 or 28)",
    )
    p.add_argument("--format", default="q5.7", help="weight format, e.g. q5.7")
    p.add_argument(
        "--hadamard",
        default=None,
        choices=HADAMARD_STRUCTURES,
        help="ht1's passes: butterfly pipelines (adders only, two images at once) or lanes "
        "(±1 accumulators, --lanes of them); default: butterfly",
    )
    if "pixels_per_beat" in options:
        p.add_argument("--pixels-per-beat", type=int, default=1, choices=SUPPORTED_PIXELS_PER_BEAT)
    if "weights" in options:
        p.add_argument(
            "--weights",
            default=weights,
            choices=WEIGHT_MODES,
            help=f"loadable: the memories also take a load image through the load port "
            f"(default {weights})",
        )
    if "board!" in options:
        p.add_argument("--board", default="zybo-z7-10", choices=tuple(BOARD_DEVICES))
    elif "board" in options:
        p.add_argument(
            "--board", default=None, choices=tuple(BOARD_DEVICES), help="sets the device"
        )
    if "device" in options:
        p.add_argument(
            "--device",
            default=None,
            choices=sorted(DEVICES),
            help=f"target part: its resources for the fit check, its DSP48E1 count for "
            f"the default --dsp-lanes (default: the board's, else {DEFAULT_DEVICE})",
        )
    p.add_argument(
        "--dsp-lanes",
        type=int_at_least(0),
        default=None,
        help="lanes built as DSP48E1 slices, the rest from LUTs "
        "(default: as many as the device has; 0: all fabric)",
    )
    p.add_argument(
        "--packed-dsp",
        action="store_true",
        help="two lanes per DSP48E1 slice (8-bit weights and data; --dsp-lanes then "
        "defaults to twice the device's slices)",
    )
    p.add_argument(
        "--fabric-style",
        default=None,
        choices=FABRIC_STYLES,
        help=f"the fabric lanes' multiplier (default {DEFAULT_STYLE}, the smallest measured)",
    )
    add_quantize_args(p)
    if "fit" in options:
        p.add_argument(
            "--ignore-fit",
            action="store_true",
            help="build although the area estimate exceeds the device (recorded in the manifest)",
        )
        p.add_argument(
            "--dry-run",
            action="store_true",
            help="check the request (format, saturation, fit, clock) and print it; write nothing",
        )


def request_from_args(args, target: str, **fixed):
    """The :class:`~hw.request.BuildRequest` named by the options of
    :func:`add_request_args` (``fixed``: settings the command sets itself)."""
    from lst.transform.arch import is_transform_model

    from .request import BuildRequest

    default_lanes = 0 if is_transform_model(args.model) else 28
    settings = {
        "target": target,
        "model": args.model or "",
        "checkpoint": args.checkpoint or "",
        "format": args.format,
        "lanes": default_lanes if args.lanes is None else args.lanes,
        "pixels_per_beat": getattr(args, "pixels_per_beat", None) or 1,
        "weights": getattr(args, "weights", None) or "baked",
        "dsp_lanes": -1 if args.dsp_lanes is None else args.dsp_lanes,
        "fabric_style": args.fabric_style or "",
        "packed_dsp": args.packed_dsp,
        "board": getattr(args, "board", None) or "",
        "device": getattr(args, "device", None) or "",
        "allow_saturation": args.allow_saturation,
        "ignore_fit": getattr(args, "ignore_fit", False),
        "hadamard": getattr(args, "hadamard", None) or "",
    }
    settings.update(fixed)
    return BuildRequest(**settings)


def prepare_from_args(args, target: str, **fixed):
    """Check the command's request (:func:`hw.request.prepare`) and say on stderr what
    the checks found: the quantization counts, then any note. Returns the
    :class:`~hw.request.Build`."""
    import sys

    from quant.cli import print_counts

    from .request import prepare

    build = prepare(request_from_args(args, target, **fixed))
    print_counts(build.qmodel)
    for note in build.notes:
        print(f"lst: note: {note}", file=sys.stderr)
    return build


def dry_run(args, build) -> bool:
    """With ``--dry-run``: print the checked request (one JSON object with ``--json``)
    and return True, writing nothing."""
    if not getattr(args, "dry_run", False):
        return False
    record = build.record()
    fit = record["fit"]
    use = ", ".join(f"{k} {fit['estimate'][k]:,}" for k in fit["estimate"])
    emit(
        args,
        record,
        f"{record['config']} ({build.request.target}) on the {fit['device']}: accepted; "
        f"estimated {use} ({'fits' if fit['fits'] else 'does NOT fit, --ignore-fit'}); "
        "nothing written (--dry-run)",
    )
    return True


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
    add_request_args(p, "core")
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
