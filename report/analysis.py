"""What the rows mean: each row's bound and the next step past it (:func:`bound_of`),
the Pareto front of area against throughput, and the LUTs a lane costs when it leaves
its DSP48E1 slice (:func:`fabric_lane_costs`)."""

from __future__ import annotations

from hw.fpga.device import device
from hw.plan.config import SUPPORTED_LANES, SUPPORTED_PIXELS_PER_BEAT

from .rows import DEVICE, NARROW_FORMAT, NARROW_LANES, PACKED_LANES, over_budget, pct

#: What to do about a resource over its budget (the next step past a bound).
_REMEDY = {
    "LUT": "fewer LUTs per fabric lane, or the XC7Z020 (53,200 LUT, 220 DSP48E1)",
    "RAMB18": "fewer or smaller memories, or the XC7Z020",
    "FF": "fewer registers, or the XC7Z020",
    "DSP": "fewer DSP lanes",
}


def _ladder(fmt: str, packed: bool = False) -> tuple[int, ...]:
    """The lane counts the report builds in ``fmt`` (packed: two lanes per slice), in
    order."""
    if packed:
        return PACKED_LANES
    return NARROW_LANES if fmt == NARROW_FORMAT else SUPPORTED_LANES


def _dsp_budget(row: dict, dev) -> int:
    """DSP lanes the row's kind of configuration may have: the device's slices (twice
    them, packed) for rows with the default split, or the row's own ``dsp_lanes`` (rows
    with a set split, e.g. 0)."""
    per_slice = 2 if row.get("packed_dsp") else 1
    default = min(row["lanes"], per_slice * dev.DSP48E1)
    return per_slice * dev.DSP48E1 if row["dsp_lanes"] == default else row["dsp_lanes"]


