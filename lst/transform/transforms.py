"""Orthogonal (and biorthogonal) transforms for the transform-domain layers.

Three families, each as a 1-D transform along any tensor dimension and as a separable
2-D transform of the last two dimensions (:class:`Transform2d`), each with its exact
inverse and two implementations (a matrix product and a fast algorithm) that agree to
rounding:

``dct``
    DCT-II and its inverse (DCT-III). Default normalisation ``"ortho"``: the matrix
    is orthogonal, so the inverse is its transpose and coefficients keep the input's
    energy (Parseval). ``"backward"`` is scipy's default, the unnormalised
    ``C[k, i] = 2 cos(pi k (2i + 1) / 2N)`` that the authors' code used, with its exact
    inverse. Fast algorithm: one length-N complex FFT (Makhoul's reordering).
``hadamard``
    Walsh-Hadamard transform in natural (Sylvester) order, orthonormal
    (``H_n / sqrt(n)``, so it is its own inverse). Lengths that are not a power of two
    are zero-padded to the next power of two (the coefficients are longer than the
    input) and the inverse crops back. Fast algorithm: the in-place butterfly,
    ``log2 n`` stages of additions and subtractions, one scaling at the end.
``bwt``
    Block wavelet transform: the full wavelet-packet tree of single-level periodized
    DWTs of PyWavelets' ``bior1.3`` (both halves split again until blocks of one
    coefficient remain), in natural tree order, with PyWavelets' scaling (for Haar it
    would be orthonormal; bior1.3 is biorthogonal, condition number 1.28 per level).
    Zero-padded to a power of two like the Hadamard transform. The inverse is defined
    as the matrix inverse. Fast algorithm: each level is a periodic two-band filter
    bank applied blockwise; its taps are read from the single-level matrix (forward)
    and from that matrix's inverse (inverse), and checked to reproduce them.

The default implementation of each family was chosen by :func:`benchmark` on a CPU
(see ``docs/transform-domain.md``); :data:`DEFAULT_IMPLEMENTATION` records it.

Matrices are built in float64 NumPy and cached; torch tensors are made in the
input's dtype and device. Nothing here has trainable parameters.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .matrices import (
    DEFAULT_WAVELET,
    TRANSFORMS,
    bwt_matrix,
    check_kind,
    check_length,
    check_norm,
    check_power_of_two,
    dct_matrix,
    dct_ortho_scale,
    dwt_level_matrix,
    forward_matrix,
    hadamard_matrix,
    ibwt_matrix,
    idct_matrix,
    inverse_matrix,
    next_power_of_two,
    padded_length,
)

__all__ = [
    "DEFAULT_IMPLEMENTATION",
    "IMPLEMENTATIONS",
    "TRANSFORMS",
    "Transform2d",
    "benchmark",
    "bwt",
    "bwt_matrix",
    "dct",
    "dct_matrix",
    "hadamard",
    "hadamard_matrix",
    "ibwt",
    "ibwt_matrix",
    "idct",
    "idct_matrix",
    "ihadamard",
    "next_power_of_two",
    "padded_length",
]

#: Implementations of each family: the matrix product and the fast algorithm.
IMPLEMENTATIONS = {
    "dct": ("matrix", "fft"),
    "hadamard": ("matrix", "fast"),
    "bwt": ("matrix", "fast"),
}

#: Default implementation of each family, chosen by :func:`benchmark` (CPU, one thread,
#: forward + inverse + backward at the sizes the models use, 7 to 64).
DEFAULT_IMPLEMENTATION = {"dct": "matrix", "hadamard": "matrix", "bwt": "matrix"}


def _implementation(kind: str, implementation: str | None) -> str:
    impl = implementation or DEFAULT_IMPLEMENTATION[kind]
    if impl not in IMPLEMENTATIONS[kind]:
        raise ValueError(
            f"unknown {kind} implementation {impl!r}; choose one of "
            f"{', '.join(IMPLEMENTATIONS[kind])}"
        )
    return impl


# ------------------------------------------------------------------ fast algorithms (torch)
# Each works along the last dimension.


def _dct_fft_last(x: torch.Tensor, norm: str) -> torch.Tensor:
    """DCT-II of the last dimension by one complex FFT of the reordered signal (Makhoul)."""
    n = x.shape[-1]
    v = torch.cat([x[..., ::2], x[..., 1::2].flip(-1)], dim=-1)
    spectrum = torch.fft.fft(v, dim=-1)
    phase = _dct_phase(n, -1.0, spectrum.dtype, x.device)
    coeffs = 2.0 * (spectrum * phase).real
    if norm == "ortho":
        coeffs = coeffs * _as_tensor(dct_ortho_scale(n), x)
    return coeffs


def _idct_fft_last(c: torch.Tensor, norm: str) -> torch.Tensor:
    """Exact inverse of :func:`_dct_fft_last` (a DCT-III by one complex inverse FFT)."""
    n = c.shape[-1]
    if norm == "ortho":
        c = c / _as_tensor(dct_ortho_scale(n), c)
    # c_reflected[k] = c[n - k] for k >= 1, and 0 for k = 0.
    reflected = torch.cat([torch.zeros_like(c[..., :1]), c[..., 1:].flip(-1)], dim=-1)
    complex_dtype = torch.complex128 if c.dtype == torch.float64 else torch.complex64
    spectrum = torch.complex(c, -reflected).to(complex_dtype)
    spectrum = 0.5 * spectrum * _dct_phase(n, 1.0, complex_dtype, c.device)
    v = torch.fft.ifft(spectrum, dim=-1).real
    half = (n + 1) // 2
    x = torch.empty_like(c)
    x[..., ::2] = v[..., :half]
    x[..., 1::2] = v[..., half:].flip(-1)
    return x


def _dct_phase(n: int, sign: float, dtype: torch.dtype, device) -> torch.Tensor:
    k = np.arange(n)
    phase = np.exp(sign * 1j * np.pi * k / (2 * n))
    return torch.tensor(phase, dtype=dtype, device=device)


def _as_tensor(a: np.ndarray, like: torch.Tensor) -> torch.Tensor:
    return torch.tensor(np.asarray(a), dtype=like.dtype, device=like.device)


def _fwht(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Orthonormal Walsh-Hadamard transform (natural order) along ``dim``, whose length is a
    power of two: ``log2 n`` butterfly stages of additions and subtractions done in place
    along ``dim`` (no transposes), then one scaling by ``1/sqrt n``."""
    dim = dim % x.dim()
    n = x.shape[dim]
    before, after = x.shape[:dim], x.shape[dim + 1 :]
    y = x
    h = 1
    while h < n:
        y = y.reshape(*before, n // (2 * h), 2, h, *after)
        a, b = y.select(dim + 1, 0), y.select(dim + 1, 1)
        y = torch.stack((a + b, a - b), dim=dim + 1)
        h *= 2
    return y.reshape(x.shape) * (1.0 / math.sqrt(n))


def _fwht_last(x: torch.Tensor) -> torch.Tensor:
    return _fwht(x, -1)


@functools.lru_cache(maxsize=64)
def _filter_bank(m: int, wavelet: str) -> tuple:
    """Taps of the single-level periodized DWT of length ``m`` and of its inverse.

    Returns ``(analysis_low, analysis_high, synthesis_low, synthesis_high)``, each a tuple
    of ``(offset, weight)``: ``a[k] = sum w x[(2k + offset) mod m]`` (analysis) and
    ``x[i] = sum w a_up[(i - offset) mod m]`` (synthesis, ``a_up`` = ``a`` with zeros
    between samples). Raises if the matrices do not have this periodic structure.
    """
    level = dwt_level_matrix(m, wavelet)
    inverse = np.linalg.inv(level)
    half = m // 2

    def taps(vector):
        return tuple((int(p), float(vector[p])) for p in np.flatnonzero(np.abs(vector) > 1e-15))

    bank = (taps(level[0]), taps(level[half]), taps(inverse[:, 0]), taps(inverse[:, half]))
    # Check the structure: every row (column) is the first one shifted by 2k.
    rebuilt = np.zeros((m, m))
    rebuilt_inv = np.zeros((m, m))
    for k in range(half):
        for row, bank_taps in ((k, bank[0]), (half + k, bank[1])):
            for p, w in bank_taps:
                rebuilt[row, (p + 2 * k) % m] += w
        for col, bank_taps in ((k, bank[2]), (half + k, bank[3])):
            for p, w in bank_taps:
                rebuilt_inv[(p + 2 * k) % m, col] += w
    if not (np.allclose(rebuilt, level, atol=1e-12) and np.allclose(rebuilt_inv, inverse)):
        raise ValueError(f"{wavelet}: the length-{m} DWT is not a periodic two-band filter bank")
    return bank


def _bwt_fast_last(x: torch.Tensor, wavelet: str) -> torch.Tensor:
    """Block wavelet transform of the last dimension (a power of two) by filter banks."""
    n = x.shape[-1]
    batch = x.shape[:-1]
    y = x
    block = n
    while block > 1:
        low_taps, high_taps, _, _ = _filter_bank(block, wavelet)
        blocks = y.reshape(*batch, n // block, block)
        low = sum(w * torch.roll(blocks, -p, dims=-1) for p, w in low_taps)[..., ::2]
        high = sum(w * torch.roll(blocks, -p, dims=-1) for p, w in high_taps)[..., ::2]
        y = torch.cat([low, high], dim=-1).reshape(*batch, n)
        block //= 2
    return y


def _ibwt_fast_last(c: torch.Tensor, wavelet: str) -> torch.Tensor:
    """Inverse of :func:`_bwt_fast_last` (synthesis filter banks, smallest blocks first)."""
    n = c.shape[-1]
    batch = c.shape[:-1]
    y = c
    block = 2
    while block <= n:
        _, _, low_taps, high_taps = _filter_bank(block, wavelet)
        blocks = y.reshape(*batch, n // block, 2, block // 2)
        up = torch.zeros(*batch, n // block, 2, block, dtype=c.dtype, device=c.device)
        up[..., ::2] = blocks
        low_up, high_up = up[..., 0, :], up[..., 1, :]
        y = sum(w * torch.roll(low_up, p, dims=-1) for p, w in low_taps) + sum(
            w * torch.roll(high_up, p, dims=-1) for p, w in high_taps
        )
        y = y.reshape(*batch, n)
        block *= 2
    return y


# ------------------------------------------------------------------ 1-D functional API


def _along(x: torch.Tensor, dim: int, fn: Callable[[torch.Tensor], torch.Tensor]):
    moved = torch.movedim(x, dim, -1)
    return torch.movedim(fn(moved), -1, dim)


def _matrix_last(x: torch.Tensor, m: np.ndarray) -> torch.Tensor:
    return x @ _as_tensor(m, x).T


def _pad_last(x: torch.Tensor, length: int) -> torch.Tensor:
    return F.pad(x, (0, length - x.shape[-1])) if length > x.shape[-1] else x


def _check_floating(x: torch.Tensor) -> None:
    if not x.is_floating_point():
        raise TypeError(f"transforms need a floating-point tensor, not {x.dtype}")


def dct(
    x: torch.Tensor, dim: int = -1, *, norm: str = "ortho", implementation: str | None = None
) -> torch.Tensor:
    """DCT-II of ``x`` along ``dim`` (any length; see :func:`dct_matrix` for ``norm``)."""
    _check_floating(x)
    check_norm(norm)
    impl = _implementation("dct", implementation)
    if impl == "fft":
        return _along(x, dim, lambda t: _dct_fft_last(t, norm))
    return _along(x, dim, lambda t: _matrix_last(t, dct_matrix(t.shape[-1], norm)))


def idct(
    c: torch.Tensor, dim: int = -1, *, norm: str = "ortho", implementation: str | None = None
) -> torch.Tensor:
    """Exact inverse of :func:`dct` (same ``norm``)."""
    _check_floating(c)
    check_norm(norm)
    impl = _implementation("dct", implementation)
    if impl == "fft":
        return _along(c, dim, lambda t: _idct_fft_last(t, norm))
    return _along(c, dim, lambda t: _matrix_last(t, idct_matrix(t.shape[-1], norm)))


def hadamard(x: torch.Tensor, dim: int = -1, *, implementation: str | None = None) -> torch.Tensor:
    """Orthonormal Hadamard transform along ``dim``, zero-padding it to the next power of two."""
    _check_floating(x)
    impl = _implementation("hadamard", implementation)

    def last(t):
        p = next_power_of_two(t.shape[-1])
        if impl == "fast":
            return _fwht_last(_pad_last(t, p))
        return _matrix_last(t, forward_matrix("hadamard", t.shape[-1]))

    return _along(x, dim, last)


def ihadamard(
    c: torch.Tensor, dim: int = -1, *, length: int | None = None, implementation: str | None = None
) -> torch.Tensor:
    """Inverse of :func:`hadamard`: transform back and crop to ``length`` (default: no crop)."""
    _check_floating(c)
    impl = _implementation("hadamard", implementation)
    p = check_power_of_two(c.shape[dim], "Hadamard")
    n = _crop_length(length, p)
    if impl == "fast":
        return _along(c, dim, lambda t: _fwht_last(t)[..., :n])
    return _along(c, dim, lambda t: _matrix_last(t, inverse_matrix("hadamard", n)))


def bwt(
    x: torch.Tensor,
    dim: int = -1,
    *,
    wavelet: str = DEFAULT_WAVELET,
    implementation: str | None = None,
) -> torch.Tensor:
    """Block wavelet transform along ``dim``, zero-padding it to the next power of two."""
    _check_floating(x)
    impl = _implementation("bwt", implementation)

    def last(t):
        p = next_power_of_two(t.shape[-1])
        if impl == "fast":
            return _bwt_fast_last(_pad_last(t, p), wavelet)
        return _matrix_last(t, forward_matrix("bwt", t.shape[-1], wavelet=wavelet))

    return _along(x, dim, last)


def ibwt(
    c: torch.Tensor,
    dim: int = -1,
    *,
    length: int | None = None,
    wavelet: str = DEFAULT_WAVELET,
    implementation: str | None = None,
) -> torch.Tensor:
    """Inverse of :func:`bwt`: transform back and crop to ``length`` (default: no crop)."""
    _check_floating(c)
    impl = _implementation("bwt", implementation)
    p = check_power_of_two(c.shape[dim], "block wavelet")
    n = _crop_length(length, p)
    if impl == "fast":
        return _along(c, dim, lambda t: _ibwt_fast_last(t, wavelet)[..., :n])
    return _along(c, dim, lambda t: _matrix_last(t, inverse_matrix("bwt", n, wavelet=wavelet)))


def _crop_length(length: int | None, padded: int) -> int:
    if length is None:
        return padded
    n = check_length(length)
    if padded_length("hadamard", n) != padded:
        raise ValueError(
            f"cannot crop {padded} coefficients to length {n}: {n} pads to another size"
        )
    return n


# ------------------------------------------------------------------ 2-D separable module


class Transform2d(nn.Module):
    """Separable 2-D transform of the last two dimensions of ``(..., height, width)`` tensors.

    :meth:`forward` maps a ``(..., height, width)`` tensor to its
    ``(..., padded_height, padded_width)`` coefficients (rows transformed, then columns;
    the order does not matter for a separable transform); :meth:`inverse` maps
    coefficients back and crops to ``(..., height, width)``, so that
    ``inverse(forward(x)) == x`` to rounding. ``padded_*`` equal the sizes for the DCT and
    are the next powers of two otherwise.

    Parameters
    ----------
    kind : {"dct", "hadamard", "bwt"}
    height, width : int
        Spatial size of the signals.
    implementation : {"matrix", "fft"} for the DCT, {"matrix", "fast"} otherwise
        Default: :data:`DEFAULT_IMPLEMENTATION`.
    norm : {"ortho", "backward"}
        DCT normalisation (ignored by the other families).
    wavelet : str
        PyWavelets wavelet of the BWT (default ``bior1.3``).

    The matrices are non-persistent float64 buffers, cast to the input's dtype on use: they
    follow ``.to(device)`` but are not saved in state dicts.
    """

    def __init__(
        self,
        kind: str,
        height: int,
        width: int,
        *,
        implementation: str | None = None,
        norm: str = "ortho",
        wavelet: str = DEFAULT_WAVELET,
    ):
        super().__init__()
        self.kind = check_kind(kind)
        self.height = check_length(height, "height")
        self.width = check_length(width, "width")
        self.implementation = _implementation(kind, implementation)
        self.norm = check_norm(norm)
        self.wavelet = wavelet
        self.padded_height = padded_length(kind, self.height)
        self.padded_width = padded_length(kind, self.width)
        opts = {"norm": norm, "wavelet": wavelet}
        for name, n in (("h", self.height), ("w", self.width)):
            fwd = forward_matrix(kind, n, **opts)
            inv = inverse_matrix(kind, n, **opts)
            self.register_buffer(f"forward_{name}", _float(fwd), persistent=False)
            self.register_buffer(f"inverse_{name}", _float(inv), persistent=False)

    def extra_repr(self) -> str:
        return (
            f"{self.kind}, {self.height}x{self.width} -> {self.padded_height}x"
            f"{self.padded_width}, implementation={self.implementation}"
            + (f", norm={self.norm}" if self.kind == "dct" else "")
        )

    def _check_input(self, x: torch.Tensor, h: int, w: int, what: str) -> None:
        if x.dim() < 2 or tuple(x.shape[-2:]) != (h, w):
            raise ValueError(
                f"{self.kind} transform expects {what} of spatial size {h}x{w}, "
                f"got shape {tuple(x.shape)}"
            )

    def _rows_then_columns(self, x, fn_w, fn_h):
        y = fn_w(x)
        return fn_h(y.transpose(-1, -2)).transpose(-1, -2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Coefficients ``(..., padded_height, padded_width)`` of ``(..., height, width)``."""
        self._check_input(x, self.height, self.width, "signals")
        if self.kind == "hadamard" and self.implementation == "fast":
            padded = F.pad(
                x, (0, self.padded_width - self.width, 0, self.padded_height - self.height)
            )
            return _fwht(_fwht(padded, -1), -2)
        if self.implementation == "matrix":
            return self._rows_then_columns(
                x,
                lambda t: t @ self.forward_w.to(t.dtype).T,
                lambda t: t @ self.forward_h.to(t.dtype).T,
            )
        return self._rows_then_columns(x, self._fast_forward, self._fast_forward)

    def inverse(self, c: torch.Tensor) -> torch.Tensor:
        """Signals ``(..., height, width)`` from coefficients ``(..., padded_h, padded_w)``."""
        self._check_input(c, self.padded_height, self.padded_width, "coefficients")
        if self.kind == "hadamard" and self.implementation == "fast":
            return _fwht(_fwht(c, -1), -2)[..., : self.height, : self.width]
        if self.implementation == "matrix":
            return self._rows_then_columns(
                c,
                lambda t: t @ self.inverse_w.to(t.dtype).T,
                lambda t: t @ self.inverse_h.to(t.dtype).T,
            )
        return self._rows_then_columns(
            c,
            lambda t: self._fast_inverse(t, self.width),
            lambda t: self._fast_inverse(t, self.height),
        )

    def _fast_forward(self, t: torch.Tensor) -> torch.Tensor:
        if self.kind == "dct":
            return _dct_fft_last(t, self.norm)
        t = _pad_last(t, next_power_of_two(t.shape[-1]))
        if self.kind == "hadamard":
            return _fwht_last(t)
        return _bwt_fast_last(t, self.wavelet)

    def _fast_inverse(self, t: torch.Tensor, n: int) -> torch.Tensor:
        if self.kind == "dct":
            return _idct_fft_last(t, self.norm)
        if self.kind == "hadamard":
            return _fwht_last(t)[..., :n]
        return _ibwt_fast_last(t, self.wavelet)[..., :n]

    def multiplications(self, channels: int) -> int:
        """Multiplications of one 2-D transform (forward or inverse) of ``channels`` images,
        counted as matrix products (``channels (P_h^2 P_w + P_h P_w^2)`` on the padded
        sizes, the paper's convention); 0 for the Hadamard transform, whose butterfly
        only adds and subtracts (its ``1/sqrt n`` scale folds into the layer's filter and
        threshold)."""
        if self.kind == "hadamard":
            return 0
        ph, pw = self.padded_height, self.padded_width
        return channels * (ph * ph * pw + ph * pw * pw)


def _float(m: np.ndarray) -> torch.Tensor:
    # Kept in float64 and cast to the input's dtype on use (tiny matrices), so that a
    # float64 computation gets float64-exact matrices.
    return torch.tensor(np.asarray(m), dtype=torch.float64)


# ------------------------------------------------------------------ benchmark


def benchmark(
    sizes=(8, 16, 28, 32, 56, 64),
    *,
    kinds=TRANSFORMS,
    images: int = 512,
    repeats: int = 7,
    threads: int = 1,
    backward: bool = True,
) -> list[dict]:
    """Time every implementation of every transform on the CPU.

    One measurement is ``inverse(forward(x))`` of a float32 batch of ``images``
    ``n``×``n`` images, plus its backward pass if ``backward`` (what a training step
    costs); the median of ``repeats`` runs after one warm-up is reported, in
    milliseconds, with torch limited to ``threads`` threads.

    Returns
    -------
    list of dict
        ``{"transform", "implementation", "n", "padded", "images", "ms"}`` per case.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    rows = []
    try:
        gen = torch.Generator().manual_seed(0)
        for kind in kinds:
            check_kind(kind)
            for n in sizes:
                x0 = torch.randn(images, n, n, generator=gen)
                for impl in IMPLEMENTATIONS[kind]:
                    t = Transform2d(kind, n, n, implementation=impl)
                    times = []
                    for rep in range(repeats + 1):
                        x = x0.clone().requires_grad_(backward)
                        start = time.perf_counter()
                        y = t.inverse(t.forward(x))
                        if backward:
                            y.sum().backward()
                        if rep:
                            times.append(time.perf_counter() - start)
                    rows.append(
                        {
                            "transform": kind,
                            "implementation": impl,
                            "n": n,
                            "padded": t.padded_height,
                            "images": images,
                            "ms": round(1000 * float(np.median(times)), 3),
                        }
                    )
    finally:
        torch.set_num_threads(previous)
    return rows
