"""``leadflow init``: the commented ``leadflow.toml`` that shows every setting at its default."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from leadflow.config.settings import Settings


def render_default_config() -> str:
    """A commented ``leadflow.toml`` holding every setting at its default.

    Secrets and unset values are written commented out: they belong in the environment.
    """
    lines = [
        "# leadflow configuration. Every setting is shown with its default.",
        "# Any key can also be set in the environment, which wins over this file:",
        "#   top-level keys as LEADFLOW_<KEY>, section keys as LEADFLOW_<SECTION>_<KEY>",
        "#   (e.g. [zoho] client_id is LEADFLOW_ZOHO_CLIENT_ID).",
        "# Keep secrets (marked 'secret') in the environment, not in this file.",
        "",
    ]
    lines += _render_fields(Settings, None, prefix="LEADFLOW_")
    for name, info in Settings.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            section = info.get_default(call_default_factory=True)
            lines += _render_table(annotation, section, path=name, prefix=f"LEADFLOW_{name.upper()}_")
    return "\n".join(lines) + "\n"


def _render_table(
    model: type[BaseModel],
    value: BaseModel | None,
    *,
    path: str,
    prefix: str,
    array: bool = False,
    comment: str | None = None,
) -> list[str]:
    """One ``[path]`` (or ``[[path]]``) table: its plain keys, then dicts as sub-tables, then nested models.

    Lists of models directly under a section become ``[[path]]`` tables; deeper ones are written inline.
    """
    lines = [""]
    if comment:
        lines.append(f"# {comment}")
    lines.append(f"[[{path}]]" if array else f"[{path}]")
    lines += _render_fields(model, value, prefix=prefix, with_comments=not array or comment is not None)
    for name, info in model.model_fields.items():
        key = _toml_key(info.alias or name)
        current = getattr(value, name) if value is not None else info.get_default(call_default_factory=True)
        if isinstance(current, dict) and current and _model_of(info.annotation) is None:
            lines += ["", f"# {info.description}" if info.description else "", f"[{path}.{key}]"]
            lines += [f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in current.items()]
    for name, info in model.model_fields.items():
        key = _toml_key(info.alias or name)
        current = getattr(value, name) if value is not None else info.get_default(call_default_factory=True)
        sub = _model_of(info.annotation)
        if sub is None or (isinstance(current, list) and "." in path):
            continue
        if isinstance(current, list):
            for index, item in enumerate(current):
                lines += _render_table(
                    sub,
                    item,
                    path=f"{path}.{key}",
                    prefix=prefix,
                    array=True,
                    comment=info.description if index == 0 else None,
                )
        else:
            lines += _render_table(sub, current, path=f"{path}.{key}", prefix=prefix, comment=info.description)
    return [line for index, line in enumerate(lines) if line or index == 0 or lines[index - 1]]


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds, itself or as list items; None for plain values."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    args: tuple[Any, ...] = tuple(getattr(annotation, "__args__", ()))
    if getattr(annotation, "__origin__", None) is list and len(args) == 1:
        item = args[0]
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item
    return None


def _render_fields(
    model: type[BaseModel], value: BaseModel | None, *, prefix: str, with_comments: bool = True
) -> list[str]:
    lines: list[str] = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        key = info.alias or name
        default = getattr(value, name) if value is not None else info.get_default(call_default_factory=True)
        sub = _model_of(annotation)
        if isinstance(default, dict) and default and sub is None:
            continue  # written as a sub-table after the plain keys
        if sub is not None and not (isinstance(default, list) and value is not None and _is_nested(model)):
            continue
        if info.description and with_comments:
            lines.append(f"# {info.description}")
        is_secret = "SecretStr" in str(annotation)
        if is_secret:
            lines.append(f"# {key} = ...  (set {prefix}{name.upper()})")
        elif default is None:
            lines.append(f"# {key} =")
        elif isinstance(default, list) and default and sub is not None:
            lines.append(f"{_toml_key(key)} = [")
            lines += [f"    {_toml_value(item)}," for item in default]
            lines.append("]")
        else:
            lines.append(f"{_toml_key(key)} = {_toml_value(default)}")
    return lines


def _is_nested(model: type[BaseModel]) -> bool:
    """Models below a section write their lists of models inline (only sections get ``[[...]]`` tables)."""
    return not any(_model_of(info.annotation) is model for info in Settings.model_fields.values())


def _toml_key(key: str) -> str:
    import tomlkit

    return tomlkit.key(key).as_string()


def _toml_value(value: Any) -> str:
    """A value as inline TOML: dicts become inline tables (keys quoted when needed), floats stay floats."""
    import tomlkit

    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, BaseModel):
        return _toml_value(value.model_dump(exclude_none=True))
    if isinstance(value, str) and '"' in value and "'" not in value and "\n" not in value:
        return f"'{value}'"  # a literal string keeps rules with quotes readable
    return str(tomlkit.item(value).as_string())
