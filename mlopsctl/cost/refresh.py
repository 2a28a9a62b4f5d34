"""``mlopsctl prices refresh``: download the Price List offer files of the services the model prices and
write ``cost/prices/<region>.json`` with only the prices it needs, their SKUs, source URLs and dates.

Each rule below turns one kind of price-list row into one price key (see ``mlopsctl.cost.prices``).
Usage types carry a region prefix in most regions (``EU-NatGateway-Hours`` in eu-west-1, none or
``USE1-`` in us-east-1, ``eu-west-1-`` for KMS); ``_usage`` strips exactly one such prefix, so look-alikes such as
``EU-RegionalNatGateway-Hours`` or ``EU-Outposts-LoadBalancerUsage`` never match.
"""

from __future__ import annotations

import io
import re
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from mlopsctl.cost.offers import Offer, OfferError, PriceRow, parse_offer
from mlopsctl.cost.prices import SNAPSHOT_SCHEMA, PriceError

OFFER_URL = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/{service}/current/{region}/index.json"
REFRESH_ORIGIN = "AWS Price List bulk offer files (mlopsctl prices refresh)"

Opener = Callable[[str], TextIO]
"""Opens a URL as text; tests pass one that reads fixture files."""

_PREFIX = re.compile(r"^(?:[A-Z0-9]+|[a-z]{2}(?:-[a-z]+)+-[0-9])-(?=.)")
"""``EU-``, ``USE1-`` or, for KMS, the region code itself (``eu-west-1-KMS-Keys``)."""


def _usage(attrs: Mapping[str, str]) -> str:
    return _PREFIX.sub("", attrs.get("usagetype", ""), count=1)


def _is(attrs: Mapping[str, str], name: str) -> bool:
    """Whether the usage type is ``name``, with or without a region prefix (``KMS-Keys`` has no prefix
    in us-east-1, so the stripped form alone would read it as ``Keys``)."""
    usage = attrs.get("usagetype", "")
    return usage == name or _usage(attrs) == name


def _first_tier(row: PriceRow) -> bool:
    return row.begin_range in ("0", "0.0", "")


@dataclass(frozen=True)
class Rule:
    """Which rows of one service's offer file become which price key."""

    service: str
    key: Callable[[PriceRow], str | None]

    def keep(self, family: str, attributes: Mapping[str, str]) -> bool:
        """Whether a product can yield a price at all: only those are held while the file streams by."""
        probe = PriceRow(sku="", product_family=family, attributes=attributes, unit="", usd=0.0, description="")
        return self.key(probe) is not None


def _ec2(row: PriceRow) -> str | None:
    a, fam = row.attributes, row.product_family
    if fam == "Compute Instance":
        nominal = (
            a.get("operatingSystem") == "Linux"
            and a.get("tenancy") == "Shared"
            and a.get("preInstalledSw") == "NA"
            and a.get("capacitystatus") == "Used"
            and a.get("licenseModel", "No License required") == "No License required"
            and a.get("marketoption", "OnDemand") == "OnDemand"
        )
        itype = a.get("instanceType", "")
        return f"ec2.instanceHour:{itype}" if nominal and itype and _is(a, f"BoxUsage:{itype}") else None
    if fam == "NAT Gateway":
        return {"NatGateway-Hours": "nat.hour", "NatGateway-Bytes": "nat.gbProcessed"}.get(_usage(a))
    if fam == "Storage" and a.get("volumeApiName") == "gp3" and _is(a, "EBS:VolumeUsage.gp3"):
        return "ebs.gp3.gbMonth"
    return None


def _vpc(row: PriceRow) -> str | None:
    usage = _usage(row.attributes)
    if usage == "PublicIPv4:InUseAddress":
        return "vpc.publicIpv4Hour"
    if usage == "VpcEndpoint-Hours":
        return "vpce.interfaceHour"
    if usage == "VpcEndpoint-Bytes" and _first_tier(row):
        return "vpce.gbProcessed"
    return None


def _rds(row: PriceRow) -> str | None:
    a, fam = row.attributes, row.product_family
    single_az = a.get("deploymentOption") == "Single-AZ"
    if fam == "Database Instance" and single_az and a.get("databaseEngine") == "PostgreSQL":
        itype = a.get("instanceType", "")
        return f"rds.instanceHour:postgres:{itype}" if _is(a, f"InstanceUsage:{itype}") else None
    if fam == "Database Storage" and single_az and a.get("volumeType") == "General Purpose-GP3":
        return "rds.gp3.gbMonth" if _is(a, "RDS:GP3-Storage") else None
    if fam == "Storage Snapshot" and _is(a, "RDS:ChargedBackupUsage"):
        return "rds.backup.gbMonth"
    return None


