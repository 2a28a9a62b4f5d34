"""Invariant 8, air gap: images only from ECR (with their cache rule, in order, or their repository), and with
nat none an endpoint for every AWS API a controller of the plan calls. Synthetic graphs, one rule at a time."""

from __future__ import annotations

import json
from typing import Any

from deploy_testkit import K8S_PROVIDER, graph, ids, reg, release

from mlopsctl.deploy.air_gap import CONTROLLER_SERVICES, air_gapped, check_air_gap, endpoint_services

ECR = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
RULE = "aws:ecr/pullThroughCacheRule:PullThroughCacheRule"
REPOSITORY = "aws:ecr/repository:Repository"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
ADDON = "aws:eks/addon:Addon"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"


def config(**sections: Any) -> dict[str, str]:
    return {"aws:region": "eu-west-1", **{f"mlops:{k}": json.dumps(v) for k, v in sections.items()}}


def deployment(name: str, image: str, provider: Any = None) -> Any:
    spec = {"template": {"spec": {"containers": [{"name": "app", "image": image}]}}}
    return reg("kubernetes:apps/v1:Deployment", name, {"metadata": {"name": name}, "spec": spec}, provider=provider)


def rule(prefix: str) -> Any:
    return reg(RULE, f"cache-{prefix}", {"ecrRepositoryPrefix": prefix, "upstreamRegistryUrl": "quay.io"})


def test_images_outside_ecr_are_findings() -> None:
    findings = check_air_gap(graph(deployment("web", "ghcr.io/x/web:1.0"), deployment("api", "nginx:1.27")))
    assert ids(findings) == ["air-gap:api:docker.io/library/nginx:1.27", "air-gap:web:ghcr.io/x/web:1.0"]
    assert "pulled from ghcr.io, outside ECR" in next(f.message for f in findings if "web" in f.id)


def test_a_cached_image_needs_its_rule_and_waits_for_it() -> None:
    image = f"{ECR}/quay/jetstack/cert-manager-controller:v1.21.1"
    assert ids(check_air_gap(graph(deployment("cm", image)))) == [f"air-gap:cm:{image}"]  # no rule
    cache = rule("quay")
    # The rule exists but the pod does not wait for it: a first pull may race it.
    assert ids(check_air_gap(graph(cache, deployment("cm", image)))) == [f"air-gap:cm:{image}:order"]
    provider = reg(K8S_PROVIDER, "k8s", {}, deps=[cache])
    assert check_air_gap(graph(cache, provider, deployment("cm", image, provider))) == []


def test_digest_only_cache_images_cannot_fill_the_cache() -> None:
    image = f"{ECR}/quay/a/b@sha256:0123"
    findings = check_air_gap(graph(rule("quay"), deployment("x", image)))
    assert ids(findings) == [f"air-gap:x:{image}"] and "containers-roadmap#2837" in findings[0].message


def test_mirrors_and_team_images_need_their_repository() -> None:
    mirror = f"{ECR}/mirror/nvcr/nvidia/k8s-device-plugin:v0.17.4"
    team = f"{ECR}/mlops/dev/model-servers:1.0.0"
    assert ids(check_air_gap(graph(deployment("gpu", mirror), deployment("model", team)))) == [
        f"air-gap:gpu:{mirror}",
        f"air-gap:model:{team}",
    ]
    repos = [
        reg(REPOSITORY, n.replace("/", "-"), {"name": n})
        for n in ("mirror/nvcr/nvidia/k8s-device-plugin", "mlops/dev/model-servers")
    ]
    assert check_air_gap(graph(*repos, deployment("gpu", mirror), deployment("model", team))) == []


def test_stacks_without_the_account_settings_trust_the_owner_stack() -> None:
    cached = deployment("cm", f"{ECR}/quay/jetstack/cert-manager-controller:v1.21.1")
    mirrored = deployment("gpu", f"{ECR}/mirror/nvcr/nvidia/k8s-device-plugin:v0.17.4")
    assert check_air_gap(graph(cached, mirrored, config=config(registry={"accountSettings": False}))) == []


