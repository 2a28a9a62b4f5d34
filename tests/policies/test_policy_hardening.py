"""Hardening rules (issue #21, "Bad input never hurts"): each weakening a mutation run found unnoticed.

One compliant fixture per rule; each test changes one field. Pass, fail, missing property and not-applicable
cases, policy config where a rule has one, and the shipped stacks staying at zero violations.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from policy_testkit import DELETE, TODAY, graph, messages, mutate, not_applicable, reg, urn, violations

from mlopsctl.policy import evaluate
from policies.mlops.cloudwatch import log_group_retention_minimum
from policies.mlops.ec2 import (
    route_table_database_tier_isolated,
    security_group_no_open_egress,
    vpc_endpoint_policy_scoped,
)
from policies.mlops.eks import cluster_api_authentication
from policies.mlops.kms import key_deletion_window, key_policy_no_cross_account
from policies.mlops.kms._managed import is_aws_managed
from policies.mlops.rds import instance_customer_key, instance_final_snapshot, instance_log_exports, instance_multi_az
from policies.mlops.rds._common import CLUSTER, INSTANCE
from policies.mlops.rule import Rule
from policies.mlops.s3 import bucket_no_force_destroy, bucket_ownership_enforced
from policies.mlops.secretsmanager import secret_customer_key

NEW_RULES: tuple[Rule, ...] = (
    bucket_no_force_destroy.RULE,
    bucket_ownership_enforced.RULE,
    key_deletion_window.RULE,
    key_policy_no_cross_account.RULE,
    instance_final_snapshot.RULE,
    instance_customer_key.RULE,
    instance_log_exports.RULE,
    instance_multi_az.RULE,
    security_group_no_open_egress.RULE,
    route_table_database_tier_isolated.RULE,
    vpc_endpoint_policy_scoped.RULE,
    cluster_api_authentication.RULE,
    log_group_retention_minimum.RULE,
    secret_customer_key.RULE,
)

PROD = {"stack": "prod", "config": {"mlops:environment": "prod"}}
DEV = {"config": {"mlops:environment": "dev"}}
ACCOUNT = "123456789012"
OTHER = "999999999999"
KEY_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/0b1c"


def with_policy_config(
    rule: Rule, *resources: Any, stack: str, config: dict[str, Any], policy: dict[str, Any]
) -> list[str]:
    report = evaluate(
        graph(*resources, stack=stack, config=config), today=TODAY, rules=[rule], policy_config={rule.name: policy}
    )
    return [v.message for v in report.violations]


# --- shared ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "managed"),
    [
        ("alias/aws/s3", True),
        ("alias/aws/secretsmanager", True),
        (f"arn:aws:kms:eu-west-1:{ACCOUNT}:alias/aws/rds", True),
        ("alias/platform-lake", False),
        (KEY_ARN, False),
        ("0b1c2d3e-1111-2222-3333-444455556666", False),
        (None, False),
    ],
)
def test_aws_managed_key_references(value: Any, managed: bool) -> None:
    assert is_aws_managed(value) is managed


@pytest.mark.parametrize("stack", ["dev", "prod", "phoenix"])
def test_shipped_stacks_have_no_violations_of_the_new_rules(stack: str, graph_of: Any) -> None:
    report = evaluate(graph_of(stack), today=TODAY, rules=NEW_RULES)
    assert [(v.policy, v.urn.rsplit("::", 1)[-1], v.message) for v in report.violations] == []


def test_retention_minimum_is_the_config_validation_minimum() -> None:
    from components.config import PRODUCTION_MIN_LOG_DAYS

    assert log_group_retention_minimum.MINIMUM_DAYS == PRODUCTION_MIN_LOG_DAYS


# --- KMS: deletion window ----------------------------------------------------------------------------

KEY = "aws:kms/key:Key"
KEY_INPUTS = {"enableKeyRotation": True, "deletionWindowInDays": 30}


def key(inputs: dict[str, Any] = KEY_INPUTS, **kw: Any) -> Any:
    return reg(KEY, "k", inputs, **kw)


def test_deletion_window_production() -> None:
    rule = key_deletion_window.RULE
    assert violations(rule, key(stack="prod"), **PROD) == []
    found = messages(rule, key(mutate(KEY_INPUTS, "deletionWindowInDays", 7), stack="prod"), **PROD)
    assert len(found) == 1 and "deletionWindowInDays is 7" in found[0] and "production" in found[0], found
    assert violations(rule, key(mutate(KEY_INPUTS, "deletionWindowInDays", 29), stack="prod"), **PROD) != []
    # Unset: AWS's default window, 30 days.
    assert violations(rule, key(mutate(KEY_INPUTS, "deletionWindowInDays", DELETE), stack="prod"), **PROD) == []


def test_deletion_window_other_tiers_may_use_seven_days() -> None:
    short = key(mutate(KEY_INPUTS, "deletionWindowInDays", 7))
    assert violations(key_deletion_window.RULE, short, **DEV) == []
    assert not_applicable(key_deletion_window.RULE, short, **DEV) == ["tier 'development' is not one of ['production']"]
    # The tier decides, not the name.
    renamed = key(mutate(KEY_INPUTS, "deletionWindowInDays", 7), stack="eu1")
    assert violations(key_deletion_window.RULE, renamed, stack="eu1", config={"mlops:tier": "production"}) != []


def test_deletion_window_policy_config() -> None:
    staging = key(mutate(KEY_INPUTS, "deletionWindowInDays", 14), stack="stg")
    config = {"mlops:environment": "stg", "mlops:tier": "staging"}
    found = with_policy_config(
        key_deletion_window.RULE, staging, stack="stg", config=config, policy={"tiers": ["production", "staging"]}
    )
    assert len(found) == 1
    relaxed = with_policy_config(
        key_deletion_window.RULE,
        key(mutate(KEY_INPUTS, "deletionWindowInDays", 14), stack="prod"),
        stack="prod",
        config=PROD["config"],
        policy={"minimumDays": 14},
    )
    assert relaxed == []


# --- KMS: cross-account grants -----------------------------------------------------------------------


def key_policy(*extra: dict[str, Any]) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministersKey",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                *extra,
            ],
        }
    )


def grant(principal: Any, **extra: Any) -> dict[str, Any]:
    return {
        "Sid": "Share",
        "Effect": "Allow",
        "Principal": principal,
        "Action": "kms:Decrypt",
        "Resource": "*",
        **extra,
    }


def cross_account_stack(*statements: dict[str, Any], referenced: bool = True) -> list[Any]:
    """A key with this policy, and a log group encrypted with it (which shows the key's ARN, so its account)."""
    resources = [reg(KEY, "k", {"enableKeyRotation": True, "policy": key_policy(*statements)})]
    if referenced:
        resources.append(
            reg("aws:cloudwatch/logGroup:LogGroup", "lg", {"kmsKeyId": KEY_ARN}, deps={"kmsKeyId": [urn(KEY, "k")]})
        )
    return resources


CROSS_ACCOUNT_CASES = [
    # (statement added to the key policy, violation expected)
    (None, False),
    (grant({"AWS": f"arn:aws:iam::{OTHER}:root"}), True),
    (grant({"AWS": f"arn:aws:iam::{OTHER}:role/reader"}), True),
    (grant({"AWS": [OTHER]}), True),
    (grant({"AWS": "arn:aws:iam::*:root"}), True),
    (grant({"AWS": f"arn:aws:iam::{ACCOUNT}:role/reader"}), False),
    (
        grant(
            {"AWS": f"arn:aws:iam::{OTHER}:root"},
            Condition={"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}},
        ),
        False,
    ),
    (grant({"AWS": f"arn:aws:iam::{OTHER}:root"}, Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}), False),
    (grant({"AWS": f"arn:aws:iam::{OTHER}:root"}, Condition={"Bool": {"aws:SecureTransport": "true"}}), True),
    (grant({"AWS": f"arn:aws:iam::{OTHER}:root"}, Effect="Deny"), False),
    (grant({"Service": "logs.eu-west-1.amazonaws.com"}), False),
    (grant("*"), False),  # kms-key-policy-no-public-access's finding
]


@pytest.mark.parametrize(("statement", "expected"), CROSS_ACCOUNT_CASES)
def test_cross_account_grants(statement: dict[str, Any] | None, expected: bool) -> None:
    found = messages(key_policy_no_cross_account.RULE, *cross_account_stack(*([statement] if statement else [])))
    assert bool(found) is expected, found
    if expected:
        assert len(found) == 1 and "without a confining condition" in found[0] and ACCOUNT in found[0]


def test_cross_account_home_from_the_policy_conditions_when_no_input_shows_the_key_arn() -> None:
    confined_use = grant(
        {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, Condition={"StringEquals": {"kms:CallerAccount": ACCOUNT}}
    )
    other = grant({"AWS": f"arn:aws:iam::{OTHER}:root"})
    assert (
        len(messages(key_policy_no_cross_account.RULE, *cross_account_stack(confined_use, other, referenced=False)))
        == 1
    )
    # Nothing tells which account is this one (a first preview): the key is not judged.
    assert messages(key_policy_no_cross_account.RULE, *cross_account_stack(other, referenced=False)) == []


def test_cross_account_trusted_accounts_and_missing_policy() -> None:
    other = grant({"AWS": f"arn:aws:iam::{OTHER}:root"})
    trusted = with_policy_config(
        key_policy_no_cross_account.RULE,
        *cross_account_stack(other),
        stack="dev",
        config={},
        policy={"trustedAccounts": [OTHER]},
    )
    assert trusted == []
    assert violations(key_policy_no_cross_account.RULE, reg(KEY, "k", {"enableKeyRotation": True})) == []


# --- RDS ---------------------------------------------------------------------------------------------

DB = {
    "engine": "postgres",
    "engineVersion": "16",
    "instanceClass": "db.r7g.large",
    "storageEncrypted": True,
    "kmsKeyId": KEY_ARN,
    "multiAz": True,
    "skipFinalSnapshot": False,
    "finalSnapshotIdentifier": "prod-db-final",
    "enabledCloudwatchLogsExports": ["postgresql", "upgrade"],
}
AURORA_MEMBER = {"engine": "aurora-postgresql", "instanceClass": "db.r7g.large", "clusterIdentifier": "c"}
REPLICA = {**DB, "replicateSourceDb": "primary"}


def db(inputs: dict[str, Any] = DB, stack: str = "dev") -> Any:
    return reg(INSTANCE, "db", inputs, stack=stack)


def test_final_snapshot_production() -> None:
    rule = instance_final_snapshot.RULE
    assert violations(rule, db(stack="prod"), **PROD) == []
    assert violations(rule, db(mutate(DB, "skipFinalSnapshot", DELETE), stack="prod"), **PROD) == []
    found = messages(rule, db(mutate(DB, "skipFinalSnapshot", True), stack="prod"), **PROD)
    assert found == ["skipFinalSnapshot is true in the production tier: deleting the database deletes its data"]
    cluster = reg(CLUSTER, "c", {"engine": "aurora-postgresql", "skipFinalSnapshot": True}, stack="prod")
    assert len(violations(rule, cluster, **PROD)) == 1


def test_final_snapshot_not_applicable() -> None:
    rule = instance_final_snapshot.RULE
    dev = db(mutate(DB, "skipFinalSnapshot", True))
    assert violations(rule, dev, **DEV) == [] and not_applicable(rule, dev, **DEV)
    member = db({**AURORA_MEMBER, "skipFinalSnapshot": True}, stack="prod")
    replica = db({**REPLICA, "skipFinalSnapshot": True}, stack="prod")
    assert violations(rule, member, **PROD) == [] and violations(rule, replica, **PROD) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (KEY_ARN, None),
        ("alias/mlops-prod-tracking-db", None),
        (DELETE, "kmsKeyId is not set: the AWS managed key aws/rds is used"),
        ("alias/aws/rds", "is an AWS managed key"),
        (f"arn:aws:kms:eu-west-1:{ACCOUNT}:alias/aws/rds", "is an AWS managed key"),
    ],
)
def test_customer_key(value: Any, expected: str | None) -> None:
    found = messages(instance_customer_key.RULE, db(mutate(DB, "kmsKeyId", value)))
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1 and expected in found[0], found


