"""Kubernetes and Helm rules: workloads, namespaces, services and Helm values."""

from __future__ import annotations

from typing import Any

import pytest
from policy_testkit import DELETE, messages, mutate, not_applicable, reg, urn, violations

from policies.mlops.helm import release_chart_version_pinned
from policies.mlops.k8s import (
    container_image_pinned,
    container_resource_limits,
    namespace_default_deny,
    namespace_pod_security_labels,
    pod_no_host_namespaces,
    pod_no_host_path,
    pod_no_privilege_escalation,
    pod_no_privileged,
    pod_run_as_non_root,
    service_internal_load_balancer,
)
from policies.mlops.kube import HELM_RELEASE, INGRESS, NAMESPACE, NETWORK_POLICY, SERVICE

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
CRONJOB = "kubernetes:batch/v1:CronJob"
CONTAINER = {
    "name": "mlflow",
    "image": "ghcr.io/mlflow/mlflow:v2.17.2",
    "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
    "resources": {"limits": {"cpu": "1", "memory": "2Gi"}, "requests": {"cpu": "250m", "memory": "1Gi"}},
}
POD = {"securityContext": {"runAsNonRoot": True, "runAsUser": 1000}, "containers": [CONTAINER]}
DEPLOY = {
    "metadata": {"namespace": "mlflow"},
    "spec": {
        "selector": {"matchLabels": {"app": "mlflow"}},
        "template": {"metadata": {"labels": {"app": "mlflow"}}, "spec": POD},
    },
}
P = "spec.template.spec"
C = f"{P}.containers[0]"

WORKLOAD_RULES = [
    pod_no_privileged,
    pod_no_privilege_escalation,
    pod_run_as_non_root,
    pod_no_host_namespaces,
    pod_no_host_path,
    container_image_pinned,
    container_resource_limits,
]


@pytest.mark.parametrize("module", WORKLOAD_RULES, ids=lambda m: m.RULE.name)
def test_compliant_deployment_and_cronjob_pass(module: Any) -> None:
    cron = {"spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": {"spec": POD}}}}}
    assert violations(module.RULE, reg(DEPLOYMENT, "d", DEPLOY), reg(CRONJOB, "c", cron)) == []


