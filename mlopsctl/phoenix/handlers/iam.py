"""IAM kinds (global): instance profiles, roles with their attached and inline policies, and
customer-managed policies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mlopsctl.phoenix.aws import AwsScope, ignore_missing, pages, tag_dict
from mlopsctl.phoenix.handlers.base import Found, Handler

GLOBAL = "global"


def _iam(scope: AwsScope) -> Any:
    return scope.client("iam")


def collect_instance_profiles(scope: AwsScope) -> Iterator[Found]:
    iam = _iam(scope)
    for profile in pages(iam, "list_instance_profiles", "InstanceProfiles"):
        name = profile["InstanceProfileName"]
        # ListInstanceProfiles may omit tags; GetInstanceProfile always carries them.
        tags = profile.get("Tags")
        if tags is None:
            tags = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"].get("Tags")
        yield Found(kind="iam:instance-profile", id=name, region=GLOBAL, tags=tag_dict(tags), name=name)


def delete_instance_profile(scope: AwsScope, found: Found) -> None:
    iam = _iam(scope)
    profile = iam.get_instance_profile(InstanceProfileName=found.id)["InstanceProfile"]
    for role in profile.get("Roles", []):
        ignore_missing(iam.remove_role_from_instance_profile, InstanceProfileName=found.id, RoleName=role["RoleName"])
    iam.delete_instance_profile(InstanceProfileName=found.id)


def collect_roles(scope: AwsScope) -> Iterator[Found]:
    iam = _iam(scope)
    for role in pages(iam, "list_roles", "Roles"):
        name = role["RoleName"]
        # ListRoles does not return tags.
        tags = tag_dict(list(pages(iam, "list_role_tags", "Tags", RoleName=name)))
        service_linked = str(role.get("Path", "")).startswith("/aws-service-role/")
        yield Found(
            kind="iam:role",
            id=name,
            region=GLOBAL,
            tags=tags,
            name=name,
            protected="service-linked role (owned by an AWS service)" if service_linked else None,
        )


def delete_role(scope: AwsScope, found: Found) -> None:
    iam = _iam(scope)
    name = found.id
    for profile in pages(iam, "list_instance_profiles_for_role", "InstanceProfiles", RoleName=name):
        profile_name = profile["InstanceProfileName"]
        ignore_missing(iam.remove_role_from_instance_profile, InstanceProfileName=profile_name, RoleName=name)
    for policy in pages(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name):
        arn = policy["PolicyArn"]
        ignore_missing(iam.detach_role_policy, RoleName=name, PolicyArn=arn)
    for policy_name in pages(iam, "list_role_policies", "PolicyNames", RoleName=name):
        ignore_missing(iam.delete_role_policy, RoleName=name, PolicyName=policy_name)
    iam.delete_role(RoleName=name)


def collect_policies(scope: AwsScope) -> Iterator[Found]:
    iam = _iam(scope)
    for policy in pages(iam, "list_policies", "Policies", Scope="Local"):
        arn = policy["Arn"]
        tags = tag_dict(list(pages(iam, "list_policy_tags", "Tags", PolicyArn=arn)))
        yield Found(kind="iam:policy", id=arn, region=GLOBAL, tags=tags, name=policy.get("PolicyName", arn))


def delete_policy(scope: AwsScope, found: Found) -> None:
    # Still attached to something outside the sweep: DeleteConflict, retried, then reported. The
    # sweep never detaches a phoenix policy from a role that is not itself being deleted.
    iam = _iam(scope)
    for version in pages(iam, "list_policy_versions", "Versions", PolicyArn=found.id):
        if not version.get("IsDefaultVersion"):
            ignore_missing(iam.delete_policy_version, PolicyArn=found.id, VersionId=version["VersionId"])
    iam.delete_policy(PolicyArn=found.id)


INSTANCE_PROFILES = Handler("iam:instance-profile", collect_instance_profiles, delete_instance_profile, scope="global")
ROLES = Handler("iam:role", collect_roles, delete_role, scope="global")
POLICIES = Handler("iam:policy", collect_policies, delete_policy, scope="global")
