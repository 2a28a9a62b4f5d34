"""`mlops:registry`: defaults, and one test per validation rule (key and what is allowed in the message)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from components.registry.config import DEFAULT_MIRRORS, DEFAULT_UPSTREAMS, RegistryConfig

ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ecr-pullthroughcache/docker-hub-AbCdEf"


def test_defaults_cache_every_platform_upstream_and_own_the_account_settings() -> None:
    config = RegistryConfig()
    assert config.upstreams == list(DEFAULT_UPSTREAMS) == ["ecr-public", "k8s", "quay", "ghcr", "docker-hub"]
    assert config.mirrors == list(DEFAULT_MIRRORS)
    assert config.repositories == ["model-servers", "pipeline-tasks"]
    assert config.account_settings is True and config.enhanced_scanning is False and config.ci is None
    assert (config.lifecycle.keep_images, config.lifecycle.untagged_days) == (30, 7)


def test_camel_case_keys_parse() -> None:
    config = RegistryConfig.model_validate(
        {
            "accountSettings": False,
            "credentialArns": {"docker-hub": ARN},
            "enhancedScanning": True,
            "lifecycle": {"keepImages": 5, "untaggedDays": 1},
            "ci": {"repository": "example-org/mlops-platform", "refs": ["refs/heads/main", "refs/tags/v1"]},
        }
    )
    assert config.credential_arns == {"docker-hub": ARN} and config.ci is not None
    assert config.ci.oidc_provider == "import"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {"upstreams": ["gcr"]},
            "unknown upstream(s) ['gcr']; allowed: ['ecr-public', 'k8s', 'quay', 'ghcr', 'docker-hub', 'gitlab']",
        ),
        ({"upstreams": ["quay", "quay"]}, "duplicate upstreams"),
        ({"repositories": ["Models"]}, "is not a repository name"),
        ({"repositories": ["a", "a"]}, "duplicate repository names"),
        ({"mirrors": ["quay.io/jetstack/x"]}, "mirrors are repositories (no tag) of registries ECR cannot cache"),
        ({"mirrors": ["nvcr.io/nvidia/x:1"]}, "mirrors are repositories (no tag)"),
        ({"credentialArns": {"quay": ARN}}, "credentialArns.quay: not a configured upstream that needs a login"),
        (
            {"credentialArns": {"docker-hub": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hub"}},
            "ecr-pullthroughcache/",
        ),
        ({"ci": {"repository": "example-org/x", "refs": ["refs/heads/*"]}}, "is not a git ref like refs/heads/main"),
        ({"ci": {"repository": "not a repo"}}, "String should match pattern"),
        ({"ci": {"repository": "o/r", "oidcProvider": "existing"}}, "'import' or 'create'"),
        ({"lifecycle": {"keepImages": 0}}, "greater than or equal to 1"),
        ({"unknownKey": 1}, "Extra inputs are not permitted"),
    ],
)
def test_each_rule(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        RegistryConfig.model_validate(raw)
    assert message in str(caught.value)
