"""CodeBuild type tokens shared by the codebuild rules."""

from __future__ import annotations

PROJECT = "aws:codebuild/project:Project"
