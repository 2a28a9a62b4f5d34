"""AWS Verified Access in front of the internal people load balancer (``mlops:access.verifiedAccess``).

One instance, one user trust provider (IAM Identity Center or the OIDC IdP of ``access.auth.oidc``) attached to it,
one group holding the Cedar policy, and one load-balancer endpoint per application domain (``mlflow.<domain>``,
``airflow.<domain>``) on the people load balancer's 443 listener, presenting the stack's ACM certificate. The
endpoints' network interfaces carry a security group of their own; the people load balancer admits 443 from it
(a declared flow), and nothing else. The application names resolve publicly (CNAMEs in a public hosted zone) to
the endpoints, so people reach MLflow and Airflow without a VPN.

AWS: Verified Access user guide ("Verified Access endpoints", "Load balancer endpoints", "IAM Identity Center
context for Verified Access trust data").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.access.config import AccessConfig
from components.access.documents import identity_center_policy
from components.access.identity import client_secret

POLICY_REFERENCE = "idp"
"""The trust provider's policy reference name: trust data is ``context.idp`` in the Cedar policy."""


@dataclass(frozen=True)
class VerifiedAccessEntry:
    """What the rest of the component needs from Verified Access."""

    security_group_id: pulumi.Output[str]
    """The endpoints' security group (source of the flow to the people load balancer)."""
    endpoint_domains: dict[str, pulumi.Output[str]]
    """Application host -> the endpoint's generated DNS name (public CNAME target)."""


def policy_document(access: AccessConfig) -> str:
    """The group's Cedar policy: the configured one, else Identity Center groups with a verified e-mail."""
    va = access.verified_access
    if va.policy is not None:
        return va.policy
    return identity_center_policy(POLICY_REFERENCE, va.allowed_group_ids)


def verified_access(
    name: str,
    *,
    access: AccessConfig,
    environment: str,
    vpc_id: pulumi.Input[str],
    subnet_ids: pulumi.Input[Sequence[str]],
    load_balancer_arn: pulumi.Input[str],
    certificate_arn: pulumi.Input[str],
    hosts: dict[str, str],
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource],
) -> VerifiedAccessEntry:
    """Instance, trust provider, group and one endpoint per application ``hosts`` (key -> host name)."""
    va = access.verified_access
    child = pulumi.ResourceOptions(parent=parent)
    group_sg = aws.ec2.SecurityGroup(
        f"{name}-va-sg",
        vpc_id=vpc_id,
        description=f"Verified Access endpoints of {environment}: to the people load balancer only (a declared flow)",
        revoke_rules_on_delete=True,
        tags={"Name": f"{environment}-verified-access"},
        opts=child,
    )
    instance = aws.verifiedaccess.Instance(
        f"{name}-va-instance", description=f"mlops {environment}: people entry", opts=child
    )
    if va.trust_provider == "iam-identity-center":
        provider = aws.verifiedaccess.TrustProvider(
            f"{name}-va-trust",
            policy_reference_name=POLICY_REFERENCE,
            trust_provider_type="user",
            user_trust_provider_type="iam-identity-center",
            description=f"mlops {environment}: IAM Identity Center users",
            opts=child,
        )
    else:
        oidc = access.auth.oidc
        if oidc is None:  # refused by the config model
            raise ValueError("verifiedAccess.trustProvider oidc needs access.auth.oidc")
        provider = aws.verifiedaccess.TrustProvider(
            f"{name}-va-trust",
            policy_reference_name=POLICY_REFERENCE,
            trust_provider_type="user",
            user_trust_provider_type="oidc",
            oidc_options=aws.verifiedaccess.TrustProviderOidcOptionsArgs(
                issuer=oidc.issuer,
                authorization_endpoint=oidc.authorization_endpoint,
                token_endpoint=oidc.token_endpoint,
                user_info_endpoint=oidc.user_info_endpoint,
                client_id=oidc.client_id,
                client_secret=client_secret(oidc),
                scope=oidc.scope,
            ),
            description=f"mlops {environment}: OIDC users",
            opts=child,
        )
    attachment = aws.verifiedaccess.InstanceTrustProviderAttachment(
        f"{name}-va-attachment",
        verifiedaccess_instance_id=instance.id,
        verifiedaccess_trust_provider_id=provider.id,
        opts=child,
    )
    group = aws.verifiedaccess.Group(
        f"{name}-va-group",
        verifiedaccess_instance_id=instance.id,
        policy_document=policy_document(access),
        description=f"mlops {environment}: MLflow and Airflow",
        # A group's policy is evaluated with the trust data of the instance's provider: attach it first.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[attachment]),
    )
    domains: dict[str, pulumi.Output[str]] = {}
    for key, host in sorted(hosts.items()):
        endpoint = aws.verifiedaccess.Endpoint(
            f"{name}-va-{key}",
            application_domain=host,
            attachment_type="vpc",
            domain_certificate_arn=certificate_arn,
            endpoint_domain_prefix=key.replace("-", ""),
            endpoint_type="load-balancer",
            load_balancer_options=aws.verifiedaccess.EndpointLoadBalancerOptionsArgs(
                load_balancer_arn=load_balancer_arn, port=443, protocol="https", subnet_ids=subnet_ids
            ),
            security_group_ids=[group_sg.id],
            verified_access_group_id=group.id,
            description=f"{host} -> people load balancer",
            opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)),
        )
        domains[host] = endpoint.endpoint_domain
    return VerifiedAccessEntry(security_group_id=group_sg.id, endpoint_domains=domains)


__all__ = ["POLICY_REFERENCE", "VerifiedAccessEntry", "policy_document", "verified_access"]
