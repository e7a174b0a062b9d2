"""Exported ROM files, word for word: every ``*.mem`` and ``*.coe`` that ``lst verilog``
and ``lst quantize`` write against the memory initialisers inside the generated
Verilog and against the quantized integers.

The weight ROM is decoded with the layout documented in ``docs/hardware.md`` and
``hw/components/output_layer.py`` (written out again here, not taken from
``hw.plan.schedule``), so a packing error and a file that disagrees with the Verilog both fail.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from hw.plan.config import CLASSES, CoreConfig, N
from hw.verilog import generate
from quant.export import write_quantized
from quant.quantize import quantize_checkpoint
from quant.rom import read_coe, read_mem, to_unsigned, unpack_words

# Where each ROM of `lst verilog` lives in the Verilog: (module, memory).
VERILOG_ROMS = {
    "weights": ("lst_core", "wrom"),
    "biases": ("lst_core.drain", "bias"),
    "out_biases": ("lst_core.out", "bias"),
    "tanh": ("lst_core.tanh", "table"),
}

_MODULE = re.compile(r"^module (\\\S+|\w+)\s*\(")
_DECL = re.compile(r"^\s*reg \[(\d+):0\] (\\\S+|\w+)\s*\[(\d+):0\];$")
_INIT = re.compile(r"^\s*(\\\S+|\w+)\s*\[(\d+)\] = (\d+)'([hdb])([0-9a-fA-F]+);$")
_RADIX = {"h": 16, "d": 10, "b": 2}


def verilog_memories(text: str) -> dict:
    """``{(module, memory): (width, words)}`` for every memory with an initialiser."""
    mems = {}
    module = None
    decl = None  # (name, width, depth) of the memory just declared
    current = None  # words of the initialiser being read
    for line in text.splitlines():
        if m := _MODULE.match(line):
            # Yosys suffixes a clashing submodule name with `$<n>`: `lst_core.out$135`.
            module = re.sub(r"\$\d+", "", m.group(1).lstrip("\\"))
            continue
        if m := _DECL.match(line):
            decl = (m.group(2).lstrip("\\"), int(m.group(1)) + 1, int(m.group(3)) + 1)
            continue
        if decl and line.strip() == "initial begin":
            name, width, depth = decl
            current = [None] * depth
            assert (module, name) not in mems, f"two memories named {module}.{name}"
            mems[(module, name)] = (width, current)
            continue
        if current is not None:
            if line.strip() == "end":
                assert None not in current, f"{module}.{decl[0]}: words missing"
                current = decl = None
                continue
            m = _INIT.match(line)
            assert m, f"unexpected line in {module}.{decl[0]}'s initialiser: {line!r}"
            assert m.group(1).lstrip("\\") == decl[0] and int(m.group(3)) == decl[1], line
            current[int(m.group(2))] = int(m.group(5), _RADIX[m.group(4)])
        else:
            decl = None
    return mems


def expected_weight_rom(cfg: CoreConfig, ints: dict) -> np.ndarray:
    """Weight words × lanes from the documented layout.

    Block ``b``'s region starts at word ``b·56·out_groups``. In it, row pass word
    ``28g + k``: lane ``l`` of group ``s`` holds ``W1[g·S + l mod S, k]``; column pass
    word ``28·out_groups + 28g + k``: ``W2[g·S + l mod S, (k + s) mod 28]``. Output word
    ``blocks·56·out_groups + rr·depth + u``: with fewer than 10 lanes lane ``l`` holds
    class ``rr·L + l`` at tap ``t' = u``, else lane ``p·10 + c`` holds class ``c`` at tap
    ``t' = u·P + p``; tap ``t' = 28j + i`` is ``Wo[c, 28i + j]``; the rest is 0.
    """
    wo = ints["out.weight"]
    L, S, og, P, depth = (
        cfg.lanes,
        cfg.group_lanes,
        cfg.out_groups,
        cfg.partitions,
        cfg.partition_depth,
    )
    rom = np.zeros((cfg.weight_words, L), np.int64)
    for b in range(cfg.blocks):
        w1, w2 = ints[f"blocks.{b}.row.weight"], ints[f"blocks.{b}.col.weight"]
        region = b * 2 * og * N
        for lane in range(L):
            s, li = divmod(lane, S)
            for g in range(og):
                for k in range(N):
                    rom[region + g * N + k, lane] = w1[g * S + li, k]
                    rom[region + og * N + g * N + k, lane] = w2[g * S + li, (k + s) % N]
    base = cfg.blocks * 2 * og * N
    for rr in range(cfg.rounds):
        for u in range(depth):
            for lane in range(L):
                if L < CLASSES:
                    cls, tap = rr * L + lane, u
                else:
                    p, cls = divmod(lane, CLASSES)
                    tap = u * P + p
                    if p >= P:
                        continue
                if cls < CLASSES and tap < N * N:
                    i, j = tap % N, tap // N
                    rom[base + rr * depth + u, lane] = wo[cls, N * i + j]
    return rom


def check_verilog_roms(out: Path, qm) -> None:
    """Every ROM file of an ``lst verilog`` output against its Verilog and ``qm``."""
    manifest = json.loads((out / "lst_core.json").read_text())
    cfg = CoreConfig(**manifest["config"])
    mems = verilog_memories((out / manifest["verilog"]).read_text())
    roms = manifest["roms"]
    listed = {f for r in roms.values() for f in (r["mem"], r["coe"])}
    on_disk = {str(p.relative_to(out)) for p in (out / "rom").iterdir()}
    assert on_disk == listed, f"ROM files not in the manifest: {on_disk ^ listed}"
    assert set(roms) == set(VERILOG_ROMS), "a ROM without a known place in the Verilog"
    # Every other initialised memory (the buffers) starts as zeros.
    for key, (_, words) in mems.items():
        if key not in VERILOG_ROMS.values():
            assert not any(words), f"unexpected ROM contents in {key}"

    stages = {st.name: st for st in qm.stages()}
    w = qm.config.weight.width
    act = qm.config.act.width
    tin = qm.config.tanh_in.width
    codes = np.arange(1 << tin)
    codes = np.where(codes >= 1 << (tin - 1), codes - (1 << tin), codes)
    bias_width = roms["biases"]["width"]
    want_values = {
        "weights": (expected_weight_rom(cfg, qm.ints), w * cfg.lanes),
        # 56 per block: b1 + 2^(shift - 1), then b2 + 2^(shift - 1) (rounding folded in).
        "biases": (
            np.concatenate(
                [
                    qm.ints[f"blocks.{b}.{kind}.bias"]
                    + (1 << (stages[f"blocks.{b}.{kind}"].shift - 1))
                    for b in range(cfg.blocks)
                    for kind in ("row", "col")
                ]
            ),
            bias_width,
        ),
        "out_biases": (qm.ints["out.bias"], roms["out_biases"]["width"]),
        "tanh": (qm.config.tanh(codes), act),
    }
    for name, rom in roms.items():
        values, width = want_values[name]
        assert rom["width"] == width, f"{name}: width {rom['width']} != {width}"
        vwidth, vwords = mems[VERILOG_ROMS[name]]
        assert vwidth == width and len(vwords) == rom["depth"], name
        if name == "weights":
            got = unpack_words(vwords, w, cfg.lanes)
            bad = np.argwhere(got != values)
            assert not len(bad), f"Verilog weight ROM differs (word, lane): {bad[:5].tolist()}"
            want = vwords
        else:
            want = to_unsigned(values, width)
            assert vwords == want, f"Verilog {name} ROM differs from the quantized integers"
        for kind in ("mem", "coe"):
            got = (read_mem if kind == "mem" else read_coe)(out / rom[kind])
            assert len(got) == len(want), f"{rom[kind]}: {len(got)} words, not {len(want)}"
            bad = [a for a, (x, y) in enumerate(zip(got, want, strict=True)) if x != y]
            assert not bad, f"{rom[kind]} differs from the Verilog at words {bad[:5]}"


def check_quantize_roms(out: Path, qm) -> None:
    """Every ROM file of an ``lst quantize`` output against ``qm``'s integers."""
    manifest = json.loads((out / "manifest.json").read_text())
    roms = manifest["roms"]
    listed = {f for r in roms.values() for f in (r["mem"], r["coe"])}
    on_disk = {str(p.relative_to(out)) for p in (out / "rom").iterdir()}
    assert on_disk == listed, f"ROM files not in the manifest: {on_disk ^ listed}"
    assert set(roms) == {*qm.ints, "tanh"}
    tin = qm.config.tanh_in.width
    codes = np.arange(1 << tin)
    codes = np.where(codes >= 1 << (tin - 1), codes - (1 << tin), codes)
    for name, rom in roms.items():
        if name == "tanh":
            values, width = qm.config.tanh(codes), qm.config.act.width
        else:
            values, width = np.asarray(qm.ints[name]).ravel(), qm.tensor_format(name).width
        assert rom["width"] == width and rom["depth"] == len(values), name
        want = to_unsigned(values, width)
        for kind in ("mem", "coe"):
            got = (read_mem if kind == "mem" else read_coe)(out / rom[kind])
            assert len(got) == len(want), f"{rom[kind]}: {len(got)} words, not {len(want)}"
            bad = [a for a, (x, y) in enumerate(zip(got, want, strict=True)) if x != y]
            assert not bad, f"{rom[kind]} differs from the quantized integers at words {bad[:5]}"


