"""What each billable resource type of the plan costs, as quantities against price keys.

A pricer reads one resource's wire inputs (and, where a price depends on a neighbour, the plan around
it) and returns ``Charge``s: an item, a monthly quantity, its unit and the price key it is billed at.
Pricers never hold a price: ``mlopsctl.cost.model`` looks every key up in the snapshot, and a key the
snapshot lacks makes the charge *unpriced*. Types with no pricer cost nothing (IAM, security groups,
route tables, Kubernetes objects, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlopsctl.cost.charges import Charge, PlanContext, Pricer
from mlopsctl.cost.charges import inputs_of as _inputs
from mlopsctl.cost.charges import num as _num
from mlopsctl.cost.pricers_network import eip, k8s_service, load_balancer, nat_gateway, vpc_endpoint

MULTI_AZ_FACTOR = 2
"""A Multi-AZ DB instance runs a standby: instance-hours and storage are billed twice."""


def eks_cluster(r: Mapping[str, Any], ctx: PlanContext) -> list[Charge]:
    version = _inputs(r).get("version", "?")
    return [
        Charge(
            "EKS control plane (standard support)",
            ctx.hours,
            "cluster-hours",
            "eks.clusterHour",
            f"Kubernetes {version}",
        )
    ]


def _launch_template(r: Mapping[str, Any], ctx: PlanContext) -> Mapping[str, Any]:
    for urn in (r.get("propertyDependencies") or {}).get("launchTemplate", ()):
        lt = ctx.resources.get(urn)
        if lt is not None:
            return _inputs(lt)
    return {}


def eks_node_group(r: Mapping[str, Any], ctx: PlanContext) -> list[Charge]:
    inputs, lt = _inputs(r), _launch_template(r, ctx)
    scaling = inputs.get("scalingConfig") or {}
    desired = _num(scaling.get("desiredSize"))
    types = list(inputs.get("instanceTypes") or ([lt["instanceType"]] if lt.get("instanceType") else []))
    itype = types[0] if types else "unknown"
    size = f"desired {int(desired)} (min {scaling.get('minSize', '?')}, max {scaling.get('maxSize', '?')})"
    note = size + (f"; alternatives {', '.join(types[1:])}" if len(types) > 1 else "")
    if inputs.get("capacityType") == "SPOT":
        note += "; SPOT capacity priced at on-demand (an upper bound)"
    keys = tuple(f"ec2.instanceHour:{t}" for t in types)
    charges = [
        Charge(
            f"EC2 {itype} nodes (on-demand Linux)",
            desired * ctx.hours,
            "instance-hours",
            f"ec2.instanceHour:{itype}",
            note,
            shown_prices=keys if len(keys) > 1 or desired == 0 else (),
        )
    ]
    mappings = lt.get("blockDeviceMappings") or [{}]
    ebs = (mappings[0] or {}).get("ebs") or {}
    gb = _num(ebs.get("volumeSize"), ctx.usage.ebs.defaultRootVolumeGb)
    if lt.get("blockDeviceMappings") is None and inputs.get("diskSize") is not None:
        gb = _num(inputs.get("diskSize"))
    vtype = str(ebs.get("volumeType") or "gp3")
    charges.append(
        Charge(f"EBS {vtype} root volumes ({gb:g} GB per node)", desired * gb, "GB-months", f"ebs.{vtype}.gbMonth")
    )
    return charges


def rds_instance(r: Mapping[str, Any], ctx: PlanContext) -> list[Charge]:
    inputs = _inputs(r)
    engine, klass = str(inputs.get("engine", "postgres")), str(inputs.get("instanceClass", "?"))
    multi = bool(inputs.get("multiAz"))
    factor = MULTI_AZ_FACTOR if multi else 1
    deploy = "Multi-AZ (primary + standby)" if multi else "Single-AZ"
    storage = _num(inputs.get("allocatedStorage"))
    stype = str(inputs.get("storageType") or "gp2")
    charges = [
        Charge(
            f"RDS {engine} {klass} {deploy}", factor * ctx.hours, "instance-hours", f"rds.instanceHour:{engine}:{klass}"
        ),
        Charge(
            f"RDS {stype} storage {deploy}",
            factor * storage,
            "GB-months",
            f"rds.{stype}.gbMonth",
            f"{storage:g} GB allocated",
        ),
    ]
    if _num(inputs.get("backupRetentionPeriod")) > 0:
        billable = max(0.0, ctx.usage.rds.backupGbPerInstance - storage)
        note = f"assumed {ctx.usage.rds.backupGbPerInstance:g} GB, free up to {storage:g} GB"
        charges.append(
            Charge("RDS backup storage beyond the free allowance", billable, "GB-months", "rds.backup.gbMonth", note)
        )
    if inputs.get("manageMasterUserPassword"):
        charges += _secret_charges(ctx, "Master-user secret (Secrets Manager, managed by RDS)")
    return charges


def _usage_limit_cap(workgroup_urn: str, ctx: PlanContext) -> float | None:
    periods = {"daily": 24.0, "weekly": 168.0}
    caps = []
    for limit in ctx.by_type.get("aws:redshiftserverless/usageLimit:UsageLimit", ()):
        li = _inputs(limit)
        if workgroup_urn in (limit.get("dependencies") or ()) and li.get("usageType") == "serverless-compute":
            period = periods.get(str(li.get("period", "monthly")))
            amount = _num(li.get("amount"))
            caps.append(amount * ctx.hours / period if period else amount)
    return min(caps) if caps else None


def redshift_workgroup(r: Mapping[str, Any], ctx: PlanContext) -> list[Charge]:
    base = _num(_inputs(r).get("baseCapacity"), 128.0)
    hours = ctx.usage.warehouse.activeHoursPerMonth
    rpu_hours = base * hours
    note = f"{base:g} base RPUs x {hours:g} assumed active hours"
    cap = _usage_limit_cap(str(r.get("urn")), ctx)
    if cap is not None and cap < rpu_hours:
        rpu_hours, note = cap, note + f", capped by the usage limit at {cap:g} RPU-hours"
    return [Charge("Redshift Serverless compute", rpu_hours, "RPU-hours", "redshiftServerless.rpuHour", note)]


def s3_bucket(r: Mapping[str, Any], ctx: PlanContext) -> list[Charge]:
    s3 = ctx.usage.s3
    gb = s3.buckets.get(str(r.get("name")), s3.defaultGbPerBucket)
    return [
        Charge(
            "S3 Standard storage", gb, "GB-months", "s3.standard.gbMonth", "assumed size; lifecycle tiers not modelled"
        )
    ]


def kms_key(r: Mapping[str, Any], ctx: PlanContext) -> list[Charge]:
    rotation = "; each yearly rotation adds a key-month from year two" if _inputs(r).get("enableKeyRotation") else ""
    return [
        Charge("KMS customer managed key", 1, "key-months", "kms.keyMonth", "requests within the free tier" + rotation)
    ]


def _flow_log_groups(ctx: PlanContext) -> set[str]:
    names = set()
    for flow in ctx.by_type.get("aws:ec2/flowLog:FlowLog", ()):
        dest = str(_inputs(flow).get("logDestination", ""))
        if ":log-group:" in dest:
            names.add(dest.split(":log-group:", 1)[1].removesuffix(":*"))
    return names


def log_group(r: Mapping[str, Any], ctx: PlanContext) -> list[Charge]:
    logs, inputs = ctx.usage.logs, _inputs(r)
    gb = logs.groups.get(str(r.get("name")), logs.defaultIngestGbPerGroup)
    retention = _num(inputs.get("retentionInDays"))
    months = retention / 30 if retention else logs.storageMonthsWithoutRetention
    vended = str(inputs.get("name", "")) in _flow_log_groups(ctx)
    item, key = (
        ("Vended log ingestion (VPC flow logs)", "logs.vendedIngestGb")
        if vended
        else ("Log ingestion", "logs.ingestGb")
    )
    return [
        Charge(item, gb, "GB", key),
        Charge(
            "Log storage",
            gb * months,
            "GB-months",
            "logs.storageGbMonth",
            f"steady state: {months:.1f} months kept, uncompressed",
        ),
    ]


def _secret_charges(ctx: PlanContext, item: str) -> list[Charge]:
    calls = ctx.usage.secretsManager.apiCallsPerSecretPerMonth
    return [
        Charge(item, 1, "secret-months", "secretsmanager.secretMonth"),
        Charge("Secrets Manager API calls", calls, "requests", "secretsmanager.apiRequest"),
    ]


def secret(r: Mapping[str, Any], ctx: PlanContext) -> list[Charge]:
    return _secret_charges(ctx, "Secrets Manager secret")


def ecr_repository(r: Mapping[str, Any], ctx: PlanContext) -> list[Charge]:
    return [Charge("ECR image storage", ctx.usage.ecr.gbPerRepository, "GB-months", "ecr.storageGbMonth")]


def codebuild_project(r: Mapping[str, Any], ctx: PlanContext) -> list[Charge]:
    env = _inputs(r).get("environment") or {}
    compute = str(env.get("computeType", "BUILD_GENERAL1_SMALL"))
    suffix = "" if env.get("type", "LINUX_CONTAINER") == "LINUX_CONTAINER" else f":{env.get('type')}"
    minutes = ctx.usage.codebuild.buildMinutesPerMonth
    return [
        Charge(
            f"CodeBuild {compute} build minutes (deploy runner)",
            minutes,
            "build-minutes",
            f"codebuild.buildMinute:{compute}{suffix}",
        )
    ]


def mwaa_environment(r: Mapping[str, Any], ctx: PlanContext) -> list[Charge]:
    klass = str(_inputs(r).get("environmentClass", "mw1.small"))
    return [Charge(f"MWAA environment {klass}", ctx.hours, "environment-hours", f"mwaa.environmentHour:{klass}")]


PRICERS: dict[str, Pricer] = {
    "aws:eks/cluster:Cluster": eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": eks_node_group,
    "aws:ec2/natGateway:NatGateway": nat_gateway,
    "aws:ec2/eip:Eip": eip,
    "aws:ec2/vpcEndpoint:VpcEndpoint": vpc_endpoint,
    "aws:rds/instance:Instance": rds_instance,
    "aws:redshiftserverless/workgroup:Workgroup": redshift_workgroup,
    "aws:s3/bucket:Bucket": s3_bucket,
    "aws:s3/bucketV2:BucketV2": s3_bucket,
    "aws:kms/key:Key": kms_key,
    "aws:cloudwatch/logGroup:LogGroup": log_group,
    "aws:secretsmanager/secret:Secret": secret,
    "aws:lb/loadBalancer:LoadBalancer": load_balancer,
    "aws:alb/loadBalancer:LoadBalancer": load_balancer,
    "kubernetes:core/v1:Service": k8s_service,
    "aws:ecr/repository:Repository": ecr_repository,
    "aws:codebuild/project:Project": codebuild_project,
    "aws:mwaa/environment:Environment": mwaa_environment,
}
"""Resource type -> pricer. Everything else in a plan is free or billed through a type listed here."""
