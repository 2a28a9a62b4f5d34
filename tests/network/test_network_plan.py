"""Pure helpers of components.network (plan, policies): subnet plan, partitions, endpoint/key/role policies."""

from __future__ import annotations

import ipaddress
import json
from itertools import combinations

import pytest

from components.iam import partition_of
from components.network.plan import DEFAULT_TIERS, DESTINATION_SLOTS, destination_subnets, plan_subnets
from components.network.policies import (
    flow_log_key_policy,
    flow_log_role_policy,
    flow_log_trust_policy,
    interface_endpoint_policy,
    s3_gateway_policy,
)


def test_plan_for_a_16_with_three_azs() -> None:
    assert plan_subnets("10.40.0.0/16", 3) == {
        "private": ["10.40.0.0/18", "10.40.64.0/18", "10.40.128.0/18"],
        "database": ["10.40.192.0/21", "10.40.200.0/21", "10.40.208.0/21"],
        "public": ["10.40.216.0/21", "10.40.224.0/21", "10.40.232.0/21"],
    }


@pytest.mark.parametrize("cidr", ["10.40.0.0/16", "172.16.0.0/17", "192.168.0.0/18", "10.1.16.0/20"])
@pytest.mark.parametrize("az_count", [1, 2, 3])
def test_plan_is_disjoint_inside_the_vpc_and_aligned(cidr: str, az_count: int) -> None:
    vpc = ipaddress.IPv4Network(cidr)
    plan = plan_subnets(cidr, az_count)
    subnets = [ipaddress.IPv4Network(s) for tier in plan.values() for s in tier]  # strict: raises if misaligned
    assert all(len(cidrs) == az_count for cidrs in plan.values())
    assert all(s.subnet_of(vpc) for s in subnets)
    assert not any(a.overlaps(b) for a, b in combinations(subnets, 2))
    assert {t: ipaddress.IPv4Network(c[0]).prefixlen for t, c in plan.items()} == {
        t: vpc.prefixlen + bits for t, bits in DEFAULT_TIERS.items()
    }


def test_growing_azs_or_tiers_never_renumbers_a_subnet() -> None:
    two, three = plan_subnets("10.40.0.0/16", 2), plan_subnets("10.40.0.0/16", 3)
    for tier in two:
        assert three[tier][:2] == two[tier]
    without_public = plan_subnets("10.40.0.0/16", 3, {"private": 2, "database": 5})
    assert without_public["database"] == three["database"]


def test_plan_rejects_layouts_that_do_not_fit() -> None:
    with pytest.raises(ValueError, match="need more than"):
        plan_subnets("10.40.0.0/16", 2, {"private": 1, "database": 2})
    with pytest.raises(ValueError, match="/28"):
        plan_subnets("10.40.0.0/20", 3, {"private": 9})
    with pytest.raises(ValueError, match="az_count 4"):
        plan_subnets("10.40.0.0/16", 4)
    with pytest.raises(ValueError):
        plan_subnets("10.40.1.0/16", 2)  # host bits set


@pytest.mark.parametrize(
    ("region", "partition"), [("eu-west-1", "aws"), ("us-gov-west-1", "aws-us-gov"), ("cn-north-1", "aws-cn")]
)
def test_partition_of(region: str, partition: str) -> None:
    assert partition_of(region) == partition


def test_s3_gateway_policy_keeps_data_in_the_account() -> None:
    doc = json.loads(s3_gateway_policy("123456789012", "eu-west-1"))
    own, ecr = doc["Statement"]
    assert own["Condition"]["StringEquals"] == {
        "aws:ResourceAccount": "123456789012",
        "aws:PrincipalAccount": "123456789012",
    }
    # The only other bucket: ECR's image layers, read-only.
    assert ecr["Action"] == "s3:GetObject"
    assert ecr["Resource"] == "arn:aws:s3:::prod-eu-west-1-starport-layer-bucket/*"


