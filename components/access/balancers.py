"""Load balancers of the way in: their security groups, the load balancers, HTTPS/HTTP listeners and listener
rules, and IP-mode target groups bound to Services by ``TargetGroupBinding`` objects.

Every HTTPS listener presents the stack's certificate with a modern TLS policy and answers a fixed 404 by default;
every target group is ``target_type: ip``, tagged for the cluster, and filled by the AWS Load Balancer Controller.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.access import documents, routing
from components.access.logs import LOG_PREFIXES
from components.access.routing import AppTarget

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
"""TLS 1.3 and TLS 1.2 with restricted (forward-secret AEAD) ciphers and hybrid post-quantum key exchange: the
policy AWS recommends (ELB user guide, "Security policies for your Application Load Balancer"; the console's
default since 2025-09). The API's own default is ELBSecurityPolicy-2016-08 (TLS 1.0), so it is always set."""
IDP_EGRESS_CIDR = "0.0.0.0/0"
"""The people load balancer calls the IdP's token and user-info endpoints (internet hosts, changing addresses)."""
HEALTH_MATCHER = "200"


def security_group(
    name: str, role: str, what: str, *, environment: str, vpc_id: pulumi.Input[str], parent: pulumi.Resource
) -> aws.ec2.SecurityGroup:
    """``<name>-<role>-sg``: the load balancer's own security group."""
    return aws.ec2.SecurityGroup(
        f"{name}-{role}-sg",
        vpc_id=vpc_id,
        # No egress here for pods: each load balancer -> pod connection is a declared flow (both ends rendered).
        description=f"{environment} {what}: clients on HTTPS only; to pods only through declared flows",
        revoke_rules_on_delete=True,
        tags={"Name": f"{environment}-{role}-alb"},
        opts=pulumi.ResourceOptions(parent=parent),
    )


def admit(name: str, group: aws.ec2.SecurityGroup, cidrs: Sequence[str], ports: Sequence[int]) -> None:
    """Ingress from client networks, one rule per (CIDR, port), named by a digest so each keeps its resource."""
    for cidr in cidrs:
        digest = hashlib.sha256(cidr.encode()).hexdigest()[:8]
        for port in ports:
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-{port}-{digest}",
                security_group_id=group.id,
                cidr_ipv4=cidr,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                description=f"clients {cidr} -> load balancer {port}",
                opts=pulumi.ResourceOptions(parent=group),
            )


def idp_egress(name: str, group: aws.ec2.SecurityGroup) -> None:
    """``<name>-people-idp``: the people load balancer itself exchanges the sign-in code at the IdP's token endpoint
    and reads user info (re:Post knowledge-center/elb-configure-authentication-alb, "HTTP 500": an outbound rule to
    the IdP on 443)."""
    aws.vpc.SecurityGroupEgressRule(
        f"{name}-people-idp",
        security_group_id=group.id,
        cidr_ipv4=IDP_EGRESS_CIDR,
        ip_protocol="tcp",
        from_port=443,
        to_port=443,
        description="people load balancer -> IdP token and user-info endpoints (sign-in)",
        opts=pulumi.ResourceOptions(parent=group),
    )


def load_balancer(
    name: str,
    role: str,
    *,
    environment: str,
    group: aws.ec2.SecurityGroup,
    subnets: pulumi.Input[Sequence[str]],
    internal: bool,
    bucket: aws.s3.Bucket,
    ready: Sequence[pulumi.Resource],
    protect: bool,
    parent: pulumi.Resource,
    connection_logs: bool = False,
) -> aws.lb.LoadBalancer:
    """``<name>-<role>-alb``: an application load balancer logging to the access bucket."""
    return aws.lb.LoadBalancer(
        f"{name}-{role}-alb",
        name=routing.resource_name(environment, role),
        load_balancer_type="application",
        internal=internal,
        ip_address_type="ipv4",
        security_groups=[group.id],
        subnets=subnets,
        drop_invalid_header_fields=True,
        enable_deletion_protection=protect,
        access_logs=aws.lb.LoadBalancerAccessLogsArgs(bucket=bucket.bucket, prefix=LOG_PREFIXES[role], enabled=True),
        connection_logs=aws.lb.LoadBalancerConnectionLogsArgs(
            bucket=bucket.bucket, prefix=LOG_PREFIXES["connections"], enabled=True
        )
        if connection_logs
        else None,
        # ELB checks its write access when logging is switched on: the bucket policy must be in place first.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(ready)),
    )


