"""Setup of the example tests: the example DAG bundle on sys.path, fake AWS credentials for moto.

``examples/`` is laid out as a DAG bundle (``dags/`` and the ``pipeline_alerts`` library); Airflow 3 puts
the bundle root on ``sys.path``, and so does this file. Airflow itself is not installed here.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

BUNDLE = Path(__file__).resolve().parents[2] / "examples"
if str(BUNDLE) not in sys.path:
    sys.path.insert(0, str(BUNDLE))


@pytest.fixture(scope="module")
def aws_env() -> Iterator[str]:
    """Fake credentials and a region for moto; nothing can reach a real account."""
    region = "eu-west-1"
    with pytest.MonkeyPatch.context() as env:
        for name in (
            "AWS_PROFILE",
            "AWS_SESSION_TOKEN",
            "AWS_SECURITY_TOKEN",
            "AWS_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_SNS",
        ):
            env.delenv(name, raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", region)
        env.setenv("AWS_REGION", region)
        yield region