def test_customer_key_not_applicable() -> None:
    rule = instance_customer_key.RULE
    unencrypted = db(mutate(mutate(DB, "storageEncrypted", False), "kmsKeyId", DELETE))
    assert violations(rule, unencrypted) == []
    assert not_applicable(rule, unencrypted) == ["storage is not encrypted (rds-instance-encrypted reports it)"]
    assert violations(rule, db(AURORA_MEMBER)) == []
    assert len(violations(rule, reg(CLUSTER, "c", {"engine": "aurora-postgresql", "storageEncrypted": True}))) == 1


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        (DB, None),
        (mutate(DB, "enabledCloudwatchLogsExports", DELETE), "is empty"),
        (mutate(DB, "enabledCloudwatchLogsExports", []), "is empty"),
        (mutate(DB, "enabledCloudwatchLogsExports", ["upgrade"]), "lacks 'postgresql'"),
        ({**DB, "engine": "mysql", "enabledCloudwatchLogsExports": ["error", "slowquery"]}, None),
        ({**DB, "engine": "mysql", "enabledCloudwatchLogsExports": []}, "is empty"),
        ({**AURORA_MEMBER}, None),
    ],
)
def test_log_exports(inputs: dict[str, Any], expected: str | None) -> None:
    found = messages(instance_log_exports.RULE, db(inputs))
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1 and expected in found[0], found


