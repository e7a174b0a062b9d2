"""The self-test's images: MNIST test images when available, else stress images."""

from __future__ import annotations

import numpy as np

from lst.errors import ConfigError

__all__ = ["IMAGE_SOURCES", "selftest_images", "stress_images"]

#: ``auto``: MNIST if the test split is found (``--data-dir``, ``$MNIST_DIR``,
#: ``data/mnist``), else the stress images.
IMAGE_SOURCES = ("auto", "mnist", "stress")


def stress_images(count: int, *, seed: int = 0) -> np.ndarray:
    """``count`` images: all 0, all 255, a checkerboard, one hot pixel, then uniform
    random pixels from ``numpy.random.default_rng(seed)`` (the extremes of the
    simulation tests' stress set, then noise)."""
    rng = np.random.default_rng(seed)
    hot = np.zeros((28, 28))
    hot[13, 7] = 255
    fixed = [
        np.zeros((28, 28)),
        np.full((28, 28), 255),
        (np.indices((28, 28)).sum(axis=0) % 2) * 255,
        hot,
    ]
    noise = list(rng.integers(0, 256, (max(0, count - len(fixed)), 28, 28)))
    return np.array((fixed + noise)[:count], dtype=np.uint8)


def selftest_images(count: int, source: str = "auto", data_dir=None) -> tuple[np.ndarray, str]:
    """The first ``count`` images of ``source``; returns them and a description
    (``"mnist-test[0:64]"`` or ``"stress(seed=0)[0:64]"``)."""
    from lst.data import DataError, load_mnist

    if source not in IMAGE_SOURCES:
        raise ConfigError(f"--images must be one of {', '.join(IMAGE_SOURCES)}, not {source!r}")
    if not isinstance(count, int) or not 1 <= count <= 10_000:
        raise ConfigError(f"--count must be 1 to 10000 images, not {count!r}")
    if source in ("auto", "mnist"):
        try:
            split = load_mnist("test", data_dir, limit=count)
            return split.images[:count], f"mnist-test[0:{count}]"
        except DataError as exc:
            if source == "mnist":
                raise ConfigError(f"--images mnist: {exc}") from None
    return stress_images(count), f"stress(seed=0)[0:{count}]"
