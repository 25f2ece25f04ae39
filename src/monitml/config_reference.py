"""The configuration reference, generated from the settings models.

``python -m monitml.config_reference > docs/configuration.md`` writes every key of
``monitml.yaml``: its type, default, environment variable and description, read from
:class:`monitml.config.Settings` and the pydantic models nested in it. Nothing is kept by hand,
so the reference cannot drift from the code; ``tests/test_config_reference.py`` fails when the
committed file is older than the models.

It imports only :mod:`monitml.config` (and what that imports), never the gateway.

>>> rows = list(walk(Settings))
>>> [(row.key, row.env) for row in rows if row.key == "store.url"]
[('store.url', 'MONITML_STORE__URL')]
"""

from __future__ import annotations

import enum
import sys
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, BeforeValidator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from monitml.alerts.durations import format_duration, parse_duration
from monitml.config import Settings

__all__ = ["Row", "render", "walk"]

ENV_PREFIX = "MONITML_"
_DELIMITER = "__"
# Fields of Settings that are not keys of the file.
_INTERNAL = {"base_dir"}


@dataclass(frozen=True, slots=True)
class Row:
    """One key of the file: ``models.<name>.versions.<version>.path`` and what it takes."""

    key: str
    type: str
    default: str
    env: str
    description: str
    section: str


def _is_duration(annotation: Any) -> bool:
    if typing.get_origin(annotation) is typing.Annotated:
        return any(
            isinstance(meta, BeforeValidator) and meta.func is parse_duration
            for meta in typing.get_args(annotation)[1:]
        )
    return False


def _constraints(metadata: list[Any]) -> str:
    signs = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<", "min_length": "≥"}
    parts = []
    for meta in metadata:
        for attribute, sign in signs.items():
            value = getattr(meta, attribute, None)
            if value is not None:
                shown = f"{value:g}" if isinstance(value, float) else value
                item = " item" + ("s" if value != 1 else "") if attribute == "min_length" else ""
                parts.append(f"{sign} {shown}{item}")
    return ", ".join(parts)


def type_name(annotation: Any) -> str:
    """``int``, ``duration``, ``list[str]``, ``regression | classification`` …"""
    if _is_duration(annotation):
        return "duration"
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin is typing.Annotated:
        return type_name(arguments[0])
    if origin is Literal:
        return " | ".join(str(a) for a in arguments)
    if origin in (typing.Union, types.UnionType):
        named = [type_name(a) for a in arguments if a is not type(None)]
        optional = " or null" if type(None) in arguments else ""
        return " | ".join(named) + optional
    if origin in (list, tuple, set):
        return f"list[{', '.join(type_name(a) for a in arguments if a is not Ellipsis)}]"
    if origin is dict:
        return f"map[{type_name(arguments[0])}, {type_name(arguments[1])}]"
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return "section"
        if issubclass(annotation, Path):
            return "path"
        if issubclass(annotation, enum.Enum):
            return " | ".join(str(member.value) for member in annotation)
        return annotation.__name__
    return str(annotation)


def _default(field: FieldInfo, annotation: Any) -> str:
    if field.is_required():
        return "required"
    value = field.default
    if value is PydanticUndefined and field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
    return _literal(value, duration=_is_duration(annotation) or _any_duration(annotation))


def _any_duration(annotation: Any) -> bool:
    return any(_is_duration(a) for a in typing.get_args(annotation))


