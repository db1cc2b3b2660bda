"""Command-line flags derived from a configuration dataclass's fields (see :mod:`hybridbatch.config`):
one ``--name`` per overridable leaf, its type, choices and help taken from the field."""

from __future__ import annotations

import argparse
import types
import typing
from typing import Any, Literal

from hybridbatch.config import BACKENDS, PRECISIONS, OverrideField, override_fields


def add_config_flags(parser: argparse.ArgumentParser, cls, *, aliases: dict[str, list[str]] | None = None,
                     group_title: str = "configuration overrides",
                     group_description: str = "every field of the YAML config; a flag replaces its value",
                     exclude: tuple[str, ...] = (), required: tuple[str, ...] = (),
                     help_overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Add a flag for every overridable leaf of ``cls`` (less ``exclude``); returns ``{argparse dest: dotted
    path}``.

    ``aliases`` maps a leaf name to its flag spellings (the first is the canonical one); ``required`` names
    leaves whose flag must be given; ``help_overrides`` replaces a leaf's help text on the command line. A
    list leaf takes comma-separated values and may be repeated (the values add up).
    """
    aliases = aliases or {}
    group = parser.add_argument_group(group_title, group_description)
    dests: dict[str, str] = {}
    for path, leaf in override_fields(cls).items():
        if path in exclude:
            continue
        flags = aliases.get(leaf.name, [f"--{leaf.name.replace('_', '-')}"])
        dest = f"cfg__{path.replace('.', '__')}"
        kwargs = _argparse_kwargs(leaf)
        if help_overrides and path in help_overrides:
            kwargs["help"] = help_overrides[path]
        group.add_argument(*flags, dest=dest, default=argparse.SUPPRESS, required=path in required, **kwargs)
        dests[dest] = path
    return dests


def overrides_from_args(args: argparse.Namespace, dests: dict[str, str]) -> dict[str, Any]:
    """``{dotted path: value}`` for the flags that were given."""
    return {path: getattr(args, dest) for dest, path in dests.items() if hasattr(args, dest)}


def _argparse_kwargs(leaf: OverrideField) -> dict[str, Any]:
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


def add_hardware_flags(parser: argparse.ArgumentParser) -> None:
    """``--precision``, ``--backend`` and ``--device`` for the commands that encode outside an evaluation config
    (index, search, serve; ``evaluate`` takes the same flags from :class:`EvaluationSettings`' fields)."""
    parser.add_argument("--precision", choices=list(PRECISIONS), default="auto",
                        help="auto (default): bfloat16 autocast where bf16 is native (CUDA, CPUs with AVX512-BF16 "
                        "or AMX; 2.7x faster there), else fp32 (emulated bf16 was 2.9x slower); speed and drift in "
                        "docs/RESULTS.md")
    parser.add_argument("--backend", choices=list(BACKENDS), default="torch",
                        help="what runs the forward pass: torch (default), onnx (ONNX Runtime, fp32 only) or "
                        "openvino (OpenVINO; fp32 as true f32; the fastest measured, docs/RESULTS.md), each an "
                        "export of the torch model made once into the cache; optional extras: "
                        "pip install 'hybridbatch[onnx]' / 'hybridbatch[openvino]'")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                        help="auto (default): CUDA when present, else the CPU")