def test_aws_owned_registries_pass_other_accounts_do_not() -> None:
    addon = deployment("pause", "602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/pause:3.10")
    other = deployment("other", "210987654321.dkr.ecr.eu-west-1.amazonaws.com/tools/x:1")
    assert ids(check_air_gap(graph(addon, other))) == [
        "air-gap:other:210987654321.dkr.ecr.eu-west-1.amazonaws.com/tools/x:1"
    ]


def test_unknown_charts_cannot_be_shown_to_pull_from_ecr() -> None:
    rel = release("x", "oci://example.com/charts/mystery", namespace="x", provider=None, version="0.1.0")
    (finding,) = check_air_gap(graph(rel))
    assert finding.id == "air-gap:x:chart default (mystery 0.1.0)"


def endpoints(*services: str) -> list[Any]:
    return [reg(ENDPOINT, f"ep-{s}", {"serviceName": f"com.amazonaws.eu-west-1.{s}"}) for s in services]


def controllers() -> list[Any]:
    return [
        reg(NODE_GROUP, "system", {}),
        reg(ADDON, "vpc-cni", {"addonName": "vpc-cni"}),
        reg(ADDON, "pod-identity", {"addonName": "eks-pod-identity-agent"}),
        release("ca", "cluster-autoscaler", namespace="kube-system", provider=None, version="9.53.0",
                values={"image": {"repository": f"{ECR}/k8s/autoscaling/cluster-autoscaler", "tag": "v1.34.5"}}),
    ]  # fmt: skip


def test_without_nat_every_controller_needs_its_endpoints() -> None:
    no_nat = config(network={"nat": "none"}, registry={"accountSettings": False})
    some = graph(*controllers(), *endpoints("ecr.api", "ecr.dkr", "s3", "sts"), config=no_nat)
    assert air_gapped(some) and endpoint_services(some) == {"ecr.api", "ecr.dkr", "s3", "sts"}
    assert ids(check_air_gap(some)) == [
        "air-gap:endpoints:cluster-autoscaler",
        "air-gap:endpoints:eks-pod-identity-agent",
        "air-gap:endpoints:vpc-cni (aws-node)",
    ]
    message = next(f.message for f in check_air_gap(some) if f.id.endswith("cluster-autoscaler"))
    assert message.startswith("cluster-autoscaler calls autoscaling, ec2, eks but network.nat is none")
    full = graph(
        *controllers(),
        *endpoints("ecr.api", "ecr.dkr", "s3", "sts", "ec2", "eks", "eks-auth", "autoscaling"),
        config=no_nat,
    )
    assert check_air_gap(full) == []


def test_with_nat_endpoints_are_not_required() -> None:
    with_nat = graph(*controllers(), config=config(network={"nat": "single"}, registry={"accountSettings": False}))
    assert not air_gapped(with_nat) and check_air_gap(with_nat) == []


def test_observability_agents_and_alert_publishing_need_their_endpoints() -> None:
    no_nat = config(network={"nat": "none"}, registry={"accountSettings": False})
    plan = [
        reg(ADDON, "observability", {"addonName": "amazon-cloudwatch-observability"}),
        reg("aws:sns/topic:Topic", "alerts", {}),
        release("airflow", "airflow", namespace="airflow", provider=None, version="1.18.0"),
    ]
    found = {
        f.id: f.message for f in check_air_gap(graph(*plan, *endpoints("logs", "sts", "ec2", "s3"), config=no_nat))
    }
    assert found["air-gap:endpoints:amazon-cloudwatch-observability"].startswith(
        "amazon-cloudwatch-observability calls monitoring but"
    )
    assert found["air-gap:endpoints:airflow alert publishing"].startswith("airflow alert publishing calls sns but")
    covered = graph(*plan, *endpoints("logs", "sts", "ec2", "s3", "monitoring", "sns"), config=no_nat)
    assert [f.id for f in check_air_gap(covered) if f.id.startswith("air-gap:endpoints:")] == []


def test_the_controller_table_names_its_sources() -> None:
    assert all(needs.services and needs.source for needs in CONTROLLER_SERVICES)
    assert {s for needs in CONTROLLER_SERVICES for s in needs.services} >= {
        "ecr.api", "ecr.dkr", "s3", "sts", "ec2", "eks", "eks-auth", "autoscaling", "secretsmanager",
    }  # fmt: skip
