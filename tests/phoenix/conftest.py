"""Registers the phoenix fixtures (defined in phoenix_testkit) for this folder."""

from phoenix_testkit import aws_env, fleet_builder, moto_server_url, moto_session, project_dir

__all__ = ["aws_env", "fleet_builder", "moto_server_url", "moto_session", "project_dir"]
