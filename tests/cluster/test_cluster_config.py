"""Cluster config errors through parse_config: each names the stack file, the key path and what is allowed."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import parse_config
from contracts.errors import ConfigError

BASE: dict[str, Any] = {
    "aws:region": "eu-west-1",
    "mlops:environment": "dev",
    "mlops:owner": "team",
    "mlops:costCenter": "cc-1",
}
SOURCE = "stacks/Pulumi.dev.yaml"


def problems(cluster: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config({**BASE, "mlops:cluster": cluster}, stack="dev", source=SOURCE)
    assert str(caught.value).startswith(f"{SOURCE}: mlops:cluster")
    return caught.value.problems


@pytest.mark.parametrize(
    ("cluster", "expected"),
    [
        ({"version": "1.29"}, "mlops:cluster.version: '1.29' is not a supported EKS version; allowed: ('1.33'"),
        (
            {"gpuPool": {"minSize": 0, "desiredSize": 0, "maxSize": 2}},
            "mlops:cluster.gpuPool: a GPU pool needs instanceTypes",
        ),
        (
            {"systemPool": {"instanceTypes": ["m7i.large"], "minSize": 5, "desiredSize": 5, "maxSize": 3}},
            "mlops:cluster.systemPool: need minSize (5) <= desiredSize (5) <= maxSize (3)",
        ),
        (
            {"gpuPool": {"instanceTypes": ["g5.xlarge"], "minSize": 0, "desiredSize": 3, "maxSize": 2}},
            "mlops:cluster.gpuPool: need minSize (0) <= desiredSize (3) <= maxSize (2)",
        ),
        (
            {"namespaces": ["serving", "payments"]},
            "mlops:cluster.namespaces: unknown namespace(s) ['payments']; allowed:",
        ),
        (
            {"publicAccessCidrs": ["0.0.0.0/0"]},
            "mlops:cluster.publicAccessCidrs: '0.0.0.0/0' opens to the whole internet",
        ),
        ({"logRetentionDays": 42}, "mlops:cluster.logRetentionDays: 42 is not a CloudWatch retention period"),
        (
            {"adminPrincipals": ["arn:aws:sts::123456789012:assumed-role/Admin/jane"]},
            "mlops:cluster.adminPrincipals: 'arn:aws:sts::123456789012:assumed-role/Admin/jane' is not an IAM role or user ARN",
        ),
        (
            {"adminPrincipals": ["arn:aws:iam::123456789012:role/ops", "arn:aws:iam::123456789012:role/ops"]},
            "mlops:cluster.adminPrincipals: ['arn:aws:iam::123456789012:role/ops'] listed more than once",
        ),
        ({"kserve": {"version": "0.15"}}, "mlops:cluster.kserve.version: String should match pattern"),
        ({"kserve": {"certManagerVersion": "latest"}}, "mlops:cluster.kserve.certManagerVersion: String should match"),
        (
            {"systemPool": {"instanceTypes": ["m7i.large"], "minSize": 0, "desiredSize": 0, "maxSize": 2}},
            "mlops:cluster: systemPool needs instanceTypes and minSize >= 1",
        ),
        ({"namespaces": ["mlflow", "airflow"]}, "mlops:cluster: kserve.enabled needs 'serving' in namespaces"),
        ({"nodePools": {}}, "mlops:cluster.nodePools: unknown key; allowed: adminPrincipals,"),
        (
            # Burstable types have no branch network interfaces: no pod could get its own security group.
            {"systemPool": {"instanceTypes": ["m7i.large", "t3.large"]}},
            "mlops:cluster.systemPool.instanceTypes: 't3.large' cannot give pods their own security group",
        ),
        (
            {"gpuPool": {"instanceTypes": ["g4dn.xlarge", "p3.2xlarge"], "minSize": 0, "desiredSize": 0}},
            "mlops:cluster.gpuPool.instanceTypes: 'p3.2xlarge' cannot give pods their own security group",
        ),
    ],
)
def test_cluster_config_errors_name_the_key(cluster: dict[str, Any], expected: str) -> None:
    found = problems(cluster)
    assert any(p.startswith(expected) for p in found), found


def test_gpu_pool_may_scale_to_zero_and_kserve_may_be_off() -> None:
    config = parse_config(
        {
            **BASE,
            "mlops:cluster": {
                "namespaces": ["mlflow", "airflow"],
                "kserve": {"enabled": False},
                "gpuPool": {"instanceTypes": ["g5.xlarge"], "minSize": 0, "desiredSize": 0, "maxSize": 4},
                "adminPrincipals": ["arn:aws:iam::123456789012:role/platform-admins"],
            },
        },
        stack="dev",
        source=SOURCE,
    )
    assert config.cluster.gpu_pool is not None and config.cluster.gpu_pool.min_size == 0
    assert config.cluster.admin_principals == ["arn:aws:iam::123456789012:role/platform-admins"]


def test_several_problems_are_reported_at_once() -> None:
    found = problems({"version": "1.20", "logRetentionDays": 2, "namespaces": ["x"]})
    keys = sorted(p.split(":", 2)[1].split(" ")[0] for p in found)
    assert keys == ["cluster.logRetentionDays", "cluster.namespaces", "cluster.version"]
