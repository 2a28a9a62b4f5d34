"""How S3 settings resources find their bucket.

In pulumi-aws v7 each bucket setting is its own resource (``BucketVersioning``,
``BucketServerSideEncryptionConfiguration``, ...) with a ``bucket`` input. The reliable link is
the property dependency of that input on the Bucket's URN (``bucket=bucket.id``); a literal bucket
name is matched as a fallback.
"""

from __future__ import annotations

from collections.abc import Mapping

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


LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")


def is_log_target(stack: StackInput, bucket: StackResource) -> bool:
    """True when some ``BucketLogging`` delivers S3 access logs into ``bucket``, or a load balancer its access or
    connection logs: both deliveries support only SSE-S3 default encryption (S3 user guide, "Enabling Amazon S3
    server access logging"; ELB user guide, "Enable access logs for your Application Load Balancer")."""
    if any(refers_to(s, "targetBucket", bucket) for s in stack.of_type(LOGGING)):
        return True
    return any(
        _names(lb, "accessLogs", bucket) or _names(lb, "connectionLogs", bucket)
        for lb in stack.of_type(*LOAD_BALANCERS)
    )


def _names(balancer: StackResource, block: str, bucket: StackResource) -> bool:
    """True when the load balancer's ``block`` (``accessLogs``/``connectionLogs``) names ``bucket``: by dependency
    when it has one, else by literal name."""
    if balancer.property_dependencies.get(block):
        return balancer.depends_through(block, bucket.urn)
    value = known(balancer.props, block)
    name = known(bucket.props, "bucket")
    return isinstance(value, Mapping) and isinstance(name, str) and bool(name) and value.get("bucket") == name
