"""DataLake: governed S3 zones with a customer key, a Glue catalog, Lake Formation and Athena.

Every zone bucket (and the Athena results bucket) is encrypted with the lake's customer key
(SSE-KMS, bucket keys), blocks all public access, is versioned, denies non-TLS requests and puts
that are not encrypted with that key, expires noncurrent versions and stale multipart uploads,
moves objects to cheaper classes per zone, logs every request to a dedicated access-log bucket,
and has ACLs disabled. Per-stack differences (protection, force-destroy, lifecycle days) come
from :class:`components.config.LakeConfig` only. Lake Formation governs the catalog: who may use a
zone's database, tables and location is granted explicitly (:meth:`DataLake.grant`, ``lake.grants``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.config_base import validate_placement
from components.data.bucket_controls import bucket_controls
from components.data.config import LakeConfig, LifecycleConfig
from components.data.lake_access import (
    ZoneGrant,
    access_document,
    encrypted_bucket_policy,
    key_policy,
    log_bucket_policy,
    zone_statements,
)
from components.data.lake_grants import LakeCatalog, ZoneTarget, check_config_grants, config_grant_name
from components.iam import assume_role_policy

LAKE_KEY_SERVICES = ("athena", "glue", "s3")
"""AWS services that may use the lake key on a caller's behalf (kms:ViaService). CloudWatch Logs is
not among them: the lake writes no log groups."""

ACCESS_LOGS = "access-logs"
"""Role name of the server-access-log bucket."""
ATHENA_RESULTS = "athena-results"
"""Role name of the Athena query-results bucket."""

_MAX_BUCKET_NAME = 63
# S3 reserves these prefixes and suffixes for its own naming schemes (bucketnamingrules.html).
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", "--x-s3", "--table-s3", ".mrap")


@dataclass(frozen=True, kw_only=True)
class DataLakeArgs:
    """Inputs of :class:`DataLake`."""

    config: LakeConfig
    """The stack's ``mlops:lake`` section: zones, lifecycle, admins, limits, protection."""
    environment: str
    """Environment name (``dev``, ``prod``, ``pr-42``): first part of every bucket and database name."""
    account_id: pulumi.Input[str]
    """AWS account id: scopes the key policy and makes bucket names globally unique."""
    region: str
    """AWS region of the lake (``kms:ViaService`` endpoints, bucket names)."""
    admin_role_arns: Sequence[pulumi.Input[str]] = ()
    """Extra Lake Formation administrators (e.g. the platform's deploy role), besides ``config.admins``.
    The role running ``pulumi up`` must be an administrator where this stack owns the settings: only
    administrators may grant Lake Formation permissions (:meth:`DataLake.grant`). Default: none."""


def bucket_name(environment: str, role: str, account_id: str, region: str) -> str:
    """Deterministic, globally unique bucket name ``<environment>-<role>-<account>-<region>``.

    When that exceeds S3's 63 characters, the region (then the account) is replaced by a short hash
    of all four parts, so the name stays unique and stable.
    """
    base = f"{environment}-{role}"
    for candidate in (f"{base}-{account_id}-{region}", f"{base}-{account_id}"):
        if len(candidate) <= _MAX_BUCKET_NAME:
            return _checked_bucket_name(candidate)
    digest = hashlib.sha256(f"{environment}/{role}/{account_id}/{region}".encode()).hexdigest()[:10]
    return _checked_bucket_name(f"{base[: _MAX_BUCKET_NAME - len(digest) - 1].rstrip('-')}-{digest}")


def _checked_bucket_name(name: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]", name) or "--" in name:
        raise ValueError(f"{name!r} is not a valid S3 bucket name (lowercase letters, digits, single '-')")
    if name.startswith(_RESERVED_PREFIXES) or name.endswith(_RESERVED_SUFFIXES):
        raise ValueError(f"{name!r} uses a prefix or suffix S3 reserves")
    return name


def database_name(environment: str, zone: str) -> str:
    """Glue database of a zone: ``<environment>_<zone>`` with '-' as '_' (Athena needs no quoting then)."""
    return f"{environment}_{zone}".replace("-", "_")


def zone_lifecycle_rules(lifecycle: LifecycleConfig) -> list[dict[str, Any]]:
    """Lifecycle rules of a zone bucket: abort stale uploads, expire old versions, tier current objects."""
    transitions = [{"days": lifecycle.infrequent_access_days, "storage_class": "STANDARD_IA"}]
    if lifecycle.glacier_days is not None:
        transitions.append({"days": lifecycle.glacier_days, "storage_class": "GLACIER_IR"})
    return [
        *_housekeeping_rules(lifecycle.noncurrent_version_days, lifecycle.abort_incomplete_upload_days),
        {"id": "tiering", "status": "Enabled", "filter": {"prefix": ""}, "transitions": transitions},
    ]