CONFIGS = [
    CoreConfig(lanes=28),
    CoreConfig(lanes=4, format="q3.5"),
    CoreConfig(lanes=56),
    CoreConfig(model="reslst3", lanes=14, pixels_per_beat=4),  # three blocks
]


@pytest.fixture(scope="module", params=CONFIGS, ids=lambda c: c.name)
def verilog_out(request, tmp_path_factory):
    cfg = request.param
    out = tmp_path_factory.mktemp("rtl") / "out"
    qm = quantize_checkpoint(cfg.checkpoint_path(), cfg.format)
    generate(cfg, out, qmodel=qm)
    return out, qm


def test_verilog_rom_files_match_verilog_and_integers(verilog_out):
    check_verilog_roms(*verilog_out)


def test_quantize_rom_files_match_integers_and_verilog(verilog_out, tmp_path):
    """``lst quantize`` for the same model and format: its files hold the integers, and
    its tanh table and weights are the ones in the Verilog."""
    rtl, qm = verilog_out
    from lst.cli import main

    out = tmp_path / "quant"
    cfg = CoreConfig(**json.loads((rtl / "lst_core.json").read_text())["config"])
    assert main(["quantize", "--checkpoint", cfg.checkpoint, "--format", cfg.format,
                 "--out", str(out)]) in (0, None)  # fmt: skip
    check_quantize_roms(out, qm)
    q = json.loads((out / "manifest.json").read_text())["roms"]
    v = json.loads((rtl / "lst_core.json").read_text())["roms"]
    assert read_mem(out / q["tanh"]["mem"]) == read_mem(rtl / v["tanh"]["mem"])
    # Row-pass words of the Verilog's weight ROM, lane by lane, are quantize's W1 rows.
    mems = verilog_memories((rtl / "lst_core.v").read_text())
    _, words = mems[VERILOG_ROMS["weights"]]
    w = qm.config.weight.width
    rom = unpack_words(words, w, cfg.lanes)
    w1 = np.array(
        [
            v - (1 << w) if v >> (w - 1) else v
            for v in read_mem(out / q["blocks.0.row.weight"]["mem"])
        ]
    ).reshape(N, N)
    for lane in range(cfg.group_lanes):
        for g in range(cfg.out_groups):
            np.testing.assert_array_equal(
                rom[g * N : (g + 1) * N, lane], w1[g * cfg.group_lanes + lane]
            )


