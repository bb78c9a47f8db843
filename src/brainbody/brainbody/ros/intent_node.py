"""intent_node: the brain on ROS 2 (a thin adapter around the core).

Serves ``/brain/execute_intent``: the layered :class:`IntentPipeline` makes a validated
plan, which is published on ``/brain/plan`` before any motion (also for ``dry_run``,
which stops there); then :class:`PlanExecutor` runs it, calling
``/body/execute_primitive`` for each primitive and judging each postcondition from the
next ``/world/objects`` message, with bounded recovery. Feedback carries step, total,
primitive and phase. ``/brain/intent`` (std_msgs/String) is a fire-and-forget shortcut.
"""
from __future__ import annotations

import os
import threading
import time
import uuid
from typing import Optional

from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from std_msgs.msg import String

from brainbody_interfaces.action import ExecuteIntent, ExecutePrimitive
from brainbody_interfaces.msg import ObjectArray, TaskPlan
from brainbody.brain.brain_config import BrainConfig
from brainbody.brain.intent_pipeline import IntentPipeline
from brainbody.brain.plan_executor import PlanExecutor, PrimitiveOutcome, StepFeedback
from brainbody.brain.skills import load_catalogue
from brainbody.exceptions import BrainBodyError, ErrorCode
from brainbody.node_params import IntentNodeConfig
from brainbody.ros.action_client import RESULT_KEPT_S, BlockingActionClient, SerializedActionClient, TaskResult
from brainbody.ros.commander_heartbeat import HeartbeatPublisher
from brainbody.ros.conversions import plan_to_msg, primitive_to_msg, world_from_msg
from brainbody.ros.events_thread import EventsThread
from brainbody.ros.latest_message import LatestMessage
from brainbody.ros.middleware import middleware_label
from brainbody.ros.node_main import run_node
from brainbody.ros.parameters import declare_config
from brainbody.ros.qos_audit import AuditedNode
from brainbody.runtime.realtime import prepare_process_for_control_loop
from brainbody.world import WorldModel

LATCHED = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL)


