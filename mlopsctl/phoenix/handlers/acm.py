"""ACM certificates of phoenix stacks (the way in's ``<domain>``/``*.<domain>`` certificate).

A certificate in use (a listener, a Verified Access endpoint) cannot be deleted (ResourceInUseException, retried):
they go after the load balancers and Verified Access endpoints. The DNS validation record in the user's public zone
is not the stack's zone and is left alone (harmless: it only proves control of the name).
"""

from __future__ import annotations

from collections.abc import Iterator

from mlopsctl.phoenix.aws import AwsScope, pages, tag_dict
from mlopsctl.phoenix.handlers.base import Found, Handler

KEY_TYPES = ("RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1")
"""ListCertificates returns RSA_2048 certificates only unless asked for the others (ACM API reference)."""


def collect_certificates(scope: AwsScope) -> Iterator[Found]:
    acm = scope.client("acm")
    for summary in pages(acm, "list_certificates", "CertificateSummaryList", Includes={"keyTypes": list(KEY_TYPES)}):
        arn = summary["CertificateArn"]
        tags = tag_dict(acm.list_tags_for_certificate(CertificateArn=arn).get("Tags"))
        yield Found(kind="acm:certificate", id=arn, region=scope.region, tags=tags, name=summary.get("DomainName", arn))


def delete_certificate(scope: AwsScope, found: Found) -> None:
    scope.client("acm").delete_certificate(CertificateArn=found.id)


CERTIFICATES = Handler("acm:certificate", collect_certificates, delete_certificate)
