"""Pre-synthesis area estimate of a core configuration and of the tops around it.

Every hardware command checks, before it writes anything, that the design fits the
chosen device (:mod:`hw.request`). Synthesis takes from seconds to minutes per
configuration, so the check uses this estimate; where a flow synthesizes or places the
design, the real count replaces it.

The model (XC7 families, Yosys ``synth_xilinx`` counts), with ``L`` lanes, ``F`` of them
fabric lanes, ``W`` the weight width in bits and ``G`` lane groups::

    LUT  = a0 + a1·L·W + a2·F + a3·(G − 1)·L·W + a4·K
    FF   = b0 + b1·L·W + b2·L + b3·F·W + b4·(G − 1)·L + b5·K
    RAMB18 equivalents = c0 + c1·L·W
    DSP48E1 = the DSP slices (exact: one per DSP lane, one per two packed lanes)

with ``K`` the lanes that share a DSP48E1 slice in pairs (``packed_dsp``), whose
accumulators are in the fabric.

The terms are what grows: the lanes' operand and accumulator registers and the weight
memory (``L·W``), a fabric lane's multiplier (``F``, ``F·W``), a packed lane's
accumulator (``K``), and the drains, readout and write crossbar that every extra group
adds (``(G − 1)·L``, ``(G − 1)·L·W``). The
coefficients are least squares over the Yosys rows of ``make report``
(``docs/performance.json``: every lane count, both formats, the all-fabric row, the
fabric-lane probes and the LST-2 and ResLST-3 rows); ``python -m hw.plan.area_estimate``
refits them and prints the table of errors that ``docs/hardware.md`` shows. Around the
core, measured once and added as constants: the self-test top's logic, its image ROM
(RAMB36 for ``784 · images`` bytes) and that ROM's registered banks, the AXI wrapper's
registers and framing, and the load port of loadable weights (measured at 28 lanes,
scaled by ``L / 28``).

The estimate's error against Yosys, on those rows (:data:`STATED_ERROR`): within ±10 %
of the LUTs for every configuration above 5,000 LUTs (where a device's limit is in
question; the largest −9 % at 98 lanes), up to ±46 % on the small ones (28 lanes:
+45 %); FF within ±10 %; RAMB18 within ±30 %. The tops' constants were measured at 28 lanes only.
"""

from __future__ import annotations

import math

from ..fpga.device import RESOURCES
from .config import CoreConfig

__all__ = [
    "ECP5_PER_XC7",
    "STATED_ERROR",
    "TOPS",
    "errors_table",
    "estimate",
    "estimate_errors",
    "fit",
    "main",
]

#: Least-squares coefficients (``python -m hw.plan.area_estimate`` refits them).
LUT_COEFFS = (387.181, 3.258, 66.197, 0.247, 18.501)
FF_COEFFS = (897.913, 1.816, 21.437, 4.758, 1.73, 17.203)
RAMB18_COEFFS = (9.291, 0.026)

#: The largest relative error against Yosys on the fitted rows: LUT above 5,000 LUTs,
#: LUT anywhere, FF, RAMB18 equivalents (a test keeps these true).
STATED_ERROR = {"LUT_large": 0.10, "LUT": 0.46, "FF": 0.10, "RAMB18_equiv": 0.30}
#: Designs above this many LUTs are "large" for :data:`STATED_ERROR`.
LARGE_LUT = 5000

#: ECP5 units per XC7 unit (LUT4 per LUT6, FF, DP16KD per RAMB18, MULT18X18D per
#: DSP48E1): the most of nextpnr's counts over Yosys's XC7 counts measured for the
#: 28-, 56- and 112-lane cores (LUT4 2.8–4.0, FF 1.6–2.1, DP16KD 1.0–1.35; one
#: multiplier per DSP lane), so the ECP5 estimate errs high.
ECP5_PER_XC7 = {"LUT": 4.0, "FF": 2.1, "RAMB18_equiv": 1.35, "DSP48E1": 1.0}

#: What each top adds to the core, measured once with Yosys at 28 lanes (LUT, FF,
#: RAMB18 equivalents); the self-test's image ROM and its banks come on top
#: (:func:`estimate`).
TOPS = {
    "core": (0, 0, 0),
    # docs/performance.md's board section: the self-test top against the core alone
    # (64 images: 750 LUT, 1,101 FF, 27 RAMB18 more) less its image banks below.
    "selftest": (475, 301, 1),
    # docs/board.md: the wrapper (registers, counters, framing, flag FIFO, output mux).
    "axi": (330, 314, 0),
}
#: The load port at 28 lanes (docs/board.md, ``python -m report.loadable_area``).
LOADABLE_28 = (201, 189, 4)
#: The self-test's image ROM: banks of this many bytes (one RAMB18 / DP16KD each), each
#: with its word registered (32 flip-flops) and selected by an AND-OR (about 11 LUTs).
SELFTEST_BANK_BYTES = 2048
SELFTEST_PER_BANK = (11, 32)
#: Image bytes one RAMB36 holds (4,096 × 8 bits).
RAMB36_BYTES = 4096


def _features(config: CoreConfig) -> dict[str, list[int]]:
    """The terms of each resource's model, constant first."""
    w, lanes, fabric = config.weight_width, config.lanes, config.fabric_lanes
    extra = (config.groups - 1) * lanes
    packed = 2 * config.packed_pairs
    return {
        "LUT": [1, lanes * w, fabric, extra * w, packed],
        "FF": [1, lanes * w, lanes, fabric * w, extra, packed],
        "RAMB18_equiv": [1, lanes * w],
    }


def _dot(coeffs, terms) -> float:
    return sum(c * t for c, t in zip(coeffs, terms, strict=True))


