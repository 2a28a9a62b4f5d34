"""End to end in a sandbox account: a throwaway stack from the phoenix template, deployed and destroyed in
its two layers (docs/adr/0001-deploying-a-private-cluster.md), with smoke checks in between.

Real Pulumi CLI, real AWS, real cluster: marked ``cloud`` (skipped without an account and the CLI). The
phases run in different places, so each is selected by ``MLOPS_E2E_PHASE`` and run by one job of
.github/workflows/e2e.yml, in this order:

=====================  ==================  ===========================================================
phase                  where               what
=====================  ==================  ===========================================================
``aws``                anywhere (OIDC)     ``up --target`` of the AWS layer: the bootstrap; it creates
                                           the stack's in-VPC deploy runner
``kubernetes``         the in-VPC runner   whole-stack ``up`` (needs the private cluster API)
``smoke``              the in-VPC runner   MLflow, Airflow, a KServe model, a NetworkPolicy refusal
``destroy-kubernetes`` the in-VPC runner   ``destroy --target`` of the Kubernetes layer
``destroy``            anywhere (OIDC)     whole destroy (forgetting a Kubernetes layer left behind),
                                           stack removal; the reaper's dry run finds nothing of it
=====================  ==================  ===========================================================

Phases that need the private API skip, saying so, where it cannot be reached.

Environment: ``MLOPS_E2E_STACK`` (required: a unique name such as ``e2e-<run id>``; it is also the
``mlops:environment``), ``MLOPS_E2E_EXPIRES_AT`` (ISO-8601; default: the stack's recorded expiry, or now +
``MLOPS_E2E_TTL``, default 4h, in phase ``aws``), ``MLOPS_E2E_REGION`` (overrides the template's
``aws:region``), ``GITHUB_REPOSITORY`` (the repository the stack's runner serves). Needs ``kubectl`` and
the AWS CLI (the kubeconfig's token command) for the runner phases.
"""

from __future__ import annotations

import base64
import dataclasses
import ipaddress
import json
import os
import re
import secrets
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

import pytest

from components.cluster.component import PREDICTORS, SERVING_NAMESPACE
from components.platform import ARTIFACTS_ZONE
from components.tracking.access import ADMIN_USERNAME, SERVER_LABELS
from mlopsctl.phoenix.expiry import ENVIRONMENT_TAG, expiry_after, parse_duration
from mlopsctl.phoenix.settings import PHOENIX_KEY, REGION_KEY, load_template, stack_config_dir
from mlopsctl.phoenix.stacks import destroy_kubernetes_layer, destroy_stack, forget_kubernetes_layer, stack_config
from mlopsctl.phoenix.state import offline_layer_targets, runner_project, state_layer_urns

pytestmark = pytest.mark.cloud

ROOT = Path(__file__).resolve().parents[2]
PHASES = ("aws", "kubernetes", "smoke", "destroy-kubernetes", "destroy")
OWNER = "e2e"
T = TypeVar("T")

# The KServe sklearn-iris sample (v1 protocol): the public model file of KServe's own docs, and two iris
# rows whose class is 1 (versicolor).
IRIS_MODEL_URL = "https://storage.googleapis.com/kfserving-examples/models/sklearn/1.0/model/model.joblib"
IRIS_INSTANCES = [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]
AIRFLOW_DAGS_PREFIX = "airflow-dags"  # components.orchestration.component.OrchestratorArgs.dags_prefix
AIRFLOW_API_PORT = 8080
PROBE_IMAGE = "public.ecr.aws/docker/library/python:3.11-alpine"
PROBE = """
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10).close()
    print("OPEN")
except socket.timeout:
    print("TIMEOUT")
except ConnectionRefusedError:
    print("REFUSED")
except OSError as exc:
    print("ERROR", exc)
"""
SMOKE_DAG = '''
"""e2e smoke DAG: one task, no inputs, no outputs."""
from datetime import datetime

from airflow.sdk import dag, task


@dag(dag_id="e2e_smoke", schedule=None, start_date=datetime(2026, 1, 1), catchup=False, tags=["e2e"])
def e2e_smoke():
    @task
    def answer() -> int:
        return 42

    answer()


e2e_smoke()
'''


# --- phases and the stack ------------------------------------------------------------------------------


