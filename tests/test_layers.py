"""The packages depend on each other in one direction only:
lst (models, data, the commands' plumbing) <- quant (fixed point, golden model) <- hw (the
core) <- report (facts about configurations: synthesis, analysis, rendering) <- boards
(platforms, self-test, the AXI wrapper and driver, place and route) <- sim (simulations
of all of them, and ``lst report``, which measures cycles in simulation) <- formal (proofs
of the control around the core).

Inside ``hw`` the rooms are layered too: ``hw.fpga`` (the chips) <- ``hw.plan`` (the
Python-side plan of a core: no Amaranth) <- ``hw.components`` (one Amaranth component
each) <- ``hw``'s own modules (the top, the Verilog, the build request, the command).

``lst.cli`` finds the other packages' subcommands by name at run time
(``_load_extensions``), so it imports none of them. No package imports another's
private names. The project's import graph has no circles, and no module is over 600
lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ORDER = ["lst", "quant", "hw", "report", "boards", "sim", "formal"]
HW_ROOMS = ["hw.fpga", "hw.plan", "hw.components", "hw"]
MAX_LINES = 600


def modules() -> dict[str, Path]:
    """Every module of the project's packages, by dotted name."""
    out = {}
    for package in ORDER:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _type_checking(node) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def import_nodes(tree):
    """Import statements, also inside functions; not those under ``if TYPE_CHECKING:``
    (annotations only: never run)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def imports(path: Path):
    """(absolute module, imported names) per import of ``path``."""
    name = ".".join(path.relative_to(REPO).with_suffix("").parts)
    package = name.split(".")[:-1]
    for node in import_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        else:
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            yield module, [a.name for a in node.names]


def import_graph() -> dict[str, set[str]]:
    """Module -> the project's modules it imports (a name imported from a package counts
    as the submodule when there is one)."""
    known = modules()

    def owner(dotted: str) -> str | None:
        while dotted and dotted not in known:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    graph = {}
    for name, path in known.items():
        deps = set()
        for module, names in imports(path):
            for target in [module, *(f"{module}.{n}" for n in names)]:
                found = owner(target)
                if found and found != name:
                    deps.add(found)
        graph[name] = deps
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


@pytest.mark.parametrize("package", ORDER)
def test_no_import_from_a_higher_layer_or_of_private_names(package):
    above = set(ORDER[ORDER.index(package) + 1 :])
    bad = []
    for path in sorted((REPO / package).rglob("*.py")):
        for module, names in imports(path):
            top = module.split(".")[0]
            if top in above:
                bad.append(f"{path.relative_to(REPO)} imports {module}")
            if top in ORDER and top != package:
                bad += [
                    f"{path.relative_to(REPO)} imports {module}.{n}"
                    for n in names
                    if n.startswith("_") and not n.startswith("__")
                ]
    assert bad == []


def _room(module: str) -> str | None:
    return next((r for r in HW_ROOMS if module == r or module.startswith(r + ".")), None)


def test_hw_rooms_depend_downwards_only():
    bad = []
    for name, deps in import_graph().items():
        room = _room(name)
        if room is None:
            continue
        for dep in deps:
            other = _room(dep)
            if other is not None and HW_ROOMS.index(other) > HW_ROOMS.index(room):
                bad.append(f"{name} ({room}) imports {dep} ({other})")
    assert bad == []


def test_the_plan_and_the_fpga_tables_never_import_amaranth():
    bad = [
        f"{path.relative_to(REPO)} imports {module}"
        for room in ("fpga", "plan")
        for path in sorted((REPO / "hw" / room).rglob("*.py"))
        for module, _ in imports(path)
        if module.split(".")[0] == "amaranth"
    ]
    assert bad == []


def test_components_never_import_the_report_or_the_tools_around_them():
    tools = {"hw.core", "hw.verilog", "hw.request", "hw.cli"}
    bad = [
        f"{name} imports {dep}"
        for name, deps in import_graph().items()
        if name.startswith("hw.components")
        for dep in deps
        if dep in tools or dep.split(".")[0] in ("report", "boards", "sim")
    ]
    assert bad == []


def test_the_import_graph_has_no_circles():
    assert cycles(import_graph()) == []


def test_cycles_finds_a_circle():
    """The check above can fail."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_type_checking_imports_do_not_count(tmp_path):
    src = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from hw.plan import config\n"
        "def f():\n    from hw.plan import schedule\n"
    )
    tree = ast.parse(src)
    names = [n.names[0].name for n in import_nodes(tree) if isinstance(n, ast.ImportFrom)]
    assert "config" not in names and "schedule" in names


def test_no_module_is_over_600_lines():
    long = {
        str(path.relative_to(REPO)): n
        for path in modules().values()
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}
