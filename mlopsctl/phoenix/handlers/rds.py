"""RDS kinds: DB instances, then their subnet groups and parameter groups."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from mlopsctl.phoenix.aws import AwsScope, pages, tag_dict
from mlopsctl.phoenix.handlers.base import Found, Handler, wait_quietly


def _rds(scope: AwsScope) -> Any:
    return scope.client("rds")


def _tags(scope: AwsScope, arn: str) -> dict[str, str]:
    return tag_dict(_rds(scope).list_tags_for_resource(ResourceName=arn).get("TagList"))


def collect_db_instances(scope: AwsScope) -> Iterator[Found]:
    for db in pages(_rds(scope), "describe_db_instances", "DBInstances"):
        if db.get("DBInstanceStatus") == "deleting":
            continue
        tags = tag_dict(db["TagList"]) if "TagList" in db else _tags(scope, db["DBInstanceArn"])
        ident = db["DBInstanceIdentifier"]
        yield Found(kind="rds:db-instance", id=ident, region=scope.region, tags=tags, name=ident)


def delete_db_instance(scope: AwsScope, found: Found) -> None:
    # Phoenix data is disposable: no final snapshot, no retained backups. Deletion protection is
    # honoured (the call fails and is reported), never switched off here.
    _rds(scope).delete_db_instance(DBInstanceIdentifier=found.id, SkipFinalSnapshot=True, DeleteAutomatedBackups=True)


def settle_db_instances(scope: AwsScope, done: Sequence[Found]) -> None:
    for found in done:
        wait_quietly(scope, "rds", "db_instance_deleted", DBInstanceIdentifier=found.id)


def collect_db_subnet_groups(scope: AwsScope) -> Iterator[Found]:
    for group in pages(_rds(scope), "describe_db_subnet_groups", "DBSubnetGroups"):
        name = group["DBSubnetGroupName"]
        yield Found(
            kind="rds:db-subnet-group",
            id=name,
            region=scope.region,
            tags=_tags(scope, group["DBSubnetGroupArn"]),
            name=name,
            protected="the account's default DB subnet group" if name == "default" else None,
        )


def delete_db_subnet_group(scope: AwsScope, found: Found) -> None:
    _rds(scope).delete_db_subnet_group(DBSubnetGroupName=found.id)


def collect_db_parameter_groups(scope: AwsScope) -> Iterator[Found]:
    for group in pages(_rds(scope), "describe_db_parameter_groups", "DBParameterGroups"):
        name = group["DBParameterGroupName"]
        if name.startswith("default."):
            continue  # AWS-owned defaults: never taggable by a stack, never deletable
        yield Found(
            kind="rds:db-parameter-group",
            id=name,
            region=scope.region,
            tags=_tags(scope, group["DBParameterGroupArn"]),
            name=name,
        )


def delete_db_parameter_group(scope: AwsScope, found: Found) -> None:
    _rds(scope).delete_db_parameter_group(DBParameterGroupName=found.id)


DB_INSTANCES = Handler("rds:db-instance", collect_db_instances, delete_db_instance, settle=settle_db_instances)
DB_SUBNET_GROUPS = Handler("rds:db-subnet-group", collect_db_subnet_groups, delete_db_subnet_group)
DB_PARAMETER_GROUPS = Handler("rds:db-parameter-group", collect_db_parameter_groups, delete_db_parameter_group)
