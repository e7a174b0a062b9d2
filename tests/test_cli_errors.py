"""The error boundary: every bad input is one line on stderr and exit 2, nothing on stdout
with --json, no partial output and no traceback; saturation is refused by default."""

from __future__ import annotations

import gzip
import json
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import idx_bytes
from qhelpers import random_tensors

from lst.checkpoint import save_checkpoint
from lst.cli import main
from lst.data import DataError, read_idx

REPO = Path(__file__).resolve().parent.parent


def run_cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "lst", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
    )


def one_line_error(r, *needles):
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("lst: error: ") and "Traceback" not in r.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def run_main(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def ckpt(tmp_path):
    path = tmp_path / "models" / "lst1.safetensors"
    save_checkpoint(path, random_tensors(), {"model": "lst1"})
    return path


# ---------------------------------------------------------------- 1: no data loss


def test_quantize_refuses_the_checkpoints_folder_and_files(ckpt, tmp_path, capsys):
    (ckpt.parent / "notes.txt").write_text("mine")
    before = sorted(p.name for p in ckpt.parent.iterdir())
    for out in (ckpt.parent, tmp_path, ckpt.parent / ".."):
        code, stdout, err = run_main(
            capsys, "quantize", "--checkpoint", ckpt, "--out", out, "--force", "--json"
        )
        assert code == 2 and stdout == "" and "holds the input" in err
    (tmp_path / "afile").write_text("precious")
    code, _, err = run_main(capsys, "quantize", "--checkpoint", ckpt, "--out", tmp_path / "afile")
    assert code == 2 and "not a directory" in err
    assert (tmp_path / "afile").read_text() == "precious"
    assert sorted(p.name for p in ckpt.parent.iterdir()) == before
    assert not [p for p in tmp_path.rglob("*") if ".lst-tmp-" in p.name]


def test_quantize_replaces_only_its_own_output(ckpt, tmp_path, capsys):
    out = tmp_path / "q"
    for _ in range(2):
        assert run_main(capsys, "quantize", "--checkpoint", ckpt, "--out", out)[0] == 0
    (out / "my-notes.txt").write_text("keep me")
    code, _, err = run_main(capsys, "quantize", "--checkpoint", ckpt, "--out", out)
    assert code == 2 and "my-notes.txt" in err and "--force" in err
    assert run_main(capsys, "quantize", "--checkpoint", ckpt, "--out", out, "--force")[0] == 0
    assert (out / "my-notes.txt").read_text() == "keep me" and (out / "manifest.json").exists()


def test_verilog_refuses_a_directory_of_other_outputs(tmp_path, capsys):
    build = tmp_path / "build"
    (build / "quant").mkdir(parents=True)
    (build / "quant" / "manifest.json").write_text("{}")
    code, _, err = run_main(capsys, "verilog", "--lanes", "1", "--out", build)
    assert code == 2 and "manifest.json" in err
    assert sorted(p.name for p in build.rglob("*")) == ["manifest.json", "quant"]


def test_plots_refuse_directories_and_foreign_files(tmp_path, capsys):
    (tmp_path / "d.png").mkdir()
    code, _, err = run_main(capsys, "embeddings", "--out", tmp_path / "d.png")
    assert code == 2 and "is a directory" in err
    (tmp_path / "x.png").write_text("someone's picture")
    code, _, err = run_main(capsys, "embeddings", "--out", tmp_path / "x.png")
    assert code == 2 and "not written by 'lst embeddings'" in err
    code, _, err = run_main(
        capsys, "evaluate", "--model", "lst1", "--confusion", tmp_path / "c.txt"
    )
    assert code == 2 and "must end in one of .png" in err
    assert (tmp_path / "x.png").read_text() == "someone's picture"


def test_train_refuses_outputs_before_training(tmp_path, fake_mnist, capsys):
    args = ["train", "--epochs", "1", "--data-dir", fake_mnist, "--no-progress"]
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    (tmp_path / "dir.safetensors").mkdir()
    code, _, err = run_main(capsys, *args, "--out", tmp_path / "dir.safetensors")
    assert code == 2 and "is a directory" in err
    code, _, err = run_main(capsys, *args, "--out", tmp_path)
    assert code == 2 and "is a directory" in err
    shipped = tmp_path / "shipped.safetensors"
    shipped.write_bytes(b"a shipped checkpoint")
    code, _, err = run_main(capsys, *args, "--out", shipped)
    assert code == 2 and "not written by 'lst train'" in err and "--force" in err
    assert shipped.read_bytes() == b"a shipped checkpoint"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.safetensors", "shipped.safetensors"]


def test_train_writes_atomically_and_a_failed_run_leaves_nothing(
    tmp_path, fake_mnist, monkeypatch, one_torch_thread
):
    import lst.train as train_mod
    from lst.train import TrainConfig, train

    config = TrainConfig(epochs=2, batch_size=32, threads=1)
    out = tmp_path / "run" / "m.safetensors"
    summary = train(config, data_dir=fake_mnist, out=out, progress=False)
    assert Path(summary["checkpoint"]).exists() and Path(summary["log"]).exists()
    assert len((tmp_path / "run" / "m.log.csv").read_text().splitlines()) == 3
    before = {p.name: p.read_bytes() for p in (tmp_path / "run").iterdir()}

    calls = []
    real = train_mod.run_epoch

    def second_epoch_fails(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(train_mod, "run_epoch", second_epoch_fails)
    with pytest.raises(KeyboardInterrupt):
        train(config, data_dir=fake_mnist, out=out, progress=False)
    assert {p.name: p.read_bytes() for p in (tmp_path / "run").iterdir()} == before

    monkeypatch.setattr(train_mod, "run_epoch", lambda *a, **k: (float("nan"), 0.0))
    with pytest.raises(train_mod.LSTError, match="diverged"):
        train(config, data_dir=fake_mnist, out=tmp_path / "nan" / "m.safetensors", progress=False)
    assert not (tmp_path / "nan").exists() or list((tmp_path / "nan").iterdir()) == []


# ---------------------------------------------------------------- 2: no wrong hardware


def test_saturation_refused_by_every_quantizing_command(tmp_path, capsys):
    t = random_tensors()
    t = {k: v * 1000 for k, v in t.items()}
    path = tmp_path / "big.safetensors"
    save_checkpoint(path, t, {"model": "lst1"})
    for cmd in (
        ["quantize", "--out", tmp_path / "q"],
        ["verilog", "--lanes", "1", "--out", tmp_path / "v"],
        ["verify", "--lanes", "1", "--limit", "1"],
        ["accuracy", "--model", "lst1"],
    ):
        code, out, err = run_main(capsys, *cmd, "--checkpoint", path, "--json")
        assert code == 2 and out == "", cmd
        assert "saturate" in err and "--allow-saturation" in err, cmd
    assert not (tmp_path / "q").exists() and not (tmp_path / "v").exists()


def test_allowed_saturation_is_recorded(tmp_path, capsys):
    t = random_tensors()
    t["out.weight"][0, :3] = [100.0, -100.0, 1e-6]
    path = tmp_path / "sat.safetensors"
    save_checkpoint(path, t, {"model": "lst1"})
    code, out, err = run_main(
        capsys, "quantize", "--checkpoint", path, "--out", tmp_path / "q", "--allow-saturation",
        "--json",
    )  # fmt: skip
    assert code == 0 and "2 saturated" in err
    obj = json.loads(out)
    assert obj["saturated"] == 2 and obj["saturated_by_tensor"] == {"out.weight": 2}
    assert obj["rounded_to_zero"] >= 1 and obj["rounded_to_zero_by_tensor"]["out.weight"] >= 1
    manifest = json.loads((tmp_path / "q" / "manifest.json").read_text())
    assert manifest["saturated_total"] == 2 and manifest["rounded_to_zero_total"] >= 1


@pytest.mark.parametrize("dtype", [np.int32, np.bool_])
def test_integer_and_boolean_tensors_refused(tmp_path, capsys, dtype):
    t = random_tensors()
    t["out.bias"] = np.ones(10, dtype=dtype)
    path = tmp_path / "int.safetensors"
    from safetensors.numpy import save_file

    save_file(
        {k: v if v.dtype == dtype else v.astype(np.float32) for k, v in t.items()},
        str(path),
        metadata={"lst": json.dumps({"model": "lst1"})},
    )  # fmt: skip
    code, _, err = run_main(capsys, "quantize", "--checkpoint", path, "--out", tmp_path / "q")
    assert code == 2 and "out.bias" in err and "not floating point" in err


# ---------------------------------------------------------------- 3: one error boundary


def _safetensors_bytes(header: dict, payload: bytes) -> bytes:
    blob = json.dumps(header).encode()
    return struct.pack("<Q", len(blob)) + blob + payload


@pytest.mark.parametrize(
    ("blob", "needle"),
    [
        (
            _safetensors_bytes(
                {"x": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}}, b"\0\0"
            ),
            "not a readable safetensors file",
        ),
        (
            _safetensors_bytes(
                {
                    "__metadata__": {"lst": "[1, 2]"},
                    "x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                },
                b"\0" * 4,
            ),
            "metadata is a JSON list",
        ),
        (
            _safetensors_bytes(
                {
                    "__metadata__": {"lst": json.dumps({"model": 7})},
                    "x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                },
                b"\0" * 4,
            ),
            "metadata field 'model' has the wrong type",
        ),
    ],
    ids=["bfloat16", "metadata-list", "metadata-wrong-type"],
)
def test_malformed_checkpoints_one_line(tmp_path, blob, needle):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(blob)
    for args in (["info", path], ["quantize", "--checkpoint", path, "--out", tmp_path / "q"]):
        one_line_error(run_cli(*args, "--json"), needle, "bad.safetensors")
    assert not (tmp_path / "q").exists()


def test_os_errors_one_line(tmp_path):
    r = run_cli(
        "quantize", "--checkpoint", REPO / "models/lst1.safetensors", "--out", "/proc/version/q"
    )
    one_line_error(r, "/proc/version")


def test_warnings_do_not_follow_the_error(tmp_path):
    # A format the contract refuses: the core is never built, and nothing follows the line.
    r = run_cli("verilog", "--format", "q30.2", "--out", tmp_path / "v")
    one_line_error(r, "q30.2", "supports 2 to 18")


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["train", "--threads", "0"], "--threads"),
        (["train", "--lr", "nan"], "--lr"),
        (["train", "--lr", "-1e-3"], "--lr"),
        (["train", "--batch-size", "0"], "--batch-size"),
        (["train", "--epochs", "0"], "--epochs"),
        (["train", "--test-limit", "0"], "--test-limit"),
        (["train", "--dropout", "1.5"], "--dropout"),
        (["verify", "--limit", "0"], "--limit"),
        (["verify", "--stall", "1"], "--stall"),
        (["verify", "--gap", "inf"], "--gap"),
        (["accuracy", "--sweep", "--widths", "3-40"], "--widths"),
        (["report", "--lanes-list", "3"], "--lanes-list"),
        (["embeddings", "--index", "-1"], "--index"),
    ],
)
def test_numeric_options_validated_where_parsed(capsys, args, option):
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}" in err and "Traceback" not in err


