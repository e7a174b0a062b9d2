"""The transform matrices in NumPy (float64, cached, read-only), without torch.

DCT-II and its inverse, the orthonormal Walsh-Hadamard matrix (natural order) and the
block wavelet (full wavelet-packet tree of PyWavelets' periodized single-level DWT), each
with its exact inverse, and the ``P``×``n`` forms with zero padding folded in
(:func:`forward_matrix`, :func:`inverse_matrix`). Convention: coefficients = ``M @
signal``. :mod:`lst.transform.transforms` applies them to tensors; the fixed-point side
can use them without importing torch.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = [
    "DCT_NORMS",
    "DEFAULT_WAVELET",
    "TRANSFORMS",
    "bwt_matrix",
    "dct_matrix",
    "forward_matrix",
    "hadamard_matrix",
    "ibwt_matrix",
    "idct_matrix",
    "inverse_matrix",
    "next_power_of_two",
    "padded_length",
]

#: The transform families, by name.
TRANSFORMS = ("dct", "hadamard", "bwt")

DCT_NORMS = ("ortho", "backward")
DEFAULT_WAVELET = "bior1.3"


# ------------------------------------------------------------------ sizes and checks


def check_kind(kind: str) -> str:
    if kind not in TRANSFORMS:
        raise ValueError(f"unknown transform {kind!r}; choose one of {', '.join(TRANSFORMS)}")
    return kind


def check_length(n: int, what: str = "length") -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{what} must be a positive integer, not {n!r}")
    return int(n)


def check_power_of_two(n: int, kind: str) -> int:
    n = check_length(n)
    if n & (n - 1):
        raise ValueError(
            f"{kind} matrix size must be a power of two, not {n} (pad to {next_power_of_two(n)})"
        )
    return n


def check_norm(norm: str) -> str:
    if norm not in DCT_NORMS:
        raise ValueError(
            f"unknown DCT normalisation {norm!r}; choose one of {', '.join(DCT_NORMS)}"
        )
    return norm


def next_power_of_two(n: int) -> int:
    """The smallest power of two that is at least ``n`` (``n`` >= 1)."""
    n = check_length(n)
    return 1 << (n - 1).bit_length()


def padded_length(kind: str, n: int) -> int:
    """Length of the coefficients of a length-``n`` signal: ``n`` for the DCT, else the next
    power of two."""
    check_kind(kind)
    n = check_length(n)
    return n if kind == "dct" else next_power_of_two(n)


# ------------------------------------------------------------------ matrices (NumPy)
# Convention: coefficients = M @ signal (columns are signals).


@functools.lru_cache(maxsize=64)
def _dct_matrix(n: int, norm: str) -> np.ndarray:
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    m = 2.0 * np.cos(np.pi * k * (2 * i + 1) / (2 * n))
    if norm == "ortho":
        m *= dct_ortho_scale(n)[:, None]
    m.setflags(write=False)
    return m


def dct_ortho_scale(n: int) -> np.ndarray:
    """Row scale turning scipy's unnormalised DCT-II into the orthonormal one."""
    s = np.full(n, np.sqrt(1.0 / (2 * n)))
    s[0] = np.sqrt(1.0 / (4 * n))
    return s


def dct_matrix(n: int, norm: str = "ortho") -> np.ndarray:
    """The ``n``×``n`` DCT-II matrix ``C`` (coefficients ``= C @ x``), float64, read-only.

    ``norm="ortho"``: orthonormal (``C @ C.T = I``). ``norm="backward"``: scipy's
    default, ``C[k, i] = 2 cos(pi k (2i + 1) / 2n)``.
    """
    return _dct_matrix(check_length(n), check_norm(norm))


@functools.lru_cache(maxsize=64)
def _idct_matrix(n: int, norm: str) -> np.ndarray:
    if norm == "ortho":
        m = _dct_matrix(n, norm).T.copy()
    else:
        # Exact inverse of the unnormalised DCT-II: x_i = (y_0 + 2 sum_k y_k cos(.)) / 2n.
        i = np.arange(n)[:, None]
        k = np.arange(n)[None, :]
        m = np.cos(np.pi * k * (2 * i + 1) / (2 * n)) / n
        m[:, 0] = 0.5 / n
    m.setflags(write=False)
    return m


