"""Shared fixtures: the MNIST directory and small synthetic IDX data."""

from __future__ import annotations

import gzip
import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent

# The PYNQ back end's tests need pynq 4.0, which needs NumPy < 2: they run in their own
# environment (make test-pynq), and the main suite leaves them out.
collect_ignore = [] if importlib.util.find_spec("pynq") else ["test_pynq_backend.py"]


def mnist_dir() -> Path | None:
    """``$MNIST_DIR`` or ``data/mnist`` if it holds the test split, else None."""
    for cand in (os.environ.get("MNIST_DIR"), REPO / "data" / "mnist"):
        if cand and (Path(cand) / "t10k-labels-idx1-ubyte.gz").exists():
            return Path(cand)
    return None


@pytest.fixture(scope="session")
def mnist():
    """The MNIST directory. In CI (``MNIST_DIR`` set) a missing data set is an error."""
    d = mnist_dir()
    if d is None:
        if os.environ.get("MNIST_DIR"):
            pytest.fail(f"MNIST_DIR={os.environ['MNIST_DIR']} holds no MNIST files")
        pytest.skip("MNIST not available: set MNIST_DIR")
    return d


@pytest.fixture(scope="session")
def mnist_test(mnist):
    from lst.data import load_mnist

    return load_mnist("test", mnist)


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode a uint8 array as an IDX file."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape
    )
    return header + array.astype(np.uint8).tobytes()


def write_idx(path: Path, array: np.ndarray, *, compress: bool = True) -> Path:
    data = idx_bytes(array)
    if compress:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


@pytest.fixture
def fake_mnist(tmp_path):
    """A tiny well-formed MNIST directory (64 train, 32 test images) of random digits."""
    rng = np.random.default_rng(0)
    for split, n in (("train", 64), ("t10k", 32)):
        write_idx(tmp_path / f"{split}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)))
        write_idx(tmp_path / f"{split}-labels-idx1-ubyte", rng.integers(0, 10, n))
    return tmp_path


@pytest.fixture(scope="module")
def one_torch_thread():
    """Small tensors: one torch thread is fastest and avoids oversubscribing the cores."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
