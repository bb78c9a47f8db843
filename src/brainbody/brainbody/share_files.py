"""Locating and loading the files in ``config/`` and ``urdf/``.

Order of search: ``$BRAINBODY_CONFIG_DIR`` (for config/ only), the ament share
directory of the installed package, then the source checkout. Parameter files use
the ROS 2 layout (``node_name: ros__parameters: {...}``) so the same file feeds a
launch file and the pure core.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, Mapping, Type, TypeVar

import yaml

from brainbody.exceptions import BrainBodyError

_REPO_ROOT = Path(__file__).resolve().parents[3]

T = TypeVar("T")


def find_share_file(folder: str, name: str) -> Path:
    """Return the path of ``<folder>/<name>`` from the first place that has it.

    Raises:
        BrainBodyError: no candidate exists.
    """
    candidates = []
    if folder == "config" and os.environ.get("BRAINBODY_CONFIG_DIR"):
        candidates.append(Path(os.environ["BRAINBODY_CONFIG_DIR"]) / name)
    try:
        from ament_index_python.packages import get_package_share_directory
        candidates.append(Path(get_package_share_directory("brainbody")) / folder / name)
    except Exception:  # not installed with colcon: fall back to the checkout
        pass
    candidates.append(_REPO_ROOT / folder / name)
    for path in candidates:
        if path.is_file():
            return path
    raise BrainBodyError(f"{folder}/{name} not found; looked in: " + ", ".join(map(str, candidates)))


def load_ros_parameters(path: Path, node_name: str) -> dict[str, Any]:
    """Read the ``ros__parameters`` block of ``node_name`` from a ROS 2 parameter file."""
    with open(path, encoding="utf-8") as stream:
        document = yaml.safe_load(stream) or {}
    try:
        params = document[node_name]["ros__parameters"]
    except (KeyError, TypeError):
        raise BrainBodyError(f"{path}: no '{node_name}: ros__parameters:' block") from None
    return dict(params)


def dataclass_from_mapping(cls: Type[T], values: Mapping[str, Any], *, source: str = "") -> T:
    """Build a frozen config dataclass, refusing unknown keys (typos must not pass silently).

    Lists become tuples so the dataclass stays hashable and immutable.
    """
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise BrainBodyError(f"{source or cls.__name__}: unknown parameter(s) {unknown}; "
                             f"known: {sorted(names)}")
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise BrainBodyError(f"{source or cls.__name__}: {exc}") from exc
