"""The LST core in Amaranth HDL, and the Python-side plan it is built from (no torch).

Rooms, each depending only on those above it in this list:

``hw.fpga``
    The chips: the device table (XC7Z010/020, LFE5U-85F/45F), clock synthesis for the
    MMCM and the ECP5 PLL. Pure Python.
``hw.plan``
    What a core will be, computed before any elaboration: :class:`~hw.plan.config.
    CoreConfig`, the pass schedule and its cycle counts, buffer layouts, ROM and load
    images, pipeline latencies, the area estimate. Pure Python: no Amaranth.
``hw.components``
    The hardware: one ``amaranth.lib.wiring.Component`` per module (passes, lanes,
    drains, buffers, sequencer, output layer, …), each with its own test module.
``hw`` (this package's own modules)
    :mod:`hw.core` (the top, ``LSTCore``), :mod:`hw.verilog` (``lst verilog``: Verilog,
    ROM files, manifest), :mod:`hw.request` (the one checked build request of every
    hardware command) and :mod:`hw.cli`.

See ``docs/hardware.md`` for the architecture, the interfaces and the timing.
"""
