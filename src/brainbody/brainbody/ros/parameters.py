"""Declare a config dataclass's fields as ROS parameters (type, range, description from
the field metadata) and read them back into the frozen dataclass."""
from __future__ import annotations

import dataclasses
from typing import Any, Type, TypeVar

from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor
from rclpy.node import Node

T = TypeVar("T")


def declare_config(node: Node, cls: Type[T], **fixed: Any) -> T:
    """Declare every field of ``cls`` on ``node`` and return the configured instance.

    Raises:
        ValueError: a value violates the dataclass's own validation.
    """
    values = {}
    for field in dataclasses.fields(cls):
        if field.name in fixed:
            values[field.name] = fixed[field.name]
            continue
        default = field.default if field.default is not dataclasses.MISSING else field.default_factory()
        meta = field.metadata
        descriptor = ParameterDescriptor(description=meta.get("description", ""),
                                         read_only=meta.get("read_only", False))
        lo, hi = meta.get("lo"), meta.get("hi")
        if isinstance(default, tuple) and default and isinstance(default[0], str):
            default = list(default)     # a string array (e.g. a profile name per joint)
        elif isinstance(default, tuple):
            default = [float(v) for v in default]
        elif isinstance(default, bool) or isinstance(default, str):
            pass
        elif isinstance(default, int) and lo is not None and hi is not None:
            descriptor.integer_range = [IntegerRange(from_value=int(lo), to_value=int(hi), step=1)]
        elif isinstance(default, float) and lo is not None and hi is not None:
            descriptor.floating_point_range = [FloatingPointRange(from_value=float(lo), to_value=float(hi))]
        value = node.declare_parameter(field.name, default, descriptor).value
        values[field.name] = tuple(value) if isinstance(value, (list, tuple)) else value
    return cls(**values)
