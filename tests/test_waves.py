"""Waveforms: ``lst verify --waves``, the trace builds, the GTKWave save file, bad paths.

The traces are read back with ``pywellen`` (FST and VCD): they must hold every signal the
save file names, and the probe signals must show, at the cycle the probe records give,
the value recorded there.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from hw.plan.config import CoreConfig
from lst.cli import main
from sim.waves import check_trace_path, sequencer_states, trace_format

CONFIG = CoreConfig(lanes=28)
RESET_EDGES = 8  # the harness's four reset cycles, two dumped edges each


def _verilator(fmt: str = "fst"):
    """Skip without Verilator, or for FST without lz4.h (CI installs both: .ci/run)."""
    from sim.runner import available
    from sim.waves import fst_available

    ok, why = available("verilator")
    if ok and fmt == "fst":
        ok, why = fst_available()
    if not ok:
        pytest.skip(why)


def gtkw_signals(path) -> list[str]:
    """The signal names a GTKWave save file shows (aliases and bit ranges dropped)."""
    names = []
    for line in path.read_text().splitlines():
        m = re.match(r"^(?:\+\{[^}]*\} )?([A-Za-z_][\w$.]*)(\[\d+:\d+\])?$", line)
        if m:
            names.append(m.group(1))
    return names


def check_trace(trace, rtl, gtkw):
    import pywellen

    w = pywellen.Waveform(str(trace))
    found = {v.full_name: v for v in w.all_vars()}
    shown = gtkw_signals(gtkw)
    assert len(shown) > 20 and "TOP.lst_core.seq.fsm_state" in shown
    assert [s for s in shown if s not in found] == []
    # The first activation the probes recorded is in the trace at its cycle.
    cycle, *fields = rtl.probe_data["act"][0]
    names = [f for f, _, _ in rtl.manifest["probes"]["act"]["fields"]]
    t = 5 * RESET_EDGES + 10 * int(cycle)
    assert found["TOP.probe_act_valid"].signal.value_at(t) == 1
    width = found["TOP.probe_act0"].bitwidth
    value = found["TOP.probe_act0"].signal.value_at(t)
    assert value - ((value >> (width - 1)) << width) == fields[names.index("probe_act0")]
    assert found["TOP.probe_act_valid"].signal.value_at(t - 10) == 0  # the cycle before


@pytest.mark.parametrize("fmt", ["fst", pytest.param("vcd", marks=pytest.mark.slow)])
def test_trace_holds_the_saved_signals(tmp_path, mnist_test, fmt):
    _verilator(fmt)
    from sim.rtl_model import RTLModel
    from sim.waves import write_gtkw

    rtl = RTLModel(CONFIG, trace=fmt)
    trace = tmp_path / f"one.{fmt}"
    got = rtl(mnist_test.images[:2], probe=True, trace_file=trace, trace_images=1)
    assert len(got) == 2 and trace.stat().st_size > 10_000
    gtkw = write_gtkw(trace, CONFIG, rtl.manifest)
    assert gtkw == tmp_path / f"one.{fmt}.gtkw"
    check_trace(trace, rtl, gtkw)
    text = gtkw.read_text()
    assert f'[dumpfile] "{trace.resolve()}"' in text
    states = (tmp_path / f"one.{fmt}.states.txt").read_text()
    assert "ROW" in states and "OUTPUT" in states


def test_trace_stops_after_the_traced_images(tmp_path, mnist_test):
    """Tracing covers ``trace_images`` results; the run goes on untraced."""
    _verilator()
    import pywellen

    from sim.rtl_model import RTLModel

    rtl = RTLModel(CONFIG, trace="fst")
    sizes = {}
    for k in (1, 3):
        trace = tmp_path / f"t{k}.fst"
        rtl(mnist_test.images[:3], trace_file=trace, trace_images=k)
        w = pywellen.Waveform(str(trace))
        valid = next(v for v in w.all_vars() if v.full_name == "TOP.result__valid")
        first_result = 5 * RESET_EDGES + 10 * int(rtl.timing.result_cycles[0])
        last_result = 5 * RESET_EDGES + 10 * int(rtl.timing.result_cycles[-1])
        assert valid.signal.value_at(first_result) == 1
        sizes[k] = trace.stat().st_size
        if k == 3:
            assert valid.signal.value_at(last_result) == 1
    assert sizes[3] > 2 * sizes[1]


def test_trace_needs_a_trace_build():
    _verilator()
    from sim.rtl_model import RTLModel

    with pytest.raises(ValueError, match="trace must be one of fst, vcd"):
        RTLModel(CONFIG, trace="ghw")


def test_cli_waves(tmp_path, mnist, capsys):
    _verilator()
    trace = tmp_path / "run.fst"
    args = ["verify", "--limit", "3", "--data-dir", str(mnist), "--waves", str(trace)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert f"trace of the first 3 image(s): {trace}" in out
    assert trace.exists() and (tmp_path / "run.fst.gtkw").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "run.fst",
        "run.fst.gtkw",
        "run.fst.states.txt",
    ]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing/run.fst", "directory .* does not exist"),
        ("run.ghw", r"FST \(\.fst\) or VCD \(\.vcd\) traces, not \.ghw"),
        ("run", "not a file without a suffix"),
        ("adir.fst", "is a directory"),
        ("afile/run.vcd", "is not a directory"),
    ],
)
def test_cli_bad_waves_path(tmp_path, capsys, name, message):
    """One line, exit 2, before any work, nothing written."""
    (tmp_path / "adir.fst").mkdir()
    (tmp_path / "afile").write_text("x")
    before = sorted(tmp_path.rglob("*"))
    assert main(["verify", "--limit", "1", "--waves", str(tmp_path / name)]) == 2
    err = [s for s in capsys.readouterr().err.splitlines() if s.strip()]
    assert len(err) == 1 and err[0].startswith("lst: error: --waves"), err
    assert re.search(message, err[0]), err
    assert sorted(tmp_path.rglob("*")) == before


def test_fst_needs_lz4(tmp_path, monkeypatch, capsys):
    """Where the FST writer cannot be built: one line naming the package, exit 2."""
    import sim.waves

    monkeypatch.setattr(sim.waves, "fst_available", lambda: (False, "needs lz4.h (x)"))
    assert main(["verify", "--limit", "1", "--waves", str(tmp_path / "a.fst")]) == 2
    err = [s for s in capsys.readouterr().err.splitlines() if s.strip()]
    assert err == [f"lst: error: --waves {tmp_path / 'a.fst'}: needs lz4.h (x)"]
    assert list(tmp_path.iterdir()) == []


def test_unwritable_directory(tmp_path, monkeypatch):
    import os

    monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(ValueError, match="is not writable"):
        check_trace_path(tmp_path / "run.fst")


def test_trace_format():
    assert trace_format("a/b.FST") == "fst" and trace_format("x.vcd") == "vcd"
    with pytest.raises(ValueError, match="not .lxt"):
        trace_format("x.lxt")


def test_sequencer_states_follow_the_fsm():
    """The state names come from the elaborated FSM: IDLE is 0 (its reset state)."""
    states = sequencer_states(CoreConfig(lanes=28, model="reslst3"))
    assert states[0] == "IDLE"
    assert {"ROW", "COLUMN", "OUTPUT", "WAIT"} <= set(states.values())
    assert sorted(states) == list(range(len(states)))
    assert np.unique(list(states.values())).size == len(states)


@pytest.mark.parametrize(
    ("value", "want"), [("", False), ("0", False), ("1", True), ("yes", True), ("off", False)]
)
def test_waves_requested(monkeypatch, value, want):
    from sim.runner import waves_build_dir, waves_requested

    monkeypatch.setenv("WAVES", value)
    assert waves_requested() is want
    from pathlib import Path

    assert waves_build_dir(Path("a/icarus")) == Path("a/icarus-waves" if want else "a/icarus")


def test_waves_request_must_be_a_boolean(monkeypatch):
    from sim.runner import waves_requested

    monkeypatch.setenv("WAVES", "maybe")
    with pytest.raises(ValueError, match="use WAVES=1"):
        waves_requested()


def test_cocotb_run_with_waves(monkeypatch, tmp_path, mnist_test):
    """``WAVES=1`` (``make test WAVES=1``): the cocotb run of the core on Icarus builds
    in its own directory and leaves its trace, with a save file, in its run directory."""
    import shutil

    import pywellen

    from sim.runner import run_cocotb

    if shutil.which("iverilog") is None:
        pytest.skip("Icarus Verilog not installed (Debian: apt-get install iverilog)")
    monkeypatch.setenv("WAVES", "1")
    r = run_cocotb(
        CONFIG, "icarus", mnist_test.images[:1], testcase="test_back_to_back", root=tmp_path
    )
    assert r["failed"] == 0
    trace = tmp_path / CONFIG.name / "icarus-waves" / "run-test_back_to_back" / "lst_core.fst"
    assert r["waves"] == str(trace) and trace.exists()
    shown = gtkw_signals(trace.with_name("lst_core.fst.gtkw"))
    found = {v.full_name for v in pywellen.Waveform(str(trace)).all_vars()}
    assert {"lst_core.pixels__valid", "lst_core.result__payload", "lst_core.seq.fsm_state"} <= set(
        shown
    )
    assert set(shown) <= found


def test_failed_cocotb_run_is_traced(monkeypatch, tmp_path, mnist_test):
    """A bit-exact cocotb test that fails is run again with waveforms on: its result
    names the trace (the tests put it in their failure message); ``$WAVES`` is restored."""
    import os
    import shutil

    import sim.runner
    from sim.runner import run_cocotb

    if shutil.which("iverilog") is None:
        pytest.skip("Icarus Verilog not installed (Debian: apt-get install iverilog)")
    real = sim.runner.GoldenModel

    class OneLogitOff:  # the golden model with one logit changed: the bench must fail
        def __init__(self, qm):
            self.golden = real(qm)

        def __call__(self, images):
            r = self.golden(images)
            r.logits[0, 3] += 1
            return r

    monkeypatch.setattr(sim.runner, "GoldenModel", OneLogitOff)
    monkeypatch.delenv("WAVES", raising=False)
    r = run_cocotb(
        CONFIG, "icarus", mnist_test.images[:1], testcase="test_back_to_back", root=tmp_path
    )
    assert r["failed"] == 1
    trace = tmp_path / CONFIG.name / "icarus-waves" / "run-test_back_to_back" / "lst_core.fst"
    assert r["waves"] == str(trace) and trace.stat().st_size > 0
    assert "WAVES" not in os.environ
