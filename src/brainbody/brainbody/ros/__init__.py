"""Thin rclpy adapters: they convert messages, parameters and errors, and hold no logic
worth testing on its own. Everything here may import rclpy; nothing else does."""
