"""Plan-vs-plan diff: change kinds, nested paths, replacements, renames and parent moves, components."""

from __future__ import annotations

import pytest
from diff_helpers import component, plan, resource, urn

from mlopsctl.diff import ChangeKind, DiffError, PropOp, diff_plans, parse_plan
from mlopsctl.diff.model import Diff, ResourceChange

NET = "mlops:network:Network"
LAKE = "mlops:lake:DataLake"
BUCKET = "aws:s3/bucket:Bucket"


def _diff(base: list[dict], head: list[dict], **kw: object) -> Diff:
    return diff_plans(parse_plan(plan(base, **kw), "base.json"), parse_plan(plan(head, **kw), "head.json"))


def _one(diff: Diff, name: str) -> ResourceChange:
    found = [c for c in diff.changes if c.name == name]
    assert len(found) == 1, found
    return found[0]


def test_each_change_kind_and_unchanged_count() -> None:
    net = component(NET, "network")
    keep = resource("aws:ec2/vpc:Vpc", "network-vpc", {"cidrBlock": "10.0.0.0/16"}, parent=net["urn"])
    upd_old = resource("aws:ec2/subnet:Subnet", "network-a", {"mapPublicIpOnLaunch": False}, parent=net["urn"])
    upd_new = resource("aws:ec2/subnet:Subnet", "network-a", {"mapPublicIpOnLaunch": True}, parent=net["urn"])
    gone = resource("aws:ec2/eip:Eip", "network-eip", {"domain": "vpc"}, parent=net["urn"])
    added = resource("aws:ec2/natGateway:NatGateway", "network-nat", {"subnetId": "s-1"}, parent=net["urn"])
    diff = _diff([net, keep, upd_old, gone], [net, keep, upd_new, added])

    assert [(c.kind, c.name) for c in diff.changes] == [
        (ChangeKind.DELETE, "network-eip"),
        (ChangeKind.CREATE, "network-nat"),
        (ChangeKind.UPDATE, "network-a"),
    ]
    assert diff.unchanged == 2  # the component and the VPC; the root stack is not counted
    assert diff.unchanged_by_component == {"network": 2}
    update = _one(diff, "network-a")
    assert [(p.path, p.op, p.before, p.after) for p in update.properties] == [
        ("mapPublicIpOnLaunch", PropOp.UPDATE, False, True)
    ]
    assert {c.component for c in diff.changes} == {"network"}


def test_nested_paths_render_as_dots_and_indices() -> None:
    old = resource(BUCKET, "b", {"lifecycleRules": [{"id": "a", "expiration": {"days": 30}}], "tags": {"a.b": "1"}})
    new = resource(
        BUCKET,
        "b",
        {"lifecycleRules": [{"id": "a", "expiration": {"days": 90}}, {"id": "b"}], "tags": {"a.b": "2", "x": "y"}},
    )
    props = _one(_diff([old], [new]), "b").properties
    assert [(p.path, p.op) for p in props] == [
        ("lifecycleRules[0].expiration.days", PropOp.UPDATE),
        ("lifecycleRules[1]", PropOp.ADD),
        ('tags["a.b"]', PropOp.UPDATE),
        ("tags.x", PropOp.ADD),
    ]
    assert props[0].before == 30 and props[0].after == 90
    assert props[1].after == {"id": "b"}


def test_type_sensitive_equality() -> None:
    old = resource(BUCKET, "b", {"count": 1, "flag": True, "size": 2})
    new = resource(BUCKET, "b", {"count": 1.0, "flag": 1, "size": 2})
    props = _one(_diff([old], [new]), "b").properties
    assert [p.path for p in props] == ["flag"]  # 1 == 1.0, but True is not 1


@pytest.mark.parametrize(
    ("type_", "before", "after", "reason"),
    [
        ("aws:rds/instance:Instance", {"engine": "postgres"}, {"engine": "mysql"}, "engine"),
        ("aws:ec2/vpc:Vpc", {"cidrBlock": "10.0.0.0/16"}, {"cidrBlock": "10.1.0.0/16"}, "cidrBlock"),
        ("aws:s3/bucket:Bucket", {"bucket": "a"}, {"bucket": "b"}, "bucket"),
        ("aws:kms/key:Key", {"keyUsage": "ENCRYPT_DECRYPT"}, {"keyUsage": "SIGN_VERIFY"}, "keyUsage"),
        ("aws:eks/cluster:Cluster", {"name": "a"}, {"name": "b"}, "name"),
        (
            "aws:eks/cluster:Cluster",
            {"kubernetesNetworkConfig": {"serviceIpv4Cidr": "172.20.0.0/16"}},
            {"kubernetesNetworkConfig": {"serviceIpv4Cidr": "172.21.0.0/16"}},
            "kubernetesNetworkConfig",
        ),
        (
            "kubernetes:apps/v1:Deployment",
            {"spec": {"selector": {"matchLabels": {"app": "a"}}, "replicas": 1}},
            {"spec": {"selector": {"matchLabels": {"app": "b"}}, "replicas": 1}},
            "spec",
        ),
        ("kubernetes:core/v1:ConfigMap", {"metadata": {"name": "a"}}, {"metadata": {"name": "b"}}, "metadata"),
    ],
)
def test_replacement_forcing_properties(type_: str, before: dict, after: dict, reason: str) -> None:
    change = _one(_diff([resource(type_, "r", before)], [resource(type_, "r", after)]), "r")
    assert change.kind is ChangeKind.REPLACE
    assert change.replace_reasons == (reason,)
    assert all(p.forces_replacement for p in change.properties)


