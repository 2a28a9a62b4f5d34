"""Lake Formation grants of the lake under the offline engine: targets, permission sets, order, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.data.config import LakeConfig, LakeGrantConfig
from components.data.lake import DataLake, DataLakeArgs, validate_args
from components.data.lake_grants import (
    check_principal,
    config_grant_name,
    database_permissions,
    table_permissions,
)
from mlopsctl.engine import Graph, Registration, run_program
from mlopsctl.policy import evaluate

ACCOUNT = "123456789012"
REGION = "eu-west-1"
PERMISSIONS = "aws:lakeformation/permissions:Permissions"
SETTINGS = "aws:lakeformation/dataLakeSettings:DataLakeSettings"
ANALYSTS = f"arn:aws:iam::{ACCOUNT}:role/team/analysts"
ENGINEERS = f"arn:aws:iam::{ACCOUNT}:role/data-engineers"
ADMIN = f"arn:aws:iam::{ACCOUNT}:role/lake-admin"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/deployer"
READ_DB, WRITE_DB = ["DESCRIBE"], ["CREATE_TABLE", "DESCRIBE"]
READ_TABLES = ["DESCRIBE", "SELECT"]
WRITE_TABLES = ["ALTER", "DELETE", "DESCRIBE", "DROP", "INSERT", "SELECT"]
TAGS = {"owner": "ml-platform-team", "environment": "dev", "cost-center": "cc-1001"}


def bucket_arn(zone: str) -> str:
    return f"arn:aws:s3:::dev-{zone}-{ACCOUNT}-{REGION}"


def config(**overrides: Any) -> LakeConfig:
    grants = [
        LakeGrantConfig(principal=ANALYSTS, zones=["raw", "curated"]),
        LakeGrantConfig(principal=ENGINEERS, zones=["curated"], access="write"),
    ]
    return LakeConfig(**{"admins": [ADMIN], "grants": grants, **overrides})


def lake_program(lake_config: LakeConfig, extra: Callable[[DataLake], None] | None = None) -> Callable[[], None]:
    def program() -> None:
        # Required tags come from the provider's default tags, as MlopsPlatform sets them.
        provider = aws.Provider("aws", region=REGION, default_tags={"tags": TAGS})
        lake = DataLake(
            "lake",
            DataLakeArgs(
                config=lake_config,
                environment="dev",
                account_id=ACCOUNT,
                region=REGION,
                admin_role_arns=(DEPLOYER,),
            ),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )
        if extra is not None:
            extra(lake)

    return program


def airflow_grants(lake: DataLake) -> None:
    """What the platform does for Airflow: a role of this program, read raw, read-write curated."""
    role = aws.iam.Role(
        "airflow-workers",
        name="dev-airflow-workers",
        assume_role_policy="{}",
        opts=pulumi.ResourceOptions(parent=lake),  # the lake's provider: default tags
    )
    lake.grant("airflow", role.arn, ["raw"], write=False)
    lake.grant("airflow", role.arn, ["curated"], write=True)


@pytest.fixture(scope="module")
def graph() -> Graph:
    return run_program(lake_program(config(), airflow_grants), stack="dev", config={"aws:region": REGION})


def grants_of(graph: Graph) -> dict[str, Registration]:
    return {r.name: r for r in graph.by_type(PERMISSIONS)}


def one(graph: Graph, name: str) -> Registration:
    (match,) = [r for r in graph.resources if r.name == name]
    return match


# --- pure helpers ------------------------------------------------------------------------------------


def test_permission_sets_per_access() -> None:
    assert database_permissions(write=False) == READ_DB
    assert database_permissions(write=True) == WRITE_DB
    assert table_permissions(write=False) == READ_TABLES
    assert table_permissions(write=True) == WRITE_TABLES
    # Dropping or altering the database itself (owned by this program) is never granted.
    assert not {"ALTER", "DROP", "ALL"} & set(database_permissions(write=True))
    assert "ALL" not in table_permissions(write=True)


def test_config_grant_names_are_stable_and_distinct() -> None:
    name = config_grant_name(ANALYSTS)
    assert name == config_grant_name(ANALYSTS)
    assert name.startswith("analysts-") and len(name) == len("analysts-") + 8
    assert config_grant_name(f"arn:aws:iam::{ACCOUNT}:role/other/analysts") != name
    assert config_grant_name(f"arn:aws:iam::{ACCOUNT}:user/A.Person@example").startswith("a-person-example-")


@pytest.mark.parametrize(
    ("principal", "expected"),
    [
        ("IAM_ALLOWED_PRINCIPALS", "IAMAllowedPrincipals must stay off the lake"),
        (f"{ACCOUNT}:IAMPrincipals", "every IAM-allowed principal"),
        ("analysts", "is not an IAM role or user ARN"),
        (f"arn:aws:iam::{ACCOUNT}:group/analysts", "is not an IAM role or user ARN"),
        ("arn:aws:iam::210987654321:role/analysts", "not the lake's account 123456789012"),
        (ADMIN, "is a Lake Formation administrator"),
    ],
)
def test_rejected_principals(principal: str, expected: str) -> None:
    with pytest.raises(ValueError, match=expected):
        check_principal(principal, admins=[ADMIN], account_id=ACCOUNT)


# --- resources ---------------------------------------------------------------------------------------


def test_exact_grants_created(graph: Graph) -> None:
    analysts, engineers = config_grant_name(ANALYSTS), config_grant_name(ENGINEERS)
    assert sorted(grants_of(graph)) == sorted(
        [
            f"lake-{analysts}-raw-database-grant",
            f"lake-{analysts}-raw-tables-grant",
            f"lake-{analysts}-curated-database-grant",
            f"lake-{analysts}-curated-tables-grant",
            f"lake-{engineers}-curated-database-grant",
            f"lake-{engineers}-curated-tables-grant",
            f"lake-{engineers}-curated-location-grant",
            "lake-airflow-raw-database-grant",
            "lake-airflow-raw-tables-grant",
            "lake-airflow-curated-database-grant",
            "lake-airflow-curated-tables-grant",
            "lake-airflow-curated-location-grant",
        ]
    )
    component = one(graph, "lake")
    assert {r.parent for r in graph.by_type(PERMISSIONS)} == {component.urn}


def test_read_grant_inputs(graph: Graph) -> None:
    name = config_grant_name(ANALYSTS)
    for zone in ("raw", "curated"):
        database = grants_of(graph)[f"lake-{name}-{zone}-database-grant"].inputs
        assert database == {
            "principal": ANALYSTS,
            "catalogId": ACCOUNT,
            "permissions": READ_DB,
            "database": {"name": f"dev_{zone}"},
        }
        tables = grants_of(graph)[f"lake-{name}-{zone}-tables-grant"].inputs
        assert tables == {
            "principal": ANALYSTS,
            "catalogId": ACCOUNT,
            "permissions": READ_TABLES,
            "table": {"databaseName": f"dev_{zone}", "wildcard": True},
        }
        # Readers create no tables: no data location permission.
        assert f"lake-{name}-{zone}-location-grant" not in grants_of(graph)


def test_write_grant_inputs(graph: Graph) -> None:
    name = config_grant_name(ENGINEERS)
    grants = grants_of(graph)
    assert grants[f"lake-{name}-curated-database-grant"].inputs["permissions"] == WRITE_DB
    assert grants[f"lake-{name}-curated-tables-grant"].inputs["permissions"] == WRITE_TABLES
    assert grants[f"lake-{name}-curated-tables-grant"].inputs["table"] == {
        "databaseName": "dev_curated",
        "wildcard": True,
    }
    assert grants[f"lake-{name}-curated-location-grant"].inputs == {
        "principal": ENGINEERS,
        "catalogId": ACCOUNT,
        "permissions": ["DATA_LOCATION_ACCESS"],
        "dataLocation": {"arn": bucket_arn("curated")},
    }


def test_grant_to_a_role_of_the_program_waits_for_it(graph: Graph) -> None:
    role = one(graph, "airflow-workers")
    grants = grants_of(graph)
    raw = grants["lake-airflow-raw-tables-grant"]
    assert raw.inputs["principal"] == f"arn:aws:iam::{ACCOUNT}:role/dev-airflow-workers"
    assert raw.inputs["permissions"] == READ_TABLES
    assert grants["lake-airflow-curated-tables-grant"].inputs["permissions"] == WRITE_TABLES
    assert grants["lake-airflow-curated-location-grant"].inputs["dataLocation"] == {"arn": bucket_arn("curated")}
    for name in ("raw-database", "raw-tables", "curated-database", "curated-tables", "curated-location"):
        assert grants[f"lake-airflow-{name}-grant"].property_dependencies["principal"] == (role.urn,)


@pytest.mark.parametrize("zone", ["raw", "curated"])
def test_grants_depend_on_settings_database_and_location(graph: Graph, zone: str) -> None:
    settings = one(graph, "lake-lake-formation-settings").urn
    database = one(graph, f"lake-{zone}-database").urn
    location = one(graph, f"lake-{zone}-location").urn
    zone_grants = [r for r in graph.by_type(PERMISSIONS) if f"-{zone}-" in r.name]
    assert len(zone_grants) >= 4
    for grant in zone_grants:
        assert {settings, database, location} <= set(grant.dependencies), grant.name
    for grant in (g for g in zone_grants if g.name.endswith("-tables-grant")):
        # Revoked before the database grant on destroy.
        assert grant.name.replace("-tables-", "-database-") in {
            graph.get(urn).name for urn in grant.dependencies if urn.endswith("-database-grant")
        }


def test_settings_keep_iam_allowed_principals_out(graph: Graph) -> None:
    (settings,) = graph.by_type(SETTINGS)
    assert settings.inputs["createDatabaseDefaultPermissions"] == []
    assert settings.inputs["createTableDefaultPermissions"] == []
    assert settings.inputs["admins"] == [ADMIN, DEPLOYER]
    principals = {r.inputs["principal"] for r in graph.by_type(PERMISSIONS)}
    assert "IAM_ALLOWED_PRINCIPALS" not in principals
    assert not principals & {ADMIN, DEPLOYER}, "administrators have implicit permissions"


def test_without_owned_settings_grants_wait_for_database_and_location_only() -> None:
    graph = run_program(lake_program(config(lake_formation_settings=False)), stack="dev", config={"aws:region": REGION})
    assert graph.by_type(SETTINGS) == []
    grant = grants_of(graph)[f"lake-{config_grant_name(ENGINEERS)}-curated-location-grant"]
    assert set(grant.dependencies) >= {one(graph, "lake-curated-database").urn, one(graph, "lake-curated-location").urn}
    assert not any("lake-formation-settings" in urn for urn in grant.dependencies)


def test_no_grants_configured_creates_none() -> None:
    graph = run_program(lake_program(LakeConfig()), stack="dev", config={"aws:region": REGION})
    assert graph.by_type(PERMISSIONS) == []


# --- errors ------------------------------------------------------------------------------------------


def _grant_error(grant: Callable[[DataLake], None]) -> str:
    with pytest.raises(ValueError) as caught:
        run_program(lake_program(LakeConfig(), grant), stack="dev", config={"aws:region": REGION})
    return str(caught.value)


def test_grant_of_unknown_zone_names_the_allowed_ones() -> None:
    message = _grant_error(lambda lake: lake.grant("bi", ANALYSTS, ["gold"], write=False))
    assert "unknown lake zone(s) ['gold']; allowed: ['curated', 'ml-artifacts', 'raw']" in message


@pytest.mark.parametrize(
    ("grant", "expected"),
    [
        (lambda lake: lake.grant("bi", ANALYSTS, [], write=False), "name at least one zone"),
        (lambda lake: lake.grant("BI team", ANALYSTS, ["raw"], write=False), "must be 1-40 lowercase"),
        (lambda lake: lake.grant("bi", "IAM_ALLOWED_PRINCIPALS", ["raw"], write=False), "must stay off the lake"),
        (lambda lake: lake.grant("bi", DEPLOYER, ["raw"], write=False), "is a Lake Formation administrator"),
        (
            lambda lake: [
                lake.grant("bi", ANALYSTS, ["raw"], write=False),
                lake.grant("bi2", ANALYSTS, ["raw"], write=True),
            ],
            "zone 'raw' is already granted to this principal by grant 'bi'",
        ),
        (
            lambda lake: [
                lake.grant("bi", ANALYSTS, ["raw"], write=False),
                lake.grant("bi", ENGINEERS, ["raw"], write=False),
            ],
            "resource names ['lake-bi-raw'] are already used",
        ),
    ],
)
def test_invalid_grants_are_rejected(grant: Callable[[DataLake], Any], expected: str) -> None:
    assert expected in _grant_error(grant)


def test_config_grants_with_unknown_zones_are_rejected_by_the_config() -> None:
    with pytest.raises(ValueError, match=r"grants\[0\] names zones \['gold'\] that are not in zones"):
        LakeConfig(grants=[LakeGrantConfig(principal=ANALYSTS, zones=["gold"])])


@pytest.mark.parametrize(
    ("grants", "expected"),
    [
        (
            [LakeGrantConfig(principal=ADMIN, zones=["raw"])],
            "grants[0].principal: 'arn:aws:iam::123456789012:role/lake-admin' is a Lake",
        ),
        ([LakeGrantConfig(principal=DEPLOYER, zones=["raw"])], "is a Lake Formation administrator"),
        (
            [LakeGrantConfig(principal="arn:aws:iam::210987654321:role/x", zones=["raw"])],
            "not the lake's account 123456789012",
        ),
        (
            [
                LakeGrantConfig(principal=ANALYSTS, zones=["raw", "curated"]),
                LakeGrantConfig(principal=ANALYSTS, zones=["curated"], access="write"),
            ],
            "grants[0] and grants[1] both grant zone 'curated'",
        ),
    ],
)
def test_invalid_config_grants_fail_before_any_resource(grants: list[LakeGrantConfig], expected: str) -> None:
    args = DataLakeArgs(
        config=LakeConfig(admins=[ADMIN], grants=grants),
        environment="dev",
        account_id=ACCOUNT,
        region=REGION,
        admin_role_arns=(DEPLOYER,),
    )
    with pytest.raises(ValueError) as caught:
        validate_args(args)
    assert expected in str(caught.value)


# --- policy pack -------------------------------------------------------------------------------------


def test_lake_with_grants_has_no_policy_violations(graph: Graph) -> None:
    report = evaluate(graph)
    assert [(v.policy, v.urn, v.message) for v in report.violations] == []
    assert "lakeformation-no-iam-allowed-principals" in {rule.name for rule in report.rules}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_shipped_stacks_still_have_no_violations(stack: str, graph_of: Callable[[str], Graph]) -> None:
    report = evaluate(graph_of(stack))
    assert [(v.policy, v.urn, v.message) for v in report.violations] == []
