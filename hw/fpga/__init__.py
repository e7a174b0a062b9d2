"""The chips the cores are built for: resources per device (:mod:`hw.fpga.device`) and
clock synthesis (:mod:`hw.fpga.mmcm` for the 7-series MMCM, :mod:`hw.fpga.ecp5_pll` for
the ECP5's EHXPLLL).

Rule: plain Python facts and searches; imports nothing else from ``hw`` and no Amaranth.
"""
