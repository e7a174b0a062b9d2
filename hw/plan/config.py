"""Generator settings of the LST core and the geometry they imply.

:class:`CoreConfig` is a typed dataclass that round-trips through JSON; everything
the RTL, the ROM packer, the simulations and the reports need to know about a
configuration is derived here, in one place.

How the lanes are used (see ``docs/hardware.md``): the core runs the passes of an
image (a row and a column pass per block, then the output layer) one after the other
on the same ``lanes`` multiply-accumulate units. Lanes
are split into ``groups`` of ``group_lanes``; every lane of a group multiplies the
same broadcast data value by its own weight.

``group_lanes`` is the largest divisor of 28 that divides ``lanes`` and ``groups`` the
rest: 28 lanes are one group, 56 two, 98 seven groups of 14, 112 four groups of 28,
140 five, 168 six and 196 seven groups of 28.

* row pass: group ``s`` works on image row ``r·groups + s`` in round ``r`` (of
  ``rounds = ceil(28 / groups)``); its lanes compute the outputs ``E[row,
  g·group_lanes + l]`` of output group ``g``, 28 taps each. Where ``groups`` does not
  divide 28 (140 and 168 lanes: *ragged* groups), the last round has rows for only
  ``28 − (rounds − 1)·groups`` groups; the others idle, and their results are written
  where nothing reads them (``hw.plan.buffer_layout``);
* column pass: group ``s`` works on column ``c·groups + s``, lanes on output rows;
* output layer: with fewer than 10 lanes, the lanes take the classes in ``rounds``;
  with 10 or more, the 784 taps are split into ``partitions`` read in parallel, lane
  ``p·10 + c`` summing partition ``p`` of class ``c``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

from lst.arch import LST_MODELS, LSTArch, default_checkpoint, get_arch
from lst.errors import ConfigError
from lst.jsonconfig import JSONConfig

from .schedule import pass_gaps
from .shape import CLASSES, N

__all__ = [
    "SUPPORTED_LANES",
    "SUPPORTED_PIXELS_PER_BEAT",
    "WEIGHT_MODES",
    "CoreConfig",
    "lane_acc_width",
]

#: Lane counts the generator accepts: divisors of 28 (one group), groups of 14 or 28
#: lanes whose number divides 28 (56 = 2 × 28, 98 = 7 × 14, 112 = 4 × 28, 196 = 7 × 28),
#: and the ragged 140 = 5 × 28 and 168 = 6 × 28 (the last round of rows and columns
#: leaves 2 of 5 and 2 of 6 groups idle).
SUPPORTED_LANES = (1, 2, 4, 7, 14, 28, 56, 98, 112, 140, 168, 196)
#: The device whose DSP48E1 count sets the default split of lanes (``hw.fpga.device``).
DEFAULT_DEVICE = "xc7z010"
#: Pixels per input stream beat: divisors of 28, so a beat never straddles two rows.
SUPPORTED_PIXELS_PER_BEAT = (1, 2, 4, 7, 14, 28)
#: Multiply-accumulates per LST-1 image (``CoreConfig.macs_per_image`` for any model).
MACS_PER_IMAGE = 2 * N**3 + CLASSES * N * N
#: Models the generator builds.
SUPPORTED_MODELS = tuple(LST_MODELS)
#: Where the weights, biases and activation table come from: the Verilog's initial
#: contents only (``baked``), or those contents writable through the core's load port
#: (``loadable``, :mod:`hw.plan.load_image`).
WEIGHT_MODES = ("baked", "loadable")


#: The structures a fabric lane's multiplier can take (:class:`hw.components.
#: fabric_multiplier.FabricMultiplier`).
FABRIC_STYLES = ("booth", "booth_chain", "yosys")

#: The style measured smallest (LUTs) within 5 LUT levels (``python -m report.fabric_area``).
DEFAULT_STYLE = "booth"


def lane_acc_width(config: CoreConfig, stages) -> int:
    """Signed width of the lanes' accumulators (and of the capture, drain and tanh input)
    for the contract's ``stages`` (:func:`quant.contract.stages`).

    A row or column stage's dot product plus its bias needs the stage's accumulator
    width; in the output layer a lane sums only its partition's ``partition_depth``
    taps (all 784 with fewer than 10 lanes), and the readout adds partitions and bias
    at the output stage's full width. So a lane needs ``max(row and column stages'
    accumulators, output product + bits_for_count(partition_depth + 1))`` bits: 22
    instead of 26 at 196 lanes and q2.6, exact for every value of the format.
    """
    from quant.contract import bits_for_count

    *blocks, out = stages
    widths = [st.acc.width for st in blocks]
    widths.append(out.product.width + bits_for_count(config.partition_depth + 1))
    return max(widths)


@dataclass(frozen=True)
class CoreConfig(JSONConfig):
    """Settings of one generated core.

    Parameters
    ----------
    lanes : int
        Parallel multiply-accumulate units (one of :data:`SUPPORTED_LANES`).
    pixels_per_beat : int
        Pixels per input stream beat (one of :data:`SUPPORTED_PIXELS_PER_BEAT`).
    format : str
        Weight format (``q5.7``; see :class:`quant.contract.FixedConfig`).
    checkpoint : str
        The checkpoint the ROMs are built from (default: the model's shipped one).
    model : str
        ``lst1``, ``lst2`` or ``reslst3``. Empty: the checkpoint's model (from its
        metadata, else inferred from its tensors), or ``lst1`` without a checkpoint.
    weights : str
        ``baked`` (the memories are ROMs) or ``loadable`` (the checkpoint's values are
        only the initial contents; a load port rewrites them, see :mod:`hw.plan.load_image`).
    dsp_lanes : int
        Lanes built as DSP48E1 slices (the first ``dsp_lanes``); the others are fabric
        lanes (LUTs and carry chains, :mod:`hw.components.fabric_multiplier`). ``-1`` (default):
        as many as ``device`` has DSP slices, at most ``lanes``. ``0``: all fabric.
    device : str
        The target part (``hw.fpga.device.DEVICES``): only its DSP count is used here.
    fabric_style : str
        The fabric lanes' multiplier (:data:`hw.components.fabric_multiplier.FABRIC_STYLES`; empty:
        the default, the smallest measured).
    packed_dsp : bool
        Two lanes per DSP48E1 slice (:mod:`hw.plan.dsp_packing`: the pair shares its data
        value, the 25-bit port carries both weights): for formats whose two products fit
        one slice (8-bit weights with 8-bit data, not ResLST-3's 9-bit features). Then
        ``dsp_lanes`` defaults to twice the device's slices, and lanes ``2p``, ``2p + 1``
        of the first ``dsp_lanes`` share slice ``p``.
    """

    lanes: int = 28
    pixels_per_beat: int = 1
    format: str = "q5.7"
    checkpoint: str = ""
    model: str = ""
    weights: str = "baked"
    dsp_lanes: int = -1
    device: str = DEFAULT_DEVICE
    fabric_style: str = ""
    packed_dsp: bool = False

    def __post_init__(self):
        if not isinstance(self.lanes, int) or self.lanes not in SUPPORTED_LANES:
            raise ConfigError(
                f"lanes must be one of {', '.join(map(str, SUPPORTED_LANES))}, not {self.lanes!r}"
            )
        if self.pixels_per_beat not in SUPPORTED_PIXELS_PER_BEAT:
            raise ConfigError(
                "pixels_per_beat must be one of "
                f"{', '.join(map(str, SUPPORTED_PIXELS_PER_BEAT))}, not {self.pixels_per_beat!r}"
            )
        from quant.fixed import FixedFormat

        FixedFormat.parse(self.format)  # raises a clear error on a bad name
        if self.model and self.model not in SUPPORTED_MODELS:
            raise ConfigError(
                f"model must be one of {', '.join(SUPPORTED_MODELS)}, not {self.model!r}"
            )
        if self.weights not in WEIGHT_MODES:
            raise ConfigError(
                f"weights must be one of {', '.join(WEIGHT_MODES)}, not {self.weights!r}"
            )
        from ..fpga.device import device

        part = device(self.device)  # raises on an unknown part
        dsp = part.DSP48E1
        if not isinstance(self.packed_dsp, bool):
            raise ConfigError(f"packed_dsp must be true or false, not {self.packed_dsp!r}")
        if self.packed_dsp and part.family != "xc7":
            raise ConfigError(
                f"packed_dsp packs two products into a DSP48E1 (XC7 parts); the {self.device}'s "
                "multipliers are 18 × 18"
            )
        per_slice = 2 if self.packed_dsp else 1
        if self.dsp_lanes == -1:
            object.__setattr__(self, "dsp_lanes", min(self.lanes, per_slice * dsp))
        if (
            not isinstance(self.dsp_lanes, int)
            or isinstance(self.dsp_lanes, bool)
            or not 0 <= self.dsp_lanes <= self.lanes
        ):
            raise ConfigError(
                f"dsp_lanes must be between 0 and lanes ({self.lanes}), not {self.dsp_lanes!r}"
            )
        if self.dsp_slices > dsp:
            packed = " (two lanes each)" if self.packed_dsp else ""
            raise ConfigError(
                f"dsp_lanes {self.dsp_lanes} need {self.dsp_slices} {part.label('DSP48E1')}"
                f"{packed}; the {self.device} has {dsp}"
                if self.packed_dsp
                else f"dsp_lanes {self.dsp_lanes} exceeds the {dsp} {part.label('DSP48E1')} of "
                f"the {self.device}"
            )
        if not self.fabric_style:
            object.__setattr__(self, "fabric_style", DEFAULT_STYLE)
        if self.fabric_style not in FABRIC_STYLES:
            raise ConfigError(
                f"fabric_style must be one of {', '.join(FABRIC_STYLES)}, not {self.fabric_style!r}"
            )
        if not self.model:
            model = "lst1"
            if self.checkpoint:
                from lst.checkpoint import checkpoint_model

                model = checkpoint_model(self.checkpoint)
            object.__setattr__(self, "model", model)
        if not self.checkpoint:
            object.__setattr__(self, "checkpoint", str(default_checkpoint(self.model)))
        if self.packed_dsp:
            self.packing_shift  # noqa: B018 (raises when two products do not fit a slice)

    # ------------------------------------------------------------ JSON

    @property
    def name(self) -> str:
        name = f"{self.model}_l{self.lanes}_p{self.pixels_per_beat}_{self.format.replace('.', '_')}"
        if self.fabric_lanes:
            name += f"_d{self.dsp_lanes}"
            if self.fabric_style != DEFAULT_STYLE:
                name += f"_{self.fabric_style}"
        if self.packed_dsp:
            name += "_pk"
        return name if self.weights == "baked" else f"{name}_loadable"

    @property
    def weight_width(self) -> int:
        """Bits of one weight (``q5.7``: 12)."""
        from quant.fixed import FixedFormat

        return FixedFormat.parse(self.format).width

    @property
    def operand_widths(self) -> tuple[int, int]:
        """Signed widths of the lanes' data and weight operands: pixels are 8 bits,
        activations ``f + 1`` and ResLST-3's features ``f + 2`` (the contract's stages)."""
        from quant.contract import FixedConfig, stages

        st = stages(self.arch, FixedConfig.parse(self.format))
        return max(8, st[-1].x.width), self.weight_width

    @property
    def packing_shift(self) -> int:
        """The shift between a packed slice's two products (``ConfigError`` when the
        format's two products do not fit one DSP48E1)."""
        from .dsp_packing import packing_shift

        x, w = self.operand_widths
        try:
            return packing_shift(x, w)
        except ConfigError as e:
            raise ConfigError(f"packed_dsp with {self.model} at {self.format}: {e}") from None

    @property
    def packed_pairs(self) -> int:
        """DSP48E1 slices that carry two lanes (lanes ``2p`` and ``2p + 1``)."""
        return self.dsp_lanes // 2 if self.packed_dsp else 0

    @property
    def dsp_slices(self) -> int:
        """DSP48E1 slices the lanes use."""
        return self.dsp_lanes - self.packed_pairs

    @property
    def fabric_lanes(self) -> int:
        """Lanes built from LUTs and carry chains (the last ``lanes − dsp_lanes``)."""
        return self.lanes - self.dsp_lanes

    # ------------------------------------------------------------ model

    @property
    def arch(self) -> LSTArch:
        return get_arch(self.model)

    @property
    def blocks(self) -> int:
        """L2DST blocks: a row and a column pass each."""
        return self.arch.blocks

    @property
    def residual(self) -> bool:
        """ResLST-3: the output layer sees the last block's output plus the first's."""
        return self.arch.residual

    @property
    def macs_per_image(self) -> int:
        return self.arch.macs

    # ------------------------------------------------------------ lane geometry

    @property
    def group_lanes(self) -> int:
        """Lanes per group: the largest divisor of 28 that divides ``lanes``."""
        return math.gcd(self.lanes, N)

    @property
    def groups(self) -> int:
        """Lane groups, each fed by its own broadcast data value (a divisor of 28)."""
        return self.lanes // self.group_lanes

    @property
    def rounds_per_pass(self) -> int:
        """Rows (row pass) or columns (column pass) each group takes: ``ceil(28 / groups)``."""
        return -(-N // self.groups)

    @property
    def ragged(self) -> bool:
        """The groups do not divide 28: the last round of each pass leaves some idle."""
        return N % self.groups != 0

    @property
    def pass_writes(self) -> int:
        """Activation beats a row or column pass writes (one value per group each, idle
        groups included): ``rounds_per_pass · 28``."""
        return self.rounds_per_pass * N

    @property
    def act_depth(self) -> int:
        """Words of one E or X bank (``hw.plan.buffer_layout``): ``groups · rounds²``, which
        is ``784 / groups`` unless the groups are ragged; then the idle groups' rows
        ``28 … groups·rounds − 1`` have words too, written and read by nothing else."""
        return self.groups * self.rounds_per_pass**2

    @property
    def y_depth(self) -> int:
        """Words of one Y or R bank: :attr:`partition_depth`, and with ragged groups room
        for the idle groups' columns (taps ``784 … 28·groups·rounds − 1``), which the
        output layer never reads."""
        return max(
            self.partition_depth, -(-N * self.groups * self.rounds_per_pass // self.partitions)
        )

    @property
    def out_groups(self) -> int:
        """Output groups per row (row pass) or per column (column pass)."""
        return N // self.group_lanes

    @property
    def partitions(self) -> int:
        """Output layer: taps read in parallel (t mod partitions selects the bank)."""
        if self.lanes < CLASSES:
            return 1
        p = self.lanes // CLASSES
        # The groups' column-pass drains write taps 28 apart in the same cycle: their
        # banks (t mod p) must differ.
        while any(N * d % p == 0 for d in range(1, self.groups)):
            p -= 1
        return p

    @property
    def rounds(self) -> int:
        """Output layer: passes over the 784 taps (classes in batches of ``lanes``)."""
        return math.ceil(CLASSES / self.lanes) if self.lanes < CLASSES else 1

    @property
    def partition_depth(self) -> int:
        """Taps per partition (the last may be padded with zero weights)."""
        return math.ceil(N * N / self.partitions)

    @property
    def active_out_lanes(self) -> int:
        return self.lanes if self.lanes < CLASSES else CLASSES * self.partitions

    # ------------------------------------------------------------ cycles

    @property
    def row_cycles(self) -> int:
        return self.rounds_per_pass * self.out_groups * N

    @property
    def column_cycles(self) -> int:
        return self.row_cycles

    @property
    def output_cycles(self) -> int:
        return self.rounds * self.partition_depth

    @functools.cached_property
    def pass_gaps(self) -> dict[str, int]:
        """Idle cycles between passes so that each reads only values already written
        (:func:`hw.plan.schedule.pass_gaps`; zero unless the passes are short)."""
        return pass_gaps(self)

    @property
    def compute_cycles(self) -> int:
        """Cycles of one image's passes (row and column per block, output layer); each
        pass's first op follows the previous pass's last op directly, or after
        :attr:`pass_gaps`, so at full rate this is the initiation interval."""
        g = self.pass_gaps
        return (
            self.blocks * (self.row_cycles + self.column_cycles + g["row_to_column"])
            + (self.blocks - 1) * g["column_to_row"]
            + g["column_to_output"]
            + self.output_cycles
        )

    @property
    def load_cycles(self) -> int:
        return N * N // self.pixels_per_beat

    @property
    def initiation_interval(self) -> int:
        """Cycles between accepted images at full rate (inputs and outputs never stall)."""
        return max(self.compute_cycles, self.load_cycles)

    @property
    def enough_pixels_per_beat(self) -> int:
        """The fewest pixels per beat (:data:`SUPPORTED_PIXELS_PER_BEAT`) at which the
        lanes, not the input rate, bound the initiation interval (the most if none)."""
        for ppb in SUPPORTED_PIXELS_PER_BEAT:
            if N * N // ppb <= self.compute_cycles:
                return ppb
        return SUPPORTED_PIXELS_PER_BEAT[-1]

    @property
    def bound(self) -> str:
        """What sets the initiation interval: ``lanes`` (the passes' operations) or
        ``input rate`` (784 / ``pixels_per_beat`` cycles to receive an image)."""
        return "input rate" if self.load_cycles > self.compute_cycles else "lanes"

    @property
    def efficiency_bound(self) -> float:
        """The target: 1.15 × MACs per image / lanes (51,744 MACs for LST-1)."""
        return 1.15 * self.macs_per_image / self.lanes

    # ------------------------------------------------------------ memories

    @property
    def block_words(self) -> int:
        """Weight words of one block: its row pass's, then its column pass's."""
        return 2 * self.out_groups * N

    @property
    def weight_words(self) -> int:
        """Blocks in order, then the output layer (one word per cycle)."""
        return self.blocks * self.block_words + self.output_cycles

    def checkpoint_path(self) -> Path:
        return Path(self.checkpoint)
