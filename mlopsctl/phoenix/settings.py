"""Read the phoenix template stack file (``stacks/Pulumi.phoenix.yaml``) into typed settings.

The template is the single source of a per-PR stack's configuration and of the safety lists
(protected accounts and regions) that the reaper honours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from mlopsctl.phoenix.expiry import ExpiryError, parse_duration

TEMPLATE_STACK = "phoenix"
PHOENIX_KEY = "mlops:phoenix"
OWNER_KEY = "mlops:owner"
ENVIRONMENT_KEY = "mlops:environment"
REGION_KEY = "aws:region"
DEFAULT_TTL = "8h"


class PhoenixConfigError(ValueError):
    """The template or a CLI option is invalid; the message names the file, key and allowed values."""


@dataclass(frozen=True)
class PhoenixTemplate:
    """Settings of the phoenix template stack.

    ``config`` is the template's raw ``config:`` mapping (copied into every per-PR stack);
    ``exists`` is False when the file is absent, in which case all lists are empty.
    """

    path: Path
    exists: bool
    config: Mapping[str, Any] = field(default_factory=dict)
    enabled: bool = False
    ttl: timedelta = timedelta(hours=8)
    protected_accounts: frozenset[str] = frozenset()
    protected_regions: frozenset[str] = frozenset()

    @property
    def region(self) -> str | None:
        """The template's ``aws:region``, if set."""
        value = self.config.get(REGION_KEY)
        return value if isinstance(value, str) and value else None

    @property
    def owner(self) -> str | None:
        """The template's ``mlops:owner``, if set."""
        value = self.config.get(OWNER_KEY)
        return value if isinstance(value, str) and value else None


def template_path(project_dir: Path) -> Path:
    """Where the template stack file lives, honouring ``stackConfigDir`` in ``Pulumi.yaml``."""
    return stack_config_dir(project_dir) / f"Pulumi.{TEMPLATE_STACK}.yaml"


def stack_config_dir(project_dir: Path) -> Path:
    """The folder holding ``Pulumi.<stack>.yaml`` files (``stackConfigDir``, default the project dir)."""
    project_file = project_dir / "Pulumi.yaml"
    if project_file.is_file():
        data = _load_yaml(project_file)
        configured = data.get("stackConfigDir")
        if isinstance(configured, str) and configured:
            return project_dir / configured
        return project_dir
    # No project file (e.g. a bare checkout of stacks/ in a test): this project's layout.
    return project_dir / "stacks"


def load_template(project_dir: Path) -> PhoenixTemplate:
    """Load and validate the template; a missing file yields empty settings (``exists=False``)."""
    path = template_path(project_dir)
    if not path.is_file():
        return PhoenixTemplate(path=path, exists=False)
    data = _load_yaml(path)
    config = data.get("config") or {}
    if not isinstance(config, dict):
        raise PhoenixConfigError(f"{path}: 'config' must be a mapping, got {type(config).__name__}")
    raw = config.get(PHOENIX_KEY)
    if raw is None:
        return PhoenixTemplate(path=path, exists=True, config=config)
    if not isinstance(raw, dict):
        raise PhoenixConfigError(f"{path}: {PHOENIX_KEY} must be a mapping with keys enabled, ttl, ...")
    enabled = raw.get("enabled", False)
    if not isinstance(enabled, bool):
        raise PhoenixConfigError(f"{path}: {PHOENIX_KEY}.enabled must be true or false, got {enabled!r}")
    ttl_text = raw.get("ttl") or DEFAULT_TTL
    try:
        ttl = parse_duration(str(ttl_text))
    except ExpiryError as exc:
        raise PhoenixConfigError(f"{path}: {PHOENIX_KEY}.ttl: {exc}") from exc
    return PhoenixTemplate(
        path=path,
        exists=True,
        config=config,
        enabled=enabled,
        ttl=ttl,
        protected_accounts=_string_set(path, raw, "protectedAccounts"),
        protected_regions=_string_set(path, raw, "protectedRegions"),
    )


def _string_set(path: Path, raw: Mapping[str, Any], key: str) -> frozenset[str]:
    value = raw.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise PhoenixConfigError(f"{path}: {PHOENIX_KEY}.{key} must be a list of strings, got {value!r}")
    # Account ids written unquoted in YAML arrive as ints; compare them as the 12-digit strings STS returns.
    return frozenset(str(v).zfill(12) if isinstance(v, int) else v for v in value)


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PhoenixConfigError(f"{path}: cannot read YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PhoenixConfigError(f"{path}: top level must be a mapping, got {type(data).__name__}")
    return data
