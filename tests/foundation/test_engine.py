"""The offline engine: captured graph, determinism, secret masking, duplicate URNs, the plan contract."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest

from mlopsctl.engine import DuplicateUrnError, Graph, run_program, run_stack
from mlopsctl.plan import SCHEMA, build_plan, dumps
from mlopsctl.render import render_markdown

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "hunter2-do-not-leak"


class Box(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        super().__init__("mlops:test:Box", name)
        self.bucket = aws.s3.Bucket(f"{name}-bucket", bucket="box-bucket", opts=pulumi.ResourceOptions(parent=self))
        aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=self.bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        aws.secretsmanager.SecretVersion(
            f"{name}-secret",
            secret_id="s",
            secret_string=pulumi.Output.secret(PASSWORD),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})


def box_program() -> None:
    box = Box("box")
    pulumi.export("bucketArn", box.bucket.arn)
    pulumi.export("token", pulumi.Output.secret(PASSWORD))


def test_captures_every_registration_field() -> None:
    graph = run_program(box_program, stack="t", config={"aws:region": "eu-central-1"})
    component = graph.get("urn:pulumi:t::mlops-platform::mlops:test:Box::box")
    assert component.custom is False and component.parent is None
    versioning = graph.by_type("aws:s3/bucketVersioning:BucketVersioning")[0]
    bucket_urn = "urn:pulumi:t::mlops-platform::mlops:test:Box$aws:s3/bucket:Bucket::box-bucket"
    assert versioning.parent == component.urn
    assert versioning.protect is True
    assert versioning.inputs == {"bucket": "box-bucket", "versioningConfiguration": {"status": "Enabled"}}
    assert versioning.property_dependencies == {"bucket": (bucket_urn,)}
    assert bucket_urn in versioning.dependencies
    assert graph.outputs["bucketArn"] == "arn:aws:s3:::box-bucket"


def test_secrets_are_masked_everywhere() -> None:
    graph = run_program(
        box_program, config={"aws:region": "eu-west-1", "mlops:apiKey": PASSWORD}, secret_keys=("mlops:apiKey",)
    )
    secret = graph.by_type("aws:secretsmanager/secretVersion:SecretVersion")[0]
    assert secret.inputs["secretString"] == "[secret]"
    assert graph.outputs["token"] == "[secret]"
    assert graph.config["mlops:apiKey"] == "[secret]"
    plan_text = dumps(build_plan(graph))
    assert PASSWORD not in plan_text
    assert PASSWORD not in render_markdown(graph)


def test_duplicate_urns_are_rejected() -> None:
    def program() -> None:
        aws.s3.Bucket("same")
        aws.s3.Bucket("same")

    with pytest.raises(DuplicateUrnError, match="aws:s3/bucket:Bucket::same"):
        run_program(program)


def test_same_name_under_different_parents_is_fine() -> None:
    def program() -> None:
        Box("a")
        Box("b")

    assert len(run_program(program).resources) == 8


def test_plan_json_contract(dev_graph: Graph) -> None:
    plan = json.loads(dumps(build_plan(dev_graph)))
    assert list(plan) == ["schema", "project", "stack", "resources", "outputs", "config"]
    assert (plan["schema"], plan["project"], plan["stack"]) == (SCHEMA, "mlops-platform", "dev")
    # The stack config rides along (structured, secrets masked) so checks can be re-run on the document.
    assert plan["config"]["mlops:environment"] == "dev" and plan["config"]["mlops:network"]["nat"] == "single"
    urns = [r["urn"] for r in plan["resources"]]
    assert urns == sorted(urns) and len(urns) == len(set(urns))
    for resource in plan["resources"]:
        # importId only where a resource is adopted (the registry's GitHub OIDC provider).
        assert set(resource) - {"importId"} == {
            "urn",
            "type",
            "name",
            "parent",
            "custom",
            "provider",
            "dependencies",
            "propertyDependencies",
            "protect",
            "retainOnDelete",
            "inputs",
        }
        assert resource["parent"] is None or resource["parent"] in urns
        assert all(dep in urns for dep in resource["dependencies"])


def test_two_runs_are_byte_identical() -> None:
    first = dumps(build_plan(run_stack(ROOT, "prod")))
    second = dumps(build_plan(run_stack(ROOT, "prod")))
    assert first == second


def test_mock_outputs_are_realistic() -> None:
    def program() -> None:
        key = aws.kms.Key("k")
        role = aws.iam.Role("r", name="reader", assume_role_policy="{}")
        pulumi.export("key", key.arn)
        pulumi.export("role", role.arn)
        pulumi.export("account", aws.get_caller_identity_output().account_id)
        pulumi.export("zones", aws.get_availability_zones_output(state="available").names)

    outputs = run_program(program, config={"aws:region": "us-east-2"}).outputs
    assert outputs["account"] == "123456789012"
    assert outputs["zones"] == ["us-east-2a", "us-east-2b", "us-east-2c"]
    assert outputs["key"].startswith("arn:aws:kms:us-east-2:123456789012:key/")
    assert outputs["role"] == "arn:aws:iam::123456789012:role/reader"


def test_nested_urns_carry_the_full_type_chain_like_the_real_engine() -> None:
    class Outer(pulumi.ComponentResource):
        def __init__(self) -> None:
            super().__init__("mlops:test:Outer", "outer")
            inner = pulumi.ComponentResource("mlops:test:Inner", "inner", opts=pulumi.ResourceOptions(parent=self))
            aws.s3.Bucket("deep", opts=pulumi.ResourceOptions(parent=inner))

    graph = run_program(Outer, stack="s")
    assert graph.by_type("aws:s3/bucket:Bucket")[0].urn == (
        "urn:pulumi:s::mlops-platform::mlops:test:Outer$mlops:test:Inner$aws:s3/bucket:Bucket::deep"
    )
