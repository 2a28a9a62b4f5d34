"""Pure specs of the External Secrets Operator: chart pins, Helm values, the operator's zero-trust workloads and
flows, and the SecretStore, ExternalSecret, Password generator and PushSecret specs, plus the IAM policy of a
namespace's store role.

Plain dicts, camelCase as the API server expects; each is tested directly.
``components.cluster.secrets_operator`` wires them into resources.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from components.iam import document, kms_use, secret_read
from components.registry.images import RegistryBase, image_values
from contracts.flows import AwsDestination, AwsSource, ExternalDestination, Flow, Workload

ESO_CHART = "external-secrets"
ESO_REPOSITORY = "https://charts.external-secrets.io"
ESO_CHART_VERSION = "2.3.0"
"""Pinned ESO chart (app v2.3.0, 2026-04): serves ``external-secrets.io/v1`` (v1beta1 is gone since 0.17)
and supports ``PushSecret.spec.selector.generatorRef``."""
ESO_NAMESPACE = "external-secrets"
ESO_RELEASE = "external-secrets"
EXTERNAL_SECRETS_API = "external-secrets.io/v1"
PUSH_SECRET_API = "external-secrets.io/v1alpha1"
GENERATORS_API = "generators.external-secrets.io/v1alpha1"
PUSH_METADATA_API = "kubernetes.external-secrets.io/v1alpha1"
ESO_IMAGE = "ghcr.io/external-secrets/external-secrets"
"""The one image of the controller, webhook and cert controller, tagged ``v<chart version>`` (the chart's
appVersion; deploy/charts/external-secrets/values.yaml and templates/_helpers.tpl at helm-chart-2.3.0)."""
WEBHOOK_PORT = 10250
"""Container port of ESO's webhook: ``webhook.port`` (deploy/charts/external-secrets/values.yaml at helm-chart-2.3.0;
templates/webhook-deployment.yaml passes it as ``--port`` and ``containerPort``)."""
STORE_SERVICE_ACCOUNT = "secrets-sync"
"""ServiceAccount each ScopedSecretStore authenticates as (IRSA)."""
STORE_NAME = "aws-secrets-manager"
"""Name of the SecretStore in every consuming namespace."""
MANAGED_BY_TAG = {"managed-by": "external-secrets"}
NETWORK_POLICY_NAMES = ("default-deny", "allow-dns-egress")
"""The operator namespace's NetworkPolicies whose names ZeroTrust's namespace-wide policies reuse (this component
created them itself before issue #17; ``SecretsOperator.policy_aliases`` keeps them one resource)."""
"""ESO pushes only into secrets carrying this tag (it refuses to overwrite secrets it does not manage)."""

RESTRICTED_CONTAINER = {
    "enabled": True,
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "runAsUser": 1000,
    "seccompProfile": {"type": "RuntimeDefault"},
}


def operator_values(*, replicas: int = 1, registry: RegistryBase | None = None) -> dict[str, Any]:
    """Helm values of the ESO chart: CRDs installed, cluster-scoped features off, restricted pods.

    Cluster-wide stores, external secrets, generators and push secrets are disabled: every secret is
    synced by a namespaced store whose role is scoped to that namespace's secrets. The controller's own
    ServiceAccount carries no IRSA role. With ``registry`` the image is pulled through the stack's ECR (each
    component's ``image.repository`` and ``tag``; ``global.repository`` would do too but is newer).
    """
    component: dict[str, Any] = {"securityContext": RESTRICTED_CONTAINER, "podSecurityContext": {"enabled": True}}
    image: dict[str, Any] = {}
    if registry is not None:
        image = {"image": image_values(ESO_IMAGE, f"v{ESO_CHART_VERSION}", registry)}
    return {
        "installCRDs": True,
        "crds": {
            "createClusterExternalSecret": False,
            "createClusterSecretStore": False,
            "createClusterGenerator": False,
            "createClusterPushSecret": False,
        },
        "processClusterExternalSecret": False,
        "processClusterStore": False,
        "processClusterGenerator": False,
        "processClusterPushSecret": False,
        "replicaCount": replicas,
        "leaderElect": replicas > 1,
        "serviceAccount": {"create": True, "annotations": {}},
        "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}},
        **component,
        **image,
        "webhook": {**component, **image, "resources": {"requests": {"cpu": "20m", "memory": "64Mi"}}},
        "certController": {**component, **image, "resources": {"requests": {"cpu": "20m", "memory": "64Mi"}}},
    }


ESO_CONTROLLER = Workload.of(
    f"{ESO_NAMESPACE}/controller",
    ESO_NAMESPACE,
    {"app.kubernetes.io/name": ESO_CHART, "app.kubernetes.io/instance": ESO_RELEASE},
    own_security_group=False,
)
"""The controller pods: ``external-secrets.selectorLabels`` (deploy/charts/external-secrets/templates/_helpers.tpl
at helm-chart-2.3.0: ``app.kubernetes.io/name`` is the chart name, ``instance`` the release), the selector of
templates/deployment.yaml. Installed before any SecurityGroupPolicy exists, so its pods keep the cluster group."""
ESO_WEBHOOK = Workload.of(
    f"{ESO_NAMESPACE}/webhook",
    ESO_NAMESPACE,
    {"app.kubernetes.io/name": f"{ESO_CHART}-webhook", "app.kubernetes.io/instance": ESO_RELEASE},
    own_security_group=False,
)
"""The webhook pods: ``external-secrets-webhook.selectorLabels`` (same file and tag), templates/webhook-deployment.yaml."""
ESO_CERT_CONTROLLER = Workload.of(
    f"{ESO_NAMESPACE}/cert-controller",
    ESO_NAMESPACE,
    {"app.kubernetes.io/name": f"{ESO_CHART}-cert-controller", "app.kubernetes.io/instance": ESO_RELEASE},
    own_security_group=False,
)
"""The cert controller pods (they write the webhook's certificate and CA bundles):
``external-secrets-cert-controller.selectorLabels``, templates/cert-controller-deployment.yaml."""


def operator_flows(
    *, api_server: ExternalDestination, control_plane: AwsSource, endpoints: AwsDestination
) -> list[Flow]:
    """The operator's traffic, and nothing else:

    - controller, webhook and cert controller -> the Kubernetes API on 443 (``ServingCluster.api_server``: its
      Service IP, which the VPC CNI matches before the address is translated, and the control-plane subnets);
    - controller -> the STS and Secrets Manager interface endpoints on 443 (each namespace's store authenticates
      with IRSA, then reads and pushes secrets); the webhook and the cert controller call no AWS API;
    - the EKS control plane -> the webhook's container port :data:`WEBHOOK_PORT` (validating webhooks and CRD
      conversion), from the control-plane subnets only.
    """
    return [
        *(
            Flow(workload, api_server, 443, description=f"{workload.name} -> Kubernetes API")
            for workload in (ESO_CONTROLLER, ESO_WEBHOOK, ESO_CERT_CONTROLLER)
        ),
        Flow(
            ESO_CONTROLLER,
            endpoints,
            443,
            description="external-secrets controller -> STS and Secrets Manager interface endpoints",
        ),
        Flow(control_plane, ESO_WEBHOOK, WEBHOOK_PORT, description=f"EKS control plane -> {ESO_WEBHOOK.name} webhook"),
    ]


def secret_store_spec(region: str, service_account: str = STORE_SERVICE_ACCOUNT) -> dict[str, Any]:
    """A namespaced SecretStore for Secrets Manager, authenticating as ``service_account`` (IRSA)."""
    return {
        "provider": {
            "aws": {
                "service": "SecretsManager",
                "region": region,
                "auth": {"jwt": {"serviceAccountRef": {"name": service_account}}},
            }
        }
    }


@dataclass(frozen=True)
class RemoteValue:
    """One value an ExternalSecret fetches: ``secret_key`` <- ``remote_key`` (name or ARN) [``property``]."""

    secret_key: str
    remote_key: str
    property: str | None = None


def external_secret_spec(
    *,
    target: str,
    values: Sequence[RemoteValue],
    template: Mapping[str, str],
    store: str = STORE_NAME,
    refresh_interval: str = "1h",
) -> dict[str, Any]:
    """An ExternalSecret rendering ``template`` (Go templates over ``values``) into Secret ``target``.

    Only the templated keys land in the Secret (``mergePolicy: Replace``), so raw inputs that are only
    needed to build another key (e.g. a password before URL-encoding) do not leak into it.
    """
    data = []
    for value in values:
        ref: dict[str, Any] = {"key": value.remote_key}
        if value.property:
            ref["property"] = value.property
        data.append({"secretKey": value.secret_key, "remoteRef": ref})
    return {
        "refreshInterval": refresh_interval,
        "secretStoreRef": {"name": store, "kind": "SecretStore"},
        "target": {
            "name": target,
            "creationPolicy": "Owner",
            "deletionPolicy": "Retain",
            "template": {
                "engineVersion": "v2",
                "mergePolicy": "Replace",
                "type": "Opaque",
                "data": dict(template),
            },
        },
        "data": data,
    }


def password_generator_spec(length: int = 40) -> dict[str, Any]:
    """An ESO Password generator: letters and digits only, so values need no escaping in URIs or INI files."""
    if length < 24:
        raise ValueError(f"generated passwords must be at least 24 characters (got {length})")
    return {"length": length, "digits": max(4, length // 5), "symbols": 0, "noUpper": False, "allowRepeat": True}


def push_secret_spec(
    *,
    generator: str,
    remote_key: str,
    kms_key_arn: str,
    tags: Mapping[str, str],
    store: str = STORE_NAME,
) -> dict[str, Any]:
    """A PushSecret storing a generator's ``password`` into ``remote_key`` once (``IfNotExists``).

    The metadata repeats the secret's tags: on its first write ESO makes the secret's tags equal to these
    (plus ``managed-by``), so passing the platform's required tags keeps them. ``deletionPolicy: None``
    leaves the secret's lifecycle to Pulumi.
    """
    if "managed-by" in tags:
        raise ValueError("push_secret_spec: the 'managed-by' tag is set by ESO itself")
    return {
        "refreshInterval": "1h",
        "updatePolicy": "IfNotExists",
        "deletionPolicy": "None",
        "secretStoreRefs": [{"name": store, "kind": "SecretStore"}],
        "selector": {"generatorRef": {"apiVersion": GENERATORS_API, "kind": "Password", "name": generator}},
        "data": [
            {
                "match": {"secretKey": "password", "remoteRef": {"remoteKey": remote_key}},
                "metadata": {
                    "apiVersion": PUSH_METADATA_API,
                    "kind": "PushSecretMetadata",
                    "spec": {"secretPushFormat": "string", "kmsKeyID": kms_key_arn, "tags": dict(sorted(tags.items()))},
                },
            }
        ],
    }


def store_policy(read_secret_arns: Sequence[str], write_secret_arns: Sequence[str], kms_key_arns: Sequence[str]) -> str:
    """IAM policy of a namespace's store role: read these secrets, write the generated ones, use their keys.

    Writing covers what ESO's PushSecret does on a secret it manages: PutSecretValue, tag reconciliation
    and removing a resource policy it did not set (DeleteResourcePolicy), on those ARNs only.
    """
    if not read_secret_arns:
        raise ValueError("store_policy: a secret store must read at least one secret")
    unknown = sorted(set(write_secret_arns) - set(read_secret_arns))
    if unknown:
        raise ValueError(f"store_policy: secrets written but not read: {unknown}")
    groups: list[list[dict[str, Any]]] = [secret_read(read_secret_arns, sid="ReadSyncedSecrets")]
    if write_secret_arns:
        groups.append(
            [
                {
                    "Sid": "WriteGeneratedSecrets",
                    "Effect": "Allow",
                    "Action": [
                        "secretsmanager:PutSecretValue",
                        "secretsmanager:TagResource",
                        "secretsmanager:UntagResource",
                        "secretsmanager:DeleteResourcePolicy",
                    ],
                    "Resource": sorted(write_secret_arns),
                }
            ]
        )
    for index, key_arn in enumerate(sorted(set(kms_key_arns))):
        groups.append(kms_use(key_arn, encrypt=bool(write_secret_arns), sid=f"SecretsKey{index}"))
    return document(*groups)