@pytest.mark.parametrize(
    ("type_", "before", "after"),
    [
        ("aws:rds/instance:Instance", {"instanceClass": "db.t4g.medium"}, {"instanceClass": "db.t4g.large"}),
        # Updatable in place in current provider versions (see replacements.py).
        ("aws:eks/cluster:Cluster", {"vpcConfig": {"subnetIds": ["a"]}}, {"vpcConfig": {"subnetIds": ["a", "b"]}}),
        ("kubernetes:apps/v1:Deployment", {"spec": {"replicas": 1}}, {"spec": {"replicas": 3}}),
        ("aws:s3/bucket:Bucket", {"tags": {"bucket": "x"}}, {"tags": {"bucket": "y"}}),
    ],
)
def test_in_place_updates_are_not_replacements(type_: str, before: dict, after: dict) -> None:
    change = _one(_diff([resource(type_, "r", before)], [resource(type_, "r", after)]), "r")
    assert change.kind is ChangeKind.UPDATE
    assert change.replace_reasons == ()


def test_whole_object_added_above_forcing_path_only_forces_when_value_below_differs() -> None:
    eks = "aws:eks/cluster:Cluster"
    old = resource(eks, "c", {"name": "c"})
    unrelated = resource(eks, "c", {"name": "c", "accessConfig": {"authenticationMode": "API"}})
    forcing = resource(eks, "c", {"name": "c", "accessConfig": {"bootstrapClusterCreatorAdminPermissions": False}})
    assert _one(_diff([old], [unrelated]), "c").kind is ChangeKind.UPDATE
    assert _one(_diff([old], [forcing]), "c").kind is ChangeKind.REPLACE


def test_rename_with_same_inputs_is_a_move_and_references_follow() -> None:
    role_old = resource("aws:iam/role:Role", "loader", {"assumeRolePolicy": "{}", "path": "/svc/"})
    role_new = resource("aws:iam/role:Role", "ingest-loader", {"assumeRolePolicy": "{}", "path": "/svc/"})
    attach_old = resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "att", {"role": role_old["urn"]})
    attach_new = resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "att", {"role": role_new["urn"]})
    diff = _diff([role_old, attach_old], [role_new, attach_new])

    assert [(c.kind, c.name) for c in diff.changes] == [(ChangeKind.MOVE, "ingest-loader")]
    move = diff.changes[0]
    assert move.previous_urn == role_old["urn"]
    assert "alias" in move.notes[0]
    assert diff.unchanged == 1  # the attachment: its reference follows the renamed role


def test_parent_move_to_another_component_type_keeps_identity() -> None:
    old_parent = component(NET, "network")
    new_parent = component(LAKE, "lake")
    old = resource(BUCKET, "logs", {"bucket": "logs"}, parent=old_parent["urn"])
    new = resource(BUCKET, "logs", {"bucket": "logs", "tags": {"a": "b"}}, parent=new_parent["urn"])
    diff = _diff([old_parent, new_parent, old], [old_parent, new_parent, new])

    change = _one(diff, "logs")
    assert change.kind is ChangeKind.UPDATE
    assert change.previous_urn == old["urn"] and change.urn == new["urn"]
    assert change.component == "lake"
    assert [p.path for p in change.properties] == ["tags"]


def test_parent_move_between_components_of_the_same_type_keeps_the_urn() -> None:
    a, b = component(NET, "net-a"), component(NET, "net-b")
    old = resource(BUCKET, "logs", {"bucket": "logs"}, parent=a["urn"])
    new = resource(BUCKET, "logs", {"bucket": "logs"}, parent=b["urn"])
    assert old["urn"] == new["urn"]  # the URN carries parent types, not names
    change = _one(_diff([a, b, old], [a, b, new]), "logs")
    assert change.kind is ChangeKind.MOVE and change.previous_urn is None
    assert change.notes == ("parent changed from net-a to net-b",)
    assert change.component == "net-b"


