"""Pulumi.yaml declares every config key the program reads, and describes every field of each section."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel
from pydantic.alias_generators import to_camel

from components.config import PlatformConfig, allowed_keys
from components.config_base import NAMESPACE

ROOT = Path(__file__).resolve().parents[2]


def test_project_file_declares_every_key_with_its_fields() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "mlops-platform" and project["stackConfigDir"] == "stacks"
    declared = project["config"]
    assert sorted(key.removeprefix(f"{NAMESPACE}:") for key in declared) == allowed_keys()
    for name, field in PlatformConfig.model_fields.items():
        section = field.annotation
        if isinstance(section, type) and issubclass(section, BaseModel):
            description = declared[f"{NAMESPACE}:{to_camel(name)}"]["description"]
            missing = [to_camel(f) for f in section.model_fields if to_camel(f) not in description]
            assert not missing, f"{NAMESPACE}:{to_camel(name)} description lacks {missing}"
