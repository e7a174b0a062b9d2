"""The AXI wrapper (with the core inside) as one Verilog-2005 file, plus a manifest.

Output (``out_dir``)::

    lst_axi.v      module ``lst_axi``: wrapper and core, self-contained (ROMs inlined)
    lst_axi.json   configuration, ports, register map and constant register values,
                   result format, timing, the weights digest, sha256s

A pure function of the configuration, the checkpoint and the generator's sources:
the same inputs give byte-identical files (:func:`generate_cached` reuses them).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from hw.plan.config import CoreConfig
from hw.verilog import generator_digest as core_generator_digest
from hw.verilog import settle_at_time_zero
from lst.outputs import check_dir, output_dir
from quant.quantize import quantize_checkpoint, sha256_file

from . import regmap

__all__ = ["TOP", "generate", "generate_cached", "generator_digest", "wrapper_config"]

TOP = "lst_axi"
#: The output kind of :mod:`lst.outputs` for wrapper directories.
KIND = "board axi"

_ATTR = re.compile(r"^\s*\(\* X_INTERFACE_\w+ = .*\*\)\n", re.M)


def wrapper_config(
    lanes: int = 28, fmt: str = "q5.7", checkpoint: str = "", weights: str = "baked", **core
) -> CoreConfig:
    """The core configuration the wrapper uses: 4 pixels per 32-bit beat (``core``: the
    other settings of a :class:`hw.request.BuildRequest`, e.g. ``dsp_lanes``)."""
    from hw.request import BuildRequest

    return BuildRequest(
        target="axi",
        lanes=lanes,
        pixels_per_beat=regmap.PIXELS_PER_BEAT,
        format=fmt,
        checkpoint=checkpoint,
        weights=weights,
        **core,
    ).core_config()


def generator_digest() -> str:
    """sha256 over the core generator's and this package's sources (a cache key)."""
    h = hashlib.sha256(core_generator_digest().encode())
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _keep_interface_attrs_on_top(text: str) -> str:
    """Yosys copies the top ports' attributes onto the submodules' clock ports; Vivado
    reads them on the top only, so drop the copies."""
    head, sep, rest = text.partition("endmodule")
    return head + sep + _ATTR.sub("", rest)


def generate(config: CoreConfig, out_dir, *, qmodel=None, force: bool = False, record=None) -> dict:
    """Write ``lst_axi.v`` and ``lst_axi.json`` to ``out_dir``; return the manifest.

    ``record``: the checked build request (:meth:`hw.request.Build.record`) the command
    passes, kept in the manifest as ``build_request``.

    ``out_dir`` is written by :func:`lst.outputs.output_dir` (kind ``board-axi``):
    atomically, and only over an earlier output of the same kind unless ``force``.
    """
    inputs = [config.checkpoint_path()]
    check_dir(out_dir, kind=KIND, inputs=inputs, force=force)
    from amaranth import Shape
    from amaranth.back import verilog
    from amaranth.lib import wiring

    from .axi_wrapper import ADDR_WIDTH, LSTAxiWrapper

    if qmodel is None:
        qmodel = quantize_checkpoint(config.checkpoint_path(), config.format)
    wrapper = LSTAxiWrapper(config, qmodel)
    text = verilog.convert(wrapper, name=TOP, emit_src=False)
    text = settle_at_time_zero(_keep_interface_attrs_on_top(text))
    ports = {}
    for name, member in wrapper.signature.members.items():
        direction = "in" if member.flow == wiring.In else "out"
        ports[name] = {"direction": direction, "width": Shape.cast(member.shape).width}
    out_dir = Path(out_dir)
    with output_dir(out_dir, kind=KIND, inputs=inputs, force=force) as tmp:
        (tmp / f"{TOP}.v").write_text(text)
        manifest = {
            "tool": "lst board axi",
            "generator_sha256": generator_digest(),
            "top": TOP,
            "verilog": f"{TOP}.v",
            "config": json.loads(config.to_json()),
            "checkpoint_sha256": sha256_file(config.checkpoint_path()),
            "ports": ports,
            "interfaces": {
                "s_axis": "AXI4-Stream slave: pixels, 32-bit, 4 per beat, byte 0 first",
                "m_axis": "AXI4-Stream master: results, 11 words per image",
                "s_axi_ctrl": f"AXI4-Lite slave, {ADDR_WIDTH}-bit address, 32-bit data",
            },
            "registers": {
                r.name: {"offset": r.offset, "access": r.access} for r in regmap.REGISTERS
            },
            "register_values": wrapper.register_values(),
            "weights_digest": f"0x{wrapper.digest:08X}",
            "weights": config.weights,
            "load": _load_info(config, qmodel) if config.weights == "loadable" else None,
            "result": {
                "words": regmap.RESULT_WORDS,
                "word0": (
                    "class in bits 3:0, DROPPED (marker frame) in bit 4, zero in 15:5, "
                    "sequence number in 31:16"
                ),
                "logit_width": wrapper.core.logit_width,
                "logit_format": wrapper.core.out_stage.acc.name,
            },
            "input": {
                "pixels_per_beat": regmap.PIXELS_PER_BEAT,
                "beats_per_image": regmap.BEATS_PER_IMAGE,
            },
            "timing": {
                "initiation_interval": config.initiation_interval,
                "compute_cycles": config.compute_cycles,
                "load_cycles": config.load_cycles,
            },
            "build_request": record,
        }
        manifest["files_sha256"] = {
            f"{TOP}.v": hashlib.sha256((tmp / f"{TOP}.v").read_bytes()).hexdigest()
        }
        (tmp / f"{TOP}.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def _load_info(config: CoreConfig, qmodel) -> dict:
    """The load image's regions and the digest of the built-in (initial) contents."""
    from hw.plan.load_image import load_digest, load_regions

    regions = load_regions(config, qmodel)
    return {
        "words": sum(regions.values()),
        "regions": regions,
        "initial_crc32": f"0x{load_digest(config, qmodel):08X}",
    }


def generate_cached(config: CoreConfig, out_dir) -> dict:
    """:func:`generate` unless ``out_dir`` already holds this configuration's output from
    the same checkpoint and generator sources; return the manifest. For build caches
    (``sim_build/``): a stale output there is replaced whoever wrote it."""
    path = Path(out_dir) / f"{TOP}.json"
    if path.exists() and (Path(out_dir) / f"{TOP}.v").exists():
        m = json.loads(path.read_text())
        if (
            m.get("config") == json.loads(config.to_json())
            and m.get("checkpoint_sha256") == sha256_file(config.checkpoint_path())
            and m.get("generator_sha256") == generator_digest()
        ):
            return m
    return generate(config, out_dir, force=True)
