"""s3-bucket-ownership-enforced: bucket ownership controls disable ACLs.

``BucketOwnerEnforced`` turns S3 access control lists off: the bucket owner owns every object and only policies
grant access. ``ObjectWriter``/``BucketOwnerPreferred`` bring ACLs back, so an object uploaded with
``public-read`` or another account's ownership escapes the bucket policy
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html). Buckets created without
ownership controls get ``BucketOwnerEnforced`` (S3's default since April 2023); an explicit other value is the
violation. Server access logging works with it (log delivery is granted by bucket policy).
"""

from __future__ import annotations

from policies.mlops.props import as_map
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

OWNERSHIP_CONTROLS = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
ENFORCED = "BucketOwnerEnforced"


def _check(resource: ResourceInput, report: Report) -> None:
    ownership = as_map(resource.props.get("rule")).get("objectOwnership")
    if ownership != ENFORCED:
        report(f"objectOwnership is {ownership!r}: object ACLs are honoured; use {ENFORCED}")


RULE = resource_rule(
    name="s3-bucket-ownership-enforced",
    description="S3 bucket ownership controls are BucketOwnerEnforced (ACLs disabled).",
    level=Level.MANDATORY,
    severity=Severity.MEDIUM,
    remediation=(
        "Set rule.object_ownership='BucketOwnerEnforced' on aws.s3.BucketOwnershipControls and grant access with "
        "bucket policies only."
    ),
    resource_types=(OWNERSHIP_CONTROLS,),
    check=_check,
)
