"""PodSecurityGroups: every declared workload's own network identity at the AWS layer (security groups for pods).

Without it every pod carries the EKS cluster security group, so a database that admits "the cluster" admits every
pod and node. Here each :class:`~contracts.flows.Workload` gets a security group of its own, put on its pods by a
``SecurityGroupPolicy`` (the VPC resource controller gives each such pod a branch ENI with those groups:
https://docs.aws.amazon.com/eks/latest/userguide/security-groups-for-pods.html). The groups start empty;
:class:`~components.zerotrust.component.ZeroTrust` adds one egress and one ingress rule per declared flow.

Every such pod also carries one shared group, ``pod-dns``: DNS to CoreDNS, whose pods keep the cluster security
group. In the VPC CNI's ``standard`` enforcing mode (the only one that keeps NetworkPolicies working), traffic to
and from another host is filtered by the pod's groups, traffic on the same host is not
(https://github.com/aws/amazon-vpc-cni-k8s#pod_security_group_enforcing_mode-v1110).

Ordering matters on a first deploy: the controller's webhook assigns groups when a pod is created, so a pod
created before its policy keeps the cluster group until it is recreated. The policies are created before the
applications (``policies_for`` gives the Helm releases something to depend on), not at the end with the rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.zerotrust.names import slug
from contracts.flows import Workload

SECURITY_GROUP_POLICY_API = "vpcresources.k8s.aws/v1beta1"
"""API of the SecurityGroupPolicy CRD that EKS installs in every cluster."""
DNS_PORT = 53


@dataclass(frozen=True, kw_only=True)
class PodSecurityGroupsArgs:
    """Inputs of :class:`PodSecurityGroups`."""

    environment: str
    """Environment name, for group names and descriptions."""
    vpc_id: pulumi.Input[str]
    cluster_security_group_id: pulumi.Input[str]
    """The EKS cluster security group: nodes, CoreDNS and the control plane's ENIs carry it."""
    k8s_provider: k8s.Provider
    """Provider of the cluster the SecurityGroupPolicies go to."""
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """What the policies need first (the namespaces)."""


class PodSecurityGroups(pulumi.ComponentResource):
    """A security group and a SecurityGroupPolicy per workload, created on request, plus the shared DNS group."""

    dns_security_group_id: pulumi.Output[str]
    """The group every pod with its own group also carries: DNS to the cluster security group only."""

    def __init__(self, name: str, args: PodSecurityGroupsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:zerotrust:PodSecurityGroups", name, None, opts)
        self._name = name
        self._args = args
        self._groups: dict[str, tuple[Workload, aws.ec2.SecurityGroup, k8s.apiextensions.CustomResource]] = {}
        dns = aws.ec2.SecurityGroup(
            f"{name}-dns",
            vpc_id=args.vpc_id,
            description=f"{args.environment}: DNS from pods with their own security group to CoreDNS",
            revoke_rules_on_delete=True,
            tags={"Name": f"{args.environment}-pod-dns"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        for protocol in ("udp", "tcp"):
            common = {"ip_protocol": protocol, "from_port": DNS_PORT, "to_port": DNS_PORT}
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-dns-{protocol}-egress",
                security_group_id=dns.id,
                referenced_security_group_id=args.cluster_security_group_id,
                description="DNS to CoreDNS (cluster security group)",
                opts=pulumi.ResourceOptions(parent=dns),
                **common,
            )
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-dns-{protocol}-ingress",
                security_group_id=args.cluster_security_group_id,
                referenced_security_group_id=dns.id,
                description="DNS from pods with their own security group",
                opts=pulumi.ResourceOptions(parent=dns),
                **common,
            )
        self.dns_security_group_id = dns.id
        self.register_outputs({"dnsSecurityGroupId": dns.id})

    def policies_for(self, workloads: Iterable[Workload]) -> list[pulumi.Resource]:
        """Create (once) the group and policy of each workload; returns the policies, for ``depends_on``."""
        return [self._ensure(workload)[2] for workload in workloads]

    def security_group_id(self, workload: Workload) -> pulumi.Output[str]:
        """The group of ``workload`` (created if needed)."""
        group_id: pulumi.Output[str] = self._ensure(workload)[1].id
        return group_id

    @property
    def workloads(self) -> list[Workload]:
        """Workloads with a group, in creation order."""
        return [entry[0] for entry in self._groups.values()]

    def _ensure(self, workload: Workload) -> tuple[Workload, aws.ec2.SecurityGroup, k8s.apiextensions.CustomResource]:
        known = self._groups.get(workload.name)
        if known is not None:
            if known[0] != workload:
                raise ValueError(f"two different workloads are named {workload.name!r}; names must be unique")
            return known
        env, key = self._args.environment, slug(workload.name)
        group = aws.ec2.SecurityGroup(
            f"{self._name}-{key}",
            vpc_id=self._args.vpc_id,
            description=f"{env}: pods of {workload.name}; declared zero-trust flows only"[:255],
            revoke_rules_on_delete=True,
            tags={"Name": f"{env}-pod-{key}"[:255], "mlops:workload": workload.name},
            opts=pulumi.ResourceOptions(parent=self),
        )
        policy = k8s.apiextensions.CustomResource(
            f"{self._name}-{key}-policy",
            api_version=SECURITY_GROUP_POLICY_API,
            kind="SecurityGroupPolicy",
            metadata={"name": f"pod-sg-{key}", "namespace": workload.namespace},
            spec={
                "podSelector": {"matchLabels": workload.selector},
                "securityGroups": {"groupIds": [group.id, self.dns_security_group_id]},
            },
            opts=pulumi.ResourceOptions(
                parent=self, provider=self._args.k8s_provider, depends_on=list(self._args.depends_on)
            ),
        )
        self._groups[workload.name] = (workload, group, policy)
        return self._groups[workload.name]
