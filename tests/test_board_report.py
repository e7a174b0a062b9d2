"""The self-test top's area beside the core's: the table, and (slow) the real synthesis."""

from __future__ import annotations

import pytest

from report.render import board_tops_table


def _row(design, lut, fits):
    area = {"LUT": lut, "FF": 2000, "RAMB18": 3, "RAMB36": 20, "RAMB18_equiv": 43, "DSP48E1": 28}
    util = {"LUT": lut / 17600, "FF": 2000 / 35200, "RAMB18_equiv": 43 / 120, "DSP48E1": 28 / 80}
    return {"design": design, "device": "XC7Z010", "area": area, "utilisation": util, "fits": fits}


def test_table():
    tops = {
        "device": "XC7Z010",
        "description": "Described.",
        "rows": [_row("core (28 lanes)", 1207, True), _row("self-test top", 18000, False)],
    }
    lines = board_tops_table(tops)
    assert lines[0] == "## On the board: the self-test top"
    assert "Described." in lines[2]
    assert lines[-3] == (
        "| core (28 lanes) | 1,207 | 2,000 | 43 (3+2×20) | 28 | 6.9 % / 5.7 % / 35.8 % / 35.0 % "
        "| yes |"
    )
    assert lines[-2].endswith("| NO |")


@pytest.mark.slow
def test_the_top_fits_the_xc7z010(tmp_path):
    """Yosys synthesis of the core and of the whole self-test top at 28 lanes."""
    from boards.report import report

    result = report(lanes=28, out_dir=None, work=tmp_path)
    core, top = result["rows"]
    assert top["fits"] and top["device"] == "XC7Z010"
    # The top holds the core: at least its LUTs, DSP slices and block RAM.
    for k in ("LUT", "FF", "RAMB18_equiv", "DSP48E1"):
        assert top["area"][k] >= core["area"][k]
    assert top["area"]["DSP48E1"] == 28
