"""The AWS Load Balancer Controller's chart values (v3.5.0 keys): only TargetGroupBinding reconciliation stays on,
its image comes through the stack's ECR, and its own flows."""

from __future__ import annotations

from components.access import controller
from components.registry.images import RegistryBase
from contracts.flows import AwsDestination, AwsSource, ExternalDestination, Workload

REGISTRY = RegistryBase(account_id="123456789012", region="eu-west-1")


def _values(replicas: int = 2) -> dict[str, object]:
    return controller.controller_values(
        cluster_name="mlops-dev",
        region="eu-west-1",
        vpc_id="vpc-0123",
        role_arn="arn:aws:iam::123456789012:role/controller",
        replicas=replicas,
        image_tag="v3.5.0",
        registry=REGISTRY,
    )


def test_discovery_is_explicit_and_the_image_comes_through_ecr() -> None:
    values = _values()
    assert (values["clusterName"], values["region"], values["vpcId"]) == ("mlops-dev", "eu-west-1", "vpc-0123")
    assert values["image"] == {
        "repository": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/ecr-public/eks/aws-load-balancer-controller",
        "tag": "v3.5.0",
    }
    assert values["serviceAccount"] == {
        "create": True,
        "name": "aws-load-balancer-controller",
        "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/controller"},
    }


def test_everything_but_target_group_bindings_is_off() -> None:
    values = _values()
    assert values["enableServiceMutatorWebhook"] is False
    assert values["createIngressClassResource"] is False and values["ingressClassParams"] == {"create": False}
    assert values["disableIngressClassAnnotation"] is True
    assert values["webhookConfig"] == {"disableIngressValidation": True}
    assert (values["enableShield"], values["enableWaf"], values["enableWafv2"]) == (False, False, False)
    assert values["enableBackendSecurityGroup"] is False
    assert values["controllerConfig"] == {
        "featureGates": {
            "EnableServiceController": False,
            "ALBGatewayAPI": False,
            "NLBGatewayAPI": False,
            "GatewayListenerSet": False,
        }
    }


def test_webhooks_stay_available_and_the_pod_is_restricted() -> None:
    values = _values()
    assert values["replicaCount"] == 2 and values["podDisruptionBudget"] == {"maxUnavailable": 1}
    assert _values(1)["podDisruptionBudget"] == {}
    assert values["keepTLSSecret"] is True
    pod, container = values["podSecurityContext"], values["securityContext"]
    assert pod == {
        "runAsNonRoot": True,
        "runAsUser": 65532,
        "runAsGroup": 65532,
        "fsGroup": 65532,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert container["capabilities"] == {"drop": ["ALL"]} and container["allowPrivilegeEscalation"] is False  # type: ignore[index]
    assert values["nodeSelector"] == {"mlops/pool": "system"}
    assert values["resources"]["limits"] == {"cpu": "500m", "memory": "512Mi"}  # type: ignore[index]


def test_the_controllers_flows_and_the_control_plane_webhook_flow() -> None:
    api = ExternalDestination("kube-apiserver", ("172.20.0.1/32",))
    endpoints = AwsDestination("vpc-endpoints", ("10.40.224.0/28",), "sg-1")
    flows = controller.controller_flows(api, endpoints)
    assert [(f.source.name, f.destination.name, f.port) for f in flows] == [
        ("aws-load-balancer-controller/controller", "kube-apiserver", 443),
        ("aws-load-balancer-controller/controller", "vpc-endpoints", 443),
    ]
    source = flows[0].source
    assert isinstance(source, Workload)
    assert source.selector == {
        "app.kubernetes.io/name": "aws-load-balancer-controller",
        "app.kubernetes.io/instance": "aws-load-balancer-controller",
    }
    webhook = controller.webhook_flow(AwsSource("eks-control-plane", "sg-cluster", cidrs=("10.40.232.0/28",)))
    assert (webhook.destination.name, webhook.port) == ("aws-load-balancer-controller/controller", 9443)
