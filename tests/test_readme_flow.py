"""The README's commands, run in order in a fresh directory, lose no file.

Each step writes where the README says; at the end every file that any step promised
is still there, and running the main job again replaces only its own output.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lst.cli import main

REPO = Path(__file__).resolve().parent.parent
CKPT = REPO / "models" / "lst1.safetensors"


def run(capsys, *args) -> str:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert code == 0, f"lst {' '.join(map(str, args))} failed: {err}"
    return out


@pytest.mark.slow  # about 1.5 minutes: quantize, evaluate, Verilog, sweep, Yosys, training
@pytest.mark.full_data
def test_readme_flow_keeps_every_file(tmp_path, monkeypatch, capsys, mnist):
    monkeypatch.chdir(tmp_path)
    steps = [
        (["quantize", "--checkpoint", CKPT, "--format", "q5.7", "--out", "build/quant"],
         ["build/quant/manifest.json", "build/quant/model.npz", "build/quant/rom/tanh.mem"]),
        (["evaluate", "--model", "lst1", "--json", "--confusion", "build/confusion.png"],
         ["build/confusion.png"]),
        (["embeddings", "--model", "lst1", "--index", "0", "--out", "build/embeddings.png"],
         ["build/embeddings.png"]),
        (["verilog"],  # what `make verilog` runs, with its defaults
         ["build/verilog/lst_core.v", "build/verilog/lst_core.json",
          "build/verilog/rom/weights.mem", "build/verilog/rom/weights.coe"]),
        (["accuracy", "--model", "lst1", "--format", "q5.7", "--json"], []),
        (["accuracy", "--sweep", "--model", "lst1", "--widths", "12-12", "--out", "docs"],
         ["docs/accuracy-sweep.md", "docs/accuracy-sweep.png", "docs/accuracy-sweep.csv",
          "docs/accuracy-sweep.json"]),
        (["report", "--lanes-list", "1", "--no-sim", "--out", "docs"],
         ["docs/performance.md", "docs/performance.png", "docs/performance.json"]),
        (["train", "--model", "lst1", "--epochs", "1", "--train-limit", "2000",
          "--test-limit", "500", "--threads", "1", "--no-progress"],
         ["build/train/lst1.safetensors", "build/train/lst1.log.csv"]),
        (["verilog"], []),  # the main job again, after everything else
        (["quantize", "--checkpoint", CKPT, "--out", "build/quant"], []),
    ]  # fmt: skip
    promised = []
    for args, files in steps:
        run(capsys, *args)
        promised += files
        missing = [f for f in promised if not (tmp_path / f).is_file()]
        assert not missing, f"after 'lst {' '.join(map(str, args))}': {missing} gone"
    (tmp_path / "docs" / "notes.md").write_text("a user's own notes")
    assert main(["verilog", "--out", "build"]) == 2  # build/ holds other outputs
    assert main(["verilog", "--out", "docs"]) == 2
    assert (tmp_path / "docs" / "notes.md").read_text() == "a user's own notes"
    assert all((tmp_path / f).is_file() for f in promised)
    leftovers = [p for p in tmp_path.rglob("*") if ".lst-tmp-" in p.name or p.suffix == ".part"]
    assert leftovers == []
