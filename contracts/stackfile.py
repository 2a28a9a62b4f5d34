"""Reading a stack file (``stacks/Pulumi.<stack>.yaml``) as the Pulumi CLI does: its flat ``config:`` map.

Strict and bounded, because a stack file is user input: only a regular UTF-8 file of at most
:data:`MAX_BYTES`, no duplicate keys (YAML would keep the last one silently), at most :data:`MAX_ALIASES`
aliases (an alias bomb expands exponentially) and :data:`MAX_DEPTH` levels of nesting. Every problem is a
:class:`ConfigError` naming the file and, where there is one, the line; values echoed in messages are
capped at :data:`ECHO_LIMIT` characters.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import yaml

from contracts.errors import ConfigError

MAX_BYTES = 1_000_000
"""Largest stack file read (the shipped ones are about 2 KB)."""
MAX_ALIASES = 50
"""Most YAML aliases (``*anchor``) a stack file may use."""
MAX_DEPTH = 16
"""Deepest nesting of mappings and lists."""
ECHO_LIMIT = 200
"""Longest piece of user input repeated in an error message."""


def echo(value: object) -> str:
    """``repr(value)``, cut to :data:`ECHO_LIMIT` characters: errors never flood the terminal."""
    text = repr(value)
    return text if len(text) <= ECHO_LIMIT else f"{text[:ECHO_LIMIT]}... ({len(text)} characters)"


class _StrictLoader(yaml.SafeLoader):
    """A SafeLoader that refuses duplicate keys and counts aliases."""

    aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise yaml.constructor.ConstructorError(
                    None, None, f"more than {MAX_ALIASES} aliases (a YAML alias bomb?)"
                )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str | int | float | bool) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {echo(key)} (YAML would silently keep the last one)",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """Nesting depth of plain data, stopping as soon as it exceeds ``limit``."""
    if limit < 0:
        return 0
    if isinstance(value, dict):
        return 1 + max((_depth(v, limit - 1) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v, limit - 1) for v in value), default=0)
    return 0


def read_stack_values(path: Path) -> dict[str, Any]:
    """The flat ``config:`` map of a stack file (secure values kept as their ``{secure: ...}`` mapping)."""
    source = str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ConfigError(source, ["stack file not found"]) from None
    except OSError as exc:
        raise ConfigError(source, [f"cannot read the stack file: {exc.strerror or exc}"]) from None
    if not stat.S_ISREG(info.st_mode):
        # A FIFO would block forever, a directory or device cannot be a stack file.
        raise ConfigError(source, ["not a regular file; a stack file is a YAML document"])
    if info.st_size > MAX_BYTES:
        raise ConfigError(source, [f"{info.st_size} bytes; a stack file may have at most {MAX_BYTES}"])
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(source, [f"not UTF-8 text (byte {exc.start}); save the stack file as UTF-8"]) from None
    except OSError as exc:
        raise ConfigError(source, [f"cannot read the stack file: {exc.strerror or exc}"]) from None
    if "\x00" in text:
        raise ConfigError(source, ["contains NUL bytes; a stack file is YAML text"])
    try:
        document = yaml.load(text, Loader=_StrictLoader) or {}
    except yaml.MarkedYAMLError as exc:
        where = f"line {exc.problem_mark.line + 1}: " if exc.problem_mark else ""
        raise ConfigError(source, [f"not valid YAML: {where}{exc.problem or exc.context}"]) from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise ConfigError(source, [f"not valid YAML: {type(exc).__name__}"]) from None
    if _depth(document) > MAX_DEPTH:
        raise ConfigError(source, [f"nested deeper than {MAX_DEPTH} levels"])
    if not isinstance(document, dict) or not isinstance(document.get("config", {}), dict):
        raise ConfigError(source, ["config: must be a mapping of namespace:key to values"])
    values: dict[str, Any] = document.get("config") or {}
    empty = sorted(str(key) for key, value in values.items() if value is None)
    if empty:
        # Pulumi config has no null: a key without a value is a mistake, not a default.
        raise ConfigError(source, [f"{echo(key)[1:-1]}: has no value; give one or remove the key" for key in empty])
    return values