def _core(config: CoreConfig) -> dict[str, int]:
    f = _features(config)
    lut = _dot(LUT_COEFFS, f["LUT"])
    ff = _dot(FF_COEFFS, f["FF"])
    bram = _dot(RAMB18_COEFFS, f["RAMB18_equiv"])
    return {
        "LUT": round(lut),
        "FF": round(ff),
        "RAMB18_equiv": math.ceil(bram),
        "DSP48E1": config.dsp_slices,
    }


def estimate(
    config: CoreConfig, top: str = "core", *, images: int = 0, family: str = "xc7"
) -> dict[str, int]:
    """The estimated area of ``config`` inside ``top`` (``core``, ``selftest`` with
    ``images`` in its ROM, or ``axi``): LUT, FF, RAMB18 equivalents, DSP48E1; for an
    ECP5 (``family="ecp5"``) in its units, by :data:`ECP5_PER_XC7`."""
    if top not in TOPS:
        raise ValueError(f"top must be one of {', '.join(TOPS)}, not {top!r}")
    if family not in ("xc7", "ecp5"):
        raise ValueError(f"family must be xc7 or ecp5, not {family!r}")
    area = _core(config)
    extra = TOPS[top]
    if config.weights == "loadable":
        scale = config.lanes / 28
        extra = tuple(e + round(v * scale) for e, v in zip(extra, LOADABLE_28, strict=True))
    area["LUT"] += extra[0]
    area["FF"] += extra[1]
    area["RAMB18_equiv"] += extra[2]
    if top == "selftest":
        area["RAMB18_equiv"] += 2 * math.ceil(784 * images / RAMB36_BYTES)
        banks = math.ceil(784 * images / SELFTEST_BANK_BYTES)
        area["LUT"] += SELFTEST_PER_BANK[0] * banks
        area["FF"] += SELFTEST_PER_BANK[1] * banks
    if family == "ecp5":
        area = {k: math.ceil(v * ECP5_PER_XC7[k]) for k, v in area.items()}
    return area


# ---------------------------------------------------------------- against Yosys


def _measured_rows(performance: dict) -> list[tuple[CoreConfig, dict]]:
    """(config, Yosys area) of every distinct core row of a ``performance.json``."""
    seen, out = set(), []
    for r in [*performance["rows"], *performance.get("models", ()),
              *performance.get("fabric_probes", ())]:  # fmt: skip
        config = CoreConfig(
            model=r.get("model", "lst1"),
            format=r["format"],
            lanes=r["lanes"],
            dsp_lanes=r["dsp_lanes"],
            pixels_per_beat=r["pixels_per_beat"],
            packed_dsp=r.get("packed_dsp", False),
        )
        if config.name not in seen:
            seen.add(config.name)
            out.append((config, r["area"]))
    return out


def fit(performance: dict):
    """Least-squares coefficients (LUT, FF, RAMB18) over ``performance``'s rows."""
    import numpy as np

    rows = _measured_rows(performance)
    out = []
    for key in ("LUT", "FF", "RAMB18_equiv"):
        x = [_features(config)[key] for config, _ in rows]
        y = [area[key] for _, area in rows]
        c, *_ = np.linalg.lstsq(np.array(x, float), np.array(y, float), rcond=None)
        out.append(tuple(round(float(v), 3) for v in c))
    return tuple(out)


def estimate_errors(performance: dict) -> list[dict]:
    """Per measured row of ``performance``: the configuration, Yosys's count, the
    estimate and the relative error of each resource."""
    out = []
    for config, area in _measured_rows(performance):
        est = estimate(config)
        out.append(
            {
                "name": config.name,
                "model": config.model,
                "format": config.format,
                "lanes": config.lanes,
                "dsp_lanes": config.dsp_lanes,
                "yosys": {k: area[k] for k in RESOURCES},
                "estimate": est,
                "error": {
                    k: round((est[k] - area[k]) / area[k], 4) if area[k] else 0.0 for k in RESOURCES
                },
            }
        )
    return out


def errors_table(performance: dict) -> str:
    """The markdown table of :func:`estimate_errors` (``docs/hardware.md``)."""
    lines = [
        "| model | format | lanes (DSP + fabric) | LUT: Yosys / estimate | FF: Yosys / "
        "estimate | RAMB18: Yosys / estimate | DSP48E1 |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for e in estimate_errors(performance):
        y, est, err = e["yosys"], e["estimate"], e["error"]
        fabric = e["lanes"] - e["dsp_lanes"]
        lanes = f"{e['lanes']} ({e['dsp_lanes']} + {fabric})" if fabric else f"{e['lanes']}"

        def cell(k, y=y, est=est, err=err):
            return f"{y[k]:,} / {est[k]:,} ({100 * err[k]:+.0f} %)"

        lines.append(
            f"| {e['model']} | {e['format']} | {lanes} | {cell('LUT')} | {cell('FF')} | "
            f"{cell('RAMB18_equiv')} | {y['DSP48E1']} / {est['DSP48E1']} |"
        )
    return "\n".join(lines)


def main(argv=None) -> None:
    """Refit the coefficients on ``docs/performance.json`` and print them and the table."""
    import argparse
    import json
    from pathlib import Path

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--performance",
        default=str(Path(__file__).resolve().parents[2] / "docs" / "performance.json"),
    )
    args = p.parse_args(argv)
    perf = json.loads(Path(args.performance).read_text())
    lut, ff, bram = fit(perf)
    print(f"LUT_COEFFS = {lut}\nFF_COEFFS = {ff}\nRAMB18_COEFFS = {bram}\n")
    print(errors_table(perf))


if __name__ == "__main__":
    main()
