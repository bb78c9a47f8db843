"""brainbody: a brain-body control stack for ROS 2 manipulators.

``brain/``, ``body/`` and ``sim/`` are plain Python + numpy and never import rclpy;
``ros/`` holds the thin rclpy adapters.
"""
__version__ = "0.1.0"
