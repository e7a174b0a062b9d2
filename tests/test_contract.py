"""The fixed-point contract: tanh table, stage formats, widths and the docs' tables."""

from __future__ import annotations

import re
from pathlib import Path

import mpmath
import numpy as np
import pytest

from lst.arch import LST_MODELS, get_arch
from quant.contract import INPUT_FORMAT, FixedConfig, stages, tanh_codes
from quant.fixed import q

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
