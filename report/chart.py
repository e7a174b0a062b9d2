"""The report's chart: area (LUT share) against images/s, the Pareto front, the
paper's point."""

from __future__ import annotations

from pathlib import Path

from .analysis import pareto_front
from .rows import CLOCK_MHZ, LUT_BUDGET, MAIN_FORMAT, NARROW_FORMAT, XC7Z010, lanes_label, pct


def paper_rate(paper: dict) -> float:
    return paper["clock_mhz"] * 1e6 / paper["cycles_per_image"]


#: Chart markers per format (the paper's point is a star).
_MARKERS = {MAIN_FORMAT: "o", NARROW_FORMAT: "s"}
#: The marker of rows with two lanes per DSP48E1 slice (``packed_dsp``).
_PACKED_MARKER = "D"


def write_chart(result: dict, png: Path) -> None:
    """``performance.png``: LUTs against images/s (log axes), colour = DSP48E1 slices,
    marker = format, the Pareto front of each format ringed and joined, the paper's
    point, the device's LUTs and :data:`LUT_BUDGET` of them."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import Normalize

    rows = result["rows"]
    cap = result.get("capacity", XC7Z010)
    dsp_max = cap["DSP48E1"]
    cmap, norm = plt.get_cmap("viridis"), Normalize(0, dsp_max)
    plt.rcParams.update({"font.size": 11})
    fig, ax = plt.subplots(figsize=(11, 7))
    formats = sorted({r["format"] for r in rows}, key=lambda f: (f != MAIN_FORMAT, f))
    for fmt in formats:
        mine = [r for r in rows if r["format"] == fmt]
        marker = _MARKERS.get(fmt, "D")
        front = sorted(
            pareto_front(mine), key=lambda r: (r["images_per_s_100mhz"], r["area"]["LUT"])
        )
        ax.plot(
            [r["images_per_s_100mhz"] for r in front],
            [r["area"]["LUT"] for r in front],
            "--",
            color="0.45" if fmt == MAIN_FORMAT else "tab:orange",
            lw=1.2,
            zorder=1,
            label=f"Pareto front, {fmt} (LUT, DSP, images/s)",
        )
        ax.scatter(
            [r["images_per_s_100mhz"] for r in front],
            [r["area"]["LUT"] for r in front],
            s=260,
            facecolors="none",
            edgecolors="0.45" if fmt == MAIN_FORMAT else "tab:orange",
            linewidths=1.5,
            zorder=2,
        )
        for packed in (False, True):
            group = [r for r in mine if bool(r.get("packed_dsp")) == packed]
            if not group:
                continue
            shape = _PACKED_MARKER if packed else marker
            ax.scatter(
                [r["images_per_s_100mhz"] for r in group],
                [r["area"]["LUT"] for r in group],
                c=[r["area"]["DSP48E1"] for r in group],
                cmap=cmap,
                norm=norm,
                marker=shape,
                s=90,
                edgecolors="black",
                linewidths=0.6,
                zorder=3,
            )
            # Legend entry in grey: the colour means DSP slices, not the format.
            ax.scatter(
                [],
                [],
                marker=shape,
                s=90,
                c="0.75",
                edgecolors="black",
                linewidths=0.6,
                label=f"this core, {fmt} weights" + (", two lanes per DSP48E1" if packed else ""),
            )
        for r in mine:
            # The images/s at the row's own estimated Fmax (low to high), where known.
            timing = r["area"].get("timing")
            if timing:
                ii = r["initiation_interval"]
                ax.plot(
                    [f * 1e6 / ii for f in timing["fmax_mhz"]],
                    [r["area"]["LUT"]] * 2,
                    "-",
                    color="0.35",
                    lw=2.2,
                    alpha=0.45,
                    zorder=2,
                    solid_capstyle="butt",
                )
        for r in mine:
            # q5.7 labels above-left, q2.6 below-right, the all-fabric row right.
            if fmt == MAIN_FORMAT and not r["dsp_lanes"]:
                offset, ha, va = (10, 0), "left", "center"
            elif fmt == MAIN_FORMAT:
                offset, ha, va = (-8, 9), "right", "bottom"
            else:
                offset, ha, va = (9, -9), "left", "top"
            ax.annotate(
                f"{lanes_label(r)}: {r['bound']}" if r.get("bound") else lanes_label(r),
                (r["images_per_s_100mhz"], r["area"]["LUT"]),
                textcoords="offset points",
                xytext=offset,
                ha=ha,
                va=va,
                fontsize=10,
            )
    ax.plot([], [], "-", color="0.35", lw=2.2, alpha=0.45,
            label="images/s at the estimated Fmax (low to high)")  # fmt: skip
    p = result["paper"]
    ax.scatter(
        [paper_rate(p)],
        [p["area"]["LUT"]],
        marker="*",
        s=320,
        color="tab:red",
        edgecolors="black",
        zorder=4,
        label=f"paper: {p['lanes']} MACs, {p['area']['DSP48E1']} DSP, at {p['clock_mhz']} MHz",
    )
    ax.annotate(
        f"paper\n{p['area']['LUT']:,} LUT, {p['area']['DSP48E1']} DSP\n"
        f"≈{round(paper_rate(p)):,} images/s at {p['clock_mhz']} MHz",
        (paper_rate(p), p["area"]["LUT"]),
        textcoords="offset points",
        xytext=(-12, 0),
        ha="right",
        va="center",
        fontsize=10,
        color="tab:red",
    )
    budget = result.get("lut_budget", LUT_BUDGET)
    for y, text, style in (
        (cap["LUT"], f"XC7Z010: {cap['LUT']:,} LUT", "-"),
        (budget * cap["LUT"], f"{pct(budget)} of the LUTs: {budget * cap['LUT']:,.0f}", ":"),
    ):
        ax.axhline(y, color="tab:red", ls=style, lw=1.2, zorder=0)
        ax.annotate(
            text,
            (0.01, y),
            xycoords=("axes fraction", "data"),
            xytext=(0, 3),
            textcoords="offset points",
            fontsize=10,
            color="tab:red",
            va="bottom",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(top=cap["LUT"] * 1.6)
    # Room on the right for the fastest rows' labels.
    rates = [r["images_per_s_100mhz"] for r in rows] + [paper_rate(p)]
    rates += [
        f * 1e6 / r["initiation_interval"]
        for r in rows
        if r["area"].get("timing")
        for f in r["area"]["timing"]["fmax_mhz"]
    ]
    ax.set_xlim(min(rates) / 1.6, max(rates) * 3.4)
    clock = result.get("clock_mhz_assumed", CLOCK_MHZ)
    ax.set_xlabel(
        f"throughput: images/s (this core at an assumed {clock} MHz, timing closure not "
        f"checked; the paper at its {p['clock_mhz']} MHz)"
    )
    ax.set_ylabel("LUTs (Yosys synth_xilinx, XC7Z010; not Vivado)")
    ax.grid(alpha=0.3, which="both")
    bar = fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, pad=0.02)
    bar.set_label("DSP48E1 slices used")
    ax.legend(fontsize=9.5, loc="lower right")
    ax.set_title(
        "LST-1 core: area against throughput (labels: lanes (DSP + fabric): what bounds it)",
        fontsize=12,
    )
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)
