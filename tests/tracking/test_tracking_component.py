"""TrackingServer under the offline engine, with the dev and prod stack files' config."""

from __future__ import annotations

import json
from typing import Any

import pytest
from document_checks import statements, wildcard_problems
from tracking_helpers import (
    ACCOUNT,
    LAKE_BUCKET,
    LAKE_KEY,
    OIDC,
    PEM,
    one,
    secret_findings,
    secret_findings_in,
    stack_config,
    tracking_program,
)

from components.cluster.secrets_operator import ESO_CHART_VERSION, ESO_REPOSITORY
from components.tracking import access
from components.tracking.component import TrackingServerArgs, validate_tracking_args
from mlopsctl.engine import Graph, run_program
from mlopsctl.policy import evaluate

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret"
PUSH_SECRET = "kubernetes:external-secrets.io/v1alpha1:PushSecret"


def _run(stack: str, *, lake: bool = True, ca_bundle: str | None = PEM) -> tuple[Graph, dict[str, Any]]:
    capture: dict[str, Any] = {}
    program = tracking_program(stack, lake=lake, capture=capture, ca_bundle=ca_bundle)
    graph = run_program(program, config={"aws:region": "eu-west-1"})
    return graph, capture


@pytest.fixture(scope="module")
def dev() -> tuple[Graph, dict[str, Any]]:
    return _run("dev")


@pytest.fixture(scope="module")
def prod() -> tuple[Graph, dict[str, Any]]:
    return _run("prod")


@pytest.fixture(scope="module")
def no_lake() -> tuple[Graph, dict[str, Any]]:
    return _run("dev", lake=False)


@pytest.fixture(scope="module")
def no_bundle() -> tuple[Graph, dict[str, Any]]:
    """dev as the platform builds it before ``make rds-ca-bundle``."""
    return _run("dev", ca_bundle=None)


def _pod(graph: Graph) -> dict[str, Any]:
    pod: dict[str, Any] = one(graph, DEPLOYMENT).inputs["spec"]["template"]["spec"]
    return pod


def test_structure(dev: tuple[Graph, dict[str, Any]]) -> None:
    graph, _ = dev
    server = one(graph, "mlops:tracking:TrackingServer")
    children = {r.type for r in graph.children(server.urn)}
    assert {
        "mlops:database:PostgresDatabase",
        "mlops:secrets_operator:ScopedSecretStore",
        "aws:iam/role:Role",
        "aws:secretsmanager/secret:Secret",
        DEPLOYMENT,
        "kubernetes:core/v1:Service",
        "kubernetes:core/v1:ServiceAccount",
        "kubernetes:core/v1:ConfigMap",
        EXTERNAL_SECRET,
        PUSH_SECRET,
    } <= children
    # With the lake's bucket, no bucket of its own.
    assert not graph.by_type("aws:s3/bucket:Bucket")
    release = one(graph, "kubernetes:helm.sh/v3:Release")
    assert release.inputs["chart"] == "external-secrets"
    assert release.inputs["version"] == ESO_CHART_VERSION
    assert release.inputs["repositoryOpts"] == {"repo": ESO_REPOSITORY}


def test_kubernetes_resources_use_the_cluster_provider(dev: tuple[Graph, dict[str, Any]]) -> None:
    graph, _ = dev
    k8s_resources = [r for r in graph.resources if r.type.startswith("kubernetes:") and r.custom]
    assert k8s_resources
    assert all(r.provider and "pulumi:providers:kubernetes::k8s" in r.provider for r in k8s_resources)


def test_outputs(dev: tuple[Graph, dict[str, Any]]) -> None:
    graph, _ = dev
    assert graph.outputs["trackingUri"] == "http://mlflow.mlflow.svc.cluster.local:5000"
    assert graph.outputs["artifactLocation"] == f"s3://{LAKE_BUCKET}/mlflow"
    assert graph.outputs["dbEndpoint"].startswith("dev-tracking-db.")
    assert graph.outputs["dbSecretArn"].startswith("arn:aws:secretsmanager:")


def test_database_is_hardened_and_named(dev: tuple[Graph, dict[str, Any]]) -> None:
    graph, _ = dev
    instance = one(graph, "aws:rds/instance:Instance").inputs
    assert instance["identifier"] == "dev-tracking-db"
    assert instance["dbName"] == "mlflow"
    assert instance["manageMasterUserPassword"] is True
    assert instance["publiclyAccessible"] is False