def https_listener(
    name: str,
    role: str,
    lb: aws.lb.LoadBalancer,
    *,
    certificate_arn: pulumi.Input[str],
    mutual: aws.lb.TrustStore | None = None,
) -> aws.lb.Listener:
    """``<name>-<role>-https``: 443 with :data:`TLS_POLICY`, a fixed 404 by default, mutual TLS with a trust store."""
    return aws.lb.Listener(
        f"{name}-{role}-https",
        load_balancer_arn=lb.arn,
        port=443,
        protocol="HTTPS",
        ssl_policy=TLS_POLICY,
        certificate_arn=certificate_arn,
        mutual_authentication=aws.lb.ListenerMutualAuthenticationArgs(
            mode="verify", trust_store_arn=mutual.arn, ignore_client_certificate_expiry=False
        )
        if mutual is not None
        else None,
        default_actions=[not_found()],
        opts=pulumi.ResourceOptions(parent=lb),
    )


def http_redirect(name: str, role: str, lb: aws.lb.LoadBalancer) -> aws.lb.Listener:
    """``<name>-<role>-http``: port 80 only redirects to HTTPS."""
    return aws.lb.Listener(
        f"{name}-{role}-http",
        load_balancer_arn=lb.arn,
        port=80,
        protocol="HTTP",
        default_actions=[
            aws.lb.ListenerDefaultActionArgs(
                type="redirect",
                redirect=aws.lb.ListenerDefaultActionRedirectArgs(protocol="HTTPS", port="443", status_code="HTTP_301"),
            )
        ],
        opts=pulumi.ResourceOptions(parent=lb),
    )


@dataclass(frozen=True, kw_only=True)
class TargetSite:
    """What every target group and TargetGroupBinding of one component shares."""

    name: str
    """The component's name (resource name prefix)."""
    parent: pulumi.Resource
    """The component."""
    environment: str
    vpc_id: pulumi.Input[str]
    cluster_name: pulumi.Input[str]
    """The cluster whose controller fills the target groups (their binding tag)."""
    k8s_provider: k8s.Provider
    release: k8s.helm.v3.Release
    """The controller's release: its CRD and webhooks come first."""
    depends_on: Sequence[pulumi.Resource] = ()
    """What the bindings need first (the Services' namespaces)."""


