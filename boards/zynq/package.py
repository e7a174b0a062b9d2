"""``lst board driver``: what goes to the board, in one folder.

Layout::

    lst_zynq/__init__.py, driver.py, regmap.py   the driver package (NumPy + PYNQ)
    run_lst.py                                   N MNIST test images: accuracy, throughput
    lst_mnist.ipynb                              the same in a notebook, with pictures
    lst.json                                     the wrapper's manifest (lanes, digest)
    expected_logits.npy                          the golden model's logits for the first
                                                 100 MNIST test images (when MNIST is found)

Copy the folder to the board together with ``lst.bit`` and ``lst.hwh`` from the
Vivado build (``lst board vivado`` writes them into its ``driver/`` folder).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from lst.outputs import check_dir, output_dir

__all__ = [
    "DRIVER_FILES",
    "EXPECTED_IMAGES",
    "expected_logits",
    "write_driver",
    "write_driver_files",
]

HERE = Path(__file__).resolve().parent
#: Sources copied into ``lst_zynq/`` (the driver imports nothing else of the project).
DRIVER_FILES = ("__init__.py", "driver.py", "regmap.py")
KIND = "board driver"
#: How many MNIST test images ``expected_logits.npy`` covers.
EXPECTED_IMAGES = 100


def expected_logits(qmodel, n: int = EXPECTED_IMAGES):
    """The golden model's logits (int64, n × 10) for the first ``n`` MNIST test images,
    or None where MNIST is not found (``$MNIST_DIR``, else ``data/mnist``)."""
    from lst.data import DataError, load_mnist
    from quant.golden import GoldenModel

    try:
        images = load_mnist("test", limit=n).images
    except DataError:
        return None
    return GoldenModel(qmodel)(images).logits


def write_driver_files(dest: Path, wrapper_manifest: dict, expected=None) -> list[str]:
    """Fill ``dest`` (created) with the driver package, ``run_lst.py``, the notebook,
    ``lst.json`` and, if given, ``expected_logits.npy`` (:func:`expected_logits`); return
    the files written, relative to ``dest``."""
    import numpy as np

    dest = Path(dest)
    pkg = dest / "lst_zynq"
    pkg.mkdir(parents=True)
    for name in DRIVER_FILES:
        shutil.copyfile(HERE / name, pkg / name)
    shutil.copyfile(HERE / "board_cli.py", dest / "run_lst.py")
    shutil.copyfile(HERE / "notebooks" / "lst_mnist.ipynb", dest / "lst_mnist.ipynb")
    if expected is not None:
        np.save(dest / "expected_logits.npy", np.asarray(expected, dtype=np.int64))
    manifest = {k: v for k, v in wrapper_manifest.items() if k != "out_dir"}
    (dest / "lst.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())


def write_driver(out_dir, prepared, *, force: bool = False) -> tuple[dict, list[str]]:
    """Write the driver folder for the wrapper of ``prepared`` (a checked build request,
    :func:`hw.request.prepare`) to ``out_dir``; return the wrapper's manifest (generated
    into a temporary folder, not kept) and the files written."""
    import tempfile

    from .generate import generate

    config = prepared.config
    inputs = [config.checkpoint_path()]
    check_dir(out_dir, kind=KIND, inputs=inputs, force=force)
    with tempfile.TemporaryDirectory() as work:
        manifest = generate(
            config, Path(work) / "hdl", qmodel=prepared.qmodel, record=prepared.record()
        )
    with output_dir(out_dir, kind=KIND, inputs=inputs, force=force) as tmp:
        files = write_driver_files(tmp, manifest, expected_logits(prepared.qmodel))
    return manifest, files
