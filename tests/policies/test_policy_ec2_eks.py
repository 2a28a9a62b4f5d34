"""EC2/VPC, ELB and EKS rules."""

from __future__ import annotations

import json
from typing import Any

import pytest
from policy_testkit import DELETE, messages, mutate, not_applicable, reg, urn, violations

from policies.mlops.ec2 import (
    default_security_group_no_rules,
    launch_template_imdsv2,
    security_group_no_public_ingress,
    subnet_no_public_ip,
    volume_encrypted,
    vpc_flow_logs,
)
from policies.mlops.ec2._types import (
    DEFAULT_SECURITY_GROUP,
    EBS_ENCRYPTION_BY_DEFAULT,
    EBS_VOLUME,
    EKS_NODE_GROUP,
    FLOW_LOG,
    INGRESS_RULE,
    INSTANCE,
    LAUNCH_TEMPLATE,
    SECURITY_GROUP,
    SECURITY_GROUP_RULE,
    SUBNET,
    VPC,
)
from policies.mlops.eks import (
    addon_network_policy_enforced,
    cluster_control_plane_logging,
    cluster_private_endpoint,
    cluster_secrets_encryption,
)
from policies.mlops.eks._types import ADDON, CLUSTER
from policies.mlops.elb import load_balancer_internal
from policies.mlops.kube import HELM_RELEASE, NETWORK_POLICY

VPC_URN = urn(VPC, "vpc")

# --- security groups ---------------------------------------------------------------------------

SG = {"vpcId": "vpc-1", "ingress": [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["10.0.0.0/16"]}]}


@pytest.mark.parametrize(
    ("type_", "inputs", "expected"),
    [
        (SECURITY_GROUP, SG, []),
        (SECURITY_GROUP, mutate(SG, "ingress", DELETE), []),
        (
            SECURITY_GROUP,
            mutate(SG, "ingress[0].cidrBlocks", ["0.0.0.0/0"]),
            ["ingress tcp 443-443 is open to 0.0.0.0/0"],
        ),
        (SECURITY_GROUP, mutate(SG, "ingress[0].ipv6CidrBlocks", ["::/0"]), ["ingress tcp 443-443 is open to ::/0"]),
        (
            SECURITY_GROUP_RULE,
            {"type": "ingress", "protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]},
            ["ingress -1 0-0 is open to 0.0.0.0/0"],
        ),
        (
            SECURITY_GROUP_RULE,
            {"type": "ingress", "protocol": "tcp", "fromPort": 5432, "toPort": 5432, "sourceSecurityGroupId": "sg-2"},
            [],
        ),
        (
            INGRESS_RULE,
            {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv4": "0.0.0.0/0"},
            ["ingress tcp 22-22 is open to 0.0.0.0/0"],
        ),
        (
            INGRESS_RULE,
            {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv6": "::/0"},
            ["ingress tcp 22-22 is open to ::/0"],
        ),
    ],
)
def test_security_group_ingress(type_: str, inputs: dict[str, Any], expected: list[str]) -> None:
    assert messages(security_group_no_public_ingress.RULE, reg(type_, "sg", inputs)) == expected


def test_egress_rule_is_not_applicable() -> None:
    egress = reg(SECURITY_GROUP_RULE, "out", {"type": "egress", "cidrBlocks": ["0.0.0.0/0"]})
    assert violations(security_group_no_public_ingress.RULE, egress) == []
    assert not_applicable(security_group_no_public_ingress.RULE, egress) == ["egress rule"]


# --- launch templates, volumes ------------------------------------------------------------------

LT = {
    "metadataOptions": {"httpTokens": "required", "httpEndpoint": "enabled", "httpPutResponseHopLimit": 1},
    "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "volumeSize": 50}}],
}


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        (LT, []),
        (mutate(LT, "metadataOptions.httpTokens", "optional"), ["metadataOptions.httpTokens is 'optional'"]),
        (mutate(LT, "metadataOptions", DELETE), ["metadataOptions.httpTokens is not set"]),
        (mutate(LT, "metadataOptions", {"httpEndpoint": "disabled"}), []),
    ],
)
def test_imdsv2(inputs: dict[str, Any], expected: list[str]) -> None:
    for type_ in (LAUNCH_TEMPLATE, INSTANCE):
        found = messages(launch_template_imdsv2.RULE, reg(type_, "lt", inputs))
        assert len(found) == len(expected) and all(e in m for m, e in zip(found, expected, strict=True)), found


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ([reg(LAUNCH_TEMPLATE, "lt", LT)], []),
        (
            [reg(LAUNCH_TEMPLATE, "lt", mutate(LT, "blockDeviceMappings[0].ebs.encrypted", "false"))],
            ["/dev/xvda: encrypted is false"],
        ),
        (
            [reg(LAUNCH_TEMPLATE, "lt", mutate(LT, "blockDeviceMappings[0].ebs.encrypted", DELETE))],
            ["/dev/xvda: encrypted is not set"],
        ),
        ([reg(LAUNCH_TEMPLATE, "lt", mutate(LT, "blockDeviceMappings", DELETE))], ["no blockDeviceMappings"]),
        (
            [
                reg(LAUNCH_TEMPLATE, "lt", mutate(LT, "blockDeviceMappings", DELETE)),
                reg(EBS_ENCRYPTION_BY_DEFAULT, "ebs", {"enabled": True}),
            ],
            [],
        ),
        (
            [
                reg(LAUNCH_TEMPLATE, "lt", mutate(LT, "blockDeviceMappings[0].ebs.encrypted", "false")),
                reg(EBS_ENCRYPTION_BY_DEFAULT, "ebs", {"enabled": True}),
            ],
            ["/dev/xvda: encrypted is false"],
        ),
        ([reg(INSTANCE, "vm", {"rootBlockDevice": {"encrypted": True}})], []),
        ([reg(INSTANCE, "vm", {"rootBlockDevice": {"encrypted": False}})], ["root volume: encrypted is false"]),
        (
            [
                reg(
                    INSTANCE,
                    "vm",
                    {"rootBlockDevice": {"encrypted": True}, "ebsBlockDevices": [{"deviceName": "/dev/sdf"}]},
                )
            ],
            ["/dev/sdf: encrypted is not set"],
        ),
        ([reg(EBS_VOLUME, "v", {"encrypted": True, "size": 10})], []),
        ([reg(EBS_VOLUME, "v", {"size": 10})], ["encrypted is not set"]),
        ([reg(EKS_NODE_GROUP, "ng", {"launchTemplate": {"id": "lt-1", "version": "1"}})], []),
        ([reg(EKS_NODE_GROUP, "ng", {"diskSize": 50})], ["node group without launch template"]),
    ],
)
def test_volume_encrypted(resources: list[Any], expected: list[str]) -> None:
    found = messages(volume_encrypted.RULE, *resources)
    assert len(found) == len(expected) and all(e in m for m, e in zip(found, expected, strict=True)), found


