"""components.registry.images: every upstream reference mapped to its pull-through-cache form, and back."""

from __future__ import annotations

import pytest

from components.registry.images import RegistryBase, image_values, pull_through, repository
from contracts.registry import origin, parse_reference, pull_through_form

REGISTRY = RegistryBase(account_id="123456789012", region="eu-west-1")
HOST = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"


@pytest.mark.parametrize(
    ("upstream", "expected"),
    [
        ("ghcr.io/mlflow/mlflow:v3.17.0-full", f"{HOST}/ghcr/mlflow/mlflow:v3.17.0-full"),
        ("quay.io/jetstack/cert-manager-controller:v1.21.1", f"{HOST}/quay/jetstack/cert-manager-controller:v1.21.1"),
        (
            "registry.k8s.io/autoscaling/cluster-autoscaler:v1.34.5",
            f"{HOST}/k8s/autoscaling/cluster-autoscaler:v1.34.5",
        ),
        (
            "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.5",
            f"{HOST}/ecr-public/aws-observability/aws-for-fluent-bit:2.32.5",
        ),
        ("apache/airflow:3.0.6", f"{HOST}/docker-hub/apache/airflow:3.0.6"),
        # Docker Hub official images keep their implied library/ namespace in the cache path.
        ("redis:7.2-bookworm", f"{HOST}/docker-hub/library/redis:7.2-bookworm"),
        ("docker.io/library/redis:7.2-bookworm", f"{HOST}/docker-hub/library/redis:7.2-bookworm"),
        ("registry.gitlab.com/group/tool:1.0", f"{HOST}/gitlab/group/tool:1.0"),
        # ECR cannot cache nvcr.io: its images live in mirror repositories CI fills.
        ("nvcr.io/nvidia/k8s-device-plugin:v0.17.4", f"{HOST}/mirror/nvcr/nvidia/k8s-device-plugin:v0.17.4"),
        # Tag and digest are kept as they are.
        ("quay.io/a/b:1.0@sha256:ab", f"{HOST}/quay/a/b:1.0@sha256:ab"),
    ],
)
def test_upstream_references_map_to_the_stacks_ecr_and_back(upstream: str, expected: str) -> None:
    assert pull_through(upstream, REGISTRY) == expected
    found = origin(parse_reference(expected), account="123456789012", region="eu-west-1")
    assert found.kind in ("cache", "mirror") and found.upstream == parse_reference(upstream)


def test_without_a_registry_references_stay_upstream() -> None:
    assert pull_through("ghcr.io/mlflow/mlflow:v1", None) == "ghcr.io/mlflow/mlflow:v1"
    assert repository("apache/airflow", None) == "apache/airflow"
    assert image_values("registry.k8s.io/x", "v1", None) == {"repository": "registry.k8s.io/x", "tag": "v1"}


def test_an_image_already_in_the_stacks_ecr_is_unchanged() -> None:
    team = f"{HOST}/mlops/dev/model-servers:1.0.0"
    assert pull_through(team, REGISTRY) == team


def test_repositories_and_image_blocks() -> None:
    assert repository("quay.io/jetstack/cert-manager-webhook", REGISTRY) == f"{HOST}/quay/jetstack/cert-manager-webhook"
    assert image_values("apache/airflow", "3.0.6", REGISTRY) == {
        "repository": f"{HOST}/docker-hub/apache/airflow",
        "tag": "3.0.6",
    }


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: pull_through("gcr.io/x/y:1", REGISTRY), "registry 'gcr.io' has no ECR upstream"),
        (lambda: pull_through("210987654321.dkr.ecr.eu-west-1.amazonaws.com/x:1", REGISTRY), "another account's"),
        (lambda: pull_through("123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1", REGISTRY), "another account's"),
        (lambda: repository("quay.io/a/b:1", REGISTRY), "carries a tag or digest"),
        (lambda: image_values("quay.io/a/b", "latest", REGISTRY), "not a pinned version"),
        (lambda: image_values("quay.io/a/b", "", REGISTRY), "not a pinned version"),
        (lambda: RegistryBase(account_id="12345", region="eu-west-1"), "not a 12-digit AWS account id"),
        (lambda: RegistryBase(account_id="123456789012", region="Europe"), "not an AWS region"),
    ],
)
def test_what_cannot_come_from_ecr_is_an_error(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


def test_china_regions_use_their_dns_suffix() -> None:
    china = RegistryBase(account_id="123456789012", region="cn-north-1")
    assert china.host == "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"
    assert pull_through("quay.io/a/b:1", china) == "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/quay/a/b:1"


@pytest.mark.parametrize(
    ("image", "kind"),
    [
        ("602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/coredns:v1.11.4-eksbuild.2", "aws"),
        ("877085696533.dkr.ecr.af-south-1.amazonaws.com/eks/kube-proxy:v1.34.0", "aws"),
        (f"{HOST}/mlops/dev/model-servers:1.0.0", "team"),
        ("210987654321.dkr.ecr.eu-west-1.amazonaws.com/x:1", "other-ecr"),
        ("ghcr.io/x/y:1", "not-ecr"),
    ],
)
def test_origins(image: str, kind: str) -> None:
    region = image.split(".")[3] if ".dkr.ecr." in image else "eu-west-1"
    assert origin(parse_reference(image), account="123456789012", region=region).kind == kind


def test_pull_through_form_refuses_unknown_registries() -> None:
    with pytest.raises(ValueError, match=r"known: public\.ecr\.aws"):
        pull_through_form(parse_reference("mcr.microsoft.com/x:1"), account="123456789012", region="eu-west-1")
