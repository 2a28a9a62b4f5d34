"""Pure MLflow specs: command line, probes, security context, manifests (Kubernetes schema), IAM, flows."""

from __future__ import annotations

import configparser
import json
import sys
import types
from typing import Any

import kubernetes_validate
import pytest
from document_checks import statements, wildcard_problems
from tracking_helpers import ENDPOINTS, PREDICTORS

from components.tracking import access, spec
from contracts.flows import AwsDestination

K8S_VERSION = "1.34"
BUCKET = "dev-ml-artifacts-123456789012-eu-west-1"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/artifacts"
DB_KEY = "arn:aws:kms:eu-west-1:123456789012:key/database"
DB_SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-abc-AbCdEf"
DB_HOST = "dev-tracking-db.abc.eu-west-1.rds.amazonaws.com"


def _deployment(replicas: int = 1, *, verify: bool = True) -> dict[str, Any]:
    return spec.deployment_spec(
        version="3.17.2",
        replicas=replicas,
        namespace="mlflow",
        db_host=DB_HOST,
        region="eu-west-1",
        artifact_bucket=BUCKET,
        artifact_prefix="mlflow",
        artifact_kms_key_arn=KEY,
        verify_db_certificate=verify,
    )


def _container(replicas: int = 1, *, verify: bool = True) -> dict[str, Any]:
    container: dict[str, Any] = _deployment(replicas, verify=verify)["template"]["spec"]["containers"][0]
    return container


def _init(*, verify: bool) -> dict[str, Any]:
    init: dict[str, Any] = _deployment(verify=verify)["template"]["spec"]["initContainers"][0]
    return init


def test_image_is_the_official_full_image_pinned() -> None:
    assert _container()["image"] == "ghcr.io/mlflow/mlflow:v3.17.2-full"
    assert spec.mlflow_image("3.20.1") == "ghcr.io/mlflow/mlflow:v3.20.1-full"


def test_command_line() -> None:
    container = _container()
    assert container["command"] == ["mlflow"]
    args = container["args"]
    assert args[0] == "server"

    def value(flag: str) -> str:
        return str(args[args.index(flag) + 1])

    assert value("--host") == "0.0.0.0"
    assert value("--port") == "5000"
    assert value("--artifacts-destination") == f"s3://{BUCKET}/mlflow"
    assert value("--app-name") == "basic-auth"
    assert "--serve-artifacts" in args
    assert "mlflow.mlflow.svc.cluster.local:5000" in value("--allowed-hosts").split(",")
    # The store URI is never an argument: it would show in the process list with the password.
    assert "--backend-store-uri" not in args
    assert not any("postgresql://" in a for a in args)


def test_the_load_balancers_host_names_are_allowed_hosts_and_ui_origins() -> None:
    # mlops:access: MLflow rejects unknown Host headers and cross-origin state-changing requests.
    args = spec.server_args(artifacts="s3://b/mlflow", namespace="mlflow", external_hosts=["mlflow.ml.example.com"])
    hosts = args[args.index("--allowed-hosts") + 1].split(",")
    assert {"mlflow.ml.example.com", "mlflow.mlflow.svc.cluster.local:5000"} <= set(hosts)
    assert args[args.index("--cors-allowed-origins") + 1] == "https://mlflow.ml.example.com"
    assert "--cors-allowed-origins" not in spec.server_args(artifacts="s3://b/mlflow", namespace="mlflow")