def test_log_exports_of_aurora_clusters() -> None:
    rule = instance_log_exports.RULE
    cluster = {"engine": "aurora-postgresql", "enabledCloudwatchLogsExports": ["postgresql"]}
    assert violations(rule, reg(CLUSTER, "c", cluster)) == []
    assert len(violations(rule, reg(CLUSTER, "c", mutate(cluster, "enabledCloudwatchLogsExports", [])))) == 1


def test_multi_az_production() -> None:
    rule = instance_multi_az.RULE
    assert violations(rule, db(stack="prod"), **PROD) == []
    for value in (False, DELETE):
        found = messages(rule, db(mutate(DB, "multiAz", value), stack="prod"), **PROD)
        assert len(found) == 1 and "multiAz is not true in the production tier" in found[0]
    single = db(mutate(DB, "multiAz", False))
    assert violations(rule, single, **DEV) == [] and not_applicable(rule, single, **DEV)
    assert violations(rule, db({**AURORA_MEMBER}, stack="prod"), **PROD) == []
    assert violations(rule, db(mutate(REPLICA, "multiAz", False), stack="prod"), **PROD) == []


# --- CloudWatch: retention minimum -------------------------------------------------------------------

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LOGS = {"name": "/mlops/prod/vpc-flow-logs", "retentionInDays": 365, "kmsKeyId": KEY_ARN}


