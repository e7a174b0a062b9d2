"""``MacArray``: the parallel multiply-accumulate lanes, DSP48E1 slices and fabric."""

from __future__ import annotations

from amaranth import C, Cat, ClockSignal, Instance, Module, Mux, Signal, signed
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ..plan.config import DEFAULT_STYLE, FABRIC_STYLES
from ..plan.dsp_packing import packing_shift
from ..plan.latency import MAC_ARRAY
from .fabric_multiplier import FabricMultiplier

__all__ = ["MacArray"]


class MacArray(wiring.Component):
    """``lanes`` multiply-accumulate units working in lockstep, pipelined like a DSP48E1.

    Each cycle with ``en`` asserted, lane ``l`` computes
    ``acc[l] ← (first ? 0 : acc[l]) + x[l]·w[l]``; without ``en`` it holds. Biases are
    added later, on the way out (:class:`~hw.components.lane_drain.LaneDrain`), so each lane is a
    plain multiply-accumulate.

    Three register stages, as in a DSP48E1 with its input, multiplier and output
    registers (AREG/BREG = 1, MREG = 1, PREG = 1): the operands, the product, the
    accumulator. ``en`` and ``first`` travel with the operands, so the pipeline itself
    never stalls. Lanes ``0 … dsp_lanes − 1`` are written as one multiply-add per
    stage, which synthesis maps onto one DSP48E1 slice each; the other lanes use a
    :class:`~hw.components.fabric_multiplier.FabricMultiplier` (LUTs and carry chains, which
    synthesis cannot turn into a DSP slice) and a fabric accumulator.

    Packed pairs (``packed_pairs > 0``): the first ``packed_pairs`` slices each carry two
    lanes, ``2p`` (lo) and ``2p + 1`` (hi), which must receive the same data value (the
    caller guarantees it; ``x[2p + 1]`` is ignored, ``x[2p]`` is used for both). One
    multiplier computes ``M = (w[2p + 1]·2**k + w[2p])·x[2p]`` with the shift ``k`` of
    :func:`~hw.plan.dsp_packing.packing_shift` (16 for 8-bit data and weights), and ``M``
    is split after the product register: lane ``2p`` adds the low ``k`` bits of ``M``
    sign-extended, lane ``2p + 1`` adds ``(M >> k) + M[k − 1]``, the correction entering
    its adder as the carry in; :mod:`hw.plan.dsp_packing` has the proof that both are
    exact and a reference model. Same three stages, same latency, same ``en``/``first``;
    the two accumulators are in the fabric (the slice has one accumulator). The packed
    weight is written as a sum in front of the operand register; Yosys 0.70
    (``synth_xilinx -family xc7``) moves that sum into the slice's pre-adder (A + D,
    ``USE_DPORT``, with ADREG as the operand register), so forming it costs no LUTs.

    Measured with Yosys 0.70 (``synth_xilinx -family xc7 -flatten``), 8-bit data and
    weights, 26-bit accumulators, two lanes: a packed pair is 1 DSP48E1 (BREG, ADREG,
    MREG), 52 LUT (the two accumulators, one LUT per bit) and 1 INV, 56 FF, 14 CARRY4;
    one DSP lane plus one ``booth`` fabric lane is 1 DSP48E1, 75 LUT and 1 INV, 62 FF,
    21 CARRY4; two DSP lanes are 2 DSP48E1, no LUTs and 4 FF. The netlist with the
    pre-adder matched this RTL in Icarus with Yosys's DSP48E1 model (``cells_sim.v``,
    20 000 random cycles, from the first restart on). Forming the packed weight in the
    fabric instead (the upper part ``w_hi − [w_lo < 0]`` as a decrement, AREG as its
    register) took 2 LUT, 7 INV and 3 CARRY4 more; ``acc + (M >> k) + M[k − 1]``
    written as a three-operand sum instead of the explicit carry in took 26 LUT more
    (ABC left the restart's AND and the adder's XOR in separate LUTs).

    Parameters
    ----------
    lanes : int
        Number of lanes (≥ 1).
    x_width, w_width : int
        Signed widths of the data and weight operands.
    acc_width : int
        Signed width of the accumulators; the caller guarantees that no sum of
        products it requests leaves this range (see ``docs/fixed-point.md``).
    dsp_lanes : int
        Lanes built for DSP48E1 slices (default: all of them).
    fabric_style : str
        The fabric lanes' multiplier (:data:`hw.components.fabric_multiplier.FABRIC_STYLES`).
    packed_pairs : int
        DSP slices that each carry two lanes (lanes ``2p`` and ``2p + 1`` for
        ``p < packed_pairs``; default 0, no packing). ``dsp_lanes`` still counts lanes, so
        ``2·packed_pairs ≤ dsp_lanes`` and the array uses
        ``dsp_lanes − packed_pairs`` slices.

    Ports
    -----
    en, first : In(1)
        Accumulate this cycle's operands; start a new dot product with their product.
    x : In(ArrayLayout(signed(x_width), lanes))
        In a packed pair, ``x[2p + 1]`` is ignored (lane ``2p + 1`` uses ``x[2p]``).
    w : In(ArrayLayout(signed(w_width), lanes))
    acc : Out(ArrayLayout(signed(acc_width), lanes))
        Registered: includes the operands of an enabled cycle :attr:`latency` (3)
        cycles later.

    Raises
    ------
    ValueError
        On a parameter out of range; a :class:`~lst.errors.ConfigError` (also a
        ``ValueError``) from :func:`~hw.plan.dsp_packing.packing_shift` when packed pairs
        are asked for widths whose two products do not fit one DSP48E1.
    """

    #: Cycles from an enabled cycle's operands to the accumulator that includes them.
    latency = MAC_ARRAY

    def __init__(
        self,
        *,
        lanes: int,
        x_width: int = 8,
        w_width: int = 12,
        acc_width: int = 30,
        dsp_lanes: int | None = None,
        fabric_style: str | None = None,
        packed_pairs: int = 0,
    ):
        for name, value, low in (
            ("lanes", lanes, 1),
            ("x_width", x_width, 2),
            ("w_width", w_width, 2),
            ("acc_width", acc_width, 2),
        ):
            if not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be an integer of at least {low}, not {value!r}")
        if acc_width > 48:
            raise ValueError(f"acc_width must be at most 48 (one DSP48E1), not {acc_width}")
        if dsp_lanes is None:
            dsp_lanes = lanes
        if not isinstance(dsp_lanes, int) or not 0 <= dsp_lanes <= lanes:
            raise ValueError(f"dsp_lanes must be an integer from 0 to {lanes}, not {dsp_lanes!r}")
        fabric_style = DEFAULT_STYLE if fabric_style is None else fabric_style
        if fabric_style not in FABRIC_STYLES:
            raise ValueError(
                f"fabric_style must be one of {', '.join(FABRIC_STYLES)}, not {fabric_style!r}"
            )
        if (
            not isinstance(packed_pairs, int)
            or isinstance(packed_pairs, bool)
            or not 0 <= packed_pairs <= dsp_lanes // 2
        ):
            raise ValueError(
                f"packed_pairs must be an integer from 0 to {dsp_lanes // 2} "
                f"(dsp_lanes // 2), not {packed_pairs!r}"
            )
        # The shift between the two products of a packed slice (ConfigError if none fits).
        self.shift = packing_shift(x_width, w_width) if packed_pairs else None
        self.lanes = lanes
        self.x_width, self.w_width = x_width, w_width
        self.dsp_lanes = dsp_lanes
        self.fabric_style = fabric_style
        self.packed_pairs = packed_pairs
        super().__init__(
            {
                "en": In(1),
                "first": In(1),
                "x": In(data.ArrayLayout(signed(x_width), lanes)),
                "w": In(data.ArrayLayout(signed(w_width), lanes)),
                "acc": Out(data.ArrayLayout(signed(acc_width), lanes)),
            }
        )

    def elaborate(self, platform):
        m = Module()
        product = signed(self.x_width + self.w_width)
        # Control follows the operands through the operand and product registers.
        en1, first1, en2, first2 = Signal(), Signal(), Signal(), Signal()
        m.d.sync += [en1.eq(self.en), first1.eq(self.first), en2.eq(en1), first2.eq(first1)]
        # On an ECP5 the DSP lanes are MULT18X18D blocks with their own input and output
        # registers: Yosys maps a product onto the block without them, and the fabric
        # registers then sit where the placer puts them, often far from the block.
        ecp5 = getattr(platform, "family", None) == "ecp5"
        for lane in range(self.lanes):
            if lane < 2 * self.packed_pairs:
                if lane % 2 == 0:
                    self._packed_pair(m, lane, en2, first2)
                continue
            if ecp5 and lane < self.dsp_lanes:
                p2 = self._ecp5_multiplier(m, lane)
            elif lane < self.dsp_lanes:
                x1, w1 = self._operands(m, lane)
                p2 = Signal(product, name=f"p{lane}")
                m.d.sync += p2.eq(x1 * w1)
            else:
                x1, w1 = self._operands(m, lane)
                mul = FabricMultiplier(
                    a_width=self.x_width, b_width=self.w_width, style=self.fabric_style
                )
                m.submodules[f"fabric{lane}"] = mul
                m.d.comb += [mul.a.eq(x1), mul.b.eq(w1), mul.en.eq(1)]
                p2 = mul.p
            acc = self.acc[lane]
            # One expression: with the registers above, synthesis packs the restart
            # choice (OPMODE), the adder and this register into the slice.
            with m.If(en2):
                m.d.sync += acc.eq(Mux(first2, 0, acc) + p2)
        return m

    def _operands(self, m: Module, lane: int) -> tuple[Signal, Signal]:
        """Lane ``lane``'s data and weight, registered (AREG/BREG)."""
        x1 = Signal(signed(self.x_width), name=f"x{lane}")
        w1 = Signal(signed(self.w_width), name=f"w{lane}")
        m.d.sync += [x1.eq(self.x[lane]), w1.eq(self.w[lane])]
        return x1, w1

    def _ecp5_multiplier(self, m: Module, lane: int) -> Signal:
        """``x[lane]·w[lane]`` on a Lattice MULT18X18D, its inputs and product registered
        in the block (REG_INPUTA/B, REG_OUTPUT): the operand and product registers of
        the other lanes, so the same two cycles (ports as Yosys's own mapping,
        ``share/lattice/dsp_map_18x18.v``)."""
        a, b = Signal(signed(18), name=f"mul_a{lane}"), Signal(signed(18), name=f"mul_b{lane}")
        p = Signal(signed(36), name=f"mul_p{lane}")
        m.d.comb += [a.eq(self.x[lane]), b.eq(self.w[lane])]
        ports = {f"i_A{i}": a[i] for i in range(18)}
        ports |= {f"i_B{i}": b[i] for i in range(18)}
        ports |= {f"i_C{i}": C(0, 1) for i in range(18)}
        ports |= {f"o_P{i}": p[i] for i in range(36)}
        m.submodules[f"mult{lane}"] = Instance(
            "MULT18X18D",
            p_REG_INPUTA_CLK="CLK0",
            p_REG_INPUTB_CLK="CLK0",
            p_REG_OUTPUT_CLK="CLK0",
            i_SIGNEDA=C(1, 1),
            i_SIGNEDB=C(1, 1),
            i_SOURCEA=C(0, 1),
            i_SOURCEB=C(0, 1),
            i_CLK0=ClockSignal("sync"),
            i_CE0=C(1, 1),
            i_RST0=C(0, 1),
            **ports,
        )
        p2 = Signal(signed(self.x_width + self.w_width), name=f"p{lane}")
        m.d.comb += p2.eq(p)
        return p2

    def _packed_pair(self, m: Module, lo: int, en2: Signal, first2: Signal):
        """Lanes ``lo`` and ``lo + 1`` on one slice (class docstring, packed pairs)."""
        hi, k = lo + 1, self.shift
        x1 = Signal(signed(self.x_width), name=f"x{lo}")
        # The packed weight, registered; Yosys puts this sum into the pre-adder (ADREG).
        a1 = Signal(signed(self.w_width + 1 + k), name=f"w{lo}_{hi}")
        m.d.sync += [x1.eq(self.x[lo]), a1.eq((self.w[hi] << k) + self.w[lo])]
        # M fits k + x_width + w_width bits (hw.plan.dsp_packing).
        p2 = Signal(signed(k + self.x_width + self.w_width), name=f"p{lo}_{hi}")
        m.d.sync += p2.eq(x1 * a1)
        acc_lo, acc_hi = self.acc[lo], self.acc[hi]
        # hi = (M >> k) + M[k − 1] as one adder with M[k − 1] as its carry in: a
        # constant-1 bit below both operands carries M[k − 1] up and is dropped.
        sum_hi = (
            Cat(C(1, 1), Mux(first2, 0, acc_hi)).as_signed() + Cat(p2[k - 1], p2[k:]).as_signed()
        )
        with m.If(en2):
            m.d.sync += [
                acc_lo.eq(Mux(first2, 0, acc_lo) + p2[:k].as_signed()),
                acc_hi.eq(sum_hi[1:]),
            ]
