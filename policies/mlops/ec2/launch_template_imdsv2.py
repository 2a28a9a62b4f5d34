"""ec2-launch-template-imdsv2: instances require IMDSv2 session tokens."""

from __future__ import annotations

from policies.mlops.ec2._types import INSTANCE, LAUNCH_TEMPLATE
from policies.mlops.props import as_map
from policies.mlops.rule import Level, Report, ResourceInput, Severity, resource_rule


def _check(resource: ResourceInput, report: Report) -> None:
    options = as_map(resource.props.get("metadataOptions"))
    if options.get("httpEndpoint") == "disabled":
        return  # no instance metadata service at all
    tokens = options.get("httpTokens")
    if tokens != "required":
        shown = "not set (defaults to the AMI's setting)" if tokens is None else repr(tokens)
        report(f"metadataOptions.httpTokens is {shown}, expected 'required'")


RULE = resource_rule(
    name="ec2-launch-template-imdsv2",
    description="Launch templates and instances require IMDSv2 (metadataOptions.httpTokens = required).",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Set metadata_options={'http_tokens': 'required', 'http_endpoint': 'enabled', "
        "'http_put_response_hop_limit': 1} (hop limit 1 keeps pods away from the node's role)."
    ),
    resource_types=(LAUNCH_TEMPLATE, INSTANCE),
    check=_check,
)
