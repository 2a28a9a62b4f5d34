"""Node resources of the ServingCluster: the node role, the node-volume key (and EC2 Auto Scaling's
service-linked role its policy names), and each pool's launch template and managed node group.

Functions taking the component as ``parent``; the values come from ``components.cluster.nodes``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from components.cluster import control_plane, nodes
from components.iam import assume_role_policy, partition_of
from components.registry import policies as registry_policies
from components.registry.images import RegistryBase
from contracts.registry import CACHE_PREFIXES


def node_key(
    parent: pulumi.Resource, name: str, *, cluster_name: str, partition: str, account: pulumi.Output[str]
) -> aws.kms.Key:
    """The KMS key of the nodes' root and persistent volumes."""
    # The node key's policy names EC2 Auto Scaling's service-linked role, which a fresh account does
    # not have until its first Auto Scaling group: KMS rejects a policy naming a missing principal
    # (terraform-aws-modules/terraform-aws-eks#3013). Own the role (adopted if it exists) and make the
    # key wait for it; the AWS provider retries key creation while IAM propagates the new role.
    autoscaling_role = autoscaling_service_linked_role(f"{name}-autoscaling-slr", parent=parent)
    return aws.kms.Key(
        f"{name}-node-key",
        description=f"Root and persistent volumes of {cluster_name} nodes",
        enable_key_rotation=True,
        deletion_window_in_days=30,
        policy=account.apply(lambda acct: nodes.node_key_policy(partition=partition, account=acct)),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[autoscaling_role]),
    )


def node_role(
    parent: pulumi.Resource,
    name: str,
    *,
    cluster_name: str,
    region: str,
    registry: pulumi.Output[RegistryBase] | None = None,
) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
    """The IAM role of every node, its managed-policy attachments and (with ``registry``) the permission to fill
    the stack's pull-through cache on a first pull."""
    role = aws.iam.Role(
        f"{name}-node-role",
        assume_role_policy=assume_role_policy("ec2.amazonaws.com"),
        description=f"Nodes of {cluster_name}",
        opts=pulumi.ResourceOptions(parent=parent),
    )
    # AmazonEKS_CNI_Policy is NOT here: the vpc-cni add-on gets it through its own IRSA role.
    # ECR: PullOnly is the least-privilege managed policy AWS now documents for node roles.
    policies: list[pulumi.Resource] = [
        aws.iam.RolePolicyAttachment(
            f"{name}-node-{policy}",
            role=role.name,
            policy_arn=control_plane.managed_policy_arn(region, policy),
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for policy in ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly")
    ]
    if registry is not None:
        # PullOnly grants BatchImportUpstreamImage but not CreateRepository/TagResource, which the first pull of an
        # uncached image needs (components/registry/policies.py); node groups wait for it like for the others.
        partition = partition_of(region)
        policies.append(
            aws.iam.RolePolicy(
                f"{name}-node-pull-through-cache",
                role=role.id,
                policy=registry.apply(
                    lambda r: registry_policies.node_pull_policy(
                        partition=partition, region=region, account=r.account_id, prefixes=CACHE_PREFIXES
                    )
                ),
                opts=pulumi.ResourceOptions(parent=parent),
            )
        )
    return role, policies


def node_group(
    parent: pulumi.Resource,
    name: str,
    spec: nodes.NodePoolSpec,
    *,
    cluster: aws.eks.Cluster,
    environment: str,
    subnet_ids: pulumi.Input[Sequence[str]],
    tags: Mapping[str, str],
    node_role_arn: pulumi.Output[str],
    key_arn: pulumi.Output[str],
    depends_on: Sequence[pulumi.Resource],
) -> aws.eks.NodeGroup:
    """A launch template (IMDSv2 hop 1, encrypted gp3 root) and the managed node group using it."""
    imds = nodes.metadata_options()
    template = aws.ec2.LaunchTemplate(
        f"{name}-{spec.role}-lt",
        description=f"{spec.role} nodes of mlops-{environment}: IMDSv2 only, encrypted root volume",
        metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(**imds),
        block_device_mappings=[
            aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                device_name=nodes.ROOT_DEVICE,
                ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                    **nodes.root_volume(spec.pool.disk_size_gib), kms_key_id=key_arn
                ),
            )
        ],
        tag_specifications=[aws.ec2.LaunchTemplateTagSpecificationArgs(**ts) for ts in nodes.tag_specifications(tags)],
        update_default_version=True,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    pool = spec.pool
    return aws.eks.NodeGroup(
        f"{name}-{spec.role}",
        cluster_name=cluster.name,
        version=cluster.version,
        node_role_arn=node_role_arn,
        subnet_ids=subnet_ids,
        ami_type=spec.ami_type,
        instance_types=list(pool.instance_types),
        capacity_type=pool.capacity_type,
        scaling_config=aws.eks.NodeGroupScalingConfigArgs(
            min_size=pool.min_size, desired_size=pool.desired_size, max_size=pool.max_size
        ),
        launch_template=aws.eks.NodeGroupLaunchTemplateArgs(id=template.id, version=template.latest_version.apply(str)),
        labels=spec.labels,
        taints=[aws.eks.NodeGroupTaintArgs(**t) for t in spec.taints] or None,
        update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable_percentage=33),
        node_repair_config=aws.eks.NodeGroupNodeRepairConfigArgs(enabled=True),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)),
    )


AUTOSCALING_SERVICE = "autoscaling.amazonaws.com"
AUTOSCALING_ROLE_PATH = f"/aws-service-role/{AUTOSCALING_SERVICE}/"
AUTOSCALING_ROLE_NAME = "AWSServiceRoleForAutoScaling"


def autoscaling_service_linked_role(name: str, *, parent: pulumi.Resource) -> aws.iam.ServiceLinkedRole:
    """EC2 Auto Scaling's service-linked role: created in a fresh account, adopted where it exists.

    It is one per account and shared with every Auto Scaling group, so a destroy keeps it
    (``retain_on_delete``), and an existing one is imported instead of created (creating it twice fails).
    The import id is the role ARN, the id Pulumi records after creating it, so on later runs the import
    option is a no-op (pulumi/pulumi developer-docs/architecture/import.md, case 2). Tags are ignored:
    a role AWS created has none, and an import must match.
    """
    existing = aws.iam.get_roles(
        path_prefix=AUTOSCALING_ROLE_PATH,
        name_regex=f"^{AUTOSCALING_ROLE_NAME}$",
        opts=pulumi.InvokeOptions(parent=parent),
    )
    arns = sorted(existing.arns or [])
    return aws.iam.ServiceLinkedRole(
        name,
        aws_service_name=AUTOSCALING_SERVICE,
        opts=pulumi.ResourceOptions(
            parent=parent,
            import_=arns[0] if arns else None,
            retain_on_delete=True,
            ignore_changes=["tags", "tagsAll"],
        ),
    )
