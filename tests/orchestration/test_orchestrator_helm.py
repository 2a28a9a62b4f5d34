"""Orchestrator, helm mode, under the offline engine with the dev and prod stack files' config."""

from __future__ import annotations

import json
from typing import Any

import pytest
from document_checks import statements, wildcard_problems
from orchestrator_helpers import (
    ACCOUNT,
    ARTIFACTS,
    LAKE_KEY,
    OIDC,
    PEM,
    ZONES,
    orchestrator_program,
    plain_secrets,
    schema_errors,
    stack_config,
)

from components.orchestration import airflow_values as av
from components.orchestration.config import GitDagsConfig
from mlopsctl.engine import Graph, Registration, run_program
from mlopsctl.policy import evaluate

RELEASE = "kubernetes:helm.sh/v3:Release"
EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret"


def _run(stack: str, *, args: dict[str, Any] | None = None, **config_overrides: Any) -> tuple[Graph, dict[str, Any]]:
    config = stack_config(stack).orchestrator.model_copy(update=config_overrides)
    capture: dict[str, Any] = {}
    program = orchestrator_program(config, capture, environment=stack, **(args or {}))
    graph = run_program(program, config={"aws:region": "eu-west-1"})
    return graph, capture


@pytest.fixture(scope="module")
def dev() -> tuple[Graph, dict[str, Any]]:
    return _run("dev")


@pytest.fixture(scope="module")
def prod_git() -> tuple[Graph, dict[str, Any]]:
    git = GitDagsConfig(repository="https://github.com/acme/dags.git", egress_cidrs=["140.82.112.0/20"])
    return _run("prod", dags_git=git)


@pytest.fixture(scope="module")
def no_bundle() -> tuple[Graph, dict[str, Any]]:
    """dev as the platform builds it before ``make rds-ca-bundle``."""
    return _run("dev", args={"db_ca_bundle": None})


def _airflow_release(graph: Graph) -> Registration:
    return next(r for r in graph.by_type(RELEASE) if r.name == "orchestrator-release")


def _values(graph: Graph) -> dict[str, Any]:
    values: dict[str, Any] = _airflow_release(graph).inputs["values"]
    return values


def test_release_is_the_official_chart_pinned(dev: tuple[Graph, dict[str, Any]]) -> None:
    release = _airflow_release(dev[0]).inputs
    assert release["chart"] == "airflow"
    assert release["version"] == "1.18.0"
    assert release["repositoryOpts"] == {"repo": "https://airflow.apache.org"}
    assert release["namespace"] == "airflow"
    assert release["name"] == "airflow"


def test_captured_values_validate_against_the_chart_schema(
    dev: tuple[Graph, dict[str, Any]], prod_git: tuple[Graph, dict[str, Any]], no_bundle: tuple[Graph, dict[str, Any]]
) -> None:
    assert schema_errors(_values(dev[0])) == []
    assert schema_errors(_values(prod_git[0])) == []
    assert schema_errors(_values(no_bundle[0])) == []


def _pgbouncer_ini(graph: Graph) -> str:
    config = next(
        r for r in graph.by_type(EXTERNAL_SECRET) if r.inputs["metadata"]["name"] == av.SecretNames().pgbouncer_config
    )
    ini: str = config.inputs["spec"]["target"]["template"]["data"]["pgbouncer.ini"]
    return ini


def test_pgbouncer_verifies_rds_with_the_ca_bundle(dev: tuple[Graph, dict[str, Any]]) -> None:
    graph, capture = dev
    assert capture["orchestrator"].db_tls_mode == "verify-full"
    assert graph.outputs["db_tls_mode"] == "verify-full"
    configmap = next(r for r in graph.by_type("kubernetes:core/v1:ConfigMap") if r.name == "orchestrator-rds-ca")
    assert configmap.inputs["metadata"] == {"name": av.CA_CONFIGMAP, "namespace": "airflow"}
    assert configmap.inputs["data"] == {"ca.pem": PEM}
    assert configmap.urn in _airflow_release(graph).dependencies
    pgbouncer = _values(graph)["pgbouncer"]
    assert pgbouncer["extraVolumes"] == [{"name": "rds-ca", "configMap": {"name": av.CA_CONFIGMAP}}]
    assert pgbouncer["extraVolumeMounts"] == [{"name": "rds-ca", "mountPath": av.CA_MOUNT, "readOnly": True}]
    ini = _pgbouncer_ini(graph)
    assert "server_tls_sslmode = verify-full\n" in ini
    assert f"server_tls_ca_file = {av.CA_MOUNT}/ca.pem\n" in ini
    assert "server_tls_protocols = tlsv1.2,tlsv1.3\n" in ini


