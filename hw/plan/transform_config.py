"""Generator settings of the transform-domain core (HT-1, DCT-1, BWT-1) and its schedule.

The core (:class:`hw.transform_core.TransformCore`) computes the contract of
:mod:`quant.transform_contract` with ``lanes`` accumulating lanes shared by its two
passes; see ``docs/hardware.md``. With ``P`` the coefficient side (32 or 28),
``R = P / lanes`` rounds:

* row pass: for each of the 28 image rows and each round ``r``, lane ``l`` sums the
  28 taps of ``E[row, r·lanes + l]``; one word of ``lanes`` values per round;
* column pass: for each coefficient column and round, lane ``l`` sums the 28 taps of
  ``c[r·lanes + l, column]``. Each round's ``lanes`` coefficients go, one per cycle,
  through the scale-and-threshold unit into the output layer's ten accumulators; a
  round therefore takes ``max(28, lanes)`` cycles.

HT-1 can instead (and does by default) run its passes as two butterfly pipelines
(``hadamard="butterfly"``, :class:`hw.components.hadamard_passes.HadamardPasses`): one
sample per cycle through each, the row pass of the next image beside the column pass
of this one.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from lst.arch import default_checkpoint
from lst.errors import ConfigError
from lst.jsonconfig import JSONConfig
from lst.transform.arch import TRANSFORM_MODELS, TransformArch

from .latency import COEFFICIENT_UNIT, TRANSFORM_LANES
from .shape import CLASSES, N

__all__ = ["TAPS", "TransformCoreConfig", "transform_lane_counts"]

#: Taps of every pass sum: the 28 image rows or columns (the padding is folded away).
TAPS = N
#: HT-1's passes: ``lanes`` (±1 accumulators, :class:`~hw.components.transform_passes.
#: TransformPasses`) or ``butterfly`` (two pipelines of adders working on two images at
#: once, :class:`~hw.components.hadamard_passes.HadamardPasses`).
HADAMARD_STRUCTURES = ("lanes", "butterfly")
#: Butterfly passes: cycles from the column pass's last coefficient to the next column
#: pass's start: the scale unit's holding register and pipeline (1 + COEFFICIENT_UNIT),
#: the output layer's three stages and ten logits, the argmax's two cycles, and two of
#: sequencing (the column side starts only when those units are idle again).
BUTTERFLY_TAIL = 1 + COEFFICIENT_UNIT + 3 + 10 + 2 + 2
#: Pixels per input stream beat, as for the LST cores.
PIXELS_PER_BEAT = (1, 2, 4, 7, 14, 28)
#: Cycles from an op's counters to the lanes: the weight ROM's and data memory's
#: registered read.
READ_LATENCY = 1


def transform_lane_counts(arch: TransformArch) -> tuple[int, ...]:
    """Lane counts the core accepts for ``arch``: the divisors of its side ``P``."""
    p = arch.size
    return tuple(d for d in range(1, p + 1) if p % d == 0)


@dataclass(frozen=True)
class TransformCoreConfig(JSONConfig):
    """Settings of one generated transform-domain core.

    Parameters
    ----------
    model : str
        ``ht1``, ``dct1`` or ``bwt1``.
    lanes : int
        Accumulating lanes of the passes: a divisor of the coefficient side (32 for
        HT-1 and BWT-1, 28 for DCT-1); default: the side itself (HT-1: the butterfly
        passes, which have no lanes; 1 is recorded).
    pixels_per_beat : int
        Pixels per input stream beat (1, 2, 4, 7, 14 or 28).
    format : str
        Weight format (``q5.7``; :class:`quant.transform_contract.TransformConfig`).
    checkpoint : str
        The checkpoint the ROMs are built from (default: the model's shipped one).
    hadamard : str
        HT-1 only: ``butterfly`` or ``lanes`` (:data:`HADAMARD_STRUCTURES`); default:
        ``lanes`` when a lane count is given, else ``butterfly``.
    """

    model: str = "ht1"
    lanes: int = 0
    pixels_per_beat: int = 1
    format: str = "q5.7"
    checkpoint: str = ""
    hadamard: str = ""

    def __post_init__(self):
        if self.model not in TRANSFORM_MODELS:
            raise ConfigError(
                f"the transform-domain core builds {', '.join(TRANSFORM_MODELS)}, not "
                f"{self.model!r}"
            )
        arch = TRANSFORM_MODELS[self.model]
        if arch.kind != "hadamard" and self.hadamard:
            raise ConfigError(f"hadamard applies to ht1 only, not {self.model}")
        if arch.kind == "hadamard":
            # Default: the butterfly pipelines (half the LUTs of 32 ±1 lanes, 1.7 times
            # their throughput); a lane count asks for the lanes.
            if not self.hadamard:
                object.__setattr__(self, "hadamard", "lanes" if self.lanes else "butterfly")
            if self.hadamard not in HADAMARD_STRUCTURES:
                raise ConfigError(
                    f"hadamard must be one of {', '.join(HADAMARD_STRUCTURES)}, not "
                    f"{self.hadamard!r}"
                )
            if self.hadamard == "butterfly":
                if self.lanes not in (0, 1):
                    raise ConfigError(
                        f"the butterfly passes have no lanes to set (one pipeline per pass), "
                        f"not {self.lanes!r}"
                    )
                object.__setattr__(self, "lanes", 1)
        if self.lanes == 0:
            object.__setattr__(self, "lanes", arch.size)
        if isinstance(self.lanes, bool) or self.lanes not in transform_lane_counts(arch):
            raise ConfigError(
                f"{self.model}: lanes must divide its {arch.size}×{arch.size} coefficients' "
                f"side ({', '.join(map(str, transform_lane_counts(arch)))}), not "
                f"{self.lanes!r}"
            )
        if isinstance(self.pixels_per_beat, bool) or self.pixels_per_beat not in PIXELS_PER_BEAT:
            raise ConfigError(
                f"pixels_per_beat must be one of {', '.join(map(str, PIXELS_PER_BEAT))}, "
                f"not {self.pixels_per_beat!r}"
            )

    # ------------------------------------------------------------ derived

    @property
    def arch(self) -> TransformArch:
        return TRANSFORM_MODELS[self.model]

    @property
    def butterfly(self) -> bool:
        return self.hadamard == "butterfly"

    @property
    def name(self) -> str:
        passes = "bf" if self.butterfly else f"{self.lanes}l"
        return f"{self.model}-{passes}-{self.pixels_per_beat}p-{self.format}"

    @property
    def weights(self) -> str:
        """Always ``baked``: the transform cores have no load port."""
        return "baked"

    def checkpoint_path(self):
        return self.checkpoint or str(default_checkpoint(self.model))

    @property
    def size(self) -> int:
        return self.arch.size

    @property
    def rounds(self) -> int:
        return self.size // self.lanes

    @property
    def round_cycles(self) -> int:
        """Cycles per column-pass round: the 28 taps, or longer when the round's
        coefficients take longer to leave one per cycle."""
        return max(TAPS, self.lanes)

    @property
    def row_ops(self) -> int:
        return N * self.rounds * TAPS

    @property
    def column_cycles(self) -> int:
        return self.size * self.rounds * self.round_cycles

    @property
    def weight_words(self) -> int:
        """Words of the matrix ROM: one per round and tap, ``lanes`` entries each."""
        return self.rounds * TAPS

    @property
    def e_words(self) -> int:
        """Words of the row-pass buffer ``E``: one per image row and round."""
        return N * self.rounds

    @functools.cached_property
    def initiation_interval(self) -> int:
        """Cycles between images at full rate: the two passes one after the other. Each
        pass's sums leave ``READ_LATENCY + TRANSFORM_LANES`` cycles after its last op,
        the column pass's last round needs no idle tail, and each pass start costs a
        cycle of the sequencer. The output layer and the argmax finish during the next
        image's row pass. The simulations check this figure."""
        if self.butterfly:
            return self.size**2 + self.butterfly_lag + BUTTERFLY_TAIL
        flush = READ_LATENCY + TRANSFORM_LANES
        tail = self.round_cycles - TAPS
        return self.row_ops + self.column_cycles - tail + 2 * flush + 2

    @property
    def multipliers(self) -> dict[str, int]:
        """Multipliers by where they are: the passes' lanes (none for the Hadamard
        transform, either structure), the scale unit's one and the output layer's ten."""
        passes = 0 if self.arch.kind == "hadamard" else self.lanes
        return {"passes": passes, "scale": 1, "output_layer": CLASSES}

    @property
    def butterfly_lag(self) -> int:
        """Samples from a butterfly pipeline's input to its output: ``P − 1`` in the delay
        lines and one register per stage (``HadamardStream.lag``)."""
        return self.size - 1 + (self.size.bit_length() - 1)
