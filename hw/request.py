"""One validated build request for every command that emits hardware.

A :class:`BuildRequest` says what is to be built: the model and its checkpoint, the
weight format, the lanes and how many of them are DSP slices, pixels per beat, baked
or loadable weights, the board or device, the clock, and which top (:data:`TARGETS`).
:func:`prepare` checks it and quantizes the model, once, the same way for every
command: ``lst verilog``, ``lst board bitstream | vivado | axi | driver``,
``lst verify``, the rows of ``lst report`` and the library calls behind them
(:class:`boards.build.BoardBuild`, :class:`boards.zynq.vivado.VivadoBuild`). A rule
added here holds for all of them.

The rules, each a one-line :class:`~lst.errors.ConfigError` before anything is written:

* the settings themselves (:class:`hw.plan.config.CoreConfig`: lanes, pixels per beat,
  format, model, weights, DSP lanes against the device's slices, fabric style);
* board and device: a known board, a known device, and not a device other than the
  board's;
* clock: for the self-test, the board's clock generator's output range and a divider
  setting within 0.1 % (the Zybo's MMCM, :func:`hw.fpga.mmcm.mmcm_settings`; the ULX3S's
  EHXPLLL, :func:`hw.fpga.ecp5_pll.pll_settings`); the PS's FCLK range for the Zynq build
  (:data:`hw.fpga.device.FCLK_RANGE_MHZ`); a positive constraint for the out-of-context
  place and route; none where the top has no clock of its own;
* the flow: the Zynq build only on a Zynq board, the open place and route only on an
  ECP5 (nextpnr-xilinx cannot be used here);
* pixels per beat: 4 for the AXI wrapper (one 32-bit beat); the self-test and the core
  take any of :data:`hw.plan.config.SUPPORTED_PIXELS_PER_BEAT` (a note says when the input
  rate, not the lanes, bounds the interval);
* the self-test's image count (1 to 10,000) and its baked weights (it has no load port);
* saturation: refused unless ``allow_saturation`` (the count is recorded either way);
* fit: the estimated LUT, FF, RAMB18 and DSP48E1 need (:mod:`hw.plan.area_estimate`) against
  the device, refused unless ``ignore_fit`` (recorded), with a configuration that fits.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from lst.errors import ConfigError
from lst.jsonconfig import JSONConfig

from .fpga.device import BOARD_DEVICES, DEVICES, FCLK_RANGE_MHZ, RESOURCES, device
from .plan.config import DEFAULT_DEVICE, SUPPORTED_LANES, CoreConfig

__all__ = [
    "AXI_PIXELS_PER_BEAT",
    "MAX_SELFTEST_IMAGES",
    "TARGETS",
    "Build",
    "BuildRequest",
    "portable_path",
    "prepare",
    "prepared_for",
]

#: What each target builds: (the top the area estimate adds, its clock, description).
#: ``clock``: ``mmcm`` (made on the board from its oscillator), ``fclk`` (the PS's
#: fabric clock), or ``None`` (the top takes its clock from outside).
TARGETS = {
    "core": ("core", None, "the core alone (lst verilog)"),
    "selftest": ("selftest", "board", "the stand-alone self-test top (lst board bitstream)"),
    "axi": ("axi", None, "the AXI wrapper (lst board axi, lst board driver)"),
    "zynq": ("axi", "fclk", "the AXI wrapper in the Zynq PS design (lst board vivado)"),
    "pnr": ("core", "constraint", "the core placed and routed out of context (lst board pnr)"),
    "simulation": ("core", None, "the core in simulation (lst verify): no device fit"),
}
#: The targets the transform-domain cores have (the core's Verilog, its simulation).
TRANSFORM_TARGETS = ("core", "simulation")
#: The clock a ``board`` clock is made by, per device family.
BOARD_CLOCKS = {"xc7": "mmcm", "ecp5": "pll"}
#: The highest clock constraint ``pnr`` takes (the ECP5 PLL's highest output), MHz.
MAX_CONSTRAINT_MHZ = 400.0
#: Pixels per 32-bit AXI4-Stream beat (``boards.zynq.regmap.PIXELS_PER_BEAT``).
AXI_PIXELS_PER_BEAT = 4
#: The most images the self-test's ROM may hold.
MAX_SELFTEST_IMAGES = 10_000
#: Where the fit's figures come from when no synthesis runs.
ESTIMATE_SOURCE = "pre-synthesis estimate of hw.plan.area_estimate"


@dataclass(frozen=True)
class BuildRequest(JSONConfig):
    """What is to be built; validated when constructed (the static rules) and by
    :func:`prepare` (saturation and fit, which need the checkpoint).

    Parameters
    ----------
    target : str
        One of :data:`TARGETS`.
    model, checkpoint, format, lanes, pixels_per_beat, weights, dsp_lanes, fabric_style,
    packed_dsp
        The core (:class:`hw.plan.config.CoreConfig`).
    board : str
        A board of :data:`hw.fpga.device.BOARD_DEVICES`; required by ``selftest`` and
        ``zynq``. Empty: none (the device alone).
    device : str
        The part; empty: the board's, else :data:`hw.plan.config.DEFAULT_DEVICE`.
    clock_mhz : float
        The clock the top makes: MMCM output (``selftest``) or FCLK0 (``zynq``); 0 for
        the other targets.
    images : int
        Images in the self-test's ROM (``selftest`` only; 0 elsewhere).
    hadamard : str
        HT-1's passes (:data:`hw.plan.transform_config.HADAMARD_STRUCTURES`); empty: its
        default, and nothing for the other models.
    allow_saturation : bool
        Build although weights or biases saturate in ``format``.
    ignore_fit : bool
        Build although the estimate says the design does not fit the device.
    """

    target: str = "core"
    model: str = ""
    checkpoint: str = ""
    format: str = "q5.7"
    lanes: int = 28
    pixels_per_beat: int = 1
    weights: str = "baked"
    dsp_lanes: int = -1
    fabric_style: str = ""
    packed_dsp: bool = False
    board: str = ""
    device: str = ""
    clock_mhz: float = 0.0
    images: int = 0
    allow_saturation: bool = False
    ignore_fit: bool = False
    hadamard: str = ""

    def __post_init__(self):
        if self.target not in TARGETS:
            raise ConfigError(f"target must be one of {', '.join(TARGETS)}, not {self.target!r}")
        _, clock, _ = TARGETS[self.target]
        if self.board:
            if self.board not in BOARD_DEVICES:
                raise ConfigError(
                    f"--board must be one of {', '.join(BOARD_DEVICES)}, not {self.board!r}"
                )
            part = BOARD_DEVICES[self.board]
            if self.device and self.device.lower() != part:
                raise ConfigError(f"--device {self.device} is not the {self.board}'s part ({part})")
            object.__setattr__(self, "device", part)
        elif self.target in ("selftest", "zynq"):
            raise ConfigError(f"{TARGETS[self.target][2]} needs a board (--board)")
        if not self.device:
            object.__setattr__(self, "device", DEFAULT_DEVICE)
        if self.device.lower() not in DEVICES:
            raise ConfigError(
                f"--device must be one of {', '.join(sorted(DEVICES))}, not {self.device!r}"
            )
        object.__setattr__(self, "device", self.device.lower())
        family = DEVICES[self.device].family
        if self.target == "zynq" and family != "xc7":
            raise ConfigError(f"the Zynq PS build needs a Zynq board, not the {self.board}")
        if self.target == "pnr" and family != "ecp5":
            raise ConfigError(
                f"the open place and route is for ECP5 parts "
                f"({', '.join(d for d in DEVICES if DEVICES[d].family == 'ecp5')}), not the "
                f"{self.device}: nextpnr-xilinx has no device database here"
            )
        if self.target in ("axi", "zynq") and self.pixels_per_beat != AXI_PIXELS_PER_BEAT:
            raise ConfigError(
                f"the AXI wrapper takes {AXI_PIXELS_PER_BEAT} pixels per 32-bit beat, not "
                f"{self.pixels_per_beat}"
            )
        if self.target == "selftest":
            if not isinstance(self.images, int) or not 1 <= self.images <= MAX_SELFTEST_IMAGES:
                raise ConfigError(
                    f"--count must be 1 to {MAX_SELFTEST_IMAGES} images, not {self.images!r}"
                )
            if self.weights != "baked":
                raise ConfigError("the self-test top has no load port: its weights are baked")
        elif self.images:
            raise ConfigError(f"{TARGETS[self.target][2]} holds no images")
        self._check_clock(clock)
        # The core's own rules (lanes, pixels per beat, format, model, DSP lanes).
        config = self.core_config()
        # The resolved settings are the request's (a JSON round trip gives them back).
        if self.transform:
            resolved = ("model", "lanes", "hadamard")
        else:
            resolved = ("model", "checkpoint", "dsp_lanes", "fabric_style")
        for name in resolved:
            object.__setattr__(self, name, getattr(config, name))

    @property
    def transform(self) -> bool:
        """A transform-domain model (HT-1, DCT-1, BWT-1): :class:`~hw.plan.
        transform_config.TransformCoreConfig` instead of :class:`~hw.plan.config.CoreConfig`."""
        from lst.transform.arch import is_transform_model

        return is_transform_model(self.model)

    def _check_clock(self, clock: str | None) -> None:
        mhz = self.clock_mhz
        if isinstance(mhz, bool) or not isinstance(mhz, int | float) or not math.isfinite(mhz):
            raise ConfigError(f"the clock must be a number of MHz, not {mhz!r}")
        if clock is None:
            if mhz:
                raise ConfigError(f"{TARGETS[self.target][2]} has no clock of its own to set")
            return
        if mhz <= 0:
            raise ConfigError(f"--clock-mhz must be a positive number, not {mhz!r}")
        if clock == "board":
            clock = BOARD_CLOCKS[DEVICES[self.device].family]
        if clock == "mmcm":
            from .fpga.mmcm import mmcm_settings

            mmcm_settings(mhz)  # the MMCM's range and a divider setting, or a clear error
        elif clock == "pll":
            from .fpga.ecp5_pll import pll_settings

            pll_settings(mhz)  # the EHXPLLL's range and a divider setting
        elif clock == "constraint":
            if mhz > MAX_CONSTRAINT_MHZ:
                raise ConfigError(
                    f"--clock-mhz {mhz:g}: above {MAX_CONSTRAINT_MHZ:g} MHz, the most an "
                    "ECP5 PLL makes"
                )
        else:
            lo, hi = FCLK_RANGE_MHZ
            if not lo <= mhz <= hi:
                raise ConfigError(f"--fclk-mhz {mhz:g}: the PS's FCLK0 must be {lo:g}–{hi:g} MHz")

    def core_config(self):
        """The core's settings (validated by :class:`~hw.plan.config.CoreConfig`, or
        :class:`~hw.plan.transform_config.TransformCoreConfig` for the transform-domain
        models)."""
        if self.transform:
            return self._transform_config()
        if self.hadamard:
            raise ConfigError("--hadamard applies to the ht1 core only")
        return CoreConfig(
            lanes=self.lanes,
            pixels_per_beat=self.pixels_per_beat,
            format=self.format,
            checkpoint=self.checkpoint,
            model=self.model,
            weights=self.weights,
            dsp_lanes=self.dsp_lanes,
            device=self.device,
            fabric_style=self.fabric_style,
            packed_dsp=self.packed_dsp,
        )

    def _transform_config(self):
        from .plan.transform_config import TransformCoreConfig

        if self.target not in TRANSFORM_TARGETS:
            raise ConfigError(
                f"{TARGETS[self.target][2]}: the {self.model} core has no such flow yet; "
                f"lst verilog and lst verify build it"
            )
        for flag, value, default in (
            ("--weights", self.weights, "baked"),
            ("--dsp-lanes", self.dsp_lanes, -1),
            ("--fabric-style", self.fabric_style, ""),
            ("--packed-dsp", self.packed_dsp, False),
        ):
            if value != default:
                raise ConfigError(
                    f"{flag} applies to the LST cores, not to the {self.model} core (its "
                    "lanes are DSP48E1 slices, or adders for the Hadamard transform)"
                )
        return TransformCoreConfig(
            model=self.model,
            lanes=self.lanes,
            pixels_per_beat=self.pixels_per_beat,
            format=self.format,
            checkpoint=self.checkpoint,
            hadamard=self.hadamard,
        )

    @property
    def top(self) -> str:
        """The top :mod:`hw.plan.area_estimate` estimates (``core``, ``selftest``, ``axi``)."""
        return TARGETS[self.target][0]

    @property
    def checks_fit(self) -> bool:
        return self.target != "simulation"

    def replace(self, **changes) -> BuildRequest:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Build:
    """A request that passed every rule, with what the commands need to build it."""

    request: BuildRequest
    config: CoreConfig
    qmodel: object = field(repr=False)
    quantization: dict
    estimate: dict
    fits: bool
    notes: tuple[str, ...] = ()

    def record(self) -> dict:
        """The request and its checks, for the build's manifest."""
        dev = device(self.request.device)
        cap = dev.capacity()
        request = dataclasses.asdict(self.request)
        request["checkpoint"] = portable_path(request["checkpoint"])
        return {
            "request": request,
            "config": self.config.name,
            "quantization": {
                **self.quantization,
                "allow_saturation": self.request.allow_saturation,
            },
            "fit": {
                "device": dev.name,
                "source": ESTIMATE_SOURCE,
                "top": self.request.top,
                "estimate": self.estimate,
                "capacity": cap,
                "utilisation": {k: round(self.estimate[k] / cap[k], 4) for k in RESOURCES},
                "fits": self.fits,
                "checked": self.request.checks_fit,
                "ignored": self.request.ignore_fit and not self.fits,
            },
            "notes": list(self.notes),
        }


