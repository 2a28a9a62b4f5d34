"""Rules for codebuild."""
