"""CoreConfig: validation, JSON round trip and the efficiency targets by construction."""

from __future__ import annotations

import pytest

from hw.plan.config import MACS_PER_IMAGE, SUPPORTED_LANES, CoreConfig


def test_json_round_trip():
    c = CoreConfig(lanes=14, pixels_per_beat=4, format="q3.5")
    assert CoreConfig.from_json(c.to_json()) == c


@pytest.mark.parametrize(
    ("kwargs", "msg"),
    [
        ({"lanes": 3}, "lanes must be one of"),
        ({"lanes": 0}, "lanes must be one of"),
        ({"pixels_per_beat": 5}, "pixels_per_beat must be one of"),
        ({"format": "q5,7"}, "bad fixed-point format"),
        ({"lanes": 28, "dsp_lanes": 29}, "dsp_lanes must be between 0 and lanes \\(28\\), not 29"),
        ({"lanes": 112, "dsp_lanes": 81}, "dsp_lanes 81 exceeds the 80 DSP48E1 of the xc7z010"),
        ({"device": "xc7a35t"}, "unknown device 'xc7a35t'"),
        ({"fabric_style": "wallace"}, "fabric_style must be one of booth"),
    ],
)
def test_validation(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        CoreConfig(**kwargs)


@pytest.mark.parametrize("lanes", SUPPORTED_LANES)
def test_schedule_meets_the_efficiency_target(lanes):
    """The op count per image: II ≤ 1.15 × 51,744 / lanes (measured in simulation too)."""
    c = CoreConfig(lanes=lanes)
    assert c.compute_cycles <= 1.15 * MACS_PER_IMAGE / lanes
    assert c.compute_cycles * lanes >= MACS_PER_IMAGE  # no configuration beats physics


def test_56_lanes_under_1000_cycles():
    assert CoreConfig(lanes=56).initiation_interval <= 1000


@pytest.mark.parametrize(
    ("lanes", "groups", "group_lanes", "partitions", "dsp", "fabric"),
    [
        (28, 1, 28, 2, 28, 0),
        (56, 2, 28, 5, 56, 0),
        (98, 7, 14, 9, 80, 18),
        (112, 4, 28, 11, 80, 32),
        (196, 7, 28, 19, 80, 116),
    ],
)
def test_groups_partitions_and_the_default_dsp_split(
    lanes, groups, group_lanes, partitions, dsp, fabric
):
    c = CoreConfig(lanes=lanes)
    assert (c.groups, c.group_lanes, c.partitions) == (groups, group_lanes, partitions)
    assert (c.dsp_lanes, c.fabric_lanes) == (dsp, fabric)
    # The column pass's G writers (taps 28 apart) always land in different Y banks.
    assert len({28 * s % c.partitions for s in range(c.groups)}) == c.groups


def test_dsp_split_follows_the_device_and_names_the_configuration():
    assert CoreConfig(lanes=112, device="xc7z020").fabric_lanes == 0
    assert CoreConfig(lanes=112).name == "lst1_l112_p1_q5_7_d80"
    assert CoreConfig(lanes=28, dsp_lanes=0).name == "lst1_l28_p1_q5_7_d0"
    assert CoreConfig(lanes=28, dsp_lanes=0, fabric_style="yosys").name.endswith("_d0_yosys")
    assert CoreConfig(lanes=28).name == "lst1_l28_p1_q5_7"  # unchanged for all-DSP cores
    c = CoreConfig(lanes=98, pixels_per_beat=4)
    assert CoreConfig.from_json(c.to_json()) == c


def test_the_input_rate_bound():
    """Below 784 cycles per image one pixel per beat is too slow for the lanes."""
    assert CoreConfig(lanes=56).bound == "lanes"
    slow = CoreConfig(lanes=112)
    assert slow.bound == "input rate" and slow.initiation_interval == 784
    fast = CoreConfig(lanes=112, pixels_per_beat=4)
    assert fast.bound == "lanes" and fast.initiation_interval == fast.compute_cycles == 464


def test_pass_gaps_only_where_a_pass_would_read_early():
    assert CoreConfig(lanes=112).pass_gaps == dict.fromkeys(
        ("row_to_column", "column_to_output", "column_to_row"), 0
    )
    c = CoreConfig(lanes=196, format="q2.6")
    assert c.pass_gaps["column_to_output"] > 0
    assert c.compute_cycles == 2 * 112 + 42 + sum(c.pass_gaps.values())


def test_enough_pixels_per_beat():
    """The fewest pixels per beat that leave the lanes the bound (what lst verilog names)."""
    got = {n: CoreConfig(lanes=n).enough_pixels_per_beat for n in (28, 56, 98, 112, 196)}
    assert got == {28: 1, 56: 1, 98: 2, 112: 2, 196: 4}
    for n, ppb in got.items():
        assert CoreConfig(lanes=n, pixels_per_beat=ppb).bound == "lanes"