def _elb(row: PriceRow) -> str | None:
    kind = {"Load Balancer-Application": "application", "Load Balancer-Network": "network"}.get(row.product_family)
    suffix = {"LoadBalancerUsage": "hour", "LCUUsage": "lcuHour"}.get(_usage(row.attributes))
    return f"elb.{kind}.{suffix}" if kind and suffix else None


def _by_usage(table: Mapping[str, str], first_tier_only: bool = False) -> Callable[[PriceRow], str | None]:
    def key(row: PriceRow) -> str | None:
        if first_tier_only and not _first_tier(row):
            return None
        return table.get(row.attributes.get("usagetype", "")) or table.get(_usage(row.attributes))

    return key


_CODEBUILD = re.compile(r"^Build-Min:Linux:g1\.(small|medium|large|xlarge|2xlarge)$")


def _codebuild(row: PriceRow) -> str | None:
    match = _CODEBUILD.match(_usage(row.attributes))
    return f"codebuild.buildMinute:BUILD_GENERAL1_{match.group(1).upper()}" if match else None


_S3_STANDARD = _by_usage({"TimedStorage-ByteHrs": "s3.standard.gbMonth"}, first_tier_only=True)


def _s3(row: PriceRow) -> str | None:
    standard = row.product_family == "Storage" and row.attributes.get("volumeType") == "Standard"
    return _S3_STANDARD(row) if standard else None


RULES: tuple[Rule, ...] = (
    Rule("AmazonEKS", _by_usage({"AmazonEKS-Hours:perCluster": "eks.clusterHour"})),
    Rule("AmazonEC2", _ec2),
    Rule("AmazonVPC", _vpc),
    Rule("AmazonRDS", _rds),
    Rule("AmazonRedshift", _by_usage({"Redshift:ServerlessUsage": "redshiftServerless.rpuHour"})),
    Rule("AmazonS3", _s3),
    Rule("awskms", _by_usage({"KMS-Keys": "kms.keyMonth"})),
    Rule(
        "AmazonCloudWatch",
        _by_usage(
            {
                "DataProcessing-Bytes": "logs.ingestGb",
                "VendedLog-Bytes": "logs.vendedIngestGb",
                "TimedStorage-ByteHrs": "logs.storageGbMonth",
            },
            first_tier_only=True,
        ),
    ),
    Rule(
        "AWSSecretsManager",
        _by_usage(
            {
                "AWSSecretsManager-Secrets": "secretsmanager.secretMonth",
                "AWSSecretsManager-APIRequests": "secretsmanager.apiRequest",
            }
        ),
    ),
    Rule("AWSELB", _elb),
    Rule("AmazonECR", _by_usage({"TimedStorage-ByteHrs": "ecr.storageGbMonth"}, first_tier_only=True)),
    Rule("CodeBuild", _codebuild),
)


def extract(rule: Rule, offer: Offer, url: str) -> dict[str, dict[str, Any]]:
    """The price entries one offer file yields under ``rule``. Several rows for one key: the lowest non-zero
    price wins (a zero row is a free-tier or decoy dimension and only counts when nothing else matched)."""
    date = str(offer.header.get("publicationDate", ""))[:10]
    found: dict[str, dict[str, Any]] = {}
    for row in offer.rows:
        key = rule.key(row)
        if key is None:
            continue
        entry = {
            "usd": row.usd,
            "unit": row.unit,
            "description": row.description,
            "source": f"{url} (sku {row.sku})",
            "date": date,
        }
        if key not in found or (row.usd == 0, row.usd) < (found[key]["usd"] == 0, found[key]["usd"]):
            found[key] = entry
    return found


def _urlopen(url: str) -> TextIO:
    response = urllib.request.urlopen(url, timeout=120)  # a fixed https Price List URL
    return io.TextIOWrapper(response, encoding="utf-8")


def refresh(
    region: str,
    *,
    opener: Opener | None = None,
    rules: Iterable[Rule] = RULES,
    today: str | None = None,
) -> dict[str, Any]:
    """Download and parse every service's offer file for ``region``; returns the snapshot document."""
    open_url = opener or _urlopen
    prices: dict[str, dict[str, Any]] = {}
    sources: dict[str, Any] = {}
    for rule in rules:
        url = OFFER_URL.format(service=rule.service, region=region)
        try:
            with closing(open_url(url)) as stream:
                offer = parse_offer(stream, rule.keep)
        except OfferError as exc:
            raise PriceError(f"{url}: {exc}") from None
        except OSError as exc:
            raise PriceError(f"{url}: cannot download: {exc}") from None
        sources[rule.service] = {
            "url": url,
            "publicationDate": offer.header.get("publicationDate", ""),
            "version": offer.header.get("version", ""),
        }
        prices.update(extract(rule, offer, url))
    return {
        "schema": SNAPSHOT_SCHEMA,
        "region": region,
        "currency": "USD",
        "date": today or datetime.now(UTC).date().isoformat(),
        "origin": REFRESH_ORIGIN,
        "sources": sources,
        "prices": prices,
    }
