"""Tag keys the program writes and the tool (phoenix reaper, policy pack) reads."""

PHOENIX = "mlops:phoenix"
"""``"true"`` on every taggable resource of a phoenix (per-PR) stack."""
EXPIRES_AT = "mlops:expires-at"
"""UTC expiry (ISO-8601) of a phoenix stack's resources; the reaper deletes only past it."""
OWNER = "mlops:owner"
"""Who owns a phoenix stack."""
ENVIRONMENT = "mlops:environment"
"""The phoenix stack's name (``pr-42``)."""

PHOENIX_TAG_KEYS = (PHOENIX, ENVIRONMENT, OWNER, EXPIRES_AT)
"""Every phoenix tag, in the order the program writes them."""
REQUIRED_TAG_KEYS = ("owner", "environment", "cost-center")
"""Tags every taggable AWS resource of every stack carries."""
