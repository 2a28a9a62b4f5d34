"""Route 53 private hosted zones of phoenix stacks (the way in's ``<domain>`` zone): records first, then the zone.

Hosted zones are global. Only private zones are swept: a public zone carries a delegation the stack does not own
(the way in writes into a public zone the user names, never creates one), so a public zone is reported, never
deleted, whatever its tags say.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from mlopsctl.phoenix.aws import AwsScope, pages, tag_dict
from mlopsctl.phoenix.handlers.access_errors import translated
from mlopsctl.phoenix.handlers.base import Found, Handler

_TAG_BATCH = 10  # ListTagsForResources takes at most 10 ids
_CHANGE_BATCH = 100
PUBLIC_ZONE = "public hosted zone: its delegation is not the stack's; never swept"


def _route53(scope: AwsScope) -> Any:
    return scope.client("route53")


def _zone_id(value: str) -> str:
    return value.rsplit("/", 1)[-1]


def _tags(scope: AwsScope, ids: Sequence[str]) -> dict[str, dict[str, str]]:
    tags: dict[str, dict[str, str]] = {}
    for start in range(0, len(ids), _TAG_BATCH):
        response = _route53(scope).list_tags_for_resources(
            ResourceType="hostedzone", ResourceIds=list(ids[start : start + _TAG_BATCH])
        )
        for item in response.get("ResourceTagSets", []):
            tags[item["ResourceId"]] = tag_dict(item.get("Tags"))
    return tags


def collect_hosted_zones(scope: AwsScope) -> Iterator[Found]:
    zones = list(pages(_route53(scope), "list_hosted_zones", "HostedZones"))
    tags = _tags(scope, [_zone_id(z["Id"]) for z in zones])
    for zone in zones:
        zone_id = _zone_id(zone["Id"])
        private = bool((zone.get("Config") or {}).get("PrivateZone"))
        yield Found(
            kind="route53:hosted-zone",
            id=zone_id,
            region="global",
            tags=tags.get(zone_id, {}),
            name=zone.get("Name", zone_id),
            context={"name": zone.get("Name", "")},
            protected=None if private else PUBLIC_ZONE,
        )


def delete_hosted_zone(scope: AwsScope, found: Found) -> None:
    client = _route53(scope)
    apex = str(found.context.get("name", ""))
    changes = [
        {"Action": "DELETE", "ResourceRecordSet": record}
        for record in pages(client, "list_resource_record_sets", "ResourceRecordSets", HostedZoneId=found.id)
        # The zone's own SOA and apex NS records go with the zone (DeleteHostedZone refuses any other record).
        if not (record["Type"] in ("SOA", "NS") and record["Name"] == apex)
    ]
    for start in range(0, len(changes), _CHANGE_BATCH):
        translated(
            client.change_resource_record_sets,
            HostedZoneId=found.id,
            ChangeBatch={"Changes": changes[start : start + _CHANGE_BATCH]},
        )
    translated(client.delete_hosted_zone, Id=found.id)


HOSTED_ZONES = Handler("route53:hosted-zone", collect_hosted_zones, delete_hosted_zone, scope="global")
"""Before ``ec2:vpc`` (a private zone is associated with the VPC)."""
