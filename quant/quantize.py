"""Float checkpoints to fixed-point integers, per the contract of :mod:`quant.contract`.

Weights are rounded to the weight format (round half up, saturate); biases to their
stage's product precision. The first block's row stage absorbs the input encoding:
hardware pixels are ``x = (p − 128)/128`` while the float model sees
``p/127.5 − 1 = (2p − 255)/255``. With ``W' = W·256/255``,

    W·(p/127.5 − 1) + b  =  W'·(p − 128)/128  +  (b + Σ_k W'[:, k]/256)

so the ROM holds ``Ŵ' = round(W')`` and ``b' = round(b + Σ_k Ŵ'[:, k]/256)``: the
only error left at the input is the rounding of the stored numbers.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lst.arch import LSTArch, get_arch
from lst.checkpoint import check_tensors, load_checkpoint, resolve_model
from lst.errors import ConfigError, LSTError

from .contract import INPUT_FORMAT, FixedConfig, Stage, stages
from .fixed import FixedFormat

__all__ = [
    "QuantizationError",
    "QuantizedLST",
    "StoredIntegers",
    "auto_format",
    "auto_width",
    "quantize_checked",
    "quantize_checkpoint",
    "quantize_tensors",
]

#: Scale folded into the first block's row weights (see the module docstring).
INPUT_FOLD = 256 / 255


class QuantizationError(LSTError, ValueError):
    """Quantization refused (strict mode, bad input). One line."""


class StoredIntegers:
    """What every quantized model has: its integers (``ints``), the per-tensor counts of
    saturated (``saturated``) and rounded-to-zero (``rounded_to_zero``) values, where it
    came from (``source``), and ``.npz`` persistence. Subclasses are dataclasses with
    ``arch`` and ``config`` and name how their model and configuration are read back
    (``_arch_of``, a model name to its architecture; ``_config_type``, with ``from_dict``)."""

    @property
    def total_saturated(self) -> int:
        return sum(self.saturated.values())

    def quantization_counts(self) -> dict:
        """Saturated and rounded-to-zero counts, in total and per tensor (non-zero only)."""
        return {
            "saturated": self.total_saturated,
            "saturated_by_tensor": {k: v for k, v in self.saturated.items() if v},
            "rounded_to_zero": sum(self.rounded_to_zero.values()),
            "rounded_to_zero_by_tensor": {k: v for k, v in self.rounded_to_zero.items() if v},
        }

    def save_npz(self, path: str | os.PathLike) -> Path:
        path = Path(path)
        meta = {
            "model": self.arch.name,
            "config": self.config.to_dict(),
            "saturated": self.saturated,
            "rounded_to_zero": self.rounded_to_zero,
            "source": self.source,
        }
        np.savez(path, __meta__=np.array(json.dumps(meta)), **self.ints)
        return path

    @classmethod
    def load_npz(cls, path: str | os.PathLike):
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["__meta__"]))
            ints = {k: z[k].astype(np.int64) for k in z.files if k != "__meta__"}
        return cls(
            cls._arch_of(meta["model"]),
            cls._config_type.from_dict(meta["config"]),
            ints,
            meta["saturated"],
            meta["source"],
            meta.get("rounded_to_zero", {}),
        )


@dataclass
class QuantizedLST(StoredIntegers):
    """A model's integers and everything needed to interpret them.

    ``ints`` maps checkpoint tensor names to int64 arrays: weights in
    ``config.weight``, biases in their stage's ``bias`` format (see :meth:`stages`).
    ``saturated`` counts the values per tensor that were out of range and clamped;
    ``rounded_to_zero`` the non-zero values that became 0 (too small for the format).
    """

    arch: LSTArch
    config: FixedConfig
    ints: dict[str, np.ndarray]
    saturated: dict[str, int] = field(default_factory=dict)
    source: dict = field(default_factory=dict)
    rounded_to_zero: dict[str, int] = field(default_factory=dict)

    def stages(self) -> list[Stage]:
        return stages(self.arch, self.config)

    def tensor_format(self, name: str) -> FixedFormat:
        for st in self.stages():
            if name == st.tensor:
                return st.w
            if name == st.bias_tensor:
                return st.bias
        raise KeyError(name)

    def dequantized(self) -> dict[str, np.ndarray]:
        """The stored numbers as float64 in the float model's terms (fold undone)."""
        out = {k: self.tensor_format(k).to_float(v) for k, v in self.ints.items()}
        w = out["blocks.0.row.weight"]
        out["blocks.0.row.bias"] = out["blocks.0.row.bias"] - w.sum(axis=1) / 256
        out["blocks.0.row.weight"] = w / INPUT_FOLD
        return out

    def check_saturation(self) -> None:
        """Raise :class:`QuantizationError` if any weight or bias saturated: a clamped
        value changes the network, so commands refuse it unless told otherwise."""
        total = self.total_saturated
        if total:
            worst = next(k for k, v in self.saturated.items() if v)
            n_params = sum(int(np.size(v)) for v in self.ints.values())
            raise QuantizationError(
                f"{total} of {n_params} weights and biases saturate in {self.config.weight.name} "
                f"(first in {worst}): the network would change; use a format with more "
                "integer bits, or pass --allow-saturation"
            )

    def accumulator_ranges(self) -> dict[str, tuple[int, int]]:
        """Exact extremes of every stage's accumulator over all possible inputs.

        For the first stage the inputs are all 8-bit images; for later stages every
        activation code in range (a superset of what can occur). Each extreme is
        reached by choosing each input at the end of its range that pushes the sum
        that way, so the check is exhaustive without enumerating inputs.
        """
        out = {}
        cfg = self.config
        for st in self.stages():
            w = self.ints[st.tensor]
            b = self.ints[st.bias_tensor]
            if st.takes_pixels:
                lo_x, hi_x = INPUT_FORMAT.min_int, INPUT_FORMAT.max_int
            else:
                scale = st.x.width - cfg.act.width + 1  # 2 for the residual sum, else 1
                lo_x, hi_x = -scale * cfg.act_max, scale * cfg.act_max
            hi = b + np.maximum(w * hi_x, w * lo_x).sum(axis=1)
            lo = b + np.minimum(w * hi_x, w * lo_x).sum(axis=1)
            out[st.name] = (int(lo.min()), int(hi.max()))
        return out

    _arch_of = staticmethod(get_arch)
    _config_type = FixedConfig


