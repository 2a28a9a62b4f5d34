"""The reaper and the way in: a phoenix stack's certificates, private hosted zones (records first), user pools
(domain first), web ACLs (associations first), trust stores and Verified Access pieces go; decoys stay.

ACM, Route 53, Cognito and WAFv2 run against in-process moto; moto 5.2.6 implements neither ELB trust stores nor
Verified Access ("has not been implemented"), so those handlers are checked against botocore's Stubber, request by
request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber
from phoenix_testkit import DECOYS, EXPIRED, NOW, REGION, kv

from mlopsctl.phoenix.aws import AwsScope
from mlopsctl.phoenix.expiry import parse_timestamp
from mlopsctl.phoenix.handlers import acm, cognito, elbv2_trust_stores, route53, verifiedaccess, wafv2
from mlopsctl.phoenix.handlers.base import Found, Handler
from mlopsctl.phoenix.retry import RetryPolicy
from mlopsctl.phoenix.sweep import ResourceResult, SweepOptions, sweep

ACCOUNT = "123456789012"


def run(
    session: Any, handlers: tuple[Handler, ...], *, execute: bool = True, **scope_kwargs: Any
) -> list[ResourceResult]:
    scope = AwsScope(session=session, region=REGION, account=ACCOUNT, waiter_delay=0, **scope_kwargs)
    options = SweepOptions(
        now=parse_timestamp(NOW),
        execute=execute,
        policy=RetryPolicy(max_attempts=2),
        sleep=lambda _s: None,
        handlers=handlers,
    )
    return sweep([scope], options)


def deleted(results: list[ResourceResult]) -> set[str]:
    return {r.name for r in results if r.status == "deleted"}


# --- ACM ---------------------------------------------------------------------------------------------------------


def test_expired_certificates_go_and_decoys_stay(moto_session: Any) -> None:
    client = moto_session.client("acm", region_name=REGION)

    def request(domain: str, tags: dict[str, str]) -> None:
        client.request_certificate(DomainName=domain, ValidationMethod="DNS", **({"Tags": kv(tags)} if tags else {}))

    request("pr7.ml.example.com", EXPIRED)
    for label, tags in DECOYS.items():
        request(f"{label}.ml.example.com", tags)
    assert deleted(run(moto_session, (acm.CERTIFICATES,), execute=False)) == set()
    assert deleted(run(moto_session, (acm.CERTIFICATES,))) == {"pr7.ml.example.com"}
    left = {c["DomainName"] for c in client.list_certificates()["CertificateSummaryList"]}
    assert left == {f"{label}.ml.example.com" for label in DECOYS}


# --- Route 53 ----------------------------------------------------------------------------------------------------


def _zone(session: Any, name: str, tags: dict[str, str], *, private: bool = True) -> str:
    route53 = session.client("route53", region_name=REGION)
    kwargs: dict[str, Any] = {"Name": name, "CallerReference": name}
    if private:
        vpc = session.client("ec2", region_name=REGION).create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
        kwargs.update(HostedZoneConfig={"PrivateZone": True, "Comment": "x"}, VPC={"VPCRegion": REGION, "VPCId": vpc})
    zone_id = str(route53.create_hosted_zone(**kwargs)["HostedZone"]["Id"]).rsplit("/", 1)[-1]
    if tags:
        route53.change_tags_for_resource(ResourceType="hostedzone", ResourceId=zone_id, AddTags=kv(tags))
    route53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": f"mlflow.{name}",
                        "Type": "A",
                        "TTL": 60,
                        "ResourceRecords": [{"Value": "10.40.200.10"}],
                    },
                }
            ]
        },
    )
    return zone_id


def test_private_zones_go_with_their_records_public_ones_never(moto_session: Any) -> None:
    _zone(moto_session, "pr7.ml.example.com.", EXPIRED)
    _zone(moto_session, "public.ml.example.com.", EXPIRED, private=False)
    for label, tags in DECOYS.items():
        _zone(moto_session, f"{label}.ml.example.com.", tags)
    results = run(moto_session, (route53.HOSTED_ZONES,))
    assert deleted(results) == {"pr7.ml.example.com."}
    (public,) = [r for r in results if r.name == "public.ml.example.com."]
    assert public.status == "kept" and public.reason == route53.PUBLIC_ZONE
    names = {z["Name"] for z in moto_session.client("route53").list_hosted_zones()["HostedZones"]}
    assert "pr7.ml.example.com." not in names and "public.ml.example.com." in names
    assert route53.HOSTED_ZONES.scope == "global"


# --- Cognito -----------------------------------------------------------------------------------------------------


def test_user_pools_go_with_their_domain_and_protected_ones_stay(moto_session: Any) -> None:
    client = moto_session.client("cognito-idp", region_name=REGION)
    pool = client.create_user_pool(PoolName="mlops-pr-7-people", UserPoolTags=EXPIRED)["UserPool"]["Id"]
    client.create_user_pool_domain(Domain="mlops-pr-7-123456789012", UserPoolId=pool)
    guarded = client.create_user_pool(PoolName="guarded", UserPoolTags=EXPIRED, DeletionProtection="ACTIVE")
    for label, tags in DECOYS.items():
        client.create_user_pool(PoolName=f"decoy-{label}", **({"UserPoolTags": tags} if tags else {}))
    results = run(moto_session, (cognito.USER_POOLS,))
    assert deleted(results) == {"mlops-pr-7-people"}
    (kept,) = [r for r in results if r.id == guarded["UserPool"]["Id"]]
    assert kept.status == "kept" and kept.reason == cognito.PROTECTED
    names = {p["Name"] for p in client.list_user_pools(MaxResults=60)["UserPools"]}
    assert names == {"guarded"} | {f"decoy-{label}" for label in DECOYS}


# --- WAFv2 -------------------------------------------------------------------------------------------------------


def test_web_acls_go_and_decoys_stay(moto_session: Any) -> None:
    client = moto_session.client("wafv2", region_name=REGION)
    visibility = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"}

    def create(name: str, tags: dict[str, str]) -> None:
        client.create_web_acl(
            Name=name,
            Scope="REGIONAL",
            DefaultAction={"Allow": {}},
            VisibilityConfig=visibility,
            **({"Tags": kv(tags)} if tags else {}),
        )

    create("mlops-pr-7-people", EXPIRED)
    for label, tags in DECOYS.items():
        create(f"decoy-{label}", tags)
    asked: list[str] = []
    results = run(moto_session, (wafv2.WEB_ACLS,), wrap=lambda service, made: _NoAssociations(made, asked))
    assert deleted(results) == {"mlops-pr-7-people"}
    assert asked == ["APPLICATION_LOAD_BALANCER"]  # associations are looked up (and removed) before the delete
    names = {a["Name"] for a in client.list_web_acls(Scope="REGIONAL")["WebACLs"]}
    assert names == {f"decoy-{label}" for label in DECOYS}


class _NoAssociations:
    """moto 5.2.6 lacks ListResourcesForWebACL: answer it (no association left), pass everything else through."""

    def __init__(self, client: Any, asked: list[str]) -> None:
        self._client, self._asked = client, asked

    def list_resources_for_web_acl(self, **kwargs: Any) -> dict[str, Any]:
        self._asked.append(kwargs["ResourceType"])
        return {"ResourceArns": []}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


# --- Stubbed: trust stores and Verified Access ---------------------------------------------------------------------


class Stubs:
    """One Stubber per client, handed to the scope through ``wrap``."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.stubbers: dict[str, Stubber] = {}

    def wrap(self, service: str, client: Any) -> Any:
        fresh = self.session.client(service, region_name=REGION)
        self.stubbers[service] = Stubber(fresh)
        self.stubbers[service].activate()
        return fresh

    def add(
        self, service: str, operation: str, response: dict[str, Any], expected: dict[str, Any] | None = None
    ) -> None:
        self.stubbers[service].add_response(operation, response, expected)

    def done(self) -> None:
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()


