"""CIFAR-10 binary loader, augmentation, recipe and training loop on synthetic data."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from lst.data import DataError
from lst.transform import cifar

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _synthetic(root, per_file=8, seed=0):
    """A learnable synthetic set in the standard format: class k has a bright k-th row band."""
    rng = np.random.default_rng(seed)
    for name in (*cifar.TRAIN_FILES, *cifar.TEST_FILES):
        labels = rng.integers(0, 10, per_file)
        images = rng.integers(0, 60, (per_file, 3, 32, 32), dtype=np.uint8)
        for i, k in enumerate(labels):
            images[i, :, 3 * k : 3 * k + 3, :] = 250
        cifar.write_cifar_file(root / name, images, labels)
    return root


# ------------------------------------------------------------------ loader


def test_record_layout_label_then_red_green_blue_planes(tmp_path):
    record = np.zeros(3073, dtype=np.uint8)
    record[0] = 7
    record[1 : 1 + 1024] = 10  # red plane
    record[1 + 1024 : 1 + 2048] = 20  # green plane
    record[1 + 2048 :] = np.arange(1024) % 256  # blue plane, row-major
    path = tmp_path / "test_batch.bin"
    path.write_bytes(np.concatenate([record, record]).tobytes())
    split = cifar.read_cifar_file(path)
    assert split.images.shape == (2, 3, 32, 32) and split.images.dtype == np.uint8
    assert split.labels.tolist() == [7, 7]
    assert (split.images[:, 0] == 10).all() and (split.images[:, 1] == 20).all()
    assert split.images[0, 2, 1, 0] == 32 and split.images[0, 2, 0, 5] == 5


def test_write_then_load_both_splits(tmp_path):
    _synthetic(tmp_path, per_file=6)
    train = cifar.load_cifar10("train", tmp_path)
    test = cifar.load_cifar10("test", tmp_path, limit=4)
    assert len(train) == 30 and len(test) == 4
    first = cifar.read_cifar_file(tmp_path / "data_batch_1.bin")
    np.testing.assert_array_equal(train.images[:6], first.images)
    np.testing.assert_array_equal(train.labels[:6], first.labels)


def test_subdirectory_and_environment(tmp_path, monkeypatch):
    _synthetic(tmp_path / cifar.SUBDIR, per_file=2)
    assert cifar.default_cifar_dir(tmp_path) == tmp_path / cifar.SUBDIR
    monkeypatch.setenv("CIFAR10_DIR", str(tmp_path))
    assert len(cifar.load_cifar10("test")) == 2


def test_missing_files_name_directory_and_files(tmp_path):
    cifar.write_cifar_file(
        tmp_path / "data_batch_1.bin", np.zeros((1, 3, 32, 32), np.uint8), np.zeros(1)
    )
    with pytest.raises(DataError) as err:
        cifar.load_cifar10("train", tmp_path)
    message = str(err.value)
    assert "\n" not in message and str(tmp_path) in message
    assert "missing data_batch_2.bin, data_batch_3.bin" in message and "binary" in message


def test_malformed_files_are_named(tmp_path):
    truncated = tmp_path / "test_batch.bin"
    truncated.write_bytes(bytes(3073 * 2 + 100))
    with pytest.raises(DataError, match=r"test_batch.bin: 6246 bytes is not a whole number"):
        cifar.read_cifar_file(truncated)
    bad_label = tmp_path / "bad.bin"
    data = bytearray(3073 * 3)
    data[3073 * 2] = 12
    bad_label.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"bad.bin: record 2 has label 12, outside 0..9"):
        cifar.read_cifar_file(bad_label)
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match="empty.bin: empty file"):
        cifar.read_cifar_file(empty)
    with pytest.raises(DataError, match="nothere.bin: cannot read"):
        cifar.read_cifar_file(tmp_path / "nothere.bin")


def test_write_rejects_bad_arrays(tmp_path):
    with pytest.raises(ValueError, match="uint8 \\(N, 3, 32, 32\\)"):
        cifar.write_cifar_file(tmp_path / "x.bin", np.zeros((1, 32, 32, 3), np.uint8), [0])
    with pytest.raises(ValueError, match="integers in 0..9"):
        cifar.write_cifar_file(tmp_path / "x.bin", np.zeros((1, 3, 32, 32), np.uint8), [10])


# ------------------------------------------------------------------ augmentation and recipe


def test_augment_is_a_window_of_the_padded_image_maybe_mirrored():
    gen = torch.Generator().manual_seed(0)
    images = torch.randint(1, 256, (64, 3, 32, 32), dtype=torch.uint8, generator=gen)
    out = cifar.augment(images, torch.Generator().manual_seed(1))
    assert out.shape == images.shape and out.dtype == torch.uint8
    padded = torch.nn.functional.pad(images, (4, 4, 4, 4))
    flips = 0
    for img, pad, got in zip(images, padded, out, strict=True):
        found = [
            (dy, dx, f)
            for dy in range(9)
            for dx in range(9)
            for f in (False, True)
            if torch.equal(
                got, (lambda w: w.flip(-1) if f else w)(pad[:, dy : dy + 32, dx : dx + 32])
            )
        ]
        assert found, "output is not a (mirrored) window of the padded image"
        flips += found[0][2]
        assert img.sum() > 0
    assert 16 < flips < 48  # about half mirrored
    # Deterministic for a seeded generator; different for another seed.
    again = cifar.augment(images, torch.Generator().manual_seed(1))
    assert torch.equal(out, again)
    assert not torch.equal(out, cifar.augment(images, torch.Generator().manual_seed(2)))


def test_normalisation():
    x = torch.full((1, 3, 2, 2), 255, dtype=torch.uint8)
    y = cifar.normalize_cifar(x)
    expected = [(1 - m) / s for m, s in zip(cifar.CIFAR_MEAN, cifar.CIFAR_STD, strict=True)]
    torch.testing.assert_close(y[0, :, 0, 0], torch.tensor(expected))


def test_learning_rate_schedule_matches_multisteplr():
    config = cifar.CifarTrainConfig()
    assert (config.lr, config.momentum, config.weight_decay) == (0.1, 0.9, 1e-4)
    assert (config.batch_size, config.epochs) == (128, 200)
    got = [config.lr_at(e) for e in range(config.epochs)]
    model = torch.nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[82, 122, 163], gamma=0.1)
    expected = []
    for _ in range(config.epochs):
        expected.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert got[81] == 0.1 and got[82] == pytest.approx(0.01) and got[199] == pytest.approx(1e-4)


def test_weight_decay_spares_biases():
    from lst.registry import build_model

    model = build_model("resnet20-1c-dct")
    decay, no_decay = cifar._parameter_groups(model, 1e-4)
    names = {id(p): n for n, p in model.named_parameters()}
    assert all(names[id(p)].endswith("bias") for p in no_decay["params"])
    assert {names[id(p)].rsplit(".", 1)[-1] for p in decay["params"]} >= {
        "weight",
        "filters",
        "threshold",
        "channel_mix",
    }
    assert len(decay["params"]) + len(no_decay["params"]) == len(list(model.parameters()))


def test_config_round_trip_and_errors():
    c = cifar.CifarTrainConfig(model="resnet20-3c-ht", epochs=3, milestones=[1, 2])
    assert cifar.CifarTrainConfig.from_json(c.to_json()) == c
    with pytest.raises(ValueError, match="milestones must be increasing"):
        cifar.CifarTrainConfig(milestones=(5, 3))
    with pytest.raises(ValueError, match="epochs must be at least 1"):
        cifar.CifarTrainConfig(epochs=0)


# ------------------------------------------------------------------ training loop


def test_train_one_epoch_writes_checkpoint_and_log(tmp_path):
    data = _synthetic(tmp_path / "data", per_file=8)
    out = tmp_path / "m.safetensors"
    config = cifar.CifarTrainConfig(model="resnet20-1c-dct", epochs=2, batch_size=16)
    summary = cifar.train_cifar(config, data_dir=data, out=out, progress=False)
    assert summary["n_train"] == 40 and summary["n_test"] == 8 and summary["epochs"] == 2
    assert summary["params"] == 151_514 and summary["checkpoint_rule"] == "last epoch"
    log = (tmp_path / "m.log.csv").read_text().splitlines()
    assert log[0].split(",") == [
        "epoch",
        "loss",
        "train_accuracy",
        "test_accuracy",
        "lr",
        "seconds",
    ]
    assert len(log) == 3
    from lst.checkpoint import load_checkpoint

    tensors, meta = load_checkpoint(out)
    assert meta["model"] == "resnet20-1c-dct" and meta["recipe"]["lr"] == 0.1
    assert "layer1.0.conv2.filters" in tensors and "layer1.0.bn1.running_mean" in tensors
    r = cifar.evaluate_cifar("resnet20-1c-dct", out, data_dir=data)
    assert r["n"] == 8 and r["accuracy"] == pytest.approx(summary["test_accuracy"])


@pytest.mark.slow
def test_training_learns_a_learnable_synthetic_set(tmp_path):
    data = _synthetic(tmp_path / "data", per_file=20, seed=1)
    config = cifar.CifarTrainConfig(
        model="resnet20-1c-ht", epochs=4, batch_size=20, lr=0.05, milestones=()
    )
    summary = cifar.train_cifar(
        config, data_dir=data, out=tmp_path / "m.safetensors", progress=False
    )
    rows = (tmp_path / "m.log.csv").read_text().splitlines()[1:]
    losses = [float(r.split(",")[1]) for r in rows]
    assert losses[-1] < losses[0]
    assert summary["final_train_accuracy"] > 20  # chance is 10 %


def test_train_rejects_non_cifar_models(tmp_path):
    with pytest.raises(ValueError, match="model dct1 is a mnist model, not a CIFAR-10 one"):
        cifar.train_cifar(cifar.CifarTrainConfig(model="dct1"), data_dir=tmp_path)


# ------------------------------------------------------------------ command line


@pytest.fixture
def cli(monkeypatch):
    from lst import cli as lst_cli
    from lst.transform import cli as tdcli

    monkeypatch.setattr(lst_cli, "_EXTENSIONS", [tdcli.register])
    return lst_cli.main


def test_cli_synthetic_train_evaluate(cli, tmp_path, capsys):
    data = tmp_path / "data"
    assert cli(["cifar-synthetic", "--out", str(data), "--per-file", "4", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["records_per_file"] == 4
    out = tmp_path / "r.safetensors"
    args = ["--data-dir", str(data), "--json"]
    assert cli(["cifar-train", "--model", "resnet20", "--epochs", "1", "--no-progress",
                "--out", str(out), *args]) == 0  # fmt: skip
    summary = json.loads(capsys.readouterr().out)
    assert summary["n_train"] == 20 and summary["params"] == 272_474
    assert cli(["cifar-evaluate", "--model", "resnet20", "--checkpoint", str(out), *args]) == 0
    assert json.loads(capsys.readouterr().out)["n"] == 4


def test_cli_errors_are_one_line(cli, tmp_path, capsys):
    assert cli(["cifar-train", "--data-dir", str(tmp_path / "none"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "CIFAR-10 not found" in err[0]
    assert cli(["cifar-train", "--model", "lst1", "--data-dir", str(tmp_path)]) == 2
    assert "lst1 is a mnist model" in capsys.readouterr().err


def test_cli_bench(cli, capsys):
    assert cli(["td-bench", "--sizes", "4", "--images", "2", "--repeats", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["rows"]) == 6 and out["default"]["dct"] in ("matrix", "fft")