def auto_width(fmt) -> int | None:
    """The width of an ``autoN`` format request (``"auto8"`` -> 8), None for any other
    format; a ``ConfigError`` naming ``--format`` for ``auto`` without a usable width."""
    if not (isinstance(fmt, str) and fmt.lower().startswith("auto")):
        return None
    digits = fmt[4:]
    if not digits.isdigit() or int(digits) < 2:
        raise ConfigError(
            f"--format {fmt!r}: auto needs a width of 2 or more bits, e.g. auto8 (the "
            "format of that width with the fewest integer bits that holds every weight)"
        )
    return int(digits)


def auto_format(width: int, tensors: dict[str, np.ndarray], arch: LSTArch) -> FixedFormat:
    """The ``width``-bit weight format with the fewest integer bits that holds every
    weight of the model without saturation (after the input fold). Chosen from the
    weights alone, never from accuracy."""
    peak = 0.0
    for name in arch.tensor_shapes():
        if name.endswith(".weight"):
            t = np.abs(np.asarray(tensors[name], dtype=np.float64))
            if name == "blocks.0.row.weight":
                t = t * INPUT_FOLD
            peak = max(peak, float(t.max()))
    for int_bits in range(1, width):
        fmt = FixedFormat(width, width - int_bits)
        if math.floor(peak * 2**fmt.frac + 0.5) <= fmt.max_int:
            return fmt
    return FixedFormat(width, 0)


def quantize_tensors(
    arch: LSTArch,
    tensors: dict[str, np.ndarray],
    config: FixedConfig,
    *,
    strict: bool = False,
    source: dict | None = None,
) -> QuantizedLST:
    """Quantize float tensors (validated against ``arch``) to a :class:`QuantizedLST`.

    Raises
    ------
    QuantizationError
        In ``strict`` mode, if any value is out of its format's range.
    """
    tensors = check_tensors(source.get("path", "tensors") if source else "tensors", arch, tensors)
    ints: dict[str, np.ndarray] = {}
    saturated: dict[str, int] = {}
    to_zero: dict[str, int] = {}
    for st in stages(arch, config):
        w = tensors[st.tensor]
        b = tensors[st.bias_tensor]
        if st.takes_pixels:
            w = w * INPUT_FOLD
        wq, n_w = st.w.quantize(w, return_count=True)
        if st.takes_pixels:
            b = b + st.w.to_float(wq).sum(axis=1) / 256
        bq, n_b = st.bias.quantize(b, return_count=True)
        ints[st.tensor], ints[st.bias_tensor] = wq, bq
        saturated[st.tensor], saturated[st.bias_tensor] = n_w, n_b
        to_zero[st.tensor] = int(np.count_nonzero((w != 0) & (wq == 0)))
        to_zero[st.bias_tensor] = int(np.count_nonzero((b != 0) & (bq == 0)))
    qm = QuantizedLST(arch, config, ints, saturated, dict(source or {}), to_zero)
    if strict:
        qm.check_saturation()
    return qm


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def quantize_checkpoint(
    path: str | os.PathLike,
    fmt: str | FixedFormat | FixedConfig = "q5.7",
    *,
    model: str | None = None,
    strict: bool = False,
) -> QuantizedLST:
    """Load a checkpoint (see :func:`lst.checkpoint.load_checkpoint`) and quantize it.

    ``fmt`` may also be ``"auto8"`` etc.: the narrowest-integer format of that width
    that holds the model's weights (:func:`auto_format`).
    """
    tensors, meta = load_checkpoint(path)
    name = resolve_model(path, tensors, meta, model)
    arch = get_arch(name)
    if isinstance(fmt, FixedConfig):
        config = fmt
    elif (width := auto_width(fmt)) is not None:
        config = FixedConfig(weight=auto_format(width, check_tensors(path, arch, tensors), arch))
    else:
        config = FixedConfig.parse(fmt)
    source = {
        "path": str(path),
        "sha256": sha256_file(path),
        "model": name,
        "checkpoint_meta": {
            k: meta.get(k)
            for k in ("test_accuracy", "epochs", "seed", "source_commit")
            if k in meta
        },
    }
    return quantize_tensors(arch, tensors, config, strict=strict, source=source)


def quantize_checked(
    path: str | os.PathLike,
    fmt: str = "q5.7",
    *,
    model: str | None = None,
    allow_saturation: bool = False,
) -> QuantizedLST:
    """The one quantization path of every command that builds or simulates hardware:
    :func:`quantize_checkpoint`, then refused (:class:`QuantizationError`) when any
    weight or bias saturates unless ``allow_saturation``. The counts are in
    :meth:`QuantizedLST.quantization_counts`."""
    qm = quantize_checkpoint(path, fmt, model=model)
    if not allow_saturation:
        qm.check_saturation()
    return qm
