"""The serving cluster's system workloads and their flows: the controllers installed with the cluster are workloads
of the zero-trust flow graph like every other, so ``ZeroTrust`` renders their NetworkPolicies and ``mlopsctl plan``
compares what those allow with what is declared here.

Workloads. One :class:`~contracts.flows.Workload` per pod set, selected by the ``spec.selector.matchLabels`` of its
Deployment (for cert-manager's post-install Job, the labels of its pod template) at the pinned chart version, read
in the chart's templates; :data:`CHART_SELECTORS` cites the file and tag of each. The chart-generated labels are
the stable part of those selectors (a Deployment's selector is immutable), unlike ``app.kubernetes.io/version`` or
``helm.sh/chart``, which change with every release. Every one is ``own_security_group=False``: installed with the
cluster, before any SecurityGroupPolicy can exist, its pods keep the cluster security group (at the AWS layer they
are the nodes).

Flows.

- Every controller -> the Kubernetes API (``ServingCluster.api_server``: the ``kubernetes`` Service IP, which the
  VPC CNI matches before kube-proxy translates it, and the control-plane subnets behind it) on 443.
- The EKS control plane (:func:`control_plane_source`: the cluster security group, in the control-plane subnets)
  -> each admission webhook's container port, and nothing else: EKS calls webhooks on the pod's address and
  container port from its ENIs, so each webhook admits those subnets only (never the VPC).
- The Cluster Autoscaler -> the VPC interface endpoints: STS (IRSA), and the autoscaling, ec2 and eks APIs, which
  the network must offer as interface endpoints (:data:`AUTOSCALER_ENDPOINT_SERVICES`); its egress policy allows
  the endpoint subnets only, so a call without an endpoint would not leave through NAT but fail.

Nothing else reaches these pods: no ingress is declared besides the webhooks'. The kubelet's probes need no flow:
the VPC CNI's policy agent always admits the pod's own node (aws/aws-network-policy-agent#56, fixed by #65).

kube-system. The autoscaler is the platform's only pod there with network needs, so it is a workload with its own
egress and ingress policies, but the namespace gets no namespace-wide default-deny: it belongs to EKS. Its
hostNetwork DaemonSets (aws-node, kube-proxy, eks-pod-identity-agent) are outside NetworkPolicy anyway; CoreDNS
must answer every pod and node and reach the VPC resolver; the EBS CSI controller calls EC2 (through NAT in the
shipped stacks) and the API; metrics-server (the observability add-on) is called by the control plane for the
metrics API. Those are EKS add-ons whose pods, labels and needs change with each add-on version: a namespace-wide
deny would break DNS, volumes or ``kubectl top`` on the first upgrade it did not foresee (the policy pack's
``k8s-namespace-default-deny`` exempts kube-system for the same reason). CoreDNS is not declared either: an ingress
policy on it would have to admit "every pod and node", which is no workload. NVIDIA's device plugin (a DaemonSet
in kube-system on GPU nodes) has no flow: without a config map it has no ServiceAccount and no config-manager
sidecar and only talks to the kubelet's Unix socket (deployments/helm/nvidia-device-plugin/templates/
daemonset-device-plugin.yml at NVIDIA/k8s-device-plugin v0.17.4: ``$useServiceAccount := $options.hasConfigMap``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from components.cluster import secrets_values
from components.cluster.charts import CLUSTER_AUTOSCALER_NAMESPACE
from components.cluster.config import ClusterConfig
from components.cluster.kube import CERT_MANAGER_NAMESPACE, KSERVE_NAMESPACE
from contracts.flows import AwsDestination, AwsSource, ExternalDestination, Flow, Workload

CONTROL_PLANE = "eks-control-plane"
"""Display name of the EKS control plane as a flow source."""
API_PORT = 443
"""Port of the Kubernetes API (the ``kubernetes`` Service and the control-plane ENIs)."""

CERT_MANAGER_RELEASE = "cert-manager"
"""Helm release name of cert-manager (``components.cluster.addons.serving``): its ``app.kubernetes.io/instance``."""
CLUSTER_AUTOSCALER_RELEASE = "cluster-autoscaler"
"""Helm release name of the Cluster Autoscaler (``components.cluster.addons.autoscaler``)."""

CERT_MANAGER_WEBHOOK_PORT = 10250
"""cert-manager webhook's container port: ``webhook.securePort`` (deploy/charts/cert-manager/values.yaml at
cert-manager/cert-manager v1.21.1; templates/webhook-deployment.yaml renders it as ``containerPort``)."""
KSERVE_WEBHOOK_PORT = 9443
"""KServe controller's webhook server (charts/kserve-resources/templates/deployment.yaml at kserve/kserve v0.15.2:
``containerPort: 9443``, ``name: webhook-server``; the ``kserve-webhook-server-service`` targets it)."""

AUTOSCALER_ENDPOINT_SERVICES = ("sts", "autoscaling", "ec2", "eks")
"""Interface endpoints the autoscaler's AWS calls need (cluster-autoscaler/cloudprovider/aws/aws_wrapper.go at
kubernetes/autoscaler cluster-autoscaler-chart-9.53.0: autoscaling Describe*/SetDesiredCapacity/Terminate*, ec2
DescribeImages/DescribeLaunchTemplateVersions/GetInstanceTypesFromInstanceRequirements, eks DescribeNodegroup;
aws_util.go: ec2 DescribeInstanceTypes at start; README.md there: "For private clusters, in order for the EKS
DescribeNodegroup API to work, you need to create an interface endpoint for Amazon EKS"). STS is the regional
endpoint: EKS injects ``AWS_STS_REGIONAL_ENDPOINTS=regional`` by default since 1.22
(aws/amazon-eks-pod-identity-webhook#148)."""


def _system(name: str, namespace: str, labels: dict[str, str]) -> Workload:
    return Workload.of(f"{namespace}/{name}", namespace, labels, own_security_group=False)


def _cert_manager(component: str, name: str) -> Workload:
    # templates/_helpers.tpl: the controller's name is the chart's, the others' are fixed ("webhook", "cainjector",
    # "startupapicheck") "to maintain compatibility with the v0.9 deployment selector".
    return _system(
        component,
        CERT_MANAGER_NAMESPACE,
        {
            "app.kubernetes.io/name": name,
            "app.kubernetes.io/instance": CERT_MANAGER_RELEASE,
            "app.kubernetes.io/component": component,
        },
    )


CERT_MANAGER_CONTROLLER = _cert_manager("controller", "cert-manager")
CERT_MANAGER_CAINJECTOR = _cert_manager("cainjector", "cainjector")
CERT_MANAGER_WEBHOOK = _cert_manager("webhook", "webhook")
CERT_MANAGER_STARTUPAPICHECK = _cert_manager("startupapicheck", "startupapicheck")
"""The chart's post-install hook Job (``startupapicheck.enabled: true`` by default): it calls the API, which calls
the webhook, and the atomic release fails when it cannot."""
KSERVE_CONTROLLER = _system(
    "controller-manager",
    KSERVE_NAMESPACE,
    {"control-plane": "kserve-controller-manager", "controller-tools.k8s.io": "1.0"},
)
"""The KServe controller manager (the only pods of the ``kserve`` chart with LocalModel off)."""
CLUSTER_AUTOSCALER = _system(
    "cluster-autoscaler",
    CLUSTER_AUTOSCALER_NAMESPACE,
    # templates/_helpers.tpl "cluster-autoscaler.instance-name": the release, and "<cloudProvider>-<chart name>".
    {"app.kubernetes.io/instance": CLUSTER_AUTOSCALER_RELEASE, "app.kubernetes.io/name": "aws-cluster-autoscaler"},
)


@dataclass(frozen=True)
class ChartSelector:
    """Where a system workload's labels were read: the chart, the version and the template."""

    chart: str
    read_at: str
    """Chart version(s) whose templates were read."""
    source: str
    """``repository: path@tag`` of the template whose selector the workload repeats."""
    workload: Workload


CHART_SELECTORS: tuple[ChartSelector, ...] = (
    ChartSelector(
        "cert-manager",
        "v1.21.1",
        "cert-manager/cert-manager: deploy/charts/cert-manager/templates/deployment.yaml@v1.21.1",
        CERT_MANAGER_CONTROLLER,
    ),
    ChartSelector(
        "cert-manager",
        "v1.21.1",
        "cert-manager/cert-manager: deploy/charts/cert-manager/templates/cainjector-deployment.yaml@v1.21.1",
        CERT_MANAGER_CAINJECTOR,
    ),
    ChartSelector(
        "cert-manager",
        "v1.21.1",
        "cert-manager/cert-manager: deploy/charts/cert-manager/templates/webhook-deployment.yaml@v1.21.1",
        CERT_MANAGER_WEBHOOK,
    ),
    ChartSelector(
        "cert-manager",
        "v1.21.1",
        "cert-manager/cert-manager: deploy/charts/cert-manager/templates/startupapicheck-job.yaml@v1.21.1",
        CERT_MANAGER_STARTUPAPICHECK,
    ),
    ChartSelector(
        "kserve",
        "v0.15.2",
        "kserve/kserve: charts/kserve-resources/templates/deployment.yaml@v0.15.2",
        KSERVE_CONTROLLER,
    ),
    ChartSelector(
        "cluster-autoscaler",
        "9.51.0, 9.53.0, 9.59.0",
        "kubernetes/autoscaler: cluster-autoscaler/charts/cluster-autoscaler/templates/deployment.yaml"
        "@cluster-autoscaler-chart-9.53.0 (and 9.59.0; charts/cluster-autoscaler/ at 9.51.0)",
        CLUSTER_AUTOSCALER,
    ),
    *(
        ChartSelector(
            "external-secrets",
            secrets_values.ESO_CHART_VERSION,
            f"external-secrets/external-secrets: deploy/charts/external-secrets/templates/{template}"
            f"@helm-chart-{secrets_values.ESO_CHART_VERSION}",
            workload,
        )
        for template, workload in (
            ("deployment.yaml", secrets_values.ESO_CONTROLLER),
            ("webhook-deployment.yaml", secrets_values.ESO_WEBHOOK),
            ("cert-controller-deployment.yaml", secrets_values.ESO_CERT_CONTROLLER),
        )
    ),
)
"""Every system workload with the chart template its labels come from (the tests hold the same table)."""


def control_plane_source(security_group_id: pulumi.Input[str], cidrs: Sequence[str]) -> AwsSource:
    """The EKS control plane as a flow source: its ENIs carry the cluster security group and live in the
    control-plane subnets, whose addresses the webhooks' NetworkPolicies admit."""
    return AwsSource(name=CONTROL_PLANE, security_group_id=security_group_id, cidrs=tuple(cidrs))


def api_flows(workloads: Sequence[Workload], api_server: ExternalDestination) -> list[Flow]:
    """Each workload -> the Kubernetes API on 443."""
    return [
        Flow(workload, api_server, API_PORT, description=f"{workload.name} -> Kubernetes API") for workload in workloads
    ]


def webhook_flow(control_plane: AwsSource, webhook: Workload, port: int) -> Flow:
    """The EKS control plane calling an admission (or conversion) webhook on its container port."""
    return Flow(control_plane, webhook, port, description=f"EKS control plane -> {webhook.name} webhook")


def serving_system_flows(api_server: ExternalDestination, control_plane: AwsSource) -> list[Flow]:
    """cert-manager and the KServe controller: the API for each, the control plane for their webhooks."""
    return [
        *api_flows(
            [
                CERT_MANAGER_CONTROLLER,
                CERT_MANAGER_CAINJECTOR,
                CERT_MANAGER_WEBHOOK,
                CERT_MANAGER_STARTUPAPICHECK,
                KSERVE_CONTROLLER,
            ],
            api_server,
        ),
        webhook_flow(control_plane, CERT_MANAGER_WEBHOOK, CERT_MANAGER_WEBHOOK_PORT),
        webhook_flow(control_plane, KSERVE_CONTROLLER, KSERVE_WEBHOOK_PORT),
    ]


def autoscaler_flows(api_server: ExternalDestination, endpoints: AwsDestination) -> list[Flow]:
    """The Cluster Autoscaler: the API (nodes, pods), and its AWS calls through the interface endpoints."""
    return [
        *api_flows([CLUSTER_AUTOSCALER], api_server),
        Flow(
            CLUSTER_AUTOSCALER,
            endpoints,
            443,
            description="cluster autoscaler -> sts, autoscaling, ec2, eks interface endpoints",
        ),
    ]


def system_flows(
    config: ClusterConfig,
    *,
    autoscaler: bool,
    api_server: ExternalDestination,
    control_plane: AwsSource,
    endpoints: AwsDestination,
) -> list[Flow]:
    """The flows of the system workloads the cluster installs: cert-manager and KServe when KServe is on, the
    autoscaler when it runs (``autoscaling.needs_autoscaler``)."""
    flows: list[Flow] = []
    if config.kserve.enabled:
        flows += serving_system_flows(api_server, control_plane)
    if autoscaler:
        flows += autoscaler_flows(api_server, endpoints)
    return flows


def shared_namespaces(*, autoscaler: bool) -> list[str]:
    """Namespaces that host declared system workloads but also pods the platform does not declare (kube-system,
    EKS's add-ons): ZeroTrust isolates each declared workload there on its own, with no namespace-wide deny."""
    return [CLUSTER_AUTOSCALER_NAMESPACE] if autoscaler else []


__all__ = [
    "API_PORT",
    "AUTOSCALER_ENDPOINT_SERVICES",
    "CERT_MANAGER_CAINJECTOR",
    "CERT_MANAGER_CONTROLLER",
    "CERT_MANAGER_STARTUPAPICHECK",
    "CERT_MANAGER_WEBHOOK",
    "CERT_MANAGER_WEBHOOK_PORT",
    "CHART_SELECTORS",
    "CLUSTER_AUTOSCALER",
    "CONTROL_PLANE",
    "KSERVE_CONTROLLER",
    "KSERVE_WEBHOOK_PORT",
    "ChartSelector",
    "api_flows",
    "autoscaler_flows",
    "control_plane_source",
    "serving_system_flows",
    "shared_namespaces",
    "system_flows",
    "webhook_flow",
]