def test_backend_store_uri_is_composed_at_runtime_from_secret_env() -> None:
    env = {e["name"]: e for e in _container()["env"]}
    uri = env["MLFLOW_BACKEND_STORE_URI"]["value"]
    assert uri == (
        f"postgresql://$(MLFLOW_DB_USERNAME):$(MLFLOW_DB_PASSWORD_URLENCODED)@{DB_HOST}:5432/mlflow"
        "?sslmode=verify-full&sslrootcert=/etc/mlflow/rds-ca/ca.pem"
    )
    for name in ("MLFLOW_DB_USERNAME", "MLFLOW_DB_PASSWORD_URLENCODED", "MLFLOW_FLASK_SERVER_SECRET_KEY"):
        assert env[name]["valueFrom"]["secretKeyRef"]["name"] == access.CREDENTIALS_SECRET
        assert "value" not in env[name]
    names = [e["name"] for e in _container()["env"]]
    # $(VAR) expansion only sees variables defined earlier in the list.
    assert names.index("MLFLOW_DB_PASSWORD_URLENCODED") < names.index("MLFLOW_BACKEND_STORE_URI")
    assert env["MLFLOW_AUTH_CONFIG_PATH"]["value"] == spec.AUTH_CONFIG_PATH


def test_backend_store_uri_without_a_ca_bundle_requires_tls_only() -> None:
    env = {e["name"]: e for e in _container(verify=False)["env"]}
    assert env["MLFLOW_BACKEND_STORE_URI"]["value"] == (
        f"postgresql://$(MLFLOW_DB_USERNAME):$(MLFLOW_DB_PASSWORD_URLENCODED)@{DB_HOST}:5432/mlflow?sslmode=require"
    )


def test_tls_mode_and_query() -> None:
    assert access.db_tls_mode(True) == access.DB_TLS_VERIFY_FULL == "verify-full"
    assert access.db_tls_mode(False) == access.DB_TLS_REQUIRE == "require"
    assert access.db_tls_query(True) == f"sslmode=verify-full&sslrootcert={access.CA_PATH}"
    assert access.db_tls_query(False) == "sslmode=require"


def _mounts(container: dict[str, Any]) -> dict[str, str]:
    return {m["name"]: m["mountPath"] for m in container["volumeMounts"]}


def test_ca_bundle_is_mounted_when_verifying() -> None:
    pod = _deployment(verify=True)["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["rds-ca"] == {
        "name": "rds-ca",
        "configMap": {"name": access.CA_CONFIGMAP, "items": [{"key": "ca.pem", "path": "ca.pem"}]},
    }
    assert _mounts(_container(verify=True))["rds-ca"] == "/etc/mlflow/rds-ca"
    init = _init(verify=True)
    assert _mounts(init)["rds-ca"] == "/etc/mlflow/rds-ca"
    env = {e["name"]: e.get("value") for e in init["env"]}
    assert env["MLFLOW_DB_SSLMODE"] == "verify-full"
    assert env["MLFLOW_DB_CA"] == access.CA_PATH


def test_nothing_refers_to_a_ca_bundle_without_one() -> None:
    deployment = _deployment(verify=False)
    pod = deployment["template"]["spec"]
    assert {v["name"] for v in pod["volumes"]} == {"tmp", "auth-config"}
    assert set(_mounts(_container(verify=False))) == {"tmp", "auth-config"}
    init = _init(verify=False)
    assert set(_mounts(init)) == {"tmp"}
    env = {e["name"]: e.get("value") for e in init["env"]}
    assert env["MLFLOW_DB_SSLMODE"] == "require"
    assert "MLFLOW_DB_CA" not in env
    # The script names the sslrootcert keyword (None here, see the script tests); the spec itself must not.
    text = json.dumps(deployment).replace(json.dumps(spec.CREATE_AUTH_DB_SCRIPT)[1:-1], "")
    assert "rds-ca" not in text and "sslrootcert" not in text and "verify-full" not in text