@pytest.fixture
def stubs(aws_env: None) -> Iterator[Stubs]:
    import boto3

    yield Stubs(boto3.session.Session(region_name=REGION))


def _scope(stubs: Stubs, *services: str) -> AwsScope:
    scope = AwsScope(
        session=stubs.session, region=REGION, account=ACCOUNT, waiter_delay=0, waiter_attempts=1, wrap=stubs.wrap
    )
    for service in services:
        scope.client(service)
    return scope


TRUST_ARN = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:truststore/pr-7-clients/0123456789abcdef"


def test_trust_stores_are_listed_with_their_tags_and_deleted(stubs: Stubs) -> None:
    scope = _scope(stubs, "elbv2")
    stubs.add("elbv2", "describe_trust_stores", {"TrustStores": [{"TrustStoreArn": TRUST_ARN, "Name": "pr-7-clients"}]})
    stubs.add(
        "elbv2",
        "describe_tags",
        {"TagDescriptions": [{"ResourceArn": TRUST_ARN, "Tags": kv(EXPIRED)}]},
        {"ResourceArns": [TRUST_ARN]},
    )
    (found,) = list(elbv2_trust_stores.collect_trust_stores(scope))
    assert (found.kind, found.id, found.name, dict(found.tags)) == (
        "elbv2:trust-store",
        TRUST_ARN,
        "pr-7-clients",
        EXPIRED,
    )
    stubs.add("elbv2", "delete_trust_store", {}, {"TrustStoreArn": TRUST_ARN})
    elbv2_trust_stores.delete_trust_store(scope, found)
    stubs.done()


