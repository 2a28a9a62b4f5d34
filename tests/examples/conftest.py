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


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Fake credentials and a region for moto; nothing can reach a real account."""
    region = "eu-west-1"
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SNS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", region)
    monkeypatch.setenv("AWS_REGION", region)
    yield region
