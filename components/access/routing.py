"""Pure routing of the way in: host names, target group names, listener-rule conditions and priorities, the
TargetGroupBinding manifests and the load balancer -> pod flows. Plain values in, plain data out; tested directly.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from contracts.flows import AwsSource, Flow, Workload

HOST_LABELS = {"mlflow": "mlflow", "airflow": "airflow", "models": "models", "mlflow-api": "mlflow-api"}
"""Entry point -> first label of its host name under the stack's domain."""

TARGET_GROUP_BINDING_API = "elbv2.k8s.aws/v1beta1"
"""API version of the TargetGroupBinding CRD (the chart's crds/crds.yaml at v3.5.0)."""

MAX_NAME = 32
"""Longest load balancer, target group and trust store name (ELB API)."""
_NAME = re.compile(r"^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$")

PEOPLE_PRIORITIES = {"mlflow": 10, "airflow": 20}
"""Listener-rule priorities of the people entry (host rules: disjoint, so the order only needs to be stable)."""
MLFLOW_API_PRIORITY = 10
"""Priority of the MLflow API host rule on the machine entry."""
MODEL_PRIORITY_BASE = 1000
MODEL_PRIORITY_SPAN = 40000
"""Model rules get a priority derived from the model's name (stable when models are added or removed; their path
conditions are disjoint, so order does not matter)."""


@dataclass(frozen=True, kw_only=True)
class AppTarget:
    """A Kubernetes Service an entry point forwards to, and the pods behind it."""

    key: str
    """Entry point: ``mlflow``, ``airflow`` or ``mlflow-api`` (host label and target group role)."""
    namespace: str
    """Namespace of the Service and its pods."""
    service: str
    """Service name (the TargetGroupBinding's ``serviceRef.name``)."""
    service_port: int
    """Service port (``serviceRef.port``); the controller registers the pods' target port behind it."""
    workload: Workload
    """The pods (destination of the load balancer -> pod flow)."""
    target_port: int
    """Container port the load balancer connects to (flow port, health check port)."""
    health_path: str
    """HTTP path answering 200 when a pod is ready."""


def host(key: str, domain: str) -> str:
    """``<label>.<domain>`` of an entry point."""
    return f"{HOST_LABELS[key]}.{domain}"


def resource_name(environment: str, role: str) -> str:
    """An ELB name (load balancer, target group, trust store): ``<environment>-<role>``, at most 32 characters; a
    longer one keeps a readable head and a digest of the whole."""
    name = f"{environment}-{role}"
    if len(name) > MAX_NAME:
        digest = hashlib.sha256(name.encode()).hexdigest()[:6]
        name = f"{name[: MAX_NAME - 7].rstrip('-')}-{digest}"
    if not _NAME.match(name):
        raise ValueError(f"{name!r} is not an ELB name (letters, digits and hyphens, no hyphen at either end)")
    return name


def target_group_prefix(environment: str) -> str:
    """What every target group name of the stack starts with (the controller's IAM ARN pattern)."""
    return f"{environment}-"


def model_role(model: str) -> str:
    """Target-group role of a model route: ``m-<name>`` (a digest keeps long names within 32 characters)."""
    return f"m-{model}"


def model_paths(model: str) -> list[str]:
    """Path patterns of one model: KServe's v1 (``/v1/models/<name>``, ``...:predict``, ``...:explain``) and v2
    (``/v2/models/<name>``, ``.../ready``, ``.../infer``, ``.../versions/...``) protocols.

    ``<name>:*`` and ``<name>/*`` (not ``<name>*``) so that model ``a`` never catches ``a-b``'s requests. Four values
    and two wildcards per rule: within the ALB limits of five each (ELB quotas, "condition values per rule").
    Routes of python/kserve/kserve/protocol/rest/v1_endpoints.py and v2_endpoints.py at v0.15.2.
    """
    return [f"/v1/models/{model}", f"/v1/models/{model}:*", f"/v2/models/{model}", f"/v2/models/{model}/*"]


def model_priorities(models: Sequence[str]) -> dict[str, int]:
    """Model -> listener-rule priority, derived from the name; raises ValueError when two names collide."""
    priorities: dict[str, int] = {}
    taken: dict[int, str] = {}
    for model in models:
        digest = int(hashlib.sha256(model.encode()).hexdigest()[:8], 16)
        priority = MODEL_PRIORITY_BASE + digest % MODEL_PRIORITY_SPAN
        if priority in taken:
            raise ValueError(
                f"access.clients.models: {taken[priority]!r} and {model!r} get the same listener-rule priority; "
                "rename one of them"
            )
        taken[priority] = model
        priorities[model] = priority
    return priorities


def target_group_binding(
    *, name: str, namespace: str, service: str, port: int, target_group_arn: str, vpc_id: str
) -> dict[str, Any]:
    """A TargetGroupBinding: the controller registers the Service's ready pod IPs in the target group.

    ``targetType: ip`` and no ``networking`` section: the controller changes no security group (the flow graph
    renders the rules). ``vpcID`` is stated so the validating webhook can check it against the target group's VPC.
    """
    return {
        "metadata": {"name": name, "namespace": namespace, "labels": {"app.kubernetes.io/managed-by": "pulumi"}},
        "spec": {
            "targetGroupARN": target_group_arn,
            "targetType": "ip",
            "serviceRef": {"name": service, "port": port},
            "vpcID": vpc_id,
        },
    }


def people_flows(alb: AwsSource, apps: Iterable[AppTarget]) -> list[Flow]:
    """The people load balancer -> each application's pods (target groups in IP mode)."""
    return [
        Flow(alb, app.workload, app.target_port, description=f"{alb.name} -> {app.key} pods (target group, IP mode)")
        for app in apps
    ]


def machine_flows(
    alb: AwsSource, *, predictors: Workload | None, predictor_port: int, mlflow_api: AppTarget | None
) -> list[Flow]:
    """The models load balancer -> KServe predictor pods, and -> MLflow's pods for the API route."""
    flows = []
    if predictors is not None:
        flows.append(
            Flow(
                alb, predictors, predictor_port, description=f"{alb.name} -> model predictors (target groups, IP mode)"
            )
        )
    if mlflow_api is not None:
        flows.append(
            Flow(
                alb,
                mlflow_api.workload,
                mlflow_api.target_port,
                description=f"{alb.name} -> MLflow API pods (target group, IP mode)",
            )
        )
    return flows


__all__ = [
    "HOST_LABELS",
    "TARGET_GROUP_BINDING_API",
    "AppTarget",
    "host",
    "machine_flows",
    "model_paths",
    "model_priorities",
    "model_role",
    "people_flows",
    "resource_name",
    "target_group_binding",
    "target_group_prefix",
]
