"""The warehouse as built is compliant with the platform's policy pack."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.data.config import WarehouseConfig
from components.data.warehouse import Warehouse, WarehouseArgs
from mlopsctl.engine import run_program
from mlopsctl.policy import evaluate

TAGS = {"owner": "ml-platform-team", "environment": "prod", "cost-center": "cc-1001"}


def test_warehouse_has_no_policy_violations() -> None:
    def program() -> None:
        provider = aws.Provider("aws", region="eu-west-1", default_tags={"tags": TAGS})
        Warehouse(
            "warehouse",
            WarehouseArgs(
                config=WarehouseConfig(base_capacity=32, protect=True),
                environment="prod",
                account_id="123456789012",
                region="eu-west-1",
                vpc_id="vpc-0123",
                subnet_ids=["subnet-a", "subnet-b", "subnet-c"],
                subnet_cidrs=["10.50.32.0/20", "10.50.48.0/20", "10.50.64.0/20"],
            ),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )

    report = evaluate(run_program(program, stack="prod", config={"aws:region": "eu-west-1"}))
    assert [(v.policy, v.urn, v.message) for v in report.violations] == []
    ran = {rule.name for rule in report.rules}
    assert {"redshift-namespace-customer-key", "redshift-workgroup-not-public", "kms-key-rotation"} <= ran
