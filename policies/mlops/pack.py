"""The rule selection of the mlops-platform pack (the only list of rules; no logic here)."""

from __future__ import annotations

from policies.mlops.athena import workgroup_enforce_configuration, workgroup_results_encrypted
from policies.mlops.budgets import budget_alerts
from policies.mlops.cloudwatch import (
    alarm_notifies,
    log_group_customer_key,
    log_group_retention,
    log_group_retention_minimum,
    metric_filter_alarmed,
)
from policies.mlops.codebuild import (
    project_cloudwatch_logs,
    project_customer_key,
    project_not_privileged,
    project_vpc_attached,
)
from policies.mlops.ec2 import (
    default_security_group_no_rules,
    launch_template_imdsv2,
    route_table_database_tier_isolated,
    security_group_destination_ingress,
    security_group_no_open_egress,
    security_group_no_public_ingress,
    subnet_no_public_ip,
    volume_encrypted,
    vpc_endpoint_policy_scoped,
    vpc_flow_logs,
)
from policies.mlops.ecr import repository_immutable_tags, repository_kms_encrypted, repository_scan_on_push
from policies.mlops.eks import (
    addon_network_policy_enforced,
    cluster_api_authentication,
    cluster_control_plane_logging,
    cluster_private_endpoint,
    cluster_secrets_encryption,
)
from policies.mlops.elb import (
    listener_forward_authenticated,
    listener_https_only,
    listener_tls_policy_modern,
    load_balancer_access_logs,
    load_balancer_deletion_protection,
    load_balancer_drop_invalid_headers,
    load_balancer_internal,
    load_balancer_public_waf,
)
from policies.mlops.helm import release_chart_version_pinned
from policies.mlops.iam import (
    policy_no_wildcard_action,
    policy_no_wildcard_resource_write,
    role_github_oidc_scoped,
    role_irsa_trust_scoped,
)
from policies.mlops.images import container_registry_ecr
from policies.mlops.k8s import (
    container_image_pinned,
    container_resource_limits,
    namespace_default_deny,
    namespace_pod_security_labels,
    network_policy_egress_narrow,
    pod_no_host_namespaces,
    pod_no_host_path,
    pod_no_privilege_escalation,
    pod_no_privileged,
    pod_run_as_non_root,
    service_internal_load_balancer,
)
from policies.mlops.kms import (
    key_deletion_window,
    key_policy_no_cross_account,
    key_policy_no_public_access,
    key_rotation,
)
from policies.mlops.lakeformation import no_iam_allowed_principals
from policies.mlops.mwaa import environment_private_webserver
from policies.mlops.policy import exemption_valid
from policies.mlops.rds import (
    instance_alarms,
    instance_backup_retention,
    instance_customer_key,
    instance_deletion_protection,
    instance_encrypted,
    instance_final_snapshot,
    instance_log_exports,
    instance_multi_az,
    instance_no_plain_password,
    instance_not_public,
    instance_tls_forced,
)
from policies.mlops.redshift import namespace_customer_key, workgroup_not_public
from policies.mlops.rule import Rule
from policies.mlops.s3 import (
    bucket_access_logging,
    bucket_no_force_destroy,
    bucket_ownership_enforced,
    bucket_public_access_block,
    bucket_sse_kms,
    bucket_tls_only,
    bucket_versioning,
)
from policies.mlops.secrets import config_no_plaintext, container_env_no_plaintext, helm_values_no_plaintext
from policies.mlops.secretsmanager import secret_customer_key
from policies.mlops.sns import subscription_encrypted_delivery, topic_customer_key
from policies.mlops.tagging import resource_phoenix_expiry, resource_required_tags
from policies.mlops.verifiedaccess import group_policy as verifiedaccess_group_policy

PACK_NAME = "mlops-platform"

