"""External Secrets Operator: secrets delivered from AWS Secrets Manager at runtime, never through Pulumi.

:class:`SecretsOperator` installs ESO once per cluster (official chart, pinned). The controller itself holds
no AWS permission: every consuming namespace gets a :class:`ScopedSecretStore`, a ``SecretStore`` that
authenticates as its own ServiceAccount (``auth.jwt.serviceAccountRef``) whose IRSA role may read exactly
the secrets that namespace syncs, and write exactly the secrets it generates. So the operator's reach is
the union of small, per-namespace grants, each visible in the plan.

Generated credentials (MLflow admin password, Airflow keys) follow one pattern: the component creates an
empty, KMS-encrypted ``aws.secretsmanager.Secret``; an ESO ``Password`` generator produces the value
inside the cluster and a ``PushSecret`` (``updatePolicy: IfNotExists``) stores it once; ``ExternalSecret``
resources read it back into Kubernetes Secrets. The value is never an input of any resource.

The operator's pods are workloads of the zero-trust flow graph (:attr:`SecretsOperator.flows`: the API for all
three, the STS and Secrets Manager endpoints for the controller, the control plane to the webhook): add the flows to
the platform's graph and the namespace to ``ZeroTrust``'s namespaces, which renders its default-deny and DNS policies
like every other's. No NetworkPolicy is written here.

The pure specs (plain dicts, camelCase as the API server expects) live in
``components.cluster.secrets_values`` and are tested directly; this module wires them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.cluster.identity import OidcIssuer, service_account_role
from components.cluster.secrets_values import (
    ESO_CHART,
    ESO_CHART_VERSION,
    ESO_NAMESPACE,
    ESO_RELEASE,
    ESO_REPOSITORY,
    EXTERNAL_SECRETS_API,
    GENERATORS_API,
    MANAGED_BY_TAG,
    NETWORK_POLICY_NAMES,
    PUSH_SECRET_API,
    STORE_NAME,
    STORE_SERVICE_ACCOUNT,
    RemoteValue,
    external_secret_spec,
    operator_flows,
    operator_values,
    password_generator_spec,
    push_secret_spec,
    secret_store_spec,
    store_policy,
)
from components.registry.images import RegistryBase
from contracts.flows import AwsDestination, AwsSource, ExternalDestination, Flow


@dataclass(frozen=True, kw_only=True)
class SecretsOperatorArgs:
    """Inputs of :class:`SecretsOperator`."""

    k8s_provider: k8s.Provider
    """The cluster's Kubernetes provider."""
    api_server: ExternalDestination
    """The Kubernetes API (``ServingCluster.api_server``): all three deployments call it."""
    control_plane: AwsSource
    """The EKS control plane (``ServingCluster.control_plane``): it calls the webhook."""
    endpoints: AwsDestination
    """The VPC interface endpoints (``Network.endpoints``): the controller reaches STS and Secrets Manager there."""
    chart_version: str = ESO_CHART_VERSION
    """ESO chart version (pinned)."""
    replicas: int = 1
    """Controller replicas (leader election on above 1)."""
    depends_on: Sequence[pulumi.Resource] = ()
    """Resources the release must wait for (node groups, CNI)."""
    registry: pulumi.Output[RegistryBase] | None = None
    """The stack's ECR (``ImageRegistry.base``): the operator's image is pulled through it. Default: ghcr.io."""


