"""Lake Formation grants of the governed lake: which principal may use which zone's catalog and data.

The lake takes ``IAMAllowedPrincipals`` off new databases and tables (empty default permissions in
``DataLakeSettings``) and registers every zone bucket in Lake Formation mode, so after a deployment
only Lake Formation administrators can use the catalog until explicit grants exist. A grant of one
principal on one zone is up to three ``aws.lakeformation.Permissions``:

- ``database``: the zone's Glue database (read: ``DESCRIBE``; write: also ``CREATE_TABLE``);
- ``tables``: every table of that database through the table wildcard (read: ``SELECT``,
  ``DESCRIBE``; write: also ``INSERT``, ``DELETE``, ``ALTER``, ``DROP``);
- ``location`` (write only): ``DATA_LOCATION_ACCESS`` on the registered zone bucket, which Lake
  Formation requires to create or alter tables whose data lives there.

Permission names and the resource each applies to: Lake Formation permissions reference
(https://docs.aws.amazon.com/lake-formation/latest/dg/lf-permissions-reference.html); the table
wildcard ("all tables in a database"):
https://docs.aws.amazon.com/lake-formation/latest/dg/granting-table-permissions.html; data
location permissions: https://docs.aws.amazon.com/lake-formation/latest/dg/access-control-underlying-data.html.

The grantor is whoever runs ``pulumi up``: Lake Formation accepts grants only from a data lake
administrator (or a holder of the grant option), so the deployer's role must be in
``DataLakeSettings.admins`` (``DataLakeArgs.admin_role_arns``). A grantee must not be an
administrator: administrators hold implicit permissions the provider cannot revoke
(https://docs.aws.amazon.com/lake-formation/latest/dg/implicit-permissions.html).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

DATABASE_READ = ("DESCRIBE",)
"""Read on a zone database: see it and its metadata."""
DATABASE_WRITE = ("CREATE_TABLE", "DESCRIBE")
"""Write on a zone database: also create tables in it. Not ``ALTER``/``DROP``: on a database those alter
(e.g. its location) or drop the database itself, which this program owns; dropping and altering tables
comes from the table grant."""
TABLE_READ = ("DESCRIBE", "SELECT")
"""Read on every table of a zone: query the data and see the metadata."""
TABLE_WRITE = ("ALTER", "DELETE", "DESCRIBE", "DROP", "INSERT", "SELECT")
"""Write on every table of a zone: also insert and delete data, alter and drop the tables."""
LOCATION_WRITE = ("DATA_LOCATION_ACCESS",)
"""On the registered zone bucket: create and alter tables whose data lives there."""

BROAD_PRINCIPALS = re.compile(r"^(IAM_ALLOWED_PRINCIPALS|\d{12}:IAMPrincipals)$")
"""Lake Formation's pseudo-principals standing for every IAM principal IAM policies allow (or every IAM
principal of an account): granting them hands access control back to IAM."""
_IAM_PRINCIPAL = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):(role|user)/\S+$")
_GRANT_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$")


def database_permissions(*, write: bool) -> list[str]:
    """Lake Formation permissions on a zone's Glue database."""
    return list(DATABASE_WRITE if write else DATABASE_READ)


def table_permissions(*, write: bool) -> list[str]:
    """Lake Formation permissions on every table of a zone (table wildcard)."""
    return list(TABLE_WRITE if write else TABLE_READ)


def config_grant_name(principal: str) -> str:
    """Stable grant name of a ``mlops:lake.grants`` entry: the principal's name and a short hash of its ARN.

    Derived from the principal rather than the list index, so reordering or removing entries does
    not rename (revoke and re-grant) the others: ``arn:aws:iam::1:role/team/analysts`` -> ``analysts-<8 hex>``.
    """
    slug = re.sub(r"[^a-z0-9]+", "-", principal.rsplit("/", 1)[-1].lower()).strip("-")[:24].strip("-")
    digest = hashlib.sha256(principal.encode()).hexdigest()[:8]
    return f"{slug}-{digest}" if slug else f"principal-{digest}"


