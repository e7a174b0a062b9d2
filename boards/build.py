"""``make bitstream``: the self-test's build for a board: a Vivado build plan for a Zybo
Z7, or the bitstream itself for a ULX3S (the open ECP5 flow, :mod:`boards.open_flow`).

:func:`write_plan` writes a self-contained directory (default ``build/<board>/``)::

    lst_selftest.v          the whole design (core, self-test, MMCM), Verilog
    lst_selftest.xdc        pin LOCs and I/O standards, the 125 MHz input clock, the
                            MMCM output clock's name
    lst_selftest.tcl        Vivado non-project flow: synthesis, placement, routing,
                            timing and utilisation reports, bitstream; it stops with an
                            error when routed timing is not met
    build_lst_selftest.sh   runs it (``vivado -mode batch``); .bat and .json too
    lst_selftest.debug.v    placeholder written by Amaranth
    board.json              settings, part, MMCM dividers, images, sha256 of each file

Amaranth writes the Verilog, XDC, TCL and scripts (``platform.build(...,
do_build=False)``); this module adds the timing checks. The same settings give
byte-identical files.

For a ULX3S (``ulx3s-85f``, ``ulx3s-45f``) the plan is Amaranth's ``Trellis`` build
(Yosys, nextpnr-ecp5 seeded with :attr:`BoardBuild.seed`, ecppack, all from PyPI), and
it is run here: the directory also holds ``lst_selftest.bit``, nextpnr's log
(``lst_selftest.tim``) and JSON report (utilisation, post-route Fmax, critical paths),
and ``board.json`` records their summary. A build whose routed timing misses the
clock is refused (:class:`boards.open_flow.TimingError`), and nothing is written,
unless ``ignore_timing``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from hw.fpga.mmcm import MMCMSettings
from lst.errors import ConfigError, LSTError
from lst.jsonconfig import JSONConfig

from .images import IMAGE_SOURCES
from .ulx3s import BOARDS as ULX3S_BOARDS
from .zybo_z7 import BOARDS

__all__ = ["TOP", "BoardBuild", "build_plan", "run_vivado", "write_plan"]

#: The design's (top module's) name.
TOP = "lst_selftest"
#: The MMCM instance, as Vivado names it after synthesis.
MMCM_PATH = "clkgen/mmcm"
#: The Vivado releases the generated TCL is written for (non-project batch flow).
VIVADO_VERSIONS = "2020.2 to 2024.2"


@dataclass(frozen=True)
class BoardBuild(JSONConfig):
    """Settings of one board build; every rule of a build request
    (:class:`hw.request.BuildRequest`, target ``selftest``) is checked when it is made.

    Parameters
    ----------
    board : str
        ``zybo-z7-10``, ``zybo-z7-20`` (Vivado build plan), ``ulx3s-85f``,
        ``ulx3s-45f`` (built here by the open flow).
    lanes, pixels_per_beat, format, checkpoint, model, dsp_lanes, fabric_style, packed_dsp
        The core's settings (see :class:`hw.plan.config.CoreConfig`); the board's part sets
        the default DSP lanes.
    clock_mhz : float
        The core's clock, made from the board's oscillator (exactly, or within 0.1 %):
        by an MMCM from 125 MHz on a Zybo, an EHXPLLL from 25 MHz on a ULX3S.
    count : int
        Self-test images in the ROM.
    images : str
        ``auto`` (MNIST test images if found, else stress images), ``mnist``, ``stress``.
    seed : int
        nextpnr's placement seed (open flow only).
    """

    board: str = "zybo-z7-10"
    lanes: int = 28
    pixels_per_beat: int = 1
    format: str = "q5.7"
    checkpoint: str = ""
    clock_mhz: float = 100.0
    count: int = 64
    images: str = "auto"
    model: str = ""
    dsp_lanes: int = -1
    fabric_style: str = ""
    packed_dsp: bool = False
    seed: int = 1

    def __post_init__(self):
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigError(f"--seed must be a non-negative integer, not {self.seed!r}")
        if self.images not in IMAGE_SOURCES:
            raise ConfigError(
                f"--images must be one of {', '.join(IMAGE_SOURCES)}, not {self.images!r}"
            )
        self.request()  # board, clock, count and the core's rules

    def request(self, *, allow_saturation: bool = False, ignore_fit: bool = False):
        """This build as a :class:`hw.request.BuildRequest`."""
        from hw.request import BuildRequest

        return BuildRequest(
            target="selftest",
            board=self.board,
            lanes=self.lanes,
            pixels_per_beat=self.pixels_per_beat,
            format=self.format,
            checkpoint=self.checkpoint,
            model=self.model,
            dsp_lanes=self.dsp_lanes,
            fabric_style=self.fabric_style,
            packed_dsp=self.packed_dsp,
            clock_mhz=self.clock_mhz,
            images=self.count,
            allow_saturation=allow_saturation,
            ignore_fit=ignore_fit,
        )

    def core_config(self):
        return self.request().core_config()

    @property
    def open_flow(self) -> bool:
        """Built here by the open ECP5 flow (a ULX3S), not planned for Vivado."""
        return self.board in ULX3S_BOARDS

    def clock(self):
        """The dividers of the board's clock generator: :class:`MMCMSettings` (Zybo) or
        :class:`hw.fpga.ecp5_pll.PLLSettings` (ULX3S)."""
        if self.open_flow:
            from hw.fpga.ecp5_pll import pll_settings

            return pll_settings(self.clock_mhz)
        return self.mmcm()

    def mmcm(self) -> MMCMSettings:
        from hw.fpga.mmcm import mmcm_settings

        return mmcm_settings(self.clock_mhz)


def _ns(value: Fraction) -> str:
    return f"{float(value):.3f}"


def _hooks(settings: MMCMSettings) -> dict:
    """TCL and XDC text added to Amaranth's templates."""
    period = _ns(settings.period_ns)
    mhz = f"{float(settings.f_out_mhz):.6g}"
    dividers = (
        f"125 MHz x {float(settings.mult):g} / ({settings.divclk} x {float(settings.divide):g})"
    )
    return {
        # Vivado names the MMCM output clock after the pin; give it a stable name and
        # state the period the dividers make (checked after synthesis).
        "add_constraints": "\n".join(
            [
                f"# core_clk: MMCME2 CLKOUT0 = {dividers} = {mhz} MHz, period {period} ns",
                f"create_generated_clock -name core_clk [get_pins {MMCM_PATH}/CLKOUT0]",
            ]
        ),
        # A failed run must not leave an earlier bitstream behind.
        "script_after_read": f"file delete -force {TOP}.bit {TOP}.bin",
        "script_after_synth": "\n".join(
            [
                f"# lst: the core's clock must have the period the MMCM was set for ({period} ns).",
                "set lst_clk [get_clocks -quiet core_clk]",
                "if {[llength $lst_clk] != 1} {",
                f'    error "lst: no clock core_clk on {MMCM_PATH}/CLKOUT0"',
                "}",
                "set lst_period [get_property PERIOD $lst_clk]",
                f"if {{abs($lst_period - {period}) > 0.001}} {{",
                f'    error "lst: core_clk period $lst_period ns, expected {period} ns"',
                "}",
            ]
        ),
        "script_before_bitstream": "\n".join(
            [
                "# lst: no bitstream unless routed timing is met (setup and hold).",
                "set lst_setup [get_timing_paths -delay_type max -max_paths 1 -nworst 1]",
                "set lst_hold [get_timing_paths -delay_type min -max_paths 1 -nworst 1]",
                "if {[llength $lst_setup] == 0 || [llength $lst_hold] == 0} {",
                '    error "lst: no timed paths: clock constraints missing"',
                "}",
                "set lst_wns [get_property SLACK $lst_setup]",
                "set lst_whs [get_property SLACK $lst_hold]",
                'puts "lst: worst setup slack $lst_wns ns, worst hold slack $lst_whs ns"',
                "# A slack that is not a finite number means no constrained path.",
                "proc lst_met {slack} {",
                "    expr {[string is double -strict $slack]"
                " && ![string match -nocase *inf* $slack] && $slack >= 0}",
                "}",
                "if {![lst_met $lst_wns] || ![lst_met $lst_whs]} {",
                '    error "lst: timing not met after routing (WNS $lst_wns ns, WHS $lst_whs ns);'
                ' no bitstream written"',
                "}",
            ]
        ),
    }


