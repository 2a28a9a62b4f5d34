"""RDS type tokens and the Aurora split (cluster members inherit storage settings from the cluster)."""

from __future__ import annotations

from policies.mlops.rule import ResourceInput

INSTANCE = "aws:rds/instance:Instance"
CLUSTER = "aws:rds/cluster:Cluster"
PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"


def skip_aurora_member(resource: ResourceInput, what: str) -> None:
    """Aurora instances take ``what`` from their cluster, which the rule checks instead."""
    engine = resource.props.get("engine")
    if resource.type == INSTANCE and isinstance(engine, str) and engine.startswith("aurora"):
        resource.not_applicable(f"Aurora instances inherit {what} from their cluster")


def skip_replica(resource: ResourceInput, what: str) -> None:
    """Read replicas take ``what`` from their source database."""
    if resource.props.get("replicateSourceDb") or resource.props.get("replicationSourceIdentifier"):
        resource.not_applicable(f"read replicas inherit {what} from their source")
