"""ec2-volume-encrypted: every EBS volume the stack creates is encrypted.

Volumes come from launch templates (``blockDeviceMappings[].ebs.encrypted``, a string),
instances (``rootBlockDevice``/``ebsBlockDevices``), standalone ``aws.ebs.Volume`` and EKS
managed node groups without a launch template (EKS-chosen root volume). Declaring
``aws.ebs.EncryptionByDefault(enabled=True)`` in the stack makes AWS encrypt whatever is not
explicit; then only an explicit ``encrypted = false`` is a violation.
"""

from __future__ import annotations

from policies.mlops.ec2._types import (
    EBS_ENCRYPTION_BY_DEFAULT,
    EBS_VOLUME,
    EKS_NODE_GROUP,
    INSTANCE,
    LAUNCH_TEMPLATE,
)
from policies.mlops.props import as_list, as_map, is_false, is_true
from policies.mlops.rule import Level, Severity, StackInput, StackReport, stack_rule


def _verdict(value: object, by_default: bool) -> str | None:
    """``None`` when compliant, else what is wrong with an ``encrypted`` value."""
    if is_true(value) or (value is None and by_default):
        return None
    return "encrypted is false" if is_false(value) else "encrypted is not set"


def _check(stack: StackInput, report: StackReport) -> None:
    by_default = any(is_true(r.props.get("enabled", True)) for r in stack.of_type(EBS_ENCRYPTION_BY_DEFAULT))
    for template in stack.of_type(LAUNCH_TEMPLATE):
        with stack.item():
            mappings = [as_map(m) for m in as_list(template.props.get("blockDeviceMappings"))]
            if not mappings and not by_default:
                report(
                    "no blockDeviceMappings: the AMI's root volume is used as is (unencrypted unless "
                    "EBS encryption by default is on)",
                    template.urn,
                )
            for mapping in mappings:
                if "ebs" not in mapping:
                    continue
                problem = _verdict(as_map(mapping.get("ebs")).get("encrypted"), by_default)
                if problem:
                    report(f"{mapping.get('deviceName', 'block device')}: {problem}", template.urn)
    for instance in stack.of_type(INSTANCE):
        with stack.item():
            devices = [("root volume", as_map(instance.props.get("rootBlockDevice")))]
            devices += [
                (str(d.get("deviceName", "EBS volume")), as_map(d))
                for d in as_list(instance.props.get("ebsBlockDevices"))
            ]
            for label, device in devices:
                problem = _verdict(device.get("encrypted"), by_default)
                if problem:
                    report(f"{label}: {problem}", instance.urn)
    for volume in stack.of_type(EBS_VOLUME):
        with stack.item():
            problem = _verdict(volume.props.get("encrypted"), by_default)
            if problem:
                report(problem, volume.urn)
    for group in stack.of_type(EKS_NODE_GROUP):
        with stack.item():
            if not group.props.get("launchTemplate") and not by_default:
                report(
                    "node group without launch template: EKS picks an unencrypted root volume unless EBS "
                    "encryption by default is on",
                    group.urn,
                )


RULE = stack_rule(
    name="ec2-volume-encrypted",
    description="EBS volumes (launch templates, instances, volumes, node groups) are encrypted.",
    level=Level.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Set block_device_mappings[].ebs.encrypted='true' with the platform KMS key on launch templates "
        "(and encrypted=True on volumes), or declare aws.ebs.EncryptionByDefault(enabled=True)."
    ),
    resource_types=(LAUNCH_TEMPLATE, INSTANCE, EBS_VOLUME, EKS_NODE_GROUP, EBS_ENCRYPTION_BY_DEFAULT),
    check=_check,
)