def require_phase(*phases: str) -> None:
    """Skip unless ``MLOPS_E2E_PHASE`` is one of ``phases``."""
    current = os.environ.get("MLOPS_E2E_PHASE", "")
    if current not in PHASES:
        pytest.skip(f"set MLOPS_E2E_PHASE to one of {', '.join(PHASES)} (the e2e workflow runs them in order)")
    if current not in phases:
        pytest.skip(f"phase {current}: this test belongs to phase {' / '.join(phases)}")


def stack_name() -> str:
    name = os.environ.get("MLOPS_E2E_STACK", "")
    if not re.fullmatch(r"[a-z][a-z0-9-]{1,20}", name) or name.startswith("pr-"):
        pytest.fail(f"MLOPS_E2E_STACK={name!r}: need a unique environment-like name such as e2e-<run id> (not pr-N)")
    return name


@pytest.fixture(scope="module")
def workspace() -> Any:
    from mlopsctl.phoenix.automation import AutomationWorkspace

    return AutomationWorkspace(ROOT, on_output=lambda line: print(line, end=""))


@pytest.fixture(scope="module")
def session() -> Any:
    import boto3

    region = os.environ.get("MLOPS_E2E_REGION") or load_template(ROOT).region
    return boto3.session.Session(region_name=region)


def ensure_stack(workspace: Any, session: Any, name: str, *, first: bool = False) -> str:
    """Select (or, in phase ``aws``, create) the stack and write its config; return its expiry.

    Every job runs in a fresh checkout, so the gitignored stack file is written again each time, with the
    same expiry (given, or recorded by the first phase) so that no phase moves every resource's tags.
    """
    template = load_template(ROOT)
    region = os.environ.get("MLOPS_E2E_REGION") or template.region
    account = session.client("sts", region_name=region).get_caller_identity()["Account"]
    if account in template.protected_accounts or region in template.protected_regions:
        pytest.fail(f"account {account} / region {region} is protected in {template.path}; use a sandbox account")
    existing = name in {entry.split("/")[-1] for entry in workspace.list_stacks()}
    if not existing and not first:
        pytest.fail(f"stack {name} does not exist: phase aws has not run (or failed before creating it)")
    expires_at = os.environ.get("MLOPS_E2E_EXPIRES_AT") or (workspace.expiry(name) if existing else None)
    if expires_at is None:
        expires_at = expiry_after(datetime.now(UTC), parse_duration(os.environ.get("MLOPS_E2E_TTL", "4h")))
    config = stack_config(template, stack=name, owner=OWNER, expires_at=expires_at)
    config[REGION_KEY] = region
    repository = os.environ.get("GITHUB_REPOSITORY")
    deploy = config.get("mlops:deploy")
    if repository and isinstance(deploy, dict) and isinstance(deploy.get("runner"), dict):
        deploy["runner"] = {**deploy["runner"], "repository": repository}
    assert config[PHOENIX_KEY]["expiresAt"] == expires_at
    workspace.create_or_select(name)
    workspace.write_config(name, config)
    return expires_at


def cluster_endpoint(workspace: Any, name: str) -> str:
    """The EKS API endpoint: the ``clusterEndpoint`` output, else the cluster's state (a targeted
    bootstrap may leave the stack outputs unset until the first whole-stack up)."""
    endpoint = workspace.outputs(name).get("clusterEndpoint")
    if isinstance(endpoint, str) and endpoint:
        return endpoint
    for resource in workspace.export_state(name)["deployment"]["resources"]:
        if resource.get("type") == "aws:eks/cluster:Cluster" and (resource.get("outputs") or {}).get("endpoint"):
            return str(resource["outputs"]["endpoint"])
    pytest.fail(f"stack {name} has no EKS cluster in its state: phase aws has not completed")


def require_private_api(endpoint: str) -> None:
    """Skip, saying why, unless the cluster API endpoint answers a TCP connect from here."""
    host = urlparse(endpoint).hostname or endpoint
    try:
        socket.create_connection((host, 443), timeout=5).close()
    except OSError as exc:
        pytest.skip(
            f"the cluster API {host} is private and not reachable from here ({exc}); this phase runs on the "
            "stack's in-VPC runner (the e2e workflow's runner jobs)"
        )


# --- phase aws: the bootstrap ---------------------------------------------------------------------------


