"""TLS and names of the way in: the ACM certificate every HTTPS listener presents, the clients' trust store
(mutual TLS), the private hosted zone of ``<domain>`` and the DNS records pointing at the load balancers.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from components.access import routing
from components.access.config import AccessConfig, read_ca_bundle

TRUST_STORE_KEY = "trust-stores/clients-ca.pem"
"""Object key of the clients' CA bundle in the access bucket."""


def certificate(name: str, config: AccessConfig, *, parent: pulumi.Resource) -> pulumi.Output[str]:
    """A validated ACM certificate for ``<domain>`` and ``*.<domain>``, or the configured one."""
    if config.certificate.arn is not None:
        return pulumi.Output.from_input(config.certificate.arn)
    zone_id = config.certificate.validation_zone_id
    assert zone_id is not None  # the config model requires one of them
    cert = aws.acm.Certificate(
        f"{name}-certificate",
        domain_name=config.domain,
        subject_alternative_names=[f"*.{config.domain}"],
        validation_method="DNS",
        opts=pulumi.ResourceOptions(parent=parent),
    )
    # The apex and its wildcard share one validation record (ACM user guide, "DNS validation"): one record.
    options = cert.domain_validation_options
    record = aws.route53.Record(
        f"{name}-certificate-validation",
        zone_id=zone_id,
        name=options.apply(lambda o: o[0].resource_record_name if o else None),
        type=options.apply(lambda o: o[0].resource_record_type if o else "CNAME"),
        records=options.apply(lambda o: [str(o[0].resource_record_value)] if o else []),
        ttl=300,
        allow_overwrite=True,
        opts=pulumi.ResourceOptions(parent=cert),
    )
    validation = aws.acm.CertificateValidation(
        f"{name}-certificate-validated",
        certificate_arn=cert.arn,
        validation_record_fqdns=[record.fqdn],
        opts=pulumi.ResourceOptions(parent=cert),
    )
    validated: pulumi.Output[str] = validation.certificate_arn
    return validated


def trust_store(
    name: str,
    *,
    environment: str,
    bundle_path: str,
    bucket: aws.s3.Bucket,
    ready: Sequence[pulumi.Resource],
    parent: pulumi.Resource,
) -> aws.lb.TrustStore:
    """The clients' CA bundle, uploaded to the access bucket, as the models listener's trust store."""
    bundle = aws.s3.BucketObjectv2(
        f"{name}-clients-ca",
        bucket=bucket.id,
        key=TRUST_STORE_KEY,
        content=read_ca_bundle(bundle_path),
        content_type="application/x-pem-file",
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(ready)),
    )
    return aws.lb.TrustStore(
        f"{name}-clients-trust-store",
        name=routing.resource_name(environment, "clients"),
        ca_certificates_bundle_s3_bucket=bucket.bucket,
        ca_certificates_bundle_s3_key=bundle.key,
        ca_certificates_bundle_s3_object_version=bundle.version_id,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def private_zone(
    name: str,
    *,
    domain: str,
    environment: str,
    vpc_id: pulumi.Input[str],
    region: str,
    parent: pulumi.Resource,
) -> aws.route53.Zone:
    """The private hosted zone of ``<domain>``, attached to the VPC."""
    return aws.route53.Zone(
        f"{name}-zone",
        name=domain,
        comment=f"mlops {environment}: the way in (private; attached to the VPC)",
        vpcs=[aws.route53.ZoneVpcArgs(vpc_id=vpc_id, vpc_region=region)],
        opts=pulumi.ResourceOptions(parent=parent),
    )


def alias_record(
    resource_name: str,
    *,
    zone_id: pulumi.Input[str] | None,
    host: str,
    lb: aws.lb.LoadBalancer,
    parent: pulumi.Resource,
) -> aws.route53.Record:
    """An A alias record of ``host`` to a load balancer."""
    return aws.route53.Record(
        resource_name,
        zone_id=zone_id,
        name=host,
        type="A",
        aliases=[aws.route53.RecordAliasArgs(name=lb.dns_name, zone_id=lb.zone_id, evaluate_target_health=True)],
        opts=pulumi.ResourceOptions(parent=parent),
    )


def private_alias(name: str, key: str, zone: aws.route53.Zone, host: str, lb: aws.lb.LoadBalancer) -> None:
    """``<name>-dns-<key>``: the entry point's host in the private zone."""
    alias_record(f"{name}-dns-{key}", zone_id=zone.zone_id, host=host, lb=lb, parent=zone)


def cname_record(
    resource_name: str,
    *,
    zone_id: pulumi.Input[str] | None,
    host: str,
    target: pulumi.Input[str],
    parent: pulumi.Resource,
) -> aws.route53.Record:
    """A CNAME record of ``host`` (the Verified Access endpoints' domains)."""
    return aws.route53.Record(
        resource_name,
        zone_id=zone_id,
        name=host,
        type="CNAME",
        ttl=300,
        records=[target],
        opts=pulumi.ResourceOptions(parent=parent),
    )


__all__ = [
    "TRUST_STORE_KEY",
    "alias_record",
    "certificate",
    "cname_record",
    "private_alias",
    "private_zone",
    "trust_store",
]
