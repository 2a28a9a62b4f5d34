"""Warehouse under the offline engine: private, KMS-encrypted, managed password, flows-only ingress."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.data.config import WarehouseConfig
from components.data.warehouse import PORT, Warehouse, WarehouseArgs
from contracts.flows import AwsDestination
from mlopsctl.engine import Graph, Registration, run_program

ACCOUNT = "123456789012"
REGION = "eu-west-1"
SUBNETS = ["subnet-0a", "subnet-0b", "subnet-0c"]
CIDRS = ["10.50.32.0/20", "10.50.48.0/20", "10.50.64.0/20"]
GIVEN_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/00000000-1111-2222-3333-444444444444"


def warehouse_graph(config: WarehouseConfig, **overrides: Any) -> tuple[Graph, list[AwsDestination]]:
    destinations: list[AwsDestination] = []

    def program() -> None:
        values: dict[str, Any] = {
            "config": config,
            "environment": "prod",
            "account_id": ACCOUNT,
            "region": REGION,
            "vpc_id": "vpc-0123",
            "subnet_ids": SUBNETS,
            "subnet_cidrs": CIDRS,
        }
        warehouse = Warehouse("warehouse", WarehouseArgs(**{**values, **overrides}))
        destinations.append(warehouse.destination)
        pulumi.export("namespaceName", warehouse.namespace_name)
        pulumi.export("workgroupName", warehouse.workgroup_name)
        pulumi.export("endpoint", warehouse.endpoint)
        pulumi.export("adminSecretArn", warehouse.admin_secret_arn)
        pulumi.export("securityGroupId", warehouse.security_group_id)
        pulumi.export("destinationSg", warehouse.destination.security_group_id)
        pulumi.export("keyArn", warehouse.key_arn)

    return run_program(program, config={"aws:region": REGION}), destinations


@pytest.fixture(scope="module")
def prod() -> tuple[Graph, list[AwsDestination]]:
    config = WarehouseConfig(base_capacity=32, max_rpu_hours_per_day=256, protect=True)
    return warehouse_graph(config, s3_prefix_list_id="pl-6da54004")


def named(graph: Graph, name: str) -> Registration:
    (match,) = [r for r in graph.resources if r.name == name]
    return match


def test_resource_set(prod: tuple[Graph, list[AwsDestination]]) -> None:
    graph, _ = prod
    assert sorted(r.type for r in graph.resources) == sorted(
        [
            "mlops:warehouse:Warehouse",
            "aws:kms/key:Key",
            "aws:kms/alias:Alias",
            "aws:ec2/securityGroup:SecurityGroup",
            "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
            "aws:redshiftserverless/namespace:Namespace",
            "aws:redshiftserverless/workgroup:Workgroup",
            "aws:redshiftserverless/usageLimit:UsageLimit",
        ]
    )


def test_namespace_encrypted_with_managed_password_and_logs(prod: tuple[Graph, list[AwsDestination]]) -> None:
    graph, _ = prod
    namespace = named(graph, "warehouse-namespace").inputs
    key_arn = graph.outputs["keyArn"]
    assert namespace["kmsKeyId"] == key_arn
    assert namespace["manageAdminPassword"] is True
    assert namespace["adminPasswordSecretKmsKeyId"] == key_arn
    assert "adminUserPassword" not in namespace and "adminUserPasswordWo" not in namespace
    assert namespace["logExports"] == ["connectionlog", "useractivitylog", "userlog"]
    assert namespace["namespaceName"] == "prod-warehouse"
    # pulumi-aws marks the admin user name secret; the plan never shows it.
    assert namespace["adminUsername"] == "[secret]"


def test_own_key_rotates_and_is_account_scoped(prod: tuple[Graph, list[AwsDestination]]) -> None:
    graph, _ = prod
    key = named(graph, "warehouse-key")
    assert key.inputs["enableKeyRotation"] is True
    statements = json.loads(key.inputs["policy"])["Statement"]
    assert all(s["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"} for s in statements)
    use = next(s for s in statements if s["Sid"] == "UseThroughPlatformServices")
    assert use["Condition"]["StringEquals"]["kms:ViaService"] == [
        f"{s}.{REGION}.amazonaws.com" for s in ("redshift-serverless", "redshift", "secretsmanager")
    ]
    grants = next(s for s in statements if s["Sid"] == "GrantsForAwsResources")
    assert grants["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}


def test_workgroup_private_enhanced_routing_tls(prod: tuple[Graph, list[AwsDestination]]) -> None:
    graph, _ = prod
    workgroup = named(graph, "warehouse-workgroup").inputs
    assert workgroup["publiclyAccessible"] is False
    assert workgroup["enhancedVpcRouting"] is True
    assert workgroup["baseCapacity"] == 32
    assert workgroup["subnetIds"] == SUBNETS
    assert workgroup["port"] == PORT == 5439
    assert workgroup["securityGroupIds"] == [graph.outputs["securityGroupId"]]
    parameters = {p["parameterKey"]: p["parameterValue"] for p in workgroup["configParameters"]}
    assert parameters == {"require_ssl": "true", "enable_user_activity_logging": "true"}


def test_security_group_has_no_ingress_and_no_open_egress(prod: tuple[Graph, list[AwsDestination]]) -> None:
    graph, _ = prod
    group = named(graph, "warehouse-sg").inputs
    assert group["vpcId"] == "vpc-0123"
    assert "ingress" not in group and "egress" not in group
    assert not [r for r in graph.resources if "Ingress" in r.type]
    egress = named(graph, "warehouse-s3-egress").inputs
    assert egress["prefixListId"] == "pl-6da54004"
    assert (egress["fromPort"], egress["toPort"], egress["ipProtocol"]) == (443, 443, "tcp")
    assert "cidrIpv4" not in egress
    assert "0.0.0.0/0" not in json.dumps([r.inputs for r in graph.resources])


def test_usage_limit_from_config(prod: tuple[Graph, list[AwsDestination]]) -> None:
    graph, _ = prod
    limit = named(graph, "warehouse-usage-limit")
    assert limit.inputs["usageType"] == "serverless-compute"
    assert limit.inputs["amount"] == 256
    assert limit.inputs["period"] == "daily"
    assert limit.inputs["breachAction"] == "deactivate"
    assert named(graph, "warehouse-workgroup").urn in limit.property_dependencies["resourceArn"]


def test_destination_for_the_flow_graph(prod: tuple[Graph, list[AwsDestination]]) -> None:
    graph, destinations = prod
    (destination,) = destinations
    assert destination.name == "prod-warehouse"
    assert destination.cidrs == tuple(CIDRS)
    assert graph.outputs["destinationSg"] == graph.outputs["securityGroupId"]
    assert graph.outputs["securityGroupId"].startswith("sg-")


def test_outputs(prod: tuple[Graph, list[AwsDestination]]) -> None:
    graph, _ = prod
    assert graph.outputs["namespaceName"] == "prod-warehouse"
    assert graph.outputs["workgroupName"] == "prod-warehouse"
    assert graph.outputs["endpoint"] == f"prod-warehouse.{ACCOUNT}.{REGION}.redshift-serverless.amazonaws.com"
    assert graph.outputs["adminSecretArn"].startswith(f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:")


def test_prod_protects_namespace_and_key(prod: tuple[Graph, list[AwsDestination]]) -> None:
    graph, _ = prod
    assert sorted(r.name for r in graph.resources if r.protect) == ["warehouse-key", "warehouse-namespace"]
    assert sorted(r.name for r in graph.resources if r.retain_on_delete) == ["warehouse-key", "warehouse-namespace"]
    assert named(graph, "warehouse-key").inputs["deletionWindowInDays"] == 30


def test_given_key_no_limit_no_egress_unprotected() -> None:
    graph, _ = warehouse_graph(
        WarehouseConfig(max_rpu_hours_per_day=None, usage_limit_action="log"), kms_key_arn=GIVEN_KEY
    )
    assert not graph.by_type("aws:kms/key:Key")
    assert not graph.by_type("aws:redshiftserverless/usageLimit:UsageLimit")
    assert not graph.by_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    namespace = named(graph, "warehouse-namespace").inputs
    assert namespace["kmsKeyId"] == namespace["adminPasswordSecretKmsKeyId"] == GIVEN_KEY
    assert not [r for r in graph.resources if r.protect or r.retain_on_delete]
    assert named(graph, "warehouse-workgroup").inputs["baseCapacity"] == 8


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"subnet_cidrs": []}, "subnet_cidrs must list"),
        ({"subnet_cidrs": ["0.0.0.0/0"]}, "must be a private block"),
        ({"subnet_cidrs": ["8.8.8.0/24"]}, "must be a private block"),
        ({"subnet_cidrs": ["10.0.0.1/16"]}, "is not a CIDR block"),
        ({"environment": "Prod"}, "environment 'Prod'"),
        ({"account_id": "42"}, "account_id '42'"),
    ],
)
def test_invalid_plain_values_raise(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(Exception, match=message):
        warehouse_graph(WarehouseConfig(), **overrides)
