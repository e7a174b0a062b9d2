"""Transform-domain checkpoints to the integers of :mod:`quant.transform_contract`.

The float model sees ``X = p/127.5 − 1``, padded with −1 to ``P``×``P``; the
hardware multiplies ``x = (p − 128)/128`` on the 28×28 pixels only. With
``s = 256/255``, ``X = s·x̃ + K_in`` where ``x̃`` is ``x/128`` padded with zeros and
``K_in`` is 1/255 on the image and −1 on the padding, so the coefficients are
``c = s·c̃ + K`` with ``c̃ = F x̃ Fᵀ`` (what the passes compute) and the constant
``K = F K_in Fᵀ``. Dividing the scale, threshold and shortcut by ``s`` (exact in the
reals: ``S_T(g)/s = S_{T/s}(g/s)``) leaves::

    a  = v·A                 β  = a·K/s            τ  = |T|/s
    Wq = s·W'                bq = b + ⟨W', K⟩      with W'[o] = Gᵀ W[o] G

and ``logits = Wq·(S_τ(a∘c̃ + β) + c̃) + bq``, the float model's logits exactly in
real arithmetic. ``β`` and ``bq`` are computed from the already rounded ``a`` and
``Wq``, so the only errors are the rounding of the stored numbers and of the passes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lst.errors import ConfigError
from lst.transform.arch import (
    TransformArch,
    get_transform_arch,
    load_transform_checkpoint,
)
from lst.transform.matrices import forward_matrix, inverse_matrix

from .fixed import FixedFormat
from .quantize import (
    INPUT_FOLD,
    QuantizationError,
    StoredIntegers,
    auto_width,
    sha256_file,
)
from .transform_contract import TransformConfig, TransformFormats, formats, transform_matrix

__all__ = [
    "QuantizedTransform",
    "auto_transform_format",
    "folded_parameters",
    "quantize_transform",
    "quantize_transform_checkpoint",
    "transform_config",
]

#: Stored tensors, in the order of the contract's stages.
STORED = ("matrix", "scale", "offset", "threshold", "out.weight", "out.bias")


@dataclass
class QuantizedTransform(StoredIntegers):
    """A transform-domain model's integers and everything needed to interpret them.

    ``ints``: ``matrix`` (``P``×``n``, the passes' ``M``), ``scale`` (``a``),
    ``offset`` (``β``), ``threshold`` (``τ``), all ``P``×``P``; ``out.weight``
    (``classes``×``P²``) and ``out.bias``. ``saturated`` and ``rounded_to_zero`` count,
    per tensor, the values clamped and the non-zero values that became 0.
    """

    arch: TransformArch
    config: TransformConfig
    ints: dict[str, np.ndarray]
    saturated: dict[str, int] = field(default_factory=dict)
    source: dict = field(default_factory=dict)
    rounded_to_zero: dict[str, int] = field(default_factory=dict)

    @property
    def formats(self) -> TransformFormats:
        return formats(self.arch, self.config)

    def tensor_format(self, name: str) -> FixedFormat:
        f = self.formats
        return {
            "matrix": f.matrix,
            "scale": f.scale,
            "offset": f.beta,
            "threshold": f.tau,
            "out.weight": f.out_w,
            "out.bias": f.out_bias,
        }[name]

    def check_saturation(self) -> None:
        """Raise :class:`QuantizationError` if a stored value saturated (the transform
        matrix included): the network would change."""
        if self.total_saturated:
            worst = next(k for k, v in self.saturated.items() if v)
            raise QuantizationError(
                f"{self.total_saturated} stored values of {self.arch.name} saturate in "
                f"{self.config.weight.name} (first in {worst}): the network would change; "
                "use a format with more integer bits, or pass --allow-saturation"
            )

    _arch_of = staticmethod(get_transform_arch)
    _config_type = TransformConfig


def input_constant(arch: TransformArch) -> np.ndarray:
    """``K = F K_in Fᵀ``: the coefficients of the constant part of the encoded,
    padded image (1/255 on the pixels, −1 on the padding)."""
    p, n = arch.size, arch.n
    k_in = np.full((p, p), -1.0)
    k_in[:n, :n] = 1.0 / 255.0
    f = forward_matrix(arch.kind, p)
    return f @ k_in @ f.T


def folded_parameters(arch: TransformArch, tensors: dict[str, np.ndarray]) -> dict:
    """The real values the contract stores, before rounding (see the module docstring):
    ``scale`` ``a``, ``threshold`` ``τ`` and the output layer's ``W'`` and ``b``, plus
    ``K`` and ``s``."""
    p = arch.size
    v = float(np.asarray(tensors["layer.channel_mix"]).reshape(()))
    a = v * np.asarray(tensors["layer.filters"], dtype=np.float64).reshape(p, p)
    t = np.abs(np.asarray(tensors["layer.soft_threshold.threshold"], np.float64)).reshape(p, p)
    g = inverse_matrix(arch.kind, p)
    w = np.asarray(tensors["out.weight"], dtype=np.float64).reshape(arch.classes, p, p)
    w_prime = np.einsum("ki,okl,lj->oij", g, w, g)  # Gᵀ W[o] G
    return {
        "scale": a,
        "threshold": t / INPUT_FOLD,
        "w_prime": w_prime,
        "bias": np.asarray(tensors["out.bias"], dtype=np.float64),
        "K": input_constant(arch),
        "s": INPUT_FOLD,
    }


def _count_zero(real, ints) -> int:
    return int(np.count_nonzero((np.asarray(real) != 0) & (ints == 0)))


def quantize_transform(
    arch: TransformArch,
    tensors: dict[str, np.ndarray],
    config: TransformConfig,
    *,
    source: dict | None = None,
) -> QuantizedTransform:
    """Quantize validated float tensors to a :class:`QuantizedTransform`."""
    f = formats(arch, config)
    fold = folded_parameters(arch, tensors)
    s, k = fold["s"], fold["K"]
    ints, sat, zero = {}, {}, {}

    m, _ = transform_matrix(arch, config)
    real_m = forward_matrix(arch.kind, arch.size)[:, : arch.n]
    ints["matrix"] = m
    sat["matrix"] = 0  # the ±1 Hadamard matrix is exact
    if arch.kind != "hadamard":
        _, sat["matrix"] = f.matrix.quantize(real_m, return_count=True)
    zero["matrix"] = _count_zero(real_m, m)

    def store(name, fmt, real):
        q, n = fmt.quantize(real, return_count=True)
        ints[name], sat[name], zero[name] = q, n, _count_zero(real, q)
        return fmt.to_float(q)

    a = store("scale", f.scale, fold["scale"])
    store("offset", f.beta, a * k / s)
    store("threshold", f.tau, fold["threshold"])
    wq = store("out.weight", f.out_w, (s * fold["w_prime"]).reshape(arch.classes, -1))
    store("out.bias", f.out_bias, fold["bias"] + wq @ (k / s).reshape(-1))
    return QuantizedTransform(arch, config, ints, sat, dict(source or {}), zero)


def auto_transform_format(width: int, arch: TransformArch, tensors) -> FixedFormat:
    """The ``width``-bit weight format with the fewest integer bits that holds every
    learned weight-format value (scales, output weights) unsaturated; chosen
    from the values alone, never from accuracy."""
    fold = folded_parameters(arch, tensors)
    peak = float(max(np.abs(fold["scale"]).max(), np.abs(fold["s"] * fold["w_prime"]).max()))
    for int_bits in range(1, width):
        fmt = FixedFormat(width, width - int_bits)
        if np.floor(peak * 2**fmt.frac + 0.5) <= fmt.max_int:
            return fmt
    return FixedFormat(width, 0)


def transform_config(fmt, arch: TransformArch, tensors, data_frac=None) -> TransformConfig:
    """The configuration a format request names: a weight format (``q5.7``) or ``autoN``
    (:func:`auto_transform_format`), with ``data_frac``."""
    if (width := auto_width(fmt)) is not None:
        return TransformConfig(auto_transform_format(width, arch, tensors), data_frac)
    return TransformConfig(FixedFormat.parse(fmt), data_frac)


def quantize_transform_checkpoint(
    path=None,
    fmt: str | FixedFormat | TransformConfig = "q5.7",
    *,
    model: str | None = None,
    allow_saturation: bool = True,
) -> QuantizedTransform:
    """Load a transform-domain checkpoint (default: the shipped one of ``model``) and
    quantize it; ``fmt`` may be ``autoN``. Unless ``allow_saturation``, a saturated
    value raises :class:`~quant.quantize.QuantizationError`."""
    from lst.arch import default_checkpoint

    if path is None:
        if model is None:
            raise ConfigError("give a checkpoint or a model name")
        path = default_checkpoint(model)
    arch, tensors, meta = load_transform_checkpoint(path, model)
    config = fmt if isinstance(fmt, TransformConfig) else transform_config(fmt, arch, tensors)
    source = {
        "path": str(path),
        "sha256": sha256_file(path),
        "model": arch.name,
        "checkpoint_meta": {k: meta[k] for k in ("test_accuracy", "epochs", "seed") if k in meta},
    }
    qm = quantize_transform(arch, tensors, config, source=source)
    if not allow_saturation:
        qm.check_saturation()
    return qm