WORKLOAD_CASES = [
    (pod_no_privileged, f"{C}.securityContext.privileged", True, "container 'mlflow' runs privileged"),
    (pod_no_privilege_escalation, f"{C}.securityContext.allowPrivilegeEscalation", True, "allowPrivilegeEscalation"),
    (pod_no_privilege_escalation, f"{C}.securityContext", DELETE, "allowPrivilegeEscalation"),
    (pod_run_as_non_root, f"{P}.securityContext.runAsNonRoot", False, "does not set runAsNonRoot"),
    (pod_run_as_non_root, f"{P}.securityContext", DELETE, "does not set runAsNonRoot"),
    (pod_run_as_non_root, f"{P}.securityContext.runAsUser", 0, "pod securityContext.runAsUser is 0"),
    (pod_run_as_non_root, f"{C}.securityContext.runAsUser", 0, "sets runAsUser 0"),
    (pod_no_host_namespaces, f"{P}.hostNetwork", True, "hostNetwork: true"),
    (pod_no_host_namespaces, f"{P}.hostPID", True, "hostPID: true"),
    (pod_no_host_namespaces, f"{P}.hostIPC", True, "hostIPC: true"),
    (
        pod_no_host_path,
        f"{P}.volumes",
        [{"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}}],
        "mounts host path '/var/run/docker.sock'",
    ),
    (container_image_pinned, f"{C}.image", "ghcr.io/mlflow/mlflow:latest", "mutable tag 'latest'"),
    (container_image_pinned, f"{C}.image", "ghcr.io/mlflow/mlflow", "has no tag"),
    (container_image_pinned, f"{C}.image", "registry:5000/mlflow", "has no tag"),
    (container_image_pinned, f"{C}.image", DELETE, "has no image"),
    (container_resource_limits, f"{C}.resources.limits.cpu", DELETE, "no cpu limit"),
    (container_resource_limits, f"{C}.resources", DELETE, "no cpu and memory limit"),
]


@pytest.mark.parametrize(("module", "field", "value", "expected"), WORKLOAD_CASES)
def test_workload_field_changes_fail(module: Any, field: str, value: Any, expected: str) -> None:
    found = messages(module.RULE, reg(DEPLOYMENT, "d", mutate(DEPLOY, field, value)))
    assert len(found) == 1 and expected in found[0], found


def test_container_level_non_root_overrides_pod() -> None:
    inputs = mutate(mutate(DEPLOY, f"{P}.securityContext", DELETE), f"{C}.securityContext.runAsNonRoot", True)
    assert violations(pod_run_as_non_root.RULE, reg(DEPLOYMENT, "d", inputs)) == []


def test_image_pinned_by_digest_and_init_containers_checked() -> None:
    digest = mutate(DEPLOY, f"{C}.image", "ghcr.io/mlflow/mlflow@sha256:" + "a" * 64)
    assert violations(container_image_pinned.RULE, reg(DEPLOYMENT, "d", digest)) == []
    init = mutate(DEPLOY, f"{P}.initContainers", [{"name": "migrate", "image": "busybox:latest"}])
    assert messages(container_image_pinned.RULE, reg(DEPLOYMENT, "d", init)) == [
        "initContainer 'migrate': image 'busybox:latest' uses the mutable tag 'latest'"
    ]


RELEASE = {
    "chart": "airflow",
    "version": "1.15.0",
    "namespace": "airflow",
    "repositoryOpts": {"repo": "https://airflow.apache.org"},
    "values": {
        "images": {"airflow": {"repository": "apache/airflow", "tag": "2.10.3"}},
        "webserver": {"service": {"type": "ClusterIP"}},
        "securityContexts": {"pod": {"runAsUser": 50000, "runAsNonRoot": True}},
    },
}

HELM_CASES = [
    (
        pod_no_privileged,
        "values.workers.securityContext.privileged",
        True,
        "Helm value workers.securityContext.privileged",
    ),
    (pod_no_privilege_escalation, "values.workers.securityContext.allowPrivilegeEscalation", True, "is true"),
    (pod_run_as_non_root, "values.securityContexts.pod.runAsUser", 0, "is 0 (root)"),
    (pod_run_as_non_root, "values.securityContexts.pod.runAsNonRoot", False, "is false"),
    (pod_no_host_namespaces, "values.workers.hostNetwork", True, "workers.hostNetwork is true"),
    (pod_no_host_path, "values.logs.hostPath", {"path": "/var/log"}, "mounts a host path"),
    (container_image_pinned, "values.images.airflow.tag", "latest", "images.airflow.tag is 'latest'"),
    (container_image_pinned, "values.statsd.image", "prom/statsd-exporter", "has no tag"),
    (service_internal_load_balancer, "values.webserver.service.type", "LoadBalancer", "without the internal scheme"),
    (
        service_internal_load_balancer,
        "values.ingress.annotations",
        {"alb.ingress.kubernetes.io/scheme": "internet-facing"},
        "internet-facing ALB",
    ),
]


@pytest.mark.parametrize(("module", "field", "value", "expected"), HELM_CASES)
def test_helm_values_are_scanned(module: Any, field: str, value: Any, expected: str) -> None:
    assert violations(module.RULE, reg(HELM_RELEASE, "airflow", RELEASE)) == []
    found = messages(module.RULE, reg(HELM_RELEASE, "airflow", mutate(RELEASE, field, value)))
    assert len(found) == 1 and expected in found[0], found


def test_chart_image_and_tag_siblings_are_one_pinned_reference() -> None:
    # KServe renders "{{ image }}:{{ tag }}" (and the explainer "{{ image }}:{{ defaultVersion }}").
    ecr = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/kserve"
    siblings = {
        "kserve": {
            "controller": {"image": f"{ecr}/kserve-controller", "tag": "v0.15.2"},
            "servingruntime": {"art": {"image": f"{ecr}/art-explainer", "defaultVersion": "v0.15.2"}},
        },
        "mesh": {"modelmeshImage": "kserve/modelmesh", "modelmeshImageTag": "v0.12.0"},
    }
    release = reg(HELM_RELEASE, "kserve", mutate(RELEASE, "values", siblings))
    assert violations(container_image_pinned.RULE, release) == []
    latest = mutate(RELEASE, "values", {"kserve": {"agent": {"image": f"{ecr}/agent", "tag": "latest"}}})
    assert messages(container_image_pinned.RULE, reg(HELM_RELEASE, "kserve", latest)) == [
        f"Helm value kserve.agent.image: image '{ecr}/agent:latest' uses the mutable tag 'latest'"
    ]
    alone = mutate(RELEASE, "values", {"kserve": {"agent": {"image": f"{ecr}/agent"}}})
    assert "has no tag" in messages(container_image_pinned.RULE, reg(HELM_RELEASE, "kserve", alone))[0]


def test_internal_load_balancer_annotation_in_helm_values_passes() -> None:
    service = {
        "type": "LoadBalancer",
        "annotations": {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"},
    }
    release = reg(HELM_RELEASE, "kserve", mutate(RELEASE, "values.webserver.service", service))
    assert violations(service_internal_load_balancer.RULE, release) == []


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("1.15.0", None),
        ("v1.15.0-rc.1", None),
        (DELETE, "has no version"),
        ("^1.15", "is a range"),
        ("1.x", "is a range"),
        ("", "has no version"),
    ],
)
def test_chart_version_pinned(version: Any, expected: str | None) -> None:
    found = messages(release_chart_version_pinned.RULE, reg(HELM_RELEASE, "r", mutate(RELEASE, "version", version)))
    assert found == [] if expected is None else (len(found) == 1 and expected in found[0]), found


def test_local_chart_is_not_applicable() -> None:
    local = reg(HELM_RELEASE, "r", {"chart": "./charts/serving"})
    assert violations(release_chart_version_pinned.RULE, local) == []
    assert not_applicable(release_chart_version_pinned.RULE, local) == ["local chart directory: the repository pins it"]


LB_SERVICE = {
    "metadata": {
        "namespace": "serving",
        "annotations": {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"},
    },
    "spec": {"type": "LoadBalancer"},
}


def test_load_balancer_services_and_ingresses() -> None:
    rule = service_internal_load_balancer.RULE
    assert violations(rule, reg(SERVICE, "s", LB_SERVICE)) == []
    assert messages(rule, reg(SERVICE, "s", mutate(LB_SERVICE, "metadata.annotations", DELETE))) == [
        "LoadBalancer Service without service.beta.kubernetes.io/aws-load-balancer-scheme: internal"
    ]
    legacy = mutate(
        LB_SERVICE, "metadata.annotations", {"service.beta.kubernetes.io/aws-load-balancer-internal": "true"}
    )
    assert violations(rule, reg(SERVICE, "s", legacy)) == []
    cluster_ip = reg(SERVICE, "s", mutate(LB_SERVICE, "spec.type", "ClusterIP"))
    assert violations(rule, cluster_ip) == []
    assert not_applicable(rule, cluster_ip) == ["not a LoadBalancer Service"]
    public = {"metadata": {"annotations": {"alb.ingress.kubernetes.io/scheme": "internet-facing"}}}
    assert messages(rule, reg(INGRESS, "i", public)) == ["alb.ingress.kubernetes.io/scheme is internet-facing"]
    assert violations(rule, reg(INGRESS, "i", mutate(public, "metadata.annotations", {}))) == []


NS = {"metadata": {"name": "mlflow", "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}}


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ({"pod-security.kubernetes.io/enforce": "restricted"}, None),
        ({"pod-security.kubernetes.io/enforce": "baseline"}, None),
        ({"pod-security.kubernetes.io/enforce": "privileged"}, "is 'privileged'"),
        ({}, "is missing"),
        (DELETE, "is missing"),
    ],
)
def test_pod_security_labels(labels: Any, expected: str | None) -> None:
    found = messages(namespace_pod_security_labels.RULE, reg(NAMESPACE, "ns", mutate(NS, "metadata.labels", labels)))
    assert found == [] if expected is None else (len(found) == 1 and expected in found[0]), found


def test_pod_security_labels_skip_system_namespaces() -> None:
    system = reg(NAMESPACE, "ks", {"metadata": {"name": "kube-system"}})
    assert violations(namespace_pod_security_labels.RULE, system) == []


def deny(name: str, types: list[str], namespace: str = "mlflow", **spec: Any) -> Any:
    return reg(
        NETWORK_POLICY,
        name,
        {"metadata": {"name": name, "namespace": namespace}, "spec": {"podSelector": {}, "policyTypes": types, **spec}},
    )


def test_default_deny_per_namespace() -> None:
    rule = namespace_default_deny.RULE
    ns = reg(NAMESPACE, "mlflow-ns", NS)
    assert violations(rule, ns, deny("deny-all", ["Ingress", "Egress"])) == []
    assert violations(rule, ns, deny("deny-in", ["Ingress"]), deny("deny-out", ["Egress"])) == []
    assert messages(rule, ns) == ["namespace 'mlflow' has no default-deny NetworkPolicy for Ingress and Egress"]
    assert messages(rule, ns, deny("deny-in", ["Ingress"])) == [
        "namespace 'mlflow' has no default-deny NetworkPolicy for Egress"
    ]
    # A policy that allows something, or selects only some pods, is not a default deny.
    allow_all = deny("allow", ["Ingress", "Egress"], ingress=[{}])
    assert messages(rule, ns, allow_all) == ["namespace 'mlflow' has no default-deny NetworkPolicy for Ingress"]
    some_pods = reg(
        NETWORK_POLICY,
        "np",
        {
            "metadata": {"namespace": "mlflow"},
            "spec": {"podSelector": {"matchLabels": {"app": "x"}}, "policyTypes": ["Ingress", "Egress"]},
        },
    )
    assert len(violations(rule, ns, some_pods)) == 1
    # Kubernetes' default policyTypes is [Ingress] when no egress rules are given.
    untyped = reg(NETWORK_POLICY, "np", {"metadata": {"namespace": "mlflow"}, "spec": {"podSelector": {}}})
    assert messages(rule, ns, untyped) == ["namespace 'mlflow' has no default-deny NetworkPolicy for Egress"]


def test_default_deny_covers_namespaces_used_by_workloads_and_releases() -> None:
    rule = namespace_default_deny.RULE
    release = reg(HELM_RELEASE, "kserve", {"chart": "kserve", "version": "0.14.0", "namespace": "kserve"})
    found = violations(rule, release, reg(DEPLOYMENT, "d", DEPLOY), deny("deny-all", ["Ingress", "Egress"]))
    assert [(v.urn, v.message[:20]) for v in found] == [(urn(HELM_RELEASE, "kserve"), "namespace 'kserve' h")]
    system = reg(HELM_RELEASE, "lbc", {"chart": "aws-load-balancer-controller", "namespace": "kube-system"})
    assert violations(rule, system) == []


def test_default_deny_matches_autonamed_namespace_by_dependency() -> None:
    rule = namespace_default_deny.RULE
    ns = reg(NAMESPACE, "serving", {"metadata": {"labels": {"pod-security.kubernetes.io/enforce": "restricted"}}})
    policy = reg(
        NETWORK_POLICY,
        "deny",
        {"metadata": {"namespace": "serving-x1y2"}, "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}},
        deps={"metadata": [urn(NAMESPACE, "serving")]},
    )
    assert violations(rule, ns, policy) == []