def log_group(inputs: dict[str, Any] = LOGS, stack: str = "prod") -> Any:
    return reg(LOG_GROUP, "lg", inputs, stack=stack)


@pytest.mark.parametrize(
    ("days", "violates"), [(1, True), (30, True), (60, True), (90, False), (365, False), (0, False), (DELETE, False)]
)
def test_retention_minimum_in_production(days: Any, violates: bool) -> None:
    found = messages(log_group_retention_minimum.RULE, log_group(mutate(LOGS, "retentionInDays", days)), **PROD)
    assert bool(found) is violates, found
    if violates:
        assert found == [f"retentionInDays is {days}: the production tier keeps log events at least 90 days"]


def test_retention_minimum_other_tiers_and_config() -> None:
    rule = log_group_retention_minimum.RULE
    short = mutate(LOGS, "retentionInDays", 1)
    assert violations(rule, log_group(short, stack="dev"), **DEV) == []
    assert not_applicable(rule, log_group(short, stack="dev"), **DEV)
    stricter = with_policy_config(
        rule,
        log_group(mutate(LOGS, "retentionInDays", 90)),
        stack="prod",
        config=PROD["config"],
        policy={"minimumDays": 365},
    )
    assert len(stricter) == 1


# --- EC2: open egress --------------------------------------------------------------------------------

EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG = "aws:ec2/securityGroup:SecurityGroup"
EKS = "aws:eks/cluster:Cluster"
HTTPS_OUT = {
    "securityGroupId": "sg-runner",
    "ipProtocol": "tcp",
    "fromPort": 443,
    "toPort": 443,
    "cidrIpv4": "0.0.0.0/0",
}
ALL_OUT = {"securityGroupId": "sg-runner", "ipProtocol": "-1", "cidrIpv4": "0.0.0.0/0"}


@pytest.mark.parametrize(
    ("inputs", "violates"),
    [
        (HTTPS_OUT, False),
        (ALL_OUT, True),
        (mutate(ALL_OUT, "ipProtocol", "all"), True),
        ({**ALL_OUT, "cidrIpv4": "10.0.0.0/8"}, False),
        ({"securityGroupId": "sg-runner", "ipProtocol": "-1", "cidrIpv6": "::/0"}, True),
        ({**ALL_OUT, "cidrIpv4": "128.0.0.0/1"}, True),
        ({**HTTPS_OUT, "fromPort": 0, "toPort": 65535}, True),
        ({**HTTPS_OUT, "fromPort": 1024, "toPort": 65535}, False),
        ({"securityGroupId": "sg-runner", "ipProtocol": "-1", "referencedSecurityGroupId": "sg-db"}, False),
    ],
)
def test_open_egress_rules(inputs: dict[str, Any], violates: bool) -> None:
    found = messages(security_group_no_open_egress.RULE, reg(EGRESS, "runner-out", inputs))
    assert bool(found) is violates, found


