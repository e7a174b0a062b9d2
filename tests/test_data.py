"""The IDX reader, data-directory resolution and the download with checksum."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from conftest import idx_bytes, write_idx

from lst import data
from lst.data import DataError, load_mnist, read_idx


@pytest.mark.parametrize("compress", [True, False])
def test_reads_gzip_and_raw(tmp_path, compress):
    arr = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    path = write_idx(tmp_path / "x-idx3-ubyte", arr, compress=compress)
    out = read_idx(path, expected_ndim=3)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, arr)


def test_load_split(fake_mnist):
    test = load_mnist("test", fake_mnist)
    assert test.images.shape == (32, 28, 28) and test.images.dtype == np.uint8
    assert test.labels.shape == (32,) and test.labels.dtype == np.uint8
    assert len(load_mnist("train", fake_mnist, limit=10)) == 10


def test_data_dir_resolution(monkeypatch, tmp_path):
    monkeypatch.delenv("MNIST_DIR", raising=False)
    assert str(data.default_data_dir()) == "data/mnist"
    monkeypatch.setenv("MNIST_DIR", str(tmp_path))
    assert data.default_data_dir() == tmp_path
    assert str(data.default_data_dir("elsewhere")) == "elsewhere"


def test_missing_files_one_clear_line(tmp_path):
    with pytest.raises(DataError) as exc:
        load_mnist("test", tmp_path)
    msg = str(exc.value)
    assert "\n" not in msg
    assert str(tmp_path) in msg and "lst data download" in msg and "MNIST_DIR" in msg


def _bad(tmp_path, name, blob, compress=False):
    path = tmp_path / name
    path.write_bytes(gzip.compress(blob) if compress else blob)
    return path


def test_wrong_magic(tmp_path):
    blob = bytearray(idx_bytes(np.zeros((1, 28, 28), np.uint8)))
    blob[0] = 0x1F
    path = _bad(tmp_path, "a", bytes(blob))
    with pytest.raises(DataError, match=r"a: wrong magic number 0x1f"):
        read_idx(path)


def test_wrong_element_type(tmp_path):
    blob = bytearray(idx_bytes(np.zeros((1, 28, 28), np.uint8)))
    blob[2] = 0x0D  # float
    with pytest.raises(DataError, match="element type 0x0d"):
        read_idx(_bad(tmp_path, "a", bytes(blob)))


def test_wrong_dimension_count(tmp_path):
    path = _bad(tmp_path, "labels", idx_bytes(np.zeros((3, 28, 28), np.uint8)))
    with pytest.raises(DataError, match="3 dimensions, expected 1"):
        read_idx(path, expected_ndim=1)


@pytest.mark.parametrize("compress", [False, True])
def test_truncated_payload(tmp_path, compress):
    blob = idx_bytes(np.zeros((5, 28, 28), np.uint8))[:-100]
    path = _bad(tmp_path, "imgs", blob, compress)
    with pytest.raises(DataError, match=r"imgs: truncated: header says 5x28x28 = 3920 bytes"):
        read_idx(path)


def test_truncated_header(tmp_path):
    with pytest.raises(DataError, match="truncated"):
        read_idx(_bad(tmp_path, "h", bytes([0, 0, 8, 3, 0, 0])))
    with pytest.raises(DataError, match="truncated"):
        read_idx(_bad(tmp_path, "h2", b"\x00\x00"))


def test_trailing_data(tmp_path):
    blob = idx_bytes(np.zeros((2, 28, 28), np.uint8)) + b"xx"
    with pytest.raises(DataError, match="2 bytes of trailing data"):
        read_idx(_bad(tmp_path, "t", blob))


def test_corrupt_gzip(tmp_path):
    path = tmp_path / "c.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(DataError, match=r"c\.gz: cannot read"):
        read_idx(path)


def test_image_label_count_mismatch(tmp_path):
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((4, 28, 28), np.uint8))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(3, np.uint8))
    with pytest.raises(DataError, match=r"4 images but t10k-labels-idx1-ubyte\.gz has 3 labels"):
        load_mnist("test", tmp_path)


def test_wrong_image_size(tmp_path):
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((4, 32, 32), np.uint8))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(4, np.uint8))
    with pytest.raises(DataError, match="32x32, expected 28x28"):
        load_mnist("test", tmp_path)


def test_label_out_of_range(tmp_path):
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((2, 28, 28), np.uint8))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.array([1, 12], np.uint8))
    with pytest.raises(DataError, match="label 12 out of range"):
        load_mnist("test", tmp_path)


def test_zero_images_refused(tmp_path, capsys):
    """A header that says 0 images: one line, exit 2 (it printed "nan % (0/0)" and exit 0)."""
    from lst.cli import main

    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((0, 28, 28), np.uint8))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(0, np.uint8))
    with pytest.raises(DataError, match="the header says 0 images"):
        load_mnist("test", tmp_path)
    for cmd in (
        ["evaluate", "--model", "lst1"],
        ["accuracy", "--model", "lst1", "--format", "q5.7"],
    ):
        assert main([*cmd, "--data-dir", str(tmp_path)]) == 2
        err = [s for s in capsys.readouterr().err.splitlines() if s.strip()]
        assert len(err) == 1 and "the header says 0 images" in err[0], err


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """A local file:// mirror of four small files, with their checksums installed."""
    src = tmp_path / "mirror"
    src.mkdir()
    rng = np.random.default_rng(1)
    sums = {}
    for stem in data.CONTENT_SHA256:
        shape = (8, 28, 28) if "images" in stem else (8,)
        raw = idx_bytes(rng.integers(0, 10, shape).astype(np.uint8))
        (src / (stem + ".gz")).write_bytes(gzip.compress(raw))
        sums[stem] = data._sha256(raw)
    monkeypatch.setattr(data, "CONTENT_SHA256", sums)
    return src


def test_download_verifies_checksums(tmp_path, mirror):
    dest = tmp_path / "dest"
    data.download(dest, mirrors=("file:///nonexistent/", mirror.as_uri() + "/"), log=lambda m: None)
    assert all(v == "ok" for v in data.verify(dest).values())
    assert len(load_mnist("test", dest)) == 8
    # A second call keeps the verified files.
    logs = []
    data.download(dest, mirrors=(mirror.as_uri() + "/",), log=logs.append)
    assert all("present, sha256 ok" in m for m in logs)


def test_download_rejects_bad_checksum(tmp_path, mirror, monkeypatch):
    bad = dict(data.CONTENT_SHA256)
    bad["t10k-labels-idx1-ubyte"] = "0" * 64
    monkeypatch.setattr(data, "CONTENT_SHA256", bad)
    dest = tmp_path / "dest"
    with pytest.raises(DataError, match=r"could not download t10k-labels-idx1-ubyte\.gz"):
        data.download(dest, mirrors=(mirror.as_uri() + "/",), log=lambda m: None)
    assert not (dest / "t10k-labels-idx1-ubyte.gz").exists()
    assert not list(dest.glob("*.part"))


def test_real_mnist_checksums(mnist):
    assert data.verify(mnist) == {k: "ok" for k in data.CONTENT_SHA256}
    test = load_mnist("test", mnist)
    assert len(test) == 10_000
    counts = np.bincount(test.labels, minlength=10).tolist()
    assert counts == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