def test_aws_layer_up(workspace: Any, session: Any) -> None:
    require_phase("aws")
    name = stack_name()
    ensure_stack(workspace, session, name, first=True)
    targets = offline_layer_targets(ROOT, name, "aws")
    workspace.up(name, targets=targets)
    state = workspace.export_state(name)
    deployed = {resource["urn"] for resource in state["deployment"]["resources"]}
    assert set(targets) <= deployed, sorted(set(targets) - deployed)[:10]
    assert state_layer_urns(state, "kubernetes") == [], "a targeted AWS-layer up must create no Kubernetes resource"
    if any(":aws:codebuild/project:Project::" in urn or "$aws:codebuild/project:Project::" in urn for urn in targets):
        from mlopsctl.phoenix.teardown import codebuild_project_exists

        project = runner_project(name, state)
        assert codebuild_project_exists(session, session.region_name, project), f"runner project {project} missing"


# --- phase kubernetes: the whole stack from the runner -------------------------------------------------------


def test_whole_stack_up(workspace: Any, session: Any) -> None:
    require_phase("kubernetes")
    name = stack_name()
    ensure_stack(workspace, session, name)
    require_private_api(cluster_endpoint(workspace, name))
    workspace.up(name)
    state = workspace.export_state(name)
    planned = offline_layer_targets(ROOT, name, "kubernetes")
    deployed = set(state_layer_urns(state, "kubernetes"))
    assert set(planned) <= deployed, sorted(set(planned) - deployed)[:10]


# --- phase smoke ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cluster:
    """What the smoke checks need: the stack outputs, a kubeconfig file, an AWS session in the stack's region."""

    name: str
    outputs: dict[str, Any]
    kubeconfig: Path
    session: Any

    def kubectl(self, *args: str, stdin: str | None = None, timeout: int = 600, check: bool = True) -> str:
        proc = subprocess.run(
            ["kubectl", "--kubeconfig", str(self.kubeconfig), *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args[:4])} ... failed: {proc.stderr.strip()[-800:]}")
        return proc.stdout

    def client(self, service: str) -> Any:
        return self.session.client(service, region_name=self.outputs["region"])


@pytest.fixture(scope="module")
def cluster(workspace: Any, session: Any, tmp_path_factory: pytest.TempPathFactory) -> Cluster:
    require_phase("smoke")
    name = stack_name()
    ensure_stack(workspace, session, name)
    outputs = workspace.outputs(name)
    require_private_api(outputs["clusterEndpoint"])
    kubeconfig = tmp_path_factory.mktemp("kube") / "config"
    raw = outputs["kubeconfig"]
    kubeconfig.write_text(raw if isinstance(raw, str) else json.dumps(raw), encoding="utf-8")
    kubeconfig.chmod(0o600)
    import boto3

    found = Cluster(name, outputs, kubeconfig, boto3.session.Session(region_name=outputs["region"]))
    found.kubectl("version", timeout=60)
    return found