def check_principal(principal: str, *, admins: Collection[str] = (), account_id: str | None = None) -> None:
    """Reject a principal Lake Formation grants must not name: raises ValueError saying why.

    Only IAM role or user ARNs (of ``account_id`` when given) are allowed; never the broad
    pseudo-principals, never a Lake Formation administrator.
    """
    if BROAD_PRINCIPALS.match(principal):
        raise ValueError(
            f"{principal!r} stands for every IAM-allowed principal: grant named roles, IAMAllowedPrincipals "
            "must stay off the lake"
        )
    match = _IAM_PRINCIPAL.match(principal)
    if not match:
        raise ValueError(f"{principal!r} is not an IAM role or user ARN (arn:aws:iam::<account>:role/<name>)")
    if account_id is not None and match.group(1) != account_id:
        raise ValueError(
            f"{principal!r} is in account {match.group(1)}, not the lake's account {account_id}: cross-account "
            "grants need resource sharing this lake does not set up"
        )
    if principal in admins:
        raise ValueError(
            f"{principal!r} is a Lake Formation administrator: administrators have implicit permissions, which a "
            "grant cannot manage (revoking them on destroy fails)"
        )


def check_config_grants(
    grants: Sequence[Any], *, admins: Iterable[pulumi.Input[str]], account_id: pulumi.Input[str]
) -> None:
    """Validate ``mlops:lake.grants`` (``LakeGrantConfig`` entries) before anything is created.

    Each principal is checked with :func:`check_principal` (against the administrators and account
    known as plain values; outputs cannot be compared before deployment), and may appear on a zone at
    most once: two grants of one principal on one zone would manage the same permissions twice.
    """
    plain_admins = [a for a in admins if isinstance(a, str)]
    account = account_id if isinstance(account_id, str) else None
    seen: dict[tuple[str, str], int] = {}
    for index, grant in enumerate(grants):
        try:
            check_principal(grant.principal, admins=plain_admins, account_id=account)
        except ValueError as error:
            raise ValueError(f"mlops:lake.grants[{index}].principal: {error}") from None
        for zone in grant.zones:
            first = seen.setdefault((grant.principal, zone), index)
            if first != index:
                raise ValueError(
                    f"mlops:lake.grants[{first}] and grants[{index}] both grant zone {zone!r} to "
                    f"{grant.principal!r}; merge them into one entry (write includes read)"
                )


@dataclass(frozen=True)
class ZoneTarget:
    """What grants on one zone point at."""

    database: aws.glue.CatalogDatabase
    """The zone's Glue database."""
    location: aws.lakeformation.Resource
    """The zone bucket's Lake Formation registration."""
    bucket_arn: pulumi.Input[str]
    """ARN of the zone bucket: the registered location (``location.arn`` echoes it)."""


