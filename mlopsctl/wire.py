"""Turn Pulumi wire values (protobuf Structs as the engine receives them) into plain, masked JSON.

The engine sees secrets, unknowns, resource references, assets and output values as maps tagged
with a special signature key. Plans must be readable and must never carry a secret, so each of
those becomes a fixed marker string (see the ``mlops-plan/1`` contract).
"""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format, struct_pb2

from contracts.wire import (
    ARCHIVE_SIG,
    ASSET_SIG,
    OUTPUT_SIG,
    RESOURCE_SIG,
    SECRET_MARK,
    SECRET_SIG,
    SIG_KEY,
    UNKNOWN,
    UNKNOWN_MARK,
)

__all__ = ["SECRET_MARK", "SECRET_SIG", "SIG_KEY", "UNKNOWN", "UNKNOWN_MARK", "mask", "struct_to_plain"]


def struct_to_plain(struct: struct_pb2.Struct) -> dict[str, Any]:
    """A wire Struct as masked plain JSON (secrets "[secret]", unknowns "[unknown]", refs as URNs)."""
    result = mask(json_format.MessageToDict(struct))
    assert isinstance(result, dict)
    return result


def mask(value: Any) -> Any:
    """Recursively replace signature-tagged wire values by their plan representation."""
    if isinstance(value, dict):
        sig = value.get(SIG_KEY)
        if sig == SECRET_SIG:
            return SECRET_MARK
        if sig == RESOURCE_SIG:
            return value.get("urn", UNKNOWN_MARK)
        if sig == OUTPUT_SIG:
            if value.get("secret"):
                return SECRET_MARK
            return mask(value["value"]) if "value" in value else UNKNOWN_MARK
        if sig in (ASSET_SIG, ARCHIVE_SIG):
            return "[asset]" if sig == ASSET_SIG else "[archive]"
        return {key: mask(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value == UNKNOWN:
        return UNKNOWN_MARK
    return value
