"""Reading a stack file (``stacks/Pulumi.<stack>.yaml``) as the Pulumi CLI does: its flat ``config:`` map."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from contracts.errors import ConfigError


def read_stack_values(path: Path) -> dict[str, Any]:
    """The flat ``config:`` map of a stack file (secure values kept as their ``{secure: ...}`` mapping)."""
    source = str(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(source, ["stack file not found"]) from None
    except yaml.YAMLError as exc:
        raise ConfigError(source, [f"not valid YAML: {exc}"]) from None
    if not isinstance(document, dict) or not isinstance(document.get("config", {}), dict):
        raise ConfigError(source, ["config: must be a mapping of namespace:key to values"])
    values: dict[str, Any] = document.get("config") or {}
    return values
