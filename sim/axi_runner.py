"""Build and run cocotb testbenches of ``lst_axi`` (the AXI wrapper) on Icarus Verilog.

cocotbext-axi hangs on Verilator, so the wrapper's tests use Icarus only. Each
configuration builds in its own directory, ``<root>/axi_<config>/``: the Verilog in
``hdl/``, the simulator build in ``icarus/``, each run in ``icarus/run-<module>-<tag>/``;
these directories share ``sim_build/``'s bound on cached configurations
(:mod:`sim.build_cache`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hw.plan.config import CoreConfig
from quant.golden import GoldenModel
from quant.quantize import quantize_checkpoint

from .build_cache import build_lock, config_dir
from .runner import ROOT, available, run_vectors, traced_on_failure, waves_build_dir

__all__ = ["build", "run_axi_cocotb"]


def build(config: CoreConfig, *, root: Path = ROOT):
    """Generate (cached) and compile the wrapper for Icarus; return ``(runner, dir, manifest)``."""
    from cocotb_tools.runner import get_runner

    from boards.zynq.generate import TOP, generate_cached

    ok, why = available("icarus")
    if not ok:
        raise RuntimeError(why)
    base = config_dir(root, f"axi_{config.name}")  # bounded cache: sim.build_cache
    runner = get_runner("icarus")
    build_dir = waves_build_dir(base / "icarus")
    with build_lock(base):
        manifest = generate_cached(config, base / "hdl")
        runner.build(
            sources=[base / "hdl" / f"{TOP}.v"],
            hdl_toplevel=TOP,
            build_dir=build_dir,
            timescale=("1ns", "1ps"),
            log_file=build_dir / "build.log",
        )
    return runner, build_dir, manifest


def run_axi_cocotb(
    config: CoreConfig,
    images: np.ndarray,
    *,
    test_module: str = "sim.axi_tb",
    testcase: str | list[str] | None = None,
    root: Path = ROOT,
    seed: int = 1,
    extra: dict | None = None,
) -> dict:
    """Run ``test_module`` against the golden model's outputs for ``images``.

    Returns ``{"tests", "failed", "results_xml", "log", "timing", "waves"}``; ``timing`` is
    what the testbench wrote to ``$LST_SIM_TIMING`` (or None); a run with a failure is
    run again with waveforms on, and ``waves`` is that re-run's trace.
    """
    from boards.zynq.generate import TOP

    runner, build_dir, manifest = build(config, root=root)
    qm = quantize_checkpoint(config.checkpoint_path(), config.format)
    golden = GoldenModel(qm)(images)
    vec_config = {
        "register_values": manifest["register_values"],
        "initiation_interval": config.initiation_interval,
        "manifest": str(build_dir.parent / "hdl" / f"{TOP}.json"),
        **(extra or {}),
    }
    result = run_vectors(
        runner,
        build_dir,
        test_module=test_module,
        toplevel=TOP,
        images=images,
        golden=golden,
        vec_config=vec_config,
        testcase=testcase,
        run_prefix=f"run-{test_module.rsplit('.', 1)[-1]}-",
        seed=seed,
        timescale=("1ns", "1ps"),
    )
    return traced_on_failure(
        result,
        lambda: run_axi_cocotb(
            config,
            images,
            test_module=test_module,
            testcase=testcase,
            root=root,
            seed=seed,
            extra=extra,
        ),
    )
