"""Hardware backends over ROS topics: each implements the core's ``Hardware`` protocol
(``body/hardware.py``) on the topics, message types and QoS of one standard set-up."""