def test_deployment_wires_image_args_and_secrets(dev: tuple[Graph, dict[str, Any]]) -> None:
    graph, _ = dev
    deployment = one(graph, DEPLOYMENT)
    assert deployment.inputs["metadata"] == {
        "name": "mlflow",
        "namespace": "mlflow",
        "labels": access.SERVER_LABELS,
    }
    pod = _pod(graph)
    container = pod["containers"][0]
    assert container["image"] == "ghcr.io/mlflow/mlflow:v3.17.0-full"
    assert f"s3://{LAKE_BUCKET}/mlflow" in container["args"]
    assert pod["serviceAccountName"] == "mlflow"
    env = {e["name"]: e for e in container["env"]}
    assert "sslmode=verify-full" in env["MLFLOW_BACKEND_STORE_URI"]["value"]
    assert LAKE_KEY in env["MLFLOW_S3_UPLOAD_EXTRA_ARGS"]["value"]
    credentials = one(graph, EXTERNAL_SECRET).urn
    assert credentials in deployment.dependencies


def test_ca_bundle_configmap_is_mounted_for_verify_full(dev: tuple[Graph, dict[str, Any]]) -> None:
    graph, capture = dev
    assert capture["server"].db_tls_mode == "verify-full"
    configmap = one(graph, "kubernetes:core/v1:ConfigMap", "tracking-rds-ca")
    assert configmap.inputs["data"] == {"ca.pem": PEM}
    assert configmap.inputs["metadata"]["name"] == access.CA_CONFIGMAP
    deployment = one(graph, DEPLOYMENT)
    assert configmap.urn in deployment.dependencies
    pod = _pod(graph)
    assert {
        "name": "rds-ca",
        "configMap": {"name": access.CA_CONFIGMAP, "items": [{"key": "ca.pem", "path": "ca.pem"}]},
    } in (pod["volumes"])
    for container in (pod["containers"][0], pod["initContainers"][0]):
        assert {"name": "rds-ca", "mountPath": "/etc/mlflow/rds-ca", "readOnly": True} in container["volumeMounts"]
    env = {e["name"]: e for e in pod["containers"][0]["env"]}
    assert env["MLFLOW_BACKEND_STORE_URI"]["value"].endswith(f"?sslmode=verify-full&sslrootcert={access.CA_PATH}")
    ini = one(graph, EXTERNAL_SECRET).inputs["spec"]["target"]["template"]["data"]["basic_auth.ini"]
    assert f"/mlflow_auth?sslmode=verify-full&sslrootcert={access.CA_PATH}\n" in ini


def test_without_a_ca_bundle_tls_is_required_but_not_verified(no_bundle: tuple[Graph, dict[str, Any]]) -> None:
    graph, capture = no_bundle
    assert capture["server"].db_tls_mode == "require"
    assert not graph.by_type("kubernetes:core/v1:ConfigMap")
    pod = _pod(graph)
    assert {v["name"] for v in pod["volumes"]} == {"tmp", "auth-config"}
    for container in (pod["containers"][0], pod["initContainers"][0]):
        assert "rds-ca" not in {m["name"] for m in container["volumeMounts"]}
    env = {e["name"]: e for e in pod["containers"][0]["env"]}
    assert env["MLFLOW_BACKEND_STORE_URI"]["value"].endswith("/mlflow?sslmode=require")
    init_env = {e["name"]: e for e in pod["initContainers"][0]["env"]}
    assert init_env["MLFLOW_DB_SSLMODE"]["value"] == "require"
    assert "MLFLOW_DB_CA" not in init_env
    ini = one(graph, EXTERNAL_SECRET).inputs["spec"]["target"]["template"]["data"]["basic_auth.ini"]
    assert "/mlflow_auth?sslmode=require\n" in ini and "sslrootcert" not in ini
    # The server still forces TLS.
    params = one(graph, "aws:rds/parameterGroup:ParameterGroup").inputs["parameters"]
    assert {"name": "rds.force_ssl", "value": "1", "applyMethod": "immediate"} in params
    assert secret_findings(graph) == []
    own = {(v.policy, v.level) for v in evaluate(graph).violations if v.policy not in OWNED_ELSEWHERE}
    assert own == set()


