"""Checkpoints: format, validation, and the shipped ones reproduce their accuracy."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from lst.arch import LST_MODELS, default_checkpoint, get_arch
from lst.checkpoint import CheckpointError, load_lst_checkpoint, save_checkpoint
from lst.evaluate import evaluate_checkpoint
from lst.models import build_model


def _tensors(name="lst1"):
    return {k: v.numpy() for k, v in build_model(name).state_dict().items()}


def test_round_trip(tmp_path):
    t = _tensors()
    save_checkpoint(tmp_path / "m.safetensors", t, {"model": "lst1", "note": "x"})
    arch, loaded, meta = load_lst_checkpoint(tmp_path / "m.safetensors")
    assert arch.name == "lst1" and meta["note"] == "x" and meta["format_version"] == 1
    for k in t:
        np.testing.assert_array_equal(loaded[k], t[k])
    # The header is plain JSON: readable without any ML framework.
    raw = (tmp_path / "m.safetensors").read_bytes()
    header = json.loads(raw[8 : 8 + int.from_bytes(raw[:8], "little")])
    assert json.loads(header["__metadata__"]["lst"])["model"] == "lst1"


def test_rejects_wrong_shapes_missing_and_nan(tmp_path):
    t = _tensors()
    bad = dict(t, **{"out.weight": np.zeros((10, 783), np.float32)})
    save_checkpoint(tmp_path / "s.safetensors", bad, {"model": "lst1"})
    with pytest.raises(CheckpointError, match=r"out.weight has shape \(10, 783\)"):
        load_lst_checkpoint(tmp_path / "s.safetensors")
    missing = {k: v for k, v in t.items() if k != "blocks.0.col.bias"}
    save_checkpoint(tmp_path / "m.safetensors", missing, {"model": "lst1"})
    with pytest.raises(CheckpointError, match=r"missing tensor blocks\.0\.col\.bias"):
        load_lst_checkpoint(tmp_path / "m.safetensors")
    nan = dict(t)
    nan["blocks.0.row.weight"] = t["blocks.0.row.weight"].copy()
    nan["blocks.0.row.weight"][3, 4] = np.nan
    save_checkpoint(tmp_path / "n.safetensors", nan, {"model": "lst1"})
    with pytest.raises(CheckpointError, match="NaN or infinite"):
        load_lst_checkpoint(tmp_path / "n.safetensors")
    with pytest.raises(CheckpointError, match="not lst2"):
        load_lst_checkpoint(tmp_path / "n.safetensors", "lst2")


def test_rejects_garbage_and_missing(tmp_path):
    (tmp_path / "g.safetensors").write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="not a readable safetensors file"):
        load_lst_checkpoint(tmp_path / "g.safetensors")
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load_lst_checkpoint(tmp_path / "absent.safetensors")


def test_unreadable_checkpoint_is_a_permission_problem(tmp_path, monkeypatch, capsys):
    """A checkpoint this user cannot read (safetensors calls it "No such file or
    directory"): one line saying permission denied. As root nothing is unreadable, so the
    denial is simulated at ``Path.open``; as another user a mode-000 file is tried too."""
    import os
    from pathlib import Path

    from lst.cli import main

    path = tmp_path / "lst1.safetensors"
    save_checkpoint(path, _tensors(), {"model": "lst1"})
    if os.geteuid() != 0:
        path.chmod(0)
        with pytest.raises(CheckpointError, match="permission denied"):
            load_lst_checkpoint(path)
        path.chmod(0o644)
    real_open = Path.open

    def deny(self, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", deny)
    with pytest.raises(CheckpointError, match="permission denied: the checkpoint exists"):
        load_lst_checkpoint(path)
    assert main(["info", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"lst: error: {path}: permission denied: the checkpoint exists but this user cannot read it"
    ]


def test_reference_pth_loaded_weights_only(tmp_path):
    """The authors' key names are mapped; only tensors are accepted (weights_only)."""
    t = _tensors("lst2")
    ref = {}
    for b, prefix in enumerate(("L2DST_1", "L2DST_2")):
        ref[f"{prefix}.dense1.weight"] = t[f"blocks.{b}.row.weight"]
        ref[f"{prefix}.dense1.bias"] = t[f"blocks.{b}.row.bias"]
        ref[f"{prefix}.dense2.weight"] = t[f"blocks.{b}.col.weight"]
        ref[f"{prefix}.dense2.bias"] = t[f"blocks.{b}.col.bias"]
    ref["W_o.weight"], ref["W_o.bias"] = t["out.weight"], t["out.bias"]
    torch.save({k: torch.from_numpy(v) for k, v in ref.items()}, tmp_path / "ref.pth")
    arch, loaded, _ = load_lst_checkpoint(tmp_path / "ref.pth", "lst2")
    assert arch.name == "lst2"
    np.testing.assert_array_equal(loaded["blocks.1.col.weight"], t["blocks.1.col.weight"])

    class Evil:
        def __reduce__(self):
            return (print, ("pickled code ran",))

    torch.save({"x": Evil()}, tmp_path / "evil.pth")
    with pytest.raises(CheckpointError, match="loads safely") as info:
        load_lst_checkpoint(tmp_path / "evil.pth", "lst1")
    assert "weights_only=False" not in str(info.value)


@pytest.mark.parametrize("name", list(LST_MODELS))
def test_shipped_checkpoint_reproduces_recorded_accuracy(name, mnist):
    path = default_checkpoint(name)
    assert path.exists(), f"shipped checkpoint {path} is missing"
    arch, _, meta = load_lst_checkpoint(path)
    assert arch == get_arch(name)
    for key in ("model", "params", "recipe", "seed", "epochs", "test_accuracy", "source_commit"):
        assert key in meta, key
    assert meta["params"] == arch.params
    result = evaluate_checkpoint(name, path, data_dir=mnist)
    assert result["n"] == 10_000
    assert result["accuracy"] == round(meta["test_accuracy"], 4)  # 0.01 % = one image
    log = path.with_name(meta["log"])
    assert log.exists(), f"training log {log} is missing"