RULES: tuple[Rule, ...] = (
    # S3
    bucket_sse_kms.RULE,
    bucket_public_access_block.RULE,
    bucket_versioning.RULE,
    bucket_tls_only.RULE,
    bucket_access_logging.RULE,
    bucket_no_force_destroy.RULE,
    bucket_ownership_enforced.RULE,
    # KMS
    key_rotation.RULE,
    key_policy_no_public_access.RULE,
    key_policy_no_cross_account.RULE,
    key_deletion_window.RULE,
    # RDS
    instance_not_public.RULE,
    instance_encrypted.RULE,
    instance_backup_retention.RULE,
    instance_deletion_protection.RULE,
    instance_tls_forced.RULE,
    instance_no_plain_password.RULE,
    instance_alarms.RULE,
    instance_final_snapshot.RULE,
    instance_multi_az.RULE,
    instance_customer_key.RULE,
    instance_log_exports.RULE,
    # EC2 / VPC / ELB
    security_group_no_public_ingress.RULE,
    security_group_destination_ingress.RULE,
    security_group_no_open_egress.RULE,
    route_table_database_tier_isolated.RULE,
    vpc_endpoint_policy_scoped.RULE,
    launch_template_imdsv2.RULE,
    volume_encrypted.RULE,
    vpc_flow_logs.RULE,
    default_security_group_no_rules.RULE,
    subnet_no_public_ip.RULE,
    load_balancer_internal.RULE,
    load_balancer_public_waf.RULE,
    load_balancer_access_logs.RULE,
    load_balancer_deletion_protection.RULE,
    load_balancer_drop_invalid_headers.RULE,
    listener_https_only.RULE,
    listener_tls_policy_modern.RULE,
    listener_forward_authenticated.RULE,
    verifiedaccess_group_policy.RULE,
    # EKS
    cluster_private_endpoint.RULE,
    cluster_secrets_encryption.RULE,
    cluster_control_plane_logging.RULE,
    addon_network_policy_enforced.RULE,
    cluster_api_authentication.RULE,
    # CodeBuild (the in-VPC deploy runner)
    project_vpc_attached.RULE,
    project_not_privileged.RULE,
    project_customer_key.RULE,
    project_cloudwatch_logs.RULE,
    # IAM
    policy_no_wildcard_action.RULE,
    policy_no_wildcard_resource_write.RULE,
    role_irsa_trust_scoped.RULE,
    role_github_oidc_scoped.RULE,
    # ECR and images
    repository_immutable_tags.RULE,
    repository_scan_on_push.RULE,
    repository_kms_encrypted.RULE,
    container_registry_ecr.RULE,
    # Kubernetes and Helm
    namespace_default_deny.RULE,
    network_policy_egress_narrow.RULE,
    namespace_pod_security_labels.RULE,
    pod_no_privileged.RULE,
    pod_no_privilege_escalation.RULE,
    pod_run_as_non_root.RULE,
    pod_no_host_namespaces.RULE,
    pod_no_host_path.RULE,
    container_image_pinned.RULE,
    container_resource_limits.RULE,
    service_internal_load_balancer.RULE,
    release_chart_version_pinned.RULE,
    # Data services
    workgroup_results_encrypted.RULE,
    workgroup_enforce_configuration.RULE,
    workgroup_not_public.RULE,
    namespace_customer_key.RULE,
    environment_private_webserver.RULE,
    no_iam_allowed_principals.RULE,
    # Observability: alert channel, logs, alarms, budget
    topic_customer_key.RULE,
    subscription_encrypted_delivery.RULE,
    log_group_retention.RULE,
    log_group_retention_minimum.RULE,
    log_group_customer_key.RULE,
    alarm_notifies.RULE,
    metric_filter_alarmed.RULE,
    budget_alerts.RULE,
    # Tagging
    resource_required_tags.RULE,
    resource_phoenix_expiry.RULE,
    # Secrets
    helm_values_no_plaintext.RULE,
    container_env_no_plaintext.RULE,
    config_no_plaintext.RULE,
    secret_customer_key.RULE,
    # Exemptions
    exemption_valid.RULE,
)
"""Every rule the pack runs, in report order."""
