"""The zero-trust flow graph's vocabulary: who may talk to whom, declared once.

Components describe their traffic as :class:`Flow` values (source -> destination : port/protocol);
the platform collects them into one :class:`FlowGraph` and ``components.zerotrust.component`` renders it
into Kubernetes NetworkPolicies and AWS security-group rules. Anything not declared here cannot talk.
Sources are pods (:class:`Workload`) or, for the AWS layer, AWS resources in the VPC identified by their
security group (:class:`AwsSource`, e.g. the in-VPC deploy runner); flows from the latter are enforced by
security groups only. Pure data: no Pulumi resources are created in this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # annotations only: the tool reads flows without the Pulumi SDK
    import pulumi

Protocol = Literal["TCP", "UDP"]


@dataclass(frozen=True)
class Workload:
    """Pods identified by namespace and labels (a NetworkPolicy podSelector)."""

    name: str
    """Display name, unique in the graph, e.g. ``mlflow/server``."""
    namespace: str
    labels: tuple[tuple[str, str], ...]
    """Label selector as sorted (key, value) pairs, so workloads stay hashable."""
    own_security_group: bool = True
    """Whether its pods get a security group of their own (security groups for pods). False for the controllers
    installed with the cluster itself (cert-manager, KServe, the secrets operator, the autoscaler): their pods
    run before any SecurityGroupPolicy can exist and keep the cluster security group, so at the AWS layer they
    are the nodes."""

    @staticmethod
    def of(name: str, namespace: str, labels: Mapping[str, str], *, own_security_group: bool = True) -> Workload:
        """Build a workload from a label mapping."""
        return Workload(
            name=name,
            namespace=namespace,
            labels=tuple(sorted(labels.items())),
            own_security_group=own_security_group,
        )

    @property
    def selector(self) -> dict[str, str]:
        """The labels as a mapping (``matchLabels``)."""
        return dict(self.labels)


@dataclass(frozen=True, eq=False)
class AwsDestination:
    """An AWS endpoint inside the VPC (an RDS instance, the VPC interface endpoints, ...).

    ``security_group_id`` is the security group guarding it: flows to it become ingress rules there,
    from the cluster's workload security group only. ``cidrs`` are the addresses pods are allowed to
    reach it on (NetworkPolicy ipBlock), e.g. the database subnets or the VPC CIDR for endpoints.
    """

    name: str
    cidrs: tuple[str, ...]
    security_group_id: pulumi.Input[str] | None = None


@dataclass(frozen=True, eq=False)
class ExternalDestination:
    """An address pods reach that is not an AWS destination of the stack: a host outside the VPC (e.g. a git
    server, reached through NAT only when declared), or the Kubernetes API's Service IP."""

    name: str
    cidrs: tuple[str, ...]
    security_group_id: pulumi.Input[str] | None = None
    """The security group of the in-VPC interfaces the address leads to, if any: the API Service IP is forwarded
    to the control plane's ENIs, which carry the cluster security group. None for hosts outside the VPC."""


Destination = Workload | AwsDestination | ExternalDestination


@dataclass(frozen=True, eq=False)
class AwsSource:
    """An AWS resource inside the VPC that opens connections (e.g. the deploy runner's CodeBuild builds).

    It is not a pod: NetworkPolicies never name it as a source of egress. A flow from it goes to an
    :class:`AwsDestination` with a security group, or to a :class:`Workload` (whose pods then get their own
    security group), and becomes an egress rule on ``security_group_id`` (to the destination's group) plus an
    ingress rule on the destination's group (from ``security_group_id``); never a CIDR.
    """

    name: str
    """Display name, unique in the graph, e.g. ``deploy-runner``."""
    security_group_id: pulumi.Input[str]
    """The security group the resource's network interfaces carry."""
    cidrs: tuple[str, ...] = ()
    """The subnets its network interfaces live in. Needed for flows to a :class:`Workload` (a load balancer ->
    pods): the pods' NetworkPolicy admits these addresses, their security group admits ``security_group_id``."""


Source = Workload | AwsSource


@dataclass(frozen=True, eq=False)
class Flow:
    """One allowed connection: ``source -> destination : port/protocol``."""

    source: Source
    destination: Destination
    port: int
    protocol: Protocol = "TCP"
    description: str = ""

    def __post_init__(self) -> None:
        if not 1 <= self.port <= 65535:
            raise ValueError(f"flow {self.source.name} -> {self.destination.name}: port {self.port} not in 1..65535")


@dataclass
class FlowGraph:
    """All declared flows of the platform; the platform owns it, components contribute to it."""

    flows: list[Flow] = field(default_factory=list)

    def add(self, flows: Iterable[Flow]) -> None:
        """Contribute flows."""
        self.flows.extend(flows)

    @property
    def workloads(self) -> list[Workload]:
        """Every workload appearing in a flow, sorted by name."""
        seen: dict[str, Workload] = {}
        for flow in self.flows:
            for end in (flow.source, flow.destination):
                if isinstance(end, Workload):
                    seen.setdefault(end.name, end)
        return [seen[name] for name in sorted(seen)]

    @property
    def namespaces(self) -> list[str]:
        """Namespaces that host workloads of the graph."""
        return sorted({w.namespace for w in self.workloads})


def aws_flow_rule_description(source: str, destination: str, port: int, protocol: str) -> str:
    """The description ZeroTrust gives both security-group rules of a flow from an :class:`AwsSource`.

    ``mlopsctl.connectivity`` finds the rules of such a flow in a plan by it, so it is defined once, here.
    """
    return f"zero-trust flow {source} -> {destination} {protocol.lower()}/{port}"[:255]
