"""Amaranth HDL description of the LST accelerator (no torch)."""
