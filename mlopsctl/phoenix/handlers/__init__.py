"""The sweep's service handlers, in deletion order.

The order is the dependency order of the platform's resources: what uses something is deleted
before what it uses. Node groups before clusters; instances, CodeBuild projects (the deploy runner, whose
builds hold network interfaces), load balancers, databases and NAT gateways before the network pieces they
sit in; network pieces inside-out (ENIs and addresses, security groups, gateways, route tables, subnets)
before their VPC; alarms, the alert topic and budgets, data, logs and image repositories before the KMS keys
that encrypt them; IAM (global) after every regional user of its roles.
"""

from __future__ import annotations

from mlopsctl.phoenix.handlers import (
    acm,
    athena,
    budgets,
    cloudwatch,
    codebuild,
    cognito,
    ec2,
    ecr,
    eks,
    elbv2,
    elbv2_trust_stores,
    glue,
    iam,
    kms,
    logs,
    rds,
    route53,
    s3,
    secretsmanager,
    sns,
    verifiedaccess,
    wafv2,
)
from mlopsctl.phoenix.handlers.base import Found, Handler

HANDLERS: tuple[Handler, ...] = (
    eks.NODEGROUPS,
    eks.CLUSTERS,
    ec2.INSTANCES,
    codebuild.PROJECTS,
    verifiedaccess.ENDPOINTS,
    verifiedaccess.GROUPS,
    verifiedaccess.INSTANCES,
    verifiedaccess.TRUST_PROVIDERS,
    elbv2.LOAD_BALANCERS,
    elbv2.TARGET_GROUPS,
    elbv2_trust_stores.TRUST_STORES,
    wafv2.WEB_ACLS,
    acm.CERTIFICATES,
    cognito.USER_POOLS,
    rds.DB_INSTANCES,
    rds.DB_SUBNET_GROUPS,
    rds.DB_PARAMETER_GROUPS,
    ec2.NAT_GATEWAYS,
    ec2.VPC_ENDPOINTS,
    ec2.NETWORK_INTERFACES,
    ec2.ELASTIC_IPS,
    ec2.LAUNCH_TEMPLATES,
    ec2.SECURITY_GROUPS,
    ec2.INTERNET_GATEWAYS,
    ec2.ROUTE_TABLES,
    ec2.SUBNETS,
    route53.HOSTED_ZONES,
    ec2.VPCS,
    s3.BUCKETS,
    glue.GLUE_DATABASES,
    athena.ATHENA_WORKGROUPS,
    cloudwatch.ALARMS,
    sns.TOPICS,
    budgets.BUDGETS,
    logs.LOG_GROUPS,
    secretsmanager.SECRETS,
    ecr.REPOSITORIES,
    iam.INSTANCE_PROFILES,
    iam.ROLES,
    iam.POLICIES,
    kms.KMS_KEYS,
)

KINDS: tuple[str, ...] = tuple(handler.kind for handler in HANDLERS)

__all__ = ["HANDLERS", "KINDS", "Found", "Handler"]
