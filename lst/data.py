"""MNIST in the standard IDX format: reading, locating and downloading.

NumPy only: the quantizer, the golden model and the simulations read the data
through this module and must not pull in torch.

The reader accepts the four standard files gzip-compressed (``*.gz``) or raw,
validates the magic number, the dimensions and the item count against the file
length, and returns ``uint8`` arrays: images ``N×28×28`` and labels ``N``.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import shutil
import sys
import tempfile
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import LSTError

__all__ = [
    "FILES",
    "MIRRORS",
    "DataError",
    "MnistSplit",
    "default_data_dir",
    "download",
    "load_mnist",
    "read_idx",
]

IMAGE_SIZE = 28

#: The four standard files per split: (images, labels).
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

#: Expected item count per split.
COUNTS = {"train": 60_000, "test": 10_000}

#: sha256 of the uncompressed payload of each file. Mirrors compress the files
#: differently, so the check is on the content, which is the same everywhere.
CONTENT_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

#: sha256 of the gzip files as distributed in ``shared/data/mnist`` (informational).
GZIP_SHA256 = {
    "train-images-idx3-ubyte": "0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971",
    "train-labels-idx1-ubyte": "1787548bbe0bff1ec2ecdc0ef292b02df999e2d1a6002d27500982c652b17203",
    "t10k-images-idx3-ubyte": "1a1a05eab793c14bb050b398624a11b0ffd1a2953baed553b1b9bd079e2a20be",
    "t10k-labels-idx1-ubyte": "b91679a0acfe4ba0e50a2437a903084cba1f5f92592b016a25a7dfd00455798b",
}

#: Public mirrors of the original files, tried in order.
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

# IDX type codes (third byte of the magic number); MNIST only uses 0x08 (ubyte).
_IDX_UBYTE = 0x08


class DataError(LSTError):
    """A data file is missing or malformed. The message is one line for the user."""


@dataclass(frozen=True)
class MnistSplit:
    """One split of MNIST: ``images`` uint8 N×28×28 and ``labels`` uint8 N."""

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, n: int) -> MnistSplit:
        """The first ``n`` items (all of them if ``n`` is larger)."""
        return MnistSplit(self.images[:n], self.labels[:n])


def default_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The MNIST directory: ``data_dir`` if given, else ``$MNIST_DIR``, else ``data/mnist``."""
    if data_dir is not None:
        return Path(data_dir)
    env = os.environ.get("MNIST_DIR")
    if env:
        return Path(env)
    return Path("data/mnist")


#: Largest IDX payload read (bytes): far above MNIST's 47 MB, far below memory.
MAX_IDX_BYTES = 1 << 30


def _open_idx(path: Path):
    # Recognise gzip by its magic bytes, whatever the file is called; inflate lazily so
    # that no more is ever decompressed than the header promises (plus one byte).
    f = open(path, "rb")  # noqa: SIM115 - returned to the caller's with-block
    if f.read(2) == b"\x1f\x8b":
        f.seek(0)
        return gzip.GzipFile(fileobj=f, mode="rb"), f
    f.seek(0)
    return f, f


def _read_exact(stream, n: int, path: Path) -> bytes:
    chunks, left = [], n
    while left > 0:
        chunk = stream.read(min(left, 1 << 24))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _content_sha256(path: Path) -> str:
    """sha256 of a file's uncompressed content, inflating at most :data:`MAX_IDX_BYTES`."""
    h, total = hashlib.sha256(), 0
    try:
        stream, raw = _open_idx(path)
        with raw, stream:
            while chunk := stream.read(1 << 20):
                total += len(chunk)
                if total > MAX_IDX_BYTES + (1 << 20):
                    raise DataError(f"{path}: inflates to more than {MAX_IDX_BYTES} bytes")
                h.update(chunk)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: cannot read: corrupt or truncated ({exc})") from None
    return h.hexdigest()


