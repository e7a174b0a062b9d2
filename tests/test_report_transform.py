"""lst report --transform: the section's table in performance.md and its chart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hw.plan.transform_config import TransformCoreConfig
from report.render import performance_markdown
from report.transform import TRANSFORM_ROWS, transform_table, write_transform_chart

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.fixture(scope="module")
def result():
    r = json.loads((DOCS / "performance.json").read_text())
    if "transform" not in r:
        pytest.fail("docs/performance.json has no transform section: run lst report --transform")
    return r


def test_recorded_rows_are_the_configured_ones(result):
    rows = result["transform"]["rows"]
    want = [(m, TransformCoreConfig(model=m, lanes=n).lanes) for m, n in TRANSFORM_ROWS]
    assert [(r["model"], r["lanes"]) for r in rows] == want
    for r in rows:
        assert r["initiation_interval"] == r["schedule_interval"]
        assert r["area"]["DSP48E1"] == sum(r["multipliers"].values())
        assert r["accuracy"]["fixed"] >= r["accuracy"]["float"] - 0.05
    ht = [r for r in rows if r["model"] == "ht1"]
    assert all(r["multipliers"]["passes"] == 0 for r in ht)
    # What docs/hardware.md says of HT-1's two structures: the butterfly passes are the
    # smaller and the faster.
    bf, lanes = (next(r for r in ht if r["passes"] == p) for p in ("butterfly", "lanes"))
    assert bf["area"]["LUT"] < lanes["area"]["LUT"]
    assert bf["initiation_interval"] < lanes["initiation_interval"]


def test_table_in_the_page(result):
    lines = transform_table(result)
    page = performance_markdown(result)
    assert "\n".join(lines) in page
    assert sum(1 for line in lines if line.startswith("| HT-1 |")) == 2
    assert (DOCS / "performance.md").read_text() == page


def test_chart(result, tmp_path):
    png = tmp_path / "t.png"
    write_transform_chart(result, png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
