"""DataLake under the offline engine: every control of the issue, read from the captured inputs."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.data.config import LakeConfig, LifecycleConfig
from components.data.lake import DataLake, DataLakeArgs
from mlopsctl.engine import Graph, Registration, run_program

ACCOUNT = "123456789012"
REGION = "eu-west-1"
ZONES = ("raw", "curated", "ml-artifacts")
KMS_BUCKETS = (*ZONES, "athena-results")
ALL_BUCKETS = (*KMS_BUCKETS, "access-logs")


def lake_graph(config: LakeConfig, *, environment: str = "dev", admin_role_arns: tuple[str, ...] = ()) -> Graph:
    def program() -> None:
        lake = DataLake(
            "lake",
            DataLakeArgs(
                config=config,
                environment=environment,
                account_id=ACCOUNT,
                region=REGION,
                admin_role_arns=admin_role_arns,
            ),
        )
        pulumi.export("bucketNames", lake.bucket_names)
        pulumi.export("bucketArns", lake.bucket_arns)
        pulumi.export("databaseNames", lake.database_names)
        pulumi.export("keyArn", lake.key_arn)
        pulumi.export("keyId", lake.key_id)
        pulumi.export("workgroupName", lake.workgroup_name)
        pulumi.export("logBucketName", lake.log_bucket_name)
        if "curated" in config.zones:
            pulumi.export("readCurated", lake.access_policy(read=["curated"], prefixes={"curated": ["features"]}))

    return run_program(program, config={"aws:region": REGION})


@pytest.fixture(scope="module")
def dev() -> Graph:
    return lake_graph(LakeConfig(), admin_role_arns=(f"arn:aws:iam::{ACCOUNT}:role/deployer",))


@pytest.fixture(scope="module")
def prod() -> Graph:
    config = LakeConfig(
        protect=True,
        admins=[f"arn:aws:iam::{ACCOUNT}:role/data-platform-admin"],
        lifecycle=LifecycleConfig(noncurrent_version_days=365),
        zone_lifecycle={"ml-artifacts": LifecycleConfig(noncurrent_version_days=90, glacier_days=None)},
        athena_bytes_scanned_cutoff=100 * 1024**3,
    )
    return lake_graph(config, environment="prod")


def named(graph: Graph, name: str) -> Registration:
    matches = [r for r in graph.resources if r.name == name]
    assert len(matches) == 1, f"{name}: {len(matches)} registrations"
    return matches[0]


def policy(resource: Registration, key: str = "policy") -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = json.loads(resource.inputs[key])["Statement"]
    return statements


def by_sid(statements: list[dict[str, Any]], sid: str) -> dict[str, Any]:
    return next(s for s in statements if s.get("Sid") == sid)


def test_dev_resource_counts(dev: Graph) -> None:
    counts: dict[str, int] = {}
    for resource in dev.resources:
        counts[resource.type] = counts.get(resource.type, 0) + 1
    assert counts == {
        "mlops:datalake:DataLake": 1,
        "aws:kms/key:Key": 1,
        "aws:kms/alias:Alias": 1,
        "aws:s3/bucket:Bucket": 5,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 5,
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 5,
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls": 5,
        "aws:s3/bucketVersioning:BucketVersioning": 5,
        "aws:s3/bucketPolicy:BucketPolicy": 5,
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 5,
        "aws:s3/bucketLogging:BucketLogging": 4,
        "aws:iam/role:Role": 1,
        "aws:iam/rolePolicy:RolePolicy": 1,
        "aws:lakeformation/dataLakeSettings:DataLakeSettings": 1,
        "aws:lakeformation/resource:Resource": 3,
        "aws:glue/catalogDatabase:CatalogDatabase": 3,
        "aws:athena/workgroup:Workgroup": 1,
    }
    component = named(dev, "lake")
    assert all(r.parent == component.urn for r in dev.resources if r is not component)


def test_key_rotation_and_policy_scoped_to_account(dev: Graph) -> None:
    key = named(dev, "lake-key")
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == 7
    statements = policy(key)
    for statement in statements:
        assert statement["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "no '*' principal"
        assert "kms:*" not in statement["Action"]
    admin = by_sid(statements, "KeyAdministration")
    assert "kms:Decrypt" not in admin["Action"] and "kms:Put*" in admin["Action"]
    use = by_sid(statements, "UseThroughPlatformServices")
    assert use["Condition"]["StringEquals"] == {
        "kms:CallerAccount": ACCOUNT,
        "kms:ViaService": [f"{s}.{REGION}.amazonaws.com" for s in ("athena", "glue", "s3")],
    }
    alias = named(dev, "lake-key-alias")
    assert alias.inputs["name"] == "alias/dev-lake"


@pytest.mark.parametrize("role", ALL_BUCKETS)
def test_bucket_names_are_deterministic_and_valid(dev: Graph, role: str) -> None:
    name = named(dev, f"lake-{role}-bucket").inputs["bucket"]
    assert name == f"dev-{role}-{ACCOUNT}-{REGION}"
    assert len(name) <= 63 and name == name.lower()


@pytest.mark.parametrize("role", KMS_BUCKETS)
def test_kms_buckets_encrypt_with_the_lake_key_and_bucket_keys(dev: Graph, role: str) -> None:
    key_arn = dev.outputs["keyArn"]
    (rule,) = named(dev, f"lake-{role}-sse").inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn}
    assert rule["bucketKeyEnabled"] is True


def test_log_bucket_uses_sse_s3(dev: Graph) -> None:
    (rule,) = named(dev, "lake-access-logs-sse").inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}


@pytest.mark.parametrize("role", ALL_BUCKETS)
def test_every_bucket_blocks_public_access_versioned_acls_disabled(dev: Graph, role: str) -> None:
    block = named(dev, f"lake-{role}-public-access").inputs
    for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
        assert block[flag] is True, flag
    assert named(dev, f"lake-{role}-versioning").inputs["versioningConfiguration"] == {"status": "Enabled"}
    assert named(dev, f"lake-{role}-ownership").inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    bucket = named(dev, f"lake-{role}-bucket")
    for control in ("sse", "public-access", "versioning", "ownership", "policy", "lifecycle"):
        assert named(dev, f"lake-{role}-{control}").inputs["bucket"] == bucket.inputs["bucket"]


@pytest.mark.parametrize("role", ALL_BUCKETS)
def test_every_bucket_denies_insecure_transport(dev: Graph, role: str) -> None:
    arn = f"arn:aws:s3:::dev-{role}-{ACCOUNT}-{REGION}"
    deny = by_sid(policy(named(dev, f"lake-{role}-policy")), "DenyInsecureTransport")
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and deny["Action"] == "s3:*"
    assert deny["Resource"] == [arn, f"{arn}/*"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize("role", KMS_BUCKETS)
def test_kms_buckets_deny_unencrypted_and_foreign_key_puts(dev: Graph, role: str) -> None:
    statements = policy(named(dev, f"lake-{role}-policy"))
    objects = f"arn:aws:s3:::dev-{role}-{ACCOUNT}-{REGION}/*"
    unencrypted = by_sid(statements, "DenyObjectsNotEncryptedWithKms")
    assert (unencrypted["Effect"], unencrypted["Action"], unencrypted["Resource"]) == ("Deny", "s3:PutObject", objects)
    assert unencrypted["Condition"] == {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}}
    other_key = by_sid(statements, "DenyObjectsEncryptedWithOtherKeys")
    assert other_key["Condition"] == {
        "StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": dev.outputs["keyArn"]}
    }


def test_log_bucket_admits_only_s3_log_delivery_for_lake_buckets(dev: Graph) -> None:
    allow = by_sid(policy(named(dev, "lake-access-logs-policy")), "AllowServerAccessLogDelivery")
    assert allow["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert allow["Action"] == "s3:PutObject"
    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    assert allow["Condition"]["ArnLike"]["aws:SourceArn"] == sorted(
        f"arn:aws:s3:::dev-{role}-{ACCOUNT}-{REGION}" for role in KMS_BUCKETS
    )


@pytest.mark.parametrize("role", KMS_BUCKETS)
def test_kms_buckets_log_to_the_log_bucket(dev: Graph, role: str) -> None:
    logging = named(dev, f"lake-{role}-logging")
    assert logging.inputs["targetBucket"] == f"dev-access-logs-{ACCOUNT}-{REGION}"
    assert logging.inputs["targetPrefix"] == f"{role}/"
    # Delivery waits for the policy that lets the logging service write.
    assert named(dev, "lake-access-logs-policy").urn in logging.dependencies
    assert not [r for r in dev.resources if r.name == "lake-access-logs-logging"], "the log bucket logs nowhere"


def _rules(graph: Graph, role: str) -> dict[str, dict[str, Any]]:
    return {rule["id"]: rule for rule in named(graph, f"lake-{role}-lifecycle").inputs["rules"]}


@pytest.mark.parametrize("role", ALL_BUCKETS)
def test_every_bucket_expires_noncurrent_versions_and_aborts_uploads(dev: Graph, role: str) -> None:
    rules = _rules(dev, role)
    assert rules["expire-noncurrent-versions"]["noncurrentVersionExpiration"] == {"noncurrentDays": 30}
    assert rules["abort-incomplete-multipart-uploads"]["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
    assert all(rule["status"] == "Enabled" for rule in rules.values())
    assert named(dev, f"lake-{role}-versioning").urn in named(dev, f"lake-{role}-lifecycle").dependencies


@pytest.mark.parametrize("zone", ZONES)
def test_zone_transitions_from_config(dev: Graph, zone: str) -> None:
    assert _rules(dev, zone)["tiering"]["transitions"] == [
        {"days": 30, "storageClass": "STANDARD_IA"},
        {"days": 180, "storageClass": "GLACIER_IR"},
    ]


def test_logs_and_results_expire(dev: Graph) -> None:
    assert _rules(dev, "access-logs")["expire-objects"]["expiration"] == {"days": 365}
    assert _rules(dev, "athena-results")["expire-objects"]["expiration"] == {"days": 30}


def test_glue_database_per_zone(dev: Graph) -> None:
    for zone in ZONES:
        database = named(dev, f"lake-{zone}-database").inputs
        assert database["name"] == f"dev_{zone.replace('-', '_')}"
        assert database["catalogId"] == ACCOUNT
        assert database["locationUri"] == f"s3://dev-{zone}-{ACCOUNT}-{REGION}/"
    assert dev.outputs["databaseNames"] == {
        "raw": "dev_raw",
        "curated": "dev_curated",
        "ml-artifacts": "dev_ml_artifacts",
    }


def test_lake_formation_admins_and_registered_locations(dev: Graph) -> None:
    settings = named(dev, "lake-lake-formation-settings").inputs
    assert settings["admins"] == [f"arn:aws:iam::{ACCOUNT}:role/deployer"]
    assert settings["createDatabaseDefaultPermissions"] == []
    assert settings["createTableDefaultPermissions"] == []
    role_arn = named(dev, "lake-lf-registration-role")
    for zone in ZONES:
        location = named(dev, f"lake-{zone}-location")
        assert location.inputs["arn"] == f"arn:aws:s3:::dev-{zone}-{ACCOUNT}-{REGION}"
        assert location.inputs["useServiceLinkedRole"] is False
        assert location.inputs["roleArn"].startswith(f"arn:aws:iam::{ACCOUNT}:role/")
        assert role_arn.urn in location.property_dependencies["roleArn"]
    trust = policy(role_arn, "assumeRolePolicy")
    assert trust[0]["Principal"] == {"Service": "lakeformation.amazonaws.com"}
    access = policy(named(dev, "lake-lf-registration-policy"))
    resources = {r for s in access for r in s["Resource"]}
    assert "*" not in resources and dev.outputs["keyArn"] in resources


def test_athena_workgroup_enforced_encrypted_limited(dev: Graph) -> None:
    workgroup = named(dev, "lake-workgroup").inputs
    assert workgroup["name"] == "dev-lake"
    configuration = workgroup["configuration"]
    assert configuration["enforceWorkgroupConfiguration"] is True
    assert configuration["publishCloudwatchMetricsEnabled"] is True
    assert configuration["bytesScannedCutoffPerQuery"] == 10 * 1024**3
    results = configuration["resultConfiguration"]
    assert results["outputLocation"] == f"s3://dev-athena-results-{ACCOUNT}-{REGION}/"
    assert results["expectedBucketOwner"] == ACCOUNT
    assert results["encryptionConfiguration"] == {"encryptionOption": "SSE_KMS", "kmsKeyArn": dev.outputs["keyArn"]}


def test_outputs(dev: Graph) -> None:
    assert dev.outputs["bucketNames"] == {zone: f"dev-{zone}-{ACCOUNT}-{REGION}" for zone in ZONES}
    assert dev.outputs["bucketArns"] == {zone: f"arn:aws:s3:::dev-{zone}-{ACCOUNT}-{REGION}" for zone in ZONES}
    assert dev.outputs["keyArn"].startswith(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/")
    assert dev.outputs["keyArn"].endswith(dev.outputs["keyId"])
    assert dev.outputs["workgroupName"] == "dev-lake"
    assert dev.outputs["logBucketName"] == f"dev-access-logs-{ACCOUNT}-{REGION}"


def test_access_policy_method_reads_one_prefix(dev: Graph) -> None:
    statements = json.loads(dev.outputs["readCurated"])["Statement"]
    objects = by_sid(statements, "ReadCuratedObjects")
    assert objects["Resource"] == [f"arn:aws:s3:::dev-curated-{ACCOUNT}-{REGION}/features/*"]
    assert "s3:PutObject" not in objects["Action"]
    key = by_sid(statements, "UseLakeKeyThroughS3")
    assert key["Action"] == ["kms:Decrypt", "kms:DescribeKey"]


def test_dev_is_not_protected(dev: Graph) -> None:
    assert not [r.name for r in dev.resources if r.protect or r.retain_on_delete]
    assert all(named(dev, f"lake-{role}-bucket").inputs["forceDestroy"] is False for role in ALL_BUCKETS)


def test_prod_protects_buckets_and_key(prod: Graph) -> None:
    protected = sorted(r.name for r in prod.resources if r.protect)
    assert protected == sorted(["lake-key", *(f"lake-{role}-bucket" for role in ALL_BUCKETS)])
    assert sorted(r.name for r in prod.resources if r.retain_on_delete) == protected
    assert named(prod, "lake-key").inputs["deletionWindowInDays"] == 30


def test_prod_lifecycle_and_limits_from_config(prod: Graph) -> None:
    assert _rules(prod, "raw")["expire-noncurrent-versions"]["noncurrentVersionExpiration"] == {"noncurrentDays": 365}
    artifacts = _rules(prod, "ml-artifacts")
    assert artifacts["expire-noncurrent-versions"]["noncurrentVersionExpiration"] == {"noncurrentDays": 90}
    assert artifacts["tiering"]["transitions"] == [{"days": 30, "storageClass": "STANDARD_IA"}]
    assert named(prod, "lake-workgroup").inputs["configuration"]["bytesScannedCutoffPerQuery"] == 100 * 1024**3
    assert named(prod, "lake-lake-formation-settings").inputs["admins"] == [
        f"arn:aws:iam::{ACCOUNT}:role/data-platform-admin"
    ]
    assert named(prod, "lake-raw-bucket").inputs["bucket"] == f"prod-raw-{ACCOUNT}-{REGION}"


def test_phoenix_force_destroy_and_shared_lake_formation_settings() -> None:
    graph = lake_graph(
        LakeConfig(zones=["ml-artifacts"], force_destroy=True, lake_formation_settings=False), environment="pr-42"
    )
    assert all(r.inputs["forceDestroy"] is True for r in graph.by_type("aws:s3/bucket:Bucket"))
    assert named(graph, "lake-workgroup").inputs["forceDestroy"] is True
    assert not graph.by_type("aws:lakeformation/dataLakeSettings:DataLakeSettings")
    assert len(graph.by_type("aws:lakeformation/resource:Resource")) == 1
    assert not [r for r in graph.resources if r.protect]


def test_invalid_plain_values_raise_before_any_resource() -> None:
    def build(**overrides: Any) -> None:
        values: dict[str, Any] = {"config": LakeConfig(), "environment": "dev", "account_id": ACCOUNT, "region": REGION}
        DataLake("lake", DataLakeArgs(**{**values, **overrides}))

    for overrides, message in (
        ({"environment": "Dev"}, "environment 'Dev'"),
        ({"region": "europe"}, "region 'europe'"),
        ({"account_id": "1234"}, "account_id '1234'"),
    ):
        with pytest.raises(Exception, match=message):
            run_program(lambda overrides=overrides: build(**overrides))


def test_access_policy_rejects_unknown_zone() -> None:
    def program() -> None:
        lake = DataLake("lake", DataLakeArgs(config=LakeConfig(), environment="dev", account_id=ACCOUNT, region=REGION))
        lake.access_policy(read=["gold"])

    with pytest.raises(
        Exception, match=r"unknown lake zone\(s\) \['gold'\]; allowed: \['curated', 'ml-artifacts', 'raw'\]"
    ):
        run_program(program)