def test_idx_header_overflow_and_length_refused(tmp_path):
    huge = bytes([0, 0, 8, 3]) + b"".join(int(d).to_bytes(4, "big") for d in (2**31, 2**31, 4))
    (tmp_path / "huge").write_bytes(huge)
    (tmp_path / "huge.gz").write_bytes(gzip.compress(huge))
    for name in ("huge", "huge.gz"):
        with pytest.raises(DataError, match="more than"):
            read_idx(tmp_path / name)
    # A small header with a gzip stream that inflates far beyond it is cut off.
    bomb = idx_bytes(np.zeros((2, 28, 28), np.uint8)) + bytes(50_000_000)
    (tmp_path / "bomb.gz").write_bytes(gzip.compress(bomb))
    with pytest.raises(DataError, match="trailing data"):
        read_idx(tmp_path / "bomb.gz")
    good = gzip.compress(idx_bytes(np.zeros((2, 28, 28), np.uint8)))
    (tmp_path / "corrupt.gz").write_bytes(good[:20] + b"\xff" * 16 + good[36:])
    with pytest.raises(DataError, match="corrupt"):
        read_idx(tmp_path / "corrupt.gz")


def test_data_verify_json_failure_prints_nothing_on_stdout(tmp_path, fake_mnist):
    r = run_cli("data", "verify", "--data-dir", fake_mnist, "--json")
    one_line_error(r, "incomplete or corrupt")
    assert r.stdout == ""


def test_nan_never_reaches_json():
    from lst.cliutil import dumps

    with pytest.raises(ValueError, match="non-finite"):
        dumps({"accuracy": float("nan")})


def test_nan_never_reaches_checkpoint_metadata(tmp_path):
    from lst.checkpoint import CheckpointError

    path = tmp_path / "m.safetensors"
    with pytest.raises(CheckpointError, match=r"non-finite values \['test_accuracy'\]"):
        save_checkpoint(path, random_tensors(), {"model": "lst1", "test_accuracy": float("nan")})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", ["auto", "auto1", "autox"])
def test_auto_format_needs_a_width(ckpt, tmp_path, capsys, fmt):
    """``--format auto`` without a width (a traceback before): one line naming --format."""
    for args in (
        ["accuracy", "--model", "lst1", "--checkpoint", ckpt, "--format", fmt],
        ["quantize", "--checkpoint", ckpt, "--format", fmt, "--out", tmp_path / "q"],
    ):
        code, _out, err = run_main(capsys, *args)
        lines = err.strip().splitlines()
        assert code == 2 and len(lines) == 1, err
        assert lines[0].startswith(f"lst: error: --format '{fmt}': auto needs a width"), lines
    assert not (tmp_path / "q").exists()
