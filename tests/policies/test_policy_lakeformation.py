"""lakeformation-no-iam-allowed-principals: pass, fail, missing property and not-applicable per resource type."""

from __future__ import annotations

from typing import Any

import pytest
from policy_testkit import DELETE, messages, mutate, reg, violations

from policies.mlops.lakeformation import no_iam_allowed_principals
from policies.mlops.lakeformation._types import DATA_LAKE_SETTINGS, PERMISSIONS, RESOURCE

RULE = no_iam_allowed_principals.RULE
GRANT = {
    "principal": "arn:aws:iam::123456789012:role/analysts",
    "catalogId": "123456789012",
    "permissions": ["DESCRIBE", "SELECT"],
    "table": {"databaseName": "dev_curated", "wildcard": True},
}
SETTINGS = {
    "admins": ["arn:aws:iam::123456789012:role/deployer"],
    "createDatabaseDefaultPermissions": [],
    "createTableDefaultPermissions": [],
}
LOCATION = {
    "arn": "arn:aws:s3:::dev-raw-123456789012-eu-west-1",
    "roleArn": "arn:aws:iam::123456789012:role/lf",
    "useServiceLinkedRole": False,
    "hybridAccessEnabled": False,
}
BROAD = [{"principal": "IAM_ALLOWED_PRINCIPALS", "permissions": ["ALL"]}]


def test_compliant_resources_pass() -> None:
    resources = (reg(PERMISSIONS, "g", GRANT), reg(DATA_LAKE_SETTINGS, "s", SETTINGS), reg(RESOURCE, "l", LOCATION))
    assert violations(RULE, *resources) == []


@pytest.mark.parametrize("principal", ["IAM_ALLOWED_PRINCIPALS", "123456789012:IAMPrincipals"])
def test_grant_to_broad_principal_fails(principal: str) -> None:
    assert messages(RULE, reg(PERMISSIONS, "g", mutate(GRANT, "principal", principal))) == [
        f"grants {principal}: every IAM-allowed principal gets these permissions"
    ]


@pytest.mark.parametrize("key", ["createDatabaseDefaultPermissions", "createTableDefaultPermissions"])
def test_default_permissions_for_iam_allowed_principals_fail(key: str) -> None:
    found = messages(RULE, reg(DATA_LAKE_SETTINGS, "s", mutate(SETTINGS, key, BROAD)))
    assert found == [f"{key}[0] gives IAM_ALLOWED_PRINCIPALS every new database or table"]


@pytest.mark.parametrize(
    ("resource_type", "base", "field"),
    [
        (DATA_LAKE_SETTINGS, SETTINGS, "createDatabaseDefaultPermissions"),
        (DATA_LAKE_SETTINGS, SETTINGS, "createTableDefaultPermissions"),
        (RESOURCE, LOCATION, "hybridAccessEnabled"),
    ],
)
def test_missing_properties_pass(resource_type: str, base: dict[str, Any], field: str) -> None:
    # Unset default permissions are cleared by the provider; unset hybrid access is false.
    assert violations(RULE, reg(resource_type, "r", mutate(base, field, DELETE))) == []


def test_default_permissions_for_a_named_role_pass() -> None:
    named = [{"principal": "arn:aws:iam::123456789012:role/etl", "permissions": ["DESCRIBE"]}]
    assert (
        violations(RULE, reg(DATA_LAKE_SETTINGS, "s", mutate(SETTINGS, "createTableDefaultPermissions", named))) == []
    )


def test_hybrid_access_location_fails() -> None:
    assert messages(RULE, reg(RESOURCE, "l", mutate(LOCATION, "hybridAccessEnabled", True))) == [
        "hybridAccessEnabled is true: IAM permissions keep working beside Lake Formation grants"
    ]


def test_other_resource_types_are_ignored() -> None:
    assert (
        violations(RULE, reg("aws:glue/catalogDatabase:CatalogDatabase", "d", {"principal": "IAM_ALLOWED_PRINCIPALS"}))
        == []
    )