# --- VPC: flow logs, default security group, subnets ---------------------------------------------


def flow_log(traffic: str = "ALL") -> Any:
    return reg(
        FLOW_LOG,
        "flow",
        {"vpcId": "vpc-1", "trafficType": traffic, "logDestinationType": "cloud-watch-logs"},
        deps={"vpcId": [VPC_URN]},
    )


def test_vpc_flow_logs() -> None:
    vpc = reg(VPC, "vpc", {"cidrBlock": "10.0.0.0/16"})
    assert violations(vpc_flow_logs.RULE, vpc, flow_log()) == []
    assert messages(vpc_flow_logs.RULE, vpc) == ["no FlowLog records this VPC's traffic"]
    assert messages(vpc_flow_logs.RULE, vpc, flow_log("ACCEPT")) == ["flow logs do not capture trafficType ALL"]
    unlinked = reg(FLOW_LOG, "flow", {"vpcId": "vpc-other", "trafficType": "ALL"})
    assert len(violations(vpc_flow_logs.RULE, vpc, unlinked)) == 1


def test_default_security_group() -> None:
    vpc = reg(VPC, "vpc", {"cidrBlock": "10.0.0.0/16"})
    empty = reg(DEFAULT_SECURITY_GROUP, "default-sg", {"vpcId": "vpc-1"}, deps={"vpcId": [VPC_URN]})
    assert violations(default_security_group_no_rules.RULE, vpc, empty) == []
    assert messages(default_security_group_no_rules.RULE, vpc) == [
        "the VPC's default security group is not adopted (AWS leaves allow-all rules in it)"
    ]
    open_group = reg(
        DEFAULT_SECURITY_GROUP,
        "default-sg",
        {
            "vpcId": "vpc-1",
            "ingress": [{"protocol": "-1", "self": True, "fromPort": 0, "toPort": 0}],
            "egress": [{"protocol": "-1", "cidrBlocks": ["0.0.0.0/0"], "fromPort": 0, "toPort": 0}],
        },
        deps={"vpcId": [VPC_URN]},
    )
    assert messages(default_security_group_no_rules.RULE, vpc, open_group) == [
        "default security group declares 1 egress rule(s)",
        "default security group declares 1 ingress rule(s)",
    ]


