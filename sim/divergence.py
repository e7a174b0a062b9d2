"""Where the hardware first departs from the golden model: stage, block, element, lane, cycle.

A probe build of the core (:mod:`hw.probes`) reports every value its stages write;
:func:`decode` puts each value back where the golden model names it (``blocks.B.row.acc``,
``blocks.B.row``, ``blocks.B.col.acc``, ``blocks.B.col``: image × row × column), with
the cycle it was written and the lane that computed it. :func:`first_divergences`
compares them, image by image, with ``GoldenModel(..., intermediates=True)`` in the
golden model's stage order, then the output layer's lane sums (``out.lanes``, from the
schedule run on the golden features) and the logits; the first stage that differs is
where a fault enters, and within it the value written first.

The stages the hardware does not store on their own are not compared: ``input`` (the
pixel buffer: a fault there shows in block 0's row accumulators) and ``features``
(ResLST-3's ``Y + R`` is formed at the lanes' operands: a fault there shows in
``out.lanes``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from hw.plan.buffer_layout import BufferLayout
from hw.plan.config import CLASSES, CoreConfig, N
from hw.plan.schedule_model import ScheduleModel
from quant.quantize import QuantizedLST

__all__ = ["Divergence", "StageValues", "decode", "first_divergences", "stage_order"]

_KIND = {"row.acc": "row pass accumulator (before tanh)", "row": "row pass after tanh"}
_KIND |= {"col.acc": "column pass accumulator (before tanh)", "col": "column pass after tanh"}


@dataclass
class Divergence:
    """The first value of one image where hardware and golden model differ.

    ``stage``: the golden model's name (``blocks.0.row.acc`` …, ``out.lanes``,
    ``logits``); ``index``: ``(row, column)`` of the stage's 28×28 output, ``(round,
    lane)`` for ``out.lanes``, ``(class,)`` for ``logits``; ``lane``: the MAC lane that
    computed it (``None`` for logits); ``cycle``: the run's cycle it was written
    (counted from the end of reset, as in :class:`sim.rtl_model.RTLTiming`);
    ``differing``: how many values of that stage differ for this image, of ``total``.
    """

    image: int
    stage: str
    index: tuple
    lane: int | None
    expected: int
    actual: int | None
    cycle: int | None
    differing: int
    total: int
    note: str = ""

    def describe(self) -> str:
        """One line: image, stage, element, lane, values, cycle."""
        where = _where(self.stage, self.index)
        lane = f", lane {self.lane}" if self.lane is not None else ""
        cycle = f", cycle {self.cycle}" if self.cycle is not None else ""
        got = "nothing written" if self.actual is None else str(self.actual)
        note = f" ({self.note})" if self.note else ""
        return (
            f"image {self.image}: first divergence in {self.stage} ({_stage_words(self.stage)}) "
            f"at {where}{lane}: expected {self.expected}, got {got}{cycle}; "
            f"{self.differing} of {self.total} values differ{note}"
        )

    def to_dict(self) -> dict:
        d = asdict(self)
        d["index"] = list(self.index)
        d["text"] = self.describe()
        return d


def _stage_words(stage: str) -> str:
    if stage == "out.lanes":
        return "output layer lane sums, before the output bias"
    if stage == "logits":
        return "output layer with bias, the result port"
    _, b, rest = stage.split(".", 2)
    return f"block {b}, {_KIND[rest]}"


def _where(stage: str, index: tuple) -> str:
    if stage == "out.lanes":
        return f"round {index[0]}, lane {index[1]}"
    if stage == "logits":
        return f"class {index[0]}"
    return f"row {index[0]}, column {index[1]}"


def stage_order(blocks: int) -> list[str]:
    """The compared stages, in the golden model's order."""
    names = [f"blocks.{b}.{s}" for b in range(blocks) for s in ("row.acc", "row", "col.acc", "col")]
    return [*names, "out.lanes", "logits"]


@dataclass
class StageValues:
    """One stage of a batch as the hardware wrote it: ``values``, ``cycles``, ``lanes``
    (image × 28 × 28) and ``writes`` (how often each element was written: 1 when the
    addressing is right)."""

    values: np.ndarray
    cycles: np.ndarray
    lanes: np.ndarray
    writes: np.ndarray