def test_service_account_carries_the_irsa_role(dev: tuple[Graph, dict[str, Any]]) -> None:
    graph, _ = dev
    account = one(graph, "kubernetes:core/v1:ServiceAccount", "tracking-sa").inputs
    role_arn = account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
    assert role_arn.startswith(f"arn:aws:iam::{ACCOUNT}:role/tracking-server-role")
    role = one(graph, "aws:iam/role:Role", "tracking-server-role").inputs
    trust = json.loads(role["assumeRolePolicy"])["Statement"][0]
    issuer = str(OIDC.issuer_url).removeprefix("https://")
    assert trust["Condition"]["StringEquals"] == {
        f"{issuer}:sub": "system:serviceaccount:mlflow:mlflow",
        f"{issuer}:aud": "sts.amazonaws.com",
    }


def test_server_policy_scoped(dev: tuple[Graph, dict[str, Any]]) -> None:
    graph, _ = dev
    policy = one(graph, "aws:iam/rolePolicy:RolePolicy", "tracking-server-policy").inputs["policy"]
    assert wildcard_problems(policy) == []
    by_sid = {s["Sid"]: s for s in statements(policy)}
    assert by_sid["ArtifactsObjects"]["Resource"] == [f"arn:aws:s3:::{LAKE_BUCKET}/mlflow/*"]
    assert by_sid["ArtifactKey"]["Resource"] == [LAKE_KEY]
    assert by_sid["ReadDatabaseSecret"]["Resource"] == [graph.outputs["dbSecretArn"]]


def test_secret_store_role_reads_and_writes_exactly_its_secrets(dev: tuple[Graph, dict[str, Any]]) -> None:
    graph, _ = dev
    pushed = sorted(p.inputs["spec"]["data"][0]["match"]["remoteRef"]["remoteKey"] for p in graph.by_type(PUSH_SECRET))
    secret_names = sorted(r.name for r in graph.by_type("aws:secretsmanager/secret:Secret"))
    assert [arn.split(":secret:", 1)[1].rsplit("-", 2)[0] for arn in pushed] == secret_names
    policy = one(graph, "aws:iam/rolePolicy:RolePolicy", "tracking-secrets-irsa-policy").inputs["policy"]
    assert wildcard_problems(policy) == []
    by_sid = {s["Sid"]: s for s in statements(policy)}
    assert by_sid["ReadSyncedSecrets"]["Resource"] == sorted([graph.outputs["dbSecretArn"], *pushed])
    assert by_sid["WriteGeneratedSecrets"]["Resource"] == pushed
    assert "secretsmanager:PutSecretValue" in by_sid["WriteGeneratedSecrets"]["Action"]
    store = one(graph, "kubernetes:external-secrets.io/v1:SecretStore").inputs
    assert store["metadata"]["namespace"] == "mlflow"
    assert store["spec"]["provider"]["aws"]["auth"] == {"jwt": {"serviceAccountRef": {"name": "secrets-sync"}}}


def test_generated_secrets_have_no_value_and_are_pushed_once(dev: tuple[Graph, dict[str, Any]]) -> None:
    graph, _ = dev
    assert not graph.by_type("aws:secretsmanager/secretVersion:SecretVersion")
    secrets = graph.by_type("aws:secretsmanager/secret:Secret")
    assert len(secrets) == 2
    for secret in secrets:
        assert secret.inputs["tags"] == {"managed-by": "external-secrets"}
        assert secret.inputs["kmsKeyId"].startswith("arn:aws:kms:")
        assert "secretString" not in secret.inputs
    pushes = graph.by_type(PUSH_SECRET)
    assert {p.inputs["spec"]["updatePolicy"] for p in pushes} == {"IfNotExists"}
    tags = pushes[0].inputs["spec"]["data"][0]["metadata"]["spec"]["tags"]
    assert tags == {"cost-center": "cc-1001", "environment": "dev", "owner": "ml-platform-team"}
    generators = graph.by_type("kubernetes:generators.external-secrets.io/v1alpha1:Password")
    assert {g.inputs["spec"]["symbols"] for g in generators} == {0}


