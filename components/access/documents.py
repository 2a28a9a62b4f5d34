"""Pure policy documents of the way in: the controller's IAM policy, the access bucket's policy, the Verified
Access Cedar policy. Plain values in, JSON text out; tested directly.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from components.cluster.control_plane import region_fence
from components.iam import document

BINDING_TAG = "mlops:ingress-cluster"
"""Tag on every target group the stack creates for pods, valued with the cluster's name: the controller's role may
register targets only in target groups carrying it (plus the ARN prefix below)."""

ELB_LOG_DELIVERY_PRINCIPAL = "logdelivery.elasticloadbalancing.amazonaws.com"
"""Service principal that writes ALB access and connection logs in Regions opened since August 2022
(ELB user guide, "Enable access logs for your Application Load Balancer", step 2)."""

ELB_ACCOUNTS: dict[str, str] = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-south-1": "718504428378",
    "ap-northeast-1": "582318560864",
    "ap-northeast-2": "600734575887",
    "ap-northeast-3": "383597477331",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-southeast-3": "589379963580",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-west-3": "009996457667",
    "eu-south-1": "635631232127",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
    "us-gov-west-1": "048591011584",
    "us-gov-east-1": "190560391635",
    "cn-north-1": "638102146993",
    "cn-northwest-1": "037604701340",
}
"""Regions opened before August 2022: ELB delivers access logs there as its regional account, which the bucket
policy must name (ELB user guide, "Enable access logs", step 2; the same table as terraform-aws-modules/
terraform-aws-s3-bucket v5.15.4 main.tf ``elb_service_accounts``). Newer Regions use the service principal."""

CONTROLLER_READS = (
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeVpcs",
)
"""Read calls TargetGroupBinding reconciliation makes (kubernetes-sigs/aws-load-balancer-controller v3.5.0):
DescribeTargetGroups by the TargetGroupBinding webhooks (webhooks/elbv2/targetgroup_helper.go) and target
listing, DescribeTargetHealth (pkg/targetgroupbinding/targets_manager.go), DescribeVpcs for the pod-IP/AZ check
before RegisterTargets (resource_manager.go generateOverrideAzFn), DescribeSecurityGroups by the networking
manager, which still lists the cluster-tagged groups to clean rules it once added even when no binding has a
``networking`` section (pkg/networking/networking_manager.go fetchEndpointSGsFromAWS). None of these take
resource-level permissions (Service Authorization Reference, Elastic Load Balancing and EC2): Resource ``*``."""

CONTROLLER_WRITES = ("elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets")
"""The only writes of TargetGroupBinding reconciliation with ``targetType: ip`` and no ``networking``."""


def controller_policy(*, partition: str, region: str, account: str, cluster_name: str, target_group_prefix: str) -> str:
    """The controller's IAM policy, cut down from upstream ``docs/install/iam_policy.json`` (v3.5.0) to what
    reconciling TargetGroupBindings needs.

    Left out on purpose: creating or changing load balancers, listeners, rules, target groups and security groups
    (Pulumi owns them), WAF, Shield, ACM, Cognito and IAM server-certificate reads (Ingress features, switched off
    in the chart values), ``iam:CreateServiceLinkedRole`` (load balancers are created by the deployer), and the
    EC2 rule writes of a binding's ``networking`` section (the flow graph renders security-group rules).
    Registering targets is limited to this stack's target groups twice over: the ARN prefix of their names and the
    :data:`BINDING_TAG` tag valued with this cluster's name (ELB evaluates ``aws:ResourceTag`` on target groups, as
    upstream's own policy relies on for ModifyTargetGroup/DeleteTargetGroup).
    """
    target_groups = f"arn:{partition}:elasticloadbalancing:{region}:{account}:targetgroup/{target_group_prefix}*/*"
    return document(
        [
            {"Sid": "ReadTargetsAndNetwork", "Effect": "Allow", "Action": list(CONTROLLER_READS), "Resource": "*"},
            {
                "Sid": "RegisterPodTargets",
                "Effect": "Allow",
                "Action": list(CONTROLLER_WRITES),
                "Resource": target_groups,
                "Condition": {"StringEquals": {f"aws:ResourceTag/{BINDING_TAG}": cluster_name}},
            },
        ],
        region_fence(region, ["ec2", "elasticloadbalancing"]),
    )


def deny_insecure_transport(bucket_arn: str) -> dict[str, Any]:
    """TLS only, for everyone (s3-bucket-tls-only)."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def access_bucket_policy(
    *, bucket_arn: str, region: str, account: str, partition: str, log_prefixes: Sequence[str]
) -> str:
    """Policy of the access bucket: TLS only; Elastic Load Balancing may write log objects under ``log_prefixes``
    (``<prefix>/AWSLogs/<account>/...``), nothing else.

    Both forms AWS documents for ALB log delivery are granted, as terraform-aws-modules/terraform-aws-s3-bucket
    does: the service principal (Regions since August 2022, conditioned on the account) and, in older Regions, the
    regional ELB account (which cannot carry an aws:SourceAccount condition: it is ELB's own account writing).
    With ACLs disabled (BucketOwnerEnforced) no ``x-amz-acl`` condition is needed.
    """
    objects = sorted(f"{bucket_arn}/{prefix.strip('/')}/AWSLogs/{account}/*" for prefix in log_prefixes)
    statements: list[dict[str, Any]] = [
        deny_insecure_transport(bucket_arn),
        {
            "Sid": "ElbLogDelivery",
            "Effect": "Allow",
            "Principal": {"Service": ELB_LOG_DELIVERY_PRINCIPAL},
            "Action": "s3:PutObject",
            "Resource": objects,
            "Condition": {"StringEquals": {"aws:SourceAccount": account}},
        },
    ]
    elb_account = ELB_ACCOUNTS.get(region)
    if elb_account is not None:
        statements.append(
            {
                "Sid": "ElbLogDeliveryRegionalAccount",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{elb_account}:root"},
                "Action": "s3:PutObject",
                "Resource": objects,
            }
        )
    return document(statements)


