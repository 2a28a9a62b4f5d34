"""verifiedaccess-group-policy: every Verified Access group has a Cedar policy.

A group without a policy denies everything, which is safe but usually a mistake; a policy that permits everyone
unconditionally (``permit(principal, action, resource);``) turns Verified Access into an open door.
"""

from __future__ import annotations

import re

from policies.mlops.props import known
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule

GROUP = "aws:verifiedaccess/group:Group"
_UNCONDITIONAL = re.compile(r"^\s*permit\s*\(\s*principal\s*,\s*action\s*,\s*resource\s*\)\s*;?\s*$")


def _check(resource: ResourceInput, report: Report) -> None:
    policy = known(resource.props, "policyDocument")
    if not isinstance(policy, str) or not policy.strip():
        report("the group has no policy document: every request is denied")
    elif _UNCONDITIONAL.match(policy) or "when { true }" in policy.replace("  ", " "):
        report("the policy permits every request without a condition on the user")


RULE = resource_rule(
    name="verifiedaccess-group-policy",
    description="Verified Access groups carry a Cedar policy that conditions access on the user.",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Set mlops:access.verifiedAccess.allowedGroupIds (IAM Identity Center groups) or verifiedAccess.policy "
        "(a Cedar policy with a when { ... } clause on the trust data)."
    ),
    resource_types=(GROUP,),
    check=_check,
)
