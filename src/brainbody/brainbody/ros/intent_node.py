"""intent_node: the brain on ROS 2.

Serves ``/brain/execute_intent``: plans with the offline planner, publishes the plan on
``/brain/plan`` before any motion, then calls ``/body/execute_primitive`` primitive by
primitive, relaying feedback. ``/brain/intent`` (std_msgs/String) is a fire-and-forget
shortcut into the same action server.
"""
from __future__ import annotations

import dataclasses
import threading
import time

from rclpy.action import ActionClient, ActionServer, CancelResponse, GoalResponse
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from std_msgs.msg import String

from brainbody_interfaces.action import ExecuteIntent, ExecutePrimitive
from brainbody_interfaces.msg import ObjectArray, TaskPlan
from brainbody.brain.planner import Planner
from brainbody.brain.skills import load_catalogue
from brainbody.exceptions import BrainBodyError, ErrorCode
from brainbody.node_config import IntentNodeConfig
from brainbody.ros.action_client import BlockingActionClient, TaskResult
from brainbody.ros.conversions import plan_to_msg, primitive_to_msg, world_from_msg
from brainbody.ros.node_main import run_node
from brainbody.ros.parameters import declare_config
from brainbody.world import WorldModel

LATCHED = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL)


class IntentNode(Node):
    def __init__(self, **kwargs):
        super().__init__("intent_node", **kwargs)
        self.config = declare_config(self, IntentNodeConfig)
        self.world = WorldModel()
        self._world_seen = threading.Event()
        self.catalogue = load_catalogue(self.config.skills_file or None)
        group = ReentrantCallbackGroup()
        self._plan_pub = self.create_publisher(TaskPlan, "/brain/plan", LATCHED)
        self.create_subscription(ObjectArray, "/world/objects", self._on_world, 10, callback_group=group)
        self.create_subscription(String, "/brain/intent", self._on_intent_text, 10, callback_group=group)
        self._body = BlockingActionClient(self, ExecutePrimitive, "/body/execute_primitive")
        self._busy = threading.Lock()
        self._server = ActionServer(self, ExecuteIntent, "/brain/execute_intent", execute_callback=self._execute,
                                    goal_callback=lambda _: GoalResponse.ACCEPT,
                                    cancel_callback=lambda _: CancelResponse.ACCEPT, callback_group=group)
        self._self_client = ActionClient(self, ExecuteIntent, "/brain/execute_intent", callback_group=group)
        self.get_logger().info("brain ready: " + self.catalogue.capabilities().splitlines()[0])

    def _on_world(self, msg: ObjectArray) -> None:
        self.world.update(world_from_msg(msg))
        self._world_seen.set()

    def _on_intent_text(self, msg: String) -> None:
        self.get_logger().info(f"intent on /brain/intent: {msg.data!r}")
        self._self_client.send_goal_async(ExecuteIntent.Goal(intent=msg.data, dry_run=False))

    def _execute(self, goal_handle) -> ExecuteIntent.Result:
        result = ExecuteIntent.Result()
        text = goal_handle.request.intent
        if not self._busy.acquire(blocking=False):
            goal_handle.abort()
            result.error_code, result.message = int(ErrorCode.BUSY), "busy with another intent"
            return result
        try:
            return self._run(goal_handle, text, result)
        finally:
            self._busy.release()

    def _run(self, goal_handle, text: str, result: ExecuteIntent.Result) -> ExecuteIntent.Result:
        log = self.get_logger()
        world = self.world if self._world_seen.wait(timeout=self.config.body_server_timeout_s) else None
        if world is None:
            log.warn("no /world/objects yet: planning without the world-model check (the body still checks)")
        try:
            plan = Planner(self.catalogue, world).plan(text)
        except BrainBodyError as exc:
            log.error(f"refused {text!r} [{int(exc.code)}]: {exc}")
            goal_handle.abort()
            result.error_code, result.message = int(exc.code), str(exc)
            return result
        result.plan = plan_to_msg(plan, self.get_clock().now().to_msg())
        self._plan_pub.publish(result.plan)
        log.info(plan.describe())
        if goal_handle.request.dry_run:
            goal_handle.succeed()
            result.success, result.message = True, f"dry run: {len(plan.primitives)} steps, nothing moved"
            return result
        if not self._body.wait_for_server(self.config.body_server_timeout_s):
            goal_handle.abort()
            result.error_code = int(ErrorCode.BODY_UNAVAILABLE)
            result.message = "no body: /body/execute_primitive is not available"
            return result

        total = len(plan.primitives)
        feedback = ExecuteIntent.Feedback(total=total)
        for index, primitive in enumerate(plan.primitives):
            feedback.step, feedback.primitive = index + 1, primitive_to_msg(primitive)

            last_relay = [0.0]

            def relay(fb, step=index):
                # Relay every phase change, otherwise at most 10 Hz (wall).
                now = time.monotonic()
                if fb.phase == feedback.phase and now - last_relay[0] < 0.1:
                    return
                last_relay[0] = now
                feedback.phase = fb.phase
                feedback.progress = float((step + min(max(fb.progress, 0.0), 1.0)) / total)
                goal_handle.publish_feedback(feedback)

            feedback.phase, feedback.progress = "start", float(index / total)
            goal_handle.publish_feedback(feedback)
            timeout = (primitive.timeout_s or 30.0) + self.config.primitive_result_margin_s
            outcome, body_result = self._body.run(
                ExecutePrimitive.Goal(primitive=feedback.primitive), timeout_s=timeout, on_feedback=relay,
                should_cancel=lambda: goal_handle.is_cancel_requested)
            if outcome is TaskResult.SUCCEEDED:
                continue
            if outcome is TaskResult.CANCELED or goal_handle.is_cancel_requested:
                goal_handle.canceled()
                result.error_code = int(ErrorCode.CANCELED)
                result.message = f"canceled during step {index + 1}/{total} ({primitive.describe()}); body holding"
                log.info(result.message)
                return result
            goal_handle.abort()
            if body_result is None:
                result.error_code = int(ErrorCode.BODY_UNAVAILABLE)
                result.message = f"step {index + 1}/{total} ({primitive.describe()}): body did not answer"
            else:
                result.error_code = body_result.error_code
                result.message = f"step {index + 1}/{total} ({primitive.describe()}) failed: {body_result.message}"
            log.error(result.message)
            return result
        goal_handle.succeed()
        result.success, result.message = True, f"{text!r} done: {total} steps"
        return result


def main(args=None) -> None:
    run_node(IntentNode, args)


if __name__ == "__main__":
    main()
