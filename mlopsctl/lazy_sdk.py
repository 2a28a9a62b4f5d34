"""Offline planning imports only the SDK classes a program touches.

Each generated package of the Pulumi SDKs (``pulumi_aws.ec2``, ``pulumi_kubernetes.core.v1``, ...) imports every
one of its modules in its ``__init__``: ``pulumi_aws.ec2`` alone defines some 180 resources and takes a tenth of a
planning run to import, of which the platform uses a dozen. For `mlopsctl` (never for `pulumi up`) such a package
is loaded lazily instead: its ``__init__`` is not run; a module ``__getattr__`` finds a name in the ``__all__`` list
of the module that defines it and imports that module on first use. The classes are the SDK's own, unchanged.

Only a package whose ``__init__`` consists of exactly the generated statements is replaced (anything else is
loaded as usual), so a different SDK layout degrades to eager loading, never to a missing name.
``MLOPS_EAGER_SDK=1`` turns it off.
"""

from __future__ import annotations

import ast
import importlib
import importlib.abc
import importlib.machinery
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

PACKAGES = (re.compile(r"pulumi_aws\.[a-z0-9_]+"), re.compile(r"pulumi_kubernetes\.[a-z0-9_]+\.v[0-9a-z]+"))
"""Generated packages that may load lazily: an AWS service, a Kubernetes API group version."""

_STAR = re.compile(r"from \.(?P<module>\w+) import \*")
_ALLOWED = (
    _STAR,
    re.compile(r"from \. import (outputs|_inputs|_enums)"),
    re.compile(r"from \.{2,3} import _utilities"),
    re.compile(r"import (builtins as _builtins|typing)"),
)
_ALL = re.compile(r"^__all__ = \[(?P<names>[^\]]*)\]", re.M)


def install() -> None:
    """Load the SDKs' generated packages lazily from now on (idempotent; off with ``MLOPS_EAGER_SDK=1``)."""
    if os.environ.get("MLOPS_EAGER_SDK") == "1" or any(isinstance(f, _Finder) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _Finder())


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not any(p.fullmatch(fullname) for p in PACKAGES):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.origin is None or not spec.submodule_search_locations or spec.loader is None:
            return None
        # The index is built when the package is first used: pulumi_aws "imports" all of its ~250 services at
        # start-up, lazily, and most are never touched.
        spec.loader = _LazyPackageLoader(Path(spec.origin), spec.loader)
        return spec


class _LazyPackageLoader(importlib.abc.Loader):
    def __init__(self, init: Path, eager: importlib.abc.Loader) -> None:
        self.init = init
        self.eager = eager
        """The SDK's own loader, for a package whose ``__init__`` is not the generated one."""

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        index, package = _index(self.init), module.__name__
        if index is None:
            self.eager.exec_module(module)
            return
        # Name -> the module defining it ("" for a module of the package, such as ``outputs``).

        def __getattr__(name: str) -> Any:
            where = index.get(name)
            if where is None:
                raise AttributeError(f"module {package!r} has no attribute {name!r}")
            imported = importlib.import_module(f"{package}.{where or name}")
            value = imported if not where else getattr(imported, name)
            setattr(module, name, value)
            return value

        vars(module).update(__getattr__=__getattr__, __all__=sorted(index))


def _index(init: Path) -> dict[str, str] | None:
    """Name -> defining module of a generated package, or None when its ``__init__`` is not the generated one."""
    try:
        tree = ast.parse(init.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None
    modules: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "typing.TYPE_CHECKING":
            continue  # the generated "make subpackages available" block: types only
        text = ast.unparse(node)
        if not any(p.fullmatch(text) for p in _ALLOWED):
            return None
        star = _STAR.fullmatch(text)
        if star:
            modules.append(star["module"])
    index: dict[str, str] = {"outputs": ""}  # "": the name is a module of the package
    for module in modules:
        names = _exported(init.parent / f"{module}.py")
        if names is None:
            return None
        for name in names:
            index[name] = module  # the last star import wins, as in the generated __init__
    return index


def _exported(source: Path) -> list[str] | None:
    """The ``__all__`` of a generated module (read up to it, not parsed whole: ``_inputs`` runs to megabytes)."""
    lines: list[str] = []
    try:
        with source.open(encoding="utf-8") as handle:
            for line in handle:
                if lines or line.startswith("__all__"):
                    lines.append(line)
                    if "]" in line:
                        break
    except OSError:
        return None
    found = _ALL.search("".join(lines))
    if found is None:
        return None
    return [n.strip().strip("'\"") for n in found["names"].split(",") if n.strip()]
