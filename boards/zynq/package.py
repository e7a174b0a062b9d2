"""``lst board driver``: what goes to the board, in one folder.

Layout::

    lst_zynq/__init__.py, driver.py, regmap.py   the driver package (NumPy + PYNQ)
    run_lst.py                                   N MNIST test images: accuracy, throughput
    lst.json                                     the wrapper's manifest (lanes, digest)

Copy the folder to the board together with ``lst.bit`` and ``lst.hwh`` from the
Vivado build (``lst board vivado`` writes them into its ``driver/`` folder).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from lst.outputs import check_dir, output_dir

__all__ = ["DRIVER_FILES", "write_driver", "write_driver_files"]

HERE = Path(__file__).resolve().parent
#: Sources copied into ``lst_zynq/`` (the driver imports nothing else of the project).
DRIVER_FILES = ("__init__.py", "driver.py", "regmap.py")
KIND = "board driver"


def write_driver_files(dest: Path, wrapper_manifest: dict) -> None:
    """Fill ``dest`` (created) with the driver package, ``run_lst.py`` and ``lst.json``."""
    dest = Path(dest)
    pkg = dest / "lst_zynq"
    pkg.mkdir(parents=True)
    for name in DRIVER_FILES:
        shutil.copyfile(HERE / name, pkg / name)
    shutil.copyfile(HERE / "board_cli.py", dest / "run_lst.py")
    manifest = {k: v for k, v in wrapper_manifest.items() if k != "out_dir"}
    (dest / "lst.json").write_text(json.dumps(manifest, indent=2) + "\n")


def write_driver(out_dir, prepared, *, force: bool = False) -> dict:
    """Write the driver folder for the wrapper of ``prepared`` (a checked build request,
    :func:`hw.request.prepare`) to ``out_dir``; return the wrapper's manifest (generated
    into a temporary folder, not kept)."""
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
        write_driver_files(tmp, manifest)
    return manifest