def _platform(board: str, *, rtlil: bool = False):
    if board in ULX3S_BOARDS:
        from .ulx3s import ulx3s_platform

        return ulx3s_platform(board)
    cls = BOARDS[board]
    if not rtlil:
        return cls()

    class WithRTLIL(cls):
        # Also the design as RTLIL (for Yosys area reports; not part of the plan).
        @property
        def file_templates(self):
            return {**super().file_templates, "{{name}}.il": "{{emit_rtlil()}}"}

    return WithRTLIL()


def build_plan(build: BoardBuild, *, data_dir=None, rtlil: bool = False, prepared=None):
    """The Amaranth build plan and a manifest (without file digests) for ``build``;
    with ``rtlil``, the plan also holds the design as RTLIL (``lst_selftest.il``).
    ``prepared``: ``build``'s checked request (:func:`hw.request.prepare`), else it is
    checked here."""
    from hw.request import portable_path, prepared_for
    from quant.golden import GoldenModel
    from quant.quantize import sha256_file

    from .images import selftest_images
    from .selftest_top import SelfTestTop

    prepared = prepared_for(build.request(), prepared)
    config = prepared.config
    settings = build.clock()
    qmodel = prepared.qmodel
    images, source = selftest_images(build.count, build.images, data_dir)
    expected = GoldenModel(qmodel)(images)
    top = SelfTestTop(
        settings=settings, config=config, qmodel=qmodel, images=images, expected=expected
    )
    platform = _platform(build.board, rtlil=rtlil)
    # Amaranth reads overrides from AMARANTH_* variables too; they would make the plan
    # depend on the environment.
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("AMARANTH_")}
    if build.open_flow:
        from .open_flow import build_options

        options = build_options(TOP, seed=build.seed)
    else:
        options = _hooks(settings)
    try:
        plan = platform.build(top, name=TOP, do_build=False, emit_src=False, **options)
    finally:
        os.environ.update(saved)
    manifest = {
        "tool": "lst board bitstream",
        "top": TOP,
        "board": build.board,
        "part": getattr(platform, "_part", None) or f"{platform.device}-{platform.speed}",
        "settings": json.loads(build.to_json()),
        "core": {**json.loads(config.to_json()), "checkpoint": portable_path(config.checkpoint)},
        "checkpoint_sha256": sha256_file(config.checkpoint_path()),
        "clock": settings.to_dict(),
        "images": source,
        "expected_classes": expected.classes.tolist(),
        "vivado_versions": None if build.open_flow else VIVADO_VERSIONS,
        "flow": "open (Yosys, nextpnr-ecp5, ecppack)" if build.open_flow else "Vivado",
        "script": f"build_{TOP}.sh",
        "bitstream": f"{TOP}.bit",
        "build_request": prepared.record(),
    }
    return plan, manifest