class _Recorder:
    """Stands in for psycopg2: records ``connect`` keywords and the statements the script runs."""

    def __init__(self, *, exists: bool) -> None:
        self.exists = exists
        self.connect_kwargs: dict[str, Any] = {}
        self.statements: list[Any] = []
        self.closed = False

    def modules(self) -> dict[str, types.ModuleType]:
        recorder = self

        class Cursor:
            def __enter__(self) -> Cursor:
                return self

            def __exit__(self, *exc: object) -> None:
                return None

            def execute(self, statement: Any, params: Any = None) -> None:
                recorder.statements.append((statement, params))

            def fetchone(self) -> tuple[int] | None:
                return (1,) if recorder.exists else None

        class Connection:
            autocommit = False

            def cursor(self) -> Cursor:
                return Cursor()

            def close(self) -> None:
                recorder.closed = True

        def connect(**kwargs: Any) -> Connection:
            recorder.connect_kwargs = kwargs
            return Connection()

        class Composed:
            def __init__(self, text: str) -> None:
                self.text = text

            def format(self, *parts: Any) -> str:
                return self.text.format(*(f'"{p}"' for p in parts))

        psycopg2 = types.ModuleType("psycopg2")
        errors = types.ModuleType("psycopg2.errors")
        sql = types.ModuleType("psycopg2.sql")
        errors.DuplicateDatabase = type("DuplicateDatabase", (Exception,), {})  # type: ignore[attr-defined]
        sql.SQL = Composed  # type: ignore[attr-defined]
        sql.Identifier = str  # type: ignore[attr-defined]
        psycopg2.connect = connect  # type: ignore[attr-defined]
        psycopg2.errors = errors  # type: ignore[attr-defined]
        psycopg2.sql = sql  # type: ignore[attr-defined]
        return {"psycopg2": psycopg2, "psycopg2.errors": errors, "psycopg2.sql": sql}


def _run_init_script(monkeypatch: pytest.MonkeyPatch, *, verify: bool, exists: bool) -> _Recorder:
    """Run the init container's script with exactly its env (Secret-sourced values stubbed)."""
    init = _init(verify=verify)
    assert init["command"][:2] == ["python", "-c"]
    for name in ("MLFLOW_DB_SSLMODE", "MLFLOW_DB_CA"):
        monkeypatch.delenv(name, raising=False)
    for variable in init["env"]:
        monkeypatch.setenv(variable["name"], variable.get("value", f"stub-{variable['name'].lower()}"))
    recorder = _Recorder(exists=exists)
    for module_name, module in recorder.modules().items():
        monkeypatch.setitem(sys.modules, module_name, module)
    exec(compile(init["command"][2], "<create-auth-db>", "exec"), {"__name__": "__main__"})
    return recorder


def test_init_script_verifies_the_certificate_with_a_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = _run_init_script(monkeypatch, verify=True, exists=False)
    kwargs = recorder.connect_kwargs
    assert (kwargs["sslmode"], kwargs["sslrootcert"]) == ("verify-full", access.CA_PATH)
    assert (kwargs["host"], kwargs["port"], kwargs["dbname"]) == (DB_HOST, 5432, "mlflow")
    assert kwargs["password"] == "stub-mlflow_db_password"
    assert ('CREATE DATABASE "mlflow_auth"', None) in recorder.statements
    assert recorder.closed


def test_init_script_requires_tls_without_a_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = _run_init_script(monkeypatch, verify=False, exists=True)
    kwargs = recorder.connect_kwargs
    # psycopg2's make_dsn drops None keywords: libpq gets sslmode=require and no sslrootcert.
    assert kwargs["sslmode"] == "require"
    assert kwargs["sslrootcert"] is None
    # The database exists already: only the lookup ran.
    assert [statement for statement, _ in recorder.statements] == ["SELECT 1 FROM pg_database WHERE datname = %s"]


def test_uploads_request_sse_kms_with_the_bucket_key() -> None:
    env = {e["name"]: e for e in _container()["env"]}
    assert json.loads(env["MLFLOW_S3_UPLOAD_EXTRA_ARGS"]["value"]) == {
        "ServerSideEncryption": "aws:kms",
        "SSEKMSKeyId": KEY,
    }


