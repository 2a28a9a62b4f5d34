"""The pack: exact rule names and levels, metadata completeness, and the real PolicyPack entry point."""

from __future__ import annotations

import re
import runpy
from pathlib import Path
from typing import Any

import pulumi_policy
import pytest

from policies.mlops.pack import PACK_NAME, RULES

EXPECTED = {
    "s3-bucket-sse-kms": "mandatory",
    "s3-bucket-public-access-block": "mandatory",
    "s3-bucket-versioning": "advisory",
    "s3-bucket-tls-only": "mandatory",
    "s3-bucket-access-logging": "advisory",
    "kms-key-rotation": "mandatory",
    "kms-key-policy-no-public-access": "mandatory",
    "rds-instance-not-public": "mandatory",
    "rds-instance-encrypted": "mandatory",
    "rds-instance-backup-retention": "mandatory",
    "rds-instance-deletion-protection": "mandatory",
    "rds-instance-tls-forced": "mandatory",
    "rds-instance-no-plain-password": "mandatory",
    "rds-instance-alarms": "mandatory",
    "sns-topic-customer-key": "mandatory",
    "sns-subscription-encrypted-delivery": "mandatory",
    "cloudwatch-log-group-retention": "mandatory",
    "cloudwatch-log-group-customer-key": "mandatory",
    "cloudwatch-alarm-notifies": "mandatory",
    "cloudwatch-metric-filter-alarmed": "advisory",
    "budgets-budget-alerts": "mandatory",
    "ec2-security-group-no-public-ingress": "mandatory",
    "s3-bucket-no-force-destroy": "mandatory",
    "s3-bucket-ownership-enforced": "mandatory",
    "kms-key-deletion-window": "mandatory",
    "kms-key-policy-no-cross-account": "mandatory",
    "rds-instance-final-snapshot": "mandatory",
    "rds-instance-customer-key": "mandatory",
    "rds-instance-log-exports": "mandatory",
    "rds-instance-multi-az": "mandatory",
    "ec2-security-group-no-open-egress": "mandatory",
    "ec2-route-table-database-tier-isolated": "mandatory",
    "ec2-vpc-endpoint-policy-scoped": "mandatory",
    "eks-cluster-api-authentication": "mandatory",
    "cloudwatch-log-group-retention-minimum": "mandatory",
    "secretsmanager-secret-customer-key": "mandatory",
    "ec2-security-group-destination-ingress": "mandatory",
    "k8s-network-policy-egress-narrow": "mandatory",
    "ec2-launch-template-imdsv2": "mandatory",
    "ec2-volume-encrypted": "mandatory",
    "ec2-vpc-flow-logs": "mandatory",
    "ec2-default-security-group-no-rules": "mandatory",
    "ec2-subnet-no-public-ip": "advisory",
    "elb-load-balancer-internal": "mandatory",
    "elb-load-balancer-public-waf": "mandatory",
    "elb-load-balancer-access-logs": "mandatory",
    "elb-load-balancer-deletion-protection": "mandatory",
    "elb-load-balancer-drop-invalid-headers": "mandatory",
    "elb-listener-https-only": "mandatory",
    "elb-listener-tls-policy-modern": "mandatory",
    "elb-listener-forward-authenticated": "mandatory",
    "verifiedaccess-group-policy": "mandatory",
    "eks-cluster-private-endpoint": "mandatory",
    "eks-cluster-secrets-encryption": "mandatory",
    "eks-cluster-control-plane-logging": "mandatory",
    "eks-addon-network-policy-enforced": "mandatory",
    "codebuild-project-vpc-attached": "mandatory",
    "codebuild-project-not-privileged": "mandatory",
    "codebuild-project-customer-key": "mandatory",
    "codebuild-project-cloudwatch-logs": "mandatory",
    "iam-policy-no-wildcard-action": "mandatory",
    "iam-policy-no-wildcard-resource-write": "mandatory",
    "iam-role-irsa-trust-scoped": "mandatory",
    "iam-role-github-oidc-scoped": "mandatory",
    "ecr-repository-immutable-tags": "mandatory",
    "ecr-repository-scan-on-push": "mandatory",
    "ecr-repository-kms-encrypted": "mandatory",
    "images-container-registry-ecr": "mandatory",
    "k8s-namespace-default-deny": "mandatory",
    "k8s-namespace-pod-security-labels": "mandatory",
    "k8s-pod-no-privileged": "mandatory",
    "k8s-pod-no-privilege-escalation": "advisory",
    "k8s-pod-run-as-non-root": "mandatory",
    "k8s-pod-no-host-namespaces": "mandatory",
    "k8s-pod-no-host-path": "mandatory",
    "k8s-container-image-pinned": "mandatory",
    "k8s-container-resource-limits": "advisory",
    "k8s-service-internal-load-balancer": "mandatory",
    "helm-release-chart-version-pinned": "mandatory",
    "athena-workgroup-results-encrypted": "mandatory",
    "athena-workgroup-enforce-configuration": "mandatory",
    "redshift-workgroup-not-public": "mandatory",
    "redshift-namespace-customer-key": "mandatory",
    "mwaa-environment-private-webserver": "mandatory",
    "lakeformation-no-iam-allowed-principals": "mandatory",
    "tagging-resource-required-tags": "mandatory",
    "tagging-resource-phoenix-expiry": "mandatory",
    "secrets-helm-values-no-plaintext": "mandatory",
    "secrets-container-env-no-plaintext": "mandatory",
    "secrets-config-no-plaintext": "mandatory",
    "policy-exemption-valid": "mandatory",
}


