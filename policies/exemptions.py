"""Exemptions declared in code, reviewed together with the policy pack.

Each entry waives one rule for one resource (URN or logical name) until its expiry date
(inclusive) and must carry a reason. Expired or reason-less entries stop applying and are
reported as violations of ``policy-exemption-valid``. Stack-specific exemptions belong in the
stack file instead (``mlops:policy: {exemptions: [...]}``). Example::

    exemption(
        id="EX-1",
        policy="s3-bucket-access-logging",
        resource="prod-lake-access-logs",
        reason="This bucket receives the access logs; logging it to itself would loop.",
        expires="2027-06-30",
    )
"""

from __future__ import annotations

from policies.mlops.exemption import Exemption

CODE_EXEMPTIONS: tuple[Exemption, ...] = ()
"""The registry: every exemption declared in code (none today)."""
