"""IAM roles for Kubernetes service accounts (IRSA), each trusted by exactly one service account.

AWS docs: https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html
The trust policy pins both ``aud`` (sts.amazonaws.com) and ``sub``
(``system:serviceaccount:<namespace>:<name>``) with StringEquals, so no other pod can assume it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class OidcIssuer:
    """The cluster's OIDC identity provider, as the cluster component exposes it."""

    provider_arn: pulumi.Input[str]
    """ARN of the IAM OIDC provider."""
    issuer_url: pulumi.Input[str]
    """Issuer URL (``https://oidc.eks.<region>.amazonaws.com/id/<ID>``)."""


def irsa_trust_policy(provider_arn: str, issuer_url: str, namespace: str, service_account: str) -> str:
    """Trust policy (JSON) for one service account of one cluster."""
    issuer = issuer_url.removeprefix("https://")
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": provider_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                            f"{issuer}:aud": "sts.amazonaws.com",
                        }
                    },
                }
            ],
        },
        sort_keys=True,
    )


def service_account_role(
    name: str,
    *,
    oidc: OidcIssuer,
    namespace: str,
    service_account: str,
    policy: pulumi.Input[str],
    parent: pulumi.Resource,
) -> aws.iam.Role:
    """A role assumable only by ``system:serviceaccount:<namespace>:<service_account>``, with one inline policy.

    Children are named ``<name>-role`` and ``<name>-policy``; annotate the service account with the
    returned role's ARN (``eks.amazonaws.com/role-arn``).
    """
    trust = pulumi.Output.all(oidc.provider_arn, oidc.issuer_url).apply(
        lambda args: irsa_trust_policy(str(args[0]), str(args[1]), namespace, service_account)
    )
    role = aws.iam.Role(
        f"{name}-role",
        assume_role_policy=trust,
        description=f"IRSA role of {namespace}/{service_account}",
        opts=pulumi.ResourceOptions(parent=parent),
    )
    aws.iam.RolePolicy(f"{name}-policy", role=role.id, policy=policy, opts=pulumi.ResourceOptions(parent=role))
    return role