def test_without_a_ca_bundle_pgbouncer_requires_tls_only(no_bundle: tuple[Graph, dict[str, Any]]) -> None:
    graph, capture = no_bundle
    assert capture["orchestrator"].db_tls_mode == "require"
    assert graph.outputs["db_tls_mode"] == "require"
    assert not graph.by_type("kubernetes:core/v1:ConfigMap")
    values = _values(graph)
    assert "extraVolumes" not in values["pgbouncer"] and "extraVolumeMounts" not in values["pgbouncer"]
    assert "rds-ca" not in json.dumps(values)
    ini = _pgbouncer_ini(graph)
    assert "server_tls_sslmode = require\n" in ini
    assert "server_tls_ca_file" not in ini
    assert "server_tls_protocols = tlsv1.2,tlsv1.3\n" in ini
    # The metadata database still forces TLS, and nothing else changed for the policies.
    params = graph.by_type("aws:rds/parameterGroup:ParameterGroup")[0].inputs["parameters"]
    assert {"name": "rds.force_ssl", "value": "1", "applyMethod": "immediate"} in params
    assert [f"{r.name}: {f}" for r in graph.resources for f in plain_secrets(r.inputs)] == []
    owned_elsewhere = {"k8s-namespace-default-deny", "eks-addon-network-policy-enforced", "rds-instance-alarms"}
    assert [v.policy for v in evaluate(graph).violations if v.policy not in owned_elsewhere] == []


def test_no_secret_in_values_or_any_input(
    dev: tuple[Graph, dict[str, Any]], prod_git: tuple[Graph, dict[str, Any]]
) -> None:
    for graph, _ in (dev, prod_git):
        assert "password" not in json.dumps(_values(graph)).lower()
        findings = [f"{r.name}: {f}" for r in graph.resources for f in plain_secrets(r.inputs)]
        assert findings == []
        assert not graph.by_type("aws:secretsmanager/secretVersion:SecretVersion")


def test_values_wire_the_real_outputs(dev: tuple[Graph, dict[str, Any]]) -> None:
    graph, _ = dev
    values = _values(graph)
    assert values["config"]["logging"]["remote_base_log_folder"] == f"s3://{ARTIFACTS}/airflow-logs"
    roles = {r.name: r for r in graph.by_type("aws:iam/role:Role")}
    for component in av.COMPONENTS:
        arn = values[component]["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"]
        name = f"orchestrator-{_kebab(component)}-role"
        assert name in roles
        assert arn.startswith(f"arn:aws:iam::{ACCOUNT}:role/{name}")
    bundle = json.loads(values["config"]["dag_processor"]["dag_bundle_config_list"])
    assert bundle[0]["kwargs"]["bucket_name"] == ARTIFACTS


def _kebab(component: str) -> str:
    return "".join(f"-{c.lower()}" if c.isupper() else c for c in component)


def test_each_role_trusts_exactly_its_service_account(dev: tuple[Graph, dict[str, Any]]) -> None:
    graph, _ = dev
    issuer = str(OIDC.issuer_url).removeprefix("https://")
    for component in av.COMPONENTS:
        role = next(r for r in graph.by_type("aws:iam/role:Role") if r.name == f"orchestrator-{_kebab(component)}-role")
        condition = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
        assert condition[f"{issuer}:sub"] == f"system:serviceaccount:airflow:{av.SERVICE_ACCOUNTS[component]}"


def _policy(graph: Graph, component: str) -> dict[str, dict[str, Any]]:
    name = f"orchestrator-{_kebab(component)}-policy"
    policy = next(r for r in graph.by_type("aws:iam/rolePolicy:RolePolicy") if r.name == name).inputs["policy"]
    assert wildcard_problems(policy) == []
    return {s["Sid"]: s for s in statements(policy)}