def test_s3_policy_admits_no_public_registry_buckets_since_every_image_comes_through_ecr() -> None:
    # registry.k8s.io redirects AWS callers to a regional S3 bucket of another account (kubernetes/k8s.io#4214);
    # the cluster pulls it through the stack's ECR instead, so no registry bucket is admitted.
    from components.cluster.charts import cluster_autoscaler_values
    from components.registry.images import RegistryBase

    registry = RegistryBase(account_id="123456789012", region="eu-central-1")
    values = cluster_autoscaler_values(
        cluster_name="c", region="eu-central-1", role_arn="arn", image_tag="v1.34.0", registry=registry
    )
    assert (
        values["image"]["repository"]
        == "123456789012.dkr.ecr.eu-central-1.amazonaws.com/k8s/autoscaling/cluster-autoscaler"
    )
    text = s3_gateway_policy("123456789012", "eu-central-1")
    assert "registry-k8s-io" not in text and "docker-images-prod" not in text and "quayio" not in text


def test_interface_endpoint_policies() -> None:
    logs = json.loads(interface_endpoint_policy("logs", "123456789012", "eu-west-1") or "{}")
    assert [s["Condition"] for s in logs["Statement"]] == [{"StringEquals": {"aws:PrincipalAccount": "123456789012"}}]
    sts = json.loads(interface_endpoint_policy("sts", "123456789012", "eu-west-1") or "{}")
    web = [s for s in sts["Statement"] if s["Action"] == "sts:AssumeRoleWithWebIdentity"]
    assert web[0]["Resource"] == "arn:aws:iam::123456789012:role/*"
    assert interface_endpoint_policy("some-new-service", "123456789012", "eu-west-1") is None


def test_flow_log_key_policy_scopes_cloudwatch_to_the_group() -> None:
    doc = json.loads(flow_log_key_policy("123456789012", "eu-west-1", "/mlops/dev/vpc-flow-logs"))
    logs = next(s for s in doc["Statement"] if s["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"})
    assert logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"] == (
        "arn:aws:logs:eu-west-1:123456789012:log-group:/mlops/dev/vpc-flow-logs"
    )
    assert "kms:*" not in logs["Action"]


def test_flow_log_role_trust_and_permissions() -> None:
    trust = json.loads(flow_log_trust_policy("123456789012", "eu-west-1"))["Statement"][0]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/g"
    perms = json.loads(flow_log_role_policy(arn))["Statement"][0]
    assert perms["Resource"] == [arn, f"{arn}:*"]
    assert all(not a.endswith("*") for a in perms["Action"])


def test_each_destination_has_its_own_subnets_inside_the_database_tier() -> None:
    blocks = plan_subnets("10.40.0.0/16", 3)["database"]
    slots = {slot: destination_subnets(blocks, slot) for slot in DESTINATION_SLOTS}
    every = [ipaddress.ip_network(c) for cidrs in slots.values() for c in cidrs]
    assert all(net.prefixlen == 24 for net in every)
    # Pairwise disjoint: a NetworkPolicy naming one destination's subnets reaches no other destination.
    assert all(not a.overlaps(b) for i, a in enumerate(every) for b in every[i + 1 :])
    assert all(any(net.subnet_of(ipaddress.ip_network(b)) for b in blocks) for net in every)  # type: ignore[arg-type]
    assert slots["tracking-db"] == ["10.40.192.0/24", "10.40.200.0/24", "10.40.208.0/24"]
    assert slots["control-plane"] == ["10.40.197.0/24", "10.40.205.0/24", "10.40.213.0/24"]
    # A slot's place depends on nothing else: the same with two AZs.
    assert destination_subnets(plan_subnets("10.40.0.0/16", 2)["database"], "warehouse") == slots["warehouse"][:2]


def test_a_vpc_too_small_for_a_load_balancer_subnet_is_refused() -> None:
    blocks = plan_subnets("10.40.0.0/20", 2)["database"]  # /25 blocks: /28 slots
    assert destination_subnets(blocks, "endpoints") == ["10.40.12.48/28", "10.40.12.176/28"]
    with pytest.raises(ValueError, match=r"the ingress subnets would be /28.*need /27"):
        destination_subnets(blocks, "ingress")
    with pytest.raises(ValueError, match="unknown destination slot 'cache'"):
        destination_subnets(blocks, "cache")
