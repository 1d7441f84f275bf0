"""How ``--help`` reads: one pass over the built command tree, so every command's help renders the same way.

The help texts are docstrings and ``help=`` strings written as plain prose, with code in backticks (``x`` or
`x`) and config keys in brackets (``[zoho] client_id``). Rich would take the brackets for markup and drop them,
and print the backticks as they are; here brackets are escaped and code spans shown in bold instead. On/off
flags take no value, so they show no ``<bool>`` placeholder.
"""

from __future__ import annotations

import re
from typing import Any

from rich.markup import escape

_CODE = re.compile(r"``(.+?)``|`([^`]+?)`")


def prose_to_markup(text: str) -> str:
    """Help prose as Rich markup: brackets kept as text, code spans in bold, backticks gone.

    Example:
        >>> prose_to_markup("default: [zoho] client_id; run ``leadflow doctor``")
        'default: \\\\[zoho] client_id; run [bold]leadflow doctor[/]'
    """
    return _CODE.sub(lambda m: f"[bold]{m.group(1) or m.group(2)}[/]", escape(text))


def tidy_help(command: Any, name: str = "leadflow") -> None:
    """Rewrite the help of ``command`` and every sub-command below it, once, before it runs."""
    if command.help:
        command.help = prose_to_markup(command.help)
    if command.short_help:
        command.short_help = prose_to_markup(command.short_help)
    context = command.context_class(command, info_name=name)
    for param in command.get_params(context):  # the --help option included
        if getattr(param, "help", None):
            param.help = prose_to_markup(param.help)
        if getattr(param, "is_bool_flag", False) and param.metavar is None:
            param.metavar = ""
    for sub_name, sub in (getattr(command, "commands", None) or {}).items():
        tidy_help(sub, sub_name)
