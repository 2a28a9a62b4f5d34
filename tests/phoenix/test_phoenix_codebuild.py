"""The reaper and the deploy runner: CodeBuild projects (builds stopped, webhook, then project), in dependency
order, and service-linked roles that are never touched whatever their tags say. Against in-process moto."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError
from phoenix_testkit import DECOYS, EXPIRED, NOW, REGION, TRUST_DOC, kv

from mlopsctl.phoenix.aws import AwsScope
from mlopsctl.phoenix.expiry import parse_timestamp
from mlopsctl.phoenix.handlers import HANDLERS, KINDS, codebuild, iam
from mlopsctl.phoenix.retry import RetryPolicy
from mlopsctl.phoenix.sweep import ResourceResult, SweepOptions, sweep

ACCOUNT = "123456789012"
RUNNER = "mlops-pr-7-deploy"


class Spy:
    """A boto3 client whose listed operations are recorded and, where given, replaced by a fake."""

    def __init__(self, client: Any, calls: list[tuple[str, dict[str, Any]]], fakes: dict[str, Callable[..., Any]]):
        self._client, self._calls, self._fakes = client, calls, fakes

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name not in self._fakes and not name.startswith(("delete", "stop")):
            return attr

        def call(**kwargs: Any) -> Any:
            self._calls.append((name, kwargs))
            return self._fakes[name](attr, **kwargs) if name in self._fakes else attr(**kwargs)

        return call


def create_project(session: Any, name: str, tags: dict[str, str]) -> None:
    session.client("codebuild", region_name=REGION).create_project(
        name=name,
        source={"type": "GITHUB", "location": "https://github.com/example-org/mlops-platform.git"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/amazonlinux-x86_64-standard:5.0",
            "computeType": "BUILD_GENERAL1_MEDIUM",
        },
        serviceRole=f"arn:aws:iam::{ACCOUNT}:role/runner",
        tags=[{"key": k, "value": v} for k, v in tags.items()],
    )


def projects(session: Any) -> set[str]:
    return set(session.client("codebuild", region_name=REGION).list_projects()["projects"])


def run(
    session: Any, handlers: tuple[Any, ...], wrap: Callable[[str, Any], Any] | None = None, *, execute: bool = True
):  # type: ignore[no-untyped-def]
    scope = AwsScope(session=session, region=REGION, account=ACCOUNT, wrap=wrap, waiter_delay=0)
    options = SweepOptions(
        now=parse_timestamp(NOW),
        execute=execute,
        policy=RetryPolicy(max_attempts=2),
        sleep=lambda _s: None,
        handlers=handlers,
    )
    return sweep([scope], options)


def statuses(results: list[ResourceResult]) -> dict[str, str]:
    return {r.id: r.status for r in results}


def test_expired_runner_goes_builds_stopped_webhook_first_and_decoys_stay(moto_session: Any) -> None:
    create_project(moto_session, RUNNER, EXPIRED)
    for label, tags in DECOYS.items():
        create_project(moto_session, f"decoy-{label}", tags)
    build = moto_session.client("codebuild", region_name=REGION).start_build(projectName=RUNNER)["build"]["id"]
    calls: list[tuple[str, dict[str, Any]]] = []

    def with_webhook(real: Callable[..., Any], **kwargs: Any) -> Any:
        found = real(**kwargs)
        for project in found["projects"]:
            if project["name"] == RUNNER:  # moto keeps no webhooks: AWS returns one for a runner project
                project["webhook"] = {"url": "https://codebuild.eu-central-1.amazonaws.com/webhooks?t=x"}
        return found

    fakes: dict[str, Callable[..., Any]] = {
        "batch_get_projects": with_webhook,
        # moto finishes every build it is asked about; a live runner job is IN_PROGRESS.
        "batch_get_builds": lambda _real, **kw: {
            "builds": [{"id": i, "buildStatus": "IN_PROGRESS"} for i in kw["ids"]]
        },
        "delete_webhook": lambda _real, **_kw: {},  # not implemented by moto
    }

    def wrap(service: str, client: Any) -> Any:
        return Spy(client, calls, fakes) if service == "codebuild" else client

    dry = run(moto_session, (codebuild.PROJECTS,), wrap, execute=False)
    assert statuses(dry)[RUNNER] == "would-delete" and projects(moto_session) >= {RUNNER}

    results = run(moto_session, (codebuild.PROJECTS,), wrap)
    assert statuses(results) == {
        RUNNER: "deleted",
        # Marked decoys are reported as kept; the untagged one is not a phoenix resource at all.
        **{f"decoy-{label}": "kept" for label in DECOYS if label != "untagged"},
    }
    assert [
        (name, kwargs) for name, kwargs in calls if name != "batch_get_projects" and name != "batch_get_builds"
    ] == [
        ("stop_build", {"id": build}),
        ("delete_webhook", {"projectName": RUNNER}),
        ("delete_project", {"name": RUNNER}),
    ]
    assert projects(moto_session) == {f"decoy-{label}" for label in DECOYS}
    assert statuses(run(moto_session, (codebuild.PROJECTS,), wrap)).get(RUNNER) is None  # a rerun finds nothing


def test_a_build_that_finishes_meanwhile_and_no_webhook_still_lets_the_project_go(moto_session: Any) -> None:
    create_project(moto_session, RUNNER, EXPIRED)
    moto_session.client("codebuild", region_name=REGION).start_build(projectName=RUNNER)
    calls: list[tuple[str, dict[str, Any]]] = []

    def finished(_real: Callable[..., Any], **_kw: Any) -> Any:
        raise ClientError({"Error": {"Code": "InvalidInputException", "Message": "Build already completed"}}, "Stop")

    fakes: dict[str, Callable[..., Any]] = {
        "batch_get_builds": lambda _real, **kw: {
            "builds": [{"id": i, "buildStatus": "IN_PROGRESS"} for i in kw["ids"]]
        },
        "stop_build": finished,
    }
    results = run(
        moto_session,
        (codebuild.PROJECTS,),
        lambda service, client: Spy(client, calls, fakes) if service == "codebuild" else client,
    )
    assert statuses(results) == {RUNNER: "deleted"}
    # No webhook on the project: DeleteWebhook is never called.
    assert [name for name, _ in calls if name != "batch_get_builds"] == ["stop_build", "delete_project"]
    assert projects(moto_session) == set()


def test_builds_of_other_states_are_not_stopped(moto_session: Any) -> None:
    create_project(moto_session, RUNNER, EXPIRED)
    moto_session.client("codebuild", region_name=REGION).start_build(projectName=RUNNER)  # moto: SUCCEEDED
    calls: list[tuple[str, dict[str, Any]]] = []
    results = run(moto_session, (codebuild.PROJECTS,), lambda s, c: Spy(c, calls, {}) if s == "codebuild" else c)
    assert statuses(results) == {RUNNER: "deleted"}
    assert [name for name, _ in calls] == ["delete_project"]


def test_projects_go_before_the_network_iam_kms_and_log_kinds() -> None:
    order = {kind: i for i, kind in enumerate(KINDS)}
    later = ("ec2:network-interface", "ec2:security-group", "ec2:subnet", "ec2:vpc", "iam:role", "kms:key")
    assert all(order["codebuild:project"] < order[kind] for kind in (*later, "logs:log-group"))
    assert codebuild.PROJECTS in HANDLERS


def test_service_linked_roles_are_never_touched_even_when_tagged_expired(moto_session: Any) -> None:
    client = moto_session.client("iam", region_name=REGION)
    client.create_role(
        RoleName="AWSServiceRoleForAutoScaling",
        Path="/aws-service-role/autoscaling.amazonaws.com/",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "autoscaling.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
        Tags=kv(EXPIRED),
    )
    client.create_role(RoleName="pr-7-node", AssumeRolePolicyDocument=TRUST_DOC, Tags=kv(EXPIRED))
    calls: list[tuple[str, dict[str, Any]]] = []

    def wrap(service: str, boto_client: Any) -> Any:
        return Spy(boto_client, calls, {}) if service == "iam" else boto_client

    results = run(moto_session, (iam.ROLES,), wrap)
    by_id = {r.id: r for r in results}
    assert by_id["AWSServiceRoleForAutoScaling"].status == "kept"
    assert "service-linked" in by_id["AWSServiceRoleForAutoScaling"].reason
    assert by_id["pr-7-node"].status == "deleted"
    assert all(kwargs.get("RoleName") != "AWSServiceRoleForAutoScaling" for _, kwargs in calls)
    assert client.get_role(RoleName="AWSServiceRoleForAutoScaling")["Role"]["Path"].startswith("/aws-service-role/")
