"""Glue Data Catalog databases (their tables go with them)."""

from __future__ import annotations

from collections.abc import Iterator

from mlopsctl.phoenix.aws import AwsScope, pages, tag_dict
from mlopsctl.phoenix.handlers.base import Found, Handler


def collect_glue_databases(scope: AwsScope) -> Iterator[Found]:
    glue = scope.client("glue")
    for database in pages(glue, "get_databases", "DatabaseList"):
        name = database["Name"]
        tags = tag_dict(glue.get_tags(ResourceArn=scope.arn("glue", f"database/{name}")).get("Tags"))
        yield Found(kind="glue:database", id=name, region=scope.region, tags=tags, name=name)


def delete_glue_database(scope: AwsScope, found: Found) -> None:
    scope.client("glue").delete_database(Name=found.id)


GLUE_DATABASES = Handler("glue:database", collect_glue_databases, delete_glue_database)
