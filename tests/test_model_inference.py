"""Checkpoints whose metadata names no model (the authors' .pth layout): the model is
inferred from the tensors' names and shapes by every command, and --model is accepted
everywhere. The test writes its own files in the authors' key layout from the shipped
checkpoints (their files are never part of this repository)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hw.plan.config import CoreConfig
from lst.arch import default_checkpoint, get_arch
from lst.checkpoint import CheckpointError, checkpoint_model, infer_model, load_checkpoint
from lst.cli import main
from quant.quantize import quantize_checkpoint

torch = pytest.importorskip("torch")

PREFIXES = {"lst1": ["L2DST"], "lst2": ["L2DST_1", "L2DST_2"]}
PREFIXES["reslst3"] = ["L2DST_1", "L2DST_2", "L2DST_3"]


def authors_pth(model: str, path):
    """The shipped checkpoint's tensors under the authors' key names, no metadata."""
    t, _ = load_checkpoint(default_checkpoint(model))
    ref = {}
    for b, prefix in enumerate(PREFIXES[model]):
        for ours, theirs in (("row", "dense1"), ("col", "dense2")):
            for kind in ("weight", "bias"):
                ref[f"{prefix}.{theirs}.{kind}"] = t[f"blocks.{b}.{ours}.{kind}"]
    ref["W_o.weight"], ref["W_o.bias"] = t["out.weight"], t["out.bias"]
    torch.save({k: torch.from_numpy(np.array(v)) for k, v in ref.items()}, path)
    return path


@pytest.mark.parametrize("model", ["lst1", "lst2", "reslst3"])
def test_model_inferred_from_tensors(model, tmp_path):
    pth = authors_pth(model, tmp_path / f"{model}.pth")
    tensors, meta = load_checkpoint(pth)
    assert "model" not in meta
    assert infer_model(tensors) == model
    assert checkpoint_model(pth) == model
    assert CoreConfig(checkpoint=str(pth)).model == model
    assert CoreConfig(checkpoint=str(pth), model=model).model == model
    ours = quantize_checkpoint(default_checkpoint(model))
    theirs = quantize_checkpoint(pth)
    assert theirs.arch.name == model
    for name, v in ours.ints.items():
        np.testing.assert_array_equal(theirs.ints[name], v)


def test_wrong_or_unknown_model_is_one_line(tmp_path):
    pth = authors_pth("lst2", tmp_path / "lst2.pth")
    with pytest.raises(CheckpointError, match="missing tensor blocks.2.row.weight"):
        quantize_checkpoint(pth, model="reslst3")
    with pytest.raises(CheckpointError, match="is for model lst1, not lst2"):
        quantize_checkpoint(default_checkpoint("lst1"), model="lst2")
    odd = {k: torch.zeros(3) for k in ("L2DST.dense1.weight", "W_o.weight")}
    torch.save(odd, tmp_path / "odd.pth")
    with pytest.raises(CheckpointError, match="match none of lst1, lst2, reslst3; pass --model"):
        checkpoint_model(tmp_path / "odd.pth")
    with pytest.raises(ValueError, match="model must be one of"):
        CoreConfig(model="lst4")


def test_verilog_from_authors_file_equals_shipped(tmp_path, capsys):
    """lst verilog takes their file without --model and builds the same ROMs."""
    pth = authors_pth("reslst3", tmp_path / "ResLST.pth")
    assert (
        main(
            [
                "verilog",
                "--checkpoint",
                str(pth),
                "--lanes",
                "7",
                "--out",
                str(tmp_path / "a"),
                "--json",
            ]
        )
        == 0
    )
    a = json.loads(capsys.readouterr().out)
    assert a["config"]["model"] == "reslst3" and a["ports"]["result__payload"] == 304
    args = ["verilog", "--model", "reslst3", "--lanes", "7", "--out", str(tmp_path / "b"), "--json"]
    assert main(args) == 0
    capsys.readouterr()
    for rom in ("weights", "biases", "out_biases"):
        mem = f"rom/{rom}.mem"
        assert (tmp_path / "a" / mem).read_text() == (tmp_path / "b" / mem).read_text()
    assert main(["quantize", "--checkpoint", str(pth), "--out", str(tmp_path / "q"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["model"] == "reslst3"


def test_macs_and_efficiency_rule_per_model():
    for model, macs in (("lst1", 51_744), ("lst2", 95_648), ("reslst3", 139_552)):
        assert get_arch(model).macs == macs
        for lanes in (1, 2, 4, 7, 14, 28, 56):
            c = CoreConfig(model=model, lanes=lanes)
            assert c.macs_per_image == macs
            assert c.compute_cycles <= 1.15 * macs / lanes
            assert c.compute_cycles * lanes >= macs
