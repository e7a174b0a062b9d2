"""``lst_axi`` at transaction level: registers, packet framing, results from the golden model.

What the driver sees of the wrapper, without simulating a cycle: the identification
registers, ``CONTROL`` (clear counters, soft reset), ``IMAGES_PER_PACKET`` and the
counters; a send is one AXI4-Stream packet, framed as the RTL frames it
(``docs/board.md``: ``IMAGES_PER_PACKET`` images; an early or late TLAST drops the image
it falls in and a marker frame closes the packet); each packet's results are one
receive. It implements :class:`sim.pynq_board.Fabric`, so a notebook or a test can run
the driver through the real ``pynq`` package at the speed of the golden model; the
bit-exact checks against the RTL are :mod:`sim.pynq_tb` and :mod:`sim.driver_tb`.
"""

from __future__ import annotations

import numpy as np

from boards.zynq import regmap

__all__ = ["WrapperModel"]

R = {r.name: r.offset for r in regmap.REGISTERS}
IMAGE = 784


class WrapperModel:
    """The wrapper of a 28-lane ``q5.7`` core (or ``lanes``/``format_word``) whose results
    come from ``golden`` (a :class:`quant.golden.GoldenModel`); ``digest``: its
    ``WEIGHTS_DIGEST``. ``skip_seq`` (fault injection) skips a sequence number per image."""

    def __init__(self, golden, digest: int, *, lanes=28, format_word=12 | 7 << 8 | 30 << 16):
        self.golden = golden
        self.regs = {R["MAGIC"]: regmap.MAGIC, R["VERSION"]: regmap.VERSION, R["LANES"]: lanes,
                     R["PIXELS_PER_BEAT"]: 4, R["FORMAT"]: format_word,
                     R["WEIGHTS_DIGEST"]: digest, R["IMAGES_PER_PACKET"]: 1}  # fmt: skip
        self.seq = 0
        self.skip_seq = False
        self.packets: list[bytes] = []
        self._clear()

    @classmethod
    def for_checkpoint(cls, checkpoint=None, fmt: str = "q5.7", lanes: int = 28):
        """The model of the wrapper built from ``checkpoint`` (default: the shipped LST-1)."""
        from boards.zynq.axi_wrapper import weights_digest
        from hw.plan.config import CoreConfig
        from quant.golden import GoldenModel
        from quant.quantize import quantize_checkpoint

        path = checkpoint or CoreConfig(lanes=lanes, format=fmt).checkpoint_path()
        qm = quantize_checkpoint(path, fmt)
        return cls(GoldenModel(qm), weights_digest(qm), lanes=lanes)

    def _clear(self):
        for name in ("IMAGES_ACCEPTED", "RESULTS_SENT", "FRAMING_ERRORS", "BUSY_CYCLES"):
            self.regs[R[name]] = 0

    def read(self, offset: int) -> int:
        return self.regs.get(offset, 0)

    def write(self, offset: int, value: int) -> None:
        if offset == R["CONTROL"]:
            if value & 1:  # CLEAR_COUNTERS: also restarts the sequence numbers
                self._clear()
                self.seq = 0
            if value & 4:  # SOFT_RESET
                self._clear()
        elif offset == R["IMAGES_PER_PACKET"]:
            self.regs[offset] = value & 0xFFFF

    def send(self, data: bytes) -> None:
        k = max(1, self.regs[R["IMAGES_PER_PACKET"]])
        if len(data) == k * IMAGE:
            good = k
        elif len(data) > k * IMAGE:  # late TLAST: the packet's last image is dropped
            good = k - 1
        else:  # early TLAST: the image it falls in is dropped
            good = len(data) // IMAGE - (len(data) % IMAGE == 0)
        imgs = np.frombuffer(data[: good * IMAGE], np.uint8).reshape(-1, 28, 28)
        res = self.golden(imgs)
        words = []
        for c, lg in zip(res.classes, res.logits, strict=True):
            words.append([int(c) | self.seq << 16, *[int(v) & 0xFFFFFFFF for v in lg]])
            self.seq += 1 + self.skip_seq
        if good < k:
            self.regs[R["FRAMING_ERRORS"]] += 1
            words.append([regmap.DROPPED_FLAG | self.seq << 16] + [0] * 10)
            self.seq += 1
        self.regs[R["IMAGES_ACCEPTED"]] += good
        self.regs[R["RESULTS_SENT"]] += good
        self.regs[R["BUSY_CYCLES"]] += 1960 * good + 250
        self.packets.append(np.array(words, np.uint32).reshape(-1).tobytes())

    def send_idle(self) -> bool:
        return True

    def receive(self) -> bytes | None:
        return self.packets.pop(0) if self.packets else None

    def tick(self) -> None:
        pass