class SecretsOperator(pulumi.ComponentResource):
    """External Secrets Operator, installed once per cluster; consumers create :class:`ScopedSecretStore`."""

    namespace: str
    """Namespace of the operator."""
    namespace_resource: k8s.core.v1.Namespace
    """The namespace itself: ``ZeroTrust`` must depend on it (its policies go there)."""
    release: k8s.helm.v3.Release
    """The Helm release; CustomResources of ESO kinds must depend on it (CRDs)."""
    flows: list[Flow]
    """Zero-trust flows of the operator (:func:`~components.cluster.secrets_values.operator_flows`), for the
    platform's FlowGraph."""
    policy_aliases: dict[tuple[str, str], list[pulumi.Alias]]
    """(namespace, policy name) -> aliases, for the ZeroTrust policies that take over the names of the
    NetworkPolicies this component used to create itself (``default-deny``, ``allow-dns-egress``)."""

    def __init__(self, name: str, args: SecretsOperatorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:secrets_operator:SecretsOperator", name, None, opts)
        if args.replicas < 1:
            raise ValueError(f"SecretsOperatorArgs.replicas must be at least 1 (got {args.replicas})")
        if not args.control_plane.cidrs:
            raise ValueError(
                "SecretsOperatorArgs.control_plane has no cidrs: the webhook admits the control plane from its subnets "
                "only; pass ServingCluster.control_plane of a cluster given control_plane_subnet_cidrs"
            )
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.k8s_provider)
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={
                "name": ESO_NAMESPACE,
                "labels": {
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                },
            },
            opts=k8s_opts,
        )
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name=ESO_RELEASE,
            chart=ESO_CHART,
            version=args.chart_version,
            repository_opts={"repo": ESO_REPOSITORY},
            namespace=ESO_NAMESPACE,
            create_namespace=False,
            atomic=True,
            # Atomic rolls back when the wait exceeds the timeout; Helm's 300 s default is too short for
            # CRDs, three deployments and their image pulls on new nodes.
            timeout=600,
            cleanup_on_fail=True,
            max_history=5,
            values=(
                args.registry.apply(lambda r: operator_values(replicas=args.replicas, registry=r))
                if args.registry is not None
                else operator_values(replicas=args.replicas)
            ),
            opts=pulumi.ResourceOptions.merge(
                k8s_opts, pulumi.ResourceOptions(depends_on=[namespace, *args.depends_on])
            ),
        )
        self.namespace = ESO_NAMESPACE
        self.namespace_resource = namespace
        self.flows = operator_flows(
            api_server=args.api_server, control_plane=args.control_plane, endpoints=args.endpoints
        )
        # ZeroTrust renders a "default-deny" and an "allow-dns-egress" policy in this namespace, the names of two
        # NetworkPolicies this component created before (f"{name}-netpol-<policy>"). Without an alias the new
        # resource would take over the existing object (server-side apply) and deleting the old resource would
        # then delete it: the aliases make it one resource that changes parent.
        self.policy_aliases = {
            (ESO_NAMESPACE, policy): [pulumi.Alias(name=f"{name}-netpol-{policy}", parent=self)]
            for policy in NETWORK_POLICY_NAMES
        }
        self.register_outputs({"namespace": ESO_NAMESPACE, "release": self.release.name})


@dataclass(frozen=True, kw_only=True)
class ScopedSecretStoreArgs:
    """Inputs of :class:`ScopedSecretStore`."""

    operator: SecretsOperator
    """The cluster's ESO installation."""
    k8s_provider: k8s.Provider
    """The cluster's Kubernetes provider."""
    oidc: OidcIssuer
    """The cluster's OIDC issuer (IRSA)."""
    namespace: str
    """Namespace whose secrets this store syncs."""
    region: str
    """Region of the secrets."""
    read_secret_arns: Sequence[pulumi.Input[str]]
    """Secrets the store may read (exactly those the namespace's ExternalSecrets name)."""
    write_secret_arns: Sequence[pulumi.Input[str]] = ()
    """Secrets the store may write (PushSecrets of generated values); each must also be read."""
    kms_key_arns: Sequence[pulumi.Input[str]] = ()
    """Customer keys of those secrets."""
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """The namespace resource (created by the cluster)."""


