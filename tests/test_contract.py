"""The fixed-point contract: tanh table, stage formats, widths and the docs' tables."""

from __future__ import annotations

import math
import re
from pathlib import Path

import mpmath
import numpy as np
import pytest

from lst.arch import LST_MODELS, get_arch
from quant.contract import INPUT_FORMAT, FixedConfig, stages, tanh_codes
from quant.fixed import Overflow, Rounding, q

DOC = Path(__file__).resolve().parent.parent / "docs" / "fixed-point.md"


@pytest.mark.parametrize(("act_frac", "tanh_frac"), [(7, 8), (7, 7), (5, 6), (6, 7)])
def test_tanh_table_is_exactly_rounded(act_frac, tanh_frac):
    cfg = FixedConfig(q(f"q5.{act_frac}"), act_frac, tanh_frac)
    table = cfg.tanh_table
    fin = cfg.tanh_in
    mpmath.mp.dps = 50
    for code, got in zip(range(fin.min_int, fin.max_int + 1), table.tolist(), strict=True):
        x = mpmath.mpf(abs(code)) / 2**tanh_frac
        exact = mpmath.tanh(x) * 2**act_frac
        want = min(int(mpmath.floor(exact + mpmath.mpf(1) / 2)), 2**act_frac - 1)
        assert got == (want if code >= 0 else -want), code


def test_tanh_table_shape_symmetry_and_saturation():
    cfg = FixedConfig()
    fin, t = cfg.tanh_in, cfg.tanh_table
    assert fin.name == "q3.8" and len(t) == 2048 and cfg.tanh_range_log2 == 2
    codes = np.arange(fin.min_int, fin.max_int + 1)
    inner = codes > fin.min_int
    assert (t[inner] == -t[::-1][:-1]).all()  # odd: T[-c] = -T[c]
    assert (np.diff(t) >= 0).all()  # monotonic
    assert t.max() == 127 and t.min() == -127
    # Beyond the table's range tanh rounds to the same extreme: saturation is exact.
    assert tanh_codes(np.array([4 * 256, 100 * 256]), 8, 7).tolist() == [127, 127]


def test_paper_activation_table():
    cfg = FixedConfig(activation="paper")
    t = cfg.tanh_table
    idx = np.array([0, 128, 256, 384, 512]) - cfg.tanh_in.min_int  # x = 0, .5, 1, 1.5, 2
    assert t[idx].tolist() == [0, 56, 96, 120, 127]  # x(1-x/4)·128: 0, 56, 96, 120, 128→127


@pytest.mark.parametrize("model", list(LST_MODELS))
def test_accumulators_cannot_overflow_for_any_format_values(model):
    """Worst case over every value of the operand formats, not just trained weights."""
    arch = get_arch(model)
    for fmt in ("q5.7", "q3.5", "q8.8", "q2.14"):
        cfg = FixedConfig.parse(fmt)
        for st in stages(arch, cfg):
            worst_product = max(
                abs(a * b)
                for a in (st.x.min_int, st.x.max_int)
                for b in (st.w.min_int, st.w.max_int)
            )
            worst = st.taps * worst_product + max(abs(st.bias.min_int), st.bias.max_int)
            assert worst <= st.acc.max_int, (fmt, st.name)
            assert st.product.max_int >= worst_product


def test_q5_7_stage_widths():
    table = {st.name: st for st in stages(get_arch("lst1"), FixedConfig())}
    row, col, out = table["blocks.0.row"], table["blocks.0.col"], table["out"]
    assert row.x == INPUT_FORMAT and row.x.name == "q1.7"
    assert (row.product.name, row.acc.width, row.shift) == ("q6.14", 25, 6)
    assert (col.x.name, col.acc.width, col.shift) == ("q1.7", 25, 6)
    assert (out.acc.width, out.shift, out.taps) == (30, None, 784)
    res = {st.name: st for st in stages(get_arch("reslst3"), FixedConfig())}
    assert res["out"].x.name == "q2.7" and res["out"].acc.width == 31


def test_config_validation_and_round_trip():
    with pytest.raises(ValueError, match="must be signed"):
        FixedConfig(q("uq4.4"))
    with pytest.raises(ValueError, match="activation must be one of"):
        FixedConfig(activation="relu")
    with pytest.raises(ValueError, match="lower tanh_frac"):
        stages(get_arch("lst1"), FixedConfig(q("q5.7"), 7, 14))
    cfg = FixedConfig(q("q3.5"), 6, 6, "paper")
    assert FixedConfig.from_dict(cfg.to_dict()) == cfg


def _doc_tables():
    """Generated blocks in the doc, by their marker name."""
    text = DOC.read_text()
    blocks = re.findall(r"<!-- BEGIN (\S+) -->\n(.*?)<!-- END \1 -->", text, re.S)
    return dict(blocks)


