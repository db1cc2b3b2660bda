"""One strict loader for every configuration dataclass (training, evaluation, experiment).

A configuration is a dataclass whose fields carry their type (``int``, ``float``, ``str``, ``bool``,
``Literal[...]``, ``X | None``, ``list[X]``, nested dataclasses) and, in ``field(metadata=...)``
made by :func:`setting`, their allowed range and a help text. From those fields alone come:

* :func:`from_dict` / :func:`load_yaml` — YAML → dataclass; an unknown key, a wrong type or a value
  out of range is a one-line :class:`HybridbatchError` naming the file and the dotted key;
* :func:`apply_overrides` — ``{key: value}`` over a loaded config (the experiment runner's
  ``train_overrides``, the CLI's flags), checked the same way; a key is a field's dotted path
  (``training.learning_rate``) or, when unambiguous, its last part (``learning_rate``);
* :func:`override_fields` — the overridable leaves, from which the CLI builds its flags.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from hybridbatch.errors import HybridbatchError

Precision = Literal["auto", "fp32", "bf16"]
"""Numeric precision of encoding and training: fp32, bf16 = bfloat16 autocast with fp32 weights, or auto =
bf16 where it is native (see :mod:`hybridbatch.hardware`), else fp32."""
PRECISIONS: tuple[str, ...] = typing.get_args(Precision)
Device = Literal["auto", "cpu", "cuda"]
"""Where models run: auto = CUDA when present, else the CPU."""
Backend = Literal["torch", "onnx", "openvino"]
"""What runs an encoder's forward pass: torch, or an export of the torch model run by ONNX Runtime or OpenVINO
(optional extras; see :mod:`hybridbatch.models.backends`)."""
BACKENDS: tuple[str, ...] = typing.get_args(Backend)
EXPERIMENTAL_BACKENDS: tuple[str, ...] = ("onnx-int8-dynamic", "onnx-int8-static", "openvino-int8")
"""int8 variants of the onnx / openvino exports (:mod:`hybridbatch.models.quantized_backends`), for measurement
only (benchmarks/int8_drift.py, benchmarks/encode_speed.py): not offered by ``--backend`` nor accepted in
configuration files until their full XQuAD-R drift from torch fp32 is within the project's rule."""


def setting(default: Any = dataclasses.MISSING, *, default_factory: Any = dataclasses.MISSING,
            ge: float | None = None, gt: float | None = None, lt: float | None = None,
            le: float | None = None, help: str | None = None, flags: tuple[str, ...] | None = None,
            internal: bool = False) -> Any:
    """A dataclass field with a range (``ge``/``gt``/``lt``/``le``, checked by the loader), a help
    text and its command-line spellings (``flags``, the first shown in help; default ``--field-name``),
    the same in every command that offers it. ``internal`` fields are not read from files nor overridable."""
    meta = {k: v for k, v in (("ge", ge), ("gt", gt), ("lt", lt), ("le", le), ("help", help), ("flags", flags))
            if v is not None}
    if internal:
        meta["internal"] = True
    if default_factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=default_factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def public_fields(cls) -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}


