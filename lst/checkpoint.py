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
import math
import os
import subprocess
from pathlib import Path

import numpy as np

from .arch import LSTArch, get_arch
from .errors import LSTError

__all__ = [
    "CheckpointError",
    "checkpoint_model",
    "infer_model",
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
    try:
        text = json.dumps(meta, sort_keys=True, allow_nan=False)
    except ValueError:
        bad = sorted(k for k, v in meta.items() if isinstance(v, float) and not math.isfinite(v))
        raise CheckpointError(f"{path}: metadata has non-finite values {bad}; not saved") from None
    tmp = path.with_name(path.name + ".part")
    try:
        save_file(arrays, str(tmp), metadata={_META_KEY: text})
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
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
        # torch's own text suggests weights_only=False, i.e. running the file's code: never.
        raise CheckpointError(
            f"{path}: not a PyTorch state dict that loads safely ({type(exc).__name__}); "
            "lst reads only tensors, never pickled objects"
        ) from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"{path}: expected a state dict of tensors")
    bad = [k for k, v in state.items() if not v.is_floating_point()]
    if bad:
        raise CheckpointError(
            f"{path}: tensor {bad[0]} is {str(state[bad[0]].dtype).removeprefix('torch.')}, "
            "not floating point"
        )
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
    try:  # safetensors reports an unreadable file as "No such file or directory"
        with path.open("rb"):
            pass
    except PermissionError:
        raise CheckpointError(
            f"{path}: permission denied: the checkpoint exists but this user cannot read it"
        ) from None
    if path.suffix in (".pth", ".pt"):
        return _load_pth(path)
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        tensors = load_file(str(path))
        from safetensors import safe_open

        with safe_open(str(path), framework="numpy") as f:
            raw_meta = (f.metadata() or {}).get(_META_KEY)
    except (SafetensorError, OSError, ValueError, TypeError) as exc:
        # numpy has no bfloat16: such files fail here, with the dtype in the message.
        reason = " ".join(str(exc).split())[:200]
        raise CheckpointError(f"{path}: not a readable safetensors file ({reason})") from None
    try:
        meta = json.loads(raw_meta) if raw_meta else {}
    except json.JSONDecodeError:
        raise CheckpointError(f"{path}: metadata is not valid JSON") from None
    _check_meta(path, meta)
    return tensors, meta


#: Metadata keys that commands read, and the types they must have.
_META_TYPES = {
    "model": str,
    "test_accuracy": (int, float),
    "epochs": int,
    "seed": int,
    "params": int,
}


def _check_meta(path, meta) -> None:
    if not isinstance(meta, dict):
        raise CheckpointError(
            f"{path}: metadata is a JSON {type(meta).__name__}, expected an object"
        )
    for key, types in _META_TYPES.items():
        value = meta.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, types)):
            raise CheckpointError(f"{path}: metadata field {key!r} has the wrong type ({value!r})")


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
        if not np.issubdtype(t.dtype, np.floating):
            raise CheckpointError(
                f"{path}: tensor {name} is {t.dtype}, not floating point; refusing to quantize it"
            )
        if t.shape != shape:
            raise CheckpointError(
                f"{path}: tensor {name} has shape {tuple(t.shape)}, expected {shape}"
            )
        if not np.all(np.isfinite(t)):
            raise CheckpointError(f"{path}: tensor {name} has NaN or infinite values")
        out[name] = t.astype(np.float64)
    return out


def infer_model(tensors: dict[str, np.ndarray]) -> str | None:
    """The LST model whose tensor names and shapes ``tensors`` has exactly, else None."""
    from .arch import LST_MODELS

    for name, arch in LST_MODELS.items():
        shapes = arch.tensor_shapes()
        if set(tensors) == set(shapes) and all(
            tuple(np.shape(tensors[k])) == s for k, s in shapes.items()
        ):
            return name
    return None


def resolve_model(path, tensors: dict[str, np.ndarray], meta: dict, model: str | None) -> str:
    """The model of a loaded checkpoint: ``model`` if given (it must agree with the
    metadata), else the metadata's, else the one its tensors match (the authors'
    ``.pth`` files carry no metadata)."""
    named = meta.get("model")
    if model and named and named != model:
        raise CheckpointError(f"{path}: checkpoint is for model {named}, not {model}")
    name = model or named or infer_model(tensors)
    if name is None:
        raise CheckpointError(
            f"{path}: metadata names no model and the tensors match none of lst1, lst2, "
            "reslst3; pass --model"
        )
    return name


def checkpoint_model(path: str | os.PathLike, model: str | None = None) -> str:
    """The model of the checkpoint at ``path`` (see :func:`resolve_model`)."""
    tensors, meta = load_checkpoint(path)
    return resolve_model(path, tensors, meta, model)


def load_lst_checkpoint(
    path: str | os.PathLike, model: str | None = None
) -> tuple[LSTArch, dict[str, np.ndarray], dict]:
    """Load an LST checkpoint and validate it; return ``(arch, tensors, meta)``.

    The model is taken from ``model``, else from the metadata, else inferred from the
    tensors' names and shapes (:func:`resolve_model`).
    """
    tensors, meta = load_checkpoint(path)
    name = resolve_model(path, tensors, meta, model)
    try:
        arch = get_arch(name)
    except ValueError as exc:
        raise CheckpointError(f"{path}: {exc}") from None
    return arch, check_tensors(path, arch, tensors), meta
