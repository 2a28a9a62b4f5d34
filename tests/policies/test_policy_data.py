"""Athena, Redshift Serverless and MWAA rules."""

from __future__ import annotations

from typing import Any

import pytest
from policy_testkit import DELETE, messages, mutate, reg, violations

from policies.mlops.athena import workgroup_enforce_configuration, workgroup_results_encrypted
from policies.mlops.athena._types import WORKGROUP
from policies.mlops.mwaa import environment_private_webserver
from policies.mlops.redshift import namespace_customer_key, workgroup_not_public

ATHENA = {
    "name": "analysts",
    "configuration": {
        "enforceWorkgroupConfiguration": True,
        "resultConfiguration": {
            "outputLocation": "s3://results/",
            "encryptionConfiguration": {"encryptionOption": "SSE_KMS", "kmsKeyArn": "arn:aws:kms:eu-west-1:1:key/k"},
        },
    },
}
ENC = "configuration.resultConfiguration.encryptionConfiguration"


@pytest.mark.parametrize(
    ("module", "field", "value", "expected"),
    [
        (workgroup_results_encrypted, f"{ENC}.encryptionOption", "SSE_S3", "is 'SSE_S3'"),
        (workgroup_results_encrypted, f"{ENC}.encryptionOption", "CSE_KMS", None),
        (workgroup_results_encrypted, ENC, DELETE, "is not set"),
        (workgroup_results_encrypted, "configuration", DELETE, "is not set"),
        (
            workgroup_results_encrypted,
            "configuration.managedQueryResultsConfiguration",
            {"enabled": True, "encryptionConfiguration": {"kmsKey": "arn:aws:kms:eu-west-1:1:key/k"}},
            None,
        ),
        (
            workgroup_results_encrypted,
            "configuration.managedQueryResultsConfiguration",
            {"enabled": True},
            "managed query results are not encrypted",
        ),
        (workgroup_enforce_configuration, "configuration.enforceWorkgroupConfiguration", False, "is false"),
        (workgroup_enforce_configuration, "configuration.enforceWorkgroupConfiguration", DELETE, None),
        (workgroup_enforce_configuration, "configuration", DELETE, None),
    ],
)
def test_athena(module: Any, field: str, value: Any, expected: str | None) -> None:
    assert violations(module.RULE, reg(WORKGROUP, "wg", ATHENA)) == []
    found = messages(module.RULE, reg(WORKGROUP, "wg", mutate(ATHENA, field, value)))
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1 and expected in found[0], found


def test_redshift_serverless() -> None:
    workgroup = "aws:redshiftserverless/workgroup:Workgroup"
    namespace = "aws:redshiftserverless/namespace:Namespace"
    private = {"namespaceName": "wh", "workgroupName": "wh", "publiclyAccessible": False}
    assert violations(workgroup_not_public.RULE, reg(workgroup, "w", private)) == []
    assert (
        violations(workgroup_not_public.RULE, reg(workgroup, "w", mutate(private, "publiclyAccessible", DELETE))) == []
    )
    assert messages(workgroup_not_public.RULE, reg(workgroup, "w", mutate(private, "publiclyAccessible", True))) == [
        "publiclyAccessible is true"
    ]
    keyed = {"namespaceName": "wh", "kmsKeyId": "arn:aws:kms:eu-west-1:1:key/k", "manageAdminPassword": True}
    assert violations(namespace_customer_key.RULE, reg(namespace, "n", keyed)) == []
    assert messages(namespace_customer_key.RULE, reg(namespace, "n", mutate(keyed, "kmsKeyId", DELETE))) == [
        "kmsKeyId is not set (an AWS-owned key is used)"
    ]


def test_mwaa_webserver() -> None:
    env = "aws:mwaa/environment:Environment"
    base = {"name": "airflow", "webserverAccessMode": "PRIVATE_ONLY"}
    assert violations(environment_private_webserver.RULE, reg(env, "e", base)) == []
    assert (
        violations(environment_private_webserver.RULE, reg(env, "e", mutate(base, "webserverAccessMode", DELETE))) == []
    )
    public = reg(env, "e", mutate(base, "webserverAccessMode", "PUBLIC_ONLY"))
    assert messages(environment_private_webserver.RULE, public) == ["webserverAccessMode is PUBLIC_ONLY"]
