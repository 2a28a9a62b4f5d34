"""The Price List parser and `prices refresh` on fixtures in the real offer-file shape (no network)."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

import pytest

from mlopsctl.cost.offers import OfferError, parse_offer
from mlopsctl.cost.prices import PriceError, parse_snapshot
from mlopsctl.cost.refresh import OFFER_URL, RULES, extract, refresh

FIXTURES = Path(__file__).parent / "fixtures"
EC2 = FIXTURES / "offer-AmazonEC2-eu-west-1.json"


def _keep_all(_family: str, _attrs: Mapping[str, str]) -> bool:
    return True


def _rule(service: str):  # type: ignore[no-untyped-def]
    return next(r for r in RULES if r.service == service)


def test_parser_reads_products_and_on_demand_terms_only() -> None:
    with EC2.open(encoding="utf-8") as stream:
        offer = parse_offer(stream, _keep_all)
    assert offer.header["offerCode"] == "AmazonEC2"
    assert offer.header["publicationDate"] == "2099-01-01T00:00:00Z"
    assert len(offer.rows) == 10  # one on-demand dimension per product; the Reserved term is skipped
    t3 = next(r for r in offer.rows if r.sku == "SKUT3LARGE00001")
    assert (t3.product_family, t3.unit, t3.usd) == ("Compute Instance", "Hrs", 0.0912)
    assert t3.attributes["usagetype"] == "EU-BoxUsage:t3.large"
    assert all(r.usd != 0.0001 for r in offer.rows), "a Reserved price leaked into the on-demand rows"


@pytest.mark.parametrize("chunk", [1, 7, 64, 1 << 16])
def test_parser_streams_across_any_chunk_boundary(chunk: int) -> None:
    whole = parse_offer(EC2.open(encoding="utf-8"), _keep_all)
    streamed = parse_offer(EC2.open(encoding="utf-8"), _keep_all, chunk=chunk)
    assert streamed.rows == whole.rows
    assert streamed.header == whole.header


def test_parser_keeps_only_selected_products() -> None:
    offer = parse_offer(EC2.open(encoding="utf-8"), lambda fam, _a: fam == "NAT Gateway")
    assert {r.sku for r in offer.rows} == {"SKUNATHOURS0001", "SKUNATBYTES0001", "SKUREGNATHOURS1"}


def test_terms_before_products_still_join() -> None:
    offer = parse_offer((FIXTURES / "offer-AWSELB-eu-west-1.json").open(encoding="utf-8"), _keep_all)
    assert {r.sku: r.usd for r in offer.rows}["SKUALBHOUR00001"] == 0.0252


@pytest.mark.parametrize(
    "text",
    ['{"products": {"A": {"productFamily": "x"}', '{"products": [1, 2]}', '{"products": {}} trailing', '{"a" 1}'],
)
def test_malformed_offer_files_raise(text: str) -> None:
    with pytest.raises(OfferError):
        parse_offer(io.StringIO(text), _keep_all)


def test_ec2_rule_picks_nominal_linux_rows_and_skips_decoys() -> None:
    rule = _rule("AmazonEC2")
    offer = parse_offer(EC2.open(encoding="utf-8"), rule.keep)
    prices = extract(rule, offer, "https://example.invalid/AmazonEC2")
    assert {k: v["usd"] for k, v in prices.items()} == {
        "ec2.instanceHour:t3.large": 0.0912,  # not the Windows, unused-reservation or dedicated rows
        "ec2.instanceHour:m5.xlarge": 0.214,
        "nat.hour": 0.048,  # not EU-RegionalNatGateway-Hours
        "nat.gbProcessed": 0.048,
        "ebs.gp3.gbMonth": 0.088,  # gp2 is not kept
    }
    entry = prices["ec2.instanceHour:t3.large"]
    assert entry["source"] == "https://example.invalid/AmazonEC2 (sku SKUT3LARGE00001)"
    assert entry["date"] == "2099-01-01"
    assert entry["unit"] == "Hrs"


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        ("AmazonEKS", {"eks.clusterHour": 0.1}),
        ("AmazonVPC", {"vpc.publicIpv4Hour": 0.005, "vpce.interfaceHour": 0.02, "vpce.gbProcessed": 0.01}),
        (
            "AmazonRDS",
            {"rds.instanceHour:postgres:db.t4g.medium": 0.069, "rds.gp3.gbMonth": 0.127, "rds.backup.gbMonth": 0.095},
        ),
        ("AWSELB", {"elb.application.hour": 0.0252, "elb.application.lcuHour": 0.008}),
        ("CodeBuild", {"codebuild.buildMinute:BUILD_GENERAL1_MEDIUM": 0.01}),
        ("awskms", {"kms.keyMonth": 1.0}),
    ],
)
def test_service_rules(service: str, expected: dict[str, float]) -> None:
    rule = _rule(service)
    path = FIXTURES / f"offer-{service}-eu-west-1.json"
    prices = extract(rule, parse_offer(path.open(encoding="utf-8"), rule.keep), str(path))
    assert {k: v["usd"] for k, v in prices.items()} == expected


def _opener(url: str) -> TextIO:
    service = url.split("/aws/", 1)[1].split("/", 1)[0]
    path = FIXTURES / f"offer-{service}-eu-west-1.json"
    if path.is_file():
        return path.open(encoding="utf-8")
    empty = {
        "formatVersion": "v1.0",
        "offerCode": service,
        "publicationDate": "2099-01-01T00:00:00Z",
        "products": {},
        "terms": {},
    }
    return io.StringIO(json.dumps(empty))


def test_refresh_writes_a_valid_snapshot_with_sources_and_dates() -> None:
    doc = refresh("eu-west-1", opener=_opener, today="2099-01-02")
    snapshot = parse_snapshot(json.loads(json.dumps(doc)), "refreshed")
    assert snapshot.date == "2099-01-02"
    assert snapshot.origin.startswith("AWS Price List bulk offer files")
    assert snapshot.get("eks.clusterHour") is not None and snapshot.get("eks.clusterHour").usd == 0.1  # type: ignore[union-attr]
    assert snapshot.get("ec2.instanceHour:t3.large").usd == 0.0912  # type: ignore[union-attr]
    assert snapshot.get("redshiftServerless.rpuHour") is None  # the fixture has no Redshift rows: unpriced
    assert set(doc["sources"]) == {r.service for r in RULES}
    ec2 = doc["sources"]["AmazonEC2"]
    assert ec2["url"] == OFFER_URL.format(service="AmazonEC2", region="eu-west-1")
    assert ec2["publicationDate"] == "2099-01-01T00:00:00Z"
    for price in snapshot.prices.values():
        assert price.source.startswith("https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/")
        assert price.date == "2099-01-01"


def test_refresh_reports_download_failures_as_price_errors() -> None:
    def broken(url: str) -> TextIO:
        raise OSError("network is unreachable")

    with pytest.raises(PriceError, match=r"AmazonEKS/current/eu-west-1/index.json: cannot download"):
        refresh("eu-west-1", opener=broken)


def test_a_zero_price_row_never_hides_a_real_price() -> None:
    dims = {
        "A.T.1": {"unit": "GB", "pricePerUnit": {"USD": "0.0"}, "description": "free (decoy)", "beginRange": "0"},
        "A.T.2": {"unit": "GB", "pricePerUnit": {"USD": "0.57"}, "description": "ingested", "beginRange": "0"},
    }
    text = json.dumps(
        {
            "products": {
                "A": {"productFamily": "Data Payload", "attributes": {"usagetype": "EU-DataProcessing-Bytes"}}
            },
            "terms": {"OnDemand": {"A": {"A.T": {"priceDimensions": dims}}}},
        }
    )
    rule = _rule("AmazonCloudWatch")
    prices = extract(rule, parse_offer(io.StringIO(text), rule.keep), "u")
    assert prices["logs.ingestGb"]["usd"] == 0.57
