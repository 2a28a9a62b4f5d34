"""Secrets Manager secrets, deleted without a recovery window."""

from __future__ import annotations

from collections.abc import Iterator

from mlopsctl.phoenix.aws import AwsScope, pages, tag_dict
from mlopsctl.phoenix.handlers.base import Found, Handler


def collect_secrets(scope: AwsScope) -> Iterator[Found]:
    for secret in pages(scope.client("secretsmanager"), "list_secrets", "SecretList"):
        yield Found(
            kind="secretsmanager:secret",
            id=secret["ARN"],
            region=scope.region,
            tags=tag_dict(secret.get("Tags")),
            name=secret.get("Name", secret["ARN"]),
        )


def delete_secret(scope: AwsScope, found: Found) -> None:
    # Without a recovery window: a per-PR stack re-created later reuses the same secret name.
    scope.client("secretsmanager").delete_secret(SecretId=found.id, ForceDeleteWithoutRecovery=True)


SECRETS = Handler("secretsmanager:secret", collect_secrets, delete_secret)
