"""A replacement reaches everything that references the replaced resource: mock ids follow the inputs
that force replacement, as real ids do, so the offline diff does not understate the blast radius."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from mlopsctl.diff import diff_plans, parse_plan
from mlopsctl.engine import run_stack
from mlopsctl.plan import build_plan

ROOT = Path(__file__).resolve().parents[2]


def _plan(project: Path) -> object:
    return parse_plan(build_plan(run_stack(project, "dev")), "dev")


def test_a_vpc_cidr_change_replaces_its_dependents_and_leaves_the_rest_alone(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "stacks", project / "stacks")
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, project / name)
    os.symlink(ROOT / "components", project / "components")
    os.symlink(ROOT / "certs", project / "certs")  # mlops:access.clients.caBundle
    base = _plan(project)
    stack_file = project / "stacks" / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text().replace("cidr: 10.40.0.0/16", "cidr: 10.41.0.0/16"))
    diff = diff_plans(base, _plan(project))  # type: ignore[arg-type]
    replaced = {c.name for c in diff.changes if c.kind.value == "replace"}
    # The VPC, its subnets, and what references the VPC id (security groups, endpoints, subnet groups).
    assert {"network-vpc", "network-endpoints-sg"} <= replaced
    assert any(name.startswith("network-private-") for name in replaced)
    assert len(replaced) > 20
    # Resources that reference nothing of the network keep their ids, so they are unchanged.
    changed = {c.name for c in diff.changes}
    assert {"lake-raw-bucket", "lake-key"} & changed == set()
    assert {"lake-raw-bucket", "lake-key"} <= {r.name for r in base.resources.values()}  # type: ignore[attr-defined]
    assert diff.unchanged > 150
