"""Zynq processor-system path: AXI wrapper, Vivado block design, host driver.

Nothing here may import torch; :mod:`boards.zynq.driver` and :mod:`boards.zynq.regmap`
import neither Amaranth nor anything outside the standard library and NumPy, so that
they run on the board. See ``docs/board.md``, "Processor-system path".
"""
