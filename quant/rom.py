"""ROM images: ``.mem`` (``$readmemh``) and ``.coe`` (Vivado Block Memory Generator).

Both hold one word per address, as two's complement hex of the word's width (a
word may pack several values: see :func:`pack_words`). The files start with
comment lines that state the ROM's name, depth, width and address layout.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

__all__ = [
    "pack_words",
    "read_coe",
    "read_mem",
    "to_unsigned",
    "unpack_words",
    "write_coe",
    "write_mem",
]


def to_unsigned(values, width: int) -> list[int]:
    """Two's complement bit patterns of ``values`` as Python ints of ``width`` bits."""
    mask = (1 << width) - 1
    out = []
    for v in np.asarray(values).ravel().tolist():
        v = int(v)
        if not -(1 << (width - 1)) <= v < (1 << width):
            raise ValueError(f"value {v} does not fit in {width} bits")
        out.append(v & mask)
    return out


def _to_signed(u: int, width: int, signed: bool) -> int:
    if signed and u >> (width - 1):
        return u - (1 << width)
    return u


def pack_words(values: np.ndarray, width: int) -> list[int]:
    """Pack each row of ``values`` (depth × k) into one word: element 0 in the low bits."""
    values = np.atleast_2d(np.asarray(values))
    words = []
    for row in values:
        word = 0
        for i, u in enumerate(to_unsigned(row, width)):
            word |= u << (i * width)
        words.append(word)
    return words


def unpack_words(words, width: int, k: int, *, signed: bool = True) -> np.ndarray:
    """Inverse of :func:`pack_words`: depth × k signed (or unsigned) integers."""
    mask = (1 << width) - 1
    return np.array(
        [[_to_signed((w >> (i * width)) & mask, width, signed) for i in range(k)] for w in words],
        dtype=np.int64,
    )


def _digits(width: int) -> int:
    return (width + 3) // 4


def write_mem(path: str | os.PathLike, words, width: int, comment: str = "") -> Path:
    """Write words (Python ints < 2**width) as a ``$readmemh`` file."""
    path = Path(path)
    d = _digits(width)
    lines = [f"// {line}" for line in comment.splitlines()]
    lines += [f"{int(w):0{d}x}" for w in words]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_coe(path: str | os.PathLike, words, width: int, comment: str = "") -> Path:
    """Write words as a Vivado ``.coe`` file (radix 16)."""
    path = Path(path)
    d = _digits(width)
    lines = [f"; {line}" for line in comment.splitlines()]
    lines += ["memory_initialization_radix=16;", "memory_initialization_vector="]
    body = [f"{int(w):0{d}x}" for w in words]
    lines += [v + ("," if i < len(body) - 1 else ";") for i, v in enumerate(body)]
    path.write_text("\n".join(lines) + "\n")
    return path


def read_mem(path: str | os.PathLike) -> list[int]:
    """Words of a ``$readmemh`` file (comments and blank lines skipped; no ``@addr``)."""
    words = []
    for line in Path(path).read_text().splitlines():
        line = line.split("//", 1)[0].strip()
        if not line:
            continue
        if line.startswith("@"):
            raise ValueError(f"{path}: address directives are not supported")
        words.extend(int(tok, 16) for tok in line.split())
    return words


def read_coe(path: str | os.PathLike) -> list[int]:
    """Words of a ``.coe`` file written with radix 16."""
    text = "\n".join(
        line.split(";", 1)[0] if line.lstrip().startswith(";") else line
        for line in Path(path).read_text().splitlines()
    )
    fields = {}
    for stmt in text.split(";"):
        if "=" in stmt:
            key, value = stmt.split("=", 1)
            fields[key.strip().lower()] = value
    if fields.get("memory_initialization_radix", "").strip() != "16":
        raise ValueError(f"{path}: expected memory_initialization_radix=16")
    vector = fields.get("memory_initialization_vector")
    if vector is None:
        raise ValueError(f"{path}: no memory_initialization_vector")
    return [int(tok, 16) for tok in vector.replace(",", " ").split()]
