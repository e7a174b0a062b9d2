"""``lst`` subcommands for the transform-domain models (hooked in by :mod:`lst.cli`).

``lst cifar-train``
    Train a CIFAR-10 registry model with the paper's recipe
    (:func:`lst.transform.cifar.train_cifar`).
``lst cifar-evaluate``
    Test accuracy of a CIFAR-10 checkpoint.
``lst cifar-synthetic``
    Write a small random data set in the CIFAR-10 binary format (for smoke tests where
    CIFAR-10 is not available).
``lst td-bench``
    CPU benchmark of the transform implementations (:func:`lst.transform.transforms.benchmark`).

Like the other subcommands, each accepts ``--json`` and then prints exactly one JSON
object on stdout; errors are raised as exceptions that :func:`lst.cli.main` prints as
one line.
"""

from __future__ import annotations

from ..cliutil import (
    add_force,
    add_json,
    emit,
    finite_float,
    int_at_least,
    positive_float,
    positive_int,
)

__all__ = ["register"]


def _add_common(p, *, data: bool = True) -> None:
    if data:
        p.add_argument(
            "--data-dir",
            default=None,
            help="CIFAR-10 binary directory (default: $CIFAR10_DIR, else data/cifar10)",
        )
    add_json(p)


def cmd_cifar_train(args) -> None:
    from .cifar import CifarTrainConfig, train_cifar

    config = CifarTrainConfig(
        model=args.model,
        epochs=args.epochs,
        lr=args.lr,
        momentum=args.momentum,
        weight_decay=args.weight_decay,
        batch_size=args.batch_size,
        augment=not args.no_augment,
        seed=args.seed,
        threads=args.threads,
        train_limit=args.train_limit,
        test_limit=args.test_limit,
    )
    out = args.out or f"build/train/{args.model}.safetensors"
    summary = train_cifar(
        config, data_dir=args.data_dir, out=out, progress=not args.no_progress, force=args.force
    )
    emit(
        args,
        summary,
        f"{summary['model']}: {summary['test_accuracy']:.2f} % CIFAR-10 test accuracy after "
        f"{summary['epochs']} epochs -> {summary['checkpoint']}",
    )


def cmd_cifar_evaluate(args) -> None:
    from .cifar import evaluate_cifar

    r = evaluate_cifar(args.model, args.checkpoint, data_dir=args.data_dir)
    emit(
        args,
        r,
        f"{r['model']}: {r['accuracy']:.2f} % ({r['correct']}/{r['n']}), {r['params']:,} params",
    )


def cmd_cifar_synthetic(args) -> None:
    from pathlib import Path

    import numpy as np

    from ..outputs import write_dir
    from .cifar import TEST_FILES, TRAIN_FILES, write_cifar_file

    rng = np.random.default_rng(args.seed)
    root = Path(args.out)

    def write(tmp):
        for name in (*TRAIN_FILES, *TEST_FILES):
            labels = rng.integers(0, 10, args.per_file)
            images = rng.integers(0, 256, (args.per_file, 3, 32, 32), dtype=np.uint8)
            write_cifar_file(tmp / name, images, labels)

    write_dir(root, kind="cifar-synthetic", write=write, force=args.force)
    emit(
        args,
        {"data_dir": str(root), "records_per_file": args.per_file},
        f"wrote a random CIFAR-10-format data set ({args.per_file} records per file) to {root}",
    )


def cmd_td_bench(args) -> None:
    from .transforms import DEFAULT_IMPLEMENTATION, benchmark

    rows = benchmark(
        tuple(args.sizes),
        images=args.images,
        repeats=args.repeats,
        threads=args.threads,
        backward=not args.no_backward,
    )
    lines = [f"{'transform':<9} {'implementation':<14} {'n':>4} {'padded':>6} {'ms':>10}"]
    lines += [
        f"{r['transform']:<9} {r['implementation']:<14} {r['n']:>4} {r['padded']:>6} "
        f"{r['ms']:>10.3f}"
        for r in rows
    ]
    emit(args, {"rows": rows, "default": DEFAULT_IMPLEMENTATION}, "\n".join(lines))


def register(subparsers) -> None:
    """Add the subcommands above to ``lst``'s subparsers."""
    p = subparsers.add_parser("cifar-train", help="train a CIFAR-10 model (the paper's recipe)")
    p.add_argument("--model", default="resnet20", help="a cifar10 model from 'lst models'")
    p.add_argument("--epochs", type=positive_int, default=200)
    p.add_argument("--lr", type=positive_float, default=0.1)
    p.add_argument("--momentum", type=finite_float, default=0.9)
    p.add_argument("--weight-decay", type=finite_float, default=1e-4)
    p.add_argument("--batch-size", type=positive_int, default=128)
    p.add_argument("--no-augment", action="store_true", help="no random crops and flips")
    p.add_argument("--seed", type=int_at_least(0), default=0)
    p.add_argument("--threads", type=positive_int, default=1, help="torch threads")
    p.add_argument(
        "--train-limit", type=positive_int, default=None, help="use the first N train images"
    )
    p.add_argument(
        "--test-limit", type=positive_int, default=None, help="use the first N test images"
    )
    p.add_argument(
        "--out", default=None, help="checkpoint path (default build/train/MODEL.safetensors)"
    )
    add_force(p, "an existing checkpoint or log that 'lst cifar-train' did not write")
    p.add_argument("--no-progress", action="store_true")
    _add_common(p)
    p.set_defaults(func=cmd_cifar_train)

    p = subparsers.add_parser("cifar-evaluate", help="CIFAR-10 test accuracy of a checkpoint")
    p.add_argument("--model", required=True)
    p.add_argument("--checkpoint", default=None, help="default: models/MODEL.safetensors")
    _add_common(p)
    p.set_defaults(func=cmd_cifar_evaluate)

    p = subparsers.add_parser(
        "cifar-synthetic", help="write a random data set in the CIFAR-10 binary format"
    )
    p.add_argument("--out", required=True, help="directory to write the six .bin files to")
    p.add_argument("--per-file", type=positive_int, default=100, help="records per file")
    p.add_argument("--seed", type=int_at_least(0), default=0)
    add_force(p)
    _add_common(p, data=False)
    p.set_defaults(func=cmd_cifar_synthetic)

    p = subparsers.add_parser("td-bench", help="CPU benchmark of the transform implementations")
    p.add_argument("--sizes", type=positive_int, nargs="+", default=[8, 16, 28, 32, 56, 64])
    p.add_argument("--images", type=positive_int, default=512, help="images per batch")
    p.add_argument("--repeats", type=positive_int, default=7)
    p.add_argument("--threads", type=positive_int, default=1)
    p.add_argument("--no-backward", action="store_true", help="time the forward passes only")
    _add_common(p, data=False)
    p.set_defaults(func=cmd_td_bench)
