"""The reaper and the registry: a phoenix stack's ECR repositories go with their images; cache repositories
(tagged by the stack owning the account's registry settings) and every decoy stay. Against in-process moto."""

from __future__ import annotations

from typing import Any

from phoenix_testkit import DECOYS, EXPIRED, NOW, REGION, kv

from mlopsctl.phoenix.aws import AwsScope
from mlopsctl.phoenix.expiry import parse_timestamp
from mlopsctl.phoenix.handlers import ecr
from mlopsctl.phoenix.handlers.base import Handler
from mlopsctl.phoenix.retry import RetryPolicy
from mlopsctl.phoenix.sweep import ResourceResult, SweepOptions, sweep

ACCOUNT = "123456789012"
OWNER_TAGS = {"owner": "ml-platform-team", "environment": "dev", "cost-center": "cc-1001"}


def create(session: Any, name: str, tags: dict[str, str], *, image: bool = False) -> None:
    client = session.client("ecr", region_name=REGION)
    client.create_repository(repositoryName=name, imageTagMutability="IMMUTABLE", tags=kv(tags))
    if image:
        manifest = '{"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json"}'
        client.put_image(repositoryName=name, imageManifest=manifest, imageTag="1.0.0")


def names(session: Any) -> set[str]:
    client = session.client("ecr", region_name=REGION)
    return {r["repositoryName"] for r in client.describe_repositories()["repositories"]}


def run(session: Any, handlers: tuple[Handler, ...], *, execute: bool = True) -> list[ResourceResult]:
    scope = AwsScope(session=session, region=REGION, account=ACCOUNT, waiter_delay=0)
    options = SweepOptions(
        now=parse_timestamp(NOW),
        execute=execute,
        policy=RetryPolicy(max_attempts=2),
        sleep=lambda _s: None,
        handlers=handlers,
    )
    return sweep([scope], options)


def test_expired_phoenix_repositories_go_with_their_images_and_nothing_else(moto_session: Any) -> None:
    create(moto_session, "mlops/pr-7/model-servers", EXPIRED, image=True)
    create(moto_session, "mlops/pr-7/pipeline-tasks", EXPIRED)
    create(moto_session, "docker-hub/apache/airflow", OWNER_TAGS, image=True)  # a cache repository of dev
    for label, tags in DECOYS.items():
        create(moto_session, f"mlops/decoy-{label}/model-servers", tags)

    dry = {r.id: r.status for r in run(moto_session, (ecr.REPOSITORIES,), execute=False)}
    assert {i for i, s in dry.items() if s == "would-delete"} == {
        "mlops/pr-7/model-servers",
        "mlops/pr-7/pipeline-tasks",
    }
    assert len(names(moto_session)) == 3 + len(DECOYS)  # a dry run deletes nothing

    results = {r.id: r.status for r in run(moto_session, (ecr.REPOSITORIES,))}
    assert {i for i, s in results.items() if s == "deleted"} == {
        "mlops/pr-7/model-servers",
        "mlops/pr-7/pipeline-tasks",
    }
    assert names(moto_session) == {"docker-hub/apache/airflow"} | {
        f"mlops/decoy-{label}/model-servers" for label in DECOYS
    }
    # A second run finds nothing left to delete.
    assert not [r for r in run(moto_session, (ecr.REPOSITORIES,)) if r.status == "deleted"]


def test_the_handler_lists_the_kind_and_tags_it_deletes_by(moto_session: Any) -> None:
    create(moto_session, "mlops/pr-7/model-servers", EXPIRED)
    scope = AwsScope(session=moto_session, region=REGION, account=ACCOUNT, waiter_delay=0)
    (found,) = list(ecr.collect_repositories(scope))
    assert (found.kind, found.id, found.region) == ("ecr:repository", "mlops/pr-7/model-servers", REGION)
    assert found.tags == EXPIRED
