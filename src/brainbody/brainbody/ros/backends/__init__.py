"""Hardware backends over ROS topics: each implements the core's ``Hardware`` protocol
(``body/hardware.py``) on the topics, message types and QoS of one standard set-up."""
from __future__ import annotations


def topic_hardware(config, command_mode, *, grip_force_source="pad_sensors", context=None):
    """The backend ``config.backend`` names (ros2_control, gz or topic_based), connected."""
    from brainbody.ros.backends.gz import GzHardware
    from brainbody.ros.backends.ros2_control import Ros2ControlHardware
    from brainbody.ros.backends.topic_based import TopicBasedHardware
    kinds = {"ros2_control": Ros2ControlHardware, "gz": GzHardware, "topic_based": TopicBasedHardware}
    return kinds[config.backend](config, command_mode, grip_force_source=grip_force_source, context=context)