def idct_matrix(n: int, norm: str = "ortho") -> np.ndarray:
    """The exact inverse of :func:`dct_matrix` (a scaled DCT-III), float64, read-only."""
    return _idct_matrix(check_length(n), check_norm(norm))


@functools.lru_cache(maxsize=64)
def _hadamard_matrix(n: int) -> np.ndarray:
    h = np.ones((1, 1))
    while h.shape[0] < n:
        h = np.block([[h, h], [h, -h]])
    h = h / np.sqrt(n)
    h.setflags(write=False)
    return h


def hadamard_matrix(n: int) -> np.ndarray:
    """The orthonormal Hadamard matrix of size ``n`` (a power of two) in natural (Sylvester)
    order: ``H_1 = [1]``, ``H_2m = [[H_m, H_m], [H_m, -H_m]] / sqrt 2``. Symmetric and its own
    inverse."""
    return _hadamard_matrix(check_power_of_two(n, "Hadamard"))


@functools.lru_cache(maxsize=64)
def dwt_level_matrix(m: int, wavelet: str) -> np.ndarray:
    """Single-level periodized DWT of length ``m`` (even): rows ``[approximation; detail]``."""
    import pywt

    # pywt transforms each row of the identity; row i of its output is the DWT of e_i.
    approx, detail = pywt.dwt(np.eye(m), wavelet, mode="periodization", axis=-1)
    level = np.concatenate([approx, detail], axis=-1).T
    if level.shape != (m, m):
        raise ValueError(f"{wavelet}: a periodized DWT of length {m} is not square")
    return level


@functools.lru_cache(maxsize=64)
def _bwt_matrix(n: int, wavelet: str) -> np.ndarray:
    m = np.eye(n)
    block = n
    while block > 1:
        level = dwt_level_matrix(block, wavelet)
        # Apply the level to every block of the current coefficients (block-diagonal).
        m = np.kron(np.eye(n // block), level) @ m
        block //= 2
    m.setflags(write=False)
    return m


def bwt_matrix(n: int, wavelet: str = DEFAULT_WAVELET) -> np.ndarray:
    """The block wavelet transform matrix of size ``n`` (a power of two), float64, read-only.

    A full wavelet-packet tree: the single-level periodized DWT (PyWavelets, ``wavelet``)
    on the whole signal, then on each half, each quarter, ... down to blocks of two,
    coefficients kept in tree order ``[a | d]``, ``[aa | ad | da | dd]``, ...
    """
    return _bwt_matrix(check_power_of_two(n, "block wavelet"), wavelet)


@functools.lru_cache(maxsize=64)
def _ibwt_matrix(n: int, wavelet: str) -> np.ndarray:
    m = np.linalg.inv(_bwt_matrix(n, wavelet))
    m.setflags(write=False)
    return m


def ibwt_matrix(n: int, wavelet: str = DEFAULT_WAVELET) -> np.ndarray:
    """The inverse of :func:`bwt_matrix` (its matrix inverse), float64, read-only."""
    return _ibwt_matrix(check_power_of_two(n, "block wavelet"), wavelet)


def forward_matrix(kind: str, n: int, *, norm: str = "ortho", wavelet: str = DEFAULT_WAVELET):
    """``P``×``n`` matrix from a length-``n`` signal to its ``P`` coefficients (zero padding
    folded in: the columns of the padded samples are dropped)."""
    p = padded_length(kind, n)
    if kind == "dct":
        return dct_matrix(n, norm)
    full = hadamard_matrix(p) if kind == "hadamard" else bwt_matrix(p, wavelet)
    return full[:, :n]


def inverse_matrix(kind: str, n: int, *, norm: str = "ortho", wavelet: str = DEFAULT_WAVELET):
    """``n``×``P`` matrix from ``P`` coefficients back to the signal (cropping folded in)."""
    p = padded_length(kind, n)
    if kind == "dct":
        return idct_matrix(n, norm)
    full = hadamard_matrix(p) if kind == "hadamard" else ibwt_matrix(p, wavelet)
    return full[:n, :]
