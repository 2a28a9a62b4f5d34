"""Safe building blocks for GitHub-flavoured markdown built from untrusted text.

Names, types, values and messages come from the pull request under review. They are placed in code
spans (inert), backslash-escaped (prose), HTML-escaped (inside <summary>) or reduced to a safe alphabet
(mermaid labels, the hidden marker), so they cannot inject links, mentions, HTML or break the layout.
"""

from __future__ import annotations

import html
import re

from mlopsctl.diff.fmt import one_line

_BACKTICKS = re.compile(r"`+")
_MD_PUNCT = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:&=$])")
_MARKER_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_MERMAID_UNSAFE = re.compile(r"[^A-Za-z0-9 _.:/()+~=,±→-]")


def code(text: str, in_table: bool = False) -> str:
    """`text` as an inline code span, whatever backticks it contains."""
    text = one_line(text)
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if not text or text.startswith("`") or text.endswith("`") else ""
    span = f"{fence}{pad}{text}{pad}{fence}"
    # GFM splits table cells at "|" even inside code spans unless it is escaped.
    return span.replace("|", "\\|") if in_table else span


def text(value: str, limit: int = 300) -> str:
    """Prose from untrusted input, with markdown/HTML syntax and @-mentions neutralized."""
    value = one_line(value)
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    # A zero-width space after "@" stops GitHub from turning "@name" into a mention (as Renovate does).
    return _MD_PUNCT.sub(r"\\\1", value).replace("@", "@\u200b")


def html_code(value: str) -> str:
    """`value` as <code> for HTML contexts such as <summary>, where markdown is not rendered."""
    return f"<code>{html.escape(one_line(value), quote=True)}</code>"


def marker_part(value: str) -> str:
    """Project or stack name reduced to a safe alphabet for the hidden `<!-- mlops-diff:... -->` marker."""
    return _MARKER_UNSAFE.sub("_", value) or "_"


def marker(project: str, stack: str) -> str:
    """The hidden marker that identifies one stack's comment so it is updated in place."""
    return f"<!-- mlops-diff:{marker_part(project)}:{marker_part(stack)} -->"


def mermaid_label(value: str) -> str:
    """Text safe inside a quoted mermaid node label."""
    return _MERMAID_UNSAFE.sub("_", one_line(value))