def _inverse(banks: int, words: int, where) -> np.ndarray:
    """(bank, word) -> flat element index i·28 + j, from a layout's (i, j) -> (bank, word)."""
    inv = np.full((banks, words), -1, dtype=np.int64)
    for i in range(N):
        for j in range(N):
            b, w = where(i, j)
            inv[b, w] = i * N + j
    return inv


def decode(
    config: CoreConfig, manifest: dict, probe_data: dict, n: int, *, halves: dict | None = None
) -> dict[str, StageValues]:
    """Put the probe records of ``n`` images back into the golden model's stages.

    ``halves``: stage name -> the half LSB the drain's bias ROM folds in for the
    narrowing's rounding (:meth:`hw.plan.rom_images.RomImages.drain_biases`); it is
    taken off the accumulators so that they compare with the golden model's.

    Raises ``ValueError`` when the records do not hold ``n`` whole images (the core
    wrote more or fewer values than its schedule has)."""
    c = config
    G, P, S = c.groups, c.partitions, c.group_lanes
    fields = {
        name: [f[0] for f in rec["fields"]]
        for name, rec in manifest["probes"].items()
        if name != "dest_fields"
    }
    off = manifest["probes"]["dest_fields"]
    acc, act = probe_data["acc"], probe_data["act"]
    per_pass = c.pass_writes
    if len(acc) != len(act) or len(act) != n * 2 * c.blocks * per_pass:
        raise ValueError(
            f"the probes hold {len(acc)} accumulator and {len(act)} activation beats for {n} "
            f"image(s); the schedule has {2 * c.blocks * per_pass} of each per image"
        )
    col = {name: k + 1 for k, name in enumerate(fields["act"])}  # column 0: the cycle
    dest = act[:, col["probe_act_dest"]]
    to_e = ((dest >> off["to_e"]) & 1).astype(bool)
    layout = BufferLayout(c)
    inv_e = _inverse(G, c.act_depth, layout.e)
    inv_y = _inverse(max(P, 1), c.y_depth, layout.y)
    inv_x = _inverse(G, c.act_depth, layout.x) if c.blocks > 1 else None
    to_y = (dest >> off["to_y"]) & 1
    to_r = (dest >> off["to_r"]) & 1 if "to_r" in off else 0
    y_side = (to_y | to_r).astype(bool)

    out: dict[str, StageValues] = {}
    for kind, mask in (("row", to_e), ("col", ~to_e)):
        rows = np.flatnonzero(mask)
        if len(rows) != n * c.blocks * per_pass:
            raise ValueError(
                f"the probes hold {len(rows)} {kind} pass beats for {n} image(s); "
                f"expected {n * c.blocks * per_pass}"
            )
        seq = np.arange(len(rows))
        image, block = seq // (c.blocks * per_pass), (seq % (c.blocks * per_pass)) // per_pass
        for s in range(G):
            if kind == "row":
                if c.ragged:
                    ebank = act[rows, col[f"probe_e_bank{s}"]]
                    flat = inv_e[ebank, act[rows, col[f"probe_e_addr{s}"]]]
                else:
                    flat = inv_e[s, act[rows, col["probe_e_addr"]]]
            else:
                ybank = act[rows, col[f"probe_y_bank{s}"]]
                yaddr = act[rows, col[f"probe_y_addr{s}"]]
                flat = inv_y[np.minimum(ybank, inv_y.shape[0] - 1), yaddr]
                if inv_x is not None:
                    xflat = inv_x[
                        act[rows, col[f"probe_x_bank{s}"]], act[rows, col["probe_x_addr"]]
                    ]
                    flat = np.where(y_side[rows], flat, xflat)
            i, j = flat // N, flat % N
            lane = s * S + (j if kind == "row" else i) % S
            for stage, src, k in ((f"{kind}.acc", acc, s + 1), (kind, act, col[f"probe_act{s}"])):
                for b in range(c.blocks):
                    name = f"blocks.{b}.{stage}"
                    sv = out.get(name)
                    if sv is None:
                        sv = out[name] = StageValues(
                            np.zeros((n, N, N), np.int64),
                            np.full((n, N, N), -1, np.int64),
                            np.full((n, N, N), -1, np.int64),
                            np.zeros((n, N, N), np.int64),
                        )
                    sel = (block == b) & (flat >= 0)
                    at = (image[sel], i[sel], j[sel])
                    sv.values[at] = src[rows[sel], k] - (halves or {}).get(name, 0)
                    sv.cycles[at] = src[rows[sel], 0]
                    sv.lanes[at] = lane[sel]
                    np.add.at(sv.writes, at, 1)
    return out