def test_probes_hit_health_with_an_allowed_host() -> None:
    container = _container()
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        get = container[probe]["httpGet"]
        assert get["path"] == "/health"
        assert get["port"] == "http"
        host = get["httpHeaders"][0]["value"]
        assert host in access.allowed_hosts("mlflow")
    assert container["livenessProbe"]["failureThreshold"] * container["livenessProbe"]["periodSeconds"] >= 60


def test_restricted_security_context() -> None:
    pod = _deployment()["template"]["spec"]
    context = _container()["securityContext"]
    assert context["runAsNonRoot"] is True
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["initContainers"][0]["securityContext"] == context
    tmp = {v["name"]: v for v in pod["volumes"]}["tmp"]
    assert "emptyDir" in tmp
    assert {"name": "tmp", "mountPath": "/tmp"} in _container()["volumeMounts"]


def test_resources_have_requests_and_limits() -> None:
    for replicas in (1, 2):
        resources = _container(replicas)["resources"]
        assert set(resources) == {"requests", "limits"}
        assert {"cpu", "memory"} <= set(resources["requests"]) and {"cpu", "memory"} <= set(resources["limits"])


def test_replicas_and_zone_spread() -> None:
    assert _deployment(1)["replicas"] == 1
    assert "topologySpreadConstraints" not in _deployment(1)["template"]["spec"]
    two = _deployment(2)
    assert two["replicas"] == 2
    assert two["template"]["spec"]["topologySpreadConstraints"][0]["topologyKey"] == "topology.kubernetes.io/zone"
    with pytest.raises(ValueError, match="replicas"):
        _deployment(0)


@pytest.mark.parametrize(
    ("api_version", "kind", "body"),
    [
        ("apps/v1", "Deployment", _deployment(2)),
        ("apps/v1", "Deployment", _deployment(2, verify=False)),
        ("v1", "Service", spec.service_spec()),
        ("policy/v1", "PodDisruptionBudget", spec.pdb_spec()),
    ],
)
def test_manifests_are_valid_kubernetes(api_version: str, kind: str, body: dict[str, Any]) -> None:
    manifest = spec.manifest(api_version, kind, "mlflow", "mlflow", body)
    kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)


def test_manifest_validation_can_fail() -> None:
    broken = _deployment()
    broken["template"]["spec"]["containers"][0]["securityContext"]["runAsNonRoot"] = "yes"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(spec.manifest("apps/v1", "Deployment", "m", "mlflow", broken), K8S_VERSION)


def test_service_is_cluster_ip_on_5000() -> None:
    service = spec.service_spec()
    assert service["type"] == "ClusterIP"
    assert service["ports"] == [{"name": "http", "port": 5000, "targetPort": "http", "protocol": "TCP"}]
    assert service["selector"] == access.SERVER_LABELS


def test_tracking_uri_is_in_cluster() -> None:
    assert access.tracking_uri("mlflow") == "http://mlflow.mlflow.svc.cluster.local:5000"


@pytest.mark.parametrize(
    ("verify", "query"),
    [(True, "sslmode=verify-full&sslrootcert=/etc/mlflow/rds-ca/ca.pem"), (False, "sslmode=require")],
)
def test_auth_ini_renders_to_a_valid_config(verify: bool, query: str) -> None:
    """Render the ESO template the way ESO would (simple substitution) and parse it like MLflow does."""
    text = access.auth_ini_template(DB_HOST, verify_db_certificate=verify)
    rendered = (
        text.replace('{{ .password | urlquery | replace "%" "%%" }}', "p%%2Fw")
        .replace("{{ .username | urlquery }}", "mlops_admin")
        .replace("{{ .admin_password }}", "GeneratedAdminPassw0rd")
    )
    parser = configparser.ConfigParser()
    parser.read_string(rendered)
    section = parser["mlflow"]
    assert section["database_uri"].startswith("postgresql://mlops_admin:p%2Fw@")
    assert section["database_uri"].endswith(f"/mlflow_auth?{query}")
    assert section["admin_username"] == access.ADMIN_USERNAME
    assert section["default_permission"] == "NO_PERMISSIONS"


