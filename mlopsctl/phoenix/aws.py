"""boto3 client access for the sweep: one session, one region at a time, an optional endpoint URL."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from mlopsctl.phoenix.retry import classify

T = TypeVar("T")

# botocore's own retries absorb short throttling bursts on listing calls; deletions are retried
# (longer, and also on dependency errors) by mlopsctl.phoenix.retry.
_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, user_agent_extra="mlopsctl-phoenix")


@dataclass
class AwsScope:
    """Clients for one region of one account. ``client(name)`` is cached per service.

    ``endpoint_url`` sends every service to one endpoint (a ``moto_server`` or LocalStack); AWS
    otherwise. ``wrap`` lets tests interpose on a client (e.g. to inject throttling). The waiter
    settings bound how long the sweep waits for asynchronous deletions (instances, NAT gateways, ...).
    """

    session: Any
    region: str
    account: str
    partition: str = "aws"
    endpoint_url: str | None = None
    wrap: Callable[[str, Any], Any] | None = None
    waiter_delay: int = 15
    waiter_attempts: int = 40
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    def client(self, service: str) -> Any:
        """A boto3 client for ``service`` in this scope's region."""
        if service not in self._clients:
            made = shared_client(self.session, service, self.region, self.endpoint_url)
            self._clients[service] = self.wrap(service, made) if self.wrap else made
        return self._clients[service]

    def arn(self, service: str, resource: str) -> str:
        """An ARN in this scope, e.g. ``arn("glue", "database/x")``."""
        return f"arn:{self.partition}:{service}:{self.region}:{self.account}:{resource}"


# Creating a client builds a class with a method per API operation (tens of milliseconds, EC2 more);
# clients are reusable, so a process keeps one per session, service, region and endpoint.
_CLIENTS: weakref.WeakKeyDictionary[Any, dict[tuple[str, str, str | None], Any]] = weakref.WeakKeyDictionary()


def shared_client(session: Any, service: str, region: str, endpoint_url: str | None) -> Any:
    """A cached boto3 client of ``session`` (created on first use)."""
    per_session = _CLIENTS.setdefault(session, {})
    key = (service, region, endpoint_url)
    if key not in per_session:
        per_session[key] = session.client(service, region_name=region, endpoint_url=endpoint_url, config=_CLIENT_CONFIG)
    return per_session[key]


def make_session(region: str | None = None) -> Any:
    """A boto3 session from the usual credential chain (env, profile, OIDC web identity, ...)."""
    return boto3.session.Session(region_name=region)


def caller_account(session: Any, region: str, endpoint_url: str | None) -> str:
    """The account id the credentials belong to (STS GetCallerIdentity)."""
    sts = session.client("sts", region_name=region, endpoint_url=endpoint_url, config=_CLIENT_CONFIG)
    return str(sts.get_caller_identity()["Account"])


def partition_of(session: Any, region: str) -> str:
    """The partition (aws, aws-cn, aws-us-gov) of ``region``; ``aws`` when unknown."""
    try:
        return str(session.get_partition_for_region(region))
    except Exception:  # unknown region names (as in some emulators): the commercial partition
        return "aws"


def pages(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[Any]:
    """Every item under ``key`` across all pages of a paginated list/describe operation."""
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(key) or []


def tag_dict(tags: Any, key: str = "Key", value: str = "Value") -> dict[str, str]:
    """Normalise AWS's tag shapes (list of Key/Value pairs, or a plain mapping) to a dict."""
    if not tags:
        return {}
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    return {str(t[key]): str(t.get(value, "")) for t in tags if key in t}


def ignore_missing(fn: Callable[..., T], /, **kwargs: Any) -> T | None:
    """Call ``fn(**kwargs)``, one step on a sub-resource; if that sub-resource is already gone, carry on.

    Only for sub-steps (detach a policy, disassociate an address): the resource being deleted itself
    must not be reported gone because a part of it was.
    """
    try:
        return fn(**kwargs)
    except ClientError as exc:
        if classify(exc) == "gone":
            return None
        raise