def test_docs_tables_match_code():
    from quant.docs import generated_blocks

    have = _doc_tables()
    want = generated_blocks()
    assert set(want) <= set(have), f"docs/fixed-point.md lacks blocks {set(want) - set(have)}"
    for name, body in want.items():
        assert have[name] == body, f"block {name} is stale: run `python -m quant.docs`"


# ---------------------------------------------------------------- the rules of the doc
# docs/fixed-point.md states four rules for any weight format, worked for q2.6; these
# check each rule, in the doc's own terms, against the code for several formats.

RULE_FORMATS = ("q2.6", "q3.5", "q4.4", "q5.7", "q5.9", "q8.8", "q4.12")


@pytest.mark.parametrize("fmt", RULE_FORMATS)
def test_rule1_narrowing_shifts(fmt):
    """First row stage: s = 7 + n − g = 6 with the defaults; every other: s = n − 1."""
    cfg = FixedConfig.parse(fmt)
    n = cfg.weight.frac
    for model in ("lst1", "lst2", "reslst3"):
        for st in stages(get_arch(model), cfg):
            if st.name == "out":
                assert st.shift is None
            elif st.name == "blocks.0.row":
                assert st.x == INPUT_FORMAT and st.shift == 7 + n - cfg.tanh_in.frac == 6
            else:
                assert st.x == cfg.act and st.shift == 2 * n - cfg.tanh_in.frac == n - 1
    # Non-default activation and tanh precisions: s = frac(x) + frac(w) − g.
    custom = FixedConfig(q(fmt), act_frac=5, tanh_frac=4)
    table = {st.name: st for st in stages(get_arch("lst1"), custom)}
    assert table["blocks.0.row"].shift == 7 + n - 4
    assert table["blocks.0.col"].shift == 5 + n - 4


@pytest.mark.parametrize("f", range(1, 17))
def test_rule2_tanh_input_integer_bits(f):
    """r = max(0, ⌈log₂ atanh(1 − 1.5·2^−f)⌉), input q(r+1).g, saturation loses nothing."""
    cfg = FixedConfig(q(f"q2.{f}"))
    r = max(0, math.ceil(math.log2(math.atanh(1 - 1.5 * 2.0**-f))))
    assert cfg.tanh_range_log2 == r
    assert (cfg.tanh_in.int_bits, cfg.tanh_in.frac) == (r + 1, f + 1)
    assert cfg.tanh_table[-1] == cfg.act_max  # reached before the top input code
    assert tanh_codes(np.array([1 << (r + f + 1)]), f + 1, f)[0] == cfg.act_max


@pytest.mark.parametrize("fmt", RULE_FORMATS)
def test_rule3_bias_fold_is_one_half_up_rounding_of_the_float64_sum(fmt):
    from fractions import Fraction

    from qhelpers import random_tensors

    from quant.quantize import quantize_tensors

    cfg = FixedConfig.parse(fmt)
    n = cfg.weight.frac
    tensors = random_tensors("lst1", seed=3, scale=0.2)
    rng = np.random.default_rng(1)
    b = tensors["blocks.0.row.bias"]
    b[:8] = 0.0  # ties wherever S is odd
    b[8:16] = rng.integers(-40, 40, 8) * 2.0 ** -(7 + n) + 2.0 ** -(9 + n)  # quarter LSBs
    qm = quantize_tensors(get_arch("lst1"), tensors, cfg)
    bias = qm.stages()[0].bias
    assert (bias.frac, bias.width) == (7 + n, 8 + cfg.weight.width)
    stored = qm.ints["blocks.0.row.bias"]
    odd = 0
    for j, s in enumerate(qm.ints["blocks.0.row.weight"].sum(axis=1).tolist()):
        v = float(b[j]) + s * 2.0 ** -(n + 8)  # the one float64 addition
        want = math.floor(Fraction(v) * 2 ** (7 + n) + Fraction(1, 2))
        assert stored[j] == min(max(want, bias.min_int), bias.max_int), j
        odd += j < 8 and s % 2 == 1
    assert odd, "no exact half-LSB case was exercised"


@pytest.mark.parametrize("fmt", RULE_FORMATS)
def test_rule4_bias_formats_saturate_per_stage(fmt):
    from qhelpers import random_tensors

    from quant.quantize import quantize_tensors

    cfg = FixedConfig.parse(fmt)
    arch = get_arch("reslst3")
    for st in stages(arch, cfg):
        assert (st.bias.width, st.bias.frac) == (st.x.width + st.w.width, st.x.frac + st.w.frac)
        assert st.bias.overflow is Overflow.SATURATE and st.bias.rounding is Rounding.HALF_UP
    tensors = random_tensors("reslst3", seed=4)
    for st in stages(arch, cfg):
        tensors[st.bias_tensor][0] = 1e6
        tensors[st.bias_tensor][1] = -1e6
    qm = quantize_tensors(arch, tensors, cfg)
    for st in stages(arch, cfg):
        got = qm.ints[st.bias_tensor]
        assert (got[0], got[1]) == (st.bias.max_int, st.bias.min_int), st.name
        assert qm.saturated[st.bias_tensor] >= 2
