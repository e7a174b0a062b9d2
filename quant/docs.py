"""Tables of ``docs/fixed-point.md`` generated from the contract's code.

The document holds blocks between ``<!-- BEGIN name -->`` and ``<!-- END name -->``;
``python -m quant.docs`` rewrites them from :func:`generated_blocks`, and a test
fails when the document and the code disagree.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from lst.arch import get_arch

from .contract import INPUT_FORMAT, FixedConfig, stages

DOC = Path(__file__).resolve().parent.parent / "docs" / "fixed-point.md"


def formats_table(cfg: FixedConfig) -> str:
    tin = cfg.tanh_in
    rows = [
        ("input x = p − 128", INPUT_FORMAT.name, INPUT_FORMAT.width, "[−1, 127/128]"),
        (
            "weights W1, W2, Wo",
            cfg.weight.name,
            cfg.weight.width,
            f"[{cfg.weight.min_value:g}, {cfg.weight.max_value:g}], saturating",
        ),
        (
            "activations E, Y (tanh out)",
            cfg.act.name,
            cfg.act.width,
            f"±{cfg.act_max}/{1 << cfg.act_frac} (symmetric)",
        ),
        (
            "tanh table input",
            tin.name,
            tin.width,
            f"[{tin.min_value:g}, {tin.max_value:g}], saturating, {1 << tin.width} entries",
        ),
    ]
    lines = ["| quantity | format | bits | range |", "|---|---|---:|---|"]
    lines += [f"| {a} | `{b}` | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines) + "\n"


def stage_table(model: str, cfg: FixedConfig) -> str:
    lines = [
        "| stage | taps | x | w | product = bias | accumulator (bits) | narrowing shift |",
        "|---|---:|---|---|---|---|---:|",
    ]
    for st in stages(get_arch(model), cfg):
        shift = "—" if st.shift is None else str(st.shift)
        lines.append(
            f"| `{st.name}` | {st.taps} | `{st.x.name}` | `{st.w.name}` | `{st.product.name}` | "
            f"`{st.acc.name}` ({st.acc.width}) | {shift} |"
        )
    return "\n".join(lines) + "\n"


def activation_table() -> str:
    """Worst error of each candidate table against the real tanh on its input grid."""
    import numpy as np

    lines = [
        "| activation | input | output | entries | max \\|T − tanh\\| (output LSB) |",
        "|---|---|---|---:|---:|",
    ]
    for act, act_frac, tanh_frac in (("tanh", 7, 8), ("tanh", 7, 7), ("paper", 7, 8)):
        cfg = FixedConfig(act_frac=act_frac, tanh_frac=tanh_frac, activation=act)
        fin = cfg.tanh_in
        codes = np.arange(fin.min_int, fin.max_int + 1)
        err = np.abs(cfg.act.to_float(cfg.tanh_table) - np.tanh(fin.to_float(codes))).max()
        lines.append(
            f"| {act} | `{fin.name}` | `{cfg.act.name}` | {len(codes)} | "
            f"{err:.5f} ({err * 2**act_frac:.2f}) |"
        )
    return "\n".join(lines) + "\n"


def generated_blocks() -> dict[str, str]:
    cfg = FixedConfig()
    return {
        "activation-tables": activation_table(),
        "formats-q5.7": formats_table(cfg),
        "stages-lst1-q5.7": stage_table("lst1", cfg),
        "stages-lst2-q5.7": stage_table("lst2", cfg),
        "stages-reslst3-q5.7": stage_table("reslst3", cfg),
    }


def update(path: Path = DOC) -> bool:
    """Rewrite the generated blocks of ``path``; return whether anything changed."""
    text = path.read_text()
    new = text
    for name, body in generated_blocks().items():
        tag = re.escape(name)
        pattern = re.compile(rf"(<!-- BEGIN {tag} -->\n).*?(<!-- END {tag} -->)", re.S)
        if not pattern.search(new):
            raise SystemExit(f"{path}: no block {name}")
        new = pattern.sub(lambda m, body=body: m.group(1) + body + m.group(2), new)
    if new != text:
        path.write_text(new)
    return new != text


if __name__ == "__main__":
    changed = update()
    print(f"{DOC}: {'updated' if changed else 'up to date'}", file=sys.stderr)
