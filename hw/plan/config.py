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
rest (both divide 28): 28 lanes are one group, 56 two, 98 seven groups of 14, 112 four
groups of 28, 196 seven of 28.

* row pass: group ``s`` works on image row ``r·groups + s``; its lanes compute the
  outputs ``E[row, g·group_lanes + l]`` of output group ``g``, 28 taps each;
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

__all__ = ["SUPPORTED_LANES", "SUPPORTED_PIXELS_PER_BEAT", "WEIGHT_MODES", "CoreConfig"]

#: Lane counts the generator accepts: divisors of 28 (one group), or groups of 14 or 28
#: lanes whose number divides 28 (56 = 2 × 28, 98 = 7 × 14, 112 = 4 × 28, 196 = 7 × 28).
SUPPORTED_LANES = (1, 2, 4, 7, 14, 28, 56, 98, 112, 196)
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
        if self.dsp_lanes == -1:
            object.__setattr__(self, "dsp_lanes", min(self.lanes, dsp))
        if (
            not isinstance(self.dsp_lanes, int)
            or isinstance(self.dsp_lanes, bool)
            or not 0 <= self.dsp_lanes <= self.lanes
        ):
            raise ConfigError(
                f"dsp_lanes must be between 0 and lanes ({self.lanes}), not {self.dsp_lanes!r}"
            )
        if self.dsp_lanes > dsp:
            raise ConfigError(
                f"dsp_lanes {self.dsp_lanes} exceeds the {dsp} {part.label('DSP48E1')} of the "
                f"{self.device}"
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

    # ------------------------------------------------------------ JSON

    @property
    def name(self) -> str:
        name = f"{self.model}_l{self.lanes}_p{self.pixels_per_beat}_{self.format.replace('.', '_')}"
        if self.fabric_lanes:
            name += f"_d{self.dsp_lanes}"
            if self.fabric_style != DEFAULT_STYLE:
                name += f"_{self.fabric_style}"
        return name if self.weights == "baked" else f"{name}_loadable"

    @property
    def weight_width(self) -> int:
        """Bits of one weight (``q5.7``: 12)."""
        from quant.fixed import FixedFormat

        return FixedFormat.parse(self.format).width

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
        return (N // self.groups) * self.out_groups * N

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
