"""One help style for every verb: typer's rich panels, with a flag shown as `--flag` (or `--flag/--no-flag`)
and no value type. Typer 0.29 prints `<bool>` after flags, `--help` included, as if they took a value; importing
this module (cli.py does) stops that."""

from __future__ import annotations

from typer.core import TyperOption

_value_type = TyperOption.display_type_rich


def _no_type_on_flags(option: TyperOption, ctx) -> str | None:
    return None if option.is_flag else _value_type(option, ctx)


TyperOption.display_type_rich = _no_type_on_flags
