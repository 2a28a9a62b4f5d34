"""The way in's pure documents: the controller's IAM policy (a subset of upstream's, scoped to this stack's
target groups), the access bucket's policy (TLS only, ELB log delivery under the log prefixes), the Cedar policy."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.access.documents import (
    BINDING_TAG,
    ELB_ACCOUNTS,
    ELB_LOG_DELIVERY_PRINCIPAL,
    access_bucket_policy,
    cognito_callback_urls,
    controller_policy,
    identity_center_policy,
    statements_of,
)
from policies.mlops.iam_doc import is_read_only
from policies.mlops.s3.bucket_tls_only import denies_insecure_transport

ACCOUNT = "123456789012"
BUCKET = "arn:aws:s3:::dev-access-123456789012-eu-west-1"

UPSTREAM_ACTIONS = frozenset(
    [
        "acm:DescribeCertificate",
        "acm:ListCertificates",
        "cognito-idp:DescribeUserPoolClient",
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:CreateSecurityGroup",
        "ec2:CreateTags",
        "ec2:DeleteSecurityGroup",
        "ec2:DeleteTags",
        "ec2:DescribeAccountAttributes",
        "ec2:DescribeAddresses",
        "ec2:DescribeAvailabilityZones",
        "ec2:DescribeCoipPools",
        "ec2:DescribeInstances",
        "ec2:DescribeInternetGateways",
        "ec2:DescribeIpamPools",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeRouteTables",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets",
        "ec2:DescribeTags",
        "ec2:DescribeVpcPeeringConnections",
        "ec2:DescribeVpcs",
        "ec2:GetCoipPoolUsage",
        "ec2:GetSecurityGroupsForVpc",
        "ec2:RevokeSecurityGroupIngress",
        "elasticloadbalancing:AddListenerCertificates",
        "elasticloadbalancing:AddTags",
        "elasticloadbalancing:CreateListener",
        "elasticloadbalancing:CreateLoadBalancer",
        "elasticloadbalancing:CreateRule",
        "elasticloadbalancing:CreateTargetGroup",
        "elasticloadbalancing:DeleteListener",
        "elasticloadbalancing:DeleteLoadBalancer",
        "elasticloadbalancing:DeleteRule",
        "elasticloadbalancing:DeleteTargetGroup",
        "elasticloadbalancing:DeregisterTargets",
        "elasticloadbalancing:DescribeCapacityReservation",
        "elasticloadbalancing:DescribeListenerAttributes",
        "elasticloadbalancing:DescribeListenerCertificates",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeRules",
        "elasticloadbalancing:DescribeSSLPolicies",
        "elasticloadbalancing:DescribeTags",
        "elasticloadbalancing:DescribeTargetGroupAttributes",
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetHealth",
        "elasticloadbalancing:DescribeTrustStores",
        "elasticloadbalancing:ModifyCapacityReservation",
        "elasticloadbalancing:ModifyIpPools",
        "elasticloadbalancing:ModifyListener",
        "elasticloadbalancing:ModifyListenerAttributes",
        "elasticloadbalancing:ModifyLoadBalancerAttributes",
        "elasticloadbalancing:ModifyRule",
        "elasticloadbalancing:ModifyTargetGroup",
        "elasticloadbalancing:ModifyTargetGroupAttributes",
        "elasticloadbalancing:RegisterTargets",
        "elasticloadbalancing:RemoveListenerCertificates",
        "elasticloadbalancing:RemoveTags",
        "elasticloadbalancing:SetIpAddressType",
        "elasticloadbalancing:SetRulePriorities",
        "elasticloadbalancing:SetSecurityGroups",
        "elasticloadbalancing:SetSubnets",
        "elasticloadbalancing:SetWebAcl",
        "iam:CreateServiceLinkedRole",
        "iam:GetServerCertificate",
        "iam:ListServerCertificates",
        "shield:CreateProtection",
        "shield:DeleteProtection",
        "shield:DescribeProtection",
        "shield:GetSubscriptionState",
        "waf-regional:AssociateWebACL",
        "waf-regional:DisassociateWebACL",
        "waf-regional:GetWebACL",
        "waf-regional:GetWebACLForResource",
        "wafv2:AssociateWebACL",
        "wafv2:DisassociateWebACL",
        "wafv2:GetWebACL",
        "wafv2:GetWebACLForResource",
    ]
)
"""Every action of docs/install/iam_policy.json at kubernetes-sigs/aws-load-balancer-controller v3.5.0
(commit 11eb202c97e4ae2ee45e0658c4cde9a4b59f33d4, sha256 16f232c9d9f7...a6a): 80 actions."""


def _policy() -> list[dict[str, Any]]:
    return statements_of(
        controller_policy(
            partition="aws", region="eu-west-1", account=ACCOUNT, cluster_name="mlops-dev", target_group_prefix="dev-"
        )
    )


def test_the_controller_policy_is_cut_down_from_upstream_to_target_registration() -> None:
    statements = _policy()
    allowed = {a for s in statements if s["Effect"] == "Allow" for a in s["Action"]}
    assert len(UPSTREAM_ACTIONS) == 80
    assert allowed <= UPSTREAM_ACTIONS
    assert allowed == {
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetHealth",
        "elasticloadbalancing:RegisterTargets",
        "elasticloadbalancing:DeregisterTargets",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeVpcs",
    }
    # Nothing that creates, changes or deletes a load balancer, listener, rule, target group or security group.
    assert not {
        a for a in allowed if a.split(":")[1].startswith(("Create", "Delete", "Modify", "Set", "Authorize", "Revoke"))
    }


def test_writes_are_scoped_to_this_stacks_target_groups_by_arn_and_tag() -> None:
    (reads, writes, fence) = _policy()
    assert reads["Resource"] == "*" and all(is_read_only(a) for a in reads["Action"])
    assert writes == {
        "Sid": "RegisterPodTargets",
        "Effect": "Allow",
        "Action": ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
        "Resource": f"arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:targetgroup/dev-*/*",
        "Condition": {"StringEquals": {f"aws:ResourceTag/{BINDING_TAG}": "mlops-dev"}},
    }
    assert fence["Effect"] == "Deny" and fence["Condition"] == {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}
    assert sorted(fence["Action"]) == ["ec2:*", "elasticloadbalancing:*"]


def test_the_access_bucket_admits_elb_log_delivery_under_the_log_prefixes_only() -> None:
    statements = statements_of(
        access_bucket_policy(
            bucket_arn=BUCKET,
            region="eu-west-1",
            account=ACCOUNT,
            partition="aws",
            log_prefixes=["logs/people", "logs/models"],
        )
    )
    tls, service, regional = statements
    assert denies_insecure_transport(tls)
    objects = [f"{BUCKET}/logs/models/AWSLogs/{ACCOUNT}/*", f"{BUCKET}/logs/people/AWSLogs/{ACCOUNT}/*"]
    assert service == {
        "Sid": "ElbLogDelivery",
        "Effect": "Allow",
        "Principal": {"Service": ELB_LOG_DELIVERY_PRINCIPAL},
        "Action": "s3:PutObject",
        "Resource": objects,
        "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
    }
    # eu-west-1 opened before August 2022: ELB writes as its regional account there.
    assert regional["Principal"] == {"AWS": "arn:aws:iam::156460612806:root"} and regional["Resource"] == objects
    assert regional["Action"] == "s3:PutObject"


def test_newer_regions_need_only_the_service_principal() -> None:
    statements = statements_of(
        access_bucket_policy(
            bucket_arn=BUCKET, region="eu-central-2", account=ACCOUNT, partition="aws", log_prefixes=["logs/people"]
        )
    )
    assert [s["Sid"] for s in statements] == ["DenyInsecureTransport", "ElbLogDelivery"]
    assert "eu-central-2" not in ELB_ACCOUNTS and len(ELB_ACCOUNTS) == 26


def test_identity_center_policy_admits_the_groups_with_a_verified_email() -> None:
    policy = identity_center_policy("idp", ["b-group", "a-group"])
    assert policy == (
        "permit(principal, action, resource)\nwhen {\n"
        '  (context.idp.groups has "a-group" || context.idp.groups has "b-group")\n'
        "  && context.idp.user.email.verified == true\n};"
    )
    with pytest.raises(ValueError, match="nobody would get in"):
        identity_center_policy("idp", [])


def test_cognito_callbacks_are_the_load_balancer_idpresponse_paths() -> None:
    assert cognito_callback_urls(["mlflow.ml.example.com", "airflow.ml.example.com"]) == [
        "https://airflow.ml.example.com/oauth2/idpresponse",
        "https://mlflow.ml.example.com/oauth2/idpresponse",
    ]


def test_documents_are_json_with_a_version() -> None:
    document = json.loads(
        controller_policy(
            partition="aws", region="eu-west-1", account=ACCOUNT, cluster_name="c", target_group_prefix="p-"
        )
    )
    assert document["Version"] == "2012-10-17"