@contextmanager
def port_forward(cluster: Cluster, namespace: str, target: str, port: int) -> Iterator[int]:
    """``kubectl port-forward`` to ``target`` on a free local port (yielded).

    Through the API server and the kubelet into the pod's own network namespace: the runner is not a
    declared client of any workload, and the NetworkPolicies stay exactly as deployed.
    """
    proc = subprocess.Popen(
        ["kubectl", "--kubeconfig", str(cluster.kubeconfig), "-n", namespace, "port-forward", target, f":{port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"127\.0\.0\.1:(\d+)", line)
        if match is None:
            stderr = proc.stderr.read() if proc.stderr and proc.poll() is not None else ""
            raise AssertionError(f"port-forward {namespace}/{target}:{port} did not start: {line!r} {stderr}")
        yield int(match.group(1))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def http(
    method: str, url: str, *, body: Any = None, headers: dict[str, str] | None = None, timeout: int = 30
) -> tuple[int, Any]:
    """One HTTP call with urllib; returns the status and the JSON body (or the text when not JSON)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    text = raw.decode("utf-8", "replace")
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def eventually(check: Callable[[], T | None], *, timeout: float, every: float = 10, what: str) -> T:
    """Call ``check`` until it returns something other than None, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def artifacts_bucket(cluster: Cluster) -> str:
    buckets = cluster.outputs.get("lakeBuckets") or {}
    bucket = buckets.get(ARTIFACTS_ZONE) if isinstance(buckets, dict) else None
    if not bucket:
        pytest.fail(f"the stack exports no lakeBuckets[{ARTIFACTS_ZONE!r}] (the phoenix template has a lake)")
    return str(bucket)


def test_smoke_mlflow_health_and_one_logged_run(cluster: Cluster) -> None:
    uri = urlparse(cluster.outputs["trackingUri"])  # http://mlflow.mlflow.svc.cluster.local:5000
    assert uri.hostname is not None and uri.port is not None
    service, namespace = uri.hostname.split(".")[:2]
    selector = ",".join(f"{key}={value}" for key, value in sorted(SERVER_LABELS.items()))
    cluster.kubectl(
        "-n", namespace, "wait", "--for=condition=Available", "deployment", "-l", selector, "--timeout=900s",
        timeout=960,
    )  # fmt: skip
    password = cluster.client("secretsmanager").get_secret_value(SecretId=cluster.outputs["mlflowAdminSecretArn"])
    # MLflow refuses Host headers other than its Service's names (DNS-rebinding protection).
    headers = {"Host": uri.netloc, "Authorization": basic_auth(ADMIN_USERNAME, password["SecretString"])}
    with port_forward(cluster, namespace, f"svc/{service}", uri.port) as local:
        base = f"http://127.0.0.1:{local}"
        status, body = http("GET", f"{base}/health", headers=headers)
        assert status == 200, body
        now_ms = int(time.time() * 1000)
        status, created = http(
            "POST",
            f"{base}/api/2.0/mlflow/experiments/create",
            body={"name": f"{cluster.name}-{now_ms}"},
            headers=headers,
        )
        assert status == 200, created
        status, run = http(
            "POST",
            f"{base}/api/2.0/mlflow/runs/create",
            body={"experiment_id": created["experiment_id"], "start_time": now_ms, "run_name": "smoke"},
            headers=headers,
        )
        assert status == 200, run
        run_id = run["run"]["info"]["run_id"]
        for path, payload in (
            ("runs/log-parameter", {"run_id": run_id, "key": "model", "value": "smoke"}),
            ("runs/log-metric", {"run_id": run_id, "key": "accuracy", "value": 0.97, "timestamp": now_ms, "step": 0}),
            ("runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": now_ms + 1}),
        ):
            status, answer = http("POST", f"{base}/api/2.0/mlflow/{path}", body=payload, headers=headers)
            assert status == 200, (path, answer)
        status, fetched = http("GET", f"{base}/api/2.0/mlflow/runs/get?run_id={run_id}", headers=headers)
    assert status == 200, fetched
    assert fetched["run"]["info"]["status"] == "FINISHED"
    assert {m["key"]: m["value"] for m in fetched["run"]["data"]["metrics"]} == {"accuracy": 0.97}
    assert {p["key"]: p["value"] for p in fetched["run"]["data"]["params"]} == {"model": "smoke"}


def test_smoke_airflow_health_and_one_dag_run(cluster: Cluster) -> None:
    namespace, service = cluster.outputs["airflowNamespace"], cluster.outputs["airflowApiService"]
    cluster.kubectl("-n", namespace, "rollout", "status", f"deployment/{service}", "--timeout=900s", timeout=960)
    # The chart's admin/admin user is disabled; a throwaway Admin for this stack, created in the API server
    # pod with the auth manager's own CLI (components/orchestrator.py, operating notes).
    user, password = "e2e-smoke", secrets.token_urlsafe(24)
    airflow = ("-n", namespace, "exec", f"deployment/{service}", "--", "airflow", "users")
    cluster.kubectl(*airflow, "delete", "--username", user, check=False)
    cluster.kubectl(
        *airflow, "create", "--role", "Admin", "--username", user, "--password", password,
        "--firstname", "e2e", "--lastname", "smoke", "--email", "e2e-smoke@example.invalid",
    )  # fmt: skip
    bucket, key = artifacts_bucket(cluster), f"{AIRFLOW_DAGS_PREFIX}/e2e_smoke.py"
    s3 = cluster.client("s3")
    s3.put_object(Bucket=bucket, Key=key, Body=SMOKE_DAG.encode())  # SSE-KMS: the bucket's default key
    try:
        with port_forward(cluster, namespace, f"svc/{service}", AIRFLOW_API_PORT) as local:
            base = f"http://127.0.0.1:{local}"
            status, health = http("GET", f"{base}/api/v2/monitor/health")
            assert status == 200, health
            assert health["metadatabase"]["status"] == "healthy" and health["scheduler"]["status"] == "healthy"
            status, token = http("POST", f"{base}/auth/token", body={"username": user, "password": password})
            assert status in (200, 201), token
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            dag = f"{base}/api/v2/dags/e2e_smoke"
            eventually(
                lambda: True if http("GET", dag, headers=headers)[0] == 200 else None,
                timeout=900,
                what="the DAG bundle to load e2e_smoke from S3",
            )
            status, patched = http("PATCH", dag, body={"is_paused": False}, headers=headers)
            assert status == 200, patched
            status, run = http("POST", f"{dag}/dagRuns", body={"logical_date": None}, headers=headers)
            assert status == 200, run
            run_url = f"{dag}/dagRuns/{run['dag_run_id']}"

            def finished() -> str | None:
                state = http("GET", run_url, headers=headers)[1].get("state")
                return state if state in ("success", "failed") else None

            assert eventually(finished, timeout=1200, every=15, what="the e2e_smoke run to finish") == "success"
    finally:
        s3.delete_object(Bucket=bucket, Key=key)


def test_smoke_kserve_sklearn_iris_answers_a_prediction(cluster: Cluster) -> None:
    # The model goes to the lake's ml-artifacts bucket and the predictor fetches it with a presigned URL: S3
    # through the VPC's S3 interface endpoint is a declared flow of predictors, the public internet is not.
    from botocore.config import Config

    bucket, key = artifacts_bucket(cluster), f"e2e/{cluster.name}/sklearn-iris/model.joblib"
    with urllib.request.urlopen(IRIS_MODEL_URL, timeout=60) as response:
        model = response.read()
    region = cluster.outputs["region"]
    s3 = cluster.session.client(
        "s3", region_name=region, config=Config(signature_version="s3v4", s3={"addressing_style": "virtual"})
    )
    s3.put_object(Bucket=bucket, Key=key, Body=model)
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=3600)
    restricted = {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    service = {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "sklearn-iris", "namespace": SERVING_NAMESPACE},
        "spec": {
            "predictor": {
                "minReplicas": 1,
                "maxReplicas": 1,
                # Pod Security "restricted" (the serving namespace enforces it), as docs/inference-service.md.
                "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
                "model": {
                    "modelFormat": {"name": "sklearn"},
                    "protocolVersion": "v1",
                    "storageUri": url,
                    "securityContext": restricted,
                    "resources": {
                        "requests": {"cpu": "100m", "memory": "256Mi"},
                        "limits": {"cpu": "1", "memory": "1Gi"},
                    },
                },
            }
        },
    }
    try:
        cluster.kubectl("apply", "-f", "-", stdin=json.dumps(service))
        cluster.kubectl(
            "-n", SERVING_NAMESPACE, "wait", "--for=condition=Ready", "inferenceservice/sklearn-iris", "--timeout=900s",
            timeout=960,
        )  # fmt: skip
        with port_forward(cluster, SERVING_NAMESPACE, "svc/sklearn-iris-predictor", 80) as local:
            status, body = http(
                "POST",
                f"http://127.0.0.1:{local}/v1/models/sklearn-iris:predict",
                body={"instances": IRIS_INSTANCES},
                timeout=60,
            )
        assert status == 200, body
        assert body == {"predictions": [1, 1]}
    finally:
        # Not in the Pulumi state: delete it now, while the KServe controller can still run its finalizer
        # (a finalizer without its controller would keep the namespace from being deleted).
        cluster.kubectl(
            "-n", SERVING_NAMESPACE, "delete", "inferenceservice", "sklearn-iris", "--ignore-not-found",
            "--wait=true", "--timeout=300s", timeout=360, check=False,
        )  # fmt: skip
        s3.delete_object(Bucket=bucket, Key=key)


