"""CoreConfig: validation, JSON round trip and the efficiency targets by construction."""

from __future__ import annotations

import pytest

from hw.config import MACS_PER_IMAGE, SUPPORTED_LANES, CoreConfig


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
