"""Sequencer: an image's passes in order (row and column per block, output layer),
back to back, the pixel buffer released after the first row pass, the output layer
held until the result stage is free."""

from __future__ import annotations

import itertools

import pytest
from hwsim import simulate

from hw.components.sequencer import Sequencer

LENGTH = {"row": 5, "col": 4, "out": 3}


def run(blocks, cycles, image_ready, result_free, gaps=None):
    """Model passes of fixed length; return starts as (cycle, pass, block) and releases."""
    dut = Sequencer(blocks=blocks, gaps=gaps)
    starts, releases = [], []

    async def tb(ctx):
        busy, left = None, 0
        pending = None
        for t in range(cycles):
            if pending is not None:  # a pass started last cycle: its block is visible now
                starts.append((t, pending, ctx.get(dut.block)))
                pending = None
            done = busy is not None and left == 1
            for name in LENGTH:
                ctx.set(getattr(dut, f"{name}_done"), done and busy == name)
            ctx.set(dut.image_ready, image_ready(t))
            ctx.set(dut.result_free, result_free(t))
            started = [n for n in LENGTH if ctx.get(getattr(dut, f"{n}_start"))]
            assert len(started) <= 1
            if ctx.get(dut.release):
                releases.append(t)
            if started:
                assert busy is None or done, f"cycle {t}: {started[0]} while {busy} runs"
                assert not (started[0] == "out" and not result_free(t))
                busy, left, pending = started[0], LENGTH[started[0]], started[0]
            elif done:
                busy = None
            else:
                left -= 1
            await ctx.tick()

    simulate(dut, tb)
    return starts, releases


@pytest.mark.parametrize("blocks", [1, 2, 3])
def test_passes_back_to_back(blocks):
    starts, releases = run(blocks, 200, lambda t: True, lambda t: True)
    one_image = [p for b in range(blocks) for p in (("row", b), ("col", b))] + [("out", 0)]
    got = [(p, b if p != "out" else 0) for _, p, b in starts]
    n = len(got) // len(one_image)
    assert n >= 3
    assert got[: n * len(one_image)] == one_image * n
    # No idle cycle between passes: each starts right after the previous ends.
    for (t0, p0, _), (t1, _, _) in itertools.pairwise(starts):
        assert t1 - t0 == LENGTH[p0]
    # The pixels are released when the first block's row pass ends, once per image.
    row0 = [t for t, p, b in starts if p == "row" and b == 0]
    assert releases[: len(row0) - 1] == [t + LENGTH["row"] - 1 for t in row0[:-1]]


@pytest.mark.parametrize("blocks", [1, 3])
def test_output_waits_for_result_stage_and_idles_without_image(blocks):
    # An image is waiting from cycle 10 to 39 only; the result stage is busy until 80.
    starts, _ = run(blocks, 300, lambda t: 10 <= t < 40, lambda t: t >= 80)
    assert starts[0][:2] == (12, "row")  # the first row pass follows the image (registered)
    outs = [t for t, p, _ in starts if p == "out"]
    assert len(outs) == 1 and outs[0] == 81  # the output layer waited for the result stage
    assert starts[-1][1] == "out"  # then idle: no image, no pass


GAPS = {"row_to_column": 2, "column_to_row": 1, "column_to_output": 3}


@pytest.mark.parametrize("blocks", [1, 3])
def test_gaps_between_passes(blocks):
    """Each pass starts its gap after the previous one ends; the output layer still
    waits for the result stage after its gap."""
    starts, _ = run(blocks, 300, lambda t: True, lambda t: t >= 30 or t < 5, gaps=GAPS)
    gap = {("row", "col"): 2, ("col", "row"): 1, ("col", "out"): 3, ("out", "row"): 0}
    assert [p for _, p, _ in starts[: 2 * blocks + 1]] == ["row", "col"] * blocks + ["out"]
    for (t0, p0, _), (t1, p1, _) in itertools.pairwise(starts):
        want = t0 + LENGTH[p0] + gap[(p0, p1)]
        if p1 == "out":
            assert t1 == max(want, 31), (p0, p1)  # free from cycle 30: starts at 31
        else:
            assert t1 == want, (p0, p1)


def test_validation():
    with pytest.raises(ValueError, match="blocks must be a positive integer"):
        Sequencer(blocks=0)
    with pytest.raises(ValueError, match="unknown gap 'row'; known: row_to_column"):
        Sequencer(gaps={"row": 1})
    with pytest.raises(ValueError, match="gap column_to_row must be a non-negative integer"):
        Sequencer(gaps={"column_to_row": -1})
