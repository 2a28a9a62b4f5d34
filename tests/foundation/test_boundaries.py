"""The tool never imports the program: what both share lives in contracts/, which imports neither."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imported_roots(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # Imports for annotations only (`if TYPE_CHECKING:`) are not runtime dependencies.
        typing_only = {
            id(inner)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING"
            for inner in ast.walk(node)
        }
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


def test_the_tool_imports_no_component() -> None:
    assert "components" not in _imported_roots("mlopsctl")


def test_contracts_import_neither_side_nor_the_sdks() -> None:
    roots = _imported_roots("contracts")
    assert not {"components", "mlopsctl", "policies", "pulumi", "pulumi_aws", "pulumi_kubernetes"} & set(roots), roots


def test_tag_keys_are_spelled_once() -> None:
    spelled = [
        str(path.relative_to(ROOT))
        for package in ("components", "mlopsctl", "policies")
        for path in (ROOT / package).rglob("*.py")
        if '"mlops:expires-at"' in path.read_text(encoding="utf-8")
    ]
    assert spelled == []
