"""Price snapshots: ``cost/prices/<region>.json``, one file per AWS region, read by the cost model.

A snapshot is data, never code: every price carries its unit, its source (URL or repository path) and
the date it was read, and the snapshot carries its own date and origin. ``mlopsctl prices refresh``
writes snapshots from AWS's public Price List (see ``mlopsctl.cost.offers``); a snapshot assembled by
hand says so in ``origin``. A price the model needs but the snapshot lacks is *unpriced*: the estimate
lists it and never guesses.

Price keys name what is priced, not where it came from::

    eks.clusterHour                                 per cluster-hour (standard support)
    ec2.instanceHour:<type>                          Linux, shared tenancy, on-demand, per instance-hour
    ebs.gp3.gbMonth                                  EBS gp3 storage
    nat.hour / nat.gbProcessed                       NAT gateway hour / GB processed
    vpc.publicIpv4Hour                               public IPv4 address in use, per hour
    vpce.interfaceHour / vpce.gbProcessed            interface endpoint per AZ-hour / GB processed
    rds.instanceHour:postgres:<class>                Single-AZ PostgreSQL instance-hour
    rds.gp3.gbMonth / rds.backup.gbMonth             Single-AZ gp3 storage / backup storage beyond free
    redshiftServerless.rpuHour                       Redshift Serverless RPU-hour
    s3.standard.gbMonth                              S3 Standard, first tier
    kms.keyMonth                                     customer managed KMS key
    logs.ingestGb / logs.vendedIngestGb / logs.storageGbMonth    CloudWatch Logs
    secretsmanager.secretMonth / secretsmanager.apiRequest
    elb.application.hour / elb.application.lcuHour / elb.network.hour / elb.network.lcuHour
    ecr.storageGbMonth
    codebuild.buildMinute:<computeType>              Linux, e.g. codebuild.buildMinute:BUILD_GENERAL1_MEDIUM
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SNAPSHOT_SCHEMA = "mlops-prices/1"
PRICES_DIR = Path("cost") / "prices"
"""Where snapshots live, relative to the project root."""


class PriceError(Exception):
    """A snapshot that is missing or unusable; the message names the file and the key (CLI exit 2)."""


@dataclass(frozen=True)
class Price:
    """One unit price and where it came from."""

    key: str
    usd: float
    unit: str
    source: str
    date: str
    description: str = ""
    note: str = ""


@dataclass(frozen=True)
class PriceSnapshot:
    """All prices of one region, as of ``date``."""

    region: str
    date: str
    origin: str
    currency: str = "USD"
    prices: Mapping[str, Price] = field(default_factory=dict)
    sources: Mapping[str, Any] = field(default_factory=dict)
    path: str = ""

    def get(self, key: str) -> Price | None:
        """The price for ``key``, or None when the snapshot has none (the item is then unpriced)."""
        return self.prices.get(key)

    def summary(self) -> dict[str, str]:
        """The ``priceSnapshot`` block printed next to every estimate."""
        return {"date": self.date, "region": self.region, "origin": self.origin}


def snapshot_path(root: Path, region: str) -> Path:
    """``<root>/cost/prices/<region>.json``."""
    return root / PRICES_DIR / f"{region}.json"


def _need(obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = obj.get(key)
    if value is None:
        raise PriceError(f"{where}.{key}: missing")
    if not isinstance(value, kind) or isinstance(value, bool):
        raise PriceError(f"{where}.{key}: expected {getattr(kind, '__name__', kind)}, got {type(value).__name__}")
    return value


def parse_snapshot(doc: Any, origin_name: str) -> PriceSnapshot:
    """Validate a snapshot document; errors name ``origin_name`` and the key."""
    if not isinstance(doc, dict):
        raise PriceError(f"{origin_name}: expected a JSON object")
    if doc.get("schema") != SNAPSHOT_SCHEMA:
        raise PriceError(f"{origin_name}: schema is {doc.get('schema')!r}; expected {SNAPSHOT_SCHEMA!r}")
    region = _need(doc, "region", str, origin_name)
    date = _need(doc, "date", str, origin_name)
    origin = _need(doc, "origin", str, origin_name)
    currency = doc.get("currency", "USD")
    if currency != "USD":
        raise PriceError(f"{origin_name}.currency: {currency!r}; only USD is supported")
    raw_prices = _need(doc, "prices", dict, origin_name)
    prices: dict[str, Price] = {}
    for key in sorted(raw_prices):
        where = f"{origin_name}: prices.{key}"
        entry = raw_prices[key]
        if not isinstance(entry, dict):
            raise PriceError(f"{where}: expected an object")
        usd = _need(entry, "usd", (int, float), where)
        if usd < 0:
            raise PriceError(f"{where}.usd: {usd} is negative")
        prices[key] = Price(
            key=key,
            usd=float(usd),
            unit=_need(entry, "unit", str, where),
            source=_need(entry, "source", str, where),
            date=_need(entry, "date", str, where),
            description=str(entry.get("description", "")),
            note=str(entry.get("note", "")),
        )
    sources = doc.get("sources", {})
    return PriceSnapshot(
        region=region,
        date=date,
        origin=origin,
        currency=currency,
        prices=prices,
        sources=sources if isinstance(sources, dict) else {},
        path=origin_name,
    )


def load_snapshot(path: Path) -> PriceSnapshot:
    """Read and validate one snapshot file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        region = path.stem
        raise PriceError(
            f"{path}: no price snapshot for region {region!r}; run `mlopsctl prices refresh --region {region}`"
        ) from None
    except OSError as exc:
        raise PriceError(f"{path}: cannot read: {exc}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PriceError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    return parse_snapshot(doc, str(path))


def load_region(root: Path, region: str) -> PriceSnapshot:
    """The snapshot of ``region`` under ``root``; its ``region`` field must agree with the file name."""
    snapshot = load_snapshot(snapshot_path(root, region))
    if snapshot.region != region:
        raise PriceError(f"{snapshot.path}.region: {snapshot.region!r}, but the file is for {region!r}")
    return snapshot


def dump_snapshot(doc: Mapping[str, Any]) -> str:
    """Canonical JSON text of a snapshot document (sorted keys, two-space indent, trailing newline)."""
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
