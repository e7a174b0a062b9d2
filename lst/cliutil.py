"""Pieces shared by every package's command line (``lst``, ``quant``, ``hw``, ``sim``, ``boards``).

Rules every subcommand follows:

* With ``--json`` a successful command prints exactly one JSON object on stdout;
  progress and logs go to stderr. A failing command prints nothing on stdout, only the
  one-line error on stderr, and exits with status 2 (:func:`lst.cli.main`).
* NaN and infinities never reach JSON output (:func:`dumps` refuses them).
* Numeric options are checked where they are parsed, by the ``type=`` functions below,
  so that the error names the option.
"""

from __future__ import annotations

import argparse
import json
import math

from .errors import ConfigError, LSTError, OutputError

__all__ = [
    "ConfigError",
    "LSTError",
    "OutputError",
    "UserError",
    "add_data",
    "add_force",
    "add_json",
    "dumps",
    "emit",
    "finite_float",
    "int_at_least",
    "positive_float",
    "positive_int",
    "probability",
]

#: Kept as the name the subcommands raise; the same class as :class:`LSTError`.
UserError = LSTError


def dumps(obj, **kwargs) -> str:
    """``json.dumps`` that refuses NaN and infinities (a bug, never an output)."""
    try:
        return json.dumps(obj, allow_nan=False, **kwargs)
    except ValueError as exc:
        raise ValueError(f"non-finite number in JSON output: {exc}") from None


def emit(args, obj: dict, text: str) -> None:
    """Print ``obj`` as one JSON object with ``--json``, else ``text``."""
    print(dumps(obj) if getattr(args, "json", False) else text)


def add_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def add_data(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data-dir", default=None, help="MNIST directory (default: $MNIST_DIR, else data/mnist)"
    )


def add_force(p: argparse.ArgumentParser, what: str = "the output directory") -> None:
    p.add_argument(
        "--force",
        action="store_true",
        help=f"write into {what} even if it holds files this command did not write "
        "(their own files are replaced, others kept; never a file or an input's folder)",
    )


def int_at_least(minimum: int):
    """An argparse ``type`` for integers >= ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is less than {minimum}")
        return value

    parse.__name__ = f"integer >= {minimum}"
    return parse


positive_int = int_at_least(1)


def finite_float(text: str) -> float:
    """An argparse ``type`` for finite floats."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text} is not finite")
    return value


def positive_float(text: str) -> float:
    """An argparse ``type`` for finite floats > 0."""
    value = finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{value} is not greater than 0")
    return value


def probability(text: str) -> float:
    """An argparse ``type`` for a probability in [0, 1)."""
    value = finite_float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not in [0, 1)")
    return value
