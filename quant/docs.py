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
from .fixed import FixedFormat
from .transform_docs import transform_blocks

DOC = Path(__file__).resolve().parent.parent / "docs" / "fixed-point.md"

#: The weight format of the document's worked examples for formats other than q5.7.
EXAMPLE_FORMAT = "q2.6"


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


def _range(fmt: FixedFormat) -> str:
    """A signed format's exact range, ``[−2^(m−1), 2^(m−1) − 2^−n]``."""
    top = 1 << (fmt.int_bits - 1)
    return f"[−{top}, {top} − 2⁻{_sup(fmt.frac)}]"


def _minus(text: str) -> str:
    return text.replace("-", "−")


def _sup(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"))


def rules_stage_table(model: str, cfg: FixedConfig) -> str:
    """Per stage: the narrowing shift worked out, the rounding constant the RTL folds
    into the bias, and the bias format with its saturation range."""
    g = cfg.tanh_in.frac
    lines = [
        "| stage | x | w | shift s = frac(x) + frac(w) − g | constant 2^(s−1) "
        "| bias format (saturating) | bias range | accumulator (bits) |",
        "|---|---|---|---|---:|---|---|---|",
    ]
    for st in stages(get_arch(model), cfg):
        if st.shift is None:
            shift, const = "— (logits are not narrowed)", "—"
        else:
            shift = f"{st.x.frac} + {st.w.frac} − {g} = **{st.shift}**"
            const = f"{1 << (st.shift - 1)}"
        lines.append(
            f"| `{st.name}` | `{st.x.name}` | `{st.w.name}` | {shift} | {const} | "
            f"`{st.bias.name}` ({st.bias.width} bits) | {_range(st.bias)} | "
            f"`{st.acc.name}` ({st.acc.width}) |"
        )
    return "\n".join(lines) + "\n"


def tanh_range_table(cfg: FixedConfig) -> str:
    """How ``r`` (the tanh input's integer bits minus one) is found for ``cfg``."""
    import math

    import numpy as np

    f, top = cfg.act_frac, cfg.act_max
    r = cfg.tanh_range_log2
    lines = [
        f"| r | 2^r | 2^{f}·tanh(2^r) | rounded | reaches {top}? |",
        "|---:|---:|---:|---:|---|",
    ]
    for k in range(r + 1):
        y = math.tanh(2.0**k) * 2**f
        lines.append(
            f"| {k} | {2**k} | {y:.3f} | {round(y)} | {'**yes**' if round(y) >= top else 'no'} |"
        )
    fin = cfg.tanh_in
    codes = np.arange(fin.min_int, fin.max_int + 1)
    first = int(codes[cfg.tanh_table == top][0])
    by_f: dict[int, list[int]] = {}
    for ff in range(1, 17):
        by_f.setdefault(FixedConfig(FixedFormat(ff + 2, ff)).tanh_range_log2, []).append(ff)
    spans = "; ".join(
        f"r = {k} for f = {fs[0]}" + (f"…{fs[-1]}" if len(fs) > 1 else "")
        for k, fs in sorted(by_f.items())
    )
    lines += [
        "",
        f"So r = {r} and the tanh input is `{fin.name}` ({fin.width} bits, "
        f"{1 << fin.width:,} entries, {_range(fin)}). The table reaches ±{top} from "
        f"|t| = {first / 2**fin.frac:g} (code {first}) on, below its top code {fin.max_int}, "
        "so saturating the input changes no output. Over all activation widths "
        f"(default tanh input): {spans}.",
    ]
    return "\n".join(lines) + "\n"


#: Worked cases of the input-offset bias fold: (float bias in units of the bias LSB,
#: or an exact float, and the first row weight's integer Ŵ1'[0, 0]; the others are 0).
FOLD_CASES = (
    (0.0, 37, "an exact half LSB: rounds up"),
    (0.0, -37, "an exact half LSB: rounds up (toward +∞), not away from zero"),
    ("0.75 LSB", 37, "rounded once: rounding b1 (to 1) and the fold (to 19) apart would give 20"),
    ("-0.75 LSB", 37, "rounded once"),
    (-(2.0**-70), 37, "the float64 sum rounds to the tie, so 19; exact rounding would give 18"),
)


def fold_examples(cfg: FixedConfig) -> str:
    """The first block's row-bias fold worked through :func:`quantize_tensors` itself."""
    from fractions import Fraction

    import numpy as np

    from .contract import Stage
    from .quantize import INPUT_FOLD, quantize_tensors

    arch = get_arch("lst1")
    st: Stage = stages(arch, cfg)[0]
    lsb_exp = st.bias.frac
    lines = [
        f"| b1[0] (float) | S = Σₖ Ŵ1'[0, k] | exact (b1[0] + S·2⁻{_sup(cfg.weight.frac + 8)})"
        f"·2{_sup(lsb_exp)} | stored b̂1'[0] (`{st.bias.name}` code) | note |",
        "|---|---:|---:|---:|---|",
    ]
    for bias, w_int, note in FOLD_CASES:
        if isinstance(bias, str):
            b = float(bias.split()[0]) * 2.0**-lsb_exp
            shown = f"{bias.split()[0]}·2⁻{_sup(lsb_exp)}"
        else:
            b = bias
            shown = "0" if b == 0 else f"−2⁻{_sup(int(-np.log2(-b)))}"
        tensors = {k: np.zeros(v) for k, v in arch.tensor_shapes().items()}
        # A float weight that becomes the integer w_int after the 256/255 scale.
        tensors["blocks.0.row.weight"][0, 0] = w_int / INPUT_FOLD / 2**cfg.weight.frac
        tensors["blocks.0.row.bias"][0] = b
        qm = quantize_tensors(arch, tensors, cfg)
        s = int(qm.ints["blocks.0.row.weight"][0].sum())
        exact = (Fraction(b) + Fraction(s, 2 ** (cfg.weight.frac + 8))) * 2**lsb_exp
        near = Fraction(float(exact))
        exact_s = _minus(f"{float(near):g}")
        if exact != near:  # too close to show: a tiny ε below or above
            exact_s += " − ε" if exact < near else " + ε"
        stored = int(qm.ints["blocks.0.row.bias"][0])
        lines.append(
            f"| {_minus(shown)} | {_minus(str(s))} | {exact_s} | {_minus(str(stored))} | {note} |"
        )
    return "\n".join(lines) + "\n"


def generated_blocks() -> dict[str, str]:
    cfg = FixedConfig()
    ex = FixedConfig.parse(EXAMPLE_FORMAT)
    return {
        "activation-tables": activation_table(),
        "formats-q5.7": formats_table(cfg),
        "stages-lst1-q5.7": stage_table("lst1", cfg),
        "stages-lst2-q5.7": stage_table("lst2", cfg),
        "stages-reslst3-q5.7": stage_table("reslst3", cfg),
        f"formats-{EXAMPLE_FORMAT}": formats_table(ex),
        f"rules-reslst3-{EXAMPLE_FORMAT}": rules_stage_table("reslst3", ex),
        "rules-lst1-q5.7": rules_stage_table("lst1", cfg),
        f"tanh-range-{EXAMPLE_FORMAT}": tanh_range_table(ex),
        f"bias-fold-{EXAMPLE_FORMAT}": fold_examples(ex),
        **transform_blocks(),
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