def probe(cluster: Cluster, name: str, address: str, port: int) -> str:
    """Run a short-lived pod with the predictors' labels in ``serving``; return what its TCP connect saw."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": SERVING_NAMESPACE,
            "labels": {**PREDICTORS.selector, "app.kubernetes.io/name": "e2e-netprobe"},
        },
        "spec": {
            "restartPolicy": "Never",
            "automountServiceAccountToken": False,
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": 65534,
                "runAsGroup": 65534,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "containers": [
                {
                    "name": "probe",
                    "image": PROBE_IMAGE,
                    "command": ["python", "-c", PROBE, address, str(port)],
                    "securityContext": {
                        "allowPrivilegeEscalation": False,
                        "capabilities": {"drop": ["ALL"]},
                        "readOnlyRootFilesystem": True,
                    },
                    "resources": {
                        "requests": {"cpu": "50m", "memory": "64Mi"},
                        "limits": {"cpu": "200m", "memory": "128Mi"},
                    },
                }
            ],
        },
    }
    cluster.kubectl("-n", SERVING_NAMESPACE, "delete", "pod", name, "--ignore-not-found", "--wait=true")
    cluster.kubectl("apply", "-f", "-", stdin=json.dumps(pod))
    try:

        def done() -> str | None:
            phase = cluster.kubectl("-n", SERVING_NAMESPACE, "get", "pod", name, "-o", "jsonpath={.status.phase}")
            return phase if phase in ("Succeeded", "Failed") else None

        eventually(done, timeout=300, every=5, what=f"probe pod {name}")
        return cluster.kubectl("-n", SERVING_NAMESPACE, "logs", name).strip()
    finally:
        cluster.kubectl(
            "-n", SERVING_NAMESPACE, "delete", "pod", name, "--ignore-not-found", "--wait=false", check=False
        )


def test_smoke_network_policy_refuses_an_undeclared_connection(cluster: Cluster) -> None:
    # Same pod identity (a predictor in `serving`), two destinations: the STS interface endpoint on 443 is a
    # declared flow (the control: it proves the pod, DNS-free addressing and the network work), the MLflow
    # database on 5432 is not. Default-deny NetworkPolicies drop the packets, so the connect times out.
    region = cluster.outputs["region"]
    db_host, db_port = cluster.outputs["mlflowDbEndpoint"].rsplit(":", 1)
    db_address = socket.gethostbyname(db_host)
    sts_address = socket.gethostbyname(f"sts.{region}.amazonaws.com")
    assert ipaddress.ip_address(sts_address).is_private, f"STS resolves to {sts_address}: no private endpoint DNS?"
    assert probe(cluster, "e2e-probe-declared", sts_address, 443) == "OPEN"
    assert probe(cluster, "e2e-probe-undeclared", db_address, int(db_port)) == "TIMEOUT"


# --- phase destroy-kubernetes: on the runner -----------------------------------------------------------------


def test_destroy_kubernetes_layer(workspace: Any, session: Any) -> None:
    require_phase("destroy-kubernetes")
    name = stack_name()
    ensure_stack(workspace, session, name)
    require_private_api(cluster_endpoint(workspace, name))
    action = destroy_kubernetes_layer(workspace, name)
    assert action.status in ("destroyed", "kept"), action.detail
    assert state_layer_urns(workspace.export_state(name), "kubernetes") == []


# --- phase destroy: from anywhere ----------------------------------------------------------------------------


def test_destroy_the_rest(workspace: Any, session: Any) -> None:
    require_phase("destroy")
    name = stack_name()
    if name not in {entry.split("/")[-1] for entry in workspace.list_stacks()}:
        pytest.skip(f"stack {name} does not exist (phase aws never created it); nothing to destroy")
    ensure_stack(workspace, session, name)
    # The runner job did not empty the Kubernetes layer (it failed, or never ran): the private API is out of
    # reach from here, and those objects go with the cluster, so they are dropped from the state.
    forgotten = forget_kubernetes_layer(workspace, name)
    if forgotten:
        print(f"forgot {forgotten} Kubernetes-layer resources of {name} before the destroy")
    action = destroy_stack(workspace, name)
    assert action.status == "destroyed", action.detail
    assert name not in {entry.split("/")[-1] for entry in workspace.list_stacks()}
    (stack_config_dir(ROOT) / f"Pulumi.{name}.yaml").unlink(missing_ok=True)


def test_reaper_finds_nothing_left(session: Any) -> None:
    """The reaper's sweep, as a dry run, restricted to this stack's own tags, lists nothing."""
    require_phase("destroy")
    from mlopsctl.phoenix.aws import AwsScope, caller_account, partition_of
    from mlopsctl.phoenix.handlers import HANDLERS, Found
    from mlopsctl.phoenix.sweep import SweepOptions, sweep

    name = stack_name()
    region = os.environ.get("MLOPS_E2E_REGION") or load_template(ROOT).region
    assert region

    def own(collect: Callable[[AwsScope], Iterable[Found]]) -> Callable[[AwsScope], list[Found]]:
        return lambda scope: [found for found in collect(scope) if found.tags.get(ENVIRONMENT_TAG) == name]

    handlers = tuple(dataclasses.replace(handler, collect=own(handler.collect)) for handler in HANDLERS)
    scope = AwsScope(
        session=session,
        region=region,
        account=caller_account(session, region, None),
        partition=partition_of(session, region),
    )
    results = sweep([scope], SweepOptions(now=datetime.now(UTC), execute=False, handlers=handlers))
    assert [r for r in results if r.status == "failed"] == []
    left = [f"{r.kind} {r.id} ({r.status}: {r.reason})" for r in results if r.id != "*"]
    assert left == [], left
