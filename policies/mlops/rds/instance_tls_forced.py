"""rds-instance-tls-forced: databases refuse unencrypted client connections.

Enforced by the DB parameter group: ``rds.force_ssl=1`` (PostgreSQL, SQL Server) or
``require_secure_transport=ON`` (MySQL, MariaDB). RDS for PostgreSQL 15 and later defaults
``rds.force_ssl`` to 1, so its default group (or a custom group that leaves it alone) complies:
https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/PostgreSQL.Concepts.General.SSL.html
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.mlops.props import as_list, as_map, known
from policies.mlops.rds._common import INSTANCE, PARAMETER_GROUP
from policies.mlops.rule import Level, Severity, StackInput, StackReport, StackResource, stack_rule

ON_VALUES = ("1", "on", "true")


def _requirement(engine: str) -> str | None:
    """The parameter that forces TLS for ``engine`` (``None``: not enforced through parameters)."""
    if engine in ("postgres", "aurora-postgresql") or engine.startswith("sqlserver"):
        return "rds.force_ssl"
    if engine in ("mysql", "mariadb", "aurora-mysql"):
        return "require_secure_transport"
    return None


def _default_on(engine: str, version: Any) -> bool:
    """True when the engine's default parameter group already forces TLS (PostgreSQL >= 15)."""
    if engine not in ("postgres", "aurora-postgresql") or not isinstance(version, str):
        return False
    major = version.split(".", 1)[0]
    return major.isdigit() and int(major) >= 15


def _parameters(group: StackResource) -> Mapping[str, str]:
    result: dict[str, str] = {}
    for item in as_list(group.props.get("parameters")):
        item = as_map(item)
        result[str(item.get("name"))] = str(item.get("value", "")).strip().lower()
    return result


def _group_of(stack: StackInput, instance: StackResource, name: Any) -> StackResource | None:
    for group in stack.of_type(PARAMETER_GROUP):
        if instance.depends_through("parameterGroupName", group.urn):
            return group
        if isinstance(name, str) and name and known(group.props, "name") == name:
            return group
    return None


def _check(stack: StackInput, report: StackReport) -> None:
    for instance in stack.of_type(INSTANCE):
        with stack.item():
            engine = str(instance.props.get("engine") or "")
            parameter = _requirement(engine)
            if parameter is None:
                continue
            default_on = _default_on(engine, instance.props.get("engineVersion"))
            name = known(instance.props, "parameterGroupName")
            group = _group_of(stack, instance, name)
            if group is None:
                if isinstance(name, str) and name and not name.startswith("default."):
                    report(
                        f"parameter group {name!r} is not declared in this stack; cannot verify {parameter}",
                        instance.urn,
                    )
                elif not default_on:
                    report(f"the default parameter group of {engine} does not set {parameter}=1", instance.urn)
                continue
            value = _parameters(group).get(parameter)
            if value is None and not default_on:
                report(f"parameter group does not set {parameter}=1", group.urn)
            elif value is not None and value not in ON_VALUES:
                report(f"parameter group sets {parameter}={value!r}; it must be 1", group.urn)


RULE = stack_rule(
    name="rds-instance-tls-forced",
    description="RDS instances reject unencrypted connections (TLS forced by the parameter group).",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Attach an aws.rds.ParameterGroup with {'name': 'rds.force_ssl', 'value': '1'} (PostgreSQL) or "
        "{'name': 'require_secure_transport', 'value': 'ON'} (MySQL/MariaDB) via parameter_group_name."
    ),
    resource_types=(INSTANCE, PARAMETER_GROUP),
    check=_check,
)