def test_credentials_template_only_references_fetched_values() -> None:
    template = access.credentials_template(DB_HOST, verify_db_certificate=True)
    assert set(template) == {
        "db-username",
        "db-password",
        "db-password-urlencoded",
        "flask-secret-key",
        "basic_auth.ini",
    }
    assert template["db-password-urlencoded"] == "{{ .password | urlquery }}"
    assert "{{ .admin_password }}" in template["basic_auth.ini"]
    unverified = access.credentials_template(DB_HOST, verify_db_certificate=False)
    assert "sslmode=require" in unverified["basic_auth.ini"] and "sslrootcert" not in unverified["basic_auth.ini"]
    assert {k: v for k, v in unverified.items() if k != "basic_auth.ini"} == {
        k: v for k, v in template.items() if k != "basic_auth.ini"
    }


def test_iam_policy_is_scoped_to_prefix_key_and_secret() -> None:
    policy = access.tracking_policy(
        bucket_arn=f"arn:aws:s3:::{BUCKET}",
        prefix="mlflow",
        artifact_kms_key_arn=KEY,
        db_secret_arn=DB_SECRET,
        db_kms_key_arn=DB_KEY,
    )
    assert wildcard_problems(policy) == []
    by_sid = {s["Sid"]: s for s in statements(policy)}
    assert by_sid["ArtifactsObjects"]["Resource"] == [f"arn:aws:s3:::{BUCKET}/mlflow/*"]
    assert "s3:PutObject" in by_sid["ArtifactsObjects"]["Action"]
    assert by_sid["ArtifactsList"]["Condition"] == {"StringLike": {"s3:prefix": ["mlflow/*", "mlflow"]}}
    assert by_sid["ArtifactKey"]["Resource"] == [KEY]
    assert by_sid["ReadDatabaseSecret"]["Resource"] == [DB_SECRET]
    assert by_sid["DatabaseSecretKey"]["Action"] == ["kms:Decrypt", "kms:DescribeKey"]
    resources = [r for s in statements(policy) for r in s["Resource"]]
    assert all(r.startswith(("arn:aws:s3:::", "arn:aws:kms:", "arn:aws:secretsmanager:")) for r in resources)


def test_wildcard_check_can_fail() -> None:
    loose = json.dumps({"Statement": [{"Sid": "X", "Effect": "Allow", "Action": ["s3:*"], "Resource": ["*"]}]})
    assert len(wildcard_problems(loose)) == 2


def test_artifact_destination_rejects_empty_prefix() -> None:
    with pytest.raises(ValueError, match="prefix"):
        access.artifacts_destination(BUCKET, "/")
    with pytest.raises(ValueError, match="bucket"):
        access.artifacts_destination("a/b", "mlflow")


def test_flows() -> None:
    server = access.server_workload("mlflow")
    database = AwsDestination(name="rds/dev-tracking-db", cidrs=("10.40.64.0/24",), security_group_id="sg-db")
    notebooks = access.client_namespace_workload("notebooks")
    flows = access.tracking_flows(
        server=server, clients=[PREDICTORS, notebooks, PREDICTORS], database=database, endpoints=ENDPOINTS
    )
    edges = {(f.source.name, f.destination.name, f.port, f.protocol) for f in flows}
    assert edges == {
        ("serving/predictors", "mlflow/tracking-server", 5000, "TCP"),
        ("notebooks/mlflow-clients", "mlflow/tracking-server", 5000, "TCP"),
        ("mlflow/tracking-server", "rds/dev-tracking-db", 5432, "TCP"),
        ("mlflow/tracking-server", "vpc-endpoints", 443, "TCP"),
    }
    assert len(flows) == 4
    assert notebooks.selector == {access.CLIENT_LABEL: "true"}
    assert server.selector == access.SERVER_LABELS
