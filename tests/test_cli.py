"""The ``lst`` command line: JSON output and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from lst.cli import main


def run_cli(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "lst", *args], capture_output=True, text=True, env=env
    )


def test_models_json(capsys):
    assert main(["models", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    counts = {m["name"]: m["params"] for m in out["models"]}
    assert counts["lst1"] == 9474 and counts["lst2"] == 11098 and counts["reslst3"] == 12722


def test_missing_data_is_one_line(tmp_path):
    from lst.checkpoint import save_checkpoint
    from lst.registry import build_model, state_tensors

    ckpt = tmp_path / "m.safetensors"
    save_checkpoint(ckpt, state_tensors(build_model("lst1")), {"model": "lst1"})
    r = run_cli(
        "evaluate",
        "--model",
        "lst1",
        "--checkpoint",
        str(ckpt),
        "--data-dir",
        str(tmp_path / "nodata"),
        "--json",
    )
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "MNIST not found" in lines[0] and "lst data download" in lines[0]


def test_bad_checkpoint_is_one_line(tmp_path, fake_mnist):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00" * 16)
    r = run_cli(
        "evaluate", "--model", "lst1", "--checkpoint", str(bad), "--data-dir", str(fake_mnist)
    )
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "bad.safetensors" in r.stderr


def test_evaluate_json_and_confusion(mnist, tmp_path, capsys):
    from lst.arch import default_checkpoint

    if not default_checkpoint("lst1").exists():
        pytest.fail("shipped LST-1 checkpoint missing")
    png = tmp_path / "cm.png"
    assert (
        main(
            [
                "evaluate",
                "--model",
                "lst1",
                "--data-dir",
                str(mnist),
                "--json",
                "--confusion",
                str(png),
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert {"model", "params", "accuracy", "n"} <= set(out)
    assert out["n"] == 10_000 and out["params"] == 9474
    assert sum(map(sum, out["confusion_matrix"])) == 10_000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_embeddings_plot(mnist, tmp_path, capsys):
    png = tmp_path / "e.png"
    assert (
        main(
            [
                "embeddings",
                "--model",
                "lst2",
                "--index",
                "3",
                "--out",
                str(png),
                "--data-dir",
                str(mnist),
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["index"] == 3 and out["label"] == 0
    assert png.stat().st_size > 1000


def test_data_verify_json(mnist, capsys):
    assert main(["data", "verify", "--data-dir", str(mnist), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is True


def test_train_json_stdout_only(fake_mnist, tmp_path):
    r = run_cli(
        "train",
        "--model",
        "lst1",
        "--epochs",
        "1",
        "--threads",
        "1",
        "--data-dir",
        str(fake_mnist),
        "--out",
        str(tmp_path / "m.safetensors"),
        "--json",
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["epochs"] == 1 and out["params"] == 9474
    assert "train lst1" in r.stderr  # the progress bar goes to stderr