def test_iam_least_privilege(dev: tuple[Graph, dict[str, Any]]) -> None:
    graph, _ = dev
    logs = f"arn:aws:s3:::{ARTIFACTS}/airflow-logs/*"
    workers = _policy(graph, "workers")
    assert workers["LogsObjects"]["Resource"] == [logs]
    assert "s3:PutObject" in workers["LogsObjects"]["Action"]
    assert workers["DagsObjects"]["Action"] == ["s3:GetObject", "s3:GetObjectVersion"]
    # dev: read raw, write curated (the config's defaults)
    assert workers["ReadZoneRawObjects"]["Resource"] == [f"{ZONES['raw']}/*"]
    assert "s3:PutObject" not in workers["ReadZoneRawObjects"]["Action"]
    assert "s3:PutObject" in workers["WriteZoneCuratedObjects"]["Action"]
    assert not any(sid.startswith(("ReadZoneMl", "WriteZoneMl")) for sid in workers)
    api = _policy(graph, "apiServer")
    assert api["LogsObjects"]["Action"] == ["s3:GetObject", "s3:GetObjectVersion"]
    assert "DagsObjects" not in api and not any("Zone" in sid for sid in api)
    assert api["ApiServerKey0"]["Action"] == ["kms:Decrypt", "kms:DescribeKey"]
    scheduler = _policy(graph, "scheduler")
    assert "DagsObjects" not in scheduler and not any("Zone" in sid for sid in scheduler)
    assert _policy(graph, "dagProcessor")["DagsObjects"]["Resource"] == [f"arn:aws:s3:::{ARTIFACTS}/airflow-dags/*"]
    assert scheduler["SchedulerKey0"]["Resource"] == [LAKE_KEY]


def test_git_mode_reads_no_dag_prefix(prod_git: tuple[Graph, dict[str, Any]]) -> None:
    assert "DagsObjects" not in _policy(prod_git[0], "workers")
    git = _values(prod_git[0])["dags"]["gitSync"]
    assert git["repo"] == "https://github.com/acme/dags.git"


def test_secrets_delivered_by_eso(dev: tuple[Graph, dict[str, Any]]) -> None:
    graph, _ = dev
    names = av.SecretNames()
    externals = {r.inputs["metadata"]["name"]: r for r in graph.by_type(EXTERNAL_SECRET)}
    assert set(externals) == {names.metadata, names.pgbouncer_config, names.pgbouncer_stats, names.keys}
    assert all(r.inputs["metadata"]["namespace"] == "airflow" for r in externals.values())
    metadata = externals[names.metadata].inputs["spec"]
    assert {d["remoteRef"]["property"] for d in metadata["data"]} == {"username", "password"}
    ini = externals[names.pgbouncer_config].inputs["spec"]["target"]["template"]["data"]["pgbouncer.ini"]
    host = graph.by_type("aws:rds/instance:Instance")[0].inputs["identifier"]
    assert f"host={host}." in ini and "server_tls_sslmode = verify-full" in ini
    keys = externals[names.keys].inputs["spec"]
    assert {d["secretKey"] for d in keys["data"]} == {"fernet", "api", "jwt"}
    pushes = graph.by_type("kubernetes:external-secrets.io/v1alpha1:PushSecret")
    assert len(pushes) == 3
    generated = graph.by_type("aws:secretsmanager/secret:Secret")
    assert len(generated) == 3 and all(s.inputs["tags"] == {"managed-by": "external-secrets"} for s in generated)
    release = _airflow_release(graph)
    assert {r.urn for r in externals.values()} <= set(release.dependencies)


def test_metadata_database_is_hardened(dev: tuple[Graph, dict[str, Any]]) -> None:
    graph, _ = dev
    instance = graph.by_type("aws:rds/instance:Instance")[0].inputs
    assert instance["dbName"] == "airflow"
    assert instance["manageMasterUserPassword"] is True
    assert instance["publiclyAccessible"] is False
    assert instance["storageEncrypted"] is True
    params = graph.by_type("aws:rds/parameterGroup:ParameterGroup")[0].inputs["parameters"]
    assert {"name": "rds.force_ssl", "value": "1", "applyMethod": "immediate"} in params