def test_credentials_external_secret(dev: tuple[Graph, dict[str, Any]]) -> None:
    graph, _ = dev
    external = one(graph, EXTERNAL_SECRET).inputs
    assert external["metadata"] == {"name": access.CREDENTIALS_SECRET, "namespace": "mlflow"}
    body = external["spec"]
    assert body["secretStoreRef"] == {"name": "aws-secrets-manager", "kind": "SecretStore"}
    keys = {d["secretKey"]: d["remoteRef"] for d in body["data"]}
    assert keys["username"] == {"key": graph.outputs["dbSecretArn"], "property": "username"}
    assert keys["password"] == {"key": graph.outputs["dbSecretArn"], "property": "password"}
    assert set(keys) == {"username", "password", "admin_password", "flask_secret_key"}
    assert "verify-full" in body["target"]["template"]["data"]["basic_auth.ini"]


def test_no_password_anywhere(dev: tuple[Graph, dict[str, Any]], prod: tuple[Graph, dict[str, Any]]) -> None:
    assert secret_findings(dev[0]) == []
    assert secret_findings(prod[0]) == []


@pytest.mark.parametrize(
    "inputs",
    [
        {"password": "hunter2"},
        {"spec": {"data": {"db-password": "s3cr3t-value"}}},
        {"env": [{"name": "URI", "value": "postgresql://mlops_admin:hunter2@db:5432/mlflow"}]},
        {"defaultUser": {"username": "admin", "password": "admin"}},
    ],
)
def test_secret_scan_catches_planted_passwords(inputs: dict[str, Any]) -> None:
    assert secret_findings_in([("planted", inputs)])


def test_flows_present(dev: tuple[Graph, dict[str, Any]], prod: tuple[Graph, dict[str, Any]]) -> None:
    server = dev[1]["server"]
    edges = {(f.source.name, f.destination.name, f.port) for f in server.flows}
    assert ("serving/predictors", "mlflow/tracking-server", 5000) in edges
    assert ("mlflow/tracking-server", "rds/dev-tracking-db", 5432) in edges
    assert ("mlflow/tracking-server", "vpc-endpoints", 443) in edges
    assert server.workload.selector == access.SERVER_LABELS
    prod_edges = {(f.source.name, f.destination.name, f.port) for f in prod[1]["server"].flows}
    # prod lists notebooks as a client namespace.
    assert ("notebooks/mlflow-clients", "mlflow/tracking-server", 5000) in prod_edges
    assert not any(e[0].startswith("notebooks/") for e in edges)
    database_flow = next(f for f in server.flows if f.port == 5432)
    assert database_flow.destination.security_group_id is not None


def test_prod_vs_dev(dev: tuple[Graph, dict[str, Any]], prod: tuple[Graph, dict[str, Any]]) -> None:
    dev_graph, prod_graph = dev[0], prod[0]
    assert _pod(dev_graph)["containers"][0]["resources"] != _pod(prod_graph)["containers"][0]["resources"]
    assert one(dev_graph, DEPLOYMENT).inputs["spec"]["replicas"] == 1
    assert one(prod_graph, DEPLOYMENT).inputs["spec"]["replicas"] == stack_config("prod").tracking.replicas >= 2
    assert not dev_graph.by_type("kubernetes:policy/v1:PodDisruptionBudget")
    pdb = one(prod_graph, "kubernetes:policy/v1:PodDisruptionBudget").inputs
    assert pdb["spec"] == {"minAvailable": 1, "selector": {"matchLabels": access.SERVER_LABELS}}
    dev_db = one(dev_graph, "aws:rds/instance:Instance").inputs
    prod_db = one(prod_graph, "aws:rds/instance:Instance").inputs
    assert (dev_db["multiAz"], dev_db["deletionProtection"]) == (False, False)
    assert (prod_db["multiAz"], prod_db["deletionProtection"]) == (True, True)
    assert prod_db["instanceClass"] == "db.r7g.large"
    assert prod_db["finalSnapshotIdentifier"] == "prod-tracking-db-final"


