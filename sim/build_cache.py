"""The simulator build cache, ``sim_build/``: one directory per configuration, bounded.

Every configuration builds in its own directory, ``sim_build/<config name>/`` (its
generated Verilog, the Verilator and Icarus builds, the C++ harness). One Verilator
build is up to a few hundred MB, so the cache keeps the ``keep`` most recently used
configurations (``$LST_SIM_BUILD_KEEP``, default :data:`DEFAULT_KEEP`): using a
configuration stamps its directory, and the least recently used ones beyond ``keep``
are deleted. A directory used in the last :data:`GRACE_S` seconds is never deleted
(another process may still be building or running in it), and neither is anything
this module did not stamp. ``make clean`` removes the whole cache.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from pathlib import Path

from lst.errors import ConfigError

__all__ = [
    "DEFAULT_KEEP",
    "GRACE_S",
    "STAMP",
    "build_lock",
    "config_dir",
    "evict",
    "keep_from_env",
]

#: Configurations kept when ``$LST_SIM_BUILD_KEEP`` is not set.
DEFAULT_KEEP = 4
#: Seconds after its last use during which a directory is never evicted.
GRACE_S = 15 * 60
#: The file that marks a cache directory and records its last use (its mtime).
STAMP = ".lst-sim-build"


@contextlib.contextmanager
def build_lock(path: str | os.PathLike):
    """Hold an exclusive lock on the directory ``path`` (created if needed) while
    building in it: parallel test workers (``pytest -n``) that need the same
    configuration wait for each other instead of building into one directory at once.
    Not reentrant: take it once around the whole build."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    with open(path / ".lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield path
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def keep_from_env() -> int:
    """``$LST_SIM_BUILD_KEEP`` (an integer ≥ 1), else :data:`DEFAULT_KEEP`."""
    text = os.environ.get("LST_SIM_BUILD_KEEP", "").strip()
    if not text:
        return DEFAULT_KEEP
    try:
        keep = int(text)
    except ValueError:
        keep = 0
    if keep < 1:
        raise ConfigError(f"LST_SIM_BUILD_KEEP must be an integer >= 1, not {text!r}")
    return keep


def config_dir(root: str | os.PathLike, name: str, *, keep: int | None = None) -> Path:
    """``root/name``, created and stamped as just used; older directories are evicted."""
    root = Path(root)
    path = root / name
    path.mkdir(parents=True, exist_ok=True)
    stamp = path / STAMP
    stamp.touch()
    os.utime(stamp)  # touch() leaves an existing file's time alone on some systems
    evict(root, keep=keep_from_env() if keep is None else keep, protect=path)
    return path


def evict(
    root: str | os.PathLike,
    *,
    keep: int,
    protect: Path | None = None,
    grace_s: float = GRACE_S,
    now: float | None = None,
) -> list[Path]:
    """Delete the stamped directories of ``root`` beyond the ``keep`` most recently used,
    except ``protect`` and those used within ``grace_s`` seconds; return what was deleted."""
    root = Path(root)
    now = time.time() if now is None else now
    used = []
    for path in root.iterdir() if root.is_dir() else ():
        stamp = path / STAMP
        if path.is_dir() and not path.is_symlink() and stamp.is_file():
            used.append((stamp.stat().st_mtime, path.name, path))
    used.sort(reverse=True)
    removed = []
    for mtime, _, path in used[keep:]:
        if path == protect or now - mtime < grace_s:
            continue
        # Renamed first, so that a half-deleted directory is never taken for a build.
        doomed = root / f".evicted-{path.name}-{os.getpid()}"
        try:
            path.rename(doomed)
        except OSError:
            continue  # another process got there first
        shutil.rmtree(doomed, ignore_errors=True)
        removed.append(path)
    return removed
