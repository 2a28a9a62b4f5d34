"""Athena type tokens."""

from __future__ import annotations

WORKGROUP = "aws:athena/workgroup:Workgroup"
