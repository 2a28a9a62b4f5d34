"""Which property names hold credentials: one answer for the policy pack and the PR-diff masker.

A literal under such a key is a policy finding, and a diff never shows its value. Keys that name or
locate a credential (``existingSecret``, ``passwordSecretName``, ``secretKeyRef``, ``...Arn``) are not
credentials themselves.
"""

from __future__ import annotations

import re

CREDENTIAL_SUFFIXES = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "secretstring",
    "secretbinary",
    "secretvalue",
    "secretkey",
    "token",
    "apikey",
    "accesskey",
    "privatekey",
    "privatekeypem",
    "privatekeyopenssh",
    "fernetkey",
    "credential",
    "credentials",
    "connectionstring",
)
"""Normalized key endings (lowercase, letters and digits only) of credential-holding keys."""
REFERENCE_SUFFIXES = ("name", "ref", "path", "file", "arn", "id", "enabled", "create", "length", "mount", "keys")
"""Endings of keys that name, locate or describe a credential instead of holding it."""
REFERENCE_MARKERS = ("existing",)


def normalize(key: str) -> str:
    """The last dotted part of ``key``, lowercase, letters and digits only (``db.Pass_Word`` -> ``password``)."""
    return re.sub(r"[^a-z0-9]", "", key.rsplit(".", 1)[-1].lower())


def is_credential_key(key: str) -> bool:
    """True for keys that hold a credential (``password``, ``apiKey``, ``fernetKey``, ``passwd``...)."""
    normalized = normalize(key)
    if any(marker in normalized for marker in REFERENCE_MARKERS) or normalized.endswith(REFERENCE_SUFFIXES):
        return False
    return normalized.endswith(CREDENTIAL_SUFFIXES)