def test_own_bucket_without_a_lake(no_lake: tuple[Graph, dict[str, Any]]) -> None:
    graph, _ = no_lake
    bucket = one(graph, "aws:s3/bucket:Bucket").inputs
    name = f"dev-mlflow-{ACCOUNT}-eu-west-1"
    assert bucket["bucket"] == name
    sse = one(graph, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    rule = sse.inputs["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    assert rule["bucketKeyEnabled"] is True
    block = one(graph, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(
        block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    assert one(graph, "aws:s3/bucketVersioning:BucketVersioning").inputs["versioningConfiguration"] == {
        "status": "Enabled"
    }
    ownership = one(graph, "aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs
    assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    policy = statements(one(graph, "aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    sids = {s["Sid"]: s for s in policy}
    assert sids["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert sids["DenyNonKmsEncryption"]["Condition"] == {
        "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}
    }
    assert one(graph, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
    keys = graph.by_type("aws:kms/key:Key")
    assert all(k.inputs["enableKeyRotation"] is True for k in keys)
    assert graph.outputs["artifactLocation"] == f"s3://{name}/mlflow"
    server_policy = one(graph, "aws:iam/rolePolicy:RolePolicy", "tracking-server-policy").inputs["policy"]
    assert f"arn:aws:s3:::{name}/mlflow/*" in server_policy


def _args(**overrides: Any) -> TrackingServerArgs:
    config = stack_config("dev").tracking
    values: dict[str, Any] = {
        "config": config,
        "environment": "dev",
        "region": "eu-west-1",
        "account_id": ACCOUNT,
        "vpc_id": "vpc-1",
        "database_subnet_ids": ["a", "b"],
        "database_subnet_cidrs": ["10.40.64.0/24"],
        "k8s_provider": None,
        "oidc": OIDC,
        "secrets_operator": None,
        "endpoints": None,
        "db_ca_bundle": PEM,
        **overrides,
    }
    return TrackingServerArgs(**values)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"artifact_bucket_name": "b"}, "together"),
        ({"artifact_prefix": "/"}, "artifact_prefix"),
        ({"db_ca_bundle": "not a pem"}, "PEM"),
        ({"db_ca_bundle": "<html>404</html>"}, "db_ca_bundle is not a PEM"),
        ({"tags": {"managed-by": "me"}}, "managed-by"),
    ],
)
def test_bad_arguments_are_rejected(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_tracking_args(_args(**overrides))


def test_ca_bundle_is_optional() -> None:
    validate_tracking_args(_args(db_ca_bundle=None))
    assert TrackingServerArgs.__dataclass_fields__["db_ca_bundle"].default is None


# Rules whose remedy lives in another component: the zero-trust graph renders the namespace's default-deny
# policies, the cluster enables the VPC CNI's network-policy enforcement, observability alarms the database.
OWNED_ELSEWHERE = {"k8s-namespace-default-deny", "eks-addon-network-policy-enforced", "rds-instance-alarms"}


def test_policy_pack_finds_nothing_of_ours(
    dev: tuple[Graph, dict[str, Any]], prod: tuple[Graph, dict[str, Any]], no_lake: tuple[Graph, dict[str, Any]]
) -> None:
    for graph in (dev[0], prod[0]):
        violations = evaluate(graph).violations
        assert {(v.policy, v.level) for v in violations if v.policy not in OWNED_ELSEWHERE} == set()
        deny = [v for v in violations if v.policy == "k8s-namespace-default-deny"]
        assert sorted(v.message for v in deny) == [
            "namespace 'external-secrets' has no default-deny NetworkPolicy for Ingress and Egress",
            "namespace 'mlflow' has no default-deny NetworkPolicy for Ingress and Egress",
        ]
    # Without a lake there is no access-log bucket to deliver to: advisory only.
    own = {(v.policy, v.level) for v in evaluate(no_lake[0]).violations if v.policy not in OWNED_ELSEWHERE}
    assert own == {("s3-bucket-access-logging", "advisory")}


def test_operator_namespace_is_restricted_and_policed(dev: tuple[Graph, dict[str, Any]]) -> None:
    graph, _ = dev
    namespace = one(graph, "kubernetes:core/v1:Namespace").inputs["metadata"]
    assert namespace["name"] == "external-secrets"
    assert namespace["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    # Its NetworkPolicies come from the flow graph (SecretsOperator.flows, rendered by ZeroTrust): none written here.
    assert graph.by_type("kubernetes:networking.k8s.io/v1:NetworkPolicy") == []
