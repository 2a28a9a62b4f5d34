"""The one Pulumi program of mlops-platform: read the stack's typed config, build the platform, export outputs.

`pulumi up`, `pulumi preview` and `mlopsctl plan` (offline) all run this file.
"""

import pulumi

from components.config import parse_config
from components.platform import MlopsPlatform, stack_config_values
from contracts.errors import ConfigError

stack = pulumi.get_stack()
try:
    config = parse_config(stack_config_values(), stack=stack, source=f"stacks/Pulumi.{stack}.yaml")
except ConfigError as error:
    # A clean, complete message instead of a traceback; nothing has been created yet.
    raise pulumi.RunError(str(error)) from None

platform = MlopsPlatform("mlops", config)
for key, value in platform.exports().items():
    pulumi.export(key, value)
