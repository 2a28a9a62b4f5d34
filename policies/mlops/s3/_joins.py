"""How S3 settings resources find their bucket.

In pulumi-aws v7 each bucket setting is its own resource (``BucketVersioning``,
``BucketServerSideEncryptionConfiguration``, ...) with a ``bucket`` input. The reliable link is
the property dependency of that input on the Bucket's URN (``bucket=bucket.id``); a literal bucket
name is matched as a fallback.
"""

from __future__ import annotations

from policies.mlops.props import known
from policies.mlops.rule import StackInput, StackResource

BUCKET = "aws:s3/bucket:Bucket"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LOGGING = "aws:s3/bucketLogging:BucketLogging"


def refers_to(setting: StackResource, prop: str, bucket: StackResource) -> bool:
    """True when ``setting``'s input ``prop`` names ``bucket``: by dependency when it has one, else by literal name."""
    if setting.property_dependencies.get(prop):
        return setting.depends_through(prop, bucket.urn)
    name = known(bucket.props, "bucket")
    return isinstance(name, str) and bool(name) and known(setting.props, prop) == name


def settings_of(stack: StackInput, setting_type: str, bucket: StackResource) -> list[StackResource]:
    """The ``setting_type`` resources configuring ``bucket``."""
    return [s for s in stack.of_type(setting_type) if refers_to(s, "bucket", bucket)]


def is_log_target(stack: StackInput, bucket: StackResource) -> bool:
    """True when some ``BucketLogging`` delivers access logs into ``bucket``."""
    return any(refers_to(s, "targetBucket", bucket) for s in stack.of_type(LOGGING))