def portable_path(path: str) -> str:
    """``path`` relative to the repository when inside it: a manifest names no machine."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    try:
        return str(Path(path).resolve().relative_to(root))
    except ValueError:
        return path


def _over(estimate: dict, dev) -> list[str]:
    cap = dev.capacity()
    return [k for k in RESOURCES if estimate[k] > cap[k]]


def _estimate(request: BuildRequest) -> dict:
    if request.transform:
        from .plan.transform_estimate import estimate_transform

        return estimate_transform(request.core_config())
    from .plan.area_estimate import estimate

    family = DEVICES[request.device].family
    return estimate(request.core_config(), request.top, images=request.images, family=family)


def fit_suggestion(request: BuildRequest) -> str:
    """Configurations near ``request`` that the estimate fits (fewer lanes, fewer
    self-test images, another board or device), as a phrase for the refusal."""

    def fits(**changes) -> bool:
        try:
            other = request.replace(**changes)
        except ConfigError:
            return False
        return not _over(_estimate(other), device(other.device))

    options = []
    for n in reversed([n for n in SUPPORTED_LANES if n < request.lanes]):
        dsp = request.dsp_lanes if request.dsp_lanes <= n else -1
        if fits(lanes=n, dsp_lanes=dsp):
            options.append(f"--lanes {n} fits")
            break
    if request.target == "selftest" and fits(images=1):
        lo, hi = 1, request.images  # the most images that fit: lo fits, hi does not
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if fits(images=mid) else (lo, mid)
        options.append(f"--count {lo} fits")
    if request.board:
        others = [("--board", b, {"board": b, "device": ""}) for b in BOARD_DEVICES]
        others = [o for o in others if o[1] != request.board]
    else:
        others = [("--device", d, {"device": d}) for d in DEVICES if d != request.device]
    for flag, name, changes in others:
        if fits(dsp_lanes=-1, **changes):
            part = device(BOARD_DEVICES.get(name, name)).name
            options.append(f"{flag} {name} ({part}) fits")
            break
    return ", or ".join(options) if options else "no smaller configuration fits"


def prepare(request: BuildRequest) -> Build:
    """Check ``request`` against every rule and quantize its model (once, the same way
    for every command). Raises :class:`~lst.errors.ConfigError` (or the quantizer's
    :class:`~quant.quantize.QuantizationError`) with one line naming the problem."""
    from quant.quantize import quantize_checked
    from quant.transform_quantize import quantize_transform_checkpoint

    config = request.core_config()
    quantize = quantize_transform_checkpoint if request.transform else quantize_checked
    qmodel = quantize(
        config.checkpoint_path(),
        config.format,
        model=config.model,
        allow_saturation=request.allow_saturation,
    )
    est = _estimate(request)
    dev = device(request.device)
    over = _over(est, dev)
    if over and request.checks_fit and not request.ignore_fit:
        cap = dev.capacity()
        needs = ", ".join(f"{est[k]:,} {_unit(dev, k)} (it has {cap[k]:,})" for k in over)
        what = f"{config.lanes} lanes, {config.format}, {config.model}"
        if request.target == "selftest":
            what += f", {request.images} images"
        raise ConfigError(
            f"{TARGETS[request.target][2].split(' (')[0]} ({what}) does not fit the "
            f"{dev.name}: it needs an estimated {needs} by the {ESTIMATE_SOURCE}; "
            f"{fit_suggestion(request)}; --ignore-fit builds it anyway"
        )
    notes = []
    # (The transform cores take at least 1,084 cycles per image, more than the 784 of
    # the input at one pixel per beat: the input never bounds them.)
    if (
        not request.transform
        and config.bound == "input rate"
        and request.target in ("core", "selftest", "simulation")
    ):
        notes.append(
            f"the input rate bounds the initiation interval: {config.load_cycles} cycles to "
            f"receive 784 pixels at {config.pixels_per_beat} per beat, the passes take "
            f"{config.compute_cycles}; use --pixels-per-beat {config.enough_pixels_per_beat} "
            "or more"
        )
    if over and request.checks_fit:
        notes.append(
            f"the estimate does not fit the {dev.name} ({', '.join(over)}); building anyway "
            "(--ignore-fit)"
        )
    return Build(
        request=request,
        config=config,
        qmodel=qmodel,
        quantization=qmodel.quantization_counts(),
        estimate=est,
        fits=not over,
        notes=tuple(notes),
    )


def _unit(dev, resource: str) -> str:
    name = dev.label(resource)
    return {"LUT": f"{name}s", "FF": "flip-flops"}.get(resource, name)


def prepared_for(request: BuildRequest, prepared: Build | None = None) -> Build:
    """``prepared`` when it is ``request``'s (its overrides aside), else
    :func:`prepare`'s check of ``request``: a library builder given a command's checked
    build uses it, and checks the request itself otherwise."""
    if prepared is None:
        return prepare(request)
    flags = {"allow_saturation": prepared.request.allow_saturation,
             "ignore_fit": prepared.request.ignore_fit}  # fmt: skip
    if prepared.request != request.replace(**flags):
        raise ValueError("the prepared build is not this build's request")
    return prepared
