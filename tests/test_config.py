"""The one strict configuration loader: types, Literal choices, ranges, overrides, re-checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pytest

from hybridbatch.config import (
    apply_overrides,
    check_fields,
    from_dict,
    load_yaml,
    override_fields,
    resolve_override_key,
    setting,
    to_dict,
)
from hybridbatch.errors import HybridbatchError


@dataclass
class Inner:
    rate: float = setting(0.5, ge=0.0, le=1.0, help="a share")
    mode: Literal["a", "b"] = "a"


@dataclass
class Outer:
    name: str
    size: int = setting(4, gt=0)
    tags: list[str] | None = None
    inner: Inner = setting(default_factory=Inner)
    hidden: str = setting("x", internal=True)


def test_from_dict_builds_nested_dataclasses_and_widens_ints_to_floats():
    cfg = from_dict(Outer, {"name": "n", "inner": {"rate": 1}, "tags": ["p"]})
    assert cfg == Outer("n", 4, ["p"], Inner(1.0, "a")) and isinstance(cfg.inner.rate, float)
    assert to_dict(cfg) == {"name": "n", "size": 4, "tags": ["p"], "inner": {"rate": 1.0, "mode": "a"}}


@pytest.mark.parametrize("data, message", [
    ({}, "missing config key 'name'"),
    ({"name": "n", "sise": 1}, "unknown config key 'sise'; known here: name, size, tags, inner"),
    ({"name": "n", "hidden": "y"}, "unknown config key 'hidden'"),
    ({"name": "n", "size": 0}, "'size' is 0; must be > 0"),
    ({"name": "n", "size": True}, "'size' should be int, got bool"),
    ({"name": "n", "size": 2.5}, "'size' should be int, got float"),
    ({"name": "n", "tags": "p"}, "'tags' should be a list, got str"),
    ({"name": "n", "tags": [1]}, r"'tags\[0\]' should be str"),
    ({"name": "n", "inner": {"rate": 2}}, "'inner.rate' is 2.0; must be <= 1.0"),
    ({"name": "n", "inner": {"rate": float("inf")}}, "'inner.rate' should be a finite number"),
    ({"name": "n", "inner": {"mode": "c"}}, "'inner.mode' is 'c'; expected one of a, b"),
    ({"name": "n", "inner": []}, "'inner' should be a mapping, got list"),
])
def test_every_bad_value_is_one_error_naming_the_key(data, message):
    with pytest.raises(HybridbatchError, match=message):
        from_dict(Outer, data)


def test_load_yaml_names_the_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("name: n\ninner: {mode: z}\n")
    with pytest.raises(HybridbatchError, match=r"c.yaml: config key 'inner.mode' is 'z'"):
        load_yaml(path, Outer)
    path.write_bytes(b"name: \xff\xfe\n")
    with pytest.raises(HybridbatchError, match="c.yaml: config is not UTF-8 text"):
        load_yaml(path, Outer)
    path.write_text("name: [unclosed\n")
    with pytest.raises(HybridbatchError, match="c.yaml: malformed YAML"):
        load_yaml(path, Outer)
    with pytest.raises(HybridbatchError, match="nope.yaml: config file not found"):
        load_yaml(tmp_path / "nope.yaml", Outer)


def test_overrides_by_path_or_unique_name_are_checked_and_copy():
    cfg = Outer("n")
    assert set(override_fields(Outer)) == {"name", "size", "tags", "inner.rate", "inner.mode"}
    assert resolve_override_key(Outer, "rate").path == "inner.rate"
    out = apply_overrides(cfg, {"rate": 0.25, "inner.mode": "b", "size": 9})
    assert (out.inner.rate, out.inner.mode, out.size) == (0.25, "b", 9) and cfg.inner.rate == 0.5
    with pytest.raises(HybridbatchError, match="^exp.yaml: config key 'inner.rate' is 3.0"):
        apply_overrides(cfg, {"rate": 3}, source="exp.yaml")
    with pytest.raises(HybridbatchError, match="unknown override key 'rat'"):
        apply_overrides(cfg, {"rat": 3})


def test_check_revalidates_a_config_built_in_code():
    check_fields(Outer("n"))
    with pytest.raises(HybridbatchError, match="'inner.mode' is 'q'"):
        check_fields(Outer("n", inner=Inner(mode="q")))  # type: ignore[arg-type]
