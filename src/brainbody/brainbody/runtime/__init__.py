"""Ways to run the body without ROS: the embedded simulation session, the plan runner on it,
and the one-joint rig. No rclpy here."""