def expiring_lifecycle_rules(days: int, lifecycle: LifecycleConfig) -> list[dict[str, Any]]:
    """Lifecycle rules of a bucket whose objects expire after ``days`` (access logs, query results)."""
    return [
        *_housekeeping_rules(lifecycle.noncurrent_version_days, lifecycle.abort_incomplete_upload_days),
        {"id": "expire-objects", "status": "Enabled", "filter": {"prefix": ""}, "expiration": {"days": days}},
    ]


def _housekeeping_rules(noncurrent_days: int, abort_days: int) -> list[dict[str, Any]]:
    return [
        {
            "id": "abort-incomplete-multipart-uploads",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "abort_incomplete_multipart_upload": {"days_after_initiation": abort_days},
        },
        {
            "id": "expire-noncurrent-versions",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "noncurrent_version_expiration": {"noncurrent_days": noncurrent_days},
            # Delete markers left without versions behind them only slow down listings.
            "expiration": {"expired_object_delete_marker": True},
        },
    ]


def validate_args(args: DataLakeArgs) -> None:
    """Reject impossible plain values before any resource is created."""
    validate_placement(args.environment, args.region, args.account_id)
    if not args.config.zones:
        raise ValueError("mlops:lake.zones must name at least one zone")
    # Names are checked with a placeholder account id: the real one may be an output.
    for role in (*args.config.zones, ACCESS_LOGS, ATHENA_RESULTS):
        bucket_name(args.environment, role, "123456789012", args.region)
    admins = [*args.config.admins, *args.admin_role_arns]
    check_config_grants(args.config.grants, admins=admins, account_id=args.account_id)


