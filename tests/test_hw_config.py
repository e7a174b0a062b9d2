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
        (
            {"packed_dsp": True},
            "packed_dsp with lst1 at q5.7: two products of 12-bit weights and 8-bit data do not "
            "fit one DSP48E1: the packed weight needs 33 bits, the port has 25",
        ),
        ({"packed_dsp": 1}, "packed_dsp must be true or false, not 1"),
        (
            {"lanes": 196, "format": "q2.6", "packed_dsp": True, "dsp_lanes": 162},
            "dsp_lanes 162 need 81 DSP48E1 \\(two lanes each\\); the xc7z010 has 80",
        ),
        (
            {"format": "q2.6", "packed_dsp": True, "device": "lfe5u-85f"},
            "packed_dsp packs two products into a DSP48E1 \\(XC7 parts\\); the lfe5u-85f's",
        ),
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
        (140, 5, 28, 13, 80, 60),
        (168, 6, 28, 15, 80, 88),
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


@pytest.mark.parametrize(
    ("lanes", "fmt", "model", "dsp", "slices", "fabric"),
    [
        (196, "q2.6", "lst1", 160, 80, 36),
        (168, "q2.6", "lst1", 160, 80, 8),
        (56, "q2.6", "lst2", 56, 28, 0),
        (7, "q2.6", "lst1", 7, 4, 0),  # one group; lane 6 has a slice of its own
        (112, "q2.6", "reslst3", 112, 56, 0),  # q1.6 + q1.6 features fit 8 bits
    ],
)
def test_packed_dsp_default_split(lanes, fmt, model, dsp, slices, fabric):
    """Two lanes per DSP48E1 slice: twice the device's slices by default."""
    c = CoreConfig(lanes=lanes, format=fmt, model=model, packed_dsp=True)
    assert (c.dsp_lanes, c.dsp_slices, c.fabric_lanes) == (dsp, slices, fabric)
    assert c.packed_pairs == dsp // 2 and c.packing_shift == 16
    assert c.name.endswith("_pk")
    assert CoreConfig.from_json(c.to_json()) == c


def test_packed_pairs_share_their_data_bus():
    """Lanes 2p and 2p + 1 read one data bus in every pass: one lane group (row and
    column passes) and one output partition (output layer)."""
    from hw.plan.schedule import PassSchedule

    for lanes in SUPPORTED_LANES:
        c = CoreConfig(lanes=lanes, format="q2.6", packed_dsp=True)
        sch = PassSchedule(c)
        part = sch.out_lane_partition()
        for p in range(c.packed_pairs):
            lo, hi = 2 * p, 2 * p + 1
            assert sch.lane_group[lo] == sch.lane_group[hi] or c.groups == 1
            assert part[lo] == part[hi]


@pytest.mark.parametrize("lanes", [140, 168])
def test_ragged_groups(lanes):
    """140 and 168 lanes: 5 and 6 groups of 28, ceil(28 / G) rounds per pass."""
    c = CoreConfig(lanes=lanes)
    assert c.ragged and c.rounds_per_pass == -(-28 // c.groups)
    assert c.row_cycles == c.column_cycles == c.rounds_per_pass * 28
    assert c.pass_writes == c.rounds_per_pass * 28