def _literal(value: Any, *, duration: bool = False) -> str:
    if value is None:
        return "null"
    if duration and isinstance(value, int | float):
        return format_duration(float(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, BaseModel):
        shown = {
            k: v for k, v in value.model_dump(by_alias=True).items() if v not in (None, {}, [])
        }
        return "{" + ", ".join(f"{k}: {_literal(v)}" for k, v in shown.items()) + "}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e15 else repr(value)
    if isinstance(value, Path):
        return str(value)
    if value == "":
        return '""'
    return str(value)


def _models_in(annotation: Any) -> tuple[str, type[BaseModel]] | None:
    """The nested model a field holds, and how its keys continue: ``""``, ``.<name>`` or ``[]``."""
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _models_in(arguments[0])
    if origin in (typing.Union, types.UnionType):
        for argument in arguments:
            found = _models_in(argument)
            if found is not None:
                return found
        return None
    if origin is dict and _is_model(arguments[1]):
        return "<name>", arguments[1]
    if origin is list and _is_model(arguments[0]):
        return "[]", arguments[0]
    if _is_model(annotation):
        return "", annotation
    return None


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _placeholder(key: str) -> str:
    """``<name>`` for a map of models, named after what it holds: ``<version>``, ``<model>``."""
    names = {"versions": "<version>", "models": "<model>"}
    return names.get(key, "<name>")


def walk(
    model: type[BaseModel], prefix: str = "", env: str | None = ENV_PREFIX, section: str = ""
) -> Iterator[Row]:
    """Every key under ``model``, depth first in declaration order."""
    for name, field in model.model_fields.items():
        if model is Settings and name in _INTERNAL:
            continue
        key_name = field.alias or name
        key = f"{prefix}{key_name}"
        annotation = _full_annotation(field)
        env_name = None if env is None else f"{env}{key_name.upper()}"
        top = section or key_name
        nested = _models_in(annotation)
        if nested is not None and nested[0] == "":
            description = field.description or _first_line(nested[1].__doc__)
            yield Row(key, "section", _section_default(field), _env(env_name), description, top)
            child_env = None if env_name is None else env_name + _DELIMITER
            yield from walk(nested[1], key + ".", child_env, top)
            continue
        description = field.description or ""
        row_type = type_name(annotation)
        default = _default(field, annotation)
        if nested is not None and nested[0] == "[]":
            description = description or _first_line(nested[1].__doc__)
            row_type = "list of sections"
            yield Row(key, row_type, default, _env(env_name, "JSON list"), description, top)
            yield from walk(nested[1], key + "[].", None, top)
            continue
        if nested is not None:
            placeholder = _placeholder(key_name)
            description = description or _first_line(nested[1].__doc__)
            yield Row(key, "map of sections", default, _env(env_name), description, top)
            child_env = (
                None
                if env_name is None
                else f"{env_name}{_DELIMITER}{placeholder.upper()}{_DELIMITER}"
            )
            yield from walk(nested[1], f"{key}.{placeholder}.", child_env, top)
            continue
        constraints = _constraints(field.metadata)
        if constraints:
            row_type = f"{row_type} ({constraints})"
        yield Row(key, row_type, default, _env(env_name), description, top)


def _full_annotation(field: FieldInfo) -> Any:
    """The annotation with pydantic's stripped metadata put back (durations are Annotated)."""
    annotation = field.annotation
    validators = [m for m in field.metadata if isinstance(m, BeforeValidator)]
    if validators:
        return typing.Annotated[annotation, *validators]
    return annotation


def _section_default(field: FieldInfo) -> str:
    if field.is_required():
        return "required"
    value = field.default
    if value is PydanticUndefined and field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
    return "null (off)" if value is None else "—"


def _env(name: str | None, kind: str = "") -> str:
    if name is None:
        return "— (inside the list)"
    return f"`{name}`" + (f" ({kind})" if kind else "")


def _first_line(doc: str | None) -> str:
    if not doc:
        return ""
    return " ".join(doc.strip().split("\n\n")[0].split())


_INTRO = """\
# Configuration reference

<!-- Generated by `python -m monitml.config_reference > docs/configuration.md`; do not edit.
     tests/test_config_reference.py fails when this file is older than the settings models. -->

MonitML reads one YAML file (`monitml serve --config monitml.yaml`, the same for `monitor`,
`check`, `export` …) and the environment. Every key below can also be set as an environment
variable: `MONITML_` then the path of the key in capitals, levels joined by `__`
(`store.url` → `MONITML_STORE__URL`). The environment wins over the file. A list of sections
(`alerts.rules`) is set from the environment as one JSON list. Relative paths are resolved
against the folder of the config file. Secrets (webhook URLs, passwords, tokens) are never
keys of the file: the file names the environment variable or the file that holds them.

Types: `duration` is a Prometheus-style duration (`30s`, `5m`, `1h30m`) or a number of
seconds; `path` is a file path; `map[K, V]` is a YAML mapping; `or null` means the key may be
absent or `null`. `<model>`, `<version>` stand for names you choose.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(rows: list[Row] | None = None) -> str:
    """The whole Markdown reference."""
    rows = list(walk(Settings)) if rows is None else rows
    out = [_INTRO]
    sections: dict[str, list[Row]] = {}
    for row in rows:
        sections.setdefault(row.section, []).append(row)
    for section, members in sections.items():
        head = members[0]
        out.append(f"\n## `{section}:`\n")
        if head.key == section and head.description:
            out.append(f"{head.description}\n")
        out.append("| key | type | default | environment variable | description |")
        out.append("|---|---|---|---|---|")
        for row in members:
            if row.key == section:  # described above the table
                continue
            cells = [f"`{row.key}`", _cell(f"`{row.type}`"), _cell(f"`{row.default}`")]
            cells += [row.env, _cell(row.description)]
            out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def main() -> None:
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