class DataLake(pulumi.ComponentResource):
    """The governed data lake of one environment."""

    bucket_names: dict[str, pulumi.Output[str]]
    """Zone -> bucket name."""
    bucket_arns: dict[str, pulumi.Output[str]]
    """Zone -> bucket ARN."""
    database_names: dict[str, pulumi.Output[str]]
    """Zone -> Glue database name."""
    key_arn: pulumi.Output[str]
    """ARN of the lake's customer-managed KMS key."""
    key_id: pulumi.Output[str]
    """Id of the lake's KMS key."""
    log_bucket_name: pulumi.Output[str]
    """Bucket receiving the S3 server access logs of every lake bucket."""
    results_bucket_name: pulumi.Output[str]
    """Bucket holding Athena query results."""
    workgroup_name: pulumi.Output[str]
    """Athena workgroup (enforced configuration, KMS-encrypted results, bytes-scanned cutoff)."""
    registration_role_arn: pulumi.Output[str]
    """Role Lake Formation assumes to reach the registered zone locations."""

    def __init__(self, name: str, args: DataLakeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:datalake:DataLake", name, None, opts)
        validate_args(args)
        config, env, region = args.config, args.environment, args.region
        self._region = region
        account = pulumi.Output.from_input(args.account_id)
        child = pulumi.ResourceOptions(parent=self)
        # prod: `pulumi destroy` and replacements must not delete data or the key that decrypts it.
        keep = pulumi.ResourceOptions(parent=self, protect=config.protect, retain_on_delete=config.protect)

        key = aws.kms.Key(
            f"{name}-key",
            description=f"{env} data lake: zone buckets, Athena results",
            enable_key_rotation=True,
            rotation_period_in_days=365,
            deletion_window_in_days=30 if config.protect else 7,
            policy=account.apply(lambda a: key_policy(a, region, services=LAKE_KEY_SERVICES)),
            opts=keep,
        )
        aws.kms.Alias(f"{name}-key-alias", name=f"alias/{env}-lake", target_key_id=key.key_id, opts=child)

        def new_bucket(role: str) -> aws.s3.Bucket:
            return aws.s3.Bucket(
                f"{name}-{role}-bucket",
                bucket=account.apply(lambda a: bucket_name(env, role, a, region)),
                force_destroy=config.force_destroy,
                opts=keep,
            )

        zone_buckets = {zone: new_bucket(zone) for zone in config.zones}
        results = new_bucket(ATHENA_RESULTS)
        logs = new_bucket(ACCESS_LOGS)

        # The access-log bucket: SSE-S3, because server access logging supports only SSE-S3 default
        # encryption on the destination bucket, not SSE-KMS
        # (https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html).
        sources = [*zone_buckets.values(), results]
        log_policy = _from_outputs(
            [logs.arn, account, *(b.arn for b in sources)],
            lambda values: log_bucket_policy(values[0], values[2:], values[1]),
        )
        log_ready = self._controls(
            name,
            ACCESS_LOGS,
            logs,
            sse={"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}},
            policy=log_policy,
            rules=expiring_lifecycle_rules(config.access_log_days, config.lifecycle),
        )

        for zone, bucket in zone_buckets.items():
            self._encrypted_controls(
                name, zone, bucket, key, logs, log_ready, zone_lifecycle_rules(config.lifecycle_for(zone))
            )
        self._encrypted_controls(
            name,
            ATHENA_RESULTS,
            results,
            key,
            logs,
            log_ready,
            expiring_lifecycle_rules(config.athena_results_days, config.lifecycle),
        )

        # Lake Formation reaches the zones through its own role (not the service-linked role, which
        # cannot be named in the key policy before it exists), with read-write on the zones and the key.
        role = aws.iam.Role(
            f"{name}-lf-registration-role",
            description=f"{env}: Lake Formation access to the registered lake locations",
            assume_role_policy=assume_role_policy("lakeformation.amazonaws.com"),
            opts=child,
        )
        zones = list(zone_buckets)
        role_policy = aws.iam.RolePolicy(
            f"{name}-lf-registration-policy",
            role=role.id,
            policy=_from_outputs(
                [key.arn, *(zone_buckets[z].arn for z in zones)],
                lambda values: access_document(
                    [ZoneGrant(zone=z, bucket_arn=arn, write=True) for z, arn in zip(zones, values[1:], strict=True)],
                    key_arn=values[0],
                    region=region,
                ),
            ),
            opts=child,
        )

        catalog_deps: list[pulumi.Resource] = []
        if config.lake_formation_settings:
            settings = aws.lakeformation.DataLakeSettings(
                f"{name}-lake-formation-settings",
                catalog_id=account,
                admins=[*config.admins, *args.admin_role_arns],
                # Empty defaults take IAMAllowedPrincipals off new databases and tables: Lake Formation
                # grants, not broad IAM policies, decide who reads the catalogued data.
                create_database_default_permissions=[],
                create_table_default_permissions=[],
                opts=child,
            )
            catalog_deps.append(settings)

        databases: dict[str, pulumi.Output[str]] = {}
        targets: dict[str, ZoneTarget] = {}
        for zone, bucket in zone_buckets.items():
            location = aws.lakeformation.Resource(
                f"{name}-{zone}-location",
                arn=bucket.arn,
                role_arn=role.arn,
                use_service_linked_role=False,
                hybrid_access_enabled=False,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy, *catalog_deps]),
            )
            database = aws.glue.CatalogDatabase(
                f"{name}-{zone}-database",
                name=database_name(env, zone),
                catalog_id=account,
                description=f"{env} lake zone {zone}",
                location_uri=bucket.bucket.apply(lambda b: f"s3://{b}/"),
                opts=pulumi.ResourceOptions(parent=self, depends_on=catalog_deps),
            )
            databases[zone] = database.name
            targets[zone] = ZoneTarget(database=database, location=location, bucket_arn=bucket.arn)
        # Without grants only Lake Formation administrators could use the catalog (see lake_grants).
        self._catalog = LakeCatalog(
            lake=self,
            name=name,
            catalog_id=args.account_id,
            zones=targets,
            settings=catalog_deps,
            admins=[*config.admins, *args.admin_role_arns],
        )
        for grant in config.grants:
            self.grant(config_grant_name(grant.principal), grant.principal, grant.zones, write=grant.access == "write")

        # Results get their own bucket rather than a prefix of ml-artifacts: query users need write
        # there, which must not extend to model artifacts, and results expire within days.
        workgroup = aws.athena.Workgroup(
            f"{name}-workgroup",
            name=f"{env}-lake",
            description=f"{env} data lake queries",
            state="ENABLED",
            force_destroy=config.force_destroy,
            configuration={
                "enforce_workgroup_configuration": True,
                "publish_cloudwatch_metrics_enabled": True,
                "bytes_scanned_cutoff_per_query": config.athena_bytes_scanned_cutoff,
                "requester_pays_enabled": False,
                "result_configuration": {
                    "output_location": results.bucket.apply(lambda b: f"s3://{b}/"),
                    "expected_bucket_owner": account,
                    "encryption_configuration": {"encryption_option": "SSE_KMS", "kms_key_arn": key.arn},
                },
            },
            opts=child,
        )

        self.bucket_names = {zone: bucket.bucket for zone, bucket in zone_buckets.items()}
        self.bucket_arns = {zone: bucket.arn for zone, bucket in zone_buckets.items()}
        self.database_names = databases
        self.key_arn = key.arn
        self.key_id = key.key_id
        self.log_bucket_name = logs.bucket
        self.results_bucket_name = results.bucket
        self.workgroup_name = workgroup.name
        self.registration_role_arn = role.arn
        self.register_outputs(
            {
                "bucketNames": self.bucket_names,
                "bucketArns": self.bucket_arns,
                "databaseNames": self.database_names,
                "keyArn": self.key_arn,
                "keyId": self.key_id,
                "logBucketName": self.log_bucket_name,
                "resultsBucketName": self.results_bucket_name,
                "workgroupName": self.workgroup_name,
                "registrationRoleArn": self.registration_role_arn,
            }
        )

    def access_policy(
        self,
        *,
        read: Sequence[str] = (),
        write: Sequence[str] = (),
        prefixes: Mapping[str, Sequence[str]] | None = None,
    ) -> pulumi.Output[str]:
        """An IAM policy document reading ``read`` zones and writing ``write`` zones (see :mod:`lake_access`).

        ``prefixes`` limits a zone to key prefixes (default: the whole bucket). Raises ValueError
        naming the allowed zones for an unknown zone. Creates no resource.
        """
        prefixes = prefixes or {}
        wanted = [*((z, False) for z in read if z not in write), *((z, True) for z in write)]
        named = {zone for zone, _ in wanted} | set(prefixes)
        unknown = sorted(named - set(self.bucket_arns))
        if unknown:
            raise ValueError(f"unknown lake zone(s) {unknown}; allowed: {sorted(self.bucket_arns)}")
        if not wanted:
            raise ValueError("name at least one zone to read or write")
        # Check plain values now: an error inside apply() would surface only at deployment.
        for zone, zone_prefixes in prefixes.items():
            zone_statements(ZoneGrant(zone=zone, bucket_arn="arn:aws:s3:::placeholder", prefixes=tuple(zone_prefixes)))
        region = self._region

        def build(values: list[Any]) -> str:
            grants = [
                ZoneGrant(zone=zone, bucket_arn=arn, write=w, prefixes=tuple(prefixes.get(zone, ("",))))
                for (zone, w), arn in zip(wanted, values[1:], strict=True)
            ]
            return access_document(grants, key_arn=values[0], region=region)

        return _from_outputs([self.key_arn, *(self.bucket_arns[z] for z, _ in wanted)], build)

    def grant(
        self, name: str, principal: pulumi.Input[str], zones: Sequence[str], *, write: bool
    ) -> list[pulumi.Resource]:
        """Grant ``principal`` (an IAM role or user ARN) Lake Formation read, or read-write, on lake ``zones``.

        Read: DESCRIBE the zone databases, SELECT/DESCRIBE all their tables; write: also CREATE_TABLE,
        INSERT/DELETE/ALTER/DROP on the tables and DATA_LOCATION_ACCESS on the zone buckets (see
        :mod:`components.data.lake_grants`). Resources are children of the lake named
        ``<lake>-<name>-<zone>-{database,tables,location}-grant``. Raises ValueError for an unknown zone, an
        invalid name, a broad or administrator principal, or a principal already granted one of the zones.
        The principal's IAM policy must still allow the Glue/Athena/Lake Formation API calls.
        """
        return self._catalog.grant(name, principal, zones, write=write)

    def _controls(
        self,
        name: str,
        role: str,
        bucket: aws.s3.Bucket,
        *,
        sse: dict[str, Any],
        policy: pulumi.Input[str],
        rules: list[dict[str, Any]],
    ) -> list[pulumi.Resource]:
        """The controls every lake bucket has; returns those later configuration must wait for."""
        controls = bucket_controls(
            f"{name}-{role}", bucket, sse_rule=sse, policy=policy, lifecycle_rules=rules, parent=self
        )
        return [controls.policy, controls.ownership]

    def _encrypted_controls(
        self,
        name: str,
        role: str,
        bucket: aws.s3.Bucket,
        key: aws.kms.Key,
        logs: aws.s3.Bucket,
        log_ready: list[pulumi.Resource],
        rules: list[dict[str, Any]],
    ) -> None:
        """Controls of a bucket encrypted with the lake key, logging to the access-log bucket."""
        self._controls(
            name,
            role,
            bucket,
            sse={
                "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": key.arn},
                "bucket_key_enabled": True,
            },
            policy=_from_outputs([bucket.arn, key.arn], lambda v: encrypted_bucket_policy(v[0], v[1])),
            rules=rules,
        )
        aws.s3.BucketLogging(
            f"{name}-{role}-logging",
            bucket=bucket.id,
            target_bucket=logs.id,
            target_prefix=f"{role}/",
            target_object_key_format={"partitioned_prefix": {"partition_date_source": "EventTime"}},
            # Delivery needs the log bucket's policy (ACLs are disabled there).
            opts=pulumi.ResourceOptions(parent=self, depends_on=log_ready),
        )


def _from_outputs(values: Sequence[pulumi.Input[Any]], build: Callable[[list[Any]], str]) -> pulumi.Output[str]:
    """``build(resolved_values)`` once all ``values`` are known: a policy document from outputs."""
    return pulumi.Output.all(*values).apply(lambda resolved: build(list(resolved)))