def read_idx(path: str | os.PathLike, *, expected_ndim: int | None = None) -> np.ndarray:
    """Read one IDX file (raw or gzip) and return its contents as a uint8 array.

    The header is checked before the payload is read: dimensions whose product exceeds
    :data:`MAX_IDX_BYTES`, or disagrees with a raw file's length, are refused without
    allocating, and a gzip stream is inflated only as far as the header allows.

    Raises
    ------
    DataError
        If the file cannot be read or inflated, the magic number is wrong, the element
        type is not unsigned byte, the dimension count differs from ``expected_ndim``, or
        the payload length does not match the header.
    """
    path = Path(path)
    try:
        stream, raw = _open_idx(path)
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        with raw, stream:
            return _parse_idx(path, stream, raw, expected_ndim)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: cannot read: corrupt or truncated ({exc})") from None


def _parse_idx(path: Path, stream, raw, expected_ndim: int | None) -> np.ndarray:
    magic = _read_exact(stream, 4, path)
    if len(magic) < 4:
        raise DataError(f"{path}: truncated: {len(magic)} bytes, no IDX header")
    if magic[0] != 0 or magic[1] != 0:
        raise DataError(
            f"{path}: wrong magic number 0x{magic.hex()}: not an IDX file "
            "(expected 0x00000801 for labels or 0x00000803 for images)"
        )
    dtype_code, ndim = magic[2], magic[3]
    if dtype_code != _IDX_UBYTE:
        raise DataError(
            f"{path}: wrong magic number 0x{magic.hex()}: element type 0x{dtype_code:02x}, "
            "expected unsigned byte (0x08)"
        )
    if expected_ndim is not None and ndim != expected_ndim:
        raise DataError(
            f"{path}: wrong magic number 0x{magic.hex()}: {ndim} dimensions, "
            f"expected {expected_ndim}"
        )
    dim_bytes = _read_exact(stream, 4 * ndim, path)
    if len(dim_bytes) < 4 * ndim:
        raise DataError(
            f"{path}: truncated header: {4 + len(dim_bytes)} bytes, need {4 + 4 * ndim}"
        )
    dims = tuple(int.from_bytes(dim_bytes[4 * i : 4 * i + 4], "big") for i in range(ndim))
    shape = "x".join(map(str, dims))
    expected = math.prod(dims)  # exact integer: no overflow
    if expected > MAX_IDX_BYTES:
        raise DataError(
            f"{path}: header says {shape} = {expected} bytes, more than the "
            f"{MAX_IDX_BYTES} allowed; not an MNIST file"
        )
    if stream is raw:
        payload = os.fstat(raw.fileno()).st_size - 4 - 4 * ndim
        if payload < expected:
            raise DataError(
                f"{path}: truncated: header says {shape} = {expected} bytes of data, "
                f"file has {payload}"
            )
        if payload > expected:
            raise DataError(
                f"{path}: {payload - expected} bytes of trailing data after {shape} items"
            )
    data = _read_exact(stream, expected + 1, path)
    if len(data) < expected:
        raise DataError(
            f"{path}: truncated: header says {shape} = {expected} bytes "
            f"of data, file has {len(data)}"
        )
    if len(data) > expected:
        raise DataError(f"{path}: trailing data after {shape} items")
    return np.frombuffer(data, dtype=np.uint8, count=expected).reshape(dims).copy()


def _find(data_dir: Path, stem: str) -> Path | None:
    for name in (stem + ".gz", stem):
        if (data_dir / name).is_file():
            return data_dir / name
    return None


def missing_message(data_dir: Path, missing: list[str]) -> str:
    return (
        f"MNIST not found in {data_dir} (missing {', '.join(missing)}): put the four IDX files "
        "there, point --data-dir or MNIST_DIR at them, or run 'lst data download "
        f"--data-dir {data_dir}'"
    )


