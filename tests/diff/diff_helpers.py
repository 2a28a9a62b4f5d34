"""Builders for mlops-plan/1 documents used by the diff tests (plain dicts, as `mlopsctl plan` writes them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PROJECT = "mlops-platform"
ROOT_TYPE = "pulumi:pulumi:Stack"


def root_urn(stack: str = "dev") -> str:
    return f"urn:pulumi:{stack}::{PROJECT}::{ROOT_TYPE}::{PROJECT}-{stack}"


def urn(type_: str, name: str, parent: str | None = None, stack: str = "dev") -> str:
    """URN of a resource; the parent's type chain is prefixed as Pulumi does (root stack excluded)."""
    chain = [type_]
    if parent is not None and not parent.split("::")[2].endswith(ROOT_TYPE):
        chain = [*parent.split("::")[2].split("$"), type_]
    return f"urn:pulumi:{stack}::{PROJECT}::{'$'.join(chain)}::{name}"


def resource(
    type_: str,
    name: str,
    inputs: dict[str, Any] | None = None,
    parent: str | None = None,
    custom: bool = True,
    dependencies: list[str] | None = None,
    protect: bool = False,
    stack: str = "dev",
) -> dict[str, Any]:
    parent = parent or root_urn(stack)
    return {
        "urn": urn(type_, name, parent, stack),
        "type": type_,
        "name": name,
        "parent": parent,
        "custom": custom,
        "provider": None,
        "dependencies": dependencies or [],
        "propertyDependencies": {},
        "protect": protect,
        "inputs": inputs or {},
    }


def component(type_: str, name: str, parent: str | None = None, stack: str = "dev") -> dict[str, Any]:
    return resource(type_, name, parent=parent, custom=False, stack=stack)


def plan(
    resources: list[dict[str, Any]],
    stack: str = "dev",
    violations: list[dict[str, str]] | None = None,
    with_root: bool = True,
) -> dict[str, Any]:
    items = list(resources)
    if with_root:
        items.append(
            {
                "urn": root_urn(stack),
                "type": ROOT_TYPE,
                "name": f"{PROJECT}-{stack}",
                "parent": None,
                "custom": False,
                "provider": None,
                "dependencies": [],
                "propertyDependencies": {},
                "protect": False,
                "inputs": {},
            }
        )
    doc: dict[str, Any] = {
        "schema": "mlops-plan/1",
        "project": PROJECT,
        "stack": stack,
        "resources": sorted(items, key=lambda r: r["urn"]),
        "outputs": {},
    }
    if violations is not None:
        doc["policy"] = {"pack": PROJECT, "violations": violations, "exemptions": []}
    return doc


def violation(policy: str, target: str, level: str = "mandatory", severity: str = "high") -> dict[str, str]:
    return {"policy": policy, "level": level, "severity": severity, "urn": target, "message": f"{policy} violated"}


def write(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


def synthetic_platform(n: int, variant: int, stack: str = "dev") -> dict[str, Any]:
    """A plan of about `n` resources in 8 components; `variant` 1 changes, adds and removes many of them."""
    resources: list[dict[str, Any]] = []
    components = [
        ("mlops:network:Network", "network"),
        ("mlops:cluster:ServingCluster", "cluster"),
        ("mlops:lake:DataLake", "lake"),
        ("mlops:warehouse:Warehouse", "warehouse"),
        ("mlops:tracking:TrackingServer", "tracking"),
        ("mlops:orchestrator:Orchestrator", "orchestrator"),
        ("mlops:zerotrust:ZeroTrust", "zerotrust"),
        ("mlops:storage:Storage", "storage"),
    ]
    parents = []
    for type_, name in components:
        comp = component(type_, name, stack=stack)
        resources.append(comp)
        parents.append(comp["urn"])
    per = max(1, (n - len(components)) // len(components))
    for ci, parent in enumerate(parents):
        base_name = components[ci][1]
        for i in range(per):
            k = ci * per + i
            if variant == 1 and k % 7 == 3:
                continue  # deleted in HEAD
            inputs: dict[str, Any] = {
                "bucket": f"{base_name}-{i}",
                "tags": {"owner": "ml", "environment": stack, "cost-center": "cc-1"},
                "versioning": {"enabled": True},
                "rules": [{"id": f"r{j}", "days": 30 + j} for j in range(3)],
            }
            if variant == 1 and k % 3 == 0:
                inputs["tags"]["owner"] = "platform-team"
                inputs["rules"][2]["days"] = 90
            if variant == 1 and k % 11 == 5:
                inputs["bucket"] = f"{base_name}-{i}-renamed"  # forces replacement
            resources.append(
                resource("aws:s3/bucket:Bucket", f"{base_name}-bucket-{i}", inputs, parent=parent, stack=stack)
            )
        if variant == 1:
            for i in range(per // 5):
                resources.append(
                    resource(
                        "aws:ec2/subnet:Subnet",
                        f"{base_name}-extra-{i}",
                        {"cidrBlock": f"10.{ci}.{i}.0/24"},
                        parent=parent,
                        stack=stack,
                    )
                )
    return plan(resources, stack=stack, violations=[])
