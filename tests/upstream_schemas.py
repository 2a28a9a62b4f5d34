"""Where the tests find upstream data (the Airflow chart's values schema): ``$MLOPS_SCHEMA_DIR`` when set, else
the copy committed in ``tests/data/schemas`` (``make schemas`` refreshes it from a URL pinned to an upstream
commit). Every copy is verified against the sha256 pinned in ``tools/schemas.json``. A missing schema skips the
tests that need it with a reason saying how to get it: never fail, never pass silently.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = json.loads((ROOT / "tools" / "schemas.json").read_text(encoding="utf-8"))


def candidate_dirs() -> list[Path]:
    """The directories searched, in order."""
    dirs = [Path(os.environ["MLOPS_SCHEMA_DIR"])] if os.environ.get("MLOPS_SCHEMA_DIR") else []
    return [*dirs, ROOT / "tests" / "data" / "schemas"]


def locate(name: str) -> Path | None:
    """The first copy of ``name`` whose sha256 matches the manifest; a copy that differs is an error."""
    expected = MANIFEST[name]["sha256"]
    for directory in candidate_dirs():
        path = directory / name
        if path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if digest != expected:
                raise AssertionError(f"{path} has sha256 {digest}, tools/schemas.json pins {expected}")
            return path
    return None


@cache
def load(name: str) -> dict[str, Any]:
    """The parsed schema, or a pytest skip that says how to get it."""
    path = locate(name)
    if path is None:
        searched = ", ".join(str(d) for d in candidate_dirs())
        pytest.skip(
            f"upstream schema {name} not found (searched {searched}): run `make schemas` or set MLOPS_SCHEMA_DIR"
        )
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded
