"""ECR type tokens shared by the ecr rules."""

from __future__ import annotations

REPOSITORY = "aws:ecr/repository:Repository"
CREATION_TEMPLATE = "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"
"""Settings of the repositories ECR creates itself (pull-through cache, replication)."""
