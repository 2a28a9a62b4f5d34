"""EKS type tokens shared by the eks rules."""

from __future__ import annotations

CLUSTER = "aws:eks/cluster:Cluster"
ADDON = "aws:eks/addon:Addon"
