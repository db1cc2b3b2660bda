"""Command-line flags derived from a configuration dataclass's fields (see :mod:`hybridbatch.config`):
one ``--name`` per overridable leaf, its type, choices and help taken from the field."""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from typing import Any, Literal

from hybridbatch.config import OverrideField, coerce, override_fields
from hybridbatch.errors import HybridbatchError

HARDWARE_FIELDS = ("precision", "backend", "device")
"""The :class:`~hybridbatch.evaluation.config.EvaluationSettings` fields of every command that encodes."""
ENCODING_FIELDS = ("model", "languages", "data_dir", "batch_size", *HARDWARE_FIELDS, "cache")
"""The :class:`~hybridbatch.evaluation.config.EvaluationConfig` fields of a command that encodes a corpus."""
DEST_PREFIX = "cfg__"
"""Every flag derived from a config field has a dest starting so (and no hand-written flag has)."""


def add_config_flags(parser: argparse.ArgumentParser, cls, *, include: tuple[str, ...] | None = None,
                     exclude: tuple[str, ...] = (), required: tuple[str, ...] = (),
                     help_overrides: dict[str, str] | None = None, deprecated: dict[str, list[str]] | None = None,
                     choices: bool = False, group_title: str = "configuration overrides",
                     group_description: str = "every field of the YAML config; a flag replaces its value"
                     ) -> dict[str, str]:
    """Add a flag for every overridable leaf of ``cls`` (only ``include`` when given, less ``exclude``), spelled
    as its field declares (:func:`hybridbatch.config.setting` ``flags``); returns ``{argparse dest: dotted path}``.

    ``required`` names leaves whose flag must be given; ``help_overrides`` replaces a leaf's help text for this
    command; ``deprecated`` adds old spellings of a leaf, accepted but not shown; ``choices``: argparse checks a
    Literal leaf's value against its choices (for commands whose values reach no config loader, which would give
    the one-line error naming the key). A list leaf takes comma-separated values and may be repeated (the values
    add up).
    """
    group = parser.add_argument_group(group_title, group_description)
    dests: dict[str, str] = {}
    for path, leaf in override_fields(cls).items():
        if path in exclude or (include is not None and path not in include):
            continue
        dest = f"{DEST_PREFIX}{path.replace('.', '__')}"
        kwargs = _argparse_kwargs(leaf, choices)
        if help_overrides and path in help_overrides:
            kwargs["help"] = help_overrides[path]
        group.add_argument(*leaf.flags, dest=dest, default=argparse.SUPPRESS, required=path in required, **kwargs)
        for old in (deprecated or {}).get(path, []):
            group.add_argument(old, dest=dest, default=argparse.SUPPRESS, **(kwargs | {"help": argparse.SUPPRESS}))
        dests[dest] = path
    return dests


def overrides_from_args(args: argparse.Namespace, dests: dict[str, str]) -> dict[str, Any]:
    """``{dotted path: value}`` for the flags that were given."""
    return {path: getattr(args, dest) for dest, path in dests.items() if hasattr(args, dest)}


def values_from_args(args: argparse.Namespace, dests: dict[str, str], cls) -> dict[str, Any]:
    """``{dotted path: value}`` for every flag of ``dests`` (added from ``cls``): the given value checked
    against the field's type and range, else the field's default."""
    leaves = override_fields(cls)
    out = {}
    for dest, path in dests.items():
        leaf = leaves[path]
        if hasattr(args, dest):
            try:
                out[path] = coerce(leaf.hint, getattr(args, dest), path, leaf.field)
            except HybridbatchError as exc:
                raise HybridbatchError(str(exc), path="command line") from None
        elif leaf.field.default_factory is not dataclasses.MISSING:
            out[path] = leaf.field.default_factory()
        else:
            out[path] = leaf.field.default
    return out


def _argparse_kwargs(leaf: OverrideField, choices: bool = False) -> dict[str, Any]:
    hint, optional = _strip_optional(leaf.hint)
    help_text = leaf.field.metadata.get("help")
    default = leaf.field.default
    if help_text and isinstance(default, (int, float, str)) and not isinstance(default, bool) and default != "":
        help_text = f"{help_text} (default: {default})"
    kwargs: dict[str, Any] = {"help": help_text, "metavar": leaf.name.upper()}
    origin = typing.get_origin(hint)
    if hint is bool:
        kwargs["action"] = argparse.BooleanOptionalAction
        del kwargs["metavar"]
    elif origin is Literal and choices:
        kwargs["choices"] = typing.get_args(hint)
        del kwargs["metavar"]
    elif origin is Literal:  # checked by the config loader, which gives a one-line error
        kwargs["metavar"] = "{" + ",".join(typing.get_args(hint)) + "}"
    elif origin is list:
        kwargs["type"] = _comma_list
        kwargs["action"] = "extend"
        kwargs["metavar"] = "A,B,..."
    elif hint in (int, float):
        kwargs["type"] = _nullable(hint) if optional else hint
        if optional:
            kwargs["help"] = ((help_text + "; ") if help_text else "") + "'none' to unset"
    return kwargs


def _strip_optional(hint) -> tuple[Any, bool]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return hint, False


def _comma_list(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def _nullable(kind):
    def parse(text: str):
        if text.strip().lower() in ("none", "null"):
            return None
        return kind(text)

    parse.__name__ = kind.__name__
    return parse
