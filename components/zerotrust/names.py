"""Names the zero-trust resources share: a DNS-label-safe slug of a flow endpoint's display name."""

from __future__ import annotations

import hashlib
import re

_DNS_NAME = re.compile(r"[^a-z0-9-]+")


def slug(name: str) -> str:
    """A DNS-label-safe form of an endpoint name (policy and resource names), short enough with a prefix."""
    slug = _DNS_NAME.sub("-", name.lower()).strip("-") or "workload"
    if len(slug) > 48:
        slug = f"{slug[:39].rstrip('-')}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
    return slug