def test_ambiguous_candidates_stay_delete_and_create() -> None:
    same = {"bucket": "x"}
    base = [resource(BUCKET, "a", same), resource(BUCKET, "b", same)]
    head = [resource(BUCKET, "c", same), resource(BUCKET, "d", same)]
    kinds = sorted(c.kind.value for c in _diff(base, head).changes)
    assert kinds == ["create", "create", "delete", "delete"]


def test_protected_resource_delete_and_replace_are_flagged() -> None:
    old = resource("aws:rds/instance:Instance", "db", {"engine": "postgres"}, protect=True)
    new = resource("aws:rds/instance:Instance", "db", {"engine": "mysql"}, protect=True)
    assert any("protect" in n for n in _one(_diff([old], [new]), "db").notes)
    assert any("protect" in n for n in _one(_diff([old], []), "db").notes)


def test_component_is_top_most_ancestor_below_root() -> None:
    net = component(NET, "network")
    firewall = component("mlops:zerotrust:Policies", "network-policies", parent=net["urn"])
    rule = resource("aws:ec2/securityGroupRule:SecurityGroupRule", "r", {"fromPort": 443}, parent=firewall["urn"])
    lake = component(LAKE, "lake")
    bucket = resource(BUCKET, "lake-raw", {"bucket": "raw"}, parent=lake["urn"])
    provider = resource("pulumi:providers:aws", "aws-main", {"region": "us-east-1"})
    diff = _diff([net, firewall, lake], [net, firewall, lake, rule, bucket, provider])
    assert {c.name: c.component for c in diff.changes} == {"r": "network", "lake-raw": "lake", "aws-main": "(stack)"}


def test_a_single_wrapping_component_is_looked_through() -> None:
    platform = component("mlops:platform:MlopsPlatform", "mlops")
    net = component(NET, "mlops-network", parent=platform["urn"])
    lake = component(LAKE, "mlops-lake", parent=platform["urn"])
    sub = resource("aws:ec2/subnet:Subnet", "s", {"cidrBlock": "10.0.1.0/24"}, parent=net["urn"])
    bucket = resource(BUCKET, "raw", {"bucket": "raw"}, parent=lake["urn"])
    provider = resource("pulumi:providers:aws", "mlops-aws", {"region": "eu-west-1"}, parent=platform["urn"])
    assert urn(NET, "mlops-network", platform["urn"]).startswith(
        "urn:pulumi:dev::mlops-platform::mlops:platform:MlopsPlatform$mlops:network:Network::"
    )
    diff = _diff([platform, net, lake], [platform, net, lake, sub, bucket, provider])
    assert {c.name: c.component for c in diff.changes} == {
        "s": "mlops-network",
        "raw": "mlops-lake",
        "mlops-aws": "(stack)",
    }


def test_component_edges_follow_dependencies() -> None:
    net, lake = component(NET, "network"), component(LAKE, "lake")
    vpc = resource("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16"}, parent=net["urn"])
    ep = resource("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", {"vpcId": vpc["urn"]}, parent=lake["urn"])
    ep["dependencies"] = [vpc["urn"]]
    diff = _diff([net, lake], [net, lake, vpc, ep])
    assert diff.component_edges == (("network", "lake"),)


def test_different_stacks_are_rejected() -> None:
    with pytest.raises(DiffError, match=r"stack 'dev'.*stack 'prod'"):
        diff_plans(parse_plan(plan([], stack="dev"), "base.json"), parse_plan(plan([], stack="prod"), "head.json"))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(schema="other/1"), "schema is 'other/1'"),
        (lambda d: d.pop("stack"), r"x.json\.stack: missing"),
        (lambda d: d["resources"].append({"urn": 3}), r"resources\[\d+\]\.urn: expected str, got int"),
        (lambda d: d["resources"].append(dict(d["resources"][0])), "duplicate URN"),
        (lambda d: d.update(policy={"violations": [{"urn": "u"}]}), r"violations\[0\]\.policy: missing"),
    ],
)
def test_invalid_plans_name_file_and_key(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    doc = plan([resource(BUCKET, "b")])
    mutate(doc)
    with pytest.raises(DiffError, match=message):
        parse_plan(doc, "x.json")


def test_json_documents_in_strings_are_compared_structurally() -> None:
    policy = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"]}]}'
    wider = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:*"]}]}'
    old = resource("aws:iam/rolePolicy:RolePolicy", "p", {"policy": policy, "name": "not {json"})
    new = resource("aws:iam/rolePolicy:RolePolicy", "p", {"policy": wider, "name": "not {json!"})
    props = _one(_diff([old], [new]), "p").properties
    assert [(p.path, p.op, p.before, p.after) for p in props] == [
        ("name", PropOp.UPDATE, "not {json", "not {json!"),
        ("policy.Statement[0].Action[1]", PropOp.ADD, None, "s3:*"),
    ]