class IntentNode(AuditedNode):
    def __init__(self, **kwargs):
        super().__init__("intent_node", **kwargs)
        self.config = declare_config(self, IntentNodeConfig)
        self.brain_config = declare_config(self, BrainConfig)
        self.world = WorldModel()      # the pipeline's own; each intent plans on a snapshot of the latest
        self.catalogue = load_catalogue(self.config.skills_file or None)
        # The embedding model loads here, once, not per request.
        self.pipeline = IntentPipeline(self.catalogue, self.brain_config, world=self.world)
        group = ReentrantCallbackGroup()
        self._plan_pub = self.create_publisher(TaskPlan, "/brain/plan", LATCHED)
        # The world arrives at 10 Hz of sim time (well over 100 Hz of wall time in a fast
        # simulation): taken by an events executor of its own, not this node's executor, and
        # kept as it came until the brain reads it (ros/latest_message.py).
        self._world_io = EventsThread(f"{self.get_name()}_world", context=self.context)
        self._world_msgs = LatestMessage(self._world_io.node, ObjectArray, "/world/objects", 10)
        self._world_io.start()
        self.create_subscription(String, "/brain/intent", self._on_intent_text, 10, callback_group=group)
        self._body = BlockingActionClient(self, ExecutePrimitive, "/body/execute_primitive")
        # This brain's heartbeat, named in every goal it sends: if the process dies or the network
        # goes, the body notices within its commander_timeout_s and holds. Unique per process, so a
        # restarted brain is a new commander.
        self._heartbeat = HeartbeatPublisher(
            self, f"{self.get_fully_qualified_name()}#{os.getpid()}-{uuid.uuid4().hex[:8]}",
            period_s=self.config.heartbeat_period_s, priority=self.config.heartbeat_thread_priority)
        self._busy = threading.Lock()
        self._stopping = threading.Event()   # set on shutdown: a running plan cancels itself
        self._server = ActionServer(self, ExecuteIntent, "/brain/execute_intent", execute_callback=self._execute,
                                    goal_callback=lambda _: GoalResponse.ACCEPT,
                                    cancel_callback=lambda _: CancelResponse.ACCEPT, callback_group=group,
                                    result_timeout=RESULT_KEPT_S)
        self._self_client = SerializedActionClient(self, ExecuteIntent, "/brain/execute_intent", callback_group=group)
        # Short GIL hand-over (and a frozen start-up heap): else the brain's busy threads hold the
        # heartbeat thread off for tens of milliseconds (see ros/commander_heartbeat.py).
        prepare_process_for_control_loop()
        layers = ["parser"] + (["semantic"] if self.pipeline.semantic else []) + (["llm"] if self.pipeline.llm else [])
        self.get_logger().info(f"brain ready ({' + '.join(layers)}; DDS {middleware_label()}): "
                               f"{self.catalogue.capabilities()}")

    def _latest_world(self) -> WorldModel:
        """A world model of the latest /world/objects message (its well-formed entries)."""
        msg = self._world_msgs.latest()
        return WorldModel(world_from_msg(msg) if msg is not None else ())

    def _fresh_world(self) -> Optional[WorldModel]:
        """A world snapshot from a message received after this call (None: none in time)."""
        seen = self._world_msgs.count
        if not self._world_msgs.wait_for(lambda count: count > seen, self.brain_config.world_wait_s):
            return None
        return self._latest_world()

    def _on_intent_text(self, msg: String) -> None:
        self.get_logger().info(f"intent on /brain/intent: {msg.data!r}")
        self._self_client.send_goal_async(ExecuteIntent.Goal(intent=msg.data, dry_run=False))

    def _execute(self, goal_handle) -> ExecuteIntent.Result:
        result = ExecuteIntent.Result()
        if not self._busy.acquire(blocking=False):
            goal_handle.abort()
            result.error_code, result.message = int(ErrorCode.BUSY), "busy with another intent"
            return result
        try:
            return self._run(goal_handle, goal_handle.request.intent, result)
        finally:
            self._busy.release()

    def _run(self, goal_handle, text: str, result: ExecuteIntent.Result) -> ExecuteIntent.Result:
        log = self.get_logger()
        seen = self._world_msgs.wait_for(lambda count: count > 0, self.config.body_server_timeout_s)
        world = self._latest_world() if seen else None
        if world is None:
            log.warn("no /world/objects yet: planning without the world-model check (the body still checks)")
        try:
            planned = self.pipeline.plan(text, world)
        except BrainBodyError as exc:
            log.error(f"refused {text!r} [{int(exc.code)}]: {exc}")
            goal_handle.abort()
            result.error_code, result.message = int(exc.code), str(exc)
            return result
        plan = planned.plan
        result.plan = plan_to_msg(plan, self.get_clock().now().to_msg())
        self._plan_pub.publish(result.plan)   # always before any motion
        log.info(planned.describe())
        if goal_handle.request.dry_run:
            goal_handle.succeed()
            result.success = True
            result.message = (f"dry run: {len(plan.primitives)} steps, nothing moved "
                              f"(understood by {', '.join(dict.fromkeys(planned.layers))})")
            return result
        if not self._body.wait_for_server(self.config.body_server_timeout_s):
            goal_handle.abort()
            result.error_code = int(ErrorCode.BODY_UNAVAILABLE)
            result.message = "no body: /body/execute_primitive is not available"
            return result
        self._wait_heartbeat_matched()

        feedback = ExecuteIntent.Feedback(total=len(plan.primitives))
        last = [0.0, ""]

        def on_feedback(fb: StepFeedback) -> None:
            # Every phase change goes out; repeats of one phase at most at 10 Hz (wall).
            now = time.monotonic()
            if fb.phase == last[1] and now - last[0] < 0.1:
                return
            last[0], last[1] = now, fb.phase
            feedback.step, feedback.total, feedback.phase = fb.step, fb.total, fb.phase
            feedback.primitive, feedback.progress = primitive_to_msg(fb.primitive), float(fb.progress)
            goal_handle.publish_feedback(feedback)

        executor = PlanExecutor(self._execute_primitive, self._fresh_world if world is not None else lambda: None,
                                self.brain_config)
        outcome = executor.run(plan, on_feedback=on_feedback,
                               should_cancel=lambda: goal_handle.is_cancel_requested or self._stopping.is_set())
        result.error_code, result.message = int(outcome.error_code), outcome.message
        if outcome.success:
            goal_handle.succeed()
            result.success = True
        elif goal_handle.is_cancel_requested:
            goal_handle.canceled()
            result.error_code = int(ErrorCode.CANCELED)
        elif outcome.canceled:   # the node is shutting down: no client asked, so the goal aborts
            goal_handle.abort()
            result.error_code = int(ErrorCode.CANCELED)
            result.message = f"brain shutting down: {result.message}"
        else:
            goal_handle.abort()
        # One severity per call site: rclpy raises when a call site's severity changes (a brain
        # whose goal failed raised here at the end of its next, successful goal).
        if outcome.success or outcome.canceled:
            log.info(result.message)
        else:
            log.error(result.message)
        return result

    def _wait_heartbeat_matched(self) -> None:
        """Goals name this brain as their commander only once its heartbeat has a subscriber (the
        body's end may match a moment later: the body's first-beat grace covers that)."""
        deadline = time.monotonic() + self.config.body_server_timeout_s
        while not self._heartbeat.matched and time.monotonic() < deadline:
            time.sleep(0.01)
        if not self._heartbeat.matched:
            self.get_logger().warning("nobody listens to /body/commander_heartbeat: goals go without a "
                                      "commander_id, and the body will not notice if this brain disappears")

    def _execute_primitive(self, primitive, on_phase, should_cancel) -> PrimitiveOutcome:
        """One primitive over /body/execute_primitive (the executor's ``execute`` callable)."""
        timeout = (primitive.timeout_s or self.brain_config.default_timeout_s) + self.config.primitive_result_margin_s
        outcome, body_result = self._body.run(
            ExecutePrimitive.Goal(primitive=primitive_to_msg(primitive), commander_id=self._goal_commander_id()),
            timeout_s=timeout,
            on_feedback=lambda fb: on_phase(fb.phase, fb.progress), should_cancel=should_cancel)
        if body_result is None:
            return PrimitiveOutcome(False, int(ErrorCode.BODY_UNAVAILABLE if outcome is not TaskResult.CANCELED
                                               else ErrorCode.CANCELED),
                                    f"body did not answer ({outcome.value})", canceled=outcome is TaskResult.CANCELED)
        p = body_result.tool_pose.position
        return PrimitiveOutcome(success=outcome is TaskResult.SUCCEEDED, error_code=int(body_result.error_code),
                                message=body_result.message, canceled=outcome is TaskResult.CANCELED,
                                tool_position_m=(p.x, p.y, p.z), peak_grip_force_n=body_result.peak_grip_force_n)


    def _goal_commander_id(self) -> str:
        return self._heartbeat.commander_id if self._heartbeat.matched else ""

    def wind_down(self) -> bool:
        """On shutdown: cancel a running plan (the body brakes to a hold); True once idle."""
        self._stopping.set()
        return not self._busy.locked()

    def destroy_node(self):
        heartbeat = getattr(self, "_heartbeat", None)    # absent when a parameter was refused
        if heartbeat is not None:
            heartbeat.stop()
        world_io = getattr(self, "_world_io", None)
        if world_io is not None:
            world_io.close()
        super().destroy_node()


def main(args=None) -> None:
    run_node(IntentNode, args)


if __name__ == "__main__":
    main()