def test_open_egress_rule_forms() -> None:
    rule = security_group_no_open_egress.RULE
    legacy = {
        "type": "egress",
        "securityGroupId": "sg-a",
        "protocol": "-1",
        "fromPort": 0,
        "toPort": 0,
        "cidrBlocks": ["0.0.0.0/0"],
    }
    assert len(violations(rule, reg(SG_RULE, "r", legacy))) == 1
    assert violations(rule, reg(SG_RULE, "r", {**legacy, "type": "ingress"})) == []  # ingress: another rule
    inline = {"vpcId": "vpc-1", "egress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}]}
    found = messages(rule, reg(SG, "g", inline))
    assert found == ["g.egress[0] allows all traffic to 0.0.0.0/0"]
    assert violations(rule, reg(SG, "g", {"vpcId": "vpc-1"})) == []


def test_open_egress_of_the_eks_cluster_group_is_eks_business() -> None:
    cluster = reg(EKS, "serving-cluster", {"vpcConfig": {"subnetIds": ["subnet-1"]}})
    on_cluster_group = reg(
        EGRESS, "cluster-out", {**ALL_OUT, "securityGroupId": "sg-cluster"}, deps={"securityGroupId": [cluster.urn]}
    )
    assert violations(security_group_no_open_egress.RULE, cluster, on_cluster_group) == []
    elsewhere = reg(EGRESS, "other-out", {**ALL_OUT, "securityGroupId": "sg-other"})
    assert len(violations(security_group_no_open_egress.RULE, cluster, on_cluster_group, elsewhere)) == 1


# --- EC2: database-tier route tables -----------------------------------------------------------------

SUBNET = "aws:ec2/subnet:Subnet"
RT = "aws:ec2/routeTable:RouteTable"
ROUTE = "aws:ec2/route:Route"
RTA = "aws:ec2/routeTableAssociation:RouteTableAssociation"


def network(route: dict[str, Any] | None, *, table: str = "database-rt", tier: str | None = "tracking-db") -> list[Any]:
    """Subnets of a database slot and of the private tier, their tables, and ``route`` on ``table``."""
    tags = {"mlops:tier": tier} if tier else {}
    resources = [
        reg(SUBNET, "db-0", {"cidrBlock": "10.50.192.0/24", "tags": tags}),
        reg(SUBNET, "private-0", {"cidrBlock": "10.50.0.0/18", "tags": {"mlops:tier": "private"}}),
        reg(RT, "database-rt", {"vpcId": "vpc-1"}),
        reg(RT, "private-rt", {"vpcId": "vpc-1"}),
        reg(RTA, "db-rta", {"routeTableId": "rtb-db", "subnetId": "subnet-db"},
            deps={"routeTableId": [urn(RT, "database-rt")], "subnetId": [urn(SUBNET, "db-0")]}),
        reg(RTA, "private-rta", {"routeTableId": "rtb-private", "subnetId": "subnet-private"},
            deps={"routeTableId": [urn(RT, "private-rt")], "subnetId": [urn(SUBNET, "private-0")]}),
    ]  # fmt: skip
    if route is not None:
        literal = {"database-rt": "rtb-db", "private-rt": "rtb-private"}[table]
        resources.append(reg(ROUTE, "r", {"routeTableId": literal, **route}, deps={"routeTableId": [urn(RT, table)]}))
    return resources


@pytest.mark.parametrize(
    ("route", "table", "expected"),
    [
        (None, "database-rt", None),
        ({"destinationCidrBlock": "0.0.0.0/0", "natGatewayId": "nat-1"}, "private-rt", None),
        (
            {"destinationCidrBlock": "0.0.0.0/0", "natGatewayId": "nat-1"},
            "database-rt",
            "goes through NAT gateway nat-1",
        ),
        ({"destinationCidrBlock": "0.0.0.0/0", "transitGatewayId": "tgw-1"}, "database-rt", "is a default route"),
        ({"destinationIpv6CidrBlock": "::/0", "egressOnlyGatewayId": "eigw-1"}, "database-rt", "egress-only"),
        ({"destinationCidrBlock": "0.0.0.0/1", "gatewayId": "igw-1"}, "database-rt", "internet gateway igw-1"),
        ({"destinationCidrBlock": "10.60.0.0/16", "vpcPeeringConnectionId": "pcx-1"}, "database-rt", None),
    ],
)
def test_database_tier_routes(route: dict[str, Any] | None, table: str, expected: str | None) -> None:
    found = messages(route_table_database_tier_isolated.RULE, *network(route, table=table))
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1 and expected in found[0] and "db-0 (mlops:tier=tracking-db)" in found[0], found


def test_database_tier_route_joined_by_literal_id() -> None:
    resources = network(None)
    # A hand-written route: no dependency, only the table's id (as every input computed from the table holds it).
    resources.append(
        reg(ROUTE, "r", {"routeTableId": "rtb-db", "destinationCidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"})
    )
    assert len(violations(route_table_database_tier_isolated.RULE, *resources)) == 1


def test_database_tier_route_whose_dependency_and_id_disagree() -> None:
    # A route copied from a private one and edited by hand: its dependency still names the private table, its id
    # is the database table's. The database table is reported; the private table's own default route is not.
    resources = network({"destinationCidrBlock": "0.0.0.0/0", "natGatewayId": "nat-1"}, table="private-rt")
    resources.append(
        reg(
            ROUTE,
            "copied",
            {"routeTableId": "rtb-db", "destinationCidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"},
            deps={"routeTableId": [urn(RT, "private-rt")]},
        )
    )
    found = violations(route_table_database_tier_isolated.RULE, *resources)
    assert [(v.urn.rsplit("::", 1)[-1], "on database-rt" in v.message) for v in found] == [("copied", True)]


def test_database_tier_inline_routes_and_untagged_subnets() -> None:
    rule = route_table_database_tier_isolated.RULE
    resources = network(None)
    resources[2] = reg(
        RT, "database-rt", {"vpcId": "vpc-1", "routes": [{"cidrBlock": "0.0.0.0/0", "natGatewayId": "nat-1"}]}
    )
    assert len(violations(rule, *resources)) == 1
    route = {"destinationCidrBlock": "0.0.0.0/0", "natGatewayId": "nat-1"}
    assert violations(rule, *network(route, tier=None)) == []  # no mlops:tier: not the platform's database tier


@pytest.mark.parametrize("tier", ["ingress", "runner", "public"])
def test_routed_tiers_may_route_out(tier: str) -> None:
    # ingress: the load balancers authenticate people against an IdP (ALB authenticate-oidc) through NAT.
    route = {"destinationCidrBlock": "0.0.0.0/0", "natGatewayId": "nat-1"}
    assert violations(route_table_database_tier_isolated.RULE, *network(route, tier=tier)) == []
    assert len(violations(route_table_database_tier_isolated.RULE, *network(route, tier="warehouse"))) == 1


# --- EC2: VPC endpoint policies ----------------------------------------------------------------------

ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
PERIMETER = {
    "Sid": "AccountPrincipalsOnly",
    "Effect": "Allow",
    "Principal": "*",
    "Action": "*",
    "Resource": "*",
    "Condition": {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}},
}