def test_a_trust_store_still_in_use_is_retried_as_a_dependency(stubs: Stubs) -> None:
    from botocore.exceptions import ClientError

    from mlopsctl.phoenix.retry import classify

    scope = _scope(stubs, "elbv2")
    stubs.stubbers["elbv2"].add_client_error("delete_trust_store", service_error_code="TrustStoreInUse")
    found = Found(kind="elbv2:trust-store", id=TRUST_ARN, region=REGION, tags=EXPIRED)
    with pytest.raises(ClientError) as raised:
        elbv2_trust_stores.delete_trust_store(scope, found)
    assert classify(raised.value) == "dependency"


def test_verified_access_goes_endpoints_groups_instances_then_trust_providers(stubs: Stubs) -> None:
    scope = _scope(stubs, "ec2")
    tags = kv(EXPIRED)
    stubs.add(
        "ec2",
        "describe_verified_access_endpoints",
        {
            "VerifiedAccessEndpoints": [
                {"VerifiedAccessEndpointId": "vae-1", "ApplicationDomain": "mlflow.ml.example.com", "Tags": tags},
                {"VerifiedAccessEndpointId": "vae-0", "Status": {"Code": "deleted"}, "Tags": tags},
            ]
        },
    )
    (endpoint,) = list(verifiedaccess.collect_endpoints(scope))
    assert (endpoint.kind, endpoint.id, endpoint.name) == (
        "ec2:verified-access-endpoint",
        "vae-1",
        "mlflow.ml.example.com",
    )
    stubs.add("ec2", "delete_verified_access_endpoint", {}, {"VerifiedAccessEndpointId": "vae-1"})
    verifiedaccess.delete_endpoint(scope, endpoint)
    stubs.add(
        "ec2",
        "describe_verified_access_endpoints",
        {"VerifiedAccessEndpoints": [{"VerifiedAccessEndpointId": "vae-1", "Status": {"Code": "deleted"}}]},
    )
    verifiedaccess.settle_endpoints(scope, [endpoint])

    stubs.add(
        "ec2",
        "describe_verified_access_groups",
        {"VerifiedAccessGroups": [{"VerifiedAccessGroupId": "vagr-1", "Tags": tags}]},
    )
    (group,) = list(verifiedaccess.collect_groups(scope))
    stubs.add("ec2", "delete_verified_access_group", {}, {"VerifiedAccessGroupId": "vagr-1"})
    verifiedaccess.delete_group(scope, group)

    stubs.add(
        "ec2",
        "describe_verified_access_instances",
        {
            "VerifiedAccessInstances": [
                {
                    "VerifiedAccessInstanceId": "vai-1",
                    "VerifiedAccessTrustProviders": [{"VerifiedAccessTrustProviderId": "vatp-1"}],
                    "Tags": tags,
                }
            ]
        },
    )
    (instance,) = list(verifiedaccess.collect_instances(scope))
    assert instance.context["trust_providers"] == ["vatp-1"]
    stubs.add(
        "ec2",
        "detach_verified_access_trust_provider",
        {},
        {"VerifiedAccessInstanceId": "vai-1", "VerifiedAccessTrustProviderId": "vatp-1"},
    )
    stubs.add("ec2", "delete_verified_access_instance", {}, {"VerifiedAccessInstanceId": "vai-1"})
    verifiedaccess.delete_instance(scope, instance)

    stubs.add(
        "ec2",
        "describe_verified_access_trust_providers",
        {"VerifiedAccessTrustProviders": [{"VerifiedAccessTrustProviderId": "vatp-1", "Tags": tags}]},
    )
    (provider,) = list(verifiedaccess.collect_trust_providers(scope))
    stubs.add("ec2", "delete_verified_access_trust_provider", {}, {"VerifiedAccessTrustProviderId": "vatp-1"})
    verifiedaccess.delete_trust_provider(scope, provider)
    stubs.done()
    assert [
        h.kind
        for h in (
            verifiedaccess.ENDPOINTS,
            verifiedaccess.GROUPS,
            verifiedaccess.INSTANCES,
            verifiedaccess.TRUST_PROVIDERS,
        )
    ] == [
        "ec2:verified-access-endpoint",
        "ec2:verified-access-group",
        "ec2:verified-access-instance",
        "ec2:verified-access-trust-provider",
    ]


