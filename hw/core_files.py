"""What every generated core's output shares: the top's name, the Verilog clean-up, ROM
files, the ports and result fields of the manifest, file digests and the generator's
digest (:mod:`hw.verilog` for the LST cores, :mod:`hw.transform_verilog` for the
transform-domain ones)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from quant.rom import write_coe, write_mem

__all__ = [
    "TOP",
    "files_sha256",
    "generator_digest",
    "manifest_head",
    "result_fields",
    "rom_writer",
    "settle_at_time_zero",
    "stream_ports",
]

TOP = "lst_core"


_TRIGGER = re.compile(
    r"^(\s*)reg (\\\$auto\$verilog_backend\.cc:\d+:dump_module\$\d+) += 0;$", re.M
)


def settle_at_time_zero(text: str) -> str:
    """Make every ``always @*`` block of Yosys's output run at time zero.

    Yosys references one register in each combinational block so that a change of it
    runs them all at time zero, but gives it its value in the declaration, which
    Icarus applies before any process starts: blocks whose inputs never change after
    time zero then keep X (Amaranth issue #594; here, the first write of the column
    pass after power-up). Assigning the register in an ``initial`` statement placed
    after the blocks produces the change once they wait for it. Behaviour is
    otherwise unchanged: the register is 0 in every simulator and ignored by synthesis.
    """
    modules = text.split("endmodule")
    out = []
    for body in modules[:-1]:
        names = [m.group(2) for m in _TRIGGER.finditer(body)]
        body = _TRIGGER.sub(lambda m: f"{m.group(1)}reg {m.group(2)} ;", body)
        for name in names:
            body += f"  initial {name}  = 1'h0;\n"
        out.append(body)
    out.append(modules[-1])
    return "endmodule".join(out)


def rom_writer(rom: Path, roms: dict):
    """``put(name, words, width, layout)``: write ``rom/NAME.mem`` and ``.coe`` with a
    header comment and record them in ``roms`` (the manifest's ``roms``)."""

    def put(name, words, width, layout):
        comment = f"{name}: {len(words)} words x {width} bits\n{layout}"
        write_mem(rom / f"{name}.mem", words, width, comment)
        write_coe(rom / f"{name}.coe", words, width, comment)
        roms[name] = {
            "mem": f"rom/{name}.mem",
            "coe": f"rom/{name}.coe",
            "depth": len(words),
            "width": width,
            "layout": layout,
        }

    return put


def stream_ports(pixels_per_beat: int, logit_width: int) -> dict:
    """The core's ports and widths (every core has these, and only these)."""
    return {
        "clk": 1,
        "rst": 1,
        "pixels__valid": 1,
        "pixels__ready": 1,
        "pixels__payload": 8 * pixels_per_beat,
        "result__valid": 1,
        "result__ready": 1,
        "result__payload": 4 + 10 * logit_width,
    }


def result_fields(logit_width: int, logit_format: str) -> dict:
    """Where the class and the logits sit in ``result__payload``."""
    return {
        "cls": [0, 4],
        "logits": [4, 4 + 10 * logit_width],
        "logit_width": logit_width,
        "logit_format": logit_format,
    }


def files_sha256(root: Path) -> dict:
    """sha256 of every file under ``root``, by relative path, sorted."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def generator_digest(root: Path | None = None) -> str:
    """sha256 over the generator's own sources (every module of ``hw/`` and its rooms, the
    Verilator waivers, ``quant/``) under ``root`` (default: this checkout): a cache key
    for builds."""
    root = Path(root) if root is not None else Path(__file__).resolve().parent.parent
    sources = [
        *(root / "hw").rglob("*.py"),
        *(root / "hw").glob("*.vlt"),
        *(root / "quant").rglob("*.py"),
    ]
    h = hashlib.sha256()
    for path in sorted(sources):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def manifest_head(config, qmodel, *, formats: dict, logit_width: int, logit_format: str) -> dict:
    """The first fields of every core's manifest (``lst_core.json``): the tool, the
    generator's and the checkpoint's digests, the configuration, the formats, the
    quantization counts, the ports and the result's fields."""
    from lst import __version__
    from quant.quantize import sha256_file

    return {
        "tool": "lst verilog",
        "tool_version": __version__,
        "generator_sha256": generator_digest(),
        "top": TOP,
        "verilog": f"{TOP}.v",
        "config": json.loads(config.to_json()),
        "checkpoint_sha256": sha256_file(config.checkpoint_path()),
        "formats": formats,
        "quantization": qmodel.quantization_counts(),
        "ports": stream_ports(config.pixels_per_beat, logit_width),
        "result_payload": result_fields(logit_width, logit_format),
    }
