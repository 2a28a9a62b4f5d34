"""MlopsPlatform: the whole MLOps platform of one stack, wired from its typed config.

Network -> ServingCluster -> DataLake | Warehouse -> TrackingServer -> Orchestrator, and the
ZeroTrust component rendering the one flow graph every component contributes to.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi.runtime import config as runtime_config

from components.config import NAMESPACE, PlatformConfig
from components.datalake import DataLake, DataLakeArgs


def stack_config_values() -> dict[str, Any]:
    """The stack's ``mlops:*`` keys and ``aws:region`` as the engine passed them to this program."""
    values = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return {key: value for key, value in values.items() if key.startswith(f"{NAMESPACE}:") or key == "aws:region"}


class MlopsPlatform(pulumi.ComponentResource):
    """Every component of the platform, parented here so one tree shows the whole environment."""

    provider: aws.Provider
    """The AWS provider all AWS resources use: region and the required default tags."""

    def __init__(self, name: str, config: PlatformConfig, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:platform:MlopsPlatform", name, None, opts)
        self.config = config
        # Default tags reach every taggable AWS resource; phoenix stacks add their expiry tags here.
        self.provider = aws.Provider(
            f"{name}-aws",
            region=config.region,
            default_tags=aws.ProviderDefaultTagsArgs(tags=config.required_tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._exports: dict[str, pulumi.Input[Any]] = {
            "environment": config.environment,
            "region": config.region,
        }
        # Every AWS resource below uses this provider (children inherit it from their component).
        aws_opts = pulumi.ResourceOptions(parent=self, providers=[self.provider])
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id

        self.lake: DataLake | None = None
        if config.storage.lake:
            self.lake = DataLake(
                "lake",
                DataLakeArgs(config=config.lake, environment=config.environment, account_id=account_id, region=config.region),
                opts=aws_opts,
            )
            self._exports.update(
                lakeBuckets=self.lake.bucket_names,
                lakeKeyArn=self.lake.key_arn,
                lakeDatabases=self.lake.database_names,
                athenaWorkgroup=self.lake.workgroup_name,
            )
        self.register_outputs({})

    def exports(self) -> dict[str, pulumi.Input[Any]]:
        """Stack outputs (IDs, ARNs, endpoints) to publish with ``pulumi.export``."""
        return dict(self._exports)
