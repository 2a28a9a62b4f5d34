"""`mlopsctl deploy`: helpers for the layered deploy of a private cluster (docs/adr/0001).

Register with ``app.add_typer(deploy_app, name="deploy")``. ``deploy targets`` prints the ``--target``
list of one layer (``mlopsctl.layers.layer_urns``) for the bootstrap (``pulumi up`` of the AWS layer from
outside the VPC) and the layered destroy (the Kubernetes layer first, from the in-VPC runner)::

    pulumi up $(mlopsctl deploy targets --stack dev --layer aws)

Exit codes: 0 ok, 2 usage or configuration error (unknown stack, bad layer or format).
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from mlopsctl.console import plan_or_exit
from mlopsctl.layers import layer_urns

deploy_app = typer.Typer(
    name="deploy",
    help="Layered deploys of the private cluster: target lists of the AWS and Kubernetes layers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class LayerName(StrEnum):
    aws = "aws"
    kubernetes = "kubernetes"


class TargetFormat(StrEnum):
    lines = "lines"
    json = "json"


def format_targets(stack: str, layer: str, urns: list[str], fmt: TargetFormat) -> str:
    """The target list as ``--target=<urn>`` lines, or a JSON object ``{stack, layer, targets}``."""
    if fmt is TargetFormat.json:
        return json.dumps({"stack": stack, "layer": layer, "targets": urns}, indent=2) + "\n"
    return "".join(f"--target={urn}\n" for urn in urns)


@deploy_app.command("targets")
def targets_command(
    stack: Annotated[str, typer.Option("--stack", "-s", help="Stack name: stacks/Pulumi.<stack>.yaml")],
    layer: Annotated[LayerName, typer.Option("--layer", "-l", help="Which layer's URNs to print.")],
    fmt: Annotated[TargetFormat, typer.Option("--format", "-f", help="lines: --target=<urn> per line; json.")] = (
        TargetFormat.lines
    ),
    project_dir: Annotated[Path, typer.Option(help="Directory holding Pulumi.yaml and __main__.py.")] = Path("."),
) -> None:
    """Print the URNs of one deploy layer of a stack (planned offline), as `pulumi --target` arguments."""
    graph = plan_or_exit(project_dir, stack)
    urns = layer_urns(((r.urn, r.type) for r in graph.resources), layer.value)
    typer.echo(format_targets(stack, layer.value, urns, fmt), nl=False)
