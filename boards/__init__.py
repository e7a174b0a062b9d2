"""Board platforms and top levels: Digilent Zybo Z7-10/-20 (XC7Z010/XC7Z020).

:mod:`boards.zybo_z7` (platforms), :mod:`hw.fpga.mmcm` and :mod:`boards.clock_reset`
(the core's clock and reset), :mod:`boards.selftest` and :mod:`boards.selftest_top`
(the stand-alone self-test), :mod:`boards.build` (``make bitstream``);
:mod:`boards.zynq` holds the processor-system path. Never imports torch.
"""