class ScopedSecretStore(pulumi.ComponentResource):
    """A SecretStore in one namespace, with its own IRSA role limited to that namespace's secrets."""

    store_name: str
    """Name of the SecretStore (reference it from ExternalSecret and PushSecret)."""
    role_arn: pulumi.Output[str]
    """The store's IRSA role."""
    ready: list[pulumi.Resource]
    """Resources ExternalSecrets and PushSecrets of this store must depend on."""

    def __init__(self, name: str, args: ScopedSecretStoreArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:secrets_operator:ScopedSecretStore", name, None, opts)
        policy = pulumi.Output.all(
            list(args.read_secret_arns), list(args.write_secret_arns), list(args.kms_key_arns)
        ).apply(lambda v: store_policy([str(a) for a in v[0]], [str(a) for a in v[1]], [str(a) for a in v[2]]))
        role = service_account_role(
            f"{name}-irsa",
            oidc=args.oidc,
            namespace=args.namespace,
            service_account=STORE_SERVICE_ACCOUNT,
            policy=policy,
            parent=self,
        )
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.k8s_provider, depends_on=list(args.depends_on))
        account = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata={
                "name": STORE_SERVICE_ACCOUNT,
                "namespace": args.namespace,
                "annotations": {
                    "eks.amazonaws.com/role-arn": role.arn,
                    "eks.amazonaws.com/sts-regional-endpoints": "true",
                },
            },
            automount_service_account_token=False,
            opts=k8s_opts,
        )
        store = k8s.apiextensions.CustomResource(
            f"{name}-store",
            api_version=EXTERNAL_SECRETS_API,
            kind="SecretStore",
            metadata={"name": STORE_NAME, "namespace": args.namespace},
            spec=secret_store_spec(args.region),
            opts=pulumi.ResourceOptions.merge(
                k8s_opts, pulumi.ResourceOptions(depends_on=[args.operator.release, account])
            ),
        )
        self._namespace = args.namespace
        self._provider = args.k8s_provider
        self.store_name = STORE_NAME
        self.role_arn = role.arn
        self.ready = [store, args.operator.release]
        self.register_outputs({"roleArn": self.role_arn, "storeName": STORE_NAME})

    def external_secret(
        self,
        resource_name: str,
        *,
        target: str,
        values: Sequence[RemoteValue | pulumi.Input[Any]],
        template: pulumi.Input[Mapping[str, str]],
        parent: pulumi.Resource,
        depends_on: Sequence[pulumi.Resource] = (),
    ) -> k8s.apiextensions.CustomResource:
        """An ExternalSecret of this store materializing Secret ``target`` from ``template``.

        ``values`` and ``template`` may hold outputs (remote keys are ARNs known only after deployment);
        they are resolved before the spec is built, so the spec stays a plain dict.
        """
        spec = pulumi.Output.all(list(values), template).apply(
            lambda v: external_secret_spec(target=target, values=[_as_remote(x) for x in v[0]], template=v[1])
        )
        return k8s.apiextensions.CustomResource(
            resource_name,
            api_version=EXTERNAL_SECRETS_API,
            kind="ExternalSecret",
            metadata={"name": target, "namespace": self._namespace},
            spec=spec,
            opts=pulumi.ResourceOptions(parent=parent, provider=self._provider, depends_on=[*self.ready, *depends_on]),
        )

    def generated_password(
        self,
        resource_name: str,
        *,
        name: str,
        secret: aws.secretsmanager.Secret,
        kms_key_arn: pulumi.Input[str],
        tags: Mapping[str, str],
        parent: pulumi.Resource,
        length: int = 40,
    ) -> k8s.apiextensions.CustomResource:
        """Generate a password in the cluster and store it once into ``secret`` (a PushSecret).

        Returns the PushSecret; ExternalSecrets reading ``secret`` should depend on it.
        """
        opts = pulumi.ResourceOptions(parent=parent, provider=self._provider, depends_on=list(self.ready))
        generator = k8s.apiextensions.CustomResource(
            f"{resource_name}-generator",
            api_version=GENERATORS_API,
            kind="Password",
            metadata={"name": name, "namespace": self._namespace},
            spec=password_generator_spec(length),
            opts=opts,
        )
        spec = pulumi.Output.all(secret.arn, kms_key_arn).apply(
            lambda v: push_secret_spec(generator=name, remote_key=str(v[0]), kms_key_arn=str(v[1]), tags=tags)
        )
        return k8s.apiextensions.CustomResource(
            f"{resource_name}-push",
            api_version=PUSH_SECRET_API,
            kind="PushSecret",
            metadata={"name": name, "namespace": self._namespace},
            spec=spec,
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[generator, secret])),
        )


def generated_secret(
    resource_name: str,
    *,
    name_prefix: str,
    description: str,
    kms_key_arn: pulumi.Input[str],
    parent: pulumi.Resource,
) -> aws.secretsmanager.Secret:
    """An empty Secrets Manager secret whose value ESO generates and pushes (see :meth:`generated_password`).

    No SecretVersion is created: Pulumi never sees the value. The ``managed-by`` tag lets ESO write it.
    """
    return aws.secretsmanager.Secret(
        resource_name,
        name_prefix=name_prefix,
        description=description,
        kms_key_id=kms_key_arn,
        recovery_window_in_days=7,
        tags=dict(MANAGED_BY_TAG),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def _as_remote(value: Any) -> RemoteValue:
    if isinstance(value, RemoteValue):
        return value
    if isinstance(value, Mapping):
        return RemoteValue(str(value["secret_key"]), str(value["remote_key"]), value.get("property"))
    raise TypeError(f"not a RemoteValue: {value!r}")


def remote_value(secret_key: str, remote_key: pulumi.Input[str], property: str | None = None) -> pulumi.Output[Any]:
    """A :class:`RemoteValue` whose remote key may be an output (e.g. a secret's ARN)."""
    return pulumi.Output.from_input(remote_key).apply(
        lambda key: {"secret_key": secret_key, "remote_key": key, "property": property}
    )


__all__ = [
    "ESO_CHART_VERSION",
    "ESO_REPOSITORY",
    "STORE_NAME",
    "RemoteValue",
    "ScopedSecretStore",
    "ScopedSecretStoreArgs",
    "SecretsOperator",
    "SecretsOperatorArgs",
    "external_secret_spec",
    "generated_secret",
    "operator_flows",
    "operator_values",
    "password_generator_spec",
    "push_secret_spec",
    "remote_value",
    "secret_store_spec",
    "store_policy",
]
