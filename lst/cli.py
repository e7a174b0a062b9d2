"""The ``lst`` command line: a thin layer over the library functions.

Every subcommand that reports figures accepts ``--json`` and then prints exactly one
JSON object on stdout; progress bars and logs go to stderr. Errors the user can fix
(missing data, bad checkpoints, bad arguments) are one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .cliutil import (
    UserError,
    add_data,
    add_force,
    add_json,
    emit,
    finite_float,
    int_at_least,
    positive_float,
    positive_int,
    probability,
)
from .errors import ConfigError, LSTError

__all__ = ["main"]


# ---------------------------------------------------------------- subcommands


def cmd_models(args):
    from .registry import count_params, registry

    rows = []
    for info in registry().values():
        net = info.build()
        row = {
            "name": info.name,
            "title": info.title,
            "dataset": info.dataset,
            "params": count_params(net),
            "macs": info.macs() if info.macs else None,
            "paper": info.paper,
            "description": info.description,
        }
        rows.append(row)
    text = "\n".join(
        f"{r['name']:<22} {r['title']:<26} {r['dataset']:<9} {r['params']:>10,} params"
        + (f" {r['macs']:>14,} MACs" if r["macs"] else "")
        for r in rows
    )
    emit(args, {"models": rows}, text)


def cmd_data(args):
    from .data import default_data_dir, download, verify

    root = default_data_dir(args.data_dir)
    if args.action == "download":
        download(root, force=args.force)
    result = verify(root)
    ok = all(v == "ok" for v in result.values())
    if not ok:
        bad = next(f"{k}: {v}" for k, v in result.items() if v != "ok")
        raise UserError(
            f"MNIST in {root} is incomplete or corrupt ({bad}); run 'lst data download'"
        )
    emit(
        args,
        {"data_dir": str(root), "ok": ok, "files": result},
        "\n".join(f"{k}: {v}" for k, v in result.items()),
    )


def cmd_train(args):
    from .registry import registry
    from .train import TrainConfig, train

    if args.model not in registry() or registry()[args.model].dataset != "mnist":
        names = ", ".join(k for k, v in registry().items() if v.dataset == "mnist")
        raise ConfigError(f"--model {args.model!r} is not an MNIST model; choose one of {names}")
    config = TrainConfig(
        model=args.model,
        epochs=args.epochs,
        lr=args.lr,
        weight_decay=args.weight_decay,
        batch_size=args.batch_size,
        seed=args.seed,
        schedule=args.schedule,
        lr_min_ratio=args.lr_min_ratio,
        dropout=args.dropout,
        threads=args.threads,
        train_limit=args.train_limit,
        test_limit=args.test_limit,
        val_split=args.val_split,
    )
    out = args.out or f"build/train/{args.model}.safetensors"
    summary = train(
        config, data_dir=args.data_dir, out=out, progress=not args.no_progress, force=args.force
    )
    emit(
        args,
        summary,
        f"{summary['model']}: {summary['test_accuracy']:.2f} % test accuracy after "
        f"{summary['epochs']} epochs -> {summary['checkpoint']}",
    )


#: File types the plots can be written as (matplotlib picks the format by suffix).
PLOT_SUFFIXES = (".png", ".pdf", ".svg")


def _check_plot(path, option: str, kind: str, *, force: bool) -> None:
    """Refuse a plot path before any work: wrong suffix, a directory, a foreign file."""
    from .outputs import check_files

    if path is None:
        return
    if Path(path).suffix.lower() not in PLOT_SUFFIXES:
        raise ConfigError(
            f"{option} {path}: the file name must end in one of {', '.join(PLOT_SUFFIXES)}"
        )
    check_files([path], kind=kind, force=force)


def _write_plot(path, kind: str, draw, *, force: bool, inputs=()) -> str:
    from .outputs import write_files

    write_files({path: draw}, kind=kind, inputs=inputs, force=force)
    return str(path)


def cmd_evaluate(args):
    from .evaluate import confusion_matrix, evaluate_checkpoint, plot_confusion

    _check_plot(args.confusion, "--confusion", "confusion", force=args.force)
    r = evaluate_checkpoint(args.model, args.checkpoint, data_dir=args.data_dir)
    out = {k: r[k] for k in ("model", "params", "accuracy", "n", "correct", "checkpoint")}
    out["recorded_accuracy"] = r["recorded_accuracy"]
    if args.confusion:
        m = confusion_matrix(r["labels"], r["pred"])
        out["confusion"] = _write_plot(
            args.confusion,
            "confusion",
            lambda tmp: plot_confusion(m, tmp, title=r["model"]),
            force=args.force,
            inputs=[r["checkpoint"]],
        )
        out["confusion_matrix"] = m.tolist()
    emit(
        args,
        out,
        f"{out['model']}: {out['accuracy']:.2f} % ({out['correct']}/{out['n']}), "
        f"{out['params']:,} params",
    )


def cmd_embeddings(args):
    from .evaluate import plot_embeddings

    _check_plot(args.out, "--out", "embeddings", force=args.force)
    result = {}

    def draw(tmp):
        result.update(
            plot_embeddings(args.model, args.checkpoint, args.index, tmp, data_dir=args.data_dir)
        )

    inputs = [args.checkpoint] if args.checkpoint else []
    result["out"] = _write_plot(args.out, "embeddings", draw, force=args.force, inputs=inputs)
    r = result
    emit(args, r, f"test digit #{r['index']} (label {r['label']}) -> {r['out']}")


def cmd_info(args):
    from .checkpoint import load_checkpoint

    tensors, meta = load_checkpoint(args.checkpoint)
    shapes = {k: list(v.shape) for k, v in tensors.items()}
    obj = {"checkpoint": args.checkpoint, "meta": meta, "tensors": shapes}
    emit(args, obj, json.dumps(obj, indent=2))


# ---------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="lst",
        description="LST networks: train, quantize, generate and verify FPGA hardware.",
    )
    parser.add_argument("--version", action="version", version=f"lst {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("models", help="list every model with its parameter count")
    add_json(p)
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("data", help="download or verify MNIST")
    p.add_argument("action", choices=("download", "verify"))
    p.add_argument("--force", action="store_true", help="fetch again even if present")
    add_data(p)
    add_json(p)
    p.set_defaults(func=cmd_data)

    p = sub.add_parser("train", help="train a model (defaults: the paper's recipe)")
    p.add_argument("--model", default="lst1")
    p.add_argument("--epochs", type=positive_int, default=300)
    p.add_argument("--lr", type=positive_float, default=2e-3)
    p.add_argument("--weight-decay", type=finite_float, default=1e-5)
    p.add_argument("--batch-size", type=positive_int, default=1000)
    p.add_argument("--seed", type=int_at_least(0), default=0)
    p.add_argument("--schedule", choices=("constant", "cosine"), default="constant")
    p.add_argument(
        "--lr-min-ratio", type=finite_float, default=0.0, help="cosine floor as lr fraction"
    )
    p.add_argument("--dropout", type=probability, default=0.1)
    p.add_argument(
        "--threads",
        type=positive_int,
        default=1,
        help="torch threads (the recipe: 1; results depend on it)",
    )
    p.add_argument(
        "--train-limit", type=positive_int, default=None, help="use the first N training images"
    )
    p.add_argument(
        "--test-limit", type=positive_int, default=None, help="use the first N test images"
    )
    p.add_argument(
        "--val-split",
        type=int_at_least(0),
        default=0,
        help="hold out the last N training images for validation",
    )
    p.add_argument(
        "--out",
        default=None,
        help="checkpoint path (default build/train/MODEL.safetensors; the log goes beside it)",
    )
    add_force(p, "an existing checkpoint or log that 'lst train' did not write")
    p.add_argument("--no-progress", action="store_true")
    add_data(p)
    add_json(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="float test accuracy of a checkpoint")
    p.add_argument("--model", required=True)
    p.add_argument("--checkpoint", default=None, help="default: the shipped checkpoint")
    p.add_argument("--confusion", default=None, metavar="PNG", help="write a confusion matrix plot")
    add_force(p, "an existing plot file that 'lst evaluate' did not write")
    add_data(p)
    add_json(p)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("embeddings", help="plot row and column representations of a test digit")
    p.add_argument("--model", default="lst1")
    p.add_argument("--checkpoint", default=None)
    p.add_argument("--index", type=int_at_least(0), default=0, help="test image index")
    p.add_argument("--out", default="build/embeddings.png", help="plot file (.png, .pdf, .svg)")
    add_force(p, "an existing plot file that 'lst embeddings' did not write")
    add_data(p)
    add_json(p)
    p.set_defaults(func=cmd_embeddings)

    p = sub.add_parser("info", help="show a checkpoint's metadata and tensor shapes")
    p.add_argument("checkpoint")
    add_json(p)
    p.set_defaults(func=cmd_info)

    for register in _EXTENSIONS:
        register(sub)
    return parser


# Later modules (quantizer, hardware generator, reports) add their subcommands here.
_EXTENSIONS: list = []


def _load_extensions():
    import importlib

    for name in ("quant.cli", "hw.cli", "sim.cli", "lst.transform.cli", "boards.cli"):
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        if mod.register not in _EXTENSIONS:
            _EXTENSIONS.append(mod.register)


def main(argv=None) -> int:
    """Run one subcommand; expected failures become one line on stderr and exit 2."""
    _load_extensions()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except LSTError as exc:
        return _fail(str(exc))
    except OSError as exc:
        # Permission, disk-full, is-a-directory...: the OS names the path.
        where = f"{exc.filename}: " if exc.filename else ""
        return _fail(f"{where}{exc.strerror or exc}")
    except KeyboardInterrupt:
        print("lst: interrupted", file=sys.stderr)
        return 130
    return 0


def _fail(message: str) -> int:
    # One line, even when a message quotes a multi-line tool output; nothing after it
    # (Amaranth reports unused elaboratables at exit, which would follow the error).
    import warnings

    line = " ".join(message.split())
    sys.stdout.flush()
    print(f"lst: error: {line}", file=sys.stderr)
    warnings.simplefilter("ignore")
    return 2


if __name__ == "__main__":
    sys.exit(main())
