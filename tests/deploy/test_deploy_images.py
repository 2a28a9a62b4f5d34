"""Invariant 7: every container image is pinned, and the inventory lists each with its users."""

from __future__ import annotations

from typing import Any

import pytest
from deploy_testkit import graph, ids, reg, release

from mlopsctl.deploy.images import ImageRef, check_images, inventory, parse_image, release_images, value_images


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("nginx", ImageRef("docker.io", "library/nginx", None, None)),
        ("apache/airflow:3.0.5", ImageRef("docker.io", "apache/airflow", "3.0.5", None)),
        ("ghcr.io/mlflow/mlflow:v3.17.2-full", ImageRef("ghcr.io", "mlflow/mlflow", "v3.17.2-full", None)),
        ("localhost:5000/tools/x:1", ImageRef("localhost:5000", "tools/x", "1", None)),
        ("quay.io/a/b@sha256:abc", ImageRef("quay.io", "a/b", None, "sha256:abc")),
        ("registry.k8s.io/pause:3.10@sha256:ee", ImageRef("registry.k8s.io", "pause", "3.10", "sha256:ee")),
    ],
)
def test_references_parse_like_a_container_runtime(reference: str, expected: ImageRef) -> None:
    assert parse_image(reference) == expected


def test_value_shapes() -> None:
    values = {
        "images": {"airflow": {"repository": "apache/airflow", "tag": "3.0.5", "pullPolicy": "IfNotPresent"}},
        "image": {"registry": "quay.io", "repository": "jetstack/cert-manager-controller", "digest": "sha256:1"},
        "kserve": {"controller": {"image": "kserve/kserve-controller", "tag": "v0.15.2"}},
        "proxy": {"rbacProxyImage": "quay.io/brancz/kube-rbac-proxy:v0.18.0"},
        "mesh": {"modelmeshImage": "kserve/modelmesh", "modelmeshImageTag": "v0.12.0"},
        "dags": {"gitSync": {"repository": "https://example.com/dags.git"}},
        "sidecars": [{"image": "busybox:1.36"}],
    }
    found = {path: ref.image for path, ref in value_images(values)}
    assert found == {
        "images.airflow": "docker.io/apache/airflow:3.0.5",
        "image": "quay.io/jetstack/cert-manager-controller@sha256:1",
        "kserve.controller.image": "docker.io/kserve/kserve-controller:v0.15.2",
        "proxy.rbacProxyImage": "quay.io/brancz/kube-rbac-proxy:v0.18.0",
        "mesh.modelmeshImage": "docker.io/kserve/modelmesh:v0.12.0",
        "sidecars[0].image": "docker.io/library/busybox:1.36",
    }


def deployment(name: str, image: str) -> Any:
    spec = {"template": {"spec": {"containers": [{"name": "app", "image": image}]}}}
    return reg("kubernetes:apps/v1:Deployment", name, {"metadata": {"name": name}, "spec": spec})


def test_latest_and_untagged_pod_images_fail() -> None:
    findings = check_images(graph(deployment("web", "nginx"), deployment("api", "example/api:latest")))
    assert ids(findings) == ["images:api:docker.io/example/api:latest", "images:web:docker.io/library/nginx"]
    assert check_images(graph(deployment("web", "nginx:1.27"), deployment("api", "example/api@sha256:ab"))) == []


def test_helm_images_without_a_tag_are_pinned_by_the_chart_version() -> None:
    values = {"image": {"repository": "example/controller"}}
    pinned = release("ctl", "example-chart", namespace="x", provider=None, values=values, version="1.2.3")
    floating = release("ctl", "example-chart", namespace="x", provider=None, values=values)
    assert check_images(graph(pinned)) == []
    # Without a chart version neither the tag from values nor the chart's own images are pinned.
    assert ids(check_images(graph(floating))) == [
        "images:ctl:chart default (example-chart unpinned)",
        "images:ctl:docker.io/example/controller",
    ]
    latest = release(
        "ctl", "example-chart", namespace="x", provider=None, values={"image": "example/c:latest"}, version="1"
    )
    assert ids(check_images(graph(latest))) == ["images:ctl:docker.io/example/c:latest"]