def from_dict(cls, data: Any, where: str = ""):
    """Build dataclass ``cls`` from a mapping; unknown keys, wrong types and out-of-range values raise,
    naming the dotted key."""
    if not isinstance(data, Mapping):
        raise HybridbatchError(f"'{where or 'config'}' should be a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = public_fields(cls)
    unknown = [k for k in data if k not in fields]
    if unknown:
        key = _join(where, unknown[0])
        raise HybridbatchError(f"unknown config key '{key}'; known here: {', '.join(fields)}")
    values = {name: coerce(hints[name], value, _join(where, name), fields[name]) for name, value in data.items()}
    missing = [n for n, f in fields.items() if n not in values and f.default is dataclasses.MISSING
               and f.default_factory is dataclasses.MISSING]
    if missing:
        raise HybridbatchError(f"missing config key '{_join(where, missing[0])}'")
    return cls(**values)


def load_yaml(path: str | Path, cls):
    """Read a YAML file into dataclass ``cls`` (see :func:`from_dict`); errors name the file."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HybridbatchError("config file not found", path=path) from None
    except OSError as exc:
        raise HybridbatchError(f"cannot read config ({exc.strerror})", path=path) from None
    except UnicodeDecodeError as exc:
        raise HybridbatchError(f"config is not UTF-8 text (byte {exc.start})", path=path) from None
    except yaml.YAMLError as exc:
        raise HybridbatchError(f"malformed YAML: {str(exc).splitlines()[0]}", path=path) from None
    if not isinstance(raw, dict):
        raise HybridbatchError("config should be a mapping", path=path)
    try:
        return from_dict(cls, raw)
    except HybridbatchError as exc:
        raise HybridbatchError(str(exc), path=path) from None


def check_fields(obj, where: str = "") -> None:
    """Re-check every field of a config built in code (types and ranges, as the loader would)."""
    hints = typing.get_type_hints(type(obj))
    for name, f in public_fields(type(obj)).items():
        value = getattr(obj, name)
        if dataclasses.is_dataclass(value):
            check_fields(value, _join(where, name))
        elif isinstance(value, list) and value and dataclasses.is_dataclass(value[0]):
            for i, item in enumerate(value):
                check_fields(item, f"{_join(where, name)}[{i}]")
        else:
            coerce(hints[name], value, _join(where, name), f)


def to_dict(obj) -> dict[str, Any]:
    """Plain data of a config dataclass, internal fields left out (what run folders record)."""
    out = {}
    for name in public_fields(type(obj)):
        value = getattr(obj, name)
        if dataclasses.is_dataclass(value):
            value = to_dict(value)
        elif isinstance(value, list):
            value = [to_dict(v) if dataclasses.is_dataclass(v) else copy.deepcopy(v) for v in value]
        else:
            value = copy.deepcopy(value)
        out[name] = value
    return out


@dataclass(frozen=True)
class OverrideField:
    """One overridable leaf of a config: its dotted path, type hint and field (for range and help)."""

    path: str
    hint: Any
    field: dataclasses.Field

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1]

    @property
    def flags(self) -> tuple[str, ...]:
        """Its command-line spellings, the canonical one first."""
        return self.field.metadata.get("flags") or (f"--{self.name.replace('_', '-')}",)


def override_fields(cls, prefix: str = "") -> dict[str, OverrideField]:
    """Every scalar (or list-of-scalars) leaf of ``cls`` by dotted path; lists of dataclasses are not
    overridable (they are edited in the file)."""
    hints = typing.get_type_hints(cls)
    out: dict[str, OverrideField] = {}
    for name, f in public_fields(cls).items():
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            out |= override_fields(hint, _join(prefix, name))
        elif typing.get_origin(hint) is list and dataclasses.is_dataclass(typing.get_args(hint)[0]):
            continue
        else:
            out[_join(prefix, name)] = OverrideField(_join(prefix, name), hint, f)
    return out


def resolve_override_key(cls, key: str) -> OverrideField:
    """The leaf named by ``key`` (dotted path, or last part when only one leaf has that name)."""
    leaves = override_fields(cls)
    if key in leaves:
        return leaves[key]
    by_name = [leaf for leaf in leaves.values() if leaf.name == key]
    if len(by_name) == 1:
        return by_name[0]
    if by_name:
        raise HybridbatchError(f"ambiguous override key {key!r}: say {' or '.join(x.path for x in by_name)}")
    raise HybridbatchError(f"unknown override key {key!r}; known: {', '.join(sorted(x.name for x in leaves.values()))}")


def apply_overrides(obj, overrides: Mapping[str, Any], *, source: str | Path | None = None):
    """A copy of config ``obj`` with ``overrides`` applied (keys: see :func:`resolve_override_key`);
    values are checked like file values. Errors name ``source`` (the file the overrides came from)."""
    out = copy.deepcopy(obj)
    for key, value in overrides.items():
        try:
            leaf = resolve_override_key(type(obj), str(key))
            value = coerce(leaf.hint, value, leaf.path, leaf.field)
        except HybridbatchError as exc:
            raise HybridbatchError(str(exc), path=source) from None
        target = out
        *parents, last = leaf.path.split(".")
        for part in parents:
            target = getattr(target, part)
        setattr(target, last, value)
    return out


def coerce(hint, value: Any, where: str, f: dataclasses.Field | None = None):
    """``value`` checked against type ``hint`` (and the range in ``f``'s metadata); ints widen to float."""
    value = _coerce_type(hint, value, where)
    if f is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
        _check_range(value, f.metadata, where)
    return value


def _coerce_type(hint, value: Any, where: str):
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for a in (a for a in args if a is not type(None)):
            try:
                return _coerce_type(a, value, where)
            except HybridbatchError as exc:
                errors.append(str(exc))
        raise HybridbatchError(errors[0])
    if origin is Literal:
        if isinstance(value, str) and value in args:
            return value
        raise HybridbatchError(f"config key '{where}' is {value!r}; expected one of {', '.join(map(str, args))}")
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value, where)
    if origin is list:
        if not isinstance(value, list):
            raise HybridbatchError(f"config key '{where}' should be a list, got {type(value).__name__} {value!r}")
        return [_coerce_type(args[0], v, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise HybridbatchError(f"config key '{where}' should be a mapping, got {type(value).__name__}")
        return {_coerce_type(args[0], k, where): _coerce_type(args[1], v, _join(where, k)) for k, v in value.items()}
    if hint is Any:
        return value
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise HybridbatchError(f"config key '{where}' should be a finite number, got {value!r}")
        return float(value)
    if hint is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if hint is bool and isinstance(value, bool):
        return value
    if hint is str and isinstance(value, str):
        return value
    raise HybridbatchError(f"config key '{where}' should be {getattr(hint, '__name__', hint)}, "
                           f"got {type(value).__name__} {value!r}")


def _check_range(value: float, meta: Mapping[str, Any], where: str) -> None:
    checks = (("ge", lambda b: value >= b, ">="), ("gt", lambda b: value > b, ">"),
              ("le", lambda b: value <= b, "<="), ("lt", lambda b: value < b, "<"))
    for key, ok, sign in checks:
        if key in meta and not ok(meta[key]):
            raise HybridbatchError(f"config key '{where}' is {value!r}; must be {sign} {meta[key]}")


def _join(prefix: str, name: Any) -> str:
    # a key read from a file may hold anything: shown as repr unless it is plain printable text
    text = name if isinstance(name, str) and name.isprintable() and name else repr(name)
    return f"{prefix}.{text}" if prefix else text
