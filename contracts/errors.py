"""The error a stack configuration raises: the program raises it, the tool reports it (exit 2)."""


class ConfigError(Exception):
    """A stack configuration that cannot be used; ``problems`` holds one line per bad key."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {p}" for p in problems))