def target(
    site: TargetSite,
    *,
    role: str,
    port: int,
    health_path: str,
    namespace: str,
    service: str,
    service_port: int,
) -> aws.lb.TargetGroup:
    """An IP-mode target group tagged for this cluster, and the TargetGroupBinding filling it with the
    Service's ready pods."""
    name = site.name
    group = aws.lb.TargetGroup(
        f"{name}-tg-{role}",
        # The port is in the name: it forces a replacement (ForceNew in terraform-provider-aws
        # internal/service/elbv2/target_group.go, as name, protocol, target_type and vpc_id), and Pulumi creates
        # the new target group before deleting the old one, which a fixed name would make collide.
        name=routing.resource_name(site.environment, f"{role}-{port}"),
        target_type="ip",
        protocol="HTTP",
        port=port,
        vpc_id=site.vpc_id,
        deregistration_delay=30,
        health_check=aws.lb.TargetGroupHealthCheckArgs(
            enabled=True,
            protocol="HTTP",
            port="traffic-port",
            path=health_path,
            matcher=HEALTH_MATCHER,
            interval=15,
            healthy_threshold=2,
            unhealthy_threshold=3,
        ),
        tags={documents.BINDING_TAG: site.cluster_name},
        opts=pulumi.ResourceOptions(parent=site.parent),
    )
    spec = pulumi.Output.all(group.arn, site.vpc_id).apply(
        lambda a: routing.target_group_binding(
            name=role,
            namespace=namespace,
            service=service,
            port=service_port,
            target_group_arn=str(a[0]),
            vpc_id=str(a[1]),
        )["spec"]
    )
    k8s.apiextensions.CustomResource(
        f"{name}-tgb-{role}",
        api_version=routing.TARGET_GROUP_BINDING_API,
        kind="TargetGroupBinding",
        metadata={"name": role, "namespace": namespace, "labels": {"app.kubernetes.io/managed-by": "pulumi"}},
        spec=spec,
        # The CRD and the (fail-closed) binding webhooks come with the release; the namespaces must exist.
        # spec.targetGroupARN is immutable (the validating webhook refuses a change: webhooks/elbv2/
        # targetgroupbinding_validator.go checkImmutableFields at v3.5.0): a new target group replaces the binding,
        # deleted first since the new one has the same name.
        opts=pulumi.ResourceOptions(
            parent=site.parent,
            provider=site.k8s_provider,
            depends_on=[site.release, *site.depends_on],
            replace_on_changes=["spec.targetGroupARN"],
            delete_before_replace=True,
        ),
    )
    return group


def app_target(site: TargetSite, app: AppTarget) -> aws.lb.TargetGroup:
    """:func:`target` for an application Service (role: the entry point's key)."""
    return target(
        site,
        role=app.key,
        port=app.target_port,
        health_path=app.health_path,
        namespace=app.namespace,
        service=app.service,
        service_port=app.service_port,
    )


def host_is(host: str) -> aws.lb.ListenerRuleConditionArgs:
    """A host-header condition."""
    return aws.lb.ListenerRuleConditionArgs(host_header=aws.lb.ListenerRuleConditionHostHeaderArgs(values=[host]))


def path_is(paths: list[str]) -> aws.lb.ListenerRuleConditionArgs:
    """A path-pattern condition."""
    return aws.lb.ListenerRuleConditionArgs(path_pattern=aws.lb.ListenerRuleConditionPathPatternArgs(values=paths))


def listener_rule(
    resource_name: str,
    listener: aws.lb.Listener,
    *,
    priority: int,
    conditions: Sequence[aws.lb.ListenerRuleConditionArgs],
    actions: Sequence[aws.lb.ListenerRuleActionArgs],
) -> aws.lb.ListenerRule:
    """A rule of ``listener`` (its child)."""
    return aws.lb.ListenerRule(
        resource_name,
        listener_arn=listener.arn,
        priority=priority,
        conditions=list(conditions),
        actions=list(actions),
        opts=pulumi.ResourceOptions(parent=listener),
    )


def forward(target_group_arn: pulumi.Input[str], *, order: int) -> aws.lb.ListenerRuleActionArgs:
    """Forward to one target group."""
    return aws.lb.ListenerRuleActionArgs(type="forward", order=order, target_group_arn=target_group_arn)


def not_found() -> aws.lb.ListenerDefaultActionArgs:
    """The default of every HTTPS listener: a fixed 404, so an unknown host or path never reaches a pod."""
    return aws.lb.ListenerDefaultActionArgs(
        type="fixed-response",
        fixed_response=aws.lb.ListenerDefaultActionFixedResponseArgs(
            content_type="text/plain", message_body="Not found", status_code="404"
        ),
    )


__all__ = [
    "HEALTH_MATCHER",
    "IDP_EGRESS_CIDR",
    "TLS_POLICY",
    "TargetSite",
    "admit",
    "app_target",
    "forward",
    "host_is",
    "http_redirect",
    "https_listener",
    "idp_egress",
    "listener_rule",
    "load_balancer",
    "not_found",
    "path_is",
    "security_group",
    "target",
]
