"""The one send / wait / cancel / result loop for ROS actions, written once.

:class:`BlockingActionClient` is handed a node owned by the caller (pymoveit2 style). It
must be used from a thread other than the one spinning that node (an action execute
callback in a MultiThreadedExecutor, or a script spinning in the background): futures
complete through callbacks that only set events.

:class:`SerializedActionClient` is rclpy's ``ActionClient`` with two races closed: its
responses are handled one at a time (two executor threads could delete one finished goal
twice), and the request/response race of ros2/rclpy#1123: a send from one thread and the
executor taking the response on another are serialized, so a response never arrives before
its request is registered. rclpy 9 (kilted)
does this itself; rclpy 7.1.6 (jazzy, the newest wheel) does not, and there a fast server's
goal response was dropped ("Ignoring unexpected goal response") and the goal reported as
unanswered.
"""
from __future__ import annotations

import enum
import threading
import time
from typing import Any, Callable, Optional

from action_msgs.msg import GoalStatus
from rclpy.action import ActionClient
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.node import Node


# How long an action server keeps a finished goal's result for its client (s). rclpy 9 (kilted)
# keeps it 10 s, rclpy 7 (jazzy) and rcl 900 s. Over a lossy link a client's result request can
# arrive later than 10 s after a short primitive ended (each lost request waits for the writer's
# next heartbeat); the body then answered "unknown or expired goal" and the brain reported the
# body unavailable (the fault-injection suite, 20 % loss and 50 ms latency).
RESULT_KEPT_S = 900
# How long a sent goal may wait for its acceptance (s, at most the goal's own timeout). A goal
# request is a lone message: lost, it is repaired only after the writer's next heartbeat (Fast
# DDS: every 3 s), and the heartbeat, the NACK and the repair can each be lost too. With 20 %
# frame loss and 50 ms latency, 10 s was too short in 5 of 14 runs of a five-goal task (the brain
# reported the body unavailable, 301, the arm at rest); with 30 s, in none of 5.
ACCEPT_WAIT_S = 30.0


class TaskResult(enum.Enum):
    """How an action ended (nav2_simple_commander's vocabulary)."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"        # aborted by the server, or rejected
    CANCELED = "canceled"
    UNAVAILABLE = "unavailable"   # no server, or no answer in time


class SerializedActionClient(ActionClient):
    """An ``ActionClient`` whose requests are registered before their responses can be taken."""

    def __init__(self, *args: Any, **kwargs: Any):
        # Taken before rclpy's own lock (where there is one) on both paths: one order, no deadlock.
        self._request_lock = threading.Lock()
        self._execute_lock = threading.Lock()
        # rclpy hands the client to its node's executor before it has finished building it:
        # rclpy 9 (kilted) makes its lock after the add, and an executor already spinning the
        # node that counted the client's entities in between died of an AttributeError (a test's
        # spin thread in CI; every goal after it went unanswered). So every lock exists first;
        # rclpy 9 then replaces its own with a new one (rclpy 7 has none).
        self._lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def take_data(self):
        with self._request_lock:
            return super().take_data()

    def send_goal_async(self, *args: Any, **kwargs: Any):
        with self._request_lock:
            return super().send_goal_async(*args, **kwargs)

    def _cancel_goal_async(self, *args: Any, **kwargs: Any):
        with self._request_lock:
            return super()._cancel_goal_async(*args, **kwargs)

    def _get_result_async(self, *args: Any, **kwargs: Any):
        with self._request_lock:
            return super()._get_result_async(*args, **kwargs)

    async def execute(self, taken_data):
        # rclpy's execute updates its goal table without a lock (7.1.6 and 9 alike). In a
        # reentrant callback group two executor threads can each take a status message and
        # delete the same finished goal: a KeyError in the executor, which ended the brain
        # node in CI (Jazzy, a burst of intents). Feedback callbacks here are plain functions,
        # so the coroutine never suspends while it holds the lock.
        with self._execute_lock:
            return await super().execute(taken_data)


class BlockingActionClient:
    def __init__(self, node: Node, action_type: Any, name: str):
        self._node = node
        self._client = SerializedActionClient(node, action_type, name, callback_group=ReentrantCallbackGroup())
        self.name = name

    def wait_for_server(self, timeout_s: float) -> bool:
        return self._client.wait_for_server(timeout_sec=timeout_s)

    def run(self, goal: Any, *, timeout_s: float, on_feedback: Optional[Callable[[Any], None]] = None,
            should_cancel: Callable[[], bool] = lambda: False, poll_s: float = 0.01
            ) -> tuple[TaskResult, Optional[Any]]:
        """Send ``goal`` and block until it ends; returns (TaskResult, result message or None).

        Cancels the goal when ``should_cancel()`` turns true or ``timeout_s`` (wall) passes.
        """
        accepted = threading.Event()
        holder: dict[str, Any] = {"gave_up": False}

        def on_goal(future):
            handle = future.result()
            holder["handle"] = handle
            accepted.set()
            if holder["gave_up"] and handle.accepted:
                # Accepted after we stopped waiting (a slow or lossy link): the caller has
                # reported the goal as unanswered, so it must not run on unwatched.
                handle.cancel_goal_async()

        send = self._client.send_goal_async(
            goal, feedback_callback=(lambda fb: on_feedback(fb.feedback)) if on_feedback else None)
        send.add_done_callback(on_goal)
        if not accepted.wait(timeout=min(timeout_s, ACCEPT_WAIT_S)):
            holder["gave_up"] = True
            if not accepted.is_set():
                return TaskResult.UNAVAILABLE, None
        handle = holder["handle"]
        if not handle.accepted:
            return TaskResult.FAILED, None
        done = threading.Event()
        result_future = handle.get_result_async()
        result_future.add_done_callback(lambda _: done.set())
        deadline = time.monotonic() + timeout_s
        canceled = False
        while not done.wait(timeout=poll_s):
            if not canceled and (should_cancel() or time.monotonic() > deadline):
                handle.cancel_goal_async()
                canceled = True
                deadline = time.monotonic() + 5.0   # allow the server to wind down
            elif canceled and time.monotonic() > deadline:
                return TaskResult.UNAVAILABLE, None
        response = result_future.result()
        status = response.status
        if status == GoalStatus.STATUS_SUCCEEDED:
            return TaskResult.SUCCEEDED, response.result
        if status == GoalStatus.STATUS_CANCELED:
            return TaskResult.CANCELED, response.result
        if status == GoalStatus.STATUS_UNKNOWN:
            # The server no longer knows the goal (its result was lost or expired): there is no
            # result to report, only that the server did not answer for it.
            return TaskResult.UNAVAILABLE, None
        return TaskResult.FAILED, response.result
