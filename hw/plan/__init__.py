"""The plan of a core, in plain Python: everything that is decided before the hardware
is elaborated.

- :mod:`hw.plan.config`: :class:`~hw.plan.config.CoreConfig` (settings, derived
  geometry, cycle counts); :mod:`hw.plan.shape`: the network's fixed shape.
- :mod:`hw.plan.schedule`: what every lane does in every cycle, and the gaps between
  passes; :mod:`hw.plan.latency`: the components' pipeline latencies it needs.
- :mod:`hw.plan.buffer_layout`, :mod:`hw.plan.rom_images`, :mod:`hw.plan.load_image`:
  where values live in the memories, the ROM contents, the run-time load image.
- :mod:`hw.plan.schedule_model`: the schedule executed with the contract's arithmetic.
- :mod:`hw.plan.area_estimate`: the area a configuration will take, before synthesis.

Rule: no Amaranth and no component import (``tests/test_layers.py``); depends only on
``hw.fpga``, ``quant`` and ``lst``. The components take their constants from here.
"""
