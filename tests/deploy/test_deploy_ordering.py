"""Invariants 1 and 2: Kubernetes resources wait for access and nodes; the AWS layer stands alone."""

from __future__ import annotations

from deploy_testkit import ACCESS, K8S_PROVIDER, NAMESPACE, NODE_GROUP, RUNNER, cluster_base, graph, ids, reg

from mlopsctl.deploy.graphs import GraphIndex, provider_urn
from mlopsctl.deploy.ordering import check_layer_closure, check_ordering

RUNNER_VPC = {"vpcConfig": {"vpcId": "vpc-1", "subnets": ["subnet-a", "subnet-b"], "securityGroupIds": ["sg-1"]}}


def test_kubernetes_resources_behind_a_provider_that_waits_for_access_and_nodes_pass() -> None:
    base = cluster_base()
    namespace = reg(NAMESPACE, "ns", {"metadata": {"name": "apps"}}, provider=base["provider"])
    assert check_ordering(graph(*base.values(), namespace)) == []


def test_a_provider_without_the_node_group_fails_with_every_resource_it_serves() -> None:
    base = cluster_base()
    provider = reg(K8S_PROVIDER, "k8s", {}, deps=[base["access"]])
    namespace = reg(NAMESPACE, "ns", {}, provider=provider)
    others = [r for key, r in base.items() if key != "provider"]
    findings = check_ordering(graph(*others, provider, namespace))
    assert ids(findings) == ["ordering:k8s:node-group", "ordering:ns:node-group"]
    assert all("managed node group" in f.message for f in findings)


def test_a_kubernetes_resource_without_a_provider_or_dependencies_misses_both() -> None:
    base = cluster_base()
    orphan = reg(NAMESPACE, "orphan", {})
    assert ids(check_ordering(graph(*base.values(), orphan))) == [
        "ordering:orphan:access-policy",
        "ordering:orphan:node-group",
    ]


def test_the_parent_chain_counts_component_dependencies() -> None:
    base = cluster_base()
    component = reg("mlops:apps:Apps", "apps", {}, deps=[base["access"], base["nodes"]], custom=False)
    child = reg(NAMESPACE, "child", {}, parent=component)
    assert check_ordering(graph(*base.values(), component, child)) == []


def test_a_dependency_on_a_component_waits_for_everything_inside_it() -> None:
    base = cluster_base()
    cluster_component = reg("mlops:cluster:ServingCluster", "serving", {}, custom=False)
    access = reg(ACCESS, "access-in-component", {}, parent=cluster_component)
    nodes = reg(NODE_GROUP, "nodes-in-component", {}, parent=cluster_component)
    waiting = reg(NAMESPACE, "waiting", {}, deps=[cluster_component])
    assert check_ordering(graph(base["cluster"], cluster_component, access, nodes, waiting)) == []


def test_property_dependencies_count() -> None:
    base = cluster_base()
    namespace = reg(NAMESPACE, "ns", {}, prop_deps={"metadata": [base["access"], base["nodes"]]})
    assert check_ordering(graph(*base.values(), namespace)) == []


def test_closure_follows_provider_references_and_survives_cycles() -> None:
    base = cluster_base()
    namespace = reg(NAMESPACE, "ns", {}, provider=base["provider"])
    index = GraphIndex(graph(*base.values(), namespace))
    closure = index.closure(namespace.urn)
    assert {base["access"].urn, base["nodes"].urn, base["cluster"].urn, base["provider"].urn} <= closure
    assert namespace.urn not in closure
    assert provider_urn(f"{base['provider'].urn}::abc-123") == base["provider"].urn
    assert provider_urn(None) is None and provider_urn("not-a-reference") is None
    # A child depending on its own component would loop through component expansion: still terminates.
    component = reg("mlops:x:X", "x", {}, custom=False)
    looping = reg(NAMESPACE, "loop", {}, deps=[component], parent=component)
    assert GraphIndex(graph(component, looping)).closure(looping.urn) == {component.urn}


def test_aws_api_grants_of_the_kubernetes_layer_need_no_cluster() -> None:
    grant = reg("aws:lakeformation/permissions:Permissions", "grant", {"permissions": ["SELECT"]})
    assert check_ordering(graph(*cluster_base().values(), grant)) == []


# --- Layer closure ----------------------------------------------------------------------------------


def test_an_aws_resource_depending_on_a_kubernetes_resource_breaks_the_bootstrap() -> None:
    base = cluster_base()
    account = reg("kubernetes:core/v1:ServiceAccount", "sa", {}, provider=base["provider"])
    role = reg("aws:iam/role:Role", "irsa", {}, deps=[account])
    runner = reg(RUNNER, "runner", RUNNER_VPC)
    findings = check_layer_closure(graph(*base.values(), account, role, runner))
    assert ids(findings) == ["layer-closure:irsa"]
    assert "sa" in findings[0].message and findings[0].urn == role.urn


def test_a_stack_with_kubernetes_resources_needs_an_in_vpc_runner() -> None:
    base = cluster_base()
    namespace = reg(NAMESPACE, "ns", {}, provider=base["provider"])
    assert ids(check_layer_closure(graph(*base.values(), namespace))) == ["layer-closure:deploy-runner"]
    outside = reg(RUNNER, "runner", {"name": "outside-the-vpc"})
    assert ids(check_layer_closure(graph(*base.values(), namespace, outside))) == ["layer-closure:deploy-runner"]
    empty = reg(RUNNER, "runner", {"vpcConfig": {"vpcId": "vpc-1", "subnets": []}})
    assert ids(check_layer_closure(graph(*base.values(), namespace, empty))) == ["layer-closure:deploy-runner"]
    inside = reg(RUNNER, "runner", RUNNER_VPC)
    assert check_layer_closure(graph(*base.values(), namespace, inside)) == []


def test_lake_formation_grants_are_applied_by_the_runner_too() -> None:
    grant = reg("aws:lakeformation/permissions:Permissions", "grant", {})
    table = reg("aws:glue/catalogTable:CatalogTable", "table", {}, deps=[grant])
    assert ids(check_layer_closure(graph(grant, table))) == ["layer-closure:deploy-runner", "layer-closure:table"]


def test_an_aws_only_stack_needs_no_runner() -> None:
    bucket = reg("aws:s3/bucket:Bucket", "bucket", {})
    assert check_layer_closure(graph(bucket)) == []


def test_kubernetes_resources_may_depend_on_aws_ones() -> None:
    base = cluster_base()
    role = reg("aws:iam/role:Role", "irsa", {})
    account = reg("kubernetes:core/v1:ServiceAccount", "sa", {}, deps=[role], provider=base["provider"])
    runner = reg(RUNNER, "runner", RUNNER_VPC)
    assert check_layer_closure(graph(*base.values(), role, account, runner)) == []
