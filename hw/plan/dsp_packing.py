"""Two multiplies per DSP48E1 slice ("DSP packing"): the shift and a reference model.

Two MAC lanes that share the data value ``x`` but have their own weights ``w_lo`` and
``w_hi`` can share one multiplier: the weights are packed into one operand
``A = w_hi·2**k + w_lo`` on the slice's 25-bit signed port, ``x`` goes on the 18-bit
signed port, and the product ``M = A·x = (w_hi·x)·2**k + w_lo·x`` carries both
products, split after the multiplier:

- ``lo`` = the low ``k`` bits of ``M``, sign-extended;
- ``hi`` = ``(M >> k) + M[k − 1]`` (arithmetic shift; ``M[k − 1]`` is bit ``k − 1``).

Why the split is exact, for signed ``X``-bit data and ``W``-bit weights:

1. Ranges. ``x`` lies in ``[−2**(X−1), 2**(X−1) − 1]`` and each weight in
   ``[−2**(W−1), 2**(W−1) − 1]``, so a product ``w·x`` lies in
   ``[−2**(X+W−2) + 2**(min(X, W)−1), 2**(X+W−2)]``; its maximum (both operands at
   their most negative) needs ``X + W`` bits signed, every other product ``X + W − 1``.
2. ``lo``. Write ``L = w_lo·x``. The term ``(w_hi·x)·2**k`` has ``k`` zero low bits, so
   the low ``k`` bits of ``M`` are those of ``L``; sign-extending them gives back ``L``
   exactly when ``L`` fits ``k`` bits two's complement, ``−2**(k−1) ≤ L < 2**(k−1)``.
   By 1 the smallest such ``k`` is ``X + W``.
3. ``hi``. ``M >> k = floor(M / 2**k) = w_hi·x + floor(L / 2**k)``, and with ``L`` in
   ``k`` bits, ``floor(L / 2**k)`` is ``−1`` for ``L < 0`` and ``0`` otherwise; bit
   ``k − 1`` of ``M`` is bit ``k − 1`` of ``L``, its sign. So
   ``(M >> k) + M[k − 1] = w_hi·x``. (Equivalently ``hi = (M + 2**(k−1)) >> k``.)
   ``M >> k`` lies in ``[min(w_hi·x) − 1, max(w_hi·x)]``, which by 1 still fits
   ``X + W`` bits, so ``M`` itself fits ``k + X + W`` bits.
4. The ports. ``x`` must fit the 18-bit port: ``X ≤ 18``. ``A`` ranges over
   ``[−2**(W−1)·(2**k + 1), (2**(W−1) − 1)·(2**k + 1)]``; its low ``k`` bits are those of
   ``w_lo`` and its upper part is ``w_hi − [w_lo < 0]``, which needs ``W + 1`` bits, so
   ``A`` needs ``k + W + 1`` bits and must fit the 25-bit port. A larger ``k`` only
   widens ``A``, so the smallest exact ``k`` is the only candidate. The 25 × 18
   multiplier itself is exact (43-bit product).

Results: 8-bit data and weights give ``k = 16`` and a 25-bit ``A`` (exactly the port);
7- and 6-bit weights with 8-bit data give ``k = 15`` and ``14``; 9-bit data with 8-bit
weights needs a 26-bit ``A`` and is refused, as are 12-bit weights (33 bits with 8-bit
data).
"""

from __future__ import annotations

import numpy as np

from lst.errors import ConfigError

__all__ = ["DSP48E1_A_WIDTH", "DSP48E1_B_WIDTH", "packed_products", "packing_shift"]

#: Signed width of the DSP48E1 multiplier's A input (and of the pre-adder's output).
DSP48E1_A_WIDTH = 25
#: Signed width of the DSP48E1 multiplier's B input.
DSP48E1_B_WIDTH = 18


def _signed_bits(low: int, high: int) -> int:
    """The fewest bits of two's complement that hold every integer in ``[low, high]``."""
    bits = 1
    while not -(1 << (bits - 1)) <= low <= high <= (1 << (bits - 1)) - 1:
        bits += 1
    return bits


def packing_shift(x_width: int, w_width: int) -> int:
    """The shift ``k`` that packs two products of one data value into one DSP48E1.

    The smallest ``k`` for which every lower product ``w_lo·x`` is exact in ``k`` bits,
    checked against the ports: the data must fit the 18-bit port and the packed weight
    ``w_hi·2**k + w_lo`` the 25-bit port (module docstring).

    Parameters
    ----------
    x_width, w_width : int
        Signed widths of the data and the weights (≥ 2).

    Returns
    -------
    int
        ``k`` (``x_width + w_width``).

    Raises
    ------
    ConfigError
        A width that is not an integer ≥ 2, or two products that do not fit one slice;
        the message names the port and the width it would need.
    """
    for name, value in (("x_width", x_width), ("w_width", w_width)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 2:
            raise ConfigError(f"{name} must be an integer of at least 2, not {value!r}")
    x_min, x_max = -(1 << (x_width - 1)), (1 << (x_width - 1)) - 1
    w_min, w_max = -(1 << (w_width - 1)), (1 << (w_width - 1)) - 1
    products = (x_min * w_min, x_min * w_max, x_max * w_min, x_max * w_max)
    k = _signed_bits(min(products), max(products))
    what = f"two products of {w_width}-bit weights and {x_width}-bit data"
    if x_width > DSP48E1_B_WIDTH:
        raise ConfigError(
            f"{what} do not fit one DSP48E1: the data need {x_width} bits, "
            f"the port has {DSP48E1_B_WIDTH}"
        )
    a_bits = _signed_bits(w_min * (1 << k) + w_min, w_max * (1 << k) + w_max)
    if a_bits > DSP48E1_A_WIDTH:
        raise ConfigError(
            f"{what} do not fit one DSP48E1: the packed weight needs {a_bits} bits, "
            f"the port has {DSP48E1_A_WIDTH}"
        )
    return k


def _wrap(v: np.ndarray, bits: int) -> np.ndarray:
    """``v`` reduced to ``bits`` bits of two's complement (what a port of that width keeps)."""
    half = np.int64(1) << (bits - 1)
    return ((v + half) & ((half << 1) - 1)) - half


def packed_products(x, w_lo, w_hi, k: int) -> tuple[np.ndarray, np.ndarray]:
    """What a packed DSP48E1 lane pair computes: pack, multiply, split, correct.

    ``A = w_hi·2**k + w_lo`` and ``x`` are cut to the 25- and 18-bit ports, multiplied,
    and the product is split into ``lo`` (its low ``k`` bits, sign-extended) and
    ``hi = (M >> k) + M[k − 1]``. Equal to ``(w_lo·x, w_hi·x)`` for every operand when
    ``k`` comes from :func:`packing_shift` (module docstring); with a smaller ``k`` or
    wider operands the cut ports give wrong results, as the hardware would.

    Parameters
    ----------
    x, w_lo, w_hi : array_like of int
        Data and weights (broadcast together, converted to int64).
    k : int
        The shift (≥ 1).

    Returns
    -------
    lo, hi : numpy.ndarray of int64
    """
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be an integer of at least 1, not {k!r}")
    x, w_lo, w_hi = (np.asarray(v, dtype=np.int64) for v in (x, w_lo, w_hi))
    a = _wrap(w_hi * (np.int64(1) << k) + w_lo, DSP48E1_A_WIDTH)
    m = a * _wrap(x, DSP48E1_B_WIDTH)
    lo = _wrap(m, k)
    hi = (m >> k) + ((m >> (k - 1)) & 1)  # numpy's >> on int64 is arithmetic
    return lo, hi