@pytest.fixture(scope="module")
def small_outputs(tmp_path_factory):
    """``lst verilog`` and ``lst quantize`` outputs of a 4-lane q3.5 core, to corrupt."""
    cfg = CoreConfig(lanes=4, format="q3.5")
    qm = quantize_checkpoint(cfg.checkpoint_path(), cfg.format)
    root = tmp_path_factory.mktemp("small")
    generate(cfg, root / "rtl", qmodel=qm)
    write_quantized(qm, root / "quant")
    check_verilog_roms(root / "rtl", qm)
    check_quantize_roms(root / "quant", qm)
    return root, qm


def _flip_word(path: Path, which: int) -> None:
    """Change one hex digit of data word ``which`` of a .mem or .coe file."""
    lines = path.read_text().splitlines()
    data = [n for n, line in enumerate(lines) if re.fullmatch(r"[0-9a-f]+[,;]?", line)]
    n = data[which]
    lines[n] = ("1" if lines[n][0] == "0" else "0") + lines[n][1:]
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("kind", ["mem", "coe"])
@pytest.mark.parametrize("rom", ["weights", "biases", "tanh"])
def test_a_wrong_word_is_caught(small_outputs, tmp_path, rom, kind):
    """The checks above are not vacuous: one changed word in one file fails them."""
    root, qm = small_outputs
    rtl, quant = tmp_path / "rtl", tmp_path / "quant"
    shutil.copytree(root / "rtl", rtl)
    shutil.copytree(root / "quant", quant)
    _flip_word(rtl / "rom" / f"{rom}.{kind}", 37)
    with pytest.raises(AssertionError, match=rf"rom/{rom}\.{kind} differs from the Verilog"):
        check_verilog_roms(rtl, qm)
    name = {"weights": "out.weight", "biases": "blocks.0.col.bias", "tanh": "tanh"}[rom]
    _flip_word(quant / "rom" / f"{name}.{kind}", -1)
    with pytest.raises(AssertionError, match="differs from the quantized integers"):
        check_quantize_roms(quant, qm)


def test_wrong_verilog_initialiser_is_caught(small_outputs, tmp_path):
    """A weight ROM initialiser that differs from the quantized weights fails too."""
    root, qm = small_outputs
    rtl = tmp_path / "rtl"
    shutil.copytree(root / "rtl", rtl)
    v = rtl / "lst_core.v"
    text = v.read_text()
    m = re.search(r"^\s*wrom\[100\] = (\d+)'d(\d+);$", text, re.M)
    assert m, "no weight ROM initialiser found"
    v.write_text(text[: m.start(2)] + str(int(m.group(2)) ^ 1) + text[m.end(2) :])
    with pytest.raises(
        AssertionError, match=r"Verilog weight ROM differs \(word, lane\): \[\[100, 0\]\]"
    ):
        check_verilog_roms(rtl, qm)
