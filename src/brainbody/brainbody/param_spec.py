"""Declaring a parameter once: type, default, range, unit and description.

A config dataclass declares each field with :func:`param`. The metadata is the single
source for validation here, for the rclpy ``ParameterDescriptor`` ranges in ``ros/``,
and for the README's parameter tables (``python -m brainbody.param_spec`` prints them; a unit
test fails when the README's copy is out of date).
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any


def param(default: Any, description: str, *, lo: float | None = None, hi: float | None = None,
          read_only: bool = False) -> Any:
    """A dataclass field with a description and an inclusive range (applies element-wise to tuples)."""
    meta = {"description": description, "lo": lo, "hi": hi, "read_only": read_only}
    if isinstance(default, (list, tuple)):
        return dataclasses.field(default_factory=lambda: tuple(default), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def validate(config: Any) -> None:
    """Check every field against its declared range and type.

    Raises:
        ValueError: quoting the field, the bad value and the allowed range.
    """
    for field in dataclasses.fields(config):
        meta = field.metadata
        if "description" not in meta:
            continue
        value = getattr(config, field.name)
        default = field.default if field.default is not dataclasses.MISSING else field.default_factory()
        if isinstance(default, tuple) != isinstance(value, (tuple, list)):
            raise ValueError(f"{field.name}: {value!r} must be "
                             f"{'a list of values' if isinstance(default, tuple) else 'a single value'}")
        values = tuple(value) if isinstance(value, (tuple, list)) else (value,)
        example = default[0] if isinstance(default, tuple) and default else default
        for v in values:
            # The declared default gives the type: a bool or str field takes only that type,
            # a numeric field never takes a bool or a str (which used to pass unchecked).
            if isinstance(example, (bool, str)):
                if not isinstance(v, type(example)):
                    raise ValueError(f"{field.name}: {v!r} is not a {type(example).__name__}")
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ValueError(f"{field.name}: {v!r} is not a finite number")
            if meta["lo"] is not None and v < meta["lo"] or meta["hi"] is not None and v > meta["hi"]:
                raise ValueError(f"{field.name}: {v!r} is outside [{meta['lo']}, {meta['hi']}]")


def table(config_cls: Any) -> str:
    """Markdown table of a config class's parameters."""
    rows = ["| name | default | range | description |", "|---|---|---|---|"]
    for f in dataclasses.fields(config_cls):
        if "description" not in f.metadata:
            continue
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        lo, hi = f.metadata["lo"], f.metadata["hi"]
        rng = "—" if lo is None and hi is None else f"[{lo}, {hi}]"
        rows.append(f"| `{f.name}` | `{default}` | {rng} | {f.metadata['description']} |")
    return "\n".join(rows)


def readme_tables() -> str:
    """The parameter tables of README.md, generated from the declarations."""
    from brainbody.body.body_config import BodyConfig
    from brainbody.brain.brain_config import BrainConfig
    from brainbody.node_params import BodyNodeConfig, IntentNodeConfig, SimNodeConfig
    parts = []
    for title, cls in (("body_node (node)", BodyNodeConfig), ("body_node (BodyConfig)", BodyConfig),
                       ("intent_node", IntentNodeConfig), ("intent_node (BrainConfig)", BrainConfig),
                       ("sim_node", SimNodeConfig)):
        parts.append(f"#### {title}\n\n{table(cls)}")
    return "\n\n".join(parts)


def write_readme(path) -> None:
    """Replace the tables between the README's ``parameters:begin/end`` markers."""
    from pathlib import Path
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    begin, end = "<!-- parameters:begin -->\n", "\n<!-- parameters:end -->"
    head, rest = text.split(begin, 1)
    path.write_text(head + begin + readme_tables() + end + rest.split(end, 1)[1], encoding="utf-8")


if __name__ == "__main__":
    import sys
    if sys.argv[1:2] == ["--write"]:     # python -m brainbody.param_spec --write README.md
        write_readme(sys.argv[2])
    else:
        print(readme_tables())