def bound_of(row: dict, rows: list[dict], dev: str = DEVICE) -> tuple[str, str]:
    """``(bound, next step)`` of ``row`` among the report's ``rows`` (the rule of
    ``performance.md``, checked in this order):

    1. ``input rate``: receiving an image (784 / pixels per beat cycles) takes longer
       than the passes;
    2. a resource (``LUT``, ``RAMB18``, ``FF``): the row itself, or the next larger lane
       count of its format (:func:`_ladder`, same DSP split rule) as measured in
       ``rows``, is over its budget (LUT: :data:`LUT_BUDGET` of the device; others:
       the device);
    3. ``DSP``: the next larger lane count needs more multipliers than the DSP48E1
       slices the row may use, so its extra lanes would be fabric lanes (the all-fabric
       row: at once, it uses none by choice);
    4. ``lanes``: the next larger lane count is within budget with DSP lanes only: more
       lanes are only a matter of area;
    5. ``largest lane count``: the generator builds no larger one in this format.

    ``not measured``: rules 3 and 4 need the next lane count, which is not in ``rows``.
    """
    d = device(dev)
    lanes, fmt, ppb = row["lanes"], row["format"], row["pixels_per_beat"]
    if row["input_cycles"] > row["compute_cycles"]:
        need = next((p for p in SUPPORTED_PIXELS_PER_BEAT if 784 // p <= row["compute_cycles"]), 28)
        beyond = "; more than the AXI path's 4 per beat: a wider stream" if need > 4 else ""
        return "input rate", (
            f"{row['input_cycles']:,} cycles to receive an image at {ppb} pixel"
            f"{'s' if ppb > 1 else ''} per beat > {row['compute_cycles']:,} cycles of the "
            f"passes: more pixels per beat ({need}{beyond})"
        )
    over = over_budget(row["area"], dev)
    if over:
        name, text = over[0]
        return name, f"uses {text}: {_REMEDY[name]}"
    packed = bool(row.get("packed_dsp"))
    larger = [n for n in _ladder(fmt, packed) if n > lanes]
    if not larger:
        return "largest lane count", (
            f"the generator's largest lane count ({lanes}); past it, more lanes than it "
            f"builds, and the input then bounds: {784 // 4} cycles per image at 4 pixels "
            "per beat"
        )
    n = larger[0]
    budget = _dsp_budget(row, d)
    nxt = next(
        (
            r
            for r in rows
            if r["model"] == row["model"]
            and r["format"] == fmt
            and bool(r.get("packed_dsp")) == packed
            and r["lanes"] == n
            and r["dsp_lanes"] == min(n, budget)
        ),
        None,
    )
    if nxt is not None:
        over = over_budget(nxt["area"], dev)
        if over:
            name, text = over[0]
            return name, f"the next lane count ({n}) needs {text}: {_REMEDY[name]}"
    split = f"{n} = {budget} + {n - budget}"
    slices = f"{budget // 2} DSP48E1 (two lanes each)" if packed else f"{budget} DSP48E1"
    if n > budget and budget == 0:
        same = next(
            (
                r
                for r in rows
                if r["model"] == row["model"]
                and r["format"] == fmt
                and r["lanes"] == lanes
                and r["dsp_lanes"] == min(lanes, d.DSP48E1)
            ),
            None,
        )
        on_dsp = (
            f"; the same {lanes} lanes on DSP48E1 slices: {same['area']['LUT']:,} LUT"
            if same is not None
            else ""
        )
        return "DSP", f"no DSP48E1 used (by choice): every lane is a fabric lane{on_dsp}"
    if nxt is None:
        label = f"{n} = {budget} DSP + {n - budget} fabric" if n > budget else f"{n}"
        return "not measured", f"the next lane count ({label}) is not in this report"
    if n > budget:
        cost = f": {nxt['area']['LUT']:,} LUT, II {nxt['initiation_interval']:,}"
        if row["dsp_lanes"] >= budget:
            return "DSP", f"all {slices} used: more lanes are fabric lanes ({split}{cost})"
        return "DSP", (
            f"the next lane count ({n}) needs more multipliers than the {slices}: "
            f"fabric lanes ({split}{cost})"
        )
    return "lanes", (
        f"the next lane count ({n}) fits: {nxt['area']['LUT']:,} LUT "
        f"({pct(nxt['lut_share'])}), {nxt['area']['DSP48E1']} DSP48E1, II "
        f"{nxt['initiation_interval']:,}"
    )


def assign_bounds(rows: list[dict], dev: str = DEVICE) -> list[dict]:
    """Set every row's ``bound`` and ``next_step`` (:func:`bound_of`); return ``rows``."""
    for r in rows:
        r["bound"], r["next_step"] = bound_of(r, rows, dev)
    return rows


def pareto_front(rows: list[dict]) -> list[dict]:
    """The rows no other row dominates: none has at most its LUTs and DSP48E1 slices and
    at least its images/s, one of them strictly better."""

    def key(r):
        return (r["area"]["LUT"], r["area"]["DSP48E1"], -r["images_per_s_100mhz"])

    def dominates(a, b):
        return all(x <= y for x, y in zip(a, b, strict=True)) and a != b

    keys = [key(r) for r in rows]
    return [r for r, k in zip(rows, keys, strict=True) if not any(dominates(o, k) for o in keys)]


def fabric_lane_cost(reference: dict, fewer_dsp: dict, multiplier: dict | None = None) -> dict:
    """LUTs (and FF, CARRY4) per fabric lane: two rows of the same configuration but for
    ``k`` lanes moved from DSP48E1 slices to the fabric; their difference over ``k``.
    ``multiplier``: the area of one fabric multiplier alone (``report.fabric_area``)."""
    for key in ("model", "format", "lanes", "pixels_per_beat"):
        if reference[key] != fewer_dsp[key]:
            raise ValueError(f"rows differ in {key}: {reference[key]!r} != {fewer_dsp[key]!r}")
    k = fewer_dsp["fabric_lanes"] - reference["fabric_lanes"]
    if k <= 0:
        raise ValueError("the second row must have more fabric lanes than the first")
    delta = {
        key: fewer_dsp["area"].get(key, 0) - reference["area"].get(key, 0)
        for key in ("LUT", "FF", "CARRY4", "DSP48E1")
    }
    out = {
        "model": reference["model"],
        "format": reference["format"],
        "lanes": reference["lanes"],
        "dsp_lanes": [reference["dsp_lanes"], fewer_dsp["dsp_lanes"]],
        "k": k,
        "LUT": [reference["area"]["LUT"], fewer_dsp["area"]["LUT"]],
        "delta": delta,
        "lut_per_fabric_lane": round(delta["LUT"] / k, 1),
        "ff_per_fabric_lane": round(delta["FF"] / k, 1),
        "carry4_per_fabric_lane": round(delta["CARRY4"] / k, 1),
        "logic_depth": [reference["area"]["logic_depth"], fewer_dsp["area"]["logic_depth"]],
    }
    if multiplier is not None:
        out["multiplier_alone"] = {
            key: multiplier[key] for key in ("LUT", "FF", "CARRY4", "logic_depth")
        }
    return out


def fabric_lane_costs(rows: list[dict], probes: list[dict], multipliers=None) -> list[dict]:
    """:func:`fabric_lane_cost` of each probe (against the row it was derived from) and
    of the all-fabric row (against the same lanes on DSP slices). ``multipliers``:
    format -> one fabric multiplier's area."""
    multipliers = multipliers or {}
    pairs = []
    for fewer in [*probes, *(r for r in rows if r["fabric_lanes"] and not r["dsp_lanes"])]:
        # (packed rows are never a probe's reference: their DSP lanes are not one per slice)
        ref = next(
            (
                r
                for r in rows
                if all(r[k] == fewer[k] for k in ("model", "format", "lanes", "pixels_per_beat"))
                and not r.get("packed_dsp")
                and r["fabric_lanes"] < fewer["fabric_lanes"]
            ),
            None,
        )
        if ref is not None:
            pairs.append(fabric_lane_cost(ref, fewer, multipliers.get(fewer["format"])))
    return pairs