def endpoint(*statements: dict[str, Any], policy: Any = None) -> Any:
    document = policy if policy is not None else json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    inputs = {"vpcEndpointType": "Interface", "serviceName": "com.amazonaws.eu-west-1.ecr.api"}
    return reg(ENDPOINT, "ep", {**inputs, "policy": document} if document != DELETE else inputs)


@pytest.mark.parametrize(
    ("statement", "violates"),
    [
        (PERIMETER, False),
        (mutate(PERIMETER, "Condition", DELETE), True),
        ({**mutate(PERIMETER, "Condition", DELETE), "Principal": {"AWS": "*"}}, True),
        ({**mutate(PERIMETER, "Condition", DELETE), "Effect": "Deny"}, False),
        ({**mutate(PERIMETER, "Condition", DELETE), "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}, False),
        (mutate(PERIMETER, "Condition", {"Bool": {"aws:SecureTransport": "true"}}), True),
        (mutate(PERIMETER, "Condition", {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}), False),
        # Every principal, named resources: ECR's layer bucket, this account's roles.
        (
            {
                **mutate(PERIMETER, "Condition", DELETE),
                "Resource": "arn:aws:s3:::prod-eu-west-1-starport-layer-bucket/*",
            },
            False,
        ),
        ({**mutate(PERIMETER, "Condition", DELETE), "Resource": f"arn:aws:iam::{ACCOUNT}:role/*"}, False),
        ({**mutate(PERIMETER, "Condition", DELETE), "Resource": "arn:aws:iam::*:role/*"}, True),
        ({**mutate(PERIMETER, "Condition", DELETE), "Resource": "arn:aws:s3:::*"}, True),
        (
            {**mutate(mutate(PERIMETER, "Condition", DELETE), "Resource", DELETE), "NotResource": "arn:aws:s3:::x/*"},
            True,
        ),
    ],
)
def test_endpoint_policy_statements(statement: dict[str, Any], violates: bool) -> None:
    found = messages(vpc_endpoint_policy_scoped.RULE, endpoint(statement))
    assert bool(found) is violates, found


def test_endpoint_policy_missing_or_malformed() -> None:
    rule = vpc_endpoint_policy_scoped.RULE
    assert violations(rule, endpoint(policy=DELETE)) == []
    assert not_applicable(rule, endpoint(policy=DELETE))
    assert messages(rule, endpoint(policy="{not json")) == ["policy is not valid JSON"]


# --- EKS: authentication -----------------------------------------------------------------------------

EKS_INPUTS = {
    "accessConfig": {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False},
    "vpcConfig": {"endpointPrivateAccess": True, "endpointPublicAccess": False},
}


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("accessConfig.authenticationMode", "API", []),
        ("accessConfig.authenticationMode", "API_AND_CONFIG_MAP", ["authenticationMode is 'API_AND_CONFIG_MAP'"]),
        ("accessConfig.authenticationMode", "CONFIG_MAP", ["authenticationMode is 'CONFIG_MAP'"]),
        ("accessConfig.authenticationMode", DELETE, ["not set (the EKS API default: CONFIG_MAP)"]),
        ("accessConfig.bootstrapClusterCreatorAdminPermissions", True, ["bootstrapClusterCreatorAdminPermissions"]),
        ("accessConfig.bootstrapClusterCreatorAdminPermissions", DELETE, ["bootstrapClusterCreatorAdminPermissions"]),
        ("accessConfig", DELETE, ["not set (the EKS API default", "bootstrapClusterCreatorAdminPermissions"]),
    ],
)
def test_eks_authentication(path: str, value: Any, expected: list[str]) -> None:
    found = messages(cluster_api_authentication.RULE, reg(EKS, "serving-cluster", mutate(EKS_INPUTS, path, value)))
    assert len(found) == len(expected), found
    for text, message in zip(expected, found, strict=True):
        assert text in message


