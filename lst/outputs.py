"""Writing outputs without ever destroying a user's files.

Every command that writes goes through this module. The rules:

* Each directory ``lst`` writes into holds a registry, ``.lst-outputs.json``, listing
  the files ``lst`` wrote there: their *kind* (which command wrote them, e.g.
  ``"verilog"``) and their sha256.
* An **output directory** (:func:`write_dir`: ``lst verilog --out``, ``lst quantize
  --out``, board build directories) is built under a temporary name beside its target
  and moved into place only when complete. It replaces an existing directory only if
  that directory is empty or holds nothing but unmodified files of the same kind,
  recorded in its registry; anything else is refused with :class:`OutputError`.
* **Output files** (:func:`write_files`: plots, reports, checkpoints) are each written
  to a temporary file in their directory and renamed over the target. An existing file
  is replaced only if the registry records it as this kind's and it is unmodified.
* ``force=True`` lets a directory receive outputs although it holds other files: this
  kind's files are replaced, every other file is kept. It never replaces something that
  is not a regular file (a file where a directory should go, a directory where a file
  should go), and never writes into a directory that holds one of the command's inputs.
* Symbolic links are written through: the rules apply to the file or directory the link
  points to, and the link itself is kept.
* A failure (an exception, Ctrl-C) leaves no temporary file or directory behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from .errors import OutputError

__all__ = [
    "REGISTRY",
    "check_dir",
    "check_files",
    "output_dir",
    "write_dir",
    "write_files",
    "write_into",
]

#: Name of the registry file in every directory ``lst`` writes into.
REGISTRY = ".lst-outputs.json"

PathLike = str | os.PathLike


def _real(path: PathLike) -> Path:
    # Resolves symbolic links and "..": the rules apply to what is really written.
    return Path(os.path.realpath(os.fspath(path)))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _read_registry(directory: Path) -> dict:
    path = directory / REGISTRY
    try:
        data = json.loads(path.read_text())
        files = data["files"]
        if not isinstance(files, dict):
            raise TypeError
        return {str(k): dict(v) for k, v in files.items()}
    except FileNotFoundError:
        return {}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise OutputError(
            f"{path}: not a registry written by lst; remove it or choose another output"
        ) from None


def _registry_text(files: Mapping[str, dict]) -> str:
    return json.dumps({"tool": "lst", "files": dict(sorted(files.items()))}, indent=2) + "\n"


def _check_parent(path: PathLike, target: Path) -> None:
    # The nearest existing ancestor must be a directory we could create the rest under.
    for parent in target.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(f"{path}: {parent} is not a directory")
            return


def _check_inputs(target: Path, inputs: Iterable[PathLike], *, is_dir: bool) -> None:
    for inp in inputs:
        if inp is None or inp == "":
            continue
        real = _real(inp)
        inside = real == target or (is_dir and target in real.parents)
        if inside:
            what = "holds the input" if real != target else "is the input"
            raise OutputError(f"{target}: refusing to write here, it {what} {inp}")


def _owned(directory: Path, kind: str, registry: dict, relpath: str) -> bool:
    entry = registry.get(relpath)
    if not entry or entry.get("kind") != kind:
        return False
    try:
        return _sha256(directory / relpath) == entry.get("sha256")
    except OSError:
        return False


def _dir_contents(directory: Path) -> list[str]:
    return sorted(
        str(p.relative_to(directory))
        for p in directory.rglob("*")
        if not p.is_dir() and p.name != REGISTRY
    )


def check_dir(
    path: PathLike, *, kind: str, inputs: Iterable[PathLike] = (), force: bool = False
) -> Path:
    """Check that :func:`write_dir` may write ``path``; return the real target.

    Call it before long work so that a refusal comes first. Raises
    :class:`~lst.errors.OutputError` naming the path and the reason.
    """
    target = _real(path)
    _check_parent(path, target)
    _check_inputs(target, inputs, is_dir=True)
    if target.exists() and not target.is_dir():
        raise OutputError(f"{path}: exists and is not a directory; refusing to replace it")
    if target.is_dir() and not force:
        for nested in sorted(target.rglob(REGISTRY)):
            if nested.parent != target:
                kinds = sorted({e.get("kind", "?") for e in _read_registry(nested.parent).values()})
                raise OutputError(
                    f"{nested.parent}: holds the output of 'lst {', '.join(kinds)}'; refusing "
                    f"to replace {path} (choose another output)"
                )
        registry = _read_registry(target)
        for rel in _dir_contents(target):
            if not _owned(target, kind, registry, rel):
                raise OutputError(
                    f"{target / rel}: not written by 'lst {kind}' (or changed since); refusing to "
                    f"replace {path} (choose another output or pass --force to keep other files)"
                )
    return target


def write_dir(
    path: PathLike,
    *,
    kind: str,
    write: Callable[[Path], None],
    inputs: Iterable[PathLike] = (),
    force: bool = False,
) -> Path:
    """Build an output directory with ``write(tmp)`` and move it into place atomically.

    Parameters
    ----------
    path : path
        The output directory.
    kind : str
        What writes it (``"verilog"``, ``"quantize"``, ...): only a directory of the same
        kind is replaced.
    write : callable
        Fills the temporary directory it is given.
    inputs : paths
        The command's input files: a directory holding one is never written.
    force : bool
        Write into a directory holding other files, keeping them.

    Returns
    -------
    Path
        The real path of the directory written.
    """
    with output_dir(path, kind=kind, inputs=inputs, force=force) as tmp:
        write(tmp)
    return _real(path)


@contextlib.contextmanager
def output_dir(path: PathLike, *, kind: str, inputs: Iterable[PathLike] = (), force: bool = False):
    """Context manager form of :func:`write_dir`: yields the temporary directory to fill,
    which replaces (or, with ``force``, merges into) ``path`` when the block succeeds."""
    target = check_dir(path, kind=kind, inputs=inputs, force=force)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.lst-tmp-", dir=target.parent))
    old = None
    try:
        tmp.chmod(0o755)  # mkdtemp makes it private; the result is an ordinary folder
        yield tmp
        files = {rel: {"kind": kind, "sha256": _sha256(tmp / rel)} for rel in _dir_contents(tmp)}
        if force and target.is_dir() and any(target.iterdir()):
            _merge(target, tmp, kind, files)
        else:
            (tmp / REGISTRY).write_text(_registry_text(files))
            if target.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{target.name}.lst-old-", dir=target.parent))
                os.rename(target, old / "d")
            os.rename(tmp, target)
    finally:
        for leftover in (tmp, old):
            if leftover is not None and leftover.exists():
                shutil.rmtree(leftover, ignore_errors=True)


def _merge(target: Path, tmp: Path, kind: str, files: dict) -> None:
    # --force: replace this kind's files one by one, keep everything else.
    registry = _read_registry(target)
    for rel, entry in list(registry.items()):
        if entry.get("kind") == kind and rel not in files:
            with contextlib.suppress(FileNotFoundError):
                if _owned(target, kind, registry, rel):
                    (target / rel).unlink()
            del registry[rel]
    for rel in files:
        dst = target / rel
        if dst.is_dir() or (dst.exists() and not dst.is_file()):
            raise OutputError(f"{dst}: is not a regular file; refusing to replace it")
    for rel in files:
        dst = target / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp / rel, dst)
    registry.update(files)
    _write_registry(target, registry)


def _write_registry(directory: Path, registry: dict) -> None:
    fd, name = tempfile.mkstemp(prefix=f".{REGISTRY}.", dir=directory)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(_registry_text(registry))
        os.chmod(name, 0o644)
        os.replace(name, directory / REGISTRY)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
        raise


def check_files(
    paths: Iterable[PathLike], *, kind: str, inputs: Iterable[PathLike] = (), force: bool = False
) -> list[Path]:
    """Check that :func:`write_files` may write ``paths``; return their real paths."""
    out = []
    for path in paths:
        target = _real(path)
        _check_parent(path, target)
        _check_inputs(target, inputs, is_dir=False)
        if target.is_dir():
            raise OutputError(f"{path}: is a directory; give a file name")
        if target.exists() and not target.is_file():
            raise OutputError(f"{path}: exists and is not a regular file; refusing to replace it")
        if target.exists() and not force:
            registry = _read_registry(target.parent)
            if not _owned(target.parent, kind, registry, target.name):
                raise OutputError(
                    f"{path}: exists and was not written by 'lst {kind}' (or changed since); "
                    "refusing to replace it (choose another name or pass --force)"
                )
        out.append(target)
    return out


def write_files(
    writers: Mapping[PathLike, Callable[[Path], None]],
    *,
    kind: str,
    inputs: Iterable[PathLike] = (),
    force: bool = False,
) -> list[Path]:
    """Write each file ``path`` with ``writer(tmp_path)`` and rename it into place.

    All files are written to temporary names first and renamed only when every one is
    complete, so a failure leaves the previous files as they were. Each file's directory
    records it in its registry. Returns the real paths written.
    """
    targets = check_files(list(writers), kind=kind, inputs=inputs, force=force)
    tmps: list[Path] = []
    try:
        for target, writer in zip(targets, writers.values(), strict=True):
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(
                prefix=f".{target.name}.lst-tmp-", suffix=target.suffix, dir=target.parent
            )
            os.close(fd)
            tmps.append(Path(name))
            writer(Path(name))
            os.chmod(name, 0o644)
        for target, tmp in zip(targets, tmps, strict=True):
            registry = _read_registry(target.parent)
            registry[target.name] = {"kind": kind, "sha256": _sha256(tmp)}
            os.replace(tmp, target)
            _write_registry(target.parent, registry)
    finally:
        for tmp in tmps:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
    return targets


def write_into(
    directory: PathLike,
    names: Iterable[str],
    *,
    kind: str,
    write: Callable[[Path], None],
    inputs: Iterable[PathLike] = (),
    force: bool = False,
) -> list[Path]:
    """Write a fixed set of files into a shared ``directory`` (e.g. ``docs/``).

    ``write(tmp)`` writes the files ``names`` into a temporary directory; they are then
    moved into ``directory`` by :func:`write_files`, with its rules. Returns their paths.
    """
    directory = Path(directory)
    names = list(names)
    check_files([directory / n for n in names], kind=kind, inputs=inputs, force=force)
    real = _real(directory)
    real.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".lst-tmp-", dir=real))
    try:
        write(tmp)
        missing = [n for n in names if not (tmp / n).is_file()]
        if missing:
            raise RuntimeError(f"writer did not produce {missing}")  # a bug, not a user error
        return write_files(
            {directory / n: (lambda dst, src=tmp / n: shutil.copyfile(src, dst)) for n in names},
            kind=kind,
            inputs=inputs,
            force=force,
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
