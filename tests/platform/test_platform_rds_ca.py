"""The RDS CA bundle switches database clients to full certificate verification."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.data import rds_ca as rds_ca

PEM = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ29uZmlnIGZpeHR1cmUgb25seQ==\n-----END CERTIFICATE-----\n"


def test_missing_bundle_is_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert rds_ca.read_bundle("eu-west-1") is None


def test_bundle_is_read_and_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / rds_ca.bundle_path("eu-west-1")
    path.parent.mkdir(parents=True)
    path.write_text(PEM)
    assert rds_ca.read_bundle("eu-west-1") == PEM
    path.write_text("<html>Access denied</html>")
    with pytest.raises(ValueError, match="not a PEM certificate bundle"):
        rds_ca.read_bundle("eu-west-1")
