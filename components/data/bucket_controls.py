"""The controls every platform bucket carries, declared in one place.

SSE-KMS default encryption, all four public-access-block flags, ACLs disabled (bucket owner
enforced), versioning, a bucket policy, and lifecycle rules. The lake's zone buckets and the
stand-alone artifact buckets use the same function, so a control cannot drift between them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.manifest import manifest


@dataclass(frozen=True)
class BucketControls:
    """The control resources of one bucket."""

    encryption: aws.s3.BucketServerSideEncryptionConfiguration
    public_access: aws.s3.BucketPublicAccessBlock
    ownership: aws.s3.BucketOwnershipControls
    versioning: aws.s3.BucketVersioning
    policy: aws.s3.BucketPolicy
    lifecycle: aws.s3.BucketLifecycleConfiguration

    @property
    def ready(self) -> list[pulumi.Resource]:
        """What writers (and later configuration) must wait for."""
        return [self.policy, self.encryption, self.public_access, self.ownership, self.versioning]


def bucket_controls(
    name: str,
    bucket: aws.s3.Bucket,
    *,
    sse_rule: Mapping[str, Any],
    policy: pulumi.Input[str],
    lifecycle_rules: Sequence[Mapping[str, Any]],
    parent: pulumi.Resource,
) -> BucketControls:
    """Declare the controls of ``bucket``; children are named ``<name>-sse``, ``<name>-policy``, ..."""
    child = pulumi.ResourceOptions(parent=parent)
    encryption = aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-sse", bucket=bucket.id, rules=[manifest(sse_rule)], opts=child
    )
    public_access = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=child,
    )
    ownership = aws.s3.BucketOwnershipControls(
        f"{name}-ownership", bucket=bucket.id, rule={"object_ownership": "BucketOwnerEnforced"}, opts=child
    )
    versioning = aws.s3.BucketVersioning(
        f"{name}-versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"}, opts=child
    )
    bucket_policy = aws.s3.BucketPolicy(
        f"{name}-policy",
        bucket=bucket.id,
        policy=policy,
        # A policy can only be attached once the public-access block is in place.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[public_access]),
    )
    lifecycle = aws.s3.BucketLifecycleConfiguration(
        f"{name}-lifecycle",
        bucket=bucket.id,
        rules=[manifest(rule) for rule in lifecycle_rules],
        # Lifecycle rules on noncurrent versions need versioning in place first.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[versioning]),
    )
    return BucketControls(encryption, public_access, ownership, versioning, bucket_policy, lifecycle)