def test_outputs(dev: tuple[Graph, dict[str, Any]]) -> None:
    outputs = dev[0].outputs
    assert outputs["namespace"] == "airflow"
    assert outputs["api_service_name"] == "airflow-api-server"
    assert outputs["metadata_db_endpoint"].startswith("dev-orchestrator-db.")
    assert outputs["log_location"] == f"s3://{ARTIFACTS}/airflow-logs"
    assert "environment_arn" not in outputs and "webserver_url" not in outputs


def test_flows(dev: tuple[Graph, dict[str, Any]], prod_git: tuple[Graph, dict[str, Any]]) -> None:
    flows = dev[1]["orchestrator"].flows
    edges = {(f.source.name, f.destination.name, f.port, f.protocol) for f in flows}
    for component in ("scheduler", "worker", "api-server", "dag-processor", "triggerer", "run-airflow-migrations"):
        assert (f"airflow/airflow-{component}", "airflow/airflow-pgbouncer", 6543, "TCP") in edges
    assert ("airflow/airflow-pgbouncer", "rds/dev-orchestrator-db", 5432, "TCP") in edges
    assert ("airflow/airflow-worker", "mlflow/tracking-server", 5000, "TCP") in edges
    assert ("airflow/airflow-worker", "vpc-endpoints", 443, "TCP") in edges
    assert ("airflow/airflow-worker", "airflow/airflow-api-server", 8080, "TCP") in edges
    assert ("airflow/airflow-api-server", "airflow/airflow-worker", 8793, "TCP") in edges
    assert ("airflow/airflow-scheduler", "airflow/airflow-statsd", 9125, "UDP") in edges
    assert not any(name.startswith("git:") for _, name, _, _ in edges)
    # Only PgBouncer reaches the database.
    assert {s for s, d, p, _ in edges if p == 5432} == {"airflow/airflow-pgbouncer"}
    git_edges = {(f.source.name, f.destination.name, f.port) for f in prod_git[1]["orchestrator"].flows}
    assert ("airflow/airflow-dag-processor", "git:github.com", 443) in git_edges
    git_flow = next(f for f in prod_git[1]["orchestrator"].flows if f.destination.name == "git:github.com")
    assert git_flow.destination.cidrs == ("140.82.112.0/20",)


def test_prod_vs_dev(dev: tuple[Graph, dict[str, Any]], prod_git: tuple[Graph, dict[str, Any]]) -> None:
    dev_values, prod_values = _values(dev[0]), _values(prod_git[0])
    assert dev_values["scheduler"]["replicas"] == 1 and prod_values["scheduler"]["replicas"] == 2
    assert prod_values["apiServer"]["podDisruptionBudget"]["enabled"] is True
    prod_db = prod_git[0].by_type("aws:rds/instance:Instance")[0].inputs
    assert prod_db["multiAz"] is True and prod_db["deletionProtection"] is True
    assert dev[0].by_type("aws:rds/instance:Instance")[0].inputs["deletionProtection"] is False


def test_policy_pack_finds_nothing_of_ours(
    dev: tuple[Graph, dict[str, Any]], prod_git: tuple[Graph, dict[str, Any]]
) -> None:
    # Owned elsewhere: the zero-trust graph renders the airflow namespace's default-deny policies, the
    # cluster enables network-policy enforcement in the VPC CNI.
    owned_elsewhere = {"k8s-namespace-default-deny", "eks-addon-network-policy-enforced", "rds-instance-alarms"}
    for graph, _ in (dev, prod_git):
        violations = evaluate(graph).violations
        assert [v.policy for v in violations if v.policy not in owned_elsewhere] == []
        deny = [v.message for v in violations if v.policy == "k8s-namespace-default-deny"]
        assert sorted(deny) == [
            "namespace 'airflow' has no default-deny NetworkPolicy for Ingress and Egress",
            "namespace 'external-secrets' has no default-deny NetworkPolicy for Ingress and Egress",
        ]
