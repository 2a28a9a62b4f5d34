"""Mask secrets before anything is compared or rendered.

Plans and `pulumi preview --json` already write secrets as the string "[secret]". This module is the
second line of defence for documents that do not: a raw wire-format secret (the signature object below)
or a plain-text value under a key that only ever holds credentials. Diff output goes to public pull
request comments, so a false positive (a masked harmless value) is the cheaper mistake.
"""

from __future__ import annotations

import re
from typing import Any

from mlopsctl.diff.model import SECRET, UNKNOWN

# Pulumi's secret signature (sdk/go/common/resource/sig/sig.go): {"4dabf18193072939515e22adb298388d":
# "1b47061264138c4ac30d75fd1eb44270", "value": ...} is how a secret travels on the wire and in state.
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"

# The engine's marker for values unknown during preview (sdk/go/common/resource/plugin/rpc.go).
UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

# Keys whose string values are credentials by name (matched on the whole key, case-insensitively).
# References to secrets (`...Arn`, `...Id`, `...Name`) do not match: they end differently.
_SECRET_KEY = re.compile(
    r"(.*password|.*passphrase|.*secret(string|binary|value|key)?|.*privatekey(pem|openssh)?"
    r"|.*apikey|.*accesskey|.*secretaccesskey|.*authtoken|.*token|connectionstring|.*credentials?)\Z",
    re.IGNORECASE,
)


def is_secret_key(key: str) -> bool:
    """Whether a property name denotes a credential whose value must never be shown."""
    return bool(_SECRET_KEY.match(key.replace("_", "").replace("-", "")))


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
