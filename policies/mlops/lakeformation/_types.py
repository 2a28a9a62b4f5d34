"""Lake Formation type tokens."""

from __future__ import annotations

PERMISSIONS = "aws:lakeformation/permissions:Permissions"
DATA_LAKE_SETTINGS = "aws:lakeformation/dataLakeSettings:DataLakeSettings"
RESOURCE = "aws:lakeformation/resource:Resource"