def test_proposed_handler_order_deletes_users_before_what_they_use() -> None:
    from mlopsctl.phoenix.handlers import HANDLERS

    proposed = proposed_order([h.kind for h in HANDLERS])
    position = {kind: i for i, kind in enumerate(proposed)}
    before = [
        ("ec2:verified-access-endpoint", "elbv2:load-balancer"),
        ("ec2:verified-access-endpoint", "ec2:security-group"),
        ("ec2:verified-access-endpoint", "acm:certificate"),
        ("ec2:verified-access-group", "ec2:verified-access-instance"),
        ("ec2:verified-access-instance", "ec2:verified-access-trust-provider"),
        ("elbv2:load-balancer", "elbv2:trust-store"),
        ("elbv2:load-balancer", "acm:certificate"),
        ("elbv2:load-balancer", "wafv2:web-acl"),
        ("elbv2:load-balancer", "cognito-idp:user-pool"),
        ("elbv2:trust-store", "s3:bucket"),
        ("route53:hosted-zone", "ec2:vpc"),
    ]
    for first, then in before:
        assert position[first] < position[then], (first, then)


def proposed_order(current: list[str]) -> list[str]:
    """The table of mlopsctl/phoenix/handlers/__init__.py with the way in's kinds inserted (the integration note)."""
    order = list(current)
    lb = order.index("elbv2:load-balancer")
    order[lb:lb] = [
        "ec2:verified-access-endpoint",
        "ec2:verified-access-group",
        "ec2:verified-access-instance",
        "ec2:verified-access-trust-provider",
    ]
    tg = order.index("elbv2:target-group")
    order[tg + 1 : tg + 1] = ["elbv2:trust-store", "wafv2:web-acl", "acm:certificate", "cognito-idp:user-pool"]
    order.insert(order.index("ec2:vpc"), "route53:hosted-zone")
    return order
