"""The docs and the README say what the code does: formulas, generated sentences, recipes.

(The fixed-point contract's tables are checked in test_contract.py, the README's
performance table in test_report.py.)
"""

from __future__ import annotations

import json
import math
import shlex
import subprocess
from pathlib import Path

import numpy as np
import pytest

from hw.plan.config import CoreConfig
from quant.fixed import FixedFormat

ROOT = Path(__file__).resolve().parent.parent
HARDWARE_MD = ROOT / "docs" / "hardware.md"


# ---------------------------------------------------------------- hardware.md formulas


def logit_width(fmt: str) -> int:
    """hardware.md: B = W + n + 11 for weights qm.n (W = m + n bits)."""
    w = FixedFormat.parse(fmt)
    return w.width + w.frac + 11


def payload_width(fmt: str) -> int:
    """hardware.md: 4 + 10·B."""
    return 4 + 10 * logit_width(fmt)


def last_round_logits(lanes: int) -> int:
    """hardware.md: c_last = 10 with 10 or more lanes, else 10 − (⌈10/L⌉ − 1)·L."""
    return 10 if lanes >= 10 else 10 - (math.ceil(10 / lanes) - 1) * lanes


def latency(cfg: CoreConfig) -> int:
    """hardware.md: compute_cycles + 10 + ⌈log₂(P + 1)⌉ + c_last."""
    tree = math.ceil(math.log2(cfg.partitions + 1))
    return cfg.compute_cycles + 10 + tree + last_round_logits(cfg.lanes)


def _int(cell: str) -> int:
    return int(cell.replace(",", ""))


def doc_examples() -> list[tuple[CoreConfig, dict]]:
    """The example table of hardware.md's "Payload width and latency" section."""
    text = HARDWARE_MD.read_text()
    section = text.split("### Payload width and latency of any configuration", 1)[1]
    section = section.split("\n#", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 8 or not cells[0].isdigit():
            continue
        cfg = CoreConfig(lanes=int(cells[0]), pixels_per_beat=int(cells[1]), format=cells[2][1:-1])
        keys = ("B", "payload", "compute", "c_last", "latency")
        rows.append((cfg, dict(zip(keys, map(_int, cells[3:]), strict=True))))
    assert len(rows) >= 5, "hardware.md lost its example table"
    return rows


def test_hardware_md_examples_follow_the_formulas():
    for cfg, row in doc_examples():
        assert row["B"] == logit_width(cfg.format), cfg.name
        assert row["payload"] == payload_width(cfg.format), cfg.name
        assert row["compute"] == cfg.compute_cycles, cfg.name
        assert row["c_last"] == last_round_logits(cfg.lanes), cfg.name
        assert row["latency"] == latency(cfg), cfg.name
    # The examples cover every kind of output layer and several formats and beats.
    cfgs = [c for c, _ in doc_examples()]
    assert {c.lanes for c in cfgs} >= {1, 2, 4, 7, 14, 28, 56, 98, 112, 196}
    assert len({c.format for c in cfgs}) >= 4 and len({c.pixels_per_beat for c in cfgs}) >= 4


def test_measured_latencies_of_the_report_follow_the_formula():
    """docs/performance.json: latencies measured on the Verilator-built core (q5.7)."""
    result = json.loads((ROOT / "docs" / "performance.json").read_text())
    for row in result["rows"]:
        cfg = CoreConfig(lanes=row["lanes"])
        assert row["latency"] == latency(cfg), row["lanes"]


def measure(cfg: CoreConfig) -> tuple[int, int]:
    """(result payload width, latency) of the core in Amaranth's simulator, one image
    sent at full rate into an idle core."""
    from amaranth.hdl import Shape
    from hwsim import simulate

    from hw.core import LSTCore

    dut = LSTCore(cfg)
    ppb = cfg.pixels_per_beat
    image = np.random.default_rng(cfg.lanes).integers(0, 256, 784)
    seen = {}

    async def feed(ctx):
        for b in range(0, 784, ppb):
            ctx.set(dut.pixels.payload, sum(int(image[b + i]) << (8 * i) for i in range(ppb)))
            ctx.set(dut.pixels.valid, 1)
            await ctx.tick().until(dut.pixels.ready)
        ctx.set(dut.pixels.valid, 0)

    async def watch(ctx):
        ctx.set(dut.result.ready, 1)
        cycle = 0
        async for _clk, _rst, pv, pr, rv in ctx.tick().sample(
            dut.pixels.valid, dut.pixels.ready, dut.result.valid
        ):
            cycle += 1
            if pv and pr:
                seen["last_pixel"] = cycle
            if rv:
                seen["result"] = cycle
                return

    simulate(dut, feed, watch)
    return Shape.cast(dut.result.payload.shape()).width, seen["result"] - seen["last_pixel"]


def _examples(slow: bool):
    return [
        pytest.param(cfg, row, id=cfg.name)
        for cfg, row in doc_examples()
        if (cfg.compute_cycles > 8000 or cfg.fabric_lanes > 50) == slow
    ]


@pytest.mark.parametrize(("cfg", "row"), _examples(slow=False))
def test_core_payload_and_latency_match_hardware_md(cfg, row):
    assert measure(cfg) == (row["payload"], row["latency"])


@pytest.mark.slow
@pytest.mark.parametrize(("cfg", "row"), _examples(slow=True))
def test_core_payload_and_latency_match_hardware_md_long(cfg, row):
    assert measure(cfg) == (row["payload"], row["latency"])


# ---------------------------------------------------------------- make train


def make_train_commands(*make_args: str) -> dict[str, list[str]]:
    """The ``lst train`` argument lists ``make -n train`` would run, by model."""
    out = subprocess.run(
        ["make", "-n", "--no-print-directory", "train", *make_args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.replace("\\\n", " ")
    commands = {}
    for line in out.splitlines():
        words = shlex.split(line)
        if len(words) > 2 and words[0].endswith("lst") and words[1] == "train":
            args = words[2:]
            commands[args[args.index("--model") + 1]] = args
    return commands


@pytest.mark.parametrize("model", ["lst1", "lst2", "reslst3"])
def test_make_train_uses_the_recipe_recorded_in_the_shipped_checkpoint(model):
    from lst.checkpoint import load_checkpoint
    from lst.cli import build_parser

    args = build_parser().parse_args(["train", *make_train_commands()[model]])
    _, meta = load_checkpoint(ROOT / "models" / f"{model}.safetensors")
    recipe = meta["recipe"]
    for key, value in recipe.items():
        if key != "extra":
            assert getattr(args, key) == value, (model, key)
    assert args.val_split == recipe.get("val_split", 0) == meta.get("n_val", 0)
    assert recipe["extra"] == {}


def test_make_train_writes_build_unless_told_to_replace_the_shipped_checkpoints():
    default = make_train_commands()
    assert set(default) == {"lst1", "lst2", "reslst3"}
    for model, args in default.items():
        assert args[args.index("--out") + 1] == f"build/train/{model}.safetensors"
        assert "--force" not in args
    for model, args in make_train_commands("TRAIN_OUT=models").items():
        assert args[args.index("--out") + 1] == f"models/{model}.safetensors"
        assert "--force" in args
    for args in make_train_commands("TRAIN_OUT=/tmp/elsewhere").values():
        assert "--force" not in args