def load_mnist(
    split: str = "test", data_dir: str | os.PathLike | None = None, *, limit: int | None = None
) -> MnistSplit:
    """Load one split (``"train"`` or ``"test"``) from ``data_dir`` (see :func:`default_data_dir`).

    Raises
    ------
    DataError
        With one line naming the directory when files are missing, or naming the file
        and the problem when a file is malformed, image and label counts differ, or it
        holds no image.
    """
    if split not in FILES:
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    root = default_data_dir(data_dir)
    img_stem, lbl_stem = FILES[split]
    img_path, lbl_path = _find(root, img_stem), _find(root, lbl_stem)
    missing = [s for s, p in ((img_stem, img_path), (lbl_stem, lbl_path)) if p is None]
    if missing:
        raise DataError(missing_message(root, missing))
    images = read_idx(img_path, expected_ndim=3)
    labels = read_idx(lbl_path, expected_ndim=1)
    if images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise DataError(
            f"{img_path}: images are {images.shape[1]}x{images.shape[2]}, expected 28x28"
        )
    if len(images) != len(labels):
        raise DataError(
            f"{img_path}: {len(images)} images but {lbl_path.name} has {len(labels)} labels"
        )
    if len(images) == 0:
        raise DataError(f"{img_path}: the header says 0 images; nothing to evaluate")
    if labels.size and labels.max() > 9:
        raise DataError(f"{lbl_path}: label {int(labels.max())} out of range 0..9")
    split_data = MnistSplit(images, labels)
    return split_data.subset(limit) if limit is not None else split_data


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def verify(data_dir: str | os.PathLike | None = None) -> dict[str, str]:
    """Check the content sha256 of the four files; return ``{stem: "ok" | problem}``."""
    root = default_data_dir(data_dir)
    result = {}
    for stem, digest in CONTENT_SHA256.items():
        path = _find(root, stem)
        if path is None:
            result[stem] = "missing"
            continue
        try:
            got = _content_sha256(path)
        except DataError as exc:
            result[stem] = str(exc)
            continue
        result[stem] = "ok" if got == digest else f"sha256 mismatch: {got}"
    return result


def download(
    data_dir: str | os.PathLike | None = None,
    *,
    mirrors: tuple[str, ...] = MIRRORS,
    force: bool = False,
    log=None,
) -> Path:
    """Fetch the four files into ``data_dir`` and verify their content sha256.

    Files already present with the right content are kept. Each file is written to a
    temporary name and moved in place only once verified, so an interrupted or
    corrupted download never leaves a bad file behind.
    """
    log = log or (lambda msg: print(msg, file=sys.stderr))
    root = default_data_dir(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    for stem, digest in CONTENT_SHA256.items():
        target = root / (stem + ".gz")
        existing = _find(root, stem)
        if existing is not None and not force:
            try:
                if _content_sha256(existing) == digest:
                    log(f"{existing}: present, sha256 ok")
                    continue
            except DataError:
                pass
            log(f"{existing}: present but content differs, fetching again")
        errors = []
        for mirror in mirrors:
            url = mirror + stem + ".gz"
            try:
                with urllib.request.urlopen(url, timeout=60) as resp:
                    blob = resp.read()
            except Exception as exc:  # any network failure: try the next mirror
                errors.append(f"{url}: {exc}")
                continue
            try:
                content = gzip.decompress(blob)
            except (OSError, EOFError) as exc:
                errors.append(f"{url}: not a gzip file ({exc})")
                continue
            if _sha256(content) != digest:
                errors.append(f"{url}: sha256 mismatch")
                continue
            with tempfile.NamedTemporaryFile(dir=root, delete=False, suffix=".part") as tmp:
                tmp.write(blob)
            shutil.move(tmp.name, target)
            log(f"{target}: downloaded from {mirror}, sha256 ok")
            break
        else:
            raise DataError(f"could not download {stem}.gz: " + "; ".join(errors))
    return root