# --- Secrets Manager ---------------------------------------------------------------------------------

SECRET = "aws:secretsmanager/secret:Secret"
SECRET_INPUTS = {"namePrefix": "prod/mlflow/admin-password-", "kmsKeyId": KEY_ARN, "recoveryWindowInDays": 7}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (KEY_ARN, None),
        (DELETE, "kmsKeyId is not set: the AWS managed key aws/secretsmanager is used"),
        ("alias/aws/secretsmanager", "is an AWS managed key"),
    ],
)
def test_secret_customer_key(value: Any, expected: str | None) -> None:
    found = messages(secret_customer_key.RULE, reg(SECRET, "s", mutate(SECRET_INPUTS, "kmsKeyId", value)))
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1 and expected in found[0], found


@pytest.mark.parametrize("field", ["namePrefix", "name"])
def test_secret_pull_through_cache_logins_not_applicable(field: str) -> None:
    login = reg(SECRET, "login", {field: "ecr-pullthroughcache/prod-docker-hub-", "recoveryWindowInDays": 7})
    assert violations(secret_customer_key.RULE, login) == []
    assert not_applicable(secret_customer_key.RULE, login)


# --- S3: force destroy and ownership -----------------------------------------------------------------

BUCKET = "aws:s3/bucket:Bucket"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"


def test_force_destroy_production_only() -> None:
    rule = bucket_no_force_destroy.RULE
    bucket = {"bucket": "prod-raw-123456789012-eu-west-1", "forceDestroy": False}
    assert violations(rule, reg(BUCKET, "b", bucket, stack="prod"), **PROD) == []
    assert violations(rule, reg(BUCKET, "b", mutate(bucket, "forceDestroy", DELETE), stack="prod"), **PROD) == []
    found = messages(rule, reg(BUCKET, "b", mutate(bucket, "forceDestroy", True), stack="prod"), **PROD)
    assert len(found) == 1 and "forceDestroy is true in the production tier" in found[0]
    phoenix = {"mlops:environment": "pr-42", "mlops:phoenix": {"enabled": True}}
    destroyable = reg(BUCKET, "b", mutate(bucket, "forceDestroy", True), stack="pr-42")
    assert violations(rule, destroyable, stack="pr-42", config=phoenix) == []
    assert not_applicable(rule, destroyable, stack="pr-42", config=phoenix) == [
        "tier 'ephemeral' is not one of ['production']"
    ]


@pytest.mark.parametrize(
    ("ownership", "violates"),
    [("BucketOwnerEnforced", False), ("BucketOwnerPreferred", True), ("ObjectWriter", True), (DELETE, True)],
)
def test_ownership_enforced(ownership: Any, violates: bool) -> None:
    inputs = mutate(
        {"bucket": "prod-raw", "rule": {"objectOwnership": "BucketOwnerEnforced"}}, "rule.objectOwnership", ownership
    )
    found = messages(bucket_ownership_enforced.RULE, reg(OWNERSHIP, "o", inputs))
    assert bool(found) is violates, found
