"""Where every value of an image lives in the core's buffers (bank, word, byte).

The layouts are chosen so that the values the lane groups (row and column passes) or
the partitions (output layer) need in the same cycle always sit in different banks,
and so that each writer fills its bank in an order a counter can follow.
``tests/test_buffer_layout.py`` checks both properties for every lane count.
"""

from __future__ import annotations

from .config import CoreConfig, N

__all__ = ["BufferLayout"]


class BufferLayout:
    """Address maps of the pixel, E, block-output (X) and output-layer (Y, R) buffers.

    With ``R = ceil(28 / G)`` rounds per pass:

    * pixels ``(i, k)``: bank ``i mod G`` (the row pass's groups read rows ``r·G + s``);
    * E (row-pass output) ``(i, j)``: bank ``i mod G``, word ``(i // G)·28 + j``; with
      ragged groups (``G`` does not divide 28) bank ``(i + j) mod G``, word
      ``R·i + j // G``, as X: the column pass's groups then read ``(k, c·G + s)``,
      one row for all, from different banks at one word (with banks ``i mod G`` a bank
      holding ``R`` rows would owe ``G·R > 28`` reads per column round);
    * X (output of a block that feeds another block) ``(i, j)``: bank ``(i + j) mod G``,
      word ``R·i + j // G`` (``(28·i + j) // G`` where ``G`` divides 28): the next
      block's row pass reads ``(r·G + s, k)`` and the column pass writes ``(i, c·G +
      s)`` for all groups ``s`` at once, and both sets of ``G`` elements fall in
      different banks;
    * Y (what the output layer reads: the last block's output) and R (ResLST-3: the
      first block's output, added to Y on the way to the lanes) ``(i, j)``: tap
      ``t' = 28·j + i`` in bank ``t' mod P`` at word ``t' // P``.

    Ragged groups' idle rows and columns (``i`` or ``j`` from 28 to ``G·R − 1``) have
    addresses too (:attr:`CoreConfig.act_depth`, :attr:`CoreConfig.y_depth`): their
    values are written there, and no valid read ever addresses them.
    """

    def __init__(self, config: CoreConfig):
        self.cfg = config

    def pixel(self, i, k, half=0):
        """(bank, word address, byte in word) of pixel (i, k) in image buffer ``half``."""
        c = self.cfg
        words_per_row = N // c.pixels_per_beat
        depth = c.rounds_per_pass * words_per_row
        return (
            i % c.groups,
            half * depth + (i // c.groups) * words_per_row + k // c.pixels_per_beat,
            k % c.pixels_per_beat,
        )

    def e(self, i, j):
        if self.cfg.ragged:
            return self.x(i, j)
        return i % self.cfg.groups, (i // self.cfg.groups) * N + j

    def x(self, i, j):
        G = self.cfg.groups
        return (i + j) % G, self.cfg.rounds_per_pass * i + j // G

    def y(self, i, j):
        t = j * N + i
        return t % self.cfg.partitions, t // self.cfg.partitions

    r = y  # the residual buffer has Y's layout: both are read at the same address

    def sizes(self, act_width: int) -> dict[str, dict]:
        """Every buffer of the core: banks, words per bank, bits per word, total bits.

        ``pixels`` (two images), ``e`` (row-pass output), ``x`` (a block's output that
        feeds the next block; several blocks only), ``y`` (what the output layer reads)
        and ``r`` (ResLST-3: the first block's output, kept for the residual sum).
        """
        c = self.cfg
        G, P = c.groups, c.partitions
        out = {
            "pixels": (G, 2 * c.rounds_per_pass * (N // c.pixels_per_beat), 8 * c.pixels_per_beat),
            "e": (G, c.act_depth, act_width),
        }
        if c.blocks > 1:
            out["x"] = (G, c.act_depth, act_width)
        out["y"] = (P, c.y_depth, act_width)
        if c.residual:
            out["r"] = (P, c.y_depth, act_width)
        return {
            k: {"banks": b, "words": w, "width": width, "bits": b * w * width}
            for k, (b, w, width) in out.items()
        }
