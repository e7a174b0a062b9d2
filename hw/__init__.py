"""Amaranth HDL description of the LST-1 accelerator (no torch).

See ``docs/hardware.md`` for the architecture, the interfaces and the timing.
"""