def test_exact_rule_names_and_levels() -> None:
    assert {rule.name: rule.meta.level.value for rule in RULES} == EXPECTED
    assert len(RULES) == len(EXPECTED) >= 35


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_rule_metadata_and_sdk_object_agree(rule: Any) -> None:
    meta, policy = rule.meta, rule.policy
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+){2,}", meta.name)
    assert (
        meta.description.endswith(".")
        and meta.remediation
        and meta.severity.value in {"low", "medium", "high", "critical"}
    )
    assert policy.name == meta.name and policy.description == meta.description
    assert policy.enforcement_level.value == meta.level.value
    assert policy.severity.value == meta.severity.value
    assert policy.remediation_steps == meta.remediation
    expected_class = (
        pulumi_policy.StackValidationPolicy if meta.kind == "stack" else pulumi_policy.ResourceValidationPolicy
    )
    assert isinstance(policy, expected_class)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_one_rule_per_file_grouped_by_service(rule: Any) -> None:
    # policies/mlops/<service>/<rule>.py, the module name being the rule name without its service.
    module = next(m for m in _rule_modules() if m.RULE is rule)
    service, file = module.__name__.split(".")[-2:]
    assert rule.name == f"{service}-{file.replace('_', '-')}"


def _rule_modules() -> list[Any]:
    import importlib
    import pkgutil

    import policies.mlops as package

    modules = []
    for info in pkgutil.walk_packages(package.__path__, "policies.mlops."):
        module = importlib.import_module(info.name)
        if hasattr(module, "RULE"):
            modules.append(module)
    return modules


def test_every_rule_module_is_selected_by_the_pack() -> None:
    assert {m.RULE.name for m in _rule_modules()} == {r.name for r in RULES}


def test_main_constructs_the_pack_with_every_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    captured: dict[str, Any] = {}

    def fake_pack(**kwargs: Any) -> None:  # the real one starts a gRPC server and blocks
        captured.update(kwargs)

    monkeypatch.setattr(pulumi_policy, "PolicyPack", fake_pack)
    runpy.run_path(str(Path(__file__).resolve().parents[2] / "policies" / "__main__.py"), run_name="__main__")
    assert captured["name"] == PACK_NAME == "mlops-platform"
    assert [p.name for p in captured["policies"]] == [r.name for r in RULES]


def test_pulumi_policy_yaml_and_requirements() -> None:
    root = Path(__file__).resolve().parents[2] / "policies"
    text = (root / "PulumiPolicy.yaml").read_text()
    assert "name: python" in text and "name: mlops-platform" in text
    requirements = (root / "requirements.txt").read_text()
    assert "pulumi-policy" in requirements