@dataclass
class LakeCatalog:
    """The lake's grant targets and the grants made so far (to refuse duplicates)."""

    lake: pulumi.Resource
    """Parent of every grant (the DataLake component)."""
    name: str
    """The lake's logical name: first part of every grant's name."""
    catalog_id: pulumi.Input[str]
    """The account's Data Catalog id (the account id)."""
    zones: Mapping[str, ZoneTarget]
    settings: Sequence[pulumi.Resource] = ()
    """The ``DataLakeSettings`` when this stack owns them: they make the deployer an administrator."""
    admins: Iterable[pulumi.Input[str]] = ()
    """Administrator ARNs: grantees must not be among those known as plain values."""
    _names: set[str] = field(default_factory=set)
    _granted: dict[tuple[Any, str], str] = field(default_factory=dict)

    def grant(
        self, name: str, principal: pulumi.Input[str], zones: Sequence[str], *, write: bool
    ) -> list[pulumi.Resource]:
        """Grant ``principal`` read (or read-write) on ``zones``; see :meth:`DataLake.grant`."""
        if not _GRANT_NAME.match(name):
            raise ValueError(f"grant name {name!r} must be 1-40 lowercase letters, digits and '-'")
        if not zones:
            raise ValueError(f"grant {name!r}: name at least one zone")
        unknown = sorted(set(zones) - set(self.zones))
        if unknown:
            raise ValueError(f"grant {name!r}: unknown lake zone(s) {unknown}; allowed: {sorted(self.zones)}")
        if isinstance(principal, str):
            account = self.catalog_id if isinstance(self.catalog_id, str) else None
            check_principal(principal, admins=[a for a in self.admins if isinstance(a, str)], account_id=account)
        # A plain ARN is compared by value; an output (a role created by this program) by identity.
        key = principal if isinstance(principal, str) else id(principal)
        for zone in zones:
            previous = self._granted.get((key, zone))
            if previous is not None:
                raise ValueError(
                    f"grant {name!r}: zone {zone!r} is already granted to this principal by grant {previous!r}; "
                    "one grant per principal and zone (write includes read)"
                )
        logical = {zone: f"{self.name}-{name}-{zone}" for zone in zones}
        taken = sorted(n for n in logical.values() if n in self._names)
        if taken:
            raise ValueError(f"grant {name!r}: resource names {taken} are already used by another grant")
        # Plain values are all checked: only now record the grant and create resources.
        for zone in zones:
            self._granted[(key, zone)] = name
        self._names.update(logical.values())
        created: list[pulumi.Resource] = []
        for zone in dict.fromkeys(zones):
            created.extend(self._zone(logical[zone], principal, self.zones[zone], write=write))
        return created

    def _zone(
        self, prefix: str, principal: pulumi.Input[str], target: ZoneTarget, *, write: bool
    ) -> list[pulumi.Resource]:
        # The grantor must be an administrator (the settings), the database must exist, and data
        # permissions apply only on a registered location (the provider also retries "register the
        # S3 path" and "Invalid principal" while IAM propagates, but order it explicitly).
        base: list[pulumi.Resource] = [*self.settings, target.database, target.location]
        database = aws.lakeformation.Permissions(
            f"{prefix}-database-grant",
            principal=principal,
            catalog_id=self.catalog_id,
            permissions=database_permissions(write=write),
            database={"name": target.database.name},
            opts=pulumi.ResourceOptions(parent=self.lake, depends_on=base),
        )
        # Table wildcard = every current and future table of the database. AWS lists SELECT on it back
        # as a TableWithColumns/ALL_TABLES permission and the rest as Table/TableWildcard; the provider
        # reconciles both (terraform-provider-aws internal/service/lakeformation/filter.go). The table
        # grant waits for the database grant, so a destroy revokes tables first.
        tables = aws.lakeformation.Permissions(
            f"{prefix}-tables-grant",
            principal=principal,
            catalog_id=self.catalog_id,
            permissions=table_permissions(write=write),
            table={"database_name": target.database.name, "wildcard": True},
            opts=pulumi.ResourceOptions(parent=self.lake, depends_on=[*base, database]),
        )
        created: list[pulumi.Resource] = [database, tables]
        if write:
            created.append(
                aws.lakeformation.Permissions(
                    f"{prefix}-location-grant",
                    principal=principal,
                    catalog_id=self.catalog_id,
                    permissions=list(LOCATION_WRITE),
                    data_location={"arn": target.bucket_arn},
                    opts=pulumi.ResourceOptions(parent=self.lake, depends_on=base),
                )
            )
        return created


GLUE_READ_ACTIONS = (
    "glue:GetDatabase",
    "glue:GetDatabases",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:GetTable",
    "glue:GetTables",
)
GLUE_WRITE_ACTIONS = (
    "glue:BatchCreatePartition",
    "glue:BatchDeletePartition",
    "glue:CreatePartition",
    "glue:CreateTable",
    "glue:DeletePartition",
    "glue:DeleteTable",
    "glue:UpdatePartition",
    "glue:UpdateTable",
)


def catalog_api_document(
    *, partition: str, region: str, account: str, reads: Sequence[str] = (), writes: Sequence[str] = ()
) -> str:
    """The IAM side of Lake Formation grants: Glue catalog calls on the ``reads`` and ``writes`` databases
    and their tables (table changes only on ``writes``), and ``lakeformation:GetDataAccess`` (temporary
    credentials for registered data; it takes no resource). Lake Formation decides what the caller may
    see; IAM must still allow the calls
    (https://docs.aws.amazon.com/lake-formation/latest/dg/permissions-reference.html).
    """
    if not reads and not writes:
        raise ValueError("catalog_api_document: name at least one database")
    prefix = f"arn:{partition}:glue:{region}:{account}"

    def resources(databases: Sequence[str]) -> list[str]:
        arns = [f"{prefix}:catalog"]
        for database in sorted(databases):
            arns += [f"{prefix}:database/{database}", f"{prefix}:table/{database}/*"]
        return arns

    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadCatalogOfGrantedZones",
            "Effect": "Allow",
            "Action": list(GLUE_READ_ACTIONS),
            "Resource": resources([*reads, *writes]),
        }
    ]
    if writes:
        statements.append(
            {
                "Sid": "ChangeTablesOfWrittenZones",
                "Effect": "Allow",
                "Action": list(GLUE_WRITE_ACTIONS),
                "Resource": resources(writes),
            }
        )
    statements.append(
        {"Sid": "LakeFormationCredentials", "Effect": "Allow", "Action": "lakeformation:GetDataAccess", "Resource": "*"}
    )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})
