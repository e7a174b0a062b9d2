"""Generator settings of the LST core and the geometry they imply.

:class:`CoreConfig` is a typed dataclass that round-trips through JSON; everything
the RTL, the ROM packer, the simulations and the reports need to know about a
configuration is derived here, in one place.

How the lanes are used (see ``docs/hardware.md``): the core runs the passes of an
image (a row and a column pass per block, then the output layer) one after the other
on the same ``lanes`` multiply-accumulate units. Lanes
are split into ``groups`` of ``group_lanes``; every lane of a group multiplies the
same broadcast data value by its own weight.

* row pass: group ``s`` works on image row ``r·groups + s``; its lanes compute the
  outputs ``E[row, g·group_lanes + l]`` of output group ``g``, 28 taps each;
* column pass: group ``s`` works on column ``c·groups + s``, lanes on output rows;
* output layer: with fewer than 10 lanes, the lanes take the classes in ``rounds``;
  with 10 or more, the 784 taps are split into ``partitions`` read in parallel, lane
  ``p·10 + c`` summing partition ``p`` of class ``c``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from lst.arch import LST_MODELS, LSTArch, default_checkpoint, get_arch
from lst.errors import ConfigError
from lst.jsonconfig import JSONConfig

__all__ = ["SUPPORTED_LANES", "SUPPORTED_PIXELS_PER_BEAT", "WEIGHT_MODES", "CoreConfig"]

N = 28
CLASSES = 10
#: Lane counts the generator accepts: divisors of 28 (one group), or 56 (two groups).
SUPPORTED_LANES = (1, 2, 4, 7, 14, 28, 56)
#: Pixels per input stream beat: divisors of 28, so a beat never straddles two rows.
SUPPORTED_PIXELS_PER_BEAT = (1, 2, 4, 7, 14, 28)
#: Multiply-accumulates per LST-1 image (``CoreConfig.macs_per_image`` for any model).
MACS_PER_IMAGE = 2 * N**3 + CLASSES * N * N
#: Models the generator builds.
SUPPORTED_MODELS = tuple(LST_MODELS)
#: Where the weights, biases and activation table come from: the Verilog's initial
#: contents only (``baked``), or those contents writable through the core's load port
#: (``loadable``, :mod:`hw.load_image`).
WEIGHT_MODES = ("baked", "loadable")


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
        only the initial contents; a load port rewrites them, see :mod:`hw.load_image`).
    """

    lanes: int = 28
    pixels_per_beat: int = 1
    format: str = "q5.7"
    checkpoint: str = ""
    model: str = ""
    weights: str = "baked"

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
        return name if self.weights == "baked" else f"{name}_loadable"

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
    def groups(self) -> int:
        """Lane groups, each fed by its own broadcast data value."""
        return 1 if self.lanes <= N else self.lanes // N

    @property
    def group_lanes(self) -> int:
        return self.lanes // self.groups

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
        # Two column-pass drains write taps 28 apart in the same cycle: their banks
        # (t mod p) must differ.
        while self.groups > 1 and N % p == 0:
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

    @property
    def compute_cycles(self) -> int:
        """Cycles of one image's passes (row and column per block, output layer); each
        pass's first op follows the previous pass's last op directly, so at full rate
        this is the initiation interval."""
        return self.blocks * (self.row_cycles + self.column_cycles) + self.output_cycles

    @property
    def load_cycles(self) -> int:
        return N * N // self.pixels_per_beat

    @property
    def initiation_interval(self) -> int:
        """Cycles between accepted images at full rate (inputs and outputs never stall)."""
        return max(self.compute_cycles, self.load_cycles)

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
