"""Fetch the upstream schemas the tests validate against into ``tests/data/schemas`` (committed), verified by
sha256: run it after changing a pin in ``tools/schemas.json``, and commit the result.

Usage: python tools/fetch_schemas.py   (``make schemas``). Each entry of ``tools/schemas.json`` names a URL
pinned to a commit and the sha256 of its content; a download whose digest differs is rejected and nothing
is written. Exit 0 when every schema is there, 2 on a network or digest problem.
"""

from __future__ import annotations

import hashlib
import json
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "tools" / "schemas.json"
SCHEMA_DIR = ROOT / "tests" / "data" / "schemas"


def fetch(name: str, url: str, sha256: str) -> str | None:
    """Download one schema into ``SCHEMA_DIR``; return a problem, or None when it is there and verified."""
    target = SCHEMA_DIR / name
    if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == sha256:
        return None
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            body = response.read()
    except OSError as error:
        return f"{name}: cannot download {url}: {error}"
    digest = hashlib.sha256(body).hexdigest()
    if digest != sha256:
        return f"{name}: {url} has sha256 {digest}, expected {sha256} (tools/schemas.json)"
    SCHEMA_DIR.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    partial.write_bytes(body)
    partial.replace(target)
    return None


def main() -> int:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    problems = [p for name, entry in manifest.items() if (p := fetch(name, entry["url"], entry["sha256"]))]
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if not problems:
        print(f"{len(manifest)} schema(s) in {SCHEMA_DIR.relative_to(ROOT)}")
    return 2 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
