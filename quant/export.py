"""Write a quantized model: integer arrays, ROM images and a JSON manifest.

Layout of the output directory::

    manifest.json        formats, shapes, address layouts, stage table, sha256s
    model.npz            every tensor's integers (reload with QuantizedLST.load_npz)
    rom/<tensor>.mem     one value per word, $readmemh
    rom/<tensor>.coe     the same, Vivado Block Memory Generator
    rom/tanh.mem|.coe    the activation table

The directory is built under a temporary name and moved into place only when
complete: a failed run leaves nothing behind (:mod:`lst.outputs` gives the rules).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from lst import __version__
from lst.outputs import output_dir

from .quantize import QuantizedLST
from .rom import to_unsigned, write_coe, write_mem

__all__ = ["write_quantized"]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_quantized(
    qm: QuantizedLST, out_dir, *, force: bool = False, extra: dict | None = None
) -> dict:
    """Write ``qm`` to ``out_dir`` (see the module docstring); return the manifest.

    The directory is written by :func:`lst.outputs.output_dir`: atomically, and only over
    an earlier ``lst quantize`` output (``force`` keeps other files there); a directory
    holding the source checkpoint is refused. ``extra`` adds entries to the manifest
    (``lst quantize`` adds the hardware's load digests:
    :func:`hw.plan.load_image.write_quantized_model`).
    """
    cfg = qm.config
    source = qm.source.get("path") if isinstance(qm.source, dict) else None
    with output_dir(out_dir, kind="quantize", inputs=[source], force=force) as tmp:
        rom = tmp / "rom"
        rom.mkdir()
        roms = {}
        for name, values in qm.ints.items():
            fmt = qm.tensor_format(name)
            values = np.asarray(values)
            if values.ndim == 2:
                layout = (
                    f"address = r*{values.shape[1]} + c holds {name}[r, c] "
                    f"(row-major, {values.shape[0]}x{values.shape[1]})"
                )
            else:
                layout = f"address = i holds {name}[i]"
            if name == "blocks.0.row.weight":
                layout += "; stores W1*256/255 (input encoding fold)"
            if name == "blocks.0.row.bias":
                layout += "; stores b1 + sum_k W1'[:, k]/256 (input encoding fold)"
            comment = (
                f"{name}: {values.size} words x {fmt.width} bits, {fmt.name} two's complement\n"
                f"{layout}"
            )
            words = to_unsigned(values, fmt.width)
            write_mem(rom / f"{name}.mem", words, fmt.width, comment)
            write_coe(rom / f"{name}.coe", words, fmt.width, comment)
            roms[name] = {
                "mem": f"rom/{name}.mem",
                "coe": f"rom/{name}.coe",
                "shape": list(values.shape),
                "depth": int(values.size),
                "width": fmt.width,
                "format": fmt.name,
                "layout": layout,
                "saturated": int(qm.saturated.get(name, 0)),
                "rounded_to_zero": int(qm.rounded_to_zero.get(name, 0)),
                "min": int(values.min()),
                "max": int(values.max()),
            }
        tin = cfg.tanh_in
        comment = (
            f"tanh: {tin.max_int - tin.min_int + 1} words x {cfg.act.width} bits, "
            f"{cfg.act.name} two's complement\n"
            f"address = the {tin.width}-bit two's complement code of the {tin.name} input "
            f"(address a holds tanh of a - {1 << tin.width} for a >= {1 << (tin.width - 1)})"
        )
        codes = np.arange(1 << tin.width, dtype=np.int64)
        codes = np.where(codes >= (1 << (tin.width - 1)), codes - (1 << tin.width), codes)
        words = to_unsigned(cfg.tanh(codes), cfg.act.width)
        write_mem(rom / "tanh.mem", words, cfg.act.width, comment)
        write_coe(rom / "tanh.coe", words, cfg.act.width, comment)
        roms["tanh"] = {
            "mem": "rom/tanh.mem",
            "coe": "rom/tanh.coe",
            "depth": len(words),
            "width": cfg.act.width,
            "format": cfg.act.name,
            "layout": comment.splitlines()[1],
        }
        qm.save_npz(tmp / "model.npz")
        manifest = {
            "tool": "lst quantize",
            "tool_version": __version__,
            "model": qm.arch.name,
            "params": qm.arch.params,
            "config": cfg.to_dict(),
            "stages": [st.to_dict() for st in qm.stages()],
            "accumulator_ranges": {k: list(v) for k, v in qm.accumulator_ranges().items()},
            "saturated_total": qm.total_saturated,
            "rounded_to_zero_total": sum(qm.rounded_to_zero.values()),
            "source": qm.source,
            "roms": roms,
            "npz": "model.npz",
            **(extra or {}),
        }
        manifest["files_sha256"] = {
            str(p.relative_to(tmp)): _sha256(p) for p in sorted(tmp.rglob("*")) if p.is_file()
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest
