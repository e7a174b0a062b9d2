"""The performance report: facts about generated configurations, measured.

- :mod:`report.synthesis`: Yosys synthesis for the XC7Z010 (area, LUT levels), with
  :mod:`report.timing_estimate` (an estimated critical path from 7-series cell delays);
  :mod:`report.fabric_area` and :mod:`report.loadable_area` measure single parts.
- :mod:`report.rows`: which configurations are measured, and one row's facts.
- :mod:`report.analysis`: bounds, next steps, the Pareto front, LUTs per fabric lane.
- :mod:`report.routed`: rows placed and routed by ``lst board pnr`` (post-route Fmax),
  recorded beside the Yosys rows.
- :mod:`report.render`, :mod:`report.chart`, :mod:`report.readme`: docs/performance.md,
  its chart, the README's blocks.
- :mod:`report.performance`: ``make report`` end to end.

The report depends on ``hw`` (configurations, the device table, the Verilog) and on
nothing above it: cycles measured in simulation come in as a function (``lst report``
passes ``sim.rtl_model.measure_timing``), routed timing as recorded JSON (``lst board
pnr --record``). It states facts; the project's targets are judged by
``bench/targets.py``, not written into its JSON.
"""

from __future__ import annotations

from pathlib import Path

#: The repository (``docs/``, ``README.md``, ``build/``).
ROOT = Path(__file__).resolve().parent.parent
