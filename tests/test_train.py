"""Training: a short run on a subset learns, is reproducible and writes its outputs."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from lst.checkpoint import load_checkpoint
from lst.train import TrainConfig, train


def _run(mnist, out, **kw):
    config = TrainConfig(model="lst1", epochs=3, train_limit=3000, test_limit=1000, threads=1, **kw)
    return train(config, data_dir=mnist, out=out, progress=False)


def test_smoke_training_improves_accuracy(mnist, tmp_path):
    summary = _run(mnist, tmp_path / "a.safetensors")
    with open(tmp_path / "a.log.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert set(rows[0]) == {"epoch", "loss", "train_accuracy", "test_accuracy", "lr", "seconds"}
    losses = [float(r["loss"]) for r in rows]
    assert losses[-1] < losses[0]
    # Untrained: about 10 %. Three epochs on 3,000 images reach far more.
    assert summary["test_accuracy"] > 60.0
    tensors, meta = load_checkpoint(tmp_path / "a.safetensors")
    assert meta["model"] == "lst1" and meta["epochs"] == 3 and meta["seed"] == 0
    assert meta["test_accuracy"] == summary["test_accuracy"]
    assert meta["recipe"]["lr"] == 2e-3 and meta["checkpoint_rule"] == "last epoch"
    assert meta["source_commit"]
    assert tensors["out.weight"].shape == (10, 784)


def test_training_is_reproducible(mnist, tmp_path):
    _run(mnist, tmp_path / "a.safetensors", seed=7)
    _run(mnist, tmp_path / "b.safetensors", seed=7)
    a, _ = load_checkpoint(tmp_path / "a.safetensors")
    b, _ = load_checkpoint(tmp_path / "b.safetensors")
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_config_json_round_trip():
    c = TrainConfig(model="lst2", epochs=5, schedule="cosine", lr_min_ratio=0.01)
    assert TrainConfig.from_json(c.to_json()) == c
    assert json.loads(c.to_json())["schedule"] == "cosine"


def test_cosine_schedule():
    c = TrainConfig(epochs=10, schedule="cosine", lr_min_ratio=0.1)
    assert c.lr_at(0) == pytest.approx(2e-3)
    assert c.lr_at(5) == pytest.approx(0.5 * (2e-3 + 2e-4))
    assert TrainConfig().lr_at(123) == 2e-3


@pytest.mark.parametrize(
    ("kw", "msg"),
    [
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"lr": -1}, "lr"),
        ({"schedule": "step"}, "schedule"),
    ],
)
def test_config_validation(kw, msg):
    with pytest.raises(ValueError, match=msg):
        TrainConfig(**kw)
