"""Checkpoints: safetensors files with JSON metadata, readable without torch.

A checkpoint is one ``.safetensors`` file. Its tensors are the model parameters in
float32, by the names of :meth:`lst.arch.LSTArch.tensor_shapes` (or the state-dict
names of the other models). Its header metadata holds one key, ``"lst"``, whose value
is a JSON object: model name, parameter count, recipe, seed, epochs, accuracies,
source commit and so on. Nothing is ever unpickled; PyTorch ``.pth`` files (the
authors' published checkpoints) are read with ``torch.load(weights_only=True)``
and their keys and shapes are checked before use.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np

from .arch import LSTArch, get_arch
from .errors import LSTError

__all__ = [
    "CheckpointError",
    "load_checkpoint",
    "load_lst_checkpoint",
    "save_checkpoint",
    "source_commit",
]

_META_KEY = "lst"
FORMAT_VERSION = 1


class CheckpointError(LSTError):
    """A checkpoint is missing, unreadable or does not match its model. One line."""


def source_commit() -> str:
    """The git commit of the source tree (with ``-dirty`` if it has local changes)."""
    root = Path(__file__).resolve().parent.parent
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return rev + ("-dirty" if dirty else "")


def save_checkpoint(path: str | os.PathLike, tensors: dict[str, np.ndarray], meta: dict) -> Path:
    """Write ``tensors`` (float32) and ``meta`` (JSON-serialisable) atomically to ``path``."""
    from safetensors.numpy import save_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()}
    meta = {"format_version": FORMAT_VERSION, **meta}
    tmp = path.with_name(path.name + ".part")
    save_file(arrays, str(tmp), metadata={_META_KEY: json.dumps(meta, sort_keys=True)})
    os.replace(tmp, path)
    return path


def _load_pth(path: Path) -> tuple[dict[str, np.ndarray], dict]:
    try:
        import torch
    except ImportError:
        raise CheckpointError(
            f"{path}: reading .pth files needs torch (pip install torch)"
        ) from None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(f"{path}: not a loadable weights-only PyTorch file ({exc})") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"{path}: expected a state dict of tensors")
    tensors = {k: v.detach().float().numpy() for k, v in state.items()}
    return _map_reference_keys(path, tensors), {"source": str(path)}


# Key names of the authors' reference implementation, mapped to ours.
_REFERENCE_BLOCKS = {
    1: ["L2DST"],
    2: ["L2DST_1", "L2DST_2"],
    3: ["L2DST_1", "L2DST_2", "L2DST_3"],
}


def _map_reference_keys(path: Path, tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    if any(k.startswith("blocks.") for k in tensors):
        return tensors
    blocks = sorted({k.split(".")[0] for k in tensors if k.startswith("L2DST")})
    prefixes = next((n for n in _REFERENCE_BLOCKS.values() if sorted(n) == blocks), None)
    if prefixes is None:
        raise CheckpointError(f"{path}: unrecognised parameter names {sorted(tensors)[:4]}...")
    mapped = {}
    for b, prefix in enumerate(prefixes):
        for ours, theirs in (("row", ("dense1", "fc1")), ("col", ("dense2", "fc2"))):
            for kind in ("weight", "bias"):
                for t in theirs:
                    key = f"{prefix}.{t}.{kind}"
                    if key in tensors:
                        mapped[f"blocks.{b}.{ours}.{kind}"] = tensors[key]
    for kind in ("weight", "bias"):
        if f"W_o.{kind}" in tensors:
            mapped[f"out.{kind}"] = tensors[f"W_o.{kind}"]
    return mapped


def load_checkpoint(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict]:
    """Read a checkpoint; return ``(tensors, meta)``. Raises :class:`CheckpointError`."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint")
    if path.suffix in (".pth", ".pt"):
        return _load_pth(path)
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        tensors = load_file(str(path))
        from safetensors import safe_open

        with safe_open(str(path), framework="numpy") as f:
            raw_meta = (f.metadata() or {}).get(_META_KEY)
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: not a readable safetensors file ({exc})") from None
    try:
        meta = json.loads(raw_meta) if raw_meta else {}
    except json.JSONDecodeError:
        raise CheckpointError(f"{path}: metadata is not valid JSON") from None
    return tensors, meta


def check_tensors(path, arch: LSTArch, tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Check names, shapes and finiteness against ``arch``; return float64 copies in order."""
    expected = arch.tensor_shapes()
    missing = [k for k in expected if k not in tensors]
    if missing:
        raise CheckpointError(f"{path}: missing tensor {missing[0]} for model {arch.name}")
    extra = [k for k in tensors if k not in expected]
    if extra:
        raise CheckpointError(f"{path}: unexpected tensor {extra[0]} for model {arch.name}")
    out = {}
    for name, shape in expected.items():
        t = np.asarray(tensors[name])
        if t.shape != shape:
            raise CheckpointError(
                f"{path}: tensor {name} has shape {tuple(t.shape)}, expected {shape}"
            )
        if not np.all(np.isfinite(t)):
            raise CheckpointError(f"{path}: tensor {name} has NaN or infinite values")
        out[name] = t.astype(np.float64)
    return out


def load_lst_checkpoint(
    path: str | os.PathLike, model: str | None = None
) -> tuple[LSTArch, dict[str, np.ndarray], dict]:
    """Load an LST checkpoint and validate it; return ``(arch, tensors, meta)``.

    The model is taken from ``model`` or, failing that, from the metadata; a
    reference ``.pth`` without metadata needs ``model``.
    """
    tensors, meta = load_checkpoint(path)
    name = model or meta.get("model")
    if name is None:
        raise CheckpointError(f"{path}: metadata names no model; pass --model")
    if model and meta.get("model") and meta["model"] != model:
        raise CheckpointError(f"{path}: checkpoint is for model {meta['model']}, not {model}")
    try:
        arch = get_arch(name)
    except ValueError as exc:
        raise CheckpointError(f"{path}: {exc}") from None
    return arch, check_tensors(path, arch, tensors), meta
