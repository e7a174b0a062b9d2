"""sim.build_cache: the simulator build cache keeps the most recently used configurations."""

from __future__ import annotations

import os
import time

import pytest

from lst.errors import ConfigError
from sim import build_cache
from sim.build_cache import STAMP, config_dir, evict, keep_from_env


def _use(root, name, age_s):
    """A stamped cache directory last used ``age_s`` seconds ago, with a build inside."""
    path = config_dir(root, name, keep=100)
    (path / "verilator").mkdir()
    (path / "verilator" / "Vtop").write_bytes(b"x" * 1000)
    t = time.time() - age_s
    os.utime(path / STAMP, (t, t))
    return path


def test_keeps_the_most_recently_used_and_evicts_the_rest(tmp_path):
    hours = {"a": 5, "b": 4, "c": 3, "d": 2, "e": 1}
    for name, h in hours.items():
        _use(tmp_path, name, h * 3600)
    removed = evict(tmp_path, keep=2)
    assert sorted(p.name for p in removed) == ["a", "b", "c"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d", "e"]
    assert (tmp_path / "e" / "verilator" / "Vtop").exists()


def test_using_a_directory_makes_it_recent_and_evicts_the_oldest(tmp_path):
    for name, h in {"a": 3, "b": 2, "c": 1}.items():
        _use(tmp_path, name, h * 3600)
    # Using "a" again, with room for two: "a" becomes the most recent, "b" the oldest.
    path = config_dir(tmp_path, "a", keep=2)
    assert path == tmp_path / "a" and (path / "verilator" / "Vtop").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "c"]
    # A new configuration: "c" (now the oldest) goes, the new one stays.
    config_dir(tmp_path, "new", keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "new"]


def test_never_evicts_unstamped_recent_or_protected_directories(tmp_path):
    (tmp_path / "not_ours").mkdir()
    (tmp_path / "not_ours" / "file").write_text("keep me")
    (tmp_path / "loose_file").write_text("keep me")
    old = _use(tmp_path, "old", 3 * 3600)
    busy = _use(tmp_path, "busy", 60)  # used a minute ago: maybe still building
    _use(tmp_path, "newest", 0)
    removed = evict(tmp_path, keep=1, protect=old)
    assert removed == []
    assert {p.name for p in tmp_path.iterdir()} == {
        "not_ours",
        "loose_file",
        "old",
        "busy",
        "newest",
    }
    assert evict(tmp_path, keep=1, now=time.time() + 3600) == [busy, old]
    assert {p.name for p in tmp_path.iterdir()} == {"not_ours", "loose_file", "newest"}


def test_the_runner_stamps_the_configuration_directory(tmp_path, monkeypatch):
    """sim.runner._hdl (used by the cocotb runner and the Verilator harness) goes through
    the cache: generating a configuration's Verilog stamps its directory."""
    from hw.plan.config import CoreConfig
    from sim import runner

    calls = []
    monkeypatch.setattr(runner, "generate_cached", lambda cfg, out, **_: calls.append(out) or out)
    cfg = CoreConfig(lanes=28)
    hdl = runner._hdl(cfg, tmp_path)
    assert hdl == tmp_path / cfg.name / "hdl" and calls == [hdl]
    assert (tmp_path / cfg.name / STAMP).is_file()


def test_keep_from_env(monkeypatch):
    monkeypatch.delenv("LST_SIM_BUILD_KEEP", raising=False)
    assert keep_from_env() == 4
    monkeypatch.setenv("LST_SIM_BUILD_KEEP", "7")
    assert keep_from_env() == 7
    for bad in ("0", "-1", "many"):
        monkeypatch.setenv("LST_SIM_BUILD_KEEP", bad)
        with pytest.raises(ConfigError, match="LST_SIM_BUILD_KEEP must be an integer >= 1"):
            keep_from_env()


def test_build_lock_excludes_other_processes(tmp_path):
    """While one process builds in a configuration's directory, another cannot."""
    import subprocess
    import sys

    probe = (
        "import fcntl, sys\n"
        "f = open(sys.argv[1], 'w')\n"
        "try:\n"
        "    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
        "except BlockingIOError:\n"
        "    sys.exit(3)\n"
    )
    lock = tmp_path / "cfg" / ".lock"
    with build_cache.build_lock(tmp_path / "cfg"):
        held = subprocess.run([sys.executable, "-c", probe, str(lock)])
    free = subprocess.run([sys.executable, "-c", probe, str(lock)])
    assert (held.returncode, free.returncode) == (3, 0)