def first_divergences(
    config: CoreConfig,
    qmodel: QuantizedLST,
    manifest: dict,
    probe_data: dict,
    golden,
    logits: np.ndarray,
    *,
    offset: int = 0,
) -> list[Divergence]:
    """The first divergence of every image that has one (images numbered from ``offset``).

    ``golden``: ``GoldenModel(qmodel)(images, intermediates=True)`` for the same images;
    ``logits``: the core's, from the same run as ``probe_data``."""
    n = len(logits)
    sched = ScheduleModel(config, qmodel)
    halves = {
        f"{name}.acc": 1 << (st.shift - 1)
        for name, st in sched.roms.stages.items()
        if name.startswith("blocks.") and st.shift > 0
    }
    hw = decode(config, manifest, probe_data, n, halves=halves)
    lanes = probe_data["lanes"]
    rounds = len(lanes) // max(n, 1)
    if len(lanes) != rounds * n or rounds == 0:
        raise ValueError(f"the probes hold {len(lanes)} output-layer rounds for {n} image(s)")
    lanes = lanes.reshape(n, rounds, -1)
    wrom = sched.roms.weight_rom()
    classes = [sched.schedule.out_lane_class(r) for r in range(rounds)]
    found = []
    for img in range(n):
        d = _first(config, sched, wrom, classes, hw, golden, lanes[img], logits[img], img)
        if d is not None:
            d.image += offset
            found.append(d)
    return found


def _first(c, sched, wrom, classes, hw, golden, lane_rows, logits, img) -> Divergence | None:
    inter = golden.intermediates
    for stage in stage_order(c.blocks)[:-2]:
        sv, exp = hw[stage], inter[stage][img]
        bad = (sv.values[img] != exp) | (sv.writes[img] != 1)
        if bad.any():
            cyc = np.where(bad, sv.cycles[img], np.iinfo(np.int64).max)
            i, j = np.unravel_index(int(np.argmin(cyc)), bad.shape)
            writes = int(sv.writes[img, i, j])
            note = "" if writes == 1 else f"written {writes} times"
            return Divergence(
                img,
                stage,
                (int(i), int(j)),
                int(sv.lanes[img, i, j]) if writes else None,
                int(exp[i, j]),
                int(sv.values[img, i, j]) if writes else None,
                int(sv.cycles[img, i, j]) if writes else None,
                int(bad.sum()),
                N * N,
                note,
            )
    feats = inter["features"][img]
    expected = sched.output_rounds(feats, wrom)
    diffs = []
    for r, acc in expected:
        used = classes[r] >= 0
        got = lane_rows[r, 1:]
        for ln in np.flatnonzero(used & (got != acc)):
            diffs.append((int(lane_rows[r, 0]), r, int(ln), int(acc[ln]), int(got[ln])))
    if diffs:
        cyc, r, ln, e, a = min(diffs)
        cls = int(classes[r][ln])
        total = sum(int((classes[r] >= 0).sum()) for r, _ in expected)
        return Divergence(
            img, "out.lanes", (r, ln), ln, e, a, cyc, len(diffs), total, f"class {cls}"
        )
    bad = np.flatnonzero(logits != golden.logits[img])
    if len(bad):
        k = int(bad[0])
        return Divergence(
            img,
            "logits",
            (k,),
            None,
            int(golden.logits[img, k]),
            int(logits[k]),
            None,
            len(bad),
            CLASSES,
            "the lane sums agree: the partition sum or the output bias",
        )
    return None
