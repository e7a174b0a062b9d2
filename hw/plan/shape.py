"""The network's fixed shape, shared by every part of the plan: 28 × 28 images, 10 classes."""

from __future__ import annotations

#: Side of an image (rows = columns = taps of a row or column transform).
N = 28

#: Classes of the output layer.
CLASSES = 10
