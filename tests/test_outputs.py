"""lst.outputs: output directories and files never destroy what lst did not write."""

from __future__ import annotations

import json
import os

import pytest

from lst.errors import OutputError
from lst.outputs import REGISTRY, check_dir, write_dir, write_files, write_into


def fill(files: dict[str, str]):
    def write(tmp):
        for name, text in files.items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / name).write_text(text)

    return write


def hidden_leftovers(directory):
    return [p.name for p in directory.iterdir() if ".lst-tmp-" in p.name or ".lst-old-" in p.name]


def test_new_directory_written_with_registry(tmp_path):
    out = write_dir(tmp_path / "out", kind="k", write=fill({"a.txt": "1", "sub/b.txt": "2"}))
    assert (out / "a.txt").read_text() == "1" and (out / "sub/b.txt").read_text() == "2"
    reg = json.loads((out / REGISTRY).read_text())["files"]
    assert sorted(reg) == ["a.txt", "sub/b.txt"] and {e["kind"] for e in reg.values()} == {"k"}
    assert hidden_leftovers(tmp_path) == []


def test_own_directory_replaced_stale_files_go(tmp_path):
    write_dir(tmp_path / "out", kind="k", write=fill({"a.txt": "1", "old.txt": "x"}))
    write_dir(tmp_path / "out", kind="k", write=fill({"a.txt": "2"}))
    assert (tmp_path / "out/a.txt").read_text() == "2"
    assert not (tmp_path / "out/old.txt").exists()
    assert hidden_leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("prepare", "message"),
    [
        (lambda d: (d / "mine.txt").write_text("keep"), "mine.txt: not written by 'lst k'"),
        (lambda d: (d / "a.txt").write_text("edited"), "a.txt: not written by 'lst k'"),
    ],
    ids=["foreign-file", "modified-own-file"],
)
def test_foreign_or_modified_files_refused_then_kept_with_force(tmp_path, prepare, message):
    out = tmp_path / "out"
    write_dir(out, kind="k", write=fill({"a.txt": "1"}))
    prepare(out)
    before = {p.name: p.read_text() for p in out.iterdir()}
    with pytest.raises(OutputError, match=message):
        write_dir(out, kind="k", write=fill({"a.txt": "2"}))
    assert {p.name: p.read_text() for p in out.iterdir()} == before
    write_dir(out, kind="k", write=fill({"b.txt": "3"}), force=True)
    assert (out / "b.txt").read_text() == "3"
    if (out / "mine.txt").exists():
        assert (out / "mine.txt").read_text() == "keep"
    assert hidden_leftovers(tmp_path) == [] and hidden_leftovers(out) == []


def test_other_kind_refused(tmp_path):
    write_dir(tmp_path / "out", kind="quantize", write=fill({"a": "1"}))
    with pytest.raises(OutputError, match="not written by 'lst verilog'"):
        write_dir(tmp_path / "out", kind="verilog", write=fill({"a": "1"}))


def test_file_never_replaced_by_directory(tmp_path):
    (tmp_path / "f").write_text("precious")
    for force in (False, True):
        with pytest.raises(OutputError, match="f: exists and is not a directory"):
            write_dir(tmp_path / "f", kind="k", write=fill({"a": "1"}), force=force)
    assert (tmp_path / "f").read_text() == "precious"


@pytest.mark.parametrize("force", [False, True])
def test_directory_holding_an_input_refused(tmp_path, force):
    ckpt = tmp_path / "models" / "m.safetensors"
    ckpt.parent.mkdir()
    ckpt.write_text("weights")
    for target in (ckpt.parent, tmp_path, tmp_path / "models" / ".."):
        with pytest.raises(OutputError, match="holds the input"):
            write_dir(target, kind="k", write=fill({"a": "1"}), inputs=[ckpt], force=force)
    assert ckpt.read_text() == "weights" and hidden_leftovers(tmp_path) == []


def test_dot_and_dotdot_resolve_and_leave_nothing(tmp_path, monkeypatch):
    (tmp_path / "x").mkdir()
    (tmp_path / "user.txt").write_text("u")
    monkeypatch.chdir(tmp_path)
    for target in (".", "x/.."):
        with pytest.raises(OutputError, match="user.txt"):
            check_dir(target, kind="k")
        with pytest.raises(OutputError):
            write_dir(target, kind="k", write=fill({"a": "1"}))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["user.txt", "x"]