def write_plan(
    build: BoardBuild,
    out_dir,
    *,
    force: bool = False,
    data_dir=None,
    prepared=None,
    ignore_timing: bool = False,
) -> dict:
    """Write the build directory for ``build`` to ``out_dir``; return the manifest.
    ``prepared`` as for :func:`build_plan`. For a ULX3S the open flow runs here too;
    missed routed timing raises :class:`boards.open_flow.TimingError` and writes
    nothing, unless ``ignore_timing`` (then recorded in the manifest)."""
    from lst.outputs import check_dir, write_dir

    check_dir(out_dir, kind="board bitstream", force=force)
    plan, manifest = build_plan(build, data_dir=data_dir, prepared=prepared)

    def write(tmp: Path):
        if build.open_flow:
            from .open_flow import check_timing, run_build

            summary = run_build(plan, tmp, TOP)
            manifest["implementation"] = {**summary, "timing_ignored": False}
            try:
                check_timing(summary)
            except LSTError:
                if not ignore_timing:
                    raise
                manifest["implementation"]["timing_ignored"] = True
        digests = {}
        for name, content in sorted(plan.files.items()):
            path = tmp / name
            data = content.encode() if isinstance(content, str) else content
            path.write_bytes(data)
            if name.endswith(".sh"):
                path.chmod(0o755)
            digests[name] = hashlib.sha256(data).hexdigest()
        if build.open_flow:
            for name in (f"{TOP}.bit", f"{TOP}.report.json"):
                digests[name] = hashlib.sha256((tmp / name).read_bytes()).hexdigest()
        manifest["files_sha256"] = dict(sorted(digests.items()))
        (tmp / "board.json").write_text(json.dumps(manifest, indent=2) + "\n")

    real = write_dir(out_dir, kind="board bitstream", write=write, force=force)
    manifest["out_dir"] = str(out_dir)
    manifest["out_dir_real"] = str(real)
    return manifest


def vivado_executable() -> str | None:
    return shutil.which("vivado")


def run_vivado(out_dir) -> None:
    """Run the plan's build script in ``out_dir`` (Vivado's output on stderr)."""
    script = Path(out_dir) / f"build_{TOP}.sh"
    r = subprocess.run(["bash", script.name], cwd=out_dir, stdout=sys.stderr, stderr=sys.stderr)
    if r.returncode != 0:
        raise LSTError(f"Vivado failed (exit {r.returncode}); see {Path(out_dir) / (TOP + '.log')}")
    if not (Path(out_dir) / f"{TOP}.bit").exists():
        raise LSTError(f"Vivado finished without writing {Path(out_dir) / (TOP + '.bit')}")
