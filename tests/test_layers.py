"""The packages depend on each other in one direction only:
lst (models, data, the commands' plumbing) <- quant (fixed point, golden model) <- hw (the
core) <- boards (platforms, self-test, the AXI wrapper and driver) <- sim (simulations of
all of them, and ``lst report``, which measures cycles in simulation).

``lst.cli`` finds the other packages' subcommands by name at run time
(``_load_extensions``), so it imports none of them. No package imports another's
private names.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ORDER = ["lst", "quant", "hw", "boards", "sim"]


def imports(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module, [a.name for a in node.names]


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