def test_failure_leaves_nothing(tmp_path):
    def boom(tmp):
        (tmp / "half").write_text("partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_dir(tmp_path / "out", kind="k", write=boom)
    assert list(tmp_path.iterdir()) == []
    write_dir(tmp_path / "out", kind="k", write=fill({"a": "1"}))
    with pytest.raises(KeyboardInterrupt):
        write_dir(tmp_path / "out", kind="k", write=boom)
    assert (tmp_path / "out/a").read_text() == "1" and hidden_leftovers(tmp_path) == []


def test_symlinked_directory_written_through(tmp_path):
    real = tmp_path / "real"
    write_dir(real, kind="k", write=fill({"a": "1"}))
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    write_dir(link, kind="k", write=fill({"a": "2"}))
    assert link.is_symlink() and (real / "a").read_text() == "2"


def test_files_replace_only_their_own(tmp_path):
    target = tmp_path / "plot.png"
    write_files({target: lambda p: p.write_text("v1")}, kind="plot")
    write_files({target: lambda p: p.write_text("v2")}, kind="plot")
    assert target.read_text() == "v2"
    with pytest.raises(OutputError, match="not written by 'lst other'"):
        write_files({target: lambda p: p.write_text("v3")}, kind="other")
    target.write_text("edited by hand")
    with pytest.raises(OutputError, match="changed since"):
        write_files({target: lambda p: p.write_text("v3")}, kind="plot")
    assert target.read_text() == "edited by hand"
    write_files({target: lambda p: p.write_text("v3")}, kind="plot", force=True)
    assert target.read_text() == "v3"


def test_file_refuses_directory_and_input(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(OutputError, match="is a directory"):
        write_files({tmp_path / "d": lambda p: p.write_text("x")}, kind="k", force=True)
    inp = tmp_path / "in.bin"
    inp.write_text("input")
    with pytest.raises(OutputError, match="is the input"):
        write_files({inp: lambda p: p.write_text("x")}, kind="k", inputs=[inp], force=True)
    assert inp.read_text() == "input"


def test_symlinked_file_written_through(tmp_path):
    real = tmp_path / "real.png"
    write_files({real: lambda p: p.write_text("1")}, kind="k")
    link = tmp_path / "link.png"
    link.symlink_to(real)
    write_files({link: lambda p: p.write_text("2")}, kind="k")
    assert link.is_symlink() and real.read_text() == "2"


def test_files_all_or_nothing(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    write_files({a: lambda p: p.write_text("a1"), b: lambda p: p.write_text("b1")}, kind="k")

    def fail(p):
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        write_files({a: lambda p: p.write_text("a2"), b: fail}, kind="k")
    assert a.read_text() == "a1" and b.read_text() == "b1"
    assert sorted(os.listdir(tmp_path)) == [REGISTRY, "a.txt", "b.txt"]


def test_write_into_shared_directory_keeps_others(tmp_path):
    (tmp_path / "hand-written.md").write_text("mine")

    def writer(tmp):
        (tmp / "r.md").write_text("report")
        (tmp / "r.json").write_text("{}")

    write_into(tmp_path, ["r.md", "r.json"], kind="report", write=writer)
    write_into(tmp_path, ["r.md", "r.json"], kind="report", write=writer)
    assert (tmp_path / "hand-written.md").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [
        "hand-written.md",
        "r.json",
        "r.md",
    ]
    assert hidden_leftovers(tmp_path) == []


def test_docs_generated_files_are_registered_unchanged():
    """`make report` and `lst accuracy --sweep` replace docs/ files only while the registry
    says lst wrote them: a hand edit of a generated file would make them refuse."""
    from pathlib import Path

    from lst.outputs import _read_registry, _sha256

    docs = Path(__file__).resolve().parent.parent / "docs"
    registry = _read_registry(docs)
    expected = {
        **{f"performance.{t}": "report" for t in ("md", "png", "json")},
        **{f"accuracy-sweep.{t}": "accuracy-sweep" for t in ("md", "png", "csv", "json")},
        "transform-cores.png": "report",
    }
    assert {k: v["kind"] for k, v in registry.items()} == expected
    for name, entry in registry.items():
        assert _sha256(docs / name) == entry["sha256"], f"docs/{name} changed since lst wrote it"


def test_directory_holding_another_output_names_it(tmp_path):
    write_dir(tmp_path / "build" / "verilog", kind="verilog", write=fill({"a.v": "1"}))
    with pytest.raises(OutputError, match=r"build/verilog: holds the output of 'lst verilog'"):
        write_dir(tmp_path / "build", kind="verilog", write=fill({"a.v": "2"}))
    assert (tmp_path / "build" / "verilog" / "a.v").read_text() == "1"
