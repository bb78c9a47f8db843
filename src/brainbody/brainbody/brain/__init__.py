"""The brain: turns intent text into a typed, validated plan of task primitives.

``skills`` loads the catalogue (``config/skills.yaml``), ``intent`` parses text against
it, ``planner`` expands the match into a :class:`~brainbody.primitives.TaskPlan` and
``plan_validation`` checks any plan against a world model. Plain Python, no rclpy.
"""
