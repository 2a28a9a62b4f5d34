"""Recognizing literal credentials by key name and by shape.

The analyzer cannot see whether a value was a ``pulumi.secret`` (``pulumi_policy`` unwraps
secrets before rules run), and a secret written into Helm values, container env or a ConfigMap is
stored in plain text in the cluster anyway. So any literal value under a credential-like key is a
finding; references to where a credential lives (``existingSecret``, ``passwordSecretName``,
``secretKeyRef``, a Secrets Manager ARN, a template) are not.
"""

from __future__ import annotations

import re

from contracts.secrets import is_credential_key

CREDENTIAL_URL = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:([^@\s/]+)@", re.IGNORECASE)
PLACEHOLDER = re.compile(r"\{\{.*\}\}|\$\{.*\}|\$\([A-Za-z_][A-Za-z0-9_]*\)")


def is_sensitive_key(key: str) -> bool:
    """True for keys that hold a credential: the one definition the PR-diff masker shares."""
    return is_credential_key(key)


def is_literal(value: object) -> bool:
    """True for a non-empty string that is neither a template, an env reference nor a secret ARN."""
    if not isinstance(value, str) or not value.strip():
        return False
    if PLACEHOLDER.search(value):
        return False
    return not value.startswith(("arn:aws:secretsmanager:", "arn:aws:ssm:"))


def credential_in_url(value: object) -> bool:
    """True for ``scheme://user:password@host`` with a literal password."""
    if not isinstance(value, str):
        return False
    match = CREDENTIAL_URL.search(value)
    return match is not None and not PLACEHOLDER.search(match.group(1))


def finding(key: str, value: object) -> str | None:
    """Why ``key: value`` exposes a credential, or ``None``."""
    if is_sensitive_key(key) and is_literal(value):
        return f"{key!r} holds a literal credential"
    if credential_in_url(value):
        return f"{key!r} holds a URL with an embedded password"
    return None
