"""mlopsctl.manifests: every Kubernetes object of a plan as a YAML file, valid against Kubernetes schemas."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import kubernetes_validate
import pulumi
import pulumi_kubernetes as k8s
import pytest
import yaml
from pod_groups import pod_groups

from components.cluster.config import ClusterConfig
from components.zerotrust.component import ZeroTrust, ZeroTrustArgs
from contracts.flows import AwsDestination, Flow, FlowGraph, Workload
from mlopsctl.engine import Graph, run_program
from mlopsctl.manifests import kubernetes_objects, write_manifests

# The cluster's Kubernetes version; kubernetes-validate 1.37 ships schemas for 1.25 to 1.37.
KUBERNETES_VERSION = ClusterConfig().version


@lru_cache(maxsize=1)
def build() -> Graph:
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig="{}")
        opts = pulumi.ResourceOptions(provider=provider)
        k8s.core.v1.Namespace("ns", metadata={"name": "mlflow", "labels": {"team": "ml"}}, opts=opts)
        k8s.core.v1.ServiceAccount(
            "sa",
            metadata={"name": "mlflow", "namespace": "mlflow",
                      "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/mlflow"}},
            automount_service_account_token=False,
            opts=opts,
        )  # fmt: skip
        k8s.core.v1.ConfigMap("cm", metadata={"name": "settings", "namespace": "mlflow"}, data={"a": "1"}, opts=opts)
        k8s.core.v1.Secret(
            "secret",
            metadata={"name": "db", "namespace": "mlflow"},
            string_data={"password": pulumi.Output.secret("hunter2-plaintext")},
            opts=opts,
        )
        k8s.apps.v1.Deployment(
            "deploy",
            metadata={"name": "mlflow", "namespace": "mlflow"},
            spec={
                "replicas": 1,
                "selector": {"matchLabels": {"app": "mlflow"}},
                "template": {
                    "metadata": {"labels": {"app": "mlflow"}},
                    "spec": {"serviceAccountName": "mlflow",
                             "containers": [{"name": "mlflow", "image": "ghcr.io/mlflow/mlflow:v3.17.2",
                                             "ports": [{"containerPort": 5000}]}]},
                },
            },
            opts=opts,
        )  # fmt: skip
        k8s.rbac.v1.ClusterRole(
            "reader", metadata={"name": "reader"}, rules=[{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
            opts=opts,
        )  # fmt: skip
        k8s.apiextensions.CustomResource(
            "isvc",
            api_version="serving.kserve.io/v1beta1",
            kind="InferenceService",
            metadata={"name": "model", "namespace": "serving"},
            spec={"predictor": {"model": {"modelFormat": {"name": "sklearn"}}}},
            opts=opts,
        )
        k8s.helm.v3.Release("kserve", chart="kserve", namespace="kserve", opts=opts)  # not an object: skipped
        k8s.core.v1.NamespacePatch("patch", metadata={"name": "default", "labels": {"x": "y"}}, opts=opts)
        mlflow = Workload.of("mlflow/server", "mlflow", {"app": "mlflow"})
        worker = Workload.of("airflow/worker", "airflow", {"component": "worker"})
        endpoints = AwsDestination(name="vpc-endpoints", cidrs=("10.40.0.0/16",), security_group_id="sg-e")
        graph = FlowGraph([Flow(worker, mlflow, 5000), Flow(mlflow, endpoints, 443)])
        ZeroTrust("zt", ZeroTrustArgs(graph=graph, namespaces=["airflow", "mlflow"], vpc_cidr="10.40.0.0/16",
                                      cluster_security_group_id="sg-n", pod_security_groups=pod_groups(provider, cluster_sg="sg-n"), k8s_provider=provider))  # fmt: skip

    return run_program(program)


def test_one_file_per_object_in_namespace_folders(tmp_path: Path) -> None:
    written = write_manifests(build(), tmp_path)
    relative = [str(p.relative_to(tmp_path)) for p in written]
    assert relative == sorted(relative)
    assert relative == [
        "_cluster/clusterrole-reader.yaml",
        "_cluster/namespace-mlflow.yaml",
        "airflow/networkpolicy-allow-dns-egress.yaml",
        "airflow/networkpolicy-default-deny.yaml",
        "airflow/networkpolicy-egress-airflow-worker.yaml",
        "airflow/securitygrouppolicy-pod-sg-airflow-worker.yaml",
        "mlflow/configmap-settings.yaml",
        "mlflow/deployment-mlflow.yaml",
        "mlflow/networkpolicy-allow-dns-egress.yaml",
        "mlflow/networkpolicy-default-deny.yaml",
        "mlflow/networkpolicy-egress-mlflow-server.yaml",
        "mlflow/networkpolicy-ingress-mlflow-server.yaml",
        "mlflow/secret-db.yaml",
        "mlflow/securitygrouppolicy-pod-sg-mlflow-server.yaml",
        "mlflow/serviceaccount-mlflow.yaml",
        "serving/inferenceservice-model.yaml",
    ]


def test_manifests_are_valid_against_the_kubernetes_schemas(tmp_path: Path) -> None:
    checked = 0
    for path in write_manifests(build(), tmp_path):
        body = yaml.safe_load(path.read_text())
        if body["kind"] in ("InferenceService", "SecurityGroupPolicy"):
            continue  # CRD kinds: no schema in the Kubernetes distribution
        assert kubernetes_validate.validate(body, KUBERNETES_VERSION, strict=True) == KUBERNETES_VERSION
        checked += 1
    assert checked == 13


def test_the_validator_rejects_a_broken_manifest(tmp_path: Path) -> None:
    body = yaml.safe_load(write_manifests(build(), tmp_path)[3].read_text())  # airflow default-deny
    body["spec"]["policyTypes"] = "Ingress"  # must be a list
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(body, KUBERNETES_VERSION, strict=True)
    body = yaml.safe_load(write_manifests(build(), tmp_path)[3].read_text())
    body["spec"]["podSelectr"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(body, KUBERNETES_VERSION, strict=True)


def test_content_api_version_and_no_secret_values(tmp_path: Path) -> None:
    written = {str(p.relative_to(tmp_path)): p for p in write_manifests(build(), tmp_path)}
    secret_text = written["mlflow/secret-db.yaml"].read_text()
    assert "hunter2" not in secret_text
    secret = yaml.safe_load(secret_text)
    assert "stringData" not in secret
    assert secret["metadata"]["annotations"] == {"mlops.io/masked-fields": "stringData"}
    deployment = yaml.safe_load(written["mlflow/deployment-mlflow.yaml"].read_text())
    assert list(deployment)[:4] == ["apiVersion", "kind", "metadata", "spec"]
    assert deployment["apiVersion"] == "apps/v1"
    assert yaml.safe_load(written["_cluster/namespace-mlflow.yaml"].read_text())["apiVersion"] == "v1"
    isvc = yaml.safe_load(written["serving/inferenceservice-model.yaml"].read_text())
    assert isvc["apiVersion"] == "serving.kserve.io/v1beta1"
    assert written["mlflow/configmap-settings.yaml"].read_text().startswith("# Source: urn:pulumi:test::")


def test_output_is_deterministic(tmp_path: Path) -> None:
    first = {p.name: p.read_text() for p in write_manifests(build(), tmp_path / "a")}
    second = {p.name: p.read_text() for p in write_manifests(build(), tmp_path / "b")}
    assert first == second
    assert [m.path for m in kubernetes_objects(build())] == sorted(m.path for m in kubernetes_objects(build()))
