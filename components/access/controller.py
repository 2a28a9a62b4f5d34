"""The AWS Load Balancer Controller, cut down to binding pods to target groups Pulumi owns.

Pure values (tested directly): the chart's values, its workload and flows. Checked against the chart and the
controller at v3.5.0 (kubernetes-sigs/aws-load-balancer-controller, tag v3.5.0: helm/aws-load-balancer-controller/
values.yaml, templates/deployment.yaml, templates/webhook.yaml, pkg/config/feature_gates.go, main.go); the chart
ships no values.schema.json. ``components.access.controller_install`` installs it.

What stays on, and why:

- the TargetGroupBinding reconciler (the only reason it is here) and its two webhooks
  (``mtargetgroupbinding``/``vtargetgroupbinding.elbv2.k8s.aws``, ``failurePolicy: Fail``, always rendered by
  templates/webhook.yaml): the EKS control plane calls them on :data:`WEBHOOK_PORT` for every binding created or
  changed, so two replicas and a disruption budget keep them answering;
- the pod mutator (readiness gates) only acts in namespaces labelled ``elbv2.k8s.aws/pod-readiness-gate-inject``
  and fails open (``podMutatorWebhookConfig.failurePolicy: Ignore``).

What is switched off, and why:

- the Service mutator webhook (``enableServiceMutatorWebhook: false``): it would make the controller the owner of
  every new LoadBalancer Service; the Service reconciler too (feature gate ``EnableServiceController=false``);
- Ingress: no IngressClass or IngressClassParams objects, the ``kubernetes.io/ingress.class`` annotation ignored,
  and the fail-closed Ingress validation webhook not rendered (``webhookConfig.disableIngressValidation``); the
  Ingress reconciler itself cannot be disabled in v3.5.0 (main.go sets it up unconditionally) but finds nothing
  to reconcile, and its IAM policy could not create a load balancer anyway;
- Gateway API controllers (feature gates ``ALBGatewayAPI``, ``NLBGatewayAPI``, ``GatewayListenerSet``);
- WAF, WAFv2 and Shield calls (``enableWaf``, ``enableWafv2``, ``enableShield``): Ingress features whose APIs have
  no VPC endpoints here, so in a VPC without NAT each call would hang until it times out;
- the shared backend security group (``enableBackendSecurityGroup: false``): security-group rules come from the
  flow graph.

``clusterName``, ``region`` and ``vpcId`` are set explicitly: IMDSv2 with hop limit 1 keeps pods from discovering
them (pkg/aws/cloud.go only asks EC2/IMDS when ``--aws-vpc-id`` is empty).
"""

from __future__ import annotations

from typing import Any

from components.cluster.nodes import POOL_LABEL
from components.registry.images import RegistryBase, image_values
from contracts.flows import AwsDestination, AwsSource, ExternalDestination, Flow, Workload

CHART_REPO = "https://aws.github.io/eks-charts"
"""The controller's official Helm repository (the chart lives in aws/eks-charts, stable/aws-load-balancer-controller,
identical to the controller repository's helm/ directory at the same version)."""
CHART = "aws-load-balancer-controller"
IMAGE = "public.ecr.aws/eks/aws-load-balancer-controller"
"""values.yaml ``image.repository`` at v3.5.0; pulled through the stack's ECR (``ecr-public`` cache rule)."""
NAMESPACE = "aws-load-balancer-controller"
"""A system namespace of its own (Pod Security ``restricted``), not kube-system: its NetworkPolicies come from the
flow graph like every workload namespace's."""
RELEASE = "aws-load-balancer-controller"
"""Release name; the chart's fullname equals it (templates/_helpers.tpl: the release name contains the chart name)."""
SERVICE_ACCOUNT = "aws-load-balancer-controller"
"""ServiceAccount of the controller; its IRSA role trusts exactly ``<NAMESPACE>:<SERVICE_ACCOUNT>``."""
WEBHOOK_PORT = 9443
"""Container port of the webhook server (``--webhook-bind-port`` default; the webhook Service maps 443 to it)."""
LABELS = {"app.kubernetes.io/name": CHART, "app.kubernetes.io/instance": RELEASE}
"""Selector labels of the controller pods (templates/_helpers.tpl ``selectorLabels``)."""
RUN_AS = 65532
"""The image's base (eks-distro-minimal-base-nonroot) runs as 65532; set numerically so ``runAsNonRoot`` holds."""

