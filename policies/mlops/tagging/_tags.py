"""The tags a resource ends up with: the provider's default tags merged with its own.

Required tags are set once as provider ``defaultTags`` (components/platform.py), so a rule must
look at the provider too: the analyzer passes each resource's provider with its inputs, where
``defaultTags`` arrives as a JSON string (pulumi-aws serializes provider object inputs).
Auto Scaling groups take tags as a list and ignore provider default tags.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from policies.mlops.props import as_list, as_map, known
from policies.mlops.rule import ResourceInput

AUTOSCALING_GROUP = "aws:autoscaling/group:Group"


@lru_cache(maxsize=64)
def _decode_tags(text: str) -> tuple[tuple[str, str], ...]:
    """``defaultTags`` JSON -> its tags (cached: every resource of a provider shares one string)."""
    try:
        value = json.loads(text)
    except ValueError:
        return ()
    return _tag_items(value)


def _tag_items(block: Any) -> tuple[tuple[str, str], ...]:
    tags = as_map(as_map(block).get("tags"))
    return tuple((str(k), str(v)) for k, v in tags.items() if v is not None)


def default_tags(provider_props: Mapping[str, Any] | None) -> dict[str, str]:
    """``defaultTags.tags`` of a provider (JSON string or object)."""
    if provider_props is None:
        return {}
    raw = known(provider_props, "defaultTags")
    return dict(_decode_tags(raw) if isinstance(raw, str) else _tag_items(raw))


def own_tags(resource_type: str, props: Mapping[str, Any]) -> dict[str, str]:
    """The resource's ``tags`` (and ``tagsAll`` when the engine ran the provider's Check first)."""
    result: dict[str, str] = {}
    for field in ("tagsAll", "tags"):
        value = props.get(field)
        if resource_type == AUTOSCALING_GROUP:
            for item in as_list(value):
                item = as_map(item)
                result[str(item.get("key"))] = str(item.get("value"))
        else:
            result.update({str(k): str(v) for k, v in as_map(value).items() if v is not None})
    return result


def effective_tags(resource: ResourceInput) -> dict[str, str]:
    """Provider default tags overlaid with the resource's own tags."""
    tags = {} if resource.type == AUTOSCALING_GROUP else default_tags(resource.provider_props)
    tags.update(own_tags(resource.type, resource.props))
    return tags
