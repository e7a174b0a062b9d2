"""On the board: run N MNIST test images through the accelerator, print accuracy and
throughput. Copied to the board as ``run_lst.py`` beside ``lst_zynq/`` (the driver),
``lst.bit``, ``lst.hwh`` and ``lst.json``::

    sudo python3 run_lst.py --data-dir /home/xilinx/mnist -n 1000

Standard library, NumPy and PYNQ only.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

import numpy as np

try:  # on the board
    from lst_zynq.driver import AcceleratorError, LSTAccelerator
except ImportError:  # in the project
    from boards.zynq.driver import AcceleratorError, LSTAccelerator


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (gzip or raw) as a uint8 array."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if raw[:2] != b"\0\0" or raw[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * dims).reshape(shape)


def find(data_dir: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz"):
        if (data_dir / name).exists():
            return data_dir / name
    raise FileNotFoundError(f"{data_dir}: no {stem}[.gz]")


def main(argv=None, *, backend=None) -> int:
    here = Path(__file__).resolve().parent
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bitfile", default=str(here / "lst.bit"))
    p.add_argument("--data-dir", default=str(here / "mnist"), help="the MNIST IDX files")
    p.add_argument("-n", "--count", type=int, default=1000, help="test images to run")
    p.add_argument("--batch", type=int, default=1000, help="images per DMA transfer")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args(argv)
    try:
        d = Path(args.data_dir)
        images = read_idx(find(d, "t10k-images-idx3-ubyte"))[: args.count]
        labels = read_idx(find(d, "t10k-labels-idx1-ubyte"))[: args.count]
        if backend is None:
            accel = LSTAccelerator(bitfile=args.bitfile, max_batch=args.batch)
        else:
            accel = LSTAccelerator(backend=backend, max_batch=args.batch)
        tp = accel.throughput(len(images), images)
        result = accel(images)
    except (OSError, ValueError, AcceleratorError) as exc:
        print(f"run_lst: error: {exc}", file=sys.stderr)
        return 2
    acc = float(np.mean(result.classes == labels))
    out = {"images": len(images), "accuracy": acc, "hardware": accel.info, "throughput": tp}
    if args.json:
        print(json.dumps(out))
    else:
        print(f"{len(images)} images: accuracy {100 * acc:.2f} %")
        print(
            f"{tp['images_per_s']:,.0f} images/s end to end (DMA {tp['dma_seconds']:.3f} s "
            f"of {tp['seconds']:.3f} s); {tp['cycles_per_image']:,.0f} cycles per image in "
            f"the core at {tp['clock_hz'] / 1e6:g} MHz"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
