"""Which property changes force a replacement, for the resource types this platform uses most.

This is the ONE place that knows. A plan-vs-plan diff has no provider to ask, so an update touching one of
these paths is shown as "replace", which is what `pulumi preview` would report. (For a real `pulumi preview
--json` the engine's own `replaceReasons` are used instead and this table is not consulted.)

Evidence: pulumi-aws is bridged from the Terraform AWS provider, and the bridge turns every `ForceNew: true`
schema field into a replacement (pulumi-terraform-bridge `detailed_diff.go`, `promoteToReplace`). The
entries below are the `ForceNew` fields of these schemas in hashicorp/terraform-provider-aws:
  internal/service/rds/instance.go        aws_db_instance        (engine, identifier, kms_key_id, ...)
  internal/service/rds/cluster.go         aws_rds_cluster
  internal/service/rds/subnet_group.go    aws_db_subnet_group
  internal/service/ec2/vpc_.go            aws_vpc                (cidr_block, ipv4_ipam_pool_id, ...)
  internal/service/ec2/vpc_subnet.go      aws_subnet
  internal/service/ec2/vpc_security_group.go       aws_security_group (description, name, vpc_id)
  internal/service/ec2/vpc_security_group_rule.go  aws_security_group_rule (every rule field)
  internal/service/eks/cluster.go         aws_eks_cluster        (name, role_arn, kubernetes_network_config)
  internal/service/eks/node_group.go      aws_eks_node_group
  internal/service/s3/bucket.go           aws_s3_bucket          (bucket, bucket_prefix, object_lock_enabled)
  internal/service/kms/key.go             aws_kms_key            (customer_master_key_spec, key_usage, ...)
  internal/service/iam/role.go, policy.go aws_iam_role / aws_iam_policy (name, path; policy description)
  internal/service/ecr/repository.go, pull_through_cache_rule.go, repository_creation_template.go,
    lifecycle_policy.go, repository_policy.go  (repository name and encryption; a rule's prefix and upstream,
    its credential being updatable in place; a template's prefix; the repository of a policy)
Paths are Pulumi's camelCase input names; blocks with `MaxItems: 1` are flattened to objects by the bridge,
so `vpc_config.0.x` becomes `vpcConfig.x`. Note: in current provider versions `vpc_config.subnet_ids` and
`security_group_ids` of an EKS cluster are updatable in place and deliberately NOT listed.
Conditional replacements (e.g. removing an EKS `encryption_config`) are left to the real preview.

Kubernetes: fields the API server rejects as immutable, which pulumi-kubernetes answers with a replacement
(https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#label-selector-updates,
StatefulSet and Job spec validation). A change of `metadata.name` or `metadata.namespace` replaces any
Kubernetes object.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mlopsctl.diff.paths import ABSENT, dig, format_path, keys_only, overlaps, parse_path

FORCE_NEW: Mapping[str, tuple[str, ...]] = {
    # --- AWS (pulumi-aws v7) ---
    "aws:rds/instance:Instance": (
        "availabilityZone",
        "characterSetName",
        "customIamInstanceProfile",
        "dbName",
        "engine",
        "identifier",
        "identifierPrefix",
        "kmsKeyId",
        "ncharCharacterSetName",
        "restoreToPointInTime",
        "s3Import",
        "snapshotIdentifier",
        "storageEncrypted",
        "timezone",
        "username",
    ),
    "aws:rds/cluster:Cluster": (
        "availabilityZones",
        "clusterIdentifier",
        "clusterIdentifierPrefix",
        "databaseName",
        "dbSubnetGroupName",
        "engine",
        "engineMode",
        "kmsKeyId",
        "masterUsername",
        "restoreToPointInTime",
        "s3Import",
        "snapshotIdentifier",
        "sourceRegion",
        "storageEncrypted",
    ),
    "aws:rds/subnetGroup:SubnetGroup": ("name", "namePrefix"),
    "aws:ec2/vpc:Vpc": ("cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength"),
    "aws:ec2/subnet:Subnet": (
        "availabilityZone",
        "availabilityZoneId",
        "cidrBlock",
        "ipv6Native",
        "outpostArn",
        "vpcId",
    ),
    "aws:ec2/securityGroup:SecurityGroup": ("description", "name", "namePrefix", "vpcId"),
    "aws:ec2/securityGroupRule:SecurityGroupRule": (
        "cidrBlocks",
        "fromPort",
        "ipv6CidrBlocks",
        "prefixListIds",
        "protocol",
        "securityGroupId",
        "self",
        "sourceSecurityGroupId",
        "toPort",
        "type",
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ("securityGroupId",),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ("securityGroupId",),
    "aws:ec2/natGateway:NatGateway": ("allocationId", "connectivityType", "privateIp", "subnetId"),
    "aws:ec2/routeTable:RouteTable": ("vpcId",),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("serviceName", "vpcEndpointType", "vpcId"),
    "aws:eks/cluster:Cluster": (
        "accessConfig.bootstrapClusterCreatorAdminPermissions",
        "bootstrapSelfManagedAddons",
        "kubernetesNetworkConfig.ipFamily",
        "kubernetesNetworkConfig.serviceIpv4Cidr",
        "name",
        "outpostConfig",
        "remoteNetworkConfig",
        "roleArn",
    ),
    "aws:eks/nodeGroup:NodeGroup": (
        "amiType",
        "capacityType",
        "clusterName",
        "diskSize",
        "instanceTypes",
        "nodeGroupName",
        "nodeGroupNamePrefix",
        "nodeRoleArn",
        "remoteAccess",
        "subnetIds",
    ),
    "aws:eks/addon:Addon": ("addonName", "clusterName"),
    # terraform-provider-aws internal/service/eks/access_entry.go and access_policy_association.go: ForceNew.
    "aws:eks/accessEntry:AccessEntry": ("clusterName", "principalArn", "type"),
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": ("clusterName", "policyArn", "principalArn"),
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": ("awsServiceName", "customSuffix"),
    "aws:codebuild/project:Project": ("name",),
    "aws:codebuild/webhook:Webhook": ("projectName",),
    # Lake Formation grants are revoked and granted again on any change (every argument is ForceNew).
    "aws:lakeformation/permissions:Permissions": (
        "catalogId",
        "database",
        "dataLocation",
        "permissions",
        "permissionsWithGrantOption",
        "principal",
        "table",
    ),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": ("url",),
    "aws:s3/bucket:Bucket": ("bucket", "bucketPrefix", "objectLockEnabled"),
    "aws:s3/bucketV2:BucketV2": ("bucket", "bucketPrefix", "objectLockEnabled"),
    "aws:kms/key:Key": ("customKeyStoreId", "customerMasterKeySpec", "keyUsage", "multiRegion", "xksKeyId"),
    "aws:kms/alias:Alias": ("name", "namePrefix"),
    "aws:iam/role:Role": ("name", "namePrefix", "path"),
    "aws:iam/policy:Policy": ("description", "name", "namePrefix", "path"),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ("policyArn", "role"),
    "aws:iam/instanceProfile:InstanceProfile": ("name", "namePrefix", "path"),
    "aws:secretsmanager/secret:Secret": ("name", "namePrefix"),
    "aws:cloudwatch/logGroup:LogGroup": ("logGroupClass", "name", "namePrefix"),
    # internal/service/cloudwatch/metric_alarm.go (alarm_name), logs/metric_filter.go, sns/topic.go,
    # sns/topic_subscription.go, budgets/budget.go: ForceNew.
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("name",),
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": ("logGroupName", "name"),
    "aws:sns/topic:Topic": ("fifoTopic", "name", "namePrefix"),
    "aws:sns/topicSubscription:TopicSubscription": ("endpoint", "protocol", "topic"),
    "aws:budgets/budget:Budget": ("accountId", "name", "namePrefix"),
    "aws:ecr/repository:Repository": ("encryptionConfigurations", "name"),
    "aws:ecr/pullThroughCacheRule:PullThroughCacheRule": (
        "ecrRepositoryPrefix",
        "upstreamRegistryUrl",
        "upstreamRepositoryPrefix",
    ),
    "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate": ("prefix",),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": ("repository",),
    "aws:ecr/repositoryPolicy:RepositoryPolicy": ("repository",),
    "aws:glue/catalogDatabase:CatalogDatabase": ("catalogId", "name"),
    "aws:glue/catalogTable:CatalogTable": ("catalogId", "databaseName", "name"),
    "aws:athena/workgroup:Workgroup": ("name",),
    "aws:redshiftserverless/namespace:Namespace": ("namespaceName",),
    "aws:redshiftserverless/workgroup:Workgroup": ("namespaceName", "workgroupName"),
    # --- Kubernetes (pulumi-kubernetes v4): immutable fields ---
    "kubernetes:apps/v1:Deployment": ("spec.selector",),
    "kubernetes:apps/v1:StatefulSet": (
        "spec.podManagementPolicy",
        "spec.selector",
        "spec.serviceName",
        "spec.volumeClaimTemplates",
    ),
    "kubernetes:apps/v1:DaemonSet": ("spec.selector",),
    "kubernetes:batch/v1:Job": ("spec.selector", "spec.template"),
    "kubernetes:core/v1:Service": ("spec.clusterIP", "spec.clusterIPs"),
    "kubernetes:core/v1:PersistentVolumeClaim": ("spec.accessModes", "spec.storageClassName", "spec.volumeName"),
    "kubernetes:storage.k8s.io/v1:StorageClass": ("parameters", "provisioner", "reclaimPolicy"),
    # A Helm release is identified by its name; a new name installs a new release.
    "kubernetes:helm.sh/v3:Release": ("name",),
}

KUBERNETES_IDENTITY: tuple[str, ...] = ("metadata.name", "metadata.namespace")
"""Identity fields of every Kubernetes object (kubernetes:*)."""


def forcing_paths(type_: str) -> tuple[tuple[str, ...], ...]:
    """Key paths (list indices dropped) whose change replaces a resource of `type_`."""
    paths = list(FORCE_NEW.get(type_, ()))
    if type_.startswith("kubernetes:") and not type_.startswith("kubernetes:helm.sh/"):
        paths.extend(KUBERNETES_IDENTITY)
    return tuple(keys_only(parse_path(p)) for p in paths)


def forcing_match(type_: str, path: Sequence[str | int], before: Any = ABSENT, after: Any = ABSENT) -> str | None:
    """The table entry (as a path string) that a change at `path` touches, or None.

    A change deeper than an entry (`spec.selector.matchLabels.app` under `spec.selector`) always touches it.
    A change above an entry (a whole `spec` object replaced) touches it only when the values below differ,
    which is why the before/after values of the change are passed in.
    """
    keys = keys_only(path)
    for forcing in forcing_paths(type_):
        if not overlaps(keys, forcing):
            continue
        if len(keys) >= len(forcing) or dig(before, forcing[len(keys) :]) != dig(after, forcing[len(keys) :]):
            return format_path(forcing)
    return None
