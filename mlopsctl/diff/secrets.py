"""Mask secrets before anything is compared or rendered.

Plans and `pulumi preview --json` already write secrets as the string "[secret]". This module is the
second line of defence for documents that do not: a raw wire-format secret (the signature object below)
or a plain-text value under a key that only ever holds credentials. Diff output goes to public pull
request comments, so a false positive (a masked harmless value) is the cheaper mistake.
"""

from __future__ import annotations

from typing import Any

from contracts.secrets import is_credential_key
from mlopsctl.diff.model import SECRET, UNKNOWN
from mlopsctl.wire import SECRET_SIG, SIG_KEY
from mlopsctl.wire import UNKNOWN as UNKNOWN_SENTINEL

# A secret travels on the wire and in state as {SIG_KEY: SECRET_SIG, "value": ...}
# (sdk/go/common/resource/sig/sig.go); UNKNOWN_SENTINEL is the engine's value unknown during preview.


def is_secret_key(key: str) -> bool:
    """Whether a property name denotes a credential whose value must never be shown (the policy pack's
    definition too: :func:`contracts.secrets.is_credential_key`)."""
    return is_credential_key(key)


def mask(value: Any, key: str | None = None) -> Any:
    """Return `value` with secrets replaced by "[secret]" and unknown sentinels by "[unknown]"."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return SECRET
        return {k: mask(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v, key) for v in value]
    if isinstance(value, str):
        if value == UNKNOWN_SENTINEL:
            return UNKNOWN
        if key is not None and value not in (SECRET, UNKNOWN, "") and is_secret_key(key):
            return SECRET
    return value