def test_chart_defaults_follow_values_and_conditions() -> None:
    values = {"images": {"airflow": {"repository": "apache/airflow", "tag": "3.0.5"}}, "pgbouncer": {"enabled": True}}
    rel = release("airflow", "airflow", namespace="airflow", provider=None, values=values, version="1.18.0")
    by_source = {use.ref.image: use.source for use in release_images(rel)}
    assert by_source == {
        "docker.io/apache/airflow:3.0.5": "values images.airflow",
        "quay.io/prometheus/statsd-exporter:v0.28.0": "chart default (airflow 1.18.0)",
        "docker.io/apache/airflow:airflow-pgbouncer-2025.03.05-1.23.1": "chart default (airflow 1.18.0)",
        "docker.io/apache/airflow:airflow-pgbouncer-exporter-2025.03.05-0.18.0": "chart default (airflow 1.18.0)",
        "docker.io/library/redis:7.2-bookworm": "chart default (airflow 1.18.0)",
    }
    # KubernetesExecutor, no statsd: neither Redis nor the exporter runs. Task pods run the chart's
    # defaultAirflowRepository:defaultAirflowTag (not images.airflow), here unset: the chart's own tag.
    lean = {**values, "executor": "KubernetesExecutor", "statsd": {"enabled": False}, "pgbouncer": {"enabled": False}}
    rel = release("airflow", "airflow", namespace="airflow", provider=None, values=lean, version="1.18.0")
    assert [(use.ref.image, use.source) for use in release_images(rel)] == [
        ("docker.io/apache/airflow:3.0.5", "values images.airflow"),
        ("docker.io/apache/airflow", "chart default (tag from chart version 1.18.0)"),
    ]
    # With defaultAirflowRepository/-Tag set like images.airflow, the task pods' image is that one.
    same = {**lean, "defaultAirflowRepository": "apache/airflow", "defaultAirflowTag": "3.0.5"}
    rel = release("airflow", "airflow", namespace="airflow", provider=None, values=same, version="1.18.0")
    assert [use.ref.image for use in release_images(rel)] == ["docker.io/apache/airflow:3.0.5"]


def test_chart_default_tags_of_another_version_are_not_guessed() -> None:
    rel = release(
        "airflow",
        "airflow",
        namespace="airflow",
        provider=None,
        values={"executor": "KubernetesExecutor"},
        version="1.19.0",
    )
    statsd = next(u for u in release_images(rel) if u.ref.repository == "prometheus/statsd-exporter")
    assert statsd.ref.tag is None and statsd.source == "chart default (tag from chart version 1.19.0)" and statsd.pinned
    eso = release("eso", "external-secrets", namespace="external-secrets", provider=None, version="2.4.0")
    assert {u.ref.image for u in release_images(eso)} == {"ghcr.io/external-secrets/external-secrets:v2.4.0"}


def test_the_airflow_image_takes_its_tag_from_default_airflow_tag() -> None:
    values = {"defaultAirflowTag": "3.0.6", "executor": "KubernetesExecutor", "statsd": {"enabled": False}}
    rel = release("airflow", "airflow", namespace="airflow", provider=None, values=values, version="1.18.0")
    assert [(u.ref.image, u.source) for u in release_images(rel)] == [
        ("docker.io/apache/airflow:3.0.6", "chart default (airflow 1.18.0)")
    ]


def test_a_tag_set_without_a_repository_retags_the_chart_default() -> None:
    values = {"webhook": {"image": {"tag": "v1.18.3"}}}
    rel = release("cm", "cert-manager", namespace="cert-manager", provider=None, values=values, version="v1.18.2")
    images = {u.ref.image for u in release_images(rel)}
    assert "quay.io/jetstack/cert-manager-webhook:v1.18.3" in images
    assert "quay.io/jetstack/cert-manager-controller:v1.18.2" in images


def test_unknown_charts_are_listed_as_chart_defaults() -> None:
    rel = release("x", "oci://example.com/charts/mystery", namespace="x", provider=None, version="0.1.0")
    (use,) = release_images(rel)
    assert use.ref.image == "chart default (mystery 0.1.0)" and use.pinned


def test_inventory_groups_users_and_sorts() -> None:
    entries = inventory(
        graph(deployment("b", "nginx:1.27"), deployment("a", "nginx:1.27"), deployment("c", "ghcr.io/x/y:2"))
    )
    assert [e["image"] for e in entries] == ["docker.io/library/nginx:1.27", "ghcr.io/x/y:2"]
    nginx = entries[0]
    assert set(nginx) == {"image", "registry", "repository", "tag", "digest", "origin", "upstream", "source", "usedBy"}
    assert nginx["origin"] == "not-ecr" and nginx["upstream"] == "docker.io/library/nginx:1.27"
    assert nginx["registry"] == "docker.io" and nginx["repository"] == "library/nginx" and nginx["tag"] == "1.27"
    assert nginx["digest"] is None and nginx["source"] == "spec.template.spec.containers[0].image"
    assert [u.rsplit("::", 1)[-1] for u in nginx["usedBy"]] == ["a", "b"]
