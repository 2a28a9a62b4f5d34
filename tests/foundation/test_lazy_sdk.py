"""The offline engine's lazy SDK packages: the same classes, only loaded when used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mlopsctl.lazy_sdk import _index

ROOT = Path(__file__).resolve().parents[2]


def test_a_generated_package_is_indexed_name_by_name() -> None:
    import pulumi_aws

    index = _index(Path(pulumi_aws.__file__).parent / "ec2" / "__init__.py")
    assert index is not None
    assert index["SecurityGroup"] == "security_group" and index["SecurityGroupArgs"] == "security_group"
    assert index["get_subnet_output"] == "get_subnet"  # functions too
    assert index["outputs"] == ""  # a module of the package


def test_a_hand_written_init_is_not_indexed(tmp_path: Path) -> None:
    init = tmp_path / "__init__.py"
    init.write_text("from .x import *\nSETTING = 1\n")
    (tmp_path / "x.py").write_text("__all__ = ['X']\nX = 1\n")
    assert _index(init) is None


def test_lazy_and_eager_plans_are_identical(tmp_path: Path) -> None:
    outputs = []
    for eager in ("0", "1"):
        out = tmp_path / f"plan-{eager}.json"
        subprocess.run(
            [sys.executable, "-m", "mlopsctl", "plan", "--stack", "dev", "--format", "json", "--out", str(out)],
            cwd=ROOT,
            env={**_env(), "MLOPS_EAGER_SDK": eager},
            check=True,
            capture_output=True,
        )
        outputs.append(out.read_text())
    assert outputs[0] == outputs[1]


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)