def identity_center_policy(reference: str, group_ids: Sequence[str]) -> str:
    """The Cedar policy admitting members of any of ``group_ids`` with a verified e-mail address.

    Context keys from the Verified Access user guide, "AWS IAM Identity Center context for Verified Access trust
    data" (``context.<policy reference name>.groups``, ``.user.email.verified``), as in its "Example 1".
    """
    if not group_ids:
        raise ValueError("identity_center_policy: no group ids; nobody would get in")
    groups = " || ".join(f'context.{reference}.groups has "{group}"' for group in sorted(group_ids))
    return f"permit(principal, action, resource)\nwhen {{\n  ({groups})\n  && context.{reference}.user.email.verified == true\n}};"


def cognito_callback_urls(hosts: Sequence[str]) -> list[str]:
    """Where Cognito may send the authorization code: ``https://<host>/oauth2/idpresponse`` of each host the load
    balancer authenticates (ELB user guide, "Authenticate users using an Application Load Balancer")."""
    return [f"https://{host}/oauth2/idpresponse" for host in sorted(hosts)]


def statements_of(policy: str) -> list[dict[str, Any]]:
    """The statements of a policy document (tests and tools)."""
    parsed: dict[str, Any] = json.loads(policy)
    statements: list[dict[str, Any]] = parsed["Statement"]
    return statements


__all__ = [
    "BINDING_TAG",
    "CONTROLLER_READS",
    "CONTROLLER_WRITES",
    "ELB_ACCOUNTS",
    "ELB_LOG_DELIVERY_PRINCIPAL",
    "access_bucket_policy",
    "cognito_callback_urls",
    "controller_policy",
    "identity_center_policy",
]
