"""The core's hardware: one Amaranth ``wiring.Component`` per module, assembled by
:class:`hw.core.LSTCore`. Each has its test module under ``tests/`` (``test_<name>.py``;
the three passes, row, column and output layer, together in ``test_passes.py``, which
compares them with the plan's schedule; the weight loader in
``test_loadable_weights.py``).

Rule: components import Amaranth, ``hw.plan`` and each other; never the report, the
build request, the Verilog writer or anything above ``hw``.
"""