FEATURE_GATES = {
    "EnableServiceController": False,
    "ALBGatewayAPI": False,
    "NLBGatewayAPI": False,
    "GatewayListenerSet": False,
}
"""Feature gates turned off (pkg/config/feature_gates.go at v3.5.0 enables all four by default)."""


def controller_workload() -> Workload:
    """The controller pods as a zero-trust workload."""
    return Workload.of(f"{NAMESPACE}/controller", NAMESPACE, LABELS)


def controller_values(
    *,
    cluster_name: str,
    region: str,
    vpc_id: str,
    role_arn: str,
    replicas: int,
    image_tag: str,
    registry: RegistryBase | None,
) -> dict[str, Any]:
    """Values of the aws-load-balancer-controller chart (keys as in its values.yaml at v3.5.0)."""
    if replicas < 1:
        raise ValueError(f"controller replicas must be at least 1 (got {replicas})")
    return {
        "clusterName": cluster_name,
        "region": region,
        "vpcId": vpc_id,
        "replicaCount": replicas,
        # pdb.yaml renders only with replicaCount > 1.
        "podDisruptionBudget": {"maxUnavailable": 1} if replicas > 1 else {},
        "image": image_values(IMAGE, image_tag, registry),
        "serviceAccount": {
            "create": True,
            "name": SERVICE_ACCOUNT,
            "annotations": {"eks.amazonaws.com/role-arn": role_arn},
        },
        "enableServiceMutatorWebhook": False,
        "createIngressClassResource": False,
        "ingressClassParams": {"create": False},
        "disableIngressClassAnnotation": True,
        "webhookConfig": {"disableIngressValidation": True},
        "enableShield": False,
        "enableWaf": False,
        "enableWafv2": False,
        "enableBackendSecurityGroup": False,
        "defaultLoadBalancerScheme": "internal",
        "controllerConfig": {"featureGates": dict(FEATURE_GATES)},
        # Reuse the chart's self-signed webhook certificate across upgrades (templates/_helpers.tpl looks the
        # Secret up), instead of a new CA on every `pulumi up` that changes values.
        "keepTLSSecret": True,
        "podSecurityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUN_AS,
            "runAsGroup": RUN_AS,
            "fsGroup": RUN_AS,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "privileged": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
        },
        "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}},
        "nodeSelector": {POOL_LABEL: "system"},
    }


def controller_flows(api_server: ExternalDestination, endpoints: AwsDestination) -> list[Flow]:
    """The controller's own traffic: the Kubernetes API (watches, bindings, pod conditions) and the AWS APIs it
    calls through interface endpoints: elasticloadbalancing (targets), ec2 (VPC, security groups) and sts (IRSA).
    """
    controller = controller_workload()
    return [
        Flow(controller, api_server, 443, description="load balancer controller -> Kubernetes API"),
        Flow(
            controller,
            endpoints,
            443,
            description="load balancer controller -> elasticloadbalancing, ec2, sts interface endpoints",
        ),
    ]


def webhook_flow(control_plane: AwsSource) -> Flow:
    """The EKS control plane calling the TargetGroupBinding webhooks (they fail closed, so this flow is required)."""
    return Flow(
        control_plane,
        controller_workload(),
        WEBHOOK_PORT,
        description="EKS control plane -> load balancer controller webhooks (TargetGroupBinding)",
    )


REQUIRED_ENDPOINTS = ("elasticloadbalancing", "ec2", "sts")
"""Interface endpoints the controller's AWS calls need in a VPC without NAT."""


__all__ = [
    "CHART",
    "CHART_REPO",
    "FEATURE_GATES",
    "IMAGE",
    "LABELS",
    "NAMESPACE",
    "RELEASE",
    "REQUIRED_ENDPOINTS",
    "SERVICE_ACCOUNT",
    "WEBHOOK_PORT",
    "controller_flows",
    "controller_values",
    "controller_workload",
    "webhook_flow",
]