def test_subnet_public_ip_is_advisory() -> None:
    assert violations(subnet_no_public_ip.RULE, reg(SUBNET, "s", {"vpcId": "v", "cidrBlock": "10.0.0.0/24"})) == []
    found = violations(subnet_no_public_ip.RULE, reg(SUBNET, "s", {"mapPublicIpOnLaunch": True}))
    assert [(v.level, v.message[:27]) for v in found] == [("advisory", "mapPublicIpOnLaunch is true")]


def test_load_balancer_internal() -> None:
    lb = "aws:lb/loadBalancer:LoadBalancer"
    assert violations(load_balancer_internal.RULE, reg(lb, "lb", {"internal": True})) == []
    assert len(violations(load_balancer_internal.RULE, reg(lb, "lb", {"internal": False}))) == 1
    assert len(violations(load_balancer_internal.RULE, reg(lb, "lb", {"loadBalancerType": "application"}))) == 1


# --- EKS ----------------------------------------------------------------------------------------

EKS = {
    "roleArn": "arn:aws:iam::123456789012:role/cluster",
    "vpcConfig": {"subnetIds": ["subnet-1"], "endpointPrivateAccess": True, "endpointPublicAccess": False},
    "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": "arn:aws:kms:eu-west-1:1:key/k"}},
    "enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
}

EKS_CASES = [
    (cluster_private_endpoint, "vpcConfig.endpointPublicAccess", True, "the public API endpoint is enabled"),
    (cluster_private_endpoint, "vpcConfig.endpointPublicAccess", DELETE, "the public API endpoint is enabled"),
    (cluster_private_endpoint, "vpcConfig.endpointPrivateAccess", False, "endpointPrivateAccess is not true"),
    (cluster_secrets_encryption, "encryptionConfig", DELETE, "encryptionConfig is not set"),
    (cluster_secrets_encryption, "encryptionConfig.resources", [], "does not include 'secrets'"),
    (cluster_secrets_encryption, "encryptionConfig.provider.keyArn", "", "keyArn is not set"),
    (
        cluster_control_plane_logging,
        "enabledClusterLogTypes",
        ["api"],
        "missing audit, authenticator, controllerManager, scheduler",
    ),
    (cluster_control_plane_logging, "enabledClusterLogTypes", DELETE, "missing api, audit"),
]


@pytest.mark.parametrize(("module", "field", "value", "expected"), EKS_CASES)
def test_eks_cluster(module: Any, field: str, value: Any, expected: str) -> None:
    assert violations(module.RULE, reg(CLUSTER, "eks", EKS)) == []
    found = messages(module.RULE, reg(CLUSTER, "eks", mutate(EKS, field, value)))
    assert len(found) == 1 and expected in found[0], found


def test_public_endpoint_message_lists_cidrs() -> None:
    inputs = mutate(mutate(EKS, "vpcConfig.endpointPublicAccess", True), "vpcConfig.publicAccessCidrs", ["1.2.3.4/32"])
    assert "for 1.2.3.4/32" in messages(cluster_private_endpoint.RULE, reg(CLUSTER, "eks", inputs))[0]


NP = {
    "metadata": {"name": "deny", "namespace": "serving"},
    "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
}


def cni(config: Any) -> Any:
    return reg(ADDON, "vpc-cni", {"addonName": "vpc-cni", "clusterName": "eks", "configurationValues": config})


def test_network_policy_enforcement() -> None:
    rule = addon_network_policy_enforced.RULE
    cluster, policy = reg(CLUSTER, "eks", EKS), reg(NETWORK_POLICY, "deny", NP)
    assert violations(rule, cluster, policy, cni(json.dumps({"enableNetworkPolicy": "true"}))) == []
    assert violations(rule, cluster, cni(json.dumps({}))) == []  # no NetworkPolicy declared: nothing to enforce
    missing = violations(rule, cluster, policy)
    assert [(v.urn, v.message[:38]) for v in missing] == [
        (urn(CLUSTER, "eks"), "NetworkPolicies are declared but no vp")
    ]
    assert messages(rule, cluster, policy, cni(json.dumps({"enableNetworkPolicy": "false"}))) == [
        'vpc-cni configurationValues does not set enableNetworkPolicy to "true"'
    ]
    assert len(violations(rule, cluster, policy, cni(""))) == 1  # empty configuration: agent off
    assert messages(rule, cluster, policy, cni("{bad")) == ["vpc-cni configurationValues is not valid JSON"]
    cilium = reg(HELM_RELEASE, "cilium", {"chart": "cilium", "version": "1.16.3"})
    assert violations(rule, cluster, policy, cilium) == []
