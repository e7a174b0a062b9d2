"""``lst verilog --model ht1|dct1|bwt1``: the transform-domain core as Verilog, its ROM
images and a manifest, like the LST cores' (:mod:`hw.verilog`).

Output (``out_dir``)::

    lst_core.v          the core (module ``lst_core``, the LST cores' ports)
    lst_core.json       configuration, ports, formats, timing, ROM layouts, sha256s
    rom/matrix.mem|coe  the passes' matrix words (lane l's entry in its field; none for
                        HT-1's butterfly passes)
    rom/scale.mem|coe, rom/offset.mem|coe, rom/threshold.mem|coe
                        a, β and τ in emission order (n = column·P + row)
    rom/out_weights.mem|coe
                        the ten classes' weights per coefficient, class o in field o
"""

from __future__ import annotations

import json
from pathlib import Path

from lst.outputs import check_dir, output_dir
from quant.rom import to_unsigned

from .plan.transform_config import TransformCoreConfig

__all__ = ["generate_transform"]


def generate_transform(
    config: TransformCoreConfig, out_dir, *, qmodel=None, force=False, record=None
) -> dict:
    """Write the transform-domain core, its ROM images and manifest to ``out_dir`` (the
    rules of :func:`hw.verilog.generate`: atomic, only over an earlier output unless
    ``force``); return the manifest."""
    from amaranth.back import verilog

    from .core_files import (
        TOP,
        files_sha256,
        manifest_head,
        rom_writer,
        settle_at_time_zero,
    )
    from .transform_core import TransformCore

    check_dir(out_dir, kind="verilog", inputs=[config.checkpoint_path()], force=force)
    core = TransformCore(config, qmodel)
    q, f, p = core.qmodel, core.formats, config.size
    text = settle_at_time_zero(verilog.convert(core, name=TOP, emit_src=False))
    out_dir = Path(out_dir)
    passes = core.passes
    with output_dir(out_dir, kind="verilog", inputs=[config.checkpoint_path()], force=force) as tmp:
        (tmp / f"{TOP}.v").write_text(text)
        rom = tmp / "rom"
        rom.mkdir()
        roms = {}
        put = rom_writer(rom, roms)

        if not config.butterfly:  # the butterfly passes have no matrix
            wb = passes.w_width
            entry = "sign bit (1 = −1)" if wb == 1 else f"{f.matrix.name} entry"
            put(
                "matrix",
                passes.weight_words(),
                wb * config.lanes,
                f"word r·28 + tap: lane l's {entry} M[r·{config.lanes} + l, tap] in bits "
                f"{wb}l..{wb}l+{wb - 1}",
            )
        coeff = core.coeff  # its ROMs, in emission order
        for name, fmt, words in (
            ("scale", f.scale, coeff.scale),
            ("offset", f.beta, coeff.offset),
            ("threshold", f.tau, coeff.threshold),
        ):
            put(
                name,
                to_unsigned(words, fmt.width) if fmt.signed else words,
                fmt.width,
                f"{fmt.name}, word n = column·{p} + row",
            )
        bits = f.out_w.width
        put(
            "out_weights",
            core.classes.rom_words(),
            bits * core.classes.classes,
            f"word n = column·{p} + row: class o's {f.out_w.name} weight in bits "
            f"{bits}o..{bits}o+{bits - 1}",
        )
        c = config
        manifest = {
            **manifest_head(
                config,
                q,
                formats={**q.config.to_dict(), **f.to_dict()},
                logit_width=core.logit_width,
                logit_format=f.logits.name,
            ),
            "model": c.model,
            "timing": {
                "initiation_interval": c.initiation_interval,
                "row_ops": c.row_ops,
                "column_cycles": c.column_cycles,
                "rounds": c.rounds,
                "round_cycles": c.round_cycles,
                "lanes": c.lanes,
                "hadamard": c.hadamard,
                "multipliers": c.multipliers,
            },
            "roms": roms,
            "build_request": record,
        }
        manifest["files_sha256"] = files_sha256(tmp)
        (tmp / f"{TOP}.json").write_text(json.dumps(manifest, indent=2) + "\n")
    manifest["out_dir"] = str(out_dir)
    return manifest
