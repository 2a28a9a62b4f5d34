"""Rules for ecr."""
