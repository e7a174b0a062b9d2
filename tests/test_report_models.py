"""The per-model part of the report: performance.md's table and the README block."""

from __future__ import annotations

from hw.plan.config import CoreConfig
from report.readme import readme_models_table, update_readme
from report.render import models_table
from report.rows import config_row, model_row


def _row(model, lanes):
    cfg = CoreConfig(model=model, lanes=lanes)
    area = {"LUT": 1000 + lanes, "FF": 900, "RAMB18_equiv": 20, "RAMB18": 20, "RAMB36": 0}
    area |= {"DSP48E1": cfg.dsp_lanes, "logic_depth": 6}
    row = config_row(cfg, area, (cfg.compute_cycles, cfg.compute_cycles + 16))
    assert (row["dsp_lanes"], row["fabric_lanes"], row["format"]) == (lanes, 0, "q5.7")
    return model_row(row, cfg)


def test_tables_name_every_model_and_its_buffers(tmp_path):
    rows = [_row(m, n) for m in ("lst1", "lst2", "reslst3") for n in (28, 56)]
    assert rows[-1]["buffers"]["r"]["bits"] > 0 and "x" not in rows[0]["buffers"]
    md = "\n".join(models_table(rows))
    assert "| ResLST-3 | 56 |" in md and "| 2,509 |" in md  # 3·(392 + 392) + 157 cycles
    assert md.count("✓") == 6
    readme = tmp_path / "README.md"
    readme.write_text("x\n<!-- BEGIN models -->\nold\n<!-- END models -->\ny\n")
    result = {"rows": [rows[0]], "models": rows}
    assert update_readme(result, readme)
    text = readme.read_text()
    assert "| LST-2 | 28 | 3,528 | 28,345 |" in text and "old" not in text
    assert text.startswith("x\n<!-- BEGIN models -->\n| model |") and text.endswith("y\n")
    assert readme_models_table({"rows": []}) is None  # no model rows: README kept
    assert not update_readme({"rows": [rows[0]]}, readme)
